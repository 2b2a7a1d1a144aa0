/*
 * render.h - what the view-based formats (legacy, cef, leef, ecs) share:
 * reusable per-context state, getting a record's tokens, the loop over
 * the events of one record (summary and evidence children), the
 * direct/oversize/split dance of emit.h, and the severity and time
 * conversions every format documents in docs/formats.md.
 */
#ifndef MDS_FORMATS_RENDER_H
#define MDS_FORMATS_RENDER_H

#include "formats/emit.h"
#include "formats/format.h"
#include "formats/view.h"

/* Scratch kept in mds_format_ctx across records (created on first use,
 * freed by mds_format_ctx_finish). */
struct mds_fmt_state {
    struct mds_view *view;
    struct mds_em_store em;
    struct mds_buf tmp;
};

struct mds_fmt_state *mds_fmt_state_get(struct mds_format_ctx *ctx);
void mds_fmt_state_destroy(struct mds_fmt_state *st);

/* The record's tokens: rec->json/rec->root when the caller tokenised the
 * record already (convert tokenises a whole page once), else rec->body
 * parsed into ctx->json. MDS_ERR_PARSE with a message in errstr. */
mds_err mds_format_tokens(struct mds_format_ctx *ctx, const struct mds_record *rec, const struct mds_json **j,
                          int *root, char *errstr, size_t errlen);

/* Renders one event of view v through an emitter (called twice when the
 * event is oversize: direct, then collect). */
typedef mds_err (*mds_event_render_fn)(const struct mds_view *v, const struct mds_format_opts *opts,
                                       struct mds_fmt_state *st, struct mds_em *em);

/* Emits one event: direct, and split into parts when longer than
 * opts->max_event. */
mds_err mds_format_emit(struct mds_fmt_state *st, const struct mds_format_opts *opts,
                        const struct mds_view *v, struct mds_buf *out, enum mds_em_style style, char delim,
                        mds_event_render_fn fn, char *errstr, size_t errlen);

/* The cef/leef/ecs record loop: builds the view, emits the summary event
 * and, with evidence = split, one child event per evidence item. On error
 * nothing of the record is left in out. */
mds_err mds_format_alert_events(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                                const struct mds_record *rec, struct mds_buf *out, enum mds_em_style style,
                                char delim, mds_event_render_fn fn, char *errstr, size_t errlen);

/* Severity scales (docs/formats.md):
 *              unknown informational low medium high
 *   CEF 0-10      0         1         3     6     9
 *   LEEF 1-10     1         1         3     6     9
 *   ECS           0         1         3     6     9   (event.severity) */
int mds_cef_severity(enum mds_severity s);
int mds_leef_severity(enum mds_severity s);

/* Appends a value escaped for the style: CEF/LEEF escaping, or a quoted
 * JSON string. */
mds_err mds_put_escaped(struct mds_buf *out, enum mds_em_style style, char delim, const char *s, size_t n);

#endif
