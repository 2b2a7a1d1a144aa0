#!/usr/bin/env bash
# Graph incidents (api = incidents): every incident version collected once
# through $expand=alerts with pages of at most 50, as the service allows;
# a page_size above 50 is a configuration error.
source "$(dirname "$0")/lib.sh"

start_emulator --alerts 600 --seed 29
printf 'emulator-secret' >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
write_config "$MDS_TEST_TMP/inc.ini" "$MDS_TEST_TMP/secret" "api = incidents
eps_throttle = 0"
"$MDESIEM" once -c "$MDS_TEST_TMP/inc.ini" 2>"$MDS_TEST_TMP/once.err" || { tail -3 "$MDS_TEST_TMP/once.err" >&2; fail "once failed"; }

tok=$(curl -fsS -d "grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555&client_secret=emulator-secret&scope=https://graph.microsoft.com/.default" \
    "$EMU_URL/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token" | jq -r .access_token)
truth() { # every incident the service lists, following nextLink
    local url="$EMU_URL/v1.0/security/incidents?\$top=50"
    while [ -n "$url" ]; do
        curl -fsS -H "Authorization: Bearer $tok" "$url" >"$MDS_TEST_TMP/page.json"
        jq -r '.value[] | [.id, .lastUpdateDateTime] | @tsv' "$MDS_TEST_TMP/page.json"
        url=$(jq -r '."@odata.nextLink" // empty' "$MDS_TEST_TMP/page.json")
    done
}
truth | sort >"$MDS_TEST_TMP/want"
jq -r '[.id, .lastUpdateDateTime] | @tsv' "$MDS_TEST_TMP/out.jsonl" | sort >"$MDS_TEST_TMP/got"
n=$(wc -l <"$MDS_TEST_TMP/want")
[ "$n" -gt 50 ] || fail "only $n incidents: the test needs more than one page"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null ||
    fail "collected $(wc -l <"$MDS_TEST_TMP/got") incident versions, the service lists $n"
jq -e '.alerts | type == "array" and length > 0' "$MDS_TEST_TMP/out.jsonl" >/dev/null || fail "incidents lack their alerts"

write_config "$MDS_TEST_TMP/big.ini" "$MDS_TEST_TMP/secret" "api = incidents
page_size = 100"
set +e
"$MDESIEM" once -c "$MDS_TEST_TMP/big.ini" 2>"$MDS_TEST_TMP/big.err"
code=$?
set -e
[ "$code" -eq 3 ] && grep -q "page_size for incidents is at most 50" "$MDS_TEST_TMP/big.err" || fail "page_size 100 accepted for incidents"
echo "incidents: $n incident versions with their alerts, each once"
