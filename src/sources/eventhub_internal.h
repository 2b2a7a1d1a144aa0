/*
 * eventhub_internal.h - state of one eventhub source, shared by
 * eventhub.c (configuration, create/destroy) and eventhub_consume.c (the
 * consumer loop). Not for other modules.
 *
 * Threads: everything here is touched only by the source's thread (and by
 * create/destroy on the main thread while that thread is not running).
 * librdkafka calls the rebalance, offset-commit and error callbacks from
 * rd_kafka_consumer_poll(), i.e. on the source's thread too; only the log
 * callback runs on librdkafka's threads, and it touches nothing here.
 */
#ifndef MDS_SOURCES_EVENTHUB_INTERNAL_H
#define MDS_SOURCES_EVENTHUB_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>

#include "core/engine.h"
#include "sources/eventhub.h"

#define EH_ID_MAX 64 /* "partition:offset:index" */

/* A partition of the current assignment. Offsets are "next to read". */
struct eh_part {
    int32_t partition;
    int64_t durable;     /* every message below is stored in the outbox (or dead-lettered / filtered) */
    int64_t commit_sent; /* highest offset handed to a commit */
    int64_t committed;   /* highest offset the group coordinator confirmed */
    int64_t high;        /* high watermark last seen */
    int eof;             /* at the end of the partition, nothing consumed since */
};

/* Messages consumed since the last store. The rd_kafka messages are kept
 * until the store, so items point into their payloads without copies. */
struct eh_batch {
    rd_kafka_message_t **msgs;
    size_t nmsgs, msgcap;
    struct mds_stream_msg *smsgs;        /* messages with records to store */
    size_t nsmsgs, smsgcap;
    struct mds_item *items;
    char (*ids)[EH_ID_MAX];
    size_t nitems, itemcap;
    int dead_lettered; /* the dead-letter file was written: fsync before storing */
};

/* The store worker: delivers (or stores) one batch while the source's
 * thread fills the next, so parsing overlaps rendering, writing and
 * fsync. A batch is handed over only after the previous one was applied,
 * so durable offsets move in order; while a batch is in flight the worker
 * owns src->db and the source's delivery buffers. */
struct eh_store {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, quit;
    struct eh_batch *job; /* handed over, not yet applied */
    int done;             /* the worker finished job */
    mds_err result;
    size_t accepted, dups;
};

struct eh_counts {
    long long messages, records, filtered, dead_letters, dup_messages;
};

struct eventhub {
    struct mds_source *src;
    /* configuration */
    rd_kafka_conf_t *conf; /* template, duplicated for every consumer; holds the secret */
    char *topic;
    char **categories;
    size_t ncategories;
    char *categories_storage;
    char *dead_letter_path;
    int dedupe;
    int direct; /* delivery = direct: outputs acknowledge, no outbox */
    int assign_mode;  /* `partitions` set: assigned by configuration, no group balancing */
    int32_t *assign;  /* those partitions; none with assign_mode = every partition of the topic */
    size_t nassign;
    int64_t dedupe_window_ms;
    size_t max_message_bytes;
    size_t batch_records;
    int64_t commit_interval_ms;
    int64_t stall_timeout_ms;
    /* consumer */
    rd_kafka_t *rk;
    struct eh_part *parts;
    size_t nparts, partcap;
    int assigned;        /* an assignment (maybe empty) arrived */
    int64_t assigned_ms; /* when the first one did */
    int need_committed;  /* ask the coordinator for the committed offsets */
    int closing;
    int broken;           /* a store failed: reopen from the committed offsets */
    char last_error[256]; /* kept until traffic flows again */
    int64_t last_error_ms;
    int64_t last_commit_ms, last_status_ms, last_prune_ms;
    /* the hot path */
    struct eh_batch batches[2];
    struct eh_batch *batch; /* the one being filled */
    struct eh_store store;
    struct mds_eh_split split;
    EVP_MD *sha256;
    EVP_MD_CTX *md;
    struct mds_buf dl_line;
    int dl_fd;
    struct eh_counts counts;
    int failures; /* consecutive failed cycles, for the backoff */
};

/* eventhub_consume.c */
mds_err mds_eh_collect(struct mds_source *src, char *err, size_t errlen);
void mds_eh_close_consumer(struct eventhub *eh);

/* eventhub_check.c: `mdesiem check` */
struct mds_check;
void mds_eh_check(struct mds_source *src, struct mds_check *chk);

#endif
