/* pipeline/zblob.h — inflating the zlib blobs opine stores (bodies, token
 * streams) when their inflated size is not known in advance. */
#ifndef OPINE_PIPELINE_ZBLOB_H
#define OPINE_PIPELINE_ZBLOB_H

#include <stddef.h>

/* Inflate a complete zlib stream into a malloc'd buffer the caller frees,
 * NUL-terminated (not counted in *out_len). Returns 0, OPINE_ENOMEM, or
 * OPINE_ECORRUPT when blob is not one whole zlib stream. */
int opine_zblob_inflate(const void *blob, size_t blob_len, unsigned char **out,
                        size_t *out_len);

#endif
