/* registry.c - the table of output types. A new output = one file + one line. */
#include "core/engine.h"

extern const struct mds_output_type mds_output_stdout;
extern const struct mds_output_type mds_output_file;

const struct mds_output_type *const mds_output_types[] = {
    &mds_output_stdout,
    &mds_output_file,
    NULL,
};
