/* http_body.c - request body units of the http output (see http_body.h). */
#include "outputs/http_body.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"

mds_err mds_http_json_value(struct mds_buf *out, const char *p, size_t n, int objects_only)
{
    size_t off;
    int structured = n > 0 && (p[0] == '{' || (!objects_only && p[0] == '['));
    if (structured && mds_json_check(p, n, &off) == MDS_OK)
        return mds_buf_append(out, p, n);
    if (objects_only) {
        mds_err rc = mds_buf_puts(out, "{\"message\":");
        if (!rc)
            rc = mds_json_quote(out, p, n);
        return rc ? rc : mds_buf_putc(out, '}');
    }
    return mds_json_quote(out, p, n);
}

void mds_http_es_id(const struct mds_event *ev, char *id)
{
    static const char hex[] = "0123456789abcdef";
    const struct mds_record *r = ev->rec;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char tail[64];
    int n = snprintf(tail, sizeof tail, "%lld%c%u", (long long)r->version, '\0', ev->part);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(c, r->source ? r->source : "", r->source ? strlen(r->source) + 1 : 1) &&
             EVP_DigestUpdate(c, r->id, r->id_len) && EVP_DigestUpdate(c, "", 1) &&
             EVP_DigestUpdate(c, tail, (size_t)n) && EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    if (!ok) /* OpenSSL out of memory: fall back to a fixed id rather than crash */
        memset(md, 0, sizeof md);
    for (int i = 0; i < MDS_ES_ID_LEN / 2; i++) {
        id[2 * i] = hex[md[i] >> 4];
        id[2 * i + 1] = hex[md[i] & 15];
    }
    id[MDS_ES_ID_LEN] = '\0';
}

static mds_err put_field(struct mds_buf *out, const char *name, const char *value, size_t n)
{
    mds_err rc = mds_buf_printf(out, "\"%s\":", name);
    if (!rc)
        rc = mds_json_quote(out, value, n);
    return rc ? rc : mds_buf_putc(out, ',');
}

static mds_err encode_hec(const struct mds_http_body_opts *o, const char *p, size_t n,
                          const struct mds_record *r, struct mds_buf *out)
{
    mds_ticks t = r->version > 0 ? r->version : r->ingest_time;
    const char *source = o->source ? o->source : r->source ? r->source : "mdesiem";
    mds_err rc = mds_buf_printf(out, "{\"time\":%lld.%03lld,", (long long)(t / MDS_TICKS_PER_SEC),
                                (long long)(t % MDS_TICKS_PER_SEC / MDS_TICKS_PER_MS));
    if (!rc && o->host)
        rc = put_field(out, "host", o->host, strlen(o->host));
    if (!rc)
        rc = put_field(out, "source", source, strlen(source));
    if (!rc)
        rc = put_field(out, "sourcetype", o->sourcetype, strlen(o->sourcetype));
    if (!rc && o->index)
        rc = put_field(out, "index", o->index, strlen(o->index));
    if (!rc)
        rc = mds_buf_puts(out, "\"event\":");
    if (!rc)
        rc = mds_http_json_value(out, p, n, 0);
    return rc ? rc : mds_buf_puts(out, "}\n");
}

static mds_err encode_es(const struct mds_http_body_opts *o, const char *p, size_t n,
                         const struct mds_event *ev, struct mds_buf *out)
{
    char id[MDS_ES_ID_LEN + 1];
    mds_http_es_id(ev, id);
    mds_err rc = mds_buf_printf(out, "{\"%s\":{\"_index\":", o->es_create ? "create" : "index");
    if (!rc)
        rc = mds_json_quote(out, o->index, strlen(o->index));
    if (!rc)
        rc = mds_buf_printf(out, ",\"_id\":\"%s\"}}\n", id);
    if (!rc)
        rc = mds_http_json_value(out, p, n, 1);
    return rc ? rc : mds_buf_putc(out, '\n');
}

mds_err mds_http_encode_event(const struct mds_http_body_opts *o, const struct mds_batch *b,
                              const struct mds_event *ev, struct mds_buf *out)
{
    const char *p = b->data + ev->off;
    mds_err rc;
    switch (o->preset) {
    case MDS_HTTP_SPLUNK_HEC:
        return encode_hec(o, p, ev->len, ev->rec, out);
    case MDS_HTTP_ELASTICSEARCH:
        return encode_es(o, p, ev->len, ev, out);
    default:
        if (o->array)
            return mds_http_json_value(out, p, ev->len, 0);
        rc = mds_buf_append(out, p, ev->len);
        return rc ? rc : mds_buf_putc(out, '\n');
    }
}
