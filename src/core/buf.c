/* buf.c - growable byte buffer with a ceiling (see buf.h). */
#include "core/buf.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"

void mds_buf_init(struct mds_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void mds_buf_finish(struct mds_buf *b)
{
    mds_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void mds_buf_reset(struct mds_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

mds_err mds_buf_reserve(struct mds_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need < b->len)
        return MDS_ERR_LIMIT;
    if (b->max && need - 1 > b->max)
        return MDS_ERR_LIMIT;
    if (need <= b->cap)
        return MDS_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = mds_realloc(b->data, cap);
    if (!p)
        return MDS_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return MDS_OK;
}

mds_err mds_buf_append(struct mds_buf *b, const void *p, size_t n)
{
    mds_err err = mds_buf_reserve(b, n);
    if (err)
        return err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return MDS_OK;
}

mds_err mds_buf_puts(struct mds_buf *b, const char *s) { return mds_buf_append(b, s, strlen(s)); }

mds_err mds_buf_putc(struct mds_buf *b, char c) { return mds_buf_append(b, &c, 1); }

mds_err mds_buf_vprintf(struct mds_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return MDS_ERR_INTERNAL;
    mds_err err = mds_buf_reserve(b, (size_t)n);
    if (err)
        return err;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return MDS_OK;
}

mds_err mds_buf_printf(struct mds_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mds_err err = mds_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return err;
}

void mds_buf_consume(struct mds_buf *b, size_t n)
{
    if (n >= b->len) {
        mds_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}
