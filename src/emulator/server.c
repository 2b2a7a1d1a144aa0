/*
 * server.c - libmicrohttpd glue: one thread per connection, a route
 * table, response helpers shared by all doors, statistics.
 *
 * Per request: the URI-log callback allocates a struct mds_emu_req with
 * the raw request target; the access handler collects the body (with a
 * ceiling), then prepares the request (path segments, query parameters),
 * dispatches it through `routes`, injects faults on API doors and queues
 * the response; the completion callback frees it. Handlers run on the
 * connection's thread and take e->lock only around universe access.
 */
#include "emulator/internal.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/mem.h"

#define TAG "emulate"
#define GRAPH_JSON                                                                                           \
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

static const struct mds_emu_route routes[] = {
    {"POST", "/*/oauth2/token", MDS_EMU_DOOR_TOKEN, mds_emu_token_v1},
    {"POST", "/*/oauth2/v2.0/token", MDS_EMU_DOOR_TOKEN, mds_emu_token_v2},
    {"GET", "/*/oauth2/authorize", MDS_EMU_DOOR_TOKEN, mds_emu_authorize_v1},
    {"GET", "/*/oauth2/v2.0/authorize", MDS_EMU_DOOR_TOKEN, mds_emu_authorize_v2},
    {"GET", "/v1.0/security/alerts_v2", MDS_EMU_DOOR_GRAPH, mds_emu_graph_alerts},
    {"GET", "/v1.0/security/alerts_v2/*", MDS_EMU_DOOR_GRAPH, mds_emu_graph_alert},
    {"GET", "/v1.0/security/incidents", MDS_EMU_DOOR_GRAPH, mds_emu_graph_incidents},
    {"GET", "/v1.0/security/incidents/*", MDS_EMU_DOOR_GRAPH, mds_emu_graph_incident},
    {"GET", "/v1.0/security/incidents/*/alerts", MDS_EMU_DOOR_GRAPH, mds_emu_graph_incident_alerts},
    {"POST", "/_emulator/create", MDS_EMU_DOOR_ADMIN, mds_emu_admin_create},
    {"POST", "/_emulator/update", MDS_EMU_DOOR_ADMIN, mds_emu_admin_update},
    {"GET", "/_emulator/state", MDS_EMU_DOOR_ADMIN, mds_emu_admin_state},
    {"GET", "/_emulator/versions", MDS_EMU_DOOR_ADMIN, mds_emu_admin_versions},
    {"GET", "/api/alerts", MDS_EMU_DOOR_MDE, mds_emu_mde_alerts},
    {"GET", "/api/alerts/*", MDS_EMU_DOOR_MDE, mds_emu_mde_alert},
    {"GET", "/api/alerts", MDS_EMU_DOOR_SIEM, mds_emu_siem_alerts},
};

mds_ticks mds_emu_now(const struct mds_emu *e)
{
    return e->cfg.clock ? e->cfg.clock : mds_time_now();
}

/* ------------------------------------------------------------ helpers */

void mds_emu_header(struct mds_emu_req *req, const char *name, const char *value)
{
    if (req->nheaders >= MDS_EMU_MAX_HEADERS)
        return;
    req->hname[req->nheaders] = name;
    snprintf(req->hvalue[req->nheaders], sizeof req->hvalue[0], "%s", value);
    req->nheaders++;
}

void mds_emu_redirect(struct mds_emu_req *req, const char *url)
{
    mds_free(req->location);
    req->location = mds_strdup(url);
    req->status = req->location ? 302 : 500;
}

const char *mds_emu_request_header(const struct mds_emu_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void mds_emu_http_date(mds_ticks t, char *buf, size_t size)
{
    char full[40];
    mds_time_format(t, 0, full, sizeof full);
    snprintf(buf, size, "%.19s", full);
}

static const char *client_request_id(const struct mds_emu_req *req)
{
    const char *c = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "client-request-id");
    return c && strlen(c) < 100 ? c : req->request_id;
}

void mds_emu_graph_error(struct mds_emu_req *req, unsigned status, const char *code, const char *message)
{
    char date[32];
    struct mds_emu_jw w;
    mds_emu_http_date(req->now, date, sizeof date);
    mds_buf_reset(&req->out);
    req->status = status;
    req->content_type = "application/json";
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_open(&w, "error", '{');
    mds_emu_jw_str(&w, "code", code);
    mds_emu_jw_str(&w, "message", message);
    mds_emu_jw_open(&w, "innerError", '{');
    mds_emu_jw_str(&w, "date", date);
    mds_emu_jw_str(&w, "request-id", req->request_id);
    mds_emu_jw_str(&w, "client-request-id", client_request_id(req));
    mds_emu_jw_close(&w, '}');
    mds_emu_jw_close(&w, '}');
    mds_emu_jw_close(&w, '}');
}

