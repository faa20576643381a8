/* tests/test_tokstream.c — doc_tokens.stream blobs: round trips and damage.
 *
 * Round trips take real tokenizer output for texts written here, so offsets,
 * gaps and sentence numbers are the ones the pipeline stores, and token
 * lists made up here for what prose rarely has (long tokens, big gaps, every
 * kind, huge type ids). The format cases write bytes by hand from the FORMAT
 * comment in pipeline/tokstream.h and check the encoder's output against
 * them and the decoder's reading of them, so both are held to the
 * documented layout, not to each other. Format 1 (zlib of varints, still in
 * older databases) is built here the same way. Every damaged blob is passed
 * in an exact-size allocation so ASan sees any read past its end. Cases are
 * numbered, one topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/error.h"
#include "pipeline/tokstream.h"
#include "stages/tokenize.h"

/* ---- helpers -------------------------------------------------------- */

/* Type ids that cross every varint length boundary (1..5 bytes). */
static uint32_t some_type(size_t i)
{
    static const uint32_t ids[] = {0,     1,       127,        128,
                                   16383, 16384,   2097151,    2097152,
                                   7,     3000000, 268435456u, UINT32_MAX};
    return ids[i % (sizeof ids / sizeof *ids)] ^ (uint32_t)(i / 12);
}

static int decode_copy(const unsigned char *blob, size_t len,
                       opine_stream_token **out, size_t *n)
{
    unsigned char *exact = malloc(len ? len : 1);
    assert_non_null(exact);
    memcpy(exact, blob, len);
    int rc = opine_tokstream_decode(exact, len, out, n);
    free(exact);
    return rc;
}

/* Field by field: the struct has padding that decode leaves unset. */
static int same_tokens(const opine_stream_token *a, const opine_stream_token *b,
                       size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].type != b[i].type || a[i].start != b[i].start ||
            a[i].len != b[i].len || a[i].sentence != b[i].sentence ||
            a[i].kind != b[i].kind || a[i].quote != b[i].quote)
            return 0;
    return 1;
}

/* What any successful decode must give, whatever the bytes were: tokens in
 * order, not overlapping, inside 32 bits, sentences dense from 0. */
static void assert_well_formed(const opine_stream_token *d, size_t n)
{
    uint64_t end = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(d[i].start >= end);
        end = (uint64_t)d[i].start + d[i].len;
        assert_true(end <= UINT32_MAX);
        if (i == 0)
            assert_int_equal(d[i].sentence, 0);
        else
            assert_true(d[i].sentence - d[i - 1].sentence <= 1);
    }
}

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

/* zlib raw[0..len) into a malloc'd blob, as format 1 says. */
static unsigned char *zblob(const unsigned char *raw, size_t len,
                            size_t *blob_len)
{
    uLongf zlen = compressBound(len);
    unsigned char *z = malloc(zlen);
    assert_non_null(z);
    assert_int_equal(compress2(z, &zlen, raw, len, 9), Z_OK);
    *blob_len = zlen;
    return z;
}

/* A format 1 blob from a list of varints. */
static unsigned char *varints_blob(const uint64_t *v, size_t nv,
                                   size_t *blob_len)
{
    unsigned char raw[256], *p = raw;
    assert_true(nv * 10 <= sizeof raw);
    for (size_t i = 0; i < nv; i++)
        p = put_varint(p, v[i]);
    return zblob(raw, (size_t)(p - raw), blob_len);
}

/* A format 1 blob of a token list, as opine wrote them before format 2. */
static unsigned char *legacy_blob(const opine_tokens *t, const uint32_t *types,
                                  size_t *blob_len)
{
    unsigned char *raw = malloc(10 + t->n * 40), *p = raw;
    assert_non_null(raw);
    p = put_varint(p, t->n);
    uint32_t end = 0, sentence = 0;
    for (size_t i = 0; i < t->n; i++) {
        int newsent = i == 0 || t->v[i].sentence != sentence;
        sentence = t->v[i].sentence;
        p = put_varint(p, types[i]);
        p = put_varint(p, t->v[i].start - end);
        p = put_varint(p, t->v[i].len);
        p = put_varint(p, (uint64_t)t->v[i].kind << 1 | (uint64_t)newsent);
        end = t->v[i].start + t->v[i].len;
    }
    unsigned char *z = zblob(raw, (size_t)(p - raw), blob_len);
    free(raw);
    return z;
}

/* Decode blob and compare every field with the tokens it was made from
 * (quote flags only where the format has them: quotes). */
static void assert_decodes_to(const unsigned char *blob, size_t blob_len,
                              const opine_tokens *t, const uint32_t *types,
                              int quotes)
{
    opine_stream_token *d = NULL;
    size_t n = (size_t)-1;
    assert_int_equal(decode_copy(blob, blob_len, &d, &n), 0);
    assert_int_equal(n, t->n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(d[i].type, types[i]);
        assert_int_equal(d[i].start, t->v[i].start);
        assert_int_equal(d[i].len, t->v[i].len);
        assert_int_equal(d[i].kind, t->v[i].kind);
        assert_int_equal(d[i].sentence, t->v[i].sentence);
        assert_int_equal(d[i].quote, quotes ? t->v[i].quote : 0);
    }
    free(d);
}

