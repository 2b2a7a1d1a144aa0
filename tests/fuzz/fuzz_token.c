/* Fuzz target: token responses from the identity service. */
#include <stddef.h>
#include <stdint.h>

#include "core/mem.h"
#include "net/oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *token = NULL, err[256];
    int64_t ttl;
    if (mds_oauth_parse_response((const char *)data, size, &token, &ttl, err, sizeof err) == MDS_OK && ttl <= 0)
        __builtin_trap();
    mds_free(token);
    return 0;
}
