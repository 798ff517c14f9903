#!/usr/bin/env bash
# bench.sh - `make bench`: Gatehouse, nginx and the Hummingbird 2 peer under the same mutual-TLS load, in one run.
#
#   Benchmarks/load/bench.sh [--reps 3] [--duration 10] [--bursts 10] [--idle 10000] [--resumed 20000] [--servers "gatehouse nginx hummingbird"]
#                            [--latency-load 0.5 | --no-latency | --latency-only] [--scaling [--scaling-duration 5]] [--no-gateway]
#                            [--port 8443]
#
# Prepares like compare-nginx.sh (setup.sh: apt installs when missing, the shim and a PKI under .build/bench,
# gatehouse in release mode), builds the peer (Benchmarks/Peers) in release mode, then for each round (--reps)
# starts each server in turn pinned to CPU 0 (taskset; the order rotates every round) and drives it from CPU 1:
#   1. RSS with --idle idle mutual-TLS connections (idle-connections.py: VmRSS before and after, KiB per connection),
#      in a process of its own (the server is restarted for the load);
#   2. ../shared/bench/mtls-load.sh h1 and h2 (wrk 64 connections; h2load 16 connections x 32 streams), TLS 1.3,
#      --duration seconds each, each in a freshly started server, with its pre-flight checks in the first round;
#      then, in the same server, the latency peak (latency.sh; skipped with --no-latency): h2load with the same
#      connections and streams in a closed loop, --duration seconds; p50/p99/p99.9 from h2load's per-request log
#      through HdrHistogram (Percentiles);
#   3. full mutual-TLS handshakes: --bursts bursts of `h2load --h1 -c 500 -n 500` under the shim with
#      MTLS_NO_RESUME=1 (every connection a full handshake; h2load's `Connection: close` mode is not used because
#      the Hummingbird peer mishandles it);
#   4. resumed handshakes (TLS 1.3 session tickets), Gatehouse and nginx only: `h2load --h1 -c 16 -n --resumed
#      -H 'Connection: close'` under the shim without MTLS_NO_RESUME, so each client's connections after its
#      first resume its session; at least 90 % must be resumptions and every answer 2xx (Gatehouse's answer is
#      after the policy, so a resumed session that lost its identity would fail the run with a 403).
#   5. once every server's peak of the round is known, latency at a fixed offered load (`h2load --rps`, open loop,
#      the same connections and streams, --duration seconds), each server in a fresh process, HTTP/1.1 then HTTP/2:
#      at --latency-load times its own peak, and at --latency-load times nginx's peak of the round (the same offered
#      rate for every server: what the issue's latency goal compares; "over capacity" for a server whose own peak is
#      below it; for nginx both are one run). Needs nginx among --servers for the same-rate rows.
# --latency-only runs steps 2 (without the throughput runs) and 5 alone: the latency rows of the table, quickly.
# --port BASE: nginx listens on BASE, gatehouse on BASE + 1, the peer on BASE + 2 (default 8443).
# Then, unless --no-gateway, gateway.sh: Gatehouse as a gateway against nginx as a reverse proxy (client -> proxy ->
# upstream, the client's certificate forwarded), --reps rounds of --duration seconds, its own table in
# Benchmarks/results/*-gateway.md, linked from this run's file.
# With --scaling, scaling.sh then measures throughput and p99 at 1, 10, 100 and 1,000 connections (its own table and
# PNG plot in Benchmarks/results/, --scaling-duration seconds a point).
# Every failed request, non-2xx answer, resumed handshake or closed idle connection fails the run (exit 1).
# Prints one Markdown table of medians with the ratios Gatehouse/nginx and Gatehouse/Hummingbird and writes it,
# with the machine, to Benchmarks/results/YYYY-MM-DD-HHMM.md. Raw logs stay in .build/bench/run-*.
# GATEHOUSE_BINARY=PATH measures that binary instead of building this checkout (another commit's static release
# build, to compare two builds in one session); the result file's name and header then name it.
set -euo pipefail
shopt -s inherit_errexit

