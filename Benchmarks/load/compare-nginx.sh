#!/usr/bin/env bash
# Gatehouse against the nginx baseline of ../shared/bench, in one run, on the same PKI and CPUs.
#
#   Benchmarks/load/compare-nginx.sh [mtls-load.sh options, e.g. --tls 1.3 --reps 3 --duration 10]
#
# Builds the shim and a throwaway PKI under .build/bench (../shared is read-only in CI), lays the PKI out as
# Gatehouse's development PKI folder, builds `gatehouse` in release mode and runs mtls-compare.sh: nginx first,
# then `gatehouse serve` (pinned to CPU 0, load on CPU 1). MODES (default "h1 h2") picks the modes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=${BENCH_DIR:-$root/../shared/bench}
work=${WORK_DIR:-$root/.build/bench}
port=${PORT:-8444}
mkdir -p "$work"

command -v nginx >/dev/null && command -v wrk >/dev/null && command -v h2load >/dev/null || {
    echo "compare-nginx.sh: installing nginx, wrk, nghttp2-client" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk nghttp2-client >/dev/null
}
make -s -C "$bench" BUILD="$work/shim"
export MTLS_SHIM="$work/shim/libmtls-preload.so"
[ -r "$work/pki/root-ca.pem" ] || "$bench/make-pki.sh" "$work/pki" >/dev/null

# The same certificates as nginx: the server sends server-chain.pem and trusts ca-bundle.pem for clients.
pki="$work/gatehouse-pki"
mkdir -p "$pki"
cp "$work/pki/ca-bundle.pem" "$pki/ca.crt"
cp "$work/pki/intermediate-ca.key" "$pki/ca.key"
cp "$work/pki/server-chain.pem" "$pki/server.crt"
cp "$work/pki/server.key" "$pki/server.key"
cp "$work/pki/client-chain.pem" "$pki/client.crt"
cp "$work/pki/client.key" "$pki/client.key"
cp "$work/pki/client.pfx" "$pki/client.pfx"
printf 'bench\n' > "$pki/client.pfx.password"
chmod 600 "$pki"/*.key "$pki/client.pfx.password"

(cd "$root" && swift build -c release --product gatehouse >/dev/null)
binary="$(cd "$root" && swift build -c release --show-bin-path)/gatehouse"

read -r -a modes <<< "${MODES:-h1 h2}"
"$bench/mtls-compare.sh" --pki "$work/pki" --url "https://127.0.0.1:$port/api/hello?name=bench" \
    --label gatehouse --modes "${modes[*]}" --out "${OUT:-$work/results-$(date +%Y%m%d-%H%M%S)}" \
    --cmd "$binary serve --port $port --pki-directory $pki --log-level warning" -- "$@"
