/*
 * kafka.c - output "kafka": each event becomes one Kafka message (key =
 * the alert id, value = the event without its newline) produced with
 * librdkafka.
 *
 * Delivery: the producer is idempotent with acks=all; a batch is
 * acknowledged only when every one of its messages got a successful
 * delivery report. Reports are counted per batch (each message carries
 * its batch number as opaque, so a late report of an abandoned batch is
 * ignored). When the reports do not all arrive within `timeout`, what is
 * still queued is purged and the batch fails with MDS_ERR_RETRY. The
 * output keeps a flag per acknowledged message of the batch; when the
 * engine retries that batch (mds_batch.attempt > 0), only the messages
 * without a successful report are produced again. The at-least-once tail
 * is what was in flight when it was purged and still reached the broker. An event
 * larger than max_message_bytes is refused before anything of the batch
 * is produced.
 *
 * Runs on the output's thread; librdkafka's own threads only call back
 * from inside rd_kafka_poll/flush, on this thread.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "core/engine.h"
#include "core/lifecycle.h"
#include "core/log.h"
#include "core/mem.h"

#define MSG_OVERHEAD 256 /* record framing librdkafka counts against message.max.bytes */

static const struct mds_conf_key kafka_keys[] = {
    {"brokers", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED,
     "bootstrap brokers, host:port[,host:port...]"},
    {"topic", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED, "topic every event is produced to"},
    {"security_protocol", MDS_CONF_ENUM, "plaintext", 0, 0, "plaintext|ssl|sasl_plaintext|sasl_ssl", 0,
     "how to talk to the brokers"},
    {"sasl_mechanism", MDS_CONF_ENUM, "PLAIN", 0, 0, "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512", 0,
     "SASL mechanism (sasl_plaintext, sasl_ssl)"},
    {"sasl_username", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "SASL user name"},
    {"sasl_password_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "file holding the SASL password"},
    {"sasl_password_env", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "environment variable holding the SASL password"},
    {"ca_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "ssl/sasl_ssl: PEM file of CA certificates to trust"},
    {"cert_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "ssl/sasl_ssl: client certificate (PEM)"},
    {"key_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "ssl/sasl_ssl: client private key (PEM)"},
    {"insecure", MDS_CONF_BOOL, "false", 0, 0, NULL, 0,
     "ssl/sasl_ssl: skip certificate verification (testing only; warned about at every start)"},
    {"compression", MDS_CONF_ENUM, "none", 0, 0, "none|gzip|snappy|lz4|zstd", 0, "message compression"},
    {"client_id", MDS_CONF_STRING, "mdesiem", 0, 0, NULL, 0, "client.id the brokers see"},
    {"max_message_bytes", MDS_CONF_INT, "1000000", 1000, 1000000000, NULL, 0,
     "largest message (message.max.bytes; the topic's max.message.bytes must allow it); a larger event is "
     "refused, never cut"},
    {"timeout", MDS_CONF_DURATION, "60S", 1000, 3600000, NULL, 0,
     "longest wait for a batch's delivery reports (message.timeout.ms)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

struct kafka_out {
    struct mds_output *out;
    rd_kafka_t *rk;
    const char *topic;
    const char *tag;
    int64_t timeout_ms;
    size_t max_message;
    uintptr_t base;       /* opaque of the attempt's first message; the others follow */
    size_t count;         /* messages of the batch being delivered */
    size_t acked, failed; /* its delivery reports so far (acked includes earlier attempts) */
    rd_kafka_resp_err_t first_err;
    unsigned char *done; /* per message of the batch: acknowledged */
    size_t done_cap;
    int partial; /* an attempt of this batch was produced and failed: done[] is its */
};

/* Delivery report: counts the outcome if it belongs to the current
 * attempt (the opaque is base + the message's index in the batch). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct kafka_out *k = opaque;
    (void)rk;
    uintptr_t i = (uintptr_t)m->_private - k->base;
    if (i >= k->count)
        return;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (!k->done[i])
            k->acked++;
        k->done[i] = 1;
    } else {
        if (!k->failed)
            k->first_err = m->err;
        k->failed++;
    }
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    struct kafka_out *k = rd_kafka_opaque(rk);
    enum mds_log_level l = level <= LOG_ERR       ? MDS_LOG_ERROR
                           : level <= LOG_WARNING ? MDS_LOG_WARN
                           : level <= LOG_INFO    ? MDS_LOG_INFO
                                                  : MDS_LOG_DEBUG;
    mds_log(l, k ? k->tag : "output:kafka", "librdkafka %s: %s", fac, buf);
}

static mds_err conf_error(struct mds_output *o, const char *key, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s:%d: [output %s]: %s: %s", o->conf->path, mds_conf_line(o->sec, key), o->name,
             key, what);
    return MDS_ERR_CONFIG;
}

/* Sets one librdkafka property; the value is not echoed in errors (it
 * may be the password). */
static mds_err set(rd_kafka_conf_t *c, const char *name, const char *value, struct mds_output *o, char *err,
                   size_t errlen)
{
    char why[256];
    if (!value || rd_kafka_conf_set(c, name, value, why, sizeof why) == RD_KAFKA_CONF_OK)
        return MDS_OK;
    snprintf(err, errlen, "%s: [output %s]: librdkafka refused %s", o->conf->path, o->name, name);
    return MDS_ERR_CONFIG;
}

static mds_err set_security(rd_kafka_conf_t *c, struct mds_output *o, char *err, size_t errlen)
{
    const char *proto = mds_conf_str(o->sec, "security_protocol");
    int sasl = strncmp(proto, "sasl", 4) == 0, ssl = strstr(proto, "ssl") != NULL;
    char *password = NULL;
    mds_err rc;
    if (!sasl && (mds_conf_str(o->sec, "sasl_username") || mds_conf_str(o->sec, "sasl_password_file") ||
                  mds_conf_str(o->sec, "sasl_password_env")))
        return conf_error(o, "sasl_username", err, errlen,
                          "needs security_protocol = sasl_plaintext or sasl_ssl");
    if (!ssl && (mds_conf_str(o->sec, "ca_file") || mds_conf_str(o->sec, "cert_file")))
        return conf_error(o, "ca_file", err, errlen, "needs security_protocol = ssl or sasl_ssl");
    if ((rc = set(c, "security.protocol", proto, o, err, errlen)))
        return rc;
    if (sasl) {
        if (!mds_conf_str(o->sec, "sasl_username"))
            return conf_error(o, "sasl_username", err, errlen, "required with SASL");
        if ((rc = mds_conf_secret(o->conf, o->sec, "sasl_password", 0, &password, err, errlen)))
            return rc;
        if (!(rc = set(c, "sasl.mechanism", mds_conf_str(o->sec, "sasl_mechanism"), o, err, errlen)) &&
            !(rc = set(c, "sasl.username", mds_conf_str(o->sec, "sasl_username"), o, err, errlen)))
            rc = set(c, "sasl.password", password, o, err, errlen);
        mds_conf_secret_free(password);
        if (rc)
            return rc;
    }
    if (ssl && mds_conf_bool(o->sec, "insecure")) {
        mds_warn(o->tag,
                 "insecure = true: the brokers' certificates are NOT verified; anyone on the path can "
                 "read and change these events");
        if ((rc = set(c, "enable.ssl.certificate.verification", "false", o, err, errlen)) ||
            (rc = set(c, "ssl.endpoint.identification.algorithm", "none", o, err, errlen)))
            return rc;
    }
    if ((rc = set(c, "ssl.ca.location", mds_conf_str(o->sec, "ca_file"), o, err, errlen)) ||
        (rc = set(c, "ssl.certificate.location", mds_conf_str(o->sec, "cert_file"), o, err, errlen)))
        return rc;
    return set(c, "ssl.key.location", mds_conf_str(o->sec, "key_file"), o, err, errlen);
}

static mds_err build_conf(rd_kafka_conf_t *c, struct mds_output *o, struct kafka_out *k, char *err,
                          size_t errlen)
{
    char timeout[32], maxmsg[32];
    snprintf(timeout, sizeof timeout, "%lld", (long long)k->timeout_ms);
    snprintf(maxmsg, sizeof maxmsg, "%zu", k->max_message);
    const char *const props[][2] = {
        {"bootstrap.servers", mds_conf_str(o->sec, "brokers")},
        {"client.id", mds_conf_str(o->sec, "client_id")},
        {"enable.idempotence", "true"}, /* no duplicates from librdkafka's own retries; implies acks=all */
        {"acks", "all"},
        {"compression.codec", mds_conf_str(o->sec, "compression")},
        {"message.timeout.ms", timeout},
        {"message.max.bytes", maxmsg},
        {"log.connection.close", "false"},
    };
    mds_err rc = MDS_OK;
    for (size_t i = 0; !rc && i < sizeof props / sizeof *props; i++)
        rc = set(c, props[i][0], props[i][1], o, err, errlen);
    if (rc)
        return rc;
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    rd_kafka_conf_set_log_cb(c, on_log);
    rd_kafka_conf_set_opaque(c, k);
    return set_security(c, o, err, errlen);
}

static mds_err new_producer(struct mds_output *o, struct kafka_out *k, char *err, size_t errlen)
{
    char why[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (!c)
        return MDS_ERR_NOMEM;
    mds_err rc = build_conf(c, o, k, err, errlen);
    if (rc) {
        rd_kafka_conf_destroy(c);
        return rc;
    }
    if (!(k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, why, sizeof why))) { /* takes c only on success */
        rd_kafka_conf_destroy(c);
        snprintf(err, errlen, "%s: [output %s]: cannot create the Kafka producer: %s", o->conf->path, o->name,
                 why);
        return MDS_ERR_CONFIG;
    }
    return MDS_OK;
}

static mds_err kafka_create(struct mds_output *o, char *err, size_t errlen)
{
    struct kafka_out *k = mds_calloc(1, sizeof *k);
    if (!k)
        return MDS_ERR_NOMEM;
    o->ctx = k;
    k->out = o;
    k->tag = o->tag;
    k->topic = mds_conf_str(o->sec, "topic");
    k->timeout_ms = mds_conf_ms(o->sec, "timeout");
    k->max_message = (size_t)mds_conf_int(o->sec, "max_message_bytes");
    return new_producer(o, k, err, errlen);
}

static void close_producer(struct kafka_out *k)
{
    rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(k->rk, 1000);
    rd_kafka_destroy(k->rk);
    k->rk = NULL;
}

/* An idempotent producer can hit a fatal error (e.g. the broker lost its
 * sequence state); the handle is then unusable and is replaced. */
static mds_err check_fatal(struct kafka_out *k, char *err, size_t errlen)
{
    char why[512];
    if (k->rk && rd_kafka_fatal_error(k->rk, why, sizeof why) == RD_KAFKA_RESP_ERR_NO_ERROR)
        return MDS_OK;
    if (k->rk) {
        mds_error(k->tag, "the Kafka producer hit a fatal error (%s); starting a new one", why);
        close_producer(k);
    }
    mds_err rc = new_producer(k->out, k, err, errlen);
    return rc ? MDS_ERR_RETRY : MDS_OK;
}

static void kafka_destroy(struct mds_output *o)
{
    struct kafka_out *k = o->ctx;
    if (k->rk)
        close_producer(k);
    mds_free(k->done);
    mds_free(k);
    o->ctx = NULL;
}

/* Checks every event against max_message_bytes before producing any. */
static mds_err check_sizes(struct kafka_out *k, const struct mds_batch *b, char *err, size_t errlen)
{
    for (size_t i = 0; i < b->count; i++) {
        const struct mds_event *ev = &b->events[i];
        if (ev->len + ev->rec->id_len + MSG_OVERHEAD > k->max_message) {
            snprintf(err, errlen,
                     "event %u of record %.*s is %zu bytes, too large for max_message_bytes = %zu; "
                     "nothing of this batch was produced",
                     ev->part + 1, (int)(ev->rec->id_len > 200 ? 200 : ev->rec->id_len), ev->rec->id, ev->len,
                     k->max_message);
            return MDS_ERR_LIMIT;
        }
    }
    return MDS_OK;
}

/* Queues one message, waiting while the local queue is full. */
static rd_kafka_resp_err_t produce_one(struct kafka_out *k, const struct mds_batch *b,
                                       const struct mds_event *ev, int64_t deadline)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            k->rk, RD_KAFKA_V_TOPIC(k->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(ev->rec->id, ev->rec->id_len),
            RD_KAFKA_V_VALUE((void *)(b->data + ev->off), ev->len),
            RD_KAFKA_V_OPAQUE((void *)(k->base + (uintptr_t)(ev - b->events))), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return e;
        if (mds_shutdown_requested() || mds_mono_ms() >= deadline)
            return RD_KAFKA_RESP_ERR__TIMED_OUT;
        rd_kafka_poll(k->rk, 100);
    }
}

/* Drops what this batch still has queued and collects the reports. */
static void abandon(struct kafka_out *k)
{
    rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(k->rk, 0);
}

/* Waits for every report of the batch (or the deadline, or shutdown). */
static void wait_reports(struct kafka_out *k, size_t count, int64_t deadline)
{
    while (k->acked + k->failed < count && !mds_shutdown_requested() && mds_mono_ms() < deadline)
        rd_kafka_flush(k->rk, 100);
}

static mds_err verdict(struct kafka_out *k, size_t count, char *err, size_t errlen)
{
    rd_kafka_resp_err_t e = k->first_err;
    if (k->acked == count)
        return MDS_OK;
    if (k->failed)
        snprintf(err, errlen, "%zu of %zu messages to topic %s failed: %s", k->failed, count, k->topic,
                 rd_kafka_err2str(e));
    else
        snprintf(err, errlen, "%zu of %zu messages to topic %s were not acknowledged in time",
                 count - k->acked, count, k->topic);
    if (e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
        e == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED || e == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
        e == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED)
        return MDS_ERR_AUTH;
    if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        return MDS_ERR_LIMIT;
    return mds_shutdown_requested() && !k->failed ? MDS_ERR_STOPPED : MDS_ERR_RETRY;
}

/* Starts an attempt: clears the flags, unless b is a retry of the batch
 * whose flags they are (its acknowledged messages stay done). */
static mds_err begin_attempt(struct kafka_out *k, const struct mds_batch *b)
{
    if (b->count > k->done_cap) {
        unsigned char *d = mds_realloc(k->done, b->count);
        if (!d)
            return MDS_ERR_NOMEM;
        k->done = d;
        k->done_cap = b->count;
    }
    k->acked = 0;
    if (b->attempt && k->partial && b->count == k->count) {
        for (size_t i = 0; i < b->count; i++)
            k->acked += k->done[i];
        if (k->acked)
            mds_info(
                k->tag,
                "producing %zu of %zu messages again; the others were acknowledged by an earlier attempt",
                b->count - k->acked, b->count);
    } else {
        memset(k->done, 0, b->count);
    }
    k->base += k->count + 1; /* past every opaque of the previous attempt */
    k->count = b->count;
    k->failed = 0;
    k->first_err = RD_KAFKA_RESP_ERR_NO_ERROR;
    return MDS_OK;
}

static mds_err produce_batch(struct kafka_out *k, const struct mds_batch *b, int64_t deadline, char *err,
                             size_t errlen)
{
    for (size_t i = 0; i < b->count; i++) {
        rd_kafka_resp_err_t e =
            k->done[i] ? RD_KAFKA_RESP_ERR_NO_ERROR : produce_one(k, b, &b->events[i], deadline);
        if (e) {
            snprintf(err, errlen, "cannot queue message %zu of %zu for topic %s: %s", i + 1, b->count,
                     k->topic, rd_kafka_err2str(e));
            return mds_shutdown_requested() ? MDS_ERR_STOPPED : MDS_ERR_RETRY;
        }
    }
    wait_reports(k, b->count, deadline);
    return verdict(k, b->count, err, errlen);
}

static mds_err kafka_deliver(struct mds_output *o, const struct mds_batch *b, int64_t *retry_after_ms,
                             char *err, size_t errlen)
{
    struct kafka_out *k = o->ctx;
    int64_t deadline = mds_mono_ms() + k->timeout_ms;
    mds_err rc = check_sizes(k, b, err, errlen);
    (void)retry_after_ms;
    if (!b->attempt) /* a new batch: flags of an earlier one mean nothing */
        k->partial = 0;
    if (!b->count)
        return MDS_OK;
    if (rc || (rc = check_fatal(k, err, errlen)) || (rc = begin_attempt(k, b)))
        return rc;
    rc = produce_batch(k, b, deadline, err, errlen);
    k->partial = rc != MDS_OK;
    if (rc)
        abandon(k);
    return rc;
}

const struct mds_output_type mds_output_kafka = {
    .name = "kafka",
    .help = "produce each event as a Kafka message keyed by the alert id (librdkafka, idempotent, acks=all)",
    .default_format = "json",
    .keys = kafka_keys,
    .create = kafka_create,
    .deliver_batch = kafka_deliver,
    .destroy = kafka_destroy,
};
