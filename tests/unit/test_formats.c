/* Unit tests: the legacy, cef, leef and ecs formats through their render
 * entry points (field order, escaping in place, evidence policies,
 * splitting of oversize events, token reuse, allocation failures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mem.h"
#include "formats/escape.h"
#include "formats/format.h"

static const char graph_alert[] =
    "{\"id\":\"da1_-2\",\"title\":\"T|itle\\\\x\\nend\",\"severity\":\"high\",\"category\":\"execution\","
    "\"detectorId\":\"det-1\",\"createdDateTime\":\"2021-04-27T12:19:27.7211305Z\","
    "\"lastActivityDateTime\":\"2021-05-02T07:56:58.222Z\",\"description\":\"a=b c\","
    "\"detectionSource\":\"microsoftDefenderForEndpoint\",\"mitreTechniques\":[\"T1\",\"T2\"],"
    "\"evidence\":["
    "{\"@odata.type\":\"#microsoft.graph.security.deviceEvidence\",\"deviceDnsName\":\"pc1.contoso.com\","
    "\"mdeDeviceId\":\"dev1\",\"loggedOnUsers\":[{\"accountName\":\"bob\",\"domainName\":\"CONTOSO\"}]},"
    "{\"@odata.type\":\"#microsoft.graph.security.processEvidence\",\"processId\":42,"
    "\"processCommandLine\":\"cmd /c x=1\",\"detectionStatus\":\"blocked\","
    "\"imageFile\":{\"fileName\":\"cmd.exe\",\"filePath\":\"C:\\\\W\",\"sha1\":\"p1\",\"md5\":\"pm\"}},"
    "{\"@odata.type\":\"#microsoft.graph.security.fileEvidence\",\"verdict\":\"malicious\","
    "\"remediationStatus\":\"prevented\",\"fileDetails\":{\"fileName\":\"x.dll\",\"filePath\":\"C:\\\\T\","
    "\"sha1\":\"f1\",\"sha256\":\"f256\",\"md5\":\"fm\"}},"
    "{\"@odata.type\":\"#microsoft.graph.security.somethingNewEvidence\",\"x\":1}"
    "]}";

/* The S1 sample's keys, in order: the test's own copy of spec 1.5. */
static const char *const s1_keys[50] = {
    "AlertTime",
    "ComputerDnsName",
    "AlertTitle",
    "Category",
    "Severity",
    "AlertId",
    "Actor",
    "LinkToWDATP",
    "IocName",
    "IocValue",
    "CreatorIocName",
    "CreatorIocValue",
    "Sha1",
    "FileName",
    "FilePath",
    "IpAddress",
    "Url",
    "IoaDefinitionId",
    "UserName",
    "AlertPart",
    "FullId",
    "LastProcessedTimeUtc",
    "ThreatCategory",
    "ThreatFamily",
    "ThreatName",
    "RemediationAction",
    "RemediationIsSuccess",
    "Source",
    "Md5",
    "Sha256",
    "WasExecutingWhileDetected",
    "UserDomain",
    "LogOnUsers",
    "MachineDomain",
    "MachineName",
    "InternalIPv4List",
    "InternalIPv6List",
    "FileHash",
    "DeviceID",
    "MachineGroup",
    "Description",
    "DeviceCreatedMachineTags",
    "CloudCreatedMachineTags",
    "CommandLine",
    "IncidentLinkToWDATP",
    "ReportID",
    "LinkToMTP",
    "IncidentLinkToMTP",
    "ExternalId",
    "IocUniqueId",
};

struct run {
    struct mds_format_ctx ctx;
    struct mds_format_opts opts;
    struct mds_buf out;
    char err[256];
};

static void run_init(struct run *r)
{
    mds_format_ctx_init(&r->ctx);
    mds_format_opts_init(&r->opts);
    mds_buf_init(&r->out, 0);
    r->err[0] = '\0';
}

static void run_finish(struct run *r)
{
    mds_format_ctx_finish(&r->ctx);
    mds_buf_finish(&r->out);
}

static mds_err render(struct run *r, const char *fmt, enum mds_input_kind kind, const char *body)
{
    struct mds_record rec = {
        .source = "test", .kind = kind, .id = "", .body = body, .body_len = strlen(body)};
    const struct mds_format *f = mds_format_find(fmt);
    assert_non_null(f);
    return f->render(&r->ctx, &r->opts, &rec, &r->out, r->err, sizeof r->err);
}

static size_t count_lines(const struct mds_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->data[i] == '\n';
    return n;
}