reps=3 duration=10 bursts=10 burst_size=500 idle=10000 resumed_count=20000
latency_load=0.5 latency_only=0 scaling=0 scaling_duration=5 gateway=1 base_port=8443
servers=(gatehouse nginx hummingbird)
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps=$2; shift ;;
        --duration) duration=$2; shift ;;
        --bursts) bursts=$2; shift ;;
        --idle) idle=$2; shift ;;
        --resumed) resumed_count=$2; shift ;;
        --servers) read -r -a servers <<< "$2"; shift ;;
        --latency-load) latency_load=$2; shift ;;
        --no-latency) latency_load=0 ;;
        --latency-only) latency_only=1 gateway=0 ;;
        --port) base_port=$2; shift ;;
        --scaling) scaling=1 ;;
        --scaling-duration) scaling_duration=$2; shift ;;
        --no-gateway) gateway=0 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ "$latency_only" = 0 ] || [ "$latency_load" != 0 ] || { echo "bench.sh: --latency-only and --no-latency exclude each other" >&2; exit 2; }

# shellcheck source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
here="$root/Benchmarks/load"

# 10,000 idle connections need more descriptors than the usual 1,024, in the servers and in the client.
want_files=$((idle * 2 + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want_files" ]; then ulimit -Hn "$want_files" || true; fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n "$want_files"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((idle + 256)) ] ||
    { echo "bench.sh: ulimit -n is $(ulimit -n), too low for $idle idle connections" >&2; exit 1; }

build_peer_if_named "${servers[@]}"

out="$work/run-$(date +%Y%m%d-%H%M%S)${GATEHOUSE_BINARY:+-$(basename "$GATEHOUSE_BINARY")}"
mkdir -p "$out"
printf 'server\tround\trss_before_kib\trss_after_kib\tper_connection_kib\n' > "$out/idle.tsv"
printf 'server\tround\thandshakes\tseconds\trate\tp99_ms\n' > "$out/handshakes.tsv"
printf 'server\tround\tconnections\tresumed\tseconds\trate\n' > "$out/resumed.tsv"
printf 'server\tround\tmode\tload\toffered\trate\tp50_ms\tp99_ms\tp999_ms\n' > "$out/latency.tsv"

port_of() { case "$1" in nginx) echo "$base_port" ;; gatehouse) echo $((base_port + 1)) ;; hummingbird) echo $((base_port + 2)) ;; esac; }
url_of() { echo "https://127.0.0.1:$(port_of "$1")/api/hello?name=bench"; }

# shellcheck source=servers.sh
source "$here/servers.sh"
# shellcheck source=latency.sh
source "$here/latency.sh"
if [ "$latency_load" != 0 ]; then build_percentiles; fi
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

idle_rss() {  # NAME ROUND
    local line
    line=$(taskset -c 1 python3 "$here/idle-connections.py" --port "$(port_of "$1")" --count "$idle" \
        --cert "$pki/client-chain.pem" --key "$pki/client.key" --pids "$server_pid") ||
        { echo "FAIL bench.sh: $1 round $2: idle connections" >&2; exit 1; }
    echo "$line label=$1 round=$2"
    awk -v s="$1" -v r="$2" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "%s\t%s\t%s\t%s\t%s\n", s, r, v["rss_before_kib"], v["rss_after_kib"], v["per_connection_kib"] }' \
        <<< "$line" >> "$out/idle.tsv"
}

# Reads an h2load log run under the shim: secs (the run's duration), done, succeeded, ok (2xx) and st[] (the shim's
# stats); all_answered() says whether all n requests were done with 2xx, and reports on stderr when not.
h2load_summary='
    /^finished in/ { secs = $3; sub(/,$/, "", secs); if (secs ~ /ms$/) secs = substr(secs, 1, length(secs) - 2) / 1000
                     else if (secs ~ /us$/) secs = substr(secs, 1, length(secs) - 2) / 1000000
                     else secs = substr(secs, 1, length(secs) - 1) + 0 }
    /^requests:/ { done = $6; succeeded = $8 }
    /^status codes:/ { ok = $3 }
    /mtls-preload: stats/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); st[kv[1]] = kv[2] } }
    function all_answered() {
        if (done == n && succeeded == n && ok == n) return 1
        printf "FAIL bench.sh: %s: %s done, %s succeeded, %s 2xx of %s (see %s)\n", what, done, succeeded, ok, n, logfile > "/dev/stderr"
        return 0 }'

