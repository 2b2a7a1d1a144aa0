#!/usr/bin/env bash
# The emulator's behaviour switches: --quirk, the non-status faults,
# delegated grants, --roles, --mde-rate-limit, --tls and --clock.
source "$(dirname "$0")/emulator_lib.sh"
GRAPH=https://graph.microsoft.com
A='/v1.0/security/alerts_v2'

# ---- quirks: top-clamp, skip-limit, no-next-link ------------------------
start --alerts 300 --quirk top-clamp=50,skip-limit=200 --quirk no-next-link
T=$(token v2 $GRAPH)
page=$(get "$T" "$A?\$top=1000&\$count=true")
echo "$page" | jq -e '(.value | length) == 50 and ."@odata.count" == 300 and (has("@odata.nextLink") | not)' \
    >/dev/null || fail "top-clamp / no-next-link"
[ "$(code "$T" "$A?\$skip=200")" = 200 ] && [ "$(code "$T" "$A?\$skip=201")" = 400 ] || fail "skip-limit"
stop

# ---- quirk same-timestamp: ties are ordered by id and paging stays exact ----
start --alerts 50 --quirk same-timestamp=5
T=$(token v2 $GRAPH)
"${CURL[@]}" -X POST "$URL/_emulator/create?count=40" >/dev/null
"${CURL[@]}" -X POST "$URL/_emulator/update?count=30" >/dev/null
all=$(get "$T" "$A?\$top=2000")
ties=$(echo "$all" | jq '[.value[].lastUpdateDateTime] | group_by(.) | map(select(length > 1)) | length')
[ "$ties" -ge 10 ] || fail "same-timestamp produced $ties groups of equal timestamps"
echo "$all" | jq -e '[.value[] | [.lastUpdateDateTime, .id]] == ([.value[] | [.lastUpdateDateTime, .id]] | sort)' \
    >/dev/null || fail "ties not ordered by id"
: >"$TMP/ids"
for skip in $(seq 0 7 89); do get "$T" "$A?\$top=7&\$skip=$skip" | jq -r '.value[].id' >>"$TMP/ids"; done
[ "$(sort -u "$TMP/ids" | wc -l)" = 90 ] && [ "$(wc -l <"$TMP/ids")" = 90 ] || fail "paging over ties"
[ "$("${CURL[@]}" "$URL/_emulator/versions" | sort -u | wc -l)" = 120 ] || fail "versions over ties"
stop

# ---- quirk late-arrival: new alerts appear behind the newest timestamp ----
start --alerts 100 --quirk late-arrival=600
T=$(token v2 $GRAPH)
newest=$(get "$T" "$A?\$orderby=lastUpdateDateTime%20desc&\$top=1" | jq -r '.value[0].lastUpdateDateTime')
"${CURL[@]}" -X POST "$URL/_emulator/create?count=5" >/dev/null
after=$(get "$T" "$A?\$filter=lastUpdateDateTime%20gt%20$newest&\$count=true&\$top=0" | jq '."@odata.count"')
total=$(get "$T" "$A?\$count=true&\$top=0" | jq '."@odata.count"')
[ "$after" = 0 ] && [ "$total" = 105 ] || fail "late-arrival: $after after the newest, $total in all"
stop

# ---- quirk enum-unknown + Prefer, and legacy-casing -------------------------
start --alerts 300 --seed 5 --quirk enum-unknown,legacy-casing
T=$(token v2 $GRAPH)
plain=$(get "$T" "$A?\$top=2000" | jq '[.value[] | select(.serviceSource == "unknownFutureValue")] | length')
real=$(get "$T" "$A?\$top=2000" -H 'Prefer: include-unknown-enum-members' |
    jq '[.value[] | select(.serviceSource == "microsoftSentinel" or .serviceSource == "microsoftDefenderForCloud")] | length')
