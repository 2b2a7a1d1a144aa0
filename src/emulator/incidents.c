/*
 * incidents.c - Graph incidents: GET /v1.0/security/incidents,
 * /incidents/{id} and /incidents/{id}/alerts (spec §3.8).
 *
 * Incidents are derived from the alert universe: consecutive alerts share
 * an incident, whose status, severity, timestamps and assignment follow
 * from its alerts. $top is at most 50 (more is a 400, as Graph answers);
 * $expand=alerts embeds the alerts in the Graph alert shape.
 */
#include "emulator/internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

#define INCIDENTS_CONTEXT "https://graph.microsoft.com/v1.0/$metadata#security/incidents"
#define SEL(f) offsetof(struct mds_emu_select, f)

static const struct mds_emu_prop incident_props[] = {
    {"lastUpdateDateTime", MDS_EMU_PROP_UPDATED, NULL, 0, NULL},
    {"createdDateTime", MDS_EMU_PROP_CREATED, NULL, 0, NULL},
    {"status", MDS_EMU_PROP_ENUM, &mds_emu_incident_status, SEL(status), NULL},
    {"severity", MDS_EMU_PROP_ENUM, &mds_emu_severity, SEL(severity), NULL},
    {"classification", MDS_EMU_PROP_ENUM, &mds_emu_classification, SEL(classification), NULL},
    {"determination", MDS_EMU_PROP_ENUM, &mds_emu_determination, SEL(determination), NULL},
    {"assignedTo", MDS_EMU_PROP_ASSIGNEE, NULL, 0, NULL},
    {NULL, 0, NULL, 0, NULL},
};

static const struct mds_emu_door_desc incidents_door = {
    "microsoft.graph.security.incident", incident_props, "lastUpdateDateTime", "createdDateTime", 50, 50, 0,
};

/* "$expand=alerts" (the only expandable relationship). */
static int expand_alerts(const struct mds_emu_req *req, int *bad)
{
    const char *v = mds_emu_params_get(&req->params, "$expand");
    *bad = v && *v && strcasecmp(v, "alerts") != 0;
    return v && strcasecmp(v, "alerts") == 0;
}

static void display_name(const struct mds_emu_incident_view *v, char *out, size_t n)
{
    const struct mds_emu_template *t = &mds_emu_templates[v->alerts[0].tmpl % mds_emu_template_count];
    if (v->count == 1)
        snprintf(out, n, "%s on one endpoint", t->title);
    else
        snprintf(out, n, "Multi-stage incident involving %s on multiple endpoints", t->category);
}

static void render_incident(struct mds_emu_jw *w, const struct mds_emu_req *req,
                            const struct mds_emu_incident_view *v, int expand, struct mds_emu_model *m,
                            const char *context)
{
    const char *tenant = req->emu->cfg.tenant;
    int unk = mds_emu_include_unknown(req);
    char id[16], url[256], name[256];
    snprintf(id, sizeof id, "%u", v->id);
    snprintf(url, sizeof url, "https://security.microsoft.com/incidents/%u?tid=%s", v->id, tenant);
    display_name(v, name, sizeof name);
    mds_emu_jw_open(w, NULL, '{');
    if (context)
        mds_emu_jw_str(w, "@odata.context", context);
    mds_emu_jw_str(w, "@odata.type", "#microsoft.graph.security.incident");
    mds_emu_jw_str(w, "id", id);
    mds_emu_jw_str(w, "tenantId", tenant);
    mds_emu_jw_str(w, "status", mds_emu_enum_name(&mds_emu_incident_status, v->status, unk));
    mds_emu_jw_str(w, "incidentWebUrl", url);
    mds_emu_jw_null(w, "redirectIncidentId");
    mds_emu_jw_str(w, "displayName", name);
    mds_emu_jw_null(w, "description");
    mds_emu_jw_time(w, "createdDateTime", v->created);
    mds_emu_jw_time(w, "lastUpdateDateTime", v->updated);
    mds_emu_jw_str(w, "assignedTo", mds_emu_analysts[v->assignee % mds_emu_analyst_count]);
    mds_emu_jw_str(w, "classification", mds_emu_enum_name(&mds_emu_classification, v->classification, unk));
    mds_emu_jw_str(w, "determination", mds_emu_enum_name(&mds_emu_determination, v->determination, unk));
    mds_emu_jw_str(w, "severity", mds_emu_enum_name(&mds_emu_severity, v->severity, unk));
    mds_emu_jw_raw(w, "customTags", "[]", 2);
    mds_emu_jw_raw(w, "systemTags", "[]", 2);
    mds_emu_jw_raw(w, "comments", "[]", 2);
    if (expand)
        mds_emu_graph_render_list_as(w, req, "alerts", v->alerts, v->count, m);
    mds_emu_jw_close(w, '}');
}

