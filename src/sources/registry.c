/* registry.c - the table of source types. A new source = one file + one line. */
#include "core/engine.h"

extern const struct mds_source_type mds_source_graph;
extern const struct mds_source_type mds_source_mde;
extern const struct mds_source_type mds_source_siem;
extern const struct mds_source_type mds_source_eventhub;

const struct mds_source_type *const mds_source_types[] = {
    &mds_source_graph,
    &mds_source_mde,
    &mds_source_siem,
    &mds_source_eventhub,
    NULL,
};
