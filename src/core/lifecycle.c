/* lifecycle.c - shutdown flag, interruptible sleep, retry backoff. */
#include "core/lifecycle.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/timeutil.h"

static volatile sig_atomic_t stop_flag;

void mds_shutdown_request(void) { stop_flag = 1; }

int mds_shutdown_requested(void) { return stop_flag != 0; }

void mds_shutdown_reset(void) { stop_flag = 0; }

int mds_sleep_ms(int64_t ms)
{
    int64_t end = mds_mono_ms() + ms;
    for (;;) {
        if (stop_flag)
            return 1;
        int64_t left = end - mds_mono_ms();
        if (left <= 0)
            return 0;
        if (left > 50)
            left = 50;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* xorshift per thread: jitter needs no quality, only independence. */
static uint64_t jitter_rand(void)
{
    static _Thread_local uint64_t s;
    if (!s)
        s = (uint64_t)mds_time_now() ^ (uint64_t)(uintptr_t)&s;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

int64_t mds_backoff_ms(int attempt, int64_t initial_ms, int64_t max_ms, int64_t retry_after_ms)
{
    if (retry_after_ms >= 0)
        return retry_after_ms + (int64_t)(jitter_rand() % (uint64_t)(retry_after_ms / 10 + 1));
    int64_t ceiling = initial_ms;
    for (int i = 0; i < attempt && ceiling < max_ms; i++)
        ceiling *= 2;
    if (ceiling > max_ms)
        ceiling = max_ms;
    /* half fixed, half random: never a zero wait, never lockstep */
    return ceiling / 2 + (int64_t)(jitter_rand() % (uint64_t)(ceiling / 2 + 1));
}
