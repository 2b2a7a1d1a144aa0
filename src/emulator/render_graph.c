/*
 * render_graph.c - a generated alert as a Graph security alert (alerts_v2,
 * spec §3.5) with polymorphic evidence (§3.7). Pure: model in, JSON out.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <string.h>

#define EV_TYPE "#microsoft.graph.security."

static const char *en(const struct mds_emu_enum *e, int i, const struct mds_emu_render *r)
{
    return mds_emu_enum_name(e, i, r->include_unknown);
}

static void file_details(struct mds_emu_jw *w, const char *key, const struct mds_emu_file *f)
{
    mds_emu_jw_open(w, key, '{');
    mds_emu_jw_str(w, "fileName", f->name);
    mds_emu_jw_str(w, "filePath", f->path);
    mds_emu_jw_str(w, "filePublisher", f->publisher[0] ? f->publisher : NULL);
    mds_emu_jw_int(w, "fileSize", f->size);
    mds_emu_jw_str(w, "issuer", f->issuer[0] ? f->issuer : NULL);
    mds_emu_jw_str(w, "md5", f->md5);
    mds_emu_jw_str(w, "sha1", f->sha1);
    mds_emu_jw_str(w, "sha256", f->sha256);
    mds_emu_jw_null(w, "sha256Ac"); /* Authenticode hash: not populated by MDE */
    mds_emu_jw_str(w, "signer", f->signer[0] ? f->signer : NULL);
    mds_emu_jw_close(w, '}');
}

static void user_account(struct mds_emu_jw *w, const struct mds_emu_user *u)
{
    mds_emu_jw_open(w, "userAccount", '{');
    mds_emu_jw_str(w, "accountName", u->account);
    mds_emu_jw_str(w, "domainName", u->domain);
    mds_emu_jw_str(w, "userSid", u->sid);
    mds_emu_jw_str(w, "azureAdUserId", u->aad_id);
    mds_emu_jw_str(w, "userPrincipalName", u->upn);
    mds_emu_jw_str(w, "displayName", u->display);
    mds_emu_jw_close(w, '}');
}

static void device_tags(struct mds_emu_jw *w, const struct mds_emu_device *d)
{
    mds_emu_jw_open(w, "tags", '[');
    if (d->device_tag[0])
        mds_emu_jw_str(w, NULL, d->device_tag);
    for (int i = 0; i < d->ncloud_tags; i++)
        mds_emu_jw_str(w, NULL, d->cloud_tags[i]);
    mds_emu_jw_close(w, ']');
}

static void device(struct mds_emu_jw *w, const struct mds_emu_model *m, const struct mds_emu_render *r)
{
    const struct mds_emu_device *d = &m->dev;
    mds_emu_jw_time(w, "firstSeenDateTime", d->first_seen);
    mds_emu_jw_str(w, "mdeDeviceId", d->id);
    mds_emu_jw_str(w, "azureAdDeviceId", d->aad_id);
    mds_emu_jw_str(w, "deviceDnsName", d->dns);
    mds_emu_jw_str(w, "osPlatform", d->os);
    mds_emu_jw_int(w, "osBuild", d->build);
    mds_emu_jw_str(w, "version", d->version);
    mds_emu_jw_str(w, "healthStatus", en(&mds_emu_health, d->health, r));
    mds_emu_jw_str(w, "riskScore", en(&mds_emu_risk, d->risk, r));
    mds_emu_jw_int(w, "rbacGroupId", d->group_id);
    mds_emu_jw_str(w, "rbacGroupName", d->group);
    mds_emu_jw_str(w, "onboardingStatus", en(&mds_emu_onboarding, d->onboarding, r));
    mds_emu_jw_str(w, "defenderAvStatus", en(&mds_emu_av_status, d->av, r));
    if (d->vm) {
        char res[256];
        snprintf(
            res, sizeof res,
            "/subscriptions/%s/resourceGroups/rg-workloads/providers/Microsoft.Compute/virtualMachines/%s",
            d->vm_sub, d->name);
        mds_emu_jw_open(w, "vmMetadata", '{');
        mds_emu_jw_str(w, "vmId", d->vm_id);
        mds_emu_jw_str(w, "cloudProvider", "azure");
        mds_emu_jw_str(w, "resourceId", res);
        mds_emu_jw_str(w, "subscriptionId", d->vm_sub);
        mds_emu_jw_close(w, '}');
    } else {
        mds_emu_jw_null(w, "vmMetadata");
    }
    mds_emu_jw_open(w, "ipInterfaces", '[');
    mds_emu_jw_str(w, NULL, d->ipv4[0]);
    mds_emu_jw_str(w, NULL, d->ipv4[1]);
    mds_emu_jw_str(w, NULL, d->ipv6);
    mds_emu_jw_close(w, ']');
    mds_emu_jw_open(w, "loggedOnUsers", '[');
    mds_emu_jw_open(w, NULL, '{');
    mds_emu_jw_str(w, "accountName", m->user.account);
    mds_emu_jw_str(w, "domainName", m->user.domain);
    mds_emu_jw_close(w, '}');
    mds_emu_jw_close(w, ']');
}

