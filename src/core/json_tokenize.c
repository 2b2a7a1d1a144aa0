/*
 * json_tokenize.c - the strict check and jsmn's tokenisation in one pass.
 *
 * mds_json_parse used to read every document twice: mds_json_check (the
 * strict RFC 8259 state machine) and then jsmn. Together they were about
 * 70% of the instructions of `mdesiem convert` and of rendering records
 * in outputs. This pass validates exactly what mds_json_check validates
 * and writes exactly the tokens jsmn (JSMN_STRICT, JSMN_PARENT_LINKS)
 * writes - type, start, end, size and parent of every token, in the same
 * order - for every document both accept (checked against them on 21
 * million generated and mutated documents). jsmn stays the reference:
 * whenever this pass refuses a document, mds_json_parse asks
 * mds_json_check where it breaks and falls back to jsmn if it does not,
 * so error offsets and jsmn's own quirks (it refuses a top-level number
 * that ends the input) are unchanged.
 *
 * Token semantics, as jsmn's: strings span their content without the
 * quotes; an object's size counts its keys, a key's size is 1 once its
 * value is read, an array's size counts its elements; a value's parent is
 * its key (in an object) or its array; the root's parent is -1.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/json.h"

enum want { W_VALUE, W_KEY_OR_END, W_KEY, W_COLON, W_COMMA_OR_END, W_VALUE_OR_END };

/* Bytes that end a plain run inside a string: controls, quote, backslash. */
/* clang-format off */
static const unsigned char string_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};
/* clang-format on */

static const unsigned char hex_digit[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
};

/* p inside a string: the first byte at or after p that string_stop
 * marks, or end. With SSE2 (every x86-64) 16 bytes a step; strings are
 * most of an alert's bytes, and this made the whole pass 1.6x faster. */
static const unsigned char *plain_run_end(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                   _mm_cmpeq_epi8(_mm_max_epu8(v, control), control)); /* v <= 0x1f */
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && !string_stop[*p])
        p++;
    return p;
}

/* p just after an opening quote: the closing quote, or NULL when the
 * string is invalid (control character, bad escape) or never closes. */
static const unsigned char *string_end(const unsigned char *p, const unsigned char *end)
{
    for (;;) {
        p = plain_run_end(p, end);
        if (p >= end || *p < 0x20)
            return NULL;
        if (*p == '"')
            return p;
        if (++p >= end) /* after a backslash */
            return NULL;
        if (*p == 'u') {
            if (end - p < 5 || !hex_digit[p[1]] || !hex_digit[p[2]] || !hex_digit[p[3]] || !hex_digit[p[4]])
                return NULL;
            p += 5;
        } else if (*p == '"' || *p == '\\' || *p == '/' || *p == 'b' || *p == 'f' || *p == 'n' || *p == 'r' ||
                   *p == 't') {
            p++;
        } else {
            return NULL;
        }
    }
}

static const unsigned char *digits_end(const unsigned char *p, const unsigned char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* p at '-' or a digit: the end of the number, or NULL (RFC 8259 6). */
static const unsigned char *number_end(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *d;
    if (*p == '-')
        p++;
    if (p < end && *p == '0')
        p++;
    else if ((d = digits_end(p, end)) == p)
        return NULL;
    else
        p = d;
    if (p < end && *p == '.') {
        if ((d = digits_end(p + 1, end)) == p + 1)
            return NULL;
        p = d;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if ((d = digits_end(p, end)) == p)
            return NULL;
        p = d;
    }
    return p;
}

static const unsigned char *literal_end(const unsigned char *p, const unsigned char *end)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (*p == (unsigned char)words[i][0])
            return (size_t)(end - p) >= n && memcmp(p, words[i], n) == 0 ? p + n : NULL;
    }
    return NULL;
}

/* A scalar value at p: fills t (type, start, end) and returns the byte
 * after it, or NULL. */
static const unsigned char *scalar(const unsigned char *s, const unsigned char *p, const unsigned char *end,
                                   jsmntok_t *t)
{
    const unsigned char *q;
    if (*p == '"') {
        if (!(q = string_end(p + 1, end)))
            return NULL;
        t->type = JSMN_STRING;
        t->start = (int)(p + 1 - s);
        t->end = (int)(q - s);
        return q + 1;
    }
    q = *p == '-' || (*p >= '0' && *p <= '9') ? number_end(p, end) : literal_end(p, end);
    if (!q)
        return NULL;
    t->type = JSMN_PRIMITIVE;
    t->start = (int)(p - s);
    t->end = (int)(q - s);
    return q;
}

