/* Unit tests: URL encoding, token responses, Retry-After, cloud hosts,
 * backoff bounds, the EPS token bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/lifecycle.h"
#include "core/mem.h"
#include "core/throttle.h"
#include "net/cloud.h"
#include "net/http.h"
#include "net/oauth.h"

static void test_url_encode(void **state)
{
    (void)state;
    struct mds_buf b;
    mds_buf_init(&b, 0);
    const char in[] = "a b&c=d/é~-._+%";
    assert_int_equal(mds_url_encode(&b, in, strlen(in)), MDS_OK);
    assert_string_equal(b.data, "a%20b%26c%3Dd%2F%C3%A9~-._%2B%25");
    mds_buf_finish(&b);
}

static void test_form(void **state)
{
    (void)state;
    struct mds_buf b;
    struct mds_oauth_conf c = {.token_url = "x", .client_id = "id 1", .client_secret = "s&=+",
                               .scope = "https://graph.microsoft.com/.default"};
    mds_buf_init(&b, 0);
    assert_int_equal(mds_oauth_form(&c, NULL, &b), MDS_OK);
    assert_string_equal(b.data, "grant_type=client_credentials&client_id=id%201&client_secret=s%26%3D%2B"
                                "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
    mds_buf_reset(&b);
    c.scope = NULL;
    c.resource = "https://graph.windows.net";
    assert_int_equal(mds_oauth_form(&c, NULL, &b), MDS_OK);
    assert_non_null(strstr(b.data, "&resource=https%3A%2F%2Fgraph.windows.net"));
    assert_null(strstr(b.data, "scope="));
    mds_buf_reset(&b);
    c.client_secret = NULL;
    assert_int_equal(mds_oauth_form(&c, "rt/1", &b), MDS_OK);
    assert_string_equal(b.data, "grant_type=refresh_token&refresh_token=rt%2F1&client_id=id%201"
                                "&resource=https%3A%2F%2Fgraph.windows.net");
    mds_buf_finish(&b);
    const char *resp = "{\"access_token\":\"a\",\"refresh_token\":\"r2\"}";
    char *rt = mds_oauth_parse_refresh(resp, strlen(resp));
    assert_non_null(rt);
    assert_string_equal(rt, "r2");
    mds_free(rt);
    assert_null(mds_oauth_parse_refresh("{\"access_token\":\"a\"}", strlen("{\"access_token\":\"a\"}")));
}

static void test_token_response(void **state)
{
    (void)state;
    char *token = NULL, err[256];
    int64_t ttl = 0;
    const char v2[] = "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,"
                      "\"access_token\":\"eyJ0eX.abc\"}";
    assert_int_equal(mds_oauth_parse_response(v2, strlen(v2), &token, &ttl, err, sizeof err), MDS_OK);
    assert_string_equal(token, "eyJ0eX.abc");
    assert_true(ttl == 3599);
    mds_free(token);
    const char v1[] = "{\"token_type\":\"Bearer\",\"expires_in\":\"3599\",\"ext_expires_in\":\"0\","
                      "\"expires_on\":\"1488720683\",\"resource\":\"https://graph.windows.net\","
                      "\"access_token\":\"tok\\/en\"}";
    assert_int_equal(mds_oauth_parse_response(v1, strlen(v1), &token, &ttl, err, sizeof err), MDS_OK);
    assert_string_equal(token, "tok/en");
    assert_true(ttl == 3599);
    mds_free(token);
    const char *bad[] = {"{\"expires_in\":3599}", "{\"access_token\":\"a\"}",
                         "{\"access_token\":\"a\",\"expires_in\":\"soon\"}", "[1,2]", "{\"access_token\":",
                         "{\"access_token\":\"\",\"expires_in\":5}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(mds_oauth_parse_response(bad[i], strlen(bad[i]), &token, &ttl, err, sizeof err),
                         MDS_ERR_PARSE);
        assert_null(token);
    }
}

static void test_retry_after(void **state)
{
    (void)state;
    assert_true(mds_http_parse_retry_after("10") == 10.0);
    assert_true(mds_http_parse_retry_after("2.128") > 2.127 && mds_http_parse_retry_after("2.128") < 2.129);
    assert_true(mds_http_parse_retry_after("soon") < 0);
    assert_true(mds_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0); /* in the past */
}

