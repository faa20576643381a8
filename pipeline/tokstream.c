/* pipeline/tokstream.c — encode and decode doc_tokens.stream blobs.
 *
 * Format 2 replaced zlib'd varints (format 1) because deflating every
 * document's stream cost about a sixth of a run's CPU, while a byte-aligned
 * layout with a one-byte shape per token is nearly as small (2.80 against
 * 2.58 bytes a token on ABP); see the FORMAT comment in tokstream.h.
 * Format 1 is still decoded for older databases. Format 3 is format 2
 * with each token's quote flag (stages/tokenize.h).
 */
#include "pipeline/tokstream.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "pipeline/zblob.h"

#define FORMAT2 0x02
#define FORMAT3 0x03

#define SHAPE_NEWSENT 0x80
#define SHAPE_LONG 0x40
#define SHAPE_ESC 7 /* K or G: a varint follows */

/* Bytes a format 2 token takes at most: type (5), shape (1), gap (5), len
 * (5) and kind (2, as it is below 512). */
#define TOKEN_MAX 18
/* Bytes a format 2 token takes at least: type and shape. */
#define TOKEN_MIN 2

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* Format 1: up to 64 bits. */
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

/* Format 2: at most 5 bytes and below 2^32. The one-byte case, most type
 * ids and lengths, is tested first. */
static inline int get_varint32(const unsigned char **pp,
                               const unsigned char *end, uint32_t *v)
{
    const unsigned char *p = *pp;
    if (p < end && *p < 0x80) {
        *v = *p;
        *pp = p + 1;
        return 0;
    }
    uint32_t r = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (p >= end)
            return -1;
        unsigned char b = *p++;
        if (shift == 28 && b > 0x0f)
            return -1; /* beyond 32 bits, or a sixth byte */
        r |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            *pp = p;
            return 0;
        }
    }
    return -1;
}

int opine_tokstream_encode(const opine_tokens *toks, const uint32_t *types,
                           unsigned char **blob, size_t *blob_len)
{
    *blob = NULL;
    *blob_len = 0;
    size_t n = toks->n;
    /* The tag, the count, and every token at its longest: one allocation,
     * no bounds checks while writing. */
    if (n > UINT32_MAX || n > (SIZE_MAX - 6) / TOKEN_MAX)
        return OPINE_EFORMAT;
    unsigned char *buf = malloc(6 + n * TOKEN_MAX), *p = buf;
    if (buf == NULL)
        return OPINE_ENOMEM;
    *p++ = FORMAT3;
    p = put_varint(p, n);
    uint32_t end = 0, sentence = 0;
    for (size_t i = 0; i < n; i++) {
        const opine_token *t = &toks->v[i];
        if (t->start < end || t->len > UINT32_MAX - t->start) {
            free(buf);
            return OPINE_EFORMAT;
        }
        uint32_t gap = t->start - end, len = t->len;
        unsigned s = i == 0 || t->sentence != sentence ? SHAPE_NEWSENT : 0;
        sentence = t->sentence;
        end = t->start + len;
        p = put_varint(p, types[i]);
        if (t->kind == OPINE_TOKEN_WORD && !t->quote && gap <= 3 &&
            len - 1 < 16) {
            *p++ = (unsigned char)(s | gap << 4 | (len - 1));
            continue;
        }
        unsigned k = t->kind < SHAPE_ESC && !t->quote ? t->kind : SHAPE_ESC;
        unsigned g = gap < SHAPE_ESC ? gap : SHAPE_ESC;
        *p++ = (unsigned char)(s | SHAPE_LONG | k << 3 | g);
        if (g == SHAPE_ESC)
            p = put_varint(p, gap);
        p = put_varint(p, len);
        if (k == SHAPE_ESC)
            p = put_varint(p, t->kind | (unsigned)(t->quote != 0) << 8);
    }
    size_t len = (size_t)(p - buf);
    /* Give back the slack of the worst-case bound (a token takes about 3
     * of its 18 bytes): batches hold many streams until they are written.
     * A failed shrink leaves the larger block, which is still good. */
    unsigned char *shrunk = realloc(buf, len);
    *blob = shrunk ? shrunk : buf;
    *blob_len = len;
    return 0;
}

/* Formats 2 and 3 (quote marks: format3 set). */
static int decode_v2(const unsigned char *p, const unsigned char *end,
                     int format3, opine_stream_token **out, size_t *n)
{
    uint32_t count;
    if (get_varint32(&p, end, &count) || count > (size_t)(end - p) / TOKEN_MIN)
        return OPINE_ECORRUPT;
    opine_stream_token *v = malloc((count ? count : 1) * sizeof(*v));
    if (v == NULL)
        return OPINE_ENOMEM;
    uint64_t pos = 0; /* end of the previous token */
    uint32_t sentence = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t type, gap, len, kind;
        if (get_varint32(&p, end, &type) || p >= end)
            goto corrupt;
        unsigned s = *p++;
        if (!(s & SHAPE_LONG)) {
            gap = s >> 4 & 3;
            len = (s & 15) + 1;
            kind = OPINE_TOKEN_WORD;
        } else {
            gap = s & 7;
            kind = s >> 3 & 7;
            if ((gap == SHAPE_ESC && get_varint32(&p, end, &gap)) ||
                get_varint32(&p, end, &len) ||
                (kind == SHAPE_ESC && get_varint32(&p, end, &kind)) ||
                kind > (format3 ? 2u * UINT8_MAX + 1 : UINT8_MAX))
                goto corrupt;
        }
        if (s & SHAPE_NEWSENT)
            sentence += i > 0;
        else if (i == 0)
            goto corrupt;
        uint64_t start = pos + gap;
        pos = start + len;
        if (pos > UINT32_MAX)
            goto corrupt;
        v[i].type = type;
        v[i].start = (uint32_t)start;
        v[i].len = len;
        v[i].sentence = sentence;
        v[i].kind = (uint8_t)kind;
        v[i].quote = (uint8_t)(kind >> 8);
    }
    if (p != end)
        goto corrupt;
    *out = v;
    *n = count;
    return 0;
