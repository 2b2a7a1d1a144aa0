/*
 * graph.c - source "graph": Microsoft Graph security alerts_v2.
 *
 * Cursor on lastUpdateDateTime. Each cycle asks for
 *   $filter=lastUpdateDateTime ge (cursor - overlap)&$orderby=lastUpdateDateTime asc&$top=N
 * and pages by moving the filter to the newest version seen ("keyset"
 * paging) rather than by $skip: an alert updated while we page moves to
 * the end of the order instead of shifting unread alerts into pages we
 * already read, so nothing is skipped. $skip is used only to step over a
 * run of alerts sharing one timestamp that fills a whole page. A page
 * shorter than the server's page size ends the cycle, so a server that
 * clamps $top or omits @odata.nextLink still yields everything.
 * Duplicates from the overlap are dropped by the (id, version) index;
 * versions are compared at full 100-ns precision.
 */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "net/cloud.h"
#include "sources/api.h"
#include "sources/graph.h"

struct graph {
    struct mds_oauth oauth;
    char *secret;
    char token_url[1024];
    char scope[512];
    char resource[512];
    const char *api_url;
    const char *filter;
    int64_t overlap_ms;
    int64_t lookback_ms;
    int page_size;
    struct mds_keyset keyset;
    struct mds_json json;
    struct mds_graph_page page;
    struct mds_buf url;
    struct mds_http_resp resp;
    char err[512];
};

