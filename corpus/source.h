/* corpus/source.h — the byte layer under the reader: a file descriptor or
 * an archive member, inflated on the fly when it holds gzip data.
 *
 * Internal to corpus/. A source hands out the decompressed bytes of one
 * input in chunks; it never buffers more than one raw chunk and one zlib
 * window. Its raw bytes come from read(2) on a descriptor or from a pull
 * function (the data of an archive member, see archive.h). Damage (a truncated
 * member, a CRC mismatch, bad deflate data) is reported when the reader asks
 * for the bytes that lie beyond it, so every byte inflated before the damage is
 * delivered first.
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

/* Where a pull source gets its raw bytes: up to cap bytes into dst, *n
 * how many (0 at the end). Returns 0, or a negative error with a short
 * description in *detail (static or owned by ctx, valid until the next
 * call). */
typedef int (*opine__pull_fn)(void *ctx, unsigned char *dst, size_t cap,
                              size_t *n, const char **detail);

/* A source over a pull function instead of a descriptor; ctx stays the
 * caller's. Returns 0 or OPINE_ENOMEM, or the pull function's error while
 * peeking (with opine__source_detail() of the failed source unavailable:
 * *detail, when not NULL, gets the pull function's description). */
int opine__source_open_pull(opine__source **out, opine__pull_fn fn, void *ctx,
                            const char **detail);

/* Start over at raw byte offset `offset` of a plain (not gzip) descriptor
 * source that is a regular file: for archive formats that seek (zip's
 * central directory, 7z). Returns the new offset, or -1 when the source
 * cannot seek. */
int64_t opine__source_seek(opine__source *s, int64_t offset, int whence);

/* Whether opine__source_seek() works on s. */
int opine__source_can_seek(const opine__source *s);

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
