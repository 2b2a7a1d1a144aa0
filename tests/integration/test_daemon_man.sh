#!/usr/bin/env bash
# Man pages: mdesiem.conf(5) is generated from the key tables and must
# match `mdesiem help config --man` (like docs/configuration.md); both
# pages render with man -l and groff without warnings; every command the
# binary lists is described in the hand-written mdesiem(1).
set -euo pipefail
: "${MDESIEM:?}" "${MDS_SOURCE_DIR:?}"
man_dir=$MDS_SOURCE_DIR/docs/man
fail() { echo "FAIL: $*" >&2; exit 1; }

if ! diff -u "$man_dir/mdesiem.conf.5" <("$MDESIEM" help config --man); then
    fail "docs/man/mdesiem.conf.5 is out of date: run 'make docs'"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in mdesiem.1 mdesiem.conf.5; do
    groff -ww -z -man -Tutf8 "$man_dir/$page" 2>"$tmp/groff.err" || fail "groff failed on $page"
    [ ! -s "$tmp/groff.err" ] || fail "groff warnings on $page: $(cat "$tmp/groff.err")"
    MANWIDTH=80 MANPAGER=cat man -l "$man_dir/$page" >"$tmp/$page.txt" 2>"$tmp/man.err" || fail "man -l $page failed"
    [ ! -s "$tmp/man.err" ] || fail "man -l $page: $(cat "$tmp/man.err")"
    for section in NAME SYNOPSIS DESCRIPTION FILES "SEE ALSO"; do
        grep -q "^$section" "$tmp/$page.txt" || fail "$page has no $section section"
    done
done

# every key of every table is in the rendered mdesiem.conf(5)
"$MDESIEM" help config | sed -n 's/^| `\([a-z_0-9]*\)` |.*/\1/p' | sort -u >"$tmp/keys"
[ -s "$tmp/keys" ] || fail "no keys found in help config"
while read -r key; do
    grep -q "^       $key\b" "$tmp/mdesiem.conf.5.txt" || fail "key $key is not in mdesiem.conf(5)"
done <"$tmp/keys"

# every command `mdesiem help` lists has an entry in mdesiem(1)
"$MDESIEM" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' >"$tmp/commands"
[ "$(wc -l <"$tmp/commands")" -ge 4 ] || fail "could not read the command list"
while read -r cmd; do
    grep -q "^       $cmd\b" "$tmp/mdesiem.1.txt" ||
        fail "command '$cmd' is not described in docs/man/mdesiem.1 (COMMANDS section)"
done <"$tmp/commands"
echo "man pages: in sync, render cleanly, $(wc -l <"$tmp/commands") commands and $(wc -l <"$tmp/keys") keys documented"
