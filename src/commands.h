/*
 * commands.h - the subcommands of the mdesiem binary.
 *
 * Each command is `int mds_cmd_<name>(int argc, char **argv)` where argv[0]
 * is the command name; it returns the process exit code (see main.c for
 * the documented codes). One table in main.c lists them all.
 */
#ifndef MDS_COMMANDS_H
#define MDS_COMMANDS_H

/* Documented exit codes. */
enum {
    MDS_EXIT_OK = 0,          /* success */
    MDS_EXIT_FAILURE = 1,     /* something could not be collected or delivered */
    MDS_EXIT_USAGE = 2,       /* bad command line */
    MDS_EXIT_CONFIG = 3,      /* invalid configuration */
    MDS_EXIT_STATE = 4,       /* state file unusable or locked by another instance */
};

struct mds_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

/* Prints the command's --help text when argv holds -h or --help and
 * returns 1; the caller then exits 0. */
int mds_cmd_wants_help(int argc, char **argv, const char *usage);

int mds_cmd_run(int argc, char **argv);
int mds_cmd_once(int argc, char **argv);
int mds_cmd_status(int argc, char **argv);
int mds_cmd_check(int argc, char **argv);
int mds_cmd_import_details(int argc, char **argv);

/* `mdesiem help TOPIC` (config, formats). */
int mds_cmd_help_topic(const char *topic);
/* `mdesiem help config --man`: the mdesiem.conf(5) man page. */
int mds_cmd_help_man(const char *topic);

/* The value of -c/--config, or NULL. */
const char *mds_cmd_config_arg(int argc, char **argv);

int mds_cmd_emulate(int argc, char **argv);

/* cmd_convert.c: Defender JSON (page, stream body, array, JSON lines) to SIEM events. */
int mds_cmd_convert(int argc, char **argv);

#endif
