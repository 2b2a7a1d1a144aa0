/*
 * mde.c - the Microsoft Defender for Endpoint API door: GET /api/alerts
 * and /api/alerts/{id} (spec §2.3-2.5).
 *
 * Serves the Defender for Endpoint alerts of the universe (serviceSource
 * microsoftDefenderForEndpoint) in the MDE shape. $filter on
 * alertCreationTime / lastUpdateTime (ge gt le lt eq), status, severity,
 * incidentId, assignedTo; $top up to 10,000 (more is a 400); $skip;
 * $orderby; $expand=evidence. No @odata.nextLink, like the real API.
 * With --mde-rate-limit, 100 calls/minute and 1,500/hour per emulator
 * answer 429 with Retry-After beyond that.
 */
#include "emulator/internal.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

#define MDE_CONTEXT "https://api.securitycenter.microsoft.com/api/$metadata#Alerts"
#define SEL(f) offsetof(struct mds_emu_select, f)
#define MDE_SERVICE 1 /* microsoftDefenderForEndpoint */

static const struct mds_emu_prop mde_props[] = {
    {"lastUpdateTime", MDS_EMU_PROP_UPDATED, NULL, 0, NULL},
    {"alertCreationTime", MDS_EMU_PROP_CREATED, NULL, 0, NULL},
    {"status", MDS_EMU_PROP_ENUM, &mds_emu_status, SEL(status), NULL},
    {"severity", MDS_EMU_PROP_ENUM, &mds_emu_severity, SEL(severity), "UnSpecified"},
    {"classification", MDS_EMU_PROP_ENUM, &mds_emu_classification, SEL(classification), NULL},
    {"incidentId", MDS_EMU_PROP_INCIDENT, NULL, 0, NULL},
    {"assignedTo", MDS_EMU_PROP_ASSIGNEE, NULL, 0, NULL},
    {NULL, 0, NULL, 0, NULL},
};

static const struct mds_emu_door_desc mde_door = {
    "Alert", mde_props, "lastUpdateTime", "alertCreationTime", 10000, 10000, 0,
};

/* Sliding-window limiter: 100/minute and 1500/hour. Returns 0 when the
 * call may proceed, else the seconds until it may. */
static double rate_limited(struct mds_emu *e)
{
    struct mds_emu_ratelimit *rl = &e->mde_rate;
    int64_t now = mds_mono_ms();
    double wait = 0;
    pthread_mutex_lock(&e->stats_lock);
    size_t n = rl->count < MDS_EMU_RATE_HOUR ? rl->count : MDS_EMU_RATE_HOUR;
    /* the 100th most recent call must be a minute old, the 1500th an hour */
    if (n >= MDS_EMU_RATE_MINUTE) {
        int64_t t = rl->calls[(rl->count - MDS_EMU_RATE_MINUTE) % MDS_EMU_RATE_HOUR];
        if (now - t < 60000)
            wait = (double)(60000 - (now - t)) / 1000.0;
    }
    if (n >= MDS_EMU_RATE_HOUR) {
        int64_t t = rl->calls[rl->count % MDS_EMU_RATE_HOUR];
        if (now - t < 3600000 && (double)(3600000 - (now - t)) / 1000.0 > wait)
            wait = (double)(3600000 - (now - t)) / 1000.0;
    }
    if (wait == 0)
        rl->calls[rl->count++ % MDS_EMU_RATE_HOUR] = now;
    pthread_mutex_unlock(&e->stats_lock);
    return wait;
}

/* Auth, then the optional rate limit; nonzero when already answered. */
static int admit(struct mds_emu_req *req)
{
    if (mds_emu_auth(req, MDS_EMU_ROLE_MDE))
        return 1;
    double wait = req->emu->cfg.mde_rate_limit ? rate_limited(req->emu) : 0;
    if (wait > 0) {
        char ra[24];
        snprintf(ra, sizeof ra, "%.0f", ceil(wait));
        mds_emu_door_error(req, 429, "TooManyRequests",
                           "Rate limit is exceeded: 100 calls per minute and 1500 calls per hour.");
        mds_emu_header(req, "Retry-After", ra);
        return 1;
    }
    return 0;
}

static int want_evidence(const struct mds_emu_req *req, int *bad)
{
    const char *v = mds_emu_params_get(&req->params, "$expand");
    *bad = v && *v && strcasecmp(v, "evidence") != 0;
    return v && strcasecmp(v, "evidence") == 0;
}

void mds_emu_mde_alerts(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    struct mds_emu_select s;
    struct mds_emu_alert *page = NULL;
    struct mds_emu_model *m = NULL;
    char msg[300];
    size_t n = 0;
    int more, bad;
    if (admit(req))
        return;
    int evidence = want_evidence(req, &bad);
    if (bad || mds_emu_query(req, &mde_door, &s, msg, sizeof msg)) {
        mds_emu_door_error(req, 400, "ODataError", bad ? "Only $expand=evidence is supported." : msg);
        return;
    }
    if (s.service >= 0 && s.service != MDE_SERVICE)
        s.empty = 1;
    s.service = MDE_SERVICE;
    page = mds_malloc((s.top ? s.top : 1) * sizeof *page);
    m = mds_malloc(sizeof *m);
    if (!page || !m) {
        mds_emu_door_error(req, 500, "InternalServerError", "out of memory");
        goto out;
    }
    pthread_mutex_lock(&e->lock);
    mds_emu_universe_select(&e->universe, &s, page, &n, &more, NULL);
    pthread_mutex_unlock(&e->lock);
    struct mds_emu_render r = {e->cfg.tenant, NULL, 1};
    struct mds_emu_jw w;
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_str(&w, "@odata.context", MDE_CONTEXT);
    mds_emu_jw_open(&w, "value", '[');
    for (size_t i = 0; i < n && !w.err; i++) {
        mds_emu_gen_model(&page[i], m);
        mds_emu_render_mde(&w, &r, m, evidence);
    }
    mds_emu_jw_close(&w, ']');
    mds_emu_jw_close(&w, '}');
    req->status = 200;
    if (w.err)
        mds_emu_door_error(req, 500, "InternalServerError", "the response exceeds the emulator's ceiling");
out:
    mds_free(page);
    mds_free(m);
}

void mds_emu_mde_alert(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    struct mds_emu_alert a;
    struct mds_emu_model *m;
    int bad;
    if (admit(req))
        return;
    int evidence = want_evidence(req, &bad);
    pthread_mutex_lock(&e->lock);
    long i = mds_emu_universe_find(&e->universe, req->seg[2]);
    if (i >= 0)
        a = e->universe.alerts[i];
    pthread_mutex_unlock(&e->lock);
    if (i < 0 || a.service != MDE_SERVICE) {
        mds_emu_door_error(req, 404, "NotFound", "Alert was not found");
        return;
    }
    if (!(m = mds_malloc(sizeof *m))) {
        mds_emu_door_error(req, 500, "InternalServerError", "out of memory");
        return;
    }
    struct mds_emu_render r = {e->cfg.tenant, NULL, 1};
    struct mds_emu_jw w;
    mds_emu_gen_model(&a, m);
    mds_emu_jw_init(&w, &req->out);
    mds_emu_render_mde(&w, &r, m, evidence);
    req->status = 200;
    mds_free(m);
}
