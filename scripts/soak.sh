#!/usr/bin/env bash
# `make soak`: the reliability scenarios at full size (docs/reliability.md).
# `make check` runs the same scripts with small numbers. Each result line
# is printed as measured; a failure stops the soak with a non-zero exit.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
# a private copy of the binary: a rebuild during the soak must not swap it
bin=$(mktemp -d "${TMPDIR:-/tmp}/mds-soak.XXXXXX")
trap 'rm -rf "$bin"' EXIT
cp "$build/mdesiem" "$bin/mdesiem"
export MDESIEM="$bin/mdesiem" MDS_SOURCE_DIR="$root" MDS_BUILD_DIR="$build"
it="$root/tests/integration"
run() {
    local name=$1
    shift
    echo "== $name: $*"
    local t0=$SECONDS
    env "$@" bash "$it/$name.sh"
    echo "== $name: passed in $((SECONDS - t0)) s"
}
run test_rel_crash MDS_REL_ALERTS=100000 MDS_REL_KILLS=50 MDS_REL_EPS=2000
run test_rel_outage MDS_REL_OUTAGE=60 MDS_REL_ALERTS=20000 MDS_REL_EPS=250
run test_rel_disk_full MDS_REL_ALERTS=5000
run test_rel_faults MDS_REL_ALERTS=20000 MDS_REL_RATE=0.3
run test_rel_clock MDS_REL_ALERTS=5000
run test_rel_hostile
run test_rel_state
run test_rel_secrets
run test_rel_tls
