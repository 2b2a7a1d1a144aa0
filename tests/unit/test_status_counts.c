/* Unit tests: the status counters of the state file - outbox depth per
 * source, deliveries per UTC day per output and per source (a record
 * counts for its source once every route acknowledged it), and state
 * files made before the daily counters existed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/state.h"

static char path[64];

static void remove_files(void)
{
    char p[96];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/mds-status-%ld.db", (long)getpid());
    remove_files();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_files();
    return 0;
}

struct seen {
    int64_t src_outbox[2], src_today[2];  /* "s1", "s2" */
    int64_t out_today[2], out_pending[2]; /* "a", "b" */
};

static void on_source(const struct mds_source_status *s, void *arg)
{
    struct seen *w = arg;
    int i = strcmp(s->name, "s1") == 0 ? 0 : 1;
    w->src_outbox[i] = s->outbox;
    w->src_today[i] = s->delivered_today;
}

static void on_output(const struct mds_output_status *o, void *arg)
{
    struct seen *w = arg;
    int i = strcmp(o->name, "a") == 0 ? 0 : 1;
    w->out_today[i] = o->delivered_today;
    w->out_pending[i] = o->pending_rows;
}

static struct seen look(struct mds_db *db)
{
    struct seen w;
    memset(&w, 0, sizeof w);
    assert_int_equal(mds_db_each_source(db, on_source, &w), MDS_OK);
    assert_int_equal(mds_db_each_output(db, on_output, &w), MDS_OK);
    return w;
}

static struct mds_item item(const char *id, mds_ticks v)
{
    struct mds_item it = {.id = id, .id_len = strlen(id), .version = v, .body = "{}", .body_len = 2};
    return it;
}

static void ack_first(struct mds_db *db, const char *output, size_t max)
{
    struct mds_pending rows[16];
    struct mds_buf store;
    size_t n;
    mds_buf_init(&store, 0);
    assert_int_equal(mds_db_pending(db, output, rows, max, &n, &store), MDS_OK);
    assert_int_equal(mds_db_ack(db, output, rows, n), MDS_OK);
    assert_int_equal(mds_db_output_result(db, output, 1, NULL, (int64_t)n), MDS_OK); /* as the engine does */
    mds_buf_finish(&store);
}

static void test_daily_counts(void **state)
{
    (void)state;
    struct mds_db *db;
    char err[256];
    size_t accepted;
    const char *both[] = {"a", "b"}, *only_b[] = {"b"};
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_OK);
    struct mds_item p1[] = {item("x", 1), item("y", 2), item("z", 3)};
    struct mds_item p2[] = {item("q", 1)};
    assert_int_equal(mds_db_commit_page(db, "s1", 0, both, 2, p1, 3, NULL, &accepted), MDS_OK);
    assert_int_equal(mds_db_commit_page(db, "s2", 0, only_b, 1, p2, 1, NULL, &accepted), MDS_OK);
    mds_db_source_result(db, "s1", 1, NULL, 3, 3);
    mds_db_source_result(db, "s2", 1, NULL, 1, 1);

    struct seen w = look(db);
    assert_true(w.src_outbox[0] == 3 && w.src_outbox[1] == 1);
    assert_true(w.src_today[0] == 0 && w.out_pending[0] == 3 && w.out_pending[1] == 4);

    ack_first(db, "a", 2); /* x, y reached a; b still owes them */
    w = look(db);
    assert_true(w.out_today[0] == 2 && w.src_today[0] == 0 && w.src_outbox[0] == 3);

    ack_first(db, "b", 3); /* x, y, z reached b: x, y are done, z still waits for a */
    w = look(db);
    assert_true(w.out_today[1] == 3);
    assert_true(w.src_today[0] == 2 && w.src_outbox[0] == 1);
    assert_true(w.src_today[1] == 0 && w.src_outbox[1] == 1);

    ack_first(db, "a", 16);
    ack_first(db, "b", 16);
    w = look(db);
    assert_true(w.src_today[0] == 3 && w.src_today[1] == 1);
    assert_true(w.src_outbox[0] == 0 && w.src_outbox[1] == 0);
    assert_true(w.out_today[0] == 3 && w.out_today[1] == 4);
    assert_true(w.out_pending[0] == 0 && w.out_pending[1] == 0);
    mds_db_close(db);
}

static void test_old_state_file_gets_counters(void **state)
{
    (void)state;
    struct mds_db *db;
    sqlite3 *raw;
    char err[256];
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_OK);
    mds_db_close(db);
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "DROP TABLE delivered_daily", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    /* `status` opens without create: it still works */
    assert_int_equal(mds_db_open(path, 0, &db, err, sizeof err), MDS_OK);
    struct seen w = look(db);
    assert_true(w.out_today[0] == 0);
    mds_db_close(db);
}

static void test_day_numbers(void **state)
{
    (void)state;
    assert_true(mds_db_day(0) == 0);
    assert_true(mds_db_day(86400 * MDS_TICKS_PER_SEC - 1) == 0);
    assert_true(mds_db_day(86400 * MDS_TICKS_PER_SEC) == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_daily_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_state_file_gets_counters, setup, teardown),
        cmocka_unit_test(test_day_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
