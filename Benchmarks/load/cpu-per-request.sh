#!/usr/bin/env bash
# cpu-per-request.sh - the server's user and system CPU time per request under keep-alive load.
#
#   Benchmarks/load/cpu-per-request.sh [--servers "gatehouse nginx hummingbird"] [--mode h1|h2] [--duration 6] [--reps 3]
#                                      [--port 8446]
#
# For each repetition, each server in turn is started on CPU 0 and loaded from CPU 1 (wrk -c64 for h1, h2load
# -c16 -m32 for h2, both through the client-certificate shim, after a 2 s warm-up); the server's utime and
# stime (from /proc/PID/stat, nginx: its worker) over the run are divided by the requests completed.
# Alternating the servers within one repetition makes the figures comparable even on a noisy VM, where
# req/s of one server drifts by 10-15 % from minute to minute: user µs per request is what our code costs.
# Prepares like bench.sh (setup.sh: apt installs when missing, the shim, the PKI, release builds).
set -euo pipefail

servers=(gatehouse nginx hummingbird) mode=h1 duration=6 reps=3 port=8446
while [ $# -gt 0 ]; do
    case "$1" in
        --servers) read -r -a servers <<<"$2"; shift ;;
        --mode) mode=$2; shift ;;
        --duration) duration=$2; shift ;;
        --reps) reps=$2; shift ;;
        --port) port=$2; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "cpu-per-request.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case "$mode" in h1|h2) ;; *) echo "cpu-per-request.sh: --mode is h1 or h2" >&2; exit 2 ;; esac

# shellcheck source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
build_peer_if_named "${servers[@]}"
out="$work/cpu-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
url="https://127.0.0.1:$port/api/hello?name=bench"
# shellcheck source=servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
trap stop_server EXIT

load() {  # SECONDS: runs the load, prints its output
    local shim=(env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$pki/client-chain.pem" MTLS_KEY="$pki/client.key")
    if [ "$mode" = h1 ]; then taskset -c 1 "${shim[@]}" wrk -t1 -c64 -d"$1s" --timeout 5s "$url"
    else taskset -c 1 "${shim[@]}" h2load -t1 -c16 -m32 -D "$1" "$url"; fi
}

cpu_ticks() { awk '{ print $14 + 0, $15 + 0 }' "/proc/$1/stat"; }

printf '%-12s %4s %9s %9s %9s %9s\n' server rep 'req/s' 'user µs' 'sys µs' 'total µs'
for rep in $(seq "$reps"); do
    for name in "${servers[@]}"; do
        start_server "$name" "$port"
        pid=$server_pid
        [ "$name" = nginx ] && pid=$(pgrep -P "$server_pid" | head -1)  # the worker serves; the master waits
        load 2 > /dev/null 2>&1
        read -r user0 sys0 <<<"$(cpu_ticks "$pid")"
        result=$(load "$duration" 2>&1)
        read -r user1 sys1 <<<"$(cpu_ticks "$pid")"
        stop_server
        if [ "$mode" = h1 ]; then
            requests=$(awk '/requests in/ { print $1 }' <<<"$result")
            failed=$(awk '/Non-2xx|Socket errors/ { print }' <<<"$result")
        else
            requests=$(awk '/^requests:/ { print $8 }' <<<"$result")
            failed=$(awk '/^requests:/ && ($10 != 0 || $12 != 0) { print }
                          /^status codes:/ && ($5 != 0 || $7 != 0 || $9 != 0) { print }' <<<"$result")
        fi
        echo "$result" > "$out/$name-$rep.log"
        if [ -z "$requests" ] || [ "$requests" = 0 ] || [ -n "$failed" ]; then
            echo "cpu-per-request.sh: $name rep $rep: failed or non-2xx requests (log: $out/$name-$rep.log)" >&2
            exit 1
        fi
        awk -v n="$name" -v r="$rep" -v req="$requests" -v d="$duration" -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) \
            -v hz="$(getconf CLK_TCK)" 'BEGIN {
                printf "%-12s %4d %9.0f %9.2f %9.2f %9.2f\n", n, r, req / d, u / hz * 1e6 / req, s / hz * 1e6 / req, (u + s) / hz * 1e6 / req }'
    done
done
