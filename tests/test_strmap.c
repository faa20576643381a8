/* tests/test_strmap.c — the vocabulary map: lookups, binary keys, growth.
 *
 * Keys are byte strings with an explicit length, so the cases lean on what a
 * C-string map would get wrong: embedded NULs, keys that are prefixes of one
 * another, the empty key. The large case pushes the table through many
 * doublings and the arena through several blocks, then reads every key back;
 * the last checks the per-thread cache against the map.
 * Cases are numbered, one topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "base/error.h"
#include "base/strmap.h"

static int setup(void **state)
{
    opine__strmap *m = NULL;
    if (opine__strmap_new(&m) != 0 || m == NULL)
        return -1;
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    opine__strmap_free(*state);
    return 0;
}

static int64_t get_s(opine__strmap *m, const char *key)
{
    return opine__strmap_get(m, key, strlen(key));
}

static void put_s(opine__strmap *m, const char *key, int64_t v)
{
    assert_int_equal(opine__strmap_put(m, key, strlen(key), v), 0);
}

static void test01_put_get(void **state)
{
    opine__strmap *m = *state;
    assert_int_equal(opine__strmap_count(m), 0);
    put_s(m, "korea", 1);
    put_s(m, "japan", 2);
    put_s(m, "alliance", 3);
    assert_int_equal(get_s(m, "korea"), 1);
    assert_int_equal(get_s(m, "japan"), 2);
    assert_int_equal(get_s(m, "alliance"), 3);
    assert_int_equal(opine__strmap_count(m), 3);
}

static void test02_missing(void **state)
{
    opine__strmap *m = *state;
    assert_int_equal(get_s(m, "korea"), 0); /* empty map */
    put_s(m, "korea", 7);
    assert_int_equal(get_s(m, "japan"), 0);
    assert_int_equal(get_s(m, "Korea"), 0);
    assert_int_equal(get_s(m, "kore"), 0);
    assert_int_equal(get_s(m, "koreas"), 0);
    assert_int_equal(opine__strmap_get(m, "", 0), 0);
    assert_int_equal(opine__strmap_count(m), 1);
}

/* A second put replaces the value and does not add a key. */
static void test03_replace(void **state)
{
    opine__strmap *m = *state;
    put_s(m, "stem", 5);
    put_s(m, "stem", 9);
    assert_int_equal(get_s(m, "stem"), 9);
    assert_int_equal(opine__strmap_count(m), 1);
    /* Values are int64: one beyond 32 bits must survive. */
    put_s(m, "stem", INT64_C(1) << 40);
    assert_int_equal(get_s(m, "stem"), INT64_C(1) << 40);
}

/* Lengths, not NULs, delimit keys: "a\0b", "a\0c", "a", "a\0" and "" are
 * five different keys. */
