/* oauth.c - client-credentials token client (see oauth.h). */
#include "net/oauth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/mem.h"

#define TOKEN_MAX_BODY (256 * 1024)

void mds_oauth_init(struct mds_oauth *o, const struct mds_oauth_conf *conf)
{
    memset(o, 0, sizeof *o);
    o->conf = *conf;
}

static void drop_token(struct mds_oauth *o)
{
    if (o->token) {
        explicit_bzero(o->token, strlen(o->token));
        mds_free(o->token);
        o->token = NULL;
    }
    o->expires = 0;
}

void mds_oauth_finish(struct mds_oauth *o) { drop_token(o); }

void mds_oauth_invalidate(struct mds_oauth *o) { drop_token(o); }

static mds_err form_field(struct mds_buf *out, const char *key, const char *value)
{
    mds_err err = mds_buf_printf(out, "%s%s=", out->len ? "&" : "", key);
    return err ? err : mds_url_encode(out, value, strlen(value));
}

mds_err mds_oauth_form(const struct mds_oauth_conf *c, const char *refresh_token, struct mds_buf *out)
{
    mds_err err = form_field(out, "grant_type", refresh_token ? "refresh_token" : "client_credentials");
    if (!err && refresh_token)
        err = form_field(out, "refresh_token", refresh_token);
    if (!err)
        err = form_field(out, "client_id", c->client_id);
    if (!err && c->assertion) {
        struct mds_buf jwt;
        mds_buf_init(&jwt, 16 * 1024);
        err = mds_assertion_make(c->assertion, c->client_id, c->token_url, &jwt);
        if (!err)
            err = form_field(out, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        if (!err)
            err = form_field(out, "client_assertion", jwt.data);
        mds_buf_finish(&jwt);
    } else if (!err && c->client_secret) {
        err = form_field(out, "client_secret", c->client_secret);
    }
    if (!err && c->scope)
        err = form_field(out, "scope", c->scope);
    if (!err && c->resource)
        err = form_field(out, "resource", c->resource);
    return err;
}

mds_err mds_oauth_parse_response(const char *body, size_t len, char **token, int64_t *expires_in, char *err,
                                 size_t errlen)
{
    struct mds_json j;
    struct mds_buf b;
    mds_err rc = MDS_ERR_PARSE;
    mds_json_init(&j);
    mds_buf_init(&b, 64 * 1024);
    *token = NULL;
    if (mds_json_parse(&j, body, len) || j.tok[0].type != JSMN_OBJECT) {
        snprintf(err, errlen, "token response is not a JSON object");
        goto out;
    }
    int at = mds_json_find(&j, 0, "access_token");
    int ex = mds_json_find(&j, 0, "expires_in");
    if (at < 0 || j.tok[at].type != JSMN_STRING || j.tok[at].end == j.tok[at].start) {
        snprintf(err, errlen, "token response has no access_token");
        goto out;
    }
    if (mds_json_int(&j, ex, expires_in) || *expires_in <= 0) {
        snprintf(err, errlen, "token response has no valid expires_in");
        goto out;
    }
    if ((rc = mds_json_decode(&j, at, &b)))
        goto out;
    *token = b.data;
    b.data = NULL;
out:
    mds_buf_finish(&b);
    mds_json_finish(&j);
    return rc;
}

char *mds_oauth_parse_refresh(const char *body, size_t len)
{
    struct mds_json j;
    struct mds_buf b;
    mds_json_init(&j);
    mds_buf_init(&b, 64 * 1024);
    if (mds_json_parse(&j, body, len) == MDS_OK) {
        int rt = mds_json_find(&j, 0, "refresh_token");
        if (rt >= 0 && j.tok[rt].type == JSMN_STRING && j.tok[rt].end > j.tok[rt].start)
            mds_json_decode(&j, rt, &b);
    }
    mds_json_finish(&j);
    return b.data; /* NULL when absent */
}

int mds_oauth_refresh_days_left(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return 90 - (int)((time(NULL) - st.st_mtime) / 86400);
}

static char *read_refresh_token(const char *path, char *err, size_t errlen)
{
    char *token = NULL;
    struct mds_buf b;
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read refresh token file %s: %s", path, strerror(errno));
        return NULL;
    }
    mds_buf_init(&b, 64 * 1024);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && !mds_buf_append(&b, chunk, n))
        ;
    fclose(f);
    explicit_bzero(chunk, sizeof chunk);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
        b.data[--b.len] = '\0';
    if (b.len)
        token = b.data;
    else
        snprintf(err, errlen, "refresh token file %s is empty", path);
    if (!token)
        mds_buf_finish(&b);
    return token;
}

static void wipe_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        mds_free(s);
    }
}

