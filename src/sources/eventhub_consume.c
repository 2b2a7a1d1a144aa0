/*
 * eventhub_consume.c - the eventhub source's consumer loop (the design is
 * in eventhub.c's header comment).
 *
 * One cycle (mds_eh_collect, on the source's thread) polls messages into a
 * batch and splits each into records without copying them: items point
 * into the librdkafka payloads, which live until the batch is stored.
 * When the local queue runs dry or the batch is full, the batch goes to a
 * store worker thread, which writes it to the outbox in one transaction
 * while the source's thread fills the next one; a batch is handed over
 * only after the previous one was applied, so the partitions' durable
 * offsets move in order, and only durable offsets are ever committed.
 * In `once` mode the cycle ends when every assigned partition reported
 * its end (enable.partition.eof); in `run` mode it returns every 10 s so
 * the engine records the status, and the engine calls it again at once.
 * A rebalance stores everything and commits synchronously before giving
 * the partitions up. A store that fails drops what is not stored and
 * reopens the consumer, which resumes from the committed (durable)
 * offsets. No call here blocks for more than half a second on the
 * network, so a shutdown is seen promptly even while brokers are down.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/lifecycle.h"
#include "core/log.h"
#include "core/mem.h"
#include "sources/eventhub_internal.h"

#define POLL_MS 100            /* longest wait in one poll: shutdown is seen within it */
#define CYCLE_MS 10000         /* run mode: a cycle returns this often, for the status */
#define STATUS_MS 2000         /* per-partition offsets written to the state this often */
#define PRUNE_MS (10 * 60000)  /* old message digests forgotten this often */
#define COMMITTED_QUERY_MS 500 /* longest wait for the committed offsets after an assignment */
#define ERROR_FRESH_MS 60000   /* an error not repeated for this long is over */

/* ---- partitions of the assignment ---- */

static struct eh_part *find_part(struct eventhub *eh, int32_t partition)
{
    for (size_t i = 0; i < eh->nparts; i++)
        if (eh->parts[i].partition == partition)
            return &eh->parts[i];
    return NULL;
}

static int add_part(struct eventhub *eh, int32_t partition)
{
    if (find_part(eh, partition))
        return 0;
    if (eh->nparts == eh->partcap) {
        size_t cap = eh->partcap ? eh->partcap * 2 : 16;
        struct eh_part *p = mds_realloc(eh->parts, cap * sizeof *p);
        if (!p)
            return -1;
        eh->parts = p;
        eh->partcap = cap;
    }
    eh->parts[eh->nparts++] = (struct eh_part){
        .partition = partition, .durable = -1, .commit_sent = -1, .committed = -1, .high = -1};
    return 0;
}

static void remove_part(struct eventhub *eh, int32_t partition)
{
    struct eh_part *p = find_part(eh, partition);
    if (p)
        *p = eh->parts[--eh->nparts];
}

/* ---- Kafka offsets ---- */

/* Commits the durable offsets not committed yet. Synchronous when
 * partitions are given up (rebalance, close); asynchronous otherwise, at
 * most every commit_interval (the result arrives in offset_commit_cb). */
static void commit_offsets(struct eventhub *eh, int sync)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)eh->nparts + 1);
    if (!l)
        return;
    /* a synchronous commit also repeats offsets whose asynchronous commit
     * is not confirmed yet: it is the one that must have landed */
    for (size_t i = 0; i < eh->nparts; i++)
        if (eh->parts[i].durable > (sync ? eh->parts[i].committed : eh->parts[i].commit_sent))
            rd_kafka_topic_partition_list_add(l, eh->topic, eh->parts[i].partition)->offset =
                eh->parts[i].durable;
    if (l->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_commit(eh->rk, l, !sync);
        if (e)
            mds_warn(eh->src->tag, "cannot commit offsets of %d partitions (will retry): %s", l->cnt,
                     rd_kafka_err2str(e));
        for (int i = 0; i < l->cnt; i++) {
            struct eh_part *p = find_part(eh, l->elems[i].partition);
            if (p && !e)
                p->commit_sent = l->elems[i].offset;
            if (p && !e && sync && l->elems[i].offset > p->committed)
                p->committed = l->elems[i].offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    eh->last_commit_ms = mds_mono_ms();
}

static void offset_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    struct eventhub *eh = opaque;
    (void)rk;
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        mds_warn(eh->src->tag, "offset commit failed (will retry): %s", rd_kafka_err2str(err));
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        struct eh_part *p = find_part(eh, offsets->elems[i].partition);
        if (!p)
            continue;
        if (!err && !offsets->elems[i].err && offsets->elems[i].offset > p->committed)
            p->committed = offsets->elems[i].offset;
        else if (err || offsets->elems[i].err)
            p->commit_sent = p->committed; /* send it again */
    }
}

