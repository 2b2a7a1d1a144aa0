/*
 * cmd_run.c - `mdesiem run` and `mdesiem once`.
 *
 * run: collect and deliver until SIGTERM/SIGINT (graceful: in-flight
 * deliveries finish and are acknowledged, then exit 0). SIGHUP re-reads
 * the configuration; an invalid new one is reported and the old one keeps
 * running.
 * once: one collection cycle of every source, deliver everything, exit 0;
 * 1 if anything could not be collected or delivered.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "core/engine.h"
#include "core/lifecycle.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/notify.h"
#include "core/orphans.h"
#include "core/progress.h"
#include "core/state.h"

static volatile sig_atomic_t reload_requested;
static volatile sig_atomic_t stop_requested; /* wins over a pending reload */

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
    mds_shutdown_request();
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
    mds_shutdown_request();
}

static void install_signals(int allow_reload)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = allow_reload ? on_hup : SIG_IGN;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

static const char *parse_config_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

static char run_status[512]; /* systemd STATUS= once the engine runs */

/* Engine threads are up: tell systemd (READY=1 also ends a reload). */
static void on_running(struct mds_engine *e, void *arg)
{
    (void)e;
    (void)arg;
    mds_notify_ready(run_status);
}

/* Applies the [service] log settings, (re)opening log_file (or going
 * back to stderr): at start and on every SIGHUP, so logrotate can rename
 * the file. */
static int apply_log(const struct mds_engine *engine)
{
    const struct mds_conf_section *svc = mds_engine_service(engine);
    enum mds_log_level level = MDS_LOG_INFO;
    char err[512];
    mds_log_parse_level(mds_conf_str(svc, "log_level"), &level);
    mds_log_set_level(level);
    mds_log_set_json(strcmp(mds_conf_str(svc, "log_format"), "json") == 0);
    if (mds_log_set_file(mds_conf_str(svc, "log_file"), err, sizeof err) == 0)
        return 0;
    mds_error("main", "%s", err);
    return -1;
}

/* A configuration error: on the terminal at start, in the log (which
 * may be a file, or JSON) on reload. */
static void config_error(int reloading, const char *err)
{
    if (reloading)
        mds_error("main", "%s", err);
    else
        fprintf(stderr, "mdesiem: %s\n", err);
}

/* Loads and validates a configuration into a ready engine. */
static int load(const char *path, int once, int reloading, struct mds_conf **conf, struct mds_engine **engine)
{
    char err[1024];
    struct mds_engine_opts opts = {.once = once, .on_running = on_running};
    if (mds_conf_load(path, conf, err, sizeof err)) {
        config_error(reloading, err);
        return MDS_EXIT_CONFIG;
    }
    if (mds_engine_create(*conf, &opts, engine, err, sizeof err)) {
        config_error(reloading, err);
        mds_conf_destroy(*conf);
        *conf = NULL;
        return MDS_EXIT_CONFIG;
    }
    return MDS_EXIT_OK;
}

