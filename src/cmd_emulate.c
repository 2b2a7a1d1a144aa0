/*
 * cmd_emulate.c - `mdesiem emulate`: run the local Defender cloud in the
 * foreground until SIGTERM or SIGINT.
 *
 * The first stdout line is always exactly
 *   mdesiem emulate: listening on http://127.0.0.1:PORT
 * (flushed at once, so scripts can read the port), then the test
 * credentials. Options are declared in one table; see docs/emulator.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "emulator/stream.h"
#include "core/log.h"
#include "emulator/emulator.h"

static const char usage_text[] =
    "usage: mdesiem emulate [options]\n\n"
    "Runs a local Microsoft Defender cloud (token service, Graph, MDE API, legacy SIEM API) on\n"
    "127.0.0.1 for tests and demos. Stops cleanly on SIGTERM/SIGINT.\n\n"
    "  --listen ADDR:PORT     listen address (default 127.0.0.1:0 = a free port)\n"
    "  --port-file PATH       write the bound port number to PATH\n"
    "  --seed N               seed of every generated value (default 1)\n"
    "  --alerts N             initial alerts, spread over the last 23 hours (default 100)\n"
    "  --client-id ID         accepted client id\n"
    "  --client-secret S      accepted client secret (a test credential)\n"
    "  --tenant T             tenant id\n"
    "  --token-ttl SEC        access token lifetime (default 3599)\n"
    "  --faults K=R,...       inject faults on API requests with rate R in [0,1]; K is 429, 500,\n"
    "                         503, slow, truncate, malformed, reset or expire\n"
    "  --retry-after SEC      Retry-After of 429/503 faults, may be fractional (default 1)\n"
    "  --slow-ms MS           delay of the `slow` fault (default 2000)\n"
    "  --quirk Q[=N],...      top-clamp=N, no-next-link, skip-limit=N, late-arrival=SECONDS,\n"
    "                         same-timestamp=N, enum-unknown, legacy-casing (repeatable)\n"
    "  --roles R,...|none     application roles in access tokens (default all three)\n"
    "  --mde-rate-limit       MDE API: 100 calls/minute and 1500/hour, then 429\n"
    "  --siem-path-prefix P   legacy SIEM API under P/api/alerts (default /siem)\n"
    "  --tls CERTPATH         serve HTTPS; CERTPATH (PEM cert + key) is generated if missing\n"
    "  --client-cert PEM      accept client assertions signed by this certificate's key\n"
    "  --clock ISO8601        fixed virtual clock: byte-identical output for a seed\n"
    "\nStreaming API (Event Hubs through Kafka): `mdesiem emulate --stream-mock` or\n"
    "`mdesiem emulate --stream kafka://HOST:PORT --topic NAME ...`; see\n"
    "`mdesiem emulate --stream-mock --help`.\n";

enum {
    OPT_LISTEN = 256,
    OPT_PORT_FILE,
    OPT_SEED,
    OPT_ALERTS,
    OPT_CLIENT_ID,
    OPT_CLIENT_SECRET,
    OPT_TENANT,
    OPT_TOKEN_TTL,
    OPT_FAULTS,
    OPT_RETRY_AFTER,
    OPT_SLOW_MS,
    OPT_QUIRK,
    OPT_ROLES,
    OPT_MDE_RATE,
    OPT_SIEM_PREFIX,
    OPT_TLS,
    OPT_CLIENT_CERT,
    OPT_CLOCK
};

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"alerts", required_argument, NULL, OPT_ALERTS},
    {"client-id", required_argument, NULL, OPT_CLIENT_ID},
    {"client-secret", required_argument, NULL, OPT_CLIENT_SECRET},
    {"tenant", required_argument, NULL, OPT_TENANT},
    {"token-ttl", required_argument, NULL, OPT_TOKEN_TTL},
    {"faults", required_argument, NULL, OPT_FAULTS},
    {"retry-after", required_argument, NULL, OPT_RETRY_AFTER},
    {"slow-ms", required_argument, NULL, OPT_SLOW_MS},
    {"quirk", required_argument, NULL, OPT_QUIRK},
    {"roles", required_argument, NULL, OPT_ROLES},
    {"mde-rate-limit", no_argument, NULL, OPT_MDE_RATE},
    {"siem-path-prefix", required_argument, NULL, OPT_SIEM_PREFIX},
    {"tls", required_argument, NULL, OPT_TLS},
    {"client-cert", required_argument, NULL, OPT_CLIENT_CERT},
    {"clock", required_argument, NULL, OPT_CLOCK},
    {NULL, 0, NULL, 0},
};

static int parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!s[0] || s[0] == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int copy_arg(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, s, n + 1);
    return 0;
}

static int parse_listen(struct mds_emu_config *cfg, const char *s)
{
    const char *colon = strrchr(s, ':');
    unsigned long long port;
    if (!colon || (size_t)(colon - s) >= sizeof cfg->host || colon == s || parse_u64(colon + 1, 65535, &port))
        return -1;
    memcpy(cfg->host, s, (size_t)(colon - s));
    cfg->host[colon - s] = '\0';
    cfg->port = (unsigned)port;
    return 0;
}

static int parse_seconds(const char *s, double max, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0 && v <= max))
        return -1;
    *out = v;
    return 0;
}

/* A path prefix: "/" then segments, no trailing slash, no '?'. */
static int parse_prefix(char *dst, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (s[0] != '/' || n < 2 || s[n - 1] == '/' || strpbrk(s, "?#%") || strstr(s, "//"))
        return -1;
    return copy_arg(dst, size, s);
}

