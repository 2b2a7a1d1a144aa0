/*
 * jw.c - a minimal streaming JSON writer for the emulator's renderers,
 * plus the hex/GUID helpers of the seeded random streams.
 *
 * Errors are sticky (the first one wins and later calls do nothing), so a
 * renderer writes a whole document and checks w->err once. Keys are
 * trusted ASCII literals; values are escaped with mds_json_escape().
 */
#include "emulator/internal.h"

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

/* Room for n more bytes at the end of the buffer, or NULL (sticky
 * error). Writers fill it and call done(); one reserve per member keeps
 * a 10 MB page of alerts cheap to build. */
static char *room(struct mds_emu_jw *w, size_t n)
{
    if (!w->err)
        w->err = mds_buf_reserve(w->b, n);
    return w->err ? NULL : w->b->data + w->b->len;
}

static void done(struct mds_emu_jw *w, char *end)
{
    w->b->len = (size_t)(end - w->b->data);
    w->b->data[w->b->len] = '\0';
}

static void put(struct mds_emu_jw *w, const char *s, size_t n)
{
    char *p = room(w, n);
    if (p) {
        memcpy(p, s, n);
        done(w, p + n);
    }
}

/* The separator and `"key":` (keys are trusted literals) at p. */
static char *lead_at(struct mds_emu_jw *w, char *p, const char *key, size_t kl)
{
    if (w->comma)
        *p++ = ',';
    w->comma = 1;
    if (key) {
        *p++ = '"';
        memcpy(p, key, kl);
        p += kl;
        *p++ = '"';
        *p++ = ':';
    }
    return p;
}

/* Writes the separator and `"key":` before a value. */
static void lead(struct mds_emu_jw *w, const char *key)
{
    size_t kl = key ? strlen(key) : 0;
    char *p = room(w, kl + 4);
    if (p)
        done(w, lead_at(w, p, key, kl));
}

/* Nonzero when s needs no escaping: printable ASCII without '"' or '\'. */
static int plain(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
            return 0;
    }
    return 1;
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
    size_t kl = key ? strlen(key) : 0;
    char *p;
    if (!plain(s, n)) { /* escapes and UTF-8 checks: the core writer */
        lead(w, key);
        if (!w->err)
            w->err = mds_json_quote(w->b, s, n);
    } else if ((p = room(w, kl + n + 6))) {
        p = lead_at(w, p, key, kl);
        *p++ = '"';
        memcpy(p, s, n);
        p += n;
        *p++ = '"';
        done(w, p);
    }
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

/* Writes v in decimal ending at end; returns the first character.
 * Renderers call this ~20 times per alert, so no snprintf. */
static char *decimal(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void mds_emu_jw_int(struct mds_emu_jw *w, const char *key, int64_t v)
{
    char num[24], *end = num + sizeof num;
    char *p = decimal(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    lead(w, key);
    put(w, p, (size_t)(end - p));
}

void mds_emu_jw_bool(struct mds_emu_jw *w, const char *key, int v)
{
    lead(w, key);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

/* Writes n digits of v into p (zero-padded). */
static void digits(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* "YYYY-MM-DDTHH:MM:SS.fffffffZ" for years 1970-9999, the same text as
 * mds_time_format(t, 7, ...) but without snprintf: a page of 2,000
 * alerts has ~30,000 timestamps. Days to civil date after the usual
 * 400-year-era arithmetic on a calendar starting in March. */
static void format_time(mds_ticks t, char out[28])
{
    uint64_t secs = (uint64_t)t / (uint64_t)MDS_TICKS_PER_SEC,
             frac = (uint64_t)t % (uint64_t)MDS_TICKS_PER_SEC;
    uint64_t days = secs / 86400, rem = secs % 86400;
    uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1), m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    unsigned y = (unsigned)(yoe + era * 400 + (m <= 2));
    memcpy(out, "0000-00-00T00:00:00.0000000Z", 28);
    digits(out, y, 4);
    digits(out + 5, m, 2);
    digits(out + 8, d, 2);
    digits(out + 11, (unsigned)(rem / 3600), 2);
    digits(out + 14, (unsigned)(rem / 60 % 60), 2);
    digits(out + 17, (unsigned)(rem % 60), 2);
    digits(out + 20, (unsigned)frac, 7);
}

void mds_emu_jw_time(struct mds_emu_jw *w, const char *key, mds_ticks t)
{
    char ts[40];
    if (t == MDS_EMU_NO_TIME) {
        mds_emu_jw_null(w, key);
        return;
    }
    if (t < 0 || t >= INT64_C(2534023008000000000)) { /* outside 1970-9999: the general formatter */
        mds_emu_jw_strn(w, key, ts, mds_time_format(t, 7, ts, sizeof ts));
        return;
    }
    format_time(t, ts);
    lead(w, key);
    put(w, "\"", 1);
    put(w, ts, 28);
    put(w, "\"", 1);
}

void mds_emu_jw_raw(struct mds_emu_jw *w, const char *key, const char *json, size_t n)
{
    lead(w, key);
    put(w, json, n);
}