/* ---- per-partition status for `mdesiem status` ---- */

static void write_status(struct eventhub *eh)
{
    struct mds_stream_partition rows[64];
    size_t n = 0;
    if (!eh->src->db)
        return; /* destroy after the engine closed the connections */
    for (size_t i = 0; i < eh->nparts; i++) {
        struct eh_part *p = &eh->parts[i];
        int64_t lo, hi;
        if (eh->rk && !rd_kafka_get_watermark_offsets(eh->rk, eh->topic, p->partition, &lo, &hi) && hi >= 0)
            p->high = hi;
        rows[n++] = (struct mds_stream_partition){.source = eh->src->name,
                                                  .topic = eh->topic,
                                                  .partition = p->partition,
                                                  .committed = p->committed,
                                                  .high = p->high};
        if (n == sizeof rows / sizeof rows[0] || i + 1 == eh->nparts) {
            if (mds_db_stream_partitions_set(eh->src->db, rows, n))
                mds_warn(eh->src->tag, "cannot record partition offsets: %s", mds_db_errmsg(eh->src->db));
            n = 0;
        }
    }
    eh->last_status_ms = mds_mono_ms();
}

/* Asks the coordinator where the group stands, so that `status` shows a
 * lag before the first commit. Bounded wait: shutdown stays prompt. */
static void query_committed(struct eventhub *eh)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)eh->nparts + 1);
    eh->need_committed = 0;
    if (!l)
        return;
    for (size_t i = 0; i < eh->nparts; i++)
        rd_kafka_topic_partition_list_add(l, eh->topic, eh->parts[i].partition);
    if (l->cnt && rd_kafka_committed(eh->rk, l, COMMITTED_QUERY_MS) == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = 0; i < l->cnt; i++) {
            struct eh_part *p = find_part(eh, l->elems[i].partition);
            if (p && !l->elems[i].err && l->elems[i].offset >= 0 && p->committed < 0)
                p->committed = p->commit_sent = l->elems[i].offset;
        }
    rd_kafka_topic_partition_list_destroy(l);
}

/* ---- the batch ---- */

static void drop_batch(struct eh_batch *b)
{
    for (size_t i = 0; i < b->nmsgs; i++)
        rd_kafka_message_destroy(b->msgs[i]);
    b->nmsgs = b->nsmsgs = b->nitems = 0;
    b->dead_lettered = 0;
}

