/*
 * http.c - output "http": batches of events POSTed to an HTTP endpoint,
 * with presets for Splunk HEC and the Elasticsearch bulk API.
 *
 * A batch from the engine becomes one request, or several when its body
 * would pass max_batch_bytes (measured before compression); an event
 * that alone passes it is refused with a permanent error before anything
 * is sent. The batch is acknowledged only when every request got a 2xx
 * (and, for Elasticsearch, every bulk item succeeded). 408, 429 and 5xx
 * are transient (Retry-After honoured); other statuses are permanent and
 * the error carries an excerpt of the response body.
 *
 * At-least-once: when request k of a split batch fails, the engine
 * re-delivers the whole batch; requests 1..k-1 of that same batch are not
 * sent again (the output remembers how far an identical batch got, by
 * SHA-256 of its bytes), so duplicates only come from a request whose
 * answer was lost. Elasticsearch documents carry a deterministic _id
 * (http_body.h), so re-sending them never duplicates.
 *
 * Credentials (HEC token, password, API key) are read from *_file or
 * *_env, kept in one Authorization header line, wiped on destroy, and
 * never appear in logs or errors (response excerpts are scrubbed too).
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/engine.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "net/http.h"
#include "outputs/http_body.h"

#define MAX_RESPONSE (64u << 20)
#define MAX_BODY_TOTAL (INT64_C(2) << 30) /* every request of one batch, encoded */
#define EXCERPT 300

