/*
 * buf.h - growable byte buffer with a ceiling.
 *
 * The buffer owns its memory; `data` is always NUL-terminated (the NUL is
 * not counted in `len`) so it can be handed to C string functions.
 * Growing past `max` fails with MDS_ERR_LIMIT and leaves the content
 * unchanged: nothing is ever silently cut.
 */
#ifndef MDS_BUF_H
#define MDS_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/error.h"

struct mds_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* 0 = no ceiling */
};

void mds_buf_init(struct mds_buf *b, size_t max);
void mds_buf_finish(struct mds_buf *b);
void mds_buf_reset(struct mds_buf *b);
mds_err mds_buf_reserve(struct mds_buf *b, size_t extra);
mds_err mds_buf_append(struct mds_buf *b, const void *p, size_t n);
mds_err mds_buf_puts(struct mds_buf *b, const char *s);
mds_err mds_buf_putc(struct mds_buf *b, char c);
mds_err mds_buf_printf(struct mds_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
mds_err mds_buf_vprintf(struct mds_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes. */
void mds_buf_consume(struct mds_buf *b, size_t n);

#endif
