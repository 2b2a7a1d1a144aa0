#!/usr/bin/env bash
# bench/run.sh - runs every benchmark and rewrites docs/benchmarks.md.
#
# usage: bench/run.sh [MDESIEM]        (make bench builds first, then runs this)
#
# Environment:
#   BENCH_RUNS=5          runs per figure (the report shows median, min, max)
#   BENCH_ONLY=a,b        only these figures: convert pull stream syslog memory emulator
#   BENCH_OUT=FILE        report path (default docs/benchmarks.md)
#   BENCH_KEEP_TMP=1      keep the scratch directories
# Each figure's script can also be run on its own with MDESIEM and
# BENCH_RESULTS set (see bench/lib.sh). A figure that fails is reported as
# such; the others still run. Goals are reported, never enforced.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
MDESIEM=$(realpath "${1:-${MDESIEM:-$ROOT/build/mdesiem}}")
export MDESIEM
export BENCH_RUNS=${BENCH_RUNS:-5}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks.md}
FIGURES=${BENCH_ONLY:-convert,pull,stream,syslog,memory,emulator}

[ -x "$MDESIEM" ] || { echo "bench: no mdesiem binary at $MDESIEM (make build)" >&2; exit 1; }
for tool in jq curl rsyslogd taskset python3 openssl; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (make deps)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mds-bench-run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export BENCH_RESULTS="$WORK/results.jsonl" BENCH_COMMANDS="$WORK/commands.tsv"
: >"$BENCH_RESULTS"
: >"$BENCH_COMMANDS"
STREAM_OUT="$WORK/stream.out"
: >"$STREAM_OUT"
START=$SECONDS
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
FAILED=()

wanted() { [[ ",$FIGURES," == *",$1,"* ]]; }

for fig in convert pull stream syslog memory emulator; do
    wanted "$fig" || continue
    echo "bench: === $fig ===" >&2
    t0=$SECONDS
    if [ "$fig" = stream ]; then
        # Hook for the Streaming API figure: bench/stream.sh comes with the
        # eventhub source. It runs with the same environment (MDESIEM,
        # BENCH_RUNS, BENCH_RESULTS, BENCH_COMMANDS; bench/lib.sh may be
        # sourced); rows it appends with figure=stream (items, wall, and
        # optionally label, rss_kb) are tabulated, and its stdout is
        # quoted in the report as is.
        if [ ! -f "$ROOT/src/sources/eventhub.c" ]; then
            printf '{"figure":"stream-skipped","reason":"%s"}\n' \
                "this tree has no eventhub source (src/sources/eventhub.c): the streaming figure is measured once that branch is merged, by bench/stream.sh through the hook in bench/run.sh." \
                >>"$BENCH_RESULTS"
            continue
        fi
        if [ ! -f "$HERE/stream.sh" ]; then
            printf '{"figure":"stream-skipped","reason":"%s"}\n' \
                "src/sources/eventhub.c is present but bench/stream.sh is not: add it (see the hook in bench/run.sh)." \
                >>"$BENCH_RESULTS"
            continue
        fi
        bash "$HERE/stream.sh" >"$STREAM_OUT" || FAILED+=("stream")
    else
        bash "$HERE/$fig.sh" || FAILED+=("$fig")
    fi
    echo "bench: $fig took $((SECONDS - t0)) s" >&2
done

ELAPSED=$((SECONDS - START))
python3 - "$WORK/meta.json" "$MDESIEM" "$ROOT" "$LOADAVG" "$ELAPSED" "$STREAM_OUT" "${FAILED[*]:-}" <<'PY'
import json, os, platform, re, subprocess, sys, datetime
out, binary, root, loadavg, elapsed, stream_out, failed = sys.argv[1:8]
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=root).stdout.strip()
    except OSError:
        return ""
cpu = "?"
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
mem = sh("awk '/MemTotal/ {printf \"%.1f GB\", $2 / 1048576}' /proc/meminfo")
osname = sh(". /etc/os-release && echo \"$PRETTY_NAME\"")
cache = os.path.join(os.path.dirname(binary), "CMakeCache.txt")
build_type = compiler = ""
if os.path.exists(cache):
    for line in open(cache):
        if line.startswith("CMAKE_BUILD_TYPE:"):
            build_type = line.split("=", 1)[1].strip()
        if line.startswith("CMAKE_C_COMPILER:"):
            compiler = line.split("=", 1)[1].strip()
if compiler:
    compiler = sh(f"{compiler} --version | head -1")
tools = "; ".join(x for x in [
    sh("jq --version"),
    "rsyslog " + sh("rsyslogd -v | head -1 | awk '{print $2}'"),
    sh("curl --version | head -1 | awk '{print $1, $2}'"),
    "SQLite " + sh("python3 -c 'import sqlite3; print(sqlite3.sqlite_version)'"),
    sh("cat --version | head -1"),
] if x.strip())
elapsed = int(elapsed)
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    "cpu_model": cpu,
    "cores": os.cpu_count(),
    "memory": mem,
    "kernel": platform.release(),
    "os": osname,
    "commit": sh("git describe --always --dirty --abbrev=12"),
    "build_type": build_type,
    "compiler": compiler,
    "tools": tools,
    "loadavg": loadavg,
    "elapsed": f"{elapsed // 60} min {elapsed % 60} s",
    "runs": int(os.environ.get("BENCH_RUNS", "5")),
    "stream_output": open(stream_out).read() if os.path.exists(stream_out) else "",
    "failed": failed.split(),
}
json.dump(meta, open(out, "w"))
PY
if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then cp -r "$WORK" "$WORK.kept" && echo "bench: results kept in $WORK.kept" >&2; fi
python3 "$HERE/report.py" "$BENCH_RESULTS" "$BENCH_COMMANDS" "$WORK/meta.json" "$OUT"
echo "bench: wrote $OUT in $((SECONDS - START)) s${FAILED[*]:+ (failed: ${FAILED[*]})}" >&2
