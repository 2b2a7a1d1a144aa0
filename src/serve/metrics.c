/*
 * metrics.c - /metrics (Prometheus text format) and /healthz for `run`.
 *
 * Counters come from the sources' and outputs' atomics; outbox depth and
 * cursors from the state file (one connection, guarded by a mutex, since
 * the server answers on its own threads). /healthz answers 200 while every
 * source succeeded within its last three recurrences (or is still within
 * three recurrences of the start), else 503 naming the source and error.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/engine_internal.h"
#include "core/log.h"
#include "serve/compat.h"
#include "serve/httpd.h"

static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mds_db *metrics_db;

static void counter(struct mds_buf *b, const char *name, const char *help, const char *type)
{
    mds_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const struct {
    const char *name, *help;
    size_t offset;
} source_counters[] = {
    {"mdesiem_source_records_fetched_total", "Records received from the API.",
     offsetof(struct mds_source_stats, fetched)},
    {"mdesiem_source_records_new_total", "New record versions stored in the outbox.",
     offsetof(struct mds_source_stats, accepted)},
    {"mdesiem_source_records_deduplicated_total", "Records dropped as already stored (same id and version).",
     offsetof(struct mds_source_stats, duplicates)},
    {"mdesiem_source_pages_total", "API pages stored.", offsetof(struct mds_source_stats, pages)},
    {"mdesiem_source_retries_total", "Requests retried after a transient failure.",
     offsetof(struct mds_source_stats, retries)},
    {"mdesiem_source_throttled_total", "429 Too Many Requests answers.", offsetof(struct mds_source_stats, throttled)},
};

static void source_metrics(struct mds_engine *e, struct mds_buf *b)
{
    for (size_t k = 0; k < sizeof source_counters / sizeof source_counters[0]; k++) {
        counter(b, source_counters[k].name, source_counters[k].help, "counter");
        for (size_t i = 0; i < e->nsources; i++) {
            atomic_llong *v = (atomic_llong *)((char *)&e->sources[i]->stats + source_counters[k].offset);
            mds_buf_printf(b, "%s{source=\"%s\"} %lld\n", source_counters[k].name, e->sources[i]->name,
                           (long long)atomic_load(v));
        }
    }
    counter(b, "mdesiem_source_last_success_timestamp_seconds", "End of the last successful cycle.", "gauge");
    for (size_t i = 0; i < e->nsources; i++)
        mds_buf_printf(b, "mdesiem_source_last_success_timestamp_seconds{source=\"%s\"} %.3f\n", e->sources[i]->name,
                       (double)atomic_load(&e->sources[i]->stats.last_success_ms) / 1000.0);
}

static void output_metrics(struct mds_engine *e, struct mds_buf *b)
{
    counter(b, "mdesiem_output_delivered_total", "Records delivered and acknowledged.", "counter");
    for (size_t i = 0; i < e->noutputs; i++)
        mds_buf_printf(b, "mdesiem_output_delivered_total{output=\"%s\"} %lld\n", e->outputs[i]->name,
                       (long long)atomic_load(&e->outputs[i]->delivered));
    counter(b, "mdesiem_output_failures_total", "Failed delivery attempts (each retried).", "counter");
    for (size_t i = 0; i < e->noutputs; i++)
        mds_buf_printf(b, "mdesiem_output_failures_total{output=\"%s\"} %lld\n", e->outputs[i]->name,
                       (long long)atomic_load(&e->outputs[i]->failures));
    counter(b, "mdesiem_output_outbox_records", "Records waiting for this output.", "gauge");
    struct mds_buf bytes;
    mds_buf_init(&bytes, 0);
    counter(&bytes, "mdesiem_output_outbox_bytes", "Bytes of the records waiting for this output.", "gauge");
    pthread_mutex_lock(&db_lock);
    for (size_t i = 0; i < e->noutputs; i++) {
        int64_t rows = 0, size = 0;
        if (metrics_db && mds_db_outbox_depth(metrics_db, e->outputs[i]->name, &rows, &size) == MDS_OK) {
            mds_buf_printf(b, "mdesiem_output_outbox_records{output=\"%s\"} %lld\n", e->outputs[i]->name,
                           (long long)rows);
            mds_buf_printf(&bytes, "mdesiem_output_outbox_bytes{output=\"%s\"} %lld\n", e->outputs[i]->name,
                           (long long)size);
        }
    }
    pthread_mutex_unlock(&db_lock);
    mds_buf_append(b, bytes.data ? bytes.data : "", bytes.len);
    mds_buf_finish(&bytes);
}

static void cursor_line(const struct mds_source_status *s, void *arg)
{
    struct mds_buf *b = arg;
    if (s->has_cursor)
        mds_buf_printf(b, "mdesiem_source_cursor_lag_seconds{source=\"%s\"} %.3f\n", s->name,
                       (double)(mds_time_now() - s->cursor) / MDS_TICKS_PER_SEC);
}

static void on_metrics(void *arg, const struct mds_httpd_request *req, struct mds_httpd_response *resp)
{
    struct mds_engine *e = arg;
    (void)req;
    resp->content_type = "text/plain; version=0.0.4";
    counter(&resp->body, "mdesiem_up", "1 while mdesiem runs.", "gauge");
    mds_buf_puts(&resp->body, "mdesiem_up 1\n");
    source_metrics(e, &resp->body);
    counter(&resp->body, "mdesiem_source_cursor_lag_seconds", "Time between now and the cursor (per stream).",
            "gauge");
    pthread_mutex_lock(&db_lock);
    if (metrics_db)
        mds_db_each_source(metrics_db, cursor_line, &resp->body);
    pthread_mutex_unlock(&db_lock);
    output_metrics(e, &resp->body);
    if (e->compat)
        mds_compat_metrics(e->compat, &resp->body);
}

static void on_healthz(void *arg, const struct mds_httpd_request *req, struct mds_httpd_response *resp)
{
    struct mds_engine *e = arg;
    int64_t now = mds_time_now() / MDS_TICKS_PER_MS;
    (void)req;
    resp->content_type = "text/plain";
    for (size_t i = 0; i < e->nsources; i++) {
        struct mds_source *s = e->sources[i];
        int64_t grace = 3 * s->recurrence_ms, last = atomic_load(&s->stats.last_success_ms);
        if (now - (last ? last : e->started_ms) <= grace)
            continue;
        pthread_mutex_lock(&e->mu);
        mds_buf_printf(&resp->body, "source %s: no successful cycle for %llds%s%s\n", s->name,
                       (long long)((now - (last ? last : e->started_ms)) / 1000), *s->last_error ? ": " : "",
                       s->last_error);
        pthread_mutex_unlock(&e->mu);
        resp->status = 503;
    }
    if (resp->status != 503)
        mds_buf_puts(&resp->body, "ok\n");
}

mds_err mds_metrics_start(struct mds_engine *e, const char *listen, char *err, size_t errlen)
{
    const struct mds_httpd_route routes[] = {
        {"GET", "/metrics", on_metrics, e},
        {"GET", "/healthz", on_healthz, e},
    };
    mds_err rc = mds_db_open(e->state_path, 0, &metrics_db, err, errlen);
    if (!rc)
        rc = mds_httpd_start(listen, routes, 2, NULL, NULL, &e->metrics, err, errlen);
    if (rc) {
        mds_db_close(metrics_db);
        metrics_db = NULL;
        return rc;
    }
    mds_info("metrics", "serving /metrics and /healthz on port %d (%s)", mds_httpd_port(e->metrics), listen);
    return MDS_OK;
}

void mds_metrics_stop(struct mds_engine *e)
{
    mds_httpd_stop(e->metrics);
    e->metrics = NULL;
    pthread_mutex_lock(&db_lock);
    mds_db_close(metrics_db);
    metrics_db = NULL;
    pthread_mutex_unlock(&db_lock);
}
