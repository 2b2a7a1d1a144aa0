#!/usr/bin/env bash
# Runs every libFuzzer target: first over its committed corpus (regressions:
# every crash ever found is kept there), then fuzzing for SECONDS.
set -euo pipefail
dir=$1 seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$dir"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin"); name=${name#fuzz_}
    corpus="$root/tests/fuzz/corpus/$name"
    work="$dir/corpus-$name"
    mkdir -p "$work" "$corpus"
    if ! "$bin" -runs=0 "$corpus" >"$dir/$name.replay.log" 2>&1; then
        echo "fuzz $name: a committed corpus input fails; see $dir/$name.replay.log"; status=1; continue
    fi
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$dir/crash-$name-" \
        "$work" "$corpus" >"$dir/$name.log" 2>&1; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$dir/$name.log" | tail -1)
        echo "fuzz $name: ${runs:-?} runs in ${seconds}s, no crash"
    else
        echo "fuzz $name: CRASH, see $dir/$name.log and $dir/crash-$name-*"; status=1
    fi
done
exit $status
