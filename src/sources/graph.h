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

#endif
