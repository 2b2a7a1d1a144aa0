/*
 * timeutil.h - timestamps at Defender's full precision.
 *
 * A timestamp is an int64 count of 100-nanosecond ticks since the Unix
 * epoch (UTC), the resolution of .NET DateTime that Defender's 7
 * fractional digits carry. Comparing ticks, never strings, makes
 * "2021-05-02T14:19:01.32Z" and "2021-05-02T14:19:01.3200000Z" equal.
 */
#ifndef MDS_TIMEUTIL_H
#define MDS_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef int64_t mds_ticks;

#define MDS_TICKS_PER_SEC INT64_C(10000000)
#define MDS_TICKS_PER_MS INT64_C(10000)

/* Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.f{0,7}][Z|+hh:mm|-hh:mm]"; a
 * missing zone means UTC (the legacy API's sinceTimeUtc examples). More
 * than 7 fractional digits are accepted and rounded down to ticks. */
mds_err mds_time_parse(const char *s, size_t len, mds_ticks *out);

/* Writes "YYYY-MM-DDTHH:MM:SS.fffffffZ" (digits = 0..7 fractional
 * digits; 0 omits the dot). Returns the length written, excluding the
 * NUL; buf needs 29 bytes. */
size_t mds_time_format(mds_ticks t, int digits, char *buf, size_t size);

mds_ticks mds_time_now(void);

/* Monotonic clock in milliseconds, for timeouts and rates. */
int64_t mds_mono_ms(void);

/* Parses a duration in the QRadar recurrence syntax: a positive integer
 * followed by S, M, H or D (case-insensitive), or "ms" for milliseconds.
 * A bare number means minutes, as in QRadar. */
mds_err mds_duration_parse(const char *s, int64_t *ms_out);

#endif
