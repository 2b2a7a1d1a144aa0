# bench/lib.sh - helpers shared by the benchmark scripts (sourced, not run).
#
# Every server binds 127.0.0.1 on a free port and is stopped on exit; every
# wait is bounded. Results are JSON lines appended to $BENCH_RESULTS, one
# per measured run:
#   {"figure":"convert","case":"cef","run":1,"wall":1.23,"user":1.1,"sys":0.1,
#    "rss_kb":20480,"items":40000,"bytes":235000000, ...}
# and bench/report.py turns them into docs/benchmarks.md. The exact
# commands go to $BENCH_COMMANDS (one "figure<TAB>command" per line), with
# the scratch directory written as $TMP and the binary as build/mdesiem.
set -euo pipefail

: "${MDESIEM:?MDESIEM must name the mdesiem binary}"
: "${BENCH_RESULTS:?BENCH_RESULTS must name the results file}"
: "${BENCH_COMMANDS:=/dev/null}"
: "${BENCH_RUNS:=5}"
BENCH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mds-bench.XXXXXX")
BENCH_PIDS=()
TENANT=00000000-0000-0000-0000-000000000001
CLIENT=11111111-2222-3333-4444-555555555555
SECRET=emulator-secret

bench_cleanup() {
    local p
    for p in "${BENCH_PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
    for p in "${BENCH_PIDS[@]:-}"; do
        [ -n "$p" ] && { timeout 20 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; }
    done
    if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then echo "kept $BENCH_TMP" >&2; else rm -rf "$BENCH_TMP"; fi
}
trap bench_cleanup EXIT

fail() { echo "bench: FAIL: $*" >&2; exit 1; }
say() { echo "bench: $*" >&2; }

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@"; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.05
    done
}

# free_port: a TCP port on 127.0.0.1 nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# note FIGURE COMMAND-TEXT: records a command for the report.
note() {
    local text=${2//$BENCH_TMP/\$TMP}
    text=${text//$MDESIEM/build/mdesiem}
    printf '%s\t%s\n' "$1" "$text" >>"$BENCH_COMMANDS"
}

# start_emulator ARGS...: starts `mdesiem emulate` on a free port; sets
# EMU_URL and EMU_PID.
start_emulator() {
    local portfile="$BENCH_TMP/emu.port.$RANDOM"
    "$MDESIEM" emulate --listen 127.0.0.1:0 --port-file "$portfile" "$@" >"$BENCH_TMP/emulator.log" 2>&1 &
    EMU_PID=$!
    BENCH_PIDS+=("$EMU_PID")
    wait_for 60 test -s "$portfile" || { cat "$BENCH_TMP/emulator.log" >&2; fail "emulator did not start"; }
    EMU_URL="http://127.0.0.1:$(cat "$portfile")"
}

# stop_pid PID: SIGTERM and wait (bounded) for it to go.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || true
    timeout 30 tail --pid="$1" -f /dev/null 2>/dev/null || kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# graph_token: a v2 access token for Graph from the emulator.
graph_token() {
    curl -fsS -X POST "$EMU_URL/$TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
        -d "client_id=$CLIENT" -d "client_secret=$SECRET" \
        --data-urlencode scope=https://graph.microsoft.com/.default | jq -r .access_token
}

# cpu_ticks PID: user+system clock ticks the process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)

# status_kb PID FIELD: VmRSS / VmHWM of a running process, in kB.
status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# timed OUTFILE COMMAND...: runs COMMAND under /usr/bin/time, stdout to
# OUTFILE; sets T_WALL T_USER T_SYS T_RSS (kB) and T_RC.
timed() {
    local out=$1; shift
    local tf="$BENCH_TMP/time.$RANDOM"
    T_RC=0
    /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$out" 2>"$tf.err" || T_RC=$?
    read -r T_WALL T_USER T_SYS T_RSS < <(tail -n 1 "$tf")
    if [ "$T_RC" -ne 0 ]; then
        echo "bench: '$*' exited $T_RC:" >&2
        tail -n 5 "$tf.err" >&2
    fi
    rm -f "$tf" "$tf.err"
}

# result KEY=VALUE...: appends one JSON line to $BENCH_RESULTS (numbers
# stay numbers, everything else becomes a string).
result() {
    python3 - "$@" >>"$BENCH_RESULTS" <<'PY'
import json, sys
row = {}
for kv in sys.argv[1:]:
    k, _, v = kv.partition("=")
    try:
        row[k] = int(v)
    except ValueError:
        try:
            row[k] = float(v)
        except ValueError:
            row[k] = v
print(json.dumps(row))
PY
}

# graph_config FILE NAME STATE OUTPUT_SECTIONS SOURCE_EXTRA...: a [service]
# with one graph source per SOURCE_EXTRA argument (named NAME, NAME-2, ...)
# against the emulator, routed to the [output] sections given as INI text.
graph_config() {
    local file=$1 name=$2 state=$3 outputs=$4
    shift 4
    local routes i=0 extra
    routes=$(printf '%s\n' "$outputs" | sed -n 's/^\[output \(.*\)\]$/\1/p' | paste -sd, -)
    printf '%s\n' "$SECRET" >"$BENCH_TMP/secret"
    chmod 600 "$BENCH_TMP/secret"
    {
        printf '[service]\nstate = %s\nlog_level = %s\n%s\n' "$state" "${BENCH_LOG_LEVEL:-info}" \
            "${BENCH_SERVICE_EXTRA:-}"
        for extra in "$@"; do
            i=$((i + 1))
            local sname=$name
            [ $i -gt 1 ] && sname="$name-$i"
            cat <<CONF

[source $sname]
type = graph
tenant_id = $TENANT
client_id = $CLIENT
client_secret_file = $BENCH_TMP/secret
auth_url = $EMU_URL/$TENANT/oauth2/v2.0/token
api_url = $EMU_URL
eps_throttle = 0
outputs = $routes
$extra
CONF
        done
        printf '\n%s\n' "$outputs"
    } >"$file"
}
