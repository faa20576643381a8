/* corpus/archive.h — archives and compressed streams through libarchive.
 *
 * Internal to corpus/. An archive reads the bytes of a source (a file, or a
 * member of another archive; gzip already inflated by the source) as tar,
 * zip, 7z, cpio, ar, rar, ISO 9660 or a single compressed stream (xz,
 * bzip2, zstd, lz4, lzip, lzma, compress), and hands out its regular
 * files one at a time, as a pull function a source reads from. Nothing
 * is written to disk and no member is held whole: libarchive decodes in
 * blocks as the data is asked for.
 */
#ifndef OPINE_CORPUS_ARCHIVE_H
#define OPINE_CORPUS_ARCHIVE_H

#include "corpus/source.h"

#include <stddef.h>
#include <stdint.h>

typedef struct opine__archive opine__archive;

/* Whether the first bytes of a stream are the magic number of a format
 * or compression libarchive reads (not gzip, which source.c inflates). */
int opine__archive_magic(const unsigned char *s, size_t n);

/* Open an archive over `below`. The first nprefix bytes of below were
 * already read (they are prefix[0..nprefix), copied); when below can seek
 * it is rewound instead, so that zip and 7z may seek. below stays the
 * caller's and must outlive the archive. Returns 0, OPINE_EBINARY when the
 * bytes are neither an archive nor a compressed stream, OPINE_ECORRUPT
 * when libarchive cannot read them, or OPINE_ENOMEM; *detail then says
 * what happened (valid until the archive or the next call is freed). */
int opine__archive_open(opine__archive **out, opine__source *below,
                        const unsigned char *prefix, size_t nprefix,
                        const char **detail);

/* Move to the next regular file. Returns 1 with its path in *name (owned
 * by the archive, valid until the next call), 0 at the end, or
 * OPINE_ECORRUPT / OPINE_ENOMEM for damage, after which the archive is
 * done (opine__archive_detail() says what happened). Directories, links,
 * devices and names with a component starting with '.' (or __MACOSX/,
 * the resource forks macOS adds to zips) are passed over. */
int opine__archive_next(opine__archive *a, const char **name);

/* An opine__pull_fn over the current member's data (ctx is the archive).
 * A damaged member gives OPINE_ECORRUPT; opine__archive_fatal() then says
 * whether the rest of the archive is lost too. */
int opine__archive_pull(void *ctx, unsigned char *dst, size_t cap, size_t *n,
                        const char **detail);

/* 1 when the input is a single compressed stream rather than an archive
 * (its one member has no name of its own). */
int opine__archive_is_stream(const opine__archive *a);

/* 1 after damage that ends the archive. */
int opine__archive_fatal(const opine__archive *a);

/* What the archive is, e.g. "tar (zstd)", "zip", "xz stream". */
const char *opine__archive_kind(const opine__archive *a);

/* The last error's description. */
const char *opine__archive_detail(const opine__archive *a);

/* Bytes the members' data has delivered so far (for the bomb guard). */
uint64_t opine__archive_unpacked(const opine__archive *a);

void opine__archive_close(opine__archive *a);

#endif
