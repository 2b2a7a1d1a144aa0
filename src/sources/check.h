/*
 * check.h - `mdesiem check`: step-by-step verdicts for a source, like
 * QRadar's "Test" button. Sources implement their `check` with these
 * steps; every line says what was tried and, on failure, what to fix.
 * Nothing printed here ever contains a secret or a token.
 */
#ifndef MDS_SOURCES_CHECK_H
#define MDS_SOURCES_CHECK_H

#include "core/engine.h"
#include "net/oauth.h"

struct mds_check {
    int failures;
};

void mds_check_report(struct mds_check *c, int ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* DNS, TCP and TLS to the host of url (through the source's proxy). */
int mds_check_reach(struct mds_check *c, struct mds_source *src, const char *url);

/* Obtains a token and, when `role` is set, checks its roles claim.
 * Returns the token (owned by o) or NULL. */
const char *mds_check_token(struct mds_check *c, struct mds_source *src, struct mds_oauth *o, const char *role);

#endif
