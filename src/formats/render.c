/* render.c - shared plumbing of the view-based formats (see render.h). */
#include "formats/render.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "formats/escape.h"

struct mds_fmt_state *mds_fmt_state_get(struct mds_format_ctx *ctx)
{
    if (ctx->state)
        return ctx->state;
    struct mds_fmt_state *st = mds_calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->view = mds_view_create();
    if (!st->view) {
        mds_free(st);
        return NULL;
    }
    mds_em_store_init(&st->em);
    mds_buf_init(&st->tmp, 0);
    ctx->state = st;
    return st;
}

void mds_fmt_state_destroy(struct mds_fmt_state *st)
{
    if (!st)
        return;
    mds_view_destroy(st->view);
    mds_em_store_finish(&st->em);
    mds_buf_finish(&st->tmp);
    mds_free(st);
}

mds_err mds_format_tokens(struct mds_format_ctx *ctx, const struct mds_record *rec, const struct mds_json **j,
                          int *root, char *errstr, size_t errlen)
{
    if (rec->json) {
        *j = rec->json;
        *root = rec->root;
        return MDS_OK;
    }
    mds_err err = mds_json_parse(&ctx->json, rec->body, rec->body_len);
    if (err == MDS_ERR_PARSE)
        snprintf(errstr, errlen, "record is not valid JSON (byte %zu)", ctx->json.err_offset);
    else if (err)
        snprintf(errstr, errlen, "cannot tokenise record: %s", mds_strerror(err));
    if (err)
        return err;
    *j = &ctx->json;
    *root = 0;
    return MDS_OK;
}

mds_err mds_format_emit(struct mds_fmt_state *st, const struct mds_format_opts *opts,
                        const struct mds_view *v, struct mds_buf *out, enum mds_em_style style, char delim,
                        mds_event_render_fn fn, char *errstr, size_t errlen)
{
    struct mds_em em;
    int oversize = 0;
    size_t start = out->len;
    mds_em_begin(&em, &st->em, out, style, delim, 0);
    mds_err err = fn(v, opts, st, &em);
    if (!err)
        err = mds_em_end(&em, opts->max_event, &oversize);
    if (!err && oversize) {
        mds_em_begin(&em, &st->em, out, style, delim, 1);
        err = fn(v, opts, st, &em);
        if (!err)
            err = mds_em_split(&em, opts->max_event, errstr, errlen);
    } else if (err == MDS_ERR_LIMIT) {
        snprintf(errstr, errlen, "event exceeds the output buffer's ceiling");
    }
    if (err) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
    }
    return err;
}

mds_err mds_format_alert_events(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                                const struct mds_record *rec, struct mds_buf *out, enum mds_em_style style,
                                char delim, mds_event_render_fn fn, char *errstr, size_t errlen)
{
    const struct mds_json *j;
    int root;
    struct mds_fmt_state *st = mds_fmt_state_get(ctx);
    if (!st)
        return MDS_ERR_NOMEM;
    mds_err err = mds_format_tokens(ctx, rec, &j, &root, errstr, errlen);
    if (!err)
        err = mds_view_build(st->view, j, root, rec->kind, errstr, errlen);
    size_t start = out->len;
    if (!err)
        err = mds_format_emit(st, opts, st->view, out, style, delim, fn, errstr, errlen);
    for (int i = 0; !err && opts->evidence == MDS_EVIDENCE_SPLIT && i < st->view->nev; i++) {
        err = mds_view_select_child(st->view, i);
        if (!err)
            err = mds_format_emit(st, opts, st->view, out, style, delim, fn, errstr, errlen);
    }
    if (err && out->len > start) {
        out->len = start;
        out->data[start] = '\0';
    }
    return err;
}

int mds_cef_severity(enum mds_severity s)
{
    static const int map[] = {0, 1, 3, 6, 9};
    return (unsigned)s < 5 ? map[s] : 0;
}

int mds_leef_severity(enum mds_severity s)
{
    static const int map[] = {1, 1, 3, 6, 9};
    return (unsigned)s < 5 ? map[s] : 1;
}

mds_err mds_put_escaped(struct mds_buf *out, enum mds_em_style style, char delim, const char *s, size_t n)
{
    switch (style) {
    case MDS_EM_CEF:
        return mds_cef_escape_value(out, s, n);
    case MDS_EM_LEEF:
        return mds_leef_escape_value(out, s, n, delim);
    default:
        return mds_json_quote(out, s, n);
    }
}
