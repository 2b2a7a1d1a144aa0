/*
 * escape.h - byte-exact escaping for the line-oriented SIEM formats.
 *
 * Every function appends to an mds_buf and fails only at the buffer's
 * ceiling (MDS_ERR_LIMIT) or on allocation (MDS_ERR_NOMEM). Input is the
 * decoded bytes of a JSON string: UTF-8, possibly invalid. Output is always
 * valid UTF-8: a byte that does not start a valid UTF-8 sequence is read as
 * Latin-1 and written as the UTF-8 of that code point (0xE9 -> U+00E9),
 * the same reading the JSON writer (core/json.c) uses for \u00XX.
 *
 * The rules (docs/formats.md repeats them; spec section 6):
 *
 *   CEF header field   \ -> \\    | -> \|    CR, LF and every other C0
 *                      control and DEL -> one space; = left alone.
 *   CEF extension      \ -> \\    = -> \=    LF -> \n    CR -> \r; TAB
 *   value              kept; other C0 controls and DEL -> one space;
 *                      | left alone.
 *   LEEF header field  | -> U+00A6 (broken bar); C0 controls, DEL -> space.
 *   LEEF value         the delimiter, CR, LF, TAB, other C0 controls and
 *                      DEL -> one space (an underscore when the delimiter
 *                      is itself a space). LEEF has no escape character.
 */
#ifndef MDS_FORMATS_ESCAPE_H
#define MDS_FORMATS_ESCAPE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

mds_err mds_cef_escape_header(struct mds_buf *out, const char *s, size_t n);
mds_err mds_cef_escape_value(struct mds_buf *out, const char *s, size_t n);
mds_err mds_leef_escape_header(struct mds_buf *out, const char *s, size_t n);
mds_err mds_leef_escape_value(struct mds_buf *out, const char *s, size_t n, char delim);

/* Length (1..4) of the valid UTF-8 sequence at p, or 0 when p[0] does not
 * start one (stray continuation byte, overlong form, surrogate, > U+10FFFF,
 * truncated). p < end. */
size_t mds_utf8_seq_len(const unsigned char *p, const unsigned char *end);

/* Length of the leading run of s[0..n) made of printable ASCII (0x20 to
 * 0x7F): eight bytes at a time. The hot paths skip such runs unexamined. */
size_t mds_plain_run(const char *s, size_t n);

/* Nonzero when JSON text s[0..n) (already syntax-checked) can be copied as
 * it is: valid UTF-8 and no control bytes other than TAB, CR and LF (CR
 * and LF can only be whitespace between tokens then; writers turn them
 * into spaces to keep one event per line). */
int mds_json_raw_copyable(const char *s, size_t n);

/* Nonzero when c may be a LEEF 2.0 delimiter: one ASCII byte other than
 * NUL, CR, LF, '=' and '|' (those would make the event ambiguous). */
int mds_leef_delimiter_ok(char c);

/* Parses a delimiter as users write it: one character ("^"), "\t" or
 * "tab", or a hex code "x09" / "0x09" (1-4 hex digits, value <= 0x7F).
 * MDS_ERR_ARG when invalid or not allowed by mds_leef_delimiter_ok(). */
mds_err mds_leef_delimiter_parse(const char *s, char *out);

/* Writes the delimiter as the LEEF 2.0 header spells it: the character
 * itself when it is printable ASCII other than space, else "xHH" (two
 * lower-case hex digits, e.g. "x09" for TAB). buf needs 4 bytes; returns
 * the length written. */
size_t mds_leef_delimiter_spell(char c, char *buf, size_t size);

#endif
