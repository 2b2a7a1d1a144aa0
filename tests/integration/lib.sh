# Shared helpers for integration tests (sourced, not run).
# Every server binds 127.0.0.1 on a free port, every wait is bounded, and
# everything started is stopped on exit.
set -euo pipefail

: "${MDESIEM:?MDESIEM must name the mdesiem binary}"
MDS_TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mds-it.XXXXXX")
MDS_PIDS=()

mds_cleanup() {
    # Only this shell's own jobs that still run: a pid that ended long ago
    # may have been reused by another test's process.
    local p live
    live=" $(jobs -p | tr '\n' ' ') "
    for p in "${MDS_PIDS[@]:-}"; do
        [ -n "$p" ] && [[ "$live" == *" $p "* ]] && kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${MDS_PIDS[@]:-}"; do
        [ -n "$p" ] && [[ "$live" == *" $p "* ]] || continue
        timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || true
        kill -KILL "$p" 2>/dev/null || true
    done
    if [ "${MDS_KEEP_TMP:-0}" = 1 ]; then echo "kept $MDS_TEST_TMP" >&2; else rm -rf "$MDS_TEST_TMP"; fi
}
trap mds_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# wait_for SECONDS COMMAND...: polls until COMMAND succeeds.
wait_for() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@"; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.1
    done
}

# start_emulator ARGS...: sets EMU_URL and EMU_PID.
start_emulator() {
    local portfile="$MDS_TEST_TMP/emu.port.$RANDOM"
    "${MDS_EMULATOR:-$MDESIEM}" emulate --listen 127.0.0.1:0 --port-file "$portfile" "$@" >"$MDS_TEST_TMP/emulator.log" 2>&1 &
    EMU_PID=$!
    MDS_PIDS+=("$EMU_PID")
    wait_for 30 test -s "$portfile" || { cat "$MDS_TEST_TMP/emulator.log" >&2; fail "emulator did not start"; }
    EMU_URL="http://127.0.0.1:$(cat "$portfile")"
}

emu_post() { curl -fsS -X POST "$EMU_URL/_emulator/$1" >/dev/null; }
emu_state() { curl -fsS "$EMU_URL/_emulator/state"; }

# Every (id, lastUpdateDateTime) the emulator ever had, sorted.
emu_versions() { curl -fsS "$EMU_URL/_emulator/versions" | sort; }

# The (id, lastUpdateDateTime) of every alert in a JSON-lines file, sorted (with repeats).
delivered_versions() { jq -r '[.id, .lastUpdateDateTime] | @tsv' "$@" | sort; }

# write_config FILE SECRET_FILE EXTRA_SOURCE_KEYS: a graph source against
# the emulator delivering to $MDS_TEST_TMP/out.jsonl.
write_config() {
    local file=$1 secret_file=$2 extra=${3:-}
    cat >"$file" <<CONF
[service]
state = $MDS_TEST_TMP/state.db
retry_initial = 50ms
retry_max = 1S
retry_limit = 60

[source defender]
type = graph
tenant_id = 00000000-0000-0000-0000-000000000001
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $secret_file
auth_url = $EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token
api_url = $EMU_URL
outputs = out
$extra

[output out]
type = file
path = $MDS_TEST_TMP/out.jsonl
CONF
}

# A loopback port nothing listens on: bound, then released (not port 1,
# which a test elsewhere may have taken).
closed_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
