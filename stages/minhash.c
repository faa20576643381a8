/* stages/minhash.c — one-permutation MinHash with optimal densification
 * over word shingles; the method is described in stages/minhash.h. */
#include "stages/minhash.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"

#define BIN_BITS OPINE__MINHASH_BIN_BITS
#define EMPTY UINT64_MAX

uint64_t opine_mix64(uint64_t x)
{
    return opine__mix64_inline(x);
}

uint32_t opine_token_hash(uint64_t stem_hash, int64_t stem_id)
{
    return (uint32_t)(stem_hash
                          ? stem_hash
                          : opine_mix64((uint64_t)stem_id ^ 0x6f70696eULL));
}

#define MUL OPINE__MINHASH_MUL

/* A shingle's hash: its w tokens t1..tw as the polynomial
 * t1 MUL^(w-1) + ... + tw (mod 2^64), so that "a b c d e" and "e d c b a"
 * differ, then mixed. opine_minhash_add() rolls the polynomial along the
 * text, one multiplication a token; opine_shingles() computes it afresh;
 * both give the same value, as arithmetic mod 2^64 is exact. */
static uint64_t shingle_hash(uint64_t poly, size_t w)
{
    return opine_mix64(poly ^ (uint64_t)w);
}

static uint64_t poly_of(const uint64_t *t, size_t w)
{
    uint64_t h = 0;
    for (size_t i = 0; i < w; i++)
        h = h * MUL + t[i];
    return h;
}

void opine_minhash_init(opine_minhash *m)
{
    m->n = 0;
    m->poly = 0;
    m->slot = 0;
    memset(m->win, 0, sizeof m->win);
    for (size_t i = 0; i < OPINE_MINHASH_K; i++)
        m->min[i] = EMPTY;
}

int opine_minhash_final(opine_minhash *m, uint16_t sig[OPINE_MINHASH_K])
{
    if (m->n == 0)
        return 0;
    if (m->n < OPINE_SHINGLE) /* one shingle of every token */
        opine__minhash_put(m, shingle_hash(m->poly, (size_t)m->n));
    for (size_t i = 0; i < OPINE_MINHASH_K; i++) {
        uint64_t v = m->min[i];
        /* Optimal densification: an empty bin takes the value of the
         * first non-empty bin on its own fixed probe sequence. There is
         * always one: at least one shingle was put. */
        for (uint64_t a = 1; v == EMPTY; a++) {
            size_t j = (size_t)(opine_mix64(((uint64_t)i << 32) | a) >>
                                (64 - BIN_BITS));
            v = m->min[j];
        }
        sig[i] = (uint16_t)v;
    }
    return 1;
}

double opine_minhash_similarity(const uint16_t *a, const uint16_t *b)
{
    size_t same = 0;
    for (size_t i = 0; i < OPINE_MINHASH_K; i++)
        same += a[i] == b[i];
    return (double)same / OPINE_MINHASH_K;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int opine_shingles(const uint64_t *tokens, size_t n, uint64_t **out,
                   size_t *nout)
{
    *out = NULL;
    *nout = 0;
    if (n == 0)
        return 0;
    size_t ns = n < OPINE_SHINGLE ? 1 : n - OPINE_SHINGLE + 1;
    uint64_t *s = malloc(ns * sizeof(uint64_t));
    if (s == NULL)
        return OPINE_ENOMEM;
    if (n < OPINE_SHINGLE) {
        s[0] = shingle_hash(poly_of(tokens, n), n);
    } else {
        for (size_t i = 0; i < ns; i++)
            s[i] =
                shingle_hash(poly_of(tokens + i, OPINE_SHINGLE), OPINE_SHINGLE);
    }
    qsort(s, ns, sizeof(uint64_t), cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < ns; i++)
        if (s[i] != s[k - 1])
            s[k++] = s[i];
    *out = s;
    *nout = k;
    return 0;
}

double opine_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, both = 0;
    if (na + nb == 0)
        return 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            both++;
            i++;
            j++;
        }
    }
    return (double)both / (double)(na + nb - both);
}
