/* Unit tests: the http output against tests/integration/http_receiver.py
 * on 127.0.0.1 - request bodies of each preset (JSON lines, arrays, HEC
 * envelopes, Elasticsearch bulk with deterministic _id), gzip, the
 * credential headers, splitting at max_batch_bytes and resuming a split
 * batch after a failure, status classes (429 + Retry-After, 5xx, 4xx,
 * 413, 401), bulk item failures, and a receiver that is down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json.h"
#include "net/http.h"
#include "output_harness.h"
#include "outputs/http_body.h"

static char tmpdir[64];

struct receiver {
    pid_t pid;
    int port;
    char url[64];
};

static void receiver_start(struct receiver *r, const char *mode, const char *auth)
{
    char script[512], portfile[128], port[16];
    const char *src = getenv("MDS_SOURCE_DIR");
    snprintf(script, sizeof script, "%s/tests/integration/http_receiver.py", src ? src : ".");
    snprintf(portfile, sizeof portfile, "%s/port.%d", tmpdir, rand());
    r->pid = fork();
    assert_true(r->pid >= 0);
    if (r->pid == 0) {
        const char *argv[12] = {"python3", script, "--port-file", portfile,
                                "--mode",  mode,   "--lifetime",  "120"};
        int n = 8;
        if (auth) {
            argv[n++] = "--auth";
            argv[n++] = auth;
        }
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    FILE *f = NULL;
    for (int i = 0; i < 200 && !(f = fopen(portfile, "r")); i++)
        usleep(50000);
    assert_non_null(f);
    assert_non_null(fgets(port, sizeof port, f));
    fclose(f);
    r->port = atoi(port);
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%d", r->port);
}

static void receiver_stop(struct receiver *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
    }
}

/* One recorded request. */
struct rq {
    char path[128];
    char ctype[128];
    char auth[256];
    char encoding[32];
    long status;
    struct mds_buf body;
};

static void copy_member(struct mds_json *j, int obj, const char *key, char *dst, size_t size)
{
    int t = mds_json_find_ci(j, obj, key);
    dst[0] = '\0';
    if (t >= 0)
        mds_json_copy(j, t, dst, size);
}

/* Fetches the receiver's log; returns the number of requests in rq[]. */
static size_t receiver_requests(struct receiver *r, struct rq *rq, size_t max)
{
    struct mds_http_conf hc = {.timeout_ms = 10000, .max_body = 64u << 20};
    struct mds_http *h = mds_http_create(&hc);
    struct mds_http_resp resp;
    struct mds_json j;
    char url[128];
    size_t n = 0;
    mds_http_resp_init(&resp, 64u << 20);
    mds_json_init(&j);
    snprintf(url, sizeof url, "%s/_ctl/requests", r->url);
    assert_int_equal(mds_http_request(h, url, NULL, NULL, NULL, &resp), MDS_OK);
    for (char *line = resp.body.data, *nl; line && (nl = strchr(line, '\n')) && n < max; line = nl + 1) {
        assert_int_equal(mds_json_parse(&j, line, (size_t)(nl - line)), MDS_OK);
        struct rq *q = &rq[n++];
        int64_t st = 0;
        copy_member(&j, 0, "path", q->path, sizeof q->path);
        int hdr = mds_json_find(&j, 0, "headers");
        copy_member(&j, hdr, "Content-Type", q->ctype, sizeof q->ctype);
        copy_member(&j, hdr, "Authorization", q->auth, sizeof q->auth);
        copy_member(&j, hdr, "Content-Encoding", q->encoding, sizeof q->encoding);
        mds_json_int(&j, mds_json_find(&j, 0, "status"), &st);
        q->status = (long)st;
        mds_buf_init(&q->body, 0);
        mds_json_decode(&j, mds_json_find(&j, 0, "body"), &q->body);
    }
    mds_json_finish(&j);
    mds_http_resp_finish(&resp);
    mds_http_destroy(h);
    return n;
}

static void free_requests(struct rq *rq, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mds_buf_finish(&rq[i].body);
}