/* Encode, check the tag, decode, compare all fields; and the same tokens
 * in format 1 must decode to the same list. */
static void round_trip_tokens(const opine_tokens *t, const uint32_t *types)
{
    unsigned char *blob = NULL;
    size_t blob_len = 0;
    assert_int_equal(opine_tokstream_encode(t, types, &blob, &blob_len), 0);
    assert_non_null(blob);
    assert_true(blob_len >= 2 + 2 * t->n);
    assert_int_equal(blob[0], 0x03);
    assert_decodes_to(blob, blob_len, t, types, 1);
    /* Without quote flags, format 3 is format 2 but for the tag. */
    int flags = 0;
    for (size_t i = 0; i < t->n; i++)
        flags |= t->v[i].quote;
    if (!flags) {
        blob[0] = 0x02;
        assert_decodes_to(blob, blob_len, t, types, 0);
    }
    free(blob);

    blob = legacy_blob(t, types, &blob_len);
    assert_decodes_to(blob, blob_len, t, types, 0);
    free(blob);
}

/* Tokenize text and round-trip it with some_type() ids. */
static void round_trip(const char *text, size_t len, size_t min_tokens)
{
    opine_tokens t = OPINE_TOKENS_INIT;
    assert_int_equal(opine_tokenize(text, len, &t), 0);
    assert_true(t.n >= min_tokens);
    uint32_t *types = malloc((t.n ? t.n : 1) * sizeof(*types));
    assert_non_null(types);
    for (size_t i = 0; i < t.n; i++)
        types[i] = some_type(i);
    round_trip_tokens(&t, types);
    free(types);
    opine_tokens_release(&t);
}

/* A made-up token: where it starts, how long, kind, sentence. */
typedef struct spec {
    uint32_t start, len;
    uint8_t kind;
    uint32_t sentence, type;
} spec;

/* An opine_tokens over specs, without normalised forms; free ->v after. */
static opine_tokens from_specs(const spec *s, size_t n, uint32_t **types)
{
    opine_tokens t = OPINE_TOKENS_INIT;
    t.v = calloc(n ? n : 1, sizeof(*t.v));
    *types = calloc(n ? n : 1, sizeof(**types));
    assert_non_null(t.v);
    assert_non_null(*types);
    for (size_t i = 0; i < n; i++) {
        t.v[i].start = s[i].start;
        t.v[i].len = s[i].len;
        t.v[i].kind = s[i].kind;
        t.v[i].sentence = s[i].sentence;
        (*types)[i] = s[i].type;
    }
    t.n = t.cap = n;
    t.nsentences = n ? s[n - 1].sentence + 1 : 0;
    return t;
}

/* ---- round trips ---------------------------------------------------- */

static void test01_round_trip_sentences(void **state)
{
    (void)state;
    static const char text[] =
        "Seoul and Tokyo met in 2019. Both sides called it a \"reset\"!\n"
        "Was it? Dr. Kim said the U.S. agreed; burden-sharing, 3.5 percent "
        "and 1,000,000 won were on the table.\n\n"
        "A new paragraph starts here. Korea’s envoy didn’t comment. Mail "
        "press@mofa.go.kr, see https://www.mofa.go.kr/eng/ or ask @mofa_kr "
        "about #alliance — a 5.4% rise.";
    round_trip(text, sizeof text - 1, 40);
}

/* Non-ASCII text: offsets are bytes, not characters. */
static void test02_round_trip_utf8(void **state)
{
    (void)state;
    static const char text[] =
        "Die Häuser stehen leer. Абиссинию никто не ждал. "
        "Straße, ½ und COVID-19 … Ende.";
    round_trip(text, sizeof text - 1, 12);
}

/* Gaps over 127 and 16383 bytes need multi-byte gap varints. */
static void test03_round_trip_large(void **state)
{
    (void)state;
    const char *unit = "The cat sat on the mat. ";
    size_t ul = strlen(unit), reps = 20000, pad = 20000;
    size_t len = ul * reps + pad + 5;
    char *text = malloc(len);
    assert_non_null(text);
    for (size_t i = 0; i < reps; i++)
        memcpy(text + i * ul, unit, ul);
    memset(text + ul * reps, ' ', pad);
    memcpy(text + ul * reps + pad, "Tail.", 5);
    round_trip(text, len, reps * 6 + 1);
    free(text);
}

static void test04_round_trip_empty(void **state)
{
    (void)state;
    round_trip("", 0, 0);
    round_trip("... -- !!", 9, 0);

    /* With no tokenizer and no types at all: the tag and a zero count. */
    opine_tokens t = OPINE_TOKENS_INIT;
    unsigned char *blob = NULL;
    size_t blob_len = 0, n = 99;
    opine_stream_token *d = NULL;
    assert_int_equal(opine_tokstream_encode(&t, NULL, &blob, &blob_len), 0);
    assert_int_equal(blob_len, 2);
    assert_int_equal(blob[0], 0x03);
    assert_int_equal(blob[1], 0x00);
    assert_int_equal(decode_copy(blob, blob_len, &d, &n), 0);
    assert_int_equal(n, 0);
    free(d);
    free(blob);
}

