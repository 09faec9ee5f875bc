#!/usr/bin/env bash
# Runs one fuzz target for a fixed number of executions.
#   fuzz/run.sh [TARGET] [RUNS] [extra libFuzzer flags...]
# TARGET is decoder (default), decode_frame, sparkplug or protobuf_raw; RUNS defaults to 10000000.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); the stable toolchain runs it with RUSTC_BOOTSTRAP=1.
set -euo pipefail
cd "$(dirname "$0")"
target="${1:-decoder}"
runs="${2:-10000000}"
shift $(( $# > 2 ? 2 : $# ))
mkdir -p "corpus/$target" "artifacts/$target"
# Seed the corpus with the byte vectors of the unit tests when it is empty.
if [ -z "$(ls -A "corpus/$target")" ] && [ -d seeds ]; then cp seeds/* "corpus/$target/"; fi
export RUSTC_BOOTSTRAP=1
start=$(date +%s)
cargo fuzz run --sanitizer none --debug-assertions "$target" "corpus/$target" -- \
    -runs="$runs" -max_len=4096 -artifact_prefix="artifacts/$target/" -print_final_stats=1 "$@"
echo "fuzz/run.sh: $target: $runs runs in $(( $(date +%s) - start ))s"