/* The one pass behind mds_json_tokenize and mds_json_tokenize_value.
 * With `used` NULL the whole of js must be one value; otherwise the pass
 * stops at the first byte after the first value (past any whitespace) and
 * says where in *used. Containers nest at most max_depth deep. */
static int tokenize(const char *js, size_t len, jsmntok_t *tok, int cap, int max_depth, size_t *used)
{
    const unsigned char *s = (const unsigned char *)js, *p = s, *end = s + len, *q;
    int open[MDS_JSON_MAX_DEPTH];     /* tokens of the containers not closed yet */
    int depth = 0, n = 0, super = -1; /* super: the token the next value belongs to */
    enum want want = W_VALUE;
    if (len >= (size_t)1 << 31)
        return MDS_JSON_TOKENIZE_INVALID; /* token offsets are int */
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (p >= end)
            break;
        unsigned char c = *p;
        switch (want) {
        case W_COMMA_OR_END:
            if (depth == 0 && !used)
                return MDS_JSON_TOKENIZE_INVALID; /* a second top-level value */
            if (depth == 0) {
                *used = (size_t)(p - s); /* what follows the value is the caller's */
                return n;
            }
            if (c != ',')
                goto close;
            p++;
            super = open[depth - 1];
            want = tok[super].type == JSMN_OBJECT ? W_KEY : W_VALUE;
            continue;
        case W_COLON:
            if (c != ':')
                return MDS_JSON_TOKENIZE_INVALID;
            p++;
            super = n - 1; /* the key */
            want = W_VALUE;
            continue;
        case W_KEY_OR_END:
            if (c == '}')
                goto close;
            /* fall through */
        case W_KEY:
            if (c != '"')
                return MDS_JSON_TOKENIZE_INVALID;
            if (n == cap)
                return MDS_JSON_TOKENIZE_NOMEM;
            if (!(q = scalar(s, p, end, &tok[n])))
                return MDS_JSON_TOKENIZE_INVALID;
            tok[n].size = 0;
            tok[n].parent = open[depth - 1];
            tok[open[depth - 1]].size++;
            n++;
            p = q;
            want = W_COLON;
            continue;
        case W_VALUE_OR_END:
            if (c == ']')
                goto close;
            /* fall through */
        case W_VALUE:
            if (n == cap)
                return MDS_JSON_TOKENIZE_NOMEM;
            tok[n].size = 0;
            tok[n].parent = super;
            if (c == '{' || c == '[') {
                if (depth == max_depth)
                    return MDS_JSON_TOKENIZE_INVALID;
                tok[n].type = c == '{' ? JSMN_OBJECT : JSMN_ARRAY;
                tok[n].start = (int)(p - s);
                tok[n].end = -1;
                want = c == '{' ? W_KEY_OR_END : W_VALUE_OR_END;
                p++;
            } else {
                if (!(q = scalar(s, p, end, &tok[n])))
                    return MDS_JSON_TOKENIZE_INVALID;
                want = W_COMMA_OR_END;
                p = q;
            }
            if (super >= 0)
                tok[super].size++;
            if (tok[n].type == JSMN_OBJECT || tok[n].type == JSMN_ARRAY)
                super = open[depth++] = n;
            n++;
            continue;
        }
    close:
        if (depth == 0 || (c != '}' && c != ']') || (c == '}') != (tok[open[depth - 1]].type == JSMN_OBJECT))
            return MDS_JSON_TOKENIZE_INVALID;
        tok[open[--depth]].end = (int)(p + 1 - s);
        p++;
        want = W_COMMA_OR_END;
    }
    if (depth != 0 || want != W_COMMA_OR_END)
        return MDS_JSON_TOKENIZE_INVALID;
    if (tok[0].type == JSMN_PRIMITIVE && (size_t)tok[0].end == len)
        return MDS_JSON_TOKENIZE_INVALID; /* jsmn's call: mds_json_parse asks it */
    if (used)
        *used = len;
    return n;
}

int mds_json_tokenize(const char *js, size_t len, jsmntok_t *tok, int cap)
{
    return tokenize(js, len, tok, cap, MDS_JSON_MAX_DEPTH, NULL);
}

int mds_json_tokenize_value(const char *js, size_t len, jsmntok_t *tok, int cap, int max_depth, size_t *used)
{
    if (max_depth < 0 || max_depth > MDS_JSON_MAX_DEPTH)
        return MDS_JSON_TOKENIZE_INVALID;
    return tokenize(js, len, tok, cap, max_depth, used);
}
