/* cloud.c - the national-cloud endpoint table. */
#include "net/cloud.h"

#include <stdio.h>
#include <string.h>

static const struct mds_cloud clouds[] = {
    {"commercial", "https://login.microsoftonline.com", "https://graph.microsoft.com",
     "https://api.securitycenter.microsoft.com", "https://wdatp-alertexporter-us.windows.com"},
    {"gcc", "https://login.microsoftonline.com", "https://graph.microsoft.com",
     "https://api-gcc.securitycenter.microsoft.us", "https://wdatp-alertexporter-us.gcc.securitycenter.windows.us"},
    {"gcc-high", "https://login.microsoftonline.us", "https://graph.microsoft.us",
     "https://api-gov.securitycenter.microsoft.us", "https://wdatp-alertexporter-us.securitycenter.windows.us"},
    {"dod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us",
     "https://api-gov.securitycenter.microsoft.us", "https://wdatp-alertexporter-us.securitycenter.windows.us"},
};

const struct mds_cloud *mds_cloud_find(const char *name)
{
    for (size_t i = 0; i < sizeof clouds / sizeof clouds[0]; i++)
        if (strcmp(clouds[i].name, name) == 0)
            return &clouds[i];
    return NULL;
}

const char *mds_cloud_mde_root(const struct mds_cloud *cloud, const char *region, char *buf, size_t size)
{
    if (strcmp(cloud->name, "commercial") != 0 || !region || strcmp(region, "global") == 0)
        return cloud->mde;
    snprintf(buf, size, "https://%s.api.security.microsoft.com", region);
    return buf;
}
