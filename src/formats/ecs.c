/*
 * ecs.c - format "ecs": Elastic Common Schema documents, one per line.
 *
 * The table below lists every ECS field written, in output order (fields
 * sharing an object are adjacent so the writer nests them in one pass).
 * The record itself goes under microsoft.defender.<alert|mde_alert|
 * detection|stream>, re-serialised compactly (strings re-escaped: always
 * valid JSON). A child event (evidence = split) carries the evidence
 * object as microsoft.defender.evidence instead, with evidence_type and
 * evidence_index. An oversize event is split (emit.h) into documents with
 * dotted keys ("file.path":...), which Elasticsearch reads as the same
 * objects; there the original travels as the ECS string event.original.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "formats/render.h"

#define ECS_VERSION "8.11.0"

enum ecs_kind {
    E_SLOT,
    E_TIME,
    E_INT,
    E_LOWER,
    E_KIND,
    E_CATEGORY,
    E_SEVERITY,
    E_MESSAGE,
    E_FRAMEWORK,
    E_VERSION,
    E_ORIGINAL,
    E_EV_TYPE,
    E_EV_INDEX
};

#define EF_CORE 1u  /* repeated in every part of a split event */
#define EF_ALERT 2u /* alerts only (rule.*) */

struct ecs_field {
    const char *path;
    enum ecs_kind kind;
    enum mds_slot slot;
    unsigned flags;
};

static const struct ecs_field ecs_fields[] = {
    {"@timestamp", E_TIME, S_ALERT_TIME, EF_CORE},
    {"@timestamp", E_TIME, S_RECEIVED, EF_CORE},
    {"ecs.version", E_VERSION, 0, 0},
    {"event.kind", E_KIND, 0, EF_CORE},
    {"event.category", E_CATEGORY, 0, 0},
    {"event.action", E_SLOT, S_ACTION_TYPE, 0},
    {"event.id", E_SLOT, S_ALERT_ID, EF_CORE},
    {"event.severity", E_SEVERITY, 0, 0},
    {"event.provider", E_SLOT, S_SOURCE, 0},
    {"event.created", E_TIME, S_RECEIVED, 0},
    {"event.start", E_TIME, S_FIRST_ACTIVITY, 0},
    {"event.end", E_TIME, S_LAST_PROCESSED, 0},
    {"event.url", E_SLOT, S_LINK_WDATP, 0},
    {"rule.id", E_SLOT, S_IOA_ID, EF_ALERT},
    {"rule.name", E_SLOT, S_TITLE, EF_ALERT},
    {"rule.category", E_SLOT, S_CATEGORY, EF_ALERT},
    {"rule.description", E_SLOT, S_DESCRIPTION, EF_ALERT},
    {"threat.framework", E_FRAMEWORK, S_TECHNIQUES, 0},
    {"threat.technique.id", E_SLOT, S_TECHNIQUES, 0},
    {"threat.group.name", E_SLOT, S_ACTOR, 0},
    {"threat.software.name", E_SLOT, S_THREAT_FAMILY, 0},
    {"host.hostname", E_SLOT, S_COMPUTER_DNS, 0},
    {"host.name", E_SLOT, S_COMPUTER_DNS, 0},
    {"host.domain", E_SLOT, S_MACHINE_DOMAIN, 0},
    {"host.id", E_SLOT, S_DEVICE_ID, EF_CORE},
    {"process.name", E_SLOT, S_PROCESS_NAME, 0},
    {"process.pid", E_INT, S_PROCESS_ID, 0},
    {"process.command_line", E_SLOT, S_COMMAND_LINE, 0},
    {"process.parent.name", E_SLOT, S_PARENT_NAME, 0},
    {"process.parent.pid", E_INT, S_PARENT_PID, 0},
    {"process.parent.command_line", E_SLOT, S_PARENT_CMD, 0},
    {"file.name", E_SLOT, S_FILE_NAME, 0},
    {"file.directory", E_SLOT, S_FILE_DIRECTORY, 0},
    {"file.path", E_SLOT, S_FILE_FULLPATH, 0},
    {"file.size", E_INT, S_FILE_SIZE, 0},
    {"file.hash.md5", E_SLOT, S_MD5, 0},
    {"file.hash.sha1", E_SLOT, S_SHA1, 0},
    {"file.hash.sha256", E_SLOT, S_SHA256, 0},
    {"source.ip", E_SLOT, S_IP, 0},
    {"source.ip", E_SLOT, S_LOCAL_IP, 0},
    {"source.port", E_INT, S_LOCAL_PORT, 0},
    {"destination.ip", E_SLOT, S_REMOTE_IP, 0},
    {"destination.port", E_INT, S_REMOTE_PORT, 0},
    {"network.transport", E_LOWER, S_PROTOCOL, 0},
    {"url.full", E_SLOT, S_URL, 0},
    {"url.original", E_SLOT, S_URL, 0},
    {"user.name", E_SLOT, S_USER_NAME, 0},
    {"user.domain", E_SLOT, S_USER_DOMAIN, 0},
    {"user.id", E_SLOT, S_USER_SID, 0},
    {"message", E_MESSAGE, 0, 0},
    {"microsoft.defender.evidence_type", E_EV_TYPE, 0, 0},
    {"microsoft.defender.evidence_index", E_EV_INDEX, 0, 0},
    {NULL, E_ORIGINAL, 0, 0}, /* path depends on the record kind */
};

