/*
 * stream.c - the emulator's Streaming API producer (see stream.h):
 *
 *   mdesiem emulate --stream kafka://HOST:PORT --topic NAME --eps N
 *       [--events N] [--partitions N] [--duplicate RATE] [--malformed RATE]
 *       [--records-per-message N] [--seed N] [--base-time ISO|now]
 *   mdesiem emulate --stream-mock [--brokers N] [--topic NAME ...]
 *
 * --stream-mock starts librdkafka's mock cluster in this process (a real
 * Kafka-protocol broker on 127.0.0.1), prints
 *   mdesiem emulate: stream bootstrap 127.0.0.1:PORT
 * as its first stdout line and serves until SIGTERM/SIGINT; SIGUSR1 takes
 * every broker down (connections refused, as when the Event Hubs
 * namespace is unreachable) and SIGUSR2 brings them back. With --topic it
 * also creates the topic and produces into it, like --stream.
 *
 * Messages go to explicit partitions round robin (the mock cluster keeps
 * only about 5 MB per partition, so data is spread). --duplicate RATE
 * sends that share of messages twice (Event Hubs is at-least-once);
 * --malformed RATE adds broken messages for dead-letter tests. When done,
 * one line on stdout says what was produced:
 *   mdesiem emulate: stream produced R records in M messages (D duplicates, X malformed)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "core/lifecycle.h"
#include "core/log.h"
#include "emulator/stream.h"

#define TAG "emulate:stream"

struct opts {
    const char *broker; /* HOST:PORT of --stream */
    int mock;
    int brokers;
    const char *topic;
    double eps;
    long long events; /* -1 = until stopped */
    int partitions;   /* 0 = mock: 4, broker: from metadata */
    double duplicate, malformed;
    unsigned long long seed;
    int max_records;
    mds_ticks base;
};

struct counts {
    long long records, messages, duplicates, malformed;
    long long failed; /* delivery reports with an error */
};

static volatile sig_atomic_t brokers_down_req, brokers_up_req;

static void on_stop(int sig)
{
    (void)sig;
    mds_shutdown_request();
}

static void on_usr(int sig)
{
    if (sig == SIGUSR1)
        brokers_down_req = 1;
    else
        brokers_up_req = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_usr;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

static const char usage[] =
    "usage: mdesiem emulate --stream kafka://HOST:PORT --topic NAME [options]\n"
    "       mdesiem emulate --stream-mock [--brokers N] [--topic NAME [options]]\n\n"
    "Produces Defender Streaming API messages ({\"records\":[...]}, Advanced Hunting\n"
    "tables mixed) to a Kafka broker, or runs librdkafka's mock cluster on 127.0.0.1.\n\n"
    "  --eps N                  records per second (0 = as fast as possible; default 1000)\n"
    "  --events N               records to produce, then stop producing (default: until stopped)\n"
    "  --partitions N           spread messages over partitions 0..N-1 (mock: topic size, default 4)\n"
    "  --records-per-message N  at most N records per message (default 20)\n"
    "  --duplicate RATE         share of messages sent twice, 0..1 (default 0)\n"
    "  --malformed RATE         share of extra malformed messages, 0..1 (default 0)\n"
    "  --seed N                 the stream is a function of the seed (default 1)\n"
    "  --base-time ISO|now      time of the first record (default 2025-01-01T00:00:00Z)\n"
    "  --brokers N              mock cluster size (default 1)\n\n"
    "With --stream-mock, SIGUSR1 takes the brokers down and SIGUSR2 brings them back.\n";

static int bad(const char *flag, const char *v, const char *want)
{
    fprintf(stderr, "mdesiem emulate: invalid value '%s' for %s: expected %s\n", v ? v : "", flag, want);
    return -1;
}

static int parse_ll(const char *flag, const char *v, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || n < min || n > max) {
        char want[96];
        snprintf(want, sizeof want, "an integer from %lld to %lld", min, max);
        return bad(flag, v, want);
    }
    *out = n;
    return 0;
}

static int parse_rate(const char *flag, const char *v, double max, double *out)
{
    char *end;
    errno = 0;
    double d = v ? strtod(v, &end) : 0;
    if (!v || errno || end == v || *end || d < 0 || d > max)
        return bad(flag, v, "a number from 0 to the maximum");
    *out = d;
    return 0;
}

static int parse_time(const char *v, mds_ticks *out)
{
    if (v && strcmp(v, "now") == 0) {
        *out = mds_time_now();
        return 0;
    }
    if (!v || mds_time_parse(v, strlen(v), out))
        return bad("--base-time", v, "an ISO 8601 time or 'now'");
    return 0;
}

static int parse_int(const char *flag, const char *v, long long max, int *out)
{
    long long n;
    if (parse_ll(flag, v, 1, max, &n))
        return -1;
    *out = (int)n;
    return 1;
}