[ "$plain" -gt 0 ] && [ "$plain" = "$real" ] || fail "enum-unknown: $plain unknownFutureValue, $real with Prefer"
get "$T" "$A?\$top=2000" | jq -e '[.value[].evidence[] | select(."@odata.type" == "#microsoft.graph.security.azureResourceEvidence") |
    .resourceId | test("^/subscriptions/[0-9a-f-]{36}/resourceGroups/.*/storageAccounts/st[0-9a-f]{12}$")] | length > 0 and all' \
    >/dev/null || fail "enum-unknown: no evidence of a type older clients do not know"
S=$(token v1 https://graph.windows.net)
get "$S" '/siem/api/alerts?ago=P2D&limit=5' | jq -e 'all(.[]; has("IPAddress") and has("URL") and has("ReportId") and
    has("ThreatFamilyName") and has("InternalIPV4List") and (has("IpAddress") | not))' >/dev/null ||
    fail "legacy-casing"
stop

# ---- faults: slow, truncate, malformed, reset, expire ---------------------
start --alerts 10 --faults slow=1 --slow-ms 700
T=$(token v2 $GRAPH)
t=$("${CURL[@]}" -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $T" "$URL$A")
awk -v t="$t" 'BEGIN { exit !(t >= 0.7) }' || fail "slow fault answered in $t s"
stop
for kind in truncate malformed reset expire; do
    start --alerts 10 --faults "$kind=1"
    T=$(token v2 $GRAPH)
    set +e
    "${CURL[@]}" -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $T" "$URL$A?\$top=10" >"$TMP/status" 2>/dev/null
    rc=$?
    set -e
    status=$(cat "$TMP/status")
    case $kind in
    truncate) [ "$rc" = 18 ] || fail "truncate: curl exit $rc, expected 18 (partial transfer)" ;;
    malformed) [ "$rc" = 0 ] && [ "$status" = 200 ] && ! jq . "$TMP/body" >/dev/null 2>&1 || fail "malformed" ;;
    reset) [ "$rc" = 52 ] || fail "reset: curl exit $rc, expected 52 (empty reply)" ;;
    expire) [ "$status" = 401 ] && jq -e '.error.message | test("expired")' "$TMP/body" >/dev/null || fail "expire" ;;
    esac
    "${CURL[@]}" "$URL/_emulator/state" | jq -e --arg k "$kind" '.faults[$k] == 1' >/dev/null ||
        fail "$kind not counted"
    stop
done

# ---- delegated grants: authorize -> code -> token -> refresh ----------------
start --alerts 10
REDIRECT=https://localhost:44300/wdatpconnector
loc=$("${CURL[@]}" -o /dev/null -w '%{redirect_url}' "$URL/$TENANT/oauth2/authorize?client_id=$CLIENT&response_type=code&redirect_uri=$(jq -rn --arg u $REDIRECT '$u|@uri')&resource=https%3A%2F%2Fgraph.windows.net&state=xyz")
[[ "$loc" == "$REDIRECT?code="*"&state=xyz" ]] || fail "authorize redirect: $loc"
code_=$(echo "$loc" | sed -E 's/.*code=([^&]*).*/\1/')
tok=$("${CURL[@]}" -X POST "$URL/$TENANT/oauth2/token" -d grant_type=authorization_code -d "client_id=$CLIENT" \
    -d client_secret=emulator-secret -d "code=$code_" --data-urlencode "redirect_uri=$REDIRECT")
echo "$tok" | jq -e '.resource == "https://graph.windows.net" and (.refresh_token | length) > 50 and
    .expires_in == "3599"' >/dev/null || fail "code redemption: $tok"
rt=$(echo "$tok" | jq -r .refresh_token)
[ "$(code "$(echo "$tok" | jq -r .access_token)" '/siem/api/alerts')" = 200 ] || fail "delegated token refused"
new=$("${CURL[@]}" -X POST "$URL/$TENANT/oauth2/token" -d grant_type=refresh_token -d "client_id=$CLIENT" \
    -d client_secret=emulator-secret -d "refresh_token=$rt")
echo "$new" | jq -e '(.access_token | length) > 50 and (.refresh_token | length) > 50' >/dev/null || fail "refresh: $new"
v2=$("${CURL[@]}" -X POST "$URL/$TENANT/oauth2/v2.0/token" -d grant_type=refresh_token -d "client_id=$CLIENT" \
    -d client_secret=emulator-secret -d "refresh_token=$rt" --data-urlencode "scope=$GRAPH/.default offline_access")
