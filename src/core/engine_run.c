/* engine_run.c - source and output threads, and the run / once loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/budget.h"
#include "core/engine.h"
#include "core/engine_internal.h"
#include "core/log.h"
#include "core/mem.h"
#include "serve/compat.h"

static void direct_free(struct mds_source *src);

static struct mds_output *find_output(struct mds_engine *e, const char *name)
{
    for (size_t i = 0; i < e->noutputs; i++)
        if (strcmp(e->outputs[i]->name, name) == 0)
            return e->outputs[i];
    return NULL;
}

static void wake_outputs(struct mds_engine *e)
{
    pthread_mutex_lock(&e->mu);
    e->generation++;
    pthread_cond_broadcast(&e->wake);
    pthread_mutex_unlock(&e->mu);
}

/* Waits until a commit happened after `seen_gen` or `ms` passed. */
static void wait_for_records(struct mds_engine *e, uint64_t seen_gen, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&e->mu);
    while (e->generation == seen_gen && !mds_shutdown_requested())
        if (pthread_cond_timedwait(&e->wake, &e->mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&e->mu);
}

/*
 * Spool limit (spool_max_bytes of an output). Each output counts the body
 * bytes waiting for it in the outbox (o->spool_bytes: read from the state
 * file at start, raised here by every commit, lowered by output_step on
 * every acknowledgement). Before a source stores a page it waits while an
 * output it routes to is above its limit: it simply reads no further from
 * the API, so nothing is dropped and its cursor stays where it is. The
 * check comes before the commit, so a spool can pass its limit by at most
 * one page per source.
 */
static struct mds_output *full_route(struct mds_source *src)
{
    for (size_t r = 0; r < src->nroutes; r++) {
        struct mds_output *o = find_output(src->engine, src->routes[r]);
        if (o && o->spool_max > 0 && atomic_load(&o->spool_bytes) > o->spool_max)
            return o;
    }
    return NULL;
}

/* Runs on the source's thread. MDS_OK once every route has room;
 * MDS_ERR_STOPPED on shutdown; MDS_ERR_RETRY when the full output's
 * thread has ended (once mode gave up on it), so waiting is pointless. */
static mds_err wait_for_spool(struct mds_source *src)
{
    struct mds_output *o = full_route(src);
    char why[256];
    if (!o)
        return MDS_OK;
    snprintf(why, sizeof why,
             "paused: output %s has %lld bytes waiting in the outbox, above its spool_max_bytes %lld",
             o->name, (long long)atomic_load(&o->spool_bytes), (long long)o->spool_max);
    mds_warn(src->tag, "%s; collection resumes when it drains", why);
    mds_db_source_result(src->db, src->name, 0, why, 0, 0);
    while ((o = full_route(src))) {
        if (atomic_load(&o->stopped)) {
            mds_error(src->tag, "output %s stopped with a full spool; this page stays uncollected", o->name);
            return MDS_ERR_RETRY;
        }
        if (mds_sleep_ms(100))
            return MDS_ERR_STOPPED;
    }
    mds_info(src->tag, "resumed: every output's spool is below its spool_max_bytes");
    return MDS_OK;
}

mds_err mds_source_page_begin(struct mds_source *src)
{
    mds_err rc = wait_for_spool(src);
    return rc ? rc : mds_budget_acquire(mds_engine_page_budget(src->engine));
}

void mds_source_page_end(struct mds_source *src) { mds_budget_release(mds_engine_page_budget(src->engine)); }

static void spool_add(struct mds_source *src, int64_t bytes)
{
    for (size_t r = 0; r < src->nroutes; r++) {
        struct mds_output *o = find_output(src->engine, src->routes[r]);
        if (o)
            atomic_fetch_add(&o->spool_bytes, (long long)bytes);
    }
}

static void spool_release(struct mds_output *o, const struct mds_pending *rows, size_t n)
{
    long long bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += (long long)rows[i].body_len;
    atomic_fetch_sub(&o->spool_bytes, bytes);
}

