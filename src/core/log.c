/* log.c - leveled logging with rate-limited repeats (see log.h). */
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REPEAT_SLOTS 16
#define MSG_MAX 512
#define TAG_MAX 96
#define LINE_MAX_BYTES 4096
#define BLOCK_MAX 4096

/* One message seen recently: written once, then counted until its
 * window ends. Warnings and errors are matched with their numbers
 * masked, so "attempt 7: HTTP 429" folds into "attempt 6: HTTP 429";
 * the summary then quotes the last of them. */
struct repeat {
    int used;
    int similar; /* a folded message differed in its numbers */
    enum mds_log_level level;
    time_t first;
    unsigned long suppressed;
    char tag[TAG_MAX];
    char key[MSG_MAX];  /* the message, numbers masked for warn/error */
    char last[MSG_MAX]; /* the last message folded into this one */
};

static enum mds_log_level cur_level = MDS_LOG_INFO;
static int json_mode;
static int repeat_window = 10;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int out_fd = STDERR_FILENO;
static struct repeat slots[REPEAT_SLOTS];
static char term_block[BLOCK_MAX];
static int term_lines;   /* lines of term_block on screen; 0 = none */
static int journal = -1; /* stderr is the systemd journal; -1 = not checked yet */

static const char *level_names[] = {"error", "warn", "info", "debug"};

void mds_log_set_level(enum mds_log_level level)
{
    cur_level = level;
}

void mds_log_set_json(int on)
{
    json_mode = on;
}

void mds_log_set_repeat_window(int seconds)
{
    repeat_window = seconds;
}

int mds_log_parse_level(const char *name, enum mds_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum mds_log_level)i;
            return 0;
        }
    }
    return -1;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return; /* nowhere left to report it */
        p += k;
        n -= (size_t)k;
    }
}

