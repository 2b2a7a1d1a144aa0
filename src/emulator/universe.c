/*
 * universe.c - the alert store shared by every door.
 *
 * Alerts live in one array of small state records (see gen.c for how the
 * rest is regenerated). Two index arrays keep them ordered by
 * (lastUpdateDateTime, id) and (createdDateTime, id), so a time-bounded
 * query is a binary search plus a walk, and paging with $skip is O(page).
 * Because the monotonic clock only ever issues newer timestamps, a new or
 * updated alert always belongs at the end of both orders: creates append,
 * updates remove their entries in one compaction pass and append them.
 * Every (id, lastUpdateDateTime) pair ever issued is kept in `versions`.
 *
 * Not thread-safe: the server holds its mutex around every call.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define HOUR (3600 * MDS_TICKS_PER_SEC)
#define NET_EPOCH INT64_C(621355968000000000) /* .NET ticks at 1970-01-01 */
#define MAX_VERSIONS ((size_t)200 * 1000 * 1000)

/* ---------------------------------------------------------- id hash */

static uint64_t id_hash(const char *id)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * UINT64_C(1099511628211);
    return h;
}

static void hash_put(struct mds_emu_universe *u, uint32_t idx)
{
    size_t mask = u->hash_cap - 1;
    for (size_t i = id_hash(u->alerts[idx].id) & mask;; i = (i + 1) & mask) {
        if (!u->hash[i]) {
            u->hash[i] = idx + 1;
            return;
        }
    }
}

static mds_err hash_reserve(struct mds_emu_universe *u, size_t n)
{
    if (n * 2 <= u->hash_cap)
        return MDS_OK;
    size_t cap = 1024;
    while (cap < n * 2)
        cap *= 2;
    uint32_t *h = mds_calloc(cap, sizeof *h);
    if (!h)
        return MDS_ERR_NOMEM;
    mds_free(u->hash);
    u->hash = h;
    u->hash_cap = cap;
    for (size_t i = 0; i < u->n; i++)
        hash_put(u, (uint32_t)i);
    return MDS_OK;
}

long mds_emu_universe_find(const struct mds_emu_universe *u, const char *id)
{
    if (!u->hash_cap)
        return -1;
    size_t mask = u->hash_cap - 1;
    for (size_t i = id_hash(id) & mask; u->hash[i]; i = (i + 1) & mask)
        if (strcmp(u->alerts[u->hash[i] - 1].id, id) == 0)
            return (long)u->hash[i] - 1;
    return -1;
}

/* ----------------------------------------------------------- storage */

static mds_err reserve(struct mds_emu_universe *u, size_t extra)
{
    size_t need = u->n + extra;
    if (need > MDS_EMU_MAX_ALERTS)
        return MDS_ERR_LIMIT;
    if (need > u->cap) {
        size_t cap = u->cap ? u->cap : 1024;
        while (cap < need)
            cap *= 2;
        struct mds_emu_alert *a = mds_realloc(u->alerts, cap * sizeof *a);
        if (!a)
            return MDS_ERR_NOMEM;
        u->alerts = a;
        uint32_t *bu = mds_realloc(u->by_updated, cap * sizeof *bu);
        if (!bu)
            return MDS_ERR_NOMEM;
        u->by_updated = bu;
        uint32_t *bc = mds_realloc(u->by_created, cap * sizeof *bc);
        if (!bc)
            return MDS_ERR_NOMEM;
        u->by_created = bc;
        struct mds_emu_incident *inc = mds_realloc(u->incidents, cap * sizeof *inc);
        if (!inc)
            return MDS_ERR_NOMEM;
        u->incidents = inc;
        u->incidents_cap = cap;
        u->cap = cap;
    }
    return hash_reserve(u, need);
}

