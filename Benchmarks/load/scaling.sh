#!/usr/bin/env bash
# scaling.sh - throughput and latency against the number of concurrent connections: the scaling curve.
#
#   Benchmarks/load/scaling.sh [--servers "gatehouse nginx hummingbird"] [--connections "1 10 100 1000"]
#                              [--duration 5] [--h2-streams 1] [--tag YYYY-MM-DD-HHMM] [--port 8443]
#
# For each server (pinned to CPU 0, one fresh process per server), each mode (HTTP/1.1 keep-alive, HTTP/2) and each
# connection count: a closed-loop h2load run from CPU 1 under the shim (latency.sh), --duration seconds after a
# warm-up of 2 s + 1 s per 75 connections: every connection's full mutual-TLS handshake must be done before the
# measurement ends (h2load 1.52 hangs at the end of a -D run when some of its clients are still handshaking; the
# run then fails at its timeout), which needs 75 handshakes/s at least, well below any server's rate here.
# HTTP/1.1 has one request in flight per connection; HTTP/2 has --h2-streams (default 1, so that both modes have
# as many requests in flight as connections). Reports req/s and p50/p99/p99.9 (HdrHistogram over h2load's
# per-request log). Every failed or non-2xx request fails the run (exit 1).
# Writes Benchmarks/results/TAG-scaling.md (a Markdown table) and TAG-scaling.png (gnuplot: req/s and p99 against
# connections, log scales), and copies both to scaling-latest.md/.png, which the README links. bench.sh --scaling
# runs it after its rounds with the same servers and tag. The servers listen on --port (nginx), --port + 1
# (gatehouse) and --port + 2 (hummingbird), so that two runs on one machine can use ports of their own.
# GATEHOUSE_BINARY works as in bench.sh; PEER_BINARY names an already built Hummingbird peer (bench.sh passes its own).
set -euo pipefail
shopt -s inherit_errexit

servers=(gatehouse nginx hummingbird)
connections=(1 10 100 1000)
duration=5 streams=1 tag=$(date +%Y-%m-%d-%H%M) base_port=8443
while [ $# -gt 0 ]; do
    case "$1" in
        --servers) read -r -a servers <<< "$2"; shift ;;
        --connections) read -r -a connections <<< "$2"; shift ;;
        --duration) duration=$2; shift ;;
        --h2-streams) streams=$2; shift ;;
        --tag) tag=$2; shift ;;
        --port) base_port=$2; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "scaling.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

setup_tools="gnuplot:gnuplot-nox"  # the plot; setup.sh installs it with the rest
# shellcheck source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
here="$root/Benchmarks/load"

max_conns=0
for c in "${connections[@]}"; do [ "$c" -gt "$max_conns" ] && max_conns=$c; done
want_files=$((max_conns * 2 + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want_files" ]; then ulimit -Hn "$want_files" || true; fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n "$want_files"

build_peer_if_named "${servers[@]}"

out="$work/scaling-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
port_of() { case "$1" in nginx) echo "$base_port" ;; gatehouse) echo $((base_port + 1)) ;; hummingbird) echo $((base_port + 2)) ;; esac; }
url_of() { echo "https://127.0.0.1:$(port_of "$1")/api/hello?name=bench"; }

# shellcheck source=servers.sh
source "$here/servers.sh"
# shellcheck source=latency.sh
source "$here/latency.sh"
build_percentiles
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

started=$(date +%s)
printf 'server\tmode\tconnections\trate\tp50_ms\tp99_ms\tp999_ms\n' > "$out/scaling.tsv"
echo "scaling.sh: ${servers[*]}; connections ${connections[*]}; ${duration}s a point; raw output in $out" >&2
for name in "${servers[@]}"; do
    start_server "$name" "$(port_of "$name")"
    for mode in h1 h2; do
        for c in "${connections[@]}"; do
            line=$(latency_run "$name" "$mode" "$c" "$streams" "$duration" $((2 + c / 75)) 0 "$out/$name-$mode-$c.log") ||
                exit 1
            echo "SCALING label=$name mode=$mode connections=$c $line"
            awk -v s="$name" -v m="$mode" -v c="$c" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s, m, c, v["rate"], v["p50_ms"], v["p99_ms"], v["p999_ms"] }' \
                <<< "$line" >> "$out/scaling.tsv"
        done
    done
    stop_server
