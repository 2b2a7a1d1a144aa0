/*
 * gen.c - the deterministic alert generator.
 *
 * An alert is stored as a small state record (struct mds_emu_alert); the
 * full alert - device, user, evidence, hashes, command lines - is
 * regenerated from the record's `gen` seed whenever it is rendered. The
 * same state therefore always renders to the same bytes, a million alerts
 * cost ~100 bytes each, and the Graph, MDE and SIEM doors all describe
 * the same facts. Pure functions: no globals, no clock, no locks.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <string.h>

#define SECOND MDS_TICKS_PER_SEC
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)

/* Salts of the independent per-alert streams. */
enum { S_BASICS = 1, S_DEVICE, S_USER, S_EVIDENCE, S_MISC };

static uint64_t pick(struct mds_emu_rng *r, uint64_t n)
{
    return mds_emu_rng_below(r, n);
}

/* strlcpy: the generator copies catalog strings that fit their fields by
 * construction; snprintf("%s") cost a fifth of the render time. */
static void copy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static mds_ticks between(struct mds_emu_rng *r, mds_ticks lo, mds_ticks hi)
{
    return hi > lo ? lo + (mds_ticks)pick(r, (uint64_t)(hi - lo)) : lo;
}

void mds_emu_gen_basics(struct mds_emu_alert *a, int evolvable)
{
    struct mds_emu_rng r;
    mds_emu_rng_seed(&r, a->gen, S_BASICS);
    a->tmpl = (uint8_t)pick(&r, mds_emu_template_count);
    const struct mds_emu_template *t = &mds_emu_templates[a->tmpl];
    a->severity = t->severity;
    if (pick(&r, 5) == 0) /* the same detection at another severity */
        a->severity = (uint8_t)(MDS_EMU_SEV_INFORMATIONAL + pick(&r, 4));
    a->service = t->service;
    a->detection = t->detection;
    if (evolvable && pick(&r, 4) == 0) { /* Sentinel / Defender for Cloud and their newer sources */
        a->service = (uint8_t)(mds_emu_service_source.evolvable + pick(&r, 2));
        a->detection = (uint8_t)(mds_emu_detection_source.evolvable + pick(&r, 7));
    }
}

/* Copies fmt into dst replacing the first "%s" with arg. */
static void substitute(char *dst, size_t size, const char *fmt, const char *arg)
{
    const char *hole = strstr(fmt, "%s");
    size_t before = hole ? (size_t)(hole - fmt) : strlen(fmt);
    snprintf(dst, size, "%.*s%s%s", (int)before, fmt, hole ? arg : "", hole ? hole + 2 : "");
}

static void gen_file(struct mds_emu_rng *r, const struct mds_emu_image *img, const char *name,
                     struct mds_emu_file *f)
{
    copy(f->name, sizeof f->name, name ? name : img->name);
    copy(f->path, sizeof f->path, img->dir);
    copy(f->publisher, sizeof f->publisher, img->publisher);
    copy(f->signer, sizeof f->signer, img->signer);
    copy(f->issuer, sizeof f->issuer, img->issuer);
    f->size = 20480 + (int64_t)pick(r, 8 * 1024 * 1024);
    mds_emu_rng_hex(r, f->md5, 32);
    mds_emu_rng_hex(r, f->sha1, 40);
    mds_emu_rng_hex(r, f->sha256, 64);
}

static void gen_device(const struct mds_emu_alert *a, struct mds_emu_device *d)
{
    static const char *const prefixes[] = {"desktop", "laptop", "srv", "wks", "vm"};
    static const char *const versions[] = {"22H2", "23H2", "21H2", "1809"};
    static const char *const tags[] = {"VIP", "Pilot", "PCI", "Critical", "Kiosk"};
    struct mds_emu_rng r;
    mds_emu_rng_seed(&r, a->gen, S_DEVICE);
    char suffix[8];
    mds_emu_rng_hex(&r, suffix, 7);
    snprintf(d->name, sizeof d->name, "%s-%s", prefixes[pick(&r, 5)], suffix);
    copy(d->domain, sizeof d->domain, mds_emu_domains[pick(&r, mds_emu_domain_count)]);
    snprintf(d->dns, sizeof d->dns, "%s.%s", d->name, d->domain);
    mds_emu_rng_hex(&r, d->id, 40);
    mds_emu_rng_guid(&r, d->aad_id);
    int server = strncmp(d->name, "srv", 3) == 0;
    snprintf(d->os, sizeof d->os, "%s",
             server        ? "WindowsServer2022"
             : pick(&r, 3) ? "Windows11"
                           : "Windows10");
    d->build = server ? 20348 : 22000 + (int64_t)pick(&r, 3000);
    copy(d->version, sizeof d->version, versions[pick(&r, 4)]);
    d->group_id = 1 + (int)pick(&r, mds_emu_group_count);
    copy(d->group, sizeof d->group, mds_emu_groups[d->group_id - 1]);
    /* distinct tags: the device-set one first, then the cloud ones */
    size_t first = (size_t)pick(&r, 5);
    int has_device_tag = pick(&r, 3) == 0;
    copy(d->device_tag, sizeof d->device_tag, has_device_tag ? tags[first] : "");
    d->ncloud_tags = (int)pick(&r, 3);
    for (int i = 0; i < d->ncloud_tags; i++)
        copy(d->cloud_tags[i], sizeof d->cloud_tags[i], tags[(first + 1 + (size_t)i) % 5]);
    snprintf(d->ipv4[0], sizeof d->ipv4[0], "10.%u.%u.%u", (unsigned)pick(&r, 256), (unsigned)pick(&r, 256),
             1 + (unsigned)pick(&r, 254));
    snprintf(d->ipv4[1], sizeof d->ipv4[1], "192.168.%u.%u", (unsigned)pick(&r, 256),
             1 + (unsigned)pick(&r, 254));
    snprintf(d->ipv6, sizeof d->ipv6, "fe80::%x:%x:%x:%x", (unsigned)pick(&r, 65536),
             (unsigned)pick(&r, 65536), (unsigned)pick(&r, 65536), (unsigned)pick(&r, 65536));
    d->vm = pick(&r, 4) == 0;
    mds_emu_rng_guid(&r, d->vm_id);
    mds_emu_rng_guid(&r, d->vm_sub);
    d->health = pick(&r, 10) ? 0 : (int)pick(&r, 5);
    d->risk = 1 + (int)pick(&r, 4);
    d->onboarding = 1;
    d->av = pick(&r, 8) ? 3 : (int)pick(&r, 6);
    d->first_seen = a->created - (mds_ticks)pick(&r, (uint64_t)(400 * 24 * HOUR)) - HOUR;
}

