/*
 * format.h - SIEM formats: pure functions from a record to bytes.
 *
 * A format renders one record (one alert, detection or streaming event,
 * as the raw JSON bytes the API sent) into one or more events. Each event
 * is appended to `out` followed by a single '\n'; an event never contains
 * a raw '\n' itself, so callers split on newlines (one syslog message, one
 * file line, one HTTP batch entry per event). Formats do no I/O and keep
 * no state between calls beyond the scratch space in mds_format_ctx.
 */
#ifndef MDS_FORMAT_H
#define MDS_FORMAT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/json.h"
#include "core/timeutil.h"

/* Shape of the record's JSON body: which API it came from. */
enum mds_input_kind { MDS_INPUT_GRAPH = 0, MDS_INPUT_MDE, MDS_INPUT_SIEM, MDS_INPUT_STREAM };

struct mds_record {
    const char *source;       /* source name (config section), NUL-terminated */
    enum mds_input_kind kind; /* API shape of body */
    const char *id;           /* alert id, not NUL-terminated */
    size_t id_len;
    mds_ticks version;        /* e.g. lastUpdateDateTime; 0 if unknown */
    mds_ticks ingest_time;    /* when mdesiem stored it */
    const char *body;         /* raw JSON object as received */
    size_t body_len;
};

enum mds_evidence_policy { MDS_EVIDENCE_FIRST = 0, MDS_EVIDENCE_SUMMARY, MDS_EVIDENCE_SPLIT };

/* Options from an [output] section (or convert's flags). */
struct mds_format_opts {
    int wrap;                         /* json: wrap with source and ingest time */
    enum mds_evidence_policy evidence;
    char leef_delimiter;              /* LEEF 2.0 attribute delimiter, default TAB */
    size_t max_event;                 /* largest event a sink takes; 0 = no limit */
};

void mds_format_opts_init(struct mds_format_opts *o);

/* Per-thread scratch space (token arrays, buffers), reused across calls. */
struct mds_format_ctx {
    struct mds_json json;
    struct mds_buf scratch;
};

void mds_format_ctx_init(struct mds_format_ctx *c);
void mds_format_ctx_finish(struct mds_format_ctx *c);

struct mds_format {
    const char *name;
    const char *help;
    /* Appends the events of `rec` to `out`. MDS_ERR_PARSE when the body is
     * not a JSON object; a message for the user goes in errstr. */
    mds_err (*render)(struct mds_format_ctx *ctx, const struct mds_format_opts *opts,
                      const struct mds_record *rec, struct mds_buf *out, char *errstr, size_t errlen);
};

/* NULL when no format has that name. */
const struct mds_format *mds_format_find(const char *name);

/* NULL-terminated list of every format, for help and docs. */
extern const struct mds_format *const mds_formats[];

int mds_input_kind_parse(const char *name, enum mds_input_kind *out);
const char *mds_input_kind_name(enum mds_input_kind kind);

#endif
