/* timeutil.c - 100 ns timestamps, ISO 8601 parsing and durations. */
#include "core/timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days since 1970-01-01 of a proleptic Gregorian civil date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*pos >= len || !isdigit((unsigned char)s[*pos]))
            return -1;
        v = v * 10 + (s[(*pos)++] - '0');
    }
    *out = v;
    return 0;
}

static int expect(const char *s, size_t len, size_t *pos, char c)
{
    if (*pos >= len || s[*pos] != c)
        return -1;
    (*pos)++;
    return 0;
}

static int parse_fraction(const char *s, size_t len, size_t *pos, int64_t *ticks)
{
    int64_t scale = MDS_TICKS_PER_SEC / 10;
    *ticks = 0;
    if (*pos >= len || s[*pos] != '.')
        return 0;
    (*pos)++;
    size_t start = *pos;
    while (*pos < len && isdigit((unsigned char)s[*pos])) {
        *ticks += (s[*pos] - '0') * scale;
        scale /= 10;
        (*pos)++;
    }
    return *pos == start ? -1 : 0;
}

static int parse_zone(const char *s, size_t len, size_t *pos, int64_t *offset_sec)
{
    *offset_sec = 0;
    if (*pos == len)
        return 0;
    if (s[*pos] == 'Z' || s[*pos] == 'z') {
        (*pos)++;
        return 0;
    }
    if (s[*pos] != '+' && s[*pos] != '-')
        return -1;
    int sign = s[(*pos)++] == '-' ? -1 : 1;
    int hh, mm;
    if (digits(s, len, pos, 2, &hh))
        return -1;
    if (*pos < len && s[*pos] == ':')
        (*pos)++;
    if (digits(s, len, pos, 2, &mm) || hh > 23 || mm > 59)
        return -1;
    *offset_sec = sign * (hh * 3600 + mm * 60);
    return 0;
}

static const unsigned char month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

mds_err mds_time_parse(const char *s, size_t len, mds_ticks *out)
{
    size_t pos = 0;
    int y, mo, d, h, mi, sec;
    int64_t frac, off;
    if (digits(s, len, &pos, 4, &y) || expect(s, len, &pos, '-') ||
        digits(s, len, &pos, 2, &mo) || expect(s, len, &pos, '-') ||
        digits(s, len, &pos, 2, &d))
        return MDS_ERR_PARSE;
    if (pos >= len || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
        return MDS_ERR_PARSE;
    pos++;
    if (digits(s, len, &pos, 2, &h) || expect(s, len, &pos, ':') ||
        digits(s, len, &pos, 2, &mi) || expect(s, len, &pos, ':') ||
        digits(s, len, &pos, 2, &sec))
        return MDS_ERR_PARSE;
    if (parse_fraction(s, len, &pos, &frac) || parse_zone(s, len, &pos, &off) || pos != len)
        return MDS_ERR_PARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return MDS_ERR_PARSE;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off;
    *out = secs * MDS_TICKS_PER_SEC + frac;
    return MDS_OK;
}

size_t mds_time_format(mds_ticks t, int ndigits, char *buf, size_t size)
{
    int64_t secs = t / MDS_TICKS_PER_SEC;
    int64_t frac = t % MDS_TICKS_PER_SEC;
    if (frac < 0) {
        frac += MDS_TICKS_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400;
    int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, size, "%04d-%02u-%02uT%02d:%02d:%02d", y, m, d, (int)(rem / 3600),
                     (int)(rem / 60 % 60), (int)(rem % 60));
    if (n < 0 || (size_t)n >= size)
        return 0;
    if (ndigits > 7)
        ndigits = 7;
    if (ndigits > 0) {
        char f[8];
        snprintf(f, sizeof f, "%07lld", (long long)frac);
        int k = snprintf(buf + n, size - (size_t)n, ".%.*s", ndigits, f);
        if (k < 0 || (size_t)(n + k) >= size)
            return 0;
        n += k;
    }
    if ((size_t)n + 2 > size)
        return 0;
    buf[n++] = 'Z';
    buf[n] = '\0';
    return (size_t)n;
}

mds_ticks mds_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (mds_ticks)ts.tv_sec * MDS_TICKS_PER_SEC + ts.tv_nsec / 100;
}

int64_t mds_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

mds_err mds_duration_parse(const char *s, int64_t *ms_out)
{
    const char *p = s;
    int64_t v = 0;
    if (!isdigit((unsigned char)*p))
        return MDS_ERR_PARSE;
    while (isdigit((unsigned char)*p)) {
        if (v > INT64_C(100000000000))
            return MDS_ERR_PARSE;
        v = v * 10 + (*p++ - '0');
    }
    int64_t unit;
    if (*p == '\0' || ((*p == 'M' || *p == 'm') && p[1] == '\0'))
        unit = 60000;
    else if ((*p == 'm' || *p == 'M') && (p[1] == 's' || p[1] == 'S') && p[2] == '\0')
        unit = 1;
    else if ((*p == 'S' || *p == 's') && p[1] == '\0')
        unit = 1000;
    else if ((*p == 'H' || *p == 'h') && p[1] == '\0')
        unit = 3600000;
    else if ((*p == 'D' || *p == 'd') && p[1] == '\0')
        unit = 86400000;
    else
        return MDS_ERR_PARSE;
    *ms_out = v * unit;
    return MDS_OK;
}
