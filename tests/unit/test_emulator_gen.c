/* Unit tests: the emulator's generator (determinism, shape) and the
 * universe (ordering, selection, updates, the monotonic clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/json.h"
#include "core/mem.h"
#include "emulator/internal.h"

#define START (INT64_C(1767225600) * MDS_TICKS_PER_SEC) /* 2026-01-01T00:00:00Z */

/* Renders alert i of a universe as Graph JSON into b. */
static void render(const struct mds_emu_alert *a, struct mds_buf *b)
{
    struct mds_emu_model *m = mds_malloc(sizeof *m);
    struct mds_emu_render r = {"00000000-0000-0000-0000-000000000001", NULL, 0};
    struct mds_emu_jw w;
    mds_emu_jw_init(&w, b);
    mds_emu_gen_model(a, m);
    mds_emu_render_graph(&w, &r, m);
    assert_int_equal(w.err, MDS_OK);
    mds_free(m);
}

static void render_all(const struct mds_emu_universe *u, struct mds_buf *b)
{
    for (size_t i = 0; i < u->n; i++)
        render(&u->alerts[i], b);
}

static void test_determinism(void **state)
{
    (void)state;
    struct mds_emu_universe u1, u2, u3;
    struct mds_buf b1, b2, b3;
    mds_buf_init(&b1, 0);
    mds_buf_init(&b2, 0);
    mds_buf_init(&b3, 0);
    assert_int_equal(mds_emu_universe_init(&u1, 42, 200, START, NULL), MDS_OK);
    assert_int_equal(mds_emu_universe_init(&u2, 42, 200, START, NULL), MDS_OK);
    assert_int_equal(mds_emu_universe_init(&u3, 43, 200, START, NULL), MDS_OK);
    render_all(&u1, &b1);
    render_all(&u2, &b2);
    render_all(&u3, &b3);
    assert_int_equal(b1.len, b2.len);
    assert_memory_equal(b1.data, b2.data, b1.len);
    assert_true(b1.len != b3.len || memcmp(b1.data, b3.data, b1.len) != 0);
    /* the same updates give the same results */
    size_t n1, n2;
    assert_int_equal(mds_emu_universe_update(&u1, 50, START + 10, &n1), MDS_OK);
    assert_int_equal(mds_emu_universe_update(&u2, 50, START + 10, &n2), MDS_OK);
    assert_int_equal(n1, 50);
    mds_buf_reset(&b1);
    mds_buf_reset(&b2);
    render_all(&u1, &b1);
    render_all(&u2, &b2);
    assert_memory_equal(b1.data, b2.data, b1.len);
    mds_buf_finish(&b1);
    mds_buf_finish(&b2);
    mds_buf_finish(&b3);
    mds_emu_universe_finish(&u1);
    mds_emu_universe_finish(&u2);
    mds_emu_universe_finish(&u3);
}

static int has_digits7(const char *s) /* "...:SS.fffffffZ" */
{
    const char *dot = strrchr(s, '.');
    return dot && strlen(dot) == 9 && dot[8] == 'Z';
}

