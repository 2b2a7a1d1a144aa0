/* api.c - authenticated GET with retries (see api.h). */
#include "sources/api.h"

#include <stdio.h>
#include <string.h>

#include "core/lifecycle.h"
#include "core/log.h"

enum verdict { TAKE, RETRY, FAIL };

/* Short, single-line excerpt of an error body for messages. */
static void body_excerpt(const struct mds_http_resp *r, char *buf, size_t size)
{
    size_t n = r->body.len < 160 ? r->body.len : 160;
    snprintf(buf, size, "%.*s%s", (int)n, r->body.data ? r->body.data : "", r->body.len > n ? "..." : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
}

static enum verdict judge_status(struct mds_source *src, struct mds_oauth *oauth, struct mds_http_resp *r,
                                 int *reauthed, int64_t *retry_after_ms, const char *where, char *err,
                                 size_t errlen)
{
    char excerpt[200];
    long st = r->status;
    if (st == 401) {
        /* Tokens can be revoked before they expire: renew and retry, at
         * once the first time, with backoff after that. */
        mds_oauth_invalidate(oauth);
        mds_info(src->tag, "%s answered 401: renewing the access token", where);
        *retry_after_ms = (*reauthed)++ ? -1 : 0;
        snprintf(err, errlen, "%s answered HTTP 401 (access token rejected)", where);
        return RETRY;
    }
    if (st == 429 || st == 503 || st == 408 || st >= 500) {
        if (st == 429)
            atomic_fetch_add(&src->stats.throttled, 1);
        *retry_after_ms = r->retry_after >= 0 ? (int64_t)(r->retry_after * 1000.0 + 0.5) : -1;
        snprintf(err, errlen, "%s answered HTTP %ld", where, st);
        return RETRY;
    }
    body_excerpt(r, excerpt, sizeof excerpt);
    snprintf(err, errlen, "%s answered HTTP %ld: %s", where, st, excerpt);
    return FAIL;
}

mds_err mds_api_get(struct mds_source *src, struct mds_oauth *oauth, const char *url, const char *const *headers,
                    struct mds_http_resp *r, mds_api_accept_fn accept, void *arg, char *err, size_t errlen)
{
    struct mds_engine *e = src->engine;
    char where[256];
    int reauthed = 0;
    mds_url_for_log(url, where, sizeof where);
    for (int attempt = 0;; attempt++) {
        const char *token = NULL;
        int64_t retry_after = -1;
        mds_err rc = mds_oauth_token(oauth, src->http, &token, &retry_after, err, errlen);
        if (rc == MDS_ERR_AUTH || rc == MDS_ERR_NOMEM)
            return rc;
        if (rc == MDS_OK)
            rc = mds_http_request(src->http, url, token, NULL, headers, r);
        if (rc == MDS_ERR_STOPPED || rc == MDS_ERR_NOMEM)
            return rc;
        if (rc == MDS_ERR_RETRY && r->error[0])
            snprintf(err, errlen, "%s: %s", where, r->error);
        if (rc == MDS_ERR_LIMIT) {
            snprintf(err, errlen, "%s: %s (raise max_response_bytes or lower page_size)", where, r->error);
            return rc;
        }
        if (rc == MDS_OK && r->status == 200) {
            rc = accept(arg, r, err, errlen);
            if (rc == MDS_OK)
                return MDS_OK;
            if (rc != MDS_ERR_PARSE)
                return rc;
        } else if (rc == MDS_OK &&
                   judge_status(src, oauth, r, &reauthed, &retry_after, where, err, errlen) == FAIL) {
            return r->status == 403 ? MDS_ERR_AUTH : MDS_ERR_HTTP;
        }
        if (attempt + 1 >= mds_engine_retry_limit(e))
            return MDS_ERR_RETRY;
        atomic_fetch_add(&src->stats.retries, 1);
        if (retry_after != 0) {
            int64_t wait = mds_engine_backoff(e, attempt, retry_after);
            mds_debug(src->tag, "retrying in %lld ms: %s", (long long)wait, err);
            if (mds_sleep_ms(wait))
                return MDS_ERR_STOPPED;
        }
    }
}
