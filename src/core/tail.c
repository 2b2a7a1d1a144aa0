/* tail.c - the most recent bytes an output delivered (see tail.h). */
#include "core/tail.h"

#include <string.h>

#include "core/mem.h"

void mds_tail_init(struct mds_tail *t, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->cap = cap;
}

void mds_tail_finish(struct mds_tail *t)
{
    mds_free(t->ring);
    mds_tail_init(t, t->cap);
}

void mds_tail_clear(struct mds_tail *t)
{
    t->first = t->count = 0;
}

static void push_start(struct mds_tail *t, uint64_t pos, size_t msgs)
{
    if (t->count == MDS_TAIL_STARTS) { /* the oldest goes; the tail just gets shorter */
        t->first = (t->first + 1) % MDS_TAIL_STARTS;
        t->count--;
    }
    t->starts[(t->first + t->count) % MDS_TAIL_STARTS] = pos;
    t->msgs[(t->first + t->count) % MDS_TAIL_STARTS] = msgs;
    t->count++;
}

/* Forgets the boundaries whose bytes the ring no longer holds in full. */
static void drop_overwritten(struct mds_tail *t)
{
    while (t->count && t->end - t->starts[t->first] > t->cap) {
        t->first = (t->first + 1) % MDS_TAIL_STARTS;
        t->count--;
    }
}

/* Copies n <= cap bytes in at the end, wrapping around. */
static void put(struct mds_tail *t, const char *p, size_t n)
{
    size_t at = (size_t)(t->end % t->cap);
    size_t first = n < t->cap - at ? n : t->cap - at;
    memcpy(t->ring + at, p, first);
    memcpy(t->ring, p + first, n - first);
    t->end += n;
}

mds_err mds_tail_add(struct mds_tail *t, const char *p, const size_t *ends, size_t count)
{
    if (!t->cap || !count)
        return MDS_OK;
    if (!t->ring && !(t->ring = mds_malloc(t->cap))) {
        mds_tail_clear(t);
        return MDS_ERR_NOMEM;
    }
    size_t n = ends[count - 1], skip = 0, kept = count;
    for (size_t i = 0; i < count && n - skip > t->cap; i++, kept--)
        skip = ends[i]; /* of a batch larger than the ring, the messages that fit */
    if (skip == n) {    /* not even the last message fits: nothing recent can be kept */
        mds_tail_clear(t);
        return MDS_OK;
    }
    uint64_t pos = t->end;
    put(t, p + skip, n - skip);
    push_start(t, pos, kept);
    drop_overwritten(t);
    return MDS_OK;
}

void mds_tail_get(const struct mds_tail *t, const char **p1, size_t *n1, const char **p2, size_t *n2)
{
    *p1 = *p2 = NULL;
    *n1 = *n2 = 0;
    if (!t->count)
        return;
    size_t len = (size_t)(t->end - t->starts[t->first]);
    size_t at = (size_t)(t->starts[t->first] % t->cap);
    *p1 = t->ring + at;
    *n1 = len < t->cap - at ? len : t->cap - at;
    *p2 = t->ring;
    *n2 = len - *n1;
}

size_t mds_tail_messages(const struct mds_tail *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->count; i++)
        n += t->msgs[(t->first + i) % MDS_TAIL_STARTS];
    return n;
}
