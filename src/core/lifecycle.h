/*
 * lifecycle.h - process-wide shutdown flag and interruptible sleeps.
 *
 * Signal handlers call mds_shutdown_request(); long waits use
 * mds_sleep_ms() so they end promptly when it is set.
 */
#ifndef MDS_LIFECYCLE_H
#define MDS_LIFECYCLE_H

#include <stdint.h>

void mds_shutdown_request(void);
int mds_shutdown_requested(void);
/* Only for tests and for reusing a process after a shutdown. */
void mds_shutdown_reset(void);

/* Sleeps up to ms milliseconds; returns nonzero if cut short by shutdown. */
int mds_sleep_ms(int64_t ms);

/* Capped exponential backoff with full jitter: attempt 0 waits about
 * initial_ms, each further attempt doubles, never above max_ms. When the
 * server said how long to wait (retry_after_ms >= 0), that wins, plus up
 * to 10% jitter so many sources don't retry in lockstep. */
int64_t mds_backoff_ms(int attempt, int64_t initial_ms, int64_t max_ms, int64_t retry_after_ms);

#endif
