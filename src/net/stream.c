/* stream.c - UDP, TCP and TLS (OpenSSL) client connections with bounded waits. */
#include "net/stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/lifecycle.h"
#include "core/mem.h"
#include "core/timeutil.h"

#define POLL_SLICE_MS 200 /* how often a wait looks at the shutdown flag */
#define TLS_CHUNK (1 << 20)

#define VERDICT_WAIT_MS 2000 /* TLS 1.3: how long to wait for a refusal of our missing certificate */

struct mds_stream {
    struct mds_stream_conf conf;
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    int cert_requested;        /* the receiver asked for a client certificate we do not have */
    int sent;                  /* bytes were written on this connection */
    enum mds_stream_end ended; /* how the last connection that carried bytes ended */
};

static const char *scheme(enum mds_stream_transport t)
{
    return t == MDS_STREAM_UDP ? "udp" : t == MDS_STREAM_TCP ? "tcp" : "tls";
}

static int parse_scheme(const char *a, enum mds_stream_transport *t)
{
    static const char *const names[] = {"udp://", "tcp://", "tls://"};
    for (int i = 0; i < 3; i++)
        if (strncmp(a, names[i], 6) == 0) {
            *t = (enum mds_stream_transport)i;
            return 0;
        }
    return -1;
}

/* Copies [start, end) into dst (NUL-terminated); -1 if empty or too long. */
static int copy_part(char *dst, size_t size, const char *start, const char *end)
{
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, start, n);
    dst[n] = '\0';
    return 0;
}

static int valid_port(const char *p)
{
    long v = 0;
    if (!*p || strlen(p) > 5)
        return 0;
    for (const char *c = p; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        v = v * 10 + (*c - '0');
    }
    return v >= 1 && v <= 65535;
}

mds_err mds_stream_parse_address(const char *address, struct mds_stream_conf *conf, char *host,
                                 size_t hostlen, char *port, size_t portlen, char *err, size_t errlen)
{
    const char *h, *hend, *colon;
    if (parse_scheme(address, &conf->transport))
        goto bad;
    h = address + 6;
    if (*h == '[') {
        hend = strchr(++h, ']');
        colon = hend && hend[1] == ':' ? hend + 1 : NULL;
        if (!hend || (hend[1] && !colon))
            goto bad;
    } else {
        colon = strrchr(h, ':');
        hend = colon ? colon : h + strlen(h);
        if (memchr(h, '/', (size_t)(hend - h)) || memchr(h, '@', (size_t)(hend - h)))
            goto bad;
    }
    if (copy_part(host, hostlen, h, hend))
        goto bad;
    const char *dflt = conf->transport == MDS_STREAM_TLS ? "6514" : "514";
    if (copy_part(port, portlen, colon ? colon + 1 : dflt,
                  colon ? colon + 1 + strlen(colon + 1) : dflt + strlen(dflt)) ||
        !valid_port(port))
        goto bad;
    conf->host = host;
    conf->port = port;
    return MDS_OK;
bad:
    snprintf(err, errlen, "expected udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT (IPv6: [ADDR]:PORT)");
    return MDS_ERR_CONFIG;
}

/* The first OpenSSL error of this thread as text, or `fallback`. */
static const char *ssl_reason(char *buf, size_t size, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return fallback;
    ERR_error_string_n(e, buf, size);
    ERR_clear_error();
    return buf;
}

/* Called by OpenSSL when the receiver asks for a client certificate and
 * none is configured: we send none, and remember it was asked for. */
static int on_cert_request(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    struct mds_stream *s = SSL_get_app_data(ssl);
    (void)x509, (void)pkey;
    if (s)
        s->cert_requested = 1;
    return 0;
}

