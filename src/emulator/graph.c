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

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

#define GRAPH_TOP_DEFAULT 100
#define GRAPH_TOP_MAX 2000
#define ALERTS_CONTEXT "https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2"

#define SEL(f) offsetof(struct mds_emu_select, f)

static const struct mds_emu_prop alert_props[] = {
    {"lastUpdateDateTime", MDS_EMU_PROP_UPDATED, NULL, 0, NULL},
    {"createdDateTime", MDS_EMU_PROP_CREATED, NULL, 0, NULL},
    {"status", MDS_EMU_PROP_ENUM, &mds_emu_status, SEL(status), NULL},
    {"severity", MDS_EMU_PROP_ENUM, &mds_emu_severity, SEL(severity), NULL},
    {"serviceSource", MDS_EMU_PROP_ENUM, &mds_emu_service_source, SEL(service), NULL},
    {"classification", MDS_EMU_PROP_ENUM, &mds_emu_classification, SEL(classification), NULL},
    {"determination", MDS_EMU_PROP_ENUM, &mds_emu_determination, SEL(determination), NULL},
    {"assignedTo", MDS_EMU_PROP_ASSIGNEE, NULL, 0, NULL},
    {NULL, 0, NULL, 0, NULL},
};

static const struct mds_emu_door_desc alerts_door = {
    "microsoft.graph.security.alert",
    alert_props,
    "lastUpdateDateTime",
    "createdDateTime",
    GRAPH_TOP_DEFAULT,
    GRAPH_TOP_MAX,
    1,
};

void mds_emu_next_link(struct mds_emu_jw *w, const struct mds_emu_req *req, size_t skip)
{
    struct mds_buf link;
    char num[24];
    mds_buf_init(&link, 64 * 1024);
    snprintf(num, sizeof num, "%zu", skip);
    mds_err err = mds_buf_printf(&link, "%s://%s", req->emu->cfg.tls_cert[0] ? "https" : "http",
                                 req->host ? req->host : "127.0.0.1");
    for (int i = 0; !err && i < req->nseg; i++)
        err = mds_buf_printf(&link, "/%s", req->seg[i]);
    if (!err)
        err = mds_buf_putc(&link, '?');
    if (!err)
        err = mds_emu_params_rebuild(&req->params, "$skip", num, &link);
    if (err)
        w->err = err;
    else
        mds_emu_jw_strn(w, "@odata.nextLink", link.data, link.len);
    mds_buf_finish(&link);
}

int mds_emu_include_unknown(const struct mds_emu_req *req)
{
    const char *p = mds_emu_request_header(req, "Prefer");
    return p && strcasestr(p, "include-unknown-enum-members") != NULL;
}

void mds_emu_graph_render_list_as(struct mds_emu_jw *w, const struct mds_emu_req *req, const char *key,
                                  const struct mds_emu_alert *alerts, size_t n, struct mds_emu_model *m)
{
    struct mds_emu_render r = {req->emu->cfg.tenant, NULL, mds_emu_include_unknown(req)};
    mds_emu_jw_open(w, key, '[');
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
    if (mds_emu_query(req, &alerts_door, &s, msg, sizeof msg)) {
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
        mds_emu_next_link(&w, req, s.skip + n);
    mds_emu_graph_render_list_as(&w, req, "value", page, n, m);
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
    struct mds_emu_render r = {e->cfg.tenant, ALERTS_CONTEXT "/$entity", mds_emu_include_unknown(req)};
    struct mds_emu_jw w;
    mds_emu_gen_model(&a, m);
    mds_emu_jw_init(&w, &req->out);
    mds_emu_render_graph(&w, &r, m);
    req->status = 200;
    mds_free(m);
}
