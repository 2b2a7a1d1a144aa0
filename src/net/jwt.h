/*
 * jwt.h - reading the claims of an access token (no signature check: the
 * token comes straight from the identity service over TLS; this is only
 * to tell the user which permissions it carries).
 */
#ifndef MDS_JWT_H
#define MDS_JWT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

/* Appends base64url-decoded bytes of s[0..n) to out. */
mds_err mds_base64url_decode(const char *s, size_t n, struct mds_buf *out);
/* Appends the base64url (no padding) encoding of p[0..n). */
mds_err mds_base64url_encode(const void *p, size_t n, struct mds_buf *out);

/* Writes the token's "roles" (application permissions) or "scp"
 * (delegated scopes) as a comma-separated list into roles. Returns
 * MDS_ERR_PARSE when the token is not a JWT. */
mds_err mds_jwt_roles(const char *token, char *roles, size_t size);

/* 1 when the comma-separated list holds `role` (or its ReadWrite
 * sibling, which includes it), else 0. */
int mds_jwt_roles_include(const char *roles, const char *role);

#endif