static void receiver_plan(struct receiver *r, const char *plan)
{
    struct mds_http_conf hc = {.timeout_ms = 10000, .max_body = 1 << 20};
    struct mds_http *h = mds_http_create(&hc);
    struct mds_http_resp resp;
    char url[128];
    const char *hdr[] = {"Content-Type: application/json", NULL};
    mds_http_resp_init(&resp, 1 << 20);
    snprintf(url, sizeof url, "%s/_ctl/plan", r->url);
    assert_int_equal(mds_http_post(h, url, plan, strlen(plan), hdr, &resp), MDS_OK);
    assert_int_equal(resp.status, 200);
    mds_http_resp_finish(&resp);
    mds_http_destroy(h);
}

static mds_err open_http(struct harness *h, const char *url, const char *extra, char *err, size_t errlen)
{
    char ini[2048];
    snprintf(ini, sizeof ini, "[output h]\ntype = http\nurl = %s\ntimeout = 10S\n%s\n", url,
             extra ? extra : "");
    return harness_open(h, ini, "h", err, errlen);
}

static const char *const ev1 = "{\"id\":\"a1\",\"title\":\"t\\tab \\u00fc\"}";
static const char *const ev2 = "{\"id\":\"a2\",\"n\":[1,2,{\"x\":null}]}";
static const char *const ev3 = "CEF:0|Microsoft|Defender|1|x|\"quoted\" name|9|cs1=a\\=b";

static void add_mixed(struct harness *h)
{
    harness_add_json(h, "a1", 10000000LL * 1700000000 + 1234567, ev1);
    harness_add_json(h, "a2", 10000000LL * 1700000001, ev2);
    const char *e[] = {ev3};
    harness_add(h, "a3", 10000000LL * 1700000002, "{}", e, 1);
}

/* ---- tests ---- */

static void test_es_id(void **state)
{
    (void)state;
    struct mds_record rec = {.source = "test", .id = "a1", .id_len = 2, .version = 1};
    struct mds_event ev = {.rec = &rec, .part = 0};
    char id[MDS_ES_ID_LEN + 1], id2[MDS_ES_ID_LEN + 1];
    mds_http_es_id(&ev, id);
    /* python3: hashlib.sha256(b'test\0a1\0' b'1\0' b'0').hexdigest()[:40] */
    assert_string_equal(id, "296d2a28cd3cf04cbf08ab01a3d4519c63c18d7e");
    ev.part = 1;
    mds_http_es_id(&ev, id2);
    assert_string_not_equal(id, id2);
    ev.part = 0;
    rec.version = 2;
    mds_http_es_id(&ev, id2);
    assert_string_not_equal(id, id2);
    rec.version = 1;
    rec.source = "other";
    mds_http_es_id(&ev, id2);
    assert_string_not_equal(id, id2);
}

