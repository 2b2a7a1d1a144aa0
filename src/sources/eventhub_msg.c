/*
 * eventhub_msg.c - pure helpers of the eventhub source (see eventhub.h):
 * connection strings, splitting {"records":[...]} bodies, categories.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "sources/eventhub.h"

#define CATEGORY_PREFIX "AdvancedHunting-"
#define CATEGORY_PREFIX_LEN (sizeof CATEGORY_PREFIX - 1)

/* ---- connection string ---- */

/* Finds `key=` (case-insensitive) among the ';'-separated parts of cs and
 * returns its value's start and length, or NULL. */
static const char *cs_value(const char *cs, const char *key, size_t *len)
{
    size_t klen = strlen(key);
    for (const char *p = cs; p && *p;) {
        while (*p == ';' || *p == ' ')
            p++;
        const char *end = strchr(p, ';');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        if (plen > klen && p[klen] == '=' && strncasecmp(p, key, klen) == 0) {
            *len = plen - klen - 1;
            return p + klen + 1;
        }
        p = end;
    }
    return NULL;
}

/* Host of "sb://host[:port][/...]". */
static mds_err endpoint_host(const char *v, size_t n, char *host, size_t size)
{
    static const char scheme[] = "sb://";
    if (n <= sizeof scheme - 1 || strncasecmp(v, scheme, sizeof scheme - 1) != 0)
        return MDS_ERR_PARSE;
    v += sizeof scheme - 1;
    n -= sizeof scheme - 1;
    size_t h = 0;
    while (h < n && v[h] != '/' && v[h] != ':')
        h++;
    if (h == 0 || h >= size)
        return MDS_ERR_PARSE;
    for (size_t i = 0; i < h; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
              v[i] == '.' || v[i] == '-'))
            return MDS_ERR_PARSE;
    memcpy(host, v, h);
    host[h] = '\0';
    return MDS_OK;
}

mds_err mds_eh_parse_connection_string(const char *cs, struct mds_eh_conn *out, char *err, size_t errlen)
{
    size_t n;
    char host[256];
    memset(out, 0, sizeof *out);
    const char *ep = cs_value(cs, "Endpoint", &n);
    if (!ep || endpoint_host(ep, n, host, sizeof host)) {
        snprintf(err, errlen,
                 "the connection string has no valid Endpoint=sb://<namespace>.servicebus.windows.net/ "
                 "part (copy it from the Event Hubs namespace's Shared access policies)");
        return MDS_ERR_CONFIG;
    }
    if (!cs_value(cs, "SharedAccessKeyName", &n) || n == 0 || !cs_value(cs, "SharedAccessKey", &n) ||
        n == 0) {
        snprintf(err, errlen,
                 "the connection string for %s lacks SharedAccessKeyName or SharedAccessKey "
                 "(SAS tokens are not accepted on the Kafka endpoint: use the connection string)",
                 host);
        return MDS_ERR_CONFIG;
    }
    snprintf(out->bootstrap, sizeof out->bootstrap, "%s:9093", host);
    const char *entity = cs_value(cs, "EntityPath", &n);
    if (entity && n >= sizeof out->entity_path) {
        snprintf(err, errlen, "the connection string's EntityPath is longer than %zu bytes",
                 sizeof out->entity_path - 1);
        return MDS_ERR_CONFIG;
    }
    if (entity) {
        memcpy(out->entity_path, entity, n);
        out->entity_path[n] = '\0';
    }
    return MDS_OK;
}

/* ---- splitting a message ---- */

void mds_eh_split_init(struct mds_eh_split *s)
{
    memset(s, 0, sizeof *s);
    mds_json_init(&s->json);
    s->max_records = 1000000;
}

void mds_eh_split_finish(struct mds_eh_split *s)
{
    mds_json_finish(&s->json);
    mds_free(s->recs);
    memset(s, 0, sizeof *s);
}

static mds_err grow(struct mds_eh_split *s, size_t want)
{
    if (want > s->max_records)
        return MDS_ERR_LIMIT;
    if (want <= s->cap)
        return MDS_OK;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < want)
        cap *= 2;
    struct mds_eh_record *r = mds_realloc(s->recs, cap * sizeof *r);
    if (!r)
        return MDS_ERR_NOMEM;
    s->recs = r;
    s->cap = cap;
    return MDS_OK;
}

/* Reads "category" and "time" of record object `obj` in one pass over its
 * members; returns the index of the token after the object. */
