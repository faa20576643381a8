/* tests/test_tokstream.c — doc_tokens.stream blobs: round trips and damage.
 *
 * Round trips take real tokenizer output for texts written here, so offsets,
 * gaps and sentence numbers are the ones the pipeline stores. The format
 * cases build raw streams by hand from the FORMAT comment in
 * pipeline/tokstream.h and zlib them, so the decoder is checked against the
 * documented layout, not against the encoder. Every damaged blob is passed
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

#include "pipeline/error.h"
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
            a[i].kind != b[i].kind)
            return 0;
    return 1;
}

/* Tokenize text, encode with some_type() ids, decode, compare all fields. */
static void round_trip(const char *text, size_t len, size_t min_tokens)
{
    opine_tokens t = OPINE_TOKENS_INIT;
    assert_int_equal(opine_tokenize(text, len, &t), 0);
    assert_true(t.n >= min_tokens);
    uint32_t *types = malloc((t.n ? t.n : 1) * sizeof(*types));
    assert_non_null(types);
    for (size_t i = 0; i < t.n; i++)
        types[i] = some_type(i);

    unsigned char *blob = NULL;
    size_t blob_len = 0;
    assert_int_equal(opine_tokstream_encode(&t, types, &blob, &blob_len), 0);
    assert_non_null(blob);

    opine_stream_token *d = NULL;
    size_t n = (size_t)-1;
    assert_int_equal(decode_copy(blob, blob_len, &d, &n), 0);
    assert_int_equal(n, t.n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(d[i].type, types[i]);
        assert_int_equal(d[i].start, t.v[i].start);
        assert_int_equal(d[i].len, t.v[i].len);
        assert_int_equal(d[i].kind, t.v[i].kind);
        assert_int_equal(d[i].sentence, t.v[i].sentence);
    }
    if (n > 0)
        assert_int_equal(d[n - 1].sentence + 1, t.nsentences);
    free(d);
    free(blob);
    free(types);
    opine_tokens_release(&t);
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

/* zlib raw[0..len) into a malloc'd blob, as the FORMAT comment says. */
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

/* Build a blob from a list of varints. */
static unsigned char *varints_blob(const uint64_t *v, size_t nv,
                                   size_t *blob_len)
{
    unsigned char raw[256], *p = raw;
    assert_true(nv * 10 <= sizeof raw);
    for (size_t i = 0; i < nv; i++)
        p = put_varint(p, v[i]);
    return zblob(raw, (size_t)(p - raw), blob_len);
}

/* A blob of a token list written from the FORMAT comment, not by
 * opine_tokstream_encode(), so the damage cases keep a zlib'd stream to
 * damage whatever the encoder writes. */
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

/* ---- round trips ---------------------------------------------------- */

static void test01_round_trip_sentences(void **state)
{
    (void)state;
    static const char text[] =
        "Seoul and Tokyo met in 2019. Both sides called it a \"reset\"!\n"
        "Was it? Dr. Kim said the U.S. agreed; burden-sharing, 3.5 percent "
        "and 1,000,000 won were on the table.\n\n"
        "A new paragraph starts here. Korea’s envoy didn’t comment.";
    round_trip(text, sizeof text - 1, 30);
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

/* Gaps over 127 and 16383 bytes need multi-byte varints; a long document
 * inflates to much more than the blob, which exercises decoder growth. */
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

    /* And with no tokenizer at all: an empty list. */
    opine_tokens t = OPINE_TOKENS_INIT;
    unsigned char *blob = NULL;
    size_t blob_len = 0, n = 99;
    opine_stream_token *d = NULL;
    assert_int_equal(opine_tokstream_encode(&t, NULL, &blob, &blob_len), 0);
    assert_int_equal(decode_copy(blob, blob_len, &d, &n), 0);
    assert_int_equal(n, 0);
    free(d);
    free(blob);
}

/* ---- the documented format ------------------------------------------ */

/* Three tokens written by hand: type, gap from the previous end, len,
 * kind << 1 | newsent. */
static void test05_format_by_hand(void **state)
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
    opine_stream_token *d;
    assert_int_equal(decode_copy(blob, blob_len, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(d[0].type, 500);
    assert_int_equal(d[0].start, 4);
    assert_int_equal(d[0].len, 5);
    assert_int_equal(d[0].kind, OPINE_TOKEN_WORD);
    assert_int_equal(d[0].sentence, 0);
    assert_int_equal(d[1].type, 1);
    assert_int_equal(d[1].start, 10);
    assert_int_equal(d[1].len, 3);
    assert_int_equal(d[1].kind, OPINE_TOKEN_NUMBER);
    assert_int_equal(d[1].sentence, 0);
    assert_int_equal(d[2].type, 1u << 31);
    assert_int_equal(d[2].start, 213);
    assert_int_equal(d[2].len, 2);
    assert_int_equal(d[2].kind, OPINE_TOKEN_WORD);
    assert_int_equal(d[2].sentence, 1);
    free(d);
    free(blob);
}

/* Streams that are valid zlib but not a valid token list. */
static void test06_format_violations(void **state)
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

/* ---- damage --------------------------------------------------------- */

static unsigned char *sample_blob(size_t *blob_len)
{
    static const char text[] = "Allies argued over costs. Then they agreed, "
                               "for now. Talks resume in 2026.";
    opine_tokens t = OPINE_TOKENS_INIT;
    assert_int_equal(opine_tokenize(text, sizeof text - 1, &t), 0);
    assert_true(t.n > 5);
    uint32_t types[64];
    assert_true(t.n <= 64);
    for (size_t i = 0; i < t.n; i++)
        types[i] = some_type(i);
    unsigned char *blob = legacy_blob(&t, types, blob_len);
    opine_tokens_release(&t);
    return blob;
}

/* Every proper prefix of a blob is truncated data. */
static void test07_truncated(void **state)
{
    (void)state;
    size_t blob_len;
    unsigned char *blob = sample_blob(&blob_len);
    for (size_t cut = 0; cut < blob_len; cut++) {
        opine_stream_token *d = NULL;
        size_t n;
        int rc = decode_copy(blob, cut, &d, &n);
        if (rc != OPINE_ECORRUPT)
            fail_msg("prefix of %zu/%zu bytes: rc %d", cut, blob_len, rc);
        assert_null(d);
    }
    free(blob);
}

/* Any one byte changed (header, deflate data, Adler-32 trailer) is caught,
 * since zlib checks the header and the checksum of the inflated data; the
 * only changes that may pass are to the unused padding bits after the last
 * deflate block, and those must give back the very same tokens. */
static void test08_flipped_bytes(void **state)
{
    (void)state;
    size_t blob_len, n0;
    unsigned char *blob = sample_blob(&blob_len);
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

/* Random bytes of many lengths; the PRNG is fixed so a failure repeats. */
static void test09_random_bytes(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(round % 300);
        unsigned char *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (unsigned char)(x >> 32);
        }
        opine_stream_token *d = NULL;
        size_t n;
        int rc = opine_tokstream_decode(buf, len, &d, &n);
        if (rc != OPINE_ECORRUPT)
            fail_msg("round %d (%zu bytes): rc %d", round, len, rc);
        free(buf);
    }
}

/* A valid zlib stream with junk after it is refused: the blob must be one
 * whole stream. */
static void test10_trailing_zlib_junk(void **state)
{
    (void)state;
    size_t blob_len;
    unsigned char *blob = sample_blob(&blob_len);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_round_trip_sentences),
        cmocka_unit_test(test02_round_trip_utf8),
        cmocka_unit_test(test03_round_trip_large),
        cmocka_unit_test(test04_round_trip_empty),
        cmocka_unit_test(test05_format_by_hand),
        cmocka_unit_test(test06_format_violations),
        cmocka_unit_test(test07_truncated),
        cmocka_unit_test(test08_flipped_bytes),
        cmocka_unit_test(test09_random_bytes),
        cmocka_unit_test(test10_trailing_zlib_junk),
    };
    return cmocka_run_group_tests_name("tokstream", tests, NULL, NULL);
}