static const struct mds_conf_key graph_keys[] = {
    {"tenant_id", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED, "Entra ID tenant (directory) id"},
    {"client_id", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED, "application (client) id"},
    {"client_secret", MDS_CONF_FORBIDDEN, NULL, 0, 0, NULL, MDS_CONF_SECRET,
     "secrets are never written in the configuration: use client_secret_file or client_secret_env"},
    {"client_secret_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "file holding the client secret (mode 0600)"},
    {"client_secret_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "environment variable holding the client secret"},
    {"cloud", MDS_CONF_ENUM, "commercial", 0, 0, MDS_CLOUD_CHOICES, 0,
     "national cloud: picks the login and Graph hosts"},
    {"auth_url", MDS_CONF_URL, NULL, 0, 0, NULL, 0,
     "full token URL (QRadar's Authorization Server URL); .../oauth2/token means the v1 endpoint"},
    {"scope", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "v2 scope; default <api_url>/.default"},
    {"resource", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "v1 resource; setting it selects the v1 token endpoint (default <api_url> with v1)"},
    {"api_url", MDS_CONF_URL, NULL, 0, 0, NULL, 0, "Graph root, e.g. https://graph.microsoft.com"},
    {"api", MDS_CONF_ENUM, "alerts_v2", 0, 0, "alerts_v2", 0, "which Graph collection to read"},
    {"filter", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "OData filter ANDed into $filter, e.g. serviceSource eq 'microsoftDefenderForEndpoint'"},
    {"overlap", MDS_CONF_DURATION, "5M", 1, 7 * 86400000LL, NULL, 0,
     "each cycle re-reads this far behind the cursor, for alerts that become visible late"},
    {"page_size", MDS_CONF_INT, "1000", 1, 2000, NULL, 0, "$top: alerts per request"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Token endpoint, v1 or v2, from cloud defaults and overrides. */
static mds_err setup_auth(struct mds_source *src, struct graph *g, const struct mds_cloud *cloud, char *err,
                          size_t errlen)
{
    const struct mds_conf_section *sec = src->sec;
    const char *auth = mds_conf_str(sec, "auth_url"), *resource = mds_conf_str(sec, "resource");
    const char *scope = mds_conf_str(sec, "scope");
    int v1 = resource || (auth && ends_with(auth, "/oauth2/token"));
    if (auth)
        snprintf(g->token_url, sizeof g->token_url, "%s", auth);
    else
        snprintf(g->token_url, sizeof g->token_url, "%s/%s/oauth2/%stoken", cloud->login,
                 mds_conf_str(sec, "tenant_id"), v1 ? "" : "v2.0/");
    if (v1 && scope) {
        snprintf(err, errlen, "%s:%d: [source %s]: scope is for the v2 endpoint, but resource or a v1 auth_url "
                 "selects v1", src->conf->path, mds_conf_line(sec, "scope"), src->name);
        return MDS_ERR_CONFIG;
    }
    snprintf(g->resource, sizeof g->resource, "%s", resource ? resource : g->api_url);
    snprintf(g->scope, sizeof g->scope, "%s", scope ? scope : "");
    if (!scope)
        snprintf(g->scope, sizeof g->scope, "%s/.default", g->api_url);
    struct mds_oauth_conf oc = {
        .token_url = g->token_url,
        .client_id = mds_conf_str(sec, "client_id"),
        .client_secret = g->secret,
        .scope = v1 ? NULL : g->scope,
        .resource = v1 ? g->resource : NULL,
    };
    mds_oauth_init(&g->oauth, &oc);
    return MDS_OK;
}

static mds_err graph_create(struct mds_source *src, char *err, size_t errlen)
{
    struct graph *g = mds_calloc(1, sizeof *g);
    if (!g)
        return MDS_ERR_NOMEM;
    src->ctx = g;
    const struct mds_cloud *cloud = mds_cloud_find(mds_conf_str(src->sec, "cloud"));
    const char *api = mds_conf_str(src->sec, "api_url");
    g->api_url = api ? api : cloud->graph;
    g->filter = mds_conf_str(src->sec, "filter");
    g->overlap_ms = mds_conf_ms(src->sec, "overlap");
    g->lookback_ms = mds_conf_ms(src->sec, "initial_lookback");
    g->page_size = (int)mds_conf_int(src->sec, "page_size");
    mds_json_init(&g->json);
    mds_buf_init(&g->url, 64 * 1024);
    mds_http_resp_init(&g->resp, src->http_conf.max_body);
    mds_err rc = mds_conf_secret(src->conf, src->sec, "client_secret", 0, &g->secret, err, errlen);
    if (rc)
        return rc;
    return setup_auth(src, g, cloud, err, errlen);
}

static void graph_destroy(struct mds_source *src)
{
    struct graph *g = src->ctx;
    mds_oauth_finish(&g->oauth);
    mds_conf_secret_free(g->secret);
    mds_json_finish(&g->json);
    mds_graph_page_finish(&g->page);
    mds_buf_finish(&g->url);
    mds_http_resp_finish(&g->resp);
    mds_free(g);
    src->ctx = NULL;
}

static mds_err build_url(struct graph *g, mds_ticks since, size_t skip)
{
    char ts[40], filter[4096];
    mds_time_format(since, 7, ts, sizeof ts);
    int n = g->filter ? snprintf(filter, sizeof filter, "lastUpdateDateTime ge %s and (%s)", ts, g->filter)
                      : snprintf(filter, sizeof filter, "lastUpdateDateTime ge %s", ts);
    if (n < 0 || (size_t)n >= sizeof filter)
        return MDS_ERR_LIMIT;
    mds_buf_reset(&g->url);
    mds_err rc = mds_buf_printf(&g->url, "%s/v1.0/security/alerts_v2?$filter=", g->api_url);
    if (!rc)
        rc = mds_url_encode(&g->url, filter, (size_t)n);
    if (!rc)
        rc = mds_buf_printf(&g->url, "&$orderby=lastUpdateDateTime%%20asc&$top=%d", g->page_size);
    if (!rc && skip)
        rc = mds_buf_printf(&g->url, "&$skip=%zu", skip);
    return rc;
}

static mds_err accept_page(void *arg, struct mds_http_resp *r, char *err, size_t errlen)
{
    struct graph *g = arg;
    return mds_graph_parse_page(&g->json, r->body.data ? r->body.data : "", r->body.len, "lastUpdateDateTime",
                                &g->page, err, errlen);
}

/* Fetches and stores one page. */
static mds_err fetch_page(struct mds_source *src, struct graph *g, mds_ticks since, size_t skip, mds_ticks *cursor,
                          char *err, size_t errlen)
{
    size_t accepted;
    mds_err rc = build_url(g, since, skip);
    if (rc) {
        snprintf(err, errlen, "request URL too long (check filter)");
        return rc;
    }
    rc = mds_api_get(src, &g->oauth, g->url.data, NULL, &g->resp, accept_page, g, err, errlen);
    if (rc)
        return rc;
    if (g->page.unversioned)
        mds_warn(src->tag, "%zu alerts without a valid lastUpdateDateTime: delivered, deduplicated by id only",
                 g->page.unversioned);
    int ordered = g->page.sorted && !g->keyset.unsorted_max;
    if (ordered && g->page.max_version > *cursor)
        *cursor = g->page.max_version;
    return mds_source_commit(src, g->page.items, g->page.n, ordered ? cursor : NULL, &accepted);
}

static mds_err graph_collect(struct mds_source *src, char *err, size_t errlen)
{
    struct graph *g = src->ctx;
    mds_ticks cursor, overlap = g->overlap_ms * MDS_TICKS_PER_MS;
    mds_err rc;
    if (mds_db_cursor(src->db, src->name, &cursor) != MDS_OK)
        cursor = mds_time_now() - g->lookback_ms * MDS_TICKS_PER_MS;
    mds_keyset_start(&g->keyset, cursor, overlap, g->page_size);
    do {
        if ((rc = fetch_page(src, g, g->keyset.since, g->keyset.skip, &cursor, err, errlen)))
            return rc;
        if (!g->page.sorted && !g->keyset.unsorted_max)
            mds_warn(src->tag, "the server ignored $orderby; paging with $skip and moving the cursor "
                               "once the whole window was read");
    } while (mds_keyset_advance(&g->keyset, &g->page));
    if (g->keyset.unsorted_max > cursor) {
        size_t none;
        cursor = g->keyset.unsorted_max;
        if ((rc = mds_source_commit(src, NULL, 0, &cursor, &none)))
            return rc;
    }
    mds_db_prune_seen(src->db, src->name, cursor - 2 * overlap);
    return MDS_OK;
}

const struct mds_source_type mds_source_graph = {
    .name = "graph",
    .help = "Microsoft Graph security API alerts_v2 (Defender XDR alerts with evidence)",
    .kind = MDS_INPUT_GRAPH,
    .keys = graph_keys,
    .create = graph_create,
    .collect = graph_collect,
    .destroy = graph_destroy,
};
