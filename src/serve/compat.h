/*
 * compat.h - compat mode: mdesiem serves the legacy SIEM REST API
 * (Entra v1 token endpoint + GET /api/alerts) from the alerts its Graph or
 * MDE sources collect, so an existing ArcSight or QRadar "SIEM REST API"
 * log source keeps working after Microsoft turns the real one off: only
 * the host name changes.
 *
 * The sources named in [serve] sources get one more route, the internal
 * output "@compat", which renders their records in the `legacy` format
 * (one detection per file/process evidence, as the legacy API did) and
 * stores the detections in the state file, each stamped with the time
 * mdesiem stored it as LastProcessedTimeUtc - the axis sinceTimeUtc and
 * untilTimeUtc select on.
 */
#ifndef MDS_COMPAT_H
#define MDS_COMPAT_H

#include "core/buf.h"
#include "core/config.h"
#include "core/engine.h"

struct mds_compat;

extern const struct mds_conf_key mds_serve_keys[];
extern const struct mds_conf_key mds_client_keys[];
extern const struct mds_output_type mds_output_compat;

#define MDS_COMPAT_OUTPUT "@compat"

/* Validates [serve] and every [client NAME]; reads secrets and TLS files. */
mds_err mds_compat_create(struct mds_conf *conf, struct mds_conf_section *serve, struct mds_compat **out,
                          char *err, size_t errlen);
void mds_compat_destroy(struct mds_compat *c);

/* The names listed in [serve] sources (valid while c lives). */
int mds_compat_feeds(const struct mds_compat *c, const char *source);

/* Starts / stops the HTTP(S) server. */
mds_err mds_compat_start(struct mds_compat *c, const char *state_path, char *err, size_t errlen);
void mds_compat_stop(struct mds_compat *c);

/* Per-client counters in Prometheus text format. */
void mds_compat_metrics(struct mds_compat *c, struct mds_buf *out);

/* Parses an ISO 8601 duration such as PT10M, P1D, PT1H30M (the `ago`
 * parameter) into ticks. */
mds_err mds_iso_duration_parse(const char *s, mds_ticks *out);

#endif