corrupt:
    free(v);
    return OPINE_ECORRUPT;
}

/* The types of count tokens from p (just past the count) into v, and
 * with sent their sentence numbers into sent (from 0, one more at every
 * token that starts a sentence but the first). */
static int types_of(const unsigned char *p, const unsigned char *end,
                    uint32_t count, uint32_t *v, uint32_t *sent)
{
    uint32_t skip, i = 0, sentence = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* While 8 bytes are left: a type of up to 4 varint bytes and its
     * shape byte from one load, without a branch on the type's length
     * (one byte for the commonest words, two or three for the rest: a
     * branch on it is mispredicted about every other token); the same
     * values and checks as the loop below. 5.7 -> 3.7 ns a token on
     * ABP's streams. */
    while (i < count && end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof w);
        uint64_t last = ~w & 0x80808080u; /* bytes that end a varint */
        if (last == 0)
            break; /* a type of 5 bytes: the loop below */
        unsigned more = (unsigned)__builtin_ctzll(last) >> 3;
        uint32_t x = (uint32_t)((w & 0x7f) | (w >> 1 & 0x3f80) |
                                (w >> 2 & 0x1fc000) | (w >> 3 & 0xfe00000));
        unsigned s = (unsigned)(w >> (8 * (more + 1))) & 0xff;
        if (sent) {
            sentence += (s >> 7) & (i > 0);
            sent[i] = sentence;
        }
        v[i++] = x & (uint32_t)((UINT64_C(1) << (7 * (more + 1))) - 1);
        p += more + 2;
        if ((s & SHAPE_LONG) &&
            (((s & 7) == SHAPE_ESC && get_varint32(&p, end, &skip)) ||
             get_varint32(&p, end, &skip) ||
             ((s >> 3 & 7) == SHAPE_ESC && get_varint32(&p, end, &skip))))
            return OPINE_ECORRUPT;
    }
#endif
    for (; i < count; i++) {
        if (get_varint32(&p, end, &v[i]) || p >= end)
            return OPINE_ECORRUPT;
        unsigned s = *p++;
        if (sent) {
            sentence += (s >> 7) & (i > 0);
            sent[i] = sentence;
        }
        if (!(s & SHAPE_LONG))
            continue;
        if (((s & 7) == SHAPE_ESC && get_varint32(&p, end, &skip)) ||
            get_varint32(&p, end, &skip) ||
            ((s >> 3 & 7) == SHAPE_ESC && get_varint32(&p, end, &skip)))
            return OPINE_ECORRUPT;
    }
    return p == end ? 0 : OPINE_ECORRUPT;
}

/* opine_tokstream_types(), and with sentences the sentence numbers after
 * the types in the same buffer. */
static int types_sentences(const void *blob, size_t blob_len, int sentences,
                           uint32_t **buf, size_t *cap, size_t *n)
{
    *n = 0;
    const unsigned char *p = blob, *end = p + blob_len;
    size_t per = sentences ? 2 : 1;
    if (blob_len == 0 || (p[0] != FORMAT2 && p[0] != FORMAT3)) {
        opine_stream_token *t;
        size_t nt;
        int rc = opine_tokstream_decode(blob, blob_len, &t, &nt);
        if (rc == 0 &&
            opine__grow((void **)buf, cap, per * nt + 1, sizeof(uint32_t)))
            rc = OPINE_ENOMEM;
        for (size_t i = 0; rc == 0 && i < nt; i++) {
            (*buf)[i] = t[i].type;
            if (sentences)
                (*buf)[nt + i] = t[i].sentence;
        }
        free(t);
        *n = rc ? 0 : nt;
        return rc;
    }
    p++;
    uint32_t count;
    if (get_varint32(&p, end, &count) || count > (size_t)(end - p) / TOKEN_MIN)
        return OPINE_ECORRUPT;
    if (opine__grow((void **)buf, cap, per * count + 1, sizeof(uint32_t)))
        return OPINE_ENOMEM;
    int rc = types_of(p, end, count, *buf, sentences ? *buf + count : NULL);
    *n = rc ? 0 : count;
    return rc;
}

int opine_tokstream_types(const void *blob, size_t blob_len, uint32_t **types,
                          size_t *cap, size_t *n)
{
    return types_sentences(blob, blob_len, 0, types, cap, n);
}

int opine_tokstream_types_sentences(const void *blob, size_t blob_len,
                                    uint32_t **buf, size_t *cap, size_t *n)
{
    return types_sentences(blob, blob_len, 1, buf, cap, n);
}

static int decode_v1(const void *blob, size_t blob_len,
                     opine_stream_token **out, size_t *n)
{
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
        v[i].quote = 0;
        pos = pos + gap + tlen;
    }
    free(raw);
    *out = v;
    *n = (size_t)count;
    return 0;
}

int opine_tokstream_has_quotes(const void *blob, size_t blob_len)
{
    return blob_len > 0 && *(const unsigned char *)blob == FORMAT3;
}

int opine_tokstream_decode(const void *blob, size_t blob_len,
                           opine_stream_token **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const unsigned char *b = blob;
    if (blob_len > 0 && (b[0] == FORMAT2 || b[0] == FORMAT3))
        return decode_v2(b + 1, b + blob_len, b[0] == FORMAT3, out, n);
    return decode_v1(blob, blob_len, out, n);
}
