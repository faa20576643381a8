/* base/utf8.h — UTF-8 validation, and file names made into valid text.
 *
 * Validation is strict RFC 3629 (no overlong forms, surrogates or code
 * points above U+10FFFF): the readers check every record with it, the
 * model loaders every model file, so what reaches SQLite as TEXT is
 * valid UTF-8 that any client (Python, R, DuckDB) can read.
 */
#ifndef OPINE_BASE_UTF8_H
#define OPINE_BASE_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence starting at s[0] (s[0..len) readable,
 * len > 0): 1 to 4, or 0 when the bytes there are not valid UTF-8 or the
 * sequence is cut off by len. Rejects overlong forms, surrogates and code
 * points above U+10FFFF, as RFC 3629 says. */
size_t opine__utf8_seq(const unsigned char *s, size_t len);

/* Offset of the first byte of s[0..len) that is not part of valid UTF-8,
 * or len when all of it is valid. */
size_t opine__utf8_check(const unsigned char *s, size_t len);

/* Length of the maximal ill-formed subpart at s[0..len) (s[0] does not
 * start a valid sequence): what one U+FFFD replaces, as the Unicode
 * standard recommends (section 3.9, "U+FFFD Substitution of Maximal
 * Subparts"). At least 1. */
size_t opine__utf8_bad_len(const unsigned char *s, size_t len);

/* Also escape C0 control characters and DEL (for messages: a file name
 * holding a newline stays on one line). */
#define OPINE_UTF8_ESCAPE_CONTROLS 1

/* A malloc'd copy of the string s (a file name, which is bytes) as valid
 * UTF-8 text: every byte that is not part of valid UTF-8 is written as the
 * four characters \xHH (hex, uppercase), as Python's "backslashreplace"
 * does, so "caf\xE9.txt" (Latin-1) is stored and shown as the text
 * "caf\xE9.txt" and can still be told apart and found. Valid UTF-8 is
 * copied unchanged, newlines included, unless flags has
 * OPINE_UTF8_ESCAPE_CONTROLS. NULL when out of memory. The caller frees. */
char *opine__utf8_escape(const char *s, int flags);

#endif