static void test_generic_lines(void **state)
{
    (void)state;
    struct receiver r;
    struct harness h;
    struct rq rq[4];
    char err[512];
    receiver_start(&r, "generic", NULL);
    assert_int_equal(open_http(&h, r.url, NULL, err, sizeof err), MDS_OK);
    add_mixed(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    size_t n = receiver_requests(&r, rq, 4);
    assert_int_equal(n, 1);
    assert_string_equal(rq[0].path, "/");
    assert_string_equal(rq[0].ctype, "application/x-ndjson");
    assert_string_equal(rq[0].auth, "");
    assert_int_equal(rq[0].body.len, h.data.len);
    assert_memory_equal(rq[0].body.data, h.data.data, h.data.len); /* exactly the events, one per line */
    free_requests(rq, n);
    harness_close(&h);
    receiver_stop(&r);
}

static void test_generic_array_gzip_bearer(void **state)
{
    (void)state;
    struct receiver r;
    struct harness h;
    struct rq rq[4];
    char err[512], want[1024];
    receiver_start(&r, "generic", "Bearer s3cret-token");
    setenv("MDS_TEST_TOKEN", "s3cret-token", 1);
    assert_int_equal(
        open_http(&h, r.url, "body = array\ngzip = true\ntoken_env = MDS_TEST_TOKEN", err, sizeof err),
        MDS_OK);
    add_mixed(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    size_t n = receiver_requests(&r, rq, 4);
    assert_int_equal(n, 1);
    assert_string_equal(rq[0].encoding, "gzip");
    assert_string_equal(rq[0].ctype, "application/json");
    snprintf(want, sizeof want, "[%s,%s,\"CEF:0|Microsoft|Defender|1|x|\\\"quoted\\\" name|9|cs1=a\\\\=b\"]",
             ev1, ev2);
    assert_string_equal(rq[0].body.data, want);
    free_requests(rq, n);
    harness_close(&h);
    receiver_stop(&r);
}

/* Many events over several requests; the second fails; the re-delivered
 * batch resumes at the second: every event reaches the receiver once. */
static void test_split_and_resume(void **state)
{
    (void)state;
    struct receiver r;
    struct harness h;
    static struct rq rq[64];
    char err[512], body[300];
    receiver_start(&r, "generic", NULL);
    assert_int_equal(open_http(&h, r.url, "max_batch_bytes = 1K", err, sizeof err), MDS_OK);
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "e%02d", i);
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"pad\":\"%0200d\"}", id, i);
        harness_add_json(&h, id, i + 1, body);
    }
    receiver_plan(&r, "[{}, {\"status\": 503, \"body\": \"busy\"}]");
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_RETRY);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    size_t n = receiver_requests(&r, rq, 64);
    assert_true(n >= 5); /* 20 x ~230 bytes in 1 KiB requests */
    struct mds_buf all;
    mds_buf_init(&all, 0);
    for (size_t i = 0; i < n; i++) {
        assert_true(rq[i].body.len <= 1024);
        if (rq[i].status == 200)
            mds_buf_append(&all, rq[i].body.data, rq[i].body.len);
    }
    assert_int_equal(rq[1].status, 503);
    assert_string_equal(rq[1].body.data, rq[2].body.data); /* resumed at the failed request */
    assert_int_equal(all.len, h.data.len);
    assert_memory_equal(all.data, h.data.data, h.data.len);
    mds_buf_finish(&all);
    free_requests(rq, n);
    harness_close(&h);
    receiver_stop(&r);
}

static void test_oversize_event_refused(void **state)
{
    (void)state;
    struct receiver r;
    struct harness h;
    struct rq rq[4];
    char err[512], big[3000];
    receiver_start(&r, "generic", NULL);
    assert_int_equal(open_http(&h, r.url, "max_batch_bytes = 2K", err, sizeof err), MDS_OK);
    snprintf(big, sizeof big, "{\"pad\":\"%02500d\"}", 0);
    harness_add_json(&h, "small", 1, ev1);
    harness_add_json(&h, "big", 2, big);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_LIMIT);
    assert_non_null(strstr(err, "max_batch_bytes"));
    assert_int_equal(receiver_requests(&r, rq, 4), 0);
    harness_close(&h);
    receiver_stop(&r);
}

