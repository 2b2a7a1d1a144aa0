/*
 * render_mde.c - a generated alert in the shape of the Microsoft Defender
 * for Endpoint alert API (spec §2.4): PascalCase enums, flat evidence.
 * Pure: model in, JSON out.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <string.h>

static const char *const entity_types[] = {"Machine", "Process", "File",         "Ip",
                                           "Url",     "User",    "AzureResource"};

/* PascalCase member of e, or null for member 0 when null0 is set. */
static void pascal_member(struct mds_emu_jw *w, const char *key, const struct mds_emu_enum *e, int i,
                          int null0)
{
    char buf[64];
    if (i == 0 && null0) {
        mds_emu_jw_null(w, key);
        return;
    }
    mds_emu_pascal(mds_emu_enum_name(e, i, 1), buf, sizeof buf);
    mds_emu_jw_str(w, key, buf);
}

static void flat_evidence(struct mds_emu_jw *w, const struct mds_emu_model *m,
                          const struct mds_emu_evidence *e)
{
    int proc = e->type == MDS_EMU_EV_PROCESS, file = proc || e->type == MDS_EMU_EV_FILE;
    int user = proc || e->type == MDS_EMU_EV_USER;
    const struct mds_emu_user *u = &m->user;
    mds_emu_jw_open(w, NULL, '{');
    mds_emu_jw_str(w, "entityType", entity_types[e->type]);
    mds_emu_jw_time(w, "evidenceCreationTime", m->a.created);
    mds_emu_jw_str(w, "sha1", file ? e->file.sha1 : NULL);
    mds_emu_jw_str(w, "sha256", file ? e->file.sha256 : NULL);
    mds_emu_jw_str(w, "fileName", file ? e->file.name : NULL);
    mds_emu_jw_str(w, "filePath", file ? e->file.path : NULL);
    if (proc)
        mds_emu_jw_int(w, "processId", e->pid);
    else
        mds_emu_jw_null(w, "processId");
    mds_emu_jw_str(w, "processCommandLine", proc ? e->cmdline : NULL);
    mds_emu_jw_time(w, "processCreationTime", proc ? e->pcreated : MDS_EMU_NO_TIME);
    if (proc)
        mds_emu_jw_int(w, "parentProcessId", e->ppid);
    else
        mds_emu_jw_null(w, "parentProcessId");
    mds_emu_jw_time(w, "parentProcessCreationTime", proc ? e->ppcreated : MDS_EMU_NO_TIME);
    mds_emu_jw_str(w, "parentProcessFileName", proc ? e->parent.name : NULL);
    mds_emu_jw_str(w, "parentProcessFilePath", proc ? e->parent.path : NULL);
    mds_emu_jw_str(w, "ipAddress", e->type == MDS_EMU_EV_IP ? e->ip : NULL);
    mds_emu_jw_str(w, "url", e->type == MDS_EMU_EV_URL ? e->url : NULL);
    mds_emu_jw_null(w, "registryKey");
    mds_emu_jw_null(w, "registryHive");
    mds_emu_jw_null(w, "registryValueType");
    mds_emu_jw_null(w, "registryValue");
    mds_emu_jw_str(w, "accountName", user ? u->account : NULL);
    mds_emu_jw_str(w, "domainName", user ? u->domain : NULL);
    mds_emu_jw_str(w, "userSid", user ? u->sid : NULL);
    mds_emu_jw_str(w, "aadUserId", user ? u->aad_id : NULL);
    mds_emu_jw_str(w, "userPrincipalName", user ? u->upn : NULL);
    if (file)
        pascal_member(w, "detectionStatus", &mds_emu_detection_status, e->detection, 0);
    else
        mds_emu_jw_null(w, "detectionStatus");
    mds_emu_jw_close(w, '}');
}

