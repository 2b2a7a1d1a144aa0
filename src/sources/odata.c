/*
 * odata.c - the shared core of the OData sources (graph, mde).
 *
 * Cursor on the collection's version member (lastUpdateDateTime or
 * lastUpdateTime). Each cycle asks for
 *   $filter=<version> ge (cursor - overlap)&$orderby=<version> asc&$top=N
 * and pages by moving the filter to the newest version seen ("keyset"
 * paging) rather than by $skip: an alert updated while we page moves to
 * the end of the order instead of shifting unread alerts into pages we
 * already read, so nothing is skipped. $skip is used only to step over a
 * run of alerts sharing one timestamp that fills a whole page, and to page
 * a service that does not sort (the MDE API documents no $orderby): then
 * the cursor moves only once the whole window was read. A page shorter
 * than the service's page size ends the cycle, so a service that clamps
 * $top or omits @odata.nextLink still yields everything. Duplicates from
 * the overlap are dropped by the (id, version) index; versions are
 * compared at full 100-ns precision.
 */
#include <stdio.h>
#include <string.h>

#include "core/lifecycle.h"
#include "core/log.h"
#include "core/mem.h"
#include "net/cloud.h"
#include "sources/api.h"
#include "sources/check.h"
#include "sources/odata.h"

struct odata {
    const struct mds_odata_api *api;
    struct mds_oauth oauth;
    char *secret;
    struct mds_assertion *assertion;
    char token_url[1024];
    char scope[512];
    char resource[512];
    char api_root[512];
    const char *filter;
    int64_t overlap_ms;
    int64_t lookback_ms;
    int page_size;
    struct mds_throttle per_minute, per_hour;
    struct mds_keyset keyset;
    struct mds_json json;
    struct mds_graph_page page;
    struct mds_buf url;
    struct mds_http_resp resp;
};

