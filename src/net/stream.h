/*
 * stream.h - a client connection to a log receiver over UDP, TCP or TLS
 * (OpenSSL), for outputs that speak a byte protocol (syslog).
 *
 * Connections are opened lazily and kept between batches. Every wait is
 * bounded by the configured timeout and ends early on shutdown
 * (MDS_ERR_STOPPED). A failed connection is closed, so the next call
 * reconnects; reconnect pacing belongs to the engine (the caller returns
 * MDS_ERR_RETRY).
 *
 * TLS verifies the receiver's certificate chain (ca_file, else the system
 * store) and its name (server_name, else the host of the address: a DNS
 * name or an IP address) unless `insecure`; TLS 1.2 is the minimum.
 *
 * Writes use MSG_NOSIGNAL for plain TCP; OpenSSL writes the socket
 * itself, so the process must ignore SIGPIPE (mdesiem run/once do).
 * Not thread-safe: one stream per output thread.
 */
#ifndef MDS_STREAM_H
#define MDS_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum mds_stream_transport { MDS_STREAM_UDP, MDS_STREAM_TCP, MDS_STREAM_TLS };

struct mds_stream_conf {
    enum mds_stream_transport transport;
    const char *host; /* DNS name or IP address (no brackets) */
    const char *port;
    const char *server_name; /* TLS: name the certificate must carry; NULL = host */
    const char *ca_file;     /* TLS: PEM CA bundle; NULL = system store */
    const char *cert_file;   /* TLS: client certificate chain (PEM), optional */
    const char *key_file;    /* TLS: its private key (PEM) */
    int insecure;            /* TLS: skip certificate and name verification */
    int64_t timeout_ms;      /* connect + handshake, each write, waiting for acknowledgement */
};

struct mds_stream;

/* Splits "udp://HOST:PORT", "tcp://..." or "tls://..." (IPv6 hosts in
 * brackets; PORT defaults to 514, or 6514 for tls) into conf->transport
 * and the caller's host/port buffers, which conf then points to.
 * MDS_ERR_CONFIG with a reason in err when malformed. */
mds_err mds_stream_parse_address(const char *address, struct mds_stream_conf *conf, char *host,
                                 size_t hostlen, char *port, size_t portlen, char *err, size_t errlen);

/* Prepares a stream (loads TLS certificates; connects nothing). The
 * strings in conf must outlive the stream. MDS_ERR_CONFIG when a
 * certificate or key cannot be loaded. */
mds_err mds_stream_create(const struct mds_stream_conf *conf, struct mds_stream **out, char *err,
                          size_t errlen);
void mds_stream_destroy(struct mds_stream *s);

/* Makes sure a usable connection exists: drops one the receiver closed,
 * connects (and handshakes) when there is none. MDS_ERR_RETRY when the
 * receiver cannot be reached; MDS_ERR_AUTH when TLS verification failed
 * (err says why: wrong CA, wrong name, expired ...). */
mds_err mds_stream_ensure(struct mds_stream *s, char *err, size_t errlen);

/* Writes every byte of p[0..n) (UDP: exactly one datagram). On failure
 * the connection is closed and MDS_ERR_RETRY returned: some of the bytes
 * may have been received. */
mds_err mds_stream_write(struct mds_stream *s, const char *p, size_t n, char *err, size_t errlen);

/* TCP and TLS: waits until the receiver's TCP stack acknowledged every
 * byte written so far (the socket's send queue is empty), so a batch is
 * only reported delivered once it left this machine and arrived. UDP:
 * returns at once (there is no acknowledgement). */
mds_err mds_stream_drain(struct mds_stream *s, char *err, size_t errlen);

/* Closes the connection (the next ensure reconnects). */
void mds_stream_close(struct mds_stream *s);

/* How the last connection that carried bytes ended, told once (TCP and
 * TLS). LOST: it was reset (a receiver that closes with bytes it has not
 * read resets the connection), broke, or timed out; the receiver's kernel
 * may have acknowledged bytes its program never read. CLEAN: the receiver
 * closed it in order, which it only does once it read everything. */
enum mds_stream_end { MDS_STREAM_NO_END, MDS_STREAM_CLEAN, MDS_STREAM_LOST };
enum mds_stream_end mds_stream_take_end(struct mds_stream *s);

#endif
