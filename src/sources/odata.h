/*
 * odata.h - polling an OData collection of versioned items: Graph
 * alerts_v2 and incidents, the MDE alert API. The collection differs
 * (path, version member, $expand, limits); cursor, keyset paging,
 * retries and commits are shared. Page parsing and the paging decisions
 * are pure functions, exposed for unit tests and fuzzing.
 */
#ifndef MDS_SOURCES_ODATA_H
#define MDS_SOURCES_ODATA_H

#include "core/engine.h"
#include "core/json.h"
#include "core/state.h"
#include "core/throttle.h"

struct mds_graph_page {
    struct mds_item *items; /* point into the parsed body */
    size_t n, cap;
    int has_next;           /* @odata.nextLink present */
    int sorted;             /* versions ascending, as $orderby asked */
    mds_ticks max_version;
    size_t unversioned;     /* items without a parseable version */
};

void mds_graph_page_finish(struct mds_graph_page *p);

/* Ends a page taken with mds_source_page_begin: frees the response body
 * and the item index, gives back SQLite's cache and the budget slot.
 * Returns the bytes the page took, for the trim at the end of a cycle. */
size_t mds_page_done(struct mds_source *src, struct mds_buf *body, struct mds_graph_page *page);

/* Parses a collection page {"value":[...], "@odata.nextLink":...}.
 * `version_key` names the member that versions an item (e.g.
 * "lastUpdateDateTime"). MDS_ERR_PARSE (err says where) when the body is
 * not such a page. */
mds_err mds_graph_parse_page(struct mds_json *j, const char *body, size_t len, const char *version_key,
                             struct mds_graph_page *page, char *err, size_t errlen);

/* Parses a legacy SIEM API answer: a bare JSON array of detections. Each
 * is keyed by FullId (else AlertId) and versioned by LastProcessedTimeUtc,
 * member names matched case-insensitively. */
mds_err mds_siem_parse_array(struct mds_json *j, const char *body, size_t len, struct mds_graph_page *page, char *err,
                             size_t errlen);

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

/* What differs between collections. */
struct mds_odata_api {
    const char *path;         /* appended to the API root, e.g. "/v1.0/security/alerts_v2" */
    const char *version_key;  /* member that versions an item and names the cursor */
    const char *expand;       /* "$expand=..." or NULL */
    int orderby;              /* the service honours $orderby=<version_key> asc */
    const char *role;         /* application permission it needs */
};

/* Keys shared by every source that signs in with Entra ID, and those of
 * the OData sources; mds_odata_tables lists both for a source type. */
extern const struct mds_conf_key mds_entra_keys[];
extern const struct mds_conf_key mds_odata_keys[];
extern const struct mds_conf_key *const mds_odata_tables[];

struct mds_odata_target {
    const struct mds_odata_api *api;
    const char *api_root;     /* e.g. https://graph.microsoft.com (api_url overrides) */
    const char *audience;     /* token audience: scope = audience + "/.default", v1 resource = audience */
    int page_size;
    int per_minute, per_hour; /* client-side request limits; 0 = none */
};

/* Reads the Entra and collection keys of src into src->ctx. */
mds_err mds_odata_create(struct mds_source *src, const struct mds_odata_target *target, char *err, size_t errlen);
mds_err mds_odata_collect(struct mds_source *src, char *err, size_t errlen);
void mds_odata_destroy(struct mds_source *src);
void mds_odata_check(struct mds_source *src, struct mds_check *chk);

#endif
