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
struct mds_check;

/* A source type: one descriptor per file in src/sources/. */
struct mds_source_type {
    const char *name;
    const char *help;
    enum mds_input_kind kind;
    const struct mds_conf_key *keys;
    /* tables shared between types (credentials, OData paging), NULL-terminated; may be NULL */
    const struct mds_conf_key *const *more_keys;
    /* Reads its configuration into src->ctx. Runs on the main thread. */
    mds_err (*create)(struct mds_source *src, char *err, size_t errlen);
    /* One collection cycle: fetch until caught up, committing every page
     * with mds_source_commit(). MDS_OK when caught up. Runs on the
     * source's thread. */
    mds_err (*collect)(struct mds_source *src, char *err, size_t errlen);
    void (*destroy)(struct mds_source *src);
    /* `mdesiem check`: reach, token, permission, one request; each step
     * reported through the struct mds_check (sources/check.h). */
    void (*check)(struct mds_source *src, struct mds_check *chk);
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
    atomic_llong last_success_ms; /* wall clock of the last successful cycle, 0 = none yet */
    atomic_llong cursor;        /* last cursor committed, in ticks; 0 = none yet */
    atomic_llong cycles;        /* collection cycles finished */
    atomic_llong failed_cycles; /* of which failed */
};

struct mds_direct;

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
    const char *cursor_key;    /* where mds_source_commit stores the cursor; NULL = name */
    struct mds_source_stats stats;
    pthread_t thread;
    int failed;                /* last cycle failed (once mode exit code) */
    char last_error[256];      /* guarded by the engine's mutex; "" after a success */
    char *proxy_password;
    char proxy_url[300];       /* built from proxy_server and proxy_port */
    char *routes_storage;
    struct mds_direct *direct; /* mds_source_deliver's buffers (engine_run.c) */
};

/* One event of a batch, for outputs that need to know where each event
 * starts and which record it came from (a Kafka key, an Elasticsearch
 * _id, a syslog severity). Pointers are borrowed for one delivery. */
struct mds_event {
    size_t off;                   /* first byte in mds_batch.data */
    size_t len;                   /* length, without the trailing '\n' */
    const struct mds_record *rec; /* the record it was rendered from */
    unsigned part;                /* 0 for a record's first event, 1 for its next (evidence = split) ... */
};

/* What deliver_batch receives: the same bytes deliver gets, plus one
 * mds_event per event, in order. */
struct mds_batch {
    const char *data; /* every event, each ending in '\n' */
    size_t len;
    const struct mds_event *events;
    size_t count;
    /* 0 on the first delivery of these events; n on the n-th retry of the
     * same batch (same bytes, same events) after deliver_batch failed, so
     * an output may skip what it knows the failed attempts delivered. */
    unsigned attempt;
};

/* An output type: one descriptor per file in src/outputs/. An output
 * sets exactly one of deliver and deliver_batch. */
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
    /* The same contract, with each event's boundaries and record. */
    mds_err (*deliver_batch)(struct mds_output *out, const struct mds_batch *batch, int64_t *retry_after_ms,
                             char *err, size_t errlen);
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
    /* Spool limit (spool_max_bytes): bytes of record bodies waiting in the
     * outbox for this output, kept by the engine (set at start, raised by
     * source commits, lowered by acknowledgements). Sources routing here
     * pause while it is above spool_max; 0 = no limit. */
    int64_t spool_max;
    atomic_llong spool_bytes;
    atomic_int stopped;        /* the output thread has ended */
    /* Held by whoever delivers to this output: its own thread draining
     * the outbox, or a stream source delivering directly
     * (mds_source_deliver); it also guards db, which both use. */
    pthread_mutex_t deliver_mu;
};

struct mds_engine_opts {
    int once;              /* one cycle per source, drain, exit */
    /* Called on the calling thread of mds_engine_run once every thread
     * started (e.g. to tell systemd READY=1); may be NULL. */
    void (*on_running)(struct mds_engine *e, void *arg);
    void *on_running_arg;
};

/* For `mdesiem check`: the built sources (valid until destroy). */
size_t mds_engine_sources(const struct mds_engine *e, struct mds_source *const **out);

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

/* The validated [service] section (defaults when the file has none). */
const struct mds_conf_section *mds_engine_service(const struct mds_engine *e);
/* Nonzero in `once` mode (one cycle per source, then exit). */
int mds_engine_once(const struct mds_engine *e);

/* For sources: stores a page and moves the cursor in one transaction,
 * after the EPS throttle allowed the records through; wakes the outputs. */
mds_err mds_source_commit(struct mds_source *src, const struct mds_item *items, size_t n, const mds_ticks *cursor,
                          size_t *accepted);

/* For stream sources: like mds_source_commit for a poll batch of messages
 * (see mds_db_commit_stream): waits while a route's spool is full, EPS
 * throttle on the records, one transaction, outputs woken. *dup_msgs
 * counts messages dropped as already stored. May run on a worker thread
 * of the source that owns src->db meanwhile. */
mds_err mds_source_commit_stream(struct mds_source *src, const struct mds_stream_msg *msgs, size_t nmsgs,
                                 const struct mds_item *items, size_t nitems, int dedupe, size_t *accepted,
                                 size_t *dup_msgs);

/* For stream sources: delivers records straight to every output of the
 * source, in each output's format, after the EPS throttle; MDS_OK once
 * every output acknowledged them (transient failures are retried as the
 * outbox's deliveries are). No outbox row is written: the broker keeps
 * the records until the source commits their offsets. `skipped` counts
 * records the source dropped as re-sent copies (fetched, duplicates).
 * May run on a worker thread of the source. */
mds_err mds_source_deliver(struct mds_source *src, const struct mds_item *items, size_t n, size_t skipped);

/* For sources: the retry policy of the [service] section. */
int mds_engine_retry_limit(const struct mds_engine *e);

struct mds_budget;

/* For polling sources, around every page they fetch and store: waits
 * until every output the source routes to has room in its spool (a
 * paused source must not hold a slot others need), then takes a slot of
 * the page budget ([service] concurrent_pages, see core/budget.h).
 * MDS_OK with the slot held; MDS_ERR_STOPPED on shutdown; MDS_ERR_RETRY
 * when a full output's thread has ended. page_end gives the slot back. */
mds_err mds_source_page_begin(struct mds_source *src);
void mds_source_page_end(struct mds_source *src);

/* The page budget every polling source takes a slot of while it holds a
 * page. Owned by e. */
struct mds_budget *mds_engine_page_budget(struct mds_engine *e);
int64_t mds_engine_backoff(const struct mds_engine *e, int attempt, int64_t retry_after_ms);

/* The [service] key table, and the keys every source / output has. */
extern const struct mds_conf_key mds_service_keys[];
extern const struct mds_conf_key mds_source_common_keys[];
extern const struct mds_conf_key mds_output_common_keys[];

#endif