/* One flag with a value; returns 1 if consumed, 0 if not this flag, -1 on error. */
static int value_flag(struct opts *o, const char *f, const char *v)
{
    long long n;
    if (strcmp(f, "--stream") == 0) {
        if (!v || strncmp(v, "kafka://", 8) != 0 || !v[8])
            return bad(f, v, "kafka://HOST:PORT");
        o->broker = v + 8;
        return 1;
    }
    if (strcmp(f, "--topic") == 0) {
        if (!v || !*v)
            return bad(f, v, "a topic name");
        o->topic = v;
        return 1;
    }
    if (strcmp(f, "--eps") == 0)
        return parse_rate(f, v, 1e9, &o->eps) ? -1 : 1;
    if (strcmp(f, "--events") == 0)
        return parse_ll(f, v, 0, INT64_C(1) << 40, &o->events) ? -1 : 1;
    if (strcmp(f, "--partitions") == 0)
        return parse_int(f, v, 1000, &o->partitions);
    if (strcmp(f, "--brokers") == 0)
        return parse_int(f, v, 16, &o->brokers);
    if (strcmp(f, "--records-per-message") == 0)
        return parse_int(f, v, 10000, &o->max_records);
    if (strcmp(f, "--duplicate") == 0)
        return parse_rate(f, v, 1, &o->duplicate) ? -1 : 1;
    if (strcmp(f, "--malformed") == 0)
        return parse_rate(f, v, 1, &o->malformed) ? -1 : 1;
    if (strcmp(f, "--base-time") == 0)
        return parse_time(v, &o->base) ? -1 : 1;
    if (strcmp(f, "--seed") == 0) {
        if (parse_ll(f, v, 0, INT64_MAX, &n))
            return -1;
        o->seed = (unsigned long long)n;
        return 1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.brokers = 1, .eps = 1000, .events = -1, .seed = 1, .max_records = 20};
    mds_time_parse("2025-01-01T00:00:00Z", 20, &o->base);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--stream-mock") == 0) {
            o->mock = 1;
            continue;
        }
        int r = value_flag(o, argv[i], i + 1 < argc ? argv[i + 1] : NULL);
        if (r < 0)
            return -1;
        if (r == 0) {
            fprintf(stderr, "mdesiem emulate: unknown option '%s'\n\n%s", argv[i], usage);
            return -1;
        }
        i++;
    }
    if (!o->mock == !o->broker) {
        fprintf(stderr,
                "mdesiem emulate: give exactly one of --stream kafka://HOST:PORT and --stream-mock\n");
        return -1;
    }
    if (o->broker && !o->topic) {
        fprintf(stderr, "mdesiem emulate: --stream needs --topic\n");
        return -1;
    }
    return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= LOG_ERR)
        mds_error(TAG, "kafka %s: %s", fac, buf);
    else if (level <= LOG_WARNING)
        mds_warn(TAG, "kafka %s: %s", fac, buf);
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct counts *c = opaque;
    (void)rk;
    if (m->err) {
        if (c->failed++ == 0)
            mds_error(TAG, "a message could not be delivered: %s", rd_kafka_err2str(m->err));
    }
}

static rd_kafka_t *new_producer(const char *bootstrap, struct counts *c)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    static const char *const kv[][2] = {
        {"linger.ms", "10"},
        {"queue.buffering.max.kbytes", "1048576"},
        {"queue.buffering.max.messages", "1000000"},
        {"enable.idempotence", "false"},
        {"message.max.bytes", "4000000"},
    };
    if (bootstrap &&
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) != RD_KAFKA_CONF_OK)
        goto fail;
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err) != RD_KAFKA_CONF_OK)
            goto fail;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk)
        return rk;
    mds_error(TAG, "cannot create a producer: %s", err);
    return NULL;
fail:
    mds_error(TAG, "producer configuration: %s", err);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Partition count of the topic on the broker. */
static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int n = -1;
    rd_kafka_resp_err_t e = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : RD_KAFKA_RESP_ERR__FAIL;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && !md->topics[0].err)
        n = md->topics[0].partition_cnt;
    else
        mds_error(TAG, "cannot read the partitions of topic %s: %s", topic,
                  rd_kafka_err2str(e               ? e
                                   : md->topic_cnt ? md->topics[0].err
                                                   : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return n;
}

static int send_body(rd_kafka_t *rk, const char *topic, int partition, const struct mds_buf *b)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(b->data, b->len), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || mds_shutdown_requested()) {
            mds_error(TAG, "cannot produce to %s [%d]: %s", topic, partition, rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(rk, 50);
    }
}

static double chance(uint64_t seed, uint64_t m, uint64_t salt)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ULL ^ (m + salt) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 31)) * 0x94D049BB133111EBULL;
    z ^= z >> 29;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* Waits until `records` records are due at `eps` since start_ms. */
