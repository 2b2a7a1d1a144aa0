/* Fuzz target: the OData collection page parser (every byte the Graph
 * and MDE APIs send goes through it). */
#include <stddef.h>
#include <stdint.h>

#include "sources/odata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mds_json j;
    struct mds_graph_page p = {0};
    struct mds_keyset k = {0};
    char err[256];
    mds_json_init(&j);
    if (mds_graph_parse_page(&j, (const char *)data, size, "lastUpdateDateTime", &p, err, sizeof err) == MDS_OK) {
        mds_keyset_start(&k, 0, 0, 100);
        mds_keyset_advance(&k, &p);
        for (size_t i = 0; i < p.n; i++)
            if (p.items[i].body < (const char *)data || p.items[i].body + p.items[i].body_len > (const char *)data + size)
                __builtin_trap();
    }
    mds_graph_page_finish(&p);
    mds_json_finish(&j);
    return 0;
}
