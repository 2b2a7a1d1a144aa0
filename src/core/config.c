/* config.c - INI parsing, validation against key tables, getters. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"

#define MAX_CONFIG_BYTES (4 * 1024 * 1024)

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Cuts an inline comment: ';' or '#' preceded by whitespace. */
static void cut_comment(char *s)
{
    for (char *p = s; *p; p++) {
        if ((*p == ';' || *p == '#') && p > s && isspace((unsigned char)p[-1])) {
            *p = '\0';
            return;
        }
    }
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

static mds_err add_section(struct mds_conf *c, const char *kind, const char *name, int line)
{
    struct mds_conf_section *s = mds_realloc(c->sections, sizeof *s * (c->nsections + 1));
    if (!s)
        return MDS_ERR_NOMEM;
    c->sections = s;
    s = &c->sections[c->nsections++];
    memset(s, 0, sizeof *s);
    s->kind = mds_strdup(kind);
    s->name = name ? mds_strdup(name) : NULL;
    s->line = line;
    return s->kind && (!name || s->name) ? MDS_OK : MDS_ERR_NOMEM;
}

static mds_err add_entry(struct mds_conf_section *s, const char *key, const char *value, int line)
{
    struct mds_conf_entry *e = mds_realloc(s->entries, sizeof *e * (s->nentries + 1));
    if (!e)
        return MDS_ERR_NOMEM;
    s->entries = e;
    e = &s->entries[s->nentries++];
    e->key = mds_strdup(key);
    e->value = mds_strdup(value);
    e->line = line;
    return e->key && e->value ? MDS_OK : MDS_ERR_NOMEM;
}

static const struct mds_conf_entry *find_entry(const struct mds_conf_section *s, const char *key)
{
    for (size_t i = 0; i < s->nentries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    return NULL;
}

static mds_err parse_header(struct mds_conf *c, char *line, int lineno, const char *path, char *err,
                            size_t errlen)
{
    char *end = strchr(line, ']');
    if (!end || *trim(end + 1)) {
        snprintf(err, errlen, "%s:%d: malformed section header (expected [kind] or [kind NAME])", path, lineno);
        return MDS_ERR_CONFIG;
    }
    *end = '\0';
    char *body = trim(line + 1);
    char *name = body + strcspn(body, " \t");
    if (*name) {
        *name++ = '\0';
        name = trim(name);
    }
    if (!valid_name(body) || (*name && !valid_name(name))) {
        snprintf(err, errlen, "%s:%d: section names use letters, digits, '-', '_' and '.'", path, lineno);
        return MDS_ERR_CONFIG;
    }
    for (size_t i = 0; i < c->nsections; i++) {
        const struct mds_conf_section *o = &c->sections[i];
        if (strcmp(o->kind, body) == 0 && ((!o->name && !*name) || (o->name && strcmp(o->name, name) == 0))) {
            snprintf(err, errlen, "%s:%d: section [%s%s%s] already defined at line %d", path, lineno, body,
                     *name ? " " : "", name, o->line);
            return MDS_ERR_CONFIG;
        }
    }
    return add_section(c, body, *name ? name : NULL, lineno);
}

static mds_err parse_line(struct mds_conf *c, char *line, int lineno, const char *path, char *err, size_t errlen)
{
    char *s = trim(line);
    if (!*s || *s == ';' || *s == '#')
        return MDS_OK;
    if (*s == '[')
        return parse_header(c, s, lineno, path, err, errlen);
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
        return MDS_ERR_CONFIG;
    }
    if (c->nsections == 0) {
        snprintf(err, errlen, "%s:%d: key outside of any section (start with [service])", path, lineno);
        return MDS_ERR_CONFIG;
    }
    *eq = '\0';
    char *key = trim(s);
    char *value = eq + 1;
    cut_comment(value);
    value = trim(value);
    struct mds_conf_section *sec = &c->sections[c->nsections - 1];
    const struct mds_conf_entry *dup = find_entry(sec, key);
    if (dup) {
        snprintf(err, errlen, "%s:%d: key '%s' already set at line %d", path, lineno, key, dup->line);
        return MDS_ERR_CONFIG;
    }
    if (!valid_name(key)) {
        snprintf(err, errlen, "%s:%d: invalid key name", path, lineno);
        return MDS_ERR_CONFIG;
    }
    return add_entry(sec, key, value, lineno);
}

mds_err mds_conf_parse_string(const char *text, const char *path, struct mds_conf **out, char *err, size_t errlen)
{
    struct mds_conf *c = mds_calloc(1, sizeof *c);
    char *copy = mds_strdup(text);
    mds_err rc = MDS_ERR_NOMEM;
    if (!c || !copy || !(c->path = mds_strdup(path)))
        goto out;
    rc = MDS_OK;
    int lineno = 0;
    for (char *p = copy; p && !rc;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        rc = parse_line(c, p, lineno, path, err, errlen);
        p = nl ? nl + 1 : NULL;
    }
out:
    mds_free(copy);
    if (rc) {
        if (rc == MDS_ERR_NOMEM)
            snprintf(err, errlen, "%s: out of memory", path);
        mds_conf_destroy(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

mds_err mds_conf_load(const char *path, struct mds_conf **out, char *err, size_t errlen)
{
    struct mds_buf b;
    char chunk[8192];
    mds_buf_init(&b, MAX_CONFIG_BYTES);
    FILE *f = fopen(path, "r");
    *out = NULL;
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return MDS_ERR_IO;
    }
    mds_err rc = MDS_OK;
    size_t n;
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = mds_buf_append(&b, chunk, n);
    fclose(f);
    if (rc) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, MAX_CONFIG_BYTES);
    } else if (b.len && memchr(b.data, '\0', b.len)) {
        snprintf(err, errlen, "%s: contains a NUL byte; not a text file", path);
        rc = MDS_ERR_CONFIG;
    } else {
        rc = mds_conf_parse_string(b.data ? b.data : "", path, out, err, errlen);
    }
    mds_buf_finish(&b);
    return rc;
}

void mds_conf_destroy(struct mds_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nsections; i++) {
        struct mds_conf_section *s = &c->sections[i];
        for (size_t k = 0; k < s->nentries; k++) {
            mds_free(s->entries[k].key);
            mds_free(s->entries[k].value);
        }
        mds_free(s->entries);
        mds_free(s->kind);
        mds_free(s->name);
    }
    mds_free(c->sections);
    mds_free(c->path);
    mds_free(c);
}

