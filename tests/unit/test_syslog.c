/* Unit tests: the syslog output against in-process receivers on
 * 127.0.0.1 - exact framing (octet counting, newline, UDP datagrams),
 * RFC 5424 and 3164 headers, severity from the alert, oversize UDP events
 * refused before anything is sent, reconnection after the receiver
 * closed, what was delivered sent again after a reset, TLS with certificate and name verification, and
 * configuration mistakes. Real rsyslog is exercised by tests/integration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "output_harness.h"

static char tmpdir[64];

/* ---- receivers ---- */

static int listen_on(int type, int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static int accept_within(int lfd, int ms)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0)
        return -1;
    return accept(lfd, NULL, NULL);
}

/* Reads until `want` bytes arrived or nothing came for 300 ms. */
static size_t read_some(int fd, char *buf, size_t size, size_t want)
{
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n < want && n < size && poll(&p, 1, 300) > 0) {
        ssize_t r = recv(fd, buf + n, size - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

/* ---- configurations ---- */

static mds_err open_syslog(struct harness *h, const char *address, const char *extra, char *err,
                           size_t errlen)
{
    char ini[2048];
    snprintf(ini, sizeof ini,
             "[output s]\ntype = syslog\naddress = %s\nhostname = testhost\ntimeout = 5S\n%s\n", address,
             extra ? extra : "");
    return harness_open(h, ini, "s", err, errlen);
}

static const char *const alert_high = "{\"id\":\"a1\",\"severity\":\"high\",\"title\":\"x\"}";
static const char *const alert_info = "{\"id\":\"a2\",\"Severity\":\"Informational\"}";
static const char *const alert_none = "{\"id\":\"a3\"}";

static void add_three(struct harness *h)
{
    harness_add_json(h, "a1", 1, alert_high);
    harness_add_json(h, "a2", 2, alert_info);
    harness_add_json(h, "a3", 3, alert_none);
}

/* Checks one RFC 5424 message: PRI, version, fields, and the payload. */
static const char *check_5424(const char *m, int pri, const char *payload)
{
    char want[64];
    snprintf(want, sizeof want, "<%d>1 ", pri);
    assert_memory_equal(m, want, strlen(want));
    m += strlen(want);
    /* 2026-11-24T07:58:36.265Z */
    assert_true(strlen(m) > 25 && m[4] == '-' && m[10] == 'T' && m[19] == '.' && m[23] == 'Z' &&
                m[24] == ' ');
    m += 25;
    const char *rest = " - - - ";
    assert_memory_equal(m, "testhost mdesiem", 16);
    m += 16;
    assert_memory_equal(m, rest, strlen(rest));
    m += strlen(rest);
    assert_memory_equal(m, payload, strlen(payload));
    return m + strlen(payload);
}

/* ---- tests ---- */

static void test_tcp_octet_counting(void **state)
{
    (void)state;
    struct harness h;
    char err[512], addr[64], buf[65536];
    int port, lfd = listen_on(SOCK_STREAM, &port);
    snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", port);
    assert_int_equal(open_syslog(&h, addr, NULL, err, sizeof err), MDS_OK);
    add_three(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    int cfd = accept_within(lfd, 2000);
    assert_true(cfd >= 0);
    size_t n = read_some(cfd, buf, sizeof buf - 1, sizeof buf);
    buf[n] = '\0';
    /* local0 = 16: high -> crit (2), informational -> info (6), none -> notice (5) */
    const char *payloads[] = {alert_high, alert_info, alert_none};
    int pris[] = {16 * 8 + 2, 16 * 8 + 6, 16 * 8 + 5};
    const char *p = buf;
    for (int i = 0; i < 3; i++) {
        char *end;
        long len = strtol(p, &end, 10);
        assert_true(end > p && *end == ' ');
        const char *msg = end + 1;
        const char *after = check_5424(msg, pris[i], payloads[i]);
        assert_int_equal(after - msg, len);
        p = after;
    }
    assert_int_equal(p - buf, (long)n);
    close(cfd);
    close(lfd);
    harness_close(&h);
}

static void test_tcp_newline_rfc3164(void **state)
{
    (void)state;
    struct harness h;
    char err[512], addr[64], buf[65536];
    int port, lfd = listen_on(SOCK_STREAM, &port);
    snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", port);
    assert_int_equal(open_syslog(&h, addr,
                                 "protocol = rfc3164\nframing = newline\nfacility = auth\n"
                                 "severity = warning\napp_name = mds",
                                 err, sizeof err),
                     MDS_OK);
    const char *ev[] = {"CEF:0|Microsoft|Defender|1|id|name|9|cs1=a b",
                        "CEF:0|Microsoft|Defender|1|id|name|9|cs1=c"};
    harness_add(&h, "a1", 1, alert_high, ev, 2); /* evidence split: two events of one record */
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    int cfd = accept_within(lfd, 2000);
    assert_true(cfd >= 0);
    size_t n = read_some(cfd, buf, sizeof buf - 1, sizeof buf);
    buf[n] = '\0';
    char *line = buf, *nl;
    for (int i = 0; i < 2; i++, line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        /* <36>Nov 24 07:58:36 testhost mds: CEF... (auth = 4, warning = 4) */
        assert_memory_equal(line, "<36>", 4);
        assert_true(line[7] == ' ' && line[10] == ' ' && line[13] == ':' && line[16] == ':' &&
                    line[19] == ' ');
        assert_string_equal(line + 20, i == 0 ? "testhost mds: CEF:0|Microsoft|Defender|1|id|name|9|cs1=a b"
                                              : "testhost mds: CEF:0|Microsoft|Defender|1|id|name|9|cs1=c");
    }
    assert_int_equal(line - buf, (long)n);
    close(cfd);
    harness_close(&h);

    /* app_name = -: no TAG, the event right after the host (CEF as ArcSight reads it) */
    assert_int_equal(open_syslog(&h, addr,
                                 "protocol = rfc3164\nframing = newline\napp_name = -\nseverity = info", err,
                                 sizeof err),
                     MDS_OK);
    harness_add(&h, "a1", 1, alert_high, ev, 1);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    cfd = accept_within(lfd, 2000);
    assert_true(cfd >= 0);
    n = read_some(cfd, buf, sizeof buf - 1, sizeof buf);
    buf[n] = '\0';
    assert_memory_equal(buf, "<134>", 5);
    assert_string_equal(buf + 21, "testhost CEF:0|Microsoft|Defender|1|id|name|9|cs1=a b\n");
    close(cfd);
    close(lfd);
    harness_close(&h);
}

static void test_udp_datagrams_and_oversize(void **state)
{
    (void)state;
    struct harness h;
    char err[512], addr[64], buf[70000];
    int port, ufd = listen_on(SOCK_DGRAM, &port);
    snprintf(addr, sizeof addr, "udp://127.0.0.1:%d", port);
    assert_int_equal(open_syslog(&h, addr, "udp_max_bytes = 600", err, sizeof err), MDS_OK);
    assert_true(h.out.format_opts.max_event > 0 && h.out.format_opts.max_event < 600);
    add_three(&h);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    const char *payloads[] = {alert_high, alert_info, alert_none};
    for (int i = 0; i < 3; i++) {
        ssize_t r = recv(ufd, buf, sizeof buf - 1, MSG_DONTWAIT);
        assert_true(r > 0);
        buf[r] = '\0';
        const char *end = check_5424(buf, i == 0 ? 130 : i == 1 ? 134 : 133, payloads[i]);
        assert_int_equal(end - buf, r); /* one message per datagram, nothing after it */
    }
    /* a batch with one event too large: refused whole, nothing sent */
    harness_reset(&h);
    char big[700];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *ev[] = {big};
    harness_add_json(&h, "small", 1, alert_none);
    harness_add(&h, "big-one", 2, alert_none, ev, 1);
    mds_err rc = harness_deliver(&h, NULL, err, sizeof err);
    assert_int_equal(rc, MDS_ERR_LIMIT);
    assert_non_null(strstr(err, "big-one"));
    assert_non_null(strstr(err, "600"));
    usleep(100000);
    assert_true(recv(ufd, buf, sizeof buf, MSG_DONTWAIT) < 0);
    close(ufd);
    harness_close(&h);
}

static void test_reconnect_after_receiver_closed(void **state)
{
    (void)state;
    struct harness h;
    char err[512], addr[64], buf[4096];
    int port, lfd = listen_on(SOCK_STREAM, &port);
    snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", port);
    assert_int_equal(open_syslog(&h, addr, "framing = newline", err, sizeof err), MDS_OK);
    harness_add_json(&h, "a1", 1, alert_high);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    int c1 = accept_within(lfd, 2000);
    assert_true(c1 >= 0);
    assert_true(read_some(c1, buf, sizeof buf, 1) > 0);
    close(c1); /* the receiver restarts */
    usleep(50000);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_OK);
    int c2 = accept_within(lfd, 2000);
    assert_true(c2 >= 0); /* a new connection carried the second batch */
    size_t n = read_some(c2, buf, sizeof buf - 1, sizeof buf);
    buf[n] = '\0';
    assert_non_null(strstr(buf, alert_high));
    close(c2);
    close(lfd); /* the receiver is gone: transient failure */
    usleep(50000);
    assert_int_equal(harness_deliver(&h, NULL, err, sizeof err), MDS_ERR_RETRY);
    assert_non_null(strstr(err, "127.0.0.1"));
    harness_close(&h);
}

/* Delivers the harness batch and returns the connection that carried it. */
static int deliver_and_accept(struct harness *h, int lfd)
{
    char err[512];
    assert_int_equal(harness_deliver(h, NULL, err, sizeof err), MDS_OK);
    int c = accept_within(lfd, 2000);
    assert_true(c >= 0);
    return c;
}

/* A new batch of one record {"id":"ID"}, delivered; its connection. */
static int deliver_id(struct harness *h, int lfd, const char *id)
{
    char body[64];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", id);
    harness_reset(h);
    harness_add_json(h, id, 1, body);
    return deliver_and_accept(h, lfd);
}

/* What connection c carried, NUL-terminated in buf. */
static void read_all(int c, char *buf, size_t size)
{
    size_t n = read_some(c, buf, size - 1, size);
    buf[n] = '\0';
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Delivers a batch the receiver never reads and closes: its kernel
 * resets the connection. */
static void deliver_unread(struct harness *h, int lfd, const char *id)
{
    close(deliver_id(h, lfd, id));
    usleep(50000);
}

/* A receiver that closes with bytes it never read resets the connection:
 * what was delivered on it goes out again on the next one. After an
 * orderly close (everything read) nothing is sent twice. */
static void test_resend_after_reset(void **state)
{
    (void)state;
    struct harness h;
    char err[512], addr[64];
    static char buf[65536];
    int port, lfd = listen_on(SOCK_STREAM, &port);
    snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", port);
    assert_int_equal(open_syslog(&h, addr, "framing = newline", err, sizeof err), MDS_OK);
    add_three(&h);
    close(deliver_and_accept(&h, lfd)); /* acknowledged by the kernel, never read: reset */
    usleep(50000);
    int c = deliver_id(&h, lfd, "a9");
    read_all(c, buf, sizeof buf);
    assert_int_equal(count_of(buf, alert_high), 1); /* the lost batch, once */
    assert_int_equal(count_of(buf, alert_none), 1);
    assert_int_equal(count_of(buf, "{\"id\":\"a9\"}"), 1);
    assert_true(strstr(buf, alert_high) < strstr(buf, "{\"id\":\"a9\"}")); /* in order */
    close(c); /* read everything: an orderly close */
    usleep(50000);
    c = deliver_id(&h, lfd, "a8");
    read_all(c, buf, sizeof buf);
    assert_int_equal(count_of(buf, "\n"), 1); /* only the new batch */
    assert_non_null(strstr(buf, "{\"id\":\"a8\"}"));
    close(c);
    usleep(50000);
    /* a reset now sends again only what went out after the orderly close */
    deliver_unread(&h, lfd, "a7");
    c = deliver_id(&h, lfd, "a6");
    read_all(c, buf, sizeof buf);
    assert_int_equal(count_of(buf, "\n"), 2);
    assert_int_equal(count_of(buf, "{\"id\":\"a7\"}"), 1);
    assert_int_equal(count_of(buf, "{\"id\":\"a6\"}"), 1);
    close(c);
    harness_close(&h);

    /* resend_bytes = 0: a reset loses what the receiver had not read */
    assert_int_equal(open_syslog(&h, addr, "framing = newline\nresend_bytes = 0", err, sizeof err), MDS_OK);
    deliver_unread(&h, lfd, "a1");
    c = deliver_id(&h, lfd, "a9");
    read_all(c, buf, sizeof buf);
    assert_int_equal(count_of(buf, "\n"), 1);
    close(c);
    close(lfd);
    harness_close(&h);
}

static void test_config_errors(void **state)
{
    (void)state;
    struct harness h;
    char err[512];
    assert_int_equal(open_syslog(&h, "http://x:1", NULL, err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "address"));
    harness_close(&h);
    assert_int_equal(open_syslog(&h, "tcp://x:99999", NULL, err, sizeof err), MDS_ERR_CONFIG);
    harness_close(&h);
    assert_int_equal(open_syslog(&h, "tcp://x:514", "ca_file = /etc/hosts", err, sizeof err), MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "tls://"));
    harness_close(&h);
    assert_int_equal(open_syslog(&h, "tcp://x", "app_name = has space", err, sizeof err), MDS_ERR_CONFIG);
    harness_close(&h);
    assert_int_equal(open_syslog(&h, "tls://[::1]:6514", "cert_file = /etc/hosts", err, sizeof err),
                     MDS_ERR_CONFIG);
    assert_non_null(strstr(err, "key_file"));
    harness_close(&h);
    assert_int_equal(open_syslog(&h, "udp://[::1]", "udp_max_bytes = 100", err, sizeof err), MDS_ERR_CONFIG);
    harness_close(&h);
    assert_int_equal(open_syslog(&h, "udp://[::1]", NULL, err, sizeof err), MDS_OK);
    harness_close(&h);
}

/* ---- TLS ---- */

struct tls_server {
    SSL_CTX *ctx;
    int lfd;
    char got[65536];
    size_t n;
    int handshake_ok;
};

static int require_client_cert; /* the next TLS server demands a certificate signed by ca.pem */

static void *tls_serve(void *arg)
{
    struct tls_server *t = arg;
    int fd = accept_within(t->lfd, 5000);
    if (fd < 0)
        return NULL;
    SSL *ssl = SSL_new(t->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
        t->handshake_ok = 1;
        int r;
        while (t->n < sizeof t->got && (r = SSL_read(ssl, t->got + t->n, (int)(sizeof t->got - t->n))) > 0)
            t->n += (size_t)r;
    }
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static void make_certs(void)
{
    char cmd[2048];
    snprintf(
        cmd, sizeof cmd,
        "cd %s && for ca in ca other; do openssl req -x509 -newkey rsa:2048 -nodes -keyout $ca.key -out "
        "$ca.pem -days 2 -subj /CN=$ca >/dev/null 2>&1 || exit 1; done && "
        "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost "
        ">/dev/null 2>&1 && "
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' >ext && "
        "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 "
        "-extfile ext >/dev/null 2>&1 && "
        "for c in cli:ca rogue:other; do n=${c%%:*}; signer=${c#*:}; "
        "openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj /CN=mdesiem >/dev/null 2>&1 && "
        "openssl x509 -req -in $n.csr -CA $signer.pem -CAkey $signer.key -CAcreateserial -out $n.pem "
        "-days 2 >/dev/null 2>&1 || exit 1; done",
        tmpdir);
    assert_int_equal(system(cmd), 0);
}

static void start_tls_server(struct tls_server *t, int *port, pthread_t *th)
{
    char cert[128], key[128];
    memset(t, 0, sizeof *t);
    snprintf(cert, sizeof cert, "%s/srv.pem", tmpdir);
    snprintf(key, sizeof key, "%s/srv.key", tmpdir);
    t->ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate_file(t->ctx, cert, SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM), 1);
    if (require_client_cert) {
        snprintf(cert, sizeof cert, "%s/ca.pem", tmpdir);
        assert_int_equal(SSL_CTX_load_verify_locations(t->ctx, cert, NULL), 1);
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    t->lfd = listen_on(SOCK_STREAM, port);
    assert_int_equal(pthread_create(th, NULL, tls_serve, t), 0);
}

static void stop_tls_server(struct tls_server *t, pthread_t th)
{
    pthread_join(th, NULL);
    close(t->lfd);
    SSL_CTX_free(t->ctx);
}

/* Delivers one event over TLS with `extra` keys; returns the result and
 * what the server received. */
static mds_err tls_round(const char *host, const char *extra, struct tls_server *t, char *err, size_t errlen)
{
    struct harness h;
    char addr[128];
    int port;
    pthread_t th;
    start_tls_server(t, &port, &th);
    snprintf(addr, sizeof addr, "tls://%s:%d", host, port);
    mds_err rc = open_syslog(&h, addr, extra, err, errlen);
    if (!rc) {
        harness_add_json(&h, "a1", 1, alert_high);
        rc = harness_deliver(&h, NULL, err, errlen);
    }
    harness_close(&h); /* closes the connection: the server's read ends */
    stop_tls_server(t, th);
    t->got[t->n < sizeof t->got ? t->n : sizeof t->got - 1] = '\0';
    return rc;
}

static void test_tls_verified(void **state)
{
    (void)state;
    struct tls_server t;
    char err[512], extra[512];
    snprintf(extra, sizeof extra, "ca_file = %s/ca.pem", tmpdir);
    assert_int_equal(tls_round("localhost", extra, &t, err, sizeof err), MDS_OK);
    assert_true(t.handshake_ok);
    char *msg = strchr(t.got, ' ');
    assert_non_null(msg);
    assert_int_equal(strtol(t.got, NULL, 10), (long)strlen(msg + 1));
    check_5424(msg + 1, 130, alert_high);
    /* by IP address: the certificate carries IP:127.0.0.1 */
    assert_int_equal(tls_round("127.0.0.1", extra, &t, err, sizeof err), MDS_OK);
    assert_true(t.n > 0);
}

static void test_tls_wrong_ca_and_name(void **state)
{
    (void)state;
    struct tls_server t;
    char err[512], extra[512];
    snprintf(extra, sizeof extra, "ca_file = %s/other.pem", tmpdir);
    assert_int_equal(tls_round("localhost", extra, &t, err, sizeof err), MDS_ERR_AUTH);
    assert_int_equal(t.n, 0);
    assert_non_null(strstr(err, "certificate"));
    snprintf(extra, sizeof extra, "ca_file = %s/ca.pem\nserver_name = siem.example", tmpdir);
    assert_int_equal(tls_round("localhost", extra, &t, err, sizeof err), MDS_ERR_AUTH);
    assert_int_equal(t.n, 0);
    assert_non_null(strstr(err, "siem.example"));
    /* insecure skips both checks */
    assert_int_equal(
        tls_round("localhost", "insecure = true\nserver_name = siem.example", &t, err, sizeof err), MDS_OK);
    assert_true(t.n > 0);
}

/* A receiver that demands a client certificate: ours (signed by its CA)
 * is accepted; none, or one from another CA, is a permanent error and
 * nothing is delivered - also with TLS 1.3, where the refusal of a
 * missing certificate only comes after the handshake. */
static void test_tls_client_certificate(void **state)
{
    (void)state;
    struct tls_server t;
    char err[512], extra[512];
    require_client_cert = 1;
    snprintf(extra, sizeof extra, "ca_file = %s/ca.pem\ncert_file = %s/cli.pem\nkey_file = %s/cli.key",
             tmpdir, tmpdir, tmpdir);
    assert_int_equal(tls_round("localhost", extra, &t, err, sizeof err), MDS_OK);
    assert_true(t.handshake_ok && t.n > 0);
    snprintf(extra, sizeof extra, "ca_file = %s/ca.pem", tmpdir);
    assert_int_equal(tls_round("localhost", extra, &t, err, sizeof err), MDS_ERR_AUTH);
    assert_int_equal(t.n, 0);
    assert_non_null(strstr(err, "cert_file"));
    snprintf(extra, sizeof extra, "ca_file = %s/ca.pem\ncert_file = %s/rogue.pem\nkey_file = %s/rogue.key",
             tmpdir, tmpdir, tmpdir);
    assert_int_equal(tls_round("localhost", extra, &t, err, sizeof err), MDS_ERR_AUTH);
    assert_int_equal(t.n, 0);
    snprintf(extra, sizeof extra, "ca_file = %s/ca.pem\ncert_file = %s/cli.pem\nkey_file = %s/rogue.key",
             tmpdir, tmpdir, tmpdir);
    assert_int_equal(tls_round("localhost", extra, &t, err, sizeof err),
                     MDS_ERR_CONFIG); /* key does not match */
    require_client_cert = 0;
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mds-syslog-%ld", (long)getpid());
    char cmd[128];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", tmpdir);
    if (system(cmd) != 0)
        return -1;
    make_certs();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_octet_counting),
        cmocka_unit_test(test_tcp_newline_rfc3164),
        cmocka_unit_test(test_udp_datagrams_and_oversize),
        cmocka_unit_test(test_reconnect_after_receiver_closed),
        cmocka_unit_test(test_resend_after_reset),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_tls_verified),
        cmocka_unit_test(test_tls_wrong_ca_and_name),
        cmocka_unit_test(test_tls_client_certificate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
