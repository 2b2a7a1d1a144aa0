/*
 * token.c - the emulator's tokens (JWT sealing and opening) and the bearer
 * token check used by every API door.
 *
 * Access tokens, authorization codes and refresh tokens are all JWTs
 * (HS256) signed with a key derived from the seed; the claim token_use
 * ("access", "code", "refresh") keeps them apart. Access tokens carry the
 * claims a Defender client might look at: aud, iss, tid, appid, roles,
 * iat, nbf, exp. The endpoints that issue them are in oauth.c. Reads
 * only immutable configuration, so no lock is needed.
 */
#include "emulator/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/json.h"
#include "core/mem.h"

#define MAX_TOKEN 8192

const char mds_emu_msg_wrong_tenant[] = "Access token validation failure. Invalid issuer or tenant.";

const char *const mds_emu_role_names[MDS_EMU_ROLE_COUNT] = {"SecurityAlert.Read.All",
                                                            "SecurityIncident.Read.All", "Alert.Read.All"};

/* Audiences accepted by each door (prefix match, case-insensitive). */
static const struct {
    enum mds_emu_door door;
    const char *aud;
} audiences[] = {
    {MDS_EMU_DOOR_GRAPH, "https://graph.microsoft.com"},
    {MDS_EMU_DOOR_GRAPH, "https://graph.microsoft.us"},
    {MDS_EMU_DOOR_GRAPH, "https://dod-graph.microsoft.us"},
    {MDS_EMU_DOOR_MDE, "https://api.securitycenter.microsoft.com"},
    {MDS_EMU_DOOR_MDE, "https://api.security.microsoft.com"},
    {MDS_EMU_DOOR_MDE, "https://securitycenter.onmicrosoft.com/windowsatpservice"},
    {MDS_EMU_DOOR_MDE, "https://api-gcc.securitycenter.microsoft.us"},
    {MDS_EMU_DOOR_MDE, "https://api-gov.securitycenter.microsoft.us"},
    {MDS_EMU_DOOR_SIEM, "https://graph.windows.net"},
    {MDS_EMU_DOOR_SIEM, "https://WDATPAlertExport.Seville.onmicrosoft.com"},
};

/* ------------------------------------------------------------ base64url */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static mds_err b64url_encode(struct mds_buf *out, const unsigned char *p, size_t n)
{
    mds_err err = mds_buf_reserve(out, (n + 2) / 3 * 4);
    for (size_t i = 0; !err && i < n; i += 3) {
        uint32_t v =
            (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], b64[v >> 6 & 63], b64[v & 63]};
        err = mds_buf_append(out, q, i + 2 < n ? 4 : i + 1 < n ? 3 : 2);
    }
    return err;
}

static mds_err b64url_decode(const char *s, size_t n, struct mds_buf *out)
{
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c = memchr(b64, s[i], 64);
        if (!c || !s[i])
            return MDS_ERR_PARSE;
        acc = acc << 6 | (uint32_t)(c - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            mds_err err = mds_buf_putc(out, (char)(acc >> bits & 0xff));
            if (err)
                return err;
        }
    }
    return MDS_OK;
}

/* ------------------------------------------------------------- signing */

void mds_emu_token_key(struct mds_emu *e)
{
    struct mds_emu_rng r;
    mds_emu_rng_seed(&r, e->cfg.seed, 0x6b6579);
    for (size_t i = 0; i < sizeof e->token_key; i += 8) {
        uint64_t v = mds_emu_rng_next(&r);
        memcpy(e->token_key + i, &v, 8);
    }
}

static mds_err sign(const struct mds_emu *e, const char *input, size_t n, struct mds_buf *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha256(), e->token_key, (int)sizeof e->token_key, (const unsigned char *)input, n, mac,
              &maclen))
        return MDS_ERR_INTERNAL;
    return b64url_encode(out, mac, maclen);
}

mds_err mds_emu_jwt_seal(const struct mds_emu *e, const struct mds_buf *payload, struct mds_buf *out)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"mdesiem-emulator\"}";
    size_t start = out->len;
    mds_err err = b64url_encode(out, (const unsigned char *)header, sizeof header - 1);
    if (!err)
        err = mds_buf_putc(out, '.');
    if (!err)
        err = b64url_encode(out, (const unsigned char *)payload->data, payload->len);
    if (err)
        return err;
    size_t input_len = out->len - start;
    char *input = mds_strndup(out->data + start, input_len);
    err = input ? mds_buf_putc(out, '.') : MDS_ERR_NOMEM;
    if (!err)
        err = sign(e, input, input_len, out);
    mds_free(input);
    return err;
}

const char *mds_emu_jwt_open(const struct mds_emu *e, const char *token, size_t len, struct mds_buf *payload)
{
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (len == 0)
        return "Access token is empty.";
    if (len > MAX_TOKEN || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        return "IDX14100: JWT is not well formed, there are no dots (.).";
    struct mds_buf sig;
    const char *msg = NULL;
    mds_buf_init(&sig, 128);
    size_t given = len - (size_t)(dot2 + 1 - token);
    if (sign(e, token, (size_t)(dot2 - token), &sig) || sig.len != given ||
        CRYPTO_memcmp(sig.data, dot2 + 1, given) != 0)
        msg = "Access token validation failure. Invalid signature.";
    else if (b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload) || !payload->data)
        msg = "IDX14100: JWT is not well formed.";
    mds_buf_finish(&sig);
    return msg;
}

