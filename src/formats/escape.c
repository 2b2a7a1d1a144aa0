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
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
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
    case '\\': return "\\\\";
    case '=': return "\\=";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return NULL;
    default: return is_control(c) ? " " : NULL;
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

/* The one escaping loop: copies runs of unchanged bytes in one append,
 * replaces ASCII bytes per `rep`, validates UTF-8. Inlined per caller so
 * the compiler sees a constant `rep` (this is the CEF/LEEF hot path). */
static inline __attribute__((always_inline)) mds_err escape(struct mds_buf *out, const char *s, size_t n, rep_fn rep,
                                                            char delim)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    mds_err err = mds_buf_reserve(out, n);
    while (!err && p < end) {
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
        err = mds_buf_append(out, run, (size_t)(p - run));
        if (!err)
            err = mds_buf_append(out, r, rlen);
        run = ++p;
    }
    if (!err)
        err = mds_buf_append(out, run, (size_t)(p - run));
    return err;
}

mds_err mds_cef_escape_header(struct mds_buf *out, const char *s, size_t n)
{
    return escape(out, s, n, cef_header_rep, 0);
}

mds_err mds_cef_escape_value(struct mds_buf *out, const char *s, size_t n)
{
    return escape(out, s, n, cef_value_rep, 0);
}

mds_err mds_leef_escape_header(struct mds_buf *out, const char *s, size_t n)
{
    return escape(out, s, n, leef_header_rep, 0);
}

mds_err mds_leef_escape_value(struct mds_buf *out, const char *s, size_t n, char delim)
{
    return escape(out, s, n, leef_value_rep, delim);
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
