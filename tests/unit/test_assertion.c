/* Unit tests: certificate client assertions - structure, claims, x5t and
 * an RS256 signature that verifies with the certificate's public key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/json.h"
#include "net/assertion.h"
#include "net/jwt.h"

static char dir[64], cert[96], key[96];

static int setup(void **state)
{
    char cmd[512];
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mds-assert-%ld", (long)getpid());
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mdesiem-test "
             "-keyout %s -out %s 2>/dev/null",
             dir, key, cert);
    return system(cmd);
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void decode_part(const char *start, size_t len, struct mds_buf *out)
{
    mds_buf_reset(out);
    assert_int_equal(mds_base64url_decode(start, len, out), MDS_OK);
}

static void test_assertion(void **state)
{
    (void)state;
    struct mds_assertion *a = NULL;
    struct mds_buf jwt, part;
    char err[256];
    assert_int_equal(mds_assertion_create(cert, key, &a, err, sizeof err), MDS_OK);
    mds_buf_init(&jwt, 0);
    mds_buf_init(&part, 0);
    assert_int_equal(mds_assertion_make(a, "client-1", "https://login.example/t/oauth2/v2.0/token", &jwt), MDS_OK);
    char *d1 = strchr(jwt.data, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    assert_non_null(d2);

    decode_part(jwt.data, (size_t)(d1 - jwt.data), &part);
    assert_non_null(strstr(part.data, "\"alg\":\"RS256\""));
    /* x5t = base64url(SHA-1(DER)) of the certificate */
    FILE *f = fopen(cert, "r");
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    unsigned char dg[20];
    unsigned int dl;
    X509_digest(x, EVP_sha1(), dg, &dl);
    struct mds_buf x5t;
    mds_buf_init(&x5t, 0);
    mds_base64url_encode(dg, dl, &x5t);
    char want[96];
    snprintf(want, sizeof want, "\"x5t\":\"%s\"", x5t.data);
    assert_non_null(strstr(part.data, want));

    decode_part(d1 + 1, (size_t)(d2 - d1 - 1), &part);
    assert_non_null(strstr(part.data, "\"aud\":\"https://login.example/t/oauth2/v2.0/token\""));
    assert_non_null(strstr(part.data, "\"iss\":\"client-1\""));
    assert_non_null(strstr(part.data, "\"sub\":\"client-1\""));

    /* the signature verifies with the certificate's public key */
    decode_part(d2 + 1, strlen(d2 + 1), &part);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)), 1);
    assert_int_equal(EVP_DigestVerify(ctx, (unsigned char *)part.data, part.len, (unsigned char *)jwt.data,
                                      (size_t)(d2 - jwt.data)),
                     1);
    /* and not for other bytes */
    EVP_MD_CTX_reset(ctx);
    EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x));
    assert_int_not_equal(EVP_DigestVerify(ctx, (unsigned char *)part.data, part.len, (unsigned char *)jwt.data,
                                          (size_t)(d2 - jwt.data) - 1),
                         1);
    EVP_MD_CTX_free(ctx);
    X509_free(x);
    mds_buf_finish(&x5t);
    mds_buf_finish(&jwt);
    mds_buf_finish(&part);
    mds_assertion_destroy(a);
}

static void test_bad_files(void **state)
{
    (void)state;
    struct mds_assertion *a = NULL;
    char err[256];
    assert_int_equal(mds_assertion_create("/nonexistent.pem", key, &a, err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "/nonexistent.pem"));
    assert_int_equal(mds_assertion_create(cert, cert, &a, err, sizeof err), MDS_ERR_CONFIG); /* no key in it */
    assert_null(a);
}

static void test_base64url(void **state)
{
    (void)state;
    struct mds_buf b;
    mds_buf_init(&b, 0);
    assert_int_equal(mds_base64url_encode("\xfb\xff\xfe", 3, &b), MDS_OK);
    assert_string_equal(b.data, "-__-");
    mds_buf_reset(&b);
    assert_int_equal(mds_base64url_encode("ab", 2, &b), MDS_OK);
    assert_string_equal(b.data, "YWI");
    mds_buf_reset(&b);
    assert_int_equal(mds_base64url_decode("YWI", 3, &b), MDS_OK);
    assert_string_equal(b.data, "ab");
    assert_int_equal(mds_base64url_decode("Y*I", 3, &b), MDS_ERR_PARSE);
    char roles[256];
    /* {"roles":["SecurityAlert.ReadWrite.All","Alert.Read.All"]} */
    assert_int_equal(mds_jwt_roles("e30.eyJyb2xlcyI6WyJTZWN1cml0eUFsZXJ0LlJlYWRXcml0ZS5BbGwiLCJBbGVydC5SZWFkLkFsbCJdfQ.x",
                                   roles, sizeof roles),
                     MDS_OK);
    assert_string_equal(roles, "SecurityAlert.ReadWrite.All,Alert.Read.All");
    assert_true(mds_jwt_roles_include(roles, "SecurityAlert.Read.All")); /* ReadWrite includes Read */
    assert_true(mds_jwt_roles_include(roles, "Alert.Read.All"));
    assert_false(mds_jwt_roles_include(roles, "SecurityIncident.Read.All"));
    assert_int_equal(mds_jwt_roles("opaque-token", roles, sizeof roles), MDS_ERR_PARSE);
    mds_buf_finish(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assertion), cmocka_unit_test(test_bad_files), cmocka_unit_test(test_base64url),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
