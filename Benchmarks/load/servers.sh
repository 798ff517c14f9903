# Sourced by bench.sh and cpu-per-request.sh after setup.sh: starting and stopping one server under test.
#
# Needs pki, gatehouse_pki, gatehouse_binary and bench (setup.sh), peer_binary for the Hummingbird peer, and out,
# the run's directory (server logs, nginx's run directory).

server_pid=
started_pid=

stop_server() {  # stops whichever server runs; a no-op when none does
    "$bench/nginx-baseline.sh" stop --dir "$out/nginx" >/dev/null 2>&1 || true
    if [ -n "$started_pid" ] && kill -0 "$started_pid" 2>/dev/null; then
        kill -TERM "$started_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$started_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$started_pid" 2>/dev/null || true
        wait "$started_pid" 2>/dev/null || true
    fi
    started_pid= server_pid=
}

start_server() {  # NAME PORT: starts it on CPU 0 and waits until it answers; sets server_pid (nginx: its master)
    local name=$1 port=$2 url="https://127.0.0.1:$2/api/hello?name=bench"
    case "$name" in
        nginx)
            "$bench/nginx-baseline.sh" start "$pki" --cpu 0 --port "$port" --dir "$out/nginx" >/dev/null
            server_pid=$("$bench/nginx-baseline.sh" pid --dir "$out/nginx") ;;
        gatehouse)
            # GATEHOUSE_CONFIG serves that file (its first listener moved to the port) instead of the embedded
            # default: Benchmarks/load/observe/{nothing,metrics,access-log,both}.yaml are the default as a file with
            # request metrics and/or the access log on (they name ${BENCH_PKI} and ${BENCH_OUT}).
            local source=(--pki-directory "$gatehouse_pki")
            [ -z "${GATEHOUSE_CONFIG:-}" ] || source=(--config "$GATEHOUSE_CONFIG")
            BENCH_PKI=$gatehouse_pki BENCH_OUT=$out taskset -c 0 "$gatehouse_binary" serve --port "$port" \
                "${source[@]}" --log-level warning >> "$out/gatehouse.log" 2>&1 &
            started_pid=$! server_pid=$! ;;
        hummingbird)
            taskset -c 0 "$peer_binary" --port "$port" --cert "$pki/server-chain.pem" --key "$pki/server.key" \
                --client-ca "$pki/ca-bundle.pem" --log-level warning >> "$out/hummingbird.log" 2>&1 &
            started_pid=$! server_pid=$! ;;
        *) echo "$(basename "$0"): unknown server $name" >&2; exit 2 ;;
    esac
    for _ in $(seq 240); do
        kill -0 "$server_pid" 2>/dev/null ||
            { echo "$(basename "$0"): $name exited during start-up (logs in $out)" >&2; exit 1; }
        if curl -sfk -o /dev/null --max-time 2 --cert "$pki/client-chain.pem" --key "$pki/client.key" "$url"; then
            # Settled: `gatehouse serve` gives its start-up pages back 1 s after it starts listening, and a load's
            # peak RSS is measured from the settled server.
            sleep 2
            return 0
        fi
        sleep 0.25
    done
    echo "$(basename "$0"): $name did not answer $url within 60 s" >&2
    exit 1
}