static void test_splunk_hec(void **state)
{
    (void)state;
    struct receiver r;
    struct harness h;
    struct rq rq[4];
    char err[512], path[256], url[128];
    snprintf(path, sizeof path, "%s/hec-token", tmpdir);
    FILE *f = fopen(path, "w");
    fputs("hec-abc-123\n", f);
    fclose(f);
    chmod(path, 0600);
    receiver_start(&r, "hec", "Splunk hec-abc-123");
    snprintf(url, sizeof url, "%s/services/collector/event", r.url);
    char extra[512];
    snprintf(extra, sizeof extra, "preset = splunk_hec\ntoken_file = %s\nindex = defender", path);
    assert_int_equal(open_http(&h, url, extra, err, sizeof err), MDS_OK);
    add_mixed(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    size_t n = receiver_requests(&r, rq, 4);
    assert_int_equal(n, 1);
    assert_string_equal(rq[0].path, "/services/collector/event");
    char want[2048];
    snprintf(want, sizeof want,
             "{\"time\":1700000000.123,\"source\":\"test\",\"sourcetype\":\"microsoft:defender:alert\","
             "\"index\":\"defender\",\"event\":%s}\n"
             "{\"time\":1700000001.000,\"source\":\"test\",\"sourcetype\":\"microsoft:defender:alert\","
             "\"index\":\"defender\",\"event\":%s}\n"
             "{\"time\":1700000002.000,\"source\":\"test\",\"sourcetype\":\"microsoft:defender:alert\","
             "\"index\":\"defender\",\"event\":\"CEF:0|Microsoft|Defender|1|x|\\\"quoted\\\" "
             "name|9|cs1=a\\\\=b\"}\n",
             ev1, ev2);
    assert_string_equal(rq[0].body.data, want);
    free_requests(rq, n);
    harness_close(&h);

    /* a wrong token: permanent, and the token never shows in the error */
    f = fopen(path, "w");
    fputs("wrong-token-xyz\n", f);
    fclose(f);
    assert_int_equal(open_http(&h, url, extra, err, sizeof err), MDS_OK);
    add_mixed(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_AUTH);
    assert_null(strstr(err, "wrong-token-xyz"));
    assert_non_null(strstr(err, "401"));
    harness_close(&h);
    receiver_stop(&r);
}

static void test_status_classes(void **state)
{
    (void)state;
    struct receiver r;
    struct harness h;
    char err[512];
    int64_t ra;
    receiver_start(&r, "generic", NULL);
    setenv("MDS_TEST_TOKEN", "tok-in-body-1234", 1);
    assert_int_equal(open_http(&h, r.url, "token_env = MDS_TEST_TOKEN", err, sizeof err), MDS_OK);
    add_mixed(&h);
    receiver_plan(&r, "[{\"status\":429,\"retry_after\":\"2\"},{\"status\":503},{\"status\":408},"
                      "{\"status\":400,\"body\":\"bad field tok-in-body-1234 here\"},{\"status\":413},"
                      "{\"status\":404}]");
    assert_int_equal(harness_deliver(&h, &ra, err, sizeof err), MDS_ERR_RETRY);
    assert_int_equal(ra, 2000);
    assert_int_equal(harness_deliver(&h, &ra, err, sizeof err), MDS_ERR_RETRY);
    assert_int_equal(ra, -1);
    assert_int_equal(harness_deliver(&h, &ra, err, sizeof err), MDS_ERR_RETRY);
    assert_int_equal(harness_deliver(&h, &ra, err, sizeof err), MDS_ERR_HTTP);
    assert_non_null(strstr(err, "bad field"));
    assert_null(strstr(err, "tok-in-body-1234")); /* scrubbed */
    assert_int_equal(harness_deliver(&h, &ra, err, sizeof err), MDS_ERR_HTTP);
    assert_non_null(strstr(err, "max_batch_bytes"));
    assert_int_equal(harness_deliver(&h, &ra, err, sizeof err), MDS_ERR_HTTP);
    assert_int_equal(harness_deliver(&h, &ra, err, sizeof err), MDS_OK);
    receiver_stop(&r); /* down: transient */
    assert_int_equal(harness_deliver(&h, &ra, err, sizeof err), MDS_ERR_RETRY);
    harness_close(&h);
}

/* Bulk: a 429 item makes the batch retry; the retry carries the same
 * _ids, so the index ends with exactly one document per event. */
static void test_elasticsearch_bulk(void **state)
{
    (void)state;
    struct receiver r;
    struct harness h;
    struct rq rq[8];
    char err[512];
    receiver_start(&r, "es", NULL);
    assert_int_equal(open_http(&h, r.url, "preset = elasticsearch\nindex = alerts-test", err, sizeof err),
                     MDS_OK);
    add_mixed(&h);
    const char *split[] = {"{\"id\":\"a4\",\"evidence\":1}", "{\"id\":\"a4\",\"evidence\":2}"};
    harness_add(&h, "a4", 5, "{}", split, 2);
    receiver_plan(&r, "[{\"es_items\":[201,429,201,201,201]},{\"es_items\":[201,201,400,201,201]}]");
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_RETRY);
    assert_non_null(strstr(err, "1 of 5"));
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_HTTP); /* a 400 item is permanent */
    assert_non_null(strstr(err, "event 3: 400"));
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    size_t n = receiver_requests(&r, rq, 8);
    assert_int_equal(n, 3);
    assert_string_equal(rq[0].path, "/_bulk");
    assert_string_equal(rq[0].ctype, "application/x-ndjson");
    assert_string_equal(rq[0].body.data, rq[2].body.data); /* same actions, same _ids */
    char id[MDS_ES_ID_LEN + 1], line[256];
    mds_http_es_id(&h.events[0], id);
    snprintf(line, sizeof line, "{\"index\":{\"_index\":\"alerts-test\",\"_id\":\"%s\"}}\n%s\n", id, ev1);
    assert_memory_equal(rq[0].body.data, line, strlen(line));
    assert_non_null(strstr(rq[0].body.data, "{\"message\":\"CEF:0|Microsoft"));
    /* 5 distinct _ids: the two events of a4 differ by part */
    int ids = 0;
    for (const char *p = rq[0].body.data; (p = strstr(p, "\"_id\":\"")); p++)
        ids++;
    assert_int_equal(ids, 5);
    mds_http_es_id(&h.events[3], id);
    assert_non_null(strstr(rq[0].body.data, id));
    mds_http_es_id(&h.events[4], line);
    assert_string_not_equal(id, line);
    free_requests(rq, n);
    harness_close(&h);

    /* create: an _id that exists (409) counts as delivered */
    assert_int_equal(open_http(&h, r.url, "preset = elasticsearch\naction = create", err, sizeof err),
                     MDS_OK);
    add_mixed(&h);
    receiver_plan(&r, "[{\"es_items\":[201,409,201]}]");
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    n = receiver_requests(&r, rq, 8);
    assert_non_null(strstr(rq[n - 1].body.data, "{\"create\":{\"_index\":\"defender-alerts\""));
    free_requests(rq, n);
    harness_close(&h);
    receiver_stop(&r);
}

