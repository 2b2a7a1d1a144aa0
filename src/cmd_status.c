/*
 * cmd_status.c - `mdesiem status`: cursors, outbox depth and last errors,
 * read from the state file (safe while `run` is using it). Never prints a
 * secret: the state holds none.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/state.h"

#define NAME_MAX_WIDTH 32

struct status_out {
    int json;
    int first;
    int width;                      /* of the name column */
    const struct mds_conf *conf;    /* to tell configured names from leftovers */
    struct mds_buf buf;
    char **seen;                    /* names printed from the state */
    size_t nseen;
};

static void fmt_time(mds_ticks t, char *buf, size_t size)
{
    if (t <= 0)
        snprintf(buf, size, "-");
    else
        mds_time_format(t, 0, buf, size);
}

static int64_t lag_seconds(mds_ticks cursor)
{
    int64_t s = (mds_time_now() - cursor) / MDS_TICKS_PER_SEC;
    return s < 0 ? 0 : s;
}

static void fmt_lag(int64_t s, char *buf, size_t size)
{
    snprintf(buf, size, "%lldh%02lldm%02llds", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
}

static void json_str_field(struct mds_buf *b, const char *key, const char *v, int comma)
{
    mds_buf_printf(b, "%s\"%s\":", comma ? "," : "", key);
    if (v)
        mds_json_quote(b, v, strlen(v));
    else
        mds_buf_puts(b, "null");
}

static int configured(const struct mds_conf *conf, const char *kind, const char *name)
{
    for (size_t i = 0; i < conf->nsections; i++) {
        const struct mds_conf_section *s = &conf->sections[i];
        if (s->name && strcmp(s->kind, kind) == 0 && strcmp(s->name, name) == 0)
            return 1;
    }
    return 0;
}

static void remember(struct status_out *o, const char *name)
{
    char **grown = mds_realloc(o->seen, (o->nseen + 1) * sizeof *grown);
    if (!grown)
        return; /* then a configured name may show twice; harmless */
    o->seen = grown;
    o->seen[o->nseen] = mds_strdup(name);
    if (o->seen[o->nseen])
        o->nseen++;
}

static int was_seen(const struct status_out *o, const char *name)
{
    for (size_t i = 0; i < o->nseen; i++)
        if (strcmp(o->seen[i], name) == 0)
            return 1;
    return 0;
}

static void forget_seen(struct status_out *o)
{
    for (size_t i = 0; i < o->nseen; i++)
        mds_free(o->seen[i]);
    mds_free(o->seen);
    o->seen = NULL;
    o->nseen = 0;
}

static void print_source(const struct mds_source_status *s, void *arg)
{
    struct status_out *o = arg;
    char cur[40], att[40], ok[40], lg[40];
    int known = configured(o->conf, "source", s->name);
    remember(o, s->name);
    fmt_time(s->has_cursor ? s->cursor : 0, cur, sizeof cur);
    fmt_time(s->last_attempt, att, sizeof att);
    fmt_time(s->last_success, ok, sizeof ok);
    if (s->has_cursor)
        fmt_lag(lag_seconds(s->cursor), lg, sizeof lg);
    else
        snprintf(lg, sizeof lg, "-");
    if (!o->json) {
        printf("%-*s %-21s %-11s %-21s %8lld %8lld  %s%s\n", o->width, s->name, cur, lg, ok, (long long)s->outbox,
               (long long)s->delivered_today, s->last_error ? s->last_error : "-",
               known ? "" : " (not in the configuration)");
        return;
    }
    mds_buf_puts(&o->buf, o->first ? "{" : ",{");
    o->first = 0;
    json_str_field(&o->buf, "name", s->name, 0);
    mds_buf_printf(&o->buf, ",\"configured\":%s", known ? "true" : "false");
    json_str_field(&o->buf, "cursor", s->has_cursor ? cur : NULL, 1);
    if (s->has_cursor)
        mds_buf_printf(&o->buf, ",\"lag_seconds\":%lld", (long long)lag_seconds(s->cursor));
    else
        mds_buf_puts(&o->buf, ",\"lag_seconds\":null");
    json_str_field(&o->buf, "last_attempt", s->last_attempt ? att : NULL, 1);
    json_str_field(&o->buf, "last_success", s->last_success ? ok : NULL, 1);
    json_str_field(&o->buf, "last_error", s->last_error, 1);
    mds_buf_printf(&o->buf, ",\"fetched\":%lld,\"accepted\":%lld,\"outbox_records\":%lld,\"delivered_today\":%lld}",
                   (long long)s->fetched, (long long)s->accepted, (long long)s->outbox,
                   (long long)s->delivered_today);
}

static void print_output(const struct mds_output_status *s, void *arg)
{
    struct status_out *o = arg;
    char ok[40];
    int known = configured(o->conf, "output", s->name);
    remember(o, s->name);
    fmt_time(s->last_success, ok, sizeof ok);
    if (!o->json) {
        printf("%-*s %8lld %12lld  %-21s %8lld %10lld  %s%s\n", o->width, s->name, (long long)s->pending_rows,
               (long long)s->pending_bytes, ok, (long long)s->delivered_today, (long long)s->delivered,
               s->last_error ? s->last_error : "-",
               known ? "" : " (not in the configuration: its records wait until it is again)");
        return;
    }
    mds_buf_puts(&o->buf, o->first ? "{" : ",{");
    o->first = 0;
    json_str_field(&o->buf, "name", s->name, 0);
    mds_buf_printf(&o->buf, ",\"configured\":%s", known ? "true" : "false");
    mds_buf_printf(&o->buf, ",\"outbox_records\":%lld,\"outbox_bytes\":%lld", (long long)s->pending_rows,
                   (long long)s->pending_bytes);
    json_str_field(&o->buf, "last_success", s->last_success ? ok : NULL, 1);
    json_str_field(&o->buf, "last_error", s->last_error, 1);
    mds_buf_printf(&o->buf, ",\"delivered\":%lld,\"delivered_today\":%lld}", (long long)s->delivered,
                   (long long)s->delivered_today);
}

/* Configured sources or outputs the state knows nothing of yet. */
static void print_unseen(struct status_out *o, const char *kind)
{
    for (size_t i = 0; i < o->conf->nsections; i++) {
        const struct mds_conf_section *s = &o->conf->sections[i];
        if (!s->name || strcmp(s->kind, kind) != 0 || was_seen(o, s->name))
            continue;
        if (o->json) {
            mds_buf_puts(&o->buf, o->first ? "{" : ",{");
            o->first = 0;
            json_str_field(&o->buf, "name", s->name, 0);
            mds_buf_puts(&o->buf, ",\"configured\":true,\"never_run\":true}");
        } else if (strcmp(kind, "source") == 0) {
            printf("%-*s %-21s %-11s %-21s %8s %8s  %s\n", o->width, s->name, "-", "-", "-", "-", "-",
                   "(has not run yet)");
        } else {
            printf("%-*s %8s %12s  %-21s %8s %10s  %s\n", o->width, s->name, "-", "-", "-", "-", "-",
                   "(has not run yet)");
        }
    }
    forget_seen(o);
}

/* The name column fits the longest configured name, within reason. */
static int name_width(const struct mds_conf *conf)
{
    int w = 6;
    for (size_t i = 0; i < conf->nsections; i++)
        if (conf->sections[i].name && (int)strlen(conf->sections[i].name) > w)
            w = (int)strlen(conf->sections[i].name);
    return w > NAME_MAX_WIDTH ? NAME_MAX_WIDTH : w;
}

/* Stream sources: one row per partition, printed after the outputs. */
static void print_partition(const struct mds_stream_partition *p, void *arg)
{
    struct status_out *o = arg;
    char upd[40], lag[24] = "-";
    fmt_time(p->updated, upd, sizeof upd);
    if (p->committed >= 0 && p->high >= 0)
        snprintf(lag, sizeof lag, "%lld", (long long)(p->high > p->committed ? p->high - p->committed : 0));
    if (!o->json) {
        if (o->first)
            printf("\n%-20s %-20s %9s %12s %12s %10s  %s\n", "STREAM SOURCE", "EVENTHUB", "PARTITION", "COMMITTED",
                   "HIGH", "LAG", "UPDATED");
        o->first = 0;
        printf("%-20s %-20s %9d %12lld %12lld %10s  %s\n", p->source, p->topic, (int)p->partition,
               (long long)p->committed, (long long)p->high, lag, upd);
        return;
    }
    mds_buf_puts(&o->buf, o->first ? "{" : ",{");
    o->first = 0;
    json_str_field(&o->buf, "source", p->source, 0);
    json_str_field(&o->buf, "eventhub", p->topic, 1);
    mds_buf_printf(&o->buf, ",\"partition\":%d", (int)p->partition);
    mds_buf_printf(&o->buf, p->committed >= 0 ? ",\"committed\":%lld" : ",\"committed\":null", (long long)p->committed);
    mds_buf_printf(&o->buf, p->high >= 0 ? ",\"high\":%lld" : ",\"high\":null", (long long)p->high);
    mds_buf_printf(&o->buf, ",\"lag\":%s", lag[0] == '-' ? "null" : lag);
    json_str_field(&o->buf, "updated", upd, 1);
    mds_buf_putc(&o->buf, '}');
}

static const char usage[] = "usage: mdesiem status -c FILE [--json]\n\n"
                            "Shows each source's cursor, lag, last success, last error, outbox depth and\n"
                            "records delivered today, each output's outbox depth and deliveries, and for\n"
                            "stream sources each partition's committed offset, high watermark and lag,\n"
                            "from the state file named in FILE (safe while mdesiem runs).\n";

static const char *state_path(struct mds_conf *conf)
{
    for (size_t i = 0; i < conf->nsections; i++) {
        struct mds_conf_section *s = &conf->sections[i];
        if (strcmp(s->kind, "service") == 0) {
            static const struct mds_conf_key *const tables[] = {mds_service_keys, NULL};
            char err[512];
            if (mds_conf_validate(conf, s, tables, err, sizeof err) == MDS_OK)
                return mds_conf_str(s, "state");
            fprintf(stderr, "mdesiem: %s\n", err);
            return NULL;
        }
    }
    return mds_service_keys[0].dflt;
}

static int show(struct mds_db *db, const struct mds_conf *conf, int json)
{
    struct status_out o = {.json = json, .first = 1, .conf = conf, .width = name_width(conf)};
    char now[40];
    mds_buf_init(&o.buf, 0);
    mds_time_format(mds_time_now(), 0, now, sizeof now);
    if (json) {
        mds_buf_puts(&o.buf, "{");
        json_str_field(&o.buf, "time", now, 0);
        mds_buf_puts(&o.buf, ",\"sources\":[");
    } else {
        printf("%-*s %-21s %-11s %-21s %8s %8s  %s\n", o.width, "SOURCE", "CURSOR", "LAG", "LAST SUCCESS", "OUTBOX",
               "TODAY", "LAST ERROR");
    }
    mds_err rc = mds_db_each_source(db, print_source, &o);
    print_unseen(&o, "source");
    o.first = 1;
    if (json)
        mds_buf_puts(&o.buf, "],\"outputs\":[");
    else
        printf("\n%-*s %8s %12s  %-21s %8s %10s  %s\n", o.width, "OUTPUT", "OUTBOX", "BYTES", "LAST SUCCESS", "TODAY",
               "DELIVERED", "LAST ERROR");
    if (!rc)
        rc = mds_db_each_output(db, print_output, &o);
    print_unseen(&o, "output");
    o.first = 1;
    if (json)
        mds_buf_puts(&o.buf, "],\"partitions\":[");
    if (!rc && mds_db_each_stream_partition(db, print_partition, &o) == MDS_ERR_STATE)
        rc = MDS_ERR_STATE;
    if (json) {
        mds_buf_puts(&o.buf, "]}\n");
        fputs(o.buf.data, stdout);
    } else {
        printf("\nTODAY: records delivered since 00:00 UTC (%s now). A source's record counts once\n"
               "every output it is routed to has it. OUTBOX: records waiting for delivery.\n",
               now);
    }
    mds_buf_finish(&o.buf);
    return rc ? MDS_EXIT_STATE : MDS_EXIT_OK;
}

int mds_cmd_status(int argc, char **argv)
{
    char err[1024];
    struct mds_conf *conf = NULL;
    struct mds_db *db = NULL;
    int json = 0, code;
    if (mds_cmd_wants_help(argc, argv, usage))
        return MDS_EXIT_OK;
    for (int i = 1; i < argc; i++)
        json |= strcmp(argv[i], "--json") == 0;
    const char *path = mds_cmd_config_arg(argc, argv);
    if (!path) {
        fputs(usage, stderr);
        return MDS_EXIT_USAGE;
    }
    if (mds_conf_load(path, &conf, err, sizeof err)) {
        fprintf(stderr, "mdesiem: %s\n", err);
        return MDS_EXIT_CONFIG;
    }
    const char *state = state_path(conf);
    if (!state) {
        code = MDS_EXIT_CONFIG;
    } else if (mds_db_open(state, 0, &db, err, sizeof err)) {
        fprintf(stderr, "mdesiem: %s (has `mdesiem run` or `once` been started with this configuration?)\n", err);
        code = MDS_EXIT_STATE;
    } else {
        code = show(db, conf, json);
    }
    mds_db_close(db);
    mds_conf_destroy(conf);
    return code;
}
