/* tests/fuzz/doc_check.h — the promises of an opine_doc (corpus/reader.h),
 * checked by the JSON-lines and reader harnesses. */
#ifndef OPINE_FUZZ_DOC_CHECK_H
#define OPINE_FUZZ_DOC_CHECK_H

#include "corpus/reader.h"

/* text non-blank valid UTF-8 without NUL, NUL-terminated at text_len;
 * every other string valid UTF-8 (so it goes into SQLite as TEXT);
 * published a YYYY-MM-DD date; meta keys and values present, no key
 * twice. */
void fuzz_check_doc(const opine_doc *doc);

#endif
