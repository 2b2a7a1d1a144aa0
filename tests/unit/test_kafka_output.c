/* Unit tests: the kafka output against librdkafka's mock cluster (a real
 * Kafka-protocol broker set on 127.0.0.1), read back with a consumer:
 * keys are alert ids, values the events, every event exactly once; all
 * brokers down makes the batch fail (RETRY) and a later delivery lands
 * once; a batch that failed part way is finished without producing its
 * acknowledged messages again; produce errors the producer retries
 * itself cause no duplicates;
 * an authorization failure is permanent; an oversize event is refused
 * before anything is produced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

#include "core/timeutil.h"
#include "output_harness.h"

#define KAFKA_API_PRODUCE 0 /* ApiKey of Produce in the Kafka protocol (not in the public headers) */

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mc;
static char bootstraps[256];

struct msg {
    char key[64];
    char value[512];
    int32_t partition;
};

/* Reads `topic` (all partitions, from the beginning) until `want`
 * messages arrived and then 500 ms more passed (to catch duplicates), or
 * limit_ms. Returns the count. */
static size_t consume(const char *topic, int partitions, size_t want, struct msg *out, size_t max,
                      int limit_ms)
{
    char why[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, why, sizeof why),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(c, "group.id", "test-reader", why, sizeof why), RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(c, "enable.auto.commit", "false", why, sizeof why), RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, why, sizeof why);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);
    size_t n = 0;
    int64_t end = mds_mono_ms() + limit_ms, settle = 0;
    while (mds_mono_ms() < end && (!settle || mds_mono_ms() < settle)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m && !m->err && n < max) {
            snprintf(out[n].key, sizeof out[n].key, "%.*s", (int)m->key_len, (const char *)m->key);
            snprintf(out[n].value, sizeof out[n].value, "%.*s", (int)m->len, (const char *)m->payload);
            out[n++].partition = m->partition;
        }
        if (m)
            rd_kafka_message_destroy(m);
        if (n >= want && !settle)
            settle = mds_mono_ms() + 500;
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

static mds_err open_kafka(struct harness *h, const char *topic, const char *extra, char *err, size_t errlen)
{
    char ini[1024];
    int own_timeout = extra && strstr(extra, "timeout");
    snprintf(ini, sizeof ini, "[output k]\ntype = kafka\nbrokers = %s\ntopic = %s\n%s\n%s\n", bootstraps,
             topic, own_timeout ? "" : "timeout = 10S", extra ? extra : "");
    return harness_open(h, ini, "k", err, errlen);
}

/* n records alert-<base+i>; every third has two events (split evidence). */
static size_t add_alerts(struct harness *h, int base, int n)
{
    size_t events = 0;
    for (int i = 0; i < n; i++) {
        char id[32], e1[128], e2[128];
        snprintf(id, sizeof id, "alert-%d", base + i);
        snprintf(e1, sizeof e1, "{\"id\":\"%s\",\"evidence\":1,\"t\":\"tab\\there\"}", id);
        snprintf(e2, sizeof e2, "{\"id\":\"%s\",\"evidence\":2}", id);
        const char *ev[] = {e1, e2};
        size_t k = i % 3 == 0 ? 2 : 1;
        harness_add(h, id, base + i + 1, "{}", ev, k);
        events += k;
    }
    return events;
}

/* Every event of the harness batch is in msgs exactly once, keyed by its
 * record id; events of one key share a partition. */
static void check_exactly_once(struct harness *h, struct msg *msgs, size_t n)
{
    assert_int_equal(n, h->count);
    for (size_t i = 0; i < h->count; i++) {
        const struct mds_event *ev = &h->events[i];
        char value[512];
        snprintf(value, sizeof value, "%.*s", (int)ev->len, h->data.data + ev->off);
        int found = 0;
        for (size_t j = 0; j < n; j++)
            if (strcmp(msgs[j].value, value) == 0) {
                found++;
                assert_int_equal(strlen(msgs[j].key), ev->rec->id_len);
                assert_memory_equal(msgs[j].key, ev->rec->id, ev->rec->id_len);
            }
        assert_int_equal(found, 1);
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (strcmp(msgs[a].key, msgs[b].key) == 0)
                assert_int_equal(msgs[a].partition, msgs[b].partition);
}

static struct msg msgs[2000];

/* Retries the failed batch as the engine would, up to 5 times. */
static mds_err retry_until_delivered(struct harness *h)
{
    char err[512];
    mds_err rc = MDS_ERR_RETRY;
    for (int attempt = 0; attempt < 5 && rc == MDS_ERR_RETRY; attempt++)
        rc = harness_redeliver(h, NULL, err, sizeof err);
    return rc;
}

static void test_produce_keys_values(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    rd_kafka_mock_topic_create(mc, "alerts", 3, 1);
    assert_int_equal(open_kafka(&h, "alerts", "compression = gzip", err, sizeof err), MDS_OK);
    size_t events = add_alerts(&h, 0, 300);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    size_t n = consume("alerts", 3, events, msgs, 2000, 20000);
    check_exactly_once(&h, msgs, n);
    harness_close(&h);
}

static void test_brokers_down_then_up(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    rd_kafka_mock_topic_create(mc, "alerts-down", 2, 1);
    assert_int_equal(open_kafka(&h, "alerts-down", "timeout = 2S", err, sizeof err), MDS_OK);
    add_alerts(&h, 1000, 50);
    for (int b = 1; b <= 3; b++)
        rd_kafka_mock_broker_set_down(mc, b);
    int64_t t0 = mds_mono_ms();
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_RETRY);
    assert_true(mds_mono_ms() - t0 < 8000);
    assert_non_null(strstr(err, "alerts-down"));
    for (int b = 1; b <= 3; b++)
        rd_kafka_mock_broker_set_up(mc, b);
    assert_int_equal(retry_until_delivered(&h), MDS_OK);
    size_t n = consume("alerts-down", 2, h.count, msgs, 2000, 20000);
    check_exactly_once(&h, msgs, n);
    harness_close(&h);
}