static void test04_embedded_nul(void **state)
{
    opine__strmap *m = *state;
    static const struct {
        const char *k;
        size_t len;
    } keys[] = {
        {"a\0b", 3}, {"a\0c", 3}, {"a", 1},    {"a\0", 2},
        {"", 0},     {"\0", 1},   {"\0\0", 2},
    };
    const size_t n = sizeof keys / sizeof *keys;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(
            opine__strmap_put(m, keys[i].k, keys[i].len, (int64_t)i + 1), 0);
    assert_int_equal(opine__strmap_count(m), n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(opine__strmap_get(m, keys[i].k, keys[i].len),
                         (int64_t)i + 1);
    assert_int_equal(opine__strmap_get(m, "a\0d", 3), 0);
}

/* Every prefix of a long word is a key of its own. */
static void test05_common_prefixes(void **state)
{
    opine__strmap *m = *state;
    static const char word[] = "internationalisation";
    const size_t n = sizeof word - 1;
    for (size_t len = 1; len <= n; len++)
        assert_int_equal(opine__strmap_put(m, word, len, (int64_t)len * 10), 0);
    assert_int_equal(opine__strmap_count(m), n);
    for (size_t len = 1; len <= n; len++)
        assert_int_equal(opine__strmap_get(m, word, len), (int64_t)len * 10);
    /* The key is the bytes, not the pointer: a copy elsewhere finds it. */
    char copy[sizeof word];
    memcpy(copy, word, sizeof word);
    assert_int_equal(opine__strmap_get(m, copy, 5), 50);
}

/* A key longer than an arena block (1 MiB) gets a block of its own. */
static void test06_huge_key(void **state)
{
    opine__strmap *m = *state;
    size_t len = ((size_t)1 << 20) + 17;
    char *k = malloc(len);
    assert_non_null(k);
    memset(k, 'x', len);
    put_s(m, "before", 1);
    assert_int_equal(opine__strmap_put(m, k, len, 2), 0);
    put_s(m, "after", 3);
    assert_int_equal(opine__strmap_get(m, k, len), 2);
    assert_int_equal(opine__strmap_get(m, k, len - 1), 0);
    k[len - 1] = 'y';
    assert_int_equal(opine__strmap_get(m, k, len), 0);
    assert_int_equal(get_s(m, "before"), 1);
    assert_int_equal(get_s(m, "after"), 3);
    free(k);
}

/* 200 000 keys: the table starts at 1024 slots, so it doubles about nine
 * times, and the keys fill a few arena blocks. Each key's value is derived
 * from it independently (its index), so a slot mixed up during a resize or a
 * key copied wrongly shows as a wrong value, not just a miss. */
#define NBIG 200000

static size_t big_key(char *buf, size_t i)
{
    /* Varying lengths and shared prefixes: "w7", "w7_7", "w7_7_7" ... */
    int n = snprintf(buf, 64, "w%zu", i);
    for (size_t r = 0; r < i % 3; r++)
        n += snprintf(buf + n, 64 - (size_t)n, "_%zu", i % 7);
    return (size_t)n;
}

static void test07_many_keys(void **state)
{
    opine__strmap *m = *state;
    char buf[64];
    for (size_t i = 0; i < NBIG; i++) {
        size_t len = big_key(buf, i);
        assert_int_equal(opine__strmap_put(m, buf, len, (int64_t)i + 1), 0);
    }
    assert_int_equal(opine__strmap_count(m), NBIG);
    for (size_t i = 0; i < NBIG; i++) {
        size_t len = big_key(buf, i);
        int64_t v = opine__strmap_get(m, buf, len);
        if (v != (int64_t)i + 1)
            fail_msg("key '%.*s': got %lld, want %zu", (int)len, buf,
                     (long long)v, i + 1);
    }
    /* Keys next to the stored ones are still absent. */
    assert_int_equal(get_s(m, "w200000"), 0);
    assert_int_equal(get_s(m, "w2"), 0); /* stored as "w2_2_2" */
    assert_int_equal(get_s(m, "w2_2"), 0);
    assert_int_equal(get_s(m, "w2_2_2"), 3);
    /* Replacing after growth still finds the one slot. */
    size_t len = big_key(buf, 12345);
    assert_int_equal(opine__strmap_put(m, buf, len, 42), 0);
    assert_int_equal(opine__strmap_get(m, buf, len), 42);
    assert_int_equal(opine__strmap_count(m), NBIG);
}

/* The map copies keys: changing or freeing the caller's buffer after put
 * must not change what is stored. */
static void test08_keys_copied(void **state)
{
    opine__strmap *m = *state;
    char *k = strdup("volatile");
    assert_non_null(k);
    assert_int_equal(opine__strmap_put(m, k, 8, 5), 0);
    memset(k, 'z', 8);
    free(k);
    assert_int_equal(get_s(m, "volatile"), 5);
    assert_int_equal(get_s(m, "zzzzzzzz"), 0);
}

static void test09_free_null(void **state)
{
    (void)state;
    opine__strmap_free(NULL);
}

/* The cache in front of the map answers exactly what the map answers:
 * for 200,000 keys (more than the cache's 16,384 slots, so slots are
 * shared and overwritten), short and long (over 15 bytes: not cached),
 * keys that differ only in length or in their last byte, the empty key,
 * misses (never cached: a key added later is found), read twice so the
 * second pass reads the cache. */
static void test10_cache(void **state)
{
    opine__strmap *m = *state;
    opine__strmap_cache *c = NULL;
    assert_int_equal(opine__strmap_cache_new(&c), 0);
    char buf[64];
    for (size_t i = 0; i < NBIG; i++) {
        size_t len = big_key(buf, i);
        assert_int_equal(opine__strmap_put(m, buf, len, (int64_t)i + 1), 0);
    }
    assert_int_equal(opine__strmap_put(m, "", 0, 7), 0);
    assert_int_equal(opine__strmap_put(m, "abcdefghijklmno", 15, 8), 0);
    assert_int_equal(opine__strmap_put(m, "abcdefghijklmnop", 16, 9), 0);
    assert_int_equal(opine__strmap_put(m, "abcdefghijklmnp", 15, 10), 0);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < NBIG; i++) {
            size_t len = big_key(buf, i);
            int64_t v = opine__strmap_get_cached(m, c, buf, len);
            if (v != (int64_t)i + 1)
                fail_msg("pass %d, key '%.*s': got %lld, want %zu", pass,
                         (int)len, buf, (long long)v, i + 1);
        }
        assert_int_equal(opine__strmap_get_cached(m, c, "", 0), 7);
        assert_int_equal(opine__strmap_get_cached(m, c, "abcdefghijklmno", 15),
                         8);
        assert_int_equal(opine__strmap_get_cached(m, c, "abcdefghijklmnop", 16),
                         9);
        assert_int_equal(opine__strmap_get_cached(m, c, "abcdefghijklmnp", 15),
                         10);
        assert_int_equal(opine__strmap_get_cached(m, c, "abcdefghijklmn", 14),
                         0);
        assert_int_equal(opine__strmap_get_cached(m, c, "w2_2", 4), 0);
    }
    /* A miss is not remembered: once the map has the key, so does the
     * cache's answer. */
    assert_int_equal(opine__strmap_get_cached(m, c, "late", 4), 0);
    assert_int_equal(opine__strmap_put(m, "late", 4, 11), 0);
    assert_int_equal(opine__strmap_get_cached(m, c, "late", 4), 11);
    assert_int_equal(opine__strmap_get_cached(m, c, "late", 4), 11);
    opine__strmap_cache_free(c);
    opine__strmap_cache_free(NULL);
}