/* Every property of spec §3.5 is present; evidence is 2-6 items. */
static void test_shape(void **state)
{
    (void)state;
    static const char *const props[] = {"@odata.type",
                                        "id",
                                        "providerAlertId",
                                        "incidentId",
                                        "status",
                                        "severity",
                                        "classification",
                                        "determination",
                                        "serviceSource",
                                        "detectionSource",
                                        "detectorId",
                                        "tenantId",
                                        "title",
                                        "description",
                                        "recommendedActions",
                                        "category",
                                        "assignedTo",
                                        "alertWebUrl",
                                        "incidentWebUrl",
                                        "actorDisplayName",
                                        "threatDisplayName",
                                        "threatFamilyName",
                                        "mitreTechniques",
                                        "createdDateTime",
                                        "lastUpdateDateTime",
                                        "resolvedDateTime",
                                        "firstActivityDateTime",
                                        "lastActivityDateTime",
                                        "comments",
                                        "evidence",
                                        "systemTags",
                                        "alertPolicyId",
                                        "additionalData",
                                        "customDetails",
                                        "productName",
                                        "investigationState",
                                        "categories"};
    struct mds_emu_universe u;
    struct mds_buf b;
    struct mds_json j;
    char s[64];
    assert_int_equal(mds_emu_universe_init(&u, 7, 300, START, NULL), MDS_OK);
    for (size_t i = 0; i < u.n; i++) {
        mds_buf_init(&b, 0);
        mds_json_init(&j);
        render(&u.alerts[i], &b);
        assert_int_equal(mds_json_parse(&j, b.data, b.len), MDS_OK);
        for (size_t p = 0; p < sizeof props / sizeof props[0]; p++)
            assert_true(mds_json_find(&j, 0, props[p]) >= 0);
        int ev = mds_json_find(&j, 0, "evidence");
        assert_true(j.tok[ev].size >= 2 && j.tok[ev].size <= 6);
        assert_int_equal(mds_json_copy(&j, mds_json_find(&j, 0, "lastUpdateDateTime"), s, sizeof s), MDS_OK);
        assert_true(has_digits7(s));
        assert_int_equal(mds_json_copy(&j, mds_json_find(&j, 0, "id"), s, sizeof s), MDS_OK);
        assert_true(strncmp(s, "da", 2) == 0 && strchr(s, '_'));
        assert_int_equal(j.tok[mds_json_find(&j, 0, "incidentId")].type, JSMN_STRING);
        mds_json_finish(&j);
        mds_buf_finish(&b);
    }
    mds_emu_universe_finish(&u);
}

static void test_ordering_and_select(void **state)
{
    (void)state;
    struct mds_emu_universe u;
    struct mds_emu_select s;
    struct mds_emu_alert *page = calloc(1000, sizeof *page);
    size_t n, count;
    int more;
    assert_int_equal(mds_emu_universe_init(&u, 3, 1000, START, NULL), MDS_OK);
    for (size_t i = 1; i < u.n; i++) {
        const struct mds_emu_alert *a = &u.alerts[u.by_updated[i - 1]], *b = &u.alerts[u.by_updated[i]];
        assert_true(a->updated < b->updated || (a->updated == b->updated && strcmp(a->id, b->id) < 0));
        assert_true(u.alerts[i].created <= START &&
                    u.alerts[i].created >= START - 23 * 3600 * MDS_TICKS_PER_SEC);
        assert_true(u.alerts[i].updated >= u.alerts[i].created && u.alerts[i].updated <= START);
    }
    /* paging by skip visits every alert once, in order */
    mds_emu_select_init(&s);
    s.top = 70;
    s.want_count = 1;
    size_t seen = 0;
    mds_ticks last = INT64_MIN;
    do {
        mds_emu_universe_select(&u, &s, page, &n, &more, &count);
        assert_int_equal(count, 1000);
        for (size_t i = 0; i < n; i++, seen++) {
            assert_true(page[i].updated >= last);
            last = page[i].updated;
        }
        s.skip += n;
    } while (more);
    assert_int_equal(seen, 1000);
    /* a ge bound and an enum predicate */
    mds_emu_select_init(&s);
    s.top = 1000;
    s.want_count = 1;
    s.upd_lo = u.alerts[u.by_updated[500]].updated;
    s.severity = MDS_EMU_SEV_HIGH;
    mds_emu_universe_select(&u, &s, page, &n, &more, &count);
    assert_int_equal(n, count);
    assert_true(n > 0 && n < 500);
    for (size_t i = 0; i < n; i++)
        assert_true(page[i].updated >= s.upd_lo && page[i].severity == MDS_EMU_SEV_HIGH);
    free(page);
    mds_emu_universe_finish(&u);
}

