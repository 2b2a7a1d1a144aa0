/*
 * output_harness.h - for output unit tests: builds one [output NAME]
 * from an INI string the way the engine does (key tables validated, the
 * type's create called) and hands it batches through its descriptor,
 * without an engine, a source or a state file.
 */
#ifndef MDS_OUTPUT_HARNESS_H
#define MDS_OUTPUT_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/engine.h"
#include "core/mem.h"

#define HARNESS_MAX_EVENTS 20000

struct harness {
    struct mds_conf *conf;
    struct mds_output out;
    struct mds_record *recs;
    struct mds_event *events;
    size_t nrecs, count;
    struct mds_buf data;
    struct mds_buf store; /* copies of ids and bodies */
    size_t *body_off, *id_off;
    int created;
    unsigned attempt; /* mds_batch.attempt of the next delivery */
};

/* Parses `ini`, validates section [output NAME] and creates the output.
 * Returns what create (or validation) returned; err says why. */
static inline mds_err harness_open(struct harness *h, const char *ini, const char *name, char *err,
                                   size_t errlen)
{
    memset(h, 0, sizeof *h);
    mds_buf_init(&h->data, 0);
    mds_buf_init(&h->store, 0);
    h->recs = mds_calloc(HARNESS_MAX_EVENTS, sizeof *h->recs);
    h->events = mds_calloc(HARNESS_MAX_EVENTS, sizeof *h->events);
    h->body_off = mds_calloc(HARNESS_MAX_EVENTS, sizeof *h->body_off);
    h->id_off = mds_calloc(HARNESS_MAX_EVENTS, sizeof *h->id_off);
    mds_err rc = mds_conf_parse_string(ini, "test.ini", &h->conf, err, errlen);
    if (rc)
        return rc;
    struct mds_conf_section *sec = NULL;
    for (size_t i = 0; i < h->conf->nsections; i++)
        if (h->conf->sections[i].name && strcmp(h->conf->sections[i].name, name) == 0)
            sec = &h->conf->sections[i];
    if (!sec) {
        snprintf(err, errlen, "no section %s", name);
        return MDS_ERR_CONFIG;
    }
    const char *type = mds_conf_str(sec, "type");
    for (int i = 0; type && mds_output_types[i]; i++)
        if (strcmp(mds_output_types[i]->name, type) == 0)
            h->out.type = mds_output_types[i];
    if (!h->out.type) {
        snprintf(err, errlen, "no output type %s", type ? type : "(none)");
        return MDS_ERR_CONFIG;
    }
    const struct mds_conf_key *tables[] = {mds_output_common_keys, h->out.type->keys, NULL};
    if ((rc = mds_conf_validate(h->conf, sec, tables, err, errlen)))
        return rc;
    h->out.sec = sec;
    h->out.conf = h->conf;
    h->out.name = sec->name;
    snprintf(h->out.tag, sizeof h->out.tag, "output:%s", sec->name);
    h->out.format = mds_format_find(h->out.type->default_format);
    mds_format_opts_init(&h->out.format_opts);
    h->created = 1;
    return h->out.type->create(&h->out, err, errlen);
}

static inline void harness_reset(struct harness *h)
{
    h->nrecs = h->count = h->attempt = 0;
    mds_buf_reset(&h->data);
    mds_buf_reset(&h->store);
}

/* Adds a record (id, version, JSON body) and `nevents` events rendered
 * from it, given as NUL-terminated strings without '\n'. */
static inline void harness_add(struct harness *h, const char *id, mds_ticks version, const char *body,
                               const char *const *events, size_t nevents)
{
    size_t r = h->nrecs++;
    h->id_off[r] = h->store.len;
    mds_buf_append(&h->store, id, strlen(id) + 1);
    h->body_off[r] = h->store.len;
    mds_buf_append(&h->store, body, strlen(body) + 1);
    h->recs[r] = (struct mds_record){.source = "test",
                                     .id_len = strlen(id),
                                     .version = version,
                                     .ingest_time = version,
                                     .body_len = strlen(body)};
    for (size_t i = 0; i < nevents; i++) {
        h->events[h->count++] = (struct mds_event){
            .off = h->data.len, .len = strlen(events[i]), .rec = &h->recs[r], .part = (unsigned)i};
        mds_buf_puts(&h->data, events[i]);
        mds_buf_putc(&h->data, '\n');
    }
}

/* Adds a record whose single event is its body (format json). */
static inline void harness_add_json(struct harness *h, const char *id, mds_ticks version, const char *body)
{
    const char *ev[] = {body};
    harness_add(h, id, version, body, ev, 1);
}

/* Delivers everything added since the last reset, through deliver_batch
 * or deliver, as the engine would. */
static inline mds_err harness_deliver(struct harness *h, int64_t *retry_after, char *err, size_t errlen)
{
    for (size_t r = 0; r < h->nrecs; r++) { /* the store may have moved while growing */
        h->recs[r].id = h->store.data + h->id_off[r];
        h->recs[r].body = h->store.data + h->body_off[r];
    }
    struct mds_batch b = {.data = h->data.data,
                          .len = h->data.len,
                          .events = h->events,
                          .count = h->count,
                          .attempt = h->attempt};
    int64_t ra = -1;
    err[0] = '\0';
    mds_err rc = h->out.type->deliver_batch
                     ? h->out.type->deliver_batch(&h->out, &b, &ra, err, errlen)
                     : h->out.type->deliver(&h->out, b.data, b.len, b.count, &ra, err, errlen);
    if (retry_after)
        *retry_after = ra;
    return rc;
}

/* Delivers the same batch again, as the engine retries a failed one. */
static inline mds_err harness_redeliver(struct harness *h, int64_t *retry_after, char *err, size_t errlen)
{
    h->attempt++;
    return harness_deliver(h, retry_after, err, errlen);
}

static inline void harness_close(struct harness *h)
{
    if (h->created && h->out.ctx && h->out.type->destroy)
        h->out.type->destroy(&h->out);
    mds_conf_destroy(h->conf);
    mds_buf_finish(&h->data);
    mds_buf_finish(&h->store);
    mds_free(h->recs);
    mds_free(h->events);
    mds_free(h->body_off);
    mds_free(h->id_off);
    memset(h, 0, sizeof *h);
}

#endif
