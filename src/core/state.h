/*
 * state.h - the SQLite state file: cursors, outbox, dedupe index, status.
 *
 * One file in WAL mode. The process that collects holds an exclusive lock
 * on "<state>.lock" (mds_state_lock) so a second instance refuses to start.
 * Each thread opens its own connection (struct mds_db).
 *
 * Durability rules (DESIGN.md): a fetched page and its cursor advance are
 * one transaction (mds_db_commit_page); a record leaves the outbox only
 * when every route acknowledged it (mds_db_ack).
 */
#ifndef MDS_STATE_H
#define MDS_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/timeutil.h"

#define MDS_STATE_SCHEMA_VERSION 1

struct mds_db;
struct mds_state_lock;

/* Takes the single-instance lock. MDS_ERR_LOCKED when another process
 * holds it (err names its pid). */
mds_err mds_state_lock(const char *path, struct mds_state_lock **out, char *err, size_t errlen);
void mds_state_unlock(struct mds_state_lock *lock);

/* Opens a connection; creates the schema when `create` is set and the
 * file is new. Refuses files that are not mdesiem state, empty ones (a
 * truncated state file, never taken for a new one), unreadable ones, and
 * ones written by a newer schema. */
mds_err mds_db_open(const char *path, int create, struct mds_db **out, char *err, size_t errlen);
void mds_db_close(struct mds_db *db);

/* Frees the pages db caches (they are read again from the file when
 * needed): for a thread that is done with a page, so an idle connection
 * holds next to nothing. Only on db's own thread; NULL is a no-op. */
void mds_db_release_memory(struct mds_db *db);

/* Checks the whole file's structure (PRAGMA quick_check: every page,
 * no index comparison; about a second per GB). MDS_ERR_STATE with a
 * message naming the first problem when it is damaged. Run once at
 * start by the collecting process: a damaged file is refused, never
 * reset. */
mds_err mds_db_verify(struct mds_db *db, const char *path, char *err, size_t errlen);
const char *mds_db_errmsg(struct mds_db *db);

/* One record to store, from a fetched page. Pointers are borrowed. */
struct mds_item {
    const char *id;
    size_t id_len;
    mds_ticks version;
    const char *body;
    size_t body_len;
};

/* Stores the items not seen before (by source, id, version) in the outbox
 * with one route per output, and moves the cursor (when `cursor` is not
 * NULL) - all in one transaction. `*accepted` counts the new items. */
mds_err mds_db_commit_page(struct mds_db *db, const char *source, int kind, const char *const *routes,
                           size_t nroutes, const struct mds_item *items, size_t n, const mds_ticks *cursor,
                           size_t *accepted);

/* The same, with the cursor stored under `cursor_key` (a source that
 * reads several streams, e.g. one per region, keeps one cursor each). */
mds_err mds_db_commit_page_keyed(struct mds_db *db, const char *source, const char *cursor_key, int kind,
                                 const char *const *routes, size_t nroutes, const struct mds_item *items, size_t n,
                                 const mds_ticks *cursor, size_t *accepted);

/* Body bytes of the items the last successful page commit on this
 * connection stored (0 after a failed one); feeds the spool limit. */
int64_t mds_db_committed_bytes(const struct mds_db *db);

/* Cursor of a source (or of a cursor key); MDS_ERR_NOTFOUND when it has none yet. */
mds_err mds_db_cursor(struct mds_db *db, const char *source, mds_ticks *cursor);

/* Forgets dedupe entries of `source` older than `before`. */
mds_err mds_db_prune_seen(struct mds_db *db, const char *source, mds_ticks before);

/* A pending outbox row handed to an output. Strings point into `store`. */
struct mds_pending {
    int64_t seq;
    int kind;
    mds_ticks version;
    mds_ticks stored;
    size_t source_off, id_off, body_off; /* offsets into the store buffer */
    size_t id_len, body_len;
};

/* Loads up to `max` pending rows for `output` (oldest first) into rows[]
 * and their bytes into store (reset first). Returns the count in *n. */
mds_err mds_db_pending(struct mds_db *db, const char *output, struct mds_pending *rows, size_t max, size_t *n,
                       struct mds_buf *store);

/* Acknowledges rows for `output`; records no route waits for are deleted. */
mds_err mds_db_ack(struct mds_db *db, const char *output, const struct mds_pending *rows, size_t n);

/* Counts pending rows and bytes for an output. */
mds_err mds_db_outbox_depth(struct mds_db *db, const char *output, int64_t *rows, int64_t *bytes);

/* Status bookkeeping, shown by `mdesiem status`. */
mds_err mds_db_source_result(struct mds_db *db, const char *source, int ok, const char *error, int64_t fetched,
                             int64_t accepted);
mds_err mds_db_output_result(struct mds_db *db, const char *output, int ok, const char *error, int64_t delivered);