burst() {  # NAME LOG: one burst of $burst_size new connections, one request each; prints "done seconds p99_ms"
    local name=$1 logf=$2 t0 reqlog="$2.requests.tsv"
    t0=$(date +%s%6N)
    env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$pki/client-chain.pem" MTLS_KEY="$pki/client.key" MTLS_TLS=1.3 \
        MTLS_NO_RESUME=1 MTLS_STATS=1 timeout -k 5 120 taskset -c 1 \
        h2load --h1 -t1 -c "$burst_size" -n "$burst_size" --log-file="$reqlog" "$(url_of "$name")" > "$logf" 2>&1 ||
        { echo "FAIL bench.sh: $name: h2load burst exited with status $? (see $logf)" >&2; exit 1; }
    # Every connection: a full handshake that sent the certificate, one request, a 2xx answer.
    awk -v n="$burst_size" -v logfile="$logf" -v what=burst "$h2load_summary"'
        END {
            if (!all_answered()) exit 1
            if (st["resumed"] != "0" || st["handshakes_ok"] + 0 < n || st["client_cert_requests"] + 0 < n) { printf "FAIL bench.sh: burst: handshakes_ok=%s resumed=%s client_cert_requests=%s (see %s)\n", st["handshakes_ok"], st["resumed"], st["client_cert_requests"], logfile > "/dev/stderr"; exit 1 }
            printf "%s %s ", done, secs }' "$logf" || return 1
    # Latency of a connection: from the burst's start to its response (the log has start time and duration in us).
    awk -F'\t' -v t0="$t0" '$2 != "-1" { print ($1 + $3 - t0) / 1000 }' "$reqlog" | sort -n |
        awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < NR * 0.99) i++; printf "%.3f\n", v[i] }'
}

handshakes() {  # NAME ROUND: a warm-up burst, then $bursts measured ones
    local name=$1 round=$2 total=0 secs=0 p99s=() result b n s p p99 line
    burst "$name" "$out/burst-$name-$round-warmup.log" > /dev/null || exit 1
    for b in $(seq "$bursts"); do
        result=$(burst "$name" "$out/burst-$name-$round-$b.log") || exit 1
        read -r n s p <<< "$result"
        total=$((total + n)); secs=$(awk -v a="$secs" -v b="$s" 'BEGIN { print a + b }'); p99s+=("$p")
    done
    # The round's p99: the median of its bursts' p99s.
    p99=$(printf '%s\n' "${p99s[@]}" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    line=$(awk -v t="$total" -v d="$secs" 'BEGIN { printf "%d\t%.3f\t%.1f", t, d, t / d }')
    printf '%s\t%s\t%s\t%s\n' "$name" "$round" "$line" "$p99" >> "$out/handshakes.tsv"
    echo "HANDSHAKES label=$name round=$round $(awk -F'\t' '{ printf "handshakes=%s seconds=%s rate=%s", $1, $2, $3 }' <<< "$line") p99_ms=$p99"
}

declare -A peak_rate=()  # "NAME MODE" -> the req/s of that server's closed-loop latency run in this round

latency_shape() {  # MODE: "CONNECTIONS STREAMS" of the latency runs, those of the throughput runs
    if [ "$1" = h2 ]; then echo "16 32"; else echo "64 1"; fi
}

field() {  # KEY LINE: the value of KEY=... in a key=value line
    awk -v k="$1" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' <<< "$2"
}

latency_record() {  # NAME ROUND MODE LOAD LINE: a row of latency.tsv (LOAD: peak, the fraction, or "same")
    awk -v s="$1" -v r="$2" -v m="$3" -v load="$4" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        if (v["offered"] + 0 > 0 && v["rate"] < 0.95 * v["offered"])
            printf "WARN bench.sh: %s %s: offered %s req/s, achieved %s: the client fell behind\n", s, m, v["offered"], v["rate"] > "/dev/stderr"
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s, r, m, load, v["offered"], v["rate"], v["p50_ms"], v["p99_ms"],
            v["p999_ms"] }' <<< "$5" >> "$out/latency.tsv"
}

latency_peak() {  # NAME ROUND MODE: the closed-loop percentiles in the running server; remembers its rate
    local name=$1 round=$2 mode=$3 conns streams line
    read -r conns streams <<< "$(latency_shape "$mode")"
    line=$(latency_run "$name" "$mode" "$conns" "$streams" "$duration" 2 0 "$out/latency-$name-$round-$mode-peak.log") ||
        exit 1
    peak_rate["$name $mode"]=$(field rate "$line")
    latency_record "$name" "$round" "$mode" peak "$line"
    echo "LATENCY label=$name round=$round mode=$mode peak: $line"
}

