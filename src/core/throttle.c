/* throttle.c - token bucket (see throttle.h). */
#include "core/throttle.h"

void mds_throttle_init(struct mds_throttle *t, double rate)
{
    t->rate = rate;
    t->burst = rate; /* one second's worth */
    t->tokens = 0; /* start empty: the average rate holds from the first record */
    t->last_ms = -1;
}

int64_t mds_throttle_take(struct mds_throttle *t, double n, int64_t now_ms)
{
    if (t->rate <= 0)
        return 0;
    if (t->last_ms >= 0) {
        t->tokens += (double)(now_ms - t->last_ms) * t->rate / 1000.0;
        if (t->tokens > t->burst)
            t->tokens = t->burst;
    }
    t->last_ms = now_ms;
    t->tokens -= n;
    if (t->tokens >= 0)
        return 0;
    /* In debt: wait until the bucket is back to zero. */
    return (int64_t)(-t->tokens * 1000.0 / t->rate + 0.999);
}
