/* Unit tests: the pure parts of the eventhub source (connection strings,
 * splitting Streaming API messages, category filters), the stream outbox
 * commit with message dedupe, and the emulator's stream generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/state.h"
#include "emulator/stream.h"
#include "sources/eventhub.h"

static void test_connection_string(void **state)
{
    (void)state;
    struct mds_eh_conn c;
    char err[512];
    const char *cs = "Endpoint=sb://contoso-ns.servicebus.windows.net/;SharedAccessKeyName=listen;"
                     "SharedAccessKey=c2VjcmV0LWtleS12YWx1ZQ==;EntityPath=defender";
    assert_int_equal(mds_eh_parse_connection_string(cs, &c, err, sizeof err), MDS_OK);
    assert_string_equal(c.bootstrap, "contoso-ns.servicebus.windows.net:9093");
    assert_string_equal(c.entity_path, "defender");

    /* keys are case-insensitive, EntityPath optional, government clouds keep their host */
    assert_int_equal(mds_eh_parse_connection_string("endpoint=sb://gov.servicebus.usgovcloudapi.net;"
                                                    "sharedaccesskeyname=k;sharedaccesskey=v",
                                                    &c, err, sizeof err),
                     MDS_OK);
    assert_string_equal(c.bootstrap, "gov.servicebus.usgovcloudapi.net:9093");
    assert_string_equal(c.entity_path, "");

    /* errors never repeat the key */
    assert_int_equal(
        mds_eh_parse_connection_string("Endpoint=https://x/;SharedAccessKeyName=k;SharedAccessKey=SEKRIT", &c,
                                       err, sizeof err),
        MDS_ERR_CONFIG);
    assert_null(strstr(err, "SEKRIT"));
    assert_int_equal(
        mds_eh_parse_connection_string("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=SEKRIT", &c,
                                       err, sizeof err),
        MDS_ERR_CONFIG);
    assert_null(strstr(err, "SEKRIT"));
    assert_non_null(strstr(err, "SharedAccessKeyName"));
    assert_int_equal(
        mds_eh_parse_connection_string("SharedAccessSignature=sr=x&sig=SEKRIT", &c, err, sizeof err),
        MDS_ERR_CONFIG);
    assert_null(strstr(err, "SEKRIT"));
}

static const char message[] =
    "{\"records\":[{\"time\":\"2022-11-08T08:44:14.7934901Z\",\"tenantId\":\"t\",\"operationName\":"
    "\"Publish\","
    "\"category\":\"AdvancedHunting-AlertInfo\",\"properties\":{\"AlertId\":\"da1\",\"AttackTechniques\":"
    "\"[\\\"Valid Accounts (T1078)\\\"]\",\"MachineGroup\":null}},\n"
    "  {\"category\":\"AdvancedHunting-DeviceProcessEvents\",\"time\":\"2022-11-08T08:44:15Z\","
    "\"properties\":{\"a\":[1,{\"b\":{}}],\"c\":\"}\"}}]}";

static void test_split(void **state)
{
    (void)state;
    struct mds_eh_split s;
    char why[256];
    mds_eh_split_init(&s);
    assert_int_equal(mds_eh_split_message(&s, message, strlen(message), why, sizeof why), MDS_OK);
    assert_int_equal(s.n, 2);
    /* each record is exactly its bytes in the message */
    assert_memory_equal(message + s.recs[0].off, "{\"time\"", 7);
    assert_int_equal(message[s.recs[0].off + s.recs[0].len - 1], '}');
    assert_memory_equal(message + s.recs[0].off + s.recs[0].len, ",\n", 2);
    assert_memory_equal(message + s.recs[1].cat_off, "AdvancedHunting-DeviceProcessEvents",
                        s.recs[1].cat_len);
    assert_memory_equal(message + s.recs[1].off + s.recs[1].len - 9, "\"c\":\"}\"}}", 9);
    mds_ticks t;
    assert_int_equal(mds_time_parse("2022-11-08T08:44:14.7934901Z", 28, &t), MDS_OK);
    assert_true(s.recs[0].time == t);
    /* an empty records array is valid: zero records */
    assert_int_equal(mds_eh_split_message(&s, "{\"records\":[]}", 14, why, sizeof why), MDS_OK);
    assert_int_equal(s.n, 0);
    mds_eh_split_finish(&s);
}

