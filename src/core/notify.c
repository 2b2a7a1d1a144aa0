/*
 * notify.c - sd_notify(3) readiness, reload, shutdown and watchdog
 * messages (see notify.h). libsystemd does the socket work; it returns
 * without effect when NOTIFY_SOCKET is unset.
 */
#include "core/notify.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "core/log.h"

static pthread_t wd_thread;
static int wd_running;
static int wd_stop;
static uint64_t wd_interval_usec;
static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cond = PTHREAD_COND_INITIALIZER;

/* STATUS= is one line of text; strip what would break the message. */
static void send_with_status(const char *head, const char *status)
{
    char line[256];
    size_t n = 0;
    for (const char *p = status ? status : ""; *p && n + 1 < sizeof line; p++)
        line[n++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
    line[n] = '\0';
    if (head && status)
        sd_notifyf(0, "%s\nSTATUS=%s", head, line);
    else if (head)
        sd_notify(0, head);
    else
        sd_notifyf(0, "STATUS=%s", line);
}

void mds_notify_ready(const char *status)
{
    send_with_status("READY=1", status);
}

void mds_notify_status(const char *status)
{
    send_with_status(NULL, status);
}

void mds_notify_stopping(void)
{
    send_with_status("STOPPING=1", "stopping");
}

void mds_notify_reloading(void)
{
    struct timespec ts;
    char head[96];
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match the
     * reload to its request; older versions ignore it. */
    snprintf(head, sizeof head, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
    send_with_status(head, "reloading the configuration");
}

/*
 * Watchdog thread: pings at half the interval systemd asked for, so one
 * late wake-up never trips it. It proves the process is scheduled and not
 * wedged on a lock it shares with this thread (the log lock); the engine's
 * own stalls show in `mdesiem status` as lag.
 */
static void *watchdog_main(void *arg)
{
    (void)arg;
    uint64_t half = wd_interval_usec / 2;
    pthread_mutex_lock(&wd_mu);
    while (!wd_stop) {
        pthread_mutex_unlock(&wd_mu);
        mds_log_flush(0);
        sd_notify(0, "WATCHDOG=1");
        pthread_mutex_lock(&wd_mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (half % 1000000ULL) * 1000ULL;
        ts.tv_sec += (time_t)(half / 1000000ULL + ns / 1000000000ULL);
        ts.tv_nsec = (long)(ns % 1000000000ULL);
        while (!wd_stop && pthread_cond_timedwait(&wd_cond, &wd_mu, &ts) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&wd_mu);
    return NULL;
}

int mds_notify_watchdog_start(void)
{
    uint64_t usec = 0;
    if (wd_running || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    wd_interval_usec = usec;
    wd_stop = 0;
    if (pthread_create(&wd_thread, NULL, watchdog_main, NULL) != 0) {
        mds_error("main", "cannot start the watchdog thread; systemd will restart the service");
        return -1;
    }
    wd_running = 1;
    mds_debug("main", "systemd watchdog: pinging every %llu ms", (unsigned long long)(usec / 2000));
    return 0;
}

void mds_notify_watchdog_stop(void)
{
    if (!wd_running)
        return;
    pthread_mutex_lock(&wd_mu);
    wd_stop = 1;
    pthread_cond_signal(&wd_cond);
    pthread_mutex_unlock(&wd_mu);
    pthread_join(wd_thread, NULL);
    wd_running = 0;
}
