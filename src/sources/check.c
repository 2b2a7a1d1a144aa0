/* check.c - the steps of `mdesiem check` shared by sources. */
#include "sources/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "net/jwt.h"

void mds_check_report(struct mds_check *c, int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  %-5s ", ok ? "ok" : "FAIL");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    fflush(stdout);
    if (!ok)
        c->failures++;
}

int mds_check_reach(struct mds_check *c, struct mds_source *src, const char *url)
{
    char where[256], err[256];
    mds_url_for_log(url, where, sizeof where);
    mds_err rc = mds_http_connect(src->http, url, err, sizeof err);
    int tls = strncmp(url, "https:", 6) == 0;
    mds_check_report(c, rc == MDS_OK, "reach %s%s%s%s", where, src->http_conf.proxy ? " through the proxy" : "",
                     rc ? ": " : tls ? " (DNS, TCP, TLS)" : " (DNS, TCP)", rc ? err : "");
    return rc == MDS_OK;
}

static void report_roles(struct mds_check *c, const char *token, const char *role)
{
    char roles[1024];
    if (mds_jwt_roles(token, roles, sizeof roles) != MDS_OK) {
        mds_check_report(c, 1, "token is not a JWT; permission %s not verifiable here", role);
        return;
    }
    if (mds_jwt_roles_include(roles, role)) {
        mds_check_report(c, 1, "permission %s granted", role);
        return;
    }
    mds_check_report(c, 0,
                     "permission %s missing (token has: %s): in Entra ID, App registrations > this app > API "
                     "permissions, add the application permission %s and grant admin consent",
                     role, *roles ? roles : "none", role);
}

const char *mds_check_token(struct mds_check *c, struct mds_source *src, struct mds_oauth *o, const char *role)
{
    const char *token = NULL;
    char err[512] = "";
    int64_t retry_after;
    char where[256];
    mds_url_for_log(o->conf.token_url, where, sizeof where);
    mds_oauth_invalidate(o);
    mds_err rc = mds_oauth_token(o, src->http, &token, &retry_after, err, sizeof err);
    if (rc == MDS_ERR_AUTH)
        mds_check_report(c, 0, "token refused by %s: %s (check client_id, the secret and tenant_id)", where, err);
    else if (rc)
        mds_check_report(c, 0, "no token from %s: %s", where, err);
    else
        mds_check_report(c, 1, "token obtained from %s (%s %s)", where, o->conf.scope ? "scope" : "resource",
                         o->conf.scope ? o->conf.scope : o->conf.resource);
    if (rc)
        return NULL;
    if (role)
        report_roles(c, token, role);
    return token;
}
