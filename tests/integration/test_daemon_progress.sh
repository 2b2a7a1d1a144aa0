#!/usr/bin/env bash
# `mdesiem once` on a terminal shows a progress line per source (pages,
# alerts, rate, cursor, ETA while backfilling, done at the end); with
# stderr not a terminal it shows none. The terminal is a pseudo-terminal
# from script(1).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/daemon_lib.sh"
command -v script >/dev/null || fail "script(1) (bsdutils) is needed"

# 20 pages of 100 alerts over 23 hours, 0.15 s per page: a 3-second backfill
write_secret
start_source --alerts 2000 --faults slow=1 --slow-ms 150
T=$MDS_TEST_TMP
{ service_section; graph_source backfill out "page_size = 100"; file_output out "$T/out.jsonl"; } >"$T/tty.ini"

TERM=xterm script -qec "'$MDESIEM' once -c '$T/tty.ini'" "$T/typescript" >/dev/null </dev/null ||
    { cat "$T/typescript" >&2; fail "once on a terminal failed"; }
tr '\r' '\n' <"$T/typescript" >"$T/screen"
grep -q 'backfill  [0-9]* pages  [0-9]* alerts  [0-9]*/s  cursor 20' "$T/screen" || fail "no progress line"
grep -q 'backfill .* ETA [0-9]' "$T/screen" || fail "no ETA while backfilling"
grep -q 'backfill  2[01] pages  20[0-9][0-9] alerts .* done' "$T/screen" || fail "final line missing or wrong"
grep -q $'\e\[J' "$T/typescript" || fail "progress lines are not redrawn in place"
[ "$(wc -l <"$T/out.jsonl")" -eq 2000 ] || fail "progress changed what was delivered"

# not a terminal: the same run prints log lines only
rm -f "$T/state.db"* "$T/out.jsonl"
"$MDESIEM" once -c "$T/tty.ini" 2>"$T/plain.err" </dev/null >/dev/null || fail "once without a terminal failed"
grep -q 'cycle done' "$T/plain.err" || fail "no log lines without a terminal"
! grep -q ' pages ' "$T/plain.err" || fail "progress printed although stderr is not a terminal"
! grep -q $'\e' "$T/plain.err" || fail "escape sequences without a terminal"
# a terminal that cannot redraw lines (TERM=dumb): no progress either
rm -f "$T/state.db"* "$T/out.jsonl"
TERM=dumb script -qec "'$MDESIEM' once -c '$T/tty.ini'" "$T/dumb" >/dev/null </dev/null || fail "once on a dumb terminal failed"
! grep -q $'\e' "$T/dumb" || fail "escape sequences on TERM=dumb"
echo "progress: $(grep -c 'backfill  ' "$T/screen") progress redraws on the terminal, none without one"