static void test_legacy_all_fields_in_order(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    assert_int_equal(render(&r, "legacy", MDS_INPUT_GRAPH, graph_alert), MDS_OK);
    assert_int_equal(count_lines(&r.out), 1);
    struct mds_json j;
    mds_json_init(&j);
    assert_int_equal(mds_json_parse(&j, r.out.data, r.out.len), MDS_OK);
    assert_int_equal(j.tok[0].size, 50);
    int k = 1;
    for (int i = 0; i < 50; i++, k = mds_json_skip(&j, k + 1))
        assert_true(mds_json_streq(&j, k, s1_keys[i]));
    /* spot checks against seed 002 */
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "Severity"), "High"));
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "Category"), "Execution"));
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "Source"), "EDR"));
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "ThreatCategory"), "T1, T2"));
    assert_true(
        mds_json_streq(&j, mds_json_find(&j, 0, "FileName"), "x.dll")); /* most relevant: malicious file */
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "Md5"), ""));   /* seed: not supported */
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "CommandLine"), "cmd /c x=1"));
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "MachineName"), "pc1"));
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "MachineDomain"), "contoso.com"));
    assert_true(mds_json_streq(&j, mds_json_find(&j, 0, "LogOnUsers"), "CONTOSO\\\\bob"));
    int64_t part = -1;
    assert_int_equal(mds_json_int(&j, mds_json_find(&j, 0, "AlertPart"), &part), MDS_OK);
    assert_int_equal(part, 0);
    const char *raw;
    size_t n;
    raw = mds_json_raw(&j, mds_json_find(&j, 0, "RemediationIsSuccess"), &n);
    assert_memory_equal(raw, "true", 4);
    raw = mds_json_raw(&j, mds_json_find(&j, 0, "WasExecutingWhileDetected"), &n);
    assert_memory_equal(raw, "false", 5); /* blocked: it did not run */
    mds_json_finish(&j);
    run_finish(&r);
}

static void test_legacy_split(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    r.opts.evidence = MDS_EVIDENCE_SPLIT;
    assert_int_equal(render(&r, "legacy", MDS_INPUT_GRAPH, graph_alert), MDS_OK);
    assert_int_equal(count_lines(&r.out), 2); /* one process, one file evidence */
    assert_non_null(strstr(r.out.data, "\"FileName\":\"cmd.exe\""));
    assert_non_null(strstr(r.out.data, "\"FileName\":\"x.dll\""));
    mds_buf_reset(&r.out);
    assert_int_equal(render(&r, "legacy", MDS_INPUT_GRAPH, "{\"id\":\"a\",\"evidence\":[]}"), MDS_OK);
    assert_int_equal(count_lines(&r.out), 1);
    run_finish(&r);
}

static void test_cef_header_and_extension(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    assert_int_equal(render(&r, "cef", MDS_INPUT_GRAPH, graph_alert), MDS_OK);
    const char *want =
        "CEF:0|Microsoft|Microsoft Defender ATP|2.0|det-1|T\\|itle\\\\x end|9|rt=1619525967721 ";
    assert_memory_equal(r.out.data, want, strlen(want));
    assert_non_null(strstr(r.out.data, " msg=a\\=b c "));
    assert_non_null(strstr(r.out.data, " cs2Label=CommandLine cs2=cmd /c x\\=1 "));
    assert_non_null(strstr(r.out.data, " cn1Label=WasExecutingWhileDetected cn1=0 "));
    assert_non_null(strstr(r.out.data, " filePath=C:\\\\T "));
    assert_int_equal(count_lines(&r.out), 1);
    assert_null(memchr(r.out.data, '\n', r.out.len - 1));
    run_finish(&r);
}

static void test_split_evidence_children(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    r.opts.evidence = MDS_EVIDENCE_SPLIT;
    assert_int_equal(render(&r, "cef", MDS_INPUT_GRAPH, graph_alert), MDS_OK);
    assert_int_equal(count_lines(&r.out), 5); /* summary + 4 evidence, unknown type included */
    assert_non_null(strstr(r.out.data, "|evidence:somethingNewEvidence|"));
    assert_non_null(strstr(r.out.data, "cn3Label=EvidenceIndex cn3=3"));
    mds_buf_reset(&r.out);
    r.opts.evidence = MDS_EVIDENCE_SUMMARY;
    assert_int_equal(render(&r, "ecs", MDS_INPUT_GRAPH, graph_alert), MDS_OK);
    assert_int_equal(count_lines(&r.out), 1);
    run_finish(&r);
}

/* Every part fits, carries the identity and marker k/n, and the pieces of
 * msg concatenate to the whole escaped value. */
