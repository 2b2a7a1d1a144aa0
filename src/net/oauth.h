/*
 * oauth.h - OAuth2 client-credentials tokens from Microsoft Entra ID.
 *
 * v2 endpoint (".../oauth2/v2.0/token", form field `scope`) or v1
 * (".../oauth2/token", form field `resource`). The token is cached and
 * renewed shortly before it expires; mds_oauth_invalidate() drops it after
 * a 401 so the next call fetches a fresh one. The client secret and the
 * tokens are never logged. One mds_oauth per source (not thread-safe).
 */
#ifndef MDS_OAUTH_H
#define MDS_OAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/timeutil.h"
#include "net/assertion.h"
#include "net/http.h"

struct mds_oauth_conf {
    const char *token_url;
    const char *client_id;
    const char *client_secret; /* borrowed; never logged */
    const char *scope;         /* v2; NULL for v1 */
    const char *resource;      /* v1; NULL for v2 */
    /* refresh_token grant instead of client_credentials: the token is read
     * from this file before every renewal, and a rotated one the service
     * returns is written back (atomically, mode 0600, keeping the file's
     * modification time as the date the token was issued). */
    const char *refresh_token_file;
    /* certificate credentials instead of a secret (may be NULL) */
    const struct mds_assertion *assertion;
};

struct mds_oauth {
    struct mds_oauth_conf conf;
    char *token;
    mds_ticks expires; /* when to stop using it */
};

void mds_oauth_init(struct mds_oauth *o, const struct mds_oauth_conf *conf);
void mds_oauth_finish(struct mds_oauth *o);
void mds_oauth_invalidate(struct mds_oauth *o);

/* Returns a valid access token in *token (owned by o, valid until the
 * next call). MDS_ERR_AUTH when the identity service refused the
 * credentials (err says why, from its error/error_description);
 * MDS_ERR_RETRY for transient failures (transport, 5xx, 429, with
 * *retry_after_ms set when the service said so). */
mds_err mds_oauth_token(struct mds_oauth *o, struct mds_http *h, const char **token, int64_t *retry_after_ms,
                        char *err, size_t errlen);

/* Parses a token response body. `expires_in` may be a JSON number or a
 * string of digits (Entra v1 sends strings). *token is heap memory. */
mds_err mds_oauth_parse_response(const char *body, size_t len, char **token, int64_t *expires_in, char *err,
                                 size_t errlen);

/* Builds the form body of a token request (client credentials, or the
 * refresh_token grant with `refresh_token`). */
mds_err mds_oauth_form(const struct mds_oauth_conf *conf, const char *refresh_token, struct mds_buf *out);

/* The "refresh_token" member of a token response, or NULL (heap memory). */
char *mds_oauth_parse_refresh(const char *body, size_t len);

/* Days until a portal refresh token in `path` reaches Microsoft's 90-day
 * limit, counted from the file's modification time; -1 if unknown. */
int mds_oauth_refresh_days_left(const char *path);

#endif