# NAME ROUND MODE: open-loop percentiles in the running server at $latency_load of its own peak of this round, and
# at $latency_load of nginx's (the same offered rate for every server; for nginx the two are one run). A server
# whose own peak is below the same rate is over capacity there: its row says so instead of measuring a queue.
latency_fixed() {
    local name=$1 round=$2 mode=$3 conns streams own same line peak
    read -r conns streams <<< "$(latency_shape "$mode")"
    peak=${peak_rate["$name $mode"]}
    own=$(awk -v p="$peak" -v f="$latency_load" 'BEGIN { printf "%d", p * f }')
    line=$(latency_run "$name" "$mode" "$conns" "$streams" "$duration" 2 "$own" "$out/latency-$name-$round-$mode-fixed.log") ||
        exit 1
    latency_record "$name" "$round" "$mode" "$latency_load" "$line"
    echo "LATENCY label=$name round=$round mode=$mode fixed: $line"
    [ -n "${peak_rate["nginx $mode"]:-}" ] || return 0
    same=$(awk -v p="${peak_rate["nginx $mode"]}" -v f="$latency_load" 'BEGIN { printf "%d", p * f }')
    if [ "$name" != nginx ]; then
        if awk -v p="$peak" -v s="$same" 'BEGIN { exit !(p < s) }'; then
            printf '%s\t%s\t%s\tsame\t%s\t-\tover\tover\tover\n' "$name" "$round" "$mode" "$same" >> "$out/latency.tsv"
            echo "LATENCY label=$name round=$round mode=$mode same: over capacity (peak $peak req/s, offered $same)"
            return 0
        fi
        line=$(latency_run "$name" "$mode" "$conns" "$streams" "$duration" 2 "$same" \
            "$out/latency-$name-$round-$mode-same.log") || exit 1
    fi
    latency_record "$name" "$round" "$mode" same "$line"
    echo "LATENCY label=$name round=$round mode=$mode same: $line"
}