static int record_fields(const struct mds_json *j, int obj, struct mds_eh_record *r)
{
    int k = obj + 1;
    r->cat_off = r->cat_len = 0;
    r->time = 0;
    for (int m = 0; m < j->tok[obj].size && k < j->ntok; m++) {
        int v = k + 1;
        const jsmntok_t *key = &j->tok[k], *val = &j->tok[v];
        size_t klen = (size_t)(key->end - key->start);
        const char *kp = j->js + key->start;
        if (val->type == JSMN_STRING && klen == 8 && memcmp(kp, "category", 8) == 0) {
            r->cat_off = (size_t)val->start;
            r->cat_len = (size_t)(val->end - val->start);
        } else if (val->type == JSMN_STRING && klen == 4 && memcmp(kp, "time", 4) == 0) {
            if (mds_time_parse(j->js + val->start, (size_t)(val->end - val->start), &r->time))
                r->time = 0;
        }
        k = val->type == JSMN_STRING || val->type == JSMN_PRIMITIVE ? v + 1 : mds_json_skip(j, v);
    }
    return k;
}

static int find_records(const struct mds_json *j, char *why, size_t whylen)
{
    if (j->tok[0].type != JSMN_OBJECT) {
        snprintf(why, whylen, "the body is JSON but not an object");
        return -1;
    }
    int arr = mds_json_find(j, 0, "records");
    if (arr < 0 || j->tok[arr].type != JSMN_ARRAY) {
        snprintf(why, whylen, arr < 0 ? "no \"records\" member" : "\"records\" is not an array");
        return -1;
    }
    return arr;
}

mds_err mds_eh_split_message(struct mds_eh_split *s, const char *body, size_t len, char *why, size_t whylen)
{
    struct mds_json *j = &s->json;
    s->n = 0;
    mds_err rc = mds_json_parse(j, body, len);
    if (rc == MDS_ERR_PARSE) {
        snprintf(why, whylen, "not JSON or truncated (error at byte %zu of %zu)", j->err_offset, len);
        return rc;
    }
    if (rc) {
        snprintf(why, whylen, "%s while tokenising %zu bytes", mds_strerror(rc), len);
        return rc;
    }
    int arr = find_records(j, why, whylen);
    if (arr < 0)
        return MDS_ERR_PARSE;
    if ((rc = grow(s, (size_t)j->tok[arr].size))) {
        snprintf(why, whylen, "%d records: more than the ceiling of %zu", j->tok[arr].size, s->max_records);
        return rc;
    }
    for (int i = 0, k = arr + 1; i < j->tok[arr].size; i++) {
        if (j->tok[k].type != JSMN_OBJECT) {
            snprintf(why, whylen, "records[%d] is not an object", i);
            s->n = 0;
            return MDS_ERR_PARSE;
        }
        struct mds_eh_record *r = &s->recs[s->n++];
        r->off = (size_t)j->tok[k].start;
        r->len = (size_t)(j->tok[k].end - j->tok[k].start);
        k = record_fields(j, k, r);
    }
    return MDS_OK;
}

/* ---- categories ---- */

static const char *strip_prefix(const char *s, size_t *len)
{
    if (*len > CATEGORY_PREFIX_LEN && strncasecmp(s, CATEGORY_PREFIX, CATEGORY_PREFIX_LEN) == 0) {
        *len -= CATEGORY_PREFIX_LEN;
        return s + CATEGORY_PREFIX_LEN;
    }
    return s;
}

int mds_eh_category_match(const char *const *names, size_t n, const char *category, size_t len)
{
    if (n == 0)
        return 1;
    const char *c = strip_prefix(category, &len);
    for (size_t i = 0; i < n; i++) {
        size_t nlen = strlen(names[i]);
        const char *name = strip_prefix(names[i], &nlen);
        if (nlen == len && strncasecmp(name, c, len) == 0)
            return 1;
    }
    return 0;
}

int mds_eh_category_known(const char *name)
{
    static const char *const tables[] = {
        "AlertEvidence",
        "AlertInfo",
        "CloudAppEvents",
        "DeviceEvents",
        "DeviceFileCertificateInfo",
        "DeviceFileEvents",
        "DeviceImageLoadEvents",
        "DeviceInfo",
        "DeviceLogonEvents",
        "DeviceNetworkEvents",
        "DeviceNetworkInfo",
        "DeviceProcessEvents",
        "DeviceRegistryEvents",
        "EmailAttachmentInfo",
        "EmailEvents",
        "EmailPostDeliveryEvents",
        "EmailUrlInfo",
        "IdentityLogonEvents",
        "IdentityQueryEvents",
        "IdentityDirectoryEvents",
        "UrlClickEvents",
    };
    return mds_eh_category_match(tables, sizeof tables / sizeof tables[0], name, strlen(name));
}
