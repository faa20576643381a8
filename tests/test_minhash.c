/* tests/test_minhash.c — MinHash signatures and shingles
 * (stages/minhash.h): shingle sets by hand, signatures that depend only on
 * the shingles, and estimates that track the exact Jaccard similarity. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stages/minhash.h"

static int sig_of(const uint64_t *t, size_t n, uint16_t sig[OPINE_MINHASH_K])
{
    opine_minhash m;
    opine_minhash_init(&m);
    for (size_t i = 0; i < n; i++)
        opine_minhash_add(&m, t[i]);
    return opine_minhash_final(&m, sig);
}

static double exact(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    uint64_t *sa, *sb;
    size_t ka, kb;
    assert_int_equal(opine_shingles(a, na, &sa, &ka), 0);
    assert_int_equal(opine_shingles(b, nb, &sb, &kb), 0);
    double j = opine_jaccard(sa, ka, sb, kb);
    free(sa);
    free(sb);
    return j;
}

/* A small deterministic generator (xorshift64*), for token hashes. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* 1: shingle sets: n - 4 windows of five tokens, repeats counted once,
 * one shingle for a short document, none for an empty one. */
static void test01_shingles(void **state)
{
    uint64_t t[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint64_t *s;
    size_t n;
    (void)state;
    assert_int_equal(opine_shingles(t, 12, &s, &n), 0);
    assert_int_equal(n, 8);
    for (size_t i = 1; i < n; i++)
        assert_true(s[i - 1] < s[i]);
    free(s);
    uint64_t rep[10] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5};
    assert_int_equal(opine_shingles(rep, 10, &s, &n), 0);
    assert_int_equal(n, 5); /* the five rotations of 1 2 3 4 5 */
    free(s);
    assert_int_equal(opine_shingles(t, 3, &s, &n), 0);
    assert_int_equal(n, 1);
    free(s);
    assert_int_equal(opine_shingles(t, 0, &s, &n), 0);
    assert_int_equal(n, 0);
    assert_null(s);
}

/* 2: exact Jaccard by hand: changing the last of ten tokens changes one
 * of six shingles (5 shared of 7); reversing the order changes all. */
static void test02_exact(void **state)
{
    uint64_t a[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    uint64_t b[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 99};
    uint64_t r[10] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    (void)state;
    assert_true(fabs(exact(a, 10, b, 10) - 5.0 / 7) < 1e-12);
    assert_true(exact(a, 10, r, 10) == 0);
    assert_true(exact(a, 10, a, 10) == 1);
    assert_true(exact(a, 0, b, 0) == 0);
}

/* 3: a signature depends on the shingle set only: two texts with the
 * same shingles in another order have equal signatures, and any change
 * in a shingle can change it. */
static void test03_signature_of_set(void **state)
{
    uint64_t a[10] = {11, 12, 13, 14, 15, 11, 12, 13, 14, 15};
    uint64_t b[10] = {13, 14, 15, 11, 12, 13, 14, 15, 11, 12};
    uint16_t sa[OPINE_MINHASH_K], sb[OPINE_MINHASH_K];
    (void)state;
    assert_true(exact(a, 10, b, 10) == 1);
    assert_int_equal(sig_of(a, 10, sa), 1);
    assert_int_equal(sig_of(b, 10, sb), 1);
    assert_memory_equal(sa, sb, sizeof sa);
    assert_true(opine_minhash_similarity(sa, sb) == 1);
    /* a short text: its one shingle fills every bin alike */
    assert_int_equal(sig_of(a, 3, sa), 1);
    for (size_t i = 1; i < OPINE_MINHASH_K; i++)
        assert_int_equal(sa[i], sa[0]);
    assert_int_equal(sig_of(a, 0, sa), 0);
}

/* 4: the estimate tracks the exact similarity: 300 pairs of 400-token
 * texts, the second with a share of its tokens replaced; the estimate's
 * error is within what 128 bins allow (sd sqrt(J(1-J)/128) <= 0.045). */
static void test04_estimates(void **state)
{
    uint64_t seed = 42, a[400], b[400];
    double worst = 0, sum_err = 0;
    size_t pairs = 300;
    (void)state;
    for (size_t p = 0; p < pairs; p++) {
        for (size_t i = 0; i < 400; i++)
            a[i] = b[i] = rnd(&seed) % 5000; /* a vocabulary, repeats */
        size_t changed = p % 60;             /* up to 15% of the tokens */
        for (size_t k = 0; k < changed; k++)
            b[rnd(&seed) % 400] = rnd(&seed);
        uint16_t sa[OPINE_MINHASH_K], sb[OPINE_MINHASH_K];
        sig_of(a, 400, sa);
        sig_of(b, 400, sb);
        double err = opine_minhash_similarity(sa, sb) - exact(a, 400, b, 400);
        sum_err += err;
        if (fabs(err) > worst)
            worst = fabs(err);
    }
    assert_true(fabs(sum_err / pairs) < 0.01); /* unbiased */
    assert_true(worst < 0.2);                  /* 4.5 sd */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_shingles),
        cmocka_unit_test(test02_exact),
        cmocka_unit_test(test03_signature_of_set),
        cmocka_unit_test(test04_estimates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
