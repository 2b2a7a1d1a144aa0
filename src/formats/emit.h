/*
 * emit.h - writing an event as a list of key/value pairs, and splitting
 * an event larger than max_event into numbered parts.
 *
 * A format renders an event in two steps: a head (the CEF or LEEF header,
 * or "{" for JSON), then pairs. In direct mode (the normal case) pairs go
 * straight into `out`. If the finished event is longer than max_event, the
 * format renders it again in collect mode: the head and the escaped values
 * are kept in a scratch buffer and mds_em_split() lays them out over as
 * few parts as possible, each at most max_event bytes (the '\n' not
 * counted). Every part repeats the head, the pairs flagged MDS_PAIR_CORE
 * and a part marker "k/n"; every other pair appears once, and a string
 * value too long for one part is continued under the same key in the next
 * part(s). Concatenating, in part order, the values of a key gives the
 * original value; CEF labels (csNLabel...) travel with every piece of
 * their value and are taken once. Values are never cut inside an escape
 * sequence or a UTF-8 character. Part markers:
 *
 *   CEF   cs3Label=part cs3=k/n
 *   LEEF  part=k/n
 *   JSON  "mdesiem.part":k,"mdesiem.parts":n   (keys are dotted paths)
 *
 * When even the head, the core pairs and the marker do not fit, or a
 * non-string value does not fit in an empty part, mds_em_split() fails
 * with MDS_ERR_LIMIT: an event is never silently cut.
 */
#ifndef MDS_FORMATS_EMIT_H
#define MDS_FORMATS_EMIT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

enum mds_em_style { MDS_EM_CEF, MDS_EM_LEEF, MDS_EM_JSON };

#define MDS_PAIR_CORE 1u /* repeated in every part of a split event */
#define MDS_PAIR_STR 2u  /* a string: may be continued across parts (JSON: quoted) */

struct mds_pair {
    const char *key; /* static text */
    size_t klen;
    size_t voff, vlen; /* escaped value in the scratch buffer */
    unsigned flags;
};

/* Reusable storage for collect mode (lives in the format context). */
struct mds_em_store {
    struct mds_buf aux;
    struct mds_pair *pairs;
    size_t npairs, cap;
};

void mds_em_store_init(struct mds_em_store *s);
void mds_em_store_finish(struct mds_em_store *s);

struct mds_em {
    enum mds_em_style style;
    char delim; /* pair separator: ' ' for CEF, the LEEF delimiter, ',' for JSON */
    int collect;
    struct mds_buf *out;
    struct mds_em_store *store;
    size_t start;         /* out->len when the event began */
    size_t head_len;      /* collect: aux[0..head_len) is the head */
    size_t npairs;        /* pairs written so far */
    struct mds_buf *vbuf; /* where the current value is being written */
    size_t vstart;
    /* JSON direct mode: nesting by dotted path */
    const char *path;
    size_t pathlen;
    int depth;
    int fresh;
};

/* Starts an event. out receives it (direct mode) or, after
 * mds_em_split(), its parts. The store is reset in collect mode. */
void mds_em_begin(struct mds_em *em, struct mds_em_store *store, struct mds_buf *out, enum mds_em_style style,
                  char delim, int collect);

/* The buffer the format writes its head into; call mds_em_head_done()
 * when the head is complete. */
struct mds_buf *mds_em_head(struct mds_em *em);
void mds_em_head_done(struct mds_em *em);

/* Starts a pair: returns the buffer the caller appends the value to,
 * already escaped for the style (JSON strings with their quotes). key is
 * a static string (for JSON a dotted path). Finish with mds_em_value_end. */
struct mds_buf *mds_em_value_begin(struct mds_em *em, const char *key, unsigned flags, mds_err *err);
mds_err mds_em_value_end(struct mds_em *em);

/* Direct mode: closes the event and appends '\n'. When max > 0 and the
 * event is longer than max, it is removed from out instead and *oversize
 * is set: render it again in collect mode and call mds_em_split(). */
mds_err mds_em_end(struct mds_em *em, size_t max, int *oversize);

/* Collect mode: writes the parts (each followed by '\n') to out. */
mds_err mds_em_split(struct mds_em *em, size_t max, char *errstr, size_t errlen);

/* Largest prefix of the escaped value s[0..n) that is at most room bytes
 * and ends on a character boundary (never inside an escape or a UTF-8
 * sequence). Exposed for unit tests. */
size_t mds_em_safe_cut(enum mds_em_style style, const char *s, size_t n, size_t room);

#endif
