#!/usr/bin/env bash
# instructions-per-request.sh - Gatehouse's instructions per keep-alive request, counted by callgrind.
#
#   Benchmarks/load/instructions-per-request.sh [--protocol http/1.1|h2] [--connections N] [--streams 32]
#                                               [--duration 12] [--top 25] [--binary PATH] [--port 8447]
#                                               [--config FILE] [--gateway http/1.1|h2] [--upstream-port 8461]
#                                               [--cache-sim] [--rps R]
#                                               [--server gatehouse|nginx] [--nginx-binary PATH]
#                                               [--log-level warning]
#
# Runs the release `gatehouse serve` under `valgrind --tool=callgrind` on CPU 0 with instrumentation off, and
# the load from CPU 1 (through the client-certificate shim), every request `GET /api/hello?name=bench`:
# - http/1.1 (the default): wrk on --connections keep-alive connections (default 8);
# - h2: h2load on --connections connections (default 16) with --streams concurrent streams each (default 32),
#   `make bench`'s HTTP/2 load.
# Once every connection is past its handshake, it counts every instruction the process executes for --duration
# seconds and divides by the responses written in that window, so no handshake is in the figure: the calls of
# `Response.writeHTTP1` for http/1.1, of libnghttp2's `nghttp2_submit_response` for h2 (made once per response by
# `HTTP2ServerSession.submitResponse`; a call into the shared library, so never inlined away).
# Without --config it serves the embedded default (`serve --pki-directory`); --config FILE serves FILE instead, with
# ${BENCH_PKI} set to the development PKI folder and ${BENCH_OUT} to the run's output folder (the first listener's
# port is replaced by --port). observe/*.yaml are the embedded default as a file with nothing, request metrics
# (`admin:`, which makes the service create its Prometheus factory), the JSON access log, or both switched on.
# --gateway UPSTREAM-PROTOCOL measures proxied requests instead: the server runs gateway.sh's configuration
# (gateway/gatehouse.yaml, or --config FILE with ${BENCH_UPSTREAM_PORT} and ${BENCH_UPSTREAM_PROTOCOL}) and forwards
# every request to an nginx upstream (nginx.sh) on 127.0.0.1:--upstream-port, pinned to CPU 1 with the load and not under
# callgrind, over plaintext HTTP/1.1 keep-alive or HTTP/2 with prior knowledge (`h2`); the figure is the gateway's
# whole cost of a proxied request, both of its sides.
# --server nginx counts nginx instead (http/1.1, or h2 with --streams 1): one process (`master_process off; daemon
# off;`) with the configuration `make bench` gives it (../shared/bench/nginx-baseline.sh: mutual TLS, `return 200` for
# /api/hello, access_log off) on CPU 0, the same load and window; a response is a call of libssl's `SSL_write` (nginx
# writes each response with one; HTTP/2 responses to streams of one read may share one, hence --streams 1).
# --nginx-binary PATH runs another nginx build, for example one with symbols (Debian's is
# stripped, so its own code then counts as one lump).
# Gatehouse runs at --log-level warning, as `make bench` runs it; `--log-level info` counts `gatehouse serve`'s
# default.
# Prints instructions per request, their split by component (OpenSSL, NIO, our modules, reference counting,
# exclusivity checks, libc, nghttp2) and the --top functions by their own instructions. --cache-sim also simulates
# the caches (callgrind's model of this CPU's first-level and last-level caches; about twice as slow) and prints the
# last-level misses per request, instruction fetches and data reads and writes: the machine has no hardware counters
# (`perf stat -e cache-misses` is "not supported"), and per-connection state that falls out of the cache is what
# many connections cost beyond their instructions. --rps R (h2) has each connection send R requests a second instead
# of as many as it can (`h2load --rps`): under valgrind, 1,000 closed-loop connections starve the handshakes of the
# ones still connecting. Unlike time, the count hardly moves between runs on a noisy VM (0.5 %), so it compares two
# builds exactly: pass --binary for the other.
#
# valgrind 3.19 cannot read the DWARF 5 debug information Swift 6.3 writes, so the binary is copied without it
# (`objcopy --strip-debug`; the symbol table stays, so functions keep their names). Installs valgrind and
# binutils from apt when missing; prepares like bench.sh (setup.sh).
set -euo pipefail

