#!/usr/bin/env bash
# cpu-per-request.sh - the server's user and system CPU time per request under keep-alive load.
#
#   Benchmarks/load/cpu-per-request.sh [--servers "gatehouse nginx hummingbird"] [--mode h1|h2] [--duration 6]
#                                      [--reps 3] [--connections N] [--streams N] [--port 8446] [--syscalls]
#
# For each repetition, each server in turn is started on CPU 0 and loaded from CPU 1 by one h2load run through the
# client-certificate shim: h1 on --connections keep-alive connections (default 64) with one request in flight
# each (`h2load --h1`), h2 on --connections connections (default 16) with --streams concurrent streams each
# (default 32). The server's CPU is read from /proc/PID/stat (nginx: its worker) once every connection has finished
# its handshake and answered for 2 s, and again --duration seconds later; the requests are those whose response
# ended in between, counted from h2load's per-request log, so no handshake is in the figure at any connection count.
# Alternating the servers within one repetition makes the figures comparable even on a noisy VM, where
# req/s of one server drifts by 10-15 % from minute to minute: user µs per request is what our code costs.
# Also per request over the same window: the server's context switches (voluntary + involuntary, every thread),
# and the load generator's CPU (h2load on CPU 1: when it is the busier side, req/s measures the client).
# The threads that used CPU in the window are listed in the run's folder (threads-NAME-REP.txt).
# --syscalls also counts, per request over the same window (`perf stat` on the syscall tracepoints), the server's and
# h2load's reads, writes and epoll_waits and how often each blocked (voluntary context switches): in a closed loop
# the side that waits polls once per message and blocks often, the side that is behind takes several per poll.
# Prepares like bench.sh (setup.sh: apt installs when missing, the shim, the PKI, release builds).
set -euo pipefail

servers=(gatehouse nginx hummingbird) mode=h1 duration=6 reps=3 connections="" streams="" port=8446 syscalls=0
while [ $# -gt 0 ]; do
    case "$1" in
        --servers) read -r -a servers <<<"$2"; shift ;;
        --mode) mode=$2; shift ;;
        --duration) duration=$2; shift ;;
        --reps) reps=$2; shift ;;
        --connections) connections=$2; shift ;;
        --streams) streams=$2; shift ;;
        --port) port=$2; shift ;;
        --syscalls) syscalls=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "cpu-per-request.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
case "$mode" in
    h1) connections=${connections:-64} streams=1 ;;
    h2) connections=${connections:-16} streams=${streams:-32} ;;
    *) echo "cpu-per-request.sh: --mode is h1 or h2" >&2; exit 2 ;;
esac

# shellcheck source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
build_peer_if_named "${servers[@]}"
out="$work/cpu-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
url="https://127.0.0.1:$port/api/hello?name=bench"
want_files=$((connections * 2 + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want_files" ]; then ulimit -Hn "$want_files" || true; fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n "$want_files"
# shellcheck source=servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
load_pid=
stop_all() { [ -z "$load_pid" ] || kill "$load_pid" 2>/dev/null || true; stop_server; }
trap stop_all EXIT

cpu_ticks() { awk '{ print $14 + 0, $15 + 0 }' "/proc/$1/stat"; }
# Context switches of every thread of PID, voluntary and involuntary together.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'; }
# Voluntary context switches alone (the thread blocked: it found nothing to do).
blocked() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'; }
syscall_events=syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_epoll_wait
# SIDE PID SECONDS: counts PID's reads, writes and epoll_waits for SECONDS in the background (--syscalls).
count_syscalls() {
    perf stat -x, -e "$syscall_events" -p "$2" -o "$out/syscalls-$1" -- sleep "$3" > /dev/null 2>&1 &
}
# SIDE REQUESTS: "read=.. write=.. epoll_wait=.." per request from count_syscalls' file.
syscalls_per_request() {
    awk -F, -v n="$2" '$3 ~ /sys_enter_/ { e = $3; sub(/.*sys_enter_/, "", e); printf "%s=%.2f ", e, $1 / n }' "$out/syscalls-$1"
}
# One line per thread: TID, name, user+system ticks.
thread_ticks() {
    for t in /proc/"$1"/task/*; do
        awk -v tid="${t##*/}" '{ sub(/^[^(]*\(/, ""); name = $0; sub(/\).*/, "", name); sub(/^.*\) /, "")
            print tid, name, $12 + $13 }' "$t/stat" 2>/dev/null || true
    done
}
# Connections to the port that have sent a handshake (about 2.5 KB) and a few answers (84 bytes each on HTTP/2).
ready_connections() {
    ss -tniH state established "( sport = :$port )" |
        awk 'match($0, /bytes_sent:[0-9]+/) && substr($0, RSTART + 11, RLENGTH - 11) + 0 >= 3072 { n++ } END { print n + 0 }'
}

