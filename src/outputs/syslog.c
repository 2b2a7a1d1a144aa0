/*
 * syslog.c - output "syslog": each event becomes one syslog message
 * (RFC 5424 or RFC 3164 header + the event as MSG) sent over UDP, TCP or
 * TLS, framed by octet counting (RFC 6587 3.4.1) or a trailing newline
 * over TCP/TLS.
 *
 * Delivery: over TCP/TLS a batch is acknowledged only once every byte
 * was written and the receiver's TCP stack acknowledged it (the send
 * queue drained); a connection that broke mid-batch makes the engine
 * re-send the whole batch (the documented at-least-once tail). Nothing is
 * ever truncated: an event that does not fit a UDP datagram
 * (udp_max_bytes) is refused with a permanent error naming its size, and
 * the batch is not sent at all. UDP gives no acknowledgement: a batch is
 * acknowledged once every datagram was handed to the kernel.
 *
 * Severity: fixed, or (auto) derived from the record's "severity" member:
 * high -> crit, medium -> err, low -> warning, informational -> info,
 * anything else -> notice.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/tail.h"
#include "net/stream.h"

#define MAX_WIRE_BYTES (INT64_C(1) << 30) /* one batch as written */
#define MAX_HEADER 400                    /* longest header: PRI, time, host (255), app (48) */

static const char facilities[] =
    "kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|ntp|security|"
    "console|solaris-cron|local0|local1|local2|local3|local4|local5|local6|local7";
static const char severities[] = "emerg|alert|crit|err|warning|notice|info|debug";

