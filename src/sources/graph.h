/*
 * graph.h - Microsoft Graph security alerts_v2 source: page parsing,
 * exposed for unit tests and fuzzing.
 */
#ifndef MDS_SOURCES_GRAPH_H
#define MDS_SOURCES_GRAPH_H

#include "core/json.h"
#include "core/state.h"

struct mds_graph_page {
    struct mds_item *items; /* point into the parsed body */
    size_t n, cap;
    int has_next;           /* @odata.nextLink present */
    int sorted;             /* versions ascending, as $orderby asked */
    mds_ticks max_version;
    size_t unversioned;     /* items without a parseable version */
};

void mds_graph_page_finish(struct mds_graph_page *p);

/* Parses a collection page {"value":[...], "@odata.nextLink":...}.
 * `version_key` names the member that versions an item (e.g.
 * "lastUpdateDateTime"). MDS_ERR_PARSE (err says where) when the body is
 * not such a page. */
mds_err mds_graph_parse_page(struct mds_json *j, const char *body, size_t len, const char *version_key,
                             struct mds_graph_page *page, char *err, size_t errlen);

/*
 * Keyset paging state of one collection cycle (see graph.c): the filter's
 * lower bound moves to the newest version seen; $skip only steps over a
 * full page of one timestamp, or pages a server that ignores $orderby.
 */
struct mds_keyset {
    mds_ticks since;        /* $filter=<key> ge since */
    size_t skip;            /* $skip */
    size_t max_page;        /* largest page the server returned so far */
    int page_size;          /* $top */
    mds_ticks unsorted_max; /* nonzero once the server ignored $orderby */
};

/* Starts a cycle at cursor - overlap. max_page carries over between
 * cycles (it describes the server). */
void mds_keyset_start(struct mds_keyset *k, mds_ticks cursor, mds_ticks overlap, int page_size);

/* Folds a fetched page in; 1 when another request is needed, 0 when the
 * cycle has everything. */
int mds_keyset_advance(struct mds_keyset *k, const struct mds_graph_page *page);

#endif
