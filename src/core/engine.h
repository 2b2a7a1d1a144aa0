/*
 * engine.h - sources, outputs and the loop that connects them.
 *
 * Each source runs in its own thread: it collects pages and commits them
 * to the outbox (mds_source_commit). Each output runs in its own thread:
 * it drains its routes from the outbox, renders them with its format and
 * delivers them; a record leaves the outbox once every route acknowledged
 * it. Retry timing belongs to the engine (capped exponential backoff with
 * jitter, Retry-After honoured), never to a plugin.
 */
#ifndef MDS_ENGINE_H
#define MDS_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"
#include "core/state.h"
#include "core/throttle.h"
#include "formats/format.h"
#include "net/http.h"

struct mds_engine;
struct mds_source;
struct mds_output;

/* A source type: one descriptor per file in src/sources/. */
struct mds_source_type {
    const char *name;
    const char *help;
    enum mds_input_kind kind;
    const struct mds_conf_key *keys;
    /* Reads its configuration into src->ctx. Runs on the main thread. */
    mds_err (*create)(struct mds_source *src, char *err, size_t errlen);
    /* One collection cycle: fetch until caught up, committing every page
     * with mds_source_commit(). MDS_OK when caught up. Runs on the
     * source's thread. */
    mds_err (*collect)(struct mds_source *src, char *err, size_t errlen);
    void (*destroy)(struct mds_source *src);
    /* Streaming sources (eventhub) consume continuously: in `run` mode
     * collect returns every few seconds only so the status is recorded,
     * and the engine calls it again at once instead of sleeping
     * `recurrence`. */
    int streaming;
};

struct mds_source_stats {
    atomic_llong fetched;   /* records received from the API */
    atomic_llong accepted;  /* new versions stored in the outbox */
    atomic_llong duplicates;
    atomic_llong retries;
    atomic_llong throttled; /* 429 answers */
    atomic_llong pages;
};

struct mds_source {
    const struct mds_source_type *type;
    struct mds_conf_section *sec;
    const struct mds_conf *conf;
    struct mds_engine *engine;
    const char *name;
    char tag[96];              /* "source:NAME" for log lines */
    const char **routes;       /* output names */
    size_t nroutes;
    int64_t recurrence_ms;
    struct mds_throttle throttle;
    struct mds_http_conf http_conf;
    struct mds_http *http;
    struct mds_db *db;         /* the source thread's connection */
    void *ctx;                 /* type-specific */
    struct mds_source_stats stats;
    pthread_t thread;
    int failed;                /* last cycle failed (once mode exit code) */
    char *proxy_password;
    char *routes_storage;
};

/* An output type: one descriptor per file in src/outputs/. */
struct mds_output_type {
    const char *name;
    const char *help;
    const char *default_format;
    const struct mds_conf_key *keys;
    mds_err (*create)(struct mds_output *out, char *err, size_t errlen);
    /* Delivers `count` events: events[0..len) holds them, each ending in
     * '\n'. MDS_OK once they are durably accepted by the sink;
     * MDS_ERR_RETRY when worth retrying (*retry_after_ms >= 0 if the sink
     * said when); anything else is a permanent error. */
    mds_err (*deliver)(struct mds_output *out, const char *events, size_t len, size_t count,
                       int64_t *retry_after_ms, char *err, size_t errlen);
    void (*destroy)(struct mds_output *out);
};

struct mds_output {
    const struct mds_output_type *type;
    struct mds_conf_section *sec;
    const struct mds_conf *conf;
    struct mds_engine *engine;
    const char *name;
    char tag[96];
    const struct mds_format *format;
    struct mds_format_opts format_opts;
    struct mds_db *db;
    void *ctx;
    pthread_t thread;
    atomic_llong delivered;
    atomic_llong failures;
    int failed;
};

struct mds_engine_opts {
    int once;              /* one cycle per source, drain, exit */
};

/* Registered types, NULL-terminated. */
extern const struct mds_source_type *const mds_source_types[];
extern const struct mds_output_type *const mds_output_types[];

/* Validates the whole configuration (every section against its tables)
 * and builds the sources and outputs, without starting anything. */
mds_err mds_engine_create(struct mds_conf *conf, const struct mds_engine_opts *opts, struct mds_engine **out,
                          char *err, size_t errlen);
void mds_engine_destroy(struct mds_engine *e);

/* Runs until shutdown (or, in once mode, until every source finished one
 * cycle and every output drained). Returns MDS_OK when everything was
 * collected and delivered. */
mds_err mds_engine_run(struct mds_engine *e, char *err, size_t errlen);

const char *mds_engine_state_path(const struct mds_engine *e);

/* Nonzero in `once` mode (one cycle per source, then exit). */
int mds_engine_once(const struct mds_engine *e);

/* For sources: stores a page and moves the cursor in one transaction,
 * after the EPS throttle allowed the records through; wakes the outputs. */
mds_err mds_source_commit(struct mds_source *src, const struct mds_item *items, size_t n, const mds_ticks *cursor,
                          size_t *accepted);

/* For stream sources: like mds_source_commit for a poll batch of messages
 * (see mds_db_commit_stream): EPS throttle on the records, one
 * transaction, outputs woken. *dup_msgs counts messages dropped as
 * already stored. */
mds_err mds_source_commit_stream(struct mds_source *src, const struct mds_stream_msg *msgs, size_t nmsgs,
                                 const struct mds_item *items, size_t nitems, int dedupe, size_t *accepted,
                                 size_t *dup_msgs);

/* For sources: the retry policy of the [service] section. */
int mds_engine_retry_limit(const struct mds_engine *e);
int64_t mds_engine_backoff(const struct mds_engine *e, int attempt, int64_t retry_after_ms);

/* The [service] key table, and the keys every source / output has. */
extern const struct mds_conf_key mds_service_keys[];
extern const struct mds_conf_key mds_source_common_keys[];
extern const struct mds_conf_key mds_output_common_keys[];

#endif
