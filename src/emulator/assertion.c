/*
 * assertion.c - the emulated Entra ID check of certificate credentials:
 * a client_assertion JWT (RFC 7523) must be RS256, name in x5t the
 * SHA-1 thumbprint of the certificate given with --client-cert, carry
 * iss = sub = client id and aud = the token URL, be within nbf/exp, and
 * verify with that certificate's public key.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "emulator/internal.h"
#include "net/jwt.h"

static X509 *load_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    return x;
}

static int thumbprint_matches(X509 *x, const struct mds_json *hdr)
{
    unsigned char dg[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    struct mds_buf want;
    char got[128];
    int ok = 0;
    mds_buf_init(&want, 0);
    if (X509_digest(x, EVP_sha1(), dg, &n) == 1 && mds_base64url_encode(dg, n, &want) == MDS_OK &&
        mds_json_copy(hdr, mds_json_find(hdr, 0, "x5t"), got, sizeof got) == MDS_OK)
        ok = strcmp(got, want.data) == 0;
    mds_buf_finish(&want);
    return ok;
}

static int signature_verifies(X509 *x, const char *jwt, size_t signed_len, const char *sig64)
{
    struct mds_buf sig;
    mds_buf_init(&sig, 0);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = mds_base64url_decode(sig64, strlen(sig64), &sig) == MDS_OK && ctx &&
             EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)) == 1 &&
             EVP_DigestVerify(ctx, (const unsigned char *)sig.data, sig.len, (const unsigned char *)jwt,
                              signed_len) == 1;
    EVP_MD_CTX_free(ctx);
    mds_buf_finish(&sig);
    return ok;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The claims: issuer, subject, audience, validity. NULL or the reason. */
static const char *check_claims(const struct mds_emu_req *req, const struct mds_json *c, const char *client_id)
{
    char aud[1024];
    int64_t exp = 0, nbf = 0, now = req->now / MDS_TICKS_PER_SEC;
    if (!mds_json_streq(c, mds_json_find(c, 0, "iss"), client_id) ||
        !mds_json_streq(c, mds_json_find(c, 0, "sub"), client_id))
        return "The client assertion's iss and sub must both be the client id.";
    if (mds_json_copy(c, mds_json_find(c, 0, "aud"), aud, sizeof aud) || !ends_with(aud, req->path))
        return "The audience of the client assertion is not this token endpoint.";
    if (mds_json_int(c, mds_json_find(c, 0, "exp"), &exp) || exp <= now)
        return "The client assertion has expired.";
    if (!mds_json_int(c, mds_json_find(c, 0, "nbf"), &nbf) && nbf > now + 300)
        return "The client assertion is not valid yet.";
    return NULL;
}

const char *mds_emu_assertion_check(const struct mds_emu_req *req, const char *jwt, const char *client_id,
                                    int *aadsts)
{
    const char *cert_path = req->emu->cfg.client_cert;
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    struct mds_buf hb, cb;
    struct mds_json h, c;
    const char *why = NULL;
    X509 *x = NULL;
    *aadsts = 700027;
    if (!cert_path[0])
        return "No certificate is registered on the application (start the emulator with --client-cert).";
    if (!d2)
        return "The client assertion is not a JWT.";
    mds_buf_init(&hb, 8192);
    mds_buf_init(&cb, 8192);
    mds_json_init(&h);
    mds_json_init(&c);
    if (mds_base64url_decode(jwt, (size_t)(d1 - jwt), &hb) || mds_json_parse(&h, hb.data ? hb.data : "", hb.len) ||
        mds_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cb) || mds_json_parse(&c, cb.data ? cb.data : "", cb.len))
        why = "The client assertion is malformed.";
    else if (!mds_json_streq(&h, mds_json_find(&h, 0, "alg"), "RS256"))
        why = "The client assertion must be signed with RS256.";
    else if (!(x = load_cert(cert_path)))
        why = "The registered certificate cannot be read.";
    else if (!thumbprint_matches(x, &h))
        why = "The certificate with the thumbprint in x5t is not registered on the application.";
    else if (!signature_verifies(x, jwt, (size_t)(d2 - jwt), d2 + 1))
        why = "Client assertion failed signature validation.";
    else if ((why = check_claims(req, &c, client_id)))
        *aadsts = 700024;
    X509_free(x);
    mds_json_finish(&h);
    mds_json_finish(&c);
    mds_buf_finish(&hb);
    mds_buf_finish(&cb);
    return why;
}