resumed_handshakes() {  # NAME ROUND: $resumed_count connections from 16 clients, each resuming its session
    local name=$1 round=$2 logf="$out/resumed-$1-$2.log" line
    env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$pki/client-chain.pem" MTLS_KEY="$pki/client.key" MTLS_TLS=1.3 \
        MTLS_STATS=1 timeout -k 5 300 taskset -c 1 \
        h2load --h1 -t1 -c 16 -n "$resumed_count" -H 'Connection: close' "$(url_of "$name")" > "$logf" 2>&1 ||
        { echo "FAIL bench.sh: $name: h2load (resumed) exited with status $? (see $logf)" >&2; exit 1; }
    line=$(awk -v n="$resumed_count" -v logfile="$logf" -v what=resumed "$h2load_summary"'
        END {
            if (!all_answered()) exit 1
            if (st["resumed"] + 0 < 0.9 * st["handshakes_ok"]) { printf "FAIL bench.sh: resumed: only %s of %s handshakes resumed (see %s)\n", st["resumed"], st["handshakes_ok"], logfile > "/dev/stderr"; exit 1 }
            printf "%d\t%d\t%.3f\t%.1f", st["handshakes_ok"], st["resumed"], secs, st["handshakes_ok"] / secs }' "$logf") || exit 1
    printf '%s\t%s\t%s\n' "$name" "$round" "$line" >> "$out/resumed.tsv"
    echo "RESUMED label=$name round=$round $(awk -F'\t' '{ printf "connections=%s resumed=%s seconds=%s rate=%s", $1, $2, $3, $4 }' <<< "$line")"
}

echo "bench.sh: ${servers[*]}; $reps rounds; h1/h2 ${duration}s each; $bursts bursts of $burst_size handshakes;" \
    "$idle idle connections; raw output in $out"
for round in $(seq "$reps"); do
    # Rotate the order so that no server always runs first (or right after the same one).
    order=("${servers[@]:$(( (round - 1) % ${#servers[@]} ))}" "${servers[@]:0:$(( (round - 1) % ${#servers[@]} ))}")
    peak_rate=()
    for name in "${order[@]}"; do
        echo "== round $round/$reps: $name" >&2
        # A fresh process for the idle connections, another for the load: memory that an allocator keeps after
        # 5,000 connections would otherwise count as the load's peak RSS, and the reverse.
        if [ "$latency_only" = 0 ]; then
            start_server "$name" "$(port_of "$name")"
            idle_rss "$name" "$round"
            stop_server
        fi
        # HTTP/1.1 and HTTP/2 each in a fresh process too, so each peak RSS is that load's own (memory an
        # allocator keeps after the 64 HTTP/1.1 connections would otherwise become the HTTP/2 figure).
        check=(--no-check); [ "$round" = 1 ] && check=()
        : > "$out/load-$name-$round.out"
        for mode in h1 h2; do
            start_server "$name" "$(port_of "$name")"
            if [ "$latency_only" = 0 ]; then
                "$bench/mtls-load.sh" --pki "$pki" --server-pid "$server_pid" --label "$name" \
                    --out "$out/$name-$round" --reps 1 --duration "$duration" --tls 1.3 "${check[@]}" \
                    "$(url_of "$name")" "$mode" >> "$out/load-$name-$round.out"
            fi
            if [ "$latency_load" != 0 ]; then latency_peak "$name" "$round" "$mode" >> "$out/load-$name-$round.out"; fi
            check=(--no-check)
            [ "$mode" = h2 ] && [ "$latency_only" = 0 ] || stop_server
        done
        grep -E '^(RESULT|LATENCY)' "$out/load-$name-$round.out" || true
        if [ "$latency_only" = 0 ]; then
            handshakes "$name" "$round"
            # The Hummingbird peer mishandles h2load's `Connection: close` mode (see the header).
            [ "$name" = hummingbird ] || resumed_handshakes "$name" "$round"
            stop_server
        fi
    done
    # The fixed loads once every peak of the round is known (the same rate for all is a fraction of nginx's),
    # each server in a fresh process, in the round's order.
    [ "$latency_load" != 0 ] || continue
    for name in "${order[@]}"; do
        echo "== round $round/$reps: $name, fixed loads" >&2
        start_server "$name" "$(port_of "$name")"
        for mode in h1 h2; do latency_fixed "$name" "$round" "$mode"; done | tee -a "$out/load-$name-$round.out"
        stop_server
    done
done

# ----------------------------------------------------------------------------------------------- the table
date_tag=$(date +%Y-%m-%d-%H%M)
mkdir -p "$root/Benchmarks/results"
result_file="$root/Benchmarks/results/$date_tag${GATEHOUSE_BINARY:+-$(basename "$GATEHOUSE_BINARY")}$([ "$latency_only" = 0 ] || echo -latency).md"
load_results=()  # mtls-load.sh's results.tsv of every round and server (none with --latency-only)
for f in "$out"/*/results.tsv; do [ -e "$f" ] && load_results+=("$f"); done
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
load_pct=$(awk -v f="$latency_load" 'BEGIN { printf "%g", f * 100 }')
table=$(awk -F'\t' -v idle="$idle" -v load_pct="$load_pct" '
    function med(list,   a, n, i, j, x) { n = split(list, a, " "); if (n == 0) return "";
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    function add(key, value) { if (value != "" && value != "-") vals[key] = vals[key] " " value }
    FILENAME ~ /results.tsv$/ && FNR > 1 && $4 ~ /^[0-9]+$/ {
        add($1 SUBSEP $2 "_rps", $5); add($1 SUBSEP $2 "_p99", $7); add($1 SUBSEP $2 "_rss", $15 / 1024) }
    FILENAME ~ /handshakes.tsv$/ && FNR > 1 { add($1 SUBSEP "hs_rps", $5); add($1 SUBSEP "hs_p99", $6) }
    FILENAME ~ /idle.tsv$/ && FNR > 1 { add($1 SUBSEP "idle_rss", $4 / 1024); add($1 SUBSEP "idle_per", $5) }
    FILENAME ~ /resumed.tsv$/ && FNR > 1 { add($1 SUBSEP "resumed_rps", $6) }
    FILENAME ~ /latency.tsv$/ && FNR > 1 { k = $1 SUBSEP $3 "_" (($4 == "peak" || $4 == "same") ? $4 : "fixed")
        if ($6 == "-") { over[k "_rate"] = over[k "_p50"] = over[k "_p99"] = over[k "_p999"] = 1; next }
        add(k "_rate", $6); add(k "_p50", $7); add(k "_p99", $8); add(k "_p999", $9) }
    # One row; a server that was over capacity at the same offered rate (in every round) shows that instead of a value.
    function row(title, key, fmt,   g, n, h) {
        g = med(vals["gatehouse" SUBSEP key]); n = med(vals["nginx" SUBSEP key]); h = med(vals["hummingbird" SUBSEP key])
        if (g n h == "" && !over["gatehouse" SUBSEP key] && !over["hummingbird" SUBSEP key]) return
        printf "| %s | %s | %s | %s | %s | %s |\n", title, f(g, fmt, "gatehouse" SUBSEP key), f(n, fmt, "nginx" SUBSEP key),
            f(h, fmt, "hummingbird" SUBSEP key),
            (g != "" && n + 0 > 0) ? sprintf("%.2f", g / n) : "-", (g != "" && h + 0 > 0) ? sprintf("%.2f", g / h) : "-" }
    function latency_rows(mode, title, clients,   load, name, at) {
        if (vals["nginx" SUBSEP mode "_peak_rate"] vals["gatehouse" SUBSEP mode "_peak_rate"] vals["hummingbird" SUBSEP mode "_peak_rate"] == "") return
        for (load = 0; load < 3; load++) {
            name = (load == 0) ? "peak" : (load == 1) ? "fixed" : "same"
            at = (load == 0) ? "peak" : (load == 1) ? load_pct " % of own peak" : "the same rate, " load_pct " % of nginx peak"
            if (load == 0) row(title " req/s at peak (h2load, " clients ")", mode "_peak_rate", "%.0f")
            else if (load == 1) row(title " req/s achieved, " load_pct " % of own peak offered (h2load --rps, " clients ")", mode "_fixed_rate", "%.0f")
            else row(title " req/s achieved, " load_pct " % of nginx peak offered to each (h2load --rps, " clients ")", mode "_same_rate", "%.0f")
            row(title " p50 latency ms at " at, mode "_" name "_p50", "%.2f")
            row(title " p99 latency ms at " at, mode "_" name "_p99", "%.2f")
            row(title " p99.9 latency ms at " at, mode "_" name "_p999", "%.2f")
        } }
    function f(v, fmt, key) { return (v != "") ? sprintf(fmt, v) : over[key] ? "over capacity" : "-" }
    END {
        print "| figure (median) | Gatehouse | nginx | Hummingbird | Gatehouse / nginx | Gatehouse / Hummingbird |"
        print "|---|---:|---:|---:|---:|---:|"
        row("HTTP/1.1 keep-alive req/s (wrk, 64 connections)", "h1_rps", "%.0f")
        row("HTTP/1.1 p99 latency ms", "h1_p99", "%.2f")
        row("HTTP/2 req/s (h2load, 16 connections x 32 streams)", "h2_rps", "%.0f")
        row("HTTP/2 p99 latency ms", "h2_p99", "%.2f")
        row("full mutual-TLS handshakes/s (ECDSA P-256, TLS 1.3, bursts of 500)", "hs_rps", "%.0f")
        row("handshake p99 latency ms (burst start to response)", "hs_p99", "%.1f")
        row("resumed mutual-TLS handshakes/s (TLS 1.3 tickets, 16 clients)", "resumed_rps", "%.0f")
        g = med(vals["gatehouse" SUBSEP "resumed_rps"]); h = med(vals["gatehouse" SUBSEP "hs_rps"])
        if (g != "" && h + 0 > 0) printf "| Gatehouse resumed / full handshakes | %.1f | | | | |\n", g / h
        latency_rows("h1", "HTTP/1.1", "64 connections")
        latency_rows("h2", "HTTP/2", "16 connections x 32 streams")
        row("peak RSS MiB, HTTP/1.1 load", "h1_rss", "%.1f")
        row("peak RSS MiB, HTTP/2 load", "h2_rss", "%.1f")
        row("RSS MiB with " idle " idle mutual-TLS connections", "idle_rss", "%.1f")
        row("KiB per idle mutual-TLS connection (above the baseline)", "idle_per", "%.1f")
    }' "${load_results[@]}" "$out/handshakes.tsv" "$out/resumed.tsv" "$out/idle.tsv" "$out/latency.tsv")

{
    echo "# Load comparison, $(date '+%Y-%m-%d %H:%M %Z')"
    echo
    echo "Machine: $(nproc) CPUs, $cpu_model, Linux $(uname -r). Servers pinned to CPU 0, load generators to CPU 1."
    echo "Rounds: $reps (medians over rounds; server order rotated each round); h1/h2 ${duration} s each after a"
    echo "warm-up; $bursts bursts of $burst_size new connections per round; $idle idle connections. TLS 1.3."
    echo "Commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo -)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')."
    [ -z "${GATEHOUSE_BINARY:-}" ] || echo "Gatehouse binary: $GATEHOUSE_BINARY (GATEHOUSE_BINARY, not this commit's build)."
    echo
    echo "$table"
    echo
    [ ${#load_results[@]} = 0 ] || awk -F'\t' 'FNR > 1 && $4 ~ /^[0-9]+$/ { n++; if ($13 != "-" && $13 + 0 >= 5) d++ }
        END { if (d) printf "**Disturbed:** in %d of %d load runs other processes used >= 5%% of a CPU (other_cpu below).\n\n", d, n }' \
        "${load_results[@]}"
    echo "Command: \`Benchmarks/load/bench.sh --reps $reps --duration $duration --bursts $bursts --idle $idle$([ "$latency_load" = 0 ] && echo ' --no-latency' || echo " --latency-load $latency_load")$([ "$latency_only" = 0 ] || echo ' --latency-only')\`."
    [ "$latency_load" = 0 ] || echo "Latency: h2load's per-request log through HdrHistogram; the fixed-load runs are open loop (\`h2load --rps\`) but prone to coordinated omission (Benchmarks/README.md)."
    echo "What each figure means: Benchmarks/README.md. Every run:"
    echo
    echo '```'
    grep -h '^RESULT' "$out"/load-*.out | sed 's/ negotiated=.*//' || true
    grep -h '' "$out/handshakes.tsv" | tail -n +2 | awk -F'\t' '{ printf "HANDSHAKES label=%s round=%s handshakes=%s seconds=%s rate=%s p99_ms=%s\n", $1, $2, $3, $4, $5, $6 }'
    tail -n +2 "$out/resumed.tsv" | awk -F'\t' '{ printf "RESUMED label=%s round=%s connections=%s resumed=%s seconds=%s rate=%s\n", $1, $2, $3, $4, $5, $6 }'
    grep -h '^LATENCY' "$out"/load-*.out || true
    tail -n +2 "$out/idle.tsv" | awk -F'\t' '{ printf "IDLE label=%s round=%s rss_before_kib=%s rss_after_kib=%s per_connection_kib=%s\n", $1, $2, $3, $4, $5 }'
    echo '```'
} > "$result_file"

