/*
 * legacy.c - format "legacy": the MDE SIEM API detection record (spec
 * 1.5/1.6), one JSON object per line, all 50 fields in the order and
 * spelling of Microsoft's S1 sample (IpAddress, Url, ThreatFamily,
 * ReportID...).
 *
 * From Graph and MDE alerts every field seed 002 maps is filled from its
 * successor (view.c); the fields seed 002 marks unsupported or obsolete
 * (IoC fields, AlertPart, FullId, Md5, InternalIPv4/6List, ReportID,
 * ExternalId, IocUniqueId) are present with the value the legacy API used
 * for "nothing": "" for strings, 0 for AlertPart and ReportID. The two
 * booleans are null when not applicable. A legacy detection passes
 * through with its keys normalised to the S1 spelling (matched
 * case-insensitively; ThreatFamilyName accepted) and other keys dropped.
 *
 * Evidence: first (default) gives one detection per alert; split gives one
 * detection per file/process evidence, as the legacy API did (an alert
 * without such evidence still gives one).
 */
#include <stdio.h>
#include <string.h>

#include "formats/render.h"

enum legacy_type { LT_STR, LT_BOOL, LT_INT };

#define LG_X 1u /* seed 002: not supported / obsolete for Graph and MDE alerts */

struct legacy_col {
    enum mds_slot slot;
    enum legacy_type type;
    unsigned flags;
    int fallback; /* slot used when `slot` is absent, or -1 */
};

/* Indexed like the first MDS_LEGACY_FIELDS slots; names: mds_view_slot_name. */
static const struct legacy_col legacy_cols[MDS_LEGACY_FIELDS] = {
    {S_ALERT_TIME, LT_STR, 0, -1},
    {S_COMPUTER_DNS, LT_STR, 0, -1},
    {S_TITLE, LT_STR, 0, -1},
    {S_CATEGORY, LT_STR, 0, -1},
    {S_SEVERITY, LT_STR, 0, -1},
    {S_ALERT_ID, LT_STR, 0, -1},
    {S_ACTOR, LT_STR, 0, -1},
    {S_LINK_WDATP, LT_STR, 0, -1},
    {S_IOC_NAME, LT_STR, LG_X, -1},
    {S_IOC_VALUE, LT_STR, LG_X, -1},
    {S_CREATOR_IOC_NAME, LT_STR, LG_X, -1},
    {S_CREATOR_IOC_VALUE, LT_STR, LG_X, -1},
    {S_SHA1, LT_STR, 0, -1},
    {S_FILE_NAME, LT_STR, 0, -1},
    {S_FILE_PATH, LT_STR, 0, -1},
    {S_IP, LT_STR, 0, S_REMOTE_IP},
    {S_URL, LT_STR, 0, -1},
    {S_IOA_ID, LT_STR, 0, -1},
    {S_USER_NAME, LT_STR, 0, -1},
    {S_ALERT_PART, LT_INT, LG_X, -1},
    {S_FULL_ID, LT_STR, LG_X, -1},
    {S_LAST_PROCESSED, LT_STR, 0, S_RECEIVED},
    {S_THREAT_CATEGORY, LT_STR, 0, -1},
    {S_THREAT_FAMILY, LT_STR, 0, -1},
    {S_THREAT_NAME, LT_STR, 0, -1},
    {S_REMED_ACTION, LT_STR, 0, -1},
    {S_REMED_SUCCESS, LT_BOOL, 0, -1},
    {S_SOURCE, LT_STR, 0, -1},
    {S_MD5, LT_STR, LG_X, -1},
    {S_SHA256, LT_STR, 0, -1},
    {S_WAS_EXECUTING, LT_BOOL, 0, -1},
    {S_USER_DOMAIN, LT_STR, 0, -1},
    {S_LOGON_USERS, LT_STR, 0, -1},
    {S_MACHINE_DOMAIN, LT_STR, 0, -1},
    {S_MACHINE_NAME, LT_STR, 0, -1},
    {S_IPV4_LIST, LT_STR, LG_X, -1},
    {S_IPV6_LIST, LT_STR, LG_X, -1},
    {S_FILE_HASH, LT_STR, 0, -1},
    {S_DEVICE_ID, LT_STR, 0, -1},
    {S_MACHINE_GROUP, LT_STR, 0, -1},
    {S_DESCRIPTION, LT_STR, 0, -1},
    {S_DEVICE_TAGS, LT_STR, 0, -1},
    {S_CLOUD_TAGS, LT_STR, 0, -1},
    {S_COMMAND_LINE, LT_STR, 0, -1},
    {S_INCIDENT_LINK_WDATP, LT_STR, 0, -1},
    {S_REPORT_ID, LT_INT, LG_X, -1},
    {S_LINK_MTP, LT_STR, 0, -1},
    {S_INCIDENT_LINK_MTP, LT_STR, 0, -1},
    {S_EXTERNAL_ID, LT_STR, LG_X, -1},
    {S_IOC_UNIQUE_ID, LT_STR, LG_X, -1},
};

