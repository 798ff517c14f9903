#!/usr/bin/env bash
# Builds the libFuzzer driver and runs fuzz targets, merging new inputs into the committed corpora (minimized).
#   Fuzz/run.sh [target|all] [seconds]      (FUZZ_SECONDS, default 60; FUZZ_TARGETS for several)
# Targets: http1 http1-differential http1-response configuration distinguished-name certificates (Fuzz/README.md).
# One fuzzer at a time, in one process (libFuzzer's default; -jobs would fork and log to fuzz-N.log).
# Crashes are written to Fuzz/Findings/<target>/.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${1:-all}"
seconds="${2:-${FUZZ_SECONDS:-60}}"
scratch="$root/.build/fuzz"
runtime="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/clang"
runtime="$(ls -d "$runtime"/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -n 1)"

# Instrumentation as -sanitize=fuzzer gives it, but linked against libFuzzer without its main: SwiftPM sets every
# executable's main to the module's entry symbol, which starts libFuzzer through LLVMFuzzerRunDriver.
GATEHOUSE_FUZZ=1 swift build --product GatehouseFuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=address \
    -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xswiftc -parse-as-library \
    -Xlinker "$runtime" -Xlinker -lstdc++ 2>&1 | grep -v "Cannot export local symbol" >&2 || true
binary="$scratch/debug/GatehouseFuzz"
[ -x "$binary" ] || { echo "build failed" >&2; exit 1; }

# Longest input per target: a few requests; a configuration file; a long name; a certificate bundle.
max_len() {
    case "$1" in
        http1|http1-differential|http1-response) echo 2048 ;;
        configuration) echo 4096 ;;
        distinguished-name) echo 512 ;;
        certificates) echo 8192 ;;
    esac
}

# Replaces the corpus's top-level files with the smallest set of them and of $2's that keeps every feature
# (-set_cover_merge); regressions/ is left as it is.
minimize() {
    local name="$1" extra="$2" corpus="$root/Fuzz/Corpus/$1" current minimal
    current="$(mktemp -d)"
    minimal="$(mktemp -d)"
    find "$corpus" -maxdepth 1 -type f -exec cp {} "$current/" \;
    FUZZ_TARGET="$name" "$binary" -set_cover_merge=1 -max_len="$(max_len "$name")" "$minimal" "$current" $extra \
        2>&1 | grep -E "MERGE-OUTER: .* new files" >&2 || true
    if [ -n "$(ls -A "$minimal")" ]; then
        find "$corpus" -maxdepth 1 -type f -delete
        cp "$minimal"/* "$corpus/"
    fi
    rm -rf "$current" "$minimal"
}

run_target() {
    local name="$1" corpus="$root/Fuzz/Corpus/$1" work findings log
    work="$(mktemp -d)"
    log="$scratch/logs/$name.log"
    mkdir -p "$scratch/logs"
    findings="$root/Fuzz/Findings/$name"
    mkdir -p "$findings"
    echo "== $name: ${seconds}s" >&2
    # New inputs go to a scratch folder first; the corpus then keeps only what adds coverage.
    FUZZ_TARGET="$name" SWIFT_BACKTRACE=enable=no "$binary" "$work" "$corpus" \
        -max_len="$(max_len "$name")" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1 || true
    grep -E "^#[0-9]+.*DONE|^stat::(number_of_executed_units|peak_rss)|ERROR|SUMMARY|Test unit written" "$log" >&2 || true
    minimize "$name" "$work"
    rm -rf "$work"
    echo "   full log: $log" >&2
    rmdir "$findings" 2>/dev/null || true
}

if [ "$target" = all ]; then
    for name in ${FUZZ_TARGETS:-http1 http1-differential http1-response configuration distinguished-name certificates}; do
        run_target "$name"
    done
else
    run_target "$target"
fi
