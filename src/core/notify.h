/*
 * notify.h - telling the service manager what the daemon is doing.
 *
 * Under systemd (Type=notify) the unit learns readiness, reloads and
 * shutdown through sd_notify(3), and WatchdogSec= expects a ping at least
 * every WATCHDOG_USEC microseconds. Outside systemd (NOTIFY_SOCKET unset)
 * every function here is a cheap no-op, so callers never check.
 *
 * Thread-safety: all functions may be called from any thread except the
 * signal handlers; mds_notify_watchdog_start/stop from the main thread.
 */
#ifndef MDS_NOTIFY_H
#define MDS_NOTIFY_H

/* READY=1 with a STATUS= line: the engine runs. Also ends a reload. */
void mds_notify_ready(const char *status);

/* RELOADING=1 (with MONOTONIC_USEC=): a SIGHUP reload has begun. */
void mds_notify_reloading(void);

/* STOPPING=1: shutdown has begun (sent once the engine has drained). */
void mds_notify_stopping(void);

/* STATUS=...: a one-line human-readable state for `systemctl status`.
 * Never pass secrets. */
void mds_notify_status(const char *status);

/* Starts a thread sending WATCHDOG=1 every half WATCHDOG_USEC when the
 * service manager asked for it (WatchdogSec=); nothing otherwise.
 * Returns 0, or -1 when the thread could not be started. */
int mds_notify_watchdog_start(void);
void mds_notify_watchdog_stop(void);

#endif
