/* Unit tests: CEF/LEEF escaping, UTF-8 repair, LEEF delimiters, safe cuts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "formats/emit.h"
#include "formats/escape.h"

typedef mds_err (*esc_fn)(struct mds_buf *, const char *, size_t);

static void check(esc_fn fn, const char *in, size_t n, const char *want)
{
    struct mds_buf b;
    mds_buf_init(&b, 0);
    assert_int_equal(fn(&b, in, n), MDS_OK);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data ? b.data : "", want, b.len);
    mds_buf_finish(&b);
}

#define CHECK(fn, in, want) check(fn, in, sizeof(in) - 1, want)

static void check_leef(const char *in, size_t n, char delim, const char *want)
{
    struct mds_buf b;
    mds_buf_init(&b, 0);
    assert_int_equal(mds_leef_escape_value(&b, in, n, delim), MDS_OK);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data ? b.data : "", want, b.len);
    mds_buf_finish(&b);
}

static void test_cef_header(void **state)
{
    (void)state;
    CHECK(mds_cef_escape_header, "plain title", "plain title");
    CHECK(mds_cef_escape_header, "a|b", "a\\|b");
    CHECK(mds_cef_escape_header, "a\\b", "a\\\\b");
    CHECK(mds_cef_escape_header, "a=b", "a=b"); /* = is not special in the header */
    CHECK(mds_cef_escape_header, "line1\nline2\r.", "line1 line2 .");
    CHECK(mds_cef_escape_header, "tab\there\x01\x7f", "tab here  ");
    CHECK(mds_cef_escape_header, "\\|", "\\\\\\|");
    CHECK(mds_cef_escape_header, "", "");
}

static void test_cef_value(void **state)
{
    (void)state;
    CHECK(mds_cef_escape_value, "a=b", "a\\=b");
    CHECK(mds_cef_escape_value, "C:\\Windows\\x", "C:\\\\Windows\\\\x");
    CHECK(mds_cef_escape_value, "pipe|stays", "pipe|stays");
    CHECK(mds_cef_escape_value, "l1\nl2", "l1\\nl2");
    CHECK(mds_cef_escape_value, "l1\r\nl2", "l1\\r\\nl2");
    CHECK(mds_cef_escape_value, "tab\tkept", "tab\tkept");
    CHECK(mds_cef_escape_value, "nul\0bell\a", "nul bell ");
    CHECK(mds_cef_escape_value, "k=v a\\=b", "k\\=v a\\\\\\=b");
    CHECK(mds_cef_escape_value, "x key=y", "x key\\=y");
}

