/* emit.c - pair writer and oversize-event splitter (see emit.h). */
#include "formats/emit.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"

#define MAX_PAIRS 100000

void mds_em_store_init(struct mds_em_store *s)
{
    memset(s, 0, sizeof *s);
    mds_buf_init(&s->aux, 0);
}

void mds_em_store_finish(struct mds_em_store *s)
{
    mds_buf_finish(&s->aux);
    mds_free(s->pairs);
    memset(s, 0, sizeof *s);
}

void mds_em_begin(struct mds_em *em, struct mds_em_store *store, struct mds_buf *out, enum mds_em_style style,
                  char delim, int collect)
{
    memset(em, 0, sizeof *em);
    em->style = style;
    em->delim = delim;
    em->collect = collect;
    em->out = out;
    em->store = store;
    em->start = out->len;
    em->fresh = 1;
    if (collect) {
        mds_buf_reset(&store->aux);
        store->npairs = 0;
    }
}

struct mds_buf *mds_em_head(struct mds_em *em)
{
    return em->collect ? &em->store->aux : em->out;
}

void mds_em_head_done(struct mds_em *em)
{
    em->head_len = em->store->aux.len;
}

/* ---- direct mode ------------------------------------------------------- */

/* Length of the first dot-separated segment of s[0..n) that is followed
 * by a dot, i.e. a parent object name; 0 when s has no more dots. */
static size_t parent_seg(const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);
    return dot ? (size_t)(dot - s) : 0;
}

/* Appends [","]"name": and, for a parent object, {. printf was a third
 * of ECS rendering time (one call per member). */
static mds_err json_member(struct mds_em *em, const char *name, size_t n, int parent)
{
    struct mds_buf *out = em->out;
    mds_err err = mds_buf_reserve(out, n + 3 + (em->fresh ? 0 : 1) + (parent ? 1 : 0));
    if (err)
        return err;
    char *w = out->data + out->len;
    if (!em->fresh)
        *w++ = ',';
    *w++ = '"';
    memcpy(w, name, n);
    w += n;
    *w++ = '"';
    *w++ = ':';
    if (parent)
        *w++ = '{';
    *w = '\0';
    out->len = (size_t)(w - out->data);
    return MDS_OK;
}

/* Opens/closes JSON objects so that `key` (a dotted path) can be written
 * as a member, then writes "leaf":. Paths sharing parents must be
 * adjacent (the ECS table is ordered so; a unit test checks it). */
static mds_err json_open_path(struct mds_em *em, const char *key)
{
    struct mds_buf *out = em->out;
    size_t klen = strlen(key), common = 0, ko = 0, po = 0;
    /* count leading parent segments shared with the previous path */
    while (em->path && common < (size_t)em->depth) {
        size_t a = parent_seg(key + ko, klen - ko), b = parent_seg(em->path + po, em->pathlen - po);
        if (!a || a != b || memcmp(key + ko, em->path + po, a) != 0)
            break;
        ko += a + 1;
        po += b + 1;
        common++;
    }
    mds_err err = MDS_OK;
    for (; (size_t)em->depth > common && !err; em->depth--) {
        err = mds_buf_putc(out, '}');
        em->fresh = 0;
    }
    for (size_t seg; !err && (seg = parent_seg(key + ko, klen - ko)); ko += seg + 1) {
        err = json_member(em, key + ko, seg, 1);
        em->depth++;
        em->fresh = 1;
    }
    if (!err)
        err = json_member(em, key + ko, klen - ko, 0);
    em->fresh = 0;
    em->path = key;
    em->pathlen = klen;
    return err;
}

/* "<sep>key=" in one append (this runs for every pair of every event). */
static mds_err direct_key(struct mds_em *em, const char *key)
{
    if (em->style == MDS_EM_JSON)
        return json_open_path(em, key);
    char tmp[128];
    size_t klen = strlen(key), n = 0;
    if (klen + 2 > sizeof tmp) {
        mds_err err = em->npairs ? mds_buf_putc(em->out, em->delim) : MDS_OK;
        if (!err)
            err = mds_buf_puts(em->out, key);
        return err ? err : mds_buf_putc(em->out, '=');
    }
    if (em->npairs)
        tmp[n++] = em->delim;
    memcpy(tmp + n, key, klen);
    n += klen;
    tmp[n++] = '=';
    return mds_buf_append(em->out, tmp, n);
}

/* ---- pairs ------------------------------------------------------------- */

static mds_err push_pair(struct mds_em_store *s, const char *key, unsigned flags)
{
    if (s->npairs == s->cap) {
        if (s->cap >= MAX_PAIRS)
            return MDS_ERR_LIMIT;
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct mds_pair *p = mds_realloc(s->pairs, sizeof *p * cap);
        if (!p)
            return MDS_ERR_NOMEM;
        s->pairs = p;
        s->cap = cap;
    }
    struct mds_pair *p = &s->pairs[s->npairs++];
    p->key = key;
    p->klen = strlen(key);
    p->voff = s->aux.len;
    p->vlen = 0;
    p->flags = flags;
    return MDS_OK;
}

