/*
 * graph.c - the Microsoft Graph door: GET /v1.0/security/alerts_v2 and
 * /alerts_v2/{id} (spec §3.4-3.5).
 *
 * Query options: $filter (see filter.c; lastUpdateDateTime and
 * createdDateTime with ge/gt/le/lt/eq, enum properties and assignedTo with
 * eq), $top (default 100, clamped to 2000), $skip, $orderby on either
 * timestamp asc|desc (ties broken by id), $count. More results are
 * announced with @odata.nextLink: the client's own query with $skip
 * advanced, on the Host it called.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

#define GRAPH_TOP_DEFAULT 100
#define GRAPH_TOP_MAX 2000
#define ALERTS_CONTEXT "https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2"

/* Parses a non-negative decimal of at most 9 digits. */
static int parse_count(const char *s, size_t *out)
{
    size_t v = 0, n = 0;
    for (; s[n] >= '0' && s[n] <= '9' && n < 10; n++)
        v = v * 10 + (size_t)(s[n] - '0');
    if (n == 0 || n > 9 || s[n])
        return -1;
    *out = v;
    return 0;
}

/* Narrows [lo, hi] (inclusive ticks) by one comparison. */
static int narrow(const struct mds_emu_clause *c, mds_ticks *lo, mds_ticks *hi)
{
    mds_ticks t = c->time;
    switch (c->op) {
    case MDS_EMU_OP_EQ:
        *lo = t > *lo ? t : *lo;
        *hi = t < *hi ? t : *hi;
        return 0;
    case MDS_EMU_OP_GE:
        *lo = t > *lo ? t : *lo;
        return 0;
    case MDS_EMU_OP_GT:
        *lo = t + 1 > *lo ? t + 1 : *lo;
        return 0;
    case MDS_EMU_OP_LE:
        *hi = t < *hi ? t : *hi;
        return 0;
    case MDS_EMU_OP_LT:
        *hi = t - 1 < *hi ? t - 1 : *hi;
        return 0;
    default:
        return -1;
    }
}

/* An `eq 'member'` clause on an enum property. */
static int enum_clause(const struct mds_emu_clause *c, const struct mds_emu_enum *e, int *field,
                       struct mds_emu_select *s, char *msg, size_t n)
{
    int v = c->kind == MDS_EMU_VAL_STRING ? mds_emu_enum_find(e, c->str) : -1;
    if (c->op != MDS_EMU_OP_EQ || c->kind != MDS_EMU_VAL_STRING) {
        snprintf(msg, n, "Invalid filter clause: only '%s eq '<value>'' is supported.", c->prop);
        return -1;
    }
    if (v < 0) {
        snprintf(msg, n, "Invalid filter clause: the string '%s' is not a valid enumeration type constant for '%s'.",
                 c->str, c->prop);
        return -1;
    }
    if (*field >= 0 && *field != v)
        s->empty = 1;
    *field = v;
    return 0;
}

static int assignee_clause(const struct mds_emu_clause *c, struct mds_emu_select *s, char *msg, size_t n)
{
    if (c->op != MDS_EMU_OP_EQ || (c->kind != MDS_EMU_VAL_STRING && c->kind != MDS_EMU_VAL_NULL)) {
        snprintf(msg, n, "Invalid filter clause: only 'assignedTo eq '<value>'' or 'eq null' is supported.");
        return -1;
    }
    int v = c->kind == MDS_EMU_VAL_NULL ? 0 : -1;
    for (size_t i = 1; v < 0 && i < mds_emu_analyst_count; i++)
        if (strcasecmp(mds_emu_analysts[i], c->str) == 0)
            v = (int)i;
    if (v < 0 || (s->assignee >= 0 && s->assignee != v))
        s->empty = 1;
    s->assignee = v < 0 ? 0 : v;
    return 0;
}

static int time_clause(const struct mds_emu_clause *c, mds_ticks *lo, mds_ticks *hi, char *msg, size_t n)
{
    if (c->kind != MDS_EMU_VAL_TIME || narrow(c, lo, hi)) {
        snprintf(msg, n, "Invalid filter clause: '%s' must be compared with ge, gt, le, lt or eq to an unquoted "
                 "DateTimeOffset literal such as 2024-01-01T00:00:00Z.", c->prop);
        return -1;
    }
    return 0;
}