/* One partition's leader is down: its messages time out while the other
 * partition's are acknowledged. The retry of that batch produces only
 * the messages without a report, so each event is in the topic once. */
static void test_partial_failure_resends_the_rest(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    rd_kafka_mock_topic_create(mc, "alerts-split", 2, 1);
    rd_kafka_mock_partition_set_leader(mc, "alerts-split", 0, 1);
    rd_kafka_mock_partition_set_leader(mc, "alerts-split", 1, 2);
    rd_kafka_mock_broker_set_down(mc, 2);
    assert_int_equal(open_kafka(&h, "alerts-split", "timeout = 2S", err, sizeof err), MDS_OK);
    add_alerts(&h, 5000, 60);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_RETRY);
    assert_non_null(strstr(err, "not acknowledged in time"));
    size_t first = consume("alerts-split", 2, h.count, msgs, 2000, 3000);
    assert_true(first > 0 && first < h.count); /* partition 0 only */
    rd_kafka_mock_broker_set_up(mc, 2);
    assert_int_equal(retry_until_delivered(&h), MDS_OK);
    size_t n = consume("alerts-split", 2, h.count, msgs, 2000, 20000);
    check_exactly_once(&h, msgs, n);
    /* a different batch afterwards is produced whole */
    harness_reset(&h);
    add_alerts(&h, 6000, 10);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    assert_int_equal(consume("alerts-split", 2, n + h.count, msgs, 2000, 20000), n + h.count);
    harness_close(&h);
}

static void test_retried_produce_errors_no_duplicates(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    rd_kafka_mock_topic_create(mc, "alerts-flaky", 1, 1);
    assert_int_equal(open_kafka(&h, "alerts-flaky", NULL, err, sizeof err), MDS_OK);
    add_alerts(&h, 2000, 100);
    rd_kafka_mock_push_request_errors(mc, KAFKA_API_PRODUCE, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    size_t n = consume("alerts-flaky", 1, h.count, msgs, 2000, 20000);
    check_exactly_once(&h, msgs, n);
    harness_close(&h);
}

static void test_authorization_failure(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    rd_kafka_mock_topic_create(mc, "alerts-denied", 1, 1);
    assert_int_equal(open_kafka(&h, "alerts-denied", "timeout = 3S", err, sizeof err), MDS_OK);
    add_alerts(&h, 3000, 5);
    rd_kafka_mock_push_request_errors(mc, KAFKA_API_PRODUCE, 1, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    mds_err rc = harness_deliver(&h, NULL, err, sizeof err);
    assert_int_equal(rc, MDS_ERR_AUTH);
    assert_int_equal(consume("alerts-denied", 1, 1, msgs, 2000, 3000), 0);
    harness_close(&h);
}

static void test_oversize_refused(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    static char big[3000];
    rd_kafka_mock_topic_create(mc, "alerts-big", 1, 1);
    assert_int_equal(open_kafka(&h, "alerts-big", "max_message_bytes = 2000", err, sizeof err), MDS_OK);
    memset(big, 'x', sizeof big - 1);
    const char *ev[] = {big};
    add_alerts(&h, 4000, 3);
    harness_add(&h, "huge", 9, "{}", ev, 1);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_LIMIT);
    assert_non_null(strstr(err, "huge"));
    assert_int_equal(consume("alerts-big", 1, 1, msgs, 2000, 3000), 0);
    harness_close(&h);
}

static void test_config_errors(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    assert_int_equal(open_kafka(&h, "t", "sasl_username = u", err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "security_protocol"));
    harness_close(&h);
    assert_int_equal(
        open_kafka(&h, "t", "security_protocol = sasl_plaintext\nsasl_username = u", err, sizeof err),
        MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "sasl_password"));
    harness_close(&h);
    setenv("MDS_TEST_KAFKA_PW", "pw-secret-987", 1);
    assert_int_equal(open_kafka(&h, "t",
                                "security_protocol = sasl_plaintext\nsasl_username = u\n"
                                "sasl_password_env = MDS_TEST_KAFKA_PW\nsasl_mechanism = SCRAM-SHA-256",
                                err, sizeof err),
                     MDS_OK);
    harness_close(&h);
}

static int setup(void **state)
{
    (void)state;
    char why[256];
    signal(SIGPIPE, SIG_IGN);
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "log_level", "0", why, sizeof why);
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, why, sizeof why);
    if (!mock_rk || !(mc = rd_kafka_mock_cluster_new(mock_rk, 3)))
        return -1;
    snprintf(bootstraps, sizeof bootstraps, "%s", rd_kafka_mock_cluster_bootstraps(mc));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_produce_keys_values),
        cmocka_unit_test(test_brokers_down_then_up),
        cmocka_unit_test(test_partial_failure_resends_the_rest),
        cmocka_unit_test(test_retried_produce_errors_no_duplicates),
        cmocka_unit_test(test_authorization_failure),
        cmocka_unit_test(test_oversize_refused),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