/* The UTC day number of a time, as the daily delivery counters use it. */
int64_t mds_db_day(mds_ticks t);

/* Runs `fn` for each status row; used by `status`. */
struct mds_source_status {
    const char *name;
    int has_cursor;
    mds_ticks cursor;
    mds_ticks last_attempt, last_success;
    const char *last_error;
    int64_t fetched, accepted;
    int64_t outbox;          /* its records still waiting for an output */
    int64_t delivered_today; /* its records that left the outbox today (UTC) */
};
struct mds_output_status {
    const char *name;
    mds_ticks last_success;
    const char *last_error;
    int64_t delivered, pending_rows, pending_bytes;
    int64_t delivered_today; /* acknowledged today (UTC) */
};
/* ---- stream sources (eventhub) ----
 * A poll batch is a list of messages; each message's records are
 * items[first .. first + count). */
#define MDS_STREAM_DIGEST_LEN 16
struct mds_stream_msg {
    unsigned char digest[MDS_STREAM_DIGEST_LEN]; /* identity of the message body */
    size_t first, count;
    int dup; /* set by mds_db_stream_mark_seen */
};

/* Stores a poll batch in one transaction. With `dedupe`, a message whose
 * digest this source stored before is skipped whole (*dup_msgs counts
 * them) and the digests of the others are recorded. Records go to the
 * outbox without the per-record `seen` index: stream record ids are unique
 * by construction. `*accepted` counts the records stored. */
mds_err mds_db_commit_stream(struct mds_db *db, const char *source, int kind, const char *const *routes,
                             size_t nroutes, const struct mds_stream_msg *msgs, size_t nmsgs,
                             const struct mds_item *items, int dedupe, size_t *accepted, size_t *dup_msgs);

/* Direct delivery, step 1 (reads only): sets msgs[i].dup for every
 * message whose digest this source recorded before or that repeats an
 * earlier message of the batch; *dup_msgs counts them. */
mds_err mds_db_stream_mark_seen(struct mds_db *db, const char *source, struct mds_stream_msg *msgs, size_t nmsgs,
                                size_t *dup_msgs);
/* Direct delivery, step 2, once the records were delivered: records the
 * digests of the messages not marked dup, in one transaction. A crash
 * between delivery and this step re-delivers the batch's messages (the
 * at-least-once tail); it never drops one. */
mds_err mds_db_stream_remember(struct mds_db *db, const char *source, const struct mds_stream_msg *msgs,
                               size_t nmsgs);

/* Forgets message digests of `source` recorded before `before`. */
mds_err mds_db_stream_prune(struct mds_db *db, const char *source, mds_ticks before);

/* Per-partition progress of a stream source, shown by `status`.
 * committed / high < 0 mean unknown (an update keeps the stored value). */
struct mds_stream_partition {
    const char *source;
    const char *topic;
    int32_t partition;
    int64_t committed; /* next offset the consumer group resumes from */
    int64_t high;      /* high watermark: offset of the next message produced */
    mds_ticks updated; /* 0 = now */
};
mds_err mds_db_stream_partitions_set(struct mds_db *db, const struct mds_stream_partition *parts, size_t n);
mds_err mds_db_stream_partition_forget(struct mds_db *db, const char *source, const char *topic,
                                       int32_t partition);
/* MDS_ERR_NOTFOUND when the state file has no stream tables. */
mds_err mds_db_each_stream_partition(struct mds_db *db, void (*fn)(const struct mds_stream_partition *, void *),
                                     void *arg);

mds_err mds_db_each_source(struct mds_db *db, void (*fn)(const struct mds_source_status *, void *), void *arg);
mds_err mds_db_each_output(struct mds_db *db, void (*fn)(const struct mds_output_status *, void *), void *arg);

/* Explicit transactions for callers that write several rows at once. */
mds_err mds_db_begin(struct mds_db *db);
mds_err mds_db_commit(struct mds_db *db);
void mds_db_rollback(struct mds_db *db);

/* Compat mode: legacy detections served on /api/alerts, by the time
 * mdesiem stored them (their LastProcessedTimeUtc). */
mds_err mds_db_served_insert(struct mds_db *db, mds_ticks processed, const char *group, const char *device_tags,
                             const char *cloud_tags, const char *body, size_t len);
mds_err mds_db_served_latest(struct mds_db *db, mds_ticks *processed);
mds_err mds_db_served_prune(struct mds_db *db, mds_ticks before);
/* Calls fn for the detections with after < processed <= until, oldest
 * first; with limit > 0 only the most recent `limit` of them. fn returns
 * nonzero to stop. */
mds_err mds_db_served_query(struct mds_db *db, mds_ticks after, mds_ticks until, int64_t limit,
                            int (*fn)(void *arg, mds_ticks processed, const char *group, const char *device_tags,
                                      const char *cloud_tags, const char *body, size_t len),
                            void *arg);

#endif
