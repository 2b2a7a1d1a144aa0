/*
 * progress.h - the per-source progress lines of `mdesiem once` on a
 * terminal: pages, alerts, rate, cursor time and, while a backfill runs,
 * an estimate of the time left.
 *
 * A reporter thread samples the sources' atomic counters twice a second
 * and redraws a status block below the log lines (mds_log_term_status);
 * the collecting threads never wait for it. The caller decides whether
 * to show progress at all (only when stderr is a terminal).
 */
#ifndef MDS_PROGRESS_H
#define MDS_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/timeutil.h"

struct mds_engine;
struct mds_progress;

/* What one line shows; filled from a source's counters. */
struct mds_progress_sample {
    const char *name;
    long long pages, fetched, accepted;
    mds_ticks cursor;        /* 0 = none committed yet */
    mds_ticks cursor_first;  /* first cursor seen by the reporter; 0 = none */
    int64_t cursor_first_ms; /* when it was seen (monotonic ms) */
    int64_t elapsed_ms;      /* since the reporter started */
    int64_t now_ms;          /* monotonic ms of this sample */
    mds_ticks now;           /* wall clock of this sample */
    int finished, failed;    /* the source's cycle ended (failed) */
};

/* Formats one line into buf (truncated to `width` columns, at most
 * size - 1 bytes). Pure: exposed for unit tests. */
void mds_progress_format(const struct mds_progress_sample *s, size_t width, char *buf, size_t size);

/* 1 when stderr is a terminal that can redraw lines (not TERM=dumb). */
int mds_progress_wanted(void);

/* Starts the reporter for a created engine; NULL on failure (no
 * progress then, nothing else changes). Call before mds_engine_run. */
struct mds_progress *mds_progress_start(struct mds_engine *e);

/* Draws the final state, leaves it on screen and stops the reporter.
 * Accepts NULL. */
void mds_progress_stop(struct mds_progress *p);

#endif
