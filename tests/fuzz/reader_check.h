/* tests/fuzz/reader_check.h — the whole corpus reader on one file, checked
 * against reader.h's promises; the reader, CSV, WARC and archive harnesses
 * drive it with their own options and inputs. */
#ifndef OPINE_FUZZ_READER_CHECK_H
#define OPINE_FUZZ_READER_CHECK_H

#include "corpus/reader.h"

#include <stddef.h>
#include <stdint.h>

/* One record the reader returned: a document or a refusal. */
struct fuzz_rec {
    int rc;
    uint64_t pos;
    uint64_t hash; /* of the text, source and id, or of the message */
};

/* What one reader gave over its inputs. */
struct fuzz_recs {
    struct fuzz_rec *v;
    size_t n, cap;
    opine_reader_counts counts;
};

/* Read path (a file of size bytes) `times` times over in one reader with
 * options o, into *out (zeroed by the caller; free out->v). Checks every
 * document (doc_check.h) and that its source is path or "path:member";
 * every refusal's message and source name the file, and no refusal is
 * OPINE_ENOMEM; the reader ends, having read no more than the file's
 * bytes. */
void fuzz_read_all(const char *path, int times, const opine_reader_opts *o,
                   size_t size, struct fuzz_recs *out);

/* The file read once and then given twice: the second reader yields the
 * first one's records twice (nothing carries over from one input to the
 * next) and counts twice as much. The records of the first read are left
 * in *once (zeroed by the caller; free once->v). */
void fuzz_read_twice(const char *path, const opine_reader_opts *o, size_t size,
                     struct fuzz_recs *once);

/* The field options a user may give (--text-field body, --id-field key,
 * two --meta mappings), set on *o. */
void fuzz_override_fields(opine_reader_opts *o);

/* FNV-1a of p[0..n) continuing from h (start with FUZZ_HASH0). */
#define FUZZ_HASH0 0xcbf29ce484222325ull
uint64_t fuzz_hash(uint64_t h, const void *p, size_t n);

#endif
