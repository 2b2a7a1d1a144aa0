/*
 * cmd_import.c - `mdesiem import-details FILE`: turns the "SIEM connector
 * access details" saved from the Defender portal ("Save details to file",
 * `Key: value` lines) into a ready [source] section. The client secret and
 * refresh token go to new files (mode 0600, never overwritten); the section
 * printed on stdout only names those files.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "core/buf.h"
#include "core/mem.h"

struct details {
    char tenant[128], client_id[128], auth_url[512], token_url[512], resource[256], events_url[512];
    char *secret, *refresh;
};

static const char usage[] =
    "usage: mdesiem import-details FILE [--name NAME] [--secret-dir DIR]\n\n"
    "Reads the SIEM connector access details saved from the Defender portal\n"
    "(Settings > SIEM > Save details to file) and prints a [source] section for\n"
    "them. The client secret (and refresh token, if present) are written to new\n"
    "files NAME.secret / NAME.refresh-token in DIR (default /etc/mdesiem/secrets),\n"
    "mode 0600; existing files are never overwritten.\n";

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int key_is(const char *key, const char *a, const char *b)
{
    return strcasecmp(key, a) == 0 || (b && strcasecmp(key, b) == 0);
}

static void set(char *dst, size_t size, const char *v) { snprintf(dst, size, "%s", v); }

static void take(struct details *d, const char *key, const char *v)
{
    if (key_is(key, "Tenant ID", "Tenant"))
        set(d->tenant, sizeof d->tenant, v);
    else if (key_is(key, "Client ID", "OAuth 2.0 Client ID"))
        set(d->client_id, sizeof d->client_id, v);
    else if (key_is(key, "Client secret", "OAuth 2.0 Client secret") && !d->secret)
        d->secret = mds_strdup(v);
    else if (key_is(key, "Authorization server URL", "OAuth 2.0 Authorization server URL"))
        set(d->auth_url, sizeof d->auth_url, v);
    else if (key_is(key, "OAuth 2.0 token refresh URL", "Token refresh URL"))
        set(d->token_url, sizeof d->token_url, v);
    else if (key_is(key, "Resource", NULL))
        set(d->resource, sizeof d->resource, v);
    else if (key_is(key, "Events URL", NULL))
        set(d->events_url, sizeof d->events_url, v);
    else if (key_is(key, "Refresh token", "OAuth 2.0 refresh token") && !d->refresh)
        d->refresh = mds_strdup(v);
}

static int parse(FILE *f, struct details *d)
{
    char line[16384];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        take(d, trim(line), trim(colon + 1));
    }
    explicit_bzero(line, sizeof line);
    return d->client_id[0] && (d->secret || d->refresh) ? 0 : -1;
}

/* Creates path with the secret; never replaces an existing file. */
static int write_secret(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "mdesiem: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = strlen(value);
    int ok = write(fd, value, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    close(fd);
    if (!ok)
        fprintf(stderr, "mdesiem: cannot write %s: %s\n", path, strerror(errno));
    return ok ? 0 : -1;
}

/* Tenant from the token URL when the file has no Tenant ID line. */
static void tenant_from_url(struct details *d)
{
    const char *url = d->token_url[0] ? d->token_url : d->auth_url;
    const char *p = strstr(url, "://");
    if (d->tenant[0] || !p || !(p = strchr(p + 3, '/')))
        return;
    snprintf(d->tenant, sizeof d->tenant, "%.*s", (int)strcspn(p + 1, "/?"), p + 1);
}

/* Region from an Events URL https://wdatp-alertexporter-<region>.windows.com/... */
static void print_region(const struct details *d)
{
    const char *p = strstr(d->events_url, "wdatp-alertexporter-");
    if (p) {
        p += strlen("wdatp-alertexporter-");
        printf("regions = %.*s\n", (int)strcspn(p, "."), p);
    } else {
        printf("regions = us                ; eu, us, uk: the regions of your tenant\n");
    }
}

static void print_section(const char *name, const struct details *d, const char *secret_path, const char *refresh_path)
{
    printf("[source %s]\ntype = siem\ntenant_id = %s\nclient_id = %s\n", name, d->tenant[0] ? d->tenant : "FILL-ME",
           d->client_id);
    if (secret_path)
        printf("client_secret_file = %s\n", secret_path);
    if (refresh_path)
        printf("refresh_token_file = %s\n", refresh_path);
    if (d->token_url[0])
        printf("auth_url = %s\n", d->token_url);
    printf("resource = %s\n", d->resource[0] ? d->resource : "https://graph.windows.net");
    print_region(d);
    printf("outputs = CHANGE-ME           ; the [output] sections to deliver to\n");
}

static const char *arg_value(int argc, char **argv, const char *name, const char *dflt)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return dflt;
}

int mds_cmd_import_details(int argc, char **argv)
{
    struct details d = {0};
    char secret_path[4096], refresh_path[4096];
    if (mds_cmd_wants_help(argc, argv, usage))
        return MDS_EXIT_OK;
    const char *file = NULL, *name = arg_value(argc, argv, "--name", "defender-siem");
    const char *dir = arg_value(argc, argv, "--secret-dir", "/etc/mdesiem/secrets");
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            i++;
        else
            file = argv[i];
    }
    FILE *f = file ? fopen(file, "r") : NULL;
    if (!f) {
        fprintf(stderr, file ? "mdesiem: cannot open %s: %s\n" : "%s", file ? file : usage, strerror(errno));
        return MDS_EXIT_USAGE;
    }
    int bad = parse(f, &d);
    fclose(f);
    int code = MDS_EXIT_OK;
    if (bad) {
        fprintf(stderr, "mdesiem: %s has no Client ID with a Client secret or Refresh token line\n", file);
        code = MDS_EXIT_CONFIG;
        goto out;
    }
    tenant_from_url(&d);
    snprintf(secret_path, sizeof secret_path, "%s/%s.secret", dir, name);
    snprintf(refresh_path, sizeof refresh_path, "%s/%s.refresh-token", dir, name);
    if ((d.secret && write_secret(secret_path, d.secret)) || (d.refresh && write_secret(refresh_path, d.refresh))) {
        code = MDS_EXIT_FAILURE;
        goto out;
    }
    print_section(name, &d, d.secret ? secret_path : NULL, d.refresh ? refresh_path : NULL);
out:
    if (d.secret)
        explicit_bzero(d.secret, strlen(d.secret));
    if (d.refresh)
        explicit_bzero(d.refresh, strlen(d.refresh));
    mds_free(d.secret);
    mds_free(d.refresh);
    return code;
}
