/*
 * cmd_check.c - `mdesiem check -c FILE [SOURCE...]`: validate the
 * configuration and test each source step by step (reach, token,
 * permission, one request), like QRadar's "Test" button. Exit 0 only when
 * every step passed. Collects nothing and touches no state.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/engine.h"
#include "sources/check.h"

static const char usage[] = "usage: mdesiem check -c FILE [SOURCE...]\n\n"
                            "Validates FILE, then tests each source (or only those named): the token\n"
                            "and API hosts are reachable (through the proxy if one is set), a token is\n"
                            "issued, it carries the permission the source needs, and one API request is\n"
                            "answered. Exit 0 only when every step passed. Never prints a secret.\n";

static int selected(struct mds_source *s, int argc, char **argv)
{
    int any = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            i += strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0;
            continue;
        }
        any = 1;
        if (strcmp(argv[i], s->name) == 0)
            return 1;
    }
    return !any;
}

int mds_cmd_check(int argc, char **argv)
{
    char err[1024];
    struct mds_conf *conf = NULL;
    struct mds_engine *engine = NULL;
    struct mds_engine_opts opts = {.once = 1};
    struct mds_source *const *sources;
    if (mds_cmd_wants_help(argc, argv, usage))
        return MDS_EXIT_OK;
    const char *path = mds_cmd_config_arg(argc, argv);
    if (!path) {
        fputs(usage, stderr);
        return MDS_EXIT_USAGE;
    }
    if (mds_conf_load(path, &conf, err, sizeof err) || mds_engine_create(conf, &opts, &engine, err, sizeof err)) {
        printf("configuration %s: FAIL\n  %s\n", path, err);
        mds_conf_destroy(conf);
        return MDS_EXIT_CONFIG;
    }
    printf("configuration %s: ok\n", path);
    size_t n = mds_engine_sources(engine, &sources), tested = 0;
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        struct mds_check chk = {0};
        if (!selected(sources[i], argc, argv))
            continue;
        tested++;
        printf("\n[source %s] type %s\n", sources[i]->name, sources[i]->type->name);
        sources[i]->type->check(sources[i], &chk);
        printf("  verdict: %s\n", chk.failures ? "FAIL" : "ok");
        failed |= chk.failures != 0;
    }
    if (!tested) {
        fprintf(stderr, "mdesiem: no source of that name in %s\n", path);
        failed = 1;
    }
    mds_engine_destroy(engine);
    mds_conf_destroy(conf);
    return failed ? MDS_EXIT_FAILURE : MDS_EXIT_OK;
}
