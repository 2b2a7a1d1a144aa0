/*
 * eventhub_check.c - `mdesiem check` for the eventhub source: the brokers
 * answer (TCP, TLS, SASL with the connection string), the event hub exists
 * and has partitions, the consumer group's committed offsets can be read,
 * and how many messages wait. Consumes nothing, commits nothing, joins no
 * group. Never prints the connection string.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "core/log.h"
#include "sources/check.h"
#include "sources/eventhub_internal.h"

#define CHECK_TIMEOUT_MS 10000

static void check_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct eventhub *eh = opaque;
    (void)rk, (void)err;
    snprintf(eh->last_error, sizeof eh->last_error, "%s", reason);
}

static void check_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level;
    mds_debug("check", "kafka %s: %s", fac, buf);
}

static rd_kafka_t *check_client(struct eventhub *eh, struct mds_check *chk)
{
    char kerr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_dup(eh->conf);
    if (!conf) {
        mds_check_report(chk, 0, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, eh);
    rd_kafka_conf_set_error_cb(conf, check_error_cb);
    rd_kafka_conf_set_log_cb(conf, check_log_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof kerr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        mds_check_report(chk, 0, "cannot create a Kafka client: %s", kerr);
    }
    return rk;
}

static int find_topic(const struct rd_kafka_metadata *md, const char *topic)
{
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0)
            return i;
    return -1;
}

/* Metadata of every topic (asking for the hub by name could create it on
 * a broker that auto-creates topics): proves DNS, TCP, TLS and SASL.
 * Returns the hub's partition count, or -1. */
static int check_metadata(struct eventhub *eh, rd_kafka_t *rk, struct mds_check *chk)
{
    const struct rd_kafka_metadata *md = NULL;
    char proto[64];
    size_t plen = sizeof proto;
    if (rd_kafka_conf_get(eh->conf, "security.protocol", proto, &plen) != RD_KAFKA_CONF_OK)
        snprintf(proto, sizeof proto, "?");
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, CHECK_TIMEOUT_MS);
    int n = -1, t = e ? -1 : find_topic(md, eh->topic);
    if (e)
        mds_check_report(
            chk, 0,
            "brokers did not answer over %s: %s (check the namespace, that port 9093 is open, and "
            "the connection string's key and Listen claim)",
            proto, rd_kafka_err2str(e));
    else if (t < 0 || md->topics[t].err)
        mds_check_report(
            chk, 0,
            "brokers answered over %s (%d topics), but there is no event hub %s (is the name right, "
            "and does the Streaming API setting forward to it?)",
            proto, md->topic_cnt, eh->topic);
    else
        mds_check_report(chk, 1, "brokers answered over %s; event hub %s has %d partitions", proto, eh->topic,
                         n = md->topics[t].partition_cnt);
    if (md)
        rd_kafka_metadata_destroy(md);
    return n;
}

/* Committed offsets of the group, then the backlog per the watermarks. */
static void check_group(struct eventhub *eh, rd_kafka_t *rk, int partitions, struct mds_check *chk)
{
    const char *group = mds_conf_str(eh->src->sec, "consumer_group");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(l, eh->topic, p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, CHECK_TIMEOUT_MS);
    if (e) {
        mds_check_report(chk, 0,
                         "consumer group %s: cannot read its offsets: %s (does the group exist on the "
                         "hub?)",
                         group, rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_destroy(l);
        return;
    }
    int committed = 0;
    long long waiting = 0;
    for (int i = 0; i < l->cnt; i++) {
        int64_t lo = -1, hi = -1, from = l->elems[i].offset;
        if (rd_kafka_query_watermark_offsets(rk, eh->topic, l->elems[i].partition, &lo, &hi,
                                             CHECK_TIMEOUT_MS))
            continue;
        committed += from >= 0;
        if (from < 0)
            from = strcmp(mds_conf_str(eh->src->sec, "start"), "latest") == 0 ? hi : lo;
        waiting += hi > from ? hi - from : 0;
    }
    mds_check_report(chk, 1,
                     "consumer group %s: committed offsets on %d of %d partitions; %lld messages to read",
                     group, committed, partitions, waiting);
    rd_kafka_topic_partition_list_destroy(l);
}

void mds_eh_check(struct mds_source *src, struct mds_check *chk)
{
    struct eventhub *eh = src->ctx;
    char bootstrap[512];
    size_t n = sizeof bootstrap;
    if (rd_kafka_conf_get(eh->conf, "bootstrap.servers", bootstrap, &n) != RD_KAFKA_CONF_OK)
        snprintf(bootstrap, sizeof bootstrap, "?");
    mds_check_report(chk, 1, "Kafka endpoint %s, event hub %s", bootstrap, eh->topic);
    eh->last_error[0] = '\0';
    rd_kafka_t *rk = check_client(eh, chk);
    if (!rk)
        return;
    int partitions = check_metadata(eh, rk, chk);
    if (partitions > 0)
        check_group(eh, rk, partitions, chk);
    rd_kafka_destroy(rk);
    eh->last_error[0] = '\0';
}
