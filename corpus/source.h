/* corpus/source.h — the byte layer under the reader: a file descriptor,
 * inflated on the fly when it holds gzip data.
 *
 * Internal to corpus/. A source hands out the decompressed bytes of one
 * input in chunks; it never buffers more than one raw chunk and one zlib
 * window. Damage (a truncated member, a CRC mismatch, bad deflate data) is
 * reported when the reader asks for the bytes that lie beyond it, so every
 * byte inflated before the damage is delivered first.
 */
#ifndef OPINE_CORPUS_SOURCE_H
#define OPINE_CORPUS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct opine__source opine__source;

/* Wrap fd (owned and closed by the source, even when opening fails, unless
 * it is 0, standard input).
 * Peeks at the first raw bytes to tell gzip from plain data, which works on
 * pipes too. Returns 0, OPINE_ENOMEM or OPINE_EIO (with errno set). */
int opine__source_open(opine__source **out, int fd);

/* Read up to cap decompressed bytes into dst; *n is how many (0 at the end
 * of the input). Returns 0, or OPINE_ECORRUPT / OPINE_EIO / OPINE_ENOMEM,
 * after which opine__source_detail() says what happened in a few words. */
int opine__source_read(opine__source *s, unsigned char *dst, size_t cap,
                       size_t *n);

/* A static or source-owned description of the last error, e.g.
 * "truncated gzip stream". */
const char *opine__source_detail(const opine__source *s);

/* Raw (compressed) bytes consumed from the descriptor so far. */
uint64_t opine__source_raw_bytes(const opine__source *s);

/* Nonzero when the input is gzip. */
int opine__source_is_gzip(const opine__source *s);

void opine__source_close(opine__source *s);

#endif
