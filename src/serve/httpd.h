/*
 * httpd.h - a small HTTP server (libmicrohttpd) with a route table, for
 * /metrics, /healthz and the compat SIEM API.
 *
 * Handlers run on the server's threads; they fill a response (status,
 * content type, body, optional extra headers) and must be thread-safe.
 */
#ifndef MDS_HTTPD_H
#define MDS_HTTPD_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

struct mds_httpd;
struct mds_httpd_request;

struct mds_httpd_response {
    int status;
    const char *content_type;
    struct mds_buf body;
    char headers[512]; /* "Name: value\n" lines */
};

typedef void (*mds_httpd_handler)(void *arg, const struct mds_httpd_request *req, struct mds_httpd_response *resp);

struct mds_httpd_route {
    const char *method;  /* "GET", "POST" */
    const char *path;    /* exact path, or a prefix when ending in '*' */
    mds_httpd_handler handler;
    void *arg;
};

/* Request accessors (valid during the handler call only). */
const char *mds_httpd_path(const struct mds_httpd_request *req);
const char *mds_httpd_header(const struct mds_httpd_request *req, const char *name);
/* First value of a query argument, or NULL. */
const char *mds_httpd_query(const struct mds_httpd_request *req, const char *name);
/* Calls fn for every value of a (repeatable) query argument. */
void mds_httpd_query_each(const struct mds_httpd_request *req, const char *name,
                          void (*fn)(void *arg, const char *value), void *arg);
/* The request body (POST), NUL-terminated; empty when none. */
const char *mds_httpd_body(const struct mds_httpd_request *req, size_t *len);

/* Parses "HOST:PORT" (IPv4 or [IPv6]); port 0 picks a free one. */
mds_err mds_httpd_start(const char *listen, const struct mds_httpd_route *routes, size_t nroutes,
                        const char *tls_cert_pem, const char *tls_key_pem, struct mds_httpd **out, char *err,
                        size_t errlen);
int mds_httpd_port(const struct mds_httpd *h);
void mds_httpd_stop(struct mds_httpd *h);

#endif
