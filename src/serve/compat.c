/* compat.c - configuration, token service and stored detections of compat
 * mode (see compat.h); the /api/alerts handler is in compat_api.c. */
#include "serve/compat_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"

const struct mds_conf_key mds_serve_keys[] = {
    {"listen", MDS_CONF_STRING, "127.0.0.1:8443", 0, 0, NULL, 0,
     "HOST:PORT the legacy SIEM API is served on (the host name clients put in their URLs)"},
    {"tls_cert", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "PEM certificate (chain) for HTTPS"},
    {"tls_key", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "PEM private key for HTTPS"},
    {"allow_plain_http", MDS_CONF_BOOL, "false", 0, 0, NULL, 0,
     "serve plain HTTP on an address other than loopback (tokens would cross the network in clear)"},
    {"sources", MDS_CONF_LIST, NULL, 0, 0, NULL, MDS_CONF_REQUIRED,
     "the graph or mde sources whose alerts are served as legacy detections"},
    {"retention", MDS_CONF_DURATION, "30D", 1000, 3650 * 86400000LL, NULL, 0,
     "how long served detections stay available"},
    {"token_ttl", MDS_CONF_DURATION, "1H", 1000, 86400000, NULL, 0, "lifetime of the access tokens issued"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

const struct mds_conf_key mds_client_keys[] = {
    {"client_id", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED,
     "the client id this SIEM presents (any string; a GUID keeps existing configurations unchanged)"},
    {"client_secret", MDS_CONF_FORBIDDEN, NULL, 0, 0, NULL, MDS_CONF_SECRET,
     "secrets are never written in the configuration: use client_secret_file or client_secret_env"},
    {"client_secret_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "file holding this client's secret"},
    {"client_secret_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "environment variable holding this client's secret"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static mds_err read_pem(const char *path, char **out, char *err, size_t errlen)
{
    struct mds_buf b;
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return MDS_ERR_CONFIG;
    }
    mds_buf_init(&b, 1024 * 1024);
    mds_err rc = MDS_OK;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = mds_buf_append(&b, chunk, n);
    fclose(f);
    if (rc || !b.data || !strstr(b.data, "-----BEGIN")) {
        snprintf(err, errlen, "%s is not a PEM file", path);
        mds_buf_finish(&b);
        return MDS_ERR_CONFIG;
    }
    *out = b.data;
    return MDS_OK;
}

static int is_loopback(const char *listen)
{
    return strncmp(listen, "127.", 4) == 0 || strncmp(listen, "[::1]:", 6) == 0 ||
           strncmp(listen, "localhost:", 10) == 0;
}

static mds_err add_client(struct mds_compat *c, struct mds_conf *conf, struct mds_conf_section *sec, char *err,
                          size_t errlen)
{
    static const struct mds_conf_key *const tables[] = {mds_client_keys, NULL};
    if (c->nclients == MDS_COMPAT_MAX_CLIENTS) {
        snprintf(err, errlen, "%s:%d: at most %d [client] sections", conf->path, sec->line, MDS_COMPAT_MAX_CLIENTS);
        return MDS_ERR_CONFIG;
    }
    struct compat_client *cl = &c->clients[c->nclients];
    mds_err rc = mds_conf_validate(conf, sec, tables, err, errlen);
    if (!rc)
        rc = mds_conf_secret(conf, sec, "client_secret", 0, &cl->secret, err, errlen);
    if (rc)
        return rc;
    cl->name = sec->name;
    cl->client_id = mds_conf_str(sec, "client_id");
    c->nclients++;
    return MDS_OK;
}

static mds_err setup_tls(struct mds_compat *c, struct mds_conf *conf, struct mds_conf_section *serve, char *err,
                         size_t errlen)
{
    const char *cert = mds_conf_str(serve, "tls_cert"), *key = mds_conf_str(serve, "tls_key");
    if (!cert != !key) {
        snprintf(err, errlen, "%s:%d: [serve]: tls_cert and tls_key go together", conf->path, serve->line);
        return MDS_ERR_CONFIG;
    }
    if (!cert && !is_loopback(c->listen) && !mds_conf_bool(serve, "allow_plain_http")) {
        snprintf(err, errlen, "%s:%d: [serve]: listen = %s is not a loopback address: set tls_cert and tls_key, "
                 "or allow_plain_http = true to send tokens in clear", conf->path, mds_conf_line(serve, "listen"),
                 c->listen);
        return MDS_ERR_CONFIG;
    }
    if (!cert)
        return MDS_OK;
    mds_err rc = read_pem(cert, &c->cert_pem, err, errlen);
    return rc ? rc : read_pem(key, &c->key_pem, err, errlen);
}

mds_err mds_compat_create(struct mds_conf *conf, struct mds_conf_section *serve, struct mds_compat **out,
                          char *err, size_t errlen)
{
    static const struct mds_conf_key *const tables[] = {mds_serve_keys, NULL};
    struct mds_compat *c = mds_calloc(1, sizeof *c);
    mds_err rc = MDS_ERR_NOMEM;
    *out = NULL;
    if (!c)
        return rc;
    pthread_mutex_init(&c->mu, NULL);
    if ((rc = mds_conf_validate(conf, serve, tables, err, errlen)))
        goto fail;
    c->listen = mds_conf_str(serve, "listen");
    c->retention = mds_conf_ms(serve, "retention") * MDS_TICKS_PER_MS;
    c->token_ttl_s = mds_conf_ms(serve, "token_ttl") / 1000;
    const char *list = mds_conf_str(serve, "sources");
    snprintf(c->feeds_storage, sizeof c->feeds_storage, "%s", list);
    c->nfeeds = mds_conf_split_list(list, c->feeds_storage, sizeof c->feeds_storage, c->feeds, MDS_COMPAT_MAX_FEEDS);
    if ((rc = setup_tls(c, conf, serve, err, errlen)))
        goto fail;
    for (size_t i = 0; i < conf->nsections; i++)
        if (strcmp(conf->sections[i].kind, "client") == 0 && (rc = add_client(c, conf, &conf->sections[i], err, errlen)))
            goto fail;
    if (c->nclients == 0) {
        snprintf(err, errlen, "%s:%d: [serve] needs at least one [client NAME] section (client_id and secret)",
                 conf->path, serve->line);
        rc = MDS_ERR_CONFIG;
        goto fail;
    }
    *out = c;
    return MDS_OK;
fail:
    mds_compat_destroy(c);
    return rc;
}

void mds_compat_destroy(struct mds_compat *c)
{
    if (!c)
        return;
    mds_compat_stop(c);
    for (int i = 0; i < c->nclients; i++)
        mds_conf_secret_free(c->clients[i].secret);
    if (c->key_pem)
        explicit_bzero(c->key_pem, strlen(c->key_pem));
    mds_free(c->key_pem);
    mds_free(c->cert_pem);
    explicit_bzero(c->tokens, sizeof c->tokens);
    pthread_mutex_destroy(&c->mu);
    mds_free(c);
}

int mds_compat_feeds(const struct mds_compat *c, const char *source)
{
    for (int i = 0; i < c->nfeeds; i++)
        if (strcmp(c->feeds[i], source) == 0)
            return 1;
    return 0;
}

/* ---- the internal output: legacy detections into the served table ---- */

/* The stamp of the next detection: the storing time at millisecond
 * precision, strictly increasing, so a client that sends back the last
 * LastProcessedTimeUtc it saw (even cut to milliseconds) gets each
 * detection exactly once. */
static mds_ticks next_stamp(struct mds_compat *c)
{
    mds_ticks now = mds_time_now() / MDS_TICKS_PER_MS * MDS_TICKS_PER_MS;
    c->last_stamp = now > c->last_stamp ? now : c->last_stamp + MDS_TICKS_PER_MS;
    return c->last_stamp;
}

static void field(const struct mds_json *j, const char *key, char *out, size_t size)
{
    int v = mds_json_find(j, 0, key);
    out[0] = '\0';
    if (v >= 0 && j->tok[v].type == JSMN_STRING)
        mds_json_copy(j, v, out, size);
}

/* Stores one detection line with its LastProcessedTimeUtc replaced. */
static mds_err store_detection(struct mds_compat *c, struct mds_db *db, struct mds_json *j, struct mds_buf *tmp,
                               const char *line, size_t len)
{
    char group[512], dtags[1024], ctags[1024], ts[40];
    if (mds_json_parse(j, line, len) || j->tok[0].type != JSMN_OBJECT)
        return MDS_ERR_PARSE;
    int lp = mds_json_find(j, 0, "LastProcessedTimeUtc");
    if (lp < 0 || j->tok[lp].type != JSMN_STRING)
        return MDS_ERR_PARSE;
    field(j, "MachineGroup", group, sizeof group);
    field(j, "DeviceCreatedMachineTags", dtags, sizeof dtags);
    field(j, "CloudCreatedMachineTags", ctags, sizeof ctags);
    mds_ticks stamp = next_stamp(c);
    mds_time_format(stamp, 7, ts, sizeof ts);
    mds_buf_reset(tmp);
    mds_err rc = mds_buf_append(tmp, line, (size_t)j->tok[lp].start);
    if (!rc)
        rc = mds_buf_puts(tmp, ts);
    if (!rc)
        rc = mds_buf_append(tmp, line + j->tok[lp].end, len - (size_t)j->tok[lp].end);
    return rc ? rc : mds_db_served_insert(db, stamp, group, dtags, ctags, tmp->data, tmp->len);
}

static mds_err compat_deliver(struct mds_output *o, const char *events, size_t len, size_t count,
                              int64_t *retry_after_ms, char *err, size_t errlen)
{
    struct mds_compat *c = o->ctx;
    struct mds_json j;
    struct mds_buf tmp;
    (void)count, (void)retry_after_ms;
    mds_json_init(&j);
    mds_buf_init(&tmp, 0);
    pthread_mutex_lock(&c->mu);
    mds_err rc = mds_db_begin(o->db);
    for (const char *p = events, *end = events + len; !rc && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if ((rc = store_detection(c, o->db, &j, &tmp, p, n)))
            snprintf(err, errlen, "cannot store a served detection: %s", mds_strerror(rc));
        p += n + 1;
    }
    if (!rc)
        rc = mds_db_commit(o->db);
    else
        mds_db_rollback(o->db);
    /* retention: prune at most every tenth of it (at most once a minute) */
    mds_ticks now = mds_time_now(), every = c->retention / 10 < 60 * MDS_TICKS_PER_SEC ? c->retention / 10
                                                                                       : 60 * MDS_TICKS_PER_SEC;
    if (!rc && now - c->last_prune >= every) {
        mds_db_served_prune(o->db, now - c->retention);
        c->last_prune = now;
    }
    pthread_mutex_unlock(&c->mu);
    mds_buf_finish(&tmp);
    mds_json_finish(&j);
    return rc == MDS_ERR_STATE ? MDS_ERR_RETRY : rc;
}

static mds_err compat_output_create(struct mds_output *o, char *err, size_t errlen)
{
    (void)o, (void)err, (void)errlen;
    return MDS_OK; /* ctx is set by the engine: the mds_compat it feeds */
}

static void compat_output_destroy(struct mds_output *o) { o->ctx = NULL; }

static const struct mds_conf_key no_keys[] = {{NULL, 0, NULL, 0, 0, NULL, 0, NULL}};

const struct mds_output_type mds_output_compat = {
    .name = "compat",
    .help = "internal: stores legacy detections for the compat SIEM API",
    .default_format = "legacy",
    .keys = no_keys,
    .create = compat_output_create,
    .deliver = compat_deliver,
    .destroy = compat_output_destroy,
};

/* ---- durations for `ago` ---- */

mds_err mds_iso_duration_parse(const char *s, mds_ticks *out)
{
    int in_time = 0, any = 0;
    mds_ticks total = 0;
    if (*s++ != 'P')
        return MDS_ERR_PARSE;
    while (*s) {
        if (*s == 'T' && !in_time) {
            in_time = 1;
            s++;
            continue;
        }
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || errno || v < 0 || v > 1e7)
            return MDS_ERR_PARSE;
        double unit = *end == 'D' && !in_time ? 86400 : *end == 'W' && !in_time ? 7 * 86400
                    : *end == 'H' && in_time ? 3600 : *end == 'M' && in_time ? 60 : *end == 'S' && in_time ? 1 : 0;
        if (unit == 0)
            return MDS_ERR_PARSE;
        total += (mds_ticks)(v * unit * (double)MDS_TICKS_PER_SEC);
        any = 1;
        s = end + 1;
    }
    if (!any)
        return MDS_ERR_PARSE;
    *out = total;
    return MDS_OK;
}
