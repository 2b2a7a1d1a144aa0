/* registry.c - the table of output types. A new output = one file + one line. */
#include "core/engine.h"

extern const struct mds_output_type mds_output_stdout;
extern const struct mds_output_type mds_output_file;
extern const struct mds_output_type mds_output_syslog;
extern const struct mds_output_type mds_output_http;
extern const struct mds_output_type mds_output_kafka;

const struct mds_output_type *const mds_output_types[] = {
    &mds_output_stdout,
    &mds_output_file,
    &mds_output_syslog,
    &mds_output_http,
    &mds_output_kafka,
    NULL,
};