static void test_url_for_log(void **state)
{
    (void)state;
    char b[128];
    mds_url_for_log("https://user:pw@graph.microsoft.com/v1.0/security/alerts_v2?$filter=x", b, sizeof b);
    assert_string_equal(b, "https://graph.microsoft.com/v1.0/security/alerts_v2");
}

static void test_clouds(void **state)
{
    (void)state;
    assert_string_equal(mds_cloud_find("commercial")->graph, "https://graph.microsoft.com");
    assert_string_equal(mds_cloud_find("gcc")->login, "https://login.microsoftonline.com");
    assert_string_equal(mds_cloud_find("gcc-high")->graph, "https://graph.microsoft.us");
    assert_string_equal(mds_cloud_find("gcc-high")->login, "https://login.microsoftonline.us");
    assert_string_equal(mds_cloud_find("dod")->graph, "https://dod-graph.microsoft.us");
    assert_string_equal(mds_cloud_find("dod")->mde, "https://api-gov.securitycenter.microsoft.us");
    assert_string_equal(mds_cloud_find("gcc")->mde, "https://api-gcc.securitycenter.microsoft.us");
    assert_null(mds_cloud_find("china"));
    char buf[128];
    assert_string_equal(mds_cloud_mde_root(mds_cloud_find("commercial"), "eu", buf, sizeof buf),
                        "https://eu.api.security.microsoft.com");
    assert_string_equal(mds_cloud_mde_root(mds_cloud_find("commercial"), "global", buf, sizeof buf),
                        "https://api.securitycenter.microsoft.com");
    /* government clouds ignore the region, as QRadar does */
    assert_string_equal(mds_cloud_mde_root(mds_cloud_find("gcc-high"), "eu", buf, sizeof buf),
                        "https://api-gov.securitycenter.microsoft.us");
    assert_string_equal(mds_cloud_find("gcc")->siem, "https://wdatp-alertexporter-us.gcc.securitycenter.windows.us");
    assert_string_equal(mds_cloud_find("dod")->siem, "https://wdatp-alertexporter-us.securitycenter.windows.us");
}

static void test_backoff(void **state)
{
    (void)state;
    for (int attempt = 0; attempt < 20; attempt++) {
        int64_t w = mds_backoff_ms(attempt, 100, 5000, -1);
        assert_true(w >= 50 && w <= 5000);
    }
    assert_true(mds_backoff_ms(10, 100, 5000, -1) >= 2500);
    int64_t w = mds_backoff_ms(0, 100, 5000, 2128);
    assert_true(w >= 2128 && w <= 2128 + 213);
}

static void test_throttle(void **state)
{
    (void)state;
    struct mds_throttle t;
    mds_throttle_init(&t, 1000);
    /* 5000 records at 1000/s: about 5 s of waiting in total */
    int64_t now = 0, waited = 0;
    for (int i = 0; i < 5; i++) {
        int64_t w = mds_throttle_take(&t, 1000, now);
        waited += w;
        now += w;
    }
    assert_true(waited >= 4990 && waited <= 5010);
    mds_throttle_init(&t, 0);
    assert_true(mds_throttle_take(&t, 1e9, 0) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_encode),   cmocka_unit_test(test_form),     cmocka_unit_test(test_token_response),
        cmocka_unit_test(test_retry_after),  cmocka_unit_test(test_url_for_log), cmocka_unit_test(test_clouds),
        cmocka_unit_test(test_backoff),      cmocka_unit_test(test_throttle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