if [ "$syscalls" = 1 ]; then
    command -v perf > /dev/null || { echo "cpu-per-request.sh: --syscalls needs perf (apt-get install linux-perf)" >&2; exit 1; }
    perf stat -x, -e "$syscall_events" -- true > /dev/null 2>&1 ||
        { echo "cpu-per-request.sh: --syscalls: perf cannot count syscall tracepoints here (root, tracefs)" >&2; exit 1; }
fi
printf '%-12s %4s %6s %9s %9s %9s %9s %9s %9s\n' server rep conns 'req/s' 'user µs' 'sys µs' 'total µs' 'cs/req' 'load µs'
for rep in $(seq "$reps"); do
    for name in "${servers[@]}"; do
        start_server "$name" "$port"
        pid=$server_pid
        [ "$name" = nginx ] && pid=$(pgrep -P "$server_pid" | head -1)  # the worker serves; the master waits
        settle=$((10 + connections / 50))
        args=(-t1 -c"$connections" -m"$streams")
        [ "$mode" = h1 ] && args+=(--h1)
        reqlog="$out/$name-$rep.requests.tsv"
        taskset -c 1 env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$pki/client-chain.pem" MTLS_KEY="$pki/client.key" \
            h2load "${args[@]}" -D $((settle + duration + 2)) --log-file="$reqlog" "$url" > "$out/$name-$rep.log" 2>&1 &
        load_pid=$!
        for _ in $(seq $((settle * 2))); do
            sleep 0.5
            [ "$(ready_connections)" -ge "$connections" ] && break
        done
        sleep 2
        read -r user0 sys0 <<<"$(cpu_ticks "$pid")"
        read -r luser0 lsys0 <<<"$(cpu_ticks "$load_pid")"
        switches0=$(switches "$pid")
        blocked0=$(blocked "$pid") lblocked0=$(blocked "$load_pid")
        thread_ticks "$pid" > "$out/threads0"
        t0=$(date +%s%6N)
        if [ "$syscalls" = 1 ]; then
            count_syscalls server "$pid" "$duration"
            count_syscalls client "$load_pid" "$duration"
        fi
        sleep "$duration"
        read -r user1 sys1 <<<"$(cpu_ticks "$pid")"
        read -r luser1 lsys1 <<<"$(cpu_ticks "$load_pid")"
        switches1=$(switches "$pid")
        blocked1=$(blocked "$pid") lblocked1=$(blocked "$load_pid")
        t1=$(date +%s%6N)
        thread_ticks "$pid" > "$out/threads1"
        ready=$(ready_connections)
        [ "$syscalls" = 0 ] || sleep 0.5  # perf writes its counts as its sleep ends
        wait "$load_pid" || true
        load_pid=
        stop_server
        awk 'NR == FNR { before[$1] = $NF; next } { d = $NF - before[$1]; if (d > 0) print $1, $2, d " ticks" }' \
            "$out/threads0" "$out/threads1" > "$out/threads-$name-$rep.txt"
        result=$(cat "$out/$name-$rep.log")
        failed=$(awk '/^requests:/ && ($10 != 0 || $12 != 0) { print }
                      /^status codes:/ && ($5 != 0 || $7 != 0 || $9 != 0) { print }' <<<"$result")
        # Responses that ended within the window: start + duration (µs since the epoch) in [t0, t1).
        requests=$(awk -F'\t' -v a="$t0" -v b="$t1" '$2 >= 200 && $2 < 300 && $1 + $3 >= a && $1 + $3 < b { n++ }
            END { print n + 0 }' "$reqlog")
        rm -f "$reqlog"
        if [ "$requests" = 0 ] || [ -n "$failed" ] || [ "$ready" -lt "$connections" ]; then
            echo "cpu-per-request.sh: $name rep $rep: failed or non-2xx requests, or $ready of $connections" \
                "connections up (log: $out/$name-$rep.log)" >&2
            exit 1
        fi
        awk -v n="$name" -v r="$rep" -v c="$connections" -v req="$requests" -v d="$(((t1 - t0) / 1000))" \
            -v u=$((user1 - user0)) -v s=$((sys1 - sys0)) -v cs=$((switches1 - switches0)) \
            -v l=$((luser1 + lsys1 - luser0 - lsys0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
                printf "%-12s %4d %6d %9.0f %9.2f %9.2f %9.2f %9.3f %9.2f\n", n, r, c, req / d * 1000,
                    u / hz * 1e6 / req, s / hz * 1e6 / req, (u + s) / hz * 1e6 / req, cs / req, l / hz * 1e6 / req }'
        if [ "$syscalls" = 1 ]; then
            printf '    server per request: %sblocked=%.3f\n' "$(syscalls_per_request server "$requests")" \
                "$(awk -v b=$((blocked1 - blocked0)) -v n="$requests" 'BEGIN { print b / n }')"
            printf '    h2load per request: %sblocked=%.3f\n' "$(syscalls_per_request client "$requests")" \
                "$(awk -v b=$((lblocked1 - lblocked0)) -v n="$requests" 'BEGIN { print b / n }')"
        fi
    done
done
echo "cpu-per-request.sh: logs and threads per run in $out" >&2
