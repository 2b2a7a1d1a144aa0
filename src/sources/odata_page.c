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

static void read_item(const struct mds_json *j, int obj, int id, int ver, struct mds_graph_page *p)
{
    struct mds_item *it = &p->items[p->n++];
    size_t vlen = 0;
    memset(it, 0, sizeof *it);
    it->body = j->js + j->tok[obj].start;
    it->body_len = (size_t)(j->tok[obj].end - j->tok[obj].start);
    if (id >= 0 && j->tok[id].type == JSMN_STRING)
        it->id = mds_json_raw(j, id, &it->id_len);
    else
        it->id = "";
    const char *v = ver >= 0 && j->tok[ver].type == JSMN_STRING ? mds_json_raw(j, ver, &vlen) : NULL;
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

mds_err mds_graph_parse_page(struct mds_json *j, const char *body, size_t len, const char *version_key,
                             struct mds_graph_page *p, char *err, size_t errlen)
{
    page_reset(p);
    mds_err rc = mds_json_parse(j, body, len);
    if (rc == MDS_ERR_PARSE) {
        snprintf(err, errlen, "malformed JSON page (%zu bytes) at byte %zu", len, j->err_offset);
        return rc;
    }
    if (rc)
        return rc;
    int value = mds_json_find(j, 0, "value");
    if (j->tok[0].type != JSMN_OBJECT || value < 0 || j->tok[value].type != JSMN_ARRAY) {
        snprintf(err, errlen, "page is not an OData collection (no \"value\" array)");
        return MDS_ERR_PARSE;
    }
    int next = mds_json_find(j, 0, "@odata.nextLink");
    p->has_next = next >= 0 && j->tok[next].type == JSMN_STRING;
    if ((rc = grow(p, (size_t)j->tok[value].size)))
        return rc;
    int k = value + 1;
    for (int i = 0; i < j->tok[value].size; i++, k = mds_json_skip(j, k)) {
        if (j->tok[k].type != JSMN_OBJECT) {
            snprintf(err, errlen, "page item %d is not a JSON object", i);
            return MDS_ERR_PARSE;
        }
        read_item(j, k, mds_json_find(j, k, "id"), mds_json_find(j, k, version_key), p);
    }
    return MDS_OK;
}

mds_err mds_siem_parse_array(struct mds_json *j, const char *body, size_t len, struct mds_graph_page *p, char *err,
                             size_t errlen)
{
    page_reset(p);
    mds_err rc = mds_json_parse(j, body, len);
    if (rc == MDS_ERR_PARSE) {
        snprintf(err, errlen, "malformed JSON answer (%zu bytes) at byte %zu", len, j->err_offset);
        return rc;
    }
    if (rc)
        return rc;
    if (j->tok[0].type != JSMN_ARRAY) {
        snprintf(err, errlen, "answer is not a JSON array of detections");
        return MDS_ERR_PARSE;
    }
    if ((rc = grow(p, (size_t)j->tok[0].size)))
        return rc;
    int k = 1;
    for (int i = 0; i < j->tok[0].size; i++, k = mds_json_skip(j, k)) {
        if (j->tok[k].type != JSMN_OBJECT) {
            snprintf(err, errlen, "detection %d is not a JSON object", i);
            return MDS_ERR_PARSE;
        }
        int id = mds_json_find_ci(j, k, "FullId");
        if (id < 0 || j->tok[id].type != JSMN_STRING || j->tok[id].end == j->tok[id].start)
            id = mds_json_find_ci(j, k, "AlertId");
        read_item(j, k, id, mds_json_find_ci(j, k, "LastProcessedTimeUtc"), p);
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
