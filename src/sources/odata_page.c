/* graph_page.c - parsing an OData collection page into items. */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "sources/odata.h"

void mds_graph_page_finish(struct mds_graph_page *p)
{
    mds_free(p->items);
    memset(p, 0, sizeof *p);
}

static mds_err grow(struct mds_graph_page *p, size_t want)
{
    if (want <= p->cap)
        return MDS_OK;
    size_t cap = p->cap ? p->cap : 256;
    while (cap < want)
        cap *= 2;
    struct mds_item *it = mds_realloc(p->items, cap * sizeof *it);
    if (!it)
        return MDS_ERR_NOMEM;
    p->items = it;
    p->cap = cap;
    return MDS_OK;
}

static void page_reset(struct mds_graph_page *p)
{
    p->n = 0;
    p->has_next = 0;
    p->sorted = 1;
    p->max_version = 0;
    p->unversioned = 0;
}

/* Reads one item: its span, id and version (both strings, raw bytes). */
static void read_item(const struct mds_json_member *obj, const struct mds_json_member *id,
                      const struct mds_json_member *ver, struct mds_graph_page *p)
{
    struct mds_item *it = &p->items[p->n++];
    size_t vlen = 0;
    memset(it, 0, sizeof *it);
    it->body = obj->val;
    it->body_len = obj->val_len;
    it->id = id->val ? mds_json_member_str(id, &it->id_len) : NULL;
    if (!it->id) {
        it->id = "";
        it->id_len = 0;
    }
    const char *v = ver->val ? mds_json_member_str(ver, &vlen) : NULL;
    if (!v || mds_time_parse(v, vlen, &it->version)) {
        it->version = 0;
        p->unversioned++;
        return;
    }
    if (p->n > 1 && it->version < p->max_version)
        p->sorted = 0;
    if (it->version > p->max_version)
        p->max_version = it->version;
}

/*
 * Pages are checked strictly (mds_json_check) and then scanned, not
 * tokenised: a source needs only each item's span, id and version, and
 * tokens for a 1,000-alert page would take about 13 MB per source (kept
 * for the next page) and a third of the parsing time. The first member of
 * a given name counts, as with mds_json_find.
 */
static mds_err check_page(struct mds_json *j, const char *body, size_t len, const char *what, char *err,
                          size_t errlen)
{
    j->js = body;
    j->len = len;
    j->ntok = 0;
    j->err_offset = 0;
    if (mds_json_check(body, len, &j->err_offset) == MDS_OK)
        return MDS_OK;
    snprintf(err, errlen, "malformed JSON %s (%zu bytes) at byte %zu", what, len, j->err_offset);
    return MDS_ERR_PARSE;
}

/* Reads the items of the "value" array at m (one pass: each item is left
 * as soon as its id and version were seen). */
static mds_err read_items(struct mds_json_scan *top, struct mds_json_member *value, const char *version_key,
                          struct mds_graph_page *p, char *err, size_t errlen)
{
    struct mds_json_scan arr;
    struct mds_json_member m;
    mds_json_scan_child(top, value, &arr);
    for (int i = 0; mds_json_scan_key(&arr, &m); i++) {
        struct mds_json_scan item;
        struct mds_json_member k, id = {0}, ver = {0};
        mds_err rc;
        if (mds_json_scan_child(&arr, &m, &item) || !item.is_object) {
            snprintf(err, errlen, "page item %d is not a JSON object", i);
            return MDS_ERR_PARSE;
        }
        if ((rc = grow(p, p->n + 1)))
            return rc;
        while ((!id.val || !ver.val) && mds_json_scan_next(&item, &k)) {
            if (!id.val && mds_json_member_is(&k, "id", 0))
                id = k;
            else if (!ver.val && mds_json_member_is(&k, version_key, 0))
                ver = k;
        }
        mds_json_scan_close(&arr, &item, &m);
        read_item(&m, &id, &ver, p);
    }
    mds_json_scan_close(top, &arr, value);
    return MDS_OK;
}

