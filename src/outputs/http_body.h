/*
 * http_body.h - what the http output puts in a request body, as pure
 * functions (no I/O), so each preset's encoding is unit-tested alone.
 *
 * An event is encoded as one "unit" of a request:
 *   generic, body = lines   the event bytes and '\n' (JSON lines when the
 *                           format emits JSON)
 *   generic, body = array   one array element: the event itself when it
 *                           is valid JSON, else the event as a JSON string
 *   splunk_hec              {"time":..,"host":..,"source":..,"sourcetype":
 *                           ..,"index":..,"event":<event>} and '\n'
 *   elasticsearch           {"index":{"_index":..,"_id":..}} '\n' <document>
 *                           '\n' - the document is the event when it is a
 *                           JSON object, else {"message":"<event>"}
 */
#ifndef MDS_OUTPUTS_HTTP_BODY_H
#define MDS_OUTPUTS_HTTP_BODY_H

#include "core/buf.h"
#include "core/engine.h"

enum mds_http_preset { MDS_HTTP_GENERIC = 0, MDS_HTTP_SPLUNK_HEC, MDS_HTTP_ELASTICSEARCH };

struct mds_http_body_opts {
    enum mds_http_preset preset;
    int array;              /* generic: a JSON array per request */
    const char *sourcetype; /* splunk_hec */
    const char *source;     /* splunk_hec; NULL = the record's source name */
    const char *host;       /* splunk_hec; NULL = omitted */
    const char *index;      /* splunk_hec (NULL = omitted) and elasticsearch */
    int es_create;          /* elasticsearch: "create" actions instead of "index" */
};

#define MDS_ES_ID_LEN 40

/* Appends the unit of event ev (bytes in b->data) to out. Errors: only
 * those of the buffer (MDS_ERR_NOMEM, MDS_ERR_LIMIT). */
mds_err mds_http_encode_event(const struct mds_http_body_opts *o, const struct mds_batch *b,
                              const struct mds_event *ev, struct mds_buf *out);

/* The Elasticsearch _id of an event: the first 160 bits of SHA-256 over
 * source NUL id NUL version NUL part (version in 100 ns ticks, part the
 * event's index within its record, both decimal), as 40 lowercase hex
 * digits. The same alert version always gets the same _id, so a retried
 * bulk request overwrites instead of duplicating. id must hold
 * MDS_ES_ID_LEN + 1 bytes. */
void mds_http_es_id(const struct mds_event *ev, char *id);

/* Appends bytes as a JSON value: as they are when they are valid JSON
 * (object or array), else as a JSON string. */
mds_err mds_http_json_value(struct mds_buf *out, const char *p, size_t n, int objects_only);

#endif
