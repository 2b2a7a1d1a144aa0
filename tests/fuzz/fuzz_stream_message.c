/* Fuzz target: splitting a Streaming API message into its records (every
 * byte an Event Hub delivers goes through it), the category filter and the
 * connection-string reader. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/mem.h"
#include "sources/eventhub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"AdvancedHunting-DeviceProcessEvents", "alertinfo"};
    struct mds_eh_split s;
    char why[256];
    const char *body = (const char *)data;
    mds_eh_split_init(&s);
    if (mds_eh_split_message(&s, body, size, why, sizeof why) == MDS_OK) {
        for (size_t i = 0; i < s.n; i++) {
            const struct mds_eh_record *r = &s.recs[i];
            if (r->off + r->len > size || r->len < 2 || body[r->off] != '{' || body[r->off + r->len - 1] != '}' ||
                r->cat_off + r->cat_len > size)
                __builtin_trap();
            mds_eh_category_match(names, 2, body + r->cat_off, r->cat_len);
        }
    } else if (s.n != 0) {
        __builtin_trap(); /* a rejected message yields no records */
    }
    mds_eh_split_finish(&s);
    char *cs = mds_strndup(body, size < 4096 ? size : 4096);
    if (cs) {
        struct mds_eh_conn c;
        mds_eh_parse_connection_string(cs, &c, why, sizeof why);
        mds_free(cs);
    }
    return 0;
}
