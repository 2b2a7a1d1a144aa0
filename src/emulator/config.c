/*
 * config.c - the emulator's configuration: defaults and the parsers of
 * the option values that are more than a number (--quirk, --roles,
 * --clock). One table per option family, so adding a quirk is one line.
 */
#include "emulator/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mds_emu_config_defaults(struct mds_emu_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
    cfg->seed = 1;
    cfg->alerts = 100;
    snprintf(cfg->client_id, sizeof cfg->client_id, "11111111-2222-3333-4444-555555555555");
    snprintf(cfg->client_secret, sizeof cfg->client_secret, "%s", MDS_EMU_DEFAULT_SECRET);
    snprintf(cfg->tenant, sizeof cfg->tenant, "00000000-0000-0000-0000-000000000001");
    cfg->token_ttl = 3599;
    cfg->retry_after = 1.0;
    cfg->slow_ms = 2000;
    cfg->roles_mask = MDS_EMU_ROLE_ALL;
    snprintf(cfg->siem_prefix, sizeof cfg->siem_prefix, "/siem");
}

enum quirk_kind { Q_FLAG, Q_COUNT };

static const struct quirk_desc {
    const char *name;
    enum quirk_kind kind;
    size_t offset;
    const char *help;
} quirks[] = {
    {"top-clamp", Q_COUNT, offsetof(struct mds_emu_quirks, top_clamp), "Graph pages hold at most N alerts"},
    {"no-next-link", Q_FLAG, offsetof(struct mds_emu_quirks, no_next_link), "never send @odata.nextLink"},
    {"skip-limit", Q_COUNT, offsetof(struct mds_emu_quirks, skip_limit), "$skip above N is a 400"},
    {"late-arrival", Q_COUNT, offsetof(struct mds_emu_quirks, late_arrival_s),
     "created alerts are back-dated by N seconds"},
    {"same-timestamp", Q_COUNT, offsetof(struct mds_emu_quirks, same_timestamp),
     "N consecutive new timestamps are equal"},
    {"enum-unknown", Q_FLAG, offsetof(struct mds_emu_quirks, enum_unknown),
     "generate evolvable enum members (unknownFutureValue without Prefer)"},
    {"legacy-casing", Q_FLAG, offsetof(struct mds_emu_quirks, legacy_casing),
     "legacy SIEM keys spelled IPAddress, URL, ReportId, ..."},
};

static mds_err quirk_one(struct mds_emu_quirks *q, const char *item, size_t n, char *errstr, size_t errlen)
{
    const char *eq = memchr(item, '=', n);
    size_t kn = eq ? (size_t)(eq - item) : n;
    for (size_t i = 0; i < sizeof quirks / sizeof quirks[0]; i++) {
        const struct quirk_desc *d = &quirks[i];
        if (strlen(d->name) != kn || strncmp(d->name, item, kn) != 0)
            continue;
        char num[24], *end;
        size_t vn = eq ? n - kn - 1 : 0;
        if (d->kind == Q_FLAG && !eq) {
            *(int *)((char *)q + d->offset) = 1;
            return MDS_OK;
        }
        if (d->kind == Q_COUNT && eq && vn > 0 && vn < sizeof num) {
            memcpy(num, eq + 1, vn);
            num[vn] = '\0';
            unsigned long long v = strtoull(num, &end, 10);
            if (!*end && num[0] != '-' && v > 0 && v <= 100000000) {
                *(size_t *)((char *)q + d->offset) = (size_t)v;
                return MDS_OK;
            }
        }
        snprintf(errstr, errlen, "--quirk: '%.*s' needs %s", (int)n, item,
                 d->kind == Q_FLAG ? "no value" : "=N with N a positive integer");
        return MDS_ERR_ARG;
    }
    snprintf(errstr, errlen,
             "--quirk: unknown quirk '%.*s' (top-clamp=N, no-next-link, skip-limit=N, "
             "late-arrival=SECONDS, same-timestamp=N, enum-unknown, legacy-casing)",
             (int)kn, item);
    return MDS_ERR_ARG;
}

mds_err mds_emu_quirks_parse(struct mds_emu_config *cfg, const char *spec, char *errstr, size_t errlen)
{
    for (const char *p = spec; *p;) {
        size_t n = strcspn(p, ",");
        mds_err err = n ? quirk_one(&cfg->quirks, p, n, errstr, errlen) : MDS_OK;
        if (err)
            return err;
        p += n + (p[n] == ',');
    }
    return MDS_OK;
}

mds_err mds_emu_roles_parse(struct mds_emu_config *cfg, const char *spec, char *errstr, size_t errlen)
{
    unsigned mask = 0;
    if (strcmp(spec, "none") == 0) {
        cfg->roles_mask = 0;
        return MDS_OK;
    }
    for (const char *p = spec; *p;) {
        size_t n = strcspn(p, ","), before = mask;
        for (int r = 0; r < MDS_EMU_ROLE_COUNT; r++)
            if (strlen(mds_emu_role_names[r]) == n && strncmp(mds_emu_role_names[r], p, n) == 0)
                mask |= 1u << r;
        if (n && mask == before) {
            snprintf(errstr, errlen,
                     "--roles: unknown role '%.*s' (SecurityAlert.Read.All, "
                     "SecurityIncident.Read.All, Alert.Read.All or none)",
                     (int)n, p);
            return MDS_ERR_ARG;
        }
        p += n + (p[n] == ',');
    }
    cfg->roles_mask = mask;
    return MDS_OK;
}
