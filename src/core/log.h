/*
 * log.h - leveled, component-tagged logging to stderr.
 *
 * Lines look like
 *   2026-11-24T07:25:54Z warn  [source:defender-prod] token refused: 401
 * Repeats of the same message from the same component within a short
 * window are folded into one "(repeated N times)" line. Secrets are never
 * passed to these functions: callers log names and statuses, not values.
 * Thread-safe.
 */
#ifndef MDS_LOG_H
#define MDS_LOG_H

enum mds_log_level { MDS_LOG_ERROR = 0, MDS_LOG_WARN, MDS_LOG_INFO, MDS_LOG_DEBUG };

void mds_log_set_level(enum mds_log_level level);
int mds_log_parse_level(const char *name, enum mds_log_level *out);
void mds_log_set_json(int on);
void mds_log(enum mds_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define mds_error(tag, ...) mds_log(MDS_LOG_ERROR, tag, __VA_ARGS__)
#define mds_warn(tag, ...) mds_log(MDS_LOG_WARN, tag, __VA_ARGS__)
#define mds_info(tag, ...) mds_log(MDS_LOG_INFO, tag, __VA_ARGS__)
#define mds_debug(tag, ...) mds_log(MDS_LOG_DEBUG, tag, __VA_ARGS__)

#endif
