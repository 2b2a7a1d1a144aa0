/*
 * assertion.h - certificate credentials for Entra ID: a JWT client
 * assertion signed with the application's private key (RS256, x5t).
 */
#ifndef MDS_ASSERTION_H
#define MDS_ASSERTION_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

struct mds_assertion;

/* Loads a PEM certificate and its RSA private key. */
mds_err mds_assertion_create(const char *cert_path, const char *key_path, struct mds_assertion **out, char *err,
                             size_t errlen);
void mds_assertion_destroy(struct mds_assertion *a);

/* Writes a fresh signed assertion for `client_id` addressed to
 * `audience` (the token URL) into out (reset first). */
mds_err mds_assertion_make(const struct mds_assertion *a, const char *client_id, const char *audience,
                           struct mds_buf *out);

#endif