static int parse_clock(const char *s, mds_ticks *out)
{
    return mds_time_parse(s, strlen(s), out) == MDS_OK && *out > 0 ? 0 : -1;
}

/* Options whose parser reports its own message. */
static int apply_spec(struct mds_emu_config *cfg, int opt, const char *arg)
{
    char errstr[256] = "";
    mds_err err = opt == OPT_FAULTS  ? mds_emu_faults_parse(cfg, arg, errstr, sizeof errstr)
                  : opt == OPT_QUIRK ? mds_emu_quirks_parse(cfg, arg, errstr, sizeof errstr)
                                     : mds_emu_roles_parse(cfg, arg, errstr, sizeof errstr);
    if (err)
        fprintf(stderr, "mdesiem emulate: %s\n", errstr);
    return err ? -1 : 0;
}

/* Applies one option; returns 0 or prints why it is invalid. */
static int apply_option(struct mds_emu_config *cfg, int opt, const char *arg, const char **port_file)
{
    unsigned long long v = 0;
    double d = 0;
    int bad = 0;
    switch (opt) {
    case OPT_LISTEN:
        bad = parse_listen(cfg, arg);
        break;
    case OPT_PORT_FILE:
        *port_file = arg;
        break;
    case OPT_SEED:
        bad = parse_u64(arg, UINT64_MAX, &v);
        cfg->seed = v;
        break;
    case OPT_ALERTS:
        bad = parse_u64(arg, 20000000, &v);
        cfg->alerts = (size_t)v;
        break;
    case OPT_CLIENT_ID:
        bad = copy_arg(cfg->client_id, sizeof cfg->client_id, arg);
        break;
    case OPT_CLIENT_SECRET:
        bad = copy_arg(cfg->client_secret, sizeof cfg->client_secret, arg);
        break;
    case OPT_TENANT:
        bad = copy_arg(cfg->tenant, sizeof cfg->tenant, arg);
        break;
    case OPT_TOKEN_TTL:
        bad = parse_u64(arg, 86400 * 365, &v) || v == 0;
        cfg->token_ttl = (int64_t)v;
        break;
    case OPT_RETRY_AFTER:
        bad = parse_seconds(arg, 3600, &d);
        cfg->retry_after = d;
        break;
    case OPT_SLOW_MS:
        bad = parse_u64(arg, 600000, &v);
        cfg->slow_ms = (int64_t)v;
        break;
    case OPT_MDE_RATE:
        cfg->mde_rate_limit = 1;
        break;
    case OPT_SIEM_PREFIX:
        bad = parse_prefix(cfg->siem_prefix, sizeof cfg->siem_prefix, arg);
        break;
    case OPT_TLS:
        bad = copy_arg(cfg->tls_cert, sizeof cfg->tls_cert, arg);
        break;
    case OPT_CLIENT_CERT:
        bad = copy_arg(cfg->client_cert, sizeof cfg->client_cert, arg);
        break;
    case OPT_CLOCK:
        bad = parse_clock(arg, &cfg->clock);
        break;
    case OPT_FAULTS:
    case OPT_QUIRK:
    case OPT_ROLES:
        return apply_spec(cfg, opt, arg);
    default:
        return -1;
    }
    if (bad) {
        for (const struct option *o = options; o->name; o++)
            if (o->val == opt)
                fprintf(stderr, "mdesiem emulate: invalid value '%s' for --%s\n", arg, o->name);
        return -1;
    }
    return 0;
}

