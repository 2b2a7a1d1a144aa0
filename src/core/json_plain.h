/*
 * json_plain.h - the word-at-a-time scan both the strict checker
 * (json_check.c) and the string escaper (json.c) run inside strings.
 * Internal to src/core.
 */
#ifndef MDS_JSON_PLAIN_H
#define MDS_JSON_PLAIN_H

#include <stdint.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mds_json_skip_plain assumes a little-endian load order"
#endif

/* Skips, eight bytes at a time, a run holding no '"', no '\\' and no
 * control byte (and, with stop_at_non_ascii, no byte >= 0x80), and
 * returns the first byte the caller's byte loop must look at. The word
 * tests (has-zero / has-less-than) flag the first special byte exactly: a
 * borrow can only flag bytes after it, and the lowest flagged byte is the
 * first in a little-endian load. */
static inline const unsigned char *mds_json_skip_plain(const unsigned char *p, const unsigned char *end,
                                                       int stop_at_non_ascii)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t special = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w);
        if (stop_at_non_ascii)
            special |= w;
        special &= highs;
        if (special)
            return p + __builtin_ctzll(special) / 8;
        p += 8;
    }
    return p;
}

#endif
