/*
 * faults.c - fault injection on the API doors (--faults KIND=RATE,...).
 *
 * One descriptor per kind; a request draws one uniform number from the
 * seeded fault stream and the kinds' rates partition [0,1). Token and
 * /_emulator requests never draw. Drawn faults are counted per kind and
 * reported by /_emulator/state. Status faults (429, 500, 503) answer
 * before the handler; `slow` delays and then serves; `expire` makes the
 * bearer check fail as if the token had expired; `malformed` and
 * `truncate` damage the handler's response (see server.c); `reset`
 * closes the connection without an answer.
 */
#include <time.h>
#include "emulator/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fault_desc {
    const char *name;
    unsigned status;             /* 0 = not a status fault */
    const char *code, *mde_code; /* Graph and MDE/SIEM error codes */
    const char *message;
    int retry_after; /* send Retry-After */
};

static const struct fault_desc faults[MDS_EMU_FAULT_COUNT] = {
    [MDS_EMU_FAULT_429] = {"429", 429, "TooManyRequests", "TooManyRequests", "Please retry again later.", 1},
    [MDS_EMU_FAULT_500] = {"500", 500, "generalException", "InternalServerError",
                           "An internal server error occurred.", 0},
    [MDS_EMU_FAULT_503] = {"503", 503, "serviceNotAvailable", "ServiceUnavailable",
                           "The service is temporarily unavailable.", 1},
    [MDS_EMU_FAULT_SLOW] = {"slow", 0, NULL, NULL, NULL, 0},
    [MDS_EMU_FAULT_TRUNCATE] = {"truncate", 0, NULL, NULL, NULL, 0},
    [MDS_EMU_FAULT_MALFORMED] = {"malformed", 0, NULL, NULL, NULL, 0},
    [MDS_EMU_FAULT_RESET] = {"reset", 0, NULL, NULL, NULL, 0},
    [MDS_EMU_FAULT_EXPIRE] = {"expire", 0, NULL, NULL, NULL, 0},
};

const char *mds_emu_fault_name(int kind)
{
    return kind >= 0 && kind < MDS_EMU_FAULT_COUNT ? faults[kind].name : "?";
}

static mds_err parse_one(struct mds_emu_config *cfg, const char *item, size_t n, char *errstr, size_t errlen)
{
    const char *eq = memchr(item, '=', n);
    size_t kn = eq ? (size_t)(eq - item) : n;
    for (int k = 0; k < MDS_EMU_FAULT_COUNT; k++) {
        if (strlen(faults[k].name) != kn || strncmp(faults[k].name, item, kn) != 0)
            continue;
        char num[32], *end;
        size_t vn = eq ? n - kn - 1 : 0;
        if (vn == 0 || vn >= sizeof num)
            break;
        memcpy(num, eq + 1, vn);
        num[vn] = '\0';
        double rate = strtod(num, &end);
        if (*end || end == num || !(rate >= 0.0 && rate <= 1.0)) {
            snprintf(errstr, errlen, "--faults: rate of '%s' must be a number in [0,1], not '%s'",
                     faults[k].name, num);
            return MDS_ERR_ARG;
        }
        cfg->fault_rate[k] = rate;
        return MDS_OK;
    }
    snprintf(errstr, errlen,
             "--faults: '%.*s' is not KIND=RATE with KIND one of 429, 500, 503, slow, truncate, malformed, "
             "reset, expire",
             (int)n, item);
    return MDS_ERR_ARG;
}

mds_err mds_emu_faults_parse(struct mds_emu_config *cfg, const char *spec, char *errstr, size_t errlen)
{
    double total = 0;
    for (const char *p = spec; *p;) {
        size_t n = strcspn(p, ",");
        mds_err err = n ? parse_one(cfg, p, n, errstr, errlen) : MDS_OK;
        if (err)
            return err;
        p += n + (p[n] == ',');
    }
    for (int k = 0; k < MDS_EMU_FAULT_COUNT; k++)
        total += cfg->fault_rate[k];
    if (total > 1.0) {
        snprintf(errstr, errlen, "--faults: the rates add up to %.3f, more than 1", total);
        return MDS_ERR_ARG;
    }
    return MDS_OK;
}

void mds_emu_faults_init(struct mds_emu *e)
{
    mds_emu_rng_seed(&e->fault_rng, e->cfg.seed, 0x6661756c74);
}

int mds_emu_fault_draw(struct mds_emu *e)
{
    int kind = -1;
    pthread_mutex_lock(&e->stats_lock);
    double u = mds_emu_rng_unit(&e->fault_rng), acc = 0;
    for (int k = 0; k < MDS_EMU_FAULT_COUNT && kind < 0; k++) {
        acc += e->cfg.fault_rate[k];
        if (e->cfg.fault_rate[k] > 0 && u < acc)
            kind = k;
    }
    if (kind >= 0)
        e->stats.faults[kind]++;
    pthread_mutex_unlock(&e->stats_lock);
    return kind;
}

/* The Graph throttling body of spec §3.9 (innerError carries the status). */
static void graph_throttled(struct mds_emu_req *req, const struct fault_desc *f)
{
    char date[32], status[16];
    struct mds_emu_jw w;
    mds_emu_http_date(req->now, date, sizeof date);
    snprintf(status, sizeof status, "%u", f->status);
    req->status = f->status;
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_open(&w, "error", '{');
    mds_emu_jw_str(&w, "code", f->code);
    mds_emu_jw_open(&w, "innerError", '{');
    mds_emu_jw_str(&w, "code", status);
    mds_emu_jw_str(&w, "date", date);
    mds_emu_jw_str(&w, "message", "Please retry after");
    mds_emu_jw_str(&w, "request-id", req->request_id);
    mds_emu_jw_str(&w, "status", status);
    mds_emu_jw_close(&w, '}');
    mds_emu_jw_str(&w, "message", f->message);
    mds_emu_jw_close(&w, '}');
    mds_emu_jw_close(&w, '}');
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int mds_emu_fault_apply(struct mds_emu_req *req, int kind)
{
    const struct fault_desc *f = &faults[kind];
    if (kind == MDS_EMU_FAULT_SLOW)
        sleep_ms(req->emu->cfg.slow_ms);
    if (kind == MDS_EMU_FAULT_RESET)
        return 1;
    if (!f->status)
        return 0;
    if (kind == MDS_EMU_FAULT_429 && req->door == MDS_EMU_DOOR_GRAPH)
        graph_throttled(req, f);
    else
        mds_emu_door_error(req, f->status, req->door == MDS_EMU_DOOR_GRAPH ? f->code : f->mde_code,
                           f->message);
    if (f->retry_after) {
        char ra[32];
        snprintf(ra, sizeof ra, "%g", req->emu->cfg.retry_after);
        mds_emu_header(req, "Retry-After", ra);
    }
    return 1;
}
