/*
 * assertion.c - certificate credentials: a signed JWT client assertion
 * (RFC 7523) in place of a client secret, as Entra ID accepts:
 * header {"alg":"RS256","typ":"JWT","x5t":<base64url SHA-1 of the
 * certificate>}, claims aud = token URL, iss = sub = client id, a random
 * jti, nbf/iat = now, exp = now + 10 minutes, signed with the private key.
 */
#include "net/assertion.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "net/jwt.h"

struct mds_assertion {
    EVP_PKEY *key;
    char x5t[64];
};

static void openssl_error(const char *what, const char *path, char *err, size_t errlen)
{
    char detail[256];
    ERR_error_string_n(ERR_get_error(), detail, sizeof detail);
    snprintf(err, errlen, "%s %s: %s", what, path, detail);
}

static mds_err thumbprint(const char *cert_path, char *x5t, size_t size, char *err, size_t errlen)
{
    FILE *f = fopen(cert_path, "r");
    X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    struct mds_buf b;
    if (f)
        fclose(f);
    if (!cert) {
        openssl_error("cannot read the certificate", cert_path, err, errlen);
        return MDS_ERR_CONFIG;
    }
    int ok = X509_digest(cert, EVP_sha1(), digest, &dlen);
    X509_free(cert);
    mds_buf_init(&b, size - 1);
    mds_err rc = ok ? mds_base64url_encode(digest, dlen, &b) : MDS_ERR_INTERNAL;
    if (!rc)
        snprintf(x5t, size, "%s", b.data);
    mds_buf_finish(&b);
    return rc;
}

mds_err mds_assertion_create(const char *cert_path, const char *key_path, struct mds_assertion **out, char *err,
                             size_t errlen)
{
    struct mds_assertion *a = mds_calloc(1, sizeof *a);
    if (!a)
        return MDS_ERR_NOMEM;
    mds_err rc = thumbprint(cert_path, a->x5t, sizeof a->x5t, err, errlen);
    FILE *f = rc ? NULL : fopen(key_path, "r");
    if (!rc && f) {
        a->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (!rc && (!a->key || EVP_PKEY_base_id(a->key) != EVP_PKEY_RSA)) {
        openssl_error("cannot read an RSA private key from", key_path, err, errlen);
        rc = MDS_ERR_CONFIG;
    }
    if (rc) {
        mds_assertion_destroy(a);
        return rc;
    }
    *out = a;
    return MDS_OK;
}

void mds_assertion_destroy(struct mds_assertion *a)
{
    if (!a)
        return;
    EVP_PKEY_free(a->key);
    mds_free(a);
}

static mds_err sign(EVP_PKEY *key, const char *data, size_t len, struct mds_buf *out)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[1024];
    size_t slen = sizeof sig;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)data, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? mds_base64url_encode(sig, slen, out) : MDS_ERR_INTERNAL;
}

mds_err mds_assertion_make(const struct mds_assertion *a, const char *client_id, const char *audience,
                           struct mds_buf *out)
{
    unsigned char jti[16];
    char header[160], claims[2048], id[40];
    long long now = (long long)time(NULL);
    if (RAND_bytes(jti, sizeof jti) != 1)
        return MDS_ERR_INTERNAL;
    snprintf(id, sizeof id, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", jti[0], jti[1],
             jti[2], jti[3], jti[4], jti[5], jti[6], jti[7], jti[8], jti[9], jti[10], jti[11], jti[12], jti[13], jti[14],
             jti[15]);
    int hn = snprintf(header, sizeof header, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"}", a->x5t);
    int cn = snprintf(claims, sizeof claims,
                      "{\"aud\":\"%s\",\"iss\":\"%s\",\"sub\":\"%s\",\"jti\":\"%s\",\"nbf\":%lld,\"iat\":%lld,"
                      "\"exp\":%lld}",
                      audience, client_id, client_id, id, now, now, now + 600);
    if (hn < 0 || (size_t)hn >= sizeof header || cn < 0 || (size_t)cn >= sizeof claims)
        return MDS_ERR_LIMIT;
    mds_buf_reset(out);
    mds_err rc = mds_base64url_encode(header, (size_t)hn, out);
    if (!rc)
        rc = mds_buf_putc(out, '.');
    if (!rc)
        rc = mds_base64url_encode(claims, (size_t)cn, out);
    if (!rc) {
        size_t signed_len = out->len;
        rc = mds_buf_putc(out, '.');
        if (!rc)
            rc = sign(a->key, out->data, signed_len, out);
    }
    return rc;
}