static void test_oversize_parts(void **state)
{
    (void)state;
    char body[9000];
    char desc[6001];
    for (int i = 0; i < 6000; i++)
        desc[i] = "ab=\\c "[i % 6];
    desc[6000] = '\0';
    /* escape the description for JSON */
    struct mds_buf esc;
    mds_buf_init(&esc, 0);
    assert_int_equal(mds_json_escape(&esc, desc, 6000), MDS_OK);
    snprintf(body, sizeof body, "{\"id\":\"big\",\"title\":\"t\",\"description\":\"%s\"}", esc.data);
    mds_buf_finish(&esc);
    struct run r;
    run_init(&r);
    r.opts.max_event = 700;
    assert_int_equal(render(&r, "cef", MDS_INPUT_GRAPH, body), MDS_OK);
    size_t lines = count_lines(&r.out);
    assert_true(lines > 10);
    struct mds_buf msg;
    mds_buf_init(&msg, 0);
    char *save = NULL;
    size_t k = 0;
    for (char *line = strtok_r(r.out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        k++;
        assert_true(strlen(line) <= 700);
        char marker[32];
        snprintf(marker, sizeof marker, " cs3Label=part cs3=%zu/%zu", k, lines);
        assert_non_null(strstr(line, marker));
        assert_non_null(strstr(line, "externalId=big "));
        char *m = strstr(line, " msg=");
        if (m) {
            m += 5;
            char *end = strstr(m, " flexString");
            mds_buf_append(&msg, m, end ? (size_t)(end - m) : strlen(m));
        }
    }
    assert_int_equal(k, lines);
    struct mds_buf want;
    mds_buf_init(&want, 0);
    mds_cef_escape_value(&want, desc, 6000);
    assert_int_equal(msg.len, want.len);
    assert_memory_equal(msg.data, want.data, want.len);
    mds_buf_finish(&want);
    mds_buf_finish(&msg);
    run_finish(&r);
}

static void test_max_event_too_small(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    mds_buf_puts(&r.out, "previous\n");
    r.opts.max_event = 60;
    assert_int_equal(render(&r, "cef", MDS_INPUT_GRAPH, graph_alert), MDS_ERR_LIMIT);
    assert_string_equal(r.out.data, "previous\n"); /* nothing of the record left behind */
    assert_true(strlen(r.err) > 0);
    assert_int_equal(render(&r, "legacy", MDS_INPUT_GRAPH, graph_alert), MDS_ERR_LIMIT);
    assert_int_equal(render(&r, "json", MDS_INPUT_GRAPH, graph_alert), MDS_ERR_LIMIT);
    assert_string_equal(r.out.data, "previous\n");
    run_finish(&r);
}

/* The output buffer's own ceiling is never a reason to cut: an event
 * (or its parts) that does not fit is refused and nothing of the record
 * stays in the buffer; with room, the parts are written. */
static void test_output_ceiling(void **state)
{
    (void)state;
    char body[6000];
    char desc[4001];
    memset(desc, 'x', 4000);
    desc[4000] = '\0';
    snprintf(body, sizeof body, "{\"id\":\"c\",\"title\":\"t\",\"description\":\"%s\"}", desc);
    struct run r;
    run_init(&r);
    r.out.max = 3000;
    assert_int_equal(render(&r, "cef", MDS_INPUT_GRAPH, body), MDS_ERR_LIMIT);
    assert_int_equal(r.out.len, 0);
    r.opts.max_event = 1000;
    assert_int_equal(render(&r, "cef", MDS_INPUT_GRAPH, body), MDS_ERR_LIMIT); /* 5 parts > 3000 bytes */
    assert_int_equal(r.out.len, 0);
    r.out.max = 8000;
    assert_int_equal(render(&r, "cef", MDS_INPUT_GRAPH, body), MDS_OK);
    assert_true(count_lines(&r.out) >= 5);
    run_finish(&r);
}

static void test_leef_delimiter(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    r.opts.leef_delimiter = '^';
    assert_int_equal(
        render(&r, "leef", MDS_INPUT_GRAPH, "{\"id\":\"a^b\",\"title\":\"x|y\",\"severity\":\"medium\"}"),
        MDS_OK);
    assert_string_equal(r.out.data,
                        "LEEF:2.0|Microsoft|Defender XDR|1.0|x\xC2\xA6y|^|sev=6^externalId=a b\n");
    mds_buf_reset(&r.out);
    r.opts.leef_delimiter = '\t';
    assert_int_equal(render(&r, "leef", MDS_INPUT_GRAPH, "{\"id\":\"a\\tb\"}"), MDS_OK);
    assert_string_equal(r.out.data, "LEEF:2.0|Microsoft|Defender XDR|1.0|alert|x09|sev=1\texternalId=a b\n");
    mds_buf_reset(&r.out);
    r.opts.leef_delimiter = '=';
    assert_int_equal(render(&r, "leef", MDS_INPUT_GRAPH, "{\"id\":\"a\"}"), MDS_ERR_ARG);
    run_finish(&r);
}

/* Paths sharing an object must be adjacent, or the nested writer would
 * open the same object twice. */
size_t mds_ecs_field_paths(const char **paths, size_t max);

static void test_ecs_table_grouped(void **state)
{
    (void)state;
    const char *p[128];
    size_t n = mds_ecs_field_paths(p, 128);
    assert_true(n > 20);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 2; j < n; j++) {
            /* any object prefix of p[j] that p[i] shares must also be shared by p[j-1] */
            for (size_t len = 1; p[j][len]; len++) {
                if (p[j][len] != '.')
                    continue;
                int in_i = strncmp(p[i], p[j], len) == 0 && p[i][len] == '.';
                int in_prev = strncmp(p[j - 1], p[j], len) == 0 && p[j - 1][len] == '.';
                if (in_i && !in_prev)
                    fail_msg("ECS path %s reopens an object of %s", p[j], p[i]);
            }
        }
    }
}