static int write_port_file(const char *path, unsigned port)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%u\n", port) > 0;
    ok = (fclose(f) == 0) && ok;
    return ok ? 0 : -1;
}

static void announce(const struct mds_emu_config *cfg, unsigned port)
{
    printf("mdesiem emulate: listening on %s://%s:%u\n", cfg->tls_cert[0] ? "https" : "http", cfg->host,
           port);
    fflush(stdout);
    printf("mdesiem emulate: client id %s\n", cfg->client_id);
    /* the built-in test credential is shown so a demo can use it; one the
     * user chose (--client-secret) may be a real one: never echoed */
    if (strcmp(cfg->client_secret, MDS_EMU_DEFAULT_SECRET) == 0)
        printf("mdesiem emulate: client secret %s (the emulator's own test credential)\n", cfg->client_secret);
    else
        printf("mdesiem emulate: client secret as given with --client-secret (not shown)\n");
    printf("mdesiem emulate: tenant %s\n", cfg->tenant);
    fflush(stdout);
}

int mds_cmd_emulate(int argc, char **argv)
{
    struct mds_emu_config cfg;
    struct mds_emu *emu = NULL;
    const char *port_file = NULL;
    char errstr[256] = "";
    int opt, rc = MDS_EXIT_FAILURE;
    /* --stream / --stream-mock: the Streaming API side (emulator/stream.c) */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--stream") == 0 || strncmp(argv[i], "--stream=", 9) == 0 ||
            strcmp(argv[i], "--stream-mock") == 0)
            return mds_emu_stream_main(argc, argv);
    if (mds_cmd_wants_help(argc, argv, usage_text))
        return MDS_EXIT_OK;
    mds_emu_config_defaults(&cfg);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1)
        if (opt == '?' || apply_option(&cfg, opt, optarg ? optarg : "", &port_file))
            return MDS_EXIT_USAGE;
    if (optind < argc) {
        fprintf(stderr, "mdesiem emulate: unexpected argument '%s'\n", argv[optind]);
        return MDS_EXIT_USAGE;
    }
    /* block the stop signals before any server thread exists */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (mds_emu_create(&cfg, &emu, errstr, sizeof errstr)) {
        fprintf(stderr, "mdesiem emulate: %s\n", errstr);
        return MDS_EXIT_FAILURE;
    }
    announce(&cfg, mds_emu_port(emu));
    if (port_file && write_port_file(port_file, mds_emu_port(emu))) {
        fprintf(stderr, "mdesiem emulate: cannot write --port-file %s: %s\n", port_file, strerror(errno));
        goto out;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    mds_info("emulate", "stopping on signal %d", sig);
    rc = MDS_EXIT_OK;
out:
    mds_emu_destroy(emu);
    return rc;
}
