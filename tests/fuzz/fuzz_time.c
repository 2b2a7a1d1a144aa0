/* Fuzz target: ISO 8601 parsing must round-trip through formatting. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mds_ticks t, back;
    char buf[64];
    int64_t ms;
    if (mds_time_parse((const char *)data, size, &t) == MDS_OK) {
        size_t n = mds_time_format(t, 7, buf, sizeof buf);
        if (n && (mds_time_parse(buf, n, &back) != MDS_OK || back != t))
            __builtin_trap();
    }
    if (size < sizeof buf) {
        memcpy(buf, data, size);
        buf[size] = '\0';
        mds_duration_parse(buf, &ms);
    }
    return 0;
}
