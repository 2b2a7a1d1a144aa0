/* escape.c - CEF and LEEF escaping (rules in escape.h). */
#include "formats/escape.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t mds_utf8_seq_len(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    unsigned cp;
    if (p[0] < 0x80)
        return 1;
    if (p[0] < 0xC2)
        return 0;
    if (p[0] < 0xE0) {
        n = 2;
        cp = p[0] & 0x1F;
    } else if (p[0] < 0xF0) {
        n = 3;
        cp = p[0] & 0x0F;
    } else if (p[0] < 0xF5) {
        n = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

size_t mds_plain_run(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    /* a byte < 0x20 borrows in the subtraction, a byte >= 0x80 has its top
     * bit set: either sets a top bit (a borrow may also flag its neighbour:
     * harmless, the byte loop below decides) */
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (((w - UINT64_C(0x2020202020202020)) | w) & UINT64_C(0x8080808080808080))
            break;
    }
    while (i < n && p[i] >= 0x20 && p[i] < 0x80)
        i++;
    return i;
}

int mds_json_raw_copyable(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        p += mds_plain_run((const char *)p, (size_t)(end - p));
        if (p >= end)
            break;
        if (*p < 0x20) {
            if (*p != '\t' && *p != '\n' && *p != '\r')
                return 0;
            p++;
            continue;
        }
        size_t u = mds_utf8_seq_len(p, end);
        if (!u)
            return 0;
        p += u;
    }
    return 1;
}

/* Replacement text for an ASCII byte, or NULL to copy it unchanged. */
typedef const char *(*rep_fn)(unsigned char c, char delim);

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7F;
}

static const char *cef_header_rep(unsigned char c, char delim)
{
    (void)delim;
    if (c == '\\')
        return "\\\\";
    if (c == '|')
        return "\\|";
    return is_control(c) ? " " : NULL;
}

static const char *cef_value_rep(unsigned char c, char delim)
{
    (void)delim;
    switch (c) {
    case '\\':
        return "\\\\";
    case '=':
        return "\\=";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return NULL;
    default:
        return is_control(c) ? " " : NULL;
    }
}

static const char *leef_header_rep(unsigned char c, char delim)
{
    (void)delim;
    if (c == '|')
        return "\xC2\xA6";
    return is_control(c) ? " " : NULL;
}

static const char *leef_value_rep(unsigned char c, char delim)
{
    if (c == (unsigned char)delim || is_control(c))
        return delim == ' ' ? "_" : " ";
    return NULL;
}

/* Skips, eight bytes at a time, printable ASCII other than DEL, c1 and
 * c2 (exact word tests; the byte loop decides about the rest). */
static inline const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end,
                                              unsigned char c1, unsigned char c2)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t a = w ^ (ones * c1), b = w ^ (ones * c2), d = w ^ (ones * 0x7F);
        uint64_t special =
            (((a - ones) & ~a) | ((b - ones) & ~b) | ((d - ones) & ~d) | ((w - ones * 0x20) | w)) & highs;
        if (special) /* the lowest flagged byte is exact (little-endian load) */
            return p + __builtin_ctzll(special) / 8;
        p += 8;
    }
    return p;
}

/* mds_buf_append without the call when the bytes fit the capacity (and
 * the ceiling): escaping appends many short runs. */
static inline mds_err put(struct mds_buf *b, const void *s, size_t n)
{
    if (b->len + n < b->cap && (!b->max || b->len + n <= b->max)) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return MDS_OK;
    }
    return mds_buf_append(b, s, n);
}

/* The one escaping loop: copies runs of unchanged bytes in one append,
 * replaces ASCII bytes per `rep`, validates UTF-8. c1 and c2 are the
 * printable bytes `rep` replaces. Inlined per caller so the compiler sees
 * a constant `rep` (this is the CEF/LEEF hot path). */
static inline __attribute__((always_inline)) mds_err escape(struct mds_buf *out, const char *s, size_t n,
                                                            rep_fn rep, char delim, unsigned char c1,
                                                            unsigned char c2)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    mds_err err = mds_buf_reserve(out, n);
    while (!err && p < end) {
        p = skip_plain(p, end, c1, c2);
        if (p >= end)
            break;
        const char *r = NULL;
        char latin1[2];
        size_t rlen = 0;
        if (*p < 0x80) {
            r = rep(*p, delim);
            if (!r) {
                p++;
                continue;
            }
            rlen = strlen(r);
        } else {
            size_t u = mds_utf8_seq_len(p, end);
            if (u) {
                p += u;
                continue;
            }
            latin1[0] = (char)(0xC0 | (*p >> 6));
            latin1[1] = (char)(0x80 | (*p & 0x3F));
            r = latin1;
            rlen = 2;
        }
        err = put(out, run, (size_t)(p - run));
        if (!err)
            err = put(out, r, rlen);
        run = ++p;
    }
    if (!err)
        err = put(out, run, (size_t)(p - run));
    return err;
}

mds_err mds_cef_escape_header(struct mds_buf *out, const char *s, size_t n)
{
    return escape(out, s, n, cef_header_rep, 0, '\\', '|');
}

mds_err mds_cef_escape_value(struct mds_buf *out, const char *s, size_t n)
{
    return escape(out, s, n, cef_value_rep, 0, '\\', '=');
}

mds_err mds_leef_escape_header(struct mds_buf *out, const char *s, size_t n)
{
    return escape(out, s, n, leef_header_rep, 0, '|', '|');
}

mds_err mds_leef_escape_value(struct mds_buf *out, const char *s, size_t n, char delim)
{
    return escape(out, s, n, leef_value_rep, delim, (unsigned char)delim, (unsigned char)delim);
}

int mds_leef_delimiter_ok(char c)
{
    unsigned char u = (unsigned char)c;
    return u > 0 && u < 0x80 && c != '\r' && c != '\n' && c != '=' && c != '|';
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

mds_err mds_leef_delimiter_parse(const char *s, char *out)
{
    unsigned v = 0;
    if (s[0] && !s[1]) {
        v = (unsigned char)s[0];
    } else if (strcmp(s, "\\t") == 0 || strcasecmp(s, "tab") == 0) {
        v = '\t';
    } else {
        const char *h = s;
        if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
            h += 2;
        else if (h[0] == 'x' || h[0] == 'X')
            h += 1;
        else
            return MDS_ERR_ARG;
        size_t nd = strlen(h);
        if (nd < 1 || nd > 4)
            return MDS_ERR_ARG;
        for (size_t i = 0; i < nd; i++) {
            int d = hexdigit(h[i]);
            if (d < 0)
                return MDS_ERR_ARG;
            v = v * 16 + (unsigned)d;
        }
    }
    if (v > 0x7F || !mds_leef_delimiter_ok((char)v))
        return MDS_ERR_ARG;
    *out = (char)v;
    return MDS_OK;
}

size_t mds_leef_delimiter_spell(char c, char *buf, size_t size)
{
    unsigned char u = (unsigned char)c;
    int n = (u > 0x20 && u < 0x7F) ? snprintf(buf, size, "%c", c) : snprintf(buf, size, "x%02x", u);
    return (n < 0 || (size_t)n >= size) ? 0 : (size_t)n;
}
