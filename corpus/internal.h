/* corpus/internal.h — helpers shared by the files of corpus/; not public.
 *
 * The reader (reader.c) splits inputs into records; jsonl.c turns one JSON
 * line into a document; date.c (public through reader.h) normalises dates.
 * UTF-8 is validated by base/utf8.h.
 */
#ifndef OPINE_CORPUS_INTERNAL_H
#define OPINE_CORPUS_INTERNAL_H

#include "base/utf8.h"
#include "corpus/reader.h"

#include <stddef.h>

/* Map one JSON line (line[0..len), valid UTF-8) onto *doc (which must be
 * OPINE_DOC_INIT) following the field rules in reader.h. Fills everything
 * but source and position. Returns 1, or a negative error with a short
 * explanation written into detail[detail_size] (without the "FILE: line N: "
 * prefix, which the caller adds); *doc is left OPINE_DOC_INIT on error. */
int opine__jsonl_doc(const char *line, size_t len,
                     const opine_reader_opts *opts, opine_doc *doc,
                     char *detail, size_t detail_size);

#endif