/* Everything the short form cannot hold, around each boundary: lengths
 * 16/17, 0 and over 2^16, gaps 3/4, 6/7 and over 2^31, every kind value
 * 0..255 (so inline K 0..6 and the kind varint), type ids of every varint
 * length, sentence breaks on short and long forms, and a token that ends
 * at the last 32-bit offset. */
static void test05_round_trip_escapes(void **state)
{
    (void)state;
    enum { N = 512 };
    spec s[N];
    size_t n = 0;
    uint32_t pos = 0, sentence = 0;
    static const uint32_t gaps[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 127, 128};
    static const uint32_t lens[] = {1, 2, 15, 16, 17, 0, 127, 128, 70000};
    for (size_t i = 0; i < 256; i++) {
        uint32_t gap = gaps[i % (sizeof gaps / sizeof *gaps)];
        uint32_t len = lens[i % (sizeof lens / sizeof *lens)];
        /* A new sentence on every third token, whatever its form. */
        if (i > 0 && i % 3 == 0)
            sentence++;
        /* Mostly words, so short and long forms mix; every kind once. */
        uint8_t kind = i % 2 ? OPINE_TOKEN_WORD : (uint8_t)(255 - i / 2);
        if (i % 4 == 1)
            kind = (uint8_t)(i / 4 % 8);
        s[n++] = (spec){pos + gap, len, kind, sentence, some_type(i * 5)};
        pos += gap + len;
    }
    /* kinds not yet seen: make sure every value 0..255 occurs */
    int seen[256] = {0};
    for (size_t i = 0; i < n; i++)
        seen[s[i].kind] = 1;
    for (int k = 0; k < 256; k++)
        if (!seen[k]) {
            assert_true(n < N - 2);
            s[n] = (spec){pos + 1, 3, (uint8_t)k, sentence, (uint32_t)k};
            pos += 4;
            n++;
        }
    /* A gap past 2^31 and a token ending at the last offset. */
    s[n++] =
        (spec){(1u << 31) + 5, 10, OPINE_TOKEN_URL, sentence + 1, UINT32_MAX};
    s[n++] = (spec){UINT32_MAX - 16, 16, OPINE_TOKEN_WORD, sentence + 1, 0};
    assert_true(n <= N);
    uint32_t *types;
    opine_tokens t = from_specs(s, n, &types);
    round_trip_tokens(&t, types);
    free(t.v);
    free(types);
}

/* Quote flags (format 3): the tokenizer's, after each kind of double
 * quotation mark and not after single ones, survive the round trip; by
 * hand, a flagged token is long form with K 7 and kind | 1 << 8. */
static void test18_quote_flags(void **state)
{
    (void)state;
    static const char text[] =
        "He said \"no deal\" and \xe2\x80\x9cnever\xe2\x80\x9d, "
        "\xc2\xabjamais\xc2\xbb; the allies\xe2\x80\x99 view "
        "\xe3\x80\x8cok\xe3\x80\x8d then 'single' \xe2\x80\x98too\xe2\x80\x99 "
        "end";
    /* tokens:  He said no deal and never jamais the allies view ok
     *          then single too end */
    static const uint8_t want[] = {0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0};
    opine_tokens t = OPINE_TOKENS_INIT;
    assert_int_equal(opine_tokenize(text, sizeof text - 1, &t), 0);
    assert_int_equal(t.n, sizeof want);
    for (size_t i = 0; i < t.n; i++)
        if (t.v[i].quote != want[i])
            fail_msg("token %zu (%.*s): quote %d, want %d", i, (int)t.v[i].len,
                     text + t.v[i].start, t.v[i].quote, want[i]);
    opine_tokens_release(&t);
    round_trip(text, sizeof text - 1, sizeof want);

    /* "a "b": b flagged, a word of 1 byte after a gap of 2. */
    static const unsigned char bytes[] = {
        0x03, 0x02,             /* tag, n = 2 */
        0x05, 0x80,             /* type 5; S, short: gap 0, len 1 */
        0x06, 0x7a, 0x01, 0x81, /* type 6; long, K 7, G 2; len 1; */
        0x02,                   /* kind 1 | 1 << 8 */
    };
    static const opine_stream_token flagged[] = {
        {5, 0, 1, 0, OPINE_TOKEN_WORD, 0},
        {6, 3, 1, 0, OPINE_TOKEN_WORD, 1},
    };
    spec sp[] = {{0, 1, OPINE_TOKEN_WORD, 0, 5},
                 {3, 1, OPINE_TOKEN_WORD, 0, 6}};
    uint32_t *ty;
    opine_tokens ft = from_specs(sp, 2, &ty);
    ft.v[1].quote = 1;
    unsigned char *blob;
    size_t blob_len, n;
    assert_int_equal(opine_tokstream_encode(&ft, ty, &blob, &blob_len), 0);
    assert_int_equal(blob_len, sizeof bytes);
    assert_memory_equal(blob, bytes, sizeof bytes);
    free(blob);
    free(ft.v);
    free(ty);
    opine_stream_token *d;
    assert_int_equal(decode_copy(bytes, sizeof bytes, &d, &n), 0);
    assert_int_equal(n, 2);
    assert_true(same_tokens(d, flagged, 2));
    free(d);
    /* The same bytes as format 2: kind 257 is beyond its 255. */
    unsigned char v2[sizeof bytes];
    memcpy(v2, bytes, sizeof bytes);
    v2[0] = 0x02;
    assert_int_equal(decode_copy(v2, sizeof v2, &d, &n), OPINE_ECORRUPT);
    /* Format 3's kind varint stops at 511. */
    static const unsigned char k511[] = {0x03, 0x01, 0x01, 0xf8,
                                         0x01, 0xff, 0x03};
    static const unsigned char k512[] = {0x03, 0x01, 0x01, 0xf8,
                                         0x01, 0x80, 0x04};
    assert_int_equal(decode_copy(k511, sizeof k511, &d, &n), 0);
    assert_int_equal(d[0].kind, 255);
    assert_int_equal(d[0].quote, 1);
    free(d);
    assert_int_equal(decode_copy(k512, sizeof k512, &d, &n), OPINE_ECORRUPT);
}