static void test_basic_and_api_key_auth(void **state)
{
    (void)state;
    struct receiver r;
    struct harness h;
    char err[512];
    receiver_start(&r, "es", "Basic ZWxhc3RpYzpwYTpzcyB3MHJk"); /* elastic:pa:ss w0rd */
    setenv("MDS_TEST_PW", "pa:ss w0rd", 1);
    assert_int_equal(open_http(&h, r.url,
                               "preset = elasticsearch\nuser = elastic\npassword_env = MDS_TEST_PW", err,
                               sizeof err),
                     MDS_OK);
    add_mixed(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    harness_close(&h);
    receiver_stop(&r);
    receiver_start(&r, "es", "ApiKey a2V5LWlkOmtleQ==");
    setenv("MDS_TEST_APIKEY", "a2V5LWlkOmtleQ==", 1);
    assert_int_equal(
        open_http(&h, r.url, "preset = elasticsearch\napi_key_env = MDS_TEST_APIKEY", err, sizeof err),
        MDS_OK);
    add_mixed(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    harness_close(&h);
    /* the wrong key: refused, permanent */
    setenv("MDS_TEST_APIKEY", "bm9wZQ==", 1);
    assert_int_equal(
        open_http(&h, r.url, "preset = elasticsearch\napi_key_env = MDS_TEST_APIKEY", err, sizeof err),
        MDS_OK);
    add_mixed(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_AUTH);
    harness_close(&h);
    receiver_stop(&r);
}

static void test_config_errors(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    assert_int_equal(open_http(&h, "http://127.0.0.1:1", "preset = splunk_hec", err, sizeof err),
                     MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "token_file"));
    harness_close(&h);
    assert_int_equal(
        open_http(&h, "http://127.0.0.1:1", "preset = elasticsearch\nsourcetype = x", err, sizeof err),
        MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "sourcetype"));
    harness_close(&h);
    assert_int_equal(
        open_http(&h, "http://127.0.0.1:1", "preset = elasticsearch\nindex = Upper", err, sizeof err),
        MDS_ERR_CONFIG);
    harness_close(&h);
    assert_int_equal(open_http(&h, "http://127.0.0.1:1", "password_env = HOME", err, sizeof err),
                     MDS_ERR_CONFIG);
    harness_close(&h);
    assert_int_equal(open_http(&h, "ftp://x", NULL, err, sizeof err), MDS_ERR_CONFIG);
    harness_close(&h);
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)getpid());
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mds-http-%ld", (long)getpid());
    return mkdir(tmpdir, 0700);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_es_id),
        cmocka_unit_test(test_generic_lines),
        cmocka_unit_test(test_generic_array_gzip_bearer),
        cmocka_unit_test(test_split_and_resume),
        cmocka_unit_test(test_oversize_event_refused),
        cmocka_unit_test(test_splunk_hec),
        cmocka_unit_test(test_status_classes),
        cmocka_unit_test(test_elasticsearch_bulk),
        cmocka_unit_test(test_basic_and_api_key_auth),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
