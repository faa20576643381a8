/* stages/minhash.h — MinHash signatures of documents' word shingles, for
 * finding near-duplicates (pipeline/neardup.c).
 *
 * A document is the sequence of its tokens, each given as a 64-bit hash
 * (the engine uses its stem's hash, so "nations" and "nation" agree). Its
 * SHINGLES are the hashes of every run of OPINE_SHINGLE consecutive tokens
 * (a document shorter than that is one shingle of all its tokens); the
 * Jaccard similarity of two documents is |A ∩ B| / |A ∪ B| over their sets
 * of shingles.
 *
 * HOW IT WORKS: one-permutation MinHash (Li, Owen & Zhang 2012) with
 * optimal densification (Shrivastava 2017). Each shingle's 64-bit hash
 * picks one of OPINE_MINHASH_K bins by its top bits and competes there by
 * the rest; a bin keeps the smallest. A bin no shingle fell into borrows
 * the value of the first non-empty bin a fixed hash sequence of its index
 * points to, so every bin of two documents is equal with probability
 * equal to their Jaccard similarity, at the cost of one hash per token
 * instead of K. Each bin keeps the low 16 bits of its minimum (b-bit
 * MinHash, Li & König 2010): two different minima agree by chance with
 * probability 1/65536, and a signature is 256 bytes.
 *
 *     opine_minhash m;
 *     opine_minhash_init(&m);
 *     for (i = 0; i < n; i++)
 *         opine_minhash_add(&m, token_hash[i]);
 *     uint16_t sig[OPINE_MINHASH_K];
 *     if (opine_minhash_final(&m, sig)) ... store sig ...
 *
 * Pure functions and values on the caller's stack: any number of threads.
 */
#ifndef OPINE_STAGES_MINHASH_H
#define OPINE_STAGES_MINHASH_H

#include <stddef.h>
#include <stdint.h>

#define OPINE_SHINGLE 5     /* tokens per shingle */
#define OPINE_MINHASH_K 128 /* bins of a signature */

typedef struct opine_minhash {
    uint64_t win[OPINE_SHINGLE]; /* the last tokens, a ring */
    uint64_t n;                  /* tokens added */
    uint64_t poly;               /* the last shingle's polynomial */
    unsigned slot;               /* where the next token goes in win */
    uint64_t min[OPINE_MINHASH_K];
} opine_minhash;

void opine_minhash_init(opine_minhash *m);

/* Used by opine_minhash_add(), which is inline: the engine calls it for
 * every token of a corpus, in the loop that counts stems. */
#define OPINE__MINHASH_MUL 0x9e3779b97f4a7c15ULL
#define OPINE__MINHASH_BIN_BITS 7 /* 2^7 = OPINE_MINHASH_K bins */
/* A 64-bit mix (the finaliser of MurmurHash3), for hashes made of ids;
 * opine__mix64_inline() is the same, inline. */
uint64_t opine_mix64(uint64_t x);
static inline uint64_t opine__mix64_inline(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* A shingle's hash competes in its bin (chosen by its top bits) by the
 * rest of its bits. */
static inline void opine__minhash_put(opine_minhash *m, uint64_t h)
{
    size_t bin = (size_t)(h >> (64 - OPINE__MINHASH_BIN_BITS));
    uint64_t v = h & ((UINT64_C(1) << (64 - OPINE__MINHASH_BIN_BITS)) - 1);
    if (v < m->min[bin])
        m->min[bin] = v;
}

/* Add the next token (its 64-bit hash): the polynomial of the last
 * OPINE_SHINGLE tokens rolls on (minhash.c says how), and once there are
 * that many, the shingle's hash competes in its bin. */
static inline void opine_minhash_add(opine_minhash *m, uint64_t token)
{
    /* MUL^(OPINE_SHINGLE - 1): the weight of the token leaving */
    const uint64_t out = OPINE__MINHASH_MUL * OPINE__MINHASH_MUL *
                         OPINE__MINHASH_MUL * OPINE__MINHASH_MUL;
    unsigned slot = m->slot;
    int full = m->n >= OPINE_SHINGLE;
    m->poly = (m->poly - (full ? m->win[slot] * out : 0)) * OPINE__MINHASH_MUL +
              token;
    m->win[slot] = token;
    m->slot = slot + 1 == OPINE_SHINGLE ? 0 : slot + 1;
    if (++m->n >= OPINE_SHINGLE)
        opine__minhash_put(
            m, opine__mix64_inline(m->poly ^ (uint64_t)OPINE_SHINGLE));
}

/* The signature of the tokens added; 0 (and sig untouched) when none were. */
int opine_minhash_final(opine_minhash *m, uint16_t sig[OPINE_MINHASH_K]);

/* The estimated Jaccard similarity of two signatures: the share of equal
 * bins. */
double opine_minhash_similarity(const uint16_t *a, const uint16_t *b);

/* The shingles of tokens[0..n), sorted and distinct, in *out (malloc'd,
 * the caller frees it; NULL when n is 0) with their number in *nout: what
 * the exact Jaccard similarity is computed over. 0 or OPINE_ENOMEM. */
int opine_shingles(const uint64_t *tokens, size_t n, uint64_t **out,
                   size_t *nout);

/* The exact Jaccard similarity of two sorted, distinct shingle sets (0
 * when both are empty). */
double opine_jaccard(const uint64_t *a, size_t na, const uint64_t *b,
                     size_t nb);

/* The hash a token stands for in shingles: the low 32 bits of its stem's
 * hash (opine_score_stem_hash), or for an empty stem of one made of the
 * stem's id. 32 bits are plenty to tell a corpus's stems apart in
 * shingles of five, and keep the engine's type entries small. */
uint32_t opine_token_hash(uint64_t stem_hash, int64_t stem_id);

#endif
