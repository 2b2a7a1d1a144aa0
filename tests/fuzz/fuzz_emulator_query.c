/* Fuzz target: the emulator's request parsers - the OData $filter subset,
 * query strings / form bodies and percent-decoding - must never crash,
 * read out of bounds or report success with an impossible result. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_filter(const char *s, size_t n)
{
    struct mds_emu_filter f;
    if (mds_emu_filter_parse(s, n, &f) == MDS_OK) {
        if (f.n < 1 || f.n > MDS_EMU_MAX_CLAUSES)
            __builtin_trap();
        for (int i = 0; i < f.n; i++)
            if (!f.c[i].prop[0] || strlen(f.c[i].str) >= sizeof f.c[i].str)
                __builtin_trap();
    } else if (!f.err[0]) {
        __builtin_trap(); /* every failure explains itself */
    }
}

static void check_params(const char *s, size_t n)
{
    struct mds_emu_params ps = {0};
    struct mds_buf b;
    if (mds_emu_params_parse(&ps, s, n) == MDS_OK) {
        for (int i = 0; i < ps.n; i++)
            if (ps.p[i].raw < s || ps.p[i].raw + ps.p[i].raw_len > s + n)
                __builtin_trap();
        mds_buf_init(&b, 1 << 20);
        if (mds_emu_params_rebuild(&ps, "$skip", "10", &b) == MDS_OK && !mds_emu_params_get(&ps, "$skip") &&
            ps.n < MDS_EMU_MAX_PARAMS) {
            struct mds_emu_params again = {0};
            if (mds_emu_params_parse(&again, b.data, b.len) == MDS_OK && again.n == ps.n + 1 &&
                strcmp(mds_emu_params_get(&again, "$skip"), "10") != 0)
                __builtin_trap();
            mds_emu_params_finish(&again);
        }
        mds_buf_finish(&b);
    }
    mds_emu_params_finish(&ps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_filter(s, size);
    check_params(s, size);
    size_t n = mds_emu_url_decode(s, size);
    if (n > size || s[n] != '\0')
        __builtin_trap();
    free(s);
    return 0;
}
