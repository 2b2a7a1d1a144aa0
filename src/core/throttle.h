/*
 * throttle.h - EPS throttle: a token bucket per source.
 *
 * Records over the rate wait; none is dropped (QRadar's "EPS Throttle").
 * Used by one thread (the source's).
 */
#ifndef MDS_THROTTLE_H
#define MDS_THROTTLE_H

#include <stdint.h>

struct mds_throttle {
    double rate;     /* records per second; <= 0 = unlimited */
    double tokens;   /* available now */
    double burst;    /* bucket size: one second of records */
    int64_t last_ms;
};

void mds_throttle_init(struct mds_throttle *t, double rate);

/* Milliseconds to wait before n records may pass (0 = now), and takes
 * them: the caller sleeps that long, then proceeds. */
int64_t mds_throttle_take(struct mds_throttle *t, double n, int64_t now_ms);

#endif
