/*
 * mde.c - source "mde": the Microsoft Defender for Endpoint alert API
 * (GET /api/alerts with $expand=evidence), cursor on lastUpdateTime.
 * The service allows 100 calls a minute and 1,500 an hour; the source
 * keeps under both on its own so it never has to be told with a 429.
 * It documents no $orderby, so pages are read with $skip and the cursor
 * moves once a window was read whole (odata.c); $top goes up to 10,000.
 */
#include <stdio.h>
#include <string.h>

#include "net/cloud.h"
#include "sources/odata.h"

static const struct mds_odata_api mde_alerts = {
    .path = "/api/alerts",
    .version_key = "lastUpdateTime",
    .expand = "$expand=evidence",
    .orderby = 0,
    .role = "Alert.Read.All",
};

static const struct mds_conf_key mde_keys[] = {
    {"region", MDS_CONF_ENUM, "global", 0, 0, "global|us|eu|uk|au|swa", 0,
     "geo host of the commercial cloud (<region>.api.security.microsoft.com); ignored for gcc, gcc-high, dod"},
    {"page_size", MDS_CONF_INT, "10000", 1, 10000, NULL, 0, "$top per request"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static mds_err mde_create(struct mds_source *src, char *err, size_t errlen)
{
    char root[256];
    const struct mds_cloud *cloud = mds_cloud_find(mds_conf_str(src->sec, "cloud"));
    struct mds_odata_target t = {
        .api = &mde_alerts,
        .api_root = mds_cloud_mde_root(cloud, mds_conf_str(src->sec, "region"), root, sizeof root),
        .audience = cloud->mde,
        .page_size = (int)mds_conf_int(src->sec, "page_size"),
        .per_minute = 100,
        .per_hour = 1500,
    };
    return mds_odata_create(src, &t, err, errlen);
}

const struct mds_source_type mds_source_mde = {
    .name = "mde",
    .help = "Microsoft Defender for Endpoint alert API (/api/alerts with evidence)",
    .kind = MDS_INPUT_MDE,
    .keys = mde_keys,
    .more_keys = mds_odata_tables,
    .create = mde_create,
    .collect = mds_odata_collect,
    .destroy = mds_odata_destroy,
    .check = mds_odata_check,
};
