/* httpd.c - libmicrohttpd behind a route table (see httpd.h). */
#include "serve/httpd.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/mem.h"

#define MAX_BODY (1024 * 1024)

struct mds_httpd {
    struct MHD_Daemon *daemon;
    struct mds_httpd_route *routes;
    size_t nroutes;
    int port;
};

struct mds_httpd_request {
    struct MHD_Connection *conn;
    const char *path;
    struct mds_buf *body;
};

/* Per-connection state while a POST body arrives. */
struct upload {
    struct mds_buf body;
    int too_big;
};

const char *mds_httpd_path(const struct mds_httpd_request *req) { return req->path; }

const char *mds_httpd_header(const struct mds_httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *mds_httpd_query(const struct mds_httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct each_ctx {
    const char *name;
    void (*fn)(void *, const char *);
    void *arg;
};

static enum MHD_Result each_value(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct each_ctx *c = cls;
    (void)kind;
    if (key && value && strcasecmp(key, c->name) == 0)
        c->fn(c->arg, value);
    return MHD_YES;
}

void mds_httpd_query_each(const struct mds_httpd_request *req, const char *name,
                          void (*fn)(void *arg, const char *value), void *arg)
{
    struct each_ctx c = {name, fn, arg};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, each_value, &c);
}

const char *mds_httpd_body(const struct mds_httpd_request *req, size_t *len)
{
    *len = req->body ? req->body->len : 0;
    return req->body && req->body->data ? req->body->data : "";
}

static const struct mds_httpd_route *find_route(const struct mds_httpd *h, const char *method, const char *url,
                                                int *method_mismatch)
{
    *method_mismatch = 0;
    for (size_t i = 0; i < h->nroutes; i++) {
        const struct mds_httpd_route *r = &h->routes[i];
        size_t n = strlen(r->path);
        int match = r->path[n - 1] == '*' ? strncmp(url, r->path, n - 1) == 0 : strcmp(url, r->path) == 0;
        if (!match)
            continue;
        if (strcmp(method, r->method) == 0)
            return r;
        *method_mismatch = 1;
    }
    return NULL;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct mds_httpd_response *resp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(resp->body.len, resp->body.data ? resp->body.data : "",
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", resp->content_type ? resp->content_type : "application/json");
    for (char *line = resp->headers, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        char *colon = strchr(line, ':');
        if (!nl || !colon || colon > nl)
            break;
        *nl = '\0';
        *colon = '\0';
        MHD_add_response_header(r, line, colon + 1 + strspn(colon + 1, " "));
    }
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **state)
{
    struct mds_httpd *h = cls;
    struct upload *up = *state;
    (void)version;
    if (!up) { /* first call: headers only */
        if (!(up = mds_calloc(1, sizeof *up)))
            return MHD_NO;
        mds_buf_init(&up->body, MAX_BODY);
        *state = up;
        return MHD_YES;
    }
    if (*data_size) {
        if (mds_buf_append(&up->body, data, *data_size))
            up->too_big = 1;
        *data_size = 0;
        return MHD_YES;
    }
    struct mds_httpd_response resp = {.status = 200};
    struct mds_httpd_request req = {.conn = conn, .path = url, .body = &up->body};
    int wrong_method;
    const struct mds_httpd_route *route = find_route(h, method, url, &wrong_method);
    mds_buf_init(&resp.body, 0);
    if (up->too_big) {
        resp.status = 413;
        mds_buf_puts(&resp.body, "{\"error\":\"request body too large\"}");
    } else if (route) {
        route->handler(route->arg, &req, &resp);
    } else {
        resp.status = wrong_method ? 405 : 404;
        mds_buf_puts(&resp.body, wrong_method ? "{\"error\":\"method not allowed\"}" : "{\"error\":\"not found\"}");
    }
    enum MHD_Result ok = send_response(conn, &resp);
    mds_buf_finish(&resp.body);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode code)
{
    struct upload *up = *state;
    (void)cls, (void)conn, (void)code;
    if (up) {
        mds_buf_finish(&up->body);
        mds_free(up);
        *state = NULL;
    }
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return -1;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        host[strlen(host) - 1] = '\0';
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1 ? 0 : -1;
    }
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
    return inet_pton(AF_INET, *host ? host : "0.0.0.0", &v4->sin_addr) == 1 ? 0 : -1;
}

static int bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

mds_err mds_httpd_start(const char *listen, const struct mds_httpd_route *routes, size_t nroutes,
                        const char *tls_cert_pem, const char *tls_key_pem, struct mds_httpd **out, char *err,
                        size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    *out = NULL;
    if (parse_listen(listen, &ss, &sslen)) {
        snprintf(err, errlen, "invalid listen address '%s' (expected HOST:PORT, e.g. 127.0.0.1:9464)", listen);
        return MDS_ERR_CONFIG;
    }
    struct mds_httpd *h = mds_calloc(1, sizeof *h);
    if (!h || !(h->routes = mds_calloc(nroutes, sizeof *routes))) {
        mds_free(h);
        return MDS_ERR_NOMEM;
    }
    memcpy(h->routes, routes, nroutes * sizeof *routes);
    h->nroutes = nroutes;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) | (tls_cert_pem ? MHD_USE_TLS : 0);
    if (tls_cert_pem)
        h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
                                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_HTTPS_MEM_CERT,
                                     tls_cert_pem, MHD_OPTION_HTTPS_MEM_KEY, tls_key_pem,
                                     MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    else
        h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
                                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                                     60u, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, errlen, "cannot listen on %s (address in use, or not an address of this host?)", listen);
        mds_free(h->routes);
        mds_free(h);
        return MDS_ERR_IO;
    }
    h->port = bound_port(h->daemon);
    *out = h;
    return MDS_OK;
}

int mds_httpd_port(const struct mds_httpd *h) { return h->port; }

void mds_httpd_stop(struct mds_httpd *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    mds_free(h->routes);
    mds_free(h);
}