static mds_err load_tls(struct mds_stream *s, char *err, size_t errlen)
{
    const struct mds_stream_conf *c = &s->conf;
    char why[256];
    ERR_clear_error();
    if (!(s->ctx = SSL_CTX_new(TLS_client_method())) ||
        !SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION)) {
        snprintf(err, errlen, "cannot set up TLS: %s", ssl_reason(why, sizeof why, "out of memory"));
        return MDS_ERR_INTERNAL;
    }
    SSL_CTX_set_mode(s->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_client_cert_cb(s->ctx, on_cert_request);
    /* In TLS 1.3 a receiver judges the client certificate after our side
     * of the handshake is complete: a refusal would only arrive once the
     * first batch was on its way. TLS 1.2 finishes only after the
     * receiver accepted it, so that is what a client certificate uses. */
    if (c->cert_file && !SSL_CTX_set_max_proto_version(s->ctx, TLS1_2_VERSION)) {
        snprintf(err, errlen, "cannot set up TLS: %s", ssl_reason(why, sizeof why, "TLS 1.2 unavailable"));
        return MDS_ERR_INTERNAL;
    }
    SSL_CTX_set_verify(s->ctx, c->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    int ok = c->ca_file ? SSL_CTX_load_verify_locations(s->ctx, c->ca_file, NULL)
                        : SSL_CTX_set_default_verify_paths(s->ctx);
    if (!ok) {
        snprintf(err, errlen, "cannot load CA certificates from %s: %s",
                 c->ca_file ? c->ca_file : "the system store", ssl_reason(why, sizeof why, "unknown error"));
        return MDS_ERR_CONFIG;
    }
    if (c->cert_file && SSL_CTX_use_certificate_chain_file(s->ctx, c->cert_file) != 1) {
        snprintf(err, errlen, "cannot load client certificate %s: %s", c->cert_file,
                 ssl_reason(why, sizeof why, "unknown error"));
        return MDS_ERR_CONFIG;
    }
    if (c->key_file && (SSL_CTX_use_PrivateKey_file(s->ctx, c->key_file, SSL_FILETYPE_PEM) != 1 ||
                        SSL_CTX_check_private_key(s->ctx) != 1)) {
        snprintf(err, errlen, "cannot use client key %s with %s: %s", c->key_file,
                 c->cert_file ? c->cert_file : "?", ssl_reason(why, sizeof why, "unknown error"));
        return MDS_ERR_CONFIG;
    }
    return MDS_OK;
}

mds_err mds_stream_create(const struct mds_stream_conf *conf, struct mds_stream **out, char *err,
                          size_t errlen)
{
    struct mds_stream *s = mds_calloc(1, sizeof *s);
    mds_err rc = MDS_OK;
    *out = NULL;
    if (!s)
        return MDS_ERR_NOMEM;
    s->conf = *conf;
    s->fd = -1;
    if (conf->transport == MDS_STREAM_TLS && (!conf->cert_file) != (!conf->key_file)) {
        snprintf(err, errlen, "cert_file and key_file go together: set both or neither");
        rc = MDS_ERR_CONFIG;
    } else if (conf->transport == MDS_STREAM_TLS) {
        rc = load_tls(s, err, errlen);
    }
    if (rc) {
        mds_stream_destroy(s);
        return rc;
    }
    *out = s;
    return MDS_OK;
}

void mds_stream_close(struct mds_stream *s)
{
    if (s->sent)
        s->ended = MDS_STREAM_LOST;
    s->sent = 0;
    if (s->ssl) {
        SSL_free(s->ssl); /* no close_notify: the connection is being dropped */
        s->ssl = NULL;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

void mds_stream_destroy(struct mds_stream *s)
{
    if (!s)
        return;
    if (s->ssl) /* a polite close_notify when the socket takes it at once; never waits */
        SSL_shutdown(s->ssl);
    mds_stream_close(s);
    SSL_CTX_free(s->ctx);
    mds_free(s);
}

/* Waits until fd is ready for `events` or the deadline passes. */
static mds_err wait_fd(struct mds_stream *s, short events, int64_t deadline, const char *what, char *err,
                       size_t errlen)
{
    for (;;) {
        if (mds_shutdown_requested())
            return MDS_ERR_STOPPED;
        int64_t left = deadline - mds_mono_ms();
        if (left <= 0) {
            snprintf(err, errlen, "%s %s://%s:%s: timed out after %lld ms", what, scheme(s->conf.transport),
                     s->conf.host, s->conf.port, (long long)s->conf.timeout_ms);
            return MDS_ERR_RETRY;
        }
        struct pollfd p = {.fd = s->fd, .events = events};
        int r = poll(&p, 1, left > POLL_SLICE_MS ? POLL_SLICE_MS : (int)left);
        if (r > 0)
            return MDS_OK;
        if (r < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return MDS_ERR_RETRY;
        }
    }
}

/* Non-blocking connect to one address; 0 when connected, else errno. */
static int connect_one(struct mds_stream *s, const struct addrinfo *ai, int64_t deadline, char *err,
                       size_t errlen, mds_err *rc)
{
    int e = 0;
    socklen_t len = sizeof e;
    s->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (s->fd < 0)
        return errno;
    if (connect(s->fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS)
        e = errno;
    else if ((*rc = wait_fd(s, POLLOUT, deadline, "connecting to", err, errlen)))
        e = ETIMEDOUT;
    else if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
        e = errno;
    if (e) {
        close(s->fd);
        s->fd = -1;
    }
    return e;
}

static mds_err open_socket(struct mds_stream *s, int64_t deadline, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC}, *list = NULL;
    hints.ai_socktype = s->conf.transport == MDS_STREAM_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int g = getaddrinfo(s->conf.host, s->conf.port, &hints, &list);
    if (g) {
        snprintf(err, errlen, "cannot resolve %s: %s", s->conf.host, gai_strerror(g));
        return MDS_ERR_RETRY;
    }
    int e = EHOSTUNREACH;
    mds_err rc = MDS_OK;
    for (struct addrinfo *ai = list; ai && s->fd < 0 && !rc; ai = ai->ai_next)
        e = connect_one(s, ai, deadline, err, errlen, &rc);
    freeaddrinfo(list);
    if (s->fd >= 0)
        return MDS_OK;
    if (!rc) {
        snprintf(err, errlen, "cannot connect to %s://%s:%s: %s", scheme(s->conf.transport), s->conf.host,
                 s->conf.port, strerror(e));
        rc = MDS_ERR_RETRY;
    }
    return rc;
}

static int is_ip_literal(const char *h)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

/* Sets SNI and the name (or IP address) the certificate must match. */
static int set_peer_name(struct mds_stream *s)
{
    const char *name = s->conf.server_name ? s->conf.server_name : s->conf.host;
    if (!is_ip_literal(name) && !SSL_set_tlsext_host_name(s->ssl, name))
        return 0;
    if (s->conf.insecure)
        return 1;
    if (is_ip_literal(name))
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name);
    SSL_set_hostflags(s->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set1_host(s->ssl, name);
}

/* Alerts a receiver sends when it does not accept our certificate. */
static int refused_our_certificate(unsigned long e)
{
    int r = ERR_GET_REASON(e);
    return r == SSL_R_TLSV1_ALERT_UNKNOWN_CA || r == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
           r == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN || r == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED ||
           r == SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED || r == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
           r == SSL_R_TLSV1_ALERT_ACCESS_DENIED;
}

static mds_err handshake_failed(struct mds_stream *s, int ret, int e, char *err, size_t errlen)
{
    char why[256];
    long v = SSL_get_verify_result(s->ssl);
    if (v != X509_V_OK && !s->conf.insecure) {
        snprintf(
            err, errlen,
            "TLS certificate of %s:%s rejected: %s (check ca_file and server_name; the receiver must present "
            "a certificate for '%s')",
            s->conf.host, s->conf.port, X509_verify_cert_error_string(v),
            s->conf.server_name ? s->conf.server_name : s->conf.host);
        return MDS_ERR_AUTH;
    }
    const char *reason = e == SSL_ERROR_SYSCALL && ret == 0 ? "connection closed by the receiver"
                         : e == SSL_ERROR_SYSCALL && errno  ? strerror(errno)
                                                            : "protocol error";
    int refused = refused_our_certificate(ERR_peek_last_error());
    snprintf(err, errlen, "TLS handshake with %s:%s failed: %s%s", s->conf.host, s->conf.port,
             ssl_reason(why, sizeof why, reason),
             refused ? " (the receiver refused our client certificate: check cert_file and key_file)" : "");
    return refused ? MDS_ERR_AUTH : MDS_ERR_RETRY;
}

/* TLS 1.3, no client certificate, and the receiver asked for one: it
 * decides after the handshake. Waits (briefly) for its verdict: an alert
 * or a close means refused; a session ticket, or silence, accepted. */
static mds_err await_verdict(struct mds_stream *s, int64_t deadline, char *err, size_t errlen)
{
    char byte, why[256];
    int64_t until = mds_mono_ms() + VERDICT_WAIT_MS;
    if (until > deadline)
        until = deadline;
    for (;;) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        int64_t left = until - mds_mono_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return MDS_OK;
        ERR_clear_error();
        int r = SSL_peek(s->ssl, &byte, 1);
        int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(s->ssl, r);
        if (e == SSL_ERROR_NONE || e == SSL_ERROR_WANT_READ)
            return MDS_OK; /* it talks to us: accepted */
        if (e != SSL_ERROR_WANT_WRITE) {
            snprintf(err, errlen, "%s:%s requires a client certificate (set cert_file and key_file): %s",
                     s->conf.host, s->conf.port, ssl_reason(why, sizeof why, "connection closed"));
            return MDS_ERR_AUTH;
        }
    }
}

static mds_err handshake(struct mds_stream *s, int64_t deadline, char *err, size_t errlen)
{
    ERR_clear_error();
    s->cert_requested = 0;
    if (!(s->ssl = SSL_new(s->ctx)) || !SSL_set_fd(s->ssl, s->fd) || !set_peer_name(s) ||
        !SSL_set_app_data(s->ssl, s)) {
        snprintf(err, errlen, "cannot set up a TLS session for %s", s->conf.host);
        return MDS_ERR_INTERNAL;
    }
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(s->ssl);
        if (r == 1 && s->cert_requested && SSL_version(s->ssl) >= TLS1_3_VERSION)
            return await_verdict(s, deadline, err, errlen);
        if (r == 1)
            return MDS_OK;
        int e = SSL_get_error(s->ssl, r);
        mds_err rc = MDS_OK;
        if (e == SSL_ERROR_WANT_READ)
            rc = wait_fd(s, POLLIN, deadline, "TLS handshake with", err, errlen);
        else if (e == SSL_ERROR_WANT_WRITE)
            rc = wait_fd(s, POLLOUT, deadline, "TLS handshake with", err, errlen);
        else
            return handshake_failed(s, r, e, err, errlen);
        if (rc)
            return rc;
    }
}

/* The receiver closed the connection in order (FIN, or TLS close_notify):
 * its program read everything first, or its kernel would have reset the
 * connection instead. */
static void close_clean(struct mds_stream *s)
{
    int sent = s->sent;
    mds_stream_close(s);
    if (sent)
        s->ended = MDS_STREAM_CLEAN;
}

/* Drops a connection the receiver closed (or broke) since the last
 * batch, so the batch is not written into a dead socket. Data the
 * receiver sent (syslog receivers send none; TLS 1.3 session tickets)
 * is read and ignored. */
static void drop_if_closed(struct mds_stream *s)
{
    char junk[4096];
    struct pollfd p = {.fd = s->fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) <= 0)
        return;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) { /* reset */
        mds_stream_close(s);
        return;
    }
    if (!s->ssl) {
        ssize_t n;
        while ((n = recv(s->fd, junk, sizeof junk, MSG_DONTWAIT)) > 0)
            ;
        if (n == 0)
            close_clean(s);
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            mds_stream_close(s);
        return;
    }
    ERR_clear_error();
    int r = SSL_read(s->ssl, junk, sizeof junk);
    int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN)
        close_clean(s);
    else if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        mds_stream_close(s);
}

