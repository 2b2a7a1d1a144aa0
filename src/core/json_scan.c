/*
 * json_scan.c - walking the members of one JSON object (or the elements
 * of one array) without tokens, for text that already passed
 * mds_json_check().
 *
 * Where only a few top-level members matter - a source reading each
 * page item's id and version, syslog reading an alert's severity - jsmn
 * would tokenise every nested value: about 20 bytes of token per 10 bytes
 * of page, kept per source, and the time to write them. The scan keeps
 * nothing: nested values are skipped by their brackets, strings by
 * memchr to the next unescaped quote. It trusts its input to be valid JSON (that is
 * what mds_json_check is for) and never reads past `end` even when it is
 * not.
 */
#include <string.h>
#include <strings.h>

#include "core/json.h"

/* Bytes that matter while skipping a container. */
static const unsigned char structural[256] = {['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1};

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at an opening quote: the byte after the closing one (or end). Jumps
 * from quote to quote with memchr; a quote preceded by an odd run of
 * backslashes is escaped. */
static const char *skip_string(const char *p, const char *end)
{
    const char *q = p + 1;
    while (q < end && (q = memchr(q, '"', (size_t)(end - q)))) {
        const char *b = q;
        while (b - 1 > p && b[-1] == '\\')
            b--;
        q++;
        if ((q - 1 - b) % 2 == 0)
            return q;
    }
    return end;
}

/* p inside a container, `depth` brackets deep: the byte after the
 * bracket that closes the outermost of them (or end). */
static const char *skip_rest(const char *p, const char *end, size_t depth)
{
    while (p < end) {
        unsigned char ch = (unsigned char)*p;
        if (!structural[ch]) {
            p++;
            continue;
        }
        if (ch == '"') {
            p = skip_string(p, end);
            continue;
        }
        p++;
        if (ch == '{' || ch == '[')
            depth++;
        else if (--depth == 0)
            return p;
    }
    return end;
}

static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return end;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[')
        return skip_rest(p + 1, end, 1);
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' &&
           *p != '\r')
        p++;
    return p;
}

int mds_json_scan_open(struct mds_json_scan *sc, const char *s, size_t len)
{
    const char *end = s + len, *p = skip_ws(s, end);
    if (p >= end || (*p != '{' && *p != '['))
        return -1;
    sc->is_object = *p == '{';
    sc->p = p + 1;
    sc->end = end; /* the scan stops at the closing bracket */
    sc->done = 0;
    return 0;
}

int mds_json_scan_key(struct mds_json_scan *sc, struct mds_json_member *m)
{
    const char *end = sc->end, *p;
    if (sc->done)
        return 0;
    p = skip_ws(sc->p, end);
    if (p < end && *p == ',')
        p = skip_ws(p + 1, end);
    if (p >= end || *p == '}' || *p == ']') {
        sc->p = p < end ? p + 1 : end;
        sc->done = 1;
        return 0;
    }
    m->key = NULL;
    m->key_len = 0;
    if (sc->is_object) {
        const char *k = p;
        p = skip_string(p, end);
        m->key = k + 1;
        m->key_len = p > k + 1 ? (size_t)(p - k - 2) : 0;
        p = skip_ws(p, end);
        if (p < end && *p == ':')
            p = skip_ws(p + 1, end);
    }
    m->val = p;
    m->val_len = 0;
    sc->p = p;
    return 1;
}

void mds_json_scan_skip(struct mds_json_scan *sc, struct mds_json_member *m)
{
    sc->p = skip_value(m->val, sc->end);
    m->val_len = (size_t)(sc->p - m->val);
}

int mds_json_scan_next(struct mds_json_scan *sc, struct mds_json_member *m)
{
    if (!mds_json_scan_key(sc, m))
        return 0;
    mds_json_scan_skip(sc, m);
    return 1;
}

int mds_json_scan_child(const struct mds_json_scan *sc, const struct mds_json_member *m,
                        struct mds_json_scan *child)
{
    if (m->val >= sc->end || (m->val[0] != '{' && m->val[0] != '['))
        return -1;
    child->is_object = m->val[0] == '{';
    child->p = m->val + 1;
    child->end = sc->end;
    child->done = 0;
    return 0;
}

void mds_json_scan_close(struct mds_json_scan *sc, struct mds_json_scan *child, struct mds_json_member *m)
{
    sc->p = child->done ? child->p : skip_rest(child->p, sc->end, 1);
    m->val_len = (size_t)(sc->p - m->val);
}

int mds_json_member_is(const struct mds_json_member *m, const char *key, int ci)
{
    size_t n = strlen(key);
    return m->key && m->key_len == n && (ci ? strncasecmp(m->key, key, n) : memcmp(m->key, key, n)) == 0;
}

const char *mds_json_member_str(const struct mds_json_member *m, size_t *len)
{
    if (m->val_len < 2 || m->val[0] != '"')
        return NULL;
    *len = m->val_len - 2;
    return m->val + 1;
}
