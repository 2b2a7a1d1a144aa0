#!/usr/bin/env bash
# Compat API details: every query parameter alone and combined, the token
# service's failures (wrong secret, unknown client, bad grant, expired and
# missing tokens, refresh-token rotation), retention, HTTPS with a test CA,
# and the refusal of plain HTTP beyond loopback.
source "$(dirname "$0")/lib.sh"

start_emulator --alerts 200 --seed 5
printf 'emulator-secret' >"$MDS_TEST_TMP/secret"
printf 'qradar-secret' >"$MDS_TEST_TMP/qsecret"
chmod 600 "$MDS_TEST_TMP/secret" "$MDS_TEST_TMP/qsecret"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
base="http://127.0.0.1:$port"
tenant=00000000-0000-0000-0000-000000000001
write_config "$MDS_TEST_TMP/mdesiem.ini" "$MDS_TEST_TMP/secret" "recurrence = 1S"
cat >>"$MDS_TEST_TMP/mdesiem.ini" <<CONF

[serve]
listen = 127.0.0.1:$port
sources = defender
retention = 4S
token_ttl = 2S

[client qradar]
client_id = qradar-client
client_secret_file = $MDS_TEST_TMP/qsecret
CONF
"$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/run.err" &
MDS_PIDS+=("$!")
sleep 0.2
wait_for 20 grep -q 'serving the legacy SIEM API' "$MDS_TEST_TMP/run.err" || fail "compat server did not start"
collected() { [ -f "$MDS_TEST_TMP/out.jsonl" ] && [ "$(wc -l <"$MDS_TEST_TMP/out.jsonl")" -ge 200 ]; }
wait_for 20 collected || fail "alerts not collected"

token_req() { curl -s -o "$MDS_TEST_TMP/tok.json" -w '%{http_code}' -d "$1" "$base/$tenant/oauth2/token"; }
code=$(token_req "grant_type=client_credentials&client_id=qradar-client&client_secret=qradar-secret&resource=https%3A%2F%2Fgraph.windows.net")
[ "$code" = 200 ] || fail "token: $code $(cat "$MDS_TEST_TMP/tok.json")"
tok=$(jq -r .access_token "$MDS_TEST_TMP/tok.json")
refresh=$(jq -r .refresh_token "$MDS_TEST_TMP/tok.json")
jq -e '.expires_in == "2" and .token_type == "Bearer" and .resource == "https://graph.windows.net"' \
    "$MDS_TEST_TMP/tok.json" >/dev/null || fail "token response shape: $(cat "$MDS_TEST_TMP/tok.json")"

[ "$(token_req 'grant_type=client_credentials&client_id=qradar-client&client_secret=nope&resource=https%3A%2F%2Fgraph.windows.net')" = 401 ] &&
    jq -e '.error == "invalid_client" and (.error_description | startswith("AADSTS7000215"))' "$MDS_TEST_TMP/tok.json" >/dev/null ||
    fail "wrong secret: $(cat "$MDS_TEST_TMP/tok.json")"
[ "$(token_req 'grant_type=client_credentials&client_id=who&client_secret=x')" = 400 ] &&
    jq -e '.error == "unauthorized_client"' "$MDS_TEST_TMP/tok.json" >/dev/null || fail "unknown client"
[ "$(token_req 'grant_type=password&client_id=qradar-client&client_secret=qradar-secret')" = 400 ] &&
    jq -e '.error == "unsupported_grant_type"' "$MDS_TEST_TMP/tok.json" >/dev/null || fail "bad grant"

# every query takes a fresh token (token_ttl is short so expiry can be tested)
fresh_token() {
    token_req "grant_type=client_credentials&client_id=qradar-client&client_secret=qradar-secret" >/dev/null
    jq -r .access_token "$MDS_TEST_TMP/tok.json"
}
get() {
    local t
    t=$(fresh_token)
    curl -s -o "$MDS_TEST_TMP/got.json" -w '%{http_code}' -H "Authorization: Bearer $t" "$base/api/alerts$1"
}
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/alerts")" = 401 ] || fail "no token accepted"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer 0000' "$base/api/alerts")" = 401 ] || fail "bad token accepted"