/* ---- the documented format ------------------------------------------ */

/* The tokens that the bytes in test06 and test07 describe. */
static const spec format_tokens[] = {
    /* {start, len, kind, sentence, type} */
    {4, 5, OPINE_TOKEN_WORD, 0, 500},
    {10, 3, OPINE_TOKEN_NUMBER, 0, 1},
    {13, 16, OPINE_TOKEN_WORD, 0, 127},
    {32, 17, OPINE_TOKEN_WORD, 1, 128},
    {51, 2, OPINE_TOKEN_WORD, 1, 16384},
    {253, 1, OPINE_TOKEN_URL, 2, UINT32_MAX},
    {254, 300, 200, 2, 0},
    {557, 16, OPINE_TOKEN_WORD, 3, 2},
};

/* The same tokens as written from the FORMAT comment, byte by byte. */
static const unsigned char format_bytes[] = {
    0x03,             /* tag */
    0x08,             /* n = 8 */
    0xf4, 0x03,       /* type 500 */
    0xcc, 0x05,       /* S, long, K 1, G 4: gap 4 is too wide; len 5 */
    0x01,             /* type 1 */
    0x51, 0x03,       /* long, K 2 (NUMBER), G 1; len 3 */
    0x7f,             /* type 127 */
    0x0f,             /* short: gap 0, len 16 */
    0x80, 0x01,       /* type 128 */
    0xcb, 0x11,       /* S, long, K 1, G 3; len 17 is too long */
    0x80, 0x80, 0x01, /* type 16384 */
    0x21,             /* short: gap 2, len 2 */
    0xff, 0xff, 0xff, 0xff, 0x0f, /* type 2^32 - 1 */
    0xdf, 0xc8, 0x01, 0x01,       /* S, long, K 3 (URL), G 7; gap 200; len 1 */
    0x00,                         /* type 0 */
    0x78, 0xac, 0x02, 0xc8, 0x01, /* long, K 7, G 0; len 300; kind 200 */
    0x02,                         /* type 2 */
    0xbf,                         /* S, short: gap 3, len 16 */
};

/* The encoder writes exactly those bytes: short form whenever it fits. */
static void test06_format_encoder_bytes(void **state)
{
    (void)state;
    size_t n = sizeof format_tokens / sizeof *format_tokens;
    uint32_t *types;
    opine_tokens t = from_specs(format_tokens, n, &types);
    unsigned char *blob;
    size_t blob_len;
    assert_int_equal(opine_tokstream_encode(&t, types, &blob, &blob_len), 0);
    assert_int_equal(blob_len, sizeof format_bytes);
    for (size_t i = 0; i < blob_len; i++)
        if (blob[i] != format_bytes[i])
            fail_msg("byte %zu: 0x%02x, want 0x%02x", i, blob[i],
                     format_bytes[i]);
    free(blob);
    free(t.v);
    free(types);
}

/* The decoder reads those bytes as those tokens; and forms the encoder
 * never writes but the format allows (a word in long form, a gap varint
 * for a small gap, a kind varint for a small kind, overlong varints) mean
 * the same thing. */
static void test07_format_decoder_bytes(void **state)
{
    (void)state;
    size_t n = sizeof format_tokens / sizeof *format_tokens;
    uint32_t *types;
    opine_tokens t = from_specs(format_tokens, n, &types);
    assert_decodes_to(format_bytes, sizeof format_bytes, &t, types, 1);
    free(t.v);
    free(types);

    static const unsigned char loose[] = {
        0x02, 0x84, 0x00,             /* n = 4, overlong */
        0x85, 0x80, 0x00,             /* type 5, overlong */
        0xc9, 0x03,                   /* S, long, K 1, G 1; len 3 */
        0x06,                         /* type 6 */
        0x4f, 0x02, 0x02,             /* long, K 1, G 7; gap 2; len 2 */
        0x87, 0x80, 0x80, 0x80, 0x01, /* type 2^28 + 7, five bytes */
        0xc0, 0x04,                   /* S, long, K 0, G 0; len 4 */
        0x07,                         /* type 7 */
        0x79, 0x81, 0x00, 0x03,       /* long, K 7, G 1; len 1 overlong;
                                       * kind 3 as a varint */
    };
    opine_stream_token *d;
    size_t dn;
    assert_int_equal(decode_copy(loose, sizeof loose, &d, &dn), 0);
    assert_int_equal(dn, 4);
    static const opine_stream_token want[] = {
        {5, 1, 3, 0, OPINE_TOKEN_WORD, 0},
        {6, 6, 2, 0, OPINE_TOKEN_WORD, 0},
        {(1u << 28) + 7, 8, 4, 1, 0, 0},
        {7, 13, 1, 1, OPINE_TOKEN_URL, 0},
    };
    assert_true(same_tokens(d, want, 4));
    free(d);
}

