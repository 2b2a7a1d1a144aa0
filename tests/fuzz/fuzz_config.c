/* Fuzz target: the INI parser and validation against every key table. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/config.h"
#include "core/engine.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = mds_strndup((const char *)data, size);
    struct mds_conf *conf = NULL;
    char err[512];
    if (text && mds_conf_parse_string(text, "fuzz.ini", &conf, err, sizeof err) == MDS_OK) {
        static const struct mds_conf_key *const tables[] = {mds_service_keys, mds_source_common_keys,
                                                            mds_output_common_keys, NULL};
        for (size_t i = 0; i < conf->nsections; i++) {
            if (mds_conf_validate(conf, &conf->sections[i], tables, err, sizeof err) == MDS_OK) {
                mds_conf_ms(&conf->sections[i], "recurrence");
                mds_conf_bytes(&conf->sections[i], "max_response_bytes");
            }
        }
    }
    mds_conf_destroy(conf);
    mds_free(text);
    return 0;
}
