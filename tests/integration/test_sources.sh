#!/usr/bin/env bash
# Every source type end to end against the emulator: mde (evidence
# expanded, cursor on lastUpdateTime) and siem (three regions, one cursor
# each, reached by their real host names), each delivering every alert
# exactly once; updates arrive as new versions.
source "$(dirname "$0")/lib.sh"

start_emulator --alerts 1500 --seed 9
printf 'emulator-secret' >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
port=${EMU_URL##*:}
tenant=00000000-0000-0000-0000-000000000001

cat >"$MDS_TEST_TMP/mdesiem.ini" <<CONF
[service]
state = $MDS_TEST_TMP/state.db
retry_initial = 50ms
retry_limit = 20

[source mde]
type = mde
tenant_id = $tenant
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
auth_url = $EMU_URL/$tenant/oauth2/v2.0/token
api_url = $EMU_URL
page_size = 400
eps_throttle = 0
outputs = mde_out

[source legacy]
type = siem
tenant_id = $tenant
client_id = 11111111-2222-3333-4444-555555555555
client_secret_file = $MDS_TEST_TMP/secret
auth_url = $EMU_URL/$tenant/oauth2/token
regions = eu, us
other_regions = apac
api_url = http://wdatp-alertexporter-{region}.windows.com:$port
connect_to = wdatp-alertexporter-eu.windows.com:$port:127.0.0.1:$port, wdatp-alertexporter-us.windows.com:$port:127.0.0.1:$port, wdatp-alertexporter-apac.windows.com:$port:127.0.0.1:$port
eps_throttle = 0
outputs = siem_out

[output mde_out]
type = file
path = $MDS_TEST_TMP/mde.jsonl

[output siem_out]
type = file
path = $MDS_TEST_TMP/siem.jsonl
CONF

# What the service holds, asked directly: the MDE door shows Defender for
# Endpoint alerts only; the legacy door their detections.
tok=$(curl -fsS -d "grant_type=client_credentials&client_id=11111111-2222-3333-4444-555555555555&client_secret=emulator-secret&scope=$EMU_URL/.default" \
    "$EMU_URL/$tenant/oauth2/v2.0/token" | jq -r .access_token)
mde_truth() {
    curl -fsS -G -H "Authorization: Bearer $tok" --data-urlencode '$top=10000' "$EMU_URL/api/alerts" |
        jq -r '.value[] | [.id, .lastUpdateTime] | @tsv' | sort
}
siem_truth() {
    curl -fsS -G -H "Authorization: Bearer $tok" --data-urlencode 'sinceTimeUtc=2000-01-01T00:00:00Z' "$EMU_URL/siem/api/alerts" |
        jq -r '.[] | [.FullId, .LastProcessedTimeUtc] | @tsv' | sort
}
check_mde() {
    mde_truth >"$MDS_TEST_TMP/mde.want"
    jq -r '[.id, .lastUpdateTime] | @tsv' "$MDS_TEST_TMP/mde.jsonl" | sort >"$MDS_TEST_TMP/mde.got"
    diff -q "$MDS_TEST_TMP/mde.want" "$MDS_TEST_TMP/mde.got" >/dev/null ||
        fail "mde: delivered $(wc -l <"$MDS_TEST_TMP/mde.got"), service has $(wc -l <"$MDS_TEST_TMP/mde.want")"
}

"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/once.err" || { tail "$MDS_TEST_TMP/once.err" >&2; fail "once failed"; }

# mde: every alert once, with its evidence, MDE-shaped
check_mde
[ "$(wc -l <"$MDS_TEST_TMP/mde.got")" -gt 500 ] || fail "mde: too few alerts to prove anything"
jq -e 'has("lastUpdateTime") and has("alertCreationTime") and (.evidence | length > 0)' "$MDS_TEST_TMP/mde.jsonl" \
    >/dev/null || fail "mde alerts lack lastUpdateTime or evidence"

# siem: one cursor per region; every detection once across the regions
"$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" --json >"$MDS_TEST_TMP/status.json"
for r in eu us apac; do
    jq -e --arg n "legacy@$r" '.sources | map(.name) | index($n) != null' "$MDS_TEST_TMP/status.json" >/dev/null ||
        fail "no cursor for region $r"
done
n=$(wc -l <"$MDS_TEST_TMP/siem.jsonl")
siem_truth >"$MDS_TEST_TMP/siem.want"
jq -r '[.FullId, .LastProcessedTimeUtc] | @tsv' "$MDS_TEST_TMP/siem.jsonl" | sort >"$MDS_TEST_TMP/siem.got"
diff -q "$MDS_TEST_TMP/siem.want" "$MDS_TEST_TMP/siem.got" >/dev/null ||
    fail "siem: delivered $n detections, service has $(wc -l <"$MDS_TEST_TMP/siem.want")"

# updates: new versions through both doors
emu_post "update?count=100"
"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" 2>>"$MDS_TEST_TMP/once.err" || fail "second once failed"
before=$(wc -l <"$MDS_TEST_TMP/mde.got")
check_mde_all() { # every version delivered so far plus the service's current ones
    mde_truth >"$MDS_TEST_TMP/mde.want"
    jq -r '[.id, .lastUpdateTime] | @tsv' "$MDS_TEST_TMP/mde.jsonl" | sort >"$MDS_TEST_TMP/mde.got"
    [ -z "$(comm -23 "$MDS_TEST_TMP/mde.want" "$MDS_TEST_TMP/mde.got")" ] || fail "mde: current versions missing after updates"
    [ -z "$(uniq -d "$MDS_TEST_TMP/mde.got")" ] || fail "mde: a version delivered twice"
}
check_mde_all
[ "$(wc -l <"$MDS_TEST_TMP/mde.got")" -gt "$before" ] || fail "mde: no new versions after 100 updates"
[ "$(wc -l <"$MDS_TEST_TMP/siem.jsonl")" -gt "$n" ] || fail "siem: no detections after updates"
echo "sources: mde $before alerts then $(($(wc -l <"$MDS_TEST_TMP/mde.got") - before)) updated, siem $n detections over 3 regions, each once"