static void process(struct mds_emu_jw *w, const struct mds_emu_model *m, const struct mds_emu_evidence *e,
                    const struct mds_emu_render *r)
{
    mds_emu_jw_int(w, "processId", e->pid);
    mds_emu_jw_int(w, "parentProcessId", e->ppid);
    mds_emu_jw_str(w, "processCommandLine", e->cmdline);
    mds_emu_jw_time(w, "processCreationDateTime", e->pcreated);
    mds_emu_jw_time(w, "parentProcessCreationDateTime", e->ppcreated);
    mds_emu_jw_str(w, "detectionStatus", en(&mds_emu_detection_status, e->detection, r));
    mds_emu_jw_str(w, "mdeDeviceId", m->dev.id);
    file_details(w, "imageFile", &e->file);
    file_details(w, "parentProcessImageFile", &e->parent);
    user_account(w, &m->user);
}

static void azure_resource(struct mds_emu_jw *w, const struct mds_emu_model *m)
{
    char id[256], name[32];
    snprintf(name, sizeof name, "st%.8s%.4s", m->detector, m->detector + 9); /* lower-case alphanumerics */
    snprintf(id, sizeof id,
             "/subscriptions/%s/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/%s",
             m->dev.vm_sub, name);
    mds_emu_jw_str(w, "resourceId", id);
    mds_emu_jw_str(w, "resourceName", name);
    mds_emu_jw_str(w, "resourceType", "Microsoft.Storage/storageAccounts");
}

static const char *const ev_names[] = {"deviceEvidence",       "processEvidence", "fileEvidence",
                                       "ipEvidence",           "urlEvidence",     "userEvidence",
                                       "azureResourceEvidence"};

static void evidence(struct mds_emu_jw *w, const struct mds_emu_model *m, const struct mds_emu_evidence *e,
                     const struct mds_emu_render *r)
{
    char type[80];
    snprintf(type, sizeof type, EV_TYPE "%s", ev_names[e->type]);
    mds_emu_jw_open(w, NULL, '{');
    mds_emu_jw_str(w, "@odata.type", type);
    mds_emu_jw_time(w, "createdDateTime", m->a.created);
    mds_emu_jw_str(w, "verdict", en(&mds_emu_verdict, e->verdict, r));
    mds_emu_jw_str(w, "remediationStatus", en(&mds_emu_remediation, e->remediation, r));
    mds_emu_jw_null(w, "remediationStatusDetails");
    mds_emu_jw_open(w, "roles", '[');
    mds_emu_jw_str(w, NULL, en(&mds_emu_role, e->role, r));
    mds_emu_jw_close(w, ']');
    mds_emu_jw_open(w, "detailedRoles", '[');
    mds_emu_jw_str(w, NULL, e->detailed_role);
    mds_emu_jw_close(w, ']');
    if (e->type == MDS_EMU_EV_DEVICE)
        device_tags(w, &m->dev);
    else
        mds_emu_jw_raw(w, "tags", "[]", 2);
    switch (e->type) {
    case MDS_EMU_EV_DEVICE:
        device(w, m, r);
        break;
    case MDS_EMU_EV_PROCESS:
        process(w, m, e, r);
        break;
    case MDS_EMU_EV_FILE:
        mds_emu_jw_str(w, "detectionStatus", en(&mds_emu_detection_status, e->detection, r));
        mds_emu_jw_str(w, "mdeDeviceId", m->dev.id);
        file_details(w, "fileDetails", &e->file);
        break;
    case MDS_EMU_EV_IP:
        mds_emu_jw_str(w, "ipAddress", e->ip);
        mds_emu_jw_str(w, "countryLetterCode", e->country);
        break;
    case MDS_EMU_EV_URL:
        mds_emu_jw_str(w, "url", e->url);
        break;
    case MDS_EMU_EV_USER:
        user_account(w, &m->user);
        break;
    case MDS_EMU_EV_AZURE_RESOURCE:
        azure_resource(w, m);
        break;
    }
    mds_emu_jw_close(w, '}');
}

/* Writes `key: ["T1", "T2"]` from a space-separated list. */
static void word_array(struct mds_emu_jw *w, const char *key, const char *words)
{
    mds_emu_jw_open(w, key, '[');
    for (const char *p = words; p && *p;) {
        size_t n = strcspn(p, " ");
        mds_emu_jw_strn(w, NULL, p, n);
        p += n + (p[n] == ' ');
    }
    mds_emu_jw_close(w, ']');
}

