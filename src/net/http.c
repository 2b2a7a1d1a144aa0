/* http.c - libcurl wrapper: keep-alive handle, bounded bodies, Retry-After. */
#include "net/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/lifecycle.h"
#include "core/mem.h"

struct mds_http {
    CURL *curl;
    struct mds_http_conf conf;
    struct curl_slist *connect_to;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

struct mds_http *mds_http_create(const struct mds_http_conf *conf)
{
    pthread_once(&global_once, global_init);
    struct mds_http *h = mds_calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->conf = *conf;
    h->curl = curl_easy_init();
    if (!h->curl) {
        mds_free(h);
        return NULL;
    }
    char list[1024], *save = NULL;
    snprintf(list, sizeof list, "%s", conf->connect_to ? conf->connect_to : "");
    for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        struct curl_slist *n = curl_slist_append(h->connect_to, t);
        if (!n) {
            mds_http_destroy(h);
            return NULL;
        }
        h->connect_to = n;
    }
    return h;
}

void mds_http_destroy(struct mds_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->connect_to);
    mds_free(h);
}

void mds_http_resp_init(struct mds_http_resp *r, size_t max_body)
{
    memset(r, 0, sizeof *r);
    mds_buf_init(&r->body, max_body);
    r->retry_after = -1;
}

void mds_http_resp_finish(struct mds_http_resp *r) { mds_buf_finish(&r->body); }

struct xfer {
    struct mds_http_resp *r;
    int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    if (mds_buf_append(&x->r->body, p, size * n)) {
        x->too_big = 1;
        return 0;
    }
    return size * n;
}

static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return NULL;
    const char *v = line + nlen + 1, *end = line + len;
    while (v < end && isspace((unsigned char)*v))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    *vlen = (size_t)(end - v);
    return v;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n, vlen;
    char tmp[128];
    const char *v;
    if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
        x->r->retry_after = -1; /* a new response (after a redirect or 100) */
        x->r->date = 0;
    } else if ((v = header_value(p, len, "Retry-After", &vlen)) && vlen < sizeof tmp) {
        memcpy(tmp, v, vlen);
        tmp[vlen] = '\0';
        x->r->retry_after = mds_http_parse_retry_after(tmp);
    } else if ((v = header_value(p, len, "Date", &vlen)) && vlen < sizeof tmp) {
        memcpy(tmp, v, vlen);
        tmp[vlen] = '\0';
        time_t t = curl_getdate(tmp, NULL);
        x->r->date = t > 0 ? (mds_ticks)t * MDS_TICKS_PER_SEC : 0;
    }
    return len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)arg, (void)a, (void)b, (void)c, (void)d;
    return mds_shutdown_requested() ? 1 : 0;
}

static void apply_conf(struct mds_http *h)
{
    CURL *c = h->curl;
    const struct mds_http_conf *cf = &h->conf;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, cf->user_agent ? cf->user_agent : "mdesiem/" MDS_VERSION);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cf->timeout_ms > 0 ? cf->timeout_ms : 120000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cf->connect_timeout_ms > 0 ? cf->connect_timeout_ms : 15000L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    /* An explicit empty proxy disables libcurl's reading of *_proxy env. */
    curl_easy_setopt(c, CURLOPT_PROXY, cf->proxy ? cf->proxy : "");
    if (cf->proxy_user)
        curl_easy_setopt(c, CURLOPT_PROXYUSERNAME, cf->proxy_user);
    if (cf->proxy_password)
        curl_easy_setopt(c, CURLOPT_PROXYPASSWORD, cf->proxy_password);
    if (cf->no_proxy)
        curl_easy_setopt(c, CURLOPT_NOPROXY, cf->no_proxy);
    if (cf->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, cf->ca_file);
    if (h->connect_to)
        curl_easy_setopt(c, CURLOPT_CONNECT_TO, h->connect_to);
    if (cf->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
}