static void gen_user(const struct mds_emu_alert *a, const struct mds_emu_device *d, struct mds_emu_user *u)
{
    struct mds_emu_rng r;
    mds_emu_rng_seed(&r, a->gen, S_USER);
    const struct mds_emu_person *p = &mds_emu_people[pick(&r, mds_emu_people_count)];
    copy(u->account, sizeof u->account, p->account);
    copy(u->display, sizeof u->display, p->display);
    const char *dot = strchr(d->domain, '.');
    size_t dl = dot ? (size_t)(dot - d->domain) : strlen(d->domain);
    for (size_t i = 0; i < dl && i + 1 < sizeof u->domain; i++)
        u->domain[i] = (char)(d->domain[i] >= 'a' && d->domain[i] <= 'z' ? d->domain[i] - 32 : d->domain[i]);
    u->domain[dl < sizeof u->domain ? dl : sizeof u->domain - 1] = '\0';
    snprintf(u->sid, sizeof u->sid, "S-1-5-21-%u-%u-%u-%u", 1000000000u + (unsigned)pick(&r, 1000000000u),
             1000000000u + (unsigned)pick(&r, 1000000000u), 100000000u + (unsigned)pick(&r, 900000000u),
             1000u + (unsigned)pick(&r, 50000));
    mds_emu_rng_guid(&r, u->aad_id);
    snprintf(u->upn, sizeof u->upn, "%s@%s", p->account, d->domain);
}

/* The image named like the template's process, else a random one. */
static const struct mds_emu_image *image_for(struct mds_emu_rng *r, const char *name)
{
    const struct mds_emu_image *img = &mds_emu_images[pick(r, mds_emu_image_count)];
    for (size_t i = 0; name && i < mds_emu_image_count; i++)
        if (strcmp(mds_emu_images[i].name, name) == 0)
            return &mds_emu_images[i];
    return img;
}

static void gen_process(struct mds_emu_rng *r, const struct mds_emu_model *m, struct mds_emu_evidence *e,
                        int main_process)
{
    const struct mds_emu_image *img = image_for(r, main_process ? m->t->process : NULL);
    const struct mds_emu_image *parent = &mds_emu_images[pick(r, 4)];
    gen_file(r, img, main_process ? m->t->process : NULL, &e->file);
    gen_file(r, parent, NULL, &e->parent);
    char full[384];
    snprintf(full, sizeof full, "%s\\%s", e->file.path, e->file.name);
    substitute(e->cmdline, sizeof e->cmdline, mds_emu_cmdlines[pick(r, mds_emu_cmdline_count)], full);
    e->pid = 1000 + (int64_t)pick(r, 60000);
    e->ppid = 500 + (int64_t)pick(r, 30000);
    e->pcreated = between(r, m->first_activity, m->last_activity);
    e->ppcreated = e->pcreated - (mds_ticks)pick(r, (uint64_t)HOUR) - SECOND;
    e->detection = (int)pick(r, 3);
}

static void gen_network(struct mds_emu_rng *r, struct mds_emu_evidence *e)
{
    static const char *const countries[] = {"US", "NL", "RU", "CN", "BR", "DE", "KP"};
    if (pick(r, 5) == 0)
        snprintf(e->ip, sizeof e->ip, "2001:db8:%x::%x", (unsigned)pick(r, 65536), (unsigned)pick(r, 65536));
    else
        snprintf(e->ip, sizeof e->ip, "%u.%u.%u.%u", 198u + (unsigned)pick(r, 6), (unsigned)pick(r, 256),
                 (unsigned)pick(r, 256), 1 + (unsigned)pick(r, 254));
    copy(e->country, sizeof e->country, countries[pick(r, 7)]);
    copy(e->url, sizeof e->url, mds_emu_urls[pick(r, mds_emu_url_count)]);
}

