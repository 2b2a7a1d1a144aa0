/* Fuzz target: the json format on arbitrary JSON objects (fuzz_format.h). */
#include "fuzz_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_format("json", data, size); }
