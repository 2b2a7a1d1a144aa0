/*
 * compat_api.c - the HTTP side of compat mode: an Entra ID v1 token
 * endpoint (POST /{tenant}/oauth2/token: client_credentials and
 * refresh_token grants, AADSTS-shaped errors) and GET /api/alerts with
 * the legacy query parameters (sinceTimeUtc, untilTimeUtc, ago, limit,
 * machinegroups, DeviceCreatedMachineTags, CloudCreatedMachineTags),
 * answering a bare JSON array of detections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "core/log.h"
#include "core/mem.h"
#include "serve/compat_internal.h"

#define REFRESH_TTL_S (90 * 86400)
#define DEFAULT_WINDOW (2 * 3600 * MDS_TICKS_PER_SEC)
#define MAX_GROUPS 32

/* ---- token service ---- */

static void aad_error(struct mds_httpd_response *r, int status, const char *code, int aadsts, const char *text)
{
    char ts[40];
    mds_time_format(mds_time_now(), 7, ts, sizeof ts);
    r->status = status;
    mds_buf_printf(&r->body,
                   "{\"error\":\"%s\",\"error_description\":\"AADSTS%d: %s\",\"error_codes\":[%d],"
                   "\"timestamp\":\"%s\",\"trace_id\":\"00000000-0000-0000-0000-000000000000\","
                   "\"correlation_id\":\"00000000-0000-0000-0000-000000000000\"}",
                   code, aadsts, text, aadsts, ts);
}

static int new_token(struct mds_compat *c, int client, int refresh, char out[65])
{
    unsigned char raw[32];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return -1;
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    struct compat_token *t = &c->tokens[c->next_token++ % MDS_COMPAT_MAX_TOKENS];
    memcpy(t->value, out, 65);
    t->client = client;
    t->refresh = refresh;
    t->expires = mds_time_now() + (refresh ? REFRESH_TTL_S : c->token_ttl_s) * MDS_TICKS_PER_SEC;
    explicit_bzero(raw, sizeof raw);
    return 0;
}

/* Index of the client owning a live token of that kind, or -1. */
static int find_token(struct mds_compat *c, const char *value, int refresh, int consume)
{
    mds_ticks now = mds_time_now();
    if (!value || strlen(value) != 64)
        return -1;
    for (int i = 0; i < MDS_COMPAT_MAX_TOKENS; i++) {
        struct compat_token *t = &c->tokens[i];
        if (t->value[0] && t->refresh == refresh && t->expires > now && memcmp(t->value, value, 64) == 0) {
            int client = t->client;
            if (consume)
                memset(t, 0, sizeof *t);
            return client;
        }
    }
    return -1;
}

/* Constant-time comparison of two secrets. */
static int secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = (unsigned)(la ^ lb);
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}

/* Decodes application/x-www-form-urlencoded value of `key` into out. */
static int form_value(const char *body, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, key, klen) != 0 || p[klen] != '=')
            continue;
        size_t n = 0;
        for (const char *v = p + klen + 1; *v && *v != '&' && n + 1 < size; v++) {
            if (*v == '+') {
                out[n++] = ' ';
            } else if (*v == '%' && v[1] && v[2]) {
                char hex[3] = {v[1], v[2], 0};
                out[n++] = (char)strtol(hex, NULL, 16);
                v += 2;
            } else {
                out[n++] = *v;
            }
        }
        out[n] = '\0';
        return 1;
    }
    return 0;
}

static int find_client(struct mds_compat *c, const char *client_id)
{
    for (int i = 0; i < c->nclients; i++)
        if (strcmp(c->clients[i].client_id, client_id) == 0)
            return i;
    return -1;
}

static int resource_ok(const char *resource)
{
    return !*resource || strcasecmp(resource, "https://graph.windows.net") == 0 ||
           strcasecmp(resource, "https://graph.windows.net/") == 0 ||
           strcasecmp(resource, "https://WDATPAlertExport.Seville.onmicrosoft.com") == 0;
}

