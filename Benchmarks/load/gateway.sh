#!/usr/bin/env bash
# gateway.sh - Gatehouse as a gateway against nginx as a reverse proxy: client -> proxy -> upstream, mutual TLS at
# the proxy, the client's certificate forwarded upstream, in one run.
#
#   Benchmarks/load/gateway.sh [--reps 3] [--duration 10] [--servers "gatehouse nginx"]
#
# Prepares like bench.sh (setup.sh). The upstream is the same for both: nginx answering `GET /api/hello` with a fixed
# body over plaintext HTTP/1.1 keep-alive on 127.0.0.1:8460, pinned to CPU 1 with the load generator (it is not what
# is measured; its CPU counts as "other" in mtls-load.sh's figures). Each proxy runs on CPU 0, requires a client
# certificate from the bench CA, and forwards /api/hello to the upstream over pooled keep-alive connections (at most 64)
# with X-Forwarded-For and the client's certificate in X-Forwarded-Client-Cert:
#   gatehouse: Benchmarks/load/gateway/gatehouse.yaml (`upstreams:`, `forwardClientCertificate: xfcc`: hash, subject,
#              SANs and the URL-encoded PEM);
#   nginx:     `proxy_pass` to an `upstream` block with `keepalive 64`, `proxy_http_version 1.1`, the header built from
#              $ssl_client_fingerprint, $ssl_client_s_dn and $ssl_client_escaped_cert; `access_log off`.
# Gatehouse logs at `--log-level warning` (no access log). Per round and proxy, a fresh process each for
# ../shared/bench/mtls-load.sh h1 (wrk, 64 connections) and h2 (h2load, 16 connections x 32 streams; both proxies
# speak HTTP/1.1 to the upstream, as nginx's proxy module only can). Any failed or non-2xx request fails the run.
# Prints a Markdown table of medians with the ratio Gatehouse/nginx and writes it to
# Benchmarks/results/YYYY-MM-DD-HHMM-gateway.md; raw logs in .build/bench/gateway-*.
set -euo pipefail
shopt -s inherit_errexit

reps=3 duration=10 tag=""
servers=(gatehouse nginx)
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps=$2; shift ;;
        --duration) duration=$2; shift ;;
        --servers) read -r -a servers <<< "$2"; shift ;;
        --tag) tag=$2; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "gateway.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
here="$root/Benchmarks/load"
upstream_port=8460
out="$work/gateway-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
# shellcheck source=nginx.sh
source "$here/nginx.sh"

port_of() { case "$1" in nginx) echo 8443 ;; gatehouse) echo 8444 ;; esac; }
url_of() { echo "https://127.0.0.1:$(port_of "$1")/api/hello"; }

nginx_upstream "$out/upstream" 1 "$upstream_port"
nginx_conf "$out/nginx" 0 "    upstream hello { server 127.0.0.1:$upstream_port; keepalive 64; }
    server {
$(nginx_mtls_listen "$(port_of nginx)")
        location = /api/hello {
            proxy_pass http://hello;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Client-Cert \"Hash=\$ssl_client_fingerprint;Subject=\\\"\$ssl_client_s_dn\\\";Cert=\\\"\$ssl_client_escaped_cert\\\"\";
        }
        location / { return 404; }
    }"

proxy_pid= gatehouse_pid=
stop_proxy() {
    nginx_stop "$out/nginx"
    if [ -n "$gatehouse_pid" ] && kill -0 "$gatehouse_pid" 2>/dev/null; then
        kill -TERM "$gatehouse_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$gatehouse_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$gatehouse_pid" 2>/dev/null || true
        wait "$gatehouse_pid" 2>/dev/null || true
    fi
    gatehouse_pid= proxy_pid=
}
stop_all() { stop_proxy; nginx_stop "$out/upstream"; }
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

start_proxy() {  # NAME: starts it on CPU 0 and waits until a request goes through to the upstream
    case "$1" in
        nginx) nginx_start "$out/nginx" 0; proxy_pid=$(cat "$out/nginx/nginx.pid") ;;
        gatehouse)
            BENCH_PKI=$gatehouse_pki BENCH_UPSTREAM_PORT=$upstream_port BENCH_UPSTREAM_PROTOCOL=http/1.1 \
                taskset -c 0 "$gatehouse_binary" serve \
                --config "$here/gateway/gatehouse.yaml" --port "$(port_of gatehouse)" --log-level warning \
                >> "$out/gatehouse.log" 2>&1 &
            gatehouse_pid=$! proxy_pid=$! ;;
        *) echo "gateway.sh: unknown proxy $1" >&2; exit 2 ;;
    esac
    for _ in $(seq 240); do
        kill -0 "$proxy_pid" 2>/dev/null || { echo "gateway.sh: $1 exited during start-up (logs in $out)" >&2; exit 1; }
        [ "$(curl -sk --max-time 2 --cert "$pki/client-chain.pem" --key "$pki/client.key" "$(url_of "$1")")" = \
            "Hello, bench." ] && return 0
        sleep 0.25
    done
    echo "gateway.sh: $1 did not proxy $(url_of "$1") within 60 s (logs in $out)" >&2
    exit 1
}

