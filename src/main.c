/*
 * main.c - command-line entry point: dispatch to a subcommand.
 *
 * Exit codes (all commands): 0 success, 1 collection or delivery failed,
 * 2 bad command line, 3 invalid configuration, 4 state file unusable or in
 * use by another instance.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct mds_command commands[] = {
    {"run", "collect and deliver until stopped (SIGTERM/SIGINT; SIGHUP reloads)", mds_cmd_run},
    {"once", "one collection cycle of every source, deliver everything, exit", mds_cmd_once},
    {"check", "validate the configuration and test each source (reach, token, permission, one request)",
     mds_cmd_check},
    {"import-details", "turn the portal's saved SIEM connector details into a [source] section",
     mds_cmd_import_details},
    {"status", "cursors, outbox depth and last errors per source and output", mds_cmd_status},
    {"version", "print the version", cmd_version},
    {"help", "list commands; `help config`: every configuration key; `help formats`", cmd_help},
    {"emulate", "run the local Defender cloud (token service, Graph, MDE, SIEM APIs)", mds_cmd_emulate},
    {"convert", "transform Defender JSON into json, legacy, cef, leef or ecs events", mds_cmd_convert},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

int mds_cmd_wants_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 1;
        }
    }
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("mdesiem %s\n", MDS_VERSION);
    return MDS_EXIT_OK;
}

static void usage(FILE *f)
{
    fputs("usage: mdesiem <command> [options]\n\n"
          "Brings Microsoft Defender alerts into any SIEM.\n\ncommands:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-15s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun `mdesiem <command> --help` for a command's options.\n"
          "Exit codes: 0 ok, 1 collection/delivery failed, 2 usage, 3 config, 4 state.\n",
          f);
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 2 && argv[1][0] != '-' && strcmp(argv[2], "--man") == 0)
        return mds_cmd_help_man(argv[1]);
    if (argc > 1 && argv[1][0] != '-')
        return mds_cmd_help_topic(argv[1]);
    usage(stdout);
    return MDS_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return MDS_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        name = "help";
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
        name = "version";
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mdesiem: unknown command '%s'\n\n", name);
    usage(stderr);
    return MDS_EXIT_USAGE;
}