static const struct mds_conf_key syslog_keys[] = {
    {"address", MDS_CONF_STRING, NULL, 0, 0, NULL, MDS_CONF_REQUIRED,
     "receiver: udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT (IPv6: [ADDR]:PORT; port defaults to "
     "514, "
     "6514 for tls)"},
    {"protocol", MDS_CONF_ENUM, "rfc5424", 0, 0, "rfc5424|rfc3164", 0,
     "message header: RFC 5424 (ISO time in UTC) or RFC 3164 (BSD, local time)"},
    {"framing", MDS_CONF_ENUM, "octet-counting", 0, 0, "octet-counting|newline", 0,
     "tcp/tls: RFC 6587 octet counting (\"LEN MSG\") or a newline after each message; udp sends one message "
     "per datagram"},
    {"facility", MDS_CONF_ENUM, "local0", 0, 0, facilities, 0, "syslog facility of every message"},
    {"severity", MDS_CONF_ENUM, "auto", 0, 0, "auto|emerg|alert|crit|err|warning|notice|info|debug", 0,
     "auto: from the alert's severity (high crit, medium err, low warning, informational info, other "
     "notice); "
     "or a fixed syslog severity"},
    {"hostname", MDS_CONF_STRING, NULL, 0, 0, NULL, 0, "HOSTNAME field (default: this machine's host name)"},
    {"app_name", MDS_CONF_STRING, "mdesiem", 0, 0, NULL, 0,
     "APP-NAME (RFC 5424) or TAG (RFC 3164); `-` = none (RFC 3164: no TAG, the event follows the host name)"},
    {"udp_max_bytes", MDS_CONF_INT, "65000", 480, 65507, NULL, 0,
     "udp: largest datagram (header + event); a larger event is refused with an error, never cut: set it to "
     "the receiver's limit"},
    {"timeout", MDS_CONF_DURATION, "30S", 100, 3600000, NULL, 0,
     "longest wait to connect, to write a batch, and for the receiver to acknowledge it"},
    {"ca_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "tls: PEM file of CA certificates to trust instead of the system's"},
    {"cert_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0,
     "tls: client certificate chain (PEM), for receivers that ask"},
    {"key_file", MDS_CONF_PATH, NULL, 0, 0, NULL, 0, "tls: private key of cert_file (PEM)"},
    {"server_name", MDS_CONF_STRING, NULL, 0, 0, NULL, 0,
     "tls: name (or IP) the receiver's certificate must carry (default: the host of address)"},
    {"insecure", MDS_CONF_BOOL, "false", 0, 0, NULL, 0,
     "tls: skip certificate verification (testing only; warned about at every start)"},
    {"resend_bytes", MDS_CONF_SIZE, "4M", 0, INT64_C(1) << 30, NULL, 0,
     "tcp/tls: how much of what was delivered last is sent again when a connection is reset or breaks (the "
     "receiver's kernel may have acknowledged bytes its program never read): duplicates instead of losses; "
     "0 = never"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

struct syslog_out {
    struct mds_stream *stream;
    struct mds_stream_conf sconf;
    char host[256], port[8];
    int rfc3164;
    int octet;
    int facility;
    int severity; /* < 0: auto */
    char hostname[256];
    const char *app;
    size_t udp_max;
    struct mds_buf wire; /* the batch as written */
    size_t *ends;        /* end of each message in wire */
    size_t ends_cap;
    struct mds_tail tail; /* tcp/tls: what was delivered last, to send again after a reset */
    const struct mds_record *sev_rec;
    int sev;
};

/* Index of `v` in a "a|b|c" list, or -1. */
static int choice_index(const char *list, const char *v)
{
    size_t n = strlen(v);
    int i = 0;
    for (const char *p = list;; i++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return i;
        if (!bar)
            return -1;
        p = bar + 1;
    }
}

/* Header fields are printable US-ASCII without spaces (RFC 5424 PRINTUSASCII). */
static int printusascii(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < 33 || s[n] > 126)
            return 0;
    return n > 0 && n <= max;
}

static mds_err conf_error(struct mds_output *o, const char *key, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s:%d: [output %s]: %s: %s", o->conf->path, mds_conf_line(o->sec, key), o->name,
             key, what);
    return MDS_ERR_CONFIG;
}

static int is_set(const struct mds_conf_section *sec, const char *key)
{
    for (size_t i = 0; i < sec->nentries; i++)
        if (strcmp(sec->entries[i].key, key) == 0)
            return 1;
    return 0;
}

static mds_err read_names(struct mds_output *o, struct syslog_out *s, char *err, size_t errlen)
{
    const char *h = mds_conf_str(o->sec, "hostname");
    s->app = mds_conf_str(o->sec, "app_name");
    if (!printusascii(s->app, s->rfc3164 ? 32 : 48))
        return conf_error(o, "app_name", err, errlen,
                          s->rfc3164 ? "1 to 32 printable ASCII characters, no spaces"
                                     : "1 to 48 printable ASCII characters, no spaces");
    if (h && !printusascii(h, 255))
        return conf_error(o, "hostname", err, errlen, "1 to 255 printable ASCII characters, no spaces");
    if (h)
        snprintf(s->hostname, sizeof s->hostname, "%s", h);
    else if (gethostname(s->hostname, sizeof s->hostname - 1) != 0 || !printusascii(s->hostname, 255))
        snprintf(s->hostname, sizeof s->hostname, "%s", s->rfc3164 ? "localhost" : "-");
    return MDS_OK;
}

/* The TLS keys make no sense for udp:// or tcp://: say so rather than
 * silently sending in the clear. */
static mds_err check_tls_keys(struct mds_output *o, struct syslog_out *s, char *err, size_t errlen)
{
    static const char *const tls_only[] = {"ca_file", "cert_file", "key_file", "server_name", "insecure"};
    if (s->sconf.transport == MDS_STREAM_TLS)
        return MDS_OK;
    for (size_t i = 0; i < sizeof tls_only / sizeof *tls_only; i++)
        if (is_set(o->sec, tls_only[i]))
            return conf_error(o, tls_only[i], err, errlen, "applies only to tls:// addresses");
    return MDS_OK;
}

static mds_err read_conf(struct mds_output *o, struct syslog_out *s, char *err, size_t errlen)
{
    char why[256];
    mds_err rc;
    if (mds_stream_parse_address(mds_conf_str(o->sec, "address"), &s->sconf, s->host, sizeof s->host, s->port,
                                 sizeof s->port, why, sizeof why))
        return conf_error(o, "address", err, errlen, why);
    s->rfc3164 = strcmp(mds_conf_str(o->sec, "protocol"), "rfc3164") == 0;
    s->octet = strcmp(mds_conf_str(o->sec, "framing"), "octet-counting") == 0;
    s->facility = choice_index(facilities, mds_conf_str(o->sec, "facility"));
    s->severity = choice_index(severities, mds_conf_str(o->sec, "severity"));
    s->udp_max = (size_t)mds_conf_int(o->sec, "udp_max_bytes");
    s->sconf.timeout_ms = mds_conf_ms(o->sec, "timeout");
    s->sconf.ca_file = mds_conf_str(o->sec, "ca_file");
    s->sconf.cert_file = mds_conf_str(o->sec, "cert_file");
    s->sconf.key_file = mds_conf_str(o->sec, "key_file");
    s->sconf.server_name = mds_conf_str(o->sec, "server_name");
    s->sconf.insecure = mds_conf_bool(o->sec, "insecure");
    mds_tail_init(&s->tail,
                  s->sconf.transport == MDS_STREAM_UDP ? 0 : (size_t)mds_conf_bytes(o->sec, "resend_bytes"));
    if ((rc = check_tls_keys(o, s, err, errlen)) || (rc = read_names(o, s, err, errlen)))
        return rc;
    return MDS_OK;
}

static size_t header_budget(const struct syslog_out *s)
{
    /* "<191>1 " + 24-byte time + SP + host + SP + app + " - - - " */
    return s->rfc3164 ? 5 + 16 + strlen(s->hostname) + 1 + strlen(s->app) + 2
                      : 7 + 24 + 1 + strlen(s->hostname) + 1 + strlen(s->app) + 7;
}

static mds_err syslog_create(struct mds_output *o, char *err, size_t errlen)
{
    struct syslog_out *s = mds_calloc(1, sizeof *s);
    char why[512];
    if (!s)
        return MDS_ERR_NOMEM;
    o->ctx = s;
    mds_buf_init(&s->wire, (size_t)MAX_WIRE_BYTES);
    mds_err rc = read_conf(o, s, err, errlen);
    if (rc)
        return rc;
    if ((rc = mds_stream_create(&s->sconf, &s->stream, why, sizeof why))) {
        snprintf(err, errlen, "%s: [output %s]: %s", o->conf->path, o->name, why);
        return rc;
    }
    if (s->sconf.transport == MDS_STREAM_UDP)
        o->format_opts.max_event = s->udp_max - header_budget(s); /* lets a format aim below the limit */
    if (s->sconf.insecure)
        mds_warn(o->tag,
                 "insecure = true: the receiver's TLS certificate is NOT verified; anyone on the path "
                 "can read and change these events");
    return MDS_OK;
}

static void syslog_destroy(struct mds_output *o)
{
    struct syslog_out *s = o->ctx;
    mds_stream_destroy(s->stream);
    mds_buf_finish(&s->wire);
    mds_free(s->ends);
    mds_tail_finish(&s->tail);
    mds_free(s);
    o->ctx = NULL;
}

/* Syslog severity of an event under severity = auto (cached per record:
 * split evidence yields several events of one record). The record's
 * top-level "severity" member (any case; the first one) is found by a
 * token-free scan that stops there: the body comes from the outbox, whose
 * pages passed the strict check when they were fetched, and tokenising it
 * again here cost as much as rendering it. */
static int event_severity(struct syslog_out *s, const struct mds_record *rec)
{
    static const struct {
        const char *name;
        int sev;
    } map[] = {{"high", 2}, {"medium", 3}, {"low", 4}, {"informational", 6}};
    struct mds_json_scan sc;
    struct mds_json_member m;
    const char *v = NULL;
    size_t len = 0;
    if (s->severity >= 0)
        return s->severity;
    if (rec == s->sev_rec)
        return s->sev;
    s->sev_rec = rec;
    s->sev = 5;
    if (mds_json_scan_open(&sc, rec->body, rec->body_len) || !sc.is_object)
        return s->sev;
    while (!v && mds_json_scan_next(&sc, &m))
        if (mds_json_member_is(&m, "severity", 1) && !(v = mds_json_member_str(&m, &len)))
            break;
    for (size_t i = 0; v && i < sizeof map / sizeof *map; i++)
        if (len == strlen(map[i].name) && strncasecmp(v, map[i].name, len) == 0)
            s->sev = map[i].sev;
    return s->sev;
}

/* Writes the header of one message into hdr; returns its length. */
static size_t format_header(const struct syslog_out *s, int sev, const char *stamp, char *hdr, size_t size)
{
    int pri = s->facility * 8 + sev, n;
    if (!s->rfc3164)
        n = snprintf(hdr, size, "<%d>1 %s %s %s - - - ", pri, stamp, s->hostname, s->app);
    else if (strcmp(s->app, "-") == 0) /* no TAG: "<PRI>TIMESTAMP HOST CEF:..." as ArcSight documents it */
        n = snprintf(hdr, size, "<%d>%s %s ", pri, stamp, s->hostname);
    else
        n = snprintf(hdr, size, "<%d>%s %s %s: ", pri, stamp, s->hostname, s->app);
    return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* The batch's timestamp: RFC 5424 UTC with milliseconds, RFC 3164
 * "Mmm dd hh:mm:ss" in local time (as BSD syslog daemons write it). */
static void format_stamp(const struct syslog_out *s, char *buf, size_t size)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!s->rfc3164) {
        mds_time_format((mds_ticks)ts.tv_sec * MDS_TICKS_PER_SEC + ts.tv_nsec / 100, 3, buf, size);
        return;
    }
    localtime_r(&ts.tv_sec, &tm);
    snprintf(buf, size, "%.3s %2d %02d:%02d:%02d", months + 3 * tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
}

/* Frames event i into s->wire. */
static mds_err frame_event(struct syslog_out *s, const struct mds_batch *b, size_t i, const char *stamp,
                           char *err, size_t errlen)
{
    const struct mds_event *ev = &b->events[i];
    char hdr[MAX_HEADER];
    size_t hlen = format_header(s, event_severity(s, ev->rec), stamp, hdr, sizeof hdr);
    size_t total = hlen + ev->len;
    mds_err rc = MDS_OK;
    if (s->sconf.transport == MDS_STREAM_UDP && total > s->udp_max) {
        snprintf(
            err, errlen,
            "event %u of record %.*s is %zu bytes as a syslog message, above udp_max_bytes = %zu; nothing of "
            "this batch was sent (use tcp:// or tls://, or raise udp_max_bytes to what the receiver accepts)",
            ev->part + 1, (int)(ev->rec->id_len > 200 ? 200 : ev->rec->id_len), ev->rec->id, total,
            s->udp_max);
        return MDS_ERR_LIMIT;
    }
    if (s->sconf.transport != MDS_STREAM_UDP && s->octet)
        rc = mds_buf_printf(&s->wire, "%zu ", total);
    if (!rc)
        rc = mds_buf_append(&s->wire, hdr, hlen);
    if (!rc)
        rc = mds_buf_append(&s->wire, b->data + ev->off, ev->len);
    if (!rc && s->sconf.transport != MDS_STREAM_UDP && !s->octet)
        rc = mds_buf_putc(&s->wire, '\n');
    if (rc == MDS_ERR_LIMIT)
        snprintf(err, errlen, "a batch of %zu events exceeds %lld bytes once framed: lower batch_size",
                 b->count, (long long)MAX_WIRE_BYTES);
    if (!rc)
        s->ends[i] = s->wire.len;
    return rc;
}

/* Builds the whole batch as it goes on the wire; every size check comes
 * before a single byte is sent. */
static mds_err build_wire(struct syslog_out *s, const struct mds_batch *b, char *err, size_t errlen)
{
    char stamp[40];
    mds_buf_reset(&s->wire);
    s->sev_rec = NULL;
    if (b->count > s->ends_cap) {
        size_t *e = mds_realloc(s->ends, b->count * sizeof *e);
        if (!e)
            return MDS_ERR_NOMEM;
        s->ends = e;
        s->ends_cap = b->count;
    }
    format_stamp(s, stamp, sizeof stamp);
    for (size_t i = 0; i < b->count; i++) {
        mds_err rc = frame_event(s, b, i, stamp, err, errlen);
        if (rc)
            return rc;
    }
    return MDS_OK;
}

static mds_err send_wire(struct syslog_out *s, size_t count, char *err, size_t errlen)
{
    mds_err rc;
    if (s->sconf.transport != MDS_STREAM_UDP) {
        rc = mds_stream_write(s->stream, s->wire.data, s->wire.len, err, errlen);
        return rc ? rc : mds_stream_drain(s->stream, err, errlen);
    }
    for (size_t i = 0, start = 0; i < count; start = s->ends[i++])
        if ((rc = mds_stream_write(s->stream, s->wire.data + start, s->ends[i] - start, err, errlen)))
            return rc;
    return MDS_OK;
}

/* Before the first batch on a new connection: after an orderly close the
 * receiver read everything, so the tail is forgotten; after a reset (or a
 * connection that broke) what was delivered last goes out again first. */
static mds_err resend_tail(struct mds_output *o, struct syslog_out *s, char *err, size_t errlen)
{
    const char *p1, *p2;
    size_t n1, n2;
    enum mds_stream_end end = mds_stream_take_end(s->stream);
    if (end == MDS_STREAM_CLEAN)
        mds_tail_clear(&s->tail);
    mds_tail_get(&s->tail, &p1, &n1, &p2, &n2);
    if (end != MDS_STREAM_LOST || n1 + n2 == 0)
        return MDS_OK;
    mds_warn(
        o->tag,
        "the last connection to %s://%s:%s was reset or broke: sending the last %zu messages (%zu bytes) "
        "delivered again (its receiver may not have read them)",
        s->sconf.transport == MDS_STREAM_TLS ? "tls" : "tcp", s->host, s->port, mds_tail_messages(&s->tail),
        n1 + n2);
    mds_err rc = mds_stream_write(s->stream, p1, n1, err, errlen);
    if (!rc && n2)
        rc = mds_stream_write(s->stream, p2, n2, err, errlen);
    return rc;
}

static mds_err syslog_deliver(struct mds_output *o, const struct mds_batch *b, int64_t *retry_after_ms,
                              char *err, size_t errlen)
{
    struct syslog_out *s = o->ctx;
    mds_err rc;
    (void)retry_after_ms;
    if ((rc = build_wire(s, b, err, errlen)))
        return rc;
    if ((rc = mds_stream_ensure(s->stream, err, errlen)))
        return rc;
    if (s->sconf.transport != MDS_STREAM_UDP && (rc = resend_tail(o, s, err, errlen)))
        return rc;
    if ((rc = send_wire(s, b->count, err, errlen)))
        return rc;
    if (s->sconf.transport != MDS_STREAM_UDP && mds_tail_add(&s->tail, s->wire.data, s->ends, b->count))
        mds_warn(o->tag, "no memory for resend_bytes: after a reset, this batch cannot be sent again");
    return MDS_OK;
}

const struct mds_output_type mds_output_syslog = {
    .name = "syslog",
    .help = "send each event as a syslog message (RFC 5424 or 3164) over udp, tcp or tls",
    .default_format = "json",
    .keys = syslog_keys,
    .create = syslog_create,
    .deliver_batch = syslog_deliver,
    .destroy = syslog_destroy,
};
