/* Unit tests: the emulator's OData $filter parser and query-string parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "emulator/internal.h"

static mds_ticks ts(const char *s)
{
    mds_ticks t = 0;
    assert_int_equal(mds_time_parse(s, strlen(s), &t), MDS_OK);
    return t;
}

static int parse(const char *s, struct mds_emu_filter *f)
{
    return mds_emu_filter_parse(s, strlen(s), f);
}

static void test_time_clauses(void **state)
{
    (void)state;
    struct mds_emu_filter f;
    assert_int_equal(parse("lastUpdateDateTime ge 2024-01-02T03:04:05.1234567Z", &f), MDS_OK);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.c[0].prop, "lastUpdateDateTime");
    assert_int_equal(f.c[0].op, MDS_EMU_OP_GE);
    assert_int_equal(f.c[0].kind, MDS_EMU_VAL_TIME);
    assert_true(f.c[0].time == ts("2024-01-02T03:04:05.1234567Z"));
    /* 0..7 fractional digits, compared at 100 ns */
    assert_int_equal(parse("createdDateTime lt 2024-01-02T03:04:05Z", &f), MDS_OK);
    assert_true(f.c[0].time == ts("2024-01-02T03:04:05.0000000Z"));
    assert_int_equal(parse("createdDateTime gt 2024-01-02T03:04:05.12Z", &f), MDS_OK);
    assert_true(f.c[0].time == ts("2024-01-02T03:04:05.1200000Z"));
    assert_int_equal(f.c[0].op, MDS_EMU_OP_GT);
    assert_int_equal(parse("createdDateTime le 2024-01-02T05:04:05+02:00", &f), MDS_OK);
    assert_true(f.c[0].time == ts("2024-01-02T03:04:05Z"));
}

static void test_conjunctions(void **state)
{
    (void)state;
    struct mds_emu_filter f;
    assert_int_equal(parse("lastUpdateDateTime ge 2024-01-01T00:00:00Z AND severity eq 'high' and "
                           "status eq 'new'",
                           &f),
                     MDS_OK);
    assert_int_equal(f.n, 3);
    assert_string_equal(f.c[1].prop, "severity");
    assert_int_equal(f.c[1].kind, MDS_EMU_VAL_STRING);
    assert_string_equal(f.c[1].str, "high");
    assert_string_equal(f.c[2].str, "new");
    /* parentheses around the whole filter and around clauses */
    assert_int_equal(parse("((lastUpdateDateTime gt 2024-01-01T00:00:00Z) and (serviceSource eq "
                           "'microsoftDefenderForEndpoint'))",
                           &f),
                     MDS_OK);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.c[1].str, "microsoftDefenderForEndpoint");
    assert_int_equal(parse("  status   eq   'new'  ", &f), MDS_OK);
    assert_int_equal(f.n, 1);
}

static void test_literals(void **state)
{
    (void)state;
    struct mds_emu_filter f;
    assert_int_equal(parse("assignedTo eq 'o''brien@contoso.com'", &f), MDS_OK);
    assert_string_equal(f.c[0].str, "o'brien@contoso.com");
    assert_int_equal(parse("assignedTo eq null", &f), MDS_OK);
    assert_int_equal(f.c[0].kind, MDS_EMU_VAL_NULL);
    assert_int_equal(parse("incidentId eq 28282", &f), MDS_OK);
    assert_int_equal(f.c[0].kind, MDS_EMU_VAL_NUMBER);
    assert_true(f.c[0].num == 28282);
    assert_int_equal(parse("status EQ 'new'", &f), MDS_OK);
    assert_int_equal(f.c[0].op, MDS_EMU_OP_EQ);
}

static void test_errors(void **state)
{
    (void)state;
    struct mds_emu_filter f;
    const char *bad[] = {
        "",
        "status",
        "status eq",
        "status eq 'new",
        "status is 'new'",
        "status eq 'new' or status eq 'resolved'",
        "not status eq 'new'",
        "contains(title,'x')",
        "(status eq 'new'",
        "status eq 'new')",
        "status eq 'new' and",
        "lastUpdateDateTime ge 2024-13-01T00:00:00Z",
        "lastUpdateDateTime ge yesterday",
        "status eq 'new' severity eq 'high'",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f.err[0] = '\0';
        assert_int_equal(parse(bad[i], &f), MDS_ERR_PARSE);
        assert_true(strstr(f.err, "Invalid filter clause") != NULL);
    }
    /* ceilings: clauses and nesting */
    struct mds_buf many;
    mds_buf_init(&many, 4096);
    assert_int_equal(mds_buf_puts(&many, "status eq 'new'"), MDS_OK);
    for (int i = 1; i < MDS_EMU_MAX_CLAUSES; i++)
        assert_int_equal(mds_buf_puts(&many, " and status eq 'new'"), MDS_OK);
    assert_int_equal(parse(many.data, &f), MDS_OK); /* exactly the ceiling */
    assert_int_equal(mds_buf_puts(&many, " and status eq 'new'"), MDS_OK);
    assert_int_equal(parse(many.data, &f), MDS_ERR_PARSE);
    mds_buf_finish(&many);
    assert_int_equal(parse("((((((((((status eq 'new'))))))))))", &f), MDS_ERR_PARSE);
}

static void test_params(void **state)
{
    (void)state;
    struct mds_emu_params ps = {0};
    const char *q = "%24filter=lastUpdateDateTime+ge+2024-01-01T00%3A00%3A00Z&$top=5&machinegroups=A&"
                    "machinegroups=B%20C&flag";
    assert_int_equal(mds_emu_params_parse(&ps, q, strlen(q)), MDS_OK);
    assert_int_equal(ps.n, 5);
    assert_string_equal(mds_emu_params_get(&ps, "$filter"), "lastUpdateDateTime ge 2024-01-01T00:00:00Z");
    assert_string_equal(mds_emu_params_get(&ps, "$TOP"), "5");
    assert_string_equal(ps.p[3].value, "B C");
    assert_string_equal(mds_emu_params_get(&ps, "flag"), "");
    assert_null(mds_emu_params_get(&ps, "$skip"));
    struct mds_buf b;
    mds_buf_init(&b, 4096);
    assert_int_equal(mds_emu_params_rebuild(&ps, "$top", "7", &b), MDS_OK);
    assert_string_equal(b.data,
                        "%24filter=lastUpdateDateTime+ge+2024-01-01T00%3A00%3A00Z&$top=7&machinegroups=A&"
                        "machinegroups=B%20C&flag");
    mds_buf_reset(&b);
    assert_int_equal(mds_emu_params_rebuild(&ps, "$skip", "100", &b), MDS_OK);
    assert_true(strstr(b.data, "&flag&$skip=100") != NULL);
    mds_buf_finish(&b);
    mds_emu_params_finish(&ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_clauses), cmocka_unit_test(test_conjunctions),
        cmocka_unit_test(test_literals),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