static void people(struct mds_emu_jw *w, const struct mds_emu_model *m)
{
    mds_emu_jw_open(w, "relatedUser", '{');
    mds_emu_jw_str(w, "userName", m->user.account);
    mds_emu_jw_str(w, "domainName", m->user.domain);
    mds_emu_jw_close(w, '}');
    mds_emu_jw_open(w, "loggedOnUsers", '[');
    mds_emu_jw_open(w, NULL, '{');
    mds_emu_jw_str(w, "accountName", m->user.account);
    mds_emu_jw_str(w, "domainName", m->user.domain);
    mds_emu_jw_close(w, '}');
    mds_emu_jw_close(w, ']');
    mds_emu_jw_open(w, "comments", '[');
    for (int i = 0; i < m->ncomments; i++) {
        mds_emu_jw_open(w, NULL, '{');
        mds_emu_jw_str(w, "comment", m->comments[i].text);
        mds_emu_jw_str(w, "createdBy", m->comments[i].by);
        mds_emu_jw_time(w, "createdTime", m->comments[i].at);
        mds_emu_jw_close(w, '}');
    }
    mds_emu_jw_close(w, ']');
}

static void mitre(struct mds_emu_jw *w, const char *words)
{
    mds_emu_jw_open(w, "mitreTechniques", '[');
    for (const char *p = words; p && *p;) {
        size_t n = strcspn(p, " ");
        mds_emu_jw_strn(w, NULL, p, n);
        p += n + (p[n] == ' ');
    }
    mds_emu_jw_close(w, ']');
}

void mds_emu_render_mde(struct mds_emu_jw *w, const struct mds_emu_render *r, const struct mds_emu_model *m,
                        int with_evidence)
{
    const struct mds_emu_alert *a = &m->a;
    mds_emu_jw_open(w, NULL, '{');
    mds_emu_jw_str(w, "id", a->id);
    mds_emu_jw_int(w, "incidentId", a->incident);
    if (m->investigation)
        mds_emu_jw_int(w, "investigationId", 100000 + (int64_t)(a->gen % 900000));
    else
        mds_emu_jw_null(w, "investigationId");
    mds_emu_jw_str(w, "assignedTo", mds_emu_analysts[a->assignee % mds_emu_analyst_count]);
    if (a->severity == 0)
        mds_emu_jw_str(w, "severity", "UnSpecified");
    else
        pascal_member(w, "severity", &mds_emu_severity, a->severity, 0);
    pascal_member(w, "status", &mds_emu_status, a->status, 0);
    pascal_member(w, "classification", &mds_emu_classification, a->classification, 1);
    mds_emu_jw_str(w, "determination", mds_emu_determination_mde(a->determination));
    pascal_member(w, "investigationState", &mds_emu_investigation, m->investigation, 0);
    mds_emu_jw_str(w, "detectionSource", mds_emu_detection_mde(a->detection));
    mds_emu_jw_str(w, "detectorId", m->detector);
    mds_emu_jw_str(w, "category", m->t->category);
    mds_emu_jw_str(w, "threatFamilyName", m->t->family);
    mds_emu_jw_str(w, "threatName", m->t->threat);
    mds_emu_jw_str(w, "title", m->t->title);
    mds_emu_jw_str(w, "description", m->t->description);
    mds_emu_jw_time(w, "alertCreationTime", a->created);
    mds_emu_jw_time(w, "firstEventTime", m->first_activity);
    mds_emu_jw_time(w, "lastEventTime", m->last_activity);
    mds_emu_jw_time(w, "lastUpdateTime", a->updated);
    mds_emu_jw_time(w, "resolvedTime", a->resolved);
    mds_emu_jw_str(w, "machineId", m->dev.id);
    mds_emu_jw_str(w, "computerDnsName", m->dev.dns);
    mds_emu_jw_str(w, "rbacGroupName", m->dev.group);
    mds_emu_jw_str(w, "aadTenantId", r->tenant);
    mitre(w, m->t->mitre);
    people(w, m);
    mds_emu_jw_open(w, "evidence", '[');
    for (int i = 0; with_evidence && i < m->nevidence; i++)
        if (m->ev[i].type != MDS_EMU_EV_DEVICE)
            flat_evidence(w, m, &m->ev[i]);
    mds_emu_jw_close(w, ']');
    mds_emu_jw_close(w, '}');
}
