/*
 * json.c - format "json": the record exactly as the API sent it, one per
 * line. With wrap, it becomes {"source":..,"ingestTime":..,"alert":<raw>}.
 * A record whose bytes are not valid UTF-8, or that holds raw control
 * characters, is re-serialised compactly with its strings repaired (as
 * escape.h describes) so every line stays valid JSON.
 */
#include <stdio.h>
#include <string.h>

#include "formats/escape.h"
#include "formats/format.h"
#include "formats/render.h"
#include "formats/view.h"

static mds_err append_repaired(struct mds_format_ctx *ctx, const struct mds_record *rec, struct mds_buf *out,
                               char *errstr, size_t errlen)
{
    const struct mds_json *j;
    int root;
    mds_err err = mds_format_tokens(ctx, rec, &j, &root, errstr, errlen);
    return err ? err : mds_json_write_compact(j, root, out);
}

/* A record body may contain raw newlines between tokens (pretty-printed
 * JSON); they are insignificant whitespace and become spaces, so one
 * record stays one line. Newlines inside strings are always escaped in
 * valid JSON, so this never changes a value. */
static mds_err append_one_line(struct mds_buf *out, const char *p, size_t n)
{
    size_t start = out->len;
    mds_err err = mds_buf_append(out, p, n);
    if (err)
        return err;
    for (char *q = out->data + start; (q = memchr(q, '\n', (size_t)(out->data + out->len - q))); q++)
        *q = ' ';
    for (char *q = out->data + start; (q = memchr(q, '\r', (size_t)(out->data + out->len - q))); q++)
        *q = ' ';
    return MDS_OK;
}

static mds_err render(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                      const struct mds_record *rec, struct mds_buf *out, char *errstr, size_t errlen)
{
    mds_err err = MDS_OK;
    size_t start = out->len;
    if (opts->wrap) {
        char ts[40];
        mds_time_format(rec->ingest_time, 7, ts, sizeof ts);
        err = mds_buf_puts(out, "{\"source\":");
        if (!err)
            err = mds_json_quote(out, rec->source ? rec->source : "", rec->source ? strlen(rec->source) : 0);
        if (!err)
            err = mds_buf_printf(out, ",\"kind\":\"%s\",\"ingestTime\":\"%s\",\"alert\":",
                                 mds_input_kind_name(rec->kind), ts);
    }
    if (!err && !mds_json_raw_copyable(rec->body, rec->body_len))
        err = append_repaired(ctx, rec, out, errstr, errlen);
    else if (!err)
        err = append_one_line(out, rec->body, rec->body_len);
    if (!err && opts->wrap)
        err = mds_buf_putc(out, '}');
    /* A raw record cannot be split into parts: refuse it, never cut it. */
    if (!err && opts->max_event && out->len - start > opts->max_event) {
        snprintf(errstr, errlen, "record of %zu bytes exceeds max_event %zu", out->len - start, opts->max_event);
        err = MDS_ERR_LIMIT;
    }
    if (!err)
        err = mds_buf_putc(out, '\n');
    if (err) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return err;
}

const struct mds_format mds_format_json = {
    .name = "json",
    .help = "the record exactly as received, one JSON object per line",
    .render = render,
};