mds_err mds_source_commit(struct mds_source *src, const struct mds_item *items, size_t n, const mds_ticks *cursor,
                          size_t *accepted)
{
    mds_err wrc = n ? wait_for_spool(src) : MDS_OK; /* a bare cursor move adds nothing */
    if (wrc) {
        *accepted = 0;
        return wrc;
    }
    int64_t wait = mds_throttle_take(&src->throttle, (double)n, mds_mono_ms());
    if (wait > 0 && mds_sleep_ms(wait))
        return MDS_ERR_STOPPED;
    mds_err rc = mds_db_commit_page_keyed(src->db, src->name, src->cursor_key ? src->cursor_key : src->name,
                                          src->type->kind, src->routes, src->nroutes, items, n, cursor, accepted);
    if (rc) {
        mds_error(src->tag, "cannot store a page of %zu records: %s", n, mds_db_errmsg(src->db));
        return rc;
    }
    spool_add(src, mds_db_committed_bytes(src->db));
    atomic_fetch_add(&src->stats.fetched, (long long)n);
    atomic_fetch_add(&src->stats.accepted, (long long)*accepted);
    atomic_fetch_add(&src->stats.duplicates, (long long)(n - *accepted));
    atomic_fetch_add(&src->stats.pages, 1);
    if (cursor)
        atomic_store(&src->stats.cursor, (long long)*cursor);
    if (*accepted)
        wake_outputs(src->engine);
    return MDS_OK;
}

mds_err mds_source_commit_stream(struct mds_source *src, const struct mds_stream_msg *msgs, size_t nmsgs,
                                 const struct mds_item *items, size_t nitems, int dedupe, size_t *accepted,
                                 size_t *dup_msgs)
{
    *accepted = *dup_msgs = 0;
    mds_err wrc = nitems ? wait_for_spool(src) : MDS_OK;
    if (wrc)
        return wrc;
    int64_t wait = mds_throttle_take(&src->throttle, (double)nitems, mds_mono_ms());
    if (wait > 0 && mds_sleep_ms(wait))
        return MDS_ERR_STOPPED;
    mds_err rc = mds_db_commit_stream(src->db, src->name, src->type->kind, src->routes, src->nroutes, msgs, nmsgs,
                                      items, dedupe, accepted, dup_msgs);
    if (rc) {
        mds_error(src->tag, "cannot store %zu messages (%zu records): %s", nmsgs, nitems, mds_db_errmsg(src->db));
        return rc;
    }
    spool_add(src, mds_db_committed_bytes(src->db));
    atomic_fetch_add(&src->stats.fetched, (long long)nitems);
    atomic_fetch_add(&src->stats.accepted, (long long)*accepted);
    atomic_fetch_add(&src->stats.duplicates, (long long)(nitems - *accepted));
    atomic_fetch_add(&src->stats.pages, 1);
    if (*accepted)
        wake_outputs(src->engine);
    return MDS_OK;
}

static void source_cycle(struct mds_source *s)
{
    char err[512] = "";
    long long fetched0 = atomic_load(&s->stats.fetched), accepted0 = atomic_load(&s->stats.accepted);
    mds_err rc = s->type->collect(s, err, sizeof err);
    long long fetched = atomic_load(&s->stats.fetched) - fetched0;
    long long accepted = atomic_load(&s->stats.accepted) - accepted0;
    if (rc == MDS_ERR_STOPPED)
        return;
    if (rc == MDS_ERR_STATE && !*err) /* say why: "database or disk is full", ... */
        snprintf(err, sizeof err, "state file %s: %s", s->engine->state_path, mds_db_errmsg(s->db));
    s->failed = rc != MDS_OK;
    pthread_mutex_lock(&s->engine->mu);
    snprintf(s->last_error, sizeof s->last_error, "%.*s", (int)sizeof s->last_error - 1,
             rc ? (*err ? err : mds_strerror(rc)) : "");
    pthread_mutex_unlock(&s->engine->mu);
    if (!rc)
        atomic_store(&s->stats.last_success_ms, mds_time_now() / MDS_TICKS_PER_MS);
    atomic_fetch_add(&s->stats.cycles, 1);
    if (rc)
        atomic_fetch_add(&s->stats.failed_cycles, 1);
    if (rc)
        mds_error(s->tag, "collection failed: %s", *err ? err : mds_strerror(rc));
    else if (accepted)
        mds_info(s->tag, "cycle done: %lld fetched, %lld new", fetched, accepted);
    else
        mds_debug(s->tag, "cycle done: %lld fetched, nothing new", fetched);
    mds_db_source_result(s->db, s->name, !rc, rc ? (*err ? err : mds_strerror(rc)) : NULL, fetched, accepted);
}

