#!/usr/bin/env bash
# Golden files: tests/golden/<format>/<case>.in.json (usually a link to
# tests/golden/inputs/), <case>.out the exact expected output, and an
# optional <case>.args with extra `mdesiem convert` flags (one line).
# Each case runs `mdesiem convert --to <format> <args> <case>.in.json` and
# must reproduce <case>.out byte for byte. On top of that, every CEF and
# LEEF output goes through tests/tools/siemcheck.py (an independent parser
# and mapping model) and every legacy/ecs/json line must parse as JSON.
#
# MDS_GOLDEN_UPDATE=1 rewrites the .out files from the current binary.
# Review every regenerated file against the spec before committing it.
set -euo pipefail

src=${MDS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${MDESIEM:-$src/build/mdesiem}
golden=$src/tests/golden
checker=$src/tests/tools/siemcheck.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail=0
cases=0
for dir in "$golden"/*/; do
    fmt=$(basename "$dir")
    [ "$fmt" = inputs ] && continue
    for input in "$dir"*.in.json; do
        [ -e "$input" ] || continue
        case=${input%.in.json}
        name="$fmt/$(basename "$case")"
        args=()
        if [ -f "$case.args" ]; then
            read -r -a args < "$case.args"
        fi
        cases=$((cases + 1))
        actual=$tmp/out
        # run from the case's directory: the input name appears in json --wrap output
        if ! (cd "$dir" && "$bin" convert --to "$fmt" "${args[@]}" "$(basename "$input")") > "$actual" 2> "$tmp/err"; then
            echo "FAIL $name: convert exited non-zero"; cat "$tmp/err"; fail=1; continue
        fi
        if [ "${MDS_GOLDEN_UPDATE:-0}" = 1 ]; then
            cp "$actual" "$case.out"
            echo "updated $name"
        elif ! cmp -s "$actual" "$case.out"; then
            echo "FAIL $name: output differs from $case.out"
            diff <(cat -A "$case.out") <(cat -A "$actual") | head -20 || true
            fail=1
            continue
        fi
        case $fmt in
        cef | leef)
            if ! python3 "$checker" "$fmt" "$input" "$actual" "${args[@]}" > /dev/null 2> "$tmp/check"; then
                echo "FAIL $name: siemcheck"; head -30 "$tmp/check"; fail=1
            fi
            ;;
        legacy | ecs | json)
            if ! python3 -c '
import json, sys
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    json.loads(line.decode("utf-8"))
' "$actual" 2> "$tmp/check"; then
                echo "FAIL $name: not one valid JSON document per line"; tail -3 "$tmp/check"; fail=1
            fi
            ;;
        esac
    done
done

# The examples in docs/formats.md are golden files: "<!-- golden: F -->"
# followed by a fenced block that must equal tests/golden/F.
if [ -f "$src/docs/formats.md" ] && [ "${MDS_GOLDEN_UPDATE:-0}" != 1 ]; then
    if ! python3 - "$src/docs/formats.md" "$golden" <<'EOF'
import re, sys
doc, golden = open(sys.argv[1], encoding='utf-8').read(), sys.argv[2]
found = 0
for m in re.finditer(r'<!-- golden: (\S+) -->\n```\n(.*?)\n```', doc, re.S):
    found += 1
    want = open(golden + '/' + m.group(1), encoding='utf-8').read().rstrip('\n')
    if m.group(2) != want:
        sys.exit('docs/formats.md: the example for %s differs from the golden file' % m.group(1))
if found < 4:
    sys.exit('docs/formats.md: expected 4 golden examples, found %d' % found)
EOF
    then
        fail=1
    fi
fi

if [ "$cases" -lt 20 ]; then
    echo "FAIL: only $cases golden cases found under $golden"
    fail=1
fi
[ "$fail" = 0 ] && echo "golden: $cases cases ok"
exit "$fail"