server=gatehouse nginx_path="" duration=12 top=25 binary="" protocol=http/1.1 connections="" streams=32 port=8447 config="" gateway="" upstream_port=8461
cache_sim=no rps="" log_level=warning
while [ $# -gt 0 ]; do
    case "$1" in
        --protocol) protocol=$2; shift ;;
        --port) port=$2; shift ;;
        --connections) connections=$2; shift ;;
        --streams) streams=$2; shift ;;
        --duration) duration=$2; shift ;;
        --top) top=$2; shift ;;
        --binary) binary=$2; shift ;;
        --config) config=$2; shift ;;
        --gateway) gateway=$2; shift ;;
        --upstream-port) upstream_port=$2; shift ;;
        --cache-sim) cache_sim=yes ;;
        --rps) rps=$2; shift ;;
        --log-level) log_level=$2; shift ;;
        --server) server=$2; shift ;;
        --nginx-binary) nginx_path=$2; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "instructions-per-request.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case "$server" in
    gatehouse) ;;
    nginx)
        [ -z "$gateway" ] && [ -z "$config" ] ||
            { echo "instructions-per-request.sh: --server nginx counts direct requests only" >&2; exit 2; }
        case "$protocol:$streams" in
            h2:1|http/2:1|http/1.1:*|h1:*|http1.1:*) ;;
            *) echo "instructions-per-request.sh: --server nginx counts h2 with --streams 1 only" >&2; exit 2 ;;
        esac
        export GATEHOUSE_BINARY=${GATEHOUSE_BINARY:-/bin/true} ;;  # setup.sh need not build gatehouse
    *) echo "instructions-per-request.sh: --server is gatehouse or nginx, not $server" >&2; exit 2 ;;
esac
case "$gateway" in
    "") ;;
    http/1.1|h1|http1.1) gateway=http/1.1 ;;
    h2|http/2) gateway=h2 ;;
    *) echo "instructions-per-request.sh: --gateway is http/1.1 or h2, not $gateway" >&2; exit 2 ;;
esac
[ -n "$gateway" ] && [ -z "$config" ] && config="$(dirname "${BASH_SOURCE[0]}")/gateway/gatehouse.yaml"
if [ -n "$config" ]; then
    [ -r "$config" ] || { echo "instructions-per-request.sh: cannot read --config $config" >&2; exit 2; }
    config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
fi
case "$protocol" in
    http/1.1|h1|http1.1) protocol=http/1.1 connections=${connections:-8} ;;
    h2|http/2) protocol=h2 connections=${connections:-16} ;;
    *) echo "instructions-per-request.sh: --protocol is http/1.1 or h2, not $protocol" >&2; exit 2 ;;
esac

# valgrind counts, objcopy strips the debug information callgrind need not read (setup.sh installs them).
setup_tools="valgrind:valgrind objcopy:binutils"
# --binary names the build to count: setup.sh then does not build this checkout.
if [ -n "$binary" ]; then export GATEHOUSE_BINARY=$binary; fi
# shellcheck source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
binary=${binary:-$gatehouse_binary}
out="$work/instructions-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
[ "$server" = gatehouse ] && objcopy --strip-debug "$binary" "$out/gatehouse"

url="https://127.0.0.1:$port/api/hello?name=bench"
# Another server on the port would answer the health check and the load in place of ours.
if [ -n "$(ss -tlnH "( sport = :$port )")" ]; then
    echo "instructions-per-request.sh: port $port is in use; choose another with --port" >&2
    exit 1
fi
if [ -n "$config" ]; then served=(--config "$config"); else served=(--pki-directory "$gatehouse_pki"); fi
cleanup() { kill "${server_pid:-}" 2>/dev/null || true; }
if [ -n "$gateway" ]; then
    # shellcheck source=nginx.sh
    source "$(dirname "${BASH_SOURCE[0]}")/nginx.sh"
    if [ -n "$(ss -tlnH "( sport = :$upstream_port )")" ]; then
        echo "instructions-per-request.sh: the upstream's port $upstream_port is in use" >&2
        exit 1
    fi
    nginx_upstream "$out/upstream" 1 "$upstream_port" "$([ "$gateway" = h2 ] && echo h2)"
    nginx_start "$out/upstream" 1
    cleanup() { kill "${server_pid:-}" 2>/dev/null || true; nginx_stop "$out/upstream"; }
