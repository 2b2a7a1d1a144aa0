/*
 * cloud.h - per-cloud endpoints (spec §1.2, §2.1, §3.3).
 *
 * `cloud = commercial | gcc | gcc-high | dod` picks the login authority
 * and the API roots; any of them can be overridden per source.
 */
#ifndef MDS_CLOUD_H
#define MDS_CLOUD_H

struct mds_cloud {
    const char *name;
    const char *login;     /* authority, no trailing slash */
    const char *graph;     /* Graph root */
    const char *mde;       /* MDE API root */
    const char *siem;      /* legacy SIEM API host for the US region */
};

/* NULL when unknown. */
const struct mds_cloud *mds_cloud_find(const char *name);

/* MDE API root: the cloud's, or the commercial geo host of `region`
 * (us, eu, uk, au, swa; "global" = the cloud's). May write into buf. */
#include <stddef.h>
const char *mds_cloud_mde_root(const struct mds_cloud *cloud, const char *region, char *buf, size_t size);

#define MDS_CLOUD_CHOICES "commercial|gcc|gcc-high|dod"

#endif
