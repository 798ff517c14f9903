#!/usr/bin/env bash
# Gatehouse against the nginx baseline of ../shared/bench, in one run, on the same PKI and CPUs.
#
#   Benchmarks/load/compare-nginx.sh [mtls-load.sh options, e.g. --tls 1.3 --reps 3 --duration 10]
#
# Builds the shim and a throwaway PKI under .build/bench (../shared is read-only in CI), lays the PKI out as
# Gatehouse's development PKI folder, builds `gatehouse` in release mode (all in setup.sh, shared with
# bench.sh) and runs mtls-compare.sh: nginx first, then `gatehouse serve` (pinned to CPU 0, load on CPU 1).
# MODES (default "h1 h2") picks the modes. `make bench` (bench.sh) adds the Hummingbird peer and more figures.
set -euo pipefail

# shellcheck source=setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
port=${PORT:-8444}

read -r -a modes <<< "${MODES:-h1 h2}"
"$bench/mtls-compare.sh" --pki "$pki" --url "https://127.0.0.1:$port/api/hello?name=bench" \
    --label gatehouse --modes "${modes[*]}" --out "${OUT:-$work/results-$(date +%Y%m%d-%H%M%S)}" \
    --cmd "$gatehouse_binary serve --port $port --pki-directory $gatehouse_pki --log-level warning" -- "$@"
