/*
 * query.c - OData query options shared by the Graph and MDE doors: maps a
 * parsed $filter onto a selection through a per-door property table, and
 * reads $top, $skip, $orderby and $count with the door's limits.
 */
#include "emulator/internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int mds_emu_parse_count(const char *s, size_t *out)
{
    size_t v = 0, n = 0;
    for (; s[n] >= '0' && s[n] <= '9' && n < 10; n++)
        v = v * 10 + (size_t)(s[n] - '0');
    if (n == 0 || n > 9 || s[n])
        return -1;
    *out = v;
    return 0;
}

/* Narrows [lo, hi] (inclusive ticks) by one comparison. */
static int narrow(const struct mds_emu_clause *c, mds_ticks *lo, mds_ticks *hi)
{
    mds_ticks t = c->time;
    if (c->op == MDS_EMU_OP_EQ || c->op == MDS_EMU_OP_GE || c->op == MDS_EMU_OP_GT) {
        mds_ticks l = c->op == MDS_EMU_OP_GT ? t + 1 : t;
        *lo = l > *lo ? l : *lo;
    }
    if (c->op == MDS_EMU_OP_EQ || c->op == MDS_EMU_OP_LE || c->op == MDS_EMU_OP_LT) {
        mds_ticks h = c->op == MDS_EMU_OP_LT ? t - 1 : t;
        *hi = h < *hi ? h : *hi;
    }
    return c->op == MDS_EMU_OP_NE ? -1 : 0;
}

static int *field(struct mds_emu_select *s, const struct mds_emu_prop *p)
{
    return (int *)((char *)s + p->offset);
}

static int enum_clause(const struct mds_emu_clause *c, const struct mds_emu_prop *p, struct mds_emu_select *s,
                       char *msg, size_t n)
{
    if (c->op != MDS_EMU_OP_EQ || c->kind != MDS_EMU_VAL_STRING) {
        snprintf(msg, n, "Invalid filter clause: only '%s eq '<value>'' is supported.", c->prop);
        return -1;
    }
    int v = mds_emu_enum_find(p->e, c->str);
    if (v < 0 && p->alias && strcasecmp(c->str, p->alias) == 0)
        v = 0;
    if (v < 0) {
        snprintf(msg, n,
                 "Invalid filter clause: the string '%s' is not a valid enumeration type constant for '%s'.",
                 c->str, c->prop);
        return -1;
    }
    int *f = field(s, p);
    if (*f >= 0 && *f != v)
        s->empty = 1;
    *f = v;
    return 0;
}

static int assignee_clause(const struct mds_emu_clause *c, struct mds_emu_select *s, char *msg, size_t n)
{
    if (c->op != MDS_EMU_OP_EQ || (c->kind != MDS_EMU_VAL_STRING && c->kind != MDS_EMU_VAL_NULL)) {
        snprintf(msg, n, "Invalid filter clause: only 'assignedTo eq '<value>'' or 'eq null' is supported.");
        return -1;
    }
    int v = c->kind == MDS_EMU_VAL_NULL ? 0 : -1;
    for (size_t i = 1; v < 0 && i < mds_emu_analyst_count; i++)
        if (strcasecmp(mds_emu_analysts[i], c->str) == 0)
            v = (int)i;
    if (v < 0 || (s->assignee >= 0 && s->assignee != v))
        s->empty = 1;
    s->assignee = v < 0 ? 0 : v;
    return 0;
}

static int incident_clause(const struct mds_emu_clause *c, struct mds_emu_select *s, char *msg, size_t n)
{
    int64_t v = c->num;
    char *end = NULL;
    if (c->kind == MDS_EMU_VAL_STRING)
        v = strtoll(c->str, &end, 10);
    if (c->op != MDS_EMU_OP_EQ ||
        (c->kind != MDS_EMU_VAL_NUMBER && (c->kind != MDS_EMU_VAL_STRING || *end)) || v <= 0 ||
        v > UINT32_MAX) {
        snprintf(msg, n, "Invalid filter clause: only '%s eq <number>' is supported.", c->prop);
        return -1;
    }
    if (s->incident && s->incident != (uint32_t)v)
        s->empty = 1;
    s->incident = (uint32_t)v;
    return 0;
}

static int time_clause(const struct mds_emu_clause *c, mds_ticks *lo, mds_ticks *hi, char *msg, size_t n)
{
    if (c->kind != MDS_EMU_VAL_TIME || narrow(c, lo, hi)) {
        snprintf(msg, n,
                 "Invalid filter clause: '%s' must be compared with ge, gt, le, lt or eq to an unquoted "
                 "DateTimeOffset literal such as 2024-01-01T00:00:00Z.",
                 c->prop);
        return -1;
    }
    return 0;
}

