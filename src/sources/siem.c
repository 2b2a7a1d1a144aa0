/*
 * siem.c - source "siem": the legacy Defender for Endpoint SIEM REST API
 * (GET https://wdatp-alertexporter-<region>.windows.com/api/alerts), one
 * stream and one cursor per region, as QRadar's Region list.
 *
 * The API has no paging: it returns every detection whose
 * LastProcessedTimeUtc falls in [sinceTimeUtc, untilTimeUtc]. Each cycle
 * walks from (cursor - overlap) to now in windows of `window`; a window
 * whose answer exceeds max_response_bytes is halved and asked again, so a
 * burst never stalls or truncates the stream. The cursor moves to the end
 * of each window once its detections are stored. Detections are keyed by
 * FullId (AlertId:IocUniqueId) and versioned by LastProcessedTimeUtc;
 * member names are matched case-insensitively (IpAddress/IPAddress...).
 * Tokens: Entra v1 with `resource`, by client credentials or by a portal
 * refresh token that is rotated in place.
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

#define MAX_REGIONS 16
#define MIN_WINDOW_MS 60000

struct siem {
    struct mds_oauth oauth;
    char *secret;
    char token_url[1024];
    char *regions[MAX_REGIONS];
    int nregions;
    char region_storage[1024];
    char url_template[512];   /* with {region} */
    char cursor_key[256];
    const char *machine_groups, *device_tags, *cloud_tags;
    int64_t overlap_ms, lookback_ms, window_ms;
    struct mds_json json;
    struct mds_graph_page page;
    struct mds_buf url;
    struct mds_http_resp resp;
};