static void pace(rd_kafka_t *rk, double eps, long long records, int64_t start_ms)
{
    if (eps <= 0)
        return;
    int64_t due = start_ms + (int64_t)((double)records * 1000.0 / eps);
    while (!mds_shutdown_requested() && mds_mono_ms() < due)
        rd_kafka_poll(rk, (int)(due - mds_mono_ms() > 50 ? 50 : due - mds_mono_ms()));
}

/* Produces one generated message (and its duplicate / malformed extras). */
static int produce_one(rd_kafka_t *rk, const struct opts *o, const struct mds_emu_stream_gen *g, uint64_t m,
                       int partitions, struct mds_buf *b, struct counts *c)
{
    int n,
        limit = o->events >= 0 ? (int)(o->events - c->records < 100000 ? o->events - c->records : 100000) : 0;
    int part = (int)(m % (uint64_t)partitions);
    mds_buf_reset(b);
    if (mds_emu_stream_message(g, m, limit, b, &n) || send_body(rk, o->topic, part, b))
        return -1;
    c->records += n;
    c->messages++;
    if (o->duplicate > 0 && chance(o->seed, m, 1) < o->duplicate) {
        if (send_body(rk, o->topic, part, b))
            return -1;
        c->duplicates++;
    }
    if (o->malformed > 0 && chance(o->seed, m, 2) < o->malformed) {
        mds_buf_reset(b);
        if (mds_emu_stream_malformed(g, m, b) || send_body(rk, o->topic, part, b))
            return -1;
        c->malformed++;
    }
    rd_kafka_poll(rk, 0);
    return 0;
}

static int produce(const struct opts *o, const char *bootstrap)
{
    struct counts c = {0};
    struct mds_emu_stream_gen g;
    struct mds_buf b;
    int rc = -1;
    rd_kafka_t *rk = new_producer(bootstrap, &c);
    if (!rk)
        return -1;
    mds_emu_stream_gen_init(&g, o->seed, o->base, o->max_records);
    mds_buf_init(&b, 0);
    int partitions = o->partitions ? o->partitions : topic_partitions(rk, o->topic);
    int64_t start = mds_mono_ms();
    for (uint64_t m = 0; partitions > 0 && !mds_shutdown_requested(); m++) {
        if (o->events >= 0 && c.records >= o->events) {
            rc = 0;
            break;
        }
        if (produce_one(rk, o, &g, m, partitions, &b, &c))
            break;
        pace(rk, o->eps, c.records, start);
    }
    if (mds_shutdown_requested())
        rc = 0;
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR || c.failed)
        rc = -1;
    printf("mdesiem emulate: stream produced %lld records in %lld messages (%lld duplicates, %lld malformed) "
           "to %s%s\n",
           c.records, c.messages, c.duplicates, c.malformed, o->topic, rc ? " - FAILED" : "");
    fflush(stdout);
    mds_buf_finish(&b);
    rd_kafka_destroy(rk);
    return rc;
}

static void set_brokers(rd_kafka_mock_cluster_t *mc, int n, int up)
{
    for (int id = 1; id <= n; id++)
        if (up)
            rd_kafka_mock_broker_set_up(mc, id);
        else
            rd_kafka_mock_broker_set_down(mc, id);
    mds_info(TAG, "mock brokers %s", up ? "up" : "down");
}

static void serve_mock(rd_kafka_mock_cluster_t *mc, int brokers)
{
    while (!mds_shutdown_requested()) {
        if (brokers_down_req) {
            brokers_down_req = 0;
            set_brokers(mc, brokers, 0);
        }
        if (brokers_up_req) {
            brokers_up_req = 0;
            set_brokers(mc, brokers, 1);
        }
        mds_sleep_ms(50);
    }
}

static int run_mock(struct opts *o)
{
    struct counts none = {0};
    rd_kafka_t *host = new_producer(NULL, &none);
    rd_kafka_mock_cluster_t *mc = host ? rd_kafka_mock_cluster_new(host, o->brokers) : NULL;
    int rc = -1;
    if (!mc) {
        mds_error(TAG, "cannot start the mock cluster");
        goto out;
    }
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    printf("mdesiem emulate: stream bootstrap %s\n", bootstrap);
    fflush(stdout);
    if (o->topic) {
        if (!o->partitions)
            o->partitions = 4;
        if (rd_kafka_mock_topic_create(mc, o->topic, o->partitions, 1)) {
            mds_error(TAG, "cannot create topic %s", o->topic);
            goto out;
        }
        if (o->events != 0 && produce(o, bootstrap))
            goto out;
    }
    serve_mock(mc, o->brokers);
    rc = 0;
out:
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (host)
        rd_kafka_destroy(host);
    return rc;
}

int mds_emu_stream_main(int argc, char **argv)
{
    struct opts o;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    if (parse_args(argc, argv, &o))
        return 2;
    install_signals();
    if (o.mock)
        return run_mock(&o) ? 1 : 0;
    return produce(&o, o.broker) ? 1 : 0;
}