static const char *original_path(const struct mds_view *v, int collect)
{
    static const char *const paths[] = {"microsoft.defender.alert", "microsoft.defender.mde_alert",
                                        "microsoft.defender.detection", "microsoft.defender.stream"};
    if (collect)
        return "event.original";
    if (v->child >= 0)
        return "microsoft.defender.evidence";
    return (unsigned)v->kind < 4 ? paths[v->kind] : "microsoft.defender.record";
}

/* ---- values ------------------------------------------------------------ */

/* "<time>.fffffffZ", as mds_time_format(t, 7, ...) spells it, with the
 * seconds from mds_time_format(t, 0, ...) and the fraction written here:
 * one snprintf instead of three (they were 5% of ECS rendering). */
static mds_err put_time(const struct mds_view *v, enum mds_slot s, struct mds_buf *b)
{
    mds_ticks t;
    char ts[40];
    if (mds_view_ticks(v, s, &t))
        return MDS_ERR_NOTFOUND;
    size_t n = mds_time_format(t, 0, ts, sizeof ts);
    if (n == 0 || n > 31) /* mds_time_format(t, 7) needs 9 more bytes of 40 */
        return mds_json_quote(b, ts, 0);
    long long frac = (long long)(t % MDS_TICKS_PER_SEC);
    if (frac < 0)
        frac += MDS_TICKS_PER_SEC;
    n--; /* the 'Z' */
    ts[n++] = '.';
    for (int i = 6; i >= 0; i--, frac /= 10)
        ts[n + (size_t)i] = (char)('0' + frac % 10);
    n += 7;
    ts[n++] = 'Z';
    return mds_json_quote(b, ts, n);
}

static mds_err put_category(const struct mds_view *v, struct mds_buf *b)
{
    mds_err err = mds_buf_puts(b, "[\"");
    if (!err)
        err = mds_buf_puts(b, v->ecs_category);
    return err ? err : mds_buf_puts(b, "\"]");
}

static mds_err put_severity(const struct mds_view *v, struct mds_buf *b)
{
    int level = mds_cef_severity(mds_view_severity(v)); /* 0..9 */
    char digit = (char)('0' + level);
    return level >= 0 && level <= 9 ? mds_buf_putc(b, digit) : mds_buf_printf(b, "%d", level);
}

static mds_err put_lower(const struct mds_view *v, enum mds_slot s, struct mds_buf *b)
{
    size_t n;
    const char *p = mds_view_bytes(v, s, &n);
    size_t start = b->len + 1;
    mds_err err = mds_json_quote(b, p, n);
    for (size_t i = start; !err && i + 1 < b->len; i++)
        b->data[i] = (char)tolower((unsigned char)b->data[i]);
    return err;
}

static mds_err put_original(const struct mds_view *v, struct mds_em *em, struct mds_fmt_state *st,
                            struct mds_buf *b)
{
    if (!em->collect)
        return mds_view_original(v, v->child >= 0, b);
    /* split documents: the original as one (continuable) string */
    mds_buf_reset(&st->tmp);
    mds_err err = mds_view_original(v, v->child >= 0, &st->tmp);
    return err ? err : mds_json_quote(b, st->tmp.data, st->tmp.len);
}

