/* Unit tests: timestamp parsing, formatting and comparison; durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/timeutil.h"

static mds_ticks parse(const char *s)
{
    mds_ticks t = 0;
    assert_int_equal(mds_time_parse(s, strlen(s), &t), MDS_OK);
    return t;
}

static void test_fraction_digits(void **state)
{
    (void)state;
    mds_ticks base = parse("2021-05-02T14:19:01Z");
    assert_true(parse("2021-05-02T14:19:01.3Z") == base + 3000000);
    assert_true(parse("2021-05-02T14:19:01.32Z") == base + 3200000);
    assert_true(parse("2021-05-02T14:19:01.3266667Z") == base + 3266667);
    assert_true(parse("2021-05-02T14:19:01.32Z") == parse("2021-05-02T14:19:01.3200000Z"));
    assert_true(parse("2021-05-02T14:19:01.3266667Z") < parse("2021-05-02T14:19:01.3266668Z"));
    /* more than 7 digits: rounded down to 100 ns */
    assert_true(parse("2021-05-02T14:19:01.326666789Z") == base + 3266667);
}

static void test_zones(void **state)
{
    (void)state;
    mds_ticks z = parse("2021-05-02T14:19:01Z");
    assert_true(parse("2021-05-02T14:19:01") == z); /* no zone = UTC */
    assert_true(parse("2021-05-02T16:19:01+02:00") == z);
    assert_true(parse("2021-05-02T13:19:01-0100") == z);
    assert_true(parse("1970-01-01T00:00:00Z") == 0);
    assert_true(parse("2000-03-01T00:00:00Z") == INT64_C(951868800) * MDS_TICKS_PER_SEC);
}

static void test_rejects(void **state)
{
    (void)state;
    const char *bad[] = {"", "2021-05-02", "2021-13-02T00:00:00Z", "2021-02-30T00:00:00Z",
                         "2021-05-02T24:00:00Z", "2021-05-02T14:19:01.Z", "2021-05-02T14:19:01Zjunk",
                         "2021-05-02T14:19:01+25:00", "not a time"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mds_ticks t;
        assert_int_equal(mds_time_parse(bad[i], strlen(bad[i]), &t), MDS_ERR_PARSE);
    }
}

static void test_format_roundtrip(void **state)
{
    (void)state;
    char buf[40];
    mds_ticks t = parse("2021-04-27T12:19:27.7211305Z");
    assert_int_equal(mds_time_format(t, 7, buf, sizeof buf), 28);
    assert_string_equal(buf, "2021-04-27T12:19:27.7211305Z");
    mds_time_format(t, 3, buf, sizeof buf);
    assert_string_equal(buf, "2021-04-27T12:19:27.721Z");
    mds_time_format(t, 0, buf, sizeof buf);
    assert_string_equal(buf, "2021-04-27T12:19:27Z");
    mds_time_format(-1, 7, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.9999999Z");
    assert_int_equal(mds_time_format(t, 7, buf, 10), 0); /* too small: refused, not cut */
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(mds_duration_parse("5M", &ms), MDS_OK);
    assert_true(ms == 300000);
    assert_int_equal(mds_duration_parse("1H", &ms), MDS_OK);
    assert_true(ms == 3600000);
    assert_int_equal(mds_duration_parse("1D", &ms), MDS_OK);
    assert_true(ms == 86400000);
    assert_int_equal(mds_duration_parse("30S", &ms), MDS_OK);
    assert_true(ms == 30000);
    assert_int_equal(mds_duration_parse("250ms", &ms), MDS_OK);
    assert_true(ms == 250);
    assert_int_equal(mds_duration_parse("10", &ms), MDS_OK);
    assert_true(ms == 600000);
    assert_int_equal(mds_duration_parse("5X", &ms), MDS_ERR_PARSE);
    assert_int_equal(mds_duration_parse("-5M", &ms), MDS_ERR_PARSE);
    assert_int_equal(mds_duration_parse("M", &ms), MDS_ERR_PARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fraction_digits), cmocka_unit_test(test_zones),
        cmocka_unit_test(test_rejects), cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