[ "$(get '')" = 200 ] || fail "GET /api/alerts"
want=$("$MDESIEM" convert --from graph --to legacy --evidence split "$MDS_TEST_TMP/out.jsonl" | wc -l)
served_all() { get '' >/dev/null; [ "$(jq length "$MDS_TEST_TMP/got.json")" -eq "$want" ]; }
wait_for 20 served_all || fail "default window served $(jq length "$MDS_TEST_TMP/got.json") detections, stored $want"
all=$want
jq -r '.[].LastProcessedTimeUtc' "$MDS_TEST_TMP/got.json" >"$MDS_TEST_TMP/stamps"
first=$(head -1 "$MDS_TEST_TMP/stamps"); tenth=$(sed -n 10p "$MDS_TEST_TMP/stamps"); last=$(tail -1 "$MDS_TEST_TMP/stamps")

[ "$(get "/?limit=5")" = 200 ] && [ "$(jq length "$MDS_TEST_TMP/got.json")" -eq 5 ] || fail "limit"
[ "$(jq -r '.[-1].LastProcessedTimeUtc' "$MDS_TEST_TMP/got.json")" = "$last" ] || fail "limit keeps the most recent"
get "?sinceTimeUtc=$tenth" >/dev/null
[ "$(jq length "$MDS_TEST_TMP/got.json")" -eq $((all - 10)) ] || fail "sinceTimeUtc (exclusive): $(jq length "$MDS_TEST_TMP/got.json")"
get "?sinceTimeUtc=$first&untilTimeUtc=$tenth" >/dev/null
[ "$(jq length "$MDS_TEST_TMP/got.json")" -eq 9 ] || fail "since+until window"
get "?sinceTimeUtc=${first%Z}&untilTimeUtc=${tenth%Z}&limit=3" >/dev/null   # no zone = UTC, as in the docs
[ "$(jq length "$MDS_TEST_TMP/got.json")" -eq 3 ] || fail "since+until+limit"
[ "$(get '?sinceTimeUtc=yesterday')" = 400 ] || fail "bad sinceTimeUtc accepted"
[ "$(get '?ago=PT1H')" = 200 ] && [ "$(jq length "$MDS_TEST_TMP/got.json")" -eq "$all" ] || fail "ago=PT1H"
[ "$(get '?ago=soon')" = 400 ] || fail "bad ago accepted"

# machine groups (repeatable) and tags, against counts from the stored detections
jq -r '.[].MachineGroup' "$MDS_TEST_TMP/got.json" >/dev/null
get '' >/dev/null
cp "$MDS_TEST_TMP/got.json" "$MDS_TEST_TMP/all.json"
read -r g1 g2 < <(jq -r '[.[].MachineGroup | select(. != "")] | unique | .[0:2] | @tsv' "$MDS_TEST_TMP/all.json")
[ -n "$g1" ] && [ -n "$g2" ] || fail "the emulator's devices carry no machine groups"
n1=$(jq --arg g "$g1" '[.[] | select(.MachineGroup == $g)] | length' "$MDS_TEST_TMP/all.json")
n12=$(jq --arg a "$g1" --arg b "$g2" '[.[] | select(.MachineGroup == $a or .MachineGroup == $b)] | length' "$MDS_TEST_TMP/all.json")
get "?machinegroups=$(jq -rn --arg g "$g1" '$g|@uri')" >/dev/null
[ "$(jq length "$MDS_TEST_TMP/got.json")" -eq "$n1" ] || fail "machinegroups=$g1"
get "?machinegroups=$(jq -rn --arg g "$g1" '$g|@uri')&machinegroups=$(jq -rn --arg g "$g2" '$g|@uri')&limit=100000" >/dev/null
[ "$(jq length "$MDS_TEST_TMP/got.json")" -eq "$n12" ] || fail "two machinegroups"
get "?DeviceCreatedMachineTags=no-such-tag" >/dev/null
[ "$(jq length "$MDS_TEST_TMP/got.json")" -eq 0 ] || fail "DeviceCreatedMachineTags filter"
get "?CloudCreatedMachineTags=no-such-tag" >/dev/null
[ "$(jq length "$MDS_TEST_TMP/got.json")" -eq 0 ] || fail "CloudCreatedMachineTags filter"

