/* budget.c - the page budget: a counting semaphore that ends on shutdown. */
#include "core/budget.h"

#include <errno.h>
#include <time.h>

#include "core/lifecycle.h"

/* How often a waiter looks at the shutdown flag: the flag is set from a
 * signal handler, which cannot signal a condition variable. */
#define POLL_MS 100

void mds_budget_init(struct mds_budget *b, int limit)
{
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->freed, NULL);
    b->limit = limit > 0 ? limit : 0;
    b->used = 0;
}

void mds_budget_finish(struct mds_budget *b)
{
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->freed);
}

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ms * 1000000L;
    ts->tv_sec += ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

mds_err mds_budget_acquire(struct mds_budget *b)
{
    mds_err rc = MDS_OK;
    if (!b)
        return MDS_OK;
    pthread_mutex_lock(&b->mu);
    while (b->limit && b->used >= b->limit) {
        struct timespec ts;
        if (mds_shutdown_requested()) {
            rc = MDS_ERR_STOPPED;
            break;
        }
        deadline_in(&ts, POLL_MS);
        pthread_cond_timedwait(&b->freed, &b->mu, &ts);
    }
    if (rc == MDS_OK)
        b->used++;
    pthread_mutex_unlock(&b->mu);
    return rc;
}

void mds_budget_release(struct mds_budget *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    if (b->used > 0)
        b->used--;
    pthread_cond_signal(&b->freed);
    pthread_mutex_unlock(&b->mu);
}

int mds_budget_used(struct mds_budget *b)
{
    pthread_mutex_lock(&b->mu);
    int n = b->used;
    pthread_mutex_unlock(&b->mu);
    return n;
}
