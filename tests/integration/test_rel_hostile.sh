#!/usr/bin/env bash
# Reliability scenario 4, hostile input (tests/integration/hostile.py makes
# it): alerts whose values are built to break CEF, LEEF and syslog framing
# (newlines, CR, pipes, '=', backslashes, the LEEF delimiter, forged
# "123 <13>1 ..." and "CEF:0|" look-alikes, NUL and control escapes,
# U+2028), a 10 MiB command line, invalid UTF-8 bytes, lone surrogates and
# 300-deep nesting must each become exactly one well-formed line per event
# in every format; malformed documents (raw NUL, truncated, 10,000-deep
# nesting, garbage, ...) must be refused with a clear message and a byte
# offset - never a crash. Then the same alerts go through `mdesiem once`
# (graph source -> outbox -> syslog over TCP) into a real rsyslog with
# octet counting and with newline framing: one intact line per alert.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/outputs_lib.sh"
H="$(dirname "$0")/hostile.py"
BIG=${MDS_REL_BIG:-10485760}
mkdir -p "$MDS_TEST_TMP/in"
python3 "$H" make "$MDS_TEST_TMP/in" --big "$BIG"
n=$(wc -l <"$MDS_TEST_TMP/in/valid.jsonl")

# 1) convert: valid but hostile
for fmt in json legacy cef leef ecs; do
    evs="first split"
    # json has no evidence policy; legacy split is skipped to keep this under a minute with ASan
    [ "$fmt" = json ] || [ "$fmt" = legacy ] && evs=first
    for ev in $evs; do
        out="$MDS_TEST_TMP/conv.$fmt.$ev"
        code=0
        "$MDESIEM" convert --from graph --to "$fmt" --evidence "$ev" "$MDS_TEST_TMP/in/valid.jsonl" >"$out" \
            2>"$out.err" || code=$?
        [ "$code" -eq 0 ] || fail "convert --to $fmt --evidence $ev exited $code: $(head -c 300 "$out.err")"
        want=$n
        [ "$ev" = split ] && [ "$fmt" != json ] && want=-1
        r=$(python3 "$H" check "$fmt" "$out" "$want" 2>&1) || fail "convert --to $fmt --evidence $ev: $r"
        echo "convert $fmt/$ev: $n hostile alerts -> $r (lines bytes), exit 0"
    done
done
# the LEEF delimiter itself inside values, with a printable delimiter
"$MDESIEM" convert --from graph --to leef --leef-delimiter '^' "$MDS_TEST_TMP/in/valid.jsonl" >"$MDS_TEST_TMP/conv.leef.caret"
r=$(python3 "$H" check leef "$MDS_TEST_TMP/conv.leef.caret" "$n" 2>&1) || fail "leef with ^: $r"
python3 - "$MDS_TEST_TMP/conv.leef.caret" <<'PY' || fail "leef ^: a value holds the delimiter"
import sys
for line in open(sys.argv[1], encoding="utf-8"):
    attrs = line.rstrip("\n").split("|", 6)[6]
    for pair in attrs.split("^"):
        if "=" not in pair:
            sys.exit("attribute without '=': %r" % pair[:60])
PY
echo "convert leef, delimiter '^': every attribute is key=value"

# 2) convert: malformed documents
for f in "$MDS_TEST_TMP"/in/invalid-*.json; do
    name=$(basename "$f" .json)
    for fmt in json cef; do
        code=0
        "$MDESIEM" convert --from graph --to "$fmt" "$f" >"$MDS_TEST_TMP/bad.out" 2>"$MDS_TEST_TMP/bad.err" || code=$?
        [ "$code" -lt 128 ] || fail "$name: convert crashed (exit $code)"
        [ "$code" -eq 1 ] || fail "$name: convert --to $fmt exited $code, expected 1"
        grep -q 'byte offset [0-9]' "$MDS_TEST_TMP/bad.err" || fail "$name: no byte offset: $(head -c 200 "$MDS_TEST_TMP/bad.err")"
        [ ! -s "$MDS_TEST_TMP/bad.out" ] || fail "$name: output written for a malformed document"
    done
    printf 'convert %-26s exit 1: %s\n' "$name" "$(head -c 160 "$MDS_TEST_TMP/bad.err" | tr '\n' ' ')"
done

# 3) the longest argument Linux passes (one argv string is capped at
#    128 KiB by the kernel; a 10 MiB one cannot even reach exec) as a
#    format name: a usage error, not a crash
code=0
"$MDESIEM" convert --to "$(head -c 131000 /dev/zero | tr '\0' A)" </dev/null >/dev/null 2>"$MDS_TEST_TMP/arg.err" || code=$?
[ "$code" -eq 2 ] || fail "a 131,000-byte argument: exit $code, expected 2 (usage)"
echo "convert --to <131,000 bytes>: exit 2, $(head -c 100 "$MDS_TEST_TMP/arg.err")"

# 4) through `once` into rsyslog: the alerts again, with a 50 KB command
#    line. rsyslog's imtcp takes octet-counted frames up to its
#    maxFrameSize (default 200,000 bytes) and falls back to newline framing
#    for a larger one, which breaks it: the receiver's limit, not ours
#    (docs/reliability.md)
python3 "$H" make "$MDS_TEST_TMP/in" --big 50000
# the emulator generates its own alerts; these exact hostile bytes need a
# server that serves a given file through the Graph API shape
portfile="$MDS_TEST_TMP/hostile.port"
python3 "$(dirname "$0")/hostile_graph.py" --port-file "$portfile" --lifetime 600 \
    --alerts-file "$MDS_TEST_TMP/in/valid.jsonl" >"$MDS_TEST_TMP/hostile.log" 2>&1 &
MDS_PIDS+=("$!")
wait_for 20 test -s "$portfile" || { cat "$MDS_TEST_TMP/hostile.log" >&2; fail "hostile graph server did not start"; }
EMU_URL="http://127.0.0.1:$(cat "$portfile")"
start_rsyslog
for c in "cef octet-counting" "leef newline" "json newline" "ecs octet-counting" "legacy newline"; do
    set -- $c
    fmt=$1 framing=$2
    rm -f "$MDS_TEST_TMP/state.db"*
    write_graph_config "$MDS_TEST_TMP/rs.$fmt.ini" "[output rs]
type = syslog
address = tcp://127.0.0.1:$RS_TCP_PORT
format = $fmt
framing = $framing
timeout = 5S"
    sed -i 's/^retry_limit = .*/retry_limit = 3/' "$MDS_TEST_TMP/rs.$fmt.ini"
    timeout 60 "$MDESIEM" once -c "$MDS_TEST_TMP/rs.$fmt.ini" 2>"$MDS_TEST_TMP/rs.$fmt.err" ||
        fail "once with $fmt: $(tail -3 "$MDS_TEST_TMP/rs.$fmt.err")"
    stop_rsyslog
    mv "$RS_DIR/tcp.log" "$MDS_TEST_TMP/rs.$fmt.log"
    start_rsyslog
    r=$(python3 "$H" check "$fmt" "$MDS_TEST_TMP/rs.$fmt.log" "$n" --syslog 2>&1) || fail "rsyslog $fmt/$framing: $r"
    echo "once -> rsyslog tcp, $fmt with $framing framing: $r (lines bytes)"
done