# refresh-token grant: a new pair; the used refresh token is spent
code=$(token_req "grant_type=refresh_token&client_id=qradar-client&client_secret=qradar-secret&refresh_token=$refresh&resource=https%3A%2F%2Fgraph.windows.net")
[ "$code" = 200 ] || fail "refresh grant: $code"
code=$(token_req "grant_type=refresh_token&client_id=qradar-client&refresh_token=$refresh")
[ "$code" = 400 ] && jq -e '.error == "invalid_grant"' "$MDS_TEST_TMP/tok.json" >/dev/null || fail "spent refresh token accepted"

# access tokens expire (token_ttl = 2S); detections expire (retention = 4S)
tok=$(fresh_token)
sleep 2.5
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$base/api/alerts")" = 401 ] ||
    fail "expired token accepted"
sleep 2
emu_post "create?count=5"   # new detections arrive and trigger the retention sweep
swept() { get '?sinceTimeUtc=2000-01-01T00:00:00Z' >/dev/null; [ "$(jq length "$MDS_TEST_TMP/got.json")" -gt 0 ] && [ "$(jq length "$MDS_TEST_TMP/got.json")" -lt "$all" ]; }
wait_for 15 swept || fail "retention did not remove old detections: $(jq length "$MDS_TEST_TMP/got.json")"

# HTTPS with a certificate from a test CA; plain HTTP refused beyond loopback
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$MDS_TEST_TMP/key.pem" -out "$MDS_TEST_TMP/cert.pem" 2>/dev/null
port2=$(free_port)
sed -e "s#^listen = .*#listen = 127.0.0.1:$port2\ntls_cert = $MDS_TEST_TMP/cert.pem\ntls_key = $MDS_TEST_TMP/key.pem#" \
    -e "s#^state = .*#state = $MDS_TEST_TMP/state2.db#" -e "s#^metrics_listen.*##" "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/tls.ini"
"$MDESIEM" run -c "$MDS_TEST_TMP/tls.ini" 2>"$MDS_TEST_TMP/tls.err" &
MDS_PIDS+=("$!")
sleep 0.2
wait_for 20 grep -q 'serving the legacy SIEM API on https' "$MDS_TEST_TMP/tls.err" || fail "https compat did not start: $(cat "$MDS_TEST_TMP/tls.err")"
[ "$(curl -s --cacert "$MDS_TEST_TMP/cert.pem" -o /dev/null -w '%{http_code}' -d 'grant_type=client_credentials&client_id=qradar-client&client_secret=qradar-secret' "https://127.0.0.1:$port2/$tenant/oauth2/token")" = 200 ] ||
    fail "https token with the test CA"
curl -s -o /dev/null "https://127.0.0.1:$port2/$tenant/oauth2/token" && fail "https verified without the CA"
sed "s#^listen = .*#listen = 0.0.0.0:$port2#" "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/plain.ini"
set +e
"$MDESIEM" check -c "$MDS_TEST_TMP/plain.ini" >"$MDS_TEST_TMP/plain.out" 2>&1
code=$?
set -e
[ "$code" -eq 3 ] && grep -q 'not a loopback address' "$MDS_TEST_TMP/plain.out" || fail "plain HTTP on 0.0.0.0 not refused"
echo "compat api: $all detections; since/until/ago/limit/machinegroups/tags, auth failures, refresh, expiry, retention, https"
