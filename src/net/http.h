/*
 * http.h - the HTTP client (libcurl), one handle per source or output.
 *
 * A handle keeps its connection alive between requests. Responses are
 * collected into a buffer with a ceiling (max_body): a larger body is an
 * error (MDS_ERR_LIMIT), never silently cut. Requests abort promptly when
 * the process is shutting down (MDS_ERR_STOPPED).
 * Not thread-safe: one handle per thread.
 */
#ifndef MDS_HTTP_H
#define MDS_HTTP_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/timeutil.h"

struct mds_http_conf {
    const char *proxy;     /* "http://host:port" or NULL for none (NULL = no env proxy either) */
    const char *proxy_user;
    const char *proxy_password; /* secret */
    const char *no_proxy;
    const char *ca_file;
    const char *connect_to; /* "HOST:PORT:ADDR:PORT[,...]": where to connect for a URL's host */
    int insecure;          /* skip TLS verification (warned about at start) */
    const char *user_agent;
    long timeout_ms;       /* whole request */
    long connect_timeout_ms;
    size_t max_body;
};

struct mds_http_resp {
    long status;          /* 0 when no response was received */
    struct mds_buf body;
    double retry_after;   /* seconds from Retry-After, -1 when absent */
    mds_ticks date;       /* server Date header, 0 when absent */
    char error[256];      /* transport error text */
};

struct mds_http;

struct mds_http *mds_http_create(const struct mds_http_conf *conf);
void mds_http_destroy(struct mds_http *h);

void mds_http_resp_init(struct mds_http_resp *r, size_t max_body);
void mds_http_resp_finish(struct mds_http_resp *r);

/* Performs a request. `bearer` adds "Authorization: Bearer ..."; `form`
 * makes it a POST with an application/x-www-form-urlencoded body; extra
 * is an optional NULL-terminated list of raw header lines.
 * MDS_OK means a response arrived (any status, see r->status);
 * MDS_ERR_RETRY a transport failure (r->error says which);
 * MDS_ERR_LIMIT the body exceeded the ceiling; MDS_ERR_STOPPED shutdown. */
mds_err mds_http_request(struct mds_http *h, const char *url, const char *bearer, const char *form,
                         const char *const *extra, struct mds_http_resp *r);

/* Connects to the host of url (DNS, TCP, TLS; through the proxy if one
 * is set) without sending a request. */
mds_err mds_http_connect(struct mds_http *h, const char *url, char *err, size_t errlen);

/* POSTs body[0..len) as is (bytes, not a form) with the given
 * NULL-terminated raw header lines (Content-Type, Content-Encoding,
 * Authorization ...: the caller owns and wipes any credential in them).
 * Results as for mds_http_request. */
mds_err mds_http_post(struct mds_http *h, const char *url, const char *body, size_t len,
                      const char *const *headers, struct mds_http_resp *r);

/* Parses a Retry-After value: decimal seconds ("2", "2.128") or an HTTP
 * date relative to now; -1 when it is neither. */
double mds_http_parse_retry_after(const char *v);

/* Appends s[0..n) percent-encoded for a URL query or form value
 * (unreserved characters kept, everything else %XX). */
mds_err mds_url_encode(struct mds_buf *out, const char *s, size_t n);

/* Cuts the query string and credentials from a URL for log lines. */
void mds_url_for_log(const char *url, char *buf, size_t size);

#endif
