/*
 * eventhub.c - source "eventhub": the Defender XDR Streaming API, read
 * from Azure Event Hubs through its Kafka endpoint (spec 4). This file
 * holds the configuration and the descriptor; the consumer loop is in
 * eventhub_consume.c.
 *
 * Records. Each message body is {"records":[...]}; every entry becomes one
 * outbox record whose body is that entry's bytes exactly as received. Its
 * id is "partition:offset:index" - unique within the hub, and it lets an
 * operator find the message with any Kafka tool. (The row identity of
 * spec 4.4 - DeviceId, Timestamp, ReportId - is not used: AlertInfo and
 * AlertEvidence rows do not carry it, and ReportId repeats.)
 *
 * Delivery. A Kafka offset is committed only after every record of the
 * messages below it was acknowledged (or the message went to the
 * dead-letter file, or was filtered out by `categories`). With
 * `delivery = direct` (the default) the acknowledgement is every
 * output's: records go from the message straight to the outputs, nothing
 * is written to the state file but message digests, and the event hub
 * keeps the backlog while an output is down. With `delivery = outbox`
 * it is the SQLite outbox's: outputs drain it at their own pace, and the
 * local disk keeps the backlog. Either way kill -9 at any moment loses
 * nothing: what is not committed is read again after the restart.
 *
 * Duplicates. Event Hubs is at-least-once: a message can arrive twice,
 * and the tail read again after a crash is a second copy too. Each
 * delivered message's body digest (SHA-256, first 128 bits) is kept for
 * `dedupe_window` (in the outbox mode in the same transaction as its
 * records; in the direct mode right after the outputs acknowledged them,
 * so a crash in between repeats the batch rather than losing it); a
 * message with a known digest is dropped whole. One index row per message instead of
 * one per record keeps this cheap, and equal bodies are equal events by
 * definition (times have 100 ns resolution), so nothing distinct is ever
 * dropped. The per-record `seen` index is skipped for stream records:
 * their ids are unique by construction.
 */
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "sources/eventhub_internal.h"

#define MAX_CATEGORIES 64

