#!/usr/bin/env bash
# instructions-per-handshake.sh - Gatehouse's instructions per full mutual-TLS handshake, counted by callgrind.
#
#   Benchmarks/load/instructions-per-handshake.sh [--clients 20] [--binary PATH] [--port 8448] [--server nginx]
#
# Runs the release `gatehouse serve` (the embedded default: one listener and one policy trusting the bench CA)
# under `valgrind --tool=callgrind` on CPU 0 with instrumentation off, warms it up with two connections, then counts
# two rounds of --clients connections, one after another, each a new HTTP/1.1 connection (h2load --h1 through the
# client-certificate shim) with a full handshake and one `GET /api/hello`:
# - new clients: each connection presents a client certificate minted for it (same intermediate), so its chain has
#   never been verified;
# - a returning client: every connection presents the bench client's certificate (verified before);
# - resumed: one h2load client makes --clients + 1 connections (`Connection: close`), each after the first resuming
#   its TLS 1.3 session from a ticket; the first (a returning client's full handshake) is subtracted.
# Prints the instructions per connection of each round: handshake, verification, one request and the close; then
# where a resumed connection's go, by OpenSSL's exported functions (inclusive, the first connection subtracted).
# Like instructions-per-request.sh, the count hardly moves between runs, so it compares two builds exactly: pass
# --binary for the other.
# --server nginx counts nginx instead, the same rounds: one process (`master_process off; daemon off;`), the server
# block of ../shared/bench/nginx-baseline.sh (TLS 1.2 + 1.3, `ssl_verify_client on`, its default stateless tickets).
# nginx keeps no verified chains, so its new and returning clients cost the same.
set -euo pipefail

clients=20 binary="" port=8448 server=gatehouse
while [ $# -gt 0 ]; do
    case "$1" in
        --clients) clients=$2; shift ;;
        --port) port=$2; shift ;;
        --binary) binary=$2; shift ;;
        --server) server=$2; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "instructions-per-handshake.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

case "$server" in
    gatehouse) ;;
    nginx) GATEHOUSE_BINARY=$(type -P true) ;;  # setup.sh need not build gatehouse to count nginx
    *) echo "instructions-per-handshake.sh: --server is gatehouse or nginx, not $server" >&2; exit 2 ;;
esac
# valgrind counts, objcopy strips the debug information callgrind need not read (setup.sh installs them).
setup_tools="valgrind:valgrind objcopy:binutils"
# --binary names the build to count: setup.sh then does not build this checkout.
if [ -n "$binary" ]; then export GATEHOUSE_BINARY=$binary; fi
# shellcheck source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
binary=${binary:-$gatehouse_binary}
out="$work/handshakes-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out/clients"
[ "$server" = gatehouse ] && objcopy --strip-debug "$binary" "$out/gatehouse"

# One new client certificate per counted connection, from the bench intermediate (as make-pki.sh issues them).
for i in $(seq "$clients"); do
    c="$out/clients/client-$i"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$c.key" 2>/dev/null
    openssl req -config "$pki/openssl-ext.cnf" -new -key "$c.key" -subj "/O=mTLS bench (throwaway)/CN=new-client-$i" \
        -out "$c.csr"
    openssl x509 -req -sha256 -days 30 -in "$c.csr" -CA "$pki/intermediate-ca.pem" -CAkey "$pki/intermediate-ca.key" \
        -set_serial "0x$(openssl rand -hex 15)" -extfile "$pki/openssl-ext.cnf" -extensions v3_client \
        -out "$c.pem" 2>/dev/null
    cat "$c.pem" "$pki/intermediate-ca.pem" > "$c-chain.pem"
done

url="https://127.0.0.1:$port/api/hello?name=bench"
if [ -n "$(ss -tlnH "( sport = :$port )")" ]; then
    echo "instructions-per-handshake.sh: port $port is in use; choose another with --port" >&2
    exit 1
fi
if [ "$server" = nginx ]; then
    # shellcheck source=nginx.sh
    source "$(dirname "${BASH_SOURCE[0]}")/nginx.sh"
    nginx_foreground_mtls "$out/nginx" "$port"
    taskset -c 0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out" \
        "$nginx_binary" -p "$out/nginx" -c "$out/nginx/nginx.conf" -e "$out/nginx/error.log" \
        > "$out/nginx.log" 2>&1 &
else
    taskset -c 0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/callgrind.out" \
        "$out/gatehouse" serve --port "$port" --pki-directory "$gatehouse_pki" --log-level warning \
        > "$out/gatehouse.log" 2>&1 &
