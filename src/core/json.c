/* json.c - jsmn tokenising and JSON string helpers (see json.h). */
#define MDS_JSMN_IMPLEMENTATION /* the one file that compiles jsmn's code */
#include "core/json.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/json_plain.h"
#include "core/mem.h"

void mds_json_init(struct mds_json *j) { memset(j, 0, sizeof *j); }

void mds_json_finish(struct mds_json *j)
{
    mds_free(j->tok);
    memset(j, 0, sizeof *j);
}

/* Grows the token array to at least twice its size, or to `want`;
 * MDS_ERR_LIMIT at MDS_JSON_MAX_TOKENS. */
static mds_err grow_tokens(struct mds_json *j, size_t want)
{
    if (j->cap >= MDS_JSON_MAX_TOKENS)
        return MDS_ERR_LIMIT;
    size_t ncap_z = (size_t)j->cap * 2 > want ? (size_t)j->cap * 2 : want;
    int ncap = ncap_z > MDS_JSON_MAX_TOKENS ? MDS_JSON_MAX_TOKENS : (int)ncap_z;
    jsmntok_t *t = mds_realloc(j->tok, sizeof(jsmntok_t) * (size_t)ncap);
    if (!t)
        return MDS_ERR_NOMEM;
    j->tok = t;
    j->cap = ncap;
    return MDS_OK;
}

/* The reference path: the strict check, then jsmn. Taken only when the
 * one-pass tokeniser refused the document, to say where and why (or, in
 * jsmn's corner cases, to decide as before). */
static mds_err check_then_jsmn(struct mds_json *j, const char *js, size_t len)
{
    jsmn_parser p;
    jsmn_init(&p);
    if (mds_json_check(js, len, &j->err_offset))
        return MDS_ERR_PARSE;
    for (;;) {
        int r = jsmn_parse(&p, js, len, j->tok, (unsigned)j->cap);
        if (r >= 0) {
            j->ntok = r;
            break;
        }
        if (r != JSMN_ERROR_NOMEM) {
            j->err_offset = p.pos;
            return MDS_ERR_PARSE;
        }
        mds_err err = grow_tokens(j, 0);
        if (err)
            return err;
    }
    if (j->ntok == 0) {
        j->err_offset = len;
        return MDS_ERR_PARSE;
    }
    /* jsmn accepts trailing garbage after the first value; JSON does not. */
    size_t end = (size_t)j->tok[0].end + (j->tok[0].type == JSMN_STRING ? 1 : 0);
    for (size_t k = end; k < len; k++) {
        if (!isspace((unsigned char)js[k])) {
            j->err_offset = k;
            return MDS_ERR_PARSE;
        }
    }
    return MDS_OK;
}

mds_err mds_json_parse(struct mds_json *j, const char *js, size_t len)
{
    j->js = js;
    j->len = len;
    j->ntok = 0;
    j->err_offset = 0;
    if (!j->tok) {
        size_t want = len / 8 + 16;
        j->cap = want > 4096 ? 4096 : (int)want;
        j->tok = mds_malloc(sizeof(jsmntok_t) * (size_t)j->cap);
        if (!j->tok)
            return MDS_ERR_NOMEM;
    }
    for (;;) {
        int r = mds_json_tokenize(js, len, j->tok, j->cap);
        if (r >= 0) {
            j->ntok = r;
            return MDS_OK;
        }
        if (r == MDS_JSON_TOKENIZE_INVALID)
            return check_then_jsmn(j, js, len);
        if (j->cap >= MDS_JSON_MAX_TOKENS && mds_json_check(js, len, &j->err_offset))
            return MDS_ERR_PARSE; /* too many tokens, but invalid first */
        /* The pass starts again from the top, so grow to what the whole
         * document needs, judged from how far `cap` tokens went. */
        size_t reached = (size_t)j->tok[j->cap - 1].start + 1;
        mds_err err = grow_tokens(j, (size_t)((double)j->cap * (double)len / (double)reached * 1.25) + 16);
        if (err)
            return err;
    }
}

mds_err mds_json_parse_value(struct mds_json *j, const char *js, size_t len, int max_depth, size_t *used)
{
    j->js = js;
    j->len = len;
    j->ntok = 0;
    j->err_offset = 0;
    if (!j->tok) {
        j->cap = 1024;
        j->tok = mds_malloc(sizeof(jsmntok_t) * (size_t)j->cap);
        if (!j->tok)
            return MDS_ERR_NOMEM;
    }
    for (;;) {
        int r = mds_json_tokenize_value(js, len, j->tok, j->cap, max_depth, used);
        if (r >= 0) {
            j->ntok = r;
            j->len = r ? (size_t)j->tok[0].end + (j->tok[0].type == JSMN_STRING ? 1 : 0) : 0;
            return MDS_OK;
        }
        if (r == MDS_JSON_TOKENIZE_INVALID)
            return MDS_ERR_PARSE;
        mds_err err = grow_tokens(j, 0);
        if (err)
            return err;
    }
}

int mds_json_skip(const struct mds_json *j, int i)
{
    if (i >= j->ntok)
        return j->ntok;
    int end = j->tok[i].end;
    int k = i + 1;
    while (k < j->ntok && j->tok[k].start < end)
        k++;
    return k;
}