static int make_parent_dir(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    char *dir = dirname(copy);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        fprintf(stderr, "mdesiem: cannot create directory %s for the state file: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Takes the single-instance lock and checks the state file. */
static int prepare_state(const char *path, struct mds_state_lock **lock)
{
    char err[1024];
    struct mds_db *db = NULL;
    if (make_parent_dir(path))
        return MDS_EXIT_STATE;
    if (mds_state_lock(path, lock, err, sizeof err) || mds_db_open(path, 1, &db, err, sizeof err) ||
        mds_db_verify(db, path, err, sizeof err)) {
        fprintf(stderr, "mdesiem: %s\n", err);
        mds_db_close(db);
        mds_state_unlock(*lock);
        *lock = NULL;
        return MDS_EXIT_STATE;
    }
    mds_db_close(db);
    return MDS_EXIT_OK;
}

/* SIGHUP: swap in the new configuration if it is valid. Either way the
 * log file is reopened (logrotate) with the settings of the configuration
 * that runs next. */
static void reload(const char *path, struct mds_conf **conf, struct mds_engine **engine)
{
    struct mds_conf *nconf = NULL;
    struct mds_engine *neng = NULL;
    mds_info("main", "reloading %s", path);
    mds_notify_reloading();
    if (load(path, 0, 1, &nconf, &neng) != MDS_EXIT_OK) {
        mds_error("main", "the new configuration is invalid (see above); keeping the running one");
    } else if (strcmp(mds_engine_state_path(neng), mds_engine_state_path(*engine)) != 0) {
        mds_error("main", "the state file cannot change on reload; restart mdesiem to use %s",
                  mds_engine_state_path(neng));
        mds_engine_destroy(neng);
        mds_conf_destroy(nconf);
    } else {
        mds_engine_destroy(*engine);
        mds_conf_destroy(*conf);
        *engine = neng;
        *conf = nconf;
        apply_log(*engine);
        snprintf(run_status, sizeof run_status, "running with %s", path);
        mds_info("main", "configuration reloaded");
        mds_engine_warn_orphans(*engine);
        return;
    }
    apply_log(*engine); /* a rejected configuration may have changed the level */
    snprintf(run_status, sizeof run_status,
             "running with %s; the last reload was rejected (see the log), the previous configuration is kept",
             path);
}

static int run_engine(const char *path, int once)
{
    struct mds_conf *conf = NULL;
    struct mds_engine *engine = NULL;
    struct mds_state_lock *lock = NULL;
    struct mds_progress *progress = NULL;
    char err[1024];
    int code = load(path, once, 0, &conf, &engine);
    if (code)
        return code;
    if (apply_log(engine)) {
        code = MDS_EXIT_CONFIG;
        goto out;
    }
    if ((code = prepare_state(mds_engine_state_path(engine), &lock)))
        goto out;
    install_signals(!once);
    snprintf(run_status, sizeof run_status, "%s with %s", once ? "collecting once" : "running", path);
    if (!once)
        mds_notify_watchdog_start();
    else if (mds_progress_wanted())
        progress = mds_progress_start(engine);
    mds_info("main", "mdesiem %s %s with %s, state %s", MDS_VERSION, once ? "collecting once" : "running", path,
             mds_engine_state_path(engine));
    mds_engine_warn_orphans(engine);
    for (;;) {
        mds_err rc = mds_engine_run(engine, err, sizeof err);
        if (rc == MDS_ERR_STATE) {
            mds_error("main", "%s", err);
            code = MDS_EXIT_STATE;
            break;
        }
        if (!reload_requested || stop_requested) {
            /* run: a stop is a success even if the last cycle of a source
             * failed (the cursor keeps it for the next start) */
            int failed = rc && (once || rc != MDS_ERR_RETRY);
            code = failed ? MDS_EXIT_FAILURE : MDS_EXIT_OK;
            if (failed)
                mds_error("main", "%s", err);
            break;
        }
        reload_requested = 0;
        mds_shutdown_reset();
        if (stop_requested) /* arrived since the check above */
            mds_shutdown_request();
        reload(path, &conf, &engine);
    }
    mds_notify_stopping();
    mds_progress_stop(progress);
    mds_notify_watchdog_stop();
    mds_log_flush(1);
    mds_info("main", "stopped");
out:
    mds_log_flush(1);
    mds_state_unlock(lock);
    mds_engine_destroy(engine);
    mds_conf_destroy(conf);
    return code;
}

static const char run_usage[] =
    "usage: mdesiem run -c FILE\n\n"
    "Collects from every source and delivers to every output until SIGTERM or\n"
    "SIGINT (graceful: in-flight deliveries finish, then exit 0). SIGHUP reloads\n"
    "FILE; an invalid new configuration is reported and the old one keeps running.\n";

static const char once_usage[] =
    "usage: mdesiem once -c FILE\n\n"
    "Runs one collection cycle of every source, delivers everything, and exits:\n"
    "0 when everything was collected and delivered, 1 otherwise.\n";

static int run_or_once(int argc, char **argv, int once)
{
    const char *usage = once ? once_usage : run_usage;
    if (mds_cmd_wants_help(argc, argv, usage))
        return MDS_EXIT_OK;
    const char *path = parse_config_arg(argc, argv);
    if (!path) {
        fputs(usage, stderr);
        return MDS_EXIT_USAGE;
    }
    mds_mem_share_arenas(MDS_MEM_ARENAS);
    return run_engine(path, once);
}

int mds_cmd_run(int argc, char **argv) { return run_or_once(argc, argv, 0); }

int mds_cmd_once(int argc, char **argv) { return run_or_once(argc, argv, 1); }

const char *mds_cmd_config_arg(int argc, char **argv) { return parse_config_arg(argc, argv); }
