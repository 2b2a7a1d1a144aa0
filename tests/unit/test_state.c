/* Unit tests: the SQLite outbox - page commits with dedupe and cursor in
 * one transaction, routes and acknowledgements, the instance lock, and
 * refusal of files that are not mdesiem state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/state.h"

static char path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/mds-state-%ld.db", (long)getpid());
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[80];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    snprintf(p, sizeof p, "%s.lock", path);
    unlink(p);
    return 0;
}

static struct mds_item item(const char *id, mds_ticks v, const char *body)
{
    struct mds_item it = {.id = id, .id_len = strlen(id), .version = v, .body = body, .body_len = strlen(body)};
    return it;
}

static void test_commit_dedupe_ack(void **state)
{
    (void)state;
    struct mds_db *db;
    char err[256];
    size_t accepted, n;
    const char *routes[] = {"a", "b"};
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_OK);
    mds_ticks cursor = 0;
    assert_int_equal(mds_db_cursor(db, "src", &cursor), MDS_ERR_NOTFOUND);

    struct mds_item page1[] = {item("x", 10, "{\"id\":\"x\"}"), item("y", 11, "{\"id\":\"y\"}")};
    mds_ticks c1 = 11;
    assert_int_equal(mds_db_commit_page(db, "src", 0, routes, 2, page1, 2, &c1, &accepted), MDS_OK);
    assert_int_equal(accepted, 2);
    assert_int_equal(mds_db_cursor(db, "src", &cursor), MDS_OK);
    assert_true(cursor == 11);

    /* same versions again (overlap): dropped; a new version of x: kept */
    struct mds_item page2[] = {item("y", 11, "{}"), item("x", 12, "{\"id\":\"x\",\"v\":2}")};
    assert_int_equal(mds_db_commit_page(db, "src", 0, routes, 2, page2, 2, NULL, &accepted), MDS_OK);
    assert_int_equal(accepted, 1);
    /* another source has its own dedupe space */
    assert_int_equal(mds_db_commit_page(db, "other", 0, routes, 1, page1, 1, NULL, &accepted), MDS_OK);
    assert_int_equal(accepted, 1);

    struct mds_pending rows[10];
    struct mds_buf store;
    mds_buf_init(&store, 0);
    assert_int_equal(mds_db_pending(db, "b", rows, 10, &n, &store), MDS_OK);
    assert_int_equal(n, 3);
    assert_string_equal(store.data + rows[2].body_off, "{\"id\":\"x\",\"v\":2}");
    assert_string_equal(store.data + rows[2].source_off, "src");
    assert_int_equal(mds_db_pending(db, "a", rows, 10, &n, &store), MDS_OK);
    assert_int_equal(n, 4);

    int64_t depth, bytes;
    assert_int_equal(mds_db_ack(db, "a", rows, 2), MDS_OK);
    assert_int_equal(mds_db_outbox_depth(db, "a", &depth, &bytes), MDS_OK);
    assert_true(depth == 2);
    assert_int_equal(mds_db_outbox_depth(db, "b", &depth, &bytes), MDS_OK);
    assert_true(depth == 3); /* b has not acknowledged: records stay */
    assert_int_equal(mds_db_pending(db, "b", rows, 1, &n, &store), MDS_OK);
    assert_int_equal(n, 1);
    assert_int_equal(mds_db_ack(db, "b", rows, 1), MDS_OK);
    assert_int_equal(mds_db_outbox_depth(db, "b", &depth, &bytes), MDS_OK);
    assert_true(depth == 2);

    /* pruning forgets old versions: they would be accepted again */
    assert_int_equal(mds_db_prune_seen(db, "src", 12), MDS_OK);
    assert_int_equal(mds_db_commit_page(db, "src", 0, routes, 1, page1, 2, NULL, &accepted), MDS_OK);
    assert_int_equal(accepted, 2);
    mds_buf_finish(&store);
    mds_db_close(db);
}

