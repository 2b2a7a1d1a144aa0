/*
 * graph.c - source "graph": Microsoft Graph security API, alerts_v2
 * (Defender XDR alerts with evidence) or incidents (with their alerts).
 * Paging, cursor and retries: odata.c.
 */
#include <stdio.h>
#include <string.h>

#include "net/cloud.h"
#include "sources/odata.h"

static const struct mds_odata_api alerts_v2 = {
    .path = "/v1.0/security/alerts_v2",
    .version_key = "lastUpdateDateTime",
    .orderby = 1,
    .role = "SecurityAlert.Read.All",
};

static const struct mds_odata_api incidents = {
    .path = "/v1.0/security/incidents",
    .version_key = "lastUpdateDateTime",
    .expand = "$expand=alerts",
    .orderby = 1,
    .role = "SecurityIncident.Read.All",
};

static const struct mds_conf_key graph_keys[] = {
    {"api", MDS_CONF_ENUM, "alerts_v2", 0, 0, "alerts_v2|incidents", 0,
     "collection to read (QRadar's API parameter): alerts_v2, or incidents with their alerts"},
    {"page_size", MDS_CONF_INT, NULL, 1, 2000, NULL, 0,
     "$top per request: default 200 for alerts_v2 (a page of alerts with evidence is about 6 kB an alert, "
     "held in memory while it is stored), 50 for incidents (the service's maximum)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static mds_err graph_create(struct mds_source *src, char *err, size_t errlen)
{
    const struct mds_cloud *cloud = mds_cloud_find(mds_conf_str(src->sec, "cloud"));
    int is_incidents = strcmp(mds_conf_str(src->sec, "api"), "incidents") == 0;
    const char *size = mds_conf_str(src->sec, "page_size");
    struct mds_odata_target t = {
        .api = is_incidents ? &incidents : &alerts_v2,
        .api_root = cloud->graph,
        .audience = cloud->graph,
        .page_size = size ? (int)mds_conf_int(src->sec, "page_size") : is_incidents ? 50 : 200,
    };
    if (is_incidents && t.page_size > 50) {
        snprintf(err, errlen, "%s:%d: [source %s]: page_size for incidents is at most 50", src->conf->path,
                 mds_conf_line(src->sec, "page_size"), src->name);
        return MDS_ERR_CONFIG;
    }
    return mds_odata_create(src, &t, err, errlen);
}

const struct mds_source_type mds_source_graph = {
    .name = "graph",
    .help = "Microsoft Graph security API: alerts_v2 (Defender XDR alerts with evidence) or incidents",
    .kind = MDS_INPUT_GRAPH,
    .keys = graph_keys,
    .more_keys = mds_odata_tables,
    .create = graph_create,
    .collect = mds_odata_collect,
    .destroy = mds_odata_destroy,
    .check = mds_odata_check,
};
