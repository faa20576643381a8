/* pipeline/zblob.c — inflate a zlib blob of unknown inflated size. */
#include "pipeline/zblob.h"

#include <stdlib.h>
#include <zlib.h>

#include "base/error.h"

int opine_zblob_inflate(const void *blob, size_t blob_len, unsigned char **out,
                        size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
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
