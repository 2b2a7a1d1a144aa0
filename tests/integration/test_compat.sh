#!/usr/bin/env bash
# Compat mode end to end: a client polling like ArcSight/QRadar
# (token, then sinceTimeUtc = last LastProcessedTimeUtc) against mdesiem,
# which pulls from the emulator while the emulator creates and updates
# alerts. Every alert version reaches the client exactly once, as the
# legacy detections the `legacy` format makes of it.
source "$(dirname "$0")/lib.sh"

start_emulator --alerts 300 --seed 21
printf 'emulator-secret' >"$MDS_TEST_TMP/secret"
printf 'arcsight-secret-%s' "$RANDOM" >"$MDS_TEST_TMP/client-secret"
chmod 600 "$MDS_TEST_TMP/secret" "$MDS_TEST_TMP/client-secret"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
write_config "$MDS_TEST_TMP/mdesiem.ini" "$MDS_TEST_TMP/secret" "recurrence = 1S
page_size = 200"
cat >>"$MDS_TEST_TMP/mdesiem.ini" <<CONF

[serve]
listen = 127.0.0.1:$port
sources = defender

[client arcsight]
client_id = 35e0f735-5fe4-4693-9e68-3de80f1d3745
client_secret_file = $MDS_TEST_TMP/client-secret
CONF

"$MDESIEM" run -c "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/run.err" &
sleep 0.2
MDS_PIDS+=("$!")
wait_for 20 grep -q 'serving the legacy SIEM API' "$MDS_TEST_TMP/run.err" || fail "compat server did not start"

python3 "$(dirname "$0")/legacy_poller.py" --base "http://127.0.0.1:$port" \
    --client-id 35e0f735-5fe4-4693-9e68-3de80f1d3745 --secret-file "$MDS_TEST_TMP/client-secret" \
    --out "$MDS_TEST_TMP/client.jsonl" --want 300 --idle 4 --interval 0.5 --timeout 120 \
    --done-file "$MDS_TEST_TMP/fed" &
poller=$!
MDS_PIDS+=("$poller")
for _ in 1 2 3; do   # the emulator keeps changing while the client polls
    sleep 1.5
    emu_post "create?count=40"
    emu_post "update?count=30"
done
# An alert updated before mdesiem polled it shows only its newest version
# (as on the real service), so the goal is: the newest version of every
# alert, plus every version mdesiem saw, reaches the client exactly once.
emu_versions | sort -k1,1 -k2,2r | sort -u -k1,1 >"$MDS_TEST_TMP/latest"
all_collected() { [ -z "$(comm -23 "$MDS_TEST_TMP/latest" <(delivered_versions "$MDS_TEST_TMP/out.jsonl"))" ]; }
wait_for 30 all_collected || fail "mdesiem did not collect the newest version of every alert"
touch "$MDS_TEST_TMP/fed"
wait "$poller" || fail "the poller did not get its detections"

# expected: every alert version mdesiem delivered, rendered as legacy detections
"$MDESIEM" convert --from graph --to legacy --evidence split "$MDS_TEST_TMP/out.jsonl" |
    jq -c 'del(.LastProcessedTimeUtc)' | sort >"$MDS_TEST_TMP/want"
jq -c 'del(.LastProcessedTimeUtc)' "$MDS_TEST_TMP/client.jsonl" | sort >"$MDS_TEST_TMP/got"
versions=$(wc -l <"$MDS_TEST_TMP/out.jsonl")
[ "$versions" -ge 420 ] || fail "mdesiem delivered only $versions alert versions"
diff -q "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" >/dev/null ||
    fail "client detections differ from the alert versions: $(diff "$MDS_TEST_TMP/want" "$MDS_TEST_TMP/got" | head -3 | cut -c1-200)"
# LastProcessedTimeUtc: unique and increasing in the order served
jq -r '.LastProcessedTimeUtc' "$MDS_TEST_TMP/client.jsonl" >"$MDS_TEST_TMP/stamps"
sort -c "$MDS_TEST_TMP/stamps" || fail "LastProcessedTimeUtc not increasing"
[ "$(sort -u "$MDS_TEST_TMP/stamps" | wc -l)" -eq "$(wc -l <"$MDS_TEST_TMP/stamps")" ] || fail "stamps repeat"
echo "compat: $versions alert versions -> $(wc -l <"$MDS_TEST_TMP/got") detections, each exactly once"