static mds_err put_default(enum legacy_type t, struct mds_buf *out)
{
    return mds_buf_puts(out, t == LT_STR ? "\"\"" : t == LT_BOOL ? "null" : "0");
}

static mds_err put_column(const struct mds_view *v, const struct legacy_col *c, struct mds_buf *out)
{
    enum mds_slot s = c->slot;
    if ((c->flags & LG_X) && (v->kind == MDS_INPUT_GRAPH || v->kind == MDS_INPUT_MDE))
        return put_default(c->type, out);
    if (v->f[s].type == FV_ABSENT && c->fallback >= 0)
        s = (enum mds_slot)c->fallback;
    switch (v->f[s].type) {
    case FV_ABSENT:
    case FV_NULL:
        return put_default(c->type, out);
    case FV_STR:
        if (c->type == LT_INT && mds_view_is_int(v, s)) {
            size_t n;
            const char *p = mds_view_bytes(v, s, &n);
            return mds_buf_append(out, p, n);
        }
        return mds_view_write_json(v, s, out);
    default:
        return mds_view_write_json(v, s, out);
    }
}

static mds_err render_detection(const struct mds_view *v, struct mds_buf *out)
{
    mds_err err = mds_buf_putc(out, '{');
    for (int i = 0; i < MDS_LEGACY_FIELDS && !err; i++) {
        const char *name = mds_view_slot_name(legacy_cols[i].slot);
        err = mds_buf_append(out, &",\""[i == 0], i == 0 ? 1 : 2);
        if (!err)
            err = mds_buf_puts(out, name);
        if (!err)
            err = mds_buf_append(out, "\":", 2);
        if (!err)
            err = put_column(v, &legacy_cols[i], out);
    }
    if (!err)
        err = mds_buf_puts(out, "}\n");
    return err;
}

/* A detection longer than max_event cannot be split (a legacy consumer
 * expects whole records): refused, never cut. */
static mds_err emit(const struct mds_view *v, const struct mds_format_opts *opts, struct mds_buf *out,
                    char *errstr, size_t errlen)
{
    size_t start = out->len;
    mds_err err = render_detection(v, out);
    if (!err && opts->max_event && out->len - start - 1 > opts->max_event) {
        snprintf(errstr, errlen, "legacy detection of %zu bytes exceeds max_event %zu", out->len - start - 1,
                 opts->max_event);
        err = MDS_ERR_LIMIT;
    }
    return err;
}

static mds_err render(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                      const struct mds_record *rec, struct mds_buf *out, char *errstr, size_t errlen)
{
    const struct mds_json *j;
    int root, any = 0;
    size_t start = out->len;
    struct mds_fmt_state *st = mds_fmt_state_get(ctx);
    if (!st)
        return MDS_ERR_NOMEM;
    mds_err err = mds_format_tokens(ctx, rec, &j, &root, errstr, errlen);
    if (!err)
        err = mds_view_build(st->view, j, root, rec->kind, errstr, errlen);
    for (int i = 0; !err && opts->evidence == MDS_EVIDENCE_SPLIT && i < st->view->nev; i++) {
        if (!mds_view_ev_is_main(st->view, i))
            continue;
        err = mds_view_select_main(st->view, i);
        if (!err)
            err = emit(st->view, opts, out, errstr, errlen);
        any = 1;
    }
    if (!err && !any)
        err = emit(st->view, opts, out, errstr, errlen);
    if (err) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return err;
}

const struct mds_format mds_format_legacy = {
    .name = "legacy",
    .help = "legacy SIEM API detection (all 50 fields, S1 spelling); evidence=split: one per file/process",
    .render = render,
};
