#!/usr/bin/env bash
# `mdesiem once` on a terminal shows a progress line per source (pages,
# alerts, rate, cursor, ETA while backfilling, done at the end); with
# stderr not a terminal it shows none. The terminal is a pseudo-terminal
# from script(1).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"
command -v script >/dev/null || fail "script(1) (bsdutils) is needed"

# 20 pages of 100 alerts over the last 23 hours (whatever $top says), each
# answered after 0.15 s: a 3-second backfill
start_daemon_emulator --alerts 2000 --quirk top-clamp=100 --faults slow=1 --slow-ms 150
T=$MDS_TEST_TMP
{ service_section; emu_source backfill out "page_size = 100"; file_output out "$T/out.jsonl"; } >"$T/tty.ini"
emu_versions >"$T/want"

script -qec "'$MDESIEM' once -c '$T/tty.ini'" "$T/typescript" >/dev/null </dev/null ||
    { cat "$T/typescript" >&2; fail "once on a terminal failed"; }
tr '\r' '\n' <"$T/typescript" >"$T/screen"
grep -q 'backfill  [0-9]* pages  [0-9]* alerts  [0-9]*/s  cursor 20' "$T/screen" || fail "no progress line"
grep -q 'backfill .* ETA [0-9]' "$T/screen" || fail "no ETA while backfilling"
grep -q 'backfill  2[01] pages  20[0-9][0-9] alerts .* done' "$T/screen" || fail "final line missing or wrong"
grep -q $'\e\[J' "$T/typescript" || fail "progress lines are not redrawn in place"
delivered_versions "$T/out.jsonl" >"$T/got"
same_versions "$T/want" "$T/got" || fail "progress changed what was delivered"
[ "$(wc -l <"$T/got")" -eq 2000 ] || fail "expected 2000 alerts, got $(wc -l <"$T/got")"
slow=$(emu_state | jq .faults.slow)
[ "$slow" -ge 20 ] || fail "only $slow pages were slowed down: the backfill was not the 3 seconds the test needs"

# not a terminal: the same run prints log lines only
rm -f "$T/state.db"* "$T/out.jsonl"
"$MDESIEM" once -c "$T/tty.ini" 2>"$T/plain.err" </dev/null >/dev/null || fail "once without a terminal failed"
grep -q 'cycle done' "$T/plain.err" || fail "no log lines without a terminal"
delivered_versions "$T/out.jsonl" >"$T/got"
same_versions "$T/want" "$T/got" || fail "the run without a terminal delivered something else"
! grep -q ' pages ' "$T/plain.err" || fail "progress printed although stderr is not a terminal"
! grep -q $'\e' "$T/plain.err" || fail "escape sequences without a terminal"
echo "progress: $(grep -c 'backfill  ' "$T/screen") progress redraws on the terminal, none without one"
