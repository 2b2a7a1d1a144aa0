/* roff.c - Markdown-ish text and key tables as man page roff (see roff.h). */
#include "core/roff.h"

#include <string.h>

static mds_err put_code_char(struct mds_buf *b, char c)
{
    if (c == '\\')
        return mds_buf_puts(b, "\\e");
    if (c == '-')
        return mds_buf_puts(b, "\\-");
    return mds_buf_putc(b, c);
}

/* Literal text in bold: keys, values, choices. */
static mds_err put_code(struct mds_buf *b, const char *s, size_t n)
{
    mds_err rc = mds_buf_puts(b, "\\fB");
    for (size_t i = 0; !rc && i < n; i++)
        rc = put_code_char(b, s[i]);
    return rc ? rc : mds_buf_puts(b, "\\fR");
}

mds_err mds_roff_text(struct mds_buf *b, const char *text)
{
    mds_err rc = MDS_OK;
    if (text[0] == '.' || text[0] == '\'')
        rc = mds_buf_puts(b, "\\&");
    for (const char *p = text; !rc && *p; p++) {
        const char *end;
        if (*p == '`' && (end = strchr(p + 1, '`')) != NULL) {
            rc = put_code(b, p + 1, (size_t)(end - p - 1));
            p = end;
        } else if (*p == '\\') {
            rc = mds_buf_puts(b, "\\e");
        } else if (*p == '\n') {
            rc = mds_buf_putc(b, ' ');
        } else if (strncmp(p, "\xe2\x80\x93", 3) == 0) {
            rc = mds_buf_puts(b, "\\(en");
            p += 2;
        } else if (strncmp(p, "\xe2\x80\x94", 3) == 0) {
            rc = mds_buf_puts(b, "\\(em");
            p += 2;
        } else {
            rc = mds_buf_putc(b, *p);
        }
    }
    return rc;
}

static const char *type_word(enum mds_conf_type t)
{
    static const char *names[] = {"string", "integer", "boolean", "duration", "size",
                                  "one of", "list",    "path",    "URL",      "refused"};
    return (size_t)t < sizeof names / sizeof names[0] ? names[t] : "value";
}

static mds_err put_choices(struct mds_buf *b, const char *choices)
{
    mds_err rc = MDS_OK;
    for (const char *p = choices; !rc && p && *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        rc = mds_buf_puts(b, p == choices ? " " : ", ");
        if (!rc)
            rc = put_code(b, p, n);
        p = bar ? bar + 1 : NULL;
    }
    return rc;
}

static mds_err put_key(struct mds_buf *b, const struct mds_conf_key *k)
{
    mds_err rc = mds_buf_puts(b, ".TP\n");
    if (!rc)
        rc = put_code(b, k->name, strlen(k->name));
    if (!rc)
        rc = mds_buf_printf(b, "\n%s", type_word(k->type));
    if (!rc && k->type == MDS_CONF_ENUM)
        rc = put_choices(b, k->choices);
    if (!rc && k->type == MDS_CONF_INT && (k->min || k->max))
        rc = mds_buf_printf(b, " from %lld to %lld", (long long)k->min, (long long)k->max);
    if (!rc && k->dflt) {
        rc = mds_buf_puts(b, "; default ");
        if (!rc)
            rc = put_code(b, k->dflt, strlen(k->dflt));
    } else if (!rc) {
        rc = mds_buf_puts(b, (k->flags & MDS_CONF_REQUIRED) ? "; required" : "; no default");
    }
    if (!rc)
        rc = mds_buf_puts(b, "\n.br\n");
    if (!rc)
        rc = mds_roff_text(b, k->help);
    if (!rc && (k->flags & MDS_CONF_SECRET))
        rc = mds_buf_puts(b, " Never printed.");
    return rc ? rc : mds_buf_putc(b, '\n');
}

mds_err mds_roff_keys(struct mds_buf *b, const struct mds_conf_key *table)
{
    mds_err rc = MDS_OK;
    for (const struct mds_conf_key *k = table; !rc && k->name; k++)
        rc = put_key(b, k);
    return rc;
}
