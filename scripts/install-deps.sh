#!/usr/bin/env bash
# Installs the system packages Gatehouse builds and tests with, only when they are missing.
#   scripts/install-deps.sh          build needs: pkg-config, libssl-dev, libnghttp2-dev
#   scripts/install-deps.sh --test   also what the tests run: curl (with HTTP/2), the openssl command and
#                                    systemd-analyze (deploy/systemd's unit is verified with it)
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists openssl || missing+=(libssl-dev)
    pkg-config --exists libnghttp2 || missing+=(libnghttp2-dev)
else
    missing+=(libssl-dev libnghttp2-dev)
fi
if [[ "${1:-}" == "--test" ]]; then
    if ! command -v curl >/dev/null 2>&1 || ! curl --version | grep -q HTTP2; then missing+=(curl); fi
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "gatehouse: installing missing system packages: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "gatehouse: run as root or install them yourself: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