static mds_err push_version(struct mds_emu_universe *u, uint32_t idx)
{
    if (u->nversions == u->versions_cap) {
        if (u->versions_cap >= MAX_VERSIONS)
            return MDS_ERR_LIMIT;
        size_t cap = u->versions_cap ? u->versions_cap * 2 : 4096;
        struct mds_emu_version *v = mds_realloc(u->versions, cap * sizeof *v);
        if (!v)
            return MDS_ERR_NOMEM;
        u->versions = v;
        u->versions_cap = cap;
    }
    u->versions[u->nversions++] = (struct mds_emu_version){idx, u->alerts[idx].updated};
    return MDS_OK;
}

mds_ticks mds_emu_universe_clock(struct mds_emu_universe *u, mds_ticks now)
{
    if (u->same_left > 0) { /* quirk same-timestamp: reuse the last one */
        u->same_left--;
        return u->last_issued;
    }
    mds_ticks t = now > u->last_issued ? now : u->last_issued + 1;
    u->last_issued = t;
    if (u->quirks.same_timestamp > 1)
        u->same_left = u->quirks.same_timestamp - 1;
    return t;
}

/* The clock, but strictly after `prev` (an alert's previous version). */
static mds_ticks next_time(struct mds_emu_universe *u, mds_ticks now, mds_ticks prev)
{
    mds_ticks t = mds_emu_universe_clock(u, now);
    if (t <= prev) {
        u->same_left = 0;
        t = mds_emu_universe_clock(u, now);
    }
    return t;
}

/* Appends a fresh alert (state "new") created at `created`; the caller
 * sets `updated` and lifecycle fields, then indexes it. */
static struct mds_emu_alert *new_alert(struct mds_emu_universe *u, mds_ticks created)
{
    struct mds_emu_alert *a = &u->alerts[u->n];
    memset(a, 0, sizeof *a);
    a->gen = mds_emu_rng_next(&u->rng);
    a->created = a->updated = created;
    a->resolved = MDS_EMU_NO_TIME;
    a->status = MDS_EMU_ST_NEW;
    int32_t tail = (int32_t)(uint32_t)mds_emu_rng_next(&u->rng);
    snprintf(a->id, sizeof a->id, "da%lld_%ld", (long long)(created + NET_EPOCH), (long)tail);
    struct mds_emu_incident *last = u->nincidents ? &u->incidents[u->nincidents - 1] : NULL;
    if (!last || last->count >= MDS_EMU_INCIDENT_MAX_ALERTS || mds_emu_rng_below(&u->rng, 100) >= 35) {
        last = &u->incidents[u->nincidents++]; /* reserve() made room: incidents <= alerts */
        last->first = (uint32_t)u->n;
        last->count = 0;
    }
    last->count++;
    a->incident = u->incident_base + (uint32_t)(last - u->incidents);
    mds_emu_gen_basics(a, u->quirks.enum_unknown);
    return a;
}

/* ------------------------------------------------------- lifecycle */

static const uint8_t tp_determinations[] = {2, 7, 8, 9, 10, 5, 6};
static const uint8_t expected_determinations[] = {4, 14, 13, 6};
static const uint8_t fp_determinations[] = {11, 12, 6};

static void resolve(struct mds_emu_rng *r, struct mds_emu_alert *a, mds_ticks t)
{
    a->status = MDS_EMU_ST_RESOLVED;
    a->resolved = t;
    uint64_t c = mds_emu_rng_below(r, 10);
    if (c < 6) {
        a->classification = MDS_EMU_CL_TRUE_POSITIVE;
        a->determination = tp_determinations[mds_emu_rng_below(r, sizeof tp_determinations)];
    } else if (c < 8) {
        a->classification = MDS_EMU_CL_EXPECTED;
        a->determination = expected_determinations[mds_emu_rng_below(r, sizeof expected_determinations)];
    } else {
        a->classification = MDS_EMU_CL_FALSE_POSITIVE;
        a->determination = fp_determinations[mds_emu_rng_below(r, sizeof fp_determinations)];
    }
}

