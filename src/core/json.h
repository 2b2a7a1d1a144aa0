/*
 * json.h - a thin layer over jsmn for the hot path.
 *
 * mds_json_parse() tokenises a document once (no copies: tokens are byte
 * offsets into the caller's buffer, which must outlive the mds_json).
 * Helpers find object members, walk arrays and decode strings. Writers
 * append escaped JSON strings to an mds_buf.
 */
#ifndef MDS_JSON_H
#define MDS_JSON_H

#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#ifndef MDS_JSMN_IMPLEMENTATION
#define JSMN_HEADER
#endif
#include <jsmn.h>

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

#define MDS_JSON_MAX_TOKENS (64 * 1024 * 1024)
#define MDS_JSON_MAX_DEPTH 512

struct mds_json {
    const char *js;
    size_t len;
    jsmntok_t *tok;
    int ntok;
    int cap;
    size_t err_offset; /* byte offset of a parse error */
};

void mds_json_init(struct mds_json *j);
void mds_json_finish(struct mds_json *j);

/* Strict RFC 8259 syntax check (no allocation; depth at most
 * MDS_JSON_MAX_DEPTH). On MDS_ERR_PARSE, *err_offset says where. */
mds_err mds_json_check(const char *js, size_t len, size_t *err_offset);

/* Checks, then tokenises js[0..len). On MDS_ERR_PARSE, j->err_offset
 * says where. */
mds_err mds_json_parse(struct mds_json *j, const char *js, size_t len);

/* The strict check and jsmn's tokens in one pass (json_tokenize.c):
 * the token count, MDS_JSON_TOKENIZE_NOMEM when `cap` tokens are not
 * enough (start again with more), or MDS_JSON_TOKENIZE_INVALID for
 * anything mds_json_check or jsmn would refuse (mds_json_parse then asks
 * them why). */
#define MDS_JSON_TOKENIZE_INVALID (-1)
#define MDS_JSON_TOKENIZE_NOMEM (-2)
int mds_json_tokenize(const char *js, size_t len, jsmntok_t *tok, int cap);

/* The same pass over the one value js starts with, for reading a big
 * document value by value: stops after that value and sets *used to the
 * offset of the first byte after it that is not whitespace (or len).
 * Containers may nest max_depth deep (at most MDS_JSON_MAX_DEPTH: a value
 * n levels inside a document gets MDS_JSON_MAX_DEPTH - n, so together
 * they keep the document's limit). Returns as mds_json_tokenize. */
int mds_json_tokenize_value(const char *js, size_t len, jsmntok_t *tok, int cap, int max_depth, size_t *used);

/* Tokenises the one value js starts with (mds_json_tokenize_value) into
 * j, growing j's tokens as needed; *used as there. MDS_ERR_PARSE for
 * anything invalid (no offset: callers that need to say where use
 * mds_json_parse on the whole document). j->len is the value's length. */
mds_err mds_json_parse_value(struct mds_json *j, const char *js, size_t len, int max_depth, size_t *used);

/* Index of the token after the whole subtree rooted at i. */
int mds_json_skip(const struct mds_json *j, int i);

/* Value token of member `key` (exact, case-sensitive) in object `obj`,
 * or -1. mds_json_find_ci compares ASCII case-insensitively. */
int mds_json_find(const struct mds_json *j, int obj, const char *key);
int mds_json_find_ci(const struct mds_json *j, int obj, const char *key);

/* Nonzero when token i is a string equal to `s` (raw bytes, no escapes). */
int mds_json_streq(const struct mds_json *j, int i, const char *s);

/* Nonzero when token i is the primitive null (or i < 0). */
int mds_json_is_null(const struct mds_json *j, int i);

/* Raw bytes of token i. For strings, the content without quotes and with
 * escapes left as they are; for objects and arrays, the whole text. */
const char *mds_json_raw(const struct mds_json *j, int i, size_t *len);

/* Appends the decoded value of string token i (escapes resolved, \u
 * sequences to UTF-8) to out. Primitives are appended as their text. */
mds_err mds_json_decode(const struct mds_json *j, int i, struct mds_buf *out);

/* Decodes string token i into a NUL-terminated buffer of `size` bytes;
 * MDS_ERR_LIMIT if it does not fit. */
mds_err mds_json_copy(const struct mds_json *j, int i, char *dst, size_t size);

/* Integer value of a number token (or a string holding digits). */
mds_err mds_json_int(const struct mds_json *j, int i, int64_t *out);

/* Appends s[0..n) as JSON string content (no surrounding quotes). Invalid
 * UTF-8 bytes are written as \u00XX of the Latin-1 reading, so output is
 * always valid JSON. */
mds_err mds_json_escape(struct mds_buf *out, const char *s, size_t n);

/* Appends "s" with quotes. */
mds_err mds_json_quote(struct mds_buf *out, const char *s, size_t n);

/*
 * Token-free scanning (json_scan.c) of text that passed mds_json_check():
 * the members of one object or the elements of one array, in order, as
 * spans of the caller's text. Nested values are skipped, not tokenised,
 * and nothing is allocated. On text that is not valid JSON the results
 * are unspecified but every read stays inside [s, s + len).
 */
struct mds_json_scan {
    const char *p, *end;
    int is_object;
    int done; /* the closing bracket was read; p is past it */
};

struct mds_json_member {
    const char *key; /* raw key bytes (escapes as written), NULL for array elements */
    size_t key_len;
    const char *val; /* the whole value as written: strings with their quotes */
    size_t val_len;
};

/* Starts at the object or array that s begins with (after whitespace);
 * -1 when s does not begin with '{' or '['. */
int mds_json_scan_open(struct mds_json_scan *sc, const char *s, size_t len);

/* The next member (or element), its value skipped: 1, or 0 at the end
 * (then sc->p is past the closing bracket). */
int mds_json_scan_next(struct mds_json_scan *sc, struct mds_json_member *m);

/* One pass over nested values: scan_key reads the next member's key and
 * stops at its value (m->val_len is 0); then either scan_skip passes over
 * the value, or scan_child starts a scan inside it (-1 unless it is an
 * object or array) and scan_close, whenever the caller has seen enough of
 * the child, continues after the child's closing bracket and sets
 * m->val_len. */
int mds_json_scan_key(struct mds_json_scan *sc, struct mds_json_member *m);
void mds_json_scan_skip(struct mds_json_scan *sc, struct mds_json_member *m);
int mds_json_scan_child(const struct mds_json_scan *sc, const struct mds_json_member *m, struct mds_json_scan *child);
void mds_json_scan_close(struct mds_json_scan *sc, struct mds_json_scan *child, struct mds_json_member *m);

/* Nonzero when the member's raw key is `key` (ci: ASCII case-insensitive). */
int mds_json_member_is(const struct mds_json_member *m, const char *key, int ci);

/* The raw content of a string value (escapes as written), or NULL when
 * the value is not a string. */
const char *mds_json_member_str(const struct mds_json_member *m, size_t *len);

#endif