static void expect_malformed(struct mds_eh_split *s, const char *body, size_t len, const char *reason)
{
    char why[256] = "";
    assert_int_equal(mds_eh_split_message(s, body, len, why, sizeof why), MDS_ERR_PARSE);
    if (!strstr(why, reason))
        fail_msg("reason '%s' does not mention '%s'", why, reason);
    assert_int_equal(s->n, 0);
}

static void test_split_malformed(void **state)
{
    (void)state;
    struct mds_eh_split s;
    mds_eh_split_init(&s);
    expect_malformed(&s, "not json", 8, "not JSON");
    expect_malformed(&s, message, strlen(message) / 2, "not JSON or truncated");
    expect_malformed(&s, "{\"records\":[]} trailing", 23, "not JSON");
    expect_malformed(&s, "{\"value\":[]}", 12, "no \"records\"");
    expect_malformed(&s, "{\"records\":{}}", 14, "not an array");
    expect_malformed(&s, "[1,2]", 5, "not an object");
    expect_malformed(&s, "{\"records\":[{},42]}", 19, "records[1] is not an object");
    expect_malformed(&s, "{\"records\":[\"x\"]}", 17, "records[0]");
    /* a ceiling on records per message is an error, never a cut */
    s.max_records = 1;
    char why[128];
    assert_int_equal(mds_eh_split_message(&s, "{\"records\":[{},{}]}", 19, why, sizeof why), MDS_ERR_LIMIT);
    mds_eh_split_finish(&s);
}

static void test_categories(void **state)
{
    (void)state;
    const char *names[] = {"AdvancedHunting-DeviceProcessEvents", "alertinfo"};
    const char *c1 = "AdvancedHunting-AlertInfo", *c2 = "AdvancedHunting-DeviceFileEvents";
    assert_true(mds_eh_category_match(names, 2, c1, strlen(c1)));
    assert_true(mds_eh_category_match(names, 2, "DeviceProcessEvents", 19));
    assert_false(mds_eh_category_match(names, 2, c2, strlen(c2)));
    assert_false(mds_eh_category_match(names, 2, "", 0));
    assert_false(mds_eh_category_match(names, 2, "AdvancedHunting-AlertInfoX", 26));
    assert_true(mds_eh_category_match(names, 0, c2, strlen(c2)));
    assert_true(mds_eh_category_known("AdvancedHunting-UrlClickEvents"));
    assert_true(mds_eh_category_known("DeviceInfo"));
    assert_false(mds_eh_category_known("BehaviorInfo"));
}

