/*
 * cef.c - format "cef": ArcSight Common Event Format, one line per event.
 *
 *   CEF:0|Microsoft|Microsoft Defender ATP|2.0|<class>|<name>|<severity>|<extension>
 *
 * Vendor, product and version are the ones Microsoft's ArcSight connector
 * used (spec 1.6/1.9). <class> is the detector id (IoaDefinitionId) of an
 * alert, else its category; the Advanced Hunting table of a streaming
 * record; "evidence:<type>" for a child event. <name> is the title (or
 * ActionType). Severity: render.h. Escaping: escape.h (spec 6.1).
 *
 * The extension is the table below, in order; a key is left out when its
 * value is absent, null or empty, or not of the key's type (times that do
 * not parse, non-integers for numeric keys). Keys Microsoft assigned in
 * its ArcSight mapping (spec 1.9) keep their meaning; the rest use the
 * closest standard CEF key. Several slots may share a key (only one of
 * them is ever filled for a given record).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "formats/escape.h"
#include "formats/render.h"

#define CF_TIME 1u /* ISO 8601 -> epoch milliseconds */
#define CF_BOOL 2u /* true/false -> 1/0 */
#define CF_INT 4u  /* integers only */
#define CF_CORE 8u /* repeated in every part of a split event */

struct cef_field {
    enum mds_slot slot;
    const char *key; /* "key", or "csNLabel=<label> csN" as written */
    unsigned flags;
    const char *base; /* the CEF key itself (NULL: same as key) */
};

static const struct cef_field cef_fields[] = {
    {S_ALERT_TIME, "rt", CF_TIME | CF_CORE, NULL},
    {S_FIRST_ACTIVITY, "start", CF_TIME, NULL},
    {S_LAST_PROCESSED, "end", CF_TIME, NULL},
    {S_CATEGORY, "cat", 0, NULL},
    {S_REMED_ACTION, "act", 0, NULL},
    {S_ACTION_TYPE, "act", 0, NULL},
    {S_ALERT_ID, "externalId", CF_CORE, NULL},
    {S_DESCRIPTION, "msg", 0, NULL},
    {S_SOURCE, "sourceServiceName", 0, NULL},
    {S_COMPUTER_DNS, "dvchost", 0, NULL},
    {S_MACHINE_NAME, "shost", 0, NULL},
    {S_MACHINE_DOMAIN, "sourceDnsDomain", 0, NULL},
    {S_DEVICE_ID, "deviceExternalId", CF_CORE, NULL},
    {S_LOGON_USERS, "suid", 0, NULL},
    {S_USER_NAME, "suser", 0, NULL},
    {S_USER_DOMAIN, "sntdom", 0, NULL},
    {S_IP, "src", 0, NULL},
    {S_LOCAL_IP, "src", 0, NULL},
    {S_LOCAL_PORT, "spt", CF_INT, NULL},
    {S_REMOTE_IP, "dst", 0, NULL},
    {S_REMOTE_PORT, "dpt", CF_INT, NULL},
    {S_PROTOCOL, "proto", 0, NULL},
    {S_URL, "request", 0, NULL},
    {S_FILE_NAME, "fname", 0, NULL},
    {S_FILE_PATH, "filePath", 0, NULL},
    {S_SHA1, "fileHash", 0, NULL},
    {S_FILE_SIZE, "fsize", CF_INT, NULL},
    {S_PROCESS_ID, "spid", CF_INT, NULL},
    {S_THREAT_NAME, "cs1Label=ThreatName cs1", 0, "cs1"},
    {S_COMMAND_LINE, "cs2Label=CommandLine cs2", 0, "cs2"},
    {S_ACTOR, "cs4Label=Actor cs4", 0, "cs4"},
    {S_MD5, "cs5Label=Md5 cs5", 0, "cs5"},
    {S_SHA256, "cs6Label=Sha256 cs6", 0, "cs6"},
    {S_WAS_EXECUTING, "cn1Label=WasExecutingWhileDetected cn1", CF_BOOL, "cn1"},
    {S_REMED_SUCCESS, "cn2Label=RemediationIsSuccess cn2", CF_BOOL, "cn2"},
    {S_INCIDENT_ID, "cn3Label=IncidentId cn3", CF_INT, "cn3"},
    {S_REPORT_ID, "cn3Label=ReportId cn3", CF_INT, "cn3"},
    {S_EVIDENCE_INDEX, "cn3Label=EvidenceIndex cn3", CF_INT, "cn3"},
    {S_LINK_WDATP, "flexString1Label=LinkToWDATP flexString1", 0, "flexString1"},
    {S_THREAT_CATEGORY, "flexString2Label=ThreatCategory flexString2", 0, "flexString2"},
    {S_LAST_UPDATE, "deviceCustomDate1Label=LastUpdateTime deviceCustomDate1", CF_TIME, "deviceCustomDate1"},
};