echo
echo "$table"
echo
echo "bench.sh: written to ${result_file#"$root"/} (raw output in $out)"

if [ "$gateway" = 1 ] && [[ " ${servers[*]} " == *" gatehouse "* ]] && [[ " ${servers[*]} " == *" nginx "* ]]; then
    stop_server
    "$here/gateway.sh" --reps "$reps" --duration "$duration" --tag "$date_tag${GATEHOUSE_BINARY:+-$(basename "$GATEHOUSE_BINARY")}"
    gateway_file="$date_tag${GATEHOUSE_BINARY:+-$(basename "$GATEHOUSE_BINARY")}-gateway.md"
    printf '\nGateway run (client -> proxy -> upstream, against nginx as a reverse proxy): [%s](%s).\n' "$gateway_file" \
        "$gateway_file" >> "$result_file"
fi

if [ "$scaling" = 1 ]; then
    stop_server
    PEER_BINARY=${peer_binary:-} "$here/scaling.sh" --servers "${servers[*]}" --duration "$scaling_duration" \
        --tag "$date_tag${GATEHOUSE_BINARY:+-$(basename "$GATEHOUSE_BINARY")}"
    scaling_file="$date_tag${GATEHOUSE_BINARY:+-$(basename "$GATEHOUSE_BINARY")}-scaling.md"
    printf '\nScaling curve (`--scaling --scaling-duration %s`): [%s](%s).\n' "$scaling_duration" "$scaling_file" \
        "$scaling_file" >> "$result_file"
fi