/* opine__strmap_get_cached_n() answers as opine__strmap_get() does, key
 * by key, for keys laid out as fields of an array of structs: hits, a
 * key too long to cache, the empty key, misses, keys that share a cache
 * set with each other (the same keys again, read from the cache), a key
 * added after a miss, and runs shorter than its look-ahead (n of 0 to 9). */
typedef struct span {
    uint32_t off;
    uint8_t pad; /* the fields need not be packed together */
    uint32_t len;
} span;

static void test12_cache_many(void **state)
{
    opine__strmap *m = *state;
    opine__strmap_cache *c = NULL;
    assert_int_equal(opine__strmap_cache_new(&c), 0);
    enum { NKEYS = 5000, NSPANS = 3 * NKEYS + 8 };
    char *text = malloc(NSPANS * 40);
    span *sp = malloc(NSPANS * sizeof(*sp));
    uint32_t *out = malloc(NSPANS * sizeof(uint32_t));
    assert_true(text && sp && out);
    size_t used = 0, n = 0;
    /* keys k0..k4999 (values i + 1, every third left out of the map),
     * then the same again, then a long key, the empty key and misses */
    for (int round = 0; round < 2; round++)
        for (uint32_t i = 0; i < NKEYS; i++) {
            int len = snprintf(text + used, 40, "k%u", i);
            sp[n++] = (span){(uint32_t)used, 0, (uint32_t)len};
            if (round == 0 && i % 3 != 0)
                assert_int_equal(
                    opine__strmap_put(m, text + used, (size_t)len, i + 1), 0);
            used += (size_t)len;
        }
    const char *extra[] = {"a key longer than sixteen bytes", "", "absent",
                           "k4999x"};
    assert_int_equal(opine__strmap_put(m, extra[0], strlen(extra[0]), 77), 0);
    assert_int_equal(opine__strmap_put(m, "", 0, 78), 0);
    for (size_t k = 0; k < 4; k++) {
        memcpy(text + used, extra[k], strlen(extra[k]));
        sp[n++] = (span){(uint32_t)used, 0, (uint32_t)strlen(extra[k])};
        used += strlen(extra[k]);
    }
    for (int pass = 0; pass < 2; pass++) {
        opine__strmap_get_cached_n(m, c, text, &sp[0].off, &sp[0].len,
                                   sizeof(span), n, out);
        for (size_t i = 0; i < n; i++) {
            int64_t want = opine__strmap_get(m, text + sp[i].off, sp[i].len);
            if ((int64_t)out[i] != want)
                fail_msg("pass %d, key %zu '%.*s': got %u, want %lld", pass, i,
                         (int)sp[i].len, text + sp[i].off, out[i],
                         (long long)want);
        }
    }
    /* a miss is not remembered */
    assert_int_equal(opine__strmap_put(m, "absent", 6, 79), 0);
    opine__strmap_get_cached_n(m, c, text, &sp[n - 2].off, &sp[n - 2].len,
                               sizeof(span), 1, out);
    assert_int_equal(out[0], 79);
    /* short runs: every n below the look-ahead and just past it */
    for (size_t k = 0; k <= 9; k++) {
        memset(out, 0xff, (k + 1) * sizeof(uint32_t));
        opine__strmap_get_cached_n(m, c, text, &sp[1].off, &sp[1].len,
                                   sizeof(span), k, out);
        for (size_t i = 0; i < k; i++)
            assert_int_equal(out[i], (i + 1) % 3 ? i + 2 : 0);
        assert_int_equal(out[k], 0xffffffffu); /* nothing past n */
    }
    free(text);
    free(sp);
    free(out);
    opine__strmap_cache_free(c);
}