static void *source_main(void *arg)
{
    struct mds_source *s = arg;
    struct mds_engine *e = s->engine;
    while (!mds_shutdown_requested()) {
        source_cycle(s);
        if (e->opts.once)
            break;
        if (!s->type->streaming)
            mds_sleep_ms(s->recurrence_ms);
    }
    direct_free(s);
    atomic_fetch_sub(&e->sources_running, 1);
    wake_outputs(e);
    return NULL;
}

struct output_buffers {
    struct mds_pending *rows;
    struct mds_record *recs;   /* one per row */
    struct mds_event *events;  /* one per rendered event */
    size_t events_cap;
    struct mds_buf store, data;
    struct mds_format_ctx ctx;
};

/* Appends the events rendered from recs[r] (data[before..]) to b->events. */
static mds_err index_events(struct output_buffers *b, const struct mds_record *recs, size_t r, size_t before,
                            size_t *count)
{
    unsigned part = 0;
    const char *data = b->data.data, *end = data + b->data.len;
    for (const char *start = data + before, *nl; start < end && (nl = memchr(start, '\n', (size_t)(end - start)));
         start = nl + 1) {
        if (*count == b->events_cap) {
            size_t cap = b->events_cap ? b->events_cap * 2 : 1024;
            struct mds_event *ev = mds_realloc(b->events, cap * sizeof *ev);
            if (!ev)
                return MDS_ERR_NOMEM;
            b->events = ev;
            b->events_cap = cap;
        }
        b->events[(*count)++] = (struct mds_event){
            .off = (size_t)(start - data), .len = (size_t)(nl - start), .rec = &recs[r], .part = part++};
    }
    return MDS_OK;
}

/* Renders recs[0..n) into b->data, indexing every event in b->events;
 * returns the event count in *count. */
static mds_err render_records(struct mds_output *o, struct output_buffers *b, const struct mds_record *recs,
                              size_t n, size_t *count)
{
    char err[256];
    mds_buf_reset(&b->data);
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = b->data.len;
        err[0] = '\0';
        mds_err rc = o->format->render(&b->ctx, &o->format_opts, &recs[i], &b->data, err, sizeof err);
        if (!rc)
            rc = index_events(b, recs, i, before, count);
        if (rc) {
            mds_error(o->tag, "cannot render record %.*s as %s: %s", (int)recs[i].id_len, recs[i].id,
                      o->format->name, *err ? err : mds_strerror(rc));
            return rc;
        }
    }
    return MDS_OK;
}

/* Renders outbox rows (their records point into b->store). */
static mds_err render_batch(struct mds_output *o, struct output_buffers *b, size_t n, size_t *count)
{
    for (size_t i = 0; i < n; i++) {
        const struct mds_pending *p = &b->rows[i];
        b->recs[i] = (struct mds_record){
            .source = b->store.data + p->source_off,
            .kind = (enum mds_input_kind)p->kind,
            .id = b->store.data + p->id_off,
            .id_len = p->id_len,
            .version = p->version,
            .ingest_time = p->stored,
            .body = b->store.data + p->body_off,
            .body_len = p->body_len,
        };
    }
    return render_records(o, b, b->recs, n, count);
}

static mds_err call_deliver(struct mds_output *o, const struct mds_batch *batch, int64_t *retry_after,
                            char *err, size_t errlen)
{
    if (o->type->deliver_batch)
        return o->type->deliver_batch(o, batch, retry_after, err, errlen);
    return o->type->deliver(o, batch->data, batch->len, batch->count, retry_after, err, errlen);
}

/* Delivers one batch, retrying transient failures. MDS_OK when delivered. */
static mds_err deliver_batch(struct mds_output *o, const struct mds_batch *batch)
{
    struct mds_engine *e = o->engine;
    char err[512];
    struct mds_batch b = *batch;
    for (int attempt = 0;; attempt++) {
        int64_t retry_after = -1;
        err[0] = '\0';
        b.attempt = (unsigned)attempt;
        mds_err rc = call_deliver(o, &b, &retry_after, err, sizeof err);
        if (rc == MDS_OK)
            return MDS_OK;
        atomic_fetch_add(&o->failures, 1);
        mds_db_output_result(o->db, o->name, 0, *err ? err : mds_strerror(rc), 0);
        mds_warn(o->tag, "delivery failed (%s), attempt %d: %s", rc == MDS_ERR_RETRY ? "will retry" : "permanent",
                 attempt + 1, *err ? err : mds_strerror(rc));
        if (e->opts.once && attempt + 1 >= e->retry_limit)
            return rc;
        /* Permanent errors are retried too, at the slowest pace: dropping
         * the records is never an option; `status` shows the error. */
        int64_t wait = rc == MDS_ERR_RETRY ? mds_engine_backoff(e, attempt, retry_after) : e->retry_max_ms;
        if (mds_sleep_ms(wait))
            return MDS_ERR_STOPPED;
    }
}