enum mds_stream_end mds_stream_take_end(struct mds_stream *s)
{
    enum mds_stream_end e = s->ended;
    s->ended = MDS_STREAM_NO_END;
    return e;
}

mds_err mds_stream_ensure(struct mds_stream *s, char *err, size_t errlen)
{
    if (s->fd >= 0 && s->conf.transport != MDS_STREAM_UDP)
        drop_if_closed(s);
    if (s->fd >= 0)
        return MDS_OK;
    int64_t deadline = mds_mono_ms() + s->conf.timeout_ms;
    mds_err rc = open_socket(s, deadline, err, errlen);
    if (!rc && s->conf.transport == MDS_STREAM_TLS)
        rc = handshake(s, deadline, err, errlen);
    if (rc)
        mds_stream_close(s);
    return rc;
}

static mds_err write_failed(struct mds_stream *s, const char *why, char *err, size_t errlen)
{
    snprintf(err, errlen, "writing to %s://%s:%s failed: %s", scheme(s->conf.transport), s->conf.host,
             s->conf.port, why);
    mds_stream_close(s);
    return MDS_ERR_RETRY;
}

static mds_err write_plain(struct mds_stream *s, const char *p, size_t n, int64_t deadline, char *err,
                           size_t errlen)
{
    while (n) {
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
        if (w > 0 && s->conf.transport == MDS_STREAM_UDP && (size_t)w != n)
            return write_failed(s, "datagram cut short", err, errlen);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            mds_err rc = wait_fd(s, POLLOUT, deadline, "writing to", err, errlen);
            if (rc) {
                mds_stream_close(s);
                return rc;
            }
            continue;
        }
        return write_failed(s, w < 0 ? strerror(errno) : "nothing written", err, errlen);
    }
    return MDS_OK;
}