static struct curl_slist *build_headers(const char *bearer, const char *const *extra, int *failed)
{
    struct curl_slist *list = NULL, *t;
    char auth[8192];
    *failed = 0;
    if (!(list = curl_slist_append(list, "Accept: application/json")))
        goto fail;
    if (bearer) {
        if ((size_t)snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer) >= sizeof auth)
            goto fail;
        t = curl_slist_append(list, auth);
        explicit_bzero(auth, sizeof auth);
        if (!t)
            goto fail;
        list = t;
    }
    for (int i = 0; extra && extra[i]; i++) {
        if (!(t = curl_slist_append(list, extra[i])))
            goto fail;
        list = t;
    }
    return list;
fail:
    *failed = 1;
    curl_slist_free_all(list);
    return NULL;
}

/* The body of a request: a form (NUL-terminated) or raw bytes. */
struct req_body {
    const char *form;
    const char *raw;
    size_t raw_len;
};

static mds_err perform(struct mds_http *h, const char *url, const char *bearer, const struct req_body *body,
                       const char *const *extra, struct mds_http_resp *r)
{
    struct xfer x = {.r = r};
    int failed;
    mds_buf_reset(&r->body);
    r->status = 0;
    r->retry_after = -1;
    r->date = 0;
    r->error[0] = '\0';
    curl_easy_reset(h->curl);
    apply_conf(h);
    struct curl_slist *headers = build_headers(bearer, extra, &failed);
    if (failed)
        return MDS_ERR_NOMEM;
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->error);
    if (body->form)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->form);
    if (body->raw) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->raw_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->raw);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(headers);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        return MDS_OK;
    }
    if (x.too_big) {
        snprintf(r->error, sizeof r->error, "response body larger than %zu bytes", r->body.max);
        return MDS_ERR_LIMIT;
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        return MDS_ERR_STOPPED;
    if (!r->error[0])
        snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(rc));
    return MDS_ERR_RETRY;
}

mds_err mds_http_connect(struct mds_http *h, const char *url, char *err, size_t errlen)
{
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_reset(h->curl);
    apply_conf(h);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);
    curl_easy_setopt(h->curl, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(h->curl, CURLOPT_FRESH_CONNECT, 1L);
    CURLcode rc = curl_easy_perform(h->curl);
    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_reset(h->curl);
    if (rc == CURLE_OK)
        return MDS_OK;
    snprintf(err, errlen, "%s", *ebuf ? ebuf : curl_easy_strerror(rc));
    return MDS_ERR_RETRY;
}

mds_err mds_http_request(struct mds_http *h, const char *url, const char *bearer, const char *form,
                         const char *const *extra, struct mds_http_resp *r)
{
    struct req_body body = {.form = form};
    return perform(h, url, bearer, &body, extra, r);
}

mds_err mds_http_post(struct mds_http *h, const char *url, const char *body, size_t len,
                      const char *const *headers, struct mds_http_resp *r)
{
    struct req_body b = {.raw = body, .raw_len = len};
    return perform(h, url, NULL, &b, headers, r);
}

double mds_http_parse_retry_after(const char *v)
{
    char *end;
    double d = strtod(v, &end);
    if (end != v && *end == '\0' && d >= 0 && d < 86400 * 7)
        return d;
    time_t t = curl_getdate(v, NULL);
    if (t <= 0)
        return -1;
    double delta = (double)(t - time(NULL));
    return delta > 0 ? delta : 0;
}

mds_err mds_url_encode(struct mds_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    mds_err err = mds_buf_reserve(out, n * 3);
    for (size_t i = 0; !err && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            err = mds_buf_putc(out, (char)c);
        else
            err = mds_buf_append(out, (char[]){'%', hex[c >> 4], hex[c & 15]}, 3);
    }
    return err;
}

void mds_url_for_log(const char *url, char *buf, size_t size)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strchr(host, '@');
    const char *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        host = at + 1;
    size_t n = strcspn(host, "?#");
    snprintf(buf, size, "%.*s%.*s", scheme ? (int)(scheme + 3 - url) : 0, url, (int)n, host);
}