static void test_lock(void **state)
{
    (void)state;
    struct mds_state_lock *l1 = NULL, *l2 = NULL;
    char err[256];
    assert_int_equal(mds_state_lock(path, &l1, err, sizeof err), MDS_OK);
    pid_t pid = fork();
    if (pid == 0) /* another process must be refused */
        _exit(mds_state_lock(path, &l2, err, sizeof err) == MDS_ERR_LOCKED && strstr(err, "in use") ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    mds_state_unlock(l1);
    assert_int_equal(mds_state_lock(path, &l2, err, sizeof err), MDS_OK);
    mds_state_unlock(l2);
}

static void test_refuses_foreign_files(void **state)
{
    (void)state;
    struct mds_db *db = NULL;
    char err[256];
    FILE *f = fopen(path, "w");
    fputs("this is not a database, just text that happens to be long enough to have a header.......", f);
    fclose(f);
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_ERR_STATE);
    assert_null(db);
    assert_non_null(strstr(err, path));
    unlink(path);
    /* a newer schema is refused, not reset */
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_OK);
    mds_db_close(db);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "sqlite3 %s \"UPDATE meta SET value = '99' WHERE key = 'schema_version'\"", path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_ERR_STATE);
    assert_non_null(strstr(err, "newer"));
    /* missing file without create */
    unlink(path);
    assert_int_equal(mds_db_open(path, 0, &db, err, sizeof err), MDS_ERR_STATE);
}

/* A commit that fails for lack of space reports SQLite's reason (it used
 * to report "cannot rollback - no transaction is active", from the
 * ROLLBACK after a COMMIT SQLite had already rolled back), leaves the
 * cursor where it was, and works again once there is room. The full disk
 * is a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored). */
static void test_full_disk_keeps_reason_and_cursor(void **state)
{
    (void)state;
    struct mds_db *db;
    char err[256];
    size_t accepted;
    const char *routes[] = {"a"};
    static char big[256 * 1024];
    struct rlimit old, lim;
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_OK);
    struct mds_item first = item("x", 1, "{}");
    mds_ticks c1 = 1, c2 = 2, cursor = 0;
    assert_int_equal(mds_db_commit_page(db, "src", 0, routes, 1, &first, 1, &c1, &accepted), MDS_OK);

    memset(big, 'a', sizeof big - 1);
    struct mds_item page[16];
    char ids[16][8];
    for (int i = 0; i < 16; i++) {
        snprintf(ids[i], sizeof ids[i], "b%d", i);
        page[i] = item(ids[i], 2, big);
    }
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 1 << 20; /* the page needs 4 MiB */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    mds_err rc = mds_db_commit_page(db, "src", 0, routes, 1, page, 16, &c2, &accepted);
    const char *msg = mds_db_errmsg(db);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(rc, MDS_ERR_STATE);
    assert_int_equal(accepted, 0);
    assert_null(strstr(msg, "no transaction"));
    assert_non_null(strstr(msg, "disk"));
    assert_int_equal(mds_db_cursor(db, "src", &cursor), MDS_OK);
    assert_int_equal(cursor, c1);
    /* room again: the same page goes in, and the cursor moves */
    assert_int_equal(mds_db_commit_page(db, "src", 0, routes, 1, page, 16, &c2, &accepted), MDS_OK);
    assert_int_equal(accepted, 16);
    assert_int_equal(mds_db_cursor(db, "src", &cursor), MDS_OK);
    assert_int_equal(cursor, c2);
    mds_db_close(db);
}

/* A state file cut to 0 bytes is refused, never taken for a new one (that
 * silently reset every cursor), and stays 0 bytes; a file with a damaged
 * page passes mds_db_open (which reads only meta) but not mds_db_verify. */
static void test_refuses_empty_and_damaged(void **state)
{
    (void)state;
    struct mds_db *db;
    char err[512];
    size_t accepted;
    const char *routes[] = {"a"};
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_ERR_STATE);
    assert_non_null(strstr(err, "empty"));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    unlink(path);

    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_OK);
    struct mds_item it = item("x", 1, "{}");
    mds_ticks c = 1;
    assert_int_equal(mds_db_commit_page(db, "src", 0, routes, 1, &it, 1, &c, &accepted), MDS_OK);
    assert_int_equal(mds_db_verify(db, path, err, sizeof err), MDS_OK);
    mds_db_close(db);
    /* overwrite the header of page 4 (the cursors table's root) */
    char p2[80];
    snprintf(p2, sizeof p2, "%s-wal", path);
    assert_int_equal(access(p2, F_OK), -1); /* checkpointed on close */
    f = fopen(path, "r+b");
    assert_non_null(f);
    char junk[64];
    memset(junk, 0xa5, sizeof junk);
    /* the page size is bytes 16-17 of the SQLite header, big-endian */
    unsigned char hdr[18];
    assert_int_equal(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
    long page = hdr[16] << 8 | hdr[17];
    assert_int_equal(fseek(f, 3 * page, SEEK_SET), 0);
    assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
    fclose(f);
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_OK);
    assert_int_equal(mds_db_verify(db, path, err, sizeof err), MDS_ERR_STATE);
    assert_non_null(strstr(err, "corrupted"));
    mds_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_dedupe_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_foreign_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_keeps_reason_and_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_empty_and_damaged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