static void test_pretokenised_same_output(void **state)
{
    (void)state;
    const char *fmts[] = {"legacy", "cef", "leef", "ecs", "json", "text"};
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        struct run a, b;
        run_init(&a);
        run_init(&b);
        assert_int_equal(render(&a, fmts[f], MDS_INPUT_GRAPH, graph_alert), MDS_OK);
        struct mds_json j;
        mds_json_init(&j);
        char page[sizeof graph_alert + 32];
        snprintf(page, sizeof page, "{\"value\":[%s]}", graph_alert);
        assert_int_equal(mds_json_parse(&j, page, strlen(page)), MDS_OK);
        int rec = mds_json_find(&j, 0, "value") + 1;
        struct mds_record r = {.source = "test", .kind = MDS_INPUT_GRAPH, .id = "", .json = &j, .root = rec};
        r.body = mds_json_raw(&j, rec, &r.body_len);
        assert_int_equal(mds_format_find(fmts[f])->render(&b.ctx, &b.opts, &r, &b.out, b.err, sizeof b.err),
                         MDS_OK);
        assert_int_equal(a.out.len, b.out.len);
        assert_memory_equal(a.out.data, b.out.data, a.out.len);
        mds_json_finish(&j);
        run_finish(&a);
        run_finish(&b);
    }
}

static void test_not_an_object(void **state)
{
    (void)state;
    struct run r;
    run_init(&r);
    assert_int_equal(render(&r, "cef", MDS_INPUT_GRAPH, "[1,2]"), MDS_ERR_PARSE);
    assert_int_equal(render(&r, "ecs", MDS_INPUT_GRAPH, "{\"id\":"), MDS_ERR_PARSE);
    assert_int_equal(r.out.len, 0);
    run_finish(&r);
}

/* Allocation failures anywhere give NOMEM (or LIMIT), never a crash, a
 * leak (ASan) or a partial event. */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *fmts[] = {"legacy", "cef", "leef", "ecs"};
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        for (long n = 0; n < 40; n++) {
            struct run r;
            run_init(&r);
            r.opts.evidence = MDS_EVIDENCE_SPLIT;
            r.opts.max_event = (n % 2 && f > 0) ? 400 : 0; /* legacy refuses oversize */
            mds_mem_fail_after(n);
            mds_err err = render(&r, fmts[f], MDS_INPUT_GRAPH, graph_alert);
            mds_mem_fail_after(-1);
            if (err != MDS_OK && err != MDS_ERR_NOMEM)
                fail_msg("%s fail_after %ld: %s (%s)", fmts[f], n, mds_strerror(err), r.err);
            if (err)
                assert_true(r.out.len == 0);
            run_finish(&r);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_all_fields_in_order),
        cmocka_unit_test(test_legacy_split),
        cmocka_unit_test(test_cef_header_and_extension),
        cmocka_unit_test(test_split_evidence_children),
        cmocka_unit_test(test_oversize_parts),
        cmocka_unit_test(test_max_event_too_small),
        cmocka_unit_test(test_output_ceiling),
        cmocka_unit_test(test_leef_delimiter),
        cmocka_unit_test(test_ecs_table_grouped),
        cmocka_unit_test(test_pretokenised_same_output),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
