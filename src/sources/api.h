/*
 * api.h - one authenticated GET with the engine's retry policy, shared by
 * the polling sources (graph, mde, siem).
 *
 * The token comes from the source's mds_oauth; a 401 drops it and the
 * request is retried once with a fresh one. 429 and 503 wait as long as
 * Retry-After says; other 5xx, 408, transport errors and bodies the
 * caller's `accept` rejects as malformed (a truncated page) back off
 * exponentially. After the [service] retry_limit the cycle fails with a
 * message; nothing is skipped.
 */
#ifndef MDS_SOURCES_API_H
#define MDS_SOURCES_API_H

#include "core/engine.h"
#include "net/http.h"
#include "net/oauth.h"

/* Called with a 200 response: MDS_OK to take it, MDS_ERR_PARSE to retry
 * (err says what was wrong), anything else to fail the cycle. */
typedef mds_err (*mds_api_accept_fn)(void *arg, struct mds_http_resp *r, char *err, size_t errlen);

mds_err mds_api_get(struct mds_source *src, struct mds_oauth *oauth, const char *url, const char *const *headers,
                    struct mds_http_resp *r, mds_api_accept_fn accept, void *arg, char *err, size_t errlen);

#endif