fi
trap cleanup EXIT
if [ "$server" = nginx ]; then
    # shellcheck source=nginx.sh
    source "$(dirname "${BASH_SOURCE[0]}")/nginx.sh"
    nginx_binary=${nginx_path:-$nginx_binary}
    nginx_foreground_mtls "$out/nginx" "$port"
    taskset -c 0 valgrind --tool=callgrind --instr-atstart=no --cache-sim="$cache_sim" \
        --callgrind-out-file="$out/callgrind.out" \
        "$nginx_binary" -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" > "$out/nginx.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 240); do
        [ -n "$(ss -tlnH "( sport = :$port )")" ] && break
        kill -0 "$server_pid" 2>/dev/null || { echo "instructions-per-request.sh: nginx died (log: $out/nginx.log)" >&2; exit 1; }
        sleep 0.5
    done
else
BENCH_PKI=$gatehouse_pki BENCH_OUT=$out BENCH_UPSTREAM_PORT=$upstream_port BENCH_UPSTREAM_PROTOCOL=${gateway:-http/1.1} \
    taskset -c 0 valgrind --tool=callgrind --instr-atstart=no --cache-sim="$cache_sim" \
    --callgrind-out-file="$out/callgrind.out" \
    "$out/gatehouse" serve --port "$port" "${served[@]}" --log-level "$log_level" > "$out/gatehouse.log" 2>&1 &
server_pid=$!
for _ in $(seq 240); do
    curl -sk -o /dev/null "https://127.0.0.1:$port/health" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { echo "instructions-per-request.sh: the server died (log: $out/gatehouse.log)" >&2; exit 1; }
    sleep 0.5
done
fi
sleep 1
kill -0 "$server_pid" 2>/dev/null || { echo "instructions-per-request.sh: the server died (log: $out/gatehouse.log)" >&2; exit 1; }

