#!/usr/bin/env bash
# One failing source never blocks another: a tenant whose API is down and a
# tenant that throttles hard run beside a healthy one; the healthy one
# delivers everything at its own pace, `once` reports the failure (exit 1),
# and `status` names the failing source and its error.
source "$(dirname "$0")/lib.sh"

start_emulator --alerts 2000 --seed 23
good_url=$EMU_URL
start_emulator --alerts 50 --seed 24 --faults 429=0.9 --retry-after 2
slow_url=$EMU_URL
printf 'emulator-secret' >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
tenant=00000000-0000-0000-0000-000000000001
section() { # NAME URL OUTPUT
    cat <<CONF
[source $1]
type = graph
tenant_id = $tenant
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
auth_url = $2/$tenant/oauth2/v2.0/token
api_url = $2
eps_throttle = 0
outputs = $3

CONF
}
{
    printf '[service]\nstate = %s/state.db\nretry_initial = 100ms\nretry_max = 500ms\nretry_limit = 4\n\n' "$MDS_TEST_TMP"
    section healthy "$good_url" good
    section down "http://127.0.0.1:$(closed_port)" bad
    section throttled "$slow_url" bad
    printf '[output good]\ntype = file\npath = %s/good.jsonl\n\n[output bad]\ntype = file\npath = %s/bad.jsonl\n' \
        "$MDS_TEST_TMP" "$MDS_TEST_TMP"
} >"$MDS_TEST_TMP/mdesiem.ini"

start=$SECONDS
set +e
"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/once.err"
code=$?
set -e
[ "$code" -eq 1 ] || fail "once exited $code with a source down, expected 1"
[ "$(wc -l <"$MDS_TEST_TMP/good.jsonl")" -eq 2000 ] || fail "the healthy source delivered $(wc -l <"$MDS_TEST_TMP/good.jsonl") of 2000"
"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json >"$MDS_TEST_TMP/status.json"
jq -e '.sources[] | select(.name == "down") | .last_error | test("127.0.0.1")' "$MDS_TEST_TMP/status.json" >/dev/null ||
    fail "status does not show why 'down' failed: $(cat "$MDS_TEST_TMP/status.json")"
jq -e '.sources[] | select(.name == "healthy") | .last_error == null' "$MDS_TEST_TMP/status.json" >/dev/null ||
    fail "the healthy source shows an error"
echo "isolation: healthy source delivered 2000 while one tenant was down and one throttled ($((SECONDS - start))s)"
