#!/usr/bin/env bash
# docs/configuration.md is generated from the key tables: it must match
# what this build prints, so the reference never drifts from the code.
set -euo pipefail
expected=$("$MDESIEM" help config)
if ! diff -u "$MDS_SOURCE_DIR/docs/configuration.md" <(printf '%s\n' "$expected"); then
    echo "docs/configuration.md is out of date: run 'make docs'" >&2
    exit 1
fi
# every example configuration in conf/ must name only keys the tables know
for f in "$MDS_SOURCE_DIR"/conf/*.ini; do
    while IFS= read -r key; do
        grep -q "| \`$key\` |" "$MDS_SOURCE_DIR/docs/configuration.md" ||
            { echo "$f: key '$key' is not documented" >&2; exit 1; }
    done < <(sed -n 's/^[[:space:]]*;\{0,1\}[[:space:]]*\([a-z_0-9]*\)[[:space:]]*=.*/\1/p' "$f" | sort -u)
done
echo "docs match the key tables"
