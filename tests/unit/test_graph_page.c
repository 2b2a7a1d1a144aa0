/* Unit tests: Graph page parsing and the keyset paging decisions
 * (cursor/overlap math, clamped $top, missing nextLink, ties). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sources/odata.h"

static mds_ticks ts(const char *s)
{
    mds_ticks t;
    assert_int_equal(mds_time_parse(s, strlen(s), &t), MDS_OK);
    return t;
}

static void test_parse(void **state)
{
    (void)state;
    struct mds_json j;
    struct mds_graph_page p = {0};
    char err[256];
    const char body[] = "{\"@odata.context\":\"x\",\"@odata.nextLink\":\"https://n\",\"value\":["
                        "{\"id\":\"a\",\"lastUpdateDateTime\":\"2021-05-02T14:19:01.32Z\",\"x\":{\"id\":\"no\"}},"
                        "{\"x\":[1,2,{\"y\":null}],\"id\":\"b\",\"lastUpdateDateTime\":\"2021-05-02T14:19:01.3266667Z\"}"
                        "]}";
    mds_json_init(&j);
    assert_int_equal(mds_graph_parse_page(&j, body, strlen(body), "lastUpdateDateTime", &p, err, sizeof err),
                     MDS_OK);
    assert_int_equal(p.n, 2);
    assert_true(p.has_next);
    assert_true(p.sorted);
    assert_int_equal(p.items[0].id_len, 1);
    assert_memory_equal(p.items[1].id, "b", 1);
    assert_true(p.items[0].version == ts("2021-05-02T14:19:01.3200000Z"));
    assert_true(p.max_version == ts("2021-05-02T14:19:01.3266667Z"));
    /* the body is the raw object, byte for byte */
    assert_int_equal(p.items[0].body[0], '{');
    assert_int_equal(p.items[0].body[p.items[0].body_len - 1], '}');
    assert_memory_equal(p.items[1].body, "{\"x\":[1,2,{\"y\":null}],\"id\":\"b\"", 30);
    mds_graph_page_finish(&p);
    mds_json_finish(&j);
}

static void test_parse_errors(void **state)
{
    (void)state;
    struct mds_json j;
    struct mds_graph_page p = {0};
    char err[256];
    const char *bad[] = {"{\"value\":[{\"id\":\"a\"}", "{\"novalue\":[]}", "[]", "{\"value\":[1]}",
                         "{\"value\":[]} trailing", ""};
    mds_json_init(&j);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mds_graph_parse_page(&j, bad[i], strlen(bad[i]), "lastUpdateDateTime", &p, err, sizeof err),
                         MDS_ERR_PARSE);
    const char unv[] = "{\"value\":[{\"id\":\"a\",\"lastUpdateDateTime\":\"yesterday\"},{\"lastUpdateDateTime\":null}]}";
    assert_int_equal(mds_graph_parse_page(&j, unv, strlen(unv), "lastUpdateDateTime", &p, err, sizeof err), MDS_OK);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.unversioned, 2);
    assert_int_equal(p.items[1].id_len, 0);
    const char unsorted[] = "{\"value\":[{\"id\":\"a\",\"lastUpdateDateTime\":\"2021-05-02T14:19:02Z\"},"
                            "{\"id\":\"b\",\"lastUpdateDateTime\":\"2021-05-02T14:19:01Z\"}]}";
    assert_int_equal(mds_graph_parse_page(&j, unsorted, strlen(unsorted), "lastUpdateDateTime", &p, err, sizeof err),
                     MDS_OK);
    assert_false(p.sorted);
    mds_graph_page_finish(&p);
    mds_json_finish(&j);
}

static struct mds_graph_page page_of(size_t n, mds_ticks max, int sorted)
{
    struct mds_graph_page p = {0};
    p.n = n;
    p.max_version = max;
    p.sorted = sorted;
    return p;
}