const char *mds_conf_label(const struct mds_conf_section *s, char *buf, size_t size)
{
    snprintf(buf, size, "[%s%s%s]", s->kind, s->name ? " " : "", s->name ? s->name : "");
    return buf;
}

mds_err mds_conf_parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return MDS_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return MDS_OK;
        }
    }
    return MDS_ERR_PARSE;
}

static mds_err parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return MDS_ERR_PARSE;
    *out = v;
    return MDS_OK;
}

mds_err mds_conf_parse_size(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return MDS_ERR_PARSE;
    int64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1024;
    else if (*end == 'M' || *end == 'm')
        mul = 1024 * 1024;
    else if (*end == 'G' || *end == 'g')
        mul = INT64_C(1024) * 1024 * 1024;
    if (mul != 1)
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > INT64_MAX / mul)
        return MDS_ERR_PARSE;
    *out = v * mul;
    return MDS_OK;
}

static int enum_has(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static const char *type_expectation(const struct mds_conf_key *k, char *buf, size_t size)
{
    switch (k->type) {
    case MDS_CONF_INT:
        if (k->min || k->max)
            snprintf(buf, size, "an integer from %lld to %lld", (long long)k->min, (long long)k->max);
        else
            snprintf(buf, size, "an integer");
        return buf;
    case MDS_CONF_BOOL: return "true or false";
    case MDS_CONF_DURATION: return "a duration such as 30S, 5M, 1H or 1D";
    case MDS_CONF_SIZE: return "a size in bytes, optionally with K, M or G (e.g. 100M)";
    case MDS_CONF_ENUM: snprintf(buf, size, "one of %s", k->choices); return buf;
    case MDS_CONF_LIST: return "a comma-separated list of names";
    case MDS_CONF_URL: return "an http:// or https:// URL";
    default: return "a non-empty value";
    }
}

/* Checks one value; returns 0 when valid. */
static int check_value(const struct mds_conf_key *k, const char *v)
{
    int64_t n;
    int b;
    switch (k->type) {
    case MDS_CONF_INT:
        return parse_int(v, &n) || ((k->min || k->max) && (n < k->min || n > k->max));
    case MDS_CONF_BOOL: return mds_conf_parse_bool(v, &b) != MDS_OK;
    case MDS_CONF_DURATION:
        return mds_duration_parse(v, &n) || n <= 0 || ((k->min || k->max) && (n < k->min || n > k->max));
    case MDS_CONF_SIZE:
        return mds_conf_parse_size(v, &n) || ((k->min || k->max) && (n < k->min || n > k->max));
    case MDS_CONF_ENUM: return !enum_has(k->choices, v);
    case MDS_CONF_URL: return strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0;
    default: return *v == '\0';
    }
}

static const struct mds_conf_key *find_key(const struct mds_conf_key *const *tables, const char *name)
{
    for (int t = 0; tables[t]; t++)
        for (const struct mds_conf_key *k = tables[t]; k->name; k++)
            if (strcmp(k->name, name) == 0)
                return k;
    return NULL;
}

static mds_err check_entry(const struct mds_conf *conf, const struct mds_conf_section *sec,
                           const struct mds_conf_entry *e, const struct mds_conf_key *const *tables, char *err,
                           size_t errlen)
{
    char label[160], expect[160];
    mds_conf_label(sec, label, sizeof label);
    const struct mds_conf_key *k = find_key(tables, e->key);
    if (!k) {
        snprintf(err, errlen, "%s:%d: %s: unknown key '%s' (see `mdesiem help config`)", conf->path, e->line,
                 label, e->key);
        return MDS_ERR_CONFIG;
    }
    if (k->type == MDS_CONF_FORBIDDEN) {
        snprintf(err, errlen, "%s:%d: %s: key '%s' is not accepted: %s", conf->path, e->line, label, e->key,
                 k->help);
        return MDS_ERR_CONFIG;
    }
    if (check_value(k, e->value)) {
        const char *t = type_expectation(k, expect, sizeof expect);
        if (k->flags & MDS_CONF_SECRET)
            snprintf(err, errlen, "%s:%d: %s: invalid value for '%s': expected %s", conf->path, e->line, label,
                     e->key, t);
        else
            snprintf(err, errlen, "%s:%d: %s: invalid value '%.200s' for '%s': expected %s", conf->path,
                     e->line, label, e->value, e->key, t);
        return MDS_ERR_CONFIG;
    }
    return MDS_OK;
}

mds_err mds_conf_validate(const struct mds_conf *conf, struct mds_conf_section *sec,
                          const struct mds_conf_key *const *tables, char *err, size_t errlen)
{
    char label[160];
    int nt = 0;
    for (; tables[nt] && nt < MDS_CONF_MAX_TABLES; nt++)
        sec->tables[nt] = tables[nt];
    sec->tables[nt] = NULL;
    for (size_t i = 0; i < sec->nentries; i++) {
        mds_err rc = check_entry(conf, sec, &sec->entries[i], sec->tables, err, errlen);
        if (rc)
            return rc;
    }
    for (int t = 0; sec->tables[t]; t++) {
        for (const struct mds_conf_key *k = sec->tables[t]; k->name; k++) {
            if ((k->flags & MDS_CONF_REQUIRED) && !find_entry(sec, k->name)) {
                snprintf(err, errlen, "%s:%d: %s: required key '%s' is missing (%s)", conf->path, sec->line,
                         mds_conf_label(sec, label, sizeof label), k->name, k->help);
                return MDS_ERR_CONFIG;
            }
        }
    }
    return MDS_OK;
}

const char *mds_conf_str(const struct mds_conf_section *sec, const char *key)
{
    const struct mds_conf_entry *e = find_entry(sec, key);
    if (e)
        return e->value;
    const struct mds_conf_key *k = find_key(sec->tables, key);
    return k ? k->dflt : NULL;
}

int mds_conf_line(const struct mds_conf_section *sec, const char *key)
{
    const struct mds_conf_entry *e = find_entry(sec, key);
    return e ? e->line : sec->line;
}

int64_t mds_conf_int(const struct mds_conf_section *sec, const char *key)
{
    const char *v = mds_conf_str(sec, key);
    int64_t n = 0;
    if (v)
        parse_int(v, &n);
    return n;
}

int64_t mds_conf_ms(const struct mds_conf_section *sec, const char *key)
{
    const char *v = mds_conf_str(sec, key);
    int64_t n = 0;
    if (v)
        mds_duration_parse(v, &n);
    return n;
}

int64_t mds_conf_bytes(const struct mds_conf_section *sec, const char *key)
{
    const char *v = mds_conf_str(sec, key);
    int64_t n = 0;
    if (v)
        mds_conf_parse_size(v, &n);
    return n;
}

int mds_conf_bool(const struct mds_conf_section *sec, const char *key)
{
    const char *v = mds_conf_str(sec, key);
    int b = 0;
    if (v)
        mds_conf_parse_bool(v, &b);
    return b;
}

int mds_conf_split_list(const char *value, char *storage, size_t storage_size, char **names, int max)
{
    int n = 0;
    if (!value)
        return 0;
    snprintf(storage, storage_size, "%s", value);
    for (char *save = NULL, *tok = strtok_r(storage, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (!*tok)
            continue;
        if (n == max)
            return -1;
        names[n++] = tok;
    }
    return n;
}

static mds_err read_secret_file(const char *path, char **out, char *err, size_t errlen, const char *label)
{
    struct stat st;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read secret file %s: %s", label, path, strerror(errno));
        return MDS_ERR_CONFIG;
    }
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IROTH))
        mds_warn("config", "%s: secret file %s is readable by every user; run chmod 600 %s", label, path, path);
    struct mds_buf b;
    char chunk[1024];
    size_t n;
    mds_err rc = MDS_OK;
    mds_buf_init(&b, 64 * 1024);
    while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = mds_buf_append(&b, chunk, n);
    explicit_bzero(chunk, sizeof chunk);
    fclose(f);
    while (!rc && b.len && isspace((unsigned char)b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    if (!rc && b.len == 0) {
        snprintf(err, errlen, "%s: secret file %s is empty", label, path);
        rc = MDS_ERR_CONFIG;
    } else if (rc) {
        snprintf(err, errlen, "%s: secret file %s is larger than 64 KiB", label, path);
        rc = MDS_ERR_CONFIG;
    }
    if (rc) {
        mds_conf_secret_free(b.data);
        return rc;
    }
    *out = b.data;
    return MDS_OK;
}

mds_err mds_conf_secret(const struct mds_conf *conf, const struct mds_conf_section *sec, const char *prefix,
                        int optional, char **out, char *err, size_t errlen)
{
    char fkey[64], ekey[64], label[160];
    snprintf(fkey, sizeof fkey, "%s_file", prefix);
    snprintf(ekey, sizeof ekey, "%s_env", prefix);
    const char *file = mds_conf_str(sec, fkey), *env = mds_conf_str(sec, ekey);
    mds_conf_label(sec, label, sizeof label);
    *out = NULL;
    if (file && env) {
        snprintf(err, errlen, "%s:%d: %s: set either %s or %s, not both", conf->path, mds_conf_line(sec, ekey),
                 label, fkey, ekey);
        return MDS_ERR_CONFIG;
    }
    if (!file && !env) {
        if (optional)
            return MDS_OK;
        snprintf(err, errlen, "%s:%d: %s: no secret: set %s (a file readable only by mdesiem) or %s",
                 conf->path, sec->line, label, fkey, ekey);
        return MDS_ERR_CONFIG;
    }
    if (file)
        return read_secret_file(file, out, err, errlen, label);
    const char *v = getenv(env);
    if (!v || !*v) {
        snprintf(err, errlen, "%s:%d: %s: environment variable %s (from %s) is not set", conf->path,
                 mds_conf_line(sec, ekey), label, env, ekey);
        return MDS_ERR_CONFIG;
    }
    *out = mds_strdup(v);
    return *out ? MDS_OK : MDS_ERR_NOMEM;
}

void mds_conf_secret_free(char *secret)
{
    if (secret) {
        explicit_bzero(secret, strlen(secret));
        mds_free(secret);
    }
}

static const char *type_name(enum mds_conf_type t)
{
    static const char *names[] = {"string", "integer", "boolean", "duration", "size",
                                  "enum",   "list",    "path",    "url",      "refused"};
    return names[t];
}

mds_err mds_conf_doc_table(struct mds_buf *out, const struct mds_conf_key *table, int header)
{
    mds_err rc = header ? mds_buf_puts(out, "| key | type | default | description |\n|---|---|---|---|\n") : MDS_OK;
    for (const struct mds_conf_key *k = table; !rc && k->name; k++) {
        char range[256] = "";
        if (k->type == MDS_CONF_ENUM) {
            /* a literal '|' would end the Markdown table cell */
            size_t n = (size_t)snprintf(range, sizeof range, " (`");
            for (const char *c = k->choices; *c && n + 8 < sizeof range; c++)
                n += (size_t)snprintf(range + n, sizeof range - n, *c == '|' ? "`, `" : "%c", *c);
            snprintf(range + n, sizeof range - n, "`)");
        } else if ((k->type == MDS_CONF_INT) && (k->min || k->max))
            snprintf(range, sizeof range, " (%lld–%lld)", (long long)k->min, (long long)k->max);
        rc = mds_buf_printf(out, "| `%s` | %s%s | %s%s%s | %s%s |\n", k->name, type_name(k->type), range,
                            k->dflt ? "`" : "", k->dflt ? k->dflt : (k->flags & MDS_CONF_REQUIRED ? "required" : "—"),
                            k->dflt ? "`" : "", k->help, (k->flags & MDS_CONF_SECRET) ? " Never printed." : "");
    }
    return rc;
}
