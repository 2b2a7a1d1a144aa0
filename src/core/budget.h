/*
 * budget.h - a process-wide limit on how many threads hold a large
 * buffer at once (the sources' page budget, [service] concurrent_pages).
 *
 * A counting semaphore that gives up on shutdown: each source takes one
 * slot before it fetches a page and gives it back once the page is stored
 * and its memory freed, so the memory pages take is bounded by the number
 * of slots, not by the number of sources, while fetches still overlap.
 * A thread holds at most one slot at a time, so waiting cannot deadlock.
 * Waiters are served in no particular order; a slot freed is taken by
 * whichever waiter wakes first.
 */
#ifndef MDS_BUDGET_H
#define MDS_BUDGET_H

#include <pthread.h>

#include "core/error.h"

struct mds_budget {
    pthread_mutex_t mu;
    pthread_cond_t freed;
    int limit; /* 0 = no limit: acquire never waits */
    int used;
};

/* Caller owns b; limit 0 means unlimited. */
void mds_budget_init(struct mds_budget *b, int limit);
void mds_budget_finish(struct mds_budget *b);

/* Takes a slot, waiting while all are taken. MDS_OK with the slot held;
 * MDS_ERR_STOPPED (no slot held) when shutdown was requested meanwhile.
 * A NULL budget never waits. Any thread. */
mds_err mds_budget_acquire(struct mds_budget *b);

/* Gives back a slot taken by mds_budget_acquire. NULL is a no-op. */
void mds_budget_release(struct mds_budget *b);

/* Slots in use right now (for status and tests). */
int mds_budget_used(struct mds_budget *b);

#endif
