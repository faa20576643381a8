/* pipeline/tokstream.c — encode and decode doc_tokens.stream blobs. */
#include "pipeline/tokstream.h"

#include <stdlib.h>
#include <zlib.h>

#include "pipeline/error.h"
#include "pipeline/zblob.h"

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static int get_varint(const unsigned char **p, const unsigned char *end,
                      uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

int opine_tokstream_encode(const opine_tokens *toks, const uint32_t *types,
                           unsigned char **blob, size_t *blob_len)
{
    /* Four varints of at most 5 bytes each per token, plus the count. */
    size_t cap = 10 + toks->n * 20;
    unsigned char *raw = malloc(cap), *p = raw;
    if (raw == NULL)
        return OPINE_ENOMEM;
    p = put_varint(p, toks->n);
    uint32_t end = 0, sentence = 0;
    for (size_t i = 0; i < toks->n; i++) {
        const opine_token *t = &toks->v[i];
        int newsent = i == 0 || t->sentence != sentence;
        sentence = t->sentence;
        p = put_varint(p, types[i]);
        p = put_varint(p, t->start - end);
        p = put_varint(p, t->len);
        p = put_varint(p, (uint64_t)t->kind << 1 | (uint64_t)newsent);
        end = t->start + t->len;
    }
    size_t raw_len = (size_t)(p - raw);
    uLongf zlen = compressBound(raw_len);
    unsigned char *z = malloc(zlen);
    /* Level 1: the stream is re-read rarely; speed matters more. */
    if (z == NULL || compress2(z, &zlen, raw, raw_len, 1) != Z_OK) {
        free(raw);
        free(z);
        return OPINE_ENOMEM;
    }
    free(raw);
    *blob = z;
    *blob_len = zlen;
    return 0;
}

int opine_tokstream_decode(const void *blob, size_t blob_len,
                           opine_stream_token **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    unsigned char *raw;
    size_t len;
    int rc = opine_zblob_inflate(blob, blob_len, &raw, &len);
    if (rc)
        return rc;
    const unsigned char *p = raw, *end = raw + len;
    uint64_t count, type, gap, tlen, ks;
    if (get_varint(&p, end, &count) != 0 || count > len) {
        free(raw);
        return OPINE_ECORRUPT;
    }
    opine_stream_token *v = malloc((count ? count : 1) * sizeof(*v));
    if (v == NULL) {
        free(raw);
        return OPINE_ENOMEM;
    }
    uint64_t pos = 0;
    uint32_t sentence = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (get_varint(&p, end, &type) || get_varint(&p, end, &gap) ||
            get_varint(&p, end, &tlen) || get_varint(&p, end, &ks) ||
            type > UINT32_MAX || gap > UINT32_MAX || tlen > UINT32_MAX ||
            pos + gap + tlen > UINT32_MAX) {
            free(raw);
            free(v);
            return OPINE_ECORRUPT;
        }
        if ((ks & 1) && i > 0)
            sentence++;
        v[i].type = (uint32_t)type;
        v[i].start = (uint32_t)(pos + gap);
        v[i].len = (uint32_t)tlen;
        v[i].sentence = sentence;
        v[i].kind = (uint8_t)(ks >> 1);
        pos = pos + gap + tlen;
    }
    free(raw);
    *out = v;
    *n = (size_t)count;
    return 0;
}