/* Acknowledges a delivered batch, retrying (with backoff) until the state
 * file takes it. Only the acknowledgement is retried: going back to
 * output_step would deliver the batch again on every attempt, one
 * duplicate of each record per retry for as long as, say, the disk under
 * the state file is full. MDS_ERR_STOPPED on shutdown: the batch is then
 * re-sent at the next start (the at-least-once tail). */
static mds_err ack_batch(struct mds_output *o, const struct mds_pending *rows, size_t n)
{
    struct mds_engine *e = o->engine;
    char why[300];
    for (int attempt = 0;; attempt++) {
        if (mds_db_ack(o->db, o->name, rows, n) == MDS_OK)
            return MDS_OK;
        snprintf(why, sizeof why, "cannot acknowledge %zu delivered records in the state file: %s", n,
                 mds_db_errmsg(o->db));
        mds_error(o->tag, "%s (attempt %d; they are not sent again meanwhile)", why, attempt + 1);
        atomic_fetch_add(&o->failures, 1);
        mds_db_output_result(o->db, o->name, 0, why, 0);
        if (e->opts.once && attempt + 1 >= e->retry_limit)
            return MDS_ERR_STATE;
        if (mds_sleep_ms(mds_engine_backoff(e, attempt, -1)))
            return MDS_ERR_STOPPED;
    }
}

/* One drain step: 1 when rows were delivered, 0 when none were pending,
 * -1 on failure. */
static int drain_step(struct mds_output *o, struct output_buffers *b)
{
    size_t n = 0, count = 0;
    if (mds_db_pending(o->db, o->name, b->rows, o->engine->batch_size, &n, &b->store)) {
        mds_error(o->tag, "cannot read the outbox: %s", mds_db_errmsg(o->db));
        return -1;
    }
    if (n == 0)
        return 0;
    if (render_batch(o, b, n, &count))
        return -1;
    struct mds_batch batch = {.data = b->data.data, .len = b->data.len, .events = b->events, .count = count};
    if (deliver_batch(o, &batch) || ack_batch(o, b->rows, n))
        return -1;
    spool_release(o, b->rows, n);
    atomic_fetch_add(&o->delivered, (long long)n);
    mds_db_output_result(o->db, o->name, 1, NULL, (int64_t)n);
    return 1;
}

static int output_step(struct mds_output *o, struct output_buffers *b)
{
    pthread_mutex_lock(&o->deliver_mu);
    int r = drain_step(o, b);
    pthread_mutex_unlock(&o->deliver_mu);
    return r;
}

/* An idle output holds no batch: the buffers sized by the largest batch
 * (record bodies, rendered events, the format's scratch) are freed while
 * it waits, so memory after a burst goes back to what idle needs. */
static void release_buffers(struct output_buffers *b)
{
    size_t held = b->store.cap + b->data.cap + b->events_cap * sizeof *b->events;
    mds_buf_finish(&b->store);
    mds_buf_finish(&b->data);
    mds_free(b->events);
    b->events = NULL;
    b->events_cap = 0;
    mds_format_ctx_finish(&b->ctx);
    mds_format_ctx_init(&b->ctx);
    if (held >= MDS_MEM_TRIM_AT)
        mds_mem_trim();
}

static void *output_main(void *arg)
{
    struct mds_output *o = arg;
    struct mds_engine *e = o->engine;
    struct output_buffers b = {.rows = mds_calloc(e->batch_size, sizeof *b.rows),
                               .recs = mds_calloc(e->batch_size, sizeof *b.recs)};
    mds_buf_init(&b.store, 0);
    mds_buf_init(&b.data, 0);
    mds_format_ctx_init(&b.ctx);
    while (b.rows && b.recs && !mds_shutdown_requested()) {
        pthread_mutex_lock(&e->mu);
        uint64_t gen = e->generation;
        pthread_mutex_unlock(&e->mu);
        int done_collecting = atomic_load(&e->sources_running) == 0;
        int r = output_step(o, &b);
        if (r < 0) {
            o->failed = 1;
            if (e->opts.once)
                break;
            mds_sleep_ms(e->retry_max_ms);
        } else if (r == 0) {
            if (done_collecting)
                break;
            release_buffers(&b);
            wait_for_records(e, gen, 1000);
        }
    }
    if (!b.rows || !b.recs)
        o->failed = 1;
    mds_format_ctx_finish(&b.ctx);
    mds_buf_finish(&b.store);
    mds_buf_finish(&b.data);
    mds_free(b.rows);
    mds_free(b.recs);
    mds_free(b.events);
    atomic_store(&o->stopped, 1);
    return NULL;
}

