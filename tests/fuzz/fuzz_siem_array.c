/* Fuzz target: the legacy SIEM API array parser. */
#include <stddef.h>
#include <stdint.h>

#include "sources/odata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mds_json j;
    struct mds_graph_page p = {0};
    char err[256];
    mds_json_init(&j);
    if (mds_siem_parse_array(&j, (const char *)data, size, &p, err, sizeof err) == MDS_OK)
        for (size_t i = 0; i < p.n; i++)
            if (p.items[i].body[0] != '{' || p.items[i].body[p.items[i].body_len - 1] != '}')
                __builtin_trap();
    mds_graph_page_finish(&p);
    mds_json_finish(&j);
    return 0;
}