static const struct mds_conf_key http_keys[] = {
    {"url", MDS_CONF_URL, NULL, 0, 0, NULL, MDS_CONF_REQUIRED,
     "where batches are POSTed; splunk_hec: e.g. https://splunk:8088/services/collector/event; "
     "elasticsearch: the cluster URL (/_bulk is appended)"},
    {"preset", MDS_CONF_ENUM, "generic", 0, 0, "generic|splunk_hec|elasticsearch", 0,
     "request shape: generic (JSON lines or array), Splunk HTTP Event Collector, Elasticsearch _bulk"},
    {"body", MDS_CONF_ENUM, "lines", 0, 0, "lines|array", 0,
     "generic: one event per line, or a JSON array of events (non-JSON events become strings)"},
    {"content_type", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "generic: Content-Type (default application/x-ndjson for lines, application/json for array)"},
    {"max_batch_bytes", MDS_CONF_SIZE, "5M", 1024, INT64_C(1) << 30, NULL, 0,
     "largest request body (before gzip); bigger batches are split; a single larger event is refused"},
    {"gzip", MDS_CONF_BOOL, "false", 0, 0, NULL, 0, "compress request bodies (Content-Encoding: gzip)"},
    {"timeout", MDS_CONF_DURATION, "60S", 1000, 3600000, NULL, 0, "longest time one request may take"},
    {"ca_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "PEM file of CA certificates to trust instead of the system's"},
    {"insecure", MDS_CONF_BOOL, "false", 0, 0, NULL, 0,
     "skip TLS certificate verification (testing only; warned about at every start)"},
    {"proxy", MDS_CONF_URL, NULL, 0, 0, NULL, 0, "HTTP proxy, http://host:port"},
    {"token_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "file holding the token: splunk_hec sends `Authorization: Splunk <token>`, generic `Bearer <token>`"},
    {"token_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "environment variable holding the token"},
    {"user", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "generic/elasticsearch: basic authentication user"},
    {"password_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "file holding the basic authentication password"},
    {"password_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "environment variable holding the password"},
    {"api_key_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "elasticsearch: file holding an API key (the base64 `encoded` value), sent as `Authorization: ApiKey`"},
    {"api_key_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "elasticsearch: environment variable holding the API key"},
    {"sourcetype", MDS_CONF_STRING, "microsoft:defender:alert", 0, 0, NULL, 0,
     "splunk_hec: sourcetype of every event"},
    {"source", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "splunk_hec: source of every event (default: the name of the mdesiem source it came from)"},
    {"hostname", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "splunk_hec: host of every event (default: left to Splunk)"},
    {"index", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "elasticsearch: target index or data stream (default defender-alerts); splunk_hec: index (default: the "
     "token's)"},
    {"action", MDS_CONF_ENUM, "index", 0, 0, "index|create", 0,
     "elasticsearch: bulk action; create is required by data streams (an existing _id then counts as "
     "delivered)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

struct http_out {
    struct mds_http *http;
    struct mds_http_conf hconf;
    struct mds_http_body_opts body_opts;
    char *url;
    const char *content_type;
    size_t max_batch;
    int gzip;
    char *secret;         /* the credential, for scrubbing excerpts */
    char *auth_header;    /* "Authorization: ..." or NULL */
    struct mds_buf body;  /* every request of the batch, back to back */
    struct mds_buf unit;  /* one encoded event */
    struct mds_buf zbody; /* one compressed request */
    size_t *cuts;         /* end of request i in body */
    size_t *firsts;       /* first event of request i */
    size_t ncuts, cuts_cap;
    size_t req_start; /* where the open request begins in body */
    int open;         /* a request is being built */
    struct mds_http_resp resp;
    struct mds_json json;                /* Elasticsearch bulk responses */
    unsigned char memo[EVP_MAX_MD_SIZE]; /* batch whose first memo_done requests were accepted */
    size_t memo_done;
};

/* ---- configuration ---- */

static mds_err conf_error(struct mds_output *o, const char *key, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s:%d: [output %s]: %s: %s", o->conf->path, mds_conf_line(o->sec, key), o->name,
             key, what);
    return MDS_ERR_CONFIG;
}

static int is_set(const struct mds_conf_section *sec, const char *key)
{
    for (size_t i = 0; i < sec->nentries; i++)
        if (strcmp(sec->entries[i].key, key) == 0)
            return 1;
    return 0;
}

/* Keys that belong to another preset are mistakes worth naming. */
static mds_err check_preset_keys(struct mds_output *o, enum mds_http_preset p, char *err, size_t errlen)
{
    enum { GEN = 1u << MDS_HTTP_GENERIC, HEC = 1u << MDS_HTTP_SPLUNK_HEC, ES = 1u << MDS_HTTP_ELASTICSEARCH };
    static const struct {
        const char *key;
        unsigned presets; /* where the key applies */
    } only[] = {
        {"body", GEN},
        {"content_type", GEN},
        {"user", GEN | ES},
        {"password_file", GEN | ES},
        {"password_env", GEN | ES},
        {"api_key_file", ES},
        {"api_key_env", ES},
        {"sourcetype", HEC},
        {"source", HEC},
        {"hostname", HEC},
        {"index", HEC | ES},
        {"action", ES},
        {"token_file", GEN | HEC},
        {"token_env", GEN | HEC},
    };
    static const char *const names[] = {"generic", "splunk_hec", "elasticsearch"};
    char why[128];
    for (size_t i = 0; i < sizeof only / sizeof *only; i++)
        if (is_set(o->sec, only[i].key) && !(only[i].presets & (1u << p))) {
            snprintf(why, sizeof why, "does not apply to preset = %s", names[p]);
            return conf_error(o, only[i].key, err, errlen, why);
        }
    return MDS_OK;
}

static int valid_es_index(const char *s)
{
    if (!*s || strlen(s) > 255 || *s == '-' || *s == '_' || *s == '+' || !strcmp(s, ".") || !strcmp(s, ".."))
        return 0;
    for (; *s; s++)
        if (isupper((unsigned char)*s) || strchr("\\/*?\"<>| ,#:", *s) || (unsigned char)*s < 32)
            return 0;
    return 1;
}

static mds_err set_url(struct mds_output *o, struct http_out *h)
{
    const char *u = mds_conf_str(o->sec, "url");
    size_t n = strlen(u);
    int bulk = h->body_opts.preset == MDS_HTTP_ELASTICSEARCH && !(n >= 6 && strcmp(u + n - 6, "/_bulk") == 0);
    while (bulk && n > 0 && u[n - 1] == '/')
        n--;
    h->url = mds_malloc(n + 7);
    if (!h->url)
        return MDS_ERR_NOMEM;
    snprintf(h->url, n + 7, "%.*s%s", (int)n, u, bulk ? "/_bulk" : "");
    return MDS_OK;
}

static mds_err base64(const char *in, size_t n, char **out)
{
    *out = mds_malloc(4 * ((n + 2) / 3) + 1);
    if (!*out)
        return MDS_ERR_NOMEM;
    EVP_EncodeBlock((unsigned char *)*out, (const unsigned char *)in, (int)n);
    return MDS_OK;
}

/* Builds the Authorization header line from the configured credential. */
static mds_err make_auth(struct http_out *h, const char *scheme, const char *user)
{
    char *cred = NULL, *b64 = NULL;
    mds_err rc = MDS_OK;
    if (user) { /* basic: base64(user:password) */
        size_t n = strlen(user) + strlen(h->secret) + 2;
        if (!(cred = mds_malloc(n)))
            return MDS_ERR_NOMEM;
        snprintf(cred, n, "%s:%s", user, h->secret);
        rc = base64(cred, n - 1, &b64);
        explicit_bzero(cred, n);
        mds_free(cred);
        if (rc)
            return rc;
    }
    const char *value = b64 ? b64 : h->secret;
    size_t len = strlen("Authorization: ") + strlen(scheme) + 1 + strlen(value) + 1;
    if ((h->auth_header = mds_malloc(len)))
        snprintf(h->auth_header, len, "Authorization: %s %s", scheme, value);
    if (b64) {
        explicit_bzero(b64, strlen(b64));
        mds_free(b64);
    }
    return h->auth_header ? MDS_OK : MDS_ERR_NOMEM;
}

/* Reads whichever credential the preset uses; at most one kind. */
static mds_err read_credentials(struct mds_output *o, struct http_out *h, char *err, size_t errlen)
{
    enum mds_http_preset p = h->body_opts.preset;
    const char *user = mds_conf_str(o->sec, "user");
    int kinds = (is_set(o->sec, "token_file") || is_set(o->sec, "token_env")) +
                (is_set(o->sec, "password_file") || is_set(o->sec, "password_env") || user) +
                (is_set(o->sec, "api_key_file") || is_set(o->sec, "api_key_env"));
    mds_err rc;
    if (kinds > 1)
        return conf_error(o, "user", err, errlen,
                          "set one kind of credential: a token, user + password, or an API key");
    if (p == MDS_HTTP_SPLUNK_HEC) {
        if ((rc = mds_conf_secret(o->conf, o->sec, "token", 0, &h->secret, err, errlen)))
            return rc;
        return make_auth(h, "Splunk", NULL);
    }
    if (user) {
        if ((rc = mds_conf_secret(o->conf, o->sec, "password", 0, &h->secret, err, errlen)))
            return rc;
        return make_auth(h, "Basic", user);
    }
    if (is_set(o->sec, "password_file") || is_set(o->sec, "password_env"))
        return conf_error(o, "user", err, errlen, "a password needs a user");
    const char *prefix = p == MDS_HTTP_ELASTICSEARCH ? "api_key" : "token";
    if ((rc = mds_conf_secret(o->conf, o->sec, prefix, 1, &h->secret, err, errlen)) || !h->secret)
        return rc;
    return make_auth(h, p == MDS_HTTP_ELASTICSEARCH ? "ApiKey" : "Bearer", NULL);
}

static mds_err read_conf(struct mds_output *o, struct http_out *h, char *err, size_t errlen)
{
    const char *preset = mds_conf_str(o->sec, "preset");
    struct mds_http_body_opts *b = &h->body_opts;
    mds_err rc;
    b->preset = strcmp(preset, "splunk_hec") == 0      ? MDS_HTTP_SPLUNK_HEC
                : strcmp(preset, "elasticsearch") == 0 ? MDS_HTTP_ELASTICSEARCH
                                                       : MDS_HTTP_GENERIC;
    if ((rc = check_preset_keys(o, b->preset, err, errlen)))
        return rc;
    b->array = strcmp(mds_conf_str(o->sec, "body"), "array") == 0;
    b->sourcetype = mds_conf_str(o->sec, "sourcetype");
    b->source = mds_conf_str(o->sec, "source");
    b->host = mds_conf_str(o->sec, "hostname");
    b->index = mds_conf_str(o->sec, "index");
    b->es_create = strcmp(mds_conf_str(o->sec, "action"), "create") == 0;
    if (b->preset == MDS_HTTP_ELASTICSEARCH && !b->index)
        b->index = "defender-alerts";
    if (b->preset == MDS_HTTP_ELASTICSEARCH && !valid_es_index(b->index))
        return conf_error(o, "index", err, errlen,
                          "not a valid Elasticsearch index name (lowercase, no spaces or \\/*?\"<>|,#:)");
    h->content_type = mds_conf_str(o->sec, "content_type");
    if (!h->content_type)
        h->content_type = b->preset == MDS_HTTP_GENERIC && !b->array ? "application/x-ndjson"
                          : b->preset == MDS_HTTP_ELASTICSEARCH      ? "application/x-ndjson"
                                                                     : "application/json";
    h->max_batch = (size_t)mds_conf_bytes(o->sec, "max_batch_bytes");
    h->gzip = mds_conf_bool(o->sec, "gzip");
    if ((rc = set_url(o, h)))
        return rc;
    return read_credentials(o, h, err, errlen);
}

static mds_err http_create(struct mds_output *o, char *err, size_t errlen)
{
    struct http_out *h = mds_calloc(1, sizeof *h);
    if (!h)
        return MDS_ERR_NOMEM;
    o->ctx = h;
    mds_buf_init(&h->body, (size_t)MAX_BODY_TOTAL);
    mds_buf_init(&h->unit, 0);
    mds_buf_init(&h->zbody, 0);
    mds_http_resp_init(&h->resp, MAX_RESPONSE);
    mds_json_init(&h->json);
    mds_err rc = read_conf(o, h, err, errlen);
    if (rc)
        return rc;
    h->hconf = (struct mds_http_conf){
        .proxy = mds_conf_str(o->sec, "proxy"),
        .ca_file = mds_conf_str(o->sec, "ca_file"),
        .insecure = mds_conf_bool(o->sec, "insecure"),
        .user_agent = "mdesiem/" MDS_VERSION,
        .timeout_ms = (long)mds_conf_ms(o->sec, "timeout"),
        .max_body = MAX_RESPONSE,
    };
    if (h->hconf.insecure)
        mds_warn(o->tag,
                 "insecure = true: TLS certificates are NOT verified; anyone on the path can read and "
                 "change these events and the credentials");
    h->http = mds_http_create(&h->hconf);
    return h->http ? MDS_OK : MDS_ERR_NOMEM;
}

static void http_destroy(struct mds_output *o)
{
    struct http_out *h = o->ctx;
    mds_http_destroy(h->http);
    mds_conf_secret_free(h->secret);
    mds_conf_secret_free(h->auth_header);
    mds_buf_finish(&h->body);
    mds_buf_finish(&h->unit);
    mds_buf_finish(&h->zbody);
    mds_http_resp_finish(&h->resp);
    mds_json_finish(&h->json);
    mds_free(h->cuts);
    mds_free(h->firsts);
    mds_free(h->url);
    mds_free(h);
    o->ctx = NULL;
}

/* ---- building the requests of a batch ---- */

static int is_array(const struct http_out *h)
{
    return h->body_opts.array && h->body_opts.preset == MDS_HTTP_GENERIC;
}

/* Starts a request whose first event is event `first`. */
static mds_err open_request(struct http_out *h, size_t first)
{
    if (h->ncuts == h->cuts_cap) {
        size_t cap = h->cuts_cap ? 2 * h->cuts_cap : 16;
        size_t *c = mds_realloc(h->cuts, cap * sizeof *c),
               *f = c ? mds_realloc(h->firsts, cap * sizeof *f) : NULL;
        if (c)
            h->cuts = c;
        if (!f)
            return MDS_ERR_NOMEM;
        h->firsts = f;
        h->cuts_cap = cap;
    }
    h->firsts[h->ncuts++] = first;
    h->req_start = h->body.len;
    h->open = 1;
    return is_array(h) ? mds_buf_putc(&h->body, '[') : MDS_OK;
}

static mds_err close_request(struct http_out *h)
{
    mds_err rc = is_array(h) ? mds_buf_putc(&h->body, ']') : MDS_OK;
    h->cuts[h->ncuts - 1] = h->body.len;
    h->open = 0;
    return rc;
}

/* Appends the encoded unit of event i (h->unit), closing the current
 * request first when the unit would take it past max_batch_bytes. An
 * array request costs 2 bytes of brackets and 1 of comma per element. */
static mds_err place_unit(struct http_out *h, size_t i, char *err, size_t errlen)
{
    size_t frame = is_array(h) ? 2 : 0, sep = is_array(h) ? 1 : 0;
    mds_err rc = MDS_OK;
    if (h->unit.len + frame > h->max_batch) {
        snprintf(err, errlen,
                 "event %zu of the batch is %zu bytes once encoded, above max_batch_bytes = %zu; "
                 "nothing of this batch was sent (raise max_batch_bytes to what the receiver accepts)",
                 i + 1, h->unit.len + frame, h->max_batch);
        return MDS_ERR_LIMIT;
    }
    if (h->open && h->body.len - h->req_start + sep + h->unit.len + sep > h->max_batch)
        rc = close_request(h);
    if (!rc)
        rc = !h->open ? open_request(h, i) : sep ? mds_buf_putc(&h->body, ',') : MDS_OK;
    return rc ? rc : mds_buf_append(&h->body, h->unit.data, h->unit.len);
}

static mds_err build_requests(struct http_out *h, const struct mds_batch *b, char *err, size_t errlen)
{
    mds_err rc = MDS_OK;
    mds_buf_reset(&h->body);
    h->ncuts = 0;
    h->open = 0;
    for (size_t i = 0; !rc && i < b->count; i++) {
        mds_buf_reset(&h->unit);
        rc = mds_http_encode_event(&h->body_opts, b, &b->events[i], &h->unit);
        if (!rc)
            rc = place_unit(h, i, err, errlen);
    }
    if (!rc && h->open)
        rc = close_request(h);
    if (rc == MDS_ERR_LIMIT && !*err)
        snprintf(err, errlen, "the batch encodes to more than %lld bytes: lower batch_size",
                 (long long)MAX_BODY_TOTAL);
    return rc;
}

/* ---- sending ---- */

static mds_err gzip_body(struct http_out *h, const char *p, size_t n)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return MDS_ERR_NOMEM;
    mds_buf_reset(&h->zbody);
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    mds_err rc = mds_buf_reserve(&h->zbody, bound);
    if (!rc) {
        z.next_in = (Bytef *)(uintptr_t)p;
        z.avail_in = (uInt)n;
        z.next_out = (Bytef *)h->zbody.data;
        z.avail_out = (uInt)bound;
        rc = deflate(&z, Z_FINISH) == Z_STREAM_END ? MDS_OK : MDS_ERR_INTERNAL;
        h->zbody.len = z.total_out;
    }
    deflateEnd(&z);
    return rc;
}

/* A printable excerpt of the response body, the credential blanked. */
static void excerpt(const struct http_out *h, char *buf, size_t size)
{
    size_t n = h->resp.body.len < EXCERPT ? h->resp.body.len : EXCERPT, k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++) {
        unsigned char c = (unsigned char)h->resp.body.data[i];
        buf[k++] = c < 32 || c == 127 ? ' ' : (char)c;
    }
    buf[k] = '\0';
    size_t sl = h->secret ? strlen(h->secret) : 0;
    for (char *p = buf; sl >= 4 && (p = strstr(p, h->secret)); p += sl)
        memset(p, '*', sl);
    if (h->resp.body.len > n && k + 4 < size)
        snprintf(buf + k, size - k, "...");
}

static mds_err status_error(struct http_out *h, int64_t *retry_after_ms, char *err, size_t errlen)
{
    char ex[EXCERPT + 8], url[512];
    long st = h->resp.status;
    excerpt(h, ex, sizeof ex);
    mds_url_for_log(h->url, url, sizeof url);
    if (st == 408 || st == 429 || st >= 500) {
        if (h->resp.retry_after >= 0)
            *retry_after_ms = (int64_t)(h->resp.retry_after * 1000);
        snprintf(err, errlen, "%s answered %ld (will retry%s): %s", url, st,
                 h->resp.retry_after >= 0 ? ", as Retry-After says" : "", ex);
        return MDS_ERR_RETRY;
    }
    if (st == 413)
        snprintf(err, errlen, "%s answered 413, request too large: lower max_batch_bytes (now %zu): %s", url,
                 h->max_batch, ex);
    else if (st == 401 || st == 403)
        snprintf(err, errlen, "%s refused the credentials (%ld): %s", url, st, ex);
    else
        snprintf(err, errlen, "%s answered %ld: %s", url, st, ex);
    return st == 401 || st == 403 ? MDS_ERR_AUTH : MDS_ERR_HTTP;
}

/* Elasticsearch: a 200 can still hold failed items. Transient ones (429,
 * 5xx) make the batch retry; any other failure is permanent. */
static mds_err check_bulk(struct http_out *h, size_t first, size_t expected, char *err, size_t errlen)
{
    struct mds_json *j = &h->json;
    if (mds_json_parse(j, h->resp.body.data, h->resp.body.len) || j->tok[0].type != JSMN_OBJECT) {
        snprintf(err, errlen, "Elasticsearch answered 2xx with a body that is not a bulk response");
        return MDS_ERR_RETRY;
    }
    int errors = mds_json_find(j, 0, "errors"), items = mds_json_find(j, 0, "items");
    size_t elen;
    const char *ev = errors >= 0 ? mds_json_raw(j, errors, &elen) : NULL;
    if (ev && elen == 5 && memcmp(ev, "false", 5) == 0)
        return MDS_OK;
    size_t failed = 0, transient = 0, k = 0;
    char first_reason[256] = "";
    for (int it = items >= 0 ? items + 1 : 0; items >= 0 && it < mds_json_skip(j, items);
         it = mds_json_skip(j, it), k++) {
        int action = it + 2, status = mds_json_find(j, action, "status");
        int64_t st = 0;
        if (j->tok[it].type != JSMN_OBJECT || j->tok[it].size < 1 || mds_json_int(j, status, &st))
            continue;
        if ((st >= 200 && st < 300) || (st == 409 && h->body_opts.es_create))
            continue;
        failed++;
        transient += st == 429 || st >= 500;
        if (!first_reason[0]) {
            size_t rl;
            int e = mds_json_find(j, action, "error");
            const char *r = e >= 0 ? mds_json_raw(j, e, &rl) : "";
            snprintf(first_reason, sizeof first_reason, "event %zu: %lld %.*s", first + k + 1, (long long)st,
                     e >= 0 ? (int)(rl > 180 ? 180 : rl) : 0, r);
        }
    }
    if (k != expected) {
        snprintf(err, errlen,
                 "Elasticsearch reported errors with %zu items for %zu documents; retrying them all", k,
                 expected);
        return MDS_ERR_RETRY;
    }
    if (!failed)
        return MDS_OK;
    snprintf(err, errlen, "Elasticsearch refused %zu of %zu documents (%zu transient), first %s", failed, k,
             transient, first_reason);
    return transient == failed ? MDS_ERR_RETRY : MDS_ERR_HTTP;
}

static mds_err post_one(struct http_out *h, const char *p, size_t n, size_t first, size_t events,
                        int64_t *retry_after_ms, char *err, size_t errlen)
{
    char ctype[160];
    const char *headers[5] = {ctype, "Expect:", NULL, NULL, NULL};
    int nh = 2;
    snprintf(ctype, sizeof ctype, "Content-Type: %s", h->content_type);
    if (h->gzip) {
        mds_err zrc = gzip_body(h, p, n);
        if (zrc)
            return zrc;
        p = h->zbody.data;
        n = h->zbody.len;
        headers[nh++] = "Content-Encoding: gzip";
    }
    if (h->auth_header)
        headers[nh++] = h->auth_header;
    mds_err rc = mds_http_post(h->http, h->url, p, n, headers, &h->resp);
    if (rc == MDS_ERR_RETRY || rc == MDS_ERR_LIMIT) {
        char url[512];
        mds_url_for_log(h->url, url, sizeof url);
        snprintf(err, errlen, "POST %s failed: %s", url, h->resp.error);
        return MDS_ERR_RETRY;
    }
    if (rc)
        return rc;
    if (h->resp.status < 200 || h->resp.status >= 300)
        return status_error(h, retry_after_ms, err, errlen);
    return h->body_opts.preset == MDS_HTTP_ELASTICSEARCH ? check_bulk(h, first, events, err, errlen) : MDS_OK;
}

static void batch_digest(const struct mds_batch *b, unsigned char *md)
{
    unsigned int len = 0;
    memset(md, 0, EVP_MAX_MD_SIZE);
    EVP_Digest(b->data, b->len, md, &len, EVP_sha256(), NULL);
}

static mds_err http_deliver(struct mds_output *o, const struct mds_batch *b, int64_t *retry_after_ms,
                            char *err, size_t errlen)
{
    struct http_out *h = o->ctx;
    unsigned char md[EVP_MAX_MD_SIZE];
    mds_err rc = build_requests(h, b, err, errlen);
    size_t done = 0;
    if (rc)
        return rc;
    if (h->ncuts > 1) { /* a retry of a split batch resumes after what was accepted */
        batch_digest(b, md);
        done = memcmp(md, h->memo, sizeof md) == 0 ? h->memo_done : 0;
        memcpy(h->memo, md, sizeof md);
        if (done)
            mds_info(o->tag, "resuming a batch at request %zu of %zu: the first were accepted", done + 1,
                     h->ncuts);
    }
    for (size_t i = done; i < h->ncuts; i++) {
        size_t start = i ? h->cuts[i - 1] : 0;
        size_t events = (i + 1 < h->ncuts ? h->firsts[i + 1] : b->count) - h->firsts[i];
        if ((rc = post_one(h, h->body.data + start, h->cuts[i] - start, h->firsts[i], events, retry_after_ms,
                           err, errlen)))
            break;
        h->memo_done = i + 1;
    }
    if (!rc)
        h->memo_done = 0;
    if (h->ncuts <= 1)
        memset(h->memo, 0, sizeof h->memo);
    return rc;
}

const struct mds_output_type mds_output_http = {
    .name = "http",
    .help = "POST batches of events over HTTP(S): generic JSON, Splunk HEC or the Elasticsearch bulk API",
    .default_format = "json",
    .keys = http_keys,
    .create = http_create,
    .deliver_batch = http_deliver,
    .destroy = http_destroy,
};
