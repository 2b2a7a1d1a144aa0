/* compat_internal.h - state shared by compat.c and compat_api.c. */
#ifndef MDS_COMPAT_INTERNAL_H
#define MDS_COMPAT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/state.h"
#include "serve/compat.h"
#include "serve/httpd.h"

#define MDS_COMPAT_MAX_CLIENTS 32
#define MDS_COMPAT_MAX_FEEDS 32
#define MDS_COMPAT_MAX_TOKENS 1024

struct compat_client {
    const char *name;
    const char *client_id;
    char *secret;
    atomic_llong requests;
    atomic_llong served;
    atomic_llong refused;
};

struct compat_token {
    char value[65];     /* hex; empty = free slot */
    int client;
    int refresh;        /* a refresh token, not an access token */
    mds_ticks expires;
};

struct mds_compat {
    const char *listen;
    char *cert_pem, *key_pem;
    mds_ticks retention;
    int64_t token_ttl_s;
    struct compat_client clients[MDS_COMPAT_MAX_CLIENTS];
    int nclients;
    char feeds_storage[1024];
    char *feeds[MDS_COMPAT_MAX_FEEDS];
    int nfeeds;

    pthread_mutex_t mu;            /* tokens, stamps, the query connection */
    struct compat_token tokens[MDS_COMPAT_MAX_TOKENS];
    unsigned next_token;
    mds_ticks last_stamp;
    mds_ticks last_prune;
    struct mds_db *db;             /* for queries */
    struct mds_httpd *httpd;
};

#endif