struct mds_buf *mds_em_value_begin(struct mds_em *em, const char *key, unsigned flags, mds_err *err)
{
    if (em->collect) {
        *err = push_pair(em->store, key, flags);
        em->vbuf = &em->store->aux;
    } else {
        *err = direct_key(em, key);
        em->vbuf = em->out;
    }
    em->vstart = em->vbuf->len;
    return em->vbuf;
}

mds_err mds_em_value_end(struct mds_em *em)
{
    em->npairs++;
    if (!em->collect)
        return MDS_OK;
    struct mds_pair *p = &em->store->pairs[em->store->npairs - 1];
    p->vlen = em->store->aux.len - p->voff;
    if (em->style == MDS_EM_JSON && (p->flags & MDS_PAIR_STR) && p->vlen >= 2) {
        p->voff++; /* keep the string without its quotes: chunks are re-quoted */
        p->vlen -= 2;
    }
    return MDS_OK;
}

mds_err mds_em_end(struct mds_em *em, size_t max, int *oversize)
{
    mds_err err = MDS_OK;
    *oversize = 0;
    if (em->style == MDS_EM_JSON) {
        for (; em->depth > 0 && !err; em->depth--)
            err = mds_buf_putc(em->out, '}');
        if (!err)
            err = mds_buf_putc(em->out, '}');
    }
    if (!err && max && em->out->len - em->start > max) {
        *oversize = 1;
        em->out->len = em->start;
        if (em->out->data)
            em->out->data[em->out->len] = '\0';
        return MDS_OK;
    }
    if (!err)
        err = mds_buf_putc(em->out, '\n');
    return err;
}

/* ---- splitting --------------------------------------------------------- */

static size_t unit_len(enum mds_em_style style, const unsigned char *s, size_t rem)
{
    size_t u = 1;
    if (s[0] == '\\' && style != MDS_EM_LEEF)
        u = (style == MDS_EM_JSON && rem >= 2 && s[1] == 'u') ? 6 : 2;
    else if (s[0] >= 0xF0)
        u = 4;
    else if (s[0] >= 0xE0)
        u = 3;
    else if (s[0] >= 0xC0)
        u = 2;
    return u < rem ? u : rem;
}

size_t mds_em_safe_cut(enum mds_em_style style, const char *s, size_t n, size_t room)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, last = 0, good = 0;
    while (i < n) {
        size_t u = unit_len(style, p + i, n - i);
        if (i + u > room)
            break;
        i += u;
        last = i;
        /* CEF parsers trim around values: prefer cuts not next to a space */
        if (p[i - 1] != ' ' && (i == n || p[i] != ' '))
            good = i;
    }
    if (style == MDS_EM_CEF && good > 0 && good >= last / 2)
        return good;
    return last;
}

static size_t pair_len(const struct mds_em *em, const struct mds_pair *p, size_t vlen)
{
    if (em->style == MDS_EM_JSON)
        return p->klen + 3 + ((p->flags & MDS_PAIR_STR) ? 2 : 0) + vlen;
    return p->klen + 1 + vlen;
}

static mds_err write_pair(const struct mds_em *em, const struct mds_pair *p, size_t off, size_t len)
{
    struct mds_buf *out = em->out;
    const char *v = em->store->aux.data + p->voff + off;
    int str = em->style == MDS_EM_JSON && (p->flags & MDS_PAIR_STR);
    mds_err err;
    if (em->style == MDS_EM_JSON)
        err = mds_buf_printf(out, "\"%s\":%s", p->key, str ? "\"" : "");
    else
        err = mds_buf_printf(out, "%s=", p->key);
    if (!err)
        err = mds_buf_append(out, v, len);
    if (!err && str)
        err = mds_buf_putc(out, '"');
    return err;
}

static int marker(const struct mds_em *em, char *buf, size_t size, unsigned long k, unsigned long n)
{
    switch (em->style) {
    case MDS_EM_CEF:
        return snprintf(buf, size, "cs3Label=part cs3=%lu/%lu", k, n);
    case MDS_EM_LEEF:
        return snprintf(buf, size, "part=%lu/%lu", k, n);
    default:
        return snprintf(buf, size, "\"mdesiem.part\":%lu,\"mdesiem.parts\":%lu", k, n);
    }
}

struct layout {
    struct mds_em *em;
    size_t max, avail;
    int write;
    unsigned long part, nparts;
    size_t used;
    const struct mds_pair *failed; /* the pair that fits no part */
};