/* Byte sequences with the tag that are not a token list. */
static void test08_format_violations(void **state)
{
    (void)state;
    static const struct {
        const char *why;
        unsigned char b[16];
        size_t n;
    } bad[] = {
        {"tag only", {0x02}, 1},
        {"count cut short", {0x02, 0x80}, 2},
        {"count beyond 32 bits", {0x02, 0xff, 0xff, 0xff, 0xff, 0x1f}, 6},
        {"count larger than the data", {0x02, 0x02, 0x01, 0x82}, 4},
        {"no shape byte", {0x02, 0x01, 0x85, 0x01}, 4},
        {"long form without len", {0x02, 0x01, 0x01, 0xc9}, 4},
        {"gap varint missing", {0x02, 0x01, 0x01, 0xcf}, 4},
        {"kind varint missing", {0x02, 0x01, 0x01, 0xf8, 0x01}, 5},
        {"first token starts no sentence", {0x02, 0x01, 0x01, 0x02}, 4},
        {"type beyond 32 bits",
         {0x02, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x82},
         8},
        {"type varint of six bytes",
         {0x02, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x82},
         9},
        {"len beyond 32 bits",
         {0x02, 0x01, 0x01, 0xc8, 0xff, 0xff, 0xff, 0xff, 0x10},
         9},
        {"kind 256", {0x02, 0x01, 0x01, 0xf8, 0x01, 0x80, 0x02}, 7},
        {"end at 2^32", /* gap 2^32 - 1, len 1 */
         {0x02, 0x01, 0x01, 0xc7, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01},
         10},
        {"second token ends at 2^32", /* first ends at 2^32 - 1 */
         {0x02, 0x02, 0x01, 0xc7, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x01,
          0x00},
         12},
        {"byte after the last token", {0x02, 0x01, 0x01, 0x82, 0x00}, 5},
        {"byte after an empty list", {0x02, 0x00, 0x00}, 3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = 99;
        opine_stream_token *d = (opine_stream_token *)&d;
        int rc = decode_copy(bad[i].b, bad[i].n, &d, &n);
        if (rc != OPINE_ECORRUPT)
            fail_msg("%s: rc %d, want OPINE_ECORRUPT", bad[i].why, rc);
        assert_null(d);
        assert_int_equal(n, 0);
    }
    /* The second-token case minus its last token is valid: the limit is
     * 2^32 - 1 exactly, not something smaller. */
    static const unsigned char edge[] = {0x02, 0x01, 0x01, 0xc7, 0xfe,
                                         0xff, 0xff, 0xff, 0x0f, 0x01};
    opine_stream_token *d;
    size_t n;
    assert_int_equal(decode_copy(edge, sizeof edge, &d, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].start, UINT32_MAX - 1);
    assert_int_equal(d[0].len, 1);
    assert_int_equal(d[0].kind, 0);
    free(d);
}

/* Token lists no stream can hold are refused, not written wrong. */
static void test09_encode_refuses(void **state)
{
    (void)state;
    static const spec overlap[] = {
        {10, 5, OPINE_TOKEN_WORD, 0, 1},
        {12, 1, OPINE_TOKEN_WORD, 0, 2},
    };
    static const spec too_far[] = {
        {UINT32_MAX - 1, 2, OPINE_TOKEN_WORD, 0, 1},
    };
    static const struct {
        const spec *s;
        size_t n;
    } cases[] = {{overlap, 2}, {too_far, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint32_t *types;
        opine_tokens t = from_specs(cases[i].s, cases[i].n, &types);
        unsigned char *blob = (unsigned char *)&blob;
        size_t blob_len = 99;
        assert_int_equal(opine_tokstream_encode(&t, types, &blob, &blob_len),
                         OPINE_EFORMAT);
        assert_null(blob);
        assert_int_equal(blob_len, 0);
        free(t.v);
        free(types);
    }
}

/* ---- damage --------------------------------------------------------- */

/* A format 2 blob with short and long forms, varints of every length and a
 * sentence break; format 1 of the same tokens if legacy. */
static unsigned char *sample_blob(size_t *blob_len, int legacy)
{
    static const char text[] = "Allies argued over costs. Then they agreed, "
                               "for now. Talks resume in 2026 — "
                               "https://example.org/talks, #alliance.";
    opine_tokens t = OPINE_TOKENS_INIT;
    assert_int_equal(opine_tokenize(text, sizeof text - 1, &t), 0);
    assert_true(t.n > 5);
    uint32_t types[64];
    assert_true(t.n <= 64);
    for (size_t i = 0; i < t.n; i++)
        types[i] = some_type(i);
    unsigned char *blob;
    if (legacy)
        blob = legacy_blob(&t, types, blob_len);
    else
        assert_int_equal(opine_tokstream_encode(&t, types, &blob, blob_len), 0);
    opine_tokens_release(&t);
    return blob;
}

/* Every proper prefix of a blob is truncated data. */
static void test10_truncated(void **state)
{
    (void)state;
    for (int legacy = 0; legacy < 2; legacy++) {
        size_t blob_len;
        unsigned char *blob = sample_blob(&blob_len, legacy);
        for (size_t cut = 0; cut < blob_len; cut++) {
            opine_stream_token *d = NULL;
            size_t n;
            int rc = decode_copy(blob, cut, &d, &n);
            if (rc != OPINE_ECORRUPT)
                fail_msg("format %d, prefix of %zu/%zu bytes: rc %d",
                         legacy ? 1 : 2, cut, blob_len, rc);
            assert_null(d);
        }
        free(blob);
    }
}

/* Any byte at all after a format 2 blob is refused. */
static void test11_trailing_bytes(void **state)
{
    (void)state;
    size_t blob_len;
    unsigned char *blob = sample_blob(&blob_len, 0);
    unsigned char *longer = malloc(blob_len + 2);
    assert_non_null(longer);
    memcpy(longer, blob, blob_len);
    for (int extra = 1; extra <= 2; extra++)
        for (int b = 0; b < 256; b++) {
            longer[blob_len] = (unsigned char)b;
            longer[blob_len + 1] = 0x82;
            opine_stream_token *d = NULL;
            size_t n;
            int rc = decode_copy(longer, blob_len + (size_t)extra, &d, &n);
            if (rc != OPINE_ECORRUPT)
                fail_msg("%d bytes 0x%02x..: rc %d", extra, b, rc);
        }
    free(longer);
    free(blob);
}

/* A changed byte of a format 2 blob (which has no checksum) may give other
 * tokens, but never a crash, a read out of bounds or a list that breaks
 * the stream's rules; a changed tag is always refused. */
static void test12_flipped_bytes(void **state)
{
    (void)state;
    size_t blob_len, n0;
    unsigned char *blob = sample_blob(&blob_len, 0);
    opine_stream_token *d0;
    assert_int_equal(decode_copy(blob, blob_len, &d0, &n0), 0);
    static const unsigned char masks[] = {0x01, 0x10, 0x40, 0x80, 0xff};
    int caught = 0;
    for (size_t i = 0; i < blob_len; i++) {
        for (size_t k = 0; k < sizeof masks; k++) {
            blob[i] ^= masks[k];
            opine_stream_token *d = NULL;
            size_t n;
            int rc = decode_copy(blob, blob_len, &d, &n);
            if (rc == OPINE_ECORRUPT) {
                caught++;
            } else if (rc != 0 ||
                       (i == 0 && blob[0] != 0x02 && blob[0] != 0x03)) {
                /* the tag may only turn into format 2's: same tokens */
                fail_msg("byte %zu ^ 0x%02x: rc %d", i, masks[k], rc);
            } else {
                assert_well_formed(d, n);
            }
            free(d);
            blob[i] ^= masks[k];
        }
    }
    assert_true(caught > 0);
    free(d0);
    free(blob);
}

/* Random bytes of many lengths, raw and after the format 2 tag; the PRNG
 * is fixed so a failure repeats. */
static void test13_random_bytes(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int round = 0; round < 4000; round++) {
        size_t len = (size_t)(round % 300);
        unsigned char *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (unsigned char)(x >> 32);
            /* Small values, so that some lists come out whole. */
            if (round % 4 == 3)
                buf[i] &= 0x8f;
        }
        if (round % 2 && len > 0)
            buf[0] = round % 4 == 1 ? 0x02 : 0x03;
        opine_stream_token *d = NULL;
        size_t n;
        int rc = opine_tokstream_decode(buf, len, &d, &n);
        if (rc == 0) {
            /* Random bytes are never a whole zlib stream with its check
             * value; after the tag they may be a token list. */
            assert_true(buf[0] == 0x02 || buf[0] == 0x03);
            assert_well_formed(d, n);
        } else if (rc != OPINE_ECORRUPT) {
            fail_msg("round %d (%zu bytes): rc %d", round, len, rc);
        }
        free(d);
        free(buf);
    }
}

