/*
 * engine_internal.h - the engine's own state, shared by engine.c (setup)
 * and engine_run.c (threads). Not for sources or outputs.
 */
#ifndef MDS_ENGINE_INTERNAL_H
#define MDS_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/budget.h"
#include "core/engine.h"
#include "core/lifecycle.h"

struct mds_engine {
    struct mds_conf *conf;
    struct mds_engine_opts opts;
    struct mds_conf_section *service;
    const char *state_path;
    int64_t retry_initial_ms, retry_max_ms;
    int retry_limit;
    size_t batch_size;
    struct mds_budget pages;  /* [service] concurrent_pages */

    struct mds_source **sources;
    size_t nsources;
    struct mds_output **outputs;
    size_t noutputs;

    pthread_mutex_t mu;
    pthread_cond_t wake;      /* signalled when records were committed */
    uint64_t generation;      /* bumped with every commit, under mu */
    atomic_int sources_running;
    int64_t started_ms;       /* wall clock when run started */
    struct mds_httpd *metrics;
    struct mds_compat *compat; /* [serve]: the legacy SIEM API, or NULL */
};

/* /metrics and /healthz on [service] metrics_listen (serve/metrics.c). */
mds_err mds_metrics_start(struct mds_engine *e, const char *listen, char *err, size_t errlen);
void mds_metrics_stop(struct mds_engine *e);

#endif
