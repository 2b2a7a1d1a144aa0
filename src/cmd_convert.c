/*
 * cmd_convert.c - `mdesiem convert`: Defender JSON in, SIEM events out.
 *
 * Reads the whole input (FILE or stdin, at most MAX_INPUT bytes), then
 * walks it as a sequence of JSON values (one document, JSON lines, or
 * concatenated documents). Each value is tokenised once and may be
 *   {"value":[...]}    a Graph / MDE page
 *   {"records":[...]}  a Streaming API (Event Hubs) body
 *   [...]              an array of records
 *   {...}              one record.
 * Every record is rendered by the chosen format straight from those
 * tokens (mds_record.json) into one reused output buffer, flushed to
 * stdout in large writes. Exit 0 on success, 1 on malformed input or a
 * record a format refuses (the message names the byte offset), 2 on a
 * usage error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "commands.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/timeutil.h"
#include "formats/escape.h"
#include "formats/format.h"
#include "formats/view.h"

#define MAX_INPUT ((size_t)1 << 30) /* jsmn offsets are int: stay well below 2 GiB */
#define FLUSH_AT ((size_t)1 << 20)

static const char usage_text[] =
    "usage: mdesiem convert [--from auto|graph|mde|siem|stream] [--to FORMAT]\n"
    "                       [--evidence first|summary|split] [--leef-delimiter C]\n"
    "                       [--wrap] [--max-event BYTES] [--now TIME] [FILE]\n"
    "\n"
    "Converts Defender JSON (a Graph or MDE page {\"value\":[...]}, a Streaming API\n"
    "body {\"records\":[...]}, a JSON array, or JSON lines) from FILE or stdin into\n"
    "SIEM events on stdout, one per line.\n"
    "\n"
    "  --from KIND        input shape; auto (default) guesses it per record\n"
    "  --to FORMAT        json (default), legacy, cef, leef, ecs, text\n"
    "  --evidence P       first (default), summary, split (docs/formats.md)\n"
    "  --leef-delimiter C LEEF attribute delimiter: a character, \\t, or x09-style hex\n"
    "  --wrap             json: wrap each record with source, kind and ingest time\n"
    "  --max-event BYTES  split (cef, leef, ecs) or refuse (json, legacy) longer events\n"
    "  --now TIME         ingest time for --wrap (ISO 8601; default: now)\n";

struct conv {
    const char *data; /* the whole input: mapped file or c->in */
    size_t len;
    void *map;
    size_t maplen;
    const struct mds_format *fmt;
    struct mds_format_opts opts;
    int from_auto;
    enum mds_input_kind kind;
    const char *name;
    mds_ticks now;
    struct mds_format_ctx ctx;
    struct mds_json doc;
    struct mds_json rec;  /* one record of a page read record by record */
    struct mds_json part; /* the other members of that page, checked and dropped */
    struct mds_buf in;
    struct mds_buf out;
    size_t records;
    char errstr[256];
};

/* ---- arguments --------------------------------------------------------- */

/* Prints "mdesiem convert: <what> '<arg>'<hint>" and the usage. */
static int usage_error(const char *what, const char *arg, const char *hint)
{
    fprintf(stderr, "mdesiem convert: %s '%s'%s\n%s", what, arg, hint, usage_text);
    return MDS_EXIT_USAGE;
}

static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = (size_t)v;
    return 0;
}

/* One option: returns 0, or a usage exit code. */
static int parse_option(struct conv *c, const char *opt, const char *val, const char **file)
{
    if (strcmp(opt, "--from") == 0) {
        c->from_auto = strcmp(val, "auto") == 0;
        if (!c->from_auto && mds_input_kind_parse(val, &c->kind))
            return usage_error("unknown --from", val, " (auto, graph, mde, siem, stream)");
    } else if (strcmp(opt, "--to") == 0) {
        c->fmt = mds_format_find(val);
        if (!c->fmt)
            return usage_error("unknown --to", val, " (json, legacy, cef, leef, ecs, text)");
    } else if (strcmp(opt, "--evidence") == 0) {
        if (mds_evidence_policy_parse(val, &c->opts.evidence))
            return usage_error("unknown --evidence", val, " (first, summary, split)");
    } else if (strcmp(opt, "--leef-delimiter") == 0) {
        if (mds_leef_delimiter_parse(val, &c->opts.leef_delimiter))
            return usage_error("invalid --leef-delimiter", val,
                               " (one ASCII character other than = | CR LF, \\t, or hex like x09)");
    } else if (strcmp(opt, "--max-event") == 0) {
        if (parse_size(val, &c->opts.max_event))
            return usage_error("invalid --max-event", val, " (a number of bytes, 0 for no limit)");
    } else if (strcmp(opt, "--now") == 0) {
        if (mds_time_parse(val, strlen(val), &c->now))
            return usage_error("invalid --now", val, " (ISO 8601, e.g. 2024-01-01T00:00:00Z)");
    } else if (opt[0] == '-' && opt[1]) {
        return usage_error("unknown option", opt, "");
    } else {
        if (*file)
            return usage_error("more than one input file:", opt, "");
        *file = opt;
    }
    return 0;
}