/* One step of an analyst's work on alert a at time t. */
static void mutate(struct mds_emu_rng *r, struct mds_emu_alert *a, mds_ticks t)
{
    uint64_t roll = mds_emu_rng_below(r, 10);
    a->assignee = (uint8_t)(1 + mds_emu_rng_below(r, mds_emu_analyst_count - 1));
    if (a->status == MDS_EMU_ST_RESOLVED && roll < 3) { /* reopened */
        a->status = MDS_EMU_ST_IN_PROGRESS;
        a->resolved = MDS_EMU_NO_TIME;
        a->classification = MDS_EMU_CL_UNKNOWN;
        a->determination = 0;
    } else if (a->status == MDS_EMU_ST_RESOLVED || (a->status == MDS_EMU_ST_IN_PROGRESS && roll < 6) ||
               (a->status != MDS_EMU_ST_IN_PROGRESS && roll < 3)) {
        resolve(r, a, t);
    } else {
        a->status = MDS_EMU_ST_IN_PROGRESS;
    }
    a->updated = t;
    a->revision++;
}

/* --------------------------------------------------------- ordering */

static mds_ticks key(const struct mds_emu_alert *a, enum mds_emu_order o)
{
    return o == MDS_EMU_ORDER_CREATED ? a->created : a->updated;
}

static int cmp_order(const void *x, const void *y, void *ctx)
{
    const struct mds_emu_alert *al = ((const void **)ctx)[0];
    enum mds_emu_order o = *(const enum mds_emu_order *)((const void **)ctx)[1];
    const struct mds_emu_alert *a = &al[*(const uint32_t *)x], *b = &al[*(const uint32_t *)y];
    mds_ticks ka = key(a, o), kb = key(b, o);
    if (ka != kb)
        return ka < kb ? -1 : 1;
    return strcmp(a->id, b->id);
}

static void sort_index(struct mds_emu_universe *u, uint32_t *idx, size_t n, enum mds_emu_order o)
{
    const void *ctx[2] = {u->alerts, &o};
    qsort_r(idx, n, sizeof *idx, cmp_order, ctx);
}

static size_t lower_bound(const struct mds_emu_universe *u, const uint32_t *idx, enum mds_emu_order o,
                          mds_ticks t);

/* ------------------------------------------------------------ public */

mds_err mds_emu_universe_init(struct mds_emu_universe *u, uint64_t seed, size_t count, mds_ticks start,
                              const struct mds_emu_quirks *quirks)
{
    memset(u, 0, sizeof *u);
    mds_emu_rng_seed(&u->rng, seed, 0x756e6976);
    u->incident_base = 28000 + (uint32_t)mds_emu_rng_below(&u->rng, 1000);
    if (quirks)
        u->quirks = *quirks;
    mds_err err = reserve(u, count);
    if (err)
        return err;
    mds_ticks span = 23 * HOUR, slot = count ? span / (mds_ticks)count : span;
    for (size_t i = 0; i < count; i++) {
        mds_ticks created =
            start - span + (mds_ticks)i * slot + (mds_ticks)mds_emu_rng_below(&u->rng, (uint64_t)slot);
        struct mds_emu_alert *a = new_alert(u, created);
        mds_ticks updated = created + (mds_ticks)mds_emu_rng_below(&u->rng, (uint64_t)(start - created));
        if (mds_emu_rng_below(&u->rng, 100) < 45)
            mutate(&u->rng, a, updated);
        u->by_updated[u->n] = u->by_created[u->n] = (uint32_t)u->n;
        hash_put(u, (uint32_t)u->n);
        u->n++;
        if ((err = push_version(u, (uint32_t)(u->n - 1))))
            return err;
        if (a->updated > u->last_issued)
            u->last_issued = a->updated;
    }
    sort_index(u, u->by_updated, u->n, MDS_EMU_ORDER_UPDATED);
    sort_index(u, u->by_created, u->n, MDS_EMU_ORDER_CREATED);
    return MDS_OK;
}

void mds_emu_universe_finish(struct mds_emu_universe *u)
{
    mds_free(u->alerts);
    mds_free(u->by_updated);
    mds_free(u->by_created);
    mds_free(u->hash);
    mds_free(u->versions);
    mds_free(u->incidents);
    memset(u, 0, sizeof *u);
}

