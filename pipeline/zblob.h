/* pipeline/zblob.h — the compressed blobs opine stores: document bodies
 * (documents.body) and, in databases of format 1, token streams.
 *
 * opine writes a body as one zstd frame (RFC 8878) at level 1: at the same
 * size as zlib at level 1 it compresses about twice and inflates about
 * twice as fast as libdeflate's zlib (ABP, 225 MB of text in 37,547
 * bodies: 1.0 s against 1.9 s, 0.29 s against 0.58 s). Databases written
 * before hold zlib streams (RFC 1950); every reader takes both, told apart
 * by their first bytes (a zstd frame starts 28 B5 2F FD, a zlib stream's
 * first two bytes are a multiple of 31 with compression method 8). */
#ifndef OPINE_PIPELINE_ZBLOB_H
#define OPINE_PIPELINE_ZBLOB_H

#include <stddef.h>

/* One thread's compression and decompression contexts, made on first
 * use. */
typedef struct opine_zcodec opine_zcodec;

opine_zcodec *opine_zcodec_new(void);
void opine_zcodec_free(opine_zcodec *z);

/* Compress text into a malloc'd zstd frame the caller frees. Returns 0 or
 * OPINE_ENOMEM. */
int opine_zcodec_compress(opine_zcodec *z, const void *text, size_t len,
                          unsigned char **out, size_t *out_len);

/* Inflate a stored blob (zstd frame or zlib stream) whose inflated size
 * is known to be exactly len into out (len bytes; no NUL added). Returns
 * 0, OPINE_ENOMEM, or OPINE_ECORRUPT when blob is not one whole frame or
 * stream of exactly len bytes. */
int opine_zcodec_inflate(opine_zcodec *z, const void *blob, size_t blob_len,
                         void *out, size_t len);

/* Inflate a complete zstd frame or zlib stream of unknown inflated size
 * into a malloc'd buffer the caller frees, NUL-terminated (not counted in
 * *out_len). Returns 0, OPINE_ENOMEM, or OPINE_ECORRUPT when blob is not
 * one whole frame or stream. */
int opine_zblob_inflate(const void *blob, size_t blob_len, unsigned char **out,
                        size_t *out_len);

#endif
