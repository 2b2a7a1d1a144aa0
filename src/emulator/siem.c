/*
 * siem.c - the legacy "SIEM REST API" door (spec §1.4-1.10): GET
 * /api/alerts (and /api/alerts/) on a Host starting with
 * "wdatp-alertexporter-", or under --siem-path-prefix (default /siem) so
 * that tests on 127.0.0.1 reach it without a Host header.
 *
 * Answers a bare JSON array of flat detections of the Defender for
 * Endpoint alerts whose LastProcessedTimeUtc (= lastUpdateDateTime) lies
 * in the window: sinceTimeUtc..untilTimeUtc (both inclusive, default the
 * last 2 hours), or `ago` (ISO 8601 duration) back from now; `limit`
 * keeps the most recent detections; `machinegroups` (repeatable),
 * `DeviceCreatedMachineTags` and `CloudCreatedMachineTags` filter by
 * device. Output is ordered by LastProcessedTimeUtc, id, AlertPart.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

#define MDE_SERVICE 1
#define TWO_HOURS (2 * 3600 * MDS_TICKS_PER_SEC)
#define MAX_WINDOW_ALERTS ((size_t)4 * 1000 * 1000)

struct siem_query {
    mds_ticks lo, hi;
    size_t limit; /* 0 = all */
    const char *groups[16];
    int ngroups;
    const char *device_tag, *cloud_tag;
};

/* ISO 8601 duration "P[nD]T[nH][nM][n[.f]S]" (also PnW) into ticks. */
static int parse_duration(const char *s, mds_ticks *out)
{
    mds_ticks total = 0;
    int in_time = 0, any = 0;
    if (*s != 'P' && *s != 'p')
        return -1;
    for (s++; *s;) {
        if (*s == 'T' || *s == 't') {
            in_time = 1;
            s++;
            continue;
        }
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0 || v > 1e7)
            return -1;
        char unit = (char)(*end | 0x20);
        double secs = unit == 'w' && !in_time   ? v * 604800
                      : unit == 'd' && !in_time ? v * 86400
                      : unit == 'h' && in_time  ? v * 3600
                      : unit == 'm' && in_time  ? v * 60
                      : unit == 's' && in_time  ? v
                                                : -1;
        if (secs < 0)
            return -1;
        total += (mds_ticks)(secs * (double)MDS_TICKS_PER_SEC);
        any = 1;
        s = end + 1;
    }
    *out = total;
    return any ? 0 : -1;
}

static int parse_time_param(const char *v, mds_ticks *t)
{
    return mds_time_parse(v, strlen(v), t) == MDS_OK ? 0 : -1;
}

static int bad(char *msg, size_t n, const char *what, const char *value)
{
    snprintf(msg, n, "Invalid value '%.40s' for %s.", value, what);
    return -1;
}

/* Reads the query; on error writes a message and returns nonzero. */
static int siem_query(const struct mds_emu_req *req, mds_ticks newest, struct siem_query *q, char *msg,
                      size_t n)
{
    const struct mds_emu_params *ps = &req->params;
    const char *since = mds_emu_params_get(ps, "sinceTimeUtc"),
               *until = mds_emu_params_get(ps, "untilTimeUtc");
    const char *ago = mds_emu_params_get(ps, "ago"), *limit = mds_emu_params_get(ps, "limit");
    mds_ticks now = req->now > newest ? req->now : newest, span;
    memset(q, 0, sizeof *q);
    q->hi = now;
    q->lo = now - TWO_HOURS;
    if (ago && parse_duration(ago, &span))
        return bad(msg, n, "ago (an ISO 8601 duration such as PT10M)", ago);
    if (ago)
        q->lo = now - span;
    if (!ago && since && parse_time_param(since, &q->lo))
        return bad(msg, n, "sinceTimeUtc", since);
    if (!ago && until && parse_time_param(until, &q->hi))
        return bad(msg, n, "untilTimeUtc", until);
    if (limit && (mds_emu_parse_count(limit, &q->limit) || q->limit == 0))
        return bad(msg, n, "limit (a positive integer)", limit);
    for (int i = 0; i < ps->n; i++)
        if (strcasecmp(ps->p[i].key, "machinegroups") == 0 && q->ngroups < 16)
            q->groups[q->ngroups++] = ps->p[i].value;
    q->device_tag = mds_emu_params_get(ps, "DeviceCreatedMachineTags");
    q->cloud_tag = mds_emu_params_get(ps, "CloudCreatedMachineTags");
    return 0;
}

