/* progress.c - per-source progress lines for `once` on a terminal (see progress.h). */
#include "core/progress.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/engine_internal.h"
#include "core/log.h"
#include "core/mem.h"

#define TICK_MS 500
#define LINE_BYTES 512
#define BACKFILL_LAG_SEC 60 /* a cursor further behind than this is a backfill */

struct track {
    mds_ticks cursor_first;
    int64_t cursor_first_ms;
};

struct mds_progress {
    struct mds_engine *e;
    struct track *track;
    int64_t start_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stop;
};

static void fmt_duration(int64_t s, char *buf, size_t size)
{
    if (s >= 86400)
        snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400), (long long)(s / 3600 % 24));
    else if (s >= 3600)
        snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
    else if (s >= 60)
        snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, size, "%llds", (long long)s);
}

/*
 * ETA of a backfill: how long the cursor needs to reach now at the pace
 * it moved since the reporter first saw it. Empty when there is no pace
 * yet or the cursor is already close to now.
 */
static void eta(const struct mds_progress_sample *s, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!s->cursor || !s->cursor_first || s->cursor <= s->cursor_first)
        return;
    int64_t behind = (s->now - s->cursor) / MDS_TICKS_PER_SEC;
    int64_t took_ms = s->now_ms - s->cursor_first_ms;
    if (behind < BACKFILL_LAG_SEC || took_ms < 1000)
        return;
    double ticks_per_ms = (double)(s->cursor - s->cursor_first) / (double)took_ms;
    double left_s = (double)(s->now - s->cursor) / ticks_per_ms / 1000.0;
    char d[32];
    fmt_duration(left_s > 9e8 ? (int64_t)9e8 : (int64_t)left_s, d, sizeof d);
    snprintf(buf, size, "  ETA %s", d);
}

void mds_progress_format(const struct mds_progress_sample *s, size_t width, char *buf, size_t size)
{
    char cur[40] = "-", rate[32], tail[48], lag[32];
    if (s->cursor > 0) {
        mds_time_format(s->cursor, 0, cur, sizeof cur);
        memcpy(cur + 16, "Z", 2); /* minutes are enough to follow a backfill */
    }
    double secs = s->elapsed_ms > 0 ? (double)s->elapsed_ms / 1000.0 : 0;
    snprintf(rate, sizeof rate, "%.0f/s", secs >= 0.5 ? (double)s->fetched / secs : 0.0);
    tail[0] = '\0';
    if (s->finished)
        snprintf(tail, sizeof tail, "  %s", s->failed ? "FAILED" : "done");
    else
        eta(s, tail, sizeof tail);
    if (!tail[0] && s->cursor > 0) {
        int64_t behind = (s->now - s->cursor) / MDS_TICKS_PER_SEC;
        fmt_duration(behind < 0 ? 0 : behind, lag, sizeof lag);
        snprintf(tail, sizeof tail, "  lag %s", lag);
    }
    snprintf(buf, size, "%s  %lld pages  %lld alerts  %s  cursor %s%s", s->name, s->pages, s->fetched, rate,
             cur, tail);
    if (width > 0 && strlen(buf) > width)
        buf[width] = '\0';
}

static size_t term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
        return (size_t)ws.ws_col - 1; /* a full-width line would wrap on some terminals */
    return 79;
}

static void sample(struct mds_progress *p, size_t i, struct mds_progress_sample *s)
{
    struct mds_source *src = p->e->sources[i];
    struct track *t = &p->track[i];
    memset(s, 0, sizeof *s);
    s->name = src->name;
    s->pages = atomic_load(&src->stats.pages);
    s->fetched = atomic_load(&src->stats.fetched);
    s->accepted = atomic_load(&src->stats.accepted);
    s->cursor = atomic_load(&src->stats.cursor);
    s->finished = atomic_load(&src->stats.cycles) > 0;
    s->failed = atomic_load(&src->stats.failed_cycles) > 0;
    s->now_ms = mds_mono_ms();
    s->now = mds_time_now();
    s->elapsed_ms = s->now_ms - p->start_ms;
    if (s->cursor && !t->cursor_first) {
        t->cursor_first = s->cursor;
        t->cursor_first_ms = s->now_ms;
    }
    s->cursor_first = t->cursor_first;
    s->cursor_first_ms = t->cursor_first_ms;
}

static void draw(struct mds_progress *p)
{
    char block[4096], line[LINE_BYTES];
    size_t n = 0, width = term_width();
    block[0] = '\0';
    for (size_t i = 0; i < p->e->nsources; i++) {
        struct mds_progress_sample s;
        sample(p, i, &s);
        mds_progress_format(&s, width, line, sizeof line);
        int k = snprintf(block + n, sizeof block - n, "%s\n", line);
        if (k < 0 || (size_t)k >= sizeof block - n)
            break; /* more sources than fit: the rest are in the log */
        n += (size_t)k;
    }
    mds_log_term_status(block);
}

static void *reporter_main(void *arg)
{
    struct mds_progress *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        pthread_mutex_unlock(&p->mu);
        draw(p);
        pthread_mutex_lock(&p->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!p->stop && pthread_cond_timedwait(&p->cond, &p->mu, &ts) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int mds_progress_wanted(void)
{
    const char *term = getenv("TERM");
    return isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

struct mds_progress *mds_progress_start(struct mds_engine *e)
{
    struct mds_progress *p = mds_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->track = mds_calloc(e->nsources + 1, sizeof *p->track);
    if (!p->track) {
        mds_free(p);
        return NULL;
    }
    p->e = e;
    p->start_ms = mds_mono_ms();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    if (pthread_create(&p->thread, NULL, reporter_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cond);
        mds_free(p->track);
        mds_free(p);
        return NULL;
    }
    return p;
}

void mds_progress_stop(struct mds_progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    draw(p);
    mds_log_term_finish();
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cond);
    mds_free(p->track);
    mds_free(p);
}