mds_err mds_graph_parse_page(struct mds_json *j, const char *body, size_t len, const char *version_key,
                             struct mds_graph_page *p, char *err, size_t errlen)
{
    struct mds_json_scan top;
    struct mds_json_member m, next = {0};
    int have_value = 0;
    page_reset(p);
    mds_err rc = check_page(j, body, len, "page", err, errlen);
    if (rc)
        return rc;
    int is_object = mds_json_scan_open(&top, body, len) == 0 && top.is_object;
    while (is_object && mds_json_scan_key(&top, &m)) {
        if (!have_value && mds_json_member_is(&m, "value", 0)) {
            have_value = 1;
            if (m.val[0] != '[')
                break;
            if ((rc = read_items(&top, &m, version_key, p, err, errlen)))
                return rc;
            have_value = 2;
            continue;
        }
        mds_json_scan_skip(&top, &m);
        if (!next.val && mds_json_member_is(&m, "@odata.nextLink", 0))
            next = m;
    }
    if (have_value != 2) {
        p->n = 0;
        snprintf(err, errlen, "page is not an OData collection (no \"value\" array)");
        return MDS_ERR_PARSE;
    }
    p->has_next = next.val && next.val[0] == '"';
    return MDS_OK;
}

mds_err mds_siem_parse_array(struct mds_json *j, const char *body, size_t len, struct mds_graph_page *p, char *err,
                             size_t errlen)
{
    struct mds_json_scan arr;
    struct mds_json_member m;
    page_reset(p);
    mds_err rc = check_page(j, body, len, "answer", err, errlen);
    if (rc)
        return rc;
    if (mds_json_scan_open(&arr, body, len) || arr.is_object) {
        snprintf(err, errlen, "answer is not a JSON array of detections");
        return MDS_ERR_PARSE;
    }
    for (int i = 0; mds_json_scan_next(&arr, &m); i++) {
        struct mds_json_scan det;
        struct mds_json_member k, full = {0}, alert = {0}, ver = {0};
        if (m.val[0] != '{') {
            snprintf(err, errlen, "detection %d is not a JSON object", i);
            return MDS_ERR_PARSE;
        }
        if ((rc = grow(p, p->n + 1)))
            return rc;
        mds_json_scan_open(&det, m.val, m.val_len);
        while (mds_json_scan_next(&det, &k)) {
            if (!full.val && mds_json_member_is(&k, "FullId", 1))
                full = k;
            else if (!alert.val && mds_json_member_is(&k, "AlertId", 1))
                alert = k;
            else if (!ver.val && mds_json_member_is(&k, "LastProcessedTimeUtc", 1))
                ver = k;
        }
        size_t n = 0;
        int full_ok = full.val && mds_json_member_str(&full, &n) && n > 0;
        read_item(&m, full_ok ? &full : &alert, &ver, p);
    }
    return MDS_OK;
}

void mds_keyset_start(struct mds_keyset *k, mds_ticks cursor, mds_ticks overlap, int page_size)
{
    k->since = cursor - overlap;
    k->skip = 0;
    k->page_size = page_size;
    k->unsorted_max = 0;
}

int mds_keyset_advance(struct mds_keyset *k, const struct mds_graph_page *page)
{
    size_t n = page->n, prev_max = k->max_page;
    if (n > k->max_page)
        k->max_page = n;
    if (!page->sorted || k->unsorted_max) {
        if (page->max_version > k->unsorted_max)
            k->unsorted_max = page->max_version;
        if (!k->unsorted_max)
            k->unsorted_max = 1;
    }
    /* A page shorter than both $top and the longest page this server ever
     * sent means nothing more matched; so does an empty one. */
    if (n == 0 || (n < (size_t)k->page_size && n < prev_max))
        return 0;
    if (!k->unsorted_max && page->max_version > k->since) {
        k->since = page->max_version;
        k->skip = 0;
    } else {
        k->skip += n;
    }
    return 1;
}
