/* Fuzz target: the JSON checker and tokeniser agree, and every string a
 * valid document holds decodes and re-escapes into valid JSON. */
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mds_json j;
    struct mds_buf dec, enc;
    size_t off;
    mds_json_init(&j);
    mds_buf_init(&dec, 0);
    mds_buf_init(&enc, 0);
    mds_err rc = mds_json_parse(&j, (const char *)data, size);
    if (rc == MDS_OK) {
        for (int i = 0; i < j.ntok; i++) {
            if (j.tok[i].type != JSMN_STRING)
                continue;
            mds_buf_reset(&dec);
            mds_buf_reset(&enc);
            if (mds_json_decode(&j, i, &dec) || mds_json_quote(&enc, dec.data ? dec.data : "", dec.len))
                __builtin_trap();
            if (mds_json_check(enc.data, enc.len, &off))
                __builtin_trap();
        }
        if (j.tok[0].type == JSMN_OBJECT)
            mds_json_find(&j, 0, "id");
    } else if (rc == MDS_ERR_PARSE && j.err_offset > size) {
        __builtin_trap();
    }
    mds_buf_finish(&dec);
    mds_buf_finish(&enc);
    mds_json_finish(&j);
    return 0;
}