static const struct mds_conf_key siem_keys[] = {
    {"refresh_token_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "portal-generated refresh token (\"Generate tokens\"); rotated tokens are written back; warns 14 days "
     "before the 90-day limit"},
    {"resource", MDS_CONF_STRING, "https://graph.windows.net", 0, 0, NULL, 0, "v1 token resource"},
    {"regions", MDS_CONF_LIST, "us", 0, 0, NULL, 0, "built-in regions to read, each its own stream: eu, us, uk"},
    {"other_regions", MDS_CONF_LIST, NULL, 0, 0, NULL, 0,
     "further region names, comma-separated (wdatp-alertexporter-<name>.windows.com)"},
    {"api_url", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "API root overriding the host, with {region} replaced by each region's name"},
    {"machine_groups", MDS_CONF_LIST, NULL, 0, 0, NULL, 0, "only these device groups (machinegroups=)"},
    {"device_tags", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "only devices with this registry tag"},
    {"cloud_tags", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "only devices with this portal tag"},
    {"overlap", MDS_CONF_DURATION, "5M", 1, 7 * 86400000LL, NULL, 0, "re-read this far behind the cursor"},
    {"window", MDS_CONF_DURATION, "1H", MIN_WINDOW_MS, 7 * 86400000LL, NULL, 0,
     "largest time window asked for at once (halved automatically when an answer is too large)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static const struct mds_conf_key *const siem_tables[] = {mds_entra_keys, NULL};

static mds_err setup_regions(struct mds_source *src, struct siem *s, const struct mds_cloud *cloud, char *err,
                             size_t errlen)
{
    const char *api = mds_conf_str(src->sec, "api_url");
    const char *regions = mds_conf_str(src->sec, "regions"), *other = mds_conf_str(src->sec, "other_regions");
    char list[1024];
    int gov = strcmp(cloud->name, "commercial") != 0;
    snprintf(list, sizeof list, "%s%s%s", gov && !api ? "us" : regions, other && !(gov && !api) ? "," : "",
             other && !(gov && !api) ? other : "");
    s->nregions = mds_conf_split_list(list, s->region_storage, sizeof s->region_storage, s->regions, MAX_REGIONS);
    if (s->nregions <= 0) {
        snprintf(err, errlen, "%s:%d: [source %s]: regions must name between 1 and %d regions", src->conf->path,
                 mds_conf_line(src->sec, "regions"), src->name, MAX_REGIONS);
        return MDS_ERR_CONFIG;
    }
    if (api)
        snprintf(s->url_template, sizeof s->url_template, "%s", api);
    else if (gov)
        snprintf(s->url_template, sizeof s->url_template, "%s", cloud->siem);
    else
        snprintf(s->url_template, sizeof s->url_template, "https://wdatp-alertexporter-{region}.windows.com");
    return MDS_OK;
}

static void warn_refresh_expiry(struct mds_source *src, const char *path)
{
    int days = mds_oauth_refresh_days_left(path);
    if (days >= 0 && days <= 14)
        mds_warn(src->tag, "the refresh token in %s reaches Microsoft's 90-day limit in %d days: generate a new "
                           "one in the Defender portal (Settings > SIEM > Generate tokens)", path, days);
}

static mds_err siem_create(struct mds_source *src, char *err, size_t errlen)
{
    struct siem *s = mds_calloc(1, sizeof *s);
    if (!s)
        return MDS_ERR_NOMEM;
    src->ctx = s;
    const struct mds_cloud *cloud = mds_cloud_find(mds_conf_str(src->sec, "cloud"));
    const char *refresh = mds_conf_str(src->sec, "refresh_token_file"), *auth = mds_conf_str(src->sec, "auth_url");
    s->machine_groups = mds_conf_str(src->sec, "machine_groups");
    s->device_tags = mds_conf_str(src->sec, "device_tags");
    s->cloud_tags = mds_conf_str(src->sec, "cloud_tags");
    s->overlap_ms = mds_conf_ms(src->sec, "overlap");
    s->lookback_ms = mds_conf_ms(src->sec, "initial_lookback");
    s->window_ms = mds_conf_ms(src->sec, "window");
    mds_json_init(&s->json);
    mds_buf_init(&s->url, 64 * 1024);
    mds_http_resp_init(&s->resp, src->http_conf.max_body);
    mds_err rc = mds_conf_secret(src->conf, src->sec, "client_secret", refresh != NULL, &s->secret, err, errlen);
    if (rc || (rc = setup_regions(src, s, cloud, err, errlen)))
        return rc;
    if (auth)
        snprintf(s->token_url, sizeof s->token_url, "%s", auth);
    else
        snprintf(s->token_url, sizeof s->token_url, "%s/%s/oauth2/token", cloud->login,
                 mds_conf_str(src->sec, "tenant_id"));
    struct mds_oauth_conf oc = {
        .token_url = s->token_url,
        .client_id = mds_conf_str(src->sec, "client_id"),
        .client_secret = s->secret,
        .resource = mds_conf_str(src->sec, "resource"),
        .refresh_token_file = refresh,
    };
    mds_oauth_init(&s->oauth, &oc);
    if (refresh)
        warn_refresh_expiry(src, refresh);
    return MDS_OK;
}

static void siem_destroy(struct mds_source *src)
{
    struct siem *s = src->ctx;
    mds_oauth_finish(&s->oauth);
    mds_conf_secret_free(s->secret);
    mds_json_finish(&s->json);
    mds_graph_page_finish(&s->page);
    mds_buf_finish(&s->url);
    mds_http_resp_finish(&s->resp);
    mds_free(s);
    src->ctx = NULL;
}

/* Appends &name=value for each comma-separated value. */
static mds_err add_params(struct mds_buf *url, const char *name, const char *values)
{
    char storage[1024], *list[64];
    int n = mds_conf_split_list(values, storage, sizeof storage, list, 64);
    mds_err rc = MDS_OK;
    for (int i = 0; i < n && !rc; i++) {
        rc = mds_buf_printf(url, "&%s=", name);
        if (!rc)
            rc = mds_url_encode(url, list[i], strlen(list[i]));
    }
    return rc;
}

static mds_err build_url(struct siem *s, const char *region, mds_ticks since, mds_ticks until)
{
    char a[40], b[40];
    const char *mark = strstr(s->url_template, "{region}");
    mds_time_format(since, 7, a, sizeof a);
    mds_time_format(until, 7, b, sizeof b);
    mds_buf_reset(&s->url);
    mds_err rc = mark ? mds_buf_printf(&s->url, "%.*s%s%s", (int)(mark - s->url_template), s->url_template, region,
                                       mark + strlen("{region}"))
                      : mds_buf_puts(&s->url, s->url_template);
    if (!rc)
        rc = mds_buf_printf(&s->url, "/api/alerts?sinceTimeUtc=%s&untilTimeUtc=%s", a, b);
    if (!rc && s->machine_groups)
        rc = add_params(&s->url, "machinegroups", s->machine_groups);
    if (!rc && s->device_tags)
        rc = add_params(&s->url, "DeviceCreatedMachineTags", s->device_tags);
    if (!rc && s->cloud_tags)
        rc = add_params(&s->url, "CloudCreatedMachineTags", s->cloud_tags);
    return rc;
}

static mds_err accept_array(void *arg, struct mds_http_resp *r, char *err, size_t errlen)
{
    struct siem *s = arg;
    return mds_siem_parse_array(&s->json, r->body.data ? r->body.data : "", r->body.len, &s->page, err, errlen);
}

/* Fetches [since, until] of one region; halves the window on overflow. */
static mds_err fetch_window(struct mds_source *src, struct siem *s, const char *region, mds_ticks since,
                            mds_ticks *until, char *err, size_t errlen)
{
    for (;;) {
        mds_err rc = build_url(s, region, since, *until);
        if (!rc)
            rc = mds_api_get(src, &s->oauth, s->url.data, NULL, &s->resp, accept_array, s, err, errlen);
        if (rc != MDS_ERR_LIMIT || *until - since <= MIN_WINDOW_MS * MDS_TICKS_PER_MS)
            return rc;
        *until = since + (*until - since) / 2;
        mds_info(src->tag, "region %s: answer too large, asking for a shorter window", region);
    }
}

static mds_err collect_region(struct mds_source *src, struct siem *s, const char *region, size_t *held, char *err,
                              size_t errlen)
{
    mds_ticks cursor, now = mds_time_now(), window = s->window_ms * MDS_TICKS_PER_MS;
    size_t accepted;
    snprintf(s->cursor_key, sizeof s->cursor_key, "%s@%s", src->name, region);
    src->cursor_key = s->cursor_key;
    if (mds_db_cursor(src->db, s->cursor_key, &cursor) != MDS_OK)
        cursor = now - s->lookback_ms * MDS_TICKS_PER_MS;
    mds_ticks since = cursor - s->overlap_ms * MDS_TICKS_PER_MS;
    while (since < now) {
        mds_ticks until = since + window < now ? since + window : now;
        /* one answer is held at a time, inside the engine's page budget
         * (see fetch_page_in_budget in odata.c) */
        mds_err rc = mds_source_page_begin(src);
        if (rc)
            return rc;
        rc = fetch_window(src, s, region, since, &until, err, errlen);
        /* A local clock ahead of the service's must not move the cursor
         * past what the service has processed: cap it at its Date. */
        mds_ticks cursor_to = s->resp.date && s->resp.date < until ? s->resp.date : until;
        if (!rc)
            rc = mds_source_commit(src, s->page.items, s->page.n, &cursor_to, &accepted);
        *held += mds_page_done(src, &s->resp.body, &s->page);
        if (rc)
            return rc;
        since = until;
    }
    mds_db_prune_seen(src->db, src->name, now - 2 * s->overlap_ms * MDS_TICKS_PER_MS - 7 * 86400 * MDS_TICKS_PER_SEC);
    return MDS_OK;
}

static mds_err siem_collect(struct mds_source *src, char *err, size_t errlen)
{
    struct siem *s = src->ctx;
    mds_err first = MDS_OK;
    size_t held = 0;
    for (int i = 0; i < s->nregions && !mds_shutdown_requested(); i++) {
        char rerr[512] = "";
        mds_err rc = collect_region(src, s, s->regions[i], &held, rerr, sizeof rerr);
        if (rc && !first) {
            first = rc;
            snprintf(err, errlen, "region %s: %s", s->regions[i], rerr);
        } else if (rc) {
            mds_error(src->tag, "region %s: %s", s->regions[i], rerr);
        }
    }
    src->cursor_key = NULL;
    /* no answer is held between windows or cycles (see mds_odata_collect) */
    if (held >= MDS_MEM_TRIM_AT)
        mds_mem_trim();
    return mds_shutdown_requested() ? MDS_ERR_STOPPED : first;
}

static void siem_check(struct mds_source *src, struct mds_check *chk)
{
    struct siem *s = src->ctx;
    char err[512] = "";
    int reach = mds_check_reach(chk, src, s->token_url);
    for (int i = 0; i < s->nregions; i++) {
        if (build_url(s, s->regions[i], 0, 0) == MDS_OK)
            reach &= mds_check_reach(chk, src, s->url.data);
    }
    if (!reach || !mds_check_token(chk, src, &s->oauth, NULL))
        return;
    for (int i = 0; i < s->nregions; i++) {
        mds_ticks now = mds_time_now();
        mds_err rc = build_url(s, s->regions[i], now - 60 * MDS_TICKS_PER_SEC, now);
        if (!rc)
            rc = mds_api_get(src, &s->oauth, s->url.data, NULL, &s->resp, accept_array, s, err, sizeof err);
        mds_check_report(chk, rc == MDS_OK, "region %s: request %s%s", s->regions[i], rc ? "failed: " : "answered",
                         rc ? err : "");
    }
}

const struct mds_source_type mds_source_siem = {
    .name = "siem",
    .help = "legacy Defender for Endpoint SIEM REST API (detections per region; being retired by Microsoft)",
    .kind = MDS_INPUT_SIEM,
    .keys = siem_keys,
    .more_keys = siem_tables,
    .create = siem_create,
    .collect = siem_collect,
    .destroy = siem_destroy,
    .check = siem_check,
};