fi
server_pid=$!
# nginx without its master, under valgrind, acts on a signal only once another wakes it: repeat SIGQUIT until it
# has gone.
stop_server() {
    if [ "$server" = gatehouse ]; then kill "$server_pid"; return; fi
    for _ in $(seq 20); do
        kill -QUIT "$server_pid" 2>/dev/null || return 0
        sleep 0.5
    done
}
trap 'stop_server 2>/dev/null || true' EXIT
for _ in $(seq 240); do
    curl -sk -o /dev/null "https://127.0.0.1:$port/health" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { echo "instructions-per-handshake.sh: the server died" >&2; exit 1; }
    sleep 0.5
done

connect() {  # CHAIN KEY: one connection, one request
    taskset -c 1 env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$1" MTLS_KEY="$2" h2load --h1 -c1 -n1 "$url" \
        >> "$out/load.log" 2>&1
    grep -q '^status codes: 1 2xx' <(tail -n 20 "$out/load.log") || {
        echo "instructions-per-handshake.sh: a request failed (log: $out/load.log)" >&2
        exit 1
    }
}
count() {  # NAME: the instructions counted since the last dump
    callgrind_control --dump="$1" "$server_pid" > /dev/null
    awk '/^totals:/ { print $2 }' "$(ls -t "$out"/callgrind.out.* | head -1)"
}

connect "$pki/client-chain.pem" "$pki/client.key"
connect "$pki/client-chain.pem" "$pki/client.key"
callgrind_control -i on "$server_pid" > /dev/null
callgrind_control -z "$server_pid" > /dev/null
for i in $(seq "$clients"); do connect "$out/clients/client-$i-chain.pem" "$out/clients/client-$i.key"; done
new_total=$(count new-clients)
for _ in $(seq "$clients"); do connect "$pki/client-chain.pem" "$pki/client.key"; done
returning_total=$(count returning-client)
env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$pki/client-chain.pem" MTLS_KEY="$pki/client.key" MTLS_TLS=1.3 MTLS_STATS=1 \
    taskset -c 1 h2load --h1 -c1 -n "$((clients + 1))" -H 'Connection: close' "$url" >> "$out/resumed.log" 2>&1
grep -q "^status codes: $((clients + 1)) 2xx" "$out/resumed.log" || {
    echo "instructions-per-handshake.sh: a resumed request failed (log: $out/resumed.log)" >&2
    exit 1
}
resumed_total=$(count resumed)
callgrind_control -i off "$server_pid" > /dev/null
stop_server
wait "$server_pid" 2>/dev/null || true
trap - EXIT

echo "$server: instructions per connection (full mutual-TLS handshake + one HTTP/1.1 request), $clients connections each:"
echo "  new clients:      $((new_total / clients))"
echo "  returning client: $((returning_total / clients))"
echo "  resumed:          $(((resumed_total - returning_total / clients) / clients))" \
    "($(grep -o 'resumed=[0-9]*' "$out/resumed.log" | tail -1 || echo 'resumed=?') of $((clients + 1)) connections, MTLS_STATS)"

inclusive() {  # FILE FUNCTION: the function's inclusive instructions in FILE (0 when it was not called)
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
        awk -v name="$2" '$0 ~ ":" name " " { gsub(",", "", $1); print $1; found = 1; exit } END { if (!found) print 0 }'
}
per_resumption() {  # FUNCTION: its instructions per resumed connection
    local resumed returning
    resumed=$(inclusive "$out/callgrind.out.3" "$1")
    returning=$(inclusive "$out/callgrind.out.2" "$1")
    echo $(((resumed - returning / clients) / clients))
}
handshake=$(per_resumption SSL_do_handshake)
decode=$(per_resumption d2i_SSL_SESSION)
x25519=$(($(per_resumption EVP_PKEY_keygen) + $(per_resumption EVP_PKEY_derive)))
schedule=$(per_resumption EVP_KDF_derive)
echo "a resumed connection, by OpenSSL function:"
echo "  SSL_do_handshake:  $handshake, of which"
echo "    d2i_SSL_SESSION: $decode (the ticket opened, and the session copied to seal the new one)"
echo "    X25519:          $x25519 (EVP_PKEY_keygen + EVP_PKEY_derive)"
echo "    key schedule:    $schedule (EVP_KDF_derive)"
echo "  the rest:          $(((resumed_total - returning_total / clients) / clients - handshake)) (accept, request, close)"
echo "callgrind output: $out (callgrind_annotate callgrind.out.*)"
