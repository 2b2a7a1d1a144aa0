/*
 * render_siem.c - a generated alert as legacy SIEM API detections (spec
 * §1.5-1.6): one flat record of 50 fields per process or file evidence,
 * derived through the SIEM -> Graph mapping of seed 002. Pure.
 *
 * LastProcessedTimeUtc, the legacy time axis, is the alert's
 * lastUpdateDateTime, so a changed alert is exported again like a
 * re-processed detection.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <string.h>

int mds_emu_siem_parts(const struct mds_emu_model *m)
{
    int n = 0;
    for (int i = 0; i < m->nevidence; i++)
        n += m->ev[i].type == MDS_EMU_EV_PROCESS || m->ev[i].type == MDS_EMU_EV_FILE;
    return n;
}

/* The evidence behind detection `part`. */
static const struct mds_emu_evidence *part_evidence(const struct mds_emu_model *m, int part)
{
    for (int i = 0; i < m->nevidence; i++)
        if ((m->ev[i].type == MDS_EMU_EV_PROCESS || m->ev[i].type == MDS_EMU_EV_FILE) && part-- == 0)
            return &m->ev[i];
    return &m->ev[0];
}

static const char *first_of(const struct mds_emu_model *m, enum mds_emu_ev_type type)
{
    for (int i = 0; i < m->nevidence; i++)
        if (m->ev[i].type == type)
            return type == MDS_EMU_EV_IP ? m->ev[i].ip : m->ev[i].url;
    return "";
}

/* 44-character base64 of 32 bytes from the alert's stream for `part`. */
static void ioc_unique(const struct mds_emu_model *m, int part, char out[45])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    struct mds_emu_rng r;
    unsigned char raw[33];
    mds_emu_rng_seed(&r, m->a.gen, 0x696f63 + (uint64_t)part);
    for (int i = 0; i < 32; i += 8) {
        uint64_t v = mds_emu_rng_next(&r);
        memcpy(raw + i, &v, 8);
    }
    raw[32] = 0;
    for (int i = 0, o = 0; i < 33; i += 3, o += 4) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | (i + 2 < 33 ? raw[i + 2] : 0);
        out[o] = b64[v >> 18 & 63];
        out[o + 1] = b64[v >> 12 & 63];
        out[o + 2] = b64[v >> 6 & 63];
        out[o + 3] = b64[v & 63];
    }
    out[43] = '=';
    out[44] = '\0';
}

static void tristate(struct mds_emu_jw *w, const char *key, int v)
{
    if (v < 0)
        mds_emu_jw_null(w, key);
    else
        mds_emu_jw_bool(w, key, v);
}

static void links(struct mds_emu_jw *w, const char *key, const char *fmt_host, const struct mds_emu_model *m,
                  int incident)
{
    char url[256];
    if (incident)
        snprintf(url, sizeof url, "https://%s/incidents/byalert?alertId=%s&source=SIEM", fmt_host, m->a.id);
    else
        snprintf(url, sizeof url, "https://%s/alert/%s", fmt_host, m->a.id);
    mds_emu_jw_str(w, key, url);
}

static void identity(struct mds_emu_jw *w, const struct mds_emu_model *m)
{
    char sev[32];
    mds_emu_jw_time(w, "AlertTime", m->a.created);
    mds_emu_jw_str(w, "ComputerDnsName", m->dev.dns);
    mds_emu_jw_str(w, "AlertTitle", m->t->title);
    mds_emu_jw_str(w, "Category", m->t->category);
    mds_emu_pascal(mds_emu_enum_name(&mds_emu_severity, m->a.severity, 1), sev, sizeof sev);
    mds_emu_jw_str(w, "Severity", sev);
    mds_emu_jw_str(w, "AlertId", m->a.id);
    mds_emu_jw_str(w, "Actor", m->t->actor ? m->t->actor : "");
    links(w, "LinkToWDATP", "securitycenter.windows.com", m, 0);
    mds_emu_jw_str(w, "IocName", "");
    mds_emu_jw_str(w, "IocValue", "");
    mds_emu_jw_str(w, "CreatorIocName", "");
    mds_emu_jw_str(w, "CreatorIocValue", "");
}