static void issue(struct mds_compat *c, int client, const char *resource, struct mds_httpd_response *r)
{
    char access[65], refresh[65];
    if (new_token(c, client, 0, access) || new_token(c, client, 1, refresh)) {
        aad_error(r, 500, "temporarily_unavailable", 50000, "no randomness available");
        return;
    }
    long long now = (long long)(mds_time_now() / MDS_TICKS_PER_SEC);
    mds_buf_printf(&r->body,
                   "{\"token_type\":\"Bearer\",\"expires_in\":\"%lld\",\"ext_expires_in\":\"%lld\","
                   "\"expires_on\":\"%lld\",\"not_before\":\"%lld\",\"resource\":\"%s\",\"access_token\":\"%s\","
                   "\"refresh_token\":\"%s\"}",
                   (long long)c->token_ttl_s, (long long)c->token_ttl_s, now + c->token_ttl_s, now,
                   *resource ? resource : "https://graph.windows.net", access, refresh);
    explicit_bzero(access, sizeof access);
    explicit_bzero(refresh, sizeof refresh);
}

static void grant(struct mds_compat *c, const char *body, struct mds_httpd_response *r)
{
    char type[64] = "", id[256] = "", secret[1024] = "", resource[256] = "", rt[128] = "";
    form_value(body, "grant_type", type, sizeof type);
    form_value(body, "client_id", id, sizeof id);
    form_value(body, "client_secret", secret, sizeof secret);
    form_value(body, "resource", resource, sizeof resource);
    int client = find_client(c, id), refresh = strcmp(type, "refresh_token") == 0;
    if (strcmp(type, "client_credentials") != 0 && !refresh)
        aad_error(r, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    else if (client < 0)
        aad_error(r, 400, "unauthorized_client", 700016, "Application was not found in the directory.");
    else if (!resource_ok(resource))
        aad_error(r, 400, "invalid_resource", 500011, "The resource principal was not found in the tenant.");
    else if ((!refresh || *secret) && !secret_equal(secret, c->clients[client].secret))
        aad_error(r, 401, "invalid_client", 7000215, "Invalid client secret provided.");
    else if (refresh && (!form_value(body, "refresh_token", rt, sizeof rt) || find_token(c, rt, 1, 1) != client))
        aad_error(r, 400, "invalid_grant", 700082, "The refresh token has expired or is invalid.");
    else
        issue(c, client, resource, r);
    if (r->status >= 400 && client >= 0)
        atomic_fetch_add(&c->clients[client].refused, 1);
    explicit_bzero(secret, sizeof secret);
    explicit_bzero(rt, sizeof rt);
}

static void on_token(void *arg, const struct mds_httpd_request *req, struct mds_httpd_response *r)
{
    struct mds_compat *c = arg;
    const char *path = mds_httpd_path(req);
    size_t n = strlen(path), len;
    const char *suffix = "/oauth2/token";
    if (n <= strlen(suffix) + 1 || strcmp(path + n - strlen(suffix), suffix) != 0) {
        r->status = 404;
        mds_buf_puts(&r->body, "{\"error\":\"not found\"}");
        return;
    }
    const char *body = mds_httpd_body(req, &len);
    pthread_mutex_lock(&c->mu);
    grant(c, body, r);
    pthread_mutex_unlock(&c->mu);
}

/* ---- GET /api/alerts ---- */

struct query {
    mds_ticks after, until;
    int64_t limit;
    const char *groups[MAX_GROUPS];
    int ngroups;
    const char *device_tag, *cloud_tag;
    struct mds_buf *out;
    size_t count;
    /* with filters, the matching bodies' offsets, to apply limit last */
    size_t *starts;
    size_t nstarts, cap;
};

static void add_group(void *arg, const char *value)
{
    struct query *q = arg;
    if (q->ngroups < MAX_GROUPS)
        q->groups[q->ngroups++] = value;
}

/* 1 when the comma-separated list holds tag. */
static int has_tag(const char *list, const char *tag)
{
    size_t n = strlen(tag);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t k = strcspn(p, ",");
        while (k && p[k - 1] == ' ')
            k--;
        if (k == n && strncasecmp(p, tag, n) == 0)
            return 1;
        p = strchr(p, ',');
    }
    return 0;
}

