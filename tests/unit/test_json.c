/* Unit tests: strict JSON checking, member lookup, string decoding and
 * escaping (including invalid UTF-8 and control characters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/json.h"
#include "core/mem.h"

static void test_check(void **state)
{
    (void)state;
    const char *good[] = {"{}", "[]", "0", "-0.5e+10", "\"\\u00e9\\n\"", " {\"a\":[1,{\"b\":null},true,false]} ",
                          "{\"a\":\"\\\"\",\"b\":-1.0E-2}"};
    const char *bad[] = {"",      "{",        "{\"a\" \"b\"}", "{\"a\":}",  "[1,]",   "{\"a\":1,}", "01",
                         "1.",    "\"\\x\"",  "\"a\nb\"",      "[1 2]",     "{} {}",  "tru",        "{1:2}",
                         "[\"a\"}", "\"\\u12\"", "-",          "{\"a\"::1}", "nulll"};
    size_t off;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(mds_json_check(good[i], strlen(good[i]), &off), MDS_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (mds_json_check(bad[i], strlen(bad[i]), &off) != MDS_ERR_PARSE)
            fail_msg("accepted invalid JSON: %s", bad[i]);
    }
    assert_int_equal(mds_json_check("[1,,2]", 6, &off), MDS_ERR_PARSE);
    assert_int_equal(off, 3);
}

static void test_depth(void **state)
{
    (void)state;
    char deep[20001];
    size_t off;
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    deep[20000] = '\0';
    assert_int_equal(mds_json_check(deep, 20000, &off), MDS_ERR_PARSE);
    assert_int_equal(off, MDS_JSON_MAX_DEPTH);
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_int_equal(mds_json_check(deep, 200, &off), MDS_OK);
}

static void test_find_decode(void **state)
{
    (void)state;
    struct mds_json j;
    struct mds_buf b;
    const char doc[] = "{\"a\":{\"id\":\"inner\"},\"ID\":\"x\",\"id\":\"caf\\u00e9 \\ud83d\\ude00\\t\\/\",\"n\":\"42\"}";
    mds_json_init(&j);
    mds_buf_init(&b, 0);
    assert_int_equal(mds_json_parse(&j, doc, strlen(doc)), MDS_OK);
    int id = mds_json_find(&j, 0, "id");
    assert_true(id > 0);
    assert_int_equal(mds_json_decode(&j, id, &b), MDS_OK);
    assert_string_equal(b.data, "caf\xc3\xa9 \xf0\x9f\x98\x80\t/");
    assert_true(mds_json_find_ci(&j, 0, "Id") > 0);
    assert_int_equal(mds_json_find(&j, 0, "missing"), -1);
    int64_t n;
    assert_int_equal(mds_json_int(&j, mds_json_find(&j, 0, "n"), &n), MDS_OK);
    assert_true(n == 42);
    char small[4];
    assert_int_equal(mds_json_copy(&j, id, small, sizeof small), MDS_ERR_LIMIT);
    mds_buf_finish(&b);
    mds_json_finish(&j);
}

static void test_escape(void **state)
{
    (void)state;
    struct mds_buf b;
    mds_buf_init(&b, 0);
    const char in[] = "a\"b\\c\n\r\t\x01 \xc3\xa9 \xff\xfe \xe2\x82";
    assert_int_equal(mds_json_escape(&b, in, sizeof in - 1), MDS_OK);
    assert_string_equal(b.data, "a\\\"b\\\\c\\n\\r\\t\\u0001 \xc3\xa9 \\u00ff\\u00fe \\u00e2\\u0082");
    size_t off;
    assert_int_equal(mds_json_check(b.data, b.len, &off), MDS_ERR_PARSE); /* not quoted */
    mds_buf_reset(&b);
    assert_int_equal(mds_json_quote(&b, in, sizeof in - 1), MDS_OK);
    assert_int_equal(mds_json_check(b.data, b.len, &off), MDS_OK);
    mds_buf_finish(&b);
}

static void test_buf_ceiling(void **state)
{
    (void)state;
    struct mds_buf b;
    mds_buf_init(&b, 8);
    assert_int_equal(mds_buf_puts(&b, "12345678"), MDS_OK);
    assert_int_equal(mds_buf_putc(&b, '9'), MDS_ERR_LIMIT);
    assert_string_equal(b.data, "12345678"); /* unchanged, not cut */
    mds_buf_finish(&b);
}

/* Token-free scan: members in order, escaped quotes, nested values
 * skipped, children entered and left early. */
