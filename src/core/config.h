/*
 * config.h - the INI configuration and its declarative key tables.
 *
 * A file has one [service] section, any number of [source NAME] and
 * [output NAME] sections. Each component describes its keys in a table of
 * struct mds_conf_key (name, type, default, bounds, help); validation
 * checks every entry against the tables that apply, so an unknown key or a
 * bad value is an error naming file:line, the key and what is valid. The
 * same tables generate docs/configuration.md (`mdesiem help config`).
 *
 * Ownership: mds_conf_load() returns a tree the caller frees with
 * mds_conf_destroy(); getters return pointers into it.
 */
#ifndef MDS_CONFIG_H
#define MDS_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum mds_conf_type {
    MDS_CONF_STRING,
    MDS_CONF_INT,
    MDS_CONF_BOOL,
    MDS_CONF_DURATION, /* 30S, 5M, 1H, 1D, 250ms; stored as milliseconds */
    MDS_CONF_SIZE,     /* bytes, with optional K, M, G suffix */
    MDS_CONF_ENUM,     /* one of `choices` ("a|b|c") */
    MDS_CONF_LIST,     /* comma-separated names */
    MDS_CONF_PATH,
    MDS_CONF_URL,      /* http:// or https:// */
    MDS_CONF_FORBIDDEN /* recognised but refused: `help` says what to use instead */
};

#define MDS_CONF_REQUIRED 1u
#define MDS_CONF_SECRET 2u /* value is never printed */

struct mds_conf_key {
    const char *name;
    enum mds_conf_type type;
    const char *dflt; /* as written in a file; NULL = none */
    int64_t min, max; /* INT: value; DURATION: ms; SIZE: bytes; 0,0 = unbounded */
    const char *choices;
    unsigned flags;
    const char *help;
};

struct mds_conf_entry {
    char *key;
    char *value;
    int line;
};

#define MDS_CONF_MAX_TABLES 5

struct mds_conf_section {
    char *kind; /* "service", "source", "output", ... */
    char *name; /* NULL for [service] */
    int line;
    struct mds_conf_entry *entries;
    size_t nentries;
    const struct mds_conf_key *tables[MDS_CONF_MAX_TABLES + 1]; /* set by validation */
};

struct mds_conf {
    char *path;
    struct mds_conf_section *sections;
    size_t nsections;
};

/* Parses the file (syntax only). Errors: MDS_ERR_IO, MDS_ERR_CONFIG with
 * "file:line: ..." in err. */
mds_err mds_conf_load(const char *path, struct mds_conf **out, char *err, size_t errlen);
mds_err mds_conf_parse_string(const char *text, const char *path, struct mds_conf **out, char *err,
                              size_t errlen);
void mds_conf_destroy(struct mds_conf *conf);

/* Checks every entry of `sec` against `tables` (NULL-terminated list of
 * key tables, each ending with a {NULL} row) and records the tables for
 * the getters. */
mds_err mds_conf_validate(const struct mds_conf *conf, struct mds_conf_section *sec,
                          const struct mds_conf_key *const *tables, char *err, size_t errlen);

/* "[source NAME]" style label for messages. */
const char *mds_conf_label(const struct mds_conf_section *sec, char *buf, size_t size);

/* Getters: the value set in the section, else the table default.
 * mds_conf_str returns NULL when neither exists. */
const char *mds_conf_str(const struct mds_conf_section *sec, const char *key);
int mds_conf_line(const struct mds_conf_section *sec, const char *key);
int64_t mds_conf_int(const struct mds_conf_section *sec, const char *key);
int64_t mds_conf_ms(const struct mds_conf_section *sec, const char *key);
int64_t mds_conf_bytes(const struct mds_conf_section *sec, const char *key);
int mds_conf_bool(const struct mds_conf_section *sec, const char *key);

/* Splits a LIST value into at most `max` trimmed names, stored in the
 * caller's `storage` (a copy of the value). Returns the count, -1 if more
 * than max. */
int mds_conf_split_list(const char *value, char *storage, size_t storage_size, char **names, int max);

/* Value parsers shared with the validator (exposed for tests). */
mds_err mds_conf_parse_bool(const char *s, int *out);
mds_err mds_conf_parse_size(const char *s, int64_t *out);

/* Reads a secret from `<prefix>_file` or `<prefix>_env` of the section.
 * Exactly one must be set (unless optional and neither is). Warns when the
 * file is readable by other users. The returned string is heap memory the
 * caller wipes and frees with mds_conf_secret_free(). */
mds_err mds_conf_secret(const struct mds_conf *conf, const struct mds_conf_section *sec, const char *prefix,
                        int optional, char **out, char *err, size_t errlen);
void mds_conf_secret_free(char *secret);

/* Writes the reference documentation of a table as Markdown table rows,
 * after a header row when `header` is set. */
struct mds_buf;
mds_err mds_conf_doc_table(struct mds_buf *out, const struct mds_conf_key *table, int header);

#endif