/* Decimal text of v into buf (at least 21 bytes); returns the length.
 * snprintf was a tenth of the CEF rendering time for four numbers. */
static size_t format_int(long long v, char *buf)
{
    char tmp[24];
    size_t n = 0, k = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[k++] = '-';
    while (n)
        buf[k++] = tmp[--n];
    buf[k] = '\0';
    return k;
}

/* The value text of a field, or NULL to leave the key out. */
static const char *field_text(const struct mds_view *v, const struct cef_field *f, char *tmp, size_t size,
                              size_t *n)
{
    if (f->flags & CF_TIME) {
        mds_ticks t;
        if (mds_view_ticks(v, f->slot, &t))
            return NULL;
        if (size < 24)
            return NULL;
        *n = format_int((long long)(t / MDS_TICKS_PER_MS), tmp);
        return tmp;
    }
    if (f->flags & CF_BOOL) {
        const char *p = mds_view_bytes(v, f->slot, n);
        if (p && *n == 4 && strncasecmp(p, "true", 4) == 0)
            return *n = 1, "1";
        if (p && *n == 5 && strncasecmp(p, "false", 5) == 0)
            return *n = 1, "0";
        return NULL;
    }
    if ((f->flags & CF_INT) && !mds_view_is_int(v, f->slot))
        return NULL;
    const char *p = mds_view_bytes(v, f->slot, n);
    return p && *n ? p : NULL;
}

static mds_err put_pair(struct mds_em *em, const char *key, unsigned flags, const char *s, size_t n)
{
    mds_err err;
    struct mds_buf *b = mds_em_value_begin(em, key, flags, &err);
    if (!err)
        err = mds_cef_escape_value(b, s, n);
    return err ? err : mds_em_value_end(em);
}

static mds_err render_head(const struct mds_view *v, struct mds_em *em)
{
    struct mds_buf *h = mds_em_head(em);
    size_t n;
    const char *s;
    mds_err err = mds_buf_puts(h, "CEF:0|Microsoft|Microsoft Defender ATP|2.0|");
    if (!err && (s = mds_view_event_class(v, &n)))
        err = mds_cef_escape_header(h, s, n);
    if (!err)
        err = mds_buf_putc(h, '|');
    if (!err && (s = mds_view_event_name(v, &n)))
        err = mds_cef_escape_header(h, s, n);
    char sev[5] = {'|', '0', '|', 0, 0};
    int level = mds_cef_severity(mds_view_severity(v));
    if (level >= 10)
        memcpy(sev, "|10|", 5);
    else
        sev[1] = (char)('0' + level);
    if (!err)
        err = mds_buf_puts(h, sev);
    mds_em_head_done(em);
    return err;
}

static mds_err render_event(const struct mds_view *v, const struct mds_format_opts *opts,
                            struct mds_fmt_state *st, struct mds_em *em)
{
    (void)opts;
    (void)st;
    mds_err err = render_head(v, em);
    const char *last = NULL;
    for (size_t i = 0; i < sizeof cef_fields / sizeof cef_fields[0] && !err; i++) {
        const struct cef_field *f = &cef_fields[i];
        const char *key = f->base ? f->base : f->key;
        if (last && strcmp(last, key) == 0)
            continue; /* an earlier slot already gave this key a value */
        char tmp[32];
        size_t n = 0;
        const char *s = field_text(v, f, tmp, sizeof tmp, &n);
        if (!s)
            continue;
        unsigned flags = ((f->flags & CF_CORE) ? MDS_PAIR_CORE : 0) |
                         ((f->flags & (CF_TIME | CF_BOOL | CF_INT)) ? 0 : MDS_PAIR_STR);
        err = put_pair(em, f->key, flags, s, n);
        last = key;
    }
    return err;
}

static mds_err render(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                      const struct mds_record *rec, struct mds_buf *out, char *errstr, size_t errlen)
{
    return mds_format_alert_events(ctx, opts, rec, out, MDS_EM_CEF, ' ', render_event, errstr, errlen);
}

const struct mds_format mds_format_cef = {
    .name = "cef",
    .help = "ArcSight CEF:0, one event per alert (evidence=split adds one per evidence)",
    .render = render,
};
