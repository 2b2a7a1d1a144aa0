/*
 * admin.c - the emulator's own control endpoints (no auth, never
 * faulted), used by tests to move the universe and to check what a
 * connector delivered:
 *
 *   POST /_emulator/create?count=N   N new alerts stamped "now"
 *   POST /_emulator/update?count=N   N distinct alerts change state
 *   GET  /_emulator/state            counts of alerts, versions, requests
 *   GET  /_emulator/versions         every (id, lastUpdateDateTime) ever
 */
#include "emulator/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_BATCH ((size_t)1000 * 1000)

static void admin_json(struct mds_emu_req *req, unsigned status, const char *key, int64_t value)
{
    struct mds_emu_jw w;
    req->status = status;
    req->content_type = "application/json";
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_int(&w, key, value);
    mds_emu_jw_close(&w, '}');
}

/* ?count=N in [1, MAX_BATCH], default 1; nonzero (and answered) if bad. */
static int batch_count(struct mds_emu_req *req, size_t *count)
{
    const char *v = mds_emu_params_get(&req->params, "count");
    size_t n = 0, i = 0;
    if (!v) {
        *count = 1;
        return 0;
    }
    for (; v[i] >= '0' && v[i] <= '9' && i < 8; i++)
        n = n * 10 + (size_t)(v[i] - '0');
    if (i == 0 || v[i] || n == 0 || n > MAX_BATCH) {
        mds_emu_graph_error(req, 400, "BadRequest", "count must be an integer from 1 to 1000000");
        return 1;
    }
    *count = n;
    return 0;
}

void mds_emu_admin_create(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    size_t n;
    if (batch_count(req, &n))
        return;
    pthread_mutex_lock(&e->lock);
    mds_err err = mds_emu_universe_create(&e->universe, n, mds_emu_now(e));
    pthread_mutex_unlock(&e->lock);
    if (err)
        mds_emu_graph_error(req, 507, "quotaLimitReached", mds_strerror(err));
    else
        admin_json(req, 200, "created", (int64_t)n);
}

void mds_emu_admin_update(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    size_t n, done = 0;
    if (batch_count(req, &n))
        return;
    pthread_mutex_lock(&e->lock);
    mds_err err = mds_emu_universe_update(&e->universe, n, mds_emu_now(e), &done);
    pthread_mutex_unlock(&e->lock);
    if (err)
        mds_emu_graph_error(req, 507, "quotaLimitReached", mds_strerror(err));
    else
        admin_json(req, 200, "updated", (int64_t)done);
}

static void stats_object(struct mds_emu_jw *w, const struct mds_emu_stats *st)
{
    char key[8];
    mds_emu_jw_open(w, "requests", '{');
    for (unsigned s = 0; s < 600; s++) {
        if (!st->by_status[s])
            continue;
        snprintf(key, sizeof key, "%u", s);
        mds_emu_jw_int(w, key, (int64_t)st->by_status[s]);
    }
    mds_emu_jw_close(w, '}');
    mds_emu_jw_open(w, "faults", '{');
    for (int k = 0; k < MDS_EMU_FAULT_COUNT; k++)
        mds_emu_jw_int(w, mds_emu_fault_name(k), (int64_t)st->faults[k]);
    mds_emu_jw_close(w, '}');
}

void mds_emu_admin_state(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    struct mds_emu_stats st;
    struct mds_emu_jw w;
    pthread_mutex_lock(&e->lock);
    size_t alerts = e->universe.n, versions = e->universe.nversions;
    pthread_mutex_unlock(&e->lock);
    pthread_mutex_lock(&e->stats_lock);
    st = e->stats;
    pthread_mutex_unlock(&e->stats_lock);
    req->status = 200;
    req->content_type = "application/json";
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_int(&w, "alerts", (int64_t)alerts);
    mds_emu_jw_int(&w, "versions", (int64_t)versions);
    stats_object(&w, &st);
    mds_emu_jw_int(&w, "seed", (int64_t)e->cfg.seed);
    mds_emu_jw_close(&w, '}');
}

void mds_emu_admin_versions(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    const struct mds_emu_universe *u = &e->universe;
    char ts[40];
    mds_err err = MDS_OK;
    pthread_mutex_lock(&e->lock);
    err = mds_buf_reserve(&req->out, u->nversions * 60);
    for (size_t i = 0; i < u->nversions && !err; i++) {
        mds_time_format(u->versions[i].updated, 7, ts, sizeof ts);
        err = mds_buf_printf(&req->out, "%s\t%s\n", u->alerts[u->versions[i].alert].id, ts);
    }
    pthread_mutex_unlock(&e->lock);
    req->status = 200;
    req->content_type = "text/plain; charset=utf-8";
    if (err)
        mds_emu_graph_error(req, 500, "generalException", mds_strerror(err));
}
