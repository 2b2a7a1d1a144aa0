/*
 * oauth.c - the emulated Microsoft Entra endpoints.
 *
 *   GET  /{tenant}/oauth2/authorize, /{tenant}/oauth2/v2.0/authorize
 *        auto-consent: 302 to redirect_uri with ?code=...&state=...
 *   POST /{tenant}/oauth2/token        (v1: resource; numbers as strings)
 *   POST /{tenant}/oauth2/v2.0/token   (v2: scope; numbers as numbers)
 *
 * Grants: client_credentials (v2 scope must end in /.default),
 * authorization_code (the code names its redirect_uri and audience; it
 * lives 10 minutes) and refresh_token (90 days; every use returns a new
 * one). Errors use the Entra body with AADSTS codes. Reads only the
 * immutable configuration.
 */
#include "emulator/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "core/json.h"
#include "core/mem.h"

#define MAX_TOKEN 8192
#define CODE_TTL 600
#define REFRESH_TTL (90 * 86400)

/* ------------------------------------------------------------ errors */

static void aad_error(struct mds_emu_req *req, unsigned status, const char *error, int code, const char *text)
{
    char stamp[40], desc[1024], uri[96];
    struct mds_emu_jw w;
    mds_time_format(req->now, 0, stamp, sizeof stamp);
    snprintf(desc, sizeof desc,
             "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %.10s %.8sZ", code, text,
             req->request_id, req->request_id, stamp, stamp + 11);
    snprintf(uri, sizeof uri, "https://login.microsoftonline.com/error?code=%d", code);
    mds_buf_reset(&req->out);
    req->status = status;
    req->content_type = "application/json; charset=utf-8";
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_str(&w, "error", error);
    mds_emu_jw_str(&w, "error_description", desc);
    mds_emu_jw_open(&w, "error_codes", '[');
    mds_emu_jw_int(&w, NULL, code);
    mds_emu_jw_close(&w, ']');
    snprintf(desc, sizeof desc, "%.10s %.8sZ", stamp, stamp + 11);
    mds_emu_jw_str(&w, "timestamp", desc);
    mds_emu_jw_str(&w, "trace_id", req->request_id);
    mds_emu_jw_str(&w, "correlation_id", req->request_id);
    mds_emu_jw_str(&w, "error_uri", uri);
    mds_emu_jw_close(&w, '}');
}

static void missing(struct mds_emu_req *req, const char *field)
{
    char text[160];
    snprintf(text, sizeof text, "The request body must contain the following parameter: '%s'.", field);
    aad_error(req, 400, "invalid_request", 900144, text);
}

static int known_grant(const char *g)
{
    return strcmp(g, "client_credentials") == 0 || strcmp(g, "authorization_code") == 0 ||
           strcmp(g, "refresh_token") == 0;
}

/* Tenant and client id; nonzero when answered. */
static int check_app(struct mds_emu_req *req, const char *id)
{
    const struct mds_emu_config *cfg = &req->emu->cfg;
    char text[512];
    if (strcmp(req->seg[0], cfg->tenant) != 0) {
        snprintf(text, sizeof text,
                 "Tenant '%.128s' not found. Check to make sure you have the correct tenant ID "
                 "and are signing into the correct cloud.",
                 req->seg[0]);
        aad_error(req, 400, "invalid_request", 90002, text);
    } else if (!id) {
        missing(req, "client_id");
    } else if (strcmp(id, cfg->client_id) != 0) {
        snprintf(
            text, sizeof text,
            "Application with identifier '%.128s' was not found in the directory '%.128s'. "
            "This can happen if the application has not been installed by the administrator of the tenant.",
            id, cfg->tenant);
        aad_error(req, 400, "unauthorized_client", 700016, text);
    } else {
        return 0;
    }
    return 1;
}