/* ---- direct delivery (stream sources) ---- */

/* A stream source's delivery buffers: its records, rendered for one
 * output at a time. Used by one thread at a time (the source's, or its
 * worker while the source's thread waits for it). */
struct mds_direct {
    struct output_buffers b;
    size_t cap;
};

static struct mds_direct *direct_buffers(struct mds_source *src, size_t n)
{
    struct mds_direct *d = src->direct;
    if (!d) {
        if (!(d = mds_calloc(1, sizeof *d)))
            return NULL;
        mds_buf_init(&d->b.data, 0);
        mds_format_ctx_init(&d->b.ctx);
        src->direct = d;
    }
    if (n > d->cap) {
        struct mds_record *r = mds_realloc(d->b.recs, n * sizeof *r);
        if (!r)
            return NULL;
        d->b.recs = r;
        d->cap = n;
    }
    return d;
}

static void direct_free(struct mds_source *src)
{
    struct mds_direct *d = src->direct;
    if (!d)
        return;
    release_buffers(&d->b);
    mds_format_ctx_finish(&d->b.ctx);
    mds_free(d->b.recs);
    mds_free(d);
    src->direct = NULL;
}

/* Renders the records for o and delivers them (retrying as the outbox's
 * deliveries do); on o's lock, shared with its own thread. */
static mds_err deliver_to(struct mds_output *o, struct output_buffers *b, size_t n)
{
    size_t count = 0;
    pthread_mutex_lock(&o->deliver_mu);
    mds_err rc = render_records(o, b, b->recs, n, &count);
    if (!rc) {
        struct mds_batch batch = {.data = b->data.data, .len = b->data.len, .events = b->events, .count = count};
        rc = deliver_batch(o, &batch);
    }
    if (!rc) {
        atomic_fetch_add(&o->delivered, (long long)n);
        mds_db_output_result(o->db, o->name, 1, NULL, (int64_t)n);
    }
    pthread_mutex_unlock(&o->deliver_mu);
    return rc;
}

mds_err mds_source_deliver(struct mds_source *src, const struct mds_item *items, size_t n, size_t skipped)
{
    struct mds_direct *d = direct_buffers(src, n);
    if (!d)
        return MDS_ERR_NOMEM;
    int64_t wait = mds_throttle_take(&src->throttle, (double)n, mds_mono_ms());
    if (wait > 0 && mds_sleep_ms(wait))
        return MDS_ERR_STOPPED;
    mds_ticks now = mds_time_now();
    for (size_t i = 0; i < n; i++)
        d->b.recs[i] = (struct mds_record){.source = src->name,
                                           .kind = (enum mds_input_kind)src->type->kind,
                                           .id = items[i].id,
                                           .id_len = items[i].id_len,
                                           .version = items[i].version,
                                           .ingest_time = now,
                                           .body = items[i].body,
                                           .body_len = items[i].body_len};
    for (size_t r = 0; n && r < src->nroutes; r++) {
        struct mds_output *o = find_output(src->engine, src->routes[r]);
        mds_err rc = o ? deliver_to(o, &d->b, n) : MDS_ERR_INTERNAL;
        if (rc)
            return rc;
    }
    atomic_fetch_add(&src->stats.fetched, (long long)(n + skipped));
    atomic_fetch_add(&src->stats.accepted, (long long)n);
    atomic_fetch_add(&src->stats.duplicates, (long long)skipped);
    atomic_fetch_add(&src->stats.pages, 1);
    return MDS_OK;
}