/* Replaces the refresh token file atomically, keeping its mtime. */
static int store_refresh_token(const char *path, const char *token)
{
    char tmp[4200];
    struct stat st;
    int have_stat = stat(path, &st) == 0;
    snprintf(tmp, sizeof tmp, "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t n = strlen(token);
    int ok = write(fd, token, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    if (ok && have_stat) {
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        utimensat(AT_FDCWD, tmp, times, 0);
    }
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* "invalid_client: AADSTS7000215: Invalid client secret provided..." */
static void describe_refusal(const struct mds_http_resp *r, char *err, size_t errlen)
{
    struct mds_json j;
    char code[64] = "", desc[200] = "";
    mds_json_init(&j);
    if (mds_json_parse(&j, r->body.data ? r->body.data : "", r->body.len) == MDS_OK) {
        int c = mds_json_find(&j, 0, "error"), d = mds_json_find(&j, 0, "error_description");
        if (c >= 0 && j.tok[c].type == JSMN_STRING)
            mds_json_copy(&j, c, code, sizeof code);
        if (d >= 0 && j.tok[d].type == JSMN_STRING) {
            struct mds_buf b;
            mds_buf_init(&b, 0);
            if (mds_json_decode(&j, d, &b) == MDS_OK && b.data)
                snprintf(desc, sizeof desc, "%.*s%s", (int)sizeof desc - 4, b.data, b.len >= sizeof desc - 4 ? "..." : "");
            mds_buf_finish(&b);
        }
    }
    mds_json_finish(&j);
    desc[strcspn(desc, "\r\n")] = '\0';
    snprintf(err, errlen, "token request refused (HTTP %ld)%s%s%s%s", r->status, *code ? ": " : "", code,
             *desc ? ": " : "", desc);
}

static mds_err request_token(struct mds_oauth *o, struct mds_http *h, int64_t *retry_after_ms, char *err,
                             size_t errlen)
{
    struct mds_buf form;
    struct mds_http_resp r;
    char where[256];
    mds_buf_init(&form, 64 * 1024);
    mds_http_resp_init(&r, TOKEN_MAX_BODY);
    mds_url_for_log(o->conf.token_url, where, sizeof where);
    char *refresh = NULL;
    if (o->conf.refresh_token_file && !(refresh = read_refresh_token(o->conf.refresh_token_file, err, errlen))) {
        mds_buf_finish(&form);
        mds_http_resp_finish(&r);
        return MDS_ERR_AUTH;
    }
    mds_err rc = mds_oauth_form(&o->conf, refresh, &form);
    if (!rc)
        rc = mds_http_request(h, o->conf.token_url, NULL, form.data, NULL, &r);
    if (form.data)
        explicit_bzero(form.data, form.len);
    if (rc == MDS_ERR_RETRY || rc == MDS_ERR_LIMIT) {
        snprintf(err, errlen, "token request to %s failed: %s", where, r.error);
        rc = MDS_ERR_RETRY;
    } else if (!rc && r.status == 200) {
        char *token = NULL;
        int64_t ttl = 0;
        rc = mds_oauth_parse_response(r.body.data, r.body.len, &token, &ttl, err, errlen);
        char *rotated = refresh ? mds_oauth_parse_refresh(r.body.data, r.body.len) : NULL;
        if (!rc && rotated && strcmp(rotated, refresh) != 0 &&
            store_refresh_token(o->conf.refresh_token_file, rotated) != 0)
            snprintf(err, errlen, "could not store the rotated refresh token in %s: %s", o->conf.refresh_token_file,
                     strerror(errno));
        wipe_free(rotated);
        if (!rc) {
            /* Renew a minute early, or a fifth of the lifetime for short ones. */
            int64_t margin = ttl / 5 < 60 ? ttl / 5 : 60;
            o->token = token;
            o->expires = mds_time_now() + (ttl - margin) * MDS_TICKS_PER_SEC;
        } else {
            rc = MDS_ERR_RETRY;
        }
    } else if (!rc && (r.status == 429 || r.status >= 500 || r.status == 408)) {
        snprintf(err, errlen, "token service %s answered HTTP %ld", where, r.status);
        *retry_after_ms = r.retry_after >= 0 ? (int64_t)(r.retry_after * 1000) : -1;
        rc = MDS_ERR_RETRY;
    } else if (!rc) {
        describe_refusal(&r, err, errlen);
        rc = MDS_ERR_AUTH;
    }
    wipe_free(refresh);
    mds_buf_finish(&form);
    mds_http_resp_finish(&r);
    return rc;
}

mds_err mds_oauth_token(struct mds_oauth *o, struct mds_http *h, const char **token, int64_t *retry_after_ms,
                        char *err, size_t errlen)
{
    *retry_after_ms = -1;
    if (o->token && mds_time_now() < o->expires) {
        *token = o->token;
        return MDS_OK;
    }
    drop_token(o);
    mds_err rc = request_token(o, h, retry_after_ms, err, errlen);
    if (!rc)
        *token = o->token;
    return rc;
}
