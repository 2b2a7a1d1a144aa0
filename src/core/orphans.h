/*
 * orphans.h - warns about outbox records of outputs no longer configured.
 */
#ifndef MDS_ORPHANS_H
#define MDS_ORPHANS_H

struct mds_engine;

/* Logs one warning per output that has records waiting in the state
 * file but no section in the engine's configuration. Main thread. */
void mds_engine_warn_orphans(const struct mds_engine *e);

#endif