void mds_emu_graph_incidents(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    struct mds_emu_select s;
    struct mds_emu_incident_view *page = NULL;
    struct mds_emu_model *m = NULL;
    char msg[300];
    size_t n = 0, count = 0;
    int more = 0, bad_expand;
    if (mds_emu_auth(req, MDS_EMU_ROLE_INCIDENT))
        return;
    int expand = expand_alerts(req, &bad_expand);
    if (bad_expand || mds_emu_query(req, &incidents_door, &s, msg, sizeof msg)) {
        mds_emu_graph_error(req, 400, "BadRequest", bad_expand ? "Only $expand=alerts is supported." : msg);
        return;
    }
    page = mds_malloc((s.top ? s.top : 1) * sizeof *page);
    m = mds_malloc(sizeof *m);
    mds_err err = page && m ? MDS_OK : MDS_ERR_NOMEM;
    if (!err) {
        pthread_mutex_lock(&e->lock);
        err = mds_emu_universe_incidents(&e->universe, &s, page, &n, &more, &count);
        pthread_mutex_unlock(&e->lock);
    }
    if (err) {
        mds_emu_graph_error(req, 500, "generalException", mds_strerror(err));
        goto out;
    }
    struct mds_emu_jw w;
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_str(&w, "@odata.context", INCIDENTS_CONTEXT);
    if (s.want_count)
        mds_emu_jw_int(&w, "@odata.count", (int64_t)count);
    if (more && n > 0 && !e->cfg.quirks.no_next_link)
        mds_emu_next_link(&w, req, s.skip + n);
    mds_emu_jw_open(&w, "value", '[');
    for (size_t i = 0; i < n; i++)
        render_incident(&w, req, &page[i], expand, m, NULL);
    mds_emu_jw_close(&w, ']');
    mds_emu_jw_close(&w, '}');
    req->status = 200;
    if (w.err)
        mds_emu_graph_error(req, 500, "generalException", "the response exceeds the emulator's ceiling");
out:
    mds_free(page);
    mds_free(m);
}

/* Looks up the incident of req->seg[3]; answers 404 itself. */
static int find_incident(struct mds_emu_req *req, struct mds_emu_incident_view *v)
{
    struct mds_emu *e = req->emu;
    size_t id = 0;
    long k = -1;
    pthread_mutex_lock(&e->lock);
    if (mds_emu_parse_count(req->seg[3], &id) == 0 && id <= UINT32_MAX)
        k = mds_emu_incident_find(&e->universe, (uint32_t)id);
    if (k >= 0)
        mds_emu_incident_view(&e->universe, (size_t)k, v);
    pthread_mutex_unlock(&e->lock);
    if (k >= 0)
        return 0;
    char msg[160];
    snprintf(msg, sizeof msg, "Incident '%.100s' was not found.", req->seg[3]);
    mds_emu_graph_error(req, 404, "itemNotFound", msg);
    return -1;
}

void mds_emu_graph_incident(struct mds_emu_req *req)
{
    struct mds_emu_incident_view v;
    struct mds_emu_model *m;
    struct mds_emu_jw w;
    int bad_expand;
    if (mds_emu_auth(req, MDS_EMU_ROLE_INCIDENT))
        return;
    int expand = expand_alerts(req, &bad_expand);
    if (bad_expand) {
        mds_emu_graph_error(req, 400, "BadRequest", "Only $expand=alerts is supported.");
        return;
    }
    if (find_incident(req, &v))
        return;
    if (!(m = mds_malloc(sizeof *m))) {
        mds_emu_graph_error(req, 500, "generalException", "out of memory");
        return;
    }
    mds_emu_jw_init(&w, &req->out);
    render_incident(&w, req, &v, expand, m, INCIDENTS_CONTEXT "/$entity");
    req->status = 200;
    mds_free(m);
}

void mds_emu_graph_incident_alerts(struct mds_emu_req *req)
{
    struct mds_emu_incident_view v;
    struct mds_emu_model *m;
    struct mds_emu_jw w;
    char context[160];
    if (mds_emu_auth(req, MDS_EMU_ROLE_INCIDENT) || find_incident(req, &v))
        return;
    if (!(m = mds_malloc(sizeof *m))) {
        mds_emu_graph_error(req, 500, "generalException", "out of memory");
        return;
    }
    snprintf(context, sizeof context, INCIDENTS_CONTEXT "('%u')/alerts", v.id);
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_str(&w, "@odata.context", context);
    mds_emu_graph_render_list_as(&w, req, "value", v.alerts, v.count, m);
    mds_emu_jw_close(&w, '}');
    req->status = 200;
    mds_free(m);
}