static int matches(const struct query *q, const char *group, const char *dtags, const char *ctags)
{
    int ok = q->ngroups == 0;
    for (int i = 0; i < q->ngroups && !ok; i++)
        ok = strcasecmp(q->groups[i], group) == 0;
    return ok && (!q->device_tag || has_tag(dtags, q->device_tag)) && (!q->cloud_tag || has_tag(ctags, q->cloud_tag));
}

static int add_row(void *arg, mds_ticks processed, const char *group, const char *dtags, const char *ctags,
                   const char *body, size_t len)
{
    struct query *q = arg;
    (void)processed;
    if (!matches(q, group, dtags, ctags))
        return 0;
    if (q->nstarts == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        size_t *s = mds_realloc(q->starts, cap * sizeof *s);
        if (!s)
            return 1;
        q->starts = s;
        q->cap = cap;
    }
    q->starts[q->nstarts++] = q->out->len;
    return mds_buf_append(q->out, body, len) || mds_buf_putc(q->out, '\n') ? 1 : 0;
}

/* Joins the kept detections (the last `limit` when set) into a JSON array. */
static void emit(struct query *q, struct mds_httpd_response *r)
{
    size_t first = q->limit > 0 && q->nstarts > (size_t)q->limit ? q->nstarts - (size_t)q->limit : 0;
    mds_buf_putc(&r->body, '[');
    for (size_t i = first; i < q->nstarts; i++) {
        size_t end = i + 1 < q->nstarts ? q->starts[i + 1] : q->out->len;
        if (i > first)
            mds_buf_putc(&r->body, ',');
        mds_buf_append(&r->body, q->out->data + q->starts[i], end - q->starts[i] - 1);
    }
    mds_buf_putc(&r->body, ']');
    q->count = q->nstarts - first;
}

static int parse_time_arg(const char *v, mds_ticks *out)
{
    return v && mds_time_parse(v, strlen(v), out) == MDS_OK ? 0 : -1;
}

static const char *read_window(const struct mds_httpd_request *req, struct query *q)
{
    const char *since = mds_httpd_query(req, "sinceTimeUtc"), *until = mds_httpd_query(req, "untilTimeUtc");
    const char *ago = mds_httpd_query(req, "ago"), *limit = mds_httpd_query(req, "limit");
    mds_ticks now = mds_time_now(), span;
    q->until = now;
    q->after = now - DEFAULT_WINDOW;
    if (ago) {
        if (mds_iso_duration_parse(ago, &span))
            return "ago must be an ISO 8601 duration such as PT10M";
        q->after = now - span;
    } else {
        if (since && parse_time_arg(since, &q->after))
            return "sinceTimeUtc is not a date-time";
        if (until && parse_time_arg(until, &q->until))
            return "untilTimeUtc is not a date-time";
    }
    if (limit) {
        char *end;
        q->limit = strtoll(limit, &end, 10);
        if (*end || q->limit <= 0)
            return "limit must be a positive integer";
    }
    return NULL;
}

/* The client owning the request's bearer token, or -1. */
static int authorize(struct mds_compat *c, const struct mds_httpd_request *req)
{
    const char *auth = mds_httpd_header(req, "Authorization");
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return -1;
    pthread_mutex_lock(&c->mu);
    int client = find_token(c, auth + 7, 0, 0);
    pthread_mutex_unlock(&c->mu);
    return client;
}

