/* engine_run.c - source and output threads, and the run / once loop. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"
#include "core/engine_internal.h"
#include "core/log.h"
#include "core/mem.h"

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

mds_err mds_source_commit(struct mds_source *src, const struct mds_item *items, size_t n, const mds_ticks *cursor,
                          size_t *accepted)
{
    int64_t wait = mds_throttle_take(&src->throttle, (double)n, mds_mono_ms());
    if (wait > 0 && mds_sleep_ms(wait))
        return MDS_ERR_STOPPED;
    mds_err rc = mds_db_commit_page(src->db, src->name, src->type->kind, src->routes, src->nroutes, items, n,
                                    cursor, accepted);
    if (rc) {
        mds_error(src->tag, "cannot store a page of %zu records: %s", n, mds_db_errmsg(src->db));
        return rc;
    }
    atomic_fetch_add(&src->stats.fetched, (long long)n);
    atomic_fetch_add(&src->stats.accepted, (long long)*accepted);
    atomic_fetch_add(&src->stats.duplicates, (long long)(n - *accepted));
    atomic_fetch_add(&src->stats.pages, 1);
    if (*accepted)
        wake_outputs(src->engine);
    return MDS_OK;
}

mds_err mds_source_commit_stream(struct mds_source *src, const struct mds_stream_msg *msgs, size_t nmsgs,
                                 const struct mds_item *items, size_t nitems, int dedupe, size_t *accepted,
                                 size_t *dup_msgs)
{
    int64_t wait = mds_throttle_take(&src->throttle, (double)nitems, mds_mono_ms());
    *accepted = *dup_msgs = 0;
    if (wait > 0 && mds_sleep_ms(wait))
        return MDS_ERR_STOPPED;
    mds_err rc = mds_db_commit_stream(src->db, src->name, src->type->kind, src->routes, src->nroutes, msgs, nmsgs,
                                      items, dedupe, accepted, dup_msgs);
    if (rc) {
        mds_error(src->tag, "cannot store %zu messages (%zu records): %s", nmsgs, nitems, mds_db_errmsg(src->db));
        return rc;
    }
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
    s->failed = rc != MDS_OK;
    if (rc)
        mds_error(s->tag, "collection failed: %s", *err ? err : mds_strerror(rc));
    else
        mds_info(s->tag, "cycle done: %lld fetched, %lld new", fetched, accepted);
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
    atomic_fetch_sub(&e->sources_running, 1);
    wake_outputs(e);
    return NULL;
}

/* Renders rows into events; returns the event count in *count. */
static mds_err render_batch(struct mds_output *o, struct mds_format_ctx *ctx, const struct mds_pending *rows,
                            size_t n, const struct mds_buf *store, struct mds_buf *events, size_t *count)
{
    char err[256];
    mds_buf_reset(events);
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mds_pending *p = &rows[i];
        struct mds_record rec = {
            .source = store->data + p->source_off,
            .kind = (enum mds_input_kind)p->kind,
            .id = store->data + p->id_off,
            .id_len = p->id_len,
            .version = p->version,
            .ingest_time = p->stored,
            .body = store->data + p->body_off,
            .body_len = p->body_len,
        };
        size_t before = events->len;
        err[0] = '\0';
        mds_err rc = o->format->render(ctx, &o->format_opts, &rec, events, err, sizeof err);
        if (rc) {
            mds_error(o->tag, "cannot render record %.*s as %s: %s", (int)p->id_len, rec.id, o->format->name,
                      *err ? err : mds_strerror(rc));
            return rc;
        }
        for (const char *q = events->data + before, *end = events->data + events->len;
             (q = memchr(q, '\n', (size_t)(end - q))); q++)
            (*count)++;
    }
    return MDS_OK;
}

/* Delivers one batch, retrying transient failures. MDS_OK when delivered. */
static mds_err deliver_batch(struct mds_output *o, const struct mds_buf *events, size_t count)
{
    struct mds_engine *e = o->engine;
    char err[512];
    for (int attempt = 0;; attempt++) {
        int64_t retry_after = -1;
        err[0] = '\0';
        mds_err rc = o->type->deliver(o, events->data, events->len, count, &retry_after, err, sizeof err);
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

struct output_buffers {
    struct mds_pending *rows;
    struct mds_buf store, events;
    struct mds_format_ctx ctx;
};

/* One drain step: 1 when rows were delivered, 0 when none were pending,
 * -1 on failure. */
static int output_step(struct mds_output *o, struct output_buffers *b)
{
    size_t n = 0, count = 0;
    if (mds_db_pending(o->db, o->name, b->rows, o->engine->batch_size, &n, &b->store)) {
        mds_error(o->tag, "cannot read the outbox: %s", mds_db_errmsg(o->db));
        return -1;
    }
    if (n == 0)
        return 0;
    if (render_batch(o, &b->ctx, b->rows, n, &b->store, &b->events, &count))
        return -1;
    if (deliver_batch(o, &b->events, count))
        return -1;
    if (mds_db_ack(o->db, o->name, b->rows, n)) {
        mds_error(o->tag, "cannot acknowledge %zu delivered records: %s", n, mds_db_errmsg(o->db));
        return -1;
    }
    atomic_fetch_add(&o->delivered, (long long)n);
    mds_db_output_result(o->db, o->name, 1, NULL, (int64_t)n);
    return 1;
}

static void *output_main(void *arg)
{
    struct mds_output *o = arg;
    struct mds_engine *e = o->engine;
    struct output_buffers b = {.rows = mds_calloc(e->batch_size, sizeof *b.rows)};
    mds_buf_init(&b.store, 0);
    mds_buf_init(&b.events, 0);
    mds_format_ctx_init(&b.ctx);
    while (b.rows && !mds_shutdown_requested()) {
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
            wait_for_records(e, gen, 1000);
        }
    }
    if (!b.rows)
        o->failed = 1;
    mds_format_ctx_finish(&b.ctx);
    mds_buf_finish(&b.store);
    mds_buf_finish(&b.events);
    mds_free(b.rows);
    return NULL;
}

static mds_err open_connections(struct mds_engine *e, char *err, size_t errlen)
{
    for (size_t i = 0; i < e->nsources; i++)
        if (mds_db_open(e->state_path, 1, &e->sources[i]->db, err, errlen))
            return MDS_ERR_STATE;
    for (size_t i = 0; i < e->noutputs; i++)
        if (mds_db_open(e->state_path, 1, &e->outputs[i]->db, err, errlen))
            return MDS_ERR_STATE;
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

mds_err mds_engine_run(struct mds_engine *e, char *err, size_t errlen)
{
    size_t nsrc = 0, nout = 0;
    mds_err rc = open_connections(e, err, errlen);
    if (!rc)
        rc = start_threads(e, &nsrc, &nout, err, errlen);
    if (rc)
        mds_shutdown_request();
    for (size_t i = 0; i < nsrc; i++)
        pthread_join(e->sources[i]->thread, NULL);
    wake_outputs(e);
    for (size_t i = 0; i < nout; i++)
        pthread_join(e->outputs[i]->thread, NULL);
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
