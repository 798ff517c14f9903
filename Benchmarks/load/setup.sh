# Sourced by compare-nginx.sh and bench.sh: the common preparation of a load comparison.
#
# Sets root, bench (../shared/bench), work (.build/bench), pki (make-pki.sh output), gatehouse_pki (the same
# certificates laid out as Gatehouse's development PKI folder) and gatehouse_binary; exports MTLS_SHIM.
# Installs nginx, wrk and nghttp2-client from apt when one is missing (saying so), builds the shim under
# $work/shim (../shared is read-only in CI), makes the PKI once, and builds `gatehouse` in release mode.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=${BENCH_DIR:-$root/../shared/bench}
work=${WORK_DIR:-$root/.build/bench}
mkdir -p "$work"

setup_missing=()
# A script may name more tools in setup_tools ("command:debian-package ...") before sourcing this file.
for tool in nginx:nginx wrk:wrk h2load:nghttp2-client curl:curl taskset:util-linux ${setup_tools:-}; do
    command -v "${tool%%:*}" >/dev/null || setup_missing+=("${tool#*:}")
done
if [ ${#setup_missing[@]} -gt 0 ]; then
    echo "$(basename "$0"): installing ${setup_missing[*]} with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${setup_missing[@]}" >/dev/null
fi
make -s -C "$bench" BUILD="$work/shim"
export MTLS_SHIM="$work/shim/libmtls-preload.so"
pki="$work/pki"
[ -r "$pki/root-ca.pem" ] || "$bench/make-pki.sh" "$pki" >/dev/null

# The same certificates as nginx: the server sends server-chain.pem and trusts ca-bundle.pem for clients.
gatehouse_pki="$work/gatehouse-pki"
mkdir -p "$gatehouse_pki"
cp "$pki/ca-bundle.pem" "$gatehouse_pki/ca.crt"
cp "$pki/intermediate-ca.key" "$gatehouse_pki/ca.key"
cp "$pki/server-chain.pem" "$gatehouse_pki/server.crt"
cp "$pki/server.key" "$gatehouse_pki/server.key"
cp "$pki/client-chain.pem" "$gatehouse_pki/client.crt"
cp "$pki/client.key" "$gatehouse_pki/client.key"
cp "$pki/client.pfx" "$gatehouse_pki/client.pfx"
printf 'bench\n' > "$gatehouse_pki/client.pfx.password"
chmod 600 "$gatehouse_pki"/*.key "$gatehouse_pki/client.pfx.password"

# Built as deployed: release, with the Swift runtime and Foundation linked statically (what Vapor's and
# Hummingbird's Dockerfile templates do). The dynamic build maps ~9 MiB more of shared libraries at start.
# GATEHOUSE_BINARY names an already built binary instead (another commit's build, to compare two in one session).
if [ -n "${GATEHOUSE_BINARY:-}" ]; then
    [ -x "$GATEHOUSE_BINARY" ] || { echo "$(basename "$0"): GATEHOUSE_BINARY=$GATEHOUSE_BINARY is not executable" >&2; exit 1; }
    gatehouse_binary=$GATEHOUSE_BINARY
else
    echo "$(basename "$0"): building gatehouse (release, static Swift stdlib)" >&2
    (cd "$root" && swift build -c release --static-swift-stdlib --product gatehouse >/dev/null)
    gatehouse_binary="$(cd "$root" && swift build -c release --show-bin-path)/gatehouse"
fi

# Sets peer_binary when the servers named ($@) include hummingbird: PEER_BINARY when given, else the Hummingbird
# peer built in release mode with the static Swift stdlib, like gatehouse.
build_peer_if_named() {
    peer_binary=${PEER_BINARY:-}
    [ -z "$peer_binary" ] && [[ " $* " == *" hummingbird "* ]] || return 0
    echo "$(basename "$0"): building the Hummingbird peer (release, static Swift stdlib like gatehouse)" >&2
    (cd "$root" && swift build -c release --static-swift-stdlib --package-path Benchmarks --product HummingbirdPeer >/dev/null)
    peer_binary="$(cd "$root" && swift build -c release --package-path Benchmarks --show-bin-path)/HummingbirdPeer"
}
