/*
 * leef.c - format "leef": IBM QRadar LEEF 2.0, one line per event.
 *
 *   LEEF:2.0|Microsoft|Defender XDR|1.0|<EventID>|<delimiter>|<attributes>
 *
 * <EventID> is the event name (alert title, or ActionType of a streaming
 * record) as in spec 6.2's example; child events use "evidence:<type>".
 * <delimiter> is opts->leef_delimiter (default TAB), spelled as the
 * character when printable, else "x09"-style hex. Attributes are
 * key=value separated by the delimiter, in the order of the table below:
 * devTime/devTimeFormat/sev first, then predefined LEEF keys (cat, src,
 * dst, srcPort, dstPort, proto, usrName, identHostName, url), then custom
 * keys named after the view slot (the legacy field name where there is
 * one). Values never contain the delimiter, CR or LF (escape.h).
 */
#include <stdio.h>
#include <string.h>

#include "formats/escape.h"
#include "formats/render.h"

#define LF_CORE 1u /* repeated in every part of a split event */
#define LF_INT 2u  /* integers only */

struct leef_field {
    enum mds_slot slot;
    const char *key; /* NULL: the slot's canonical name */
    unsigned flags;
};

static const struct leef_field leef_fields[] = {
    {S_CATEGORY, "cat", LF_CORE},
    {S_ALERT_ID, "externalId", LF_CORE},
    {S_DEVICE_ID, "DeviceID", LF_CORE},
    {S_COMPUTER_DNS, "identHostName", 0},
    {S_IP, "src", 0},
    {S_LOCAL_IP, "src", 0},
    {S_LOCAL_PORT, "srcPort", LF_INT},
    {S_REMOTE_IP, "dst", 0},
    {S_REMOTE_PORT, "dstPort", LF_INT},
    {S_PROTOCOL, "proto", 0},
    {S_USER_NAME, "usrName", 0},
    {S_LINK_WDATP, "url", 0},
    {S_URL, "requestUrl", 0},
    {S_ACTION_TYPE, NULL, 0},
    {S_DESCRIPTION, NULL, 0},
    {S_STATUS, NULL, 0},
    {S_CLASSIFICATION, NULL, 0},
    {S_DETERMINATION, NULL, 0},
    {S_SOURCE, NULL, 0},
    {S_SERVICE_SOURCE, NULL, 0},
    {S_IOA_ID, NULL, 0},
    {S_INCIDENT_ID, NULL, 0},
    {S_INCIDENT_LINK_MTP, NULL, 0},
    {S_ACTOR, NULL, 0},
    {S_THREAT_CATEGORY, NULL, 0},
    {S_THREAT_FAMILY, NULL, 0},
    {S_THREAT_NAME, NULL, 0},
    {S_LAST_PROCESSED, NULL, 0},
    {S_LAST_UPDATE, NULL, 0},
    {S_FIRST_ACTIVITY, NULL, 0},
    {S_RESOLVED, NULL, 0},
    {S_RECEIVED, NULL, 0},
    {S_TENANT_ID, NULL, 0},
    {S_ASSIGNED_TO, NULL, 0},
    {S_MACHINE_NAME, NULL, 0},
    {S_MACHINE_DOMAIN, NULL, 0},
    {S_MACHINE_GROUP, NULL, 0},
    {S_LOGON_USERS, NULL, 0},
    {S_DEVICE_TAGS, NULL, 0},
    {S_CLOUD_TAGS, NULL, 0},
    {S_OS_PLATFORM, NULL, 0},
    {S_USER_DOMAIN, NULL, 0},
    {S_USER_SID, NULL, 0},
    {S_USER_UPN, NULL, 0},
    {S_FILE_NAME, NULL, 0},
    {S_FILE_PATH, NULL, 0},
    {S_FILE_SIZE, NULL, 0},
    {S_SHA1, NULL, 0},
    {S_SHA256, NULL, 0},
    {S_MD5, NULL, 0},
    {S_PROCESS_NAME, NULL, 0},
    {S_PROCESS_ID, NULL, 0},
    {S_COMMAND_LINE, NULL, 0},
    {S_PARENT_NAME, NULL, 0},
    {S_PARENT_PID, NULL, 0},
    {S_PARENT_CMD, NULL, 0},
    {S_DETECTION_STATUS, NULL, 0},
    {S_WAS_EXECUTING, NULL, 0},
    {S_REMED_ACTION, NULL, 0},
    {S_REMED_SUCCESS, NULL, 0},
    {S_VERDICT, NULL, 0},
    {S_EVIDENCE_TYPE, NULL, 0},
    {S_EVIDENCE_INDEX, NULL, 0},
    {S_EVIDENCE_ROLE, NULL, 0},
    {S_REPORT_ID, NULL, 0},
    {S_IPV4_LIST, NULL, 0},
    {S_IPV6_LIST, NULL, 0},
    {S_IOC_NAME, NULL, 0},
    {S_IOC_VALUE, NULL, 0},
    {S_CREATOR_IOC_NAME, NULL, 0},
    {S_CREATOR_IOC_VALUE, NULL, 0},
    {S_FULL_ID, NULL, 0},
    {S_IOC_UNIQUE_ID, NULL, 0},
    {S_EXTERNAL_ID, NULL, 0},
};