/* Slots compare the low 32 bits of a key's hash before its bytes: two
 * keys that share those bits (found here among short keys, by sorting
 * their hashes) must each keep their own value, through growth too. */
typedef struct hashed {
    uint32_t h;
    uint32_t i;
} hashed;

static int cmp_hashed(const void *a, const void *b)
{
    const hashed *x = a, *y = b;
    return x->h != y->h ? (x->h > y->h) - (x->h < y->h)
                        : (x->i > y->i) - (x->i < y->i);
}

static void test11_hash_bits_shared(void **state)
{
    opine__strmap *m = *state;
    enum { NKEYS = 300000 };
    hashed *v = malloc(NKEYS * sizeof(*v));
    assert_non_null(v);
    char a[32], b[32];
    for (uint32_t i = 0; i < NKEYS; i++) {
        int len = snprintf(a, sizeof a, "c%u", i);
        v[i] = (hashed){(uint32_t)XXH3_64bits(a, (size_t)len), i};
    }
    qsort(v, NKEYS, sizeof(*v), cmp_hashed);
    size_t k = 1;
    while (k < NKEYS && v[k].h != v[k - 1].h)
        k++;
    assert_true(k < NKEYS); /* about ten such pairs are expected */
    int la = snprintf(a, sizeof a, "c%u", v[k - 1].i);
    int lb = snprintf(b, sizeof b, "c%u", v[k].i);
    free(v);
    assert_int_equal(opine__strmap_put(m, a, (size_t)la, 1), 0);
    assert_int_equal(opine__strmap_put(m, b, (size_t)lb, 2), 0);
    assert_int_equal(opine__strmap_count(m), 2);
    assert_int_equal(opine__strmap_get(m, a, (size_t)la), 1);
    assert_int_equal(opine__strmap_get(m, b, (size_t)lb), 2);
    char buf[64];
    for (size_t i = 0; i < 5000; i++) { /* the table doubles a few times */
        size_t len = big_key(buf, i);
        assert_int_equal(opine__strmap_put(m, buf, len, (int64_t)i + 3), 0);
    }
    assert_int_equal(opine__strmap_get(m, a, (size_t)la), 1);
    assert_int_equal(opine__strmap_get(m, b, (size_t)lb), 2);
    assert_int_equal(opine__strmap_put(m, b, (size_t)lb, 4), 0);
    assert_int_equal(opine__strmap_get(m, a, (size_t)la), 1);
    assert_int_equal(opine__strmap_get(m, b, (size_t)lb), 4);
    assert_int_equal(opine__strmap_count(m), 5002);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test01_put_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test02_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test03_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test04_embedded_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(test05_common_prefixes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test06_huge_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test07_many_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test08_keys_copied, setup, teardown),
        cmocka_unit_test(test09_free_null),
        cmocka_unit_test_setup_teardown(test10_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test12_cache_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test11_hash_bits_shared, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("strmap", tests, NULL, NULL);
}
