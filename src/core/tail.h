/*
 * tail.h - the most recent bytes an output delivered, kept so they can be
 * sent again.
 *
 * A plain TCP receiver acknowledges bytes when its kernel has them, not
 * when the program read them; if the connection is then reset, what the
 * program had not read is gone although it was acknowledged. An output
 * keeps a tail of what it delivered (a ring of `cap` bytes) and, after
 * such a reset, sends the tail again: duplicates instead of losses.
 *
 * The tail always starts at a message boundary: a batch is added with the
 * end offset of each of its messages, and of a batch larger than the ring
 * only the messages that fit are kept.
 */
#ifndef MDS_TAIL_H
#define MDS_TAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define MDS_TAIL_STARTS 1024 /* message boundaries remembered (batch starts, mostly) */

struct mds_tail {
    char *ring;
    size_t cap;
    uint64_t end;                     /* bytes ever added */
    uint64_t starts[MDS_TAIL_STARTS]; /* boundaries (positions in the stream of added bytes), oldest first */
    size_t msgs[MDS_TAIL_STARTS];     /* messages from each boundary to the next */
    size_t first, count;              /* the live part of starts[] (a ring as well) */
};

/* cap = 0: the tail keeps nothing. */
void mds_tail_init(struct mds_tail *t, size_t cap);
void mds_tail_finish(struct mds_tail *t);

/* Forgets everything (the receiver is known to have read it all). */
void mds_tail_clear(struct mds_tail *t);

/* Adds a batch of `count` messages, p[0..ends[count-1]), message i ending
 * at ends[i]. MDS_ERR_NOMEM when the ring cannot be allocated (the tail
 * is then empty). */
mds_err mds_tail_add(struct mds_tail *t, const char *p, const size_t *ends, size_t count);

/* The bytes to send again, from the oldest boundary still in the ring to
 * the end, as up to two pieces (the ring wraps); *n1 + *n2 = 0 when
 * there is nothing. */
void mds_tail_get(const struct mds_tail *t, const char **p1, size_t *n1, const char **p2, size_t *n2);

/* How many messages mds_tail_get gives. */
size_t mds_tail_messages(const struct mds_tail *t);

#endif