static void test_commit_stream_dedupe(void **state)
{
    (void)state;
    char path[64], err[256];
    struct mds_db *db;
    size_t accepted, dups, n;
    const char *routes[] = {"out"};
    snprintf(path, sizeof path, "/tmp/mds-eh-%ld.db", (long)getpid());
    unlink(path);
    assert_int_equal(mds_db_open(path, 1, &db, err, sizeof err), MDS_OK);
    struct mds_item items[3] = {
        {.id = "0:5:0", .id_len = 5, .body = "{\"a\":1}", .body_len = 7},
        {.id = "0:5:1", .id_len = 5, .body = "{\"a\":2}", .body_len = 7},
        {.id = "1:9:0", .id_len = 5, .body = "{\"b\":1}", .body_len = 7},
    };
    struct mds_stream_msg msgs[2] = {{.digest = {1}, .first = 0, .count = 2},
                                     {.digest = {2}, .first = 2, .count = 1}};
    assert_int_equal(mds_db_commit_stream(db, "eh", 3, routes, 1, msgs, 2, items, 1, &accepted, &dups),
                     MDS_OK);
    assert_int_equal(accepted, 3);
    assert_int_equal(dups, 0);
    /* the same first message again (a re-send) is dropped whole; a new one is kept */
    msgs[1].digest[0] = 3;
    assert_int_equal(mds_db_commit_stream(db, "eh", 3, routes, 1, msgs, 2, items, 1, &accepted, &dups),
                     MDS_OK);
    assert_int_equal(accepted, 1);
    assert_int_equal(dups, 1);
    /* without dedupe everything is stored */
    assert_int_equal(mds_db_commit_stream(db, "eh", 3, routes, 1, msgs, 1, items, 0, &accepted, &dups),
                     MDS_OK);
    assert_int_equal(accepted, 2);
    struct mds_pending rows[16];
    struct mds_buf store;
    mds_buf_init(&store, 0);
    assert_int_equal(mds_db_pending(db, "out", rows, 16, &n, &store), MDS_OK);
    assert_int_equal(n, 6);
    assert_int_equal(rows[0].kind, 3);
    assert_string_equal(store.data + rows[2].id_off, "1:9:0");
    /* pruning forgets digests: the first message is new again */
    assert_int_equal(mds_db_stream_prune(db, "eh", mds_time_now() + 1), MDS_OK);
    assert_int_equal(mds_db_commit_stream(db, "eh", 3, routes, 1, msgs, 1, items, 1, &accepted, &dups),
                     MDS_OK);
    assert_int_equal(accepted, 2);
    /* per-partition progress: unknown values keep what was stored */
    struct mds_stream_partition p = {
        .source = "eh", .topic = "hub", .partition = 4, .committed = 10, .high = 12};
    assert_int_equal(mds_db_stream_partitions_set(db, &p, 1), MDS_OK);
    p.committed = -1;
    p.high = 20;
    assert_int_equal(mds_db_stream_partitions_set(db, &p, 1), MDS_OK);
    mds_buf_finish(&store);
    mds_db_close(db);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "test \"$(sqlite3 %s 'select committed, high from stream_partitions')\" = '10|20'", path);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -f %s %s-wal %s-shm", path, path, path);
    assert_int_equal(system(cmd), 0);
}

static void test_generator(void **state)
{
    (void)state;
    struct mds_emu_stream_gen g;
    struct mds_buf a, b;
    struct mds_eh_split s;
    char why[256];
    int n1, n2;
    mds_ticks base;
    assert_int_equal(mds_time_parse("2025-01-01T00:00:00Z", 20, &base), MDS_OK);
    mds_emu_stream_gen_init(&g, 42, base, 20);
    mds_buf_init(&a, 0);
    mds_buf_init(&b, 0);
    mds_eh_split_init(&s);
    for (uint64_t m = 0; m < 200; m++) {
        mds_buf_reset(&a);
        mds_buf_reset(&b);
        assert_int_equal(mds_emu_stream_message(&g, m, 0, &a, &n1), MDS_OK);
        assert_int_equal(mds_emu_stream_message(&g, m, 0, &b, &n2), MDS_OK);
        assert_int_equal(n1, n2);
        assert_true(a.len == b.len && memcmp(a.data, b.data, a.len) == 0); /* deterministic */
        assert_int_equal(mds_eh_split_message(&s, a.data, a.len, why, sizeof why), MDS_OK);
        assert_int_equal((int)s.n, n1);
        assert_true(s.recs[0].time > base);
        assert_non_null(strstr(a.data, "\"category\":\"AdvancedHunting-"));
    }
    /* a limit caps the records of a message */
    mds_buf_reset(&a);
    assert_int_equal(mds_emu_stream_message(&g, 7, 1, &a, &n1), MDS_OK);
    assert_int_equal(n1, 1);
    /* every malformed kind is rejected by the splitter */
    for (uint64_t m = 0; m < 5; m++) {
        mds_buf_reset(&a);
        assert_int_equal(mds_emu_stream_malformed(&g, m, &a), MDS_OK);
        assert_int_not_equal(mds_eh_split_message(&s, a.data, a.len, why, sizeof why), MDS_OK);
    }
    mds_eh_split_finish(&s);
    mds_buf_finish(&a);
    mds_buf_finish(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connection_string),    cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_malformed),      cmocka_unit_test(test_categories),
        cmocka_unit_test(test_commit_stream_dedupe), cmocka_unit_test(test_generator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
