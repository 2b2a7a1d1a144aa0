/*
 * emulator.h - the local Defender cloud behind `mdesiem emulate`.
 *
 * One process-wide object (struct mds_emu) owns an HTTP server on
 * 127.0.0.1 and a seeded "alert universe". The same universe is served
 * through the token service, Graph alerts_v2, the MDE API and the legacy
 * SIEM API, with optional fault injection. This header is what the
 * command (cmd_emulate.c) needs; everything else is in internal.h.
 */
#ifndef MDS_EMULATOR_H
#define MDS_EMULATOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/timeutil.h"

/* Fault kinds, in the order of the descriptor table in faults.c. */
enum mds_emu_fault {
    MDS_EMU_FAULT_429 = 0,
    MDS_EMU_FAULT_500,
    MDS_EMU_FAULT_503,
    MDS_EMU_FAULT_SLOW,
    MDS_EMU_FAULT_TRUNCATE,
    MDS_EMU_FAULT_MALFORMED,
    MDS_EMU_FAULT_RESET,
    MDS_EMU_FAULT_EXPIRE,
    MDS_EMU_FAULT_COUNT
};

/* Behaviour switches (--quirk), see quirks in docs/emulator.md. */
struct mds_emu_quirks {
    size_t top_clamp;      /* 0 = off; else Graph pages never exceed this */
    int no_next_link;      /* never emit @odata.nextLink */
    size_t skip_limit;     /* 0 = off; else $skip above this is a 400 */
    size_t late_arrival_s; /* 0 = off; else new alerts are back-dated */
    size_t same_timestamp; /* 0/1 = off; else N alerts share one timestamp */
    int enum_unknown;      /* generate evolvable enum members */
    int legacy_casing;     /* legacy SIEM keys in the S9 spelling */
};

/* The emulator's built-in test credential (documented, printed at start). */
#define MDS_EMU_DEFAULT_SECRET "emulator-secret"

struct mds_emu_config {
    char host[64]; /* listen address, numeric IPv4 */
    unsigned port; /* 0 = pick a free port */
    uint64_t seed;
    size_t alerts; /* initial universe size */
    char client_id[128];
    char client_secret[256];
    char tenant[128];
    int64_t token_ttl;  /* seconds */
    double retry_after; /* seconds, may be fractional */
    double fault_rate[MDS_EMU_FAULT_COUNT];
    int64_t slow_ms;      /* delay of the `slow` fault */
    mds_ticks clock;      /* fixed virtual clock; 0 = wall clock */
    char siem_prefix[64]; /* path prefix serving the legacy SIEM API */
    unsigned roles_mask;  /* roles put into tokens (bit per role) */
    int mde_rate_limit;   /* enforce 100/min and 1500/h on the MDE API */
    char tls_cert[512];   /* PEM with certificate and key; "" = HTTP */
    char client_cert[512]; /* PEM certificate accepted for client assertions; "" = none */
    struct mds_emu_quirks quirks;
};

struct mds_emu;

/* Fills cfg with the documented defaults. */
void mds_emu_config_defaults(struct mds_emu_config *cfg);

/* Parses "429=0.1,500=0.05" into cfg->fault_rate. Unknown kinds or rates
 * outside [0,1] are MDS_ERR_ARG with a message in errstr. */
mds_err mds_emu_faults_parse(struct mds_emu_config *cfg, const char *spec, char *errstr, size_t errlen);

/* --quirk NAME[=N],...: see docs/emulator.md. */
mds_err mds_emu_quirks_parse(struct mds_emu_config *cfg, const char *spec, char *errstr, size_t errlen);

/* --roles ROLE,...|none: the application roles put into access tokens. */
mds_err mds_emu_roles_parse(struct mds_emu_config *cfg, const char *spec, char *errstr, size_t errlen);

/* Builds the universe and starts the server. On success *out owns
 * everything; release with mds_emu_destroy(). */
mds_err mds_emu_create(const struct mds_emu_config *cfg, struct mds_emu **out, char *errstr, size_t errlen);

/* The bound TCP port (useful with port 0). */
unsigned mds_emu_port(const struct mds_emu *e);

/* Stops the server (in-flight requests finish) and frees everything.
 * Accepts NULL. */
void mds_emu_destroy(struct mds_emu *e);

#endif
