/* Unit tests: log lines to a file, rate-limited repeats (exact and
 * numbers-only differences), reopening for logrotate, JSON lines, and the
 * progress line of `once`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/progress.h"

static char path[64], rotated[80];

static int setup(void **state)
{
    (void)state;
    char err[256];
    snprintf(path, sizeof path, "/tmp/mds-log-%ld.log", (long)getpid());
    snprintf(rotated, sizeof rotated, "%s.1", path);
    unlink(path);
    unlink(rotated);
    mds_log_set_level(MDS_LOG_DEBUG);
    mds_log_set_json(0);
    mds_log_set_repeat_window(10);
    assert_int_equal(mds_log_set_file(path, err, sizeof err), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char err[256];
    mds_log_flush(1);
    mds_log_set_file(NULL, err, sizeof err);
    unlink(path);
    unlink(rotated);
    return 0;
}

/* Reads the file into buf; returns its number of lines. */
static int slurp(const char *p, char *buf, size_t size)
{
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    return lines;
}

static void test_identical_repeats_fold(void **state)
{
    (void)state;
    char buf[8192];
    for (int i = 0; i < 50; i++)
        mds_error("source:a", "token refused: %d", 401);
    mds_info("source:a", "something else");
    assert_int_equal(slurp(path, buf, sizeof buf), 2);
    mds_log_flush(1);
    assert_int_equal(slurp(path, buf, sizeof buf), 3);
    assert_non_null(strstr(buf, "token refused: 401 (repeated 49 more times in"));
    assert_non_null(strstr(buf, "error [source:a]"));
}

static void test_numbers_fold_for_warnings_only(void **state)
{
    (void)state;
    char buf[8192];
    for (int i = 1; i <= 10; i++)
        mds_warn("output:x", "delivery failed, attempt %d: HTTP 429", i);
    for (int i = 1; i <= 3; i++)
        mds_info("source:a", "cycle done: %d fetched", i);
    mds_log_flush(1);
    assert_int_equal(slurp(path, buf, sizeof buf), 1 + 3 + 1);
    assert_non_null(strstr(buf, "attempt 1: HTTP 429\n"));
    assert_non_null(strstr(buf, "attempt 10: HTTP 429 (9 similar in"));
    assert_non_null(strstr(buf, "cycle done: 3 fetched\n"));
}

static void test_interleaved_components_fold(void **state)
{
    (void)state;
    char buf[8192];
    for (int i = 0; i < 20; i++) {
        mds_error("source:a", "HTTP 503 from the API");
        mds_error("source:b", "HTTP 503 from the API");
    }
    assert_int_equal(slurp(path, buf, sizeof buf), 2);
    mds_log_flush(1);
    assert_int_equal(slurp(path, buf, sizeof buf), 4);
    assert_non_null(strstr(buf, "[source:b] HTTP 503 from the API (repeated 19 more times"));
}

static void test_window_zero_writes_everything(void **state)
{
    (void)state;
    char buf[8192];
    mds_log_set_repeat_window(0);
    for (int i = 0; i < 3; i++)
        mds_error("main", "same");
    assert_int_equal(slurp(path, buf, sizeof buf), 3);
}

static void test_level_filter(void **state)
{
    (void)state;
    char buf[8192];
    mds_log_set_level(MDS_LOG_WARN);
    mds_info("main", "hidden");
    mds_debug("main", "hidden too");
    mds_warn("main", "shown");
    assert_int_equal(slurp(path, buf, sizeof buf), 1);
    assert_null(strstr(buf, "hidden"));
}

static void test_reopen_after_rotation(void **state)
{
    (void)state;
    char buf[8192], err[256];
    mds_info("main", "before rotation");
    assert_int_equal(rename(path, rotated), 0);
    mds_info("main", "still the old file"); /* logrotate renamed it; we write on until SIGHUP */
    assert_int_equal(mds_log_set_file(path, err, sizeof err), 0);
    mds_info("main", "after reopen");
    assert_int_equal(slurp(rotated, buf, sizeof buf), 2);
    assert_int_equal(slurp(path, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "after reopen"));
}

static void test_bad_file_keeps_current(void **state)
{
    (void)state;
    char buf[8192], err[256];
    assert_int_equal(mds_log_set_file("/nonexistent-dir/x.log", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/x.log"));
    mds_info("main", "still here");
    assert_int_equal(slurp(path, buf, sizeof buf), 1);
}

static void test_json_lines(void **state)
{
    (void)state;
    char buf[8192];
    mds_log_set_json(1);
    mds_error("source:a", "quote \" backslash \\ tab\tend\nnext");
    mds_log_set_json(0);
    assert_int_equal(slurp(path, buf, sizeof buf), 1);
    assert_memory_equal(buf, "{\"time\":\"", 9);
    assert_non_null(strstr(buf, "\"level\":\"error\",\"component\":\"source:a\",\"message\":\"quote \\\" "
                                "backslash \\\\ tab\\u0009end next\"}\n"));
}

static void test_progress_line(void **state)
{
    (void)state;
    char line[512];
    mds_ticks now = INT64_C(17000000000) * MDS_TICKS_PER_SEC;
    struct mds_progress_sample s = {
        .name = "defender-prod",
        .pages = 12,
        .fetched = 12000,
        .accepted = 11990,
        .now = now,
        .now_ms = 100000,
        .elapsed_ms = 10000,
        .cursor_first = now - 10 * 3600 * MDS_TICKS_PER_SEC,
        .cursor_first_ms = 92000,
        .cursor = now - 2 * 3600 * MDS_TICKS_PER_SEC,
    };
    /* 8 hours of cursor in 8 s: 2 hours left take 2 s */
    mds_progress_format(&s, 0, line, sizeof line);
    assert_non_null(strstr(line, "defender-prod  12 pages  12000 alerts  1200/s  cursor "));
    assert_non_null(strstr(line, "ETA 2s"));
    s.cursor = now - 30 * MDS_TICKS_PER_SEC; /* close to now: no ETA, a lag */
    mds_progress_format(&s, 0, line, sizeof line);
    assert_null(strstr(line, "ETA"));
    assert_non_null(strstr(line, "lag 30s"));
    s.finished = 1;
    mds_progress_format(&s, 0, line, sizeof line);
    assert_non_null(strstr(line, "  done"));
    s.failed = 1;
    mds_progress_format(&s, 0, line, sizeof line);
    assert_non_null(strstr(line, "FAILED"));
    mds_progress_format(&s, 20, line, sizeof line);
    assert_int_equal(strlen(line), 20);
    s.cursor = 0;
    s.finished = 0;
    mds_progress_format(&s, 0, line, sizeof line);
    assert_non_null(strstr(line, "cursor -"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identical_repeats_fold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers_fold_for_warnings_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interleaved_components_fold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_zero_writes_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_file_keeps_current, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_lines, setup, teardown),
        cmocka_unit_test(test_progress_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