/* ---- format 1, zlib of varints (older databases) -------------------- */

/* Three tokens written by hand: type, gap from the previous end, len,
 * kind << 1 | newsent. */
static void test14_legacy_by_hand(void **state)
{
    (void)state;
    static const uint64_t v[] = {
        3,                                             /* n */
        500,      4,   5, OPINE_TOKEN_WORD << 1 | 1,   /* [4, 9) s0 */
        1,        1,   3, OPINE_TOKEN_NUMBER << 1 | 0, /* [10, 13) s0 */
        1u << 31, 200, 2, OPINE_TOKEN_WORD << 1 | 1,   /* [213, 215) s1 */
    };
    size_t blob_len, n;
    unsigned char *blob = varints_blob(v, sizeof v / sizeof *v, &blob_len);
    assert_int_equal(blob[0] & 0x0f, 8); /* CM = 8: never the 0x02 tag */
    opine_stream_token *d;
    assert_int_equal(decode_copy(blob, blob_len, &d, &n), 0);
    assert_int_equal(n, 3);
    static const opine_stream_token want[] = {
        {500, 4, 5, 0, OPINE_TOKEN_WORD, 0},
        {1, 10, 3, 0, OPINE_TOKEN_NUMBER, 0},
        {1u << 31, 213, 2, 1, OPINE_TOKEN_WORD, 0},
    };
    assert_true(same_tokens(d, want, 3));
    free(d);
    free(blob);
}

