#!/usr/bin/env bash
# EPS throttle: 5,000 records at eps_throttle = 1000 take about 5 seconds
# and none is lost. Refresh tokens: a siem source signs in with a portal
# refresh token, and the rotated token the service returns is written back
# in place (mode 0600, modification time kept as the issue date).
source "$(dirname "$0")/lib.sh"

start_emulator --alerts 5000 --seed 31
printf 'emulator-secret' >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
write_config "$MDS_TEST_TMP/eps.ini" "$MDS_TEST_TMP/secret" "eps_throttle = 1000
page_size = 1000"
start=$(date +%s%N)
"$MDESIEM" once -c "$MDS_TEST_TMP/eps.ini" 2>"$MDS_TEST_TMP/eps.err" || fail "once failed"
ms=$((($(date +%s%N) - start) / 1000000))
secs=$(awk -v ms="$ms" 'BEGIN { printf "%.2f", ms / 1000 }')
n=$(wc -l <"$MDS_TEST_TMP/out.jsonl")
[ "$n" -eq 5000 ] || fail "throttled run delivered $n of 5000"
# 5,000 at 1,000/s: the bucket starts empty, so at least 4.5 s; well under 10 s
awk -v s="$secs" 'BEGIN { exit !(s >= 4.5 && s < 10) }' || fail "5000 records at 1000 eps took $secs s"
echo "eps: 5000 records in ${secs}s at eps_throttle = 1000"

# refresh token from the authorization-code flow, as the portal's "Generate tokens"
tenant=00000000-0000-0000-0000-000000000001
loc=$(curl -fsS -o /dev/null -w '%{redirect_url}' \
    "$EMU_URL/$tenant/oauth2/authorize?response_type=code&client_id=11111111-2222-3333-4444-555555555555&redirect_uri=https%3A%2F%2Flocalhost%3A44300%2Fwdatpconnector&resource=https%3A%2F%2Fgraph.windows.net")
code=$(printf '%s' "$loc" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p')
[ -n "$code" ] || fail "no authorization code from the emulator: $loc"
curl -fsS -d "grant_type=authorization_code&client_id=11111111-2222-3333-4444-555555555555&client_secret=emulator-secret&code=$code&redirect_uri=https%3A%2F%2Flocalhost%3A44300%2Fwdatpconnector&resource=https%3A%2F%2Fgraph.windows.net" \
    "$EMU_URL/$tenant/oauth2/token" | jq -r .refresh_token >"$MDS_TEST_TMP/refresh"
chmod 600 "$MDS_TEST_TMP/refresh"
touch -d '10 days ago' "$MDS_TEST_TMP/refresh"
first=$(cat "$MDS_TEST_TMP/refresh")
sleep 1.1   # the emulator's tokens carry whole-second times: make the rotated one differ
mtime=$(stat -c %Y "$MDS_TEST_TMP/refresh")
port=${EMU_URL##*:}
cat >"$MDS_TEST_TMP/siem.ini" <<CONF
[service]
state = $MDS_TEST_TMP/siem.db
[source legacy]
type = siem
tenant_id = $tenant
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
refresh_token_file = $MDS_TEST_TMP/refresh
auth_url = $EMU_URL/$tenant/oauth2/token
api_url = $EMU_URL/siem
outputs = out
[output out]
type = file
path = $MDS_TEST_TMP/siem.jsonl
CONF
"$MDESIEM" once -c "$MDS_TEST_TMP/siem.ini" 2>"$MDS_TEST_TMP/siem.err" || { tail -3 "$MDS_TEST_TMP/siem.err" >&2; fail "siem with a refresh token failed"; }
[ "$(wc -l <"$MDS_TEST_TMP/siem.jsonl")" -gt 0 ] || fail "no detections with the refresh token"
second=$(cat "$MDS_TEST_TMP/refresh")
[ -n "$second" ] && [ "$second" != "$first" ] || fail "the rotated refresh token was not written back"
[ "$(stat -c %a "$MDS_TEST_TMP/refresh")" = 600 ] || fail "refresh token file mode changed"
[ "$(stat -c %Y "$MDS_TEST_TMP/refresh")" = "$mtime" ] || fail "refresh token file lost its issue date"
grep -q -e "$first" -e "$second" "$MDS_TEST_TMP/siem.err" && fail "a refresh token was logged"
# and the rotated one works for the next run
"$MDESIEM" once -c "$MDS_TEST_TMP/siem.ini" 2>>"$MDS_TEST_TMP/siem.err" || fail "second run with the rotated token failed"
# 80 days old: the 90-day warning
touch -d '80 days ago' "$MDS_TEST_TMP/refresh"
"$MDESIEM" once -c "$MDS_TEST_TMP/siem.ini" 2>"$MDS_TEST_TMP/warn.err" || fail "third run failed"
grep -q "90-day limit in 10 days" "$MDS_TEST_TMP/warn.err" || fail "no expiry warning: $(cat "$MDS_TEST_TMP/warn.err")"
echo "refresh token: used, rotated in place (0600, issue date kept), warned 10 days before expiry"
