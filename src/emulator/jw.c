/*
 * jw.c - a minimal streaming JSON writer for the emulator's renderers,
 * plus the hex/GUID helpers of the seeded random streams.
 *
 * Errors are sticky (the first one wins and later calls do nothing), so a
 * renderer writes a whole document and checks w->err once. Keys are
 * trusted ASCII literals; values are escaped with mds_json_escape().
 */
#include "emulator/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"

void mds_emu_rng_hex(struct mds_emu_rng *r, char *dst, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0)
            v = mds_emu_rng_next(r);
        dst[i] = hex[v & 15];
        v >>= 4;
    }
    dst[n] = '\0';
}

void mds_emu_rng_guid(struct mds_emu_rng *r, char *dst)
{
    char h[33];
    mds_emu_rng_hex(r, h, 32);
    snprintf(dst, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

void mds_emu_jw_init(struct mds_emu_jw *w, struct mds_buf *b)
{
    w->b = b;
    w->err = MDS_OK;
    w->comma = 0;
}

static void put(struct mds_emu_jw *w, const char *s, size_t n)
{
    if (!w->err)
        w->err = mds_buf_append(w->b, s, n);
}

/* Writes the separator and `"key":` before a value. */
static void lead(struct mds_emu_jw *w, const char *key)
{
    if (w->comma)
        put(w, ",", 1);
    w->comma = 1;
    if (key) {
        put(w, "\"", 1);
        put(w, key, strlen(key));
        put(w, "\":", 2);
    }
}

void mds_emu_jw_open(struct mds_emu_jw *w, const char *key, char bracket)
{
    lead(w, key);
    put(w, &bracket, 1);
    w->comma = 0;
}

void mds_emu_jw_close(struct mds_emu_jw *w, char bracket)
{
    put(w, &bracket, 1);
    w->comma = 1;
}

void mds_emu_jw_strn(struct mds_emu_jw *w, const char *key, const char *s, size_t n)
{
    lead(w, key);
    if (!w->err)
        w->err = mds_json_quote(w->b, s, n);
}

void mds_emu_jw_str(struct mds_emu_jw *w, const char *key, const char *s)
{
    if (s)
        mds_emu_jw_strn(w, key, s, strlen(s));
    else
        mds_emu_jw_null(w, key);
}

void mds_emu_jw_null(struct mds_emu_jw *w, const char *key)
{
    lead(w, key);
    put(w, "null", 4);
}

void mds_emu_jw_int(struct mds_emu_jw *w, const char *key, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    lead(w, key);
    put(w, num, (size_t)n);
}

void mds_emu_jw_bool(struct mds_emu_jw *w, const char *key, int v)
{
    lead(w, key);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void mds_emu_jw_time(struct mds_emu_jw *w, const char *key, mds_ticks t)
{
    char ts[40];
    if (t == MDS_EMU_NO_TIME) {
        mds_emu_jw_null(w, key);
        return;
    }
    size_t n = mds_time_format(t, 7, ts, sizeof ts);
    mds_emu_jw_strn(w, key, ts, n);
}

void mds_emu_jw_raw(struct mds_emu_jw *w, const char *key, const char *json, size_t n)
{
    lead(w, key);
    put(w, json, n);
}
