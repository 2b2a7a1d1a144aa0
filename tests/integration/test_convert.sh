#!/usr/bin/env bash
# `mdesiem convert`: exit codes, error offsets, input shapes, and a
# generated alert with a 1 MiB command line through every format, whole
# and split by --max-event (checked by tests/tools/siemcheck.py and by
# reassembling the parts).
set -euo pipefail

src=${MDS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${MDESIEM:-$src/build/mdesiem}
checker=$src/tests/tools/siemcheck.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE STDERR-SUBSTRING -- ARGS... (stdin from $tmp/in)
expect() {
    local code=$1 msg=$2
    shift 3
    set +e
    "$bin" convert "$@" < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
    local got=$?
    set -e
    [ "$got" = "$code" ] || fail "convert $* exited $got, expected $code: $(cat "$tmp/err")"
    [ -z "$msg" ] || grep -qF -- "$msg" "$tmp/err" || fail "convert $*: stderr lacks '$msg': $(cat "$tmp/err")"
}

# ---- usage errors: exit 2 --------------------------------------------------
echo '{}' > "$tmp/in"
expect 2 "unknown --to 'nope'" -- --to nope
expect 2 "unknown --from 'x'" -- --from x
expect 2 "unknown --evidence 'all'" -- --evidence all
expect 2 "invalid --leef-delimiter '|'" -- --to leef --leef-delimiter '|'
expect 2 "invalid --leef-delimiter 'x0a'" -- --to leef --leef-delimiter x0a
expect 2 "invalid --max-event '-1'" -- --max-event -1
expect 2 "missing value for option '--to'" -- --to
expect 2 "unknown option '--bogus'" -- --bogus
expect 2 "more than one input file" -- a b
"$bin" convert --help | grep -q -- '--leef-delimiter' || fail "--help"

# ---- input errors: exit 1 with the byte offset ------------------------------
expect 1 "/nonexistent/x.json: No such file" -- /nonexistent/x.json
printf '%s' '{"value":[{"id":"a"},{"id":]}' > "$tmp/in"
expect 1 "malformed JSON at byte offset 27" --
printf '%s' '{"value":[{"id":"a"}' > "$tmp/in"
expect 1 "byte offset 20: unexpected end of input" --
printf '%s' '{"value":[{"id":"a" "b":1}]}' > "$tmp/in"
expect 1 "malformed JSON at byte offset 20" --
printf '%s' '[{"id":"a"},7]' > "$tmp/in"
expect 1 "byte offset 12: record is not a JSON object" --
printf '%s\n%s\n' '{"id":"ok"}' '{"id": tru}' > "$tmp/in"
expect 1 "malformed JSON at byte offset 19" -- --to cef
[ "$(wc -l < "$tmp/out")" = 1 ] || fail "records before the error are still written"
printf 'garbage' > "$tmp/in"
expect 1 "byte offset 0: expected '{' or '['" --

# ---- input shapes ------------------------------------------------------------
: > "$tmp/in"
expect 0 "" --
[ ! -s "$tmp/out" ] || fail "empty input gives no output"
printf '\xef\xbb\xbf{"value":[]}\r\n\r\n[]\r\n' > "$tmp/in"
expect 0 "" -- --to cef
[ ! -s "$tmp/out" ] || fail "empty page and array give no output"
printf '{"id":"l1"}\r\n\n  {"value":[{"id":"l2"},{"id":"l3"}]}\n[{"id":"l4"}]{"id":"l5"}' > "$tmp/in"
expect 0 "" -- --to cef
[ "$(grep -c externalId=l "$tmp/out")" = 5 ] || fail "JSON lines and concatenated values: $(cat "$tmp/out")"
printf '{"records":[{"time":"2022-01-01T00:00:00Z","category":"AdvancedHunting-DeviceProcessEvents","properties":{"ActionType":"ProcessCreated","DeviceName":"h"}}]}' > "$tmp/in"
expect 0 "" -- --to cef
grep -q '|DeviceProcessEvents|ProcessCreated|' "$tmp/out" || fail "stream body auto-detected"
"$bin" convert --to cef - < "$tmp/in" | grep -q ProcessCreated || fail "- reads stdin"
# a page is read record by record: the same choice of records array, and
# a record refused halfway through a page leaves the records before it
printf '%s' '{"records":[{"time":"2022-01-01T00:00:00Z","category":"AdvancedHunting-DeviceProcessEvents","properties":{"ActionType":"ProcessCreated"}}], "value":[{"id":"v1"}]}' > "$tmp/in"
expect 0 "" -- --to cef
grep -q externalId=v1 "$tmp/out" && ! grep -q ProcessCreated "$tmp/out" || fail "an array \"value\" wins over \"records\""
printf '{"value":[{"id":"p1"},{"id":"p2","x":"%0200d"},{"id":"p3"}]}\n' 0 > "$tmp/in"
expect 1 "record 2 at byte offset 22: record of 218 bytes" -- --max-event 100
[ "$(cat "$tmp/out")" = '{"id":"p1"}' ] || fail "records before a refused one are written: $(cat "$tmp/out")"

# ---- a 1 MiB command line ----------------------------------------------------
python3 - "$tmp/big.json" "$tmp/big.cmd" <<'EOF'
import json, sys
chars = 'abc =\\|^"\t\u00e9\u20ac\U0001F600xyz'
cmd = 'cmd.exe /c ' + ''.join(chars[(i * 7) % len(chars)] for i in range(1 << 20)) + '\r\nend'
alert = {"@odata.type": "#microsoft.graph.security.alert", "id": "big-1", "title": "Big | command = line",
         "severity": "high", "category": "execution", "createdDateTime": "2024-01-02T03:04:05.678Z",
         "detectorId": "det-big", "description": "A very long command line.",
         "evidence": [{"@odata.type": "#microsoft.graph.security.deviceEvidence", "deviceDnsName": "h.example.com",
                       "mdeDeviceId": "dev-big"},
                      {"@odata.type": "#microsoft.graph.security.processEvidence", "processId": 4,
                       "detectionStatus": "detected", "processCommandLine": cmd,
                       "imageFile": {"fileName": "cmd.exe", "filePath": "C:\\Windows\\System32"}}]}
json.dump({"value": [alert]}, open(sys.argv[1], 'w'))
open(sys.argv[2], 'w', encoding='utf-8', newline='').write(cmd)
EOF
[ "$(stat -c %s "$tmp/big.json")" -gt 1048576 ] || fail "generated input is not over 1 MiB"

for fmt in cef leef; do
    "$bin" convert --to "$fmt" "$tmp/big.json" > "$tmp/big.$fmt"
    [ "$(wc -l < "$tmp/big.$fmt")" = 1 ] || fail "$fmt: without --max-event the alert is one event"
    python3 "$checker" "$fmt" "$tmp/big.json" "$tmp/big.$fmt" > /dev/null || fail "$fmt: checker (whole)"
    "$bin" convert --to "$fmt" --max-event 65536 "$tmp/big.json" > "$tmp/split.$fmt"
    n=$(wc -l < "$tmp/split.$fmt")
    [ "$n" -gt 16 ] || fail "$fmt: 1 MiB split in only $n parts"
    awk -v f="$fmt" 'length($0) > 65536 { print f ": part " NR " is " length($0) " bytes"; bad = 1 } END { exit bad }' \
        "$tmp/split.$fmt" || fail "$fmt: a part exceeds --max-event"
    python3 "$checker" "$fmt" "$tmp/big.json" "$tmp/split.$fmt" > /dev/null || fail "$fmt: checker (split)"
done

# ECS and legacy: the command line comes back byte for byte
"$bin" convert --to ecs "$tmp/big.json" > "$tmp/big.ecs"
"$bin" convert --to ecs --max-event 65536 "$tmp/big.json" > "$tmp/split.ecs"
"$bin" convert --to legacy "$tmp/big.json" > "$tmp/big.legacy"
python3 - "$tmp" <<'EOF' || fail "ECS/legacy reassembly"
import json, sys
d = sys.argv[1]
cmd = open(d + '/big.cmd', encoding='utf-8', newline='').read()
whole = [json.loads(l) for l in open(d + '/big.ecs', encoding='utf-8')]
assert len(whole) == 1 and whole[0]['process']['command_line'] == cmd
parts = [json.loads(l) for l in open(d + '/split.ecs', encoding='utf-8')]
n = len(parts)
assert n > 16, n
acc = ''
for k, p in enumerate(parts, 1):
    assert p['mdesiem.part'] == k and p['mdesiem.parts'] == n, (k, p.get('mdesiem.part'))
    assert p['event.id'] == 'big-1' and p['host.id'] == 'dev-big'
    acc += p.get('process.command_line', '')
assert acc == cmd, 'process.command_line does not reassemble'
orig = json.loads(''.join(p.get('event.original', '') for p in parts))
assert orig['evidence'][1]['processCommandLine'] == cmd
legacy = [json.loads(l) for l in open(d + '/big.legacy', encoding='utf-8')]
assert len(legacy) == 1 and len(legacy[0]) == 50 and legacy[0]['CommandLine'] == cmd
EOF
set +e
"$bin" convert --to legacy --max-event 65536 "$tmp/big.json" > "$tmp/out" 2> "$tmp/err"
code=$?
set -e
[ "$code" = 1 ] && grep -q 'exceeds max_event 65536' "$tmp/err" || fail "legacy refuses an oversize detection"
[ ! -s "$tmp/out" ] || fail "nothing of a refused record is written"

echo "convert: usage, errors with offsets, input shapes, 1 MiB command line whole and split: ok"