static int apply_filter(const char *text, struct mds_emu_select *s, char *msg, size_t n)
{
    struct mds_emu_filter f;
    if (mds_emu_filter_parse(text, strlen(text), &f)) {
        snprintf(msg, n, "%s", f.err);
        return -1;
    }
    for (int i = 0; i < f.n; i++) {
        const struct mds_emu_clause *c = &f.c[i];
        int bad;
        if (strcasecmp(c->prop, "lastUpdateDateTime") == 0)
            bad = time_clause(c, &s->upd_lo, &s->upd_hi, msg, n);
        else if (strcasecmp(c->prop, "createdDateTime") == 0)
            bad = time_clause(c, &s->cre_lo, &s->cre_hi, msg, n);
        else if (strcasecmp(c->prop, "status") == 0)
            bad = enum_clause(c, &mds_emu_status, &s->status, s, msg, n);
        else if (strcasecmp(c->prop, "severity") == 0)
            bad = enum_clause(c, &mds_emu_severity, &s->severity, s, msg, n);
        else if (strcasecmp(c->prop, "serviceSource") == 0)
            bad = enum_clause(c, &mds_emu_service_source, &s->service, s, msg, n);
        else if (strcasecmp(c->prop, "classification") == 0)
            bad = enum_clause(c, &mds_emu_classification, &s->classification, s, msg, n);
        else if (strcasecmp(c->prop, "determination") == 0)
            bad = enum_clause(c, &mds_emu_determination, &s->determination, s, msg, n);
        else if (strcasecmp(c->prop, "assignedTo") == 0)
            bad = assignee_clause(c, s, msg, n);
        else {
            snprintf(msg, n, "Invalid filter clause: Could not find a property named '%s' on type "
                     "'microsoft.graph.security.alert'.", c->prop);
            bad = 1;
        }
        if (bad)
            return -1;
    }
    return 0;
}

static int apply_orderby(const char *text, struct mds_emu_select *s, char *msg, size_t n)
{
    char prop[48] = "", dir[8] = "asc", extra[2] = "";
    int k = sscanf(text, " %47s %7s %1s", prop, dir, extra);
    if (k >= 1 && k <= 2 && strcasecmp(prop, "lastUpdateDateTime") == 0)
        s->order = MDS_EMU_ORDER_UPDATED;
    else if (k >= 1 && k <= 2 && strcasecmp(prop, "createdDateTime") == 0)
        s->order = MDS_EMU_ORDER_CREATED;
    else
        k = 0;
    if (k && (strcasecmp(dir, "asc") == 0 || strcasecmp(dir, "desc") == 0)) {
        s->desc = strcasecmp(dir, "desc") == 0;
        return 0;
    }
    snprintf(msg, n, "Invalid $orderby '%.64s': use lastUpdateDateTime or createdDateTime, asc or desc.", text);
    return -1;
}

/* Reads the query options into s; on error writes a message. */
static int graph_query(const struct mds_emu_req *req, struct mds_emu_select *s, char *msg, size_t n)
{
    const struct mds_emu_params *ps = &req->params;
    const char *v;
    size_t top = GRAPH_TOP_DEFAULT;
    if ((v = mds_emu_params_get(ps, "$top")) && parse_count(v, &top)) {
        snprintf(msg, n, "Invalid value '%.32s' for query option $top: expected a non-negative integer.", v);
        return -1;
    }
    s->top = top > GRAPH_TOP_MAX ? GRAPH_TOP_MAX : top;
    if (req->emu->cfg.quirks.top_clamp && s->top > req->emu->cfg.quirks.top_clamp)
        s->top = req->emu->cfg.quirks.top_clamp;
    if ((v = mds_emu_params_get(ps, "$skip")) && parse_count(v, &s->skip)) {
        snprintf(msg, n, "Invalid value '%.32s' for query option $skip: expected a non-negative integer.", v);
        return -1;
    }
    if ((v = mds_emu_params_get(ps, "$count"))) {
        if (strcasecmp(v, "true") != 0 && strcasecmp(v, "false") != 0) {
            snprintf(msg, n, "Invalid value '%.32s' for query option $count: expected true or false.", v);
            return -1;
        }
        s->want_count = strcasecmp(v, "true") == 0;
    }
    if ((v = mds_emu_params_get(ps, "$orderby")) && apply_orderby(v, s, msg, n))
        return -1;
    if ((v = mds_emu_params_get(ps, "$filter")) && apply_filter(v, s, msg, n))
        return -1;
    return 0;
}