#define DEV_TIME_FORMAT "yyyy-MM-dd'T'HH:mm:ss.SSSZ"

static mds_err put_pair(struct mds_em *em, const char *key, unsigned flags, const char *s, size_t n)
{
    mds_err err;
    struct mds_buf *b = mds_em_value_begin(em, key, flags, &err);
    if (!err)
        err = mds_leef_escape_value(b, s, n, em->delim);
    return err ? err : mds_em_value_end(em);
}

static mds_err render_head(const struct mds_view *v, struct mds_em *em)
{
    struct mds_buf *h = mds_em_head(em);
    char d[8];
    size_t n;
    const char *s = v->child >= 0 ? mds_view_event_class(v, &n) : mds_view_event_name(v, &n);
    mds_err err = mds_buf_puts(h, "LEEF:2.0|Microsoft|Defender XDR|1.0|");
    if (!err)
        err = mds_leef_escape_header(h, s, n);
    mds_leef_delimiter_spell(em->delim, d, sizeof d);
    if (!err)
        err = mds_buf_printf(h, "|%s|", d);
    mds_em_head_done(em);
    return err;
}

/* devTime (millisecond precision, +0000), devTimeFormat and sev. */
static mds_err render_time_sev(const struct mds_view *v, struct mds_em *em)
{
    mds_ticks t;
    char ts[40], sev[8];
    mds_err err = MDS_OK;
    if (mds_view_ticks(v, S_ALERT_TIME, &t) == MDS_OK) {
        size_t n = mds_time_format(t, 3, ts, sizeof ts);
        if (n && n + 5 <= sizeof ts) {
            memcpy(ts + n - 1, "+0000", 6); /* the trailing Z, as SimpleDateFormat's Z */
            err = put_pair(em, "devTime", MDS_PAIR_CORE, ts, n + 4);
            if (!err)
                err =
                    put_pair(em, "devTimeFormat", MDS_PAIR_CORE, DEV_TIME_FORMAT, sizeof DEV_TIME_FORMAT - 1);
        }
    }
    int k = snprintf(sev, sizeof sev, "%d", mds_leef_severity(mds_view_severity(v)));
    if (!err)
        err = put_pair(em, "sev", MDS_PAIR_CORE, sev, (size_t)k);
    return err;
}

static mds_err render_event(const struct mds_view *v, const struct mds_format_opts *opts,
                            struct mds_fmt_state *st, struct mds_em *em)
{
    (void)opts;
    (void)st;
    mds_err err = render_head(v, em);
    if (!err)
        err = render_time_sev(v, em);
    const char *last = NULL;
    for (size_t i = 0; i < sizeof leef_fields / sizeof leef_fields[0] && !err; i++) {
        const struct leef_field *f = &leef_fields[i];
        const char *key = f->key ? f->key : mds_view_slot_name(f->slot);
        size_t n;
        const char *s = mds_view_bytes(v, f->slot, &n);
        if ((last && strcmp(last, key) == 0) || !s || !n ||
            ((f->flags & LF_INT) && !mds_view_is_int(v, f->slot)))
            continue;
        err = put_pair(em, key, ((f->flags & LF_CORE) ? MDS_PAIR_CORE : 0) | MDS_PAIR_STR, s, n);
        last = key;
    }
    return err;
}

static mds_err render(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                      const struct mds_record *rec, struct mds_buf *out, char *errstr, size_t errlen)
{
    char delim = opts->leef_delimiter ? opts->leef_delimiter : '\t';
    if (!mds_leef_delimiter_ok(delim)) {
        snprintf(errstr, errlen, "LEEF delimiter 0x%02x is not allowed", (unsigned char)delim);
        return MDS_ERR_ARG;
    }
    return mds_format_alert_events(ctx, opts, rec, out, MDS_EM_LEEF, delim, render_event, errstr, errlen);
}

const struct mds_format mds_format_leef = {
    .name = "leef",
    .help = "IBM QRadar LEEF:2.0, one event per alert (evidence=split adds one per evidence)",
    .render = render,
};