[ "$(code "$(echo "$v2" | jq -r .access_token)" "$A")" = 200 ] || fail "v2 refresh to Graph: $v2"
bad=$("${CURL[@]}" -X POST "$URL/$TENANT/oauth2/token" -d grant_type=authorization_code -d "client_id=$CLIENT" \
    -d client_secret=emulator-secret -d "code=$code_" -d redirect_uri=https://elsewhere)
echo "$bad" | jq -e '.error == "invalid_grant"' >/dev/null || fail "code with another redirect_uri: $bad"
bad=$("${CURL[@]}" -X POST "$URL/$TENANT/oauth2/token" -d grant_type=refresh_token -d "client_id=$CLIENT" \
    -d client_secret=emulator-secret -d "refresh_token=$(token v1 https://graph.windows.net)")
echo "$bad" | jq -e '.error == "invalid_grant"' >/dev/null || fail "an access token used as refresh token: $bad"
stop

# ---- roles -------------------------------------------------------------------
start --alerts 10 --roles SecurityAlert.Read.All
T=$(token v2 $GRAPH)
[ "$(code "$T" "$A")" = 200 ] && [ "$(code "$T" /v1.0/security/incidents)" = 403 ] || fail "--roles"
get "$T" /v1.0/security/incidents | jq -e '.error.code == "Forbidden"' >/dev/null || fail "403 body"
stop

# ---- MDE rate limit: 100 calls a minute -------------------------------------
start --alerts 5 --mde-rate-limit
M=$(token v1 https://api.securitycenter.microsoft.com)
for i in $(seq 100); do printf 'url = "%s"\noutput = "/dev/null"\n' "$URL/api/alerts?\$top=1"; done >"$TMP/urls"
ok=$("${CURL[@]}" -K "$TMP/urls" -w '%{http_code}\n' -H "Authorization: Bearer $M" | grep -c '^200$' || true)
[ "$ok" = 100 ] || fail "only $ok of the first 100 MDE calls passed"
"${CURL[@]}" -D "$TMP/h" -o "$TMP/b" -H "Authorization: Bearer $M" "$URL/api/alerts?\$top=1"
grep -q '^HTTP/1.1 429' "$TMP/h" && grep -Eqi '^Retry-After: [0-9]+' "$TMP/h" || fail "call 101 was not a 429"
jq -e '.error.code == "TooManyRequests"' "$TMP/b" >/dev/null || fail "429 body"
stop

# ---- TLS and the fixed clock: byte-identical runs ---------------------------
for run in 1 2; do
    start --alerts 200 --seed 77 --tls "$TMP/cert.pem" --clock 2026-03-01T12:00:00Z
    [[ "$URL" == https://* ]] || fail "--tls still serves $URL"
    CURL_EXTRA=(--cacert "$TMP/cert.pem")
    T=$(token v2 $GRAPH)
    get "$T" "$A?\$top=150&\$count=true" >"$TMP/page$run"
    "${CURL[@]}" "${CURL_EXTRA[@]}" -X POST "$URL/_emulator/update?count=20" >/dev/null
    get "$T" "$A?\$top=2000" >>"$TMP/page$run"
    jq -e '."@odata.nextLink" | startswith("https://")' <(head -c 100000000 "$TMP/page$run" | jq -s '.[0]') >/dev/null ||
        fail "nextLink is not https"
    stop
    CURL_EXTRA=()
done
# the only difference allowed is the port in @odata.nextLink
sed -i -E 's#127\.0\.0\.1:[0-9]+#127.0.0.1:PORT#g' "$TMP/page1" "$TMP/page2"
cmp -s "$TMP/page1" "$TMP/page2" || fail "two runs with --seed 77 --clock differ"
jq -e '.value[0].createdDateTime < "2026-03-01T12:00:00Z"' <(jq -s '.[0]' "$TMP/page1") >/dev/null ||
    fail "--clock not used as now"
echo "options: quirks, faults, grants, roles, rate limit, TLS and clock ok"
