#!/usr/bin/env bash
# bench/convert.sh - figure 1: `mdesiem convert --from graph --to FORMAT`
# on one core, side by side with jq running the same legacy mapping
# (bench/legacy.jq) and with cat of the same bytes (the I/O ceiling).
#
# Input: one Graph alerts_v2 page of 2,000 alerts from the emulator, each
# with 4 or more evidence items, as one JSON line; mdesiem and cat read
# that line repeated CONVERT_PAGES times (JSON lines of pages), jq reads it
# JQ_PAGES times (jq is slower: fewer pages keep its runs near a second).
# Rates are per run (items / wall seconds); ratios pair each run of
# mdesiem with the jq and cat runs of the same round.
source "$(dirname "$0")/lib.sh"

CONVERT_PAGES=${CONVERT_PAGES:-20}
JQ_PAGES=${JQ_PAGES:-2}
FORMATS=${CONVERT_FORMATS:-json legacy cef leef ecs}
D="$BENCH_TMP/convert"
mkdir -p "$D"

# ---- the input page ------------------------------------------------------
start_emulator --alerts 6000 --seed 7 --clock 2026-01-01T00:00:00Z
note convert "$MDESIEM emulate --listen 127.0.0.1:0 --alerts 6000 --seed 7 --clock 2026-01-01T00:00:00Z"
TOKEN=$(graph_token)
for skip in 0 2000 4000; do
    curl -fsS -H "Authorization: Bearer $TOKEN" \
        "$EMU_URL/v1.0/security/alerts_v2?\$top=2000&\$skip=$skip" >"$D/raw.$skip.json"
done
note convert "curl -H 'Authorization: Bearer \$TOKEN' \"\$EMU/v1.0/security/alerts_v2?\\\$top=2000&\\\$skip={0,2000,4000}\""
jq -c -s '{"@odata.context": .[0]["@odata.context"],
           value: ([.[].value[] | select((.evidence | length) >= 4)][:2000])}' \
    "$D/raw.0.json" "$D/raw.2000.json" "$D/raw.4000.json" >"$D/page.json"
note convert "jq -c -s '{\"@odata.context\": .[0][\"@odata.context\"], value: ([.[].value[] | select((.evidence | length) >= 4)][:2000])}' raw.*.json > page.json"
stop_pid "$EMU_PID"
ALERTS=$(jq '.value | length' "$D/page.json")
[ "$ALERTS" -eq 2000 ] || fail "expected 2000 alerts with 4+ evidence, got $ALERTS"
MIN_EV=$(jq '[.value[].evidence | length] | min' "$D/page.json")
AVG_EV=$(jq '[.value[].evidence | length] | add / length' "$D/page.json")
PAGE_BYTES=$(stat -c %s "$D/page.json")

for i in $(seq "$CONVERT_PAGES"); do cat "$D/page.json"; done >"$D/pages.jsonl"
for i in $(seq "$JQ_PAGES"); do cat "$D/page.json"; done >"$D/jq.jsonl"
note convert "for i in \$(seq $CONVERT_PAGES); do cat page.json; done > pages.jsonl   # and $JQ_PAGES pages > jq.jsonl"
BYTES=$(stat -c %s "$D/pages.jsonl")
JQ_BYTES=$(stat -c %s "$D/jq.jsonl")
ITEMS=$((ALERTS * CONVERT_PAGES))
JQ_ITEMS=$((ALERTS * JQ_PAGES))

# ---- the peer does the same work ---------------------------------------
"$MDESIEM" convert --from graph --to legacy "$D/page.json" >"$D/mdesiem.legacy"
jq -c -f "$BENCH_HERE/legacy.jq" "$D/page.json" >"$D/jq.legacy"
if cmp -s "$D/mdesiem.legacy" "$D/jq.legacy"; then
    PEER_CHECK="byte-identical"
elif cmp -s <(jq -S -c . "$D/mdesiem.legacy") <(jq -S -c . "$D/jq.legacy"); then
    PEER_CHECK="identical after jq -S (key order or escaping differs)"
else
    diff <(jq -S -c . "$D/mdesiem.legacy" | head -3 | tr ',' '\n') \
        <(jq -S -c . "$D/jq.legacy" | head -3 | tr ',' '\n') | head -20 >&2 || true
    fail "bench/legacy.jq and mdesiem --to legacy disagree on the benchmark page"
fi
say "convert: jq legacy mapping vs mdesiem: $PEER_CHECK"

# output sizes (untimed)
declare -A OUT_BYTES
for f in $FORMATS; do
    OUT_BYTES[$f]=$("$MDESIEM" convert --from graph --to "$f" "$D/pages.jsonl" | wc -c)
done

# cat repeats the input until one run lasts >= ~0.7 s
timed /dev/null taskset -c 0 cat "$D/pages.jsonl"
CAT_REPS=$(python3 -c "import math; print(max(1, min(200, math.ceil(0.7 / max($T_WALL, 0.005)))))")
CAT_ARGS=()
for i in $(seq "$CAT_REPS"); do CAT_ARGS+=("$D/pages.jsonl"); done

for f in $FORMATS; do
    note convert "taskset -c 0 $MDESIEM convert --from graph --to $f pages.jsonl > /dev/null"
done
note convert "taskset -c 0 jq -c -f bench/legacy.jq jq.jsonl > /dev/null"
note convert "taskset -c 0 cat pages.jsonl ... (the file $CAT_REPS times) > /dev/null"

# ---- rounds --------------------------------------------------------------
for run in $(seq "$BENCH_RUNS"); do
    for f in $FORMATS; do
        timed /dev/null taskset -c 0 "$MDESIEM" convert --from graph --to "$f" "$D/pages.jsonl"
        [ "$T_RC" -eq 0 ] || fail "convert --to $f failed"
        result figure=convert case="$f" tool=mdesiem run="$run" wall="$T_WALL" user="$T_USER" sys="$T_SYS" \
            rss_kb="$T_RSS" items="$ITEMS" bytes="$BYTES" out_bytes="${OUT_BYTES[$f]}"
    done
    timed /dev/null taskset -c 0 jq -c -f "$BENCH_HERE/legacy.jq" "$D/jq.jsonl"
    [ "$T_RC" -eq 0 ] || fail "jq failed"
    result figure=convert case=jq-legacy tool=jq run="$run" wall="$T_WALL" user="$T_USER" sys="$T_SYS" \
        rss_kb="$T_RSS" items="$JQ_ITEMS" bytes="$JQ_BYTES"
    timed /dev/null taskset -c 0 cat "${CAT_ARGS[@]}"
    result figure=convert case=cat tool=cat run="$run" wall="$T_WALL" user="$T_USER" sys="$T_SYS" \
        rss_kb="$T_RSS" items=$((ITEMS * CAT_REPS)) bytes=$((BYTES * CAT_REPS))
    say "convert: round $run of $BENCH_RUNS done"
done

result figure=convert-meta alerts_per_page="$ALERTS" page_bytes="$PAGE_BYTES" min_evidence="$MIN_EV" \
    avg_evidence="$AVG_EV" pages="$CONVERT_PAGES" jq_pages="$JQ_PAGES" cat_reps="$CAT_REPS" \
    peer_check="$PEER_CHECK" jq_version="$(jq --version)"