static int grow(void **p, size_t *cap, size_t want, size_t elem)
{
    if (want <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < want)
        ncap *= 2;
    void *np = mds_realloc(*p, ncap * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

static int reserve_items(struct eh_batch *b, size_t n)
{
    size_t cap = b->itemcap;
    if (grow((void **)&b->items, &cap, b->nitems + n, sizeof *b->items))
        return -1;
    size_t idcap = b->itemcap;
    if (grow((void **)&b->ids, &idcap, cap, sizeof *b->ids))
        return -1;
    b->itemcap = cap;
    return 0;
}

static mds_err digest(struct eventhub *eh, const void *body, size_t len,
                      unsigned char out[MDS_STREAM_DIGEST_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_DigestInit_ex2(eh->md, eh->sha256, NULL) || !EVP_DigestUpdate(eh->md, body, len) ||
        !EVP_DigestFinal_ex(eh->md, md, &n) || n < MDS_STREAM_DIGEST_LEN) {
        mds_error(eh->src->tag, "SHA-256 failed (OpenSSL); cannot deduplicate");
        return MDS_ERR_INTERNAL;
    }
    memcpy(out, md, MDS_STREAM_DIGEST_LEN);
    return MDS_OK;
}

/* Adds the records of a well-formed message that pass the category filter. */
static mds_err add_records(struct eventhub *eh, const rd_kafka_message_t *m)
{
    struct eh_batch *b = eh->batch;
    const char *body = m->payload;
    size_t first = b->nitems;
    if (reserve_items(b, eh->split.n) || grow((void **)&b->smsgs, &b->smsgcap, b->nsmsgs + 1, sizeof *b->smsgs))
        return MDS_ERR_NOMEM;
    for (size_t i = 0; i < eh->split.n; i++) {
        const struct mds_eh_record *r = &eh->split.recs[i];
        if (!mds_eh_category_match((const char *const *)eh->categories, eh->ncategories, body + r->cat_off,
                                   r->cat_len)) {
            eh->counts.filtered++;
            continue;
        }
        int n =
            snprintf(b->ids[b->nitems], EH_ID_MAX, "%d:%lld:%zu", (int)m->partition, (long long)m->offset, i);
        b->items[b->nitems++] = (struct mds_item){
            .id_len = (size_t)n, .version = r->time, .body = body + r->off, .body_len = r->len};
    }
    if (b->nitems == first)
        return MDS_OK;
    struct mds_stream_msg *sm = &b->smsgs[b->nsmsgs++];
    *sm = (struct mds_stream_msg){.first = first, .count = b->nitems - first};
    return eh->dedupe ? digest(eh, body, m->len, sm->digest) : MDS_OK;
}

/* ---- the dead-letter file ---- */

static mds_err dead_letter_line(struct eventhub *eh, const rd_kafka_message_t *m, const char *why)
{
    struct mds_buf *l = &eh->dl_line;
    char ts[40];
    mds_time_format(mds_time_now(), 7, ts, sizeof ts);
    mds_buf_reset(l);
    mds_err rc = mds_buf_printf(l, "{\"time\":\"%s\",\"source\":", ts);
    if (!rc)
        rc = mds_json_quote(l, eh->src->name, strlen(eh->src->name));
    if (!rc)
        rc = mds_buf_puts(l, ",\"eventhub\":");
    if (!rc)
        rc = mds_json_quote(l, eh->topic, strlen(eh->topic));
    if (!rc)
        rc = mds_buf_printf(l, ",\"partition\":%d,\"offset\":%lld,\"reason\":", (int)m->partition,
                            (long long)m->offset);
    if (!rc)
        rc = mds_json_quote(l, why, strlen(why));
    if (!rc)
        rc = mds_buf_printf(l, ",\"bytes\":%zu,\"body_base64\":\"", m->len);
    if (!rc)
        rc = mds_buf_reserve(l, (m->len + 2) / 3 * 4 + 4);
    if (!rc && m->len)
        l->len += (size_t)EVP_EncodeBlock((unsigned char *)l->data + l->len, m->payload, (int)m->len);
    if (!rc)
        rc = mds_buf_puts(l, "\"}\n");
    return rc;
}

static mds_err write_dead_letter(struct eventhub *eh, const rd_kafka_message_t *m, const char *why)
{
    mds_err rc = dead_letter_line(eh, m, why);
    if (rc)
        return rc;
    if (eh->dl_fd < 0)
        eh->dl_fd = open(eh->dead_letter_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    const char *p = eh->dl_line.data;
    size_t n = eh->dl_line.len;
    while (eh->dl_fd >= 0 && n) {
        ssize_t w = write(eh->dl_fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    if (eh->dl_fd < 0 || n) {
        mds_error(eh->src->tag, "cannot write the dead-letter file %s: %s", eh->dead_letter_path,
                  strerror(errno));
        return MDS_ERR_IO;
    }
    eh->batch->dead_lettered = 1;
    eh->counts.dead_letters++;
    mds_warn(eh->src->tag, "malformed message at partition %d offset %lld: %s; appended to %s",
             (int)m->partition, (long long)m->offset, why, eh->dead_letter_path);
    return MDS_OK;
}

/* Splits one message into the batch, or dead-letters it. Takes ownership. */
static mds_err take_message(struct eventhub *eh, rd_kafka_message_t *m)
{
    struct eh_batch *b = eh->batch;
    char why[256];
    if (grow((void **)&b->msgs, &b->msgcap, b->nmsgs + 1, sizeof *b->msgs)) {
        rd_kafka_message_destroy(m);
        return MDS_ERR_NOMEM;
    }
    b->msgs[b->nmsgs++] = m;
    eh->counts.messages++;
    mds_err rc;
    if (!m->payload || m->len == 0) {
        snprintf(why, sizeof why, "empty message");
        rc = MDS_ERR_PARSE;
    } else if (m->len > eh->max_message_bytes) {
        snprintf(why, sizeof why, "%zu bytes: larger than max_message_bytes (%zu)", m->len,
                 eh->max_message_bytes);
        rc = MDS_ERR_PARSE;
    } else {
        rc = mds_eh_split_message(&eh->split, m->payload, m->len, why, sizeof why);
    }
    if (rc == MDS_ERR_PARSE || rc == MDS_ERR_LIMIT)
        return write_dead_letter(eh, m, why);
    if (rc)
        return rc;
    eh->counts.records += (long long)eh->split.n;
    return add_records(eh, m);
}

/* ---- storing batches ---- */

/* Delivers the batch's records that are not re-sent copies straight to
 * the outputs, then remembers the messages' digests. */
static mds_err deliver_direct(struct eventhub *eh, struct eh_batch *b, size_t *accepted, size_t *dups)
{
    struct mds_source *src = eh->src;
    size_t n = 0;
    if (eh->dedupe && mds_db_stream_mark_seen(src->db, src->name, b->smsgs, b->nsmsgs, dups))
        return MDS_ERR_STATE;
    for (size_t m = 0; m < b->nsmsgs; m++) /* keep the records of fresh messages, in order */
        for (size_t i = b->smsgs[m].first; !b->smsgs[m].dup && i < b->smsgs[m].first + b->smsgs[m].count; i++)
            b->items[n++] = b->items[i];
    mds_err rc = mds_source_deliver(src, b->items, n, b->nitems - n);
    if (!rc && eh->dedupe && mds_db_stream_remember(src->db, src->name, b->smsgs, b->nsmsgs)) {
        mds_error(src->tag, "cannot record the digests of %zu delivered messages: %s", b->nsmsgs,
                  mds_db_errmsg(src->db));
        rc = MDS_ERR_STATE;
    }
    *accepted = rc ? 0 : n;
    return rc;
}

/* Makes a batch durable: dead letters synced, records delivered (direct)
 * or stored in one transaction (outbox). On the store worker (or inline
 * when it does not run); touches only the batch, src->db and the
 * dead-letter fd (fsync, while the source's thread may append). */
static mds_err store_work(struct eventhub *eh, struct eh_batch *b, size_t *accepted, size_t *dups)
{
    mds_err rc = MDS_OK;
    *accepted = *dups = 0;
    if (b->dead_lettered && fsync(eh->dl_fd) != 0) {
        mds_error(eh->src->tag, "cannot sync the dead-letter file %s: %s", eh->dead_letter_path,
                  strerror(errno));
        return MDS_ERR_IO;
    }
    for (size_t i = 0; i < b->nitems; i++)
        b->items[i].id = b->ids[i];
    if (!rc && b->nsmsgs && eh->direct)
        rc = deliver_direct(eh, b, accepted, dups);
    else if (!rc && b->nsmsgs)
        rc = mds_source_commit_stream(eh->src, b->smsgs, b->nsmsgs, b->items, b->nitems, eh->dedupe, accepted,
                                      dups);
    return rc;
}

/* After store_work, on the source's thread: the partitions' durable
 * offsets move, or, on failure, the consumer must be reopened
 * (eh->broken) and nothing later may be stored before that. */
static void apply(struct eventhub *eh, struct eh_batch *b, mds_err rc, size_t dups)
{
    if (rc) {
        eh->broken = 1;
    } else {
        eh->counts.dup_messages += (long long)dups;
        if (dups)
            mds_info(eh->src->tag, "%zu re-sent messages dropped (already stored)", dups);
        for (size_t i = 0; i < b->nmsgs; i++) {
            struct eh_part *p = find_part(eh, b->msgs[i]->partition);
            if (p && b->msgs[i]->offset + 1 > p->durable)
                p->durable = b->msgs[i]->offset + 1;
        }
    }
    drop_batch(b);
}

static void *store_main(void *arg)
{
    struct eventhub *eh = arg;
    struct eh_store *w = &eh->store;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && (!w->job || w->done))
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->job || w->done)
            break; /* quit, nothing pending */
        struct eh_batch *b = w->job;
        pthread_mutex_unlock(&w->mu);
        size_t accepted, dups;
        mds_err rc = store_work(eh, b, &accepted, &dups);
        pthread_mutex_lock(&w->mu);
        w->result = rc;
        w->accepted = accepted;
        w->dups = dups;
        w->done = 1;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits for the batch in flight, if any, and applies it. */
static mds_err finish_inflight(struct eventhub *eh)
{
    struct eh_store *w = &eh->store;
    if (!w->job)
        return MDS_OK;
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        pthread_cond_wait(&w->cv, &w->mu);
    struct eh_batch *b = w->job;
    mds_err rc = w->result;
    size_t dups = w->dups;
    w->job = NULL;
    w->done = 0;
    pthread_mutex_unlock(&w->mu);
    apply(eh, b, rc, dups);
    return rc;
}

/* Hands the current batch over to be stored (to the worker when it runs,
 * else stores it here) after the previous one was applied. */
static mds_err submit(struct eventhub *eh)
{
    struct eh_store *w = &eh->store;
    struct eh_batch *b = eh->batch;
    mds_err rc = finish_inflight(eh);
    if (rc || eh->broken) {
        drop_batch(b); /* stored after a failed batch, its offsets would pass the lost ones */
        return rc ? rc : MDS_ERR_STATE;
    }
    if (b->nmsgs == 0)
        return MDS_OK;
    if (!w->running) {
        size_t accepted, dups;
        rc = store_work(eh, b, &accepted, &dups);
        apply(eh, b, rc, dups);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    w->job = b;
    w->done = 0;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    eh->batch = b == &eh->batches[0] ? &eh->batches[1] : &eh->batches[0];
    return MDS_OK;
}

/* Stores everything consumed so far and waits until it is durable. */
static mds_err store_batch(struct eventhub *eh)
{
    mds_err rc = submit(eh);
    mds_err rc2 = finish_inflight(eh);
    return rc ? rc : rc2;
}

static void store_start(struct eventhub *eh)
{
    struct eh_store *w = &eh->store;
    w->quit = 0;
    w->running = pthread_create(&w->thread, NULL, store_main, eh) == 0;
    if (!w->running)
        mds_warn(eh->src->tag, "cannot start the store thread; storing inline");
}

/* Stops the worker; a batch in flight is finished and applied first. */
static void store_stop(struct eventhub *eh)
{
    struct eh_store *w = &eh->store;
    finish_inflight(eh);
    if (!w->running)
        return;
    pthread_mutex_lock(&w->mu);
    w->quit = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->running = 0;
}

/* ---- librdkafka callbacks (on the source's thread, inside poll) ---- */

static void log_partitions(struct eventhub *eh, const char *what, const rd_kafka_topic_partition_list_t *l)
{
    char list[512];
    size_t n = 0;
    list[0] = '\0';
    for (int i = 0; i < l->cnt && n + 16 < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%d", i ? "," : "", (int)l->elems[i].partition);
    mds_info(eh->src->tag, "%s %d partitions of %s: %s", what, l->cnt, eh->topic, l->cnt ? list : "none");
}

static void on_revoke(struct eventhub *eh, rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *l)
{
    log_partitions(eh, "giving up", l);
    if (store_batch(eh))
        mds_warn(eh->src->tag,
                 "messages of the revoked partitions were not stored; their new owner reads them");
    commit_offsets(eh, 1);
    write_status(eh);
    for (int i = 0; i < l->cnt; i++) {
        remove_part(eh, l->elems[i].partition);
        if (!eh->closing && eh->src->db)
            mds_db_stream_partition_forget(eh->src->db, eh->src->name, eh->topic, l->elems[i].partition);
    }
    rd_kafka_assign(rk, NULL);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l,
                         void *opaque)
{
    struct eventhub *eh = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_partitions(eh, "assigned", l);
        for (int i = 0; i < l->cnt; i++)
            if (add_part(eh, l->elems[i].partition))
                mds_error(eh->src->tag, "out of memory tracking partition %d", (int)l->elems[i].partition);
        rd_kafka_assign(rk, l);
        if (!eh->assigned)
            eh->assigned_ms = mds_mono_ms();
        eh->assigned = 1;
        eh->need_committed = 1;
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        on_revoke(eh, rk, l);
    } else {
        mds_error(eh->src->tag, "rebalance failed: %s", rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct eventhub *eh = opaque;
    (void)rk;
    snprintf(eh->last_error, sizeof eh->last_error, "%s", reason);
    eh->last_error_ms = mds_mono_ms();
    if (err == RD_KAFKA_RESP_ERR__FATAL)
        mds_error(eh->src->tag, "kafka: %s", reason);
    else
        mds_warn(eh->src->tag, "kafka: %s", reason);
}

/* librdkafka's own log lines, on its threads: only the source's tag,
 * which never changes, is read. Connection failures also arrive as error
 * events (error_cb), which are what the user sees; the log lines repeat
 * them and go to debug, except configuration warnings. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const struct eventhub *eh = rd_kafka_opaque(rk);
    const char *tag = eh ? eh->src->tag : "kafka";
    if (level <= LOG_WARNING && strcmp(fac, "CONFWARN") == 0)
        mds_warn(tag, "kafka configuration: %s", buf);
    else
        mds_debug(tag, "kafka %s: %s", fac, buf);
}

/* ---- opening and closing ---- */

/* partitions = all: every partition of the topic, from the brokers'
 * metadata (waits up to 10 s, in slices, so a shutdown is seen). */
static mds_err all_partitions(struct eventhub *eh, rd_kafka_topic_partition_list_t *l, char *err, size_t errlen)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(eh->rk, eh->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    for (int i = 0; t && i < 20 && e == RD_KAFKA_RESP_ERR__TIMED_OUT && !mds_shutdown_requested(); i++)
        e = rd_kafka_metadata(eh->rk, 0, t, &md, 500);
    if (!e && md->topic_cnt == 1 && md->topics[0].err)
        e = md->topics[0].err;
    if (!e && md->topic_cnt == 1)
        for (int i = 0; i < md->topics[0].partition_cnt; i++)
            rd_kafka_topic_partition_list_add(l, eh->topic, md->topics[0].partitions[i].id)->offset =
                RD_KAFKA_OFFSET_STORED;
    if (md)
        rd_kafka_metadata_destroy(md);
    if (t)
        rd_kafka_topic_destroy(t);
    if (!e && l->cnt > 0)
        return MDS_OK;
    snprintf(err, errlen, "cannot read the partitions of %s: %s", eh->topic,
             e ? rd_kafka_err2str(e) : "the topic has none");
    return MDS_ERR_RETRY;
}

/* partitions = ...: reads them without joining the group's balancing;
 * each starts at the group's committed offset (else at `start`). */
static mds_err assign_partitions(struct eventhub *eh, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(eh->nassign ? (int)eh->nassign : 32);
    mds_err rc = MDS_OK;
    if (!l)
        return MDS_ERR_NOMEM;
    for (size_t i = 0; i < eh->nassign; i++)
        rd_kafka_topic_partition_list_add(l, eh->topic, eh->assign[i])->offset = RD_KAFKA_OFFSET_STORED;
    if (!eh->nassign)
        rc = all_partitions(eh, l, err, errlen);
    for (int i = 0; !rc && i < l->cnt; i++)
        if (add_part(eh, l->elems[i].partition))
            rc = MDS_ERR_NOMEM;
    rd_kafka_resp_err_t e = rc ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_assign(eh->rk, l);
    if (e) {
        snprintf(err, errlen, "cannot assign the partitions of %s: %s", eh->topic, rd_kafka_err2str(e));
        rc = MDS_ERR_RETRY;
    }
    if (!rc) {
        log_partitions(eh, "reading (partitions =)", l);
        eh->assigned = eh->need_committed = 1;
        eh->assigned_ms = mds_mono_ms();
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

static mds_err subscribe(struct eventhub *eh, char *err, size_t errlen)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    if (!l)
        return MDS_ERR_NOMEM;
    rd_kafka_topic_partition_list_add(l, eh->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(eh->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (!e)
        return MDS_OK;
    snprintf(err, errlen, "cannot subscribe to %s: %s", eh->topic, rd_kafka_err2str(e));
    return MDS_ERR_RETRY;
}

static mds_err open_consumer(struct eventhub *eh, char *err, size_t errlen)
{
    char kerr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_dup(eh->conf);
    if (!conf)
        return MDS_ERR_NOMEM;
    rd_kafka_conf_set_opaque(conf, eh);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, offset_commit_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    eh->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof kerr);
    if (!eh->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "cannot create the Kafka consumer: %s", kerr);
        return MDS_ERR_CONFIG;
    }
    rd_kafka_poll_set_consumer(eh->rk);
    eh->assigned = eh->broken = 0;
    mds_err rc = eh->assign_mode ? assign_partitions(eh, err, errlen) : subscribe(eh, err, errlen);
    if (rc) {
        mds_eh_close_consumer(eh);
        return rc;
    }
    mds_info(eh->src->tag, "consuming %s as group %s%s", eh->topic, mds_conf_str(eh->src->sec, "consumer_group"),
             eh->assign_mode ? " (partitions assigned by configuration, no rebalancing)" : "");
    return MDS_OK;
}

/* Assigned by configuration, the partitions are given up as a rebalance
 * would: everything stored, offsets committed synchronously. */
static void give_up_assigned(struct eventhub *eh)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)eh->nparts + 1);
    if (!l)
        return;
    for (size_t i = 0; i < eh->nparts; i++)
        rd_kafka_topic_partition_list_add(l, eh->topic, eh->parts[i].partition);
    on_revoke(eh, eh->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

void mds_eh_close_consumer(struct eventhub *eh)
{
    if (!eh->rk)
        return;
    eh->closing = 1;
    finish_inflight(eh);
    if (eh->broken)
        drop_batch(eh->batch);
    if (eh->assign_mode && eh->nparts)
        give_up_assigned(eh);
    rd_kafka_consumer_close(eh->rk); /* revokes: stores, commits, records the status */
    rd_kafka_destroy(eh->rk);
    eh->rk = NULL;
    finish_inflight(eh);
    drop_batch(eh->batch);
    eh->nparts = 0;
    eh->closing = 0;
}

/* ---- the cycle ---- */

static void handle_event(struct eventhub *eh, rd_kafka_message_t *m)
{
    struct eh_part *p = find_part(eh, m->partition);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (p) {
            p->eof = 1;
            if (m->offset > p->high)
                p->high = m->offset;
        }
    } else {
        snprintf(eh->last_error, sizeof eh->last_error, "%s", rd_kafka_message_errstr(m));
        eh->last_error_ms = mds_mono_ms();
        mds_warn(eh->src->tag, "kafka: %s", eh->last_error);
    }
    rd_kafka_message_destroy(m);
}

static int caught_up(const struct eventhub *eh)
{
    if (!eh->assigned || eh->batch->nmsgs || eh->store.job)
        return 0;
    for (size_t i = 0; i < eh->nparts; i++)
        if (!eh->parts[i].eof)
            return 0;
    return 1;
}

/* Polls one message (or none); 1 when something arrived. */
static int poll_once(struct eventhub *eh, mds_err *rc)
{
    rd_kafka_message_t *m = rd_kafka_consumer_poll(eh->rk, eh->batch->nmsgs || eh->store.job ? 0 : POLL_MS);
    if (!m)
        return 0;
    if (m->err) {
        int eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
        handle_event(eh, m);
        if (eof)
            eh->last_error[0] = '\0';
        return eof;
    }
    struct eh_part *p = find_part(eh, m->partition);
    if (!p) {
        rd_kafka_message_destroy(m); /* not ours (any more) */
        return 0;
    }
    p->eof = 0;
    eh->last_error[0] = '\0';
    *rc = take_message(eh, m);
    return 1;
}

/* Periodic work between polls: commits, status, digest pruning. */
static void housekeeping(struct eventhub *eh, int64_t now)
{
    struct mds_source *src = eh->src;
    if (eh->need_committed)
        query_committed(eh);
    if (now - eh->last_commit_ms >= eh->commit_interval_ms)
        commit_offsets(eh, 0);
    /* the connection is the store worker's while a batch is in flight */
    if (now - eh->last_status_ms >= STATUS_MS && !finish_inflight(eh))
        write_status(eh);
    if (eh->dedupe && now - eh->last_prune_ms >= PRUNE_MS && !finish_inflight(eh)) {
        eh->last_prune_ms = now;
        if (mds_db_stream_prune(src->db, src->name, mds_time_now() - eh->dedupe_window_ms * MDS_TICKS_PER_MS))
            mds_warn(src->tag, "cannot forget old message digests: %s", mds_db_errmsg(src->db));
    }
}

/* Consumes until caught up (once), CYCLE_MS passed (run), shutdown or a
 * failure. *progress is set when anything arrived. */
static mds_err consume(struct eventhub *eh, int once, int *progress, char *err, size_t errlen)
{
    int64_t start = mds_mono_ms(), last_progress = start;
    mds_err rc = MDS_OK;
    for (;;) {
        if (mds_shutdown_requested())
            return MDS_ERR_STOPPED;
        if (once && caught_up(eh)) {
            mds_info(eh->src->tag, "caught up: %lld records in %lld messages, %.3f s after the assignment",
                     eh->counts.records, eh->counts.messages,
                     (double)(mds_mono_ms() - eh->assigned_ms) / 1000.0);
            return MDS_OK;
        }
        int got = poll_once(eh, &rc);
        if (rc) {
            eh->broken = 1; /* the message is not fully in the batch: its offset must not move */
            break;
        }
        int64_t now = mds_mono_ms();
        if (got || (eh->assigned && !once))
            last_progress = now, *progress |= got;
        if (!got && !eh->batch->nmsgs && eh->store.job && (rc = finish_inflight(eh)))
            break; /* nothing to do meanwhile: see the stored batch through */
        if ((!got && eh->batch->nmsgs) || eh->batch->nitems >= eh->batch_records)
            if ((rc = submit(eh)))
                break;
        if (eh->broken)
            return MDS_ERR_STATE;
        housekeeping(eh, now);
        if (!once && now - start >= CYCLE_MS)
            return MDS_OK;
        if (once && now - last_progress >= eh->stall_timeout_ms) {
            snprintf(err, errlen, "no progress for %lld s%s%s", (long long)(eh->stall_timeout_ms / 1000),
                     *eh->last_error ? ": " : (eh->assigned ? "" : ": no partitions assigned"),
                     eh->last_error);
            return MDS_ERR_RETRY;
        }
    }
    if (!*err)
        snprintf(err, errlen, "%s",
                 rc == MDS_ERR_STATE ? (eh->direct ? "cannot deliver records to the outputs"
                                                   : "cannot store records in the outbox")
                                     : mds_strerror(rc));
    return rc;
}

mds_err mds_eh_collect(struct mds_source *src, char *err, size_t errlen)
{
    struct eventhub *eh = src->ctx;
    int once = mds_engine_once(src->engine), progress = 0;
    if (eh->failures && mds_sleep_ms(mds_engine_backoff(src->engine, eh->failures - 1, -1)))
        return MDS_ERR_STOPPED;
    mds_err rc = eh->rk ? MDS_OK : open_consumer(eh, err, errlen);
    if (!rc) {
        store_start(eh);
        rc = consume(eh, once, &progress, err, errlen);
    }
    if (eh->rk && !eh->broken && store_batch(eh) && !rc)
        rc = MDS_ERR_STATE;
    store_stop(eh);
    if (eh->rk && !eh->broken)
        commit_offsets(eh, 0); /* closing commits synchronously (on_revoke); a sync one here could block */
    /* A failed store reopens the consumer, which resumes from the durable
     * offsets; transient broker trouble (RETRY) keeps it: librdkafka
     * reconnects by itself. */
    if (eh->rk && (once || eh->broken || (rc && rc != MDS_ERR_RETRY)))
        mds_eh_close_consumer(eh);
    /* An error is the source's state until traffic flows again or, on an
     * idle hub, until librdkafka stops repeating it (it does so at least
     * every 30 s while a broker stays unreachable). No network call here:
     * a probe would block while the brokers are down. */
    if (!rc && !progress && !once && *eh->last_error && mds_mono_ms() - eh->last_error_ms < ERROR_FRESH_MS) {
        snprintf(err, errlen, "%s", eh->last_error);
        rc = MDS_ERR_RETRY;
    }
    if (eh->counts.dead_letters)
        mds_info(src->tag, "%lld malformed messages so far, in %s", eh->counts.dead_letters,
                 eh->dead_letter_path);
    eh->failures = !eh->rk && rc && rc != MDS_ERR_STOPPED ? eh->failures + 1 : 0;
    return rc;
}
