/* log.c - leveled logging with repeat folding (see log.h). */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define REPEAT_WINDOW_SEC 10

static enum mds_log_level cur_level = MDS_LOG_INFO;
static int json_mode;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char last_msg[512];
static char last_tag[96];
static enum mds_log_level last_level;
static time_t last_time;
static unsigned long repeats;

static const char *level_names[] = {"error", "warn", "info", "debug"};

void mds_log_set_level(enum mds_log_level level) { cur_level = level; }

void mds_log_set_json(int on) { json_mode = on; }

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

static void json_escape_to(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

static void emit(enum mds_log_level level, const char *tag, const char *msg, time_t now)
{
    struct tm tm;
    char ts[32];
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (json_mode) {
        fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"component\":\"", ts, level_names[level]);
        json_escape_to(stderr, tag);
        fputs("\",\"message\":\"", stderr);
        json_escape_to(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "%s %-5s [%s] %s\n", ts, level_names[level], tag, msg);
    }
}

void mds_log(enum mds_log_level level, const char *tag, const char *fmt, ...)
{
    if (level > cur_level)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';

    time_t now = time(NULL);
    pthread_mutex_lock(&lock);
    if (strcmp(msg, last_msg) == 0 && strcmp(tag, last_tag) == 0 &&
        now - last_time < REPEAT_WINDOW_SEC) {
        repeats++;
        pthread_mutex_unlock(&lock);
        return;
    }
    if (repeats) {
        char note[600];
        snprintf(note, sizeof note, "%s (repeated %lu more times)", last_msg, repeats);
        emit(last_level, last_tag, note, now);
        repeats = 0;
    }
    snprintf(last_msg, sizeof last_msg, "%s", msg);
    snprintf(last_tag, sizeof last_tag, "%s", tag);
    last_level = level;
    last_time = now;
    emit(level, tag, msg, now);
    pthread_mutex_unlock(&lock);
}
