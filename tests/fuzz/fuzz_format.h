/*
 * fuzz_format.h - shared body of the format fuzz targets (fuzz_fmt_*.c):
 * one arbitrary JSON object rendered by one format under options taken
 * from the first two input bytes, then the output checked:
 *  - every event ends in '\n', none is empty, none holds CR or NUL, and
 *    the bytes are valid UTF-8 (a broken or merged line is a crash);
 *  - json, legacy and ecs events are JSON objects (strict check);
 *    cef events start with "CEF:0|", leef ones with "LEEF:";
 *  - with max_event set, split formats (cef, leef, ecs) keep every event
 *    within it and json/legacy either keep it or refuse the record.
 * Input layout: byte 0 = evidence policy, wrap, LEEF delimiter; byte 1 =
 * input kind, max_event; the rest = the record's body.
 */
#ifndef MDS_FUZZ_FORMAT_H
#define MDS_FUZZ_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/json.h"
#include "formats/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t utf8_bad(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > n || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4))
            return i + 1;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i + 1;
        if (len == 3 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0)))
            return i + 1; /* overlong, surrogate */
        if (len == 4 && ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90)))
            return i + 1;
        i += len;
    }
    return 0;
}

static void check_event(const char *fmt, const char *e, size_t n, size_t max_event)
{
    size_t off;
    if (n == 0 || memchr(e, '\r', n) || memchr(e, '\0', n) || utf8_bad((const unsigned char *)e, n))
        __builtin_trap();
    if (max_event && n > max_event)
        __builtin_trap();
    if (!strcmp(fmt, "json") || !strcmp(fmt, "legacy") || !strcmp(fmt, "ecs")) {
        if (e[0] != '{' || mds_json_check(e, n, &off))
            __builtin_trap();
    } else if (!strcmp(fmt, "cef")) {
        if (n < 6 || memcmp(e, "CEF:0|", 6))
            __builtin_trap();
    } else if (!strcmp(fmt, "leef")) {
        if (n < 5 || memcmp(e, "LEEF:", 5))
            __builtin_trap();
    }
}

static int fuzz_format(const char *fmt, const uint8_t *data, size_t size)
{
    static const char delims[] = {'\t', '^', '|', ' ', '\\', 'x', ',', '\x01'};
    static const enum mds_input_kind kinds[] = {MDS_INPUT_GRAPH, MDS_INPUT_MDE, MDS_INPUT_SIEM, MDS_INPUT_STREAM};
    const struct mds_format *f = mds_format_find(fmt);
    if (!f)
        __builtin_trap();
    if (size < 3)
        return 0;
    struct mds_format_opts opts;
    mds_format_opts_init(&opts);
    opts.evidence = (enum mds_evidence_policy)(data[0] % 3);
    opts.wrap = (data[0] >> 2) & 1;
    opts.leef_delimiter = delims[(data[0] >> 3) & 7];
    enum mds_input_kind kind = kinds[data[1] & 3];
    opts.max_event = (data[1] & 4) ? 256 + (size_t)(data[1] >> 3) * 64 : 0;
    const char *body = (const char *)data + 2;
    size_t len = size - 2;

    struct mds_json j;
    mds_json_init(&j);
    int object = mds_json_parse(&j, body, len) == MDS_OK && j.ntok > 0 && j.tok[0].type == JSMN_OBJECT &&
                 j.tok[0].start == 0 && (size_t)j.tok[0].end == len;
    mds_json_finish(&j);
    if (!object)
        return 0; /* a record is exactly an object token the parser accepted (no white space around) */

    struct mds_format_ctx ctx;
    struct mds_buf out;
    char err[256];
    mds_format_ctx_init(&ctx);
    mds_buf_init(&out, 0);
    struct mds_record rec = {.source = "fuzz", .kind = kind, .id = "fuzz-id", .id_len = 7,
                             .version = 17955089427690388, .ingest_time = 17955089427690388,
                             .body = body, .body_len = len};
    mds_err rc = f->render(&ctx, &opts, &rec, &out, err, sizeof err);
    if (rc == MDS_OK && out.len) {
        if (out.data[out.len - 1] != '\n')
            __builtin_trap();
        int split = !strcmp(fmt, "cef") || !strcmp(fmt, "leef") || !strcmp(fmt, "ecs");
        for (size_t s = 0, k = 0; k < out.len; k++)
            if (out.data[k] == '\n') {
                check_event(fmt, out.data + s, k - s, split || !strcmp(fmt, "json") || !strcmp(fmt, "legacy")
                                                          ? opts.max_event : 0);
                s = k + 1;
            }
    } else if (rc != MDS_OK && out.len) {
        __builtin_trap(); /* a failed render leaves nothing behind */
    }
    mds_buf_finish(&out);
    mds_format_ctx_finish(&ctx);
    return 0;
}

#endif