static int apply_clause(const struct mds_emu_door_desc *d, const struct mds_emu_clause *c,
                        struct mds_emu_select *s, char *msg, size_t n)
{
    for (size_t i = 0; d->props[i].name; i++) {
        const struct mds_emu_prop *p = &d->props[i];
        if (strcasecmp(p->name, c->prop) != 0)
            continue;
        switch (p->kind) {
        case MDS_EMU_PROP_UPDATED:
            return time_clause(c, &s->upd_lo, &s->upd_hi, msg, n);
        case MDS_EMU_PROP_CREATED:
            return time_clause(c, &s->cre_lo, &s->cre_hi, msg, n);
        case MDS_EMU_PROP_ENUM:
            return enum_clause(c, p, s, msg, n);
        case MDS_EMU_PROP_ASSIGNEE:
            return assignee_clause(c, s, msg, n);
        case MDS_EMU_PROP_INCIDENT:
            return incident_clause(c, s, msg, n);
        }
    }
    snprintf(msg, n, "Invalid filter clause: Could not find a property named '%s' on type '%s'.", c->prop,
             d->type_name);
    return -1;
}

static int apply_filter(const struct mds_emu_door_desc *d, const char *text, struct mds_emu_select *s,
                        char *msg, size_t n)
{
    struct mds_emu_filter f;
    if (mds_emu_filter_parse(text, strlen(text), &f)) {
        snprintf(msg, n, "%s", f.err);
        return -1;
    }
    for (int i = 0; i < f.n; i++)
        if (apply_clause(d, &f.c[i], s, msg, n))
            return -1;
    return 0;
}

static int apply_orderby(const struct mds_emu_door_desc *d, const char *text, struct mds_emu_select *s,
                         char *msg, size_t n)
{
    char prop[48] = "", dir[8] = "asc", extra[2] = "";
    int k = sscanf(text, " %47s %7s %1s", prop, dir, extra);
    if (k >= 1 && k <= 2 && strcasecmp(prop, d->updated_name) == 0)
        s->order = MDS_EMU_ORDER_UPDATED;
    else if (k >= 1 && k <= 2 && strcasecmp(prop, d->created_name) == 0)
        s->order = MDS_EMU_ORDER_CREATED;
    else
        k = 0;
    if (k && (strcasecmp(dir, "asc") == 0 || strcasecmp(dir, "desc") == 0)) {
        s->desc = strcasecmp(dir, "desc") == 0;
        return 0;
    }
    snprintf(msg, n, "Invalid $orderby '%.64s': use %s or %s, asc or desc.", text, d->updated_name,
             d->created_name);
    return -1;
}

static int read_top(const struct mds_emu_door_desc *d, const char *v, struct mds_emu_select *s, char *msg,
                    size_t n)
{
    size_t top = d->top_default;
    if (v && mds_emu_parse_count(v, &top)) {
        snprintf(msg, n, "Invalid value '%.32s' for query option $top: expected a non-negative integer.", v);
        return -1;
    }
    if (top > d->top_max && !d->clamp_top) {
        snprintf(msg, n,
                 "The limit of '%zu' for Top query has been exceeded. The value from the incoming request "
                 "is '%zu'.",
                 d->top_max, top);
        return -1;
    }
    s->top = top > d->top_max ? d->top_max : top;
    return 0;
}

int mds_emu_query(const struct mds_emu_req *req, const struct mds_emu_door_desc *d, struct mds_emu_select *s,
                  char *msg, size_t n)
{
    const struct mds_emu_params *ps = &req->params;
    const struct mds_emu_quirks *q = &req->emu->cfg.quirks;
    const char *v;
    mds_emu_select_init(s);
    if (read_top(d, mds_emu_params_get(ps, "$top"), s, msg, n))
        return -1;
    if (q->top_clamp && s->top > q->top_clamp)
        s->top = q->top_clamp;
    if ((v = mds_emu_params_get(ps, "$skip")) && mds_emu_parse_count(v, &s->skip)) {
        snprintf(msg, n, "Invalid value '%.32s' for query option $skip: expected a non-negative integer.", v);
        return -1;
    }
    if (q->skip_limit && s->skip > q->skip_limit) {
        snprintf(msg, n, "The $skip value %zu exceeds the supported maximum of %zu.", s->skip, q->skip_limit);
        return -1;
    }
    if ((v = mds_emu_params_get(ps, "$count"))) {
        if (strcasecmp(v, "true") != 0 && strcasecmp(v, "false") != 0) {
            snprintf(msg, n, "Invalid value '%.32s' for query option $count: expected true or false.", v);
            return -1;
        }
        s->want_count = strcasecmp(v, "true") == 0;
    }
    if ((v = mds_emu_params_get(ps, "$orderby")) && apply_orderby(d, v, s, msg, n))
        return -1;
    if ((v = mds_emu_params_get(ps, "$filter")) && apply_filter(d, v, s, msg, n))
        return -1;
    return 0;
}