/* Position in idx where alert a belongs by (key, id). */
static size_t position(const struct mds_emu_universe *u, const uint32_t *idx, enum mds_emu_order o,
                       const struct mds_emu_alert *a)
{
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct mds_emu_alert *b = &u->alerts[idx[mid]];
        if (key(b, o) < key(a, o) || (key(b, o) == key(a, o) && strcmp(b->id, a->id) < 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Indexes alert u->n (not yet counted) at its sorted place. */
static void insert_sorted(struct mds_emu_universe *u, uint32_t *idx, enum mds_emu_order o)
{
    size_t p = position(u, idx, o, &u->alerts[u->n]);
    memmove(idx + p + 1, idx + p, (u->n - p) * sizeof *idx);
    idx[p] = (uint32_t)u->n;
}

/* Re-sorts the tail of idx from the first entry at or after t: new
 * entries were appended there, possibly sharing a timestamp (quirk
 * same-timestamp) with each other or the entries just before. */
static void sort_tail(struct mds_emu_universe *u, uint32_t *idx, enum mds_emu_order o, mds_ticks t)
{
    size_t from = lower_bound(u, idx, o, t);
    sort_index(u, idx + from, u->n - from, o);
}

mds_err mds_emu_universe_create(struct mds_emu_universe *u, size_t count, mds_ticks now)
{
    mds_ticks late = (mds_ticks)u->quirks.late_arrival_s * MDS_TICKS_PER_SEC, first = INT64_MAX;
    mds_err err = reserve(u, count);
    for (size_t i = 0; !err && i < count; i++) {
        mds_ticks t = next_time(u, now, INT64_MIN) - late;
        first = t < first ? t : first;
        new_alert(u, t);
        if (late) { /* quirk late-arrival: back-dated, so not at the end */
            insert_sorted(u, u->by_updated, MDS_EMU_ORDER_UPDATED);
            insert_sorted(u, u->by_created, MDS_EMU_ORDER_CREATED);
        } else {
            u->by_updated[u->n] = u->by_created[u->n] = (uint32_t)u->n;
        }
        hash_put(u, (uint32_t)u->n);
        u->n++;
        err = push_version(u, (uint32_t)(u->n - 1));
    }
    if (!late && count) {
        sort_tail(u, u->by_updated, MDS_EMU_ORDER_UPDATED, first);
        sort_tail(u, u->by_created, MDS_EMU_ORDER_CREATED, first);
    }
    return err;
}

/* Picks `count` distinct alert indexes into out[] and marks them. */
static mds_err choose(struct mds_emu_universe *u, size_t count, uint32_t *out, unsigned char *mark)
{
    if (count * 2 <= u->n) {
        for (size_t k = 0; k < count;) {
            uint32_t i = (uint32_t)mds_emu_rng_below(&u->rng, u->n);
            if (!mark[i]) {
                mark[i] = 1;
                out[k++] = i;
            }
        }
        return MDS_OK;
    }
    uint32_t *perm = mds_malloc(u->n * sizeof *perm);
    if (!perm)
        return MDS_ERR_NOMEM;
    for (size_t i = 0; i < u->n; i++)
        perm[i] = (uint32_t)i;
    for (size_t k = 0; k < count; k++) {
        size_t j = k + (size_t)mds_emu_rng_below(&u->rng, u->n - k);
        uint32_t t = perm[k];
        perm[k] = perm[j];
        perm[j] = t;
        out[k] = perm[k];
        mark[perm[k]] = 1;
    }
    mds_free(perm);
    return MDS_OK;
}

mds_err mds_emu_universe_update(struct mds_emu_universe *u, size_t count, mds_ticks now, size_t *updated)
{
    mds_err err = MDS_OK;
    *updated = 0;
    if (count > u->n)
        count = u->n;
    if (count == 0)
        return MDS_OK;
    uint32_t *chosen = mds_malloc(count * sizeof *chosen);
    unsigned char *mark = mds_calloc(u->n, 1);
    if (!chosen || !mark) {
        err = MDS_ERR_NOMEM;
        goto out;
    }
    if ((err = choose(u, count, chosen, mark)))
        goto out;
    mds_ticks first = INT64_MAX;
    for (size_t k = 0; k < count && !err; k++) {
        struct mds_emu_alert *a = &u->alerts[chosen[k]];
        mds_ticks t = next_time(u, now, a->updated);
        first = t < first ? t : first;
        mutate(&u->rng, a, t);
        err = push_version(u, chosen[k]);
    }
    /* every new timestamp is the newest: compact, then append in order */
    size_t w = 0;
    for (size_t i = 0; i < u->n; i++)
        if (!mark[u->by_updated[i]])
            u->by_updated[w++] = u->by_updated[i];
    memcpy(u->by_updated + w, chosen, count * sizeof *chosen);
    sort_tail(u, u->by_updated, MDS_EMU_ORDER_UPDATED, first);
    *updated = count;
out:
    mds_free(chosen);
    mds_free(mark);
    return err;
}

/* ------------------------------------------------------------ select */

void mds_emu_select_init(struct mds_emu_select *s)
{
    memset(s, 0, sizeof *s);
    s->upd_lo = s->cre_lo = INT64_MIN;
    s->upd_hi = s->cre_hi = INT64_MAX;
    s->status = s->severity = s->service = s->classification = s->determination = s->assignee = -1;
    s->top = 100;
}

static int extra_predicates(const struct mds_emu_select *s)
{
    int other_time = s->order == MDS_EMU_ORDER_CREATED ? (s->upd_lo != INT64_MIN || s->upd_hi != INT64_MAX)
                                                       : (s->cre_lo != INT64_MIN || s->cre_hi != INT64_MAX);
    return other_time || s->status >= 0 || s->severity >= 0 || s->service >= 0 || s->classification >= 0 ||
           s->determination >= 0 || s->assignee >= 0 || s->incident;
}

static int matches(const struct mds_emu_select *s, const struct mds_emu_alert *a)
{
    return a->updated >= s->upd_lo && a->updated <= s->upd_hi && a->created >= s->cre_lo &&
           a->created <= s->cre_hi && (s->status < 0 || a->status == s->status) &&
           (s->severity < 0 || a->severity == s->severity) && (s->service < 0 || a->service == s->service) &&
           (s->classification < 0 || a->classification == s->classification) &&
           (s->determination < 0 || a->determination == s->determination) &&
           (s->assignee < 0 || a->assignee == s->assignee) && (!s->incident || a->incident == s->incident);
}

/* First position in idx whose key is >= t. */
static size_t lower_bound(const struct mds_emu_universe *u, const uint32_t *idx, enum mds_emu_order o,
                          mds_ticks t)
{
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key(&u->alerts[idx[mid]], o) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void mds_emu_universe_select(const struct mds_emu_universe *u, const struct mds_emu_select *s,
                             struct mds_emu_alert *out, size_t *n, int *more, size_t *count)
{
    const uint32_t *idx = s->order == MDS_EMU_ORDER_CREATED ? u->by_created : u->by_updated;
    mds_ticks lo = s->order == MDS_EMU_ORDER_CREATED ? s->cre_lo : s->upd_lo;
    mds_ticks hi = s->order == MDS_EMU_ORDER_CREATED ? s->cre_hi : s->upd_hi;
    size_t first = lower_bound(u, idx, s->order, lo);
    size_t end = hi == INT64_MAX ? u->n : lower_bound(u, idx, s->order, hi + 1);
    size_t total = end > first ? end - first : 0, matched = 0;
    *n = 0;
    *more = 0;
    if (s->empty)
        total = 0;
    if (!extra_predicates(s)) { /* every entry in range matches: index arithmetic */
        for (size_t k = s->skip; k < total && *n < s->top; k++)
            out[(*n)++] = u->alerts[idx[s->desc ? end - 1 - k : first + k]];
        *more = total > s->skip + *n;
        if (count)
            *count = total;
        return;
    }
    for (size_t k = 0; k < total; k++) {
        const struct mds_emu_alert *a = &u->alerts[idx[s->desc ? end - 1 - k : first + k]];
        if (!matches(s, a))
            continue;
        if (matched >= s->skip && *n < s->top)
            out[(*n)++] = *a;
        else if (matched >= s->skip + s->top)
            *more = 1;
        matched++;
        if (*more && !s->want_count)
            break;
    }
    if (count)
        *count = matched;
}

/* --------------------------------------------------------- incidents */

long mds_emu_incident_find(const struct mds_emu_universe *u, uint32_t id)
{
    return id >= u->incident_base && id - u->incident_base < u->nincidents ? (long)(id - u->incident_base)
                                                                           : -1;
}

/* Incident status from its alerts: any in progress, else all resolved. */
static int incident_status(int in_progress, int resolved, uint32_t count)
{
    if (in_progress)
        return 2; /* inProgress */
    return (uint32_t)resolved == count ? 1 /* resolved */ : 0 /* active */;
}

void mds_emu_incident_view(const struct mds_emu_universe *u, size_t k, struct mds_emu_incident_view *v)
{
    const struct mds_emu_incident *inc = &u->incidents[k];
    int in_progress = 0, resolved = 0;
    const struct mds_emu_alert *latest = NULL;
    memset(v, 0, sizeof *v);
    v->id = u->incident_base + (uint32_t)k;
    v->first = inc->first;
    v->count = inc->count;
    v->created = INT64_MAX;
    v->updated = INT64_MIN;
    for (uint32_t i = 0; i < inc->count; i++) {
        const struct mds_emu_alert *a = &u->alerts[inc->first + i];
        v->alerts[i] = *a;
        v->created = a->created < v->created ? a->created : v->created;
        if (a->updated > v->updated) {
            v->updated = a->updated;
            latest = a;
        }
        v->severity = a->severity > v->severity ? a->severity : v->severity;
        in_progress |= a->status == MDS_EMU_ST_IN_PROGRESS;
        resolved += a->status == MDS_EMU_ST_RESOLVED;
    }
    v->status = incident_status(in_progress, resolved, inc->count);
    v->assignee = latest ? latest->assignee : 0;
    v->classification = v->status == 1 && latest ? latest->classification : 0;
    v->determination = v->status == 1 && latest ? latest->determination : 0;
}

static int incident_matches(const struct mds_emu_select *s, const struct mds_emu_incident_view *v)
{
    return v->updated >= s->upd_lo && v->updated <= s->upd_hi && v->created >= s->cre_lo &&
           v->created <= s->cre_hi && (s->status < 0 || v->status == s->status) &&
           (s->severity < 0 || v->severity == s->severity) &&
           (s->classification < 0 || v->classification == s->classification) &&
           (s->determination < 0 || v->determination == s->determination) &&
           (s->assignee < 0 || v->assignee == s->assignee);
}

struct keyed {
    mds_ticks key;
    uint32_t k;
};

static int cmp_keyed(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

mds_err mds_emu_universe_incidents(const struct mds_emu_universe *u, const struct mds_emu_select *s,
                                   struct mds_emu_incident_view *out, size_t *n, int *more, size_t *count)
{
    struct keyed *keys = mds_malloc((u->nincidents ? u->nincidents : 1) * sizeof *keys);
    struct mds_emu_incident_view v;
    size_t matched = 0;
    *n = 0;
    *more = 0;
    if (!keys)
        return MDS_ERR_NOMEM;
    for (size_t k = 0; k < u->nincidents && !s->empty; k++) {
        mds_emu_incident_view(u, k, &v);
        if (incident_matches(s, &v))
            keys[matched++] =
                (struct keyed){s->order == MDS_EMU_ORDER_CREATED ? v.created : v.updated, (uint32_t)k};
    }
    qsort(keys, matched, sizeof *keys, cmp_keyed);
    for (size_t i = s->skip; i < matched && *n < s->top; i++)
        mds_emu_incident_view(u, keys[s->desc ? matched - 1 - i : i].k, &out[(*n)++]);
    *more = matched > s->skip + *n;
    if (count)
        *count = matched;
    mds_free(keys);
    return MDS_OK;
}