static void test_updates_and_clock(void **state)
{
    (void)state;
    struct mds_emu_universe u;
    size_t done;
    assert_int_equal(mds_emu_universe_init(&u, 5, 100, START, NULL), MDS_OK);
    mds_ticks before = u.last_issued;
    /* a clock that stands still still issues strictly increasing times */
    assert_int_equal(mds_emu_universe_update(&u, 100, START - 1000, &done), MDS_OK);
    assert_int_equal(done, 100);
    assert_int_equal(u.nversions, 200);
    assert_int_equal(mds_emu_universe_create(&u, 10, START - 1000), MDS_OK);
    assert_int_equal(u.n, 110);
    assert_int_equal(u.nversions, 210);
    for (size_t i = 100; i < u.nversions; i++)
        assert_true(u.versions[i].updated > before && u.versions[i].updated > u.versions[i - 1].updated);
    /* the index is still ordered and complete; find() works */
    for (size_t i = 1; i < u.n; i++)
        assert_true(u.alerts[u.by_updated[i - 1]].updated < u.alerts[u.by_updated[i]].updated);
    for (size_t i = 0; i < u.n; i++)
        assert_int_equal(mds_emu_universe_find(&u, u.alerts[i].id), (long)i);
    assert_int_equal(mds_emu_universe_find(&u, "da000_1"), -1);
    /* update more than exist: clamped */
    assert_int_equal(mds_emu_universe_update(&u, 5000, START, &done), MDS_OK);
    assert_int_equal(done, 110);
    mds_emu_universe_finish(&u);
}

/* The JSON writer's own timestamp and integer formatting equals the
 * core formatter's and printf's, across leap years and centuries. */
static void test_writer_formats(void **state)
{
    (void)state;
    struct mds_emu_rng r = {99};
    struct mds_buf b;
    struct mds_emu_jw w;
    char want[64], core[40];
    mds_buf_init(&b, 0);
    for (int i = 0; i < 20000; i++) {
        mds_ticks t = (mds_ticks)mds_emu_rng_below(&r, (uint64_t)INT64_C(2534023008000000000));
        if (i < 4)
            t = (mds_ticks[]){0, INT64_C(9512640000000000), INT64_C(2534023007999999999), 1}[i];
        int64_t v = (int64_t)mds_emu_rng_next(&r);
        mds_buf_reset(&b);
        mds_emu_jw_init(&w, &b);
        mds_emu_jw_time(&w, NULL, t);
        mds_emu_jw_int(&w, NULL, v);
        mds_time_format(t, 7, core, sizeof core);
        snprintf(want, sizeof want, "\"%s\",%lld", core, (long long)v);
        assert_int_equal(w.err, MDS_OK);
        assert_string_equal(b.data, want);
    }
    mds_buf_reset(&b);
    mds_emu_jw_init(&w, &b);
    mds_emu_jw_int(&w, NULL, INT64_MIN);
    mds_emu_jw_str(&w, "k", "plain");
    mds_emu_jw_str(&w, "e", "tab\tq\"\xc3\xbc");
    assert_string_equal(b.data, "-9223372036854775808,\"k\":\"plain\",\"e\":\"tab\\tq\\\"\xc3\xbc\"");
    mds_buf_finish(&b);
}

static void assert_ordered(const struct mds_emu_universe *u)
{
    for (size_t i = 1; i < u->n; i++) {
        const struct mds_emu_alert *a = &u->alerts[u->by_updated[i - 1]], *b = &u->alerts[u->by_updated[i]];
        assert_true(a->updated < b->updated || (a->updated == b->updated && strcmp(a->id, b->id) < 0));
        a = &u->alerts[u->by_created[i - 1]];
        b = &u->alerts[u->by_created[i]];
        assert_true(a->created < b->created || (a->created == b->created && strcmp(a->id, b->id) < 0));
    }
}

