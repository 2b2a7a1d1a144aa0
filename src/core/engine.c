/* engine.c - building sources and outputs from the configuration. */
#include "core/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "engine_internal.h"
#include "formats/escape.h"
#include "serve/compat.h"

#define MAX_ROUTES 32

const struct mds_conf_key mds_service_keys[] = {
    {"state", MDS_CONF_PATH, "./var/mdesiem.db", 0, 0, NULL, 0,
     "SQLite state file: cursors, outbox and dedupe index (WAL mode; one instance per file)"},
    {"log_level", MDS_CONF_ENUM, "info", 0, 0, "error|warn|info|debug", 0, "least severe messages logged"},
    {"log_format", MDS_CONF_ENUM, "text", 0, 0, "text|json", 0, "log line format"},
    {"log_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "append log lines to this file instead of stderr; reopened on SIGHUP (for logrotate)"},
    {"retry_initial", MDS_CONF_DURATION, "1S", 1, 3600000, NULL, 0,
     "first wait after a transient failure; doubles each retry (with jitter)"},
    {"retry_max", MDS_CONF_DURATION, "60S", 1, 86400000, NULL, 0, "longest wait between retries"},
    {"retry_limit", MDS_CONF_INT, "10", 1, 1000000, NULL, 0,
     "attempts per request before a cycle (or `once`) reports failure; `run` tries again next cycle"},
    {"batch_size", MDS_CONF_INT, "100", 1, 100000, NULL, 0,
     "records an output takes from the outbox at a time (held in memory twice: as stored and as rendered)"},
    {"concurrent_pages", MDS_CONF_INT, "2", 0, 10000, NULL, 0,
     "most sources that hold a fetched page at once (fetching, parsing, storing it); the others wait their "
     "turn. Bounds the memory pages take whatever the number of sources (0 = no limit)"},
    {"metrics_listen", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "HOST:PORT serving /metrics (Prometheus text) and /healthz during `run`, e.g. 127.0.0.1:9464"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct mds_conf_key mds_source_common_keys[] = {
    {"type", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED,
     "source type: graph, mde, siem or eventhub (one section per type below)"},
    {"outputs", MDS_CONF_LIST, NULL, 0, 0, NULL, MDS_CONF_REQUIRED,
     "names of the [output] sections this source delivers to"},
    {"recurrence", MDS_CONF_DURATION, "5M", 1000, 7 * 86400000LL, NULL, 0,
     "polling interval in QRadar syntax: 30S, 5M, 1H, 1D (a bare number means minutes)"},
    {"eps_throttle", MDS_CONF_INT, "5000", 0, 10000000, NULL, 0,
     "most records per second this source stores; excess waits, none is dropped (0 = unlimited)"},
    {"initial_lookback", MDS_CONF_DURATION, "24H", 1000, 3650 * 86400000LL, NULL, 0,
     "how far back the first collection starts when there is no cursor yet"},
    {"proxy", MDS_CONF_URL, NULL, 0, 0, NULL, 0, "HTTP proxy for every request of this source, http://host:port"},
    {"proxy_server", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "proxy host, QRadar style (with proxy_port); an alternative to proxy"},
    {"proxy_port", MDS_CONF_INT, "3128", 1, 65535, NULL, 0, "proxy port, with proxy_server"},
    {"proxy_user", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "proxy user name"},
    {"proxy_password_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "file holding the proxy password"},
    {"proxy_password_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "environment variable holding the proxy password"},
    {"no_proxy", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "comma-separated hosts reached without the proxy"},
    {"ca_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "PEM file of CA certificates to trust instead of the system's"},
    {"connect_to", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "HOST:PORT:ADDR:PORT[, ...]: connect to ADDR:PORT when a URL names HOST:PORT (split-horizon DNS, "
     "a lab, tests); TLS still checks HOST"},
    {"insecure", MDS_CONF_BOOL, "false", 0, 0, NULL, 0,
     "skip TLS certificate verification (testing only; warned about at every start)"},
    {"user_agent", MDS_CONF_STRING, "MdatpPartner-mdesiem-mdesiem/" MDS_VERSION, 0, 0, NULL, 0,
     "User-Agent header (Microsoft's partner convention)"},
    {"timeout", MDS_CONF_DURATION, "120S", 1000, 3600000, NULL, 0, "longest time one HTTP request may take"},
    {"max_response_bytes", MDS_CONF_SIZE, "256M", 4096, INT64_C(4) << 30, NULL, 0,
     "largest API response accepted; a larger one is an error, never cut"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct mds_conf_key mds_output_common_keys[] = {
    {"type", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED,
     "output type: stdout, file, syslog, http or kafka"},
    {"format", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "event format (see `mdesiem help formats`); default depends on the output type"},
    {"evidence", MDS_CONF_ENUM, NULL, 0, 0, "first|summary|split", 0,
     "evidence policy of legacy/cef/leef/ecs: one event per alert, or one per evidence too"},
    {"wrap", MDS_CONF_BOOL, "false", 0, 0, NULL, 0, "json: wrap each record with its source name and ingest time"},
    {"leef_delimiter", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "LEEF 2.0 attribute delimiter (one character or xHH)"},
    {"spool_max_bytes", MDS_CONF_SIZE, "1G", 0, INT64_C(1) << 50, NULL, 0,
     "most record bytes waiting in the outbox for this output; above it the sources that route here pause "
     "(nothing is dropped; `status` says why) until it drains (0 = no limit)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const char *mds_engine_state_path(const struct mds_engine *e) { return e->state_path; }

size_t mds_engine_sources(const struct mds_engine *e, struct mds_source *const **out)
{
    *out = e->sources;
    return e->nsources;
}
const struct mds_conf_section *mds_engine_service(const struct mds_engine *e) { return e->service; }
int mds_engine_once(const struct mds_engine *e) { return e->opts.once; }

int mds_engine_retry_limit(const struct mds_engine *e) { return e->retry_limit; }

struct mds_budget *mds_engine_page_budget(struct mds_engine *e) { return &e->pages; }

int64_t mds_engine_backoff(const struct mds_engine *e, int attempt, int64_t retry_after_ms)
{
    return mds_backoff_ms(attempt, e->retry_initial_ms, e->retry_max_ms, retry_after_ms);
}

static const struct mds_source_type *find_source_type(const char *name)
{
    for (int i = 0; mds_source_types[i]; i++)
        if (strcmp(mds_source_types[i]->name, name) == 0)
            return mds_source_types[i];
    return NULL;
}

static const struct mds_output_type *find_output_type(const char *name)
{
    for (int i = 0; mds_output_types[i]; i++)
        if (strcmp(mds_output_types[i]->name, name) == 0)
            return mds_output_types[i];
    return NULL;
}

static void list_names(char *buf, size_t size, int sources)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; sources ? mds_source_types[i] != NULL : mds_output_types[i] != NULL; i++) {
        const char *name = sources ? mds_source_types[i]->name : mds_output_types[i]->name;
        int k = snprintf(buf + n, size - n, "%s%s", i ? ", " : "", name);
        if (k < 0 || (size_t)k >= size - n)
            return;
        n += (size_t)k;
    }
}

static mds_err bad_type(const struct mds_conf *conf, struct mds_conf_section *sec, int sources, char *err,
                        size_t errlen)
{
    char label[160], names[256];
    list_names(names, sizeof names, sources);
    snprintf(err, errlen, "%s:%d: %s: unknown %s type '%s' (available: %s)", conf->path,
             mds_conf_line(sec, "type"), mds_conf_label(sec, label, sizeof label), sources ? "source" : "output",
             mds_conf_str(sec, "type"), names);
    return MDS_ERR_CONFIG;
}

static mds_err setup_service(struct mds_engine *e, char *err, size_t errlen)
{
    static const struct mds_conf_key *const tables[] = {mds_service_keys, NULL};
    static struct mds_conf_section empty = {.kind = "service"};
    struct mds_conf_section *svc = &empty;
    for (size_t i = 0; i < e->conf->nsections; i++)
        if (strcmp(e->conf->sections[i].kind, "service") == 0)
            svc = &e->conf->sections[i];
    mds_err rc = mds_conf_validate(e->conf, svc, tables, err, errlen);
    if (rc)
        return rc;
    enum mds_log_level level = MDS_LOG_INFO;
    mds_log_parse_level(mds_conf_str(svc, "log_level"), &level);
    mds_log_set_level(level);
    mds_log_set_json(strcmp(mds_conf_str(svc, "log_format"), "json") == 0);
    e->service = svc;
    e->state_path = mds_conf_str(svc, "state");
    e->retry_initial_ms = mds_conf_ms(svc, "retry_initial");
    e->retry_max_ms = mds_conf_ms(svc, "retry_max");
    e->retry_limit = (int)mds_conf_int(svc, "retry_limit");
    e->batch_size = (size_t)mds_conf_int(svc, "batch_size");
    e->pages.limit = (int)mds_conf_int(svc, "concurrent_pages");
    return MDS_OK;
}

static mds_err setup_output_format(struct mds_engine *e, struct mds_output *o, char *err, size_t errlen)
{
    char label[160];
    const char *fmt = mds_conf_str(o->sec, "format");
    const char *ev = mds_conf_str(o->sec, "evidence");
    mds_conf_label(o->sec, label, sizeof label);
    o->format = mds_format_find(fmt ? fmt : o->type->default_format);
    if (!o->format) {
        snprintf(err, errlen, "%s:%d: %s: unknown format '%s' (see `mdesiem help formats`)", e->conf->path,
                 mds_conf_line(o->sec, "format"), label, fmt);
        return MDS_ERR_CONFIG;
    }
    mds_format_opts_init(&o->format_opts);
    o->format_opts.wrap = mds_conf_bool(o->sec, "wrap");
    if (ev)
        o->format_opts.evidence = strcmp(ev, "split") == 0 ? MDS_EVIDENCE_SPLIT
                                  : strcmp(ev, "summary") == 0 ? MDS_EVIDENCE_SUMMARY
                                                               : MDS_EVIDENCE_FIRST;
    const char *delim = mds_conf_str(o->sec, "leef_delimiter");
    if (delim && mds_leef_delimiter_parse(delim, &o->format_opts.leef_delimiter)) {
        snprintf(err, errlen, "%s:%d: %s: leef_delimiter must be one character, \\t, tab or xHH (not NUL, CR, "
                 "LF, '=' or '|')", e->conf->path, mds_conf_line(o->sec, "leef_delimiter"), label);
        return MDS_ERR_CONFIG;
    }
    return MDS_OK;
}

static mds_err add_output(struct mds_engine *e, struct mds_conf_section *sec, char *err, size_t errlen)
{
    const struct mds_conf_key *tables[3] = {mds_output_common_keys, NULL, NULL};
    const char *type = mds_conf_str(sec, "type");
    const struct mds_output_type *t = type ? find_output_type(type) : NULL;
    if (type && !t)
        return bad_type(e->conf, sec, 0, err, errlen);
    tables[1] = t ? t->keys : NULL;
    mds_err rc = mds_conf_validate(e->conf, sec, tables, err, errlen);
    if (rc)
        return rc;
    struct mds_output *o = mds_calloc(1, sizeof *o);
    if (!o)
        return MDS_ERR_NOMEM;
    e->outputs[e->noutputs++] = o;
    o->type = t;
    o->sec = sec;
    o->conf = e->conf;
    o->engine = e;
    o->name = sec->name;
    snprintf(o->tag, sizeof o->tag, "output:%s", sec->name);
    o->spool_max = mds_conf_bytes(sec, "spool_max_bytes");
    if ((rc = setup_output_format(e, o, err, errlen)))
        return rc;
    return t->create(o, err, errlen);
}

static struct mds_output *find_output(struct mds_engine *e, const char *name)
{
    for (size_t i = 0; i < e->noutputs; i++)
        if (strcmp(e->outputs[i]->name, name) == 0)
            return e->outputs[i];
    return NULL;
}

static mds_err setup_routes(struct mds_engine *e, struct mds_source *s, char *err, size_t errlen)
{
    char *names[MAX_ROUTES], label[160];
    const char *v = mds_conf_str(s->sec, "outputs");
    size_t cap = strlen(v) + 1;
    s->routes_storage = mds_malloc(cap);
    s->routes = mds_calloc(MAX_ROUTES, sizeof *s->routes);
    if (!s->routes_storage || !s->routes)
        return MDS_ERR_NOMEM;
    int n = mds_conf_split_list(v, s->routes_storage, cap, names, MAX_ROUTES);
    mds_conf_label(s->sec, label, sizeof label);
    for (int i = 0; i < n; i++) {
        if (!find_output(e, names[i])) {
            snprintf(err, errlen, "%s:%d: %s: outputs names '%s', but there is no [output %s] section",
                     e->conf->path, mds_conf_line(s->sec, "outputs"), label, names[i], names[i]);
            return MDS_ERR_CONFIG;
        }
        s->routes[s->nroutes++] = names[i];
    }
    if (e->compat && mds_compat_feeds(e->compat, s->name) && n > 0 && n < MAX_ROUTES)
        s->routes[s->nroutes++] = MDS_COMPAT_OUTPUT;
    if (n <= 0) {
        snprintf(err, errlen, "%s:%d: %s: outputs must name between 1 and %d outputs", e->conf->path,
                 mds_conf_line(s->sec, "outputs"), label, MAX_ROUTES);
        return MDS_ERR_CONFIG;
    }
    return MDS_OK;
}

static mds_err setup_http(struct mds_engine *e, struct mds_source *s, char *err, size_t errlen)
{
    struct mds_http_conf *h = &s->http_conf;
    mds_err rc = mds_conf_secret(e->conf, s->sec, "proxy_password", 1, &s->proxy_password, err, errlen);
    if (rc)
        return rc;
    const char *server = mds_conf_str(s->sec, "proxy_server");
    h->proxy = mds_conf_str(s->sec, "proxy");
    if (server && h->proxy) {
        snprintf(err, errlen, "%s:%d: [source %s]: set proxy or proxy_server/proxy_port, not both", e->conf->path,
                 mds_conf_line(s->sec, "proxy_server"), s->name);
        return MDS_ERR_CONFIG;
    }
    if (server) {
        snprintf(s->proxy_url, sizeof s->proxy_url, "http://%s:%lld", server, (long long)mds_conf_int(s->sec, "proxy_port"));
        h->proxy = s->proxy_url;
    }
    h->proxy_user = mds_conf_str(s->sec, "proxy_user");
    h->proxy_password = s->proxy_password;
    h->no_proxy = mds_conf_str(s->sec, "no_proxy");
    h->ca_file = mds_conf_str(s->sec, "ca_file");
    h->connect_to = mds_conf_str(s->sec, "connect_to");
    h->insecure = mds_conf_bool(s->sec, "insecure");
    h->user_agent = mds_conf_str(s->sec, "user_agent");
    h->timeout_ms = (long)mds_conf_ms(s->sec, "timeout");
    h->max_body = (size_t)mds_conf_bytes(s->sec, "max_response_bytes");
    if (h->insecure)
        mds_warn(s->tag, "insecure = true: TLS certificates are NOT verified; anyone on the path can read "
                         "and change this source's traffic");
    s->http = mds_http_create(h);
    return s->http ? MDS_OK : MDS_ERR_NOMEM;
}

static mds_err add_source(struct mds_engine *e, struct mds_conf_section *sec, char *err, size_t errlen)
{
    const struct mds_conf_key *tables[MDS_CONF_MAX_TABLES + 1] = {mds_source_common_keys};
    const char *type = mds_conf_str(sec, "type");
    const struct mds_source_type *t = type ? find_source_type(type) : NULL;
    if (type && !t)
        return bad_type(e->conf, sec, 1, err, errlen);
    tables[1] = t ? t->keys : NULL;
    for (int i = 0; t && t->more_keys && t->more_keys[i] && i + 2 < MDS_CONF_MAX_TABLES; i++)
        tables[i + 2] = t->more_keys[i];
    mds_err rc = mds_conf_validate(e->conf, sec, tables, err, errlen);
    if (rc)
        return rc;
    struct mds_source *s = mds_calloc(1, sizeof *s);
    if (!s)
        return MDS_ERR_NOMEM;
    e->sources[e->nsources++] = s;
    s->type = t;
    s->sec = sec;
    s->conf = e->conf;
    s->engine = e;
    s->name = sec->name;
    snprintf(s->tag, sizeof s->tag, "source:%s", sec->name);
    s->recurrence_ms = mds_conf_ms(sec, "recurrence");
    mds_throttle_init(&s->throttle, (double)mds_conf_int(sec, "eps_throttle"));
    if ((rc = setup_routes(e, s, err, errlen)) || (rc = setup_http(e, s, err, errlen)))
        return rc;
    return t->create(s, err, errlen);
}

static mds_err check_section_kinds(struct mds_engine *e, char *err, size_t errlen)
{
    char label[160];
    for (size_t i = 0; i < e->conf->nsections; i++) {
        struct mds_conf_section *s = &e->conf->sections[i];
        int named = strcmp(s->kind, "source") == 0 || strcmp(s->kind, "output") == 0 ||
                    strcmp(s->kind, "client") == 0;
        if ((strcmp(s->kind, "service") == 0 || strcmp(s->kind, "serve") == 0) && !s->name)
            continue;
        if (named && s->name)
            continue;
        snprintf(err, errlen, "%s:%d: %s: expected [service], [source NAME], [output NAME], [serve] or "
                 "[client NAME]", e->conf->path,
                 s->line, mds_conf_label(s, label, sizeof label));
        return MDS_ERR_CONFIG;
    }
    return MDS_OK;
}

/* [serve]: the compat server and its internal output "@compat", which
 * renders legacy detections (one per evidence) into the served table. */
static mds_err setup_compat(struct mds_engine *e, char *err, size_t errlen)
{
    struct mds_conf_section *serve = NULL;
    for (size_t i = 0; i < e->conf->nsections; i++)
        if (strcmp(e->conf->sections[i].kind, "serve") == 0)
            serve = &e->conf->sections[i];
    if (!serve)
        return MDS_OK;
    mds_err rc = mds_compat_create(e->conf, serve, &e->compat, err, errlen);
    if (rc)
        return rc;
    struct mds_output *o = mds_calloc(1, sizeof *o);
    if (!o)
        return MDS_ERR_NOMEM;
    e->outputs[e->noutputs++] = o;
    o->type = &mds_output_compat;
    o->sec = serve;
    o->conf = e->conf;
    o->engine = e;
    o->name = MDS_COMPAT_OUTPUT;
    o->ctx = e->compat;
    snprintf(o->tag, sizeof o->tag, "output:%s", o->name);
    o->format = mds_format_find("legacy");
    mds_format_opts_init(&o->format_opts);
    o->format_opts.evidence = MDS_EVIDENCE_SPLIT;
    return o->format ? MDS_OK : MDS_ERR_INTERNAL;
}

/* Every source [serve] names must exist. */
static mds_err check_compat_feeds(struct mds_engine *e, char *err, size_t errlen)
{
    char storage[1024], *names[32];
    struct mds_conf_section *serve = NULL;
    if (!e->compat)
        return MDS_OK;
    for (size_t i = 0; i < e->noutputs; i++)
        if (strcmp(e->outputs[i]->name, MDS_COMPAT_OUTPUT) == 0)
            serve = e->outputs[i]->sec;
    int n = mds_conf_split_list(mds_conf_str(serve, "sources"), storage, sizeof storage, names, 32);
    for (int k = 0; k < n; k++) {
        size_t i = 0;
        while (i < e->nsources && strcmp(e->sources[i]->name, names[k]) != 0)
            i++;
        if (i == e->nsources) {
            snprintf(err, errlen, "%s:%d: [serve]: sources names '%s', but there is no [source %s] section",
                     e->conf->path, mds_conf_line(serve, "sources"), names[k], names[k]);
            return MDS_ERR_CONFIG;
        }
    }
    return MDS_OK;
}

static mds_err build(struct mds_engine *e, char *err, size_t errlen)
{
    mds_err rc;
    if ((rc = check_section_kinds(e, err, errlen)) || (rc = setup_service(e, err, errlen)) ||
        (rc = setup_compat(e, err, errlen)))
        return rc;
    for (size_t i = 0; i < e->conf->nsections; i++)
        if (strcmp(e->conf->sections[i].kind, "output") == 0 &&
            (rc = add_output(e, &e->conf->sections[i], err, errlen)))
            return rc;
    for (size_t i = 0; i < e->conf->nsections; i++)
        if (strcmp(e->conf->sections[i].kind, "source") == 0 &&
            (rc = add_source(e, &e->conf->sections[i], err, errlen)))
            return rc;
    if (e->nsources == 0) {
        snprintf(err, errlen, "%s: no [source NAME] section: nothing to collect", e->conf->path);
        return MDS_ERR_CONFIG;
    }
    return check_compat_feeds(e, err, errlen);
}

mds_err mds_engine_create(struct mds_conf *conf, const struct mds_engine_opts *opts, struct mds_engine **out,
                          char *err, size_t errlen)
{
    struct mds_engine *e = mds_calloc(1, sizeof *e);
    *out = NULL;
    if (!e)
        return MDS_ERR_NOMEM;
    e->conf = conf;
    e->opts = *opts;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->wake, NULL);
    mds_budget_init(&e->pages, 0);
    e->sources = mds_calloc(conf->nsections + 1, sizeof *e->sources);
    e->outputs = mds_calloc(conf->nsections + 1, sizeof *e->outputs);
    mds_err rc = (e->sources && e->outputs) ? build(e, err, errlen) : MDS_ERR_NOMEM;
    if (rc == MDS_ERR_NOMEM)
        snprintf(err, errlen, "out of memory");
    if (rc) {
        mds_engine_destroy(e);
        return rc;
    }
    *out = e;
    return MDS_OK;
}

void mds_engine_destroy(struct mds_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nsources; i++) {
        struct mds_source *s = e->sources[i];
        if (s->ctx && s->type->destroy)
            s->type->destroy(s);
        mds_http_destroy(s->http);
        mds_conf_secret_free(s->proxy_password);
        mds_free(s->routes);
        mds_free(s->routes_storage);
        mds_free(s);
    }
    for (size_t i = 0; i < e->noutputs; i++) {
        struct mds_output *o = e->outputs[i];
        if (o->ctx && o->type->destroy)
            o->type->destroy(o);
        mds_free(o);
    }
    mds_compat_destroy(e->compat);
    mds_free(e->sources);
    mds_free(e->outputs);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->wake);
    mds_budget_finish(&e->pages);
    mds_free(e);
}
