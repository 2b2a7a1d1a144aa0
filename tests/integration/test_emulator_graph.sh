#!/usr/bin/env bash
# The emulator's token service, Graph alerts_v2 door, admin endpoints and
# fault injection, driven with curl + jq. Every wait is bounded; the
# emulator is stopped on exit and must exit 0 on SIGTERM.
source "$(dirname "$0")/emulator_lib.sh"

token_v2() { # SECRET SCOPE
    "${CURL[@]}" -X POST "$URL/$TENANT/oauth2/v2.0/token" --data-urlencode grant_type=client_credentials \
        --data-urlencode "client_id=$CLIENT" --data-urlencode "client_secret=$1" --data-urlencode "scope=$2"
}
status_of() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$@"; }
graph() { "${CURL[@]}" -H "Authorization: Bearer $TOKEN" "$URL/v1.0/security/alerts_v2$1"; }

start --alerts 500 --seed 9 --client-secret 's3cret+/=&'
[[ "$URL" == http://127.0.0.1:* ]] || fail "not listening on 127.0.0.1: $URL"
grep -q "client id $CLIENT" "$TMP"/emu.*.out || fail "client id not announced"
grep -q "tenant $TENANT" "$TMP"/emu.*.out || fail "tenant not announced"

# ---- token service ---------------------------------------------------
v2=$(token_v2 's3cret+/=&' https://graph.microsoft.com/.default)
echo "$v2" | jq -e '.token_type == "Bearer" and .expires_in == 3599 and .ext_expires_in == 3599 and
    (.access_token | split(".") | length == 3)' >/dev/null || fail "bad v2 token response: $v2"
TOKEN=$(echo "$v2" | jq -r .access_token)
claims=$(echo "$TOKEN" | cut -d. -f2 | tr '_-' '/+' | awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d)
echo "$claims" | jq -e --arg t "$TENANT" --arg c "$CLIENT" '.aud == "https://graph.microsoft.com" and .tid == $t and
    .appid == $c and (.roles | index("SecurityAlert.Read.All")) and .exp - .iat == 3599' >/dev/null ||
    fail "bad claims: $claims"

v1=$("${CURL[@]}" -X POST "$URL/$TENANT/oauth2/token" -d grant_type=client_credentials -d "client_id=$CLIENT" \
    --data-urlencode 'client_secret=s3cret+/=&' --data-urlencode resource=https://graph.windows.net)
echo "$v1" | jq -e '.expires_in == "3599" and .ext_expires_in == "3599" and (.expires_on | test("^[0-9]+$")) and
    (.not_before | test("^[0-9]+$")) and .resource == "https://graph.windows.net" and (.access_token | length > 100)' \
    >/dev/null || fail "bad v1 token response: $v1"

bad=$(token_v2 wrong https://graph.microsoft.com/.default)
echo "$bad" | jq -e '.error == "invalid_client" and .error_codes == [7000215] and
    (.error_description | startswith("AADSTS7000215")) and (.trace_id | length > 0) and
    (.correlation_id | length > 0) and (.timestamp | length > 0)' >/dev/null || fail "bad secret: $bad"
[ "$(status_of -X POST "$URL/$TENANT/oauth2/v2.0/token" -d grant_type=client_credentials -d "client_id=$CLIENT" \
    -d client_secret=wrong -d scope=https://graph.microsoft.com/.default)" = 401 ] || fail "wrong secret is not 401"
unk=$("${CURL[@]}" -w '\n%{http_code}' -X POST "$URL/$TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
    -d client_id=nobody -d client_secret=x -d scope=https://graph.microsoft.com/.default)
[ "$(echo "$unk" | tail -n 1)" = 400 ] || fail "unknown client is not 400"
echo "$unk" | head -n 1 | jq -e '.error == "unauthorized_client" and .error_codes == [700016]' >/dev/null ||
    fail "unknown client: $unk"
grant=$("${CURL[@]}" -X POST "$URL/$TENANT/oauth2/v2.0/token" -d grant_type=password -d "client_id=$CLIENT")
echo "$grant" | jq -e '.error == "unsupported_grant_type"' >/dev/null || fail "unsupported grant: $grant"
scope=$(token_v2 's3cret+/=&' https://graph.microsoft.com)
echo "$scope" | jq -e '.error == "invalid_scope"' >/dev/null || fail "scope without /.default accepted: $scope"

# ---- bearer checks ---------------------------------------------------
nt=$("${CURL[@]}" -w '\n%{http_code}' "$URL/v1.0/security/alerts_v2")
[ "$(echo "$nt" | tail -n 1)" = 401 ] || fail "no token is not 401"
echo "$nt" | head -n 1 | jq -e '.error.code == "InvalidAuthenticationToken" and
    (.error.innerError["request-id"] | length > 0) and (.error.innerError.date | length > 0)' >/dev/null ||
    fail "401 body: $nt"
[ "$(status_of -H "Authorization: Bearer ${TOKEN}x" "$URL/v1.0/security/alerts_v2")" = 401 ] ||
    fail "tampered token accepted"
siem_token=$(echo "$v1" | jq -r .access_token)
[ "$(status_of -H "Authorization: Bearer $siem_token" "$URL/v1.0/security/alerts_v2")" = 401 ] ||
    fail "token for another audience accepted"

# ---- listing, filters, paging -----------------------------------------
all=$(graph '?$top=2000&$count=true')
echo "$all" | jq -e '."@odata.count" == 500 and (.value | length) == 500 and (has("@odata.nextLink") | not) and
    ."@odata.context" == "https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2"' >/dev/null ||
    fail "full listing"
echo "$all" | jq -e '[.value[].lastUpdateDateTime] == ([.value[].lastUpdateDateTime] | sort)' >/dev/null ||
    fail "not ordered by lastUpdateDateTime"
echo "$all" | jq -e '[.value[] | (.evidence | length) >= 2 and (.evidence | length) <= 6 and
    (.lastUpdateDateTime | test("\\.[0-9]{7}Z$")) and (.incidentId | type) == "string"] | all' >/dev/null ||
    fail "alert shape"
[ "$(graph '' | jq '.value | length')" = 100 ] || fail "default page is not 100"
mid=$(echo "$all" | jq -r '.value[250].lastUpdateDateTime')
ge=$(graph "?\$filter=lastUpdateDateTime%20ge%20$mid&\$count=true&\$top=1" | jq '."@odata.count"')
want=$(echo "$all" | jq --arg m "$mid" '[.value[] | select(.lastUpdateDateTime >= $m)] | length')
[ "$ge" = "$want" ] || fail "ge filter counted $ge, expected $want"
gt=$(graph "?\$filter=lastUpdateDateTime+gt+$mid&\$count=true&\$top=1" | jq '."@odata.count"')
[ "$gt" = $((want - 1)) ] || fail "gt filter counted $gt, expected $((want - 1))"
# fewer fractional digits compare at 100 ns: .1 == .1000000
short=$(echo "$mid" | sed -E 's/\.([0-9])[0-9]{6}Z$/.\1Z/')
lt=$(graph "?\$filter=lastUpdateDateTime%20lt%20$short&\$count=true&\$top=1" | jq '."@odata.count"')
want_lt=$(echo "$all" | jq --arg m "${short%Z}000000Z" '[.value[] | select(.lastUpdateDateTime < $m)] | length')
[ "$lt" = "$want_lt" ] || fail "lt with 1 fractional digit counted $lt, expected $want_lt"
high=$(graph "?%24filter=(severity%20eq%20'high')%20AND%20lastUpdateDateTime%20ge%202000-01-01T00:00:00Z&\$top=2000")
echo "$high" | jq -e '(.value | length) > 0 and ([.value[].severity] | unique) == ["high"]' >/dev/null ||
    fail "severity filter"
n_high=$(echo "$all" | jq '[.value[] | select(.severity == "high")] | length')
[ "$(echo "$high" | jq '.value | length')" = "$n_high" ] || fail "severity filter missed alerts"
created_desc=$(graph '?$orderby=createdDateTime%20desc&$top=50')
echo "$created_desc" | jq -e '[.value[].createdDateTime] == ([.value[].createdDateTime] | sort | reverse)' \
    >/dev/null || fail "orderby createdDateTime desc"
bad=$("${CURL[@]}" -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "$URL/v1.0/security/alerts_v2?\$filter=lastUpdateDateTime%20ge%20'yesterday'")
[ "$(echo "$bad" | tail -n 1)" = 400 ] || fail "bad filter is not 400"
echo "$bad" | head -n 1 | jq -e '.error.code == "BadRequest" and (.error.message | test("Invalid filter clause"))' \
    >/dev/null || fail "bad filter body: $bad"
[ "$(status_of -H "Authorization: Bearer $TOKEN" "$URL/v1.0/security/alerts_v2?\$filter=status%20eq%20'bogus'")" = 400 ] ||
    fail "unknown enum member is not 400"
[ "$(graph '?$top=5000' | jq '.value | length')" = 500 ] || fail "\$top above 2000 not clamped"

# paging with nextLink returns every alert exactly once
next="$URL/v1.0/security/alerts_v2?%24filter=lastUpdateDateTime+ge+2000-01-01T00:00:00.0000000Z&\$top=37"
: >"$TMP/ids"
pages=0
while [ -n "$next" ] && [ $pages -lt 100 ]; do
    page=$("${CURL[@]}" -H "Authorization: Bearer $TOKEN" "$next")
    echo "$page" | jq -r '.value[].id' >>"$TMP/ids"
    next=$(echo "$page" | jq -r '."@odata.nextLink" // empty')
    pages=$((pages + 1))
done
[ $pages -eq 14 ] || fail "paging took $pages pages, expected 14"
[ "$(sort -u "$TMP/ids" | wc -l)" -eq 500 ] && [ "$(wc -l <"$TMP/ids")" -eq 500 ] ||
    fail "paging returned $(wc -l <"$TMP/ids") ids, $(sort -u "$TMP/ids" | wc -l) distinct"

# single alert
id=$(echo "$all" | jq -r '.value[3].id')
graph "/$id" | jq -e --arg id "$id" '.id == $id and (."@odata.context" | endswith("$entity"))' >/dev/null ||
    fail "get by id"
nf=$("${CURL[@]}" -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/v1.0/security/alerts_v2/da0_0")
[ "$(echo "$nf" | tail -n 1)" = 404 ] && echo "$nf" | head -n 1 | jq -e '.error.code == "itemNotFound"' >/dev/null ||
    fail "unknown alert: $nf"
[ "$(status_of "$URL/v1.0/nothing/here")" = 404 ] || fail "unknown path is not 404"

# ---- admin: create, update, state, versions ----------------------------
# update first, so the 65 changed alerts are distinct
"${CURL[@]}" -X POST "$URL/_emulator/update?count=40" | jq -e '.updated == 40' >/dev/null || fail "update"
"${CURL[@]}" -X POST "$URL/_emulator/create?count=25" | jq -e '.created == 25' >/dev/null || fail "create"
state=$("${CURL[@]}" "$URL/_emulator/state")
echo "$state" | jq -e '.alerts == 525 and .versions == 565 and .requests["200"] > 10 and
    .requests["401"] >= 3 and .requests["400"] >= 3' >/dev/null || fail "state: $state"
"${CURL[@]}" "$URL/_emulator/versions" >"$TMP/versions"
[ "$(wc -l <"$TMP/versions")" -eq 565 ] || fail "versions has $(wc -l <"$TMP/versions") lines"
[ "$(sort -u "$TMP/versions" | wc -l)" -eq 565 ] || fail "versions repeat"
grep -Eqv $'^da[0-9]{18}_-?[0-9]+\t[0-9-]{10}T[0-9:]{8}\\.[0-9]{7}Z$' "$TMP/versions" &&
    fail "malformed versions line: $(grep -Ev $'^da[0-9]{18}_-?[0-9]+\t' "$TMP/versions" | head -1)"
# updated alerts moved past everything issued before; the listing shows each alert's newest version
newest=$(graph '?$top=2000&$count=true')
echo "$newest" | jq -e '."@odata.count" == 525' >/dev/null || fail "count after create"
echo "$newest" | jq -r '.value[] | [.id, .lastUpdateDateTime] | @tsv' | sort >"$TMP/listed"
sort "$TMP/versions" | awk -F'\t' '{ last[$1] = $2 } END { for (k in last) print k "\t" last[k] }' | sort >"$TMP/latest"
diff -q "$TMP/listed" "$TMP/latest" >/dev/null || fail "listing differs from the newest versions"
echo "$newest" | jq -e '[.value[-65:][] | .lastUpdateDateTime] | all(. > "'"$(echo "$all" | jq -r '.value[-1].lastUpdateDateTime')"'")' \
    >/dev/null || fail "new versions are not newer than every earlier one"
after=$(echo "$all" | jq -r '.value[-1].lastUpdateDateTime')
fresh=$(graph "?\$filter=lastUpdateDateTime%20gt%20$after&\$count=true&\$top=1" | jq '."@odata.count"')
[ "$fresh" = 65 ] || fail "gt the previous newest found $fresh, expected 65 (25 created + 40 updated)"

# ---- SIGTERM exits 0 ---------------------------------------------------
stop

# ---- faults ------------------------------------------------------------
start --alerts 50 --seed 3 --faults 429=0.3,500=0.1,503=0.1 --retry-after 0.25 --port-file "$TMP/port"
[ "$(cat "$TMP/port")" = "${URL##*:}" ] || fail "--port-file does not hold the port"
TOKEN=$(token_v2 emulator-secret https://graph.microsoft.com/.default | jq -r .access_token)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || fail "token endpoint was faulted"
: >"$TMP/codes"
for i in $(seq 200); do
    "${CURL[@]}" -D "$TMP/h" -o "$TMP/b" -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" \
        "$URL/v1.0/security/alerts_v2?\$top=1" >>"$TMP/codes"
    if [ "$(tail -n 1 "$TMP/codes")" = 429 ]; then
        grep -qi '^Retry-After: 0.25' "$TMP/h" || fail "429 without Retry-After: 0.25"
        jq -e '.error.code == "TooManyRequests"' "$TMP/b" >/dev/null || fail "429 body: $(cat "$TMP/b")"
    fi
done
c429=$(grep -c '^429$' "$TMP/codes" || true)
c500=$(grep -c '^500$' "$TMP/codes" || true)
c503=$(grep -c '^503$' "$TMP/codes" || true)
c200=$(grep -c '^200$' "$TMP/codes" || true)
[ "$c429" -gt 30 ] && [ "$c500" -gt 5 ] && [ "$c503" -gt 5 ] && [ "$c200" -gt 50 ] ||
    fail "fault mix 429=$c429 500=$c500 503=$c503 200=$c200"
for i in $(seq 20); do "${CURL[@]}" -X POST -o /dev/null "$URL/_emulator/create?count=1"; done
state=$("${CURL[@]}" "$URL/_emulator/state")
echo "$state" | jq -e --argjson a "$c429" --argjson b "$c500" --argjson c "$c503" \
    '.faults["429"] == $a and .faults["500"] == $b and .faults["503"] == $c and .alerts == 70 and
     .requests["429"] == $a' >/dev/null || fail "faults not counted: $state (429=$c429 500=$c500 503=$c503)"
echo "emulator graph: tokens, filters, paging, admin and faults ok ($c429/$c500/$c503 faults of 200)"
