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
#
# Then `mdesiem convert --from stream --to json|cef` on Streaming API
# records (spec 4.2-4.4): STREAM_RECORDS records (six tables mixed, up to
# 20 per message) produced by `mdesiem emulate --stream-mock` and read
# back with kcat as the Event Hubs message bodies, one {"records":[...]}
# per line (figure convert-stream; skipped without kcat).
source "$(dirname "$0")/lib.sh"

CONVERT_PAGES=${CONVERT_PAGES:-20}
JQ_PAGES=${JQ_PAGES:-2}
FORMATS=${CONVERT_FORMATS:-json legacy cef leef ecs}
STREAM_RECORDS=${STREAM_RECORDS:-100000}
STREAM_FORMATS=${CONVERT_STREAM_FORMATS:-json cef}
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

# ---- --from stream ---------------------------------------------------------
# stream_input: $D/stream.jsonl, STREAM_RECORDS records as message bodies.
stream_input() {
    local parts=$(((STREAM_RECORDS + 1499) / 1500)) mock out="$BENCH_TMP/stream-mock.out"
    [ "$parts" -ge 4 ] || parts=4 # the mock keeps about 5 MB per partition
    "$MDESIEM" emulate --stream-mock --topic convert --partitions "$parts" --events "$STREAM_RECORDS" --eps 0 \
        --seed 1 >"$out" 2>"$BENCH_TMP/stream-mock.err" &
    mock=$!
    BENCH_PIDS+=("$mock")
    wait_for 120 grep -qs "stream produced" "$out" || fail "the stream mock did not produce its records"
    local kafka
    kafka=$(sed -n 's/^mdesiem emulate: stream bootstrap //p' "$out")
    kcat -C -b "$kafka" -t convert -o beginning -e -q >"$D/stream.jsonl"
    stop_pid "$mock"
    note convert "$MDESIEM emulate --stream-mock --topic convert --partitions $parts --events $STREAM_RECORDS --eps 0 --seed 1"
    note convert "kcat -C -b \$KAFKA -t convert -o beginning -e -q > stream.jsonl"
}

if command -v kcat >/dev/null; then
    stream_input
    SREC=$(python3 -c 'import json, sys; print(sum(len(json.loads(l)["records"]) for l in open(sys.argv[1]) if l.strip()))' "$D/stream.jsonl")
    [ "$SREC" -eq "$STREAM_RECORDS" ] || fail "expected $STREAM_RECORDS stream records, got $SREC"
    SBYTES=$(stat -c %s "$D/stream.jsonl")
    SMSG=$(wc -l <"$D/stream.jsonl")
    for f in $STREAM_FORMATS; do
        note convert "taskset -c 0 $MDESIEM convert --from stream --to $f stream.jsonl > /dev/null"
    done
    for run in $(seq "$BENCH_RUNS"); do
        for f in $STREAM_FORMATS; do
            timed /dev/null taskset -c 0 "$MDESIEM" convert --from stream --to "$f" "$D/stream.jsonl"
            [ "$T_RC" -eq 0 ] || fail "convert --from stream --to $f failed"
            result figure=convert-stream case="$f" tool=mdesiem run="$run" wall="$T_WALL" user="$T_USER" \
                sys="$T_SYS" rss_kb="$T_RSS" items="$STREAM_RECORDS" bytes="$SBYTES"
        done
    done
    result figure=convert-stream-meta records="$STREAM_RECORDS" messages="$SMSG" bytes="$SBYTES"
    say "convert: --from stream done"
else
    result figure=convert-stream-skipped reason="kcat is not installed (make deps): no Streaming API input"
fi

result figure=convert-meta alerts_per_page="$ALERTS" page_bytes="$PAGE_BYTES" min_evidence="$MIN_EV" \
    avg_evidence="$AVG_EV" pages="$CONVERT_PAGES" jq_pages="$JQ_PAGES" cat_reps="$CAT_REPS" \
    peer_check="$PEER_CHECK" jq_version="$(jq --version)"