/* Bounded appender: text that does not fit is dropped, never overflows. */
struct line {
    char buf[LINE_MAX_BYTES];
    size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
    if (n > sizeof l->buf - 1 - l->len)
        n = sizeof l->buf - 1 - l->len;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void puts_json(struct line *l, const char *s)
{
    char esc[8];
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(l, esc, 6);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
}

/* Moves the cursor to the first line of the status block and clears to
 * the end of the screen. Caller holds the lock. */
static void term_erase(void)
{
    char seq[32];
    if (term_lines <= 0)
        return;
    int n = snprintf(seq, sizeof seq, "\r\033[%dA\033[J", term_lines);
    write_all(STDERR_FILENO, seq, (size_t)n);
}

static void term_draw(void)
{
    if (term_lines > 0)
        write_all(STDERR_FILENO, term_block, strlen(term_block));
}

/*
 * systemd sets JOURNAL_STREAM=<dev>:<inode> when stderr is connected to
 * the journal. Lines then start with a "<N>" syslog priority (journald
 * stores it as PRIORITY=, so `journalctl -p err` works) and text lines
 * drop their timestamp (the journal has its own).
 */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* Writes one line. Caller holds the lock. */
static void emit(enum mds_log_level level, const char *tag, const char *msg, time_t now)
{
    static const char prio[] = {'3', '4', '6', '7'}; /* err, warning, info, debug */
    struct tm tm;
    char ts[32];
    struct line l = {.len = 0};
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (journal < 0)
        journal = stderr_is_journal();
    int to_journal = journal && out_fd == STDERR_FILENO;
    if (to_journal) {
        char p[3] = {'<', prio[level], '>'};
        put(&l, p, 3);
    }
    if (to_journal && !json_mode) {
        char head[TAG_MAX + 8];
        snprintf(head, sizeof head, "[%s] ", tag);
        put(&l, head, strlen(head));
        put(&l, msg, strlen(msg));
    } else if (json_mode) {
        put(&l, "{\"time\":\"", 9);
        put(&l, ts, strlen(ts));
        put(&l, "\",\"level\":\"", 11);
        put(&l, level_names[level], strlen(level_names[level]));
        put(&l, "\",\"component\":\"", 15);
        puts_json(&l, tag);
        put(&l, "\",\"message\":\"", 13);
        puts_json(&l, msg);
        put(&l, "\"}", 2);
    } else {
        char head[TAG_MAX + 64];
        snprintf(head, sizeof head, "%s %-5s [%s] ", ts, level_names[level], tag);
        put(&l, head, strlen(head));
        put(&l, msg, strlen(msg));
    }
    l.buf[l.len++] = '\n';
    int on_term = out_fd == STDERR_FILENO && term_lines > 0;
    if (on_term)
        term_erase();
    write_all(out_fd, l.buf, l.len);
    if (on_term)
        term_draw();
}

static void emit_summary(struct repeat *r, time_t now)
{
    char note[MSG_MAX + 96];
    if (r->similar)
        snprintf(note, sizeof note, "%s (%lu similar in %lds, showing the last)", r->last, r->suppressed,
                 (long)(now - r->first));
    else
        snprintf(note, sizeof note, "%s (repeated %lu more time%s in %lds)", r->last, r->suppressed,
                 r->suppressed == 1 ? "" : "s", (long)(now - r->first));
    emit(r->level, r->tag, note, now);
}

/* The folding key: warnings and errors with every run of digits
 * replaced by '#'; other levels verbatim. */
static void fold_key(enum mds_log_level level, const char *msg, char *key, size_t size)
{
    size_t n = 0;
    for (const char *p = msg; *p && n + 1 < size; p++) {
        if (level <= MDS_LOG_WARN && *p >= '0' && *p <= '9') {
            if (n == 0 || key[n - 1] != '#')
                key[n++] = '#';
        } else {
            key[n++] = *p;
        }
    }
    key[n] = '\0';
}

/* Ends the windows that are over. Caller holds the lock. */
static void expire(time_t now, int all)
{
    for (int i = 0; i < REPEAT_SLOTS; i++) {
        struct repeat *r = &slots[i];
        if (!r->used || (!all && now - r->first < repeat_window))
            continue;
        if (r->suppressed)
            emit_summary(r, now);
        r->used = 0;
    }
}

void mds_log_flush(int all)
{
    pthread_mutex_lock(&lock);
    expire(time(NULL), all);
    pthread_mutex_unlock(&lock);
}

/* 1 when the message is a repeat inside its window (then only counted). */
static int fold(enum mds_log_level level, const char *tag, const char *msg, time_t now)
{
    struct repeat *victim = &slots[0];
    char key[MSG_MAX];
    fold_key(level, msg, key, sizeof key);
    for (int i = 0; i < REPEAT_SLOTS; i++) {
        struct repeat *r = &slots[i];
        if (r->used && r->level == level && strcmp(r->key, key) == 0 && strcmp(r->tag, tag) == 0) {
            r->suppressed++;
            if (strcmp(r->last, msg) != 0) {
                r->similar = 1;
                snprintf(r->last, sizeof r->last, "%s", msg);
            }
            return 1;
        }
        if (!r->used || (victim->used && r->first < victim->first))
            victim = r;
    }
    if (victim->used && victim->suppressed)
        emit_summary(victim, now); /* more distinct messages than slots */
    victim->used = 1;
    victim->similar = 0;
    victim->level = level;
    victim->first = now;
    victim->suppressed = 0;
    snprintf(victim->tag, sizeof victim->tag, "%s", tag);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    snprintf(victim->last, sizeof victim->last, "%s", msg);
    return 0;
}

void mds_log(enum mds_log_level level, const char *tag, const char *fmt, ...)
{
    if (level > cur_level)
        return;
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';

    time_t now = time(NULL);
    pthread_mutex_lock(&lock);
    expire(now, 0);
    if (!fold(level, tag, msg, now))
        emit(level, tag, msg, now);
    pthread_mutex_unlock(&lock);
}

int mds_log_set_file(const char *path, char *err, size_t errlen)
{
    int fd = STDERR_FILENO;
    if (path) {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open log file %s: %s", path, strerror(errno));
            return -1;
        }
    }
    pthread_mutex_lock(&lock);
    int old = out_fd;
    out_fd = fd;
    pthread_mutex_unlock(&lock);
    if (old != STDERR_FILENO)
        close(old);
    return 0;
}

void mds_log_term_status(const char *block)
{
    pthread_mutex_lock(&lock);
    term_erase();
    term_lines = 0;
    term_block[0] = '\0';
    if (block && *block) {
        size_t n = strlen(block);
        if (n > sizeof term_block - 2)
            n = sizeof term_block - 2;
        memcpy(term_block, block, n);
        if (term_block[n - 1] != '\n')
            term_block[n++] = '\n';
        term_block[n] = '\0';
        for (size_t i = 0; i < n; i++)
            term_lines += term_block[i] == '\n';
        term_draw();
    }
    pthread_mutex_unlock(&lock);
}

void mds_log_term_finish(void)
{
    pthread_mutex_lock(&lock);
    term_lines = 0;
    term_block[0] = '\0';
    pthread_mutex_unlock(&lock);
}
