/*
 * orphans.c - records waiting in the outbox for an output that is no
 * longer configured. They are kept (nothing is dropped silently) until an
 * [output NAME] of that name exists again; this says so in the log at
 * start and after a reload, as `status` does.
 */
#include "core/orphans.h"

#include <string.h>

#include "core/engine_internal.h"
#include "core/log.h"

static void check_output(const struct mds_output_status *s, void *arg)
{
    const struct mds_engine *e = arg;
    if (s->pending_rows == 0)
        return;
    for (size_t i = 0; i < e->noutputs; i++)
        if (strcmp(e->outputs[i]->name, s->name) == 0)
            return;
    mds_warn("main",
             "output %s is no longer configured: %lld records wait for it in the outbox and are kept "
             "until an [output %s] section exists again",
             s->name, (long long)s->pending_rows, s->name);
}

void mds_engine_warn_orphans(const struct mds_engine *e)
{
    char err[512];
    struct mds_db *db = NULL;
    if (mds_db_open(e->state_path, 0, &db, err, sizeof err) != MDS_OK)
        return; /* a new state file has no orphans; other errors surface when the engine opens it */
    mds_db_each_output(db, check_output, (void *)e);
    mds_db_close(db);
}