static const struct mds_conf_key eventhub_keys[] = {
    {"connection_string", MDS_CONF_FORBIDDEN, NULL, 0, 0, NULL, MDS_CONF_SECRET,
     "secrets are never written in the configuration: use connection_string_file or connection_string_env."},
    {"connection_string_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "file holding the Event Hubs connection string (Endpoint=sb://NAMESPACE.servicebus.windows.net/; "
     "SharedAccessKeyName=...; SharedAccessKey=...), mode 0600; sets SASL_SSL/PLAIN to NAMESPACE:9093"},
    {"connection_string_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "environment variable holding the connection string"},
    {"eventhub", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "event hub (Kafka topic) the Streaming API writes to; default: the connection string's EntityPath"},
    {"consumer_group", MDS_CONF_STRING, "$Default", 0, 0, NULL, 0,
     "consumer group (Kafka group.id); instances in one group share the partitions; give each application "
     "its own"},
    {"partitions", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "read these partitions without joining the group's balancing: `all`, or a list such as 0-3,8. "
     "Reading starts at once (no rebalance wait) and offsets are still committed to consumer_group; for "
     "one instance, or instances that split the partitions by hand. Default: balanced group membership"},
    {"start", MDS_CONF_ENUM, "earliest", 0, 0, "earliest|latest", 0,
     "where a consumer group without committed offsets begins: the oldest retained event, or new ones only"},
    {"categories", MDS_CONF_LIST, NULL, 0, 0, NULL, 0,
     "tables to keep, e.g. AdvancedHunting-DeviceProcessEvents, AdvancedHunting-AlertInfo (the prefix is "
     "optional); records of other tables are skipped. Default: all"},
    {"bootstrap", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "Kafka brokers host:port[,host:port], for a broker other than Event Hubs (instead of a connection "
     "string)"},
    {"security_protocol", MDS_CONF_ENUM, "plaintext", 0, 0, "plaintext|ssl|sasl_plaintext|sasl_ssl", 0,
     "with bootstrap: how to reach the brokers (a connection string always means sasl_ssl)"},
    {"sasl_mechanism", MDS_CONF_ENUM, "PLAIN", 0, 0, "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512", 0,
     "with bootstrap and a sasl_* protocol"},
    {"sasl_username", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "with bootstrap and a sasl_* protocol"},
    {"sasl_password", MDS_CONF_FORBIDDEN, NULL, 0, 0, NULL, MDS_CONF_SECRET,
     "secrets are never written in the configuration: use sasl_password_file or sasl_password_env."},
    {"sasl_password_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "file holding the SASL password (with bootstrap)"},
    {"sasl_password_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "environment variable holding the SASL password (with bootstrap)"},
    {"session_timeout", MDS_CONF_DURATION, "30S", 6000, 300000, NULL, 0,
     "a consumer silent this long loses its partitions to the others in its group (Event Hubs: 6S to 300S)"},
    {"dead_letter", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "malformed messages are appended here as JSON lines; default deadletter-SOURCE.jsonl next to the state "
     "file"},
    {"dedupe", MDS_CONF_BOOL, "true", 0, 0, NULL, 0,
     "drop a message whose body equals one already stored (Event Hubs is at-least-once)"},
    {"dedupe_window", MDS_CONF_DURATION, "1H", 1000, 7 * 86400000LL, NULL, 0,
     "how long message digests are remembered for dedupe"},
    {"max_message_bytes", MDS_CONF_SIZE, "4M", 1024, INT64_C(256) << 20, NULL, 0,
     "largest message accepted; a larger one goes to the dead-letter file, never cut"},
    {"delivery", MDS_CONF_ENUM, "direct", 0, 0, "direct|outbox", 0,
     "direct: records go straight to the outputs and a message's offset is committed once every output "
     "acknowledged its records (the event hub holds the backlog while an output is down); outbox: records "
     "are stored in the state file's outbox first and offsets committed once stored (the local disk holds "
     "the backlog, up to spool_max_bytes)"},
    {"batch_records", MDS_CONF_INT, "5000", 1, 1000000, NULL, 0,
     "most records delivered (or stored in the outbox) at a time (under an eps_throttle, at most a "
     "quarter second's worth)"},
    {"commit_interval", MDS_CONF_DURATION, "1S", 100, 60000, NULL, 0,
     "offsets of stored messages are committed to Kafka at most this often (and at every rebalance and "
     "stop)"},
    {"stall_timeout", MDS_CONF_DURATION, "60S", 1000, 3600000, NULL, 0,
     "`once` fails when it makes no progress for this long (broker unreachable, topic missing)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static mds_err conf_fail(struct eventhub *eh, const char *what, const char *kafka_err, char *err,
                         size_t errlen)
{
    struct mds_source *src = eh->src;
    snprintf(err, errlen, "%s: [source %s]: %s: %s", src->conf->path, src->name, what, kafka_err);
    return MDS_ERR_CONFIG;
}

/* Sets one librdkafka property; `secret` values never reach a message. */
static mds_err kset(struct eventhub *eh, const char *name, const char *value, int secret, char *err,
                    size_t errlen)
{
    char kerr[512];
    if (rd_kafka_conf_set(eh->conf, name, value, kerr, sizeof kerr) == RD_KAFKA_CONF_OK)
        return MDS_OK;
    if (secret)
        snprintf(kerr, sizeof kerr, "the value was refused");
    return conf_fail(eh, name, kerr, err, errlen);
}

static mds_err config_error(struct eventhub *eh, const char *key, const char *msg, char *err, size_t errlen)
{
    struct mds_source *src = eh->src;
    snprintf(err, errlen, "%s:%d: [source %s]: %s", src->conf->path, mds_conf_line(src->sec, key), src->name,
             msg);
    return MDS_ERR_CONFIG;
}

/* Event Hubs: everything comes from the connection string (spec 4.5). */
static mds_err setup_connection_string(struct eventhub *eh, const char *cs, char *err, size_t errlen)
{
    const struct mds_conf_section *sec = eh->src->sec;
    struct mds_eh_conn c;
    char msg[512];
    if (mds_eh_parse_connection_string(cs, &c, msg, sizeof msg))
        return config_error(eh, "connection_string_file", msg, err, errlen);
    static const char *const exclusive[] = {"bootstrap",     "security_protocol",  "sasl_mechanism",
                                            "sasl_username", "sasl_password_file", "sasl_password_env"};
    for (size_t i = 0; i < sizeof exclusive / sizeof exclusive[0]; i++)
        if (mds_conf_line(sec, exclusive[i]) != sec->line) {
            snprintf(msg, sizeof msg,
                     "%s does not go with a connection string, which sets the connection itself",
                     exclusive[i]);
            return config_error(eh, exclusive[i], msg, err, errlen);
        }
    const char *hub = mds_conf_str(sec, "eventhub");
    if (hub && *c.entity_path && strcmp(hub, c.entity_path) != 0) {
        snprintf(msg, sizeof msg, "eventhub = %s, but the connection string is for event hub %s", hub,
                 c.entity_path);
        return config_error(eh, "eventhub", msg, err, errlen);
    }
    eh->topic = mds_strdup(hub ? hub : c.entity_path);
    mds_err rc;
    if ((rc = kset(eh, "bootstrap.servers", c.bootstrap, 0, err, errlen)) ||
        (rc = kset(eh, "security.protocol", "sasl_ssl", 0, err, errlen)) ||
        (rc = kset(eh, "sasl.mechanisms", "PLAIN", 0, err, errlen)) ||
        (rc = kset(eh, "sasl.username", "$ConnectionString", 0, err, errlen)))
        return rc;
    return kset(eh, "sasl.password", cs, 1, err, errlen);
}

/* Any other Kafka broker: bootstrap and explicit security settings. */
static mds_err setup_bootstrap(struct eventhub *eh, const char *password, char *err, size_t errlen)
{
    const struct mds_conf_section *sec = eh->src->sec;
    const char *proto = mds_conf_str(sec, "security_protocol"), *user = mds_conf_str(sec, "sasl_username");
    int sasl = strncmp(proto, "sasl_", 5) == 0;
    mds_err rc;
    if (sasl && (!user || !password))
        return config_error(eh, "security_protocol",
                            "a sasl_* security_protocol needs sasl_username and sasl_password_file (or _env)",
                            err, errlen);
    if (!sasl && (user || password))
        return config_error(eh, "sasl_username",
                            "sasl_username and sasl_password need a sasl_* security_protocol", err, errlen);
    const char *hub = mds_conf_str(sec, "eventhub");
    if (!hub)
        return config_error(eh, "bootstrap", "with bootstrap, eventhub (the topic) is required", err, errlen);
    eh->topic = mds_strdup(hub);
    if ((rc = kset(eh, "bootstrap.servers", mds_conf_str(sec, "bootstrap"), 0, err, errlen)) ||
        (rc = kset(eh, "security.protocol", proto, 0, err, errlen)))
        return rc;
    if (!sasl)
        return MDS_OK;
    if ((rc = kset(eh, "sasl.mechanisms", mds_conf_str(sec, "sasl_mechanism"), 0, err, errlen)) ||
        (rc = kset(eh, "sasl.username", user, 0, err, errlen)))
        return rc;
    return kset(eh, "sasl.password", password, 1, err, errlen);
}

static mds_err setup_connection(struct eventhub *eh, char *err, size_t errlen)
{
    struct mds_source *src = eh->src;
    char *cs = NULL, *password = NULL;
    int has_bootstrap = mds_conf_str(src->sec, "bootstrap") != NULL;
    mds_err rc = mds_conf_secret(src->conf, src->sec, "connection_string", has_bootstrap, &cs, err, errlen);
    if (rc)
        return rc;
    if (cs && has_bootstrap) {
        rc = config_error(eh, "bootstrap", "set either a connection string or bootstrap, not both", err,
                          errlen);
    } else if (cs) {
        rc = setup_connection_string(eh, cs, err, errlen);
    } else if (!(rc = mds_conf_secret(src->conf, src->sec, "sasl_password", 1, &password, err, errlen))) {
        rc = setup_bootstrap(eh, password, err, errlen);
    }
    mds_conf_secret_free(cs);
    mds_conf_secret_free(password);
    if (!rc && (!eh->topic || !*eh->topic))
        rc = config_error(eh, "eventhub",
                          eh->topic ? "eventhub is required: the connection string names no EntityPath"
                                    : "out of memory",
                          err, errlen);
    return rc;
}

/* The client settings Microsoft recommends for Event Hubs (spec 4.5). */
static mds_err setup_client(struct eventhub *eh, char *err, size_t errlen)
{
    const struct mds_conf_section *sec = eh->src->sec;
    char session[32], heartbeat[32];
    int64_t session_ms = mds_conf_ms(sec, "session_timeout");
    snprintf(session, sizeof session, "%lld", (long long)session_ms);
    snprintf(heartbeat, sizeof heartbeat, "%lld", (long long)(session_ms / 3 < 3000 ? session_ms / 3 : 3000));
    const char *const kv[][2] = {
        {"group.id", mds_conf_str(sec, "consumer_group")},
        {"client.id", "mdesiem"},
        {"auto.offset.reset", mds_conf_str(sec, "start")},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"socket.keepalive.enable", "true"},
        {"metadata.max.age.ms", "180000"},
        {"connections.max.idle.ms", "180000"},
        {"socket.timeout.ms", "60000"}, /* request.timeout.ms of spec 4.5: librdkafka's consumer name */
        {"session.timeout.ms", session},
        {"heartbeat.interval.ms", heartbeat},
        {"max.poll.interval.ms", "300000"},
        /* Prefetch up to 128 MB (librdkafka's default is 64 MB): while a
         * batch is being delivered the fetcher runs ahead, and a full
         * local queue stalls fetching for up to a second; with batches of
         * 5,000 records this holds about two seconds of a fast stream. */
        {"queued.max.messages.kbytes", "131072"},
        /* `once` ends at the partitions' ends: an idle fetch is answered sooner */
        {"fetch.wait.max.ms", mds_engine_once(eh->src->engine) ? "100" : "500"},
    };
    mds_err rc = MDS_OK;
    for (size_t i = 0; !rc && i < sizeof kv / sizeof kv[0]; i++)
        rc = kset(eh, kv[i][0], kv[i][1], 0, err, errlen);
    const char *ca = mds_conf_str(sec, "ca_file");
    if (!rc && ca)
        rc = kset(eh, "ssl.ca.location", ca, 0, err, errlen);
    if (!rc && mds_conf_bool(sec, "insecure"))
        rc = kset(eh, "enable.ssl.certificate.verification", "false", 0, err, errlen);
    return rc;
}

static mds_err setup_categories(struct eventhub *eh, char *err, size_t errlen)
{
    const char *v = mds_conf_str(eh->src->sec, "categories");
    if (!v)
        return MDS_OK;
    size_t cap = strlen(v) + 1;
    eh->categories_storage = mds_malloc(cap);
    eh->categories = mds_calloc(MAX_CATEGORIES, sizeof *eh->categories);
    if (!eh->categories_storage || !eh->categories)
        return MDS_ERR_NOMEM;
    int n = mds_conf_split_list(v, eh->categories_storage, cap, eh->categories, MAX_CATEGORIES);
    if (n <= 0)
        return config_error(eh, "categories", "categories must name between 1 and 64 tables", err, errlen);
    eh->ncategories = (size_t)n;
    for (int i = 0; i < n; i++)
        if (!mds_eh_category_known(eh->categories[i]))
            mds_warn(eh->src->tag, "categories: '%s' is not a table the Streaming API documents; kept anyway",
                     eh->categories[i]);
    return MDS_OK;
}

/* Appends partitions lo..hi to eh->assign. */
static int add_assigned(struct eventhub *eh, long lo, long hi)
{
    for (long p = lo; p <= hi; p++) {
        if (eh->nassign % 64 == 0) {
            int32_t *a = mds_realloc(eh->assign, (eh->nassign + 64) * sizeof *a);
            if (!a)
                return -1;
            eh->assign = a;
        }
        eh->assign[eh->nassign++] = (int32_t)p;
    }
    return 0;
}

/* partitions = all | N[-M][, ...] */
static mds_err setup_partitions(struct eventhub *eh, char *err, size_t errlen)
{
    const char *v = mds_conf_str(eh->src->sec, "partitions");
    static const char bad[] = "partitions must be `all` or a list of partition numbers and ranges such as "
                              "0-3,8 (each 0 to 99999)";
    if (!v)
        return MDS_OK;
    eh->assign_mode = 1;
    if (strcmp(v, "all") == 0)
        return MDS_OK;
    for (const char *p = v;;) {
        char *end;
        while (*p == ' ')
            p++;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p || lo < 0 || !isdigit((unsigned char)*p))
            return config_error(eh, "partitions", bad, err, errlen);
        if (*(p = end) == '-') {
            hi = strtol(p + 1, &end, 10);
            if (end == p + 1 || !isdigit((unsigned char)p[1]))
                return config_error(eh, "partitions", bad, err, errlen);
            p = end;
        }
        if (hi < lo || hi > 99999 || eh->nassign + (size_t)(hi - lo) >= 100000)
            return config_error(eh, "partitions", bad, err, errlen);
        if (add_assigned(eh, lo, hi))
            return MDS_ERR_NOMEM;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return MDS_OK;
        if (*p++ != ',')
            return config_error(eh, "partitions", bad, err, errlen);
    }
}

static mds_err setup_dead_letter(struct eventhub *eh, char *err, size_t errlen)
{
    const char *path = mds_conf_str(eh->src->sec, "dead_letter");
    char dir[4096], buf[4200];
    if (!path) {
        snprintf(dir, sizeof dir, "%s", mds_engine_state_path(eh->src->engine));
        int n = snprintf(buf, sizeof buf, "%s/deadletter-%s.jsonl", dirname(dir), eh->src->name);
        if (n < 0 || (size_t)n >= sizeof buf)
            return config_error(eh, "dead_letter", "the default dead-letter path is too long", err, errlen);
        path = buf;
    }
    eh->dead_letter_path = mds_strdup(path);
    return eh->dead_letter_path ? MDS_OK : MDS_ERR_NOMEM;
}

static mds_err setup_options(struct eventhub *eh, char *err, size_t errlen)
{
    const struct mds_conf_section *sec = eh->src->sec;
    eh->dedupe = mds_conf_bool(sec, "dedupe");
    eh->direct = strcmp(mds_conf_str(sec, "delivery"), "direct") == 0;
    eh->dedupe_window_ms = mds_conf_ms(sec, "dedupe_window");
    eh->max_message_bytes = (size_t)mds_conf_bytes(sec, "max_message_bytes");
    eh->batch_records = (size_t)mds_conf_int(sec, "batch_records");
    /* Under an EPS throttle a batch waits for its tokens before it is
     * stored: keep that wait near a quarter of a second. */
    double eps = eh->src->throttle.rate;
    if (eps > 0 && (double)eh->batch_records > eps / 4)
        eh->batch_records = eps / 4 >= 100 ? (size_t)(eps / 4) : 100;
    eh->commit_interval_ms = mds_conf_ms(sec, "commit_interval");
    eh->stall_timeout_ms = mds_conf_ms(sec, "stall_timeout");
    if (mds_conf_str(sec, "proxy"))
        return config_error(eh, "proxy",
                            "proxy does not apply to eventhub: the Kafka protocol goes direct to "
                            "port 9093",
                            err, errlen);
    return MDS_OK;
}

static void eventhub_destroy(struct mds_source *src)
{
    struct eventhub *eh = src->ctx;
    mds_eh_close_consumer(eh);
    if (eh->conf)
        rd_kafka_conf_destroy(eh->conf);
    mds_free(eh->topic);
    mds_free(eh->categories);
    mds_free(eh->categories_storage);
    mds_free(eh->assign);
    mds_free(eh->dead_letter_path);
    for (int i = 0; i < 2; i++) {
        mds_free(eh->batches[i].msgs);
        mds_free(eh->batches[i].smsgs);
        mds_free(eh->batches[i].items);
        mds_free(eh->batches[i].ids);
    }
    pthread_mutex_destroy(&eh->store.mu);
    pthread_cond_destroy(&eh->store.cv);
    mds_free(eh->parts);
    mds_eh_split_finish(&eh->split);
    EVP_MD_CTX_free(eh->md);
    EVP_MD_free(eh->sha256);
    mds_buf_finish(&eh->dl_line);
    if (eh->dl_fd >= 0)
        close(eh->dl_fd);
    mds_free(eh);
    src->ctx = NULL;
}

static mds_err eventhub_create(struct mds_source *src, char *err, size_t errlen)
{
    struct eventhub *eh = mds_calloc(1, sizeof *eh);
    if (!eh)
        return MDS_ERR_NOMEM;
    src->ctx = eh;
    eh->src = src;
    eh->dl_fd = -1;
    eh->batch = &eh->batches[0];
    pthread_mutex_init(&eh->store.mu, NULL);
    pthread_cond_init(&eh->store.cv, NULL);
    mds_eh_split_init(&eh->split);
    mds_buf_init(&eh->dl_line, 0);
    eh->conf = rd_kafka_conf_new();
    eh->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    eh->md = EVP_MD_CTX_new();
    if (!eh->conf || !eh->sha256 || !eh->md)
        return MDS_ERR_NOMEM;
    mds_err rc;
    if ((rc = setup_options(eh, err, errlen)) || (rc = setup_connection(eh, err, errlen)) ||
        (rc = setup_client(eh, err, errlen)) || (rc = setup_categories(eh, err, errlen)) ||
        (rc = setup_partitions(eh, err, errlen)))
        return rc;
    eh->split.max_records = eh->max_message_bytes / 2; /* "{}" is the smallest record */
    return setup_dead_letter(eh, err, errlen);
}

const struct mds_source_type mds_source_eventhub = {
    .name = "eventhub",
    .help = "Defender XDR Streaming API: Advanced Hunting events from Azure Event Hubs (Kafka endpoint)",
    .kind = MDS_INPUT_STREAM,
    .keys = eventhub_keys,
    .create = eventhub_create,
    .collect = mds_eh_collect,
    .destroy = eventhub_destroy,
    .check = mds_eh_check,
    .streaming = 1,
};