/* Streams that are valid zlib but not a valid token list. */
static void test15_legacy_violations(void **state)
{
    (void)state;
    static const struct {
        const char *why;
        uint64_t v[10];
        size_t nv;
    } bad[] = {
        {"count larger than the data", {1000, 1, 0, 1, 2}, 5},
        {"token cut short", {2, 1, 0, 1, 2, 1, 0}, 7},
        {"type beyond 32 bits", {1, (uint64_t)UINT32_MAX + 1, 0, 1, 2}, 5},
        {"end beyond 4 GiB", {1, 1, UINT32_MAX, 1, 2}, 5},
        {"second token ends beyond 4 GiB",
         {2, 1, 0, 10, 2, 1, UINT32_MAX - 5, 2, 2},
         9},
        /* gap + len wraps around 2^64 back to a small end offset */
        {"gap near 2^64", {1, 1, UINT64_MAX, 1, 2}, 5},
        {"len near 2^64", {1, 1, 1, UINT64_MAX, 2}, 5},
        {"no count at all", {0}, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t blob_len, n = 99;
        unsigned char *blob = varints_blob(bad[i].v, bad[i].nv, &blob_len);
        opine_stream_token *d = (opine_stream_token *)&d;
        int rc = decode_copy(blob, blob_len, &d, &n);
        if (rc != OPINE_ECORRUPT)
            fail_msg("%s: rc %d, want OPINE_ECORRUPT", bad[i].why, rc);
        assert_null(d);
        assert_int_equal(n, 0);
        free(blob);
    }
    /* An unterminated varint (continuation bit on the last byte). */
    static const unsigned char cut[] = {0x02, 0x81};
    size_t blob_len, n;
    unsigned char *blob = zblob(cut, sizeof cut, &blob_len);
    opine_stream_token *d;
    assert_int_equal(decode_copy(blob, blob_len, &d, &n), OPINE_ECORRUPT);
    free(blob);
}

/* Any one byte changed (header, deflate data, Adler-32 trailer) is caught,
 * since zlib checks the header and the checksum of the inflated data; the
 * only changes that may pass are to the unused padding bits after the last
 * deflate block, and those must give back the very same tokens. */
static void test16_legacy_flipped_bytes(void **state)
{
    (void)state;
    size_t blob_len, n0;
    unsigned char *blob = sample_blob(&blob_len, 1);
    opine_stream_token *d0;
    assert_int_equal(decode_copy(blob, blob_len, &d0, &n0), 0);
    static const unsigned char masks[] = {0x01, 0x10, 0x80, 0xff};
    int caught = 0, tries = 0;
    for (size_t i = 0; i < blob_len; i++) {
        for (size_t k = 0; k < sizeof masks; k++) {
            blob[i] ^= masks[k];
            opine_stream_token *d = NULL;
            size_t n;
            int rc = decode_copy(blob, blob_len, &d, &n);
            tries++;
            if (rc == OPINE_ECORRUPT) {
                caught++;
            } else if (rc != 0 || n != n0 || !same_tokens(d, d0, n0)) {
                fail_msg("byte %zu ^ 0x%02x: rc %d, %zu tokens", i, masks[k],
                         rc, n);
            }
            free(d);
            blob[i] ^= masks[k];
        }
    }
    /* Padding is under one byte: nearly every change must be refused. */
    assert_true(caught >= tries - (int)sizeof masks);
    free(d0);
    free(blob);
}

/* A valid zlib stream with junk after it is refused. */
static void test17_legacy_trailing_junk(void **state)
{
    (void)state;
    size_t blob_len;
    unsigned char *blob = sample_blob(&blob_len, 1);
    unsigned char *longer = malloc(blob_len + 4);
    assert_non_null(longer);
    memcpy(longer, blob, blob_len);
    memcpy(longer + blob_len, "junk", 4);
    opine_stream_token *a, *b = NULL;
    size_t na, nb;
    assert_int_equal(decode_copy(blob, blob_len, &a, &na), 0);
    assert_int_equal(decode_copy(longer, blob_len + 4, &b, &nb),
                     OPINE_ECORRUPT);
    assert_null(b);
    free(a);
    free(longer);
    free(blob);
}

/* ---- types alone (what search reads) ---------------------------------- */

/* opine_tokstream_types() and _types_sentences() of an exact-size copy:
 * when the full decoder accepts the blob, the same types and sentences;
 * otherwise a failure or any types, but no read past the end (ASan).
 * Returns the decoder's rc. */
static int types_agree(const unsigned char *blob, size_t len)
{
    opine_stream_token *d = NULL;
    size_t n = 0, nt = 0, cap = 0;
    int rc = decode_copy(blob, len, &d, &n);
    unsigned char *exact = malloc(len ? len : 1);
    assert_non_null(exact);
    memcpy(exact, blob, len);
    uint32_t *t = NULL, *ts = NULL;
    size_t scap = 0, ns = 0;
    int trc = opine_tokstream_types(exact, len, &t, &cap, &nt);
    int src = opine_tokstream_types_sentences(exact, len, &ts, &scap, &ns);
    free(exact);
    if (rc == 0) {
        assert_int_equal(trc, 0);
        assert_int_equal(src, 0);
        assert_int_equal(nt, n);
        assert_int_equal(ns, n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(t[i], d[i].type);
            assert_int_equal(ts[i], d[i].type);
            assert_int_equal(ts[n + i], d[i].sentence);
        }
    } else {
        assert_true(trc == 0 || trc == OPINE_ECORRUPT);
        assert_true(src == trc);
    }
    free(t);
    free(ts);
    free(d);
    return rc;
}

/* Long lists of type ids of every varint length (1 to 5 bytes), in
 * short and long forms with quote flags, so the fast path (8 bytes
 * left) and the byte-by-byte tail both run; then every truncation, and
 * flipped bytes, of a shorter one. */
static void test19_types_alone(void **state)
{
    (void)state;
    enum { N = 3000 };
    spec *s = malloc(N * sizeof *s);
    assert_non_null(s);
    static const uint32_t gaps[] = {0, 1, 1, 1, 2, 3, 4, 9, 200};
    static const uint32_t lens[] = {3, 5, 1, 16, 17, 300, 8};
    uint64_t x = 0x2545f4914f6cdd1du;
    for (size_t round = 0; round < 3; round++) {
        uint32_t pos = 0, sentence = 0;
        for (size_t i = 0; i < N; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (i > 0 && x % 11 == 0)
                sentence++;
            uint32_t gap = gaps[(x >> 8) % (sizeof gaps / sizeof *gaps)];
            uint32_t len = lens[(x >> 16) % (sizeof lens / sizeof *lens)];
            uint8_t kind =
                (x >> 24) % 5 ? OPINE_TOKEN_WORD : (uint8_t)((x >> 28) % 256);
            uint32_t type = round == 0 ? (uint32_t)(x >> 32) % 128
                                       : some_type((size_t)(x >> 40));
            s[i] = (spec){pos + gap, len, kind, sentence, type};
            pos += gap + len;
        }
        size_t n = round == 2 ? 40 : N;
        uint32_t *types;
        opine_tokens t = from_specs(s, n, &types);
        for (size_t i = 0; i < n; i++)
            t.v[i].quote = (uint8_t)(i % 7 == 3);
        unsigned char *blob;
        size_t blob_len;
        assert_int_equal(opine_tokstream_encode(&t, types, &blob, &blob_len),
                         0);
        assert_int_equal(types_agree(blob, blob_len), 0);
        if (round == 2) {
            for (size_t cut = 0; cut < blob_len; cut++)
                assert_int_equal(types_agree(blob, cut), OPINE_ECORRUPT);
            static const unsigned char masks[] = {0x01, 0x40, 0x80, 0xff};
            for (size_t i = 0; i < blob_len; i++)
                for (size_t k = 0; k < sizeof masks; k++) {
                    blob[i] ^= masks[k];
                    types_agree(blob, blob_len);
                    blob[i] ^= masks[k];
                }
        }
        free(blob);
        free(types);
        free(t.v);
    }
    free(s);
    /* random bytes after each tag */
    for (int round = 0; round < 2000; round++) {
        size_t len = 1 + (size_t)(round % 120);
        unsigned char *buf = malloc(len);
        assert_non_null(buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (unsigned char)(x >> 32) & (round % 3 ? 0xff : 0x8f);
        }
        buf[0] = round % 2 ? 0x02 : 0x03;
        types_agree(buf, len);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_round_trip_sentences),
        cmocka_unit_test(test02_round_trip_utf8),
        cmocka_unit_test(test03_round_trip_large),
        cmocka_unit_test(test04_round_trip_empty),
        cmocka_unit_test(test05_round_trip_escapes),
        cmocka_unit_test(test06_format_encoder_bytes),
        cmocka_unit_test(test07_format_decoder_bytes),
        cmocka_unit_test(test08_format_violations),
        cmocka_unit_test(test09_encode_refuses),
        cmocka_unit_test(test10_truncated),
        cmocka_unit_test(test11_trailing_bytes),
        cmocka_unit_test(test12_flipped_bytes),
        cmocka_unit_test(test13_random_bytes),
        cmocka_unit_test(test14_legacy_by_hand),
        cmocka_unit_test(test15_legacy_violations),
        cmocka_unit_test(test16_legacy_flipped_bytes),
        cmocka_unit_test(test17_legacy_trailing_junk),
        cmocka_unit_test(test18_quote_flags),
        cmocka_unit_test(test19_types_alone),
    };
    return cmocka_run_group_tests_name("tokstream", tests, NULL, NULL);
}
