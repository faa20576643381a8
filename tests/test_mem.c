/* tests/test_mem.c — growing arrays and the radix sort of stem ids.
 *
 * The sort is checked against qsort on arrays that reach each of its paths:
 * the insertion sort (n <= 32), one to four radix passes (values below
 * 2^8, 2^16, 2^24 and up to 2^32 - 1), duplicates, sorted and reversed
 * input. Cases are numbered, one topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 88172645463325252u;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

/* Sort v with opine__sort_u32 and compare with qsort of a copy. */
static void check_sorts(uint32_t *v, size_t n)
{
    uint32_t *want = malloc((n + 1) * sizeof(*want));
    uint32_t *tmp = malloc((n + 1) * sizeof(*tmp));
    assert_non_null(want);
    assert_non_null(tmp);
    memcpy(want, v, n * sizeof(*v));
    qsort(want, n, sizeof(*want), cmp_u32);
    opine__sort_u32(v, n, tmp);
    assert_memory_equal(v, want, n * sizeof(*v));
    free(want);
    free(tmp);
}

/* 1. Random values at every width and around the insertion-sort cutoff. */
static void test_1_random(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 31, 32, 33, 100, 1000, 70000};
    static const uint32_t masks[] = {0xff, 0xffff, 0xffffff, 0xffffffff};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t m = 0; m < sizeof masks / sizeof *masks; m++) {
            size_t n = sizes[s];
            uint32_t *v = malloc((n + 1) * sizeof(*v));
            assert_non_null(v);
            for (size_t i = 0; i < n; i++)
                v[i] = next_rand() & masks[m];
            check_sorts(v, n);
            free(v);
        }
}

/* 2. Duplicates, already sorted, reversed, and the extreme values. */
static void test_2_shapes(void **state)
{
    (void)state;
    enum { N = 500 };
    uint32_t v[N];
    for (size_t i = 0; i < N; i++)
        v[i] = (uint32_t)(i % 7) * 1000003u;
    check_sorts(v, N);
    for (size_t i = 0; i < N; i++)
        v[i] = (uint32_t)i;
    check_sorts(v, N);
    for (size_t i = 0; i < N; i++)
        v[i] = (uint32_t)(N - i) << 20;
    check_sorts(v, N);
    for (size_t i = 0; i < N; i++)
        v[i] = i % 2 ? UINT32_MAX : 0;
    check_sorts(v, N);
    uint32_t one[40] = {0};
    one[39] = 1;
    one[0] = 256; /* a second byte only in the first value */
    check_sorts(one, 40);
    assert_int_equal(one[0], 0);
    assert_int_equal(one[38], 1);
    assert_int_equal(one[39], 256);
}

/* 3. Growing: doubling from 64, new elements zeroed, contents kept. */
static void test_3_grow(void **state)
{
    (void)state;
    int *a = NULL;
    size_t cap = 0;
    assert_int_equal(opine__grow((void **)&a, &cap, 1, sizeof(int)), 0);
    assert_int_equal(cap, 64);
    for (size_t i = 0; i < cap; i++)
        assert_int_equal(a[i], 0);
    a[63] = 7;
    assert_int_equal(opine__grow((void **)&a, &cap, 65, sizeof(int)), 0);
    assert_int_equal(cap, 128);
    assert_int_equal(a[63], 7);
    for (size_t i = 64; i < cap; i++)
        assert_int_equal(a[i], 0);
    assert_int_equal(opine__grow((void **)&a, &cap, 100, sizeof(int)), 0);
    assert_int_equal(cap, 128); /* already enough: unchanged */
    assert_int_equal(opine__grow((void **)&a, &cap, 1000, sizeof(int)), 0);
    assert_int_equal(cap, 1024);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_1_random),
        cmocka_unit_test(test_2_shapes),
        cmocka_unit_test(test_3_grow),
    };
    return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