/* Quirk same-timestamp: groups of N share one value, ties stay ordered by
 * id, and an alert never gets its previous timestamp again. */
static void test_same_timestamp(void **state)
{
    (void)state;
    struct mds_emu_quirks q = {0};
    struct mds_emu_universe u;
    size_t done;
    q.same_timestamp = 4;
    assert_int_equal(mds_emu_universe_init(&u, 8, 50, START, &q), MDS_OK);
    assert_int_equal(mds_emu_universe_create(&u, 10, START), MDS_OK);
    for (int round = 0; round < 5; round++)
        assert_int_equal(mds_emu_universe_update(&u, 7, START, &done), MDS_OK);
    assert_ordered(&u);
    size_t shared = 0;
    for (size_t i = 51; i < u.nversions; i++)
        shared += u.versions[i].updated == u.versions[i - 1].updated;
    assert_true(shared >= 20); /* 45 new timestamps in groups of 4 */
    /* (id, lastUpdateDateTime) pairs stay distinct */
    for (size_t i = 0; i < u.nversions; i++)
        for (size_t j = i + 1; j < u.nversions; j++)
            assert_false(u.versions[i].alert == u.versions[j].alert &&
                         u.versions[i].updated == u.versions[j].updated);
    mds_emu_universe_finish(&u);
}

/* Quirk late-arrival: created alerts are back-dated, yet indexed in order. */
static void test_late_arrival(void **state)
{
    (void)state;
    struct mds_emu_quirks q = {0};
    struct mds_emu_universe u;
    q.late_arrival_s = 3600;
    assert_int_equal(mds_emu_universe_init(&u, 9, 200, START, &q), MDS_OK);
    mds_ticks newest = u.alerts[u.by_updated[u.n - 1]].updated;
    assert_int_equal(mds_emu_universe_create(&u, 20, START), MDS_OK);
    assert_ordered(&u);
    for (size_t i = 200; i < u.n; i++)
        assert_true(u.alerts[i].updated < newest); /* older than what was already there */
    assert_true(u.alerts[u.by_updated[u.n - 1]].updated == newest);
    mds_emu_universe_finish(&u);
}

/* Incidents group consecutive alerts, at most 5 each, and their view
 * follows the alerts. */
static void test_incidents(void **state)
{
    (void)state;
    struct mds_emu_universe u;
    struct mds_emu_incident_view v;
    size_t total = 0, done;
    assert_int_equal(mds_emu_universe_init(&u, 4, 500, START, NULL), MDS_OK);
    assert_true(u.nincidents > 100 && u.nincidents < 500);
    for (size_t k = 0; k < u.nincidents; k++) {
        mds_emu_incident_view(&u, k, &v);
        assert_true(v.count >= 1 && v.count <= MDS_EMU_INCIDENT_MAX_ALERTS);
        assert_int_equal(v.first, total);
        for (uint32_t i = 0; i < v.count; i++) {
            assert_int_equal(v.alerts[i].incident, v.id);
            assert_true(v.alerts[i].updated <= v.updated && v.alerts[i].created >= v.created);
        }
        total += v.count;
    }
    assert_int_equal(total, u.n);
    assert_int_equal(mds_emu_universe_update(&u, 500, START, &done), MDS_OK);
    mds_emu_incident_view(&u, 0, &v);
    assert_true(v.updated > START - 1 && v.status != 0); /* every alert moved on: none is "new" */
    assert_int_equal(mds_emu_incident_find(&u, v.id), 0);
    assert_int_equal(mds_emu_incident_find(&u, v.id - 1), -1);
    mds_emu_universe_finish(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),         cmocka_unit_test(test_shape),
        cmocka_unit_test(test_ordering_and_select), cmocka_unit_test(test_updates_and_clock),
        cmocka_unit_test(test_same_timestamp),      cmocka_unit_test(test_late_arrival),
        cmocka_unit_test(test_incidents),           cmocka_unit_test(test_writer_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