static mds_err write_tls(struct mds_stream *s, const char *p, size_t n, int64_t deadline, char *err,
                         size_t errlen)
{
    char why[256];
    while (n) {
        int chunk = n > TLS_CHUNK ? TLS_CHUNK : (int)n;
        ERR_clear_error();
        errno = 0;
        int w = SSL_write(s->ssl, p, chunk);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        int e = SSL_get_error(s->ssl, w);
        mds_err rc;
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
            rc =
                wait_fd(s, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline, "writing to", err, errlen);
        else
            return write_failed(s, ssl_reason(why, sizeof why, errno ? strerror(errno) : "connection lost"),
                                err, errlen);
        if (rc) {
            mds_stream_close(s);
            return rc;
        }
    }
    return MDS_OK;
}

mds_err mds_stream_write(struct mds_stream *s, const char *p, size_t n, char *err, size_t errlen)
{
    int64_t deadline = mds_mono_ms() + s->conf.timeout_ms;
    if (s->fd < 0)
        return write_failed(s, "not connected", err, errlen);
    s->sent = s->conf.transport != MDS_STREAM_UDP;
    return s->ssl ? write_tls(s, p, n, deadline, err, errlen) : write_plain(s, p, n, deadline, err, errlen);
}

mds_err mds_stream_drain(struct mds_stream *s, char *err, size_t errlen)
{
    int64_t deadline = mds_mono_ms() + s->conf.timeout_ms;
    int wait_ms = 1;
    if (s->conf.transport == MDS_STREAM_UDP)
        return MDS_OK;
    for (;;) {
        int queued = 0;
        if (s->fd < 0)
            return write_failed(s, "not connected", err, errlen);
        if (ioctl(s->fd, SIOCOUTQ, &queued) != 0)
            return write_failed(s, strerror(errno), err, errlen);
        if (queued == 0)
            return MDS_OK;
        if (mds_shutdown_requested() || mds_mono_ms() >= deadline) {
            snprintf(err, errlen, "%s://%s:%s did not acknowledge the last %d bytes within %lld ms",
                     scheme(s->conf.transport), s->conf.host, s->conf.port, queued,
                     (long long)s->conf.timeout_ms);
            mds_stream_close(s);
            return mds_shutdown_requested() ? MDS_ERR_STOPPED : MDS_ERR_RETRY;
        }
        struct pollfd p = {.fd = s->fd, .events = POLLRDHUP};
        if (poll(&p, 1, wait_ms) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
            return write_failed(s, "the receiver closed the connection before acknowledging everything", err,
                                errlen);
        wait_ms = wait_ms < 50 ? wait_ms * 2 : 50;
    }
}