static int device_matches(const struct siem_query *q, const struct mds_emu_device *d)
{
    int ok = q->ngroups == 0;
    for (int i = 0; i < q->ngroups && !ok; i++)
        ok = strcasecmp(q->groups[i], d->group) == 0;
    if (ok && q->device_tag && strcasecmp(q->device_tag, d->device_tag) != 0)
        ok = 0;
    if (ok && q->cloud_tag) {
        ok = 0;
        for (int i = 0; i < d->ncloud_tags && !ok; i++)
            ok = strcasecmp(q->cloud_tag, d->cloud_tags[i]) == 0;
    }
    return ok;
}

/* Copies the MDE alerts of the window, oldest first, into *out. */
static mds_err window(struct mds_emu *e, const struct siem_query *q, struct mds_emu_alert **out, size_t *n)
{
    struct mds_emu_select s;
    size_t count = 0;
    int more;
    mds_emu_select_init(&s);
    s.upd_lo = q->lo;
    s.upd_hi = q->hi;
    s.service = MDE_SERVICE;
    s.top = 0;
    s.want_count = 1;
    pthread_mutex_lock(&e->lock);
    mds_emu_universe_select(&e->universe, &s, NULL, n, &more, &count);
    mds_err err = count > MAX_WINDOW_ALERTS ? MDS_ERR_LIMIT : MDS_OK;
    *out = err ? NULL : mds_malloc((count ? count : 1) * sizeof **out);
    if (!err && !*out)
        err = MDS_ERR_NOMEM;
    s.top = count;
    s.want_count = 0;
    if (!err)
        mds_emu_universe_select(&e->universe, &s, *out, n, &more, NULL);
    pthread_mutex_unlock(&e->lock);
    return err;
}

/* With a limit, the first alert (and its first part) to render so that
 * exactly the `limit` most recent detections remain. */
static void limit_start(const struct siem_query *q, const struct mds_emu_alert *a, size_t n,
                        struct mds_emu_model *m, size_t *first, int *skip_parts)
{
    size_t have = 0;
    *first = 0;
    *skip_parts = 0;
    for (size_t i = n; i-- > 0;) {
        mds_emu_gen_model(&a[i], m);
        if (!device_matches(q, &m->dev))
            continue;
        have += (size_t)mds_emu_siem_parts(m);
        if (have >= q->limit) {
            *first = i;
            *skip_parts = (int)(have - q->limit);
            return;
        }
    }
}

static void render(struct mds_emu_jw *w, const struct siem_query *q, const struct mds_emu_alert *a, size_t n,
                   struct mds_emu_model *m, int legacy_casing)
{
    size_t first = 0;
    int skip = 0;
    if (q->limit)
        limit_start(q, a, n, m, &first, &skip);
    mds_emu_jw_open(w, NULL, '[');
    for (size_t i = first; i < n && !w->err; i++) {
        mds_emu_gen_model(&a[i], m);
        if (!device_matches(q, &m->dev))
            continue;
        for (int p = i == first ? skip : 0; p < mds_emu_siem_parts(m); p++)
            mds_emu_render_siem(w, m, p, legacy_casing);
    }
    mds_emu_jw_close(w, ']');
}

void mds_emu_siem_alerts(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    struct siem_query q;
    struct mds_emu_alert *alerts = NULL;
    struct mds_emu_model *m = NULL;
    size_t n = 0;
    char msg[200];
    if (mds_emu_auth(req, 0))
        return;
    pthread_mutex_lock(&e->lock);
    mds_ticks newest = e->universe.last_issued;
    pthread_mutex_unlock(&e->lock);
    if (siem_query(req, newest, &q, msg, sizeof msg)) {
        mds_emu_door_error(req, 400, "BadRequest", msg);
        return;
    }
    mds_err err = window(e, &q, &alerts, &n);
    if (!err && !(m = mds_malloc(sizeof *m)))
        err = MDS_ERR_NOMEM;
    if (err) {
        mds_emu_door_error(req, 500, "InternalServerError", mds_strerror(err));
        goto out;
    }
    struct mds_emu_jw w;
    mds_emu_jw_init(&w, &req->out);
    render(&w, &q, alerts, n, m, e->cfg.quirks.legacy_casing);
    req->status = 200;
    if (w.err)
        mds_emu_door_error(req, 500, "InternalServerError", "the response exceeds the emulator's ceiling");
out:
    mds_free(alerts);
    mds_free(m);
}