/* Nonzero when the field has a value for this event. */
static int field_present(const struct mds_view *v, const struct ecs_field *f)
{
    mds_ticks t;
    switch (f->kind) {
    case E_SLOT:
    case E_LOWER:
        return mds_view_has(v, f->slot);
    case E_TIME:
        return mds_view_ticks(v, f->slot, &t) == MDS_OK;
    case E_INT:
        return mds_view_is_int(v, f->slot);
    case E_CATEGORY:
        return v->ecs_category != NULL;
    case E_SEVERITY:
        return mds_view_has(v, S_SEVERITY);
    case E_FRAMEWORK:
        return mds_view_has(v, S_TECHNIQUES);
    case E_EV_TYPE:
    case E_EV_INDEX:
        return v->child >= 0;
    default:
        return 1;
    }
}

static unsigned field_flags(const struct ecs_field *f, const struct mds_view *v)
{
    unsigned flags = (f->flags & EF_CORE) ? MDS_PAIR_CORE : 0;
    int str = (f->kind == E_SLOT && v->f[f->slot].type == FV_STR) || f->kind == E_TIME ||
              f->kind == E_LOWER || f->kind == E_MESSAGE || f->kind == E_EV_TYPE || f->kind == E_KIND ||
              f->kind == E_VERSION || f->kind == E_FRAMEWORK ||
              f->kind == E_ORIGINAL; /* split documents: a string */
    return flags | (str ? MDS_PAIR_STR : 0);
}

static mds_err put_value(const struct mds_view *v, const struct ecs_field *f, struct mds_em *em,
                         struct mds_fmt_state *st, struct mds_buf *b)
{
    size_t n;
    const char *p;
    switch (f->kind) {
    case E_SLOT:
        return mds_view_write_json(v, f->slot, b);
    case E_INT: /* digits (field_present checked), unquoted even when the input had a string */
        p = mds_view_bytes(v, f->slot, &n);
        return mds_buf_append(b, p, n);
    case E_TIME:
        return put_time(v, f->slot, b);
    case E_LOWER:
        return put_lower(v, f->slot, b);
    case E_KIND:
        return mds_buf_puts(b, v->is_alert ? "\"alert\"" : "\"event\"");
    case E_CATEGORY:
        return put_category(v, b);
    case E_SEVERITY:
        return put_severity(v, b);
    case E_FRAMEWORK:
        return mds_buf_puts(b, "\"MITRE ATT&CK\"");
    case E_VERSION:
        return mds_buf_puts(b, "\"" ECS_VERSION "\"");
    case E_MESSAGE:
        p = mds_view_event_name(v, &n);
        return mds_json_quote(b, p, n);
    case E_EV_TYPE:
        return mds_view_write_json(v, S_EVIDENCE_TYPE, b);
    case E_EV_INDEX:
        return mds_view_write_json(v, S_EVIDENCE_INDEX, b);
    case E_ORIGINAL:
        return put_original(v, em, st, b);
    }
    return MDS_ERR_INTERNAL;
}

static mds_err render_event(const struct mds_view *v, const struct mds_format_opts *opts,
                            struct mds_fmt_state *st, struct mds_em *em)
{
    (void)opts;
    mds_err err = mds_buf_putc(mds_em_head(em), '{');
    mds_em_head_done(em);
    const char *last = NULL;
    for (size_t i = 0; i < sizeof ecs_fields / sizeof ecs_fields[0] && !err; i++) {
        const struct ecs_field *f = &ecs_fields[i];
        const char *path = f->path ? f->path : original_path(v, em->collect);
        if ((last && strcmp(last, path) == 0) || ((f->flags & EF_ALERT) && !v->is_alert) ||
            !field_present(v, f))
            continue;
        struct mds_buf *b = mds_em_value_begin(em, path, field_flags(f, v), &err);
        if (!err)
            err = put_value(v, f, em, st, b);
        if (!err)
            err = mds_em_value_end(em);
        last = path;
    }
    return err;
}

static mds_err render(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                      const struct mds_record *rec, struct mds_buf *out, char *errstr, size_t errlen)
{
    return mds_format_alert_events(ctx, opts, rec, out, MDS_EM_JSON, ',', render_event, errstr, errlen);
}

const struct mds_format mds_format_ecs = {
    .name = "ecs",
    .help = "Elastic Common Schema JSON, one document per alert (evidence=split adds one per evidence)",
    .render = render,
};

/* For the unit test that checks the table is grouped by object. */
size_t mds_ecs_field_paths(const char **paths, size_t max);
size_t mds_ecs_field_paths(const char **paths, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof ecs_fields / sizeof ecs_fields[0] && n < max; i++)
        if (ecs_fields[i].path)
            paths[n++] = ecs_fields[i].path;
    return n;
}