static int takes_value(const char *opt)
{
    static const char *const with_value[] = {"--from",           "--to",        "--evidence",
                                             "--leef-delimiter", "--max-event", "--now"};
    for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++)
        if (strcmp(opt, with_value[i]) == 0)
            return 1;
    return 0;
}

static int parse_args(struct conv *c, int argc, char **argv, const char **file)
{
    for (int i = 1; i < argc; i++) {
        char opt[64];
        const char *a = argv[i], *val = NULL, *eq = strchr(a, '=');
        if (strcmp(a, "--wrap") == 0) {
            c->opts.wrap = 1;
            continue;
        }
        if (strcmp(a, "-") == 0 || a[0] != '-') {
            int rc = parse_option(c, a, NULL, file);
            if (rc)
                return rc;
            continue;
        }
        if (eq && (size_t)(eq - a) < sizeof opt) {
            memcpy(opt, a, (size_t)(eq - a));
            opt[eq - a] = '\0';
            val = eq + 1;
        } else {
            snprintf(opt, sizeof opt, "%s", a);
        }
        if (!takes_value(opt))
            return usage_error("unknown option", a, "");
        if (!val && i + 1 >= argc)
            return usage_error("missing value for option", opt, "");
        int rc = parse_option(c, opt, val ? val : argv[++i], file);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- input ------------------------------------------------------------- */

/* A regular file is mapped read-only (no copy, no buffer growth). */
static int map_input(struct conv *c, FILE *f)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
        return -1;
    if ((uint64_t)st.st_size > MAX_INPUT) {
        fprintf(stderr, "mdesiem convert: %s: input larger than %zu bytes\n", c->name, MAX_INPUT);
        return 1;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fileno(f), 0);
    if (m == MAP_FAILED)
        return -1;
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    c->map = m;
    c->maplen = (size_t)st.st_size;
    c->data = m;
    c->len = c->maplen;
    return 0;
}

static int read_input(struct conv *c, const char *file)
{
    FILE *f = stdin;
    if (file && strcmp(file, "-") != 0) {
        f = fopen(file, "rb");
        if (!f) {
            fprintf(stderr, "mdesiem convert: %s: %s\n", file, strerror(errno));
            return MDS_EXIT_FAILURE;
        }
    }
    int mapped = map_input(c, f);
    if (mapped >= 0) {
        if (f != stdin)
            fclose(f);
        return mapped ? MDS_EXIT_FAILURE : MDS_EXIT_OK;
    }
    int rc = MDS_EXIT_OK;
    for (;;) {
        if (mds_buf_reserve(&c->in, 1 << 16)) {
            fprintf(stderr, "mdesiem convert: %s: input larger than %zu bytes\n", c->name, MAX_INPUT);
            rc = MDS_EXIT_FAILURE;
            break;
        }
        size_t room = c->in.cap - c->in.len - 1;
        size_t got = fread(c->in.data + c->in.len, 1, room, f);
        c->in.len += got;
        c->in.data[c->in.len] = '\0';
        if (got < room) {
            if (ferror(f)) {
                fprintf(stderr, "mdesiem convert: %s: read error: %s\n", c->name, strerror(errno));
                rc = MDS_EXIT_FAILURE;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    c->data = c->in.data ? c->in.data : "";
    c->len = c->in.len;
    return rc;
}

/* Offset just past the JSON value starting at s[0] ('{' or '['), found by
 * bracket counting outside strings; 0 if the value never closes. Only
 * finds the boundary: mds_json_parse() validates the value itself. */
static size_t value_end(const char *s, size_t n)
{
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '"') {
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\')
                    i++;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0 || --depth == 0)
                return i + 1;
        }
    }
    return 0;
}

/* ---- records ----------------------------------------------------------- */

static int member_named(const struct mds_json *j, int key, const char *name, int ci)
{
    size_t n = strlen(name), len = (size_t)(j->tok[key].end - j->tok[key].start);
    const char *s = j->js + j->tok[key].start;
    return len == n && (ci ? strncasecmp(s, name, n) : memcmp(s, name, n)) == 0;
}

/* Guesses the API shape of a record from a few member names. */
static enum mds_input_kind guess_kind(const struct mds_json *j, int obj)
{
    int k = obj + 1;
    for (int n = 0; n < j->tok[obj].size; n++, k = mds_json_next(j, k + 1)) {
        if (member_named(j, k, "properties", 0) || member_named(j, k, "category", 0)) {
            if (mds_json_find(j, obj, "properties") >= 0 && mds_json_find(j, obj, "time") >= 0)
                return MDS_INPUT_STREAM;
        }
        if (member_named(j, k, "createdDateTime", 0) || member_named(j, k, "@odata.type", 0) ||
            member_named(j, k, "alertWebUrl", 0))
            return MDS_INPUT_GRAPH;
        if (member_named(j, k, "alertCreationTime", 0) || member_named(j, k, "machineId", 0))
            return MDS_INPUT_MDE;
        if (member_named(j, k, "AlertTime", 1) || member_named(j, k, "AlertTitle", 1) ||
            member_named(j, k, "LastProcessedTimeUtc", 1))
            return MDS_INPUT_SIEM;
    }
    return MDS_INPUT_GRAPH;
}

static void flush_out(struct conv *c, int force)
{
    if (c->out.len && (force || c->out.len >= FLUSH_AT)) {
        fwrite(c->out.data, 1, c->out.len, stdout);
        mds_buf_reset(&c->out);
    }
}

/* Renders the record at object token obj of j into c->out (counted in
 * c->records); the format's message, if any, is in c->errstr. */
static mds_err render_record(struct conv *c, const struct mds_json *j, int obj, enum mds_input_kind kind)
{
    const jsmntok_t *t = &j->tok[obj];
    struct mds_record rec = {0};
    rec.source = c->name;
    rec.kind = c->from_auto && kind == (enum mds_input_kind) - 1 ? guess_kind(j, obj) : kind;
    int id = mds_json_find(j, obj, rec.kind == MDS_INPUT_SIEM ? "AlertId" : "id");
    if (id >= 0 && j->tok[id].type == JSMN_STRING)
        rec.id = mds_json_raw(j, id, &rec.id_len);
    else
        rec.id = "";
    rec.ingest_time = c->now;
    rec.body = j->js + t->start;
    rec.body_len = (size_t)(t->end - t->start);
    rec.json = j;
    rec.root = obj;
    c->errstr[0] = '\0';
    mds_err err = c->fmt->render(&c->ctx, &c->opts, &rec, &c->out, c->errstr, sizeof c->errstr);
    c->records++;
    return err;
}

static int convert_record(struct conv *c, int obj, size_t base, enum mds_input_kind kind)
{
    const struct mds_json *j = &c->doc;
    const jsmntok_t *t = &j->tok[obj];
    if (t->type != JSMN_OBJECT) {
        fprintf(stderr, "mdesiem convert: %s: byte offset %zu: record is not a JSON object\n", c->name,
                base + (size_t)t->start);
        return MDS_EXIT_FAILURE;
    }
    mds_err err = render_record(c, j, obj, kind);
    if (err) {
        fprintf(stderr, "mdesiem convert: %s: record %zu at byte offset %zu: %s\n", c->name, c->records,
                base + (size_t)t->start, c->errstr[0] ? c->errstr : mds_strerror(err));
        return MDS_EXIT_FAILURE;
    }
    flush_out(c, 0);
    return MDS_EXIT_OK;
}

static int convert_array(struct conv *c, int arr, size_t base, enum mds_input_kind kind)
{
    const struct mds_json *j = &c->doc;
    int e = arr + 1, rc = MDS_EXIT_OK;
    for (int n = 0; n < j->tok[arr].size && rc == MDS_EXIT_OK; n++, e = mds_json_next(j, e))
        rc = convert_record(c, e, base, kind);
    return rc;
}

/* One top-level value: a page, a streaming body, an array or a record. */
static int convert_value(struct conv *c, size_t base)
{
    const struct mds_json *j = &c->doc;
    enum mds_input_kind any = c->from_auto ? (enum mds_input_kind) - 1 : c->kind;
    if (j->tok[0].type == JSMN_ARRAY)
        return convert_array(c, 0, base, any);
    int v = mds_json_find(j, 0, "value");
    if (v >= 0 && j->tok[v].type == JSMN_ARRAY)
        return convert_array(c, v, base, any);
    int r = mds_json_find(j, 0, "records");
    if (r >= 0 && j->tok[r].type == JSMN_ARRAY)
        return convert_array(c, r, base, c->from_auto ? MDS_INPUT_STREAM : c->kind);
    return convert_record(c, 0, base, any);
}

/* ---- a page, record by record ------------------------------------------
 *
 * The usual line is a whole page (or streaming body) of thousands of
 * records. Tokenising it at once wrote a token array bigger than the
 * cache, read back cold while rendering; here each record is tokenised
 * on its own into a small array that stays in cache, and the page's
 * other members are checked with the same tokeniser and dropped. The
 * line's events wait in c->out (no flush) until the whole line has been
 * read. Anything else - invalid JSON, a record a format refuses, a
 * record that is not an object, a line of another shape - drops them
 * and returns 0, and convert_value's path takes the line from the start:
 * output, messages and offsets stay exactly what that path gives.
 */

struct walk {
    struct conv *c;
    const char *p, *end; /* what is left of the line */
    size_t tokens;       /* tokens mds_json_parse would give the line */
};

static void walk_ws(struct walk *w)
{
    while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
        w->p++;
}

/* Tokenises the value at w->p into j and moves past it (and any
 * whitespace after it); -1 when it is not valid JSON. */
static int walk_value(struct walk *w, struct mds_json *j, int max_depth)
{
    size_t used;
    if (mds_json_parse_value(j, w->p, (size_t)(w->end - w->p), max_depth, &used) != MDS_OK)
        return -1;
    w->tokens += (size_t)j->ntok;
    w->p += used;
    return 0;
}

/* The array at w->p: every element a record, rendered in order. */
static int walk_records(struct walk *w, int max_depth, enum mds_input_kind kind)
{
    struct conv *c = w->c;
    w->tokens++;
    w->p++;
    walk_ws(w);
    if (w->p < w->end && *w->p == ']') {
        w->p++;
        return 0;
    }
    for (;;) {
        if (walk_value(w, &c->rec, max_depth) || c->rec.tok[0].type != JSMN_OBJECT ||
            render_record(c, &c->rec, 0, kind) != MDS_OK)
            return -1;
        if (w->p >= w->end || (*w->p != ',' && *w->p != ']'))
            return -1;
        if (*w->p++ == ']')
            return 0;
        walk_ws(w);
    }
}

static int key_is(const struct mds_json *j, const char *name)
{
    size_t n = strlen(name);
    return (size_t)(j->tok[0].end - j->tok[0].start) == n && memcmp(j->js + j->tok[0].start, name, n) == 0;
}

/* The object at w->p: its records are the first "value" member when that
 * is an array, else the first "records" member (convert_value's choice).
 * "records" comes first in streaming bodies: it is rendered as it comes,
 * and the walk gives up if an array "value" turns up after it. */
static int walk_page(struct walk *w)
{
    struct conv *c = w->c;
    enum mds_input_kind any = c->from_auto ? (enum mds_input_kind) - 1 : c->kind;
    int seen_value = 0, seen_records = 0, chosen = 0;
    w->tokens++;
    w->p++;
    walk_ws(w);
    if (w->p < w->end && *w->p == '}')
        return -1; /* {}: one (empty) record, convert_value's case */
    for (;;) {
        if (w->p >= w->end || *w->p != '"' || walk_value(w, &c->part, 0) || w->p >= w->end || *w->p != ':')
            return -1;
        int is_value = !seen_value && key_is(&c->part, "value");
        int is_records = !seen_records && key_is(&c->part, "records");
        seen_value |= is_value;
        seen_records |= is_records;
        w->p++;
        walk_ws(w);
        int array = w->p < w->end && *w->p == '[';
        int rc;
        if (is_value && array && chosen)
            return -1; /* "records" was rendered, but "value" wins */
        if (is_value && array)
            rc = walk_records(w, MDS_JSON_MAX_DEPTH - 2, any);
        else if (is_records && array && !chosen)
            rc = walk_records(w, MDS_JSON_MAX_DEPTH - 2, c->from_auto ? MDS_INPUT_STREAM : c->kind);
        else
            rc = walk_value(w, &c->part, MDS_JSON_MAX_DEPTH - 1);
        if (rc)
            return -1;
        chosen |= (is_value || is_records) && array;
        walk_ws(w);
        if (w->p >= w->end || (*w->p != ',' && *w->p != '}'))
            return -1;
        if (*w->p++ == '}')
            return chosen ? 0 : -1; /* no records array: one record */
        walk_ws(w);
    }
}

/* The line s[pos..pos + line) record by record: 1 when done (its events
 * are in c->out), 0 when convert_value must take it instead. */
static int walk_line(struct conv *c, size_t pos, size_t line)
{
    struct walk w = {c, c->data + pos, c->data + pos + line, 0};
    size_t out_len = c->out.len, records = c->records;
    int rc;
    if (*w.p == '[')
        rc = walk_records(&w, MDS_JSON_MAX_DEPTH - 1, c->from_auto ? (enum mds_input_kind) - 1 : c->kind);
    else
        rc = walk_page(&w);
    walk_ws(&w);
    if (rc == 0 && w.p == w.end && w.tokens <= MDS_JSON_MAX_TOKENS) {
        flush_out(c, 0);
        return 1;
    }
    c->out.len = out_len;
    if (c->out.data)
        c->out.data[out_len] = '\0';
    c->records = records;
    return 0;
}

static int malformed(struct conv *c, size_t offset, const char *what)
{
    fprintf(stderr, "mdesiem convert: %s: malformed JSON at byte offset %zu: %s\n", c->name, offset, what);
    return MDS_EXIT_FAILURE;
}

static int convert_all(struct conv *c)
{
    const char *s = c->data;
    size_t n = c->len, pos = 0;
    int rc = MDS_EXIT_OK;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* UTF-8 byte order mark */
    while (rc == MDS_EXIT_OK) {
        while (pos < n && isspace((unsigned char)s[pos]))
            pos++;
        if (pos >= n)
            break;
        if (s[pos] != '{' && s[pos] != '[')
            return malformed(c, pos, "expected '{' or '['");
        /* Fast path: one value per line (JSON lines, or a compact
         * document). Anything else is found by value_end(). */
        const char *nl = memchr(s + pos, '\n', n - pos);
        size_t line = nl ? (size_t)(nl - s) - pos : n - pos;
        if (walk_line(c, pos, line)) {
            pos += line;
            continue;
        }
        if (mds_json_parse(&c->doc, s + pos, line) == MDS_OK) {
            rc = convert_value(c, pos);
            pos += line;
            continue;
        }
        size_t len = value_end(s + pos, n - pos);
        if (len == 0) {
            /* never closes: let the parser say where the syntax breaks */
            if (mds_json_parse(&c->doc, s + pos, n - pos) == MDS_ERR_PARSE && pos + c->doc.err_offset < n)
                return malformed(c, pos + c->doc.err_offset, "invalid token");
            return malformed(c, n, "unexpected end of input");
        }
        mds_err err = mds_json_parse(&c->doc, s + pos, len);
        if (err == MDS_ERR_LIMIT || err == MDS_ERR_NOMEM) {
            fprintf(stderr, "mdesiem convert: %s: byte offset %zu: document too large (%s)\n", c->name, pos,
                    mds_strerror(err));
            return MDS_EXIT_FAILURE;
        }
        if (err)
            return malformed(c, pos + c->doc.err_offset, "invalid token");
        rc = convert_value(c, pos);
        pos += len;
    }
    return rc;
}

int mds_cmd_convert(int argc, char **argv)
{
    if (mds_cmd_wants_help(argc, argv, usage_text))
        return MDS_EXIT_OK;
    struct conv c;
    memset(&c, 0, sizeof c);
    mds_format_opts_init(&c.opts);
    c.from_auto = 1;
    c.data = "";
    c.fmt = mds_format_find("json");
    c.now = mds_time_now();
    const char *file = NULL;
    int rc = parse_args(&c, argc, argv, &file);
    if (rc)
        return rc;
    c.name = file && strcmp(file, "-") != 0 ? file : "<stdin>";
    mds_buf_init(&c.in, MAX_INPUT);
    mds_buf_init(&c.out, 0);
    mds_json_init(&c.doc);
    mds_json_init(&c.rec);
    mds_json_init(&c.part);
    mds_format_ctx_init(&c.ctx);
    rc = read_input(&c, file);
    if (rc == MDS_EXIT_OK)
        rc = convert_all(&c);
    flush_out(&c, 1);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mdesiem convert: write error: %s\n", strerror(errno));
        rc = MDS_EXIT_FAILURE;
    }
    mds_format_ctx_finish(&c.ctx);
    mds_json_finish(&c.doc);
    mds_json_finish(&c.rec);
    mds_json_finish(&c.part);
    mds_buf_finish(&c.out);
    mds_buf_finish(&c.in);
    if (c.map)
        munmap(c.map, c.maplen);
    return rc;
}