const struct mds_conf_key mds_entra_keys[] = {
    {"tenant_id", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED, "Entra ID tenant (directory) id"},
    {"client_id", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED, "application (client) id"},
    {"client_secret", MDS_CONF_FORBIDDEN, NULL, 0, 0, NULL, MDS_CONF_SECRET,
     "secrets are never written in the configuration: use client_secret_file or client_secret_env"},
    {"client_secret_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "file holding the client secret (mode 0600)"},
    {"client_secret_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "environment variable holding the client secret"},
    {"cloud", MDS_CONF_ENUM, "commercial", 0, 0, MDS_CLOUD_CHOICES, 0,
     "national cloud: picks the login and API hosts"},
    {"auth_url", MDS_CONF_URL, NULL, 0, 0, NULL, 0,
     "full token URL (QRadar's Authorization Server URL); .../oauth2/token means the v1 endpoint"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct mds_conf_key mds_odata_keys[] = {
    {"client_certificate", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "PEM certificate registered on the app: sign in with a client assertion instead of a secret"},
    {"client_key", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "PEM RSA private key of client_certificate (mode 0600)"},
    {"scope", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "v2 scope; default <API resource>/.default"},
    {"resource", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "v1 resource; setting it selects the v1 token endpoint"},
    {"api_url", MDS_CONF_URL, NULL, 0, 0, NULL, 0, "API root, overriding the cloud's (and the region's) default"},
    {"filter", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "OData filter ANDed into $filter, e.g. serviceSource eq 'microsoftDefenderForEndpoint'"},
    {"overlap", MDS_CONF_DURATION, "5M", 1, 7 * 86400000LL, NULL, 0,
     "each cycle re-reads this far behind the cursor, for alerts that become visible late"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct mds_conf_key *const mds_odata_tables[] = {mds_odata_keys, mds_entra_keys, NULL};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Token endpoint, v1 or v2, from the cloud's authority and overrides. */
static mds_err setup_auth(struct mds_source *src, struct odata *o, const char *audience, char *err, size_t errlen)
{
    const struct mds_conf_section *sec = src->sec;
    const struct mds_cloud *cloud = mds_cloud_find(mds_conf_str(sec, "cloud"));
    const char *auth = mds_conf_str(sec, "auth_url"), *resource = mds_conf_str(sec, "resource");
    const char *scope = mds_conf_str(sec, "scope");
    int v1 = resource || (auth && ends_with(auth, "/oauth2/token"));
    if (v1 && scope) {
        snprintf(err, errlen, "%s:%d: [source %s]: scope is for the v2 endpoint, but resource or a v1 auth_url "
                 "selects v1", src->conf->path, mds_conf_line(sec, "scope"), src->name);
        return MDS_ERR_CONFIG;
    }
    if (auth)
        snprintf(o->token_url, sizeof o->token_url, "%s", auth);
    else
        snprintf(o->token_url, sizeof o->token_url, "%s/%s/oauth2/%stoken", cloud->login,
                 mds_conf_str(sec, "tenant_id"), v1 ? "" : "v2.0/");
    snprintf(o->resource, sizeof o->resource, "%s", resource ? resource : audience);
    if (scope)
        snprintf(o->scope, sizeof o->scope, "%s", scope);
    else
        snprintf(o->scope, sizeof o->scope, "%s/.default", audience);
    struct mds_oauth_conf oc = {
        .token_url = o->token_url,
        .client_id = mds_conf_str(sec, "client_id"),
        .client_secret = o->secret,
        .scope = v1 ? NULL : o->scope,
        .resource = v1 ? o->resource : NULL,
        .assertion = o->assertion,
    };
    mds_oauth_init(&o->oauth, &oc);
    return MDS_OK;
}

/* The credential: a client secret, or a certificate and its key. */
static mds_err setup_credential(struct mds_source *src, struct odata *o, char *err, size_t errlen)
{
    const char *cert = mds_conf_str(src->sec, "client_certificate"), *key = mds_conf_str(src->sec, "client_key");
    if (!cert != !key) {
        snprintf(err, errlen, "%s:%d: [source %s]: client_certificate and client_key go together", src->conf->path,
                 mds_conf_line(src->sec, cert ? "client_certificate" : "client_key"), src->name);
        return MDS_ERR_CONFIG;
    }
    mds_err rc = mds_conf_secret(src->conf, src->sec, "client_secret", cert != NULL, &o->secret, err, errlen);
    if (rc || !cert)
        return rc;
    if (o->secret) {
        snprintf(err, errlen, "%s:%d: [source %s]: use a client secret or a certificate, not both", src->conf->path,
                 mds_conf_line(src->sec, "client_certificate"), src->name);
        return MDS_ERR_CONFIG;
    }
    char why[512];
    if ((rc = mds_assertion_create(cert, key, &o->assertion, why, sizeof why)))
        snprintf(err, errlen, "%s:%d: [source %s]: %s", src->conf->path, mds_conf_line(src->sec, "client_certificate"),
                 src->name, why);
    return rc;
}

mds_err mds_odata_create(struct mds_source *src, const struct mds_odata_target *t, char *err, size_t errlen)
{
    struct odata *o = mds_calloc(1, sizeof *o);
    if (!o)
        return MDS_ERR_NOMEM;
    src->ctx = o;
    const char *api_url = mds_conf_str(src->sec, "api_url");
    o->api = t->api;
    snprintf(o->api_root, sizeof o->api_root, "%s", api_url ? api_url : t->api_root);
    o->filter = mds_conf_str(src->sec, "filter");
    o->overlap_ms = mds_conf_ms(src->sec, "overlap");
    o->lookback_ms = mds_conf_ms(src->sec, "initial_lookback");
    o->page_size = t->page_size;
    mds_throttle_init(&o->per_minute, t->per_minute / 60.0);
    mds_throttle_init(&o->per_hour, t->per_hour / 3600.0);
    o->per_minute.tokens = o->per_minute.burst = t->per_minute;
    o->per_hour.tokens = o->per_hour.burst = t->per_hour;
    mds_json_init(&o->json);
    mds_buf_init(&o->url, 64 * 1024);
    mds_http_resp_init(&o->resp, src->http_conf.max_body);
    mds_err rc = setup_credential(src, o, err, errlen);
    if (rc)
        return rc;
    return setup_auth(src, o, t->audience, err, errlen);
}

void mds_odata_destroy(struct mds_source *src)
{
    struct odata *o = src->ctx;
    mds_oauth_finish(&o->oauth);
    mds_conf_secret_free(o->secret);
    mds_assertion_destroy(o->assertion);
    mds_json_finish(&o->json);
    mds_graph_page_finish(&o->page);
    mds_buf_finish(&o->url);
    mds_http_resp_finish(&o->resp);
    mds_free(o);
    src->ctx = NULL;
}

static mds_err build_url(struct odata *o, mds_ticks since, size_t skip)
{
    char ts[40], filter[4096];
    const char *key = o->api->version_key;
    mds_time_format(since, 7, ts, sizeof ts);
    int n = o->filter ? snprintf(filter, sizeof filter, "%s ge %s and (%s)", key, ts, o->filter)
                      : snprintf(filter, sizeof filter, "%s ge %s", key, ts);
    if (n < 0 || (size_t)n >= sizeof filter)
        return MDS_ERR_LIMIT;
    mds_buf_reset(&o->url);
    mds_err rc = mds_buf_printf(&o->url, "%s%s?$filter=", o->api_root, o->api->path);
    if (!rc)
        rc = mds_url_encode(&o->url, filter, (size_t)n);
    if (!rc && o->api->orderby)
        rc = mds_buf_printf(&o->url, "&$orderby=%s%%20asc", key);
    if (!rc)
        rc = mds_buf_printf(&o->url, "&$top=%d", o->page_size);
    if (!rc && o->api->expand)
        rc = mds_buf_printf(&o->url, "&%s", o->api->expand);
    if (!rc && skip)
        rc = mds_buf_printf(&o->url, "&$skip=%zu", skip);
    return rc;
}

static mds_err accept_page(void *arg, struct mds_http_resp *r, char *err, size_t errlen)
{
    struct odata *o = arg;
    return mds_graph_parse_page(&o->json, r->body.data ? r->body.data : "", r->body.len, o->api->version_key,
                                &o->page, err, errlen);
}

/* Client-side request limits (MDE: 100/minute, 1,500/hour), so the
 * service never has to answer 429. */
static int wait_for_quota(struct odata *o)
{
    int64_t now = mds_mono_ms();
    int64_t a = mds_throttle_take(&o->per_minute, 1, now), b = mds_throttle_take(&o->per_hour, 1, now);
    return mds_sleep_ms(a > b ? a : b);
}

/* Fetches and stores one page, then folds it into the keyset; *more says
 * whether the cycle needs another request. */
static mds_err fetch_page(struct mds_source *src, struct odata *o, mds_ticks *cursor, int *more, char *err,
                          size_t errlen)
{
    size_t accepted;
    mds_err rc = build_url(o, o->keyset.since, o->keyset.skip);
    if (rc) {
        snprintf(err, errlen, "request URL too long (check filter)");
        return rc;
    }
    if (wait_for_quota(o))
        return MDS_ERR_STOPPED;
    rc = mds_api_get(src, &o->oauth, o->url.data, NULL, &o->resp, accept_page, o, err, errlen);
    if (rc)
        return rc;
    if (o->page.unversioned)
        mds_warn(src->tag, "%zu items without a valid %s: delivered, deduplicated by id only", o->page.unversioned,
                 o->api->version_key);
    int ordered = o->page.sorted && !o->keyset.unsorted_max;
    if (ordered && o->page.max_version > *cursor)
        *cursor = o->page.max_version;
    rc = mds_source_commit(src, o->page.items, o->page.n, ordered ? cursor : NULL, &accepted);
    if (rc)
        return rc;
    if (!o->page.sorted && !o->keyset.unsorted_max && o->api->orderby)
        mds_warn(src->tag, "the service ignored $orderby; paging with $skip and moving the cursor "
                           "once the whole window was read");
    *more = mds_keyset_advance(&o->keyset, &o->page);
    return MDS_OK;
}

size_t mds_page_done(struct mds_source *src, struct mds_buf *body, struct mds_graph_page *page)
{
    size_t held = body->cap + page->cap * sizeof *page->items;
    mds_buf_finish(body);
    mds_graph_page_finish(page);
    mds_db_release_memory(src->db);
    mds_source_page_end(src);
    return held;
}

/*
 * A page is held only inside a slot of the engine's page budget
 * ([service] concurrent_pages): the response body (about 6 kB an alert),
 * the item index and the SQLite pages written while storing it are all
 * freed before the slot is given back, so however many sources there
 * are, at most that many pages are in memory at once. *held adds up the
 * bytes the pages took, for the trim at the end of the cycle.
 */
static mds_err fetch_page_in_budget(struct mds_source *src, struct odata *o, mds_ticks *cursor, int *more,
                                    size_t *held, char *err, size_t errlen)
{
    mds_err rc = mds_source_page_begin(src);
    if (rc)
        return rc;
    rc = fetch_page(src, o, cursor, more, err, errlen);
    *held += mds_page_done(src, &o->resp.body, &o->page);
    return rc;
}

static mds_err collect(struct mds_source *src, struct odata *o, size_t *held, char *err, size_t errlen)
{
    mds_ticks cursor, overlap = o->overlap_ms * MDS_TICKS_PER_MS;
    mds_err rc;
    int more = 0;
    if (mds_db_cursor(src->db, src->name, &cursor) != MDS_OK)
        cursor = mds_time_now() - o->lookback_ms * MDS_TICKS_PER_MS;
    mds_keyset_start(&o->keyset, cursor, overlap, o->page_size);
    do {
        if ((rc = fetch_page_in_budget(src, o, &cursor, &more, held, err, errlen)))
            return rc;
    } while (more);
    if (o->keyset.unsorted_max > cursor) {
        size_t none;
        cursor = o->keyset.unsorted_max;
        if ((rc = mds_source_commit(src, NULL, 0, &cursor, &none)))
            return rc;
    }
    mds_db_prune_seen(src->db, src->name, cursor - 2 * overlap);
    return MDS_OK;
}

/* Between cycles (and between pages, see fetch_page_in_budget) a source
 * holds no page. What the pages left free but resident in the thread's
 * malloc arena goes back to the system once a cycle moved at least
 * MDS_MEM_TRIM_AT (see also mds_mem_set_policy). */
mds_err mds_odata_collect(struct mds_source *src, char *err, size_t errlen)
{
    struct odata *o = src->ctx;
    size_t held = 0;
    mds_err rc = collect(src, o, &held, err, errlen);
    mds_db_release_memory(src->db);
    if (held >= MDS_MEM_TRIM_AT)
        mds_mem_trim();
    return rc;
}

void mds_odata_check(struct mds_source *src, struct mds_check *chk)
{
    struct odata *o = src->ctx;
    char err[512] = "";
    int reach = mds_check_reach(chk, src, o->token_url);
    reach &= mds_check_reach(chk, src, o->api_root);
    if (!reach || !mds_check_token(chk, src, &o->oauth, o->api->role))
        return;
    int saved = o->page_size;
    o->page_size = 1;
    mds_err rc = build_url(o, mds_time_now() - 30 * 86400 * MDS_TICKS_PER_SEC, 0);
    o->page_size = saved;
    int64_t t0 = mds_mono_ms();
    if (!rc)
        rc = mds_api_get(src, &o->oauth, o->url.data, NULL, &o->resp, accept_page, o, err, sizeof err);
    if (rc)
        mds_check_report(chk, 0, "request to %s%s failed: %s", o->api_root, o->api->path, err);
    else
        mds_check_report(chk, 1, "request to %s%s answered in %lld ms", o->api_root, o->api->path,
                         (long long)(mds_mono_ms() - t0));
}
