# Sourced by bench.sh and scaling.sh after setup.sh and servers.sh: latency percentiles from h2load's per-request log.
#
# h2load (under the shim, on CPU 1) writes one line per request with its send time and duration; `percentiles`
# (Benchmarks/Percentiles, HdrHistogram) turns the log into p50/p99/p99.9. Two kinds of run:
#   closed loop (peak): every connection sends its next request as soon as the previous answer arrived (HTTP/1.1)
#     or keeps its streams full (HTTP/2): the percentiles at the highest rate the server sustains;
#   open loop (fixed offered load): `h2load --rps`, each connection sends RATE / CONNECTIONS requests a second on a
#     timer. h2load times a request from when it is sent, so a request that waits for a free connection (HTTP/1.1)
#     or stream is timed without its wait: the percentiles are prone to coordinated omission. The achieved rate is
#     compared with the offered one to show when the client fell behind.
# Needs pki, work, root, MTLS_SHIM (setup.sh) and url_of (bench.sh or scaling.sh).

percentiles_binary=

build_percentiles() {  # builds Benchmarks/Percentiles once (release; seconds when up to date)
    [ -n "$percentiles_binary" ] && return 0
    echo "$(basename "$0"): building Benchmarks/Percentiles (HdrHistogram)" >&2
    swift build -c release --package-path "$root/Benchmarks/Percentiles" >/dev/null
    percentiles_binary="$(swift build -c release --package-path "$root/Benchmarks/Percentiles" --show-bin-path)/Percentiles"
}

# latency_run NAME MODE(h1|h2) CONNECTIONS STREAMS SECONDS WARMUP RATE(0 = closed loop) LOG
# Prints the percentiles' key=value line, with offered=RATE; fails the run (exit 1) on any failed or non-2xx request.
latency_run() {
    local name=$1 mode=$2 conns=$3 streams=$4 secs=$5 warmup=$6 rate=$7 logf=$8 reqlog="$8.requests.tsv" args=() line rc=0
    local hung=""
    [ "$mode" = h1 ] && args+=(--h1)
    [ "$rate" = 0 ] || args+=(--rps="$(awk -v r="$rate" -v c="$conns" 'BEGIN { printf "%.3f", r / c }')")
    env LD_PRELOAD="$MTLS_SHIM" MTLS_CERT="$pki/client-chain.pem" MTLS_KEY="$pki/client.key" MTLS_TLS=1.3 \
        MTLS_STATS=1 timeout -k 5 $((secs + warmup + 30)) taskset -c 1 \
        h2load "${args[@]}" -t1 -c "$conns" -m "$streams" -D "$secs" --warm-up-time="$warmup" \
        --log-file="$reqlog" "$(url_of "$name")" > "$logf" 2>&1 || rc=$?
    # h2load 1.52 sometimes never exits after a -D run in which many connections were still handshaking when the
    # warm-up ended (seen at 1,000 connections on a loaded machine): it has stopped its clients and written every
    # measured request to the log (one write per line), so the log is used and the run is flagged; the answers'
    # 2xx statuses (which the servers give only to a client certificate) stand in for the shim's statistics.
    if { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && grep -q '^Stopped all clients' "$logf"; then
        echo "WARN $(basename "$0"): $name $mode $conns connections: h2load did not exit after its run; killed (see $logf)" >&2
        hung=" h2load_killed=1"
    else
        [ "$rc" = 0 ] || { echo "FAIL $(basename "$0"): $name $mode: h2load exited with status $rc (see $logf)" >&2; exit 1; }
        grep -q 'mtls-preload: stats' "$logf" ||
            { echo "FAIL $(basename "$0"): $name $mode: the shim's statistics are missing (see $logf)" >&2; exit 1; }
    fi
    line=$("$percentiles_binary" "$reqlog") ||
        { echo "FAIL $(basename "$0"): $name $mode: no answered request (see $logf)" >&2; exit 1; }
    rm -f "$reqlog"
    case " $line " in
        *" failed=0 non2xx=0 "*) ;;
        *) echo "FAIL $(basename "$0"): $name $mode: $line (see $logf)" >&2; exit 1 ;;
    esac
    echo "$line offered=$rate$hung"
}