done
elapsed=$(($(date +%s) - started))

results="$root/Benchmarks/results"
mkdir -p "$results"
table_file="$results/$tag-scaling.md" plot_file="$results/$tag-scaling.png"
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
# One row per server, mode and connection count, with req/s and p99 as ratios to nginx's at the same point.
table=$(awk -F'\t' 'NR == FNR { if (FNR > 1 && $1 == "nginx") { rate[$2, $3] = $4; p99[$2, $3] = $6 }; next }
    FNR > 1 {
        printf "| %s | %s | %s | %.0f | %.2f | %.2f | %.2f | %s | %s |\n", $1, ($2 == "h1") ? "HTTP/1.1" : "HTTP/2", $3, $4,
            $5, $6, $7, (rate[$2, $3] > 0) ? sprintf("%.2f", $4 / rate[$2, $3]) : "-",
            (p99[$2, $3] > 0) ? sprintf("%.2f", $6 / p99[$2, $3]) : "-" }' "$out/scaling.tsv" "$out/scaling.tsv")
header="| server | mode | connections | req/s | p50 ms | p99 ms | p99.9 ms | req/s / nginx | p99 / nginx |"
{
    echo "# Scaling curve, $(date '+%Y-%m-%d %H:%M %Z')"
    echo
    echo "Machine: $(nproc) CPUs, $cpu_model, Linux $(uname -r). Servers pinned to CPU 0, h2load to CPU 1. TLS 1.3,"
    echo "client certificates required. Closed loop: each connection sends its next request when the previous answer"
    echo "arrived (HTTP/2: $streams stream(s) per connection); ${duration} s a point after the warm-up."
    echo "Commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo -)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')."
    [ -z "${GATEHOUSE_BINARY:-}" ] || echo "Gatehouse binary: $GATEHOUSE_BINARY (GATEHOUSE_BINARY, not this commit's build)."
    echo
    echo "![req/s and p99 against connections]($(basename "$plot_file"))"
    echo
    echo "$header"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    echo "$table"
    echo
    echo "Command: \`Benchmarks/load/scaling.sh --connections \"${connections[*]}\" --duration $duration --h2-streams $streams\` ($elapsed s)."
    echo "What the figures mean: Benchmarks/README.md."
} > "$table_file"

# One data block per server and mode for gnuplot: connections, req/s, p99.
: > "$out/plot.dat"
for name in "${servers[@]}"; do
    for mode in h1 h2; do
        awk -F'\t' -v s="$name" -v m="$mode" 'NR > 1 && $1 == s && $2 == m { print $3, $4, $6 }' "$out/scaling.tsv" >> "$out/plot.dat"
        printf '\n\n' >> "$out/plot.dat"
    done
done
plots_rate="" plots_p99="" index=0 color=0
for name in "${servers[@]}"; do
    color=$((color + 1))
    for mode in h1 h2; do
        title="$name $([ "$mode" = h1 ] && echo HTTP/1.1 || echo HTTP/2)"
        dash=$([ "$mode" = h1 ] && echo 1 || echo 2)
        plots_rate+="${plots_rate:+, }'$out/plot.dat' index $index using 1:2 with linespoints dashtype $dash linecolor $color title '$title'"
        plots_p99+="${plots_p99:+, }'$out/plot.dat' index $index using 1:3 with linespoints dashtype $dash linecolor $color title '$title'"
        index=$((index + 1))
    done
done
gnuplot <<GNUPLOT
set terminal pngcairo size 1200,500 font ",10"
set output '$plot_file'
set multiplot layout 1,2 title "Gatehouse scaling curve, $tag (mutual TLS, TLS 1.3, server on one CPU)"
set logscale x
set xlabel "concurrent connections"
set grid
set key top left
set ylabel "req/s"
set yrange [0:*]
plot $plots_rate
set logscale y
set yrange [*:*]
set ylabel "p99 latency ms"
plot $plots_p99
unset multiplot
GNUPLOT
cp "$table_file" "$results/scaling-latest.md"
sed -i "s|($(basename "$plot_file"))|(scaling-latest.png)|" "$results/scaling-latest.md"
cp "$plot_file" "$results/scaling-latest.png"

echo
echo "$header"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
echo "$table"
echo
echo "scaling.sh: ${elapsed} s; written to ${table_file#"$root"/} and ${plot_file#"$root"/} (raw output in $out)"
