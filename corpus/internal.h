/* corpus/internal.h — helpers shared by the files of corpus/; not public.
 *
 * The reader (reader.c) splits inputs into records; jsonl.c turns one JSON
 * line into a document; utf8.c validates UTF-8; date.c (public through
 * reader.h) normalises dates.
 */
#ifndef OPINE_CORPUS_INTERNAL_H
#define OPINE_CORPUS_INTERNAL_H

#include "corpus/reader.h"

#include <stddef.h>

/* Length of the valid UTF-8 sequence starting at s[0] (s[0..len) readable,
 * len > 0): 1 to 4, or 0 when the bytes there are not valid UTF-8 or the
 * sequence is cut off by len. Rejects overlong forms, surrogates and code
 * points above U+10FFFF, as RFC 3629 says. */
size_t opine__utf8_seq(const unsigned char *s, size_t len);

/* Offset of the first byte of s[0..len) that is not part of valid UTF-8,
 * or len when all of it is valid. */
size_t opine__utf8_check(const unsigned char *s, size_t len);

/* Map one JSON line (line[0..len), valid UTF-8) onto *doc (which must be
 * OPINE_DOC_INIT) following the field rules in reader.h. Fills everything
 * but source and position. Returns 1, or a negative error with a short
 * explanation written into detail[detail_size] (without the "FILE: line N: "
 * prefix, which the caller adds); *doc is left OPINE_DOC_INIT on error. */
int opine__jsonl_doc(const char *line, size_t len,
                     const opine_reader_opts *opts, opine_doc *doc,
                     char *detail, size_t detail_size);

/* Copy of s[0..n) with a terminating NUL, or NULL when out of memory. */
char *opine__strndup(const char *s, size_t n);

#endif