load() {  # SECONDS
    if [ "$protocol" = h2 ]; then
        taskset -c 1 env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$pki/client-chain.pem" MTLS_KEY="$pki/client.key" \
            h2load -t1 -c"$connections" -m"$streams" ${rps:+--rps="$rps"} -D "$1" "$url"
    else
        taskset -c 1 env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$pki/client-chain.pem" MTLS_KEY="$pki/client.key" \
            wrk -t1 -c"$connections" -d"$1s" --timeout 10s "$url"
    fi
}
# Counting starts once every connection finished its handshake and has been answered for a while: each server
# socket has sent at least `ready_bytes` (a handshake with the certificate chain is about 2.5 KB, an HTTP/2 answer to
# `/api/hello` 84 bytes, so a few answers). On a busy machine the handshakes under valgrind take seconds (about 0.1 s
# each), so the load lasts `settle` seconds longer than the count.
settle=$((30 + connections / 8)) ready_bytes=3072
load $((duration + settle)) > "$out/load.log" 2>&1 &
load_pid=$!
ready=0
for _ in $(seq $((2 * (settle - 5)))); do
    sleep 0.5
    ready=$(ss -tniH state established "( sport = :$port )" |
        awk -v b="$ready_bytes" '
            match($0, /bytes_sent:[0-9]+/) && substr($0, RSTART + 11, RLENGTH - 11) + 0 >= b { n++ }
            END { print n + 0 }')
    [ "$ready" -ge "$connections" ] && break
done
if [ "$ready" -lt "$connections" ]; then
    echo "instructions-per-request.sh: only $ready of $connections connections up after $((settle - 5)) s" \
        "(log: $out/load.log)" >&2
    exit 1
fi
callgrind_control -i on "$server_pid" > /dev/null
sleep "$duration"
callgrind_control -d "$server_pid" > /dev/null
callgrind_control -i off "$server_pid" > /dev/null
wait "$load_pid"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
cleanup
trap - EXIT

if [ "$server" = nginx ]; then
    server_label="nginx ($nginx_binary)"
else
    server_label=gatehouse
fi
if [ "$protocol" = h2 ]; then
    # h2load: "requests: N total, N started, N done, N succeeded, F failed, E errored, T timeout" and
    # "status codes: N 2xx, N 3xx, N 4xx, N 5xx"; every request done must have succeeded with a 2xx.
    load_ok=$(awk '
        /^requests:/ { done = $6; bad = $10 + $12 + $14 }
        /^status codes:/ { ok = $3; other = $5 + $7 + $9 }
        END { print (done > 0 && bad == 0 && other == 0 && ok > 0) ? "yes" : "no" }' "$out/load.log")
    grep -q '^Application protocol: h2' "$out/load.log" || load_ok=no
else
    load_ok=yes
    if ! grep -q 'requests in' "$out/load.log" || grep -qE 'Non-2xx|Socket errors' "$out/load.log"; then load_ok=no; fi
fi
if [ "$load_ok" != yes ]; then
    echo "instructions-per-request.sh: failed or non-2xx requests (log: $out/load.log)" >&2
    exit 1
fi
dump=$(ls -t "$out"/callgrind.out.* | head -1)
total=$(awk '/^totals:/ { print $2 }' "$dump")
# Responses written while counting: the calls of the function that writes one, summed over its callers.
if [ "$protocol" = h2 ]; then counted='nghttp2_submit_response '; else counted='Response\.writeHTTP1\('; fi
[ "$server" = nginx ] && counted='SSL_write '

requests=$(callgrind_annotate --show=Ir --auto=no --tree=caller "$dump" 2>/dev/null | swift demangle --simplified | counted=$counted awk '
    /^$/ { calls = 0; next }
    /^ *[0-9,]+ \([^)]*\) +< / { if (match($0, /\(([0-9,]+)x\)/)) { n = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", n); calls += n } }
    $0 ~ ("\\* +[^ ]*:" ENVIRON["counted"]) && found == "" { found = calls }
    END { print found }')
if [ -z "$requests" ] || [ "$requests" = 0 ]; then
    echo "instructions-per-request.sh: no response was written while counting (log: $out/load.log)" >&2
    exit 1
fi
shape="$connections connections"
[ "$protocol" = h2 ] && shape="$shape x $streams streams${rps:+, $rps requests/s each}"
[ -n "$gateway" ] && protocol="$protocol proxied to $gateway"
echo "$server_label $protocol requests: $requests counted in ${duration}s over $shape (log: $out/load.log)"
echo "instructions per request: $((total / requests))"
if [ "$cache_sim" = yes ]; then
    # events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw (callgrind's order with --cache-sim=yes)
    awk -v r="$requests" '/^events:/ { for (i = 2; i <= NF; i++) name[i] = $i }
        /^totals:/ { for (i = 2; i <= NF; i++) v[name[i]] = $i }
        END { printf "first-level misses per request: %.1f (instructions %.1f, data reads %.1f, writes %.1f)\n",
                  (v["I1mr"] + v["D1mr"] + v["D1mw"]) / r, v["I1mr"] / r, v["D1mr"] / r, v["D1mw"] / r
              printf "last-level misses per request: %.1f (instructions %.1f, data reads %.1f, writes %.1f)\n",
                  (v["ILmr"] + v["DLmr"] + v["DLmw"]) / r, v["ILmr"] / r, v["DLmr"] / r, v["DLmw"] / r }' "$dump"
fi
# With a configuration file, its watcher polls the files every 500 ms whatever the load: under callgrind, with ~10
# requests a second, that is a large share of the count; the figure without it is the one that compares.
watcher=$(callgrind_annotate --show=Ir --auto=no --inclusive=yes "$dump" 2>/dev/null | swift demangle --simplified | awk '
    /^ *[0-9,]+ \(/ && /FileSignature\.init\(paths:\)/ { n = $1; gsub(",", "", n); if (n + 0 > max) max = n + 0 }
    END { print max + 0 }')
if [ "$watcher" -gt 0 ]; then
    echo "without the configuration file watcher's polls ($((watcher / requests)) per request):" \
        "$(((total - watcher) / requests))"
fi
# The event loop's work alone (SwiftNIO's `SelectableEventLoop.run()` inclusive): what compares two builds when their
# request rates under valgrind differ, since it leaves out every timer and thread that runs per second.
loop=$(callgrind_annotate --show=Ir --auto=no --inclusive=yes "$dump" 2>/dev/null | swift demangle --simplified | awk '
    /^ *[0-9,]+ \(/ && /:SelectableEventLoop\.run\(\) / { n = $1; gsub(",", "", n); if (n + 0 > max) max = n + 0 }
    END { print max + 0 }')
[ "$loop" -gt 0 ] && echo "on the event loop (SelectableEventLoop.run() inclusive): $((loop / requests))"
echo
echo "by component (own instructions per request):"
callgrind_annotate --show=Ir --auto=no --threshold=100 "$dump" 2>/dev/null | awk -v r="$requests" '
    /^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ {
        n = $1; gsub(",", "", n); s = $0; c = "other"
        if (s ~ /libcrypto/) c = "OpenSSL libcrypto"; else if (s ~ /libssl/) c = "OpenSSL libssl"
        else if (s ~ /libc\.so/ && s ~ /:(_int_)?(malloc|free|calloc|realloc|cfree)|malloc_consolidate|tcache|unlink_chunk/) c = "libc malloc and free"
        else if (s ~ /libc\.so/) c = "libc (memcpy, syscall wrappers, ...)"
        else if (s ~ /:ngx_http_(parse|process_request_(line|headers|uri)|read_request_header|validate_host|wait_request_handler|alloc_large_header|find_virtual_server|set_virtual_server|process_host|process_connection|process_user_agent)|:ngx_hash_find|:ngx_hash_strlow|:ngx_strlow/) c = "nginx HTTP parsing"
        else if (s ~ /:ngx_http_[a-z0-9_]*(filter|send_header|send_response|output_chain)|:ngx_output_chain|:ngx_chain_|:ngx_http_write_filter|:ngx_http_complex_value/) c = "nginx response building"
        else if (s ~ /:ngx_ssl_|:ngx_http_ssl/) c = "nginx TLS glue"
        else if (s ~ /:ngx_(epoll|event|process_events|unix|linux|writev|readv|recv|send|handle_read|handle_write|time_update|add_timer|del_timer|rbtree|trylock|shmtx|post_event|delete_posted|process_posted)/) c = "nginx event loop and I/O"
        else if (s ~ /:ngx_(palloc|pnalloc|pcalloc|pfree|create_pool|destroy_pool|reset_pool|alloc|calloc|pmemalign|memalign|list_push|array_push|array_create|array_init|create_temp_buf|alloc_buf|pool_cleanup|free_chain)/) c = "nginx allocation (pools)"
        else if (s ~ /:ngx_/) c = "nginx other (phases, handlers, finalize)"
        else if (s ~ /\/nginx\]?$|\/nginx /) c = "nginx (no symbols)"
        else if (s ~ /libnghttp2/) c = "nghttp2"
        else if (s ~ /:\$s8NIOPosix|:\$s7NIOCore|:\$s[0-9]+NIO/) c = "SwiftNIO"
        else if (s ~ /:\$s15GatehouseClient|:\$s16GatehouseGateway/) c = "Gatehouse gateway (Client, Gateway)"
        else if (s ~ /:\$s9Transport|:\$s7Routing|:\$s4Auth|:\$s9Functions|:\$s[0-9]+Gatehouse[A-Z]/) c = "Gatehouse (Transport, Routing, Auth, Functions)"
        else if (s ~ /:\$s9HTTPTypes/) c = "swift-http-types"
        else if (s ~ /:\$ss|:\$sS/) c = "Swift standard library"
        else if (s ~ /:swift_(retain|release|bridgeObjectRe)/) c = "reference counting"
        else if (s ~ /:swift_(beginAccess|endAccess)|AccessSet|SwiftTLSContext/) c = "exclusivity checks"
        else if (s ~ /swift|Task|task|Executor/) c = "Swift runtime"
        t[c] += n; all += n }
    END { for (k in t) printf "%8.0f %5.1f %%  %s\n", t[k] / r, 100 * t[k] / all, k }' | sort -rn
echo
echo "top $top functions by own instructions per request:"
callgrind_annotate --show=Ir --auto=no "$dump" 2>/dev/null | swift demangle --simplified | awk -v r="$requests" -v top="$top" '
    /^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ && shown < top {
        n = $1; gsub(",", "", n); line = $0; sub(/^ *[0-9,]+ +\([^)]*\) +/, "", line); sub(/^[^:]*:/, "", line)
        if (match(line, / \[[^]]*\]$/)) { object = substr(line, RSTART + 2, RLENGTH - 3); sub(/.*\//, "", object)
            line = substr(line, 1, RSTART - 1) (object == "gatehouse" ? "" : " [" object "]") }
        printf "%8.0f  %s\n", n / r, substr(line, 1, 110); shown++ }'
echo
echo "callgrind output: $dump (callgrind_annotate --inclusive=yes for totals by caller)"
