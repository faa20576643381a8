/* tests/test_zblob.c — stored bodies: zstd frames as opine writes them,
 * the zlib streams of databases written before, and damage to either.
 *
 * Every blob read here is passed in an exact-size allocation so ASan sees
 * any read past its end. Cases are numbered, one topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/error.h"
#include "pipeline/zblob.h"

/* ---- helpers -------------------------------------------------------- */

/* Text of n bytes that compresses like prose, not like one repeated byte:
 * words drawn from a small list by a fixed sequence. */
static char *prose(size_t n)
{
    static const char *words[] = {
        "alliance ",          "Seoul ",      "burden ",
        "sharing, ",          "Pyongyang. ", "talks ",
        "\xC3\xA9t\xC3\xA9 ", "\n\n"};
    char *s = malloc(n + 1);
    assert_non_null(s);
    uint32_t x = 12345;
    size_t i = 0;
    while (i < n) {
        x = x * 1103515245u + 12345u;
        const char *w = words[(x >> 16) % 8];
        size_t k = strlen(w);
        if (k > n - i)
            k = n - i;
        memcpy(s + i, w, k);
        i += k;
    }
    s[n] = '\0';
    return s;
}

/* A malloc'd copy of len bytes, so ASan bounds the reader to exactly
 * them. */
static unsigned char *exact(const void *p, size_t len)
{
    unsigned char *b = malloc(len ? len : 1);
    assert_non_null(b);
    memcpy(b, p, len);
    return b;
}

/* Both readers give back exactly text from blob. */
static void reads_as(opine_zcodec *z, const unsigned char *blob,
                     size_t blob_len, const char *text, size_t len)
{
    unsigned char *b = exact(blob, blob_len);
    char *out = malloc(len + 1);
    assert_non_null(out);
    assert_int_equal(opine_zcodec_inflate(z, b, blob_len, out, len), 0);
    assert_memory_equal(out, text, len);
    unsigned char *any;
    size_t n;
    assert_int_equal(opine_zblob_inflate(b, blob_len, &any, &n), 0);
    assert_int_equal(n, len);
    assert_memory_equal(any, text, len);
    assert_int_equal(any[n], '\0');
    free(any);
    free(out);
    free(b);
}

/* Both readers refuse blob as a text of len bytes. */
static void refused(opine_zcodec *z, const unsigned char *blob, size_t blob_len,
                    size_t len, int unknown_too)
{
    unsigned char *b = exact(blob, blob_len);
    char *out = malloc(len + 1);
    assert_non_null(out);
    assert_int_equal(opine_zcodec_inflate(z, b, blob_len, out, len),
                     OPINE_ECORRUPT);
    if (unknown_too) {
        unsigned char *any = (unsigned char *)"x";
        size_t n = 7;
        assert_int_equal(opine_zblob_inflate(b, blob_len, &any, &n),
                         OPINE_ECORRUPT);
        assert_null(any);
        assert_int_equal(n, 0);
    }
    free(out);
    free(b);
}

/* ---- 1. zstd round trips -------------------------------------------- */

static void test_round_trips(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 100, 4096, 131072, 131073, 1 << 20};
    opine_zcodec *z = opine_zcodec_new();
    assert_non_null(z);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char *text = prose(sizes[i]);
        unsigned char *blob;
        size_t blob_len;
        assert_int_equal(
            opine_zcodec_compress(z, text, sizes[i], &blob, &blob_len), 0);
        /* a zstd frame, and prose shrinks */
        assert_true(blob_len >= 4);
        assert_memory_equal(blob, "\x28\xB5\x2F\xFD", 4);
        if (sizes[i] >= 4096)
            assert_true(blob_len < sizes[i] / 2);
        reads_as(z, blob, blob_len, text, sizes[i]);
        free(blob);
        free(text);
    }
    opine_zcodec_free(z);
}

/* ---- 2. zlib bodies of older databases ------------------------------ */

static void test_zlib_bodies(void **state)
{
    (void)state;
    opine_zcodec *z = opine_zcodec_new();
    char *text = prose(50000);
    uLongf cap = compressBound(50000), len = cap;
    unsigned char *blob = malloc(cap);
    assert_non_null(blob);
    assert_int_equal(compress2(blob, &len, (const Bytef *)text, 50000, 1),
                     Z_OK);
    reads_as(z, blob, len, text, 50000);
    /* an empty text's stream too */
    len = cap;
    assert_int_equal(compress2(blob, &len, (const Bytef *)"", 0, 1), Z_OK);
    reads_as(z, blob, len, "", 0);
    free(blob);
    free(text);
    opine_zcodec_free(z);
}

/* ---- 3. the wrong size, cut short, bytes after, garbage ------------- */

static void test_damage(void **state)
{
    (void)state;
    opine_zcodec *z = opine_zcodec_new();
    char *text = prose(20000);
    unsigned char *blob;
    size_t n;
    assert_int_equal(opine_zcodec_compress(z, text, 20000, &blob, &n), 0);
    /* the stored size is the text's: one byte more or less is refused */
    refused(z, blob, n, 19999, 0);
    refused(z, blob, n, 20001, 0);
    /* cut short anywhere, and one byte after the frame */
    for (size_t k = 0; k < n; k += 1 + k / 4)
        refused(z, blob, k, 20000, 1);
    unsigned char *longer = malloc(n + 1);
    memcpy(longer, blob, n);
    longer[n] = 0;
    refused(z, longer, n + 1, 20000, 1);
    free(longer);
    /* every byte of the frame's blocks flipped in turn: refused or, where
     * zstd's format cannot tell, never read past the blob (ASan) */
    for (size_t k = 4; k < n; k++) {
        unsigned char *b = exact(blob, n);
        b[k] ^= 0x5A;
        char *out = malloc(20000);
        int rc = opine_zcodec_inflate(z, b, n, out, 20000);
        assert_true(rc == 0 || rc == OPINE_ECORRUPT);
        free(out);
        free(b);
    }
    /* neither a frame nor a stream */
    refused(z, (const unsigned char *)"plain text, never compressed", 28, 28,
            1);
    refused(z, (const unsigned char *)"", 0, 0, 1);
    assert_int_equal(opine_zcodec_inflate(z, NULL, 0, NULL, 0), OPINE_ECORRUPT);
    free(blob);
    free(text);
    opine_zcodec_free(z);
}

/* ---- 4. a frame that claims a size it cannot hold ------------------- */

static void test_claimed_size(void **state)
{
    (void)state;
    /* Written from RFC 8878: magic; a frame header descriptor with an
     * 8-byte content size and a single segment (0xE0); the size, 2^40
     * little-endian; one last raw block of 0 bytes. 16 bytes cannot hold
     * a terabyte: refused before any allocation of that size. */
    const unsigned char frame[16] = {0x28, 0xB5, 0x2F, 0xFD, 0xE0, 0,    0, 0,
                                     0,    0,    1,    0,    0,    0x01, 0, 0};
    unsigned char *any = NULL;
    size_t n = 0;
    unsigned char *b = exact(frame, sizeof frame);
    assert_int_equal(opine_zblob_inflate(b, sizeof frame, &any, &n),
                     OPINE_ECORRUPT);
    assert_null(any);
    free(b);
    /* the same frame saying 0 bytes is a real, empty body */
    unsigned char empty[16];
    memcpy(empty, frame, 16);
    empty[10] = 0;
    opine_zcodec *z = opine_zcodec_new();
    reads_as(z, empty, 16, "", 0);
    opine_zcodec_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_zlib_bodies),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_claimed_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
