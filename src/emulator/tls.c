/*
 * tls.c - the certificate of `mdesiem emulate --tls CERTPATH`.
 *
 * CERTPATH holds a PEM certificate and its private key. If it does not
 * exist, a self-signed ECDSA P-256 certificate for 127.0.0.1 and
 * localhost (valid 30 days, usable as its own CA) is generated with
 * OpenSSL and written there with mode 0600, so clients can trust it with
 * e.g. `curl --cacert CERTPATH`.
 */
#include "emulator/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/mem.h"

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static X509 *self_signed(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
    int ok =
        x && name && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL)) &&
        X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
        X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) && X509_set_pubkey(x, key) &&
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"mdesiem emulator", -1, -1,
                                   0) &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0) &&
        X509_set_issuer_name(x, name) && add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
        add_ext(x, NID_basic_constraints, "critical,CA:TRUE") &&
        add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") && X509_sign(x, key, EVP_sha256());
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static mds_err generate(const char *path, char *errstr, size_t n)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = key ? self_signed(key) : NULL;
    mds_err err = MDS_OK;
    int fd = -1;
    FILE *f = NULL;
    if (!x) {
        snprintf(errstr, n, "--tls: cannot generate a certificate");
        err = MDS_ERR_INTERNAL;
        goto out;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) || !PEM_write_X509(f, x)) {
        snprintf(errstr, n, "--tls: cannot write %s: %s", path, strerror(errno));
        err = MDS_ERR_IO;
    }
out:
    if (f) {
        if (fclose(f) != 0 && !err) {
            snprintf(errstr, n, "--tls: cannot write %s", path);
            err = MDS_ERR_IO;
        }
    } else if (fd >= 0) {
        close(fd);
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return err;
}

/* PEM text of a BIO as a NUL-terminated heap string. */
static char *bio_text(BIO *b)
{
    char *data;
    long len = BIO_get_mem_data(b, &data);
    return len > 0 ? mds_strndup(data, (size_t)len) : NULL;
}

mds_err mds_emu_tls_load(const char *path, char **cert_pem, char **key_pem, char *errstr, size_t n)
{
    struct stat st;
    mds_err err = MDS_OK;
    *cert_pem = *key_pem = NULL;
    if (stat(path, &st) != 0 && (err = generate(path, errstr, n)))
        return err;
    FILE *f = fopen(path, "r");
    EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        rewind(f);
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    if (!key || !x || !kb || !cb || !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_X509(cb, x) || !(*key_pem = bio_text(kb)) || !(*cert_pem = bio_text(cb))) {
        snprintf(errstr, n, "--tls: %s must hold a PEM certificate and its private key", path);
        err = MDS_ERR_CONFIG;
        mds_free(*key_pem);
        mds_free(*cert_pem);
        *cert_pem = *key_pem = NULL;
    }
    BIO_free(kb);
    BIO_free(cb);
    X509_free(x);
    EVP_PKEY_free(key);
    if (f)
        fclose(f);
    return err;
}