/* Evidence: always a device and a process or file, then 0-4 more. */
static void gen_evidence(struct mds_emu_model *m)
{
    static const char *const detailed[] = {"Main device",      "Initiating process", "Dropped file",
                                           "Remote endpoint",  "Phishing link",      "Compromised user",
                                           "Attacked resource"};
    static const uint8_t roles[] = {7, 13, 5, 4, 3, 9, 9};
    struct mds_emu_rng r;
    mds_emu_rng_seed(&r, m->a.gen, S_EVIDENCE);
    /* 2-6 items, mostly 2-4, like real alerts */
    static const uint8_t counts[] = {2, 2, 2, 3, 3, 3, 4, 4, 5, 6};
    static const uint8_t extra[] = {MDS_EMU_EV_PROCESS, MDS_EMU_EV_FILE, MDS_EMU_EV_IP,  MDS_EMU_EV_IP,
                                    MDS_EMU_EV_URL,     MDS_EMU_EV_URL,  MDS_EMU_EV_USER};
    m->nevidence = counts[pick(&r, sizeof counts)];
    for (int i = 0; i < m->nevidence; i++) {
        struct mds_emu_evidence *e = &m->ev[i];
        memset(e, 0, sizeof *e);
        if (i == 0)
            e->type = MDS_EMU_EV_DEVICE;
        else if (i == 1)
            e->type = pick(&r, 3) ? MDS_EMU_EV_PROCESS : MDS_EMU_EV_FILE;
        else
            e->type = (enum mds_emu_ev_type)extra[pick(&r, sizeof extra)];
        e->verdict = 1 + (int)pick(&r, 3);
        e->remediation = (int)pick(&r, m->evolvable_service ? 12 : 5);
        e->role = roles[e->type];
        e->detailed_role = detailed[e->type];
        if (e->type == MDS_EMU_EV_PROCESS)
            gen_process(&r, m, e, i == 1);
        else if (e->type == MDS_EMU_EV_FILE)
            gen_file(&r, image_for(&r, i == 1 ? m->t->process : NULL), i == 1 ? m->t->process : NULL,
                     &e->file);
        gen_network(&r, e);
        e->detection = (int)pick(&r, 3);
    }
    /* alerts of the newer services end with an evidence type older
     * clients have never seen (spec §3.7: 40+ types exist) */
    if (m->evolvable_service && m->nevidence > 2) {
        struct mds_emu_evidence *e = &m->ev[m->nevidence - 1];
        e->type = MDS_EMU_EV_AZURE_RESOURCE;
        e->role = roles[e->type];
        e->detailed_role = detailed[e->type];
    }
}

static void gen_misc(struct mds_emu_model *m)
{
    static const char *const notes[] = {"Escalated to tier 2 \u2013 see ticket INC-4471.",
                                        "Benign: IT ran the \"inventory | export\" script.",
                                        "Confirmed with user; device re-imaged.\tClosing.",
                                        "Reviewed by automation rule key=auto-close"};
    struct mds_emu_rng r;
    mds_emu_rng_seed(&r, m->a.gen, S_MISC);
    mds_emu_rng_guid(&r, m->detector);
    mds_emu_rng_guid(&r, m->policy);
    m->first_activity = m->a.created - 5 * MINUTE - (mds_ticks)pick(&r, (uint64_t)(3 * HOUR));
    m->last_activity = between(&r, m->first_activity, m->a.created);
    m->investigation = (int)pick(&r, 18);
    m->expert_tag = pick(&r, 10) == 0;
    char b64[33];
    mds_emu_rng_hex(&r, b64, 32);
    snprintf(m->ioc_unique, sizeof m->ioc_unique, "R4x%sQ=", b64);
    mds_emu_rng_hex(&r, m->external_id, 40);
    for (char *p = m->external_id; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    m->report_id = 1000000 + (int64_t)pick(&r, 2000000000);
    /* Comments last: their number depends on the mutable state, so no
     * other field may come after them in this stream. They are written
     * between creation and the last update. */
    m->ncomments = m->a.updated > m->a.created ? (int)pick(&r, 3) : 0;
    for (int i = 0; i < m->ncomments; i++) {
        copy(m->comments[i].text, sizeof m->comments[i].text, notes[pick(&r, 4)]);
        m->comments[i].by = mds_emu_analysts[1 + pick(&r, mds_emu_analyst_count - 1)];
        m->comments[i].at = m->a.created + (m->a.updated - m->a.created) * (i + 1) / 3;
    }
}

void mds_emu_gen_model(const struct mds_emu_alert *a, struct mds_emu_model *m)
{
    m->a = *a;
    m->t = &mds_emu_templates[a->tmpl % mds_emu_template_count];
    m->evolvable_service = a->service >= mds_emu_service_source.evolvable;
    gen_misc(m);
    gen_device(a, &m->dev);
    gen_user(a, &m->dev, &m->user);
    gen_evidence(m);
}