nginx_start "$out/upstream" 1
echo "gateway.sh: ${servers[*]} as gateways; $reps rounds; h1/h2 ${duration}s each; raw output in $out"
for round in $(seq "$reps"); do
    order=("${servers[@]:$(( (round - 1) % ${#servers[@]} ))}" "${servers[@]:0:$(( (round - 1) % ${#servers[@]} ))}")
    for name in "${order[@]}"; do
        echo "== round $round/$reps: $name" >&2
        check=(--no-check); [ "$round" = 1 ] && check=()
        for mode in h1 h2; do
            start_proxy "$name"
            "$bench/mtls-load.sh" --pki "$pki" --server-pid "$proxy_pid" --label "$name" --out "$out/$name-$round" \
                --reps 1 --duration "$duration" --tls 1.3 "${check[@]}" "$(url_of "$name")" "$mode" \
                >> "$out/load-$name-$round.out"
            check=(--no-check)
            stop_proxy
        done
        grep -E '^RESULT' "$out/load-$name-$round.out"
    done
done

table=$(awk -F'\t' '
    function med(list,   a, n, i, j, x) { n = split(list, a, " "); if (n == 0) return "";
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    function add(key, value) { if (value != "" && value != "-") vals[key] = vals[key] " " value }
    FNR > 1 && $4 ~ /^[0-9]+$/ { add($1 SUBSEP $2 "_rps", $5); add($1 SUBSEP $2 "_p99", $7); add($1 SUBSEP $2 "_rss", $15 / 1024) }
    function f(v, fmt) { return (v == "") ? "-" : sprintf(fmt, v) }
    function row(title, key, fmt,   g, n) {
        g = med(vals["gatehouse" SUBSEP key]); n = med(vals["nginx" SUBSEP key])
        printf "| %s | %s | %s | %s |\n", title, f(g, fmt), f(n, fmt), (g != "" && n + 0 > 0) ? sprintf("%.2f", g / n) : "-" }
    END {
        print "| gateway figure (median) | Gatehouse | nginx | Gatehouse / nginx |"
        print "|---|---:|---:|---:|"
        row("HTTP/1.1 keep-alive req/s through the gateway (wrk, 64 connections)", "h1_rps", "%.0f")
        row("HTTP/1.1 p99 latency ms", "h1_p99", "%.2f")
        row("HTTP/2 req/s through the gateway (h2load, 16 connections x 32 streams)", "h2_rps", "%.0f")
        row("HTTP/2 p99 latency ms", "h2_p99", "%.2f")
        row("gateway peak RSS MiB, HTTP/1.1 load", "h1_rss", "%.1f")
        row("gateway peak RSS MiB, HTTP/2 load", "h2_rss", "%.1f")
    }' "$out"/*/results.tsv)

mkdir -p "$root/Benchmarks/results"
result_file="$root/Benchmarks/results/${tag:-$(date +%Y-%m-%d-%H%M)}-gateway.md"
{
    echo "# Gateway comparison, $(date '+%Y-%m-%d %H:%M %Z')"
    echo
    echo "Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r)."
    echo "Client -> proxy (CPU 0, mutual TLS 1.3) -> upstream nginx (CPU 1, plaintext HTTP/1.1 keep-alive, with the"
    echo "load generator). Rounds: $reps; ${duration} s per mode. Commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo -)."
    [ -z "${GATEHOUSE_BINARY:-}" ] || echo "Gatehouse binary: $GATEHOUSE_BINARY."
    echo
    echo "$table"
    echo
    echo "Command: \`Benchmarks/load/gateway.sh --reps $reps --duration $duration\`. Every run:"
    echo
    echo '```'
    grep -h '^RESULT' "$out"/load-*.out | sed 's/ negotiated=.*//'
    echo '```'
} > "$result_file"
echo
echo "$table"
echo
echo "gateway.sh: written to ${result_file#"$root"/} (raw output in $out)"