/* Grant type and client authentication; nonzero when answered. */
static int check_client(struct mds_emu_req *req, const struct mds_emu_params *ps)
{
    const struct mds_emu_config *cfg = &req->emu->cfg;
    const char *grant = mds_emu_params_get(ps, "grant_type");
    const char *id = mds_emu_params_get(ps, "client_id");
    const char *secret = mds_emu_params_get(ps, "client_secret");
    const char *assertion = mds_emu_params_get(ps, "client_assertion");
    const char *why;
    int aadsts;
    char text[512];
    if (strcmp(req->seg[0], cfg->tenant) != 0)
        return check_app(req, id); /* answers "tenant not found" */
    if (!grant) {
        missing(req, "grant_type");
    } else if (!known_grant(grant)) {
        aad_error(req, 400, "unsupported_grant_type", 70003,
                  "The app requested an unsupported grant type. Expected values are the following: "
                  "'client_credentials', 'authorization_code', 'refresh_token'.");
    } else if (check_app(req, id)) {
        return 1;
    } else if (assertion) {
        if (!mds_emu_params_get(ps, "client_assertion_type") ||
            strcmp(mds_emu_params_get(ps, "client_assertion_type"),
                   "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") != 0)
            aad_error(req, 400, "invalid_request", 50027, "client_assertion_type must be jwt-bearer.");
        else if ((why = mds_emu_assertion_check(req, assertion, id, &aadsts)))
            aad_error(req, 401, "invalid_client", aadsts, why);
        else
            return 0;
    } else if (!secret) {
        aad_error(
            req, 401, "invalid_client", 7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    } else if (strlen(secret) != strlen(cfg->client_secret) ||
               CRYPTO_memcmp(secret, cfg->client_secret, strlen(secret)) != 0) {
        snprintf(text, sizeof text,
                 "Invalid client secret provided. Ensure the secret being sent in the request "
                 "is the client secret value, not the client secret ID, for a secret added to app '%.128s'.",
                 id);
        aad_error(req, 401, "invalid_client", 7000215, text);
    } else {
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ tokens */

/* A code or refresh token: {token_use, aud, appid, tid, exp[, redirect_uri]}. */
static mds_err grant_token(const struct mds_emu *e, const char *use, const char *aud, const char *redirect,
                           int64_t exp, struct mds_buf *out)
{
    struct mds_buf payload;
    struct mds_emu_jw w;
    mds_buf_init(&payload, MAX_TOKEN);
    mds_emu_jw_init(&w, &payload);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_str(&w, "token_use", use);
    mds_emu_jw_str(&w, "aud", aud);
    mds_emu_jw_str(&w, "appid", e->cfg.client_id);
    mds_emu_jw_str(&w, "tid", e->cfg.tenant);
    mds_emu_jw_int(&w, "exp", exp);
    if (redirect)
        mds_emu_jw_str(&w, "redirect_uri", redirect);
    mds_emu_jw_close(&w, '}');
    mds_err err = w.err ? w.err : mds_emu_jwt_seal(e, &payload, out);
    mds_buf_finish(&payload);
    return err;
}

/* Opens a code or refresh token; copies its audience (and redirect_uri).
 * Returns NULL or the AADSTS text; *code is the AADSTS number. */
static const char *redeem(const struct mds_emu_req *req, const char *tok, const char *use, char *aud,
                          size_t audn, char *redirect, size_t redn, int *code)
{
    const struct mds_emu *e = req->emu;
    struct mds_buf payload;
    struct mds_json j;
    int64_t exp = 0;
    const char *msg = NULL;
    mds_buf_init(&payload, MAX_TOKEN);
    mds_json_init(&j);
    *code = strcmp(use, "code") == 0 ? 70000 : 9002313;
    if (mds_emu_jwt_open(e, tok, strlen(tok), &payload) || mds_json_parse(&j, payload.data, payload.len) ||
        !mds_json_streq(&j, mds_json_find(&j, 0, "token_use"), use) ||
        !mds_json_streq(&j, mds_json_find(&j, 0, "appid"), e->cfg.client_id) ||
        !mds_json_streq(&j, mds_json_find(&j, 0, "tid"), e->cfg.tenant) ||
        mds_json_int(&j, mds_json_find(&j, 0, "exp"), &exp) ||
        mds_json_copy(&j, mds_json_find(&j, 0, "aud"), aud, audn)) {
        msg = strcmp(use, "code") == 0
                  ? "The provided authorization code or refresh token is invalid, malformed."
                  : "Invalid request. Request is malformed or invalid.";
    } else if (req->now / MDS_TICKS_PER_SEC >= exp) {
        *code = strcmp(use, "code") == 0 ? 70008 : 700082;
        msg = strcmp(use, "code") == 0 ? "The provided authorization code or refresh token has expired."
                                       : "The refresh token has expired due to inactivity.";
    } else if (redirect && mds_json_copy(&j, mds_json_find(&j, 0, "redirect_uri"), redirect, redn)) {
        redirect[0] = '\0';
    }
    mds_json_finish(&j);
    mds_buf_finish(&payload);
    return msg;
}

/* Audience named by a v2 scope list: the first "https://host/..." word
 * without its last path segment (/.default or a permission). */
static int scope_audience(const char *scope, char *aud, size_t n)
{
    for (const char *p = scope; p && *p;) {
        size_t len = strcspn(p, " ");
        const char *slash = len > 8 ? memrchr(p, '/', len) : NULL;
        if (strncasecmp(p, "https://", 8) == 0 && slash && slash > p + 8 && (size_t)(slash - p) < n) {
            snprintf(aud, n, "%.*s", (int)(slash - p), p);
            return 0;
        }
        p += len + (p[len] == ' ');
    }
    return -1;
}

static void respond_token(struct mds_emu_req *req, const char *aud, int v2, int with_refresh,
                          const char *scope)
{
    const struct mds_emu *e = req->emu;
    int64_t now = req->now / MDS_TICKS_PER_SEC, ttl = e->cfg.token_ttl;
    struct mds_buf tok, refresh;
    struct mds_emu_jw w;
    char num[3][24];
    mds_buf_init(&tok, MAX_TOKEN);
    mds_buf_init(&refresh, MAX_TOKEN);
    mds_err err = mds_emu_access_token(e, aud, v2, now, &tok);
    if (!err && with_refresh)
        err = grant_token(e, "refresh", aud, NULL, now + REFRESH_TTL, &refresh);
    if (err) {
        aad_error(req, 500, "server_error", 50000, "The token could not be issued.");
        goto out;
    }
    snprintf(num[0], sizeof num[0], "%" PRId64, ttl);
    snprintf(num[1], sizeof num[1], "%" PRId64, now + ttl);
    snprintf(num[2], sizeof num[2], "%" PRId64, now);
    req->status = 200;
    mds_emu_jw_init(&w, &req->out);
    mds_emu_jw_open(&w, NULL, '{');
    mds_emu_jw_str(&w, "token_type", "Bearer");
    if (scope)
        mds_emu_jw_str(&w, "scope", scope);
    if (v2) {
        mds_emu_jw_int(&w, "expires_in", ttl);
        mds_emu_jw_int(&w, "ext_expires_in", ttl);
    } else {
        mds_emu_jw_str(&w, "expires_in", num[0]);
        mds_emu_jw_str(&w, "ext_expires_in", num[0]);
        mds_emu_jw_str(&w, "expires_on", num[1]);
        mds_emu_jw_str(&w, "not_before", num[2]);
        mds_emu_jw_str(&w, "resource", aud);
    }
    mds_emu_jw_strn(&w, "access_token", tok.data, tok.len);
    if (with_refresh)
        mds_emu_jw_strn(&w, "refresh_token", refresh.data, refresh.len);
    mds_emu_jw_close(&w, '}');
out:
    mds_buf_finish(&tok);
    mds_buf_finish(&refresh);
}

/* ------------------------------------------------------------ grants */

static void client_credentials(struct mds_emu_req *req, const struct mds_emu_params *ps, int v2)
{
    static const char suffix[] = "/.default";
    const char *scope = mds_emu_params_get(ps, "scope"), *resource = mds_emu_params_get(ps, "resource");
    size_t n = scope ? strlen(scope) : 0, sl = sizeof suffix - 1;
    char aud[512], text[700];
    if (!v2) {
        if (!resource || !*resource)
            missing(req, "resource");
        else
            respond_token(req, resource, 0, 0, NULL);
    } else if (!scope || !*scope) {
        missing(req, "scope");
    } else if (n <= sl || n - sl >= sizeof aud || strcmp(scope + n - sl, suffix) != 0 || strchr(scope, ' ')) {
        snprintf(text, sizeof text,
                 "The provided value for scope %.300s is not valid. Client credential flows "
                 "must have a scope value with /.default suffixed to the resource identifier "
                 "(application ID URI).",
                 scope);
        aad_error(req, 400, "invalid_scope", 1002012, text);
    } else {
        snprintf(aud, sizeof aud, "%.*s", (int)(n - sl), scope);
        respond_token(req, aud, 1, 0, NULL);
    }
}

/* authorization_code and refresh_token share everything but the token. */
static void delegated(struct mds_emu_req *req, const struct mds_emu_params *ps, int v2, int is_code)
{
    const char *field = is_code ? "code" : "refresh_token";
    const char *tok = mds_emu_params_get(ps, field), *redirect = mds_emu_params_get(ps, "redirect_uri");
    const char *scope = mds_emu_params_get(ps, "scope"), *resource = mds_emu_params_get(ps, "resource");
    char aud[512], bound[512] = "", want[512];
    int code;
    if (!tok || !*tok) {
        missing(req, field);
        return;
    }
    const char *msg = redeem(req, tok, is_code ? "code" : "refresh", aud, sizeof aud, is_code ? bound : NULL,
                             sizeof bound, &code);
    if (!msg && is_code && (!redirect || strcmp(redirect, bound) != 0)) {
        msg = "The reply URL specified in the request does not match the reply URL used to obtain the code.";
        code = 50011;
    }
    if (msg) {
        aad_error(req, 400, "invalid_grant", code, msg);
        return;
    }
    if (!v2 && resource && *resource)
        snprintf(aud, sizeof aud, "%s", resource);
    else if (v2 && scope && scope_audience(scope, want, sizeof want) == 0)
        snprintf(aud, sizeof aud, "%s", want);
    respond_token(req, aud, v2, 1, v2 ? (scope ? scope : "offline_access") : "user_impersonation");
}

static void token_endpoint(struct mds_emu_req *req, int v2)
{
    struct mds_emu_params ps = {0};
    if (mds_emu_params_parse(&ps, req->body.data ? req->body.data : "", req->body.len) != MDS_OK)
        aad_error(req, 400, "invalid_request", 900144, "The request body is not a valid form.");
    else if (!check_client(req, &ps)) {
        const char *grant = mds_emu_params_get(&ps, "grant_type");
        if (strcmp(grant, "client_credentials") == 0)
            client_credentials(req, &ps, v2);
        else
            delegated(req, &ps, v2, strcmp(grant, "authorization_code") == 0);
    }
    mds_emu_params_finish(&ps);
}

void mds_emu_token_v1(struct mds_emu_req *req)
{
    token_endpoint(req, 0);
}

void mds_emu_token_v2(struct mds_emu_req *req)
{
    token_endpoint(req, 1);
}

/* ---------------------------------------------------------- authorize */

static void authorize(struct mds_emu_req *req, int v2)
{
    const struct mds_emu_params *ps = &req->params;
    const char *id = mds_emu_params_get(ps, "client_id"), *type = mds_emu_params_get(ps, "response_type");
    const char *redirect = mds_emu_params_get(ps, "redirect_uri"), *state = mds_emu_params_get(ps, "state");
    const char *target = mds_emu_params_get(ps, v2 ? "scope" : "resource");
    char aud[512];
    struct mds_buf code, location;
    if (check_app(req, id))
        return;
    if (!type || strcmp(type, "code") != 0 || !redirect || !*redirect) {
        missing(req, !type || strcmp(type, "code") != 0 ? "response_type=code" : "redirect_uri");
        return;
    }
    if (!target ||
        (v2 ? scope_audience(target, aud, sizeof aud) : (snprintf(aud, sizeof aud, "%s", target), 0))) {
        missing(req, v2 ? "scope" : "resource");
        return;
    }
    mds_buf_init(&code, MAX_TOKEN);
    mds_buf_init(&location, 3 * MAX_TOKEN);
    mds_err err =
        grant_token(req->emu, "code", aud, redirect, req->now / MDS_TICKS_PER_SEC + CODE_TTL, &code);
    if (!err)
        err =
            mds_buf_printf(&location, "%s%ccode=%s", redirect, strchr(redirect, '?') ? '&' : '?', code.data);
    if (!err && state) {
        err = mds_buf_puts(&location, "&state=");
        if (!err)
            err = mds_emu_url_encode(&location, state);
    }
    if (err) {
        aad_error(req, 500, "server_error", 50000, "The authorization code could not be issued.");
    } else {
        mds_emu_redirect(req, location.data);
    }
    mds_buf_finish(&code);
    mds_buf_finish(&location);
}

void mds_emu_authorize_v1(struct mds_emu_req *req)
{
    authorize(req, 0);
}

void mds_emu_authorize_v2(struct mds_emu_req *req)
{
    authorize(req, 1);
}