static void access_claims(struct mds_emu_jw *w, const struct mds_emu *e, const char *aud, int v2, int64_t now)
{
    char iss[256];
    if (v2)
        snprintf(iss, sizeof iss, "https://login.microsoftonline.com/%s/v2.0", e->cfg.tenant);
    else
        snprintf(iss, sizeof iss, "https://sts.windows.net/%s/", e->cfg.tenant);
    mds_emu_jw_open(w, NULL, '{');
    mds_emu_jw_str(w, "aud", aud);
    mds_emu_jw_str(w, "iss", iss);
    mds_emu_jw_int(w, "iat", now);
    mds_emu_jw_int(w, "nbf", now);
    mds_emu_jw_int(w, "exp", now + e->cfg.token_ttl);
    mds_emu_jw_str(w, "appid", e->cfg.client_id);
    mds_emu_jw_str(w, "idtyp", "app");
    mds_emu_jw_str(w, "oid", "9c1d5a0e-8d4b-4a59-a3c1-5f6e7d8c9b0a");
    mds_emu_jw_open(w, "roles", '[');
    for (int i = 0; i < MDS_EMU_ROLE_COUNT; i++)
        if (e->cfg.roles_mask & (1u << i))
            mds_emu_jw_str(w, NULL, mds_emu_role_names[i]);
    mds_emu_jw_close(w, ']');
    mds_emu_jw_str(w, "sub", "9c1d5a0e-8d4b-4a59-a3c1-5f6e7d8c9b0a");
    mds_emu_jw_str(w, "tid", e->cfg.tenant);
    mds_emu_jw_str(w, "token_use", "access");
    mds_emu_jw_str(w, "ver", v2 ? "2.0" : "1.0");
    mds_emu_jw_close(w, '}');
}

mds_err mds_emu_access_token(const struct mds_emu *e, const char *aud, int v2, int64_t now,
                             struct mds_buf *out)
{
    struct mds_buf payload;
    struct mds_emu_jw w;
    mds_buf_init(&payload, MAX_TOKEN);
    mds_emu_jw_init(&w, &payload);
    access_claims(&w, e, aud, v2, now);
    mds_err err = w.err ? w.err : mds_emu_jwt_seal(e, &payload, out);
    mds_buf_finish(&payload);
    return err;
}

/* ---------------------------------------------------------------- check */

/* The door's real resource ids fit, and so does this server's own base
 * URL (http://<Host>): a client pointed at the emulator derives its
 * audience from the API URL it was given, as it would for the cloud. */
static int audience_fits(enum mds_emu_door door, const char *aud, const char *host)
{
    size_t n = strlen(aud);
    while (n && aud[n - 1] == '/')
        n--;
    const char *rest = strncasecmp(aud, "http://", 7) == 0    ? aud + 7
                       : strncasecmp(aud, "https://", 8) == 0 ? aud + 8
                                                              : NULL;
    if (rest && host && strlen(host) == n - (size_t)(rest - aud) &&
        strncasecmp(rest, host, strlen(host)) == 0)
        return 1;
    for (size_t i = 0; i < sizeof audiences / sizeof audiences[0]; i++)
        if (audiences[i].door == door && strlen(audiences[i].aud) == n &&
            strncasecmp(audiences[i].aud, aud, n) == 0)
            return 1;
    return 0;
}

static unsigned roles_of(const struct mds_json *j, int obj)
{
    unsigned roles = 0;
    int arr = mds_json_find(j, obj, "roles");
    if (arr < 0 || j->tok[arr].type != JSMN_ARRAY)
        return 0;
    for (int i = arr + 1, k = 0; k < j->tok[arr].size; k++, i = mds_json_skip(j, i))
        for (int r = 0; r < MDS_EMU_ROLE_COUNT; r++)
            if (mds_json_streq(j, i, mds_emu_role_names[r]))
                roles |= 1u << r;
    return roles;
}

/* Checks the claims of a token whose signature is valid. */
static const char *check_claims(const struct mds_emu *e, const struct mds_buf *payload,
                                enum mds_emu_door door, const char *host, unsigned *roles)
{
    struct mds_json j;
    const char *msg = NULL;
    int64_t exp = 0, nbf = 0, now = mds_emu_now(e) / MDS_TICKS_PER_SEC;
    char aud[256], tid[128];
    mds_json_init(&j);
    if (mds_json_parse(&j, payload->data, payload->len) || j.ntok < 1 || j.tok[0].type != JSMN_OBJECT ||
        mds_json_int(&j, mds_json_find(&j, 0, "exp"), &exp) ||
        mds_json_int(&j, mds_json_find(&j, 0, "nbf"), &nbf) ||
        mds_json_copy(&j, mds_json_find(&j, 0, "aud"), aud, sizeof aud) ||
        mds_json_copy(&j, mds_json_find(&j, 0, "tid"), tid, sizeof tid) ||
        !mds_json_streq(&j, mds_json_find(&j, 0, "token_use"), "access"))
        msg = "IDX14100: JWT is not well formed.";
    else if (now >= exp)
        msg = "Lifetime validation failed, the token is expired.";
    else if (now + 300 < nbf)
        msg = "Lifetime validation failed, the token is not yet valid.";
    else if (strcmp(tid, e->cfg.tenant) != 0)
        msg = mds_emu_msg_wrong_tenant;
    else if (!audience_fits(door, aud, host))
        msg = "Access token validation failure. Invalid audience.";
    else
        *roles = roles_of(&j, 0);
    mds_json_finish(&j);
    return msg;
}

const char *mds_emu_token_check(const struct mds_emu *e, const char *token, size_t len,
                                enum mds_emu_door door, const char *host, unsigned *roles)
{
    struct mds_buf payload;
    mds_buf_init(&payload, MAX_TOKEN);
    const char *msg = mds_emu_jwt_open(e, token, len, &payload);
    if (!msg)
        msg = check_claims(e, &payload, door, host, roles);
    mds_buf_finish(&payload);
    return msg;
}
