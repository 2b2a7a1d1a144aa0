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
    /* Optional, for callers that tokenised the body already (convert
     * tokenises a whole page once): when json is non-NULL, root is the
     * record's object token in it and formats use these tokens instead of
     * parsing body again. body/body_len must still be the record's bytes.
     * Zero-initialised records (json = NULL) behave as before. */
    const struct mds_json *json;
    int root;
};

enum mds_evidence_policy { MDS_EVIDENCE_FIRST = 0, MDS_EVIDENCE_SUMMARY, MDS_EVIDENCE_SPLIT };

/* Options from an [output] section (or convert's flags).
 *
 * evidence: legacy uses first (default: one detection per alert) or split
 * (one detection per file/process evidence). cef, leef and ecs treat first
 * and summary alike (one event per alert) and split as the summary event
 * plus one child event per evidence item, linked by the alert id.
 * max_event: an event longer than this (excluding its '\n') is split into
 * numbered parts (cef, leef, ecs; see formats/emit.h) or refused with
 * MDS_ERR_LIMIT (json, legacy); never cut. */
struct mds_format_opts {
    int wrap;                         /* json: wrap with source and ingest time */
    enum mds_evidence_policy evidence;
    char leef_delimiter;              /* LEEF 2.0 attribute delimiter, default TAB */
    size_t max_event;                 /* largest event a sink takes; 0 = no limit */
};

void mds_format_opts_init(struct mds_format_opts *o);

struct mds_fmt_state; /* formats/render.h: view, pair store; created on first use */

/* Per-thread scratch space (token arrays, buffers), reused across calls. */
struct mds_format_ctx {
    struct mds_json json;
    struct mds_buf scratch;
    struct mds_fmt_state *state;
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

/* "first", "summary", "split" -> policy; -1 when unknown. */
int mds_evidence_policy_parse(const char *name, enum mds_evidence_policy *out);

#endif