static int find(const struct mds_json *j, int obj, const char *key, int ci)
{
    if (obj < 0 || obj >= j->ntok || j->tok[obj].type != JSMN_OBJECT)
        return -1;
    size_t klen = strlen(key);
    int k = obj + 1;
    for (int n = 0; n < j->tok[obj].size && k + 1 < j->ntok; n++) {
        const jsmntok_t *t = &j->tok[k];
        size_t tlen = (size_t)(t->end - t->start);
        if (tlen == klen &&
            (ci ? strncasecmp(j->js + t->start, key, klen) : memcmp(j->js + t->start, key, klen)) == 0)
            return k + 1;
        k = mds_json_skip(j, k + 1);
    }
    return -1;
}

int mds_json_find(const struct mds_json *j, int obj, const char *key) { return find(j, obj, key, 0); }

int mds_json_find_ci(const struct mds_json *j, int obj, const char *key) { return find(j, obj, key, 1); }

int mds_json_streq(const struct mds_json *j, int i, const char *s)
{
    if (i < 0 || j->tok[i].type != JSMN_STRING)
        return 0;
    size_t n = strlen(s);
    return (size_t)(j->tok[i].end - j->tok[i].start) == n && memcmp(j->js + j->tok[i].start, s, n) == 0;
}

int mds_json_is_null(const struct mds_json *j, int i)
{
    return i < 0 || (j->tok[i].type == JSMN_PRIMITIVE && j->js[j->tok[i].start] == 'n');
}

const char *mds_json_raw(const struct mds_json *j, int i, size_t *len)
{
    *len = (size_t)(j->tok[i].end - j->tok[i].start);
    return j->js + j->tok[i].start;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_u16(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return 0;
}

static mds_err put_utf8(struct mds_buf *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return mds_buf_append(out, b, n);
}

static const char *decode_escape(const char *p, const char *end, struct mds_buf *out, mds_err *err)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *hit = *p ? strchr(from, *p) : NULL;
    if (hit) {
        *err = mds_buf_putc(out, to[hit - from]);
        return p + 1;
    }
    unsigned cp, lo;
    if (*p != 'u' || read_u16(p + 1, end, &cp)) {
        *err = MDS_ERR_PARSE;
        return end;
    }
    p += 5;
    if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
        !read_u16(p + 2, end, &lo) && lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
    } else if (cp >= 0xD800 && cp < 0xE000) {
        cp = 0xFFFD; /* lone surrogate */
    }
    *err = put_utf8(out, cp);
    return p;
}

mds_err mds_json_decode(const struct mds_json *j, int i, struct mds_buf *out)
{
    const char *p = j->js + j->tok[i].start;
    const char *end = j->js + j->tok[i].end;
    if (j->tok[i].type != JSMN_STRING)
        return mds_buf_append(out, p, (size_t)(end - p));
    mds_err err = MDS_OK;
    while (p < end && !err) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((bs ? bs : end) - p);
        err = mds_buf_append(out, p, run);
        p += run;
        if (bs && !err)
            p = decode_escape(bs + 1, end, out, &err);
    }
    return err;
}

mds_err mds_json_copy(const struct mds_json *j, int i, char *dst, size_t size)
{
    struct mds_buf b;
    mds_buf_init(&b, size - 1);
    mds_err err = mds_json_decode(j, i, &b);
    if (!err)
        memcpy(dst, b.data ? b.data : "", b.len + 1);
    else if (size)
        dst[0] = '\0';
    mds_buf_finish(&b);
    return err;
}

mds_err mds_json_int(const struct mds_json *j, int i, int64_t *out)
{
    if (i < 0)
        return MDS_ERR_NOTFOUND;
    const char *p = j->js + j->tok[i].start;
    const char *end = j->js + j->tok[i].end;
    int neg = 0;
    int64_t v = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p == end)
        return MDS_ERR_PARSE;
    for (; p < end && *p != '.'; p++) {
        if (!isdigit((unsigned char)*p) || v > INT64_MAX / 10 - 10)
            return MDS_ERR_PARSE;
        v = v * 10 + (*p - '0');
    }
    *out = neg ? -v : v;
    return MDS_OK;
}

/* Length of a valid UTF-8 sequence starting at p, or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    unsigned cp;
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

mds_err mds_json_escape(struct mds_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
    mds_err err = mds_buf_reserve(out, n + 2);
    while (!err && p < end) {
        p = mds_json_skip_plain(p, end, 1);
        if (p >= end)
            break;
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            p++;
            continue;
        }
        size_t u = c >= 0x80 ? utf8_len(p, end) : 0;
        if (u) {
            p += u;
            continue;
        }
        err = mds_buf_append(out, run, (size_t)(p - run));
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (err)
            break;
        if (c == '"' || c == '\\')
            err = mds_buf_append(out, (char[]){'\\', (char)c}, 2);
        else if (c == '\n')
            err = mds_buf_append(out, "\\n", 2);
        else if (c == '\r')
            err = mds_buf_append(out, "\\r", 2);
        else if (c == '\t')
            err = mds_buf_append(out, "\\t", 2);
        else
            err = mds_buf_append(out, esc, 6);
        run = ++p;
    }
    if (!err)
        err = mds_buf_append(out, run, (size_t)(p - run));
    return err;
}

mds_err mds_json_quote(struct mds_buf *out, const char *s, size_t n)
{
    mds_err err = mds_buf_putc(out, '"');
    if (!err)
        err = mds_json_escape(out, s, n);
    if (!err)
        err = mds_buf_putc(out, '"');
    return err;
}