static void test_scan(void **state)
{
    (void)state;
    const char *doc = " {\"a\\\"\":\"x\\\\\",\"n\":[1,{\"b\":\"]}\"}],\"o\":{\"id\":\"7\",\"z\":[[]]},"
                      "\"t\":true , \"e\":\"\\\"}\"} ";
    struct mds_json_scan sc, child;
    struct mds_json_member m, k;
    size_t n;
    assert_int_equal(mds_json_scan_open(&sc, doc, strlen(doc)), 0);
    assert_true(sc.is_object);
    assert_int_equal(mds_json_scan_next(&sc, &m), 1);
    assert_int_equal(m.key_len, 3); /* a\" as written */
    assert_memory_equal(m.key, "a\\\"", 3);
    assert_non_null(mds_json_member_str(&m, &n));
    assert_int_equal(n, 3);
    assert_int_equal(mds_json_scan_next(&sc, &m), 1);
    assert_true(mds_json_member_is(&m, "N", 1));
    assert_false(mds_json_member_is(&m, "N", 0));
    assert_int_equal(m.val_len, strlen("[1,{\"b\":\"]}\"}]"));
    assert_null(mds_json_member_str(&m, &n));
    assert_int_equal(mds_json_scan_key(&sc, &m), 1); /* "o": enter, read id, leave early */
    assert_int_equal(mds_json_scan_child(&sc, &m, &child), 0);
    assert_int_equal(mds_json_scan_next(&child, &k), 1);
    assert_true(mds_json_member_is(&k, "id", 0));
    mds_json_scan_close(&sc, &child, &m);
    assert_int_equal(m.val_len, strlen("{\"id\":\"7\",\"z\":[[]]}"));
    assert_int_equal(mds_json_scan_next(&sc, &m), 1);
    assert_int_equal(m.val_len, 4); /* true */
    assert_int_equal(mds_json_scan_key(&sc, &m), 1);
    assert_int_equal(mds_json_scan_child(&sc, &m, &child), -1); /* a string */
    mds_json_scan_skip(&sc, &m);
    assert_int_equal(m.val_len, 5);
    assert_int_equal(mds_json_scan_next(&sc, &m), 0);
    assert_int_equal(mds_json_scan_next(&sc, &m), 0);
    assert_int_equal(mds_json_scan_open(&sc, "[]", 2), 0);
    assert_int_equal(mds_json_scan_next(&sc, &m), 0);
    assert_int_equal(mds_json_scan_open(&sc, " 1", 2), -1);
}

/* mds_json_parse tokenises in one pass: the tokens must be jsmn's, the
 * verdicts and error offsets the strict check's (and jsmn's quirks kept). */
static void test_tokens_are_jsmns(void **state)
{
    (void)state;
    const char *docs[] = {
        "{\"a\":[1,-2.5e+3,true,false,null,{\"b\":\"x\\\"y\\u00e9\"}],\"c\":{},\"d\":[],\"e\":\"\"}",
        " [ {\"k\" : \"0123456789abcdef0123456789abcdef\\n\\t\" } , [ [ ] ] ] ",
        "\"top\"", "[0]", "0 ", "{\"\":0}",
    };
    static jsmntok_t want[64];
    struct mds_json j;
    mds_json_init(&j);
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        jsmn_parser p;
        jsmn_init(&p);
        int n = jsmn_parse(&p, docs[i], strlen(docs[i]), want, 64);
        assert_true(n > 0);
        assert_int_equal(mds_json_parse(&j, docs[i], strlen(docs[i])), MDS_OK);
        assert_int_equal(j.ntok, n);
        assert_memory_equal(j.tok, want, sizeof want[0] * (size_t)n);
    }
    const char *bad[] = {"{\"a\" 1}", "[1,]", "\"\\x\"", "[\"a\nb\"]", "{} {}", "[1 2]", "0", "", "[\"\\u12x4\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t off = 0;
        assert_int_equal(mds_json_parse(&j, bad[i], strlen(bad[i])), MDS_ERR_PARSE);
        if (mds_json_check(bad[i], strlen(bad[i]), &off) == MDS_ERR_PARSE)
            assert_int_equal(j.err_offset, off);
    }
    mds_json_finish(&j);
}

/* One value at a time: the tokens a value gets on its own, where it
 * stops, and the depth a value inside a document is allowed. */
static void test_value_at_a_time(void **state)
{
    (void)state;
    const char *page = "[{\"a\":[1,{\"b\":\"x\"}]} , \"s\",7 ,{}]";
    const char *rest = page + 1;
    struct mds_json j, whole;
    size_t used;
    mds_json_init(&j);
    mds_json_init(&whole);
    assert_int_equal(mds_json_parse_value(&j, rest, strlen(rest), MDS_JSON_MAX_DEPTH, &used), MDS_OK);
    assert_int_equal(j.ntok, 7);
    assert_memory_equal(rest + used, ", \"s\"", 5); /* past the whitespace after the value */
    assert_int_equal(mds_json_parse(&whole, rest, 19), MDS_OK);
    assert_memory_equal(j.tok, whole.tok, sizeof j.tok[0] * 7);
    assert_int_equal(mds_json_parse_value(&j, rest + used + 2, 3, MDS_JSON_MAX_DEPTH, &used), MDS_OK);
    assert_int_equal(j.tok[0].type, JSMN_STRING);
    assert_int_equal(used, 3);
    assert_int_equal(mds_json_parse_value(&j, "{\"a\" 1}", 8, MDS_JSON_MAX_DEPTH, &used), MDS_ERR_PARSE);
    assert_int_equal(mds_json_parse_value(&j, "[1,]", 4, MDS_JSON_MAX_DEPTH, &used), MDS_ERR_PARSE);
    assert_int_equal(mds_json_parse_value(&j, "[[[]]]", 6, 3, &used), MDS_OK);
    assert_int_equal(mds_json_parse_value(&j, "[[[]]]", 6, 2, &used), MDS_ERR_PARSE);
    mds_json_finish(&j);
    mds_json_finish(&whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),  cmocka_unit_test(test_depth),       cmocka_unit_test(test_find_decode),
        cmocka_unit_test(test_escape), cmocka_unit_test(test_buf_ceiling), cmocka_unit_test(test_scan),
        cmocka_unit_test(test_tokens_are_jsmns),
        cmocka_unit_test(test_value_at_a_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