static void identity(struct mds_emu_jw *w, const struct mds_emu_render *r, const struct mds_emu_model *m)
{
    char url[256], incident[16];
    const struct mds_emu_alert *a = &m->a;
    snprintf(incident, sizeof incident, "%u", a->incident);
    mds_emu_jw_str(w, "@odata.type", "#microsoft.graph.security.alert");
    mds_emu_jw_str(w, "id", a->id);
    mds_emu_jw_str(w, "providerAlertId", a->id);
    mds_emu_jw_str(w, "incidentId", incident);
    mds_emu_jw_str(w, "status", en(&mds_emu_status, a->status, r));
    mds_emu_jw_str(w, "severity", en(&mds_emu_severity, a->severity, r));
    mds_emu_jw_str(w, "classification", en(&mds_emu_classification, a->classification, r));
    mds_emu_jw_str(w, "determination", en(&mds_emu_determination, a->determination, r));
    mds_emu_jw_str(w, "serviceSource", en(&mds_emu_service_source, a->service, r));
    mds_emu_jw_str(w, "detectionSource", en(&mds_emu_detection_source, m->a.detection, r));
    mds_emu_jw_str(w, "productName",
                   a->service == 1 ? "Microsoft Defender for Endpoint" : "Microsoft Defender XDR");
    mds_emu_jw_str(w, "detectorId", m->detector);
    mds_emu_jw_str(w, "tenantId", r->tenant);
    mds_emu_jw_str(w, "title", m->t->title);
    mds_emu_jw_str(w, "description", m->t->description);
    mds_emu_jw_str(w, "recommendedActions", m->t->actions);
    mds_emu_jw_str(w, "category", m->t->category);
    mds_emu_jw_str(w, "assignedTo", mds_emu_analysts[a->assignee % mds_emu_analyst_count]);
    snprintf(url, sizeof url, "https://security.microsoft.com/alerts/%s?tid=%s", a->id, r->tenant);
    mds_emu_jw_str(w, "alertWebUrl", url);
    snprintf(url, sizeof url, "https://security.microsoft.com/incidents/%s?tid=%s", incident, r->tenant);
    mds_emu_jw_str(w, "incidentWebUrl", url);
    mds_emu_jw_str(w, "actorDisplayName", m->t->actor);
    mds_emu_jw_str(w, "threatDisplayName", m->t->threat);
    mds_emu_jw_str(w, "threatFamilyName", m->t->family);
    word_array(w, "mitreTechniques", m->t->mitre);
}

static void times(struct mds_emu_jw *w, const struct mds_emu_model *m)
{
    mds_emu_jw_time(w, "createdDateTime", m->a.created);
    mds_emu_jw_time(w, "lastUpdateDateTime", m->a.updated);
    mds_emu_jw_time(w, "resolvedDateTime", m->a.resolved);
    mds_emu_jw_time(w, "firstActivityDateTime", m->first_activity);
    mds_emu_jw_time(w, "lastActivityDateTime", m->last_activity);
}

static void extras(struct mds_emu_jw *w, const struct mds_emu_render *r, const struct mds_emu_model *m)
{
    mds_emu_jw_str(w, "alertPolicyId", m->a.service == 1 ? NULL : m->policy);
    mds_emu_jw_str(w, "investigationState", en(&mds_emu_investigation, m->investigation, r));
    word_array(w, "categories", m->t->category);
    mds_emu_jw_open(w, "additionalData", '{');
    mds_emu_jw_str(w, "DetectionTechnology", m->t->detection == 2 ? "Antimalware" : "Behavior");
    mds_emu_jw_int(w, "EvidenceCount", m->nevidence);
    mds_emu_jw_close(w, '}');
    mds_emu_jw_raw(w, "customDetails", "{}", 2);
    mds_emu_jw_open(w, "comments", '[');
    for (int i = 0; i < m->ncomments; i++) {
        mds_emu_jw_open(w, NULL, '{');
        mds_emu_jw_str(w, "comment", m->comments[i].text);
        mds_emu_jw_str(w, "createdByDisplayName", m->comments[i].by);
        mds_emu_jw_time(w, "createdDateTime", m->comments[i].at);
        mds_emu_jw_close(w, '}');
    }
    mds_emu_jw_close(w, ']');
    mds_emu_jw_open(w, "evidence", '[');
    for (int i = 0; i < m->nevidence; i++)
        evidence(w, m, &m->ev[i], r);
    mds_emu_jw_close(w, ']');
    mds_emu_jw_open(w, "systemTags", '[');
    if (m->expert_tag)
        mds_emu_jw_str(w, NULL, "Defender Experts");
    mds_emu_jw_close(w, ']');
}

void mds_emu_render_graph(struct mds_emu_jw *w, const struct mds_emu_render *r, const struct mds_emu_model *m)
{
    mds_emu_jw_open(w, NULL, '{');
    if (r->context)
        mds_emu_jw_str(w, "@odata.context", r->context);
    identity(w, r, m);
    times(w, m);
    extras(w, r, m);
    mds_emu_jw_close(w, '}');
}