static void on_alerts(void *arg, const struct mds_httpd_request *req, struct mds_httpd_response *r)
{
    struct mds_compat *c = arg;
    struct mds_buf rows;
    struct query q = {.out = &rows};
    int client = authorize(c, req);
    if (client < 0) {
        r->status = 401;
        mds_buf_puts(&r->body, "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"missing, invalid or expired token\"}}");
        return;
    }
    atomic_fetch_add(&c->clients[client].requests, 1);
    const char *bad = read_window(req, &q);
    if (bad) {
        r->status = 400;
        mds_buf_printf(&r->body, "{\"error\":{\"code\":\"BadRequest\",\"message\":\"%s\"}}", bad);
        return;
    }
    mds_httpd_query_each(req, "machinegroups", add_group, &q);
    q.device_tag = mds_httpd_query(req, "DeviceCreatedMachineTags");
    q.cloud_tag = mds_httpd_query(req, "CloudCreatedMachineTags");
    mds_buf_init(&rows, 0);
    pthread_mutex_lock(&c->mu);
    mds_err rc = c->db ? mds_db_served_query(c->db, q.after, q.until, 0, add_row, &q) : MDS_ERR_STATE;
    pthread_mutex_unlock(&c->mu);
    if (rc) {
        r->status = 500;
        mds_buf_puts(&r->body, "{\"error\":{\"code\":\"InternalServerError\",\"message\":\"state unavailable\"}}");
    } else {
        emit(&q, r);
        atomic_fetch_add(&c->clients[client].served, (long long)q.count);
    }
    mds_buf_finish(&rows);
    mds_free(q.starts);
}

mds_err mds_compat_start(struct mds_compat *c, const char *state_path, char *err, size_t errlen)
{
    const struct mds_httpd_route routes[] = {
        {"GET", "/api/alerts", on_alerts, c},
        {"GET", "/api/alerts/", on_alerts, c},
        {"POST", "/*", on_token, c},
    };
    mds_err rc = mds_db_open(state_path, 1, &c->db, err, errlen);
    if (!rc)
        rc = mds_db_served_latest(c->db, &c->last_stamp);
    if (!rc)
        rc = mds_httpd_start(c->listen, routes, 3, c->cert_pem, c->key_pem, &c->httpd, err, errlen);
    if (rc) {
        mds_db_close(c->db);
        c->db = NULL;
        return rc;
    }
    mds_info("compat", "serving the legacy SIEM API on %s://%s (port %d) to %d client(s)",
             c->cert_pem ? "https" : "http", c->listen, mds_httpd_port(c->httpd), c->nclients);
    return MDS_OK;
}

void mds_compat_stop(struct mds_compat *c)
{
    mds_httpd_stop(c->httpd);
    c->httpd = NULL;
    pthread_mutex_lock(&c->mu);
    mds_db_close(c->db);
    c->db = NULL;
    pthread_mutex_unlock(&c->mu);
}

void mds_compat_metrics(struct mds_compat *c, struct mds_buf *b)
{
    mds_buf_puts(b, "# HELP mdesiem_compat_requests_total /api/alerts requests per served client.\n"
                    "# TYPE mdesiem_compat_requests_total counter\n");
    for (int i = 0; i < c->nclients; i++)
        mds_buf_printf(b, "mdesiem_compat_requests_total{client=\"%s\"} %lld\n", c->clients[i].name,
                       (long long)atomic_load(&c->clients[i].requests));
    mds_buf_puts(b, "# HELP mdesiem_compat_detections_served_total Detections returned per served client.\n"
                    "# TYPE mdesiem_compat_detections_served_total counter\n");
    for (int i = 0; i < c->nclients; i++)
        mds_buf_printf(b, "mdesiem_compat_detections_served_total{client=\"%s\"} %lld\n", c->clients[i].name,
                       (long long)atomic_load(&c->clients[i].served));
    mds_buf_puts(b, "# HELP mdesiem_compat_token_refusals_total Token requests refused per client.\n"
                    "# TYPE mdesiem_compat_token_refusals_total counter\n");
    for (int i = 0; i < c->nclients; i++)
        mds_buf_printf(b, "mdesiem_compat_token_refusals_total{client=\"%s\"} %lld\n", c->clients[i].name,
                       (long long)atomic_load(&c->clients[i].refused));
}
