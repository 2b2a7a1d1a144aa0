/* jwt.c - base64url and JWT claim reading (see jwt.h). */
#include "net/jwt.h"

#include <stdio.h>
#include <string.h>

#include "core/json.h"

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-' || c == '+')
        return 62;
    if (c == '_' || c == '/')
        return 63;
    return -1;
}

mds_err mds_base64url_decode(const char *s, size_t n, struct mds_buf *out)
{
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=')
            break;
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return MDS_ERR_PARSE;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            mds_err rc = mds_buf_putc(out, (char)((acc >> bits) & 0xFF));
            if (rc)
                return rc;
        }
    }
    return MDS_OK;
}

mds_err mds_base64url_encode(const void *p, size_t n, struct mds_buf *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *b = p;
    mds_err rc = MDS_OK;
    size_t i = 0;
    for (; !rc && i + 2 < n; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];
        rc = mds_buf_append(out, (char[]){tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]}, 4);
    }
    if (!rc && n - i == 1)
        rc = mds_buf_append(out, (char[]){tbl[b[i] >> 2], tbl[(b[i] & 3) << 4]}, 2);
    else if (!rc && n - i == 2) {
        unsigned v = (unsigned)b[i] << 8 | b[i + 1];
        rc = mds_buf_append(out, (char[]){tbl[v >> 10], tbl[(v >> 4) & 63], tbl[(v & 15) << 2]}, 3);
    }
    return rc;
}

static void join_claim(const struct mds_json *j, int claim, char *roles, size_t size)
{
    size_t used = strlen(roles);
    if (j->tok[claim].type == JSMN_STRING) { /* "scp": space-separated */
        char tmp[1024];
        if (mds_json_copy(j, claim, tmp, sizeof tmp) == MDS_OK)
            for (char *p = tmp; *p; p++)
                if (*p == ' ')
                    *p = ',';
        snprintf(roles + used, size - used, "%s", tmp);
        return;
    }
    if (j->tok[claim].type != JSMN_ARRAY)
        return;
    int k = claim + 1;
    for (int i = 0; i < j->tok[claim].size; i++, k = mds_json_skip(j, k)) {
        char role[128];
        if (mds_json_copy(j, k, role, sizeof role) != MDS_OK)
            continue;
        int n = snprintf(roles + used, size - used, "%s%s", used ? "," : "", role);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

mds_err mds_jwt_roles(const char *token, char *roles, size_t size)
{
    const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    struct mds_buf payload;
    struct mds_json j;
    roles[0] = '\0';
    if (!dot2)
        return MDS_ERR_PARSE;
    mds_buf_init(&payload, 64 * 1024);
    mds_json_init(&j);
    mds_err rc = mds_base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload);
    if (!rc)
        rc = mds_json_parse(&j, payload.data ? payload.data : "", payload.len);
    if (!rc && j.tok[0].type == JSMN_OBJECT) {
        int r = mds_json_find(&j, 0, "roles"), scp = mds_json_find(&j, 0, "scp");
        if (r >= 0)
            join_claim(&j, r, roles, size);
        if (scp >= 0)
            join_claim(&j, scp, roles, size);
    } else if (!rc) {
        rc = MDS_ERR_PARSE;
    }
    mds_json_finish(&j);
    mds_buf_finish(&payload);
    return rc;
}

int mds_jwt_roles_include(const char *roles, const char *role)
{
    char wide[128];
    const char *read = strstr(role, ".Read.");
    /* X.ReadWrite.All includes X.Read.All */
    if (read)
        snprintf(wide, sizeof wide, "%.*s.ReadWrite.%s", (int)(read - role), role, read + 6);
    else
        snprintf(wide, sizeof wide, "%s", role);
    for (const char *p = roles; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if ((n == strlen(role) && strncmp(p, role, n) == 0) || (n == strlen(wide) && strncmp(p, wide, n) == 0))
            return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}
