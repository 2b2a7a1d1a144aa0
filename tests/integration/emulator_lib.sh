# Helpers of the emulator's own integration tests (sourced, not run).
# Every emulator binds 127.0.0.1 on a free port, every wait is bounded,
# and everything started is stopped on exit.
set -euo pipefail
: "${MDESIEM:?MDESIEM must name the mdesiem binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mds-emu.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
CURL=(curl -sS --max-time 30)
TENANT=00000000-0000-0000-0000-000000000001
CLIENT=11111111-2222-3333-4444-555555555555

# start ARGS...: starts an emulator; sets URL (from its first stdout line) and PID.
start() {
    local out="$TMP/emu.$RANDOM.out"
    "$MDESIEM" emulate --listen 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
    PID=$!
    PIDS+=("$PID")
    local i first
    for i in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
    first=$(head -n 1 "$out")
    [[ "$first" =~ ^mdesiem\ emulate:\ listening\ on\ (https?://127\.0\.0\.1:[0-9]+)$ ]] ||
        { cat "$out.err" >&2; fail "unexpected first line '$first'"; }
    URL="${BASH_REMATCH[1]}"
}

# stop: SIGTERM the last emulator and require exit status 0.
stop() {
    kill -TERM "$PID"
    local code=0
    timeout 10 tail --pid="$PID" -f /dev/null || true
    wait "$PID" || code=$?
    [ "$code" -eq 0 ] || fail "emulator exited $code after SIGTERM"
}

# token VERSION AUDIENCE [SECRET]: an access token (v1: resource, v2: scope AUDIENCE/.default).
token() {
    local secret=${3:-emulator-secret}
    if [ "$1" = v1 ]; then
        "${CURL[@]}" "${CURL_EXTRA[@]}" -X POST "$URL/$TENANT/oauth2/token" -d grant_type=client_credentials \
            -d "client_id=$CLIENT" --data-urlencode "client_secret=$secret" --data-urlencode "resource=$2"
    else
        "${CURL[@]}" "${CURL_EXTRA[@]}" -X POST "$URL/$TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
            -d "client_id=$CLIENT" --data-urlencode "client_secret=$secret" --data-urlencode "scope=$2/.default"
    fi | jq -r .access_token
}
CURL_EXTRA=()

# get TOKEN PATH [CURL ARGS...]: GET with a bearer token.
get() { local t=$1 p=$2; shift 2; "${CURL[@]}" "${CURL_EXTRA[@]}" -H "Authorization: Bearer $t" "$@" "$URL$p"; }
# code TOKEN PATH [CURL ARGS...]: the HTTP status only.
code() { local t=$1 p=$2; shift 2; "${CURL[@]}" "${CURL_EXTRA[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $t" "$@" "$URL$p"; }
