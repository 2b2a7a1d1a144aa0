/*
 * text.c - format "text": one short human-readable line per record, for
 * terminals and demos. Not meant for machines; use json for that.
 *
 *   2026-11-24T07:25:54.1234567Z high    new        <title> (<id>) host=<device>
 */
#include <stdio.h>
#include <string.h>

#include "formats/escape.h"
#include "formats/format.h"
#include "formats/render.h"

/* Candidate member names per field, graph / mde / siem / stream order. */
static const char *const time_keys[] = {"lastUpdateDateTime", "lastUpdateTime", "LastProcessedTimeUtc", "time", NULL};
static const char *const sev_keys[] = {"severity", "Severity", NULL};
static const char *const status_keys[] = {"status", "category", NULL};
static const char *const title_keys[] = {"title", "AlertTitle", "Title", "ActionType", NULL};
static const char *const host_keys[] = {"computerDnsName", "ComputerDnsName", "DeviceName", NULL};

static int find_in(const struct mds_json *j, int obj, const char *const *keys)
{
    for (int i = 0; obj >= 0 && keys[i]; i++) {
        int v = mds_json_find(j, obj, keys[i]);
        if (v >= 0 && !mds_json_is_null(j, v))
            return v;
    }
    return -1;
}

/* A streaming record keeps its row under "properties" (props); look
 * there too. */
static int find_any(const struct mds_json *j, int obj, int props, const char *const *keys)
{
    int v = find_in(j, obj, keys);
    return v >= 0 ? v : find_in(j, props, keys);
}

/* Appends the decoded string at token v, control characters as spaces,
 * invalid UTF-8 repaired as the other formats do it (escape.h: a stray
 * byte is read as Latin-1), so a terminal or file gets valid UTF-8. */
static mds_err put_field(const struct mds_json *j, int v, const char *dflt, struct mds_buf *out)
{
    if (v < 0)
        return mds_buf_puts(out, dflt);
    size_t start = out->len;
    mds_err err = mds_json_decode(j, v, out);
    for (size_t i = start; !err && i < out->len;) {
        unsigned char *p = (unsigned char *)out->data + i;
        size_t n = mds_utf8_seq_len(p, (unsigned char *)out->data + out->len);
        if (n) {
            if (*p < 0x20)
                *p = ' ';
            i += n;
            continue;
        }
        /* one stray byte -> two bytes (U+0080..U+00FF) */
        unsigned char c = *p;
        if ((err = mds_buf_putc(out, '\0')))
            break;
        p = (unsigned char *)out->data + i;
        memmove(p + 2, p + 1, out->len - 1 - (i + 1));
        p[0] = (unsigned char)(0xC0 | (c >> 6));
        p[1] = (unsigned char)(0x80 | (c & 0x3F));
        i += 2;
    }
    return err;
}

static int first_device(const struct mds_json *j, int obj)
{
    int ev = mds_json_find(j, obj, "evidence");
    if (ev < 0 || j->tok[ev].type != JSMN_ARRAY)
        return -1;
    int k = ev + 1;
    for (int n = 0; n < j->tok[ev].size; n++, k = mds_json_skip(j, k)) {
        int v = mds_json_find(j, k, "deviceDnsName");
        if (v >= 0 && !mds_json_is_null(j, v))
            return v;
    }
    return -1;
}

static mds_err render(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                      const struct mds_record *rec, struct mds_buf *out, char *errstr, size_t errlen)
{
    const struct mds_json *j;
    int root;
    (void)opts;
    if (mds_format_tokens(ctx, rec, &j, &root, errstr, errlen) || j->tok[root].type != JSMN_OBJECT) {
        snprintf(errstr, errlen, "record is not a JSON object");
        return MDS_ERR_PARSE;
    }
    int props = mds_json_find(j, root, "properties");
    if (props >= 0 && j->tok[props].type != JSMN_OBJECT)
        props = -1;
    int host = find_any(j, root, props, host_keys);
    if (host < 0)
        host = first_device(j, root);
    /* time, severity and status in columns, so a terminal lines them up */
    static const struct {
        const char *const *keys;
        int width;
    } cols[] = {{time_keys, 28}, {sev_keys, 13}, {status_keys, 10}};
    mds_err err = MDS_OK;
    for (size_t c = 0; c < sizeof cols / sizeof cols[0] && !err; c++) {
        size_t start = out->len;
        err = put_field(j, find_any(j, root, props, cols[c].keys), "-", out);
        while (!err && out->len - start < (size_t)cols[c].width)
            err = mds_buf_putc(out, ' ');
        if (!err)
            err = mds_buf_putc(out, ' ');
    }
    if (!err)
        err = put_field(j, find_any(j, root, props, title_keys), "(untitled)", out);
    if (!err)
        err = mds_buf_puts(out, " (");
    int alert_id = rec->id_len ? -1 : find_in(j, props, (const char *const[]){"AlertId", NULL});
    if (!err && alert_id >= 0)
        err = put_field(j, alert_id, "", out);
    else if (!err)
        err = mds_buf_append(out, rec->id, rec->id_len);
    if (!err)
        err = mds_buf_puts(out, host >= 0 ? ") host=" : ")");
    if (!err && host >= 0)
        err = put_field(j, host, "", out);
    if (!err)
        err = mds_buf_putc(out, '\n');
    return err;
}

const struct mds_format mds_format_text = {
    .name = "text",
    .help = "one short human-readable line per record (terminals, demos)",
    .render = render,
};
