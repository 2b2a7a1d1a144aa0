#!/usr/bin/env bash
# Reliability scenario 8, a damaged state file: damaged pages (the cursor
# table, the dedupe index, the outbox), a file cut in half, cut to its
# first page, cut to 0 bytes, random bytes, another program's SQLite
# database, and one from a future schema. `run` and `once` must refuse
# with exit code 4 and a clear message, and leave the file as it was:
# never a silent reset of the cursors.
source "$(dirname "$0")/lib.sh"

SECRET="rel-state-$RANDOM$RANDOM"
start_emulator --alerts 2000 --seed 51 --client-secret "$SECRET"
printf '%s' "$SECRET" >"$MDS_TEST_TMP/secret"
chmod 600 "$MDS_TEST_TMP/secret"
# a real state file: collected once, and an outbox for an output that is
# not reachable (so the records table holds rows)
write_config "$MDS_TEST_TMP/mdesiem.ini" "$MDS_TEST_TMP/secret" "eps_throttle = 0"
cat >>"$MDS_TEST_TMP/mdesiem.ini" <<CONF

[output dead]
type = syslog
address = tcp://127.0.0.1:1
timeout = 1S
CONF
sed -i 's/^retry_limit = 60$/retry_limit = 1/; s/^outputs = out$/outputs = out, dead/' "$MDS_TEST_TMP/mdesiem.ini"
"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" 2>"$MDS_TEST_TMP/first.err" || true
good="$MDS_TEST_TMP/good.db"
sqlite3 "$MDS_TEST_TMP/state.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$MDS_TEST_TMP/state.db" "$good"
rm -f "$MDS_TEST_TMP/state.db"* "$MDS_TEST_TMP/out.jsonl"
cursor=$(sqlite3 "$good" "SELECT cursor FROM cursors")
held=$(sqlite3 "$good" "SELECT count(*) FROM records")
[ -n "$cursor" ] && [ "$held" -gt 0 ] || fail "could not build a state file to damage"
root() { sqlite3 "$good" "SELECT rootpage FROM sqlite_master WHERE name = '$1'"; }
declare -A PAGES=([cursors]=$(root cursors) [seen]=$(root seen) [records]=$(root records))
size=$(stat -c %s "$good")
psz=$(sqlite3 "$good" "PRAGMA page_size")

# damage NAME: writes state.db damaged in the named way
damage() {
    local db="$MDS_TEST_TMP/state.db"
    rm -f "$db"*
    cp "$good" "$db"
    case $1 in
    page-*) python3 -c "
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek((int(sys.argv[2]) - 1) * int(sys.argv[3])); f.write(b'\xa5' * 64)" "$db" "${PAGES[${1#page-}]}" "$psz" ;;
    half) truncate -s $((size / 2)) "$db" ;;
    first-page) truncate -s "$psz" "$db" ;;
    zero) truncate -s 0 "$db" ;;
    random) head -c 200000 /dev/urandom >"$db" ;;
    foreign) rm -f "$db" && sqlite3 "$db" "CREATE TABLE t(x); INSERT INTO t VALUES (1)" ;;
    future) sqlite3 "$db" "UPDATE meta SET value = '2' WHERE key = 'schema_version'" ;;
    esac
}

for how in page-cursors page-seen page-records half first-page zero random foreign future; do
    for cmd in once run; do
        damage "$how"
        before=$(md5sum <"$MDS_TEST_TMP/state.db")
        code=0
        timeout 30 "$MDESIEM" "$cmd" -c "$MDS_TEST_TMP/mdesiem.ini" >"$MDS_TEST_TMP/$how.$cmd.out" 2>&1 || code=$?
        msg=$(grep -m1 '^mdesiem: ' "$MDS_TEST_TMP/$how.$cmd.out" || true)
        [ "$code" -eq 4 ] || fail "$how: $cmd exited $code, expected 4: $(tail -3 "$MDS_TEST_TMP/$how.$cmd.out")"
        [ -n "$msg" ] || fail "$how: $cmd gave no message"
        [ "$(md5sum <"$MDS_TEST_TMP/state.db")" = "$before" ] || fail "$how: $cmd changed the state file"
        [ ! -s "$MDS_TEST_TMP/out.jsonl" ] || fail "$how: $cmd delivered something"
    done
    status=0
    "$MDESIEM" status -c "$MDS_TEST_TMP/mdesiem.ini" >/dev/null 2>&1 || status=$?
    printf '%-13s once/run exit 4, file unchanged, status exit %d: %s\n' "$how" "$status" "${msg#mdesiem: }"
done

# and the undamaged copy still works, from its cursor
damage none
"$MDESIEM" once -c "$MDS_TEST_TMP/mdesiem.ini" 2>/dev/null || true
[ "$(sqlite3 "$MDS_TEST_TMP/state.db" "SELECT cursor FROM cursors")" -ge "$cursor" ] || fail "the good copy lost its cursor"
echo "undamaged copy: accepted, cursor kept"