static void test_utf8(void **state)
{
    (void)state;
    /* valid multi-byte sequences pass unchanged */
    CHECK(mds_cef_escape_value, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
          "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    /* invalid bytes are read as Latin-1 */
    CHECK(mds_cef_escape_value, "caf\xE9", "caf\xC3\xA9");
    CHECK(mds_cef_escape_value, "\xFF", "\xC3\xBF");
    CHECK(mds_cef_escape_value, "\xE2\x82", "\xC3\xA2\xC2\x82");             /* truncated */
    CHECK(mds_cef_escape_value, "\xC0\xAF", "\xC3\x80\xC2\xAF");             /* overlong */
    CHECK(mds_cef_escape_value, "\xED\xA0\x80", "\xC3\xAD\xC2\xA0\xC2\x80"); /* surrogate */
    CHECK(mds_cef_escape_value, "\x80=", "\xC2\x80\\=");                     /* stray continuation */
    CHECK(mds_leef_escape_header, "\xE9|", "\xC3\xA9\xC2\xA6");
    assert_int_equal(mds_utf8_seq_len((const unsigned char *)"\xF4\x90\x80\x80",
                                      (const unsigned char *)"\xF4\x90\x80\x80" + 4),
                     0);
    assert_int_equal(mds_utf8_seq_len((const unsigned char *)"\xF4\x8F\xBF\xBF",
                                      (const unsigned char *)"\xF4\x8F\xBF\xBF" + 4),
                     4);
}

static void test_leef(void **state)
{
    (void)state;
    CHECK(mds_leef_escape_header, "Title | with pipe", "Title \xC2\xA6 with pipe");
    CHECK(mds_leef_escape_header, "a\nb\rc\td", "a b c d");
    check_leef("a\tb\rc\nd^e=f", 11, '\t', "a b c d^e=f");
    check_leef("a^b\tc", 5, '^', "a b c");
    check_leef("a b", 3, ' ', "a_b");
    check_leef("C:\\x", 4, '\t', "C:\\x"); /* no escape character in LEEF */
}

static void test_delimiters(void **state)
{
    (void)state;
    char c = 0;
    assert_int_equal(mds_leef_delimiter_parse("^", &c), MDS_OK);
    assert_int_equal(c, '^');
    assert_int_equal(mds_leef_delimiter_parse("x09", &c), MDS_OK);
    assert_int_equal(c, '\t');
    assert_int_equal(mds_leef_delimiter_parse("0x5E", &c), MDS_OK);
    assert_int_equal(c, '^');
    assert_int_equal(mds_leef_delimiter_parse("x005e", &c), MDS_OK);
    assert_int_equal(c, '^');
    assert_int_equal(mds_leef_delimiter_parse("\\t", &c), MDS_OK);
    assert_int_equal(c, '\t');
    assert_int_equal(mds_leef_delimiter_parse("tab", &c), MDS_OK);
    assert_int_equal(c, '\t');
    assert_int_equal(mds_leef_delimiter_parse("x", &c), MDS_OK); /* the letter x itself */
    assert_int_equal(c, 'x');
    const char *bad[] = {"",    "|",   "=",  "x0a",    "x0d", "x7c", "x3d",
                         "x80", "xA6", "ab", "x12345", "0x",  "xZZ", "x00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(mds_leef_delimiter_parse(bad[i], &c), MDS_ERR_ARG);
    char s[8];
    assert_int_equal(mds_leef_delimiter_spell('\t', s, sizeof s), 3);
    assert_string_equal(s, "x09");
    mds_leef_delimiter_spell('^', s, sizeof s);
    assert_string_equal(s, "^");
    mds_leef_delimiter_spell(' ', s, sizeof s);
    assert_string_equal(s, "x20");
    mds_leef_delimiter_spell(0x1f, s, sizeof s);
    assert_string_equal(s, "x1f");
}

static void test_ceiling(void **state)
{
    (void)state;
    struct mds_buf b;
    mds_buf_init(&b, 8);
    assert_int_equal(mds_cef_escape_value(&b, "a=b=c=d=e", 9), MDS_ERR_LIMIT);
    assert_true(b.len <= 8);
    mds_buf_finish(&b);
}

static void test_safe_cut(void **state)
{
    (void)state;
    /* never between a backslash and the escaped character */
    assert_int_equal(mds_em_safe_cut(MDS_EM_CEF, "ab\\=cd", 6, 3), 2);
    assert_int_equal(mds_em_safe_cut(MDS_EM_CEF, "ab\\=cd", 6, 4), 4);
    /* LEEF has no escapes: a backslash is one character */
    assert_int_equal(mds_em_safe_cut(MDS_EM_LEEF, "ab\\=cd", 6, 3), 3);
    /* JSON \u escapes are six bytes */
    assert_int_equal(mds_em_safe_cut(MDS_EM_JSON, "\\u00e9x", 7, 5), 0);
    assert_int_equal(mds_em_safe_cut(MDS_EM_JSON, "\\u00e9x", 7, 6), 6);
    /* never inside a UTF-8 sequence */
    assert_int_equal(mds_em_safe_cut(MDS_EM_LEEF, "\xE2\x82\xAC\xE2\x82\xAC", 6, 5), 3);
    /* CEF prefers a cut away from spaces when one is close */
    assert_int_equal(mds_em_safe_cut(MDS_EM_CEF, "abcdefg hij", 11, 8), 6); /* not "abcdefg " */
    assert_int_equal(mds_em_safe_cut(MDS_EM_CEF, "abcdefgh", 8, 100), 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cef_header), cmocka_unit_test(test_cef_value),  cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_leef),       cmocka_unit_test(test_delimiters), cmocka_unit_test(test_ceiling),
        cmocka_unit_test(test_safe_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
