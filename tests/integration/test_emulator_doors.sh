#!/usr/bin/env bash
# One alert universe through the emulator's other doors: Graph incidents,
# the MDE API and the legacy SIEM API agree with Graph alerts_v2.
source "$(dirname "$0")/emulator_lib.sh"

start --alerts 400 --seed 21 --siem-path-prefix /legacy
G=$(token v2 https://graph.microsoft.com)
M=$(token v1 https://api.securitycenter.microsoft.com)
S=$(token v1 https://graph.windows.net)
get "$G" '/v1.0/security/alerts_v2?$top=2000' >"$TMP/graph.json"
[ "$(jq '.value | length' "$TMP/graph.json")" = 400 ] || fail "graph listing"

# ---- Graph incidents ----------------------------------------------------
inc=$(get "$G" '/v1.0/security/incidents?$top=50&$count=true&$expand=alerts')
n_inc=$(echo "$inc" | jq '."@odata.count"')
want_inc=$(jq '[.value[].incidentId] | unique | length' "$TMP/graph.json")
[ "$n_inc" = "$want_inc" ] || fail "incident count $n_inc, alerts name $want_inc incidents"
echo "$inc" | jq -e '(.value | length) == 50 and (."@odata.nextLink" | test("skip=50")) and
    ([.value[] | .id as $i | .alerts | length >= 1 and length <= 5 and all(.[]; .incidentId == $i)] | all) and
    ([.value[].lastUpdateDateTime] == ([.value[].lastUpdateDateTime] | sort))' >/dev/null ||
    fail "incident listing: $(echo "$inc" | head -c 300)"
# an incident's lastUpdateDateTime is its newest alert's
echo "$inc" | jq -e '[.value[] | .lastUpdateDateTime == ([.alerts[].lastUpdateDateTime] | max)] | all' >/dev/null ||
    fail "incident lastUpdateDateTime"
# paging visits every incident once
next="$URL/v1.0/security/incidents?\$top=37"
: >"$TMP/inc_ids"
for i in $(seq 40); do
    [ -n "$next" ] || break
    page=$("${CURL[@]}" -H "Authorization: Bearer $G" "$next")
    echo "$page" | jq -r '.value[].id' >>"$TMP/inc_ids"
    next=$(echo "$page" | jq -r '."@odata.nextLink" // empty')
done
[ "$(sort -u "$TMP/inc_ids" | wc -l)" = "$n_inc" ] && [ "$(wc -l <"$TMP/inc_ids")" = "$n_inc" ] ||
    fail "incident paging"
[ "$(code "$G" '/v1.0/security/incidents?$top=51')" = 400 ] || fail "\$top=51 on incidents is not 400"
id=$(echo "$inc" | jq -r '.value[7].id')
get "$G" "/v1.0/security/incidents/$id?\$expand=alerts" | jq -e --arg id "$id" \
    '.id == $id and (.alerts | length) >= 1 and (."@odata.context" | endswith("incidents/$entity"))' >/dev/null ||
    fail "incident by id"
get "$G" "/v1.0/security/incidents/$id/alerts" | jq -e --arg id "$id" \
    '(.value | length) >= 1 and all(.value[]; .incidentId == $id)' >/dev/null || fail "incident alerts"
[ "$(code "$G" '/v1.0/security/incidents/1')" = 404 ] || fail "unknown incident is not 404"
resolved=$(get "$G" "/v1.0/security/incidents?\$filter=status%20eq%20'resolved'&\$top=50")
echo "$resolved" | jq -e '(.value | length) > 0 and all(.value[]; .status == "resolved")' >/dev/null ||
    fail "incident status filter"

# ---- MDE API --------------------------------------------------------------
mde=$(get "$M" '/api/alerts?$expand=evidence')
echo "$mde" | jq -e '."@odata.context" == "https://api.securitycenter.microsoft.com/api/$metadata#Alerts" and
    (has("@odata.nextLink") | not)' >/dev/null || fail "MDE envelope"
jq -r '.value[] | select(.serviceSource == "microsoftDefenderForEndpoint") | [.id, .lastUpdateDateTime] | @tsv' \
    "$TMP/graph.json" | sort >"$TMP/want_mde"
echo "$mde" | jq -r '.value[] | [.id, .lastUpdateTime] | @tsv' | sort >"$TMP/got_mde"
[ -s "$TMP/want_mde" ] && diff -q "$TMP/want_mde" "$TMP/got_mde" >/dev/null ||
    fail "MDE alerts differ from Graph's Defender for Endpoint alerts"
echo "$mde" | jq -e '[.value[] | (.severity | test("^(Informational|Low|Medium|High|UnSpecified)$")) and
    (.status | test("^(New|InProgress|Resolved)$")) and (.incidentId | type) == "number" and
    (.evidence | length) >= 1 and all(.evidence[]; .entityType | test("^(Process|File|Ip|Url|User)$"))] | all' \
    >/dev/null || fail "MDE shape"
get "$M" '/api/alerts?$top=3' | jq -e '(.value | length) == 3 and all(.value[]; .evidence == [])' >/dev/null ||
    fail "MDE without \$expand has evidence"
mid=$(sed -n '100p' "$TMP/got_mde" | cut -f2)
want=$(awk -F'\t' -v m="$mid" '$2 >= m' "$TMP/got_mde" | wc -l)
got=$(get "$M" "/api/alerts?\$filter=lastUpdateTime+ge+$mid" | jq '.value | length')
[ "$got" = "$want" ] || fail "MDE lastUpdateTime ge: $got, expected $want"
[ "$(code "$M" '/api/alerts?$top=10001')" = 400 ] || fail "MDE \$top=10001 is not 400"
get "$M" '/api/alerts?$top=10001' | jq -e '.error.code == "ODataError" and (.error.target | length) > 0' >/dev/null ||
    fail "MDE error body"
aid=$(head -n 1 "$TMP/got_mde" | cut -f1)
get "$M" "/api/alerts/$aid" | jq -e --arg id "$aid" '.id == $id' >/dev/null || fail "MDE alert by id"
[ "$(code "$G" '/api/alerts')" = 401 ] || fail "a Graph token opens the MDE API"

# ---- legacy SIEM API --------------------------------------------------------
jq '[.value[] | select(.serviceSource == "microsoftDefenderForEndpoint") |
    .evidence[] | select(."@odata.type" | test("processEvidence|fileEvidence"))] | length' "$TMP/graph.json" >"$TMP/n"
siem=$(get "$S" '/legacy/api/alerts?sinceTimeUtc=2000-01-01T00:00:00.000')
[ "$(echo "$siem" | jq length)" = "$(cat "$TMP/n")" ] ||
    fail "SIEM has $(echo "$siem" | jq length) detections, Graph has $(cat "$TMP/n") process/file evidence"
echo "$siem" | jq -e 'type == "array" and all(.[]; keys | length == 50) and
    all(.[]; (.Sha1 | test("^[0-9a-f]{40}$")) and (.Md5 | test("^[0-9a-f]{32}$")) and
    (.Sha256 | test("^[0-9a-f]{64}$")) and (.ExternalId | test("^[0-9A-F]{40}$")) and
    .FullId == .AlertId + ":" + .IocUniqueId and (.RemediationIsSuccess == null or (.RemediationIsSuccess | type) == "boolean"))' \
    >/dev/null || fail "SIEM detection shape"
echo "$siem" | jq -r '.[] | [.AlertId, .LastProcessedTimeUtc] | @tsv' | sort -u >"$TMP/siem_versions"
comm -23 "$TMP/siem_versions" "$TMP/want_mde" | grep -q . && fail "SIEM LastProcessedTimeUtc differs from lastUpdateDateTime"
echo "$siem" | jq -e '[.[].LastProcessedTimeUtc] == ([.[].LastProcessedTimeUtc] | sort)' >/dev/null ||
    fail "SIEM not ordered by LastProcessedTimeUtc"
# the same through a wdatp-alertexporter Host, with the trailing slash of ArcSight's template
host_n=$(get "$S" '/api/alerts/?sinceTimeUtc=2000-01-01T00:00:00' -H 'Host: wdatp-alertexporter-eu.windows.com' | jq length)
[ "$host_n" = "$(cat "$TMP/n")" ] || fail "exporter Host gave $host_n detections"
# limit keeps the most recent
last3=$(get "$S" '/legacy/api/alerts?sinceTimeUtc=2000-01-01T00:00:00Z&limit=3' | jq -c '[.[].FullId]')
[ "$last3" = "$(echo "$siem" | jq -c '[.[-3:][].FullId]')" ] || fail "limit=3 gave $last3"
# default window is the last two hours; ago widens it
two_h=$(get "$S" '/legacy/api/alerts' | jq length)
day=$(get "$S" '/legacy/api/alerts?ago=P1D' | jq length)
[ "$two_h" -lt "$day" ] && [ "$day" = "$(cat "$TMP/n")" ] || fail "default window $two_h, ago=P1D $day"
since=$(echo "$siem" | jq -r '.[200].LastProcessedTimeUtc')
until=$(echo "$siem" | jq -r '.[300].LastProcessedTimeUtc')
want=$(echo "$siem" | jq --arg s "$since" --arg u "$until" '[.[] | select(.LastProcessedTimeUtc >= $s and .LastProcessedTimeUtc <= $u)] | length')
got=$(get "$S" "/legacy/api/alerts?sinceTimeUtc=${since%Z}&untilTimeUtc=$until" | jq length)
[ "$got" = "$want" ] || fail "since/until window: $got, expected $want"
# machine groups (repeatable) and tags
want=$(echo "$siem" | jq '[.[] | select(.MachineGroup == "UKMachines" or .MachineGroup == "Servers-Tier0")] | length')
got=$(get "$S" '/legacy/api/alerts?ago=P2D&machinegroups=UKMachines&machinegroups=Servers-Tier0' | jq length)
[ "$want" -gt 0 ] && [ "$got" = "$want" ] || fail "machinegroups: $got, expected $want"
want=$(echo "$siem" | jq '[.[] | select(.DeviceCreatedMachineTags == "VIP")] | length')
got=$(get "$S" '/legacy/api/alerts?ago=P2D&DeviceCreatedMachineTags=VIP' | jq length)
[ "$got" = "$want" ] || fail "DeviceCreatedMachineTags: $got, expected $want"
want=$(echo "$siem" | jq '[.[] | select(.CloudCreatedMachineTags | split(", ") | index("PCI"))] | length')
got=$(get "$S" '/legacy/api/alerts?ago=P2D&CloudCreatedMachineTags=PCI' | jq length)
[ "$got" = "$want" ] || fail "CloudCreatedMachineTags: $got, expected $want"
[ "$(code "$S" '/legacy/api/alerts?ago=yesterday')" = 400 ] || fail "bad ago is not 400"
[ "$(code "$G" '/legacy/api/alerts')" = 401 ] || fail "a Graph token opens the SIEM API"
[ "$(code "$S" '/api/alerts')" = 401 ] || fail "a SIEM token opens the MDE API"
# a token of another tenant (same seed, same signing key) is forbidden
first_url=$URL
start --alerts 5 --seed 21 --tenant 99999999-0000-0000-0000-000000000009
TENANT=99999999-0000-0000-0000-000000000009
other=$(token v1 https://graph.windows.net)
URL=$first_url
[ "$(code "$other" '/legacy/api/alerts')" = 403 ] || fail "another tenant's token is not 403"
echo "doors: $n_inc incidents, $(wc -l <"$TMP/got_mde") MDE alerts, $(cat "$TMP/n") SIEM detections agree with Graph"