static mds_err part_begin(struct layout *l)
{
    struct mds_em *em = l->em;
    const struct mds_em_store *s = em->store;
    char m[96];
    mds_err err = mds_buf_append(em->out, s->aux.data, em->head_len);
    for (size_t i = 0; i < s->npairs && !err; i++) {
        if (!(s->pairs[i].flags & MDS_PAIR_CORE))
            continue;
        err = write_pair(em, &s->pairs[i], 0, s->pairs[i].vlen);
        if (!err)
            err = mds_buf_putc(em->out, em->delim);
    }
    int n = marker(em, m, sizeof m, l->part, l->nparts);
    if (!err)
        err = n > 0 && (size_t)n < sizeof m ? mds_buf_append(em->out, m, (size_t)n) : MDS_ERR_INTERNAL;
    return err;
}

static mds_err part_end(struct layout *l)
{
    mds_err err = l->em->style == MDS_EM_JSON ? mds_buf_putc(l->em->out, '}') : MDS_OK;
    return err ? err : mds_buf_putc(l->em->out, '\n');
}

static mds_err next_part(struct layout *l)
{
    mds_err err = MDS_OK;
    if (l->write) {
        err = part_end(l);
        l->part++;
        if (!err)
            err = part_begin(l);
    } else {
        l->part++;
    }
    l->used = 0;
    return err;
}

static mds_err place(struct layout *l, const struct mds_pair *p, size_t off, size_t len)
{
    l->used += 1 + pair_len(l->em, p, len);
    if (!l->write)
        return MDS_OK;
    mds_err err = mds_buf_putc(l->em->out, l->em->delim);
    return err ? err : write_pair(l->em, p, off, len);
}

/* Places one pair, continuing a string over as many parts as needed. */
static mds_err layout_pair(struct layout *l, const struct mds_pair *p)
{
    const char *v = l->em->store->aux.data + p->voff;
    size_t off = 0, rem = p->vlen;
    mds_err err = MDS_OK;
    while (!err) {
        size_t over = 1 + pair_len(l->em, p, 0);
        if (l->used + over + rem <= l->avail)
            return place(l, p, off, rem);
        if (!(p->flags & MDS_PAIR_STR) || over >= l->avail) {
            if (l->used == 0)
                return l->failed = p, MDS_ERR_LIMIT;
            err = next_part(l);
            continue;
        }
        size_t room = l->avail > l->used + over ? l->avail - l->used - over : 0;
        if (l->used > 0 && room * 4 < l->avail) {
            err = next_part(l); /* do not start a long value in a nearly full part */
            continue;
        }
        size_t cut = mds_em_safe_cut(l->em->style, v + off, rem, room);
        if (cut == 0) {
            if (l->used == 0)
                return l->failed = p, MDS_ERR_LIMIT;
            err = next_part(l);
            continue;
        }
        err = place(l, p, off, cut);
        off += cut;
        rem -= cut;
        if (!err)
            err = next_part(l);
    }
    return err;
}

static mds_err layout_run(struct layout *l)
{
    const struct mds_em_store *s = l->em->store;
    mds_err err = l->write ? part_begin(l) : MDS_OK;
    for (size_t i = 0; i < s->npairs && !err; i++)
        if (!(s->pairs[i].flags & MDS_PAIR_CORE))
            err = layout_pair(l, &s->pairs[i]);
    if (!err && l->write)
        err = part_end(l);
    return err;
}

static unsigned long digits_max(unsigned long bound)
{
    unsigned long m = 9;
    while (m < bound && m < 999999999UL)
        m = m * 10 + 9;
    return m;
}

mds_err mds_em_split(struct mds_em *em, size_t max, char *errstr, size_t errlen)
{
    const struct mds_em_store *s = em->store;
    size_t total = 0;
    for (size_t i = 0; i < s->npairs; i++)
        total += s->pairs[i].vlen + 1;
    /* reserve the marker at its widest: parts <= pairs + value bytes */
    char m[96];
    unsigned long wide = digits_max((unsigned long)total + 1);
    size_t fixed =
        em->head_len + (size_t)marker(em, m, sizeof m, wide, wide) + (em->style == MDS_EM_JSON ? 1 : 0);
    for (size_t i = 0; i < s->npairs; i++)
        if (s->pairs[i].flags & MDS_PAIR_CORE)
            fixed += 1 + pair_len(em, &s->pairs[i], s->pairs[i].vlen);
    if (fixed >= max) {
        snprintf(errstr, errlen, "max_event %zu is too small: a part needs %zu bytes of header and identity",
                 max, fixed + 1);
        return MDS_ERR_LIMIT;
    }
    struct layout l = {.em = em, .max = max, .avail = max - fixed, .write = 0, .part = 1};
    mds_err err = layout_run(&l);
    if (!err) {
        l.nparts = l.part;
        l.part = 1;
        l.used = 0;
        l.write = 1;
        err = layout_run(&l);
    }
    if (err == MDS_ERR_LIMIT && l.failed)
        snprintf(errstr, errlen,
                 "max_event %zu is too small: %s does not fit in a part (%zu bytes left after the "
                 "header and identity)",
                 max, l.failed->key, l.avail);
    return err;
}