void mds_emu_door_error(struct mds_emu_req *req, unsigned status, const char *code, const char *message)
{
    struct mds_emu_jw w;
    if (req->door != MDS_EMU_DOOR_MDE && req->door != MDS_EMU_DOOR_SIEM) {
        mds_emu_graph_error(req, status, code, message);
        return;
    }
    mds_buf_reset(&req->out);
    req->status = status;
    req->content_type = "application/json; charset=utf-8";
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_open(&w, "error", '{');
    mds_emu_jw_str(&w, "code", code);
    mds_emu_jw_str(&w, "message", message);
    mds_emu_jw_str(&w, "target", req->request_id);
    mds_emu_jw_close(&w, '}');
    mds_emu_jw_close(&w, '}');
}

int mds_emu_auth(struct mds_emu_req *req, unsigned need_roles)
{
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
    const char *msg;
    unsigned roles = 0;
    if (!h || !*h)
        msg = "Access token is empty.";
    else if (strncasecmp(h, "Bearer ", 7) != 0)
        msg = "Authorization header must use the Bearer scheme.";
    else
        msg = mds_emu_token_check(req->emu, h + 7, strlen(h + 7), req->door, req->host, &roles);
    if (msg == mds_emu_msg_wrong_tenant && req->door == MDS_EMU_DOOR_SIEM) {
        mds_emu_door_error(req, 403, "Forbidden", msg); /* spec 1.10: another tenant's token */
        return 1;
    }
    if (msg) {
        mds_emu_door_error(
            req, 401, req->door == MDS_EMU_DOOR_GRAPH ? "InvalidAuthenticationToken" : "Unauthorized", msg);
        mds_emu_header(
            req, "WWW-Authenticate",
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/"
            "authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"");
        return 1;
    }
    if (req->fault == MDS_EMU_FAULT_EXPIRE) {
        mds_emu_door_error(req, 401,
                           req->door == MDS_EMU_DOOR_GRAPH ? "InvalidAuthenticationToken" : "Unauthorized",
                           "Lifetime validation failed, the token is expired.");
        return 1;
    }
    if ((roles & need_roles) != need_roles) {
        char text[160];
        snprintf(text, sizeof text, "Missing application roles. API required roles: %s.",
                 mds_emu_role_names[need_roles & MDS_EMU_ROLE_ALERT      ? 0
                                    : need_roles & MDS_EMU_ROLE_INCIDENT ? 1
                                                                         : 2]);
        mds_emu_door_error(req, 403, "Forbidden", text);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ routing */

/* Nonzero when the path segments match pattern ('*' = any one segment). */
static int pattern_matches(const char *pattern, struct mds_emu_req *req)
{
    const char *p = pattern + 1;
    int i = 0;
    for (; *p || i < req->nseg; i++) {
        if (i >= req->nseg || !*p)
            return 0;
        size_t n = strcspn(p, "/");
        if (!(n == 1 && *p == '*' && req->seg[i][0]) &&
            (strlen(req->seg[i]) != n || strncmp(p, req->seg[i], n)))
            return 0;
        p += n + (p[n] == '/');
    }
    return 1;
}

static void not_found(struct mds_emu_req *req)
{
    char msg[300];
    snprintf(msg, sizeof msg, "Resource not found for the segment '%.200s'.",
             req->nseg ? req->seg[req->nseg - 1] : "/");
    mds_emu_graph_error(req, 404, "BadRequest", msg);
}

static void dispatch(struct mds_emu_req *req)
{
    const struct mds_emu_route *rt = NULL;
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !rt; i++) {
        if ((routes[i].door == MDS_EMU_DOOR_SIEM) != req->siem || !pattern_matches(routes[i].pattern, req))
            continue;
        path_known = 1;
        if (strcmp(routes[i].method, req->method) == 0)
            rt = &routes[i];
    }
    if (!rt) {
        if (path_known)
            mds_emu_graph_error(req, 405, "Request_BadRequest",
                                "The HTTP method is not allowed for this resource.");
        else
            not_found(req);
        return;
    }
    req->door = rt->door;
    if (req->body_too_large) {
        mds_emu_door_error(req, 413, "RequestEntityTooLarge", "The request body is too large.");
        return;
    }
    if (req->door != MDS_EMU_DOOR_TOKEN && req->door != MDS_EMU_DOOR_ADMIN) {
        req->fault = mds_emu_fault_draw(req->emu);
        if (req->fault >= 0 && mds_emu_fault_apply(req, req->fault))
            return;
    }
    rt->handle(req);
}

/* Legacy SIEM requests: a "wdatp-alertexporter-*" Host, or a path under
 * --siem-path-prefix (whose segments are then removed). */
static void detect_siem(struct mds_emu_req *req)
{
    const char *prefix = req->emu->cfg.siem_prefix;
    int k = 0;
    if (req->host && strncasecmp(req->host, "wdatp-alertexporter-", 20) == 0) {
        req->siem = 1;
        return;
    }
    for (const char *p = prefix; *p == '/' && p[1];) {
        size_t n = strcspn(p + 1, "/");
        if (k >= req->nseg || strlen(req->seg[k]) != n || strncmp(req->seg[k], p + 1, n) != 0)
            return;
        k++;
        p += 1 + n;
    }
    if (k == 0)
        return;
    req->siem = 1;
    req->nseg -= k;
    memmove(req->seg, req->seg + k, (size_t)req->nseg * sizeof req->seg[0]);
}

/* Splits the target into decoded path segments and query parameters. */
static mds_err prepare(struct mds_emu_req *req, const char *method)
{
    struct mds_emu *e = req->emu;
    snprintf(req->method, sizeof req->method, "%s", method);
    req->host = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Host");
    req->now = mds_emu_now(e);
    struct mds_emu_rng r;
    mds_emu_rng_seed(&r, e->cfg.seed,
                     0x72657100 + __atomic_fetch_add(&e->request_counter, 1, __ATOMIC_RELAXED));
    mds_emu_rng_guid(&r, req->request_id);
    char *q = strchr(req->uri, '?');
    size_t plen = q ? (size_t)(q - req->uri) : strlen(req->uri);
    req->query = q ? q + 1 : "";
    req->path = mds_strndup(req->uri, plen);
    if (!req->path)
        return MDS_ERR_NOMEM;
    for (char *s = req->path; *s == '/' && req->nseg < MDS_EMU_MAX_SEGMENTS;) {
        *s++ = '\0';
        size_t n = strcspn(s, "/");
        if (n == 0 && s[n] == '\0')
            break; /* trailing slash */
        req->seg[req->nseg++] = s;
        s += n;
        if (*s == '/') {
            *s = '\0';
            mds_emu_url_decode(req->seg[req->nseg - 1], n);
            *s = '/';
        } else {
            mds_emu_url_decode(req->seg[req->nseg - 1], n);
        }
    }
    detect_siem(req);
    return mds_emu_params_parse(&req->params, req->query, strlen(req->query));
}

/* ------------------------------------------------------------ sending */

static void count_status(struct mds_emu_req *req)
{
    struct mds_emu *e = req->emu;
    if (req->door == MDS_EMU_DOOR_ADMIN)
        return;
    pthread_mutex_lock(&e->stats_lock);
    e->stats.by_status[req->status < 600 ? req->status : 599]++;
    pthread_mutex_unlock(&e->stats_lock);
}

/* The `truncate` fault: the full Content-Length is announced, half the
 * body is sent, then the connection is closed. */
struct truncated {
    char *data;
    size_t len, limit;
};

static ssize_t truncated_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct truncated *t = cls;
    if (pos >= t->limit)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = t->limit - (size_t)pos < max ? t->limit - (size_t)pos : max;
    memcpy(buf, t->data + pos, n);
    return (ssize_t)n;
}

static void truncated_free(void *cls)
{
    struct truncated *t = cls;
    mds_free(t->data);
    mds_free(t);
}

static struct MHD_Response *truncated_response(struct mds_emu_req *req)
{
    struct truncated *t = mds_malloc(sizeof *t);
    if (!t)
        return NULL;
    t->data = req->out.data;
    t->len = req->out.len;
    t->limit = t->len / 2;
    struct MHD_Response *r =
        MHD_create_response_from_callback(t->len, 64 * 1024, truncated_read, t, truncated_free);
    if (r)
        mds_buf_init(&req->out, 0);
    else
        mds_free(t);
    return r;
}

static enum MHD_Result send_response(struct mds_emu_req *req)
{
    struct MHD_Response *resp;
    if (req->fault == MDS_EMU_FAULT_MALFORMED && req->out.len > 1)
        req->out.len /= 2; /* a well-framed response whose JSON stops mid-way */
    if (req->fault == MDS_EMU_FAULT_TRUNCATE && req->out.len > 1) {
        resp = truncated_response(req);
    } else if (req->out.data && req->out.len) {
        resp = MHD_create_response_from_buffer_with_free_callback(req->out.len, req->out.data, mds_free);
        if (resp)
            mds_buf_init(&req->out, 0); /* ownership moved to MHD */
    } else {
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    const char *ct = req->content_type                 ? req->content_type
                     : req->door == MDS_EMU_DOOR_GRAPH ? GRAPH_JSON
                                                       : "application/json; charset=utf-8";
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
    MHD_add_response_header(resp, "request-id", req->request_id);
    MHD_add_response_header(resp, "client-request-id", client_request_id(req));
    for (int i = 0; i < req->nheaders; i++)
        MHD_add_response_header(resp, req->hname[i], req->hvalue[i]);
    if (req->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, req->location);
    count_status(req);
    enum MHD_Result r = MHD_queue_response(req->conn, req->status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* ------------------------------------------------------------ callbacks */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct mds_emu_req *req = mds_calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->emu = cls;
    req->conn = conn;
    req->uri = mds_strdup(uri ? uri : "/");
    req->fault = -1;
    req->status = 500;
    mds_buf_init(&req->body, MDS_EMU_MAX_BODY);
    mds_buf_init(&req->out, MDS_EMU_MAX_RESPONSE);
    return req;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct mds_emu_req *req = *con_cls;
    if (!req)
        return;
    mds_emu_params_finish(&req->params);
    mds_buf_finish(&req->body);
    mds_buf_finish(&req->out);
    mds_free(req->path);
    mds_free(req->uri);
    mds_free(req->location);
    mds_free(req);
    *con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct mds_emu_req *req = *con_cls;
    if (!req || !req->uri)
        return MHD_NO;
    if (!req->method[0]) { /* first call: headers only */
        snprintf(req->method, sizeof req->method, "%s", method);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (mds_buf_append(&req->body, upload_data, *upload_data_size))
            req->body_too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (prepare(req, method) != MDS_OK)
        mds_emu_graph_error(req, 400, "BadRequest", "The request URI could not be parsed.");
    else
        dispatch(req);
    if (req->fault == MDS_EMU_FAULT_RESET)
        return MHD_NO;
    return send_response(req);
}

/* -------------------------------------------------------------- daemon */

static mds_err start_daemon(struct mds_emu *e, char *errstr, size_t errlen)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)e->cfg.port);
    if (inet_pton(AF_INET, e->cfg.host, &sa.sin_addr) != 1) {
        snprintf(errstr, errlen, "--listen: '%s' is not a numeric IPv4 address", e->cfg.host);
        return MDS_ERR_ARG;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO;
    if (e->cfg.tls_cert[0]) {
        mds_err err = mds_emu_tls_load(e->cfg.tls_cert, &e->tls_cert, &e->tls_key, errstr, errlen);
        if (err)
            return err;
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem opts[4] = {{MHD_OPTION_SOCK_ADDR, 0, &sa}};
    if (e->tls_cert) {
        opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, e->tls_cert};
        opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, e->tls_key};
    }
    opts[e->tls_cert ? 3 : 1] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, (uint16_t)e->cfg.port, NULL, NULL, on_request, e, MHD_OPTION_ARRAY, opts,
                         MHD_OPTION_URI_LOG_CALLBACK, on_uri, e, MHD_OPTION_NOTIFY_COMPLETED, on_done, e,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                         (size_t)(256 * 1024), MHD_OPTION_END);
    if (!d) {
        snprintf(errstr, errlen, "cannot listen on %s:%u (address in use or not permitted)", e->cfg.host,
                 e->cfg.port);
        return MDS_ERR_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    e->port = info ? info->port : e->cfg.port;
    e->daemon = d;
    return MDS_OK;
}

mds_err mds_emu_create(const struct mds_emu_config *cfg, struct mds_emu **out, char *errstr, size_t errlen)
{
    struct mds_emu *e = mds_calloc(1, sizeof *e);
    mds_err err;
    *out = NULL;
    if (!e)
        return MDS_ERR_NOMEM;
    e->cfg = *cfg;
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->stats_lock, NULL);
    mds_emu_token_key(e);
    mds_emu_faults_init(e);
    err = mds_emu_universe_init(&e->universe, cfg->seed, cfg->alerts, mds_emu_now(e), &cfg->quirks);
    if (err) {
        snprintf(errstr, errlen, "cannot generate %zu alerts: %s", cfg->alerts, mds_strerror(err));
        goto fail;
    }
    if ((err = start_daemon(e, errstr, errlen)))
        goto fail;
    mds_info(TAG, "listening on %s:%u with %zu alerts (seed %" PRIu64 ")", cfg->host, e->port, cfg->alerts,
             cfg->seed);
    *out = e;
    return MDS_OK;
fail:
    mds_emu_destroy(e);
    return err;
}

unsigned mds_emu_port(const struct mds_emu *e)
{
    return e->port;
}

void mds_emu_destroy(struct mds_emu *e)
{
    if (!e)
        return;
    if (e->daemon)
        MHD_stop_daemon(e->daemon);
    mds_emu_universe_finish(&e->universe);
    mds_free(e->tls_cert);
    mds_free(e->tls_key);
    pthread_mutex_destroy(&e->lock);
    pthread_mutex_destroy(&e->stats_lock);
    mds_free(e);
}