/* AV-only fields; the rest of the detections leave them empty/null. */
static void threat(struct mds_emu_jw *w, const struct mds_emu_model *m, const struct mds_emu_evidence *e,
                   int legacy)
{
    int av = m->a.detection == 2;
    const char *name = m->t->threat ? m->t->threat : "";
    const char *colon = strchr(name, ':');
    mds_emu_jw_strn(w, "ThreatCategory", name, colon ? (size_t)(colon - name) : 0);
    mds_emu_jw_str(w, legacy ? "ThreatFamilyName" : "ThreatFamily", m->t->family ? m->t->family : "");
    mds_emu_jw_str(w, "ThreatName", name);
    int remediated = e->remediation >= 1 && e->remediation <= 3;
    mds_emu_jw_str(w, "RemediationAction", av && remediated ? "quarantine" : "");
    tristate(w, "RemediationIsSuccess", av ? remediated : -1);
    mds_emu_jw_str(w, "Source", mds_emu_detection_siem(m->a.detection));
    mds_emu_jw_str(w, "Md5", e->file.md5);
    mds_emu_jw_str(w, "Sha256", e->file.sha256);
    tristate(w, "WasExecutingWhileDetected", av ? e->type == MDS_EMU_EV_PROCESS : -1);
}

static void machine(struct mds_emu_jw *w, const struct mds_emu_model *m, int legacy)
{
    char buf[160];
    mds_emu_jw_str(w, "UserDomain", m->user.domain);
    snprintf(buf, sizeof buf, "%s\\%s", m->user.domain, m->user.account);
    mds_emu_jw_str(w, "LogOnUsers", buf);
    mds_emu_jw_str(w, "MachineDomain", m->dev.domain);
    mds_emu_jw_str(w, "MachineName", m->dev.name);
    snprintf(buf, sizeof buf, "%s, %s", m->dev.ipv4[0], m->dev.ipv4[1]);
    mds_emu_jw_str(w, legacy ? "InternalIPV4List" : "InternalIPv4List", buf);
    mds_emu_jw_str(w, legacy ? "InternalIPV6List" : "InternalIPv6List", m->dev.ipv6);
}

static void tags(struct mds_emu_jw *w, const struct mds_emu_device *d)
{
    char buf[64] = "";
    for (int i = 0; i < d->ncloud_tags; i++) {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "", d->cloud_tags[i]);
    }
    mds_emu_jw_str(w, "DeviceCreatedMachineTags", d->device_tag);
    mds_emu_jw_str(w, "CloudCreatedMachineTags", buf);
}

void mds_emu_render_siem(struct mds_emu_jw *w, const struct mds_emu_model *m, int part, int legacy_casing)
{
    const struct mds_emu_evidence *e = part_evidence(m, part);
    char ioc[45], full[96];
    ioc_unique(m, part, ioc);
    snprintf(full, sizeof full, "%s:%s", m->a.id, ioc);
    mds_emu_jw_open(w, NULL, '{');
    identity(w, m);
    mds_emu_jw_str(w, "Sha1", e->file.sha1);
    mds_emu_jw_str(w, "FileName", e->file.name);
    mds_emu_jw_str(w, "FilePath", e->file.path);
    mds_emu_jw_str(w, legacy_casing ? "IPAddress" : "IpAddress", first_of(m, MDS_EMU_EV_IP));
    mds_emu_jw_str(w, legacy_casing ? "URL" : "Url", first_of(m, MDS_EMU_EV_URL));
    mds_emu_jw_str(w, "IoaDefinitionId", m->detector);
    mds_emu_jw_str(w, "UserName", m->user.account);
    mds_emu_jw_int(w, "AlertPart", part);
    mds_emu_jw_str(w, "FullId", full);
    mds_emu_jw_time(w, "LastProcessedTimeUtc", m->a.updated);
    threat(w, m, e, legacy_casing);
    machine(w, m, legacy_casing);
    mds_emu_jw_str(w, "FileHash", e->file.sha1);
    mds_emu_jw_str(w, "DeviceID", m->dev.id);
    mds_emu_jw_str(w, "MachineGroup", m->dev.group);
    mds_emu_jw_str(w, "Description", m->t->description);
    tags(w, &m->dev);
    mds_emu_jw_str(w, "CommandLine", e->type == MDS_EMU_EV_PROCESS ? e->cmdline : "");
    links(w, "IncidentLinkToWDATP", "securitycenter.windows.com", m, 1);
    mds_emu_jw_int(w, legacy_casing ? "ReportId" : "ReportID", m->report_id + part);
    links(w, "LinkToMTP", "security.microsoft.com", m, 0);
    links(w, "IncidentLinkToMTP", "security.microsoft.com", m, 1);
    mds_emu_jw_str(w, "ExternalId", m->external_id);
    mds_emu_jw_str(w, "IocUniqueId", ioc);
    mds_emu_jw_close(w, '}');
}
