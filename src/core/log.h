/*
 * log.h - leveled, component-tagged logging to stderr or a file.
 *
 * Lines look like
 *   2026-11-24T07:25:54Z warn  [source:defender-prod] token refused: 401
 * or, with log_format = json, one JSON object per line. When stderr is the
 * systemd journal (JOURNAL_STREAM), each line starts with its syslog
 * priority ("<3>" for errors) and text lines leave the time to journald.
 *
 * Repeats are rate-limited: the first occurrence of a message from a
 * component is written, identical ones within the next 10 seconds are only
 * counted, and one "(repeated N more times in Ws)" line follows when the
 * window ends - per (component, message), so two sources failing in
 * turn are folded as well as one failing alone. Warnings and errors that
 * differ only in their numbers ("attempt 6", "attempt 7") count as
 * repeats too; their summary quotes the last one.
 *
 * Secrets are never passed to these functions: callers log names and
 * statuses, not values. Everything here is thread-safe.
 */
#ifndef MDS_LOG_H
#define MDS_LOG_H

#include <stddef.h>

enum mds_log_level { MDS_LOG_ERROR = 0, MDS_LOG_WARN, MDS_LOG_INFO, MDS_LOG_DEBUG };

void mds_log_set_level(enum mds_log_level level);
int mds_log_parse_level(const char *name, enum mds_log_level *out);
void mds_log_set_json(int on);
void mds_log(enum mds_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Sends log lines to `path` (appended, created mode 0640), or back to
 * stderr when path is NULL. Opening the same path again reopens it, which
 * is what logrotate needs after renaming the file (SIGHUP does this).
 * On failure the current destination is kept and err says why; returns
 * 0 or -1.
 */
int mds_log_set_file(const char *path, char *err, size_t errlen);

/* Writes the "(repeated N more times)" lines of repeat windows that have
 * ended (all of them when `all` is set, e.g. before exiting). */
void mds_log_flush(int all);

/* The repeat window, in seconds (10 by default); for tests. */
void mds_log_set_repeat_window(int seconds);

/*
 * A status block kept below the log lines on a terminal (`once` shows its
 * progress there): each call replaces the block; log lines written to
 * stderr meanwhile appear above it. NULL erases it; mds_log_term_finish()
 * leaves the last block on screen and stops managing it. Only for a
 * terminal on stderr: the caller checks isatty().
 */
void mds_log_term_status(const char *block);
void mds_log_term_finish(void);

#define mds_error(tag, ...) mds_log(MDS_LOG_ERROR, tag, __VA_ARGS__)
#define mds_warn(tag, ...) mds_log(MDS_LOG_WARN, tag, __VA_ARGS__)
#define mds_info(tag, ...) mds_log(MDS_LOG_INFO, tag, __VA_ARGS__)
#define mds_debug(tag, ...) mds_log(MDS_LOG_DEBUG, tag, __VA_ARGS__)

#endif
