/*
 * filter.c - the OData $filter subset every door understands.
 *
 *   filter := term ( "and" term )*
 *   term   := "(" filter ")" | property op value
 *   op     := eq | ne | ge | gt | le | lt          (case-insensitive)
 *   value  := 'string' ('' escapes a quote) | datetime | number | null
 *
 * Datetimes are unquoted ISO 8601 literals with 0-7 fractional digits,
 * parsed to 100-ns ticks so comparisons are exact. `or`, `not` and
 * functions are rejected with a message, as the real services do for
 * unsupported clauses. The parser is pure and bounded (MDS_EMU_MAX_FILTER
 * bytes, MDS_EMU_MAX_CLAUSES clauses, nesting depth 8).
 */
#include "emulator/internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct lexer {
    const char *s;
    size_t len, pos;
    struct mds_emu_filter *f;
    int depth;
};

static mds_err fail(struct lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static mds_err fail(struct lexer *lx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->f->err, sizeof lx->f->err, fmt, ap);
    va_end(ap);
    return MDS_ERR_PARSE;
}

static void skip_space(struct lexer *lx)
{
    while (lx->pos < lx->len && isspace((unsigned char)lx->s[lx->pos]))
        lx->pos++;
}

static int is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == ':' || c == '+' ||
           c == '/' || c == '@';
}

/* Reads a bare word at the cursor; returns its length (0 = none). */
static size_t word(struct lexer *lx, const char **start)
{
    skip_space(lx);
    *start = lx->s + lx->pos;
    size_t n = 0;
    while (lx->pos + n < lx->len && is_word_char(lx->s[lx->pos + n]))
        n++;
    return n;
}

static int word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(w, lit, n) == 0;
}

static int parse_op(const char *w, size_t n, enum mds_emu_op *op)
{
    static const char *const names[] = {"eq", "ne", "ge", "gt", "le", "lt"};
    for (int i = 0; i < 6; i++)
        if (word_is(w, n, names[i])) {
            *op = (enum mds_emu_op)i;
            return 0;
        }
    return -1;
}

static mds_err parse_string(struct lexer *lx, struct mds_emu_clause *c)
{
    size_t out = 0;
    lx->pos++; /* opening quote */
    for (;;) {
        if (lx->pos >= lx->len)
            return fail(lx, "Invalid filter clause: unterminated string literal");
        char ch = lx->s[lx->pos++];
        if (ch == '\'') {
            if (lx->pos < lx->len && lx->s[lx->pos] == '\'')
                lx->pos++;
            else
                break;
        }
        if (out + 1 >= sizeof c->str)
            return fail(lx, "Invalid filter clause: string literal longer than %zu bytes", sizeof c->str - 1);
        c->str[out++] = ch;
    }
    c->str[out] = '\0';
    c->kind = MDS_EMU_VAL_STRING;
    return MDS_OK;
}

static mds_err parse_value(struct lexer *lx, struct mds_emu_clause *c)
{
    skip_space(lx);
    if (lx->pos < lx->len && lx->s[lx->pos] == '\'')
        return parse_string(lx, c);
    const char *w;
    size_t n = word(lx, &w);
    if (n == 0)
        return fail(lx, "Invalid filter clause: expected a value after '%s'", c->prop);
    lx->pos += n;
    if (word_is(w, n, "null")) {
        c->kind = MDS_EMU_VAL_NULL;
        return MDS_OK;
    }
    if (mds_time_parse(w, n, &c->time) == MDS_OK) {
        c->kind = MDS_EMU_VAL_TIME;
        return MDS_OK;
    }
    char num[24];
    char *end;
    if (n < sizeof num) {
        memcpy(num, w, n);
        num[n] = '\0';
        c->num = strtoll(num, &end, 10);
        if (*end == '\0' && end != num) {
            c->kind = MDS_EMU_VAL_NUMBER;
            return MDS_OK;
        }
    }
    return fail(lx, "Invalid filter clause: '%.*s' is not a valid literal for '%s'", (int)(n > 64 ? 64 : n),
                w, c->prop);
}

static mds_err parse_filter(struct lexer *lx);

static mds_err parse_clause(struct lexer *lx)
{
    struct mds_emu_filter *f = lx->f;
    const char *w;
    size_t n = word(lx, &w);
    if (n == 0)
        return fail(lx, "Invalid filter clause: expected a property at position %zu", lx->pos);
    if (word_is(w, n, "not"))
        return fail(lx, "Invalid filter clause: 'not' is not supported");
    if (lx->pos + n < lx->len && lx->s[lx->pos + n] == '(')
        return fail(lx, "Invalid filter clause: function '%.*s' is not supported", (int)(n > 48 ? 48 : n), w);
    if (f->n >= MDS_EMU_MAX_CLAUSES)
        return fail(lx, "Invalid filter clause: more than %d clauses", MDS_EMU_MAX_CLAUSES);
    struct mds_emu_clause *c = &f->c[f->n];
    memset(c, 0, sizeof *c);
    if (n >= sizeof c->prop)
        return fail(lx, "Invalid filter clause: property name too long");
    memcpy(c->prop, w, n);
    lx->pos += n;
    const char *o;
    size_t on = word(lx, &o);
    if (parse_op(o, on, &c->op))
        return fail(lx, "Invalid filter clause: expected an operator (eq, ne, ge, gt, le, lt) after '%s'",
                    c->prop);
    lx->pos += on;
    mds_err err = parse_value(lx, c);
    if (!err)
        f->n++;
    return err;
}

static mds_err parse_term(struct lexer *lx)
{
    skip_space(lx);
    if (lx->pos < lx->len && lx->s[lx->pos] == '(') {
        if (++lx->depth > 8)
            return fail(lx, "Invalid filter clause: parentheses nested too deeply");
        lx->pos++;
        mds_err err = parse_filter(lx);
        if (err)
            return err;
        skip_space(lx);
        if (lx->pos >= lx->len || lx->s[lx->pos] != ')')
            return fail(lx, "Invalid filter clause: missing ')'");
        lx->pos++;
        lx->depth--;
        return MDS_OK;
    }
    return parse_clause(lx);
}

static mds_err parse_filter(struct lexer *lx)
{
    mds_err err = parse_term(lx);
    while (!err) {
        const char *w;
        size_t n = word(lx, &w);
        if (word_is(w, n, "or"))
            return fail(lx, "Invalid filter clause: 'or' is not supported");
        if (!word_is(w, n, "and"))
            break;
        lx->pos += n;
        err = parse_term(lx);
    }
    return err;
}

mds_err mds_emu_filter_parse(const char *s, size_t len, struct mds_emu_filter *f)
{
    struct lexer lx = {s, len, 0, f, 0};
    f->n = 0;
    f->err[0] = '\0';
    if (len > MDS_EMU_MAX_FILTER)
        return fail(&lx, "Invalid filter clause: longer than %d bytes", MDS_EMU_MAX_FILTER);
    mds_err err = parse_filter(&lx);
    if (err)
        return err;
    skip_space(&lx);
    if (lx.pos != lx.len)
        return fail(&lx, "Invalid filter clause: unexpected '%.*s' at position %zu",
                    (int)(len - lx.pos > 32 ? 32 : len - lx.pos), s + lx.pos, lx.pos);
    if (f->n == 0)
        return fail(&lx, "Invalid filter clause: empty filter");
    return MDS_OK;
}
