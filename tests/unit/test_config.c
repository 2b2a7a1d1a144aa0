/* Unit tests: INI parsing, validation messages (file:line, key, what is
 * valid), secrets from files and environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/engine.h"

static const char base[] = "[service]\n"
                           "state = /tmp/mds-unit-never-created.db\n"
                           "[output out]\n"
                           "type = stdout\n"
                           "[source s1]\n"
                           "type = graph\n"
                           "outputs = out\n"
                           "tenant_id = t\n"
                           "client_id = c\n"
                           "client_secret_env = MDS_TEST_SECRET\n";

/* Builds an engine from base + extra lines; returns the error text. */
static mds_err try_config(const char *extra, char *err, size_t errlen)
{
    char text[4096];
    struct mds_conf *conf = NULL;
    struct mds_engine *e = NULL;
    struct mds_engine_opts opts = {0};
    snprintf(text, sizeof text, "%s%s", base, extra);
    err[0] = '\0';
    mds_err rc = mds_conf_parse_string(text, "test.ini", &conf, err, errlen);
    if (!rc)
        rc = mds_engine_create(conf, &opts, &e, err, errlen);
    mds_engine_destroy(e);
    mds_conf_destroy(conf);
    return rc;
}

static void test_valid(void **state)
{
    (void)state;
    char err[1024];
    setenv("MDS_TEST_SECRET", "s3cret-value", 1);
    assert_int_equal(try_config("recurrence = 30S ; inline comment\n", err, sizeof err), MDS_OK);
}

static void test_unknown_key(void **state)
{
    (void)state;
    char err[1024];
    setenv("MDS_TEST_SECRET", "x", 1);
    assert_int_equal(try_config("recurence = 5M\n", err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "test.ini:11:"));
    assert_non_null(strstr(err, "recurence"));
    assert_non_null(strstr(err, "[source s1]"));
}

static void test_bad_values(void **state)
{
    (void)state;
    char err[1024];
    setenv("MDS_TEST_SECRET", "x", 1);
    assert_int_equal(try_config("recurrence = 5X\n", err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "test.ini:11:"));
    assert_non_null(strstr(err, "'recurrence'"));
    assert_non_null(strstr(err, "30S, 5M, 1H or 1D"));
    assert_int_equal(try_config("page_size = 5000\n", err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "from 1 to 2000"));
    assert_int_equal(try_config("cloud = mars\n", err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "commercial|gcc|gcc-high|dod"));
    assert_int_equal(try_config("outputs2 = x\n", err, sizeof err), MDS_ERR_CONFIG);
}

static void test_inline_secret_refused(void **state)
{
    (void)state;
    char err[1024];
    setenv("MDS_TEST_SECRET", "x", 1);
    assert_int_equal(try_config("client_secret = hunter2-inline\n", err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "client_secret_file"));
    assert_null(strstr(err, "hunter2-inline"));
}

static void test_missing_and_dangling(void **state)
{
    (void)state;
    char err[1024], text[512];
    struct mds_conf *conf = NULL;
    struct mds_engine *e = NULL;
    struct mds_engine_opts opts = {0};
    unsetenv("MDS_TEST_SECRET");
    assert_int_equal(try_config("", err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "MDS_TEST_SECRET"));
    setenv("MDS_TEST_SECRET", "x", 1);
    snprintf(text, sizeof text, "[output out]\ntype = stdout\n[source s]\ntype = graph\noutputs = out, nowhere\n"
                                "tenant_id = t\nclient_id = c\nclient_secret_env = MDS_TEST_SECRET\n");
    assert_int_equal(mds_conf_parse_string(text, "t.ini", &conf, err, sizeof err), MDS_OK);
    assert_int_equal(mds_engine_create(conf, &opts, &e, err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "t.ini:5:"));
    assert_non_null(strstr(err, "nowhere"));
    mds_conf_destroy(conf);
    snprintf(text, sizeof text, "[output out]\ntype = stdout\n[source s]\ntype = graph\noutputs = out\n");
    assert_int_equal(mds_conf_parse_string(text, "t.ini", &conf, err, sizeof err), MDS_OK);
    assert_int_equal(mds_engine_create(conf, &opts, &e, err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "tenant_id"));
    mds_conf_destroy(conf);
}

