/*
 * json_check.c - strict RFC 8259 syntax check, run before jsmn.
 *
 * jsmn tokenises fast but does not validate everything (it accepts a
 * missing ':' between key and value, for one). Every document mdesiem
 * takes from the network passes this single-pass, allocation-free state
 * machine first, so malformed pages are refused with a byte offset instead
 * of turning into garbage records. Nesting deeper than MDS_JSON_MAX_DEPTH
 * is refused too.
 */
#include <stdint.h>
#include <string.h>

#include "core/json.h"
#include "core/json_plain.h"

enum expect { VALUE, KEY_OR_END, KEY, COLON, COMMA_OR_END, VALUE_OR_END };

struct checker {
    const unsigned char *p, *end;
    uint8_t stack[MDS_JSON_MAX_DEPTH]; /* '{' or '[' */
    int depth;
    enum expect want;
};

static int skip_ws(struct checker *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
    return c->p < c->end;
}

static int is_hex(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int check_string(struct checker *c)
{
    c->p++; /* opening quote */
    while (c->p < c->end) {
        c->p = mds_json_skip_plain(c->p, c->end, 0);
        if (c->p >= c->end)
            break;
        unsigned char ch = *c->p++;
        if (ch == '"')
            return 0;
        if (ch < 0x20)
            return -1;
        if (ch != '\\')
            continue;
        if (c->p >= c->end)
            return -1;
        ch = *c->p++;
        if (ch == 'u') {
            if (c->end - c->p < 4 || !is_hex(c->p[0]) || !is_hex(c->p[1]) || !is_hex(c->p[2]) || !is_hex(c->p[3]))
                return -1;
            c->p += 4;
        } else if (!strchr("\"\\/bfnrt", ch) || ch == '\0') {
            return -1;
        }
    }
    return -1;
}

static int digits(struct checker *c)
{
    const unsigned char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > start ? 0 : -1;
}

static int check_number(struct checker *c)
{
    if (*c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (digits(c))
        return -1;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (digits(c))
            return -1;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (digits(c))
            return -1;
    }
    return 0;
}

static int check_literal(struct checker *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return -1;
    c->p += n;
    return 0;
}

static int open_container(struct checker *c, unsigned char ch)
{
    if (c->depth == MDS_JSON_MAX_DEPTH)
        return -1;
    c->stack[c->depth++] = ch;
    c->p++;
    c->want = ch == '{' ? KEY_OR_END : VALUE_OR_END;
    return 0;
}

static int close_container(struct checker *c, unsigned char ch)
{
    if (c->depth == 0 || c->stack[c->depth - 1] != (ch == '}' ? '{' : '['))
        return -1;
    c->depth--;
    c->p++;
    c->want = COMMA_OR_END;
    return 0;
}

/* A scalar or the start of a container where a value is expected. */
static int value(struct checker *c)
{
    unsigned char ch = *c->p;
    int rc;
    if (ch == '{' || ch == '[')
        return open_container(c, ch);
    if (ch == '"')
        rc = check_string(c);
    else if (ch == '-' || (ch >= '0' && ch <= '9'))
        rc = check_number(c);
    else if (ch == 't')
        rc = check_literal(c, "true");
    else if (ch == 'f')
        rc = check_literal(c, "false");
    else if (ch == 'n')
        rc = check_literal(c, "null");
    else
        rc = -1;
    c->want = COMMA_OR_END;
    return rc;
}

static int step(struct checker *c)
{
    unsigned char ch = *c->p;
    switch (c->want) {
    case VALUE_OR_END:
        if (ch == ']')
            return close_container(c, ch);
        return value(c);
    case VALUE:
        return value(c);
    case KEY_OR_END:
        if (ch == '}')
            return close_container(c, ch);
        /* fall through */
    case KEY:
        if (ch != '"' || check_string(c))
            return -1;
        c->want = COLON;
        return 0;
    case COLON:
        if (ch != ':')
            return -1;
        c->p++;
        c->want = VALUE;
        return 0;
    case COMMA_OR_END:
        if (c->depth == 0)
            return -1; /* a second top-level value */
        if (ch == '}' || ch == ']')
            return close_container(c, ch);
        if (ch != ',')
            return -1;
        c->p++;
        c->want = c->stack[c->depth - 1] == '{' ? KEY : VALUE;
        return 0;
    }
    return -1;
}

mds_err mds_json_check(const char *js, size_t len, size_t *err_offset)
{
    struct checker c = {.p = (const unsigned char *)js, .end = (const unsigned char *)js + len, .want = VALUE};
    while (skip_ws(&c)) {
        const unsigned char *at = c.p;
        if (step(&c)) {
            *err_offset = (size_t)(at - (const unsigned char *)js);
            return MDS_ERR_PARSE;
        }
    }
    if (c.depth != 0 || c.want != COMMA_OR_END) {
        *err_offset = len;
        return MDS_ERR_PARSE;
    }
    return MDS_OK;
}