static void next_link(struct mds_emu_jw *w, const struct mds_emu_req *req, size_t skip)
{
    struct mds_buf link;
    char num[24];
    mds_buf_init(&link, 64 * 1024);
    snprintf(num, sizeof num, "%zu", skip);
    mds_err err = mds_buf_printf(&link, "http://%s/v1.0/security/alerts_v2?",
                                 req->host ? req->host : "127.0.0.1");
    if (!err)
        err = mds_emu_params_rebuild(&req->params, "$skip", num, &link);
    if (err)
        w->err = err;
    else
        mds_emu_jw_strn(w, "@odata.nextLink", link.data, link.len);
    mds_buf_finish(&link);
}

static int include_unknown(const struct mds_emu_req *req)
{
    const char *p = mds_emu_request_header(req, "Prefer");
    return p && strcasestr(p, "include-unknown-enum-members") != NULL;
}

/* Renders alerts[0..n) as the "value" array. */
static void render_list(struct mds_emu_jw *w, const struct mds_emu_req *req, const struct mds_emu_alert *alerts,
                        size_t n, struct mds_emu_model *m)
{
    struct mds_emu_render r = {req->emu->cfg.tenant, NULL, include_unknown(req)};
    mds_emu_jw_open(w, "value", '[');
    for (size_t i = 0; i < n && !w->err; i++) {
        mds_emu_gen_model(&alerts[i], m);
        mds_emu_render_graph(w, &r, m);
    }
    mds_emu_jw_close(w, ']');
}

void mds_emu_graph_alerts(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    struct mds_emu_select s;
    struct mds_emu_alert *page = NULL;
    struct mds_emu_model *m = NULL;
    char msg[300];
    size_t n = 0, count = 0;
    int more = 0;
    if (mds_emu_auth(req, MDS_EMU_ROLE_ALERT))
        return;
    mds_emu_select_init(&s);
    if (graph_query(req, &s, msg, sizeof msg)) {
        mds_emu_graph_error(req, 400, "BadRequest", msg);
        return;
    }
    page = mds_malloc((s.top ? s.top : 1) * sizeof *page);
    m = mds_malloc(sizeof *m);
    if (!page || !m) {
        mds_emu_graph_error(req, 500, "generalException", "out of memory");
        goto out;
    }
    pthread_mutex_lock(&e->lock);
    mds_emu_universe_select(&e->universe, &s, page, &n, &more, &count);
    pthread_mutex_unlock(&e->lock);
    struct mds_emu_jw w;
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_str(&w, "@odata.context", ALERTS_CONTEXT);
    if (s.want_count)
        mds_emu_jw_int(&w, "@odata.count", (int64_t)count);
    if (more && n > 0 && !e->cfg.quirks.no_next_link)
        next_link(&w, req, s.skip + n);
    render_list(&w, req, page, n, m);
    mds_emu_jw_close(&w, '}');
    req->status = 200;
    if (w.err)
        mds_emu_graph_error(req, 500, "generalException", "the response exceeds the emulator's ceiling");
out:
    mds_free(page);
    mds_free(m);
}

void mds_emu_graph_alert(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    struct mds_emu_alert a;
    struct mds_emu_model *m;
    char msg[200];
    if (mds_emu_auth(req, MDS_EMU_ROLE_ALERT))
        return;
    pthread_mutex_lock(&e->lock);
    long i = mds_emu_universe_find(&e->universe, req->seg[3]);
    if (i >= 0)
        a = e->universe.alerts[i];
    pthread_mutex_unlock(&e->lock);
    if (i < 0) {
        snprintf(msg, sizeof msg, "Alert '%.100s' was not found.", req->seg[3]);
        mds_emu_graph_error(req, 404, "itemNotFound", msg);
        return;
    }
    if (!(m = mds_malloc(sizeof *m))) {
        mds_emu_graph_error(req, 500, "generalException", "out of memory");
        return;
    }
    struct mds_emu_render r = {e->cfg.tenant, ALERTS_CONTEXT "/$entity", include_unknown(req)};
    struct mds_emu_jw w;
    mds_emu_gen_model(&a, m);
    mds_emu_jw_init(&w, &req->out);
    mds_emu_render_graph(&w, &r, m);
    req->status = 200;
    mds_free(m);
}