static void test_leef_delimiter(void **state)
{
    (void)state;
    char err[1024], text[512];
    struct mds_conf *conf = NULL;
    struct mds_engine *e = NULL;
    struct mds_engine_opts opts = {0};
    const char *bad[] = {"|", "0x0A", "=", "xZZ"}, *good[] = {"^", "x09", "tab"};
    setenv("MDS_TEST_SECRET", "x", 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0] + sizeof good / sizeof good[0]; i++) {
        int is_bad = i < sizeof bad / sizeof bad[0];
        const char *d = is_bad ? bad[i] : good[i - sizeof bad / sizeof bad[0]];
        snprintf(text, sizeof text, "[output q]\ntype = stdout\nformat = leef\nleef_delimiter = %s\n[source s]\n"
                 "type = graph\noutputs = q\ntenant_id = t\nclient_id = c\nclient_secret_env = MDS_TEST_SECRET\n", d);
        assert_int_equal(mds_conf_parse_string(text, "l.ini", &conf, err, sizeof err), MDS_OK);
        mds_err rc = mds_engine_create(conf, &opts, &e, err, sizeof err);
        if (is_bad) {
            assert_int_equal(rc, MDS_ERR_CONFIG);
            assert_non_null(strstr(err, "l.ini:4:"));
        } else {
            assert_int_equal(rc, MDS_OK);
        }
        mds_engine_destroy(e);
        e = NULL;
        mds_conf_destroy(conf);
    }
}

static void test_syntax_errors(void **state)
{
    (void)state;
    char err[512];
    struct mds_conf *conf = NULL;
    assert_int_equal(mds_conf_parse_string("key = 1\n", "a.ini", &conf, err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "a.ini:1:"));
    assert_int_equal(mds_conf_parse_string("[service]\n\njunk line\n", "a.ini", &conf, err, sizeof err),
                     MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "a.ini:3:"));
    assert_int_equal(mds_conf_parse_string("[service]\na = 1\na = 2\n", "a.ini", &conf, err, sizeof err),
                     MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "a.ini:3:"));
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(mds_conf_parse_string("[source x]\n[source x]\n", "a.ini", &conf, err, sizeof err),
                     MDS_ERR_CONFIG);
    assert_int_equal(mds_conf_parse_string("[source x\n", "a.ini", &conf, err, sizeof err), MDS_ERR_CONFIG);
    assert_null(conf);
}

static void test_secret_file(void **state)
{
    (void)state;
    char path[] = "/tmp/mds-secret-XXXXXX", err[512], text[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "file-secret\n", 12), 12);
    close(fd);
    struct mds_conf *conf = NULL;
    char *secret = NULL;
    snprintf(text, sizeof text, "[source s]\nclient_secret_file = %s\n", path);
    assert_int_equal(mds_conf_parse_string(text, "s.ini", &conf, err, sizeof err), MDS_OK);
    static const struct mds_conf_key keys[] = {{"client_secret_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, ""},
                                               {"client_secret_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, ""},
                                               {NULL, 0, NULL, 0, 0, NULL, 0, NULL}};
    static const struct mds_conf_key *const tables[] = {keys, NULL};
    assert_int_equal(mds_conf_validate(conf, &conf->sections[0], tables, err, sizeof err), MDS_OK);
    assert_int_equal(mds_conf_secret(conf, &conf->sections[0], "client_secret", 0, &secret, err, sizeof err), MDS_OK);
    assert_string_equal(secret, "file-secret");
    mds_conf_secret_free(secret);
    unlink(path);
    assert_int_equal(mds_conf_secret(conf, &conf->sections[0], "client_secret", 0, &secret, err, sizeof err),
                     MDS_ERR_CONFIG);
    assert_non_null(strstr(err, path));
    mds_conf_destroy(conf);
}

static void test_values(void **state)
{
    (void)state;
    int64_t n;
    int b;
    assert_int_equal(mds_conf_parse_size("100M", &n), MDS_OK);
    assert_true(n == 100 * 1024 * 1024);
    assert_int_equal(mds_conf_parse_size("12", &n), MDS_OK);
    assert_true(n == 12);
    assert_int_equal(mds_conf_parse_size("12X", &n), MDS_ERR_PARSE);
    assert_int_equal(mds_conf_parse_bool("yes", &b), MDS_OK);
    assert_true(b);
    assert_int_equal(mds_conf_parse_bool("nope", &b), MDS_ERR_PARSE);
    char storage[64], *names[4];
    assert_int_equal(mds_conf_split_list(" a, b ,,c ", storage, sizeof storage, names, 4), 3);
    assert_string_equal(names[1], "b");
    assert_int_equal(mds_conf_split_list("a,b,c", storage, sizeof storage, names, 2), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),          cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_bad_values),     cmocka_unit_test(test_inline_secret_refused),
        cmocka_unit_test(test_missing_and_dangling), cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_leef_delimiter),
        cmocka_unit_test(test_secret_file),    cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