static void test_keyset(void **state)
{
    (void)state;
    struct mds_keyset k = {0};
    mds_ticks cursor = ts("2026-01-01T00:10:00Z"), overlap = 5 * 60 * MDS_TICKS_PER_SEC;
    mds_keyset_start(&k, cursor, overlap, 1000);
    assert_true(k.since == ts("2026-01-01T00:05:00Z"));
    assert_int_equal(k.skip, 0);

    /* a full page moves the lower bound to its newest version */
    struct mds_graph_page p = page_of(1000, ts("2026-01-01T00:20:00Z"), 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 1);
    assert_true(k.since == ts("2026-01-01T00:20:00Z"));
    p = page_of(1000, ts("2026-01-01T00:30:00Z"), 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 1);
    /* a full page all at one timestamp: step over it with $skip */
    p = page_of(1000, ts("2026-01-01T00:30:00Z"), 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 1);
    assert_int_equal(k.skip, 1000);
    assert_true(k.since == ts("2026-01-01T00:30:00Z"));
    p = page_of(1000, ts("2026-01-01T00:31:00Z"), 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 1);
    assert_int_equal(k.skip, 0);
    /* a short page ends the cycle */
    p = page_of(3, ts("2026-01-01T00:32:00Z"), 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 0);
    p = page_of(0, 0, 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 0);
}

static void test_keyset_clamped_from_start(void **state)
{
    (void)state;
    struct mds_keyset k = {0};
    mds_keyset_start(&k, 0, 0, 1000);
    /* first page ever is short (server clamps to 100): not yet known to be the end */
    struct mds_graph_page p = page_of(100, 10, 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 1);
    p = page_of(100, 20, 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 1);
    p = page_of(40, 30, 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 0);
}

static void test_keyset_unsorted(void **state)
{
    (void)state;
    struct mds_keyset k = {0};
    mds_keyset_start(&k, 100, 10, 2);
    struct mds_graph_page p = page_of(2, 500, 0);
    assert_int_equal(mds_keyset_advance(&k, &p), 1);
    assert_true(k.since == 90);
    assert_int_equal(k.skip, 2);
    p = page_of(2, 300, 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 1);
    assert_true(k.since == 90); /* stays: the server's order cannot be trusted */
    assert_int_equal(k.skip, 4);
    p = page_of(1, 200, 1);
    assert_int_equal(mds_keyset_advance(&k, &p), 0);
    assert_true(k.unsorted_max == 500);
}

static void test_siem_array(void **state)
{
    (void)state;
    struct mds_json j;
    struct mds_graph_page p = {0};
    char err[256];
    const char body[] = "[{\"AlertId\":\"da1_2\",\"FullId\":\"da1_2:Q0==\",\"LastProcessedTimeUtc\":"
                        "\"2020-09-30T14:11:44.0779765Z\",\"IpAddress\":\"\"},"
                        "{\"alertid\":\"da3_4\",\"fullid\":\"\",\"lastprocessedtimeutc\":\"2020-09-30T14:11:45\"}]";
    mds_json_init(&j);
    assert_int_equal(mds_siem_parse_array(&j, body, strlen(body), &p, err, sizeof err), MDS_OK);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.items[0].id_len, 10);
    assert_memory_equal(p.items[0].id, "da1_2:Q0==", 10);
    assert_memory_equal(p.items[1].id, "da3_4", 5); /* no FullId: AlertId, any casing */
    assert_true(p.items[1].version == ts("2020-09-30T14:11:45Z"));
    assert_int_equal(mds_siem_parse_array(&j, "[]", 2, &p, err, sizeof err), MDS_OK);
    assert_int_equal(p.n, 0);
    assert_int_equal(mds_siem_parse_array(&j, "{\"value\":[]}", 12, &p, err, sizeof err), MDS_ERR_PARSE);
    assert_int_equal(mds_siem_parse_array(&j, "[1]", 3, &p, err, sizeof err), MDS_ERR_PARSE);
    mds_graph_page_finish(&p);
    mds_json_finish(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse), cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_keyset),
        cmocka_unit_test(test_keyset_clamped_from_start), cmocka_unit_test(test_keyset_unsorted),
        cmocka_unit_test(test_siem_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
