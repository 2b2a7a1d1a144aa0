/*
 * eventhub.h - the pure parts of the eventhub source, exposed for tests:
 * reading an Event Hubs connection string, and splitting a Streaming API
 * message body into its records.
 */
#ifndef MDS_SOURCES_EVENTHUB_H
#define MDS_SOURCES_EVENTHUB_H

#include <stddef.h>

#include "core/error.h"
#include "core/json.h"
#include "core/timeutil.h"

/* What the Kafka client needs from a connection string
 *   Endpoint=sb://<ns>.servicebus.windows.net/;SharedAccessKeyName=..;SharedAccessKey=..[;EntityPath=hub]
 * bootstrap is "<host>:9093"; entity_path is "" when absent. The
 * connection string itself is the SASL password (user "$ConnectionString").
 * Errors name the missing or malformed part, never the string's content
 * beyond the host. */
struct mds_eh_conn {
    char bootstrap[300];
    char entity_path[300];
};
mds_err mds_eh_parse_connection_string(const char *cs, struct mds_eh_conn *out, char *err, size_t errlen);

/* One record of a message: its bytes within the body, exactly as sent. */
struct mds_eh_record {
    size_t off, len;
    size_t cat_off, cat_len; /* raw bytes of "category" (0, 0 when absent) */
    mds_ticks time;          /* "time" in ticks, 0 when absent or invalid */
};

/* Splitter state, reused message after message so that the hot path does
 * not allocate once warm: the token array and the record array only grow. */
struct mds_eh_split {
    struct mds_json json;
    struct mds_eh_record *recs;
    size_t n, cap;
    size_t max_records; /* ceiling on records per message */
};

void mds_eh_split_init(struct mds_eh_split *s);
void mds_eh_split_finish(struct mds_eh_split *s);

/* Tokenises body[0..len) once and lists the records of its "records"
 * array in s->recs[0..s->n). MDS_ERR_PARSE when the message is malformed
 * (not JSON, truncated, no "records" array, an entry that is not an
 * object): `why` says which, with the byte offset or entry index.
 * MDS_ERR_NOMEM / MDS_ERR_LIMIT when a ceiling was hit. */
mds_err mds_eh_split_message(struct mds_eh_split *s, const char *body, size_t len, char *why, size_t whylen);

/* Nonzero when `category` (raw bytes) is one of names[0..n); a name
 * matches with or without the "AdvancedHunting-" prefix, ASCII
 * case-insensitively. n == 0 matches everything. */
int mds_eh_category_match(const char *const *names, size_t n, const char *category, size_t len);

/* Nonzero when `name` (with or without the prefix) is a table the
 * Streaming API documents (spec 4.3). */
int mds_eh_category_known(const char *name);

#endif