static mds_err open_connections(struct mds_engine *e, char *err, size_t errlen)
{
    for (size_t i = 0; i < e->noutputs; i++)
        pthread_mutex_init(&e->outputs[i]->deliver_mu, NULL);
    for (size_t i = 0; i < e->nsources; i++)
        if (mds_db_open(e->state_path, 1, &e->sources[i]->db, err, errlen))
            return MDS_ERR_STATE;
    for (size_t i = 0; i < e->noutputs; i++) {
        struct mds_output *o = e->outputs[i];
        int64_t rows = 0, bytes = 0;
        if (mds_db_open(e->state_path, 1, &o->db, err, errlen))
            return MDS_ERR_STATE;
        if (mds_db_outbox_depth(o->db, o->name, &rows, &bytes)) {
            snprintf(err, errlen, "cannot measure the outbox of output %s: %s", o->name,
                     mds_db_errmsg(o->db));
            return MDS_ERR_STATE;
        }
        atomic_store(&o->spool_bytes, (long long)bytes);
        atomic_store(&o->stopped, 0);
    }
    return MDS_OK;
}

static void close_connections(struct mds_engine *e)
{
    for (size_t i = 0; i < e->nsources; i++) {
        mds_db_close(e->sources[i]->db);
        e->sources[i]->db = NULL;
    }
    for (size_t i = 0; i < e->noutputs; i++) {
        mds_db_close(e->outputs[i]->db);
        e->outputs[i]->db = NULL;
        pthread_mutex_destroy(&e->outputs[i]->deliver_mu);
    }
}

static mds_err start_threads(struct mds_engine *e, size_t *nsrc, size_t *nout, char *err, size_t errlen)
{
    atomic_store(&e->sources_running, (int)e->nsources);
    for (*nout = 0; *nout < e->noutputs; (*nout)++)
        if (pthread_create(&e->outputs[*nout]->thread, NULL, output_main, e->outputs[*nout]))
            goto fail;
    for (*nsrc = 0; *nsrc < e->nsources; (*nsrc)++)
        if (pthread_create(&e->sources[*nsrc]->thread, NULL, source_main, e->sources[*nsrc]))
            goto fail;
    return MDS_OK;
fail:
    snprintf(err, errlen, "cannot start a thread: %s", strerror(errno));
    atomic_fetch_sub(&e->sources_running, (int)(e->nsources - *nsrc));
    return MDS_ERR_INTERNAL;
}

/* Large buffers are kept for reuse when a source streams, returned when
 * every source polls (see enum mds_mem_policy). */
static void set_memory_policy(const struct mds_engine *e)
{
    enum mds_mem_policy p = MDS_MEM_RETURN;
    for (size_t i = 0; i < e->nsources; i++)
        if (e->sources[i]->type->streaming)
            p = MDS_MEM_REUSE;
    mds_mem_set_policy(p);
}

mds_err mds_engine_run(struct mds_engine *e, char *err, size_t errlen)
{
    size_t nsrc = 0, nout = 0;
    const char *listen = mds_conf_str(e->service, "metrics_listen");
    set_memory_policy(e);
    e->started_ms = mds_time_now() / MDS_TICKS_PER_MS;
    mds_err rc = open_connections(e, err, errlen);
    if (!rc && listen && !e->opts.once)
        rc = mds_metrics_start(e, listen, err, errlen);
    if (!rc && e->compat && !e->opts.once)
        rc = mds_compat_start(e->compat, e->state_path, err, errlen);
    if (!rc)
        rc = start_threads(e, &nsrc, &nout, err, errlen);
    if (rc)
        mds_shutdown_request();
    else if (e->opts.on_running)
        e->opts.on_running(e, e->opts.on_running_arg);
    for (size_t i = 0; i < nsrc; i++)
        pthread_join(e->sources[i]->thread, NULL);
    wake_outputs(e);
    for (size_t i = 0; i < nout; i++)
        pthread_join(e->outputs[i]->thread, NULL);
    mds_metrics_stop(e);
    if (e->compat)
        mds_compat_stop(e->compat);
    close_connections(e);
    if (rc)
        return rc;
    for (size_t i = 0; i < e->nsources; i++)
        if (e->sources[i]->failed) {
            snprintf(err, errlen, "source %s could not collect everything", e->sources[i]->name);
            return MDS_ERR_RETRY;
        }
    for (size_t i = 0; i < e->noutputs; i++)
        if (e->outputs[i]->failed) {
            snprintf(err, errlen, "output %s could not deliver everything", e->outputs[i]->name);
            return MDS_ERR_RETRY;
        }
    return MDS_OK;
}
