/*
 * params.c - query strings and application/x-www-form-urlencoded bodies.
 *
 * Pairs keep both the decoded key/value (for lookups) and the raw bytes
 * as they arrived (so @odata.nextLink repeats the client's own query with
 * only $skip changed). Keys are matched ASCII case-insensitively, which is
 * how the ASP.NET services behind Graph and the SIEM API bind them.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

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

size_t mds_emu_url_decode(char *s, size_t len)
{
    size_t w = 0;
    for (size_t r = 0; r < len; r++) {
        if (s[r] == '+') {
            s[w++] = ' ';
        } else if (s[r] == '%' && r + 2 < len && hexval(s[r + 1]) >= 0 && hexval(s[r + 2]) >= 0) {
            s[w++] = (char)(hexval(s[r + 1]) * 16 + hexval(s[r + 2]));
            r += 2;
        } else {
            s[w++] = s[r];
        }
    }
    s[w] = '\0';
    return w;
}

/* Copies s[0..n) into the store at *pos, decodes it, returns the copy. */
static char *decoded_copy(char *store, size_t *pos, const char *s, size_t n)
{
    char *d = store + *pos;
    memcpy(d, s, n);
    *pos += mds_emu_url_decode(d, n) + 1;
    return d;
}

mds_err mds_emu_params_parse(struct mds_emu_params *ps, const char *s, size_t len)
{
    size_t pos = 0;
    ps->n = 0;
    ps->store = mds_malloc(len + 2 * MDS_EMU_MAX_PARAMS + 1);
    if (!ps->store)
        return MDS_ERR_NOMEM;
    for (size_t i = 0; i < len;) {
        size_t n = 0;
        while (i + n < len && s[i + n] != '&')
            n++;
        if (n > 0) {
            if (ps->n >= MDS_EMU_MAX_PARAMS)
                return MDS_ERR_LIMIT;
            const char *eq = memchr(s + i, '=', n);
            size_t kn = eq ? (size_t)(eq - (s + i)) : n;
            struct mds_emu_param *p = &ps->p[ps->n++];
            p->raw = s + i;
            p->raw_len = n;
            p->key = decoded_copy(ps->store, &pos, s + i, kn);
            p->value = decoded_copy(ps->store, &pos, eq ? eq + 1 : s + i + n, eq ? n - kn - 1 : 0);
        }
        i += n + 1;
    }
    return MDS_OK;
}

void mds_emu_params_finish(struct mds_emu_params *ps)
{
    mds_free(ps->store);
    ps->store = NULL;
    ps->n = 0;
}

const char *mds_emu_params_get(const struct mds_emu_params *ps, const char *key)
{
    for (int i = 0; i < ps->n; i++)
        if (strcasecmp(ps->p[i].key, key) == 0)
            return ps->p[i].value;
    return NULL;
}

mds_err mds_emu_params_rebuild(const struct mds_emu_params *ps, const char *key, const char *value,
                               struct mds_buf *out)
{
    mds_err err = MDS_OK;
    int replaced = 0, first = 1;
    for (int i = 0; i < ps->n && !err; i++) {
        if (!first)
            err = mds_buf_putc(out, '&');
        first = 0;
        if (!err && strcasecmp(ps->p[i].key, key) == 0) {
            const char *eq = memchr(ps->p[i].raw, '=', ps->p[i].raw_len);
            size_t kn = eq ? (size_t)(eq - ps->p[i].raw) : ps->p[i].raw_len;
            err = mds_buf_printf(out, "%.*s=%s", (int)kn, ps->p[i].raw, value);
            replaced = 1;
        } else if (!err) {
            err = mds_buf_append(out, ps->p[i].raw, ps->p[i].raw_len);
        }
    }
    if (!err && !replaced)
        err = mds_buf_printf(out, "%s%s=%s", first ? "" : "&", key, value);
    return err;
}

mds_err mds_emu_url_encode(struct mds_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    mds_err err = MDS_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !err; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p))
            err = mds_buf_putc(out, (char)*p);
        else
            err = mds_buf_append(out, (char[]){'%', hex[*p >> 4], hex[*p & 15]}, 3);
    }
    return err;
}
