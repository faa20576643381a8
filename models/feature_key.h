/* models/feature_key.h — the 64-bit keys that trained features are found
 * by, made alike from a feature's name (compile) and from the hashes of
 * its stems (the scorer).
 *
 * A name is "w:STEM", "n:STEM", "b:STEM NEXT" or anything else ("cue:+").
 * Its key is XXH3-64 of two 64-bit words, seeded with its kind ('w', 'n',
 * 'b', or 0 for anything else): for w and n the stem's hash and 0, for b
 * the hashes of its two stems, for anything else the whole name's hash and
 * 0. A stem's hash is XXH3-64 of its bytes. Stems contain no spaces, so the
 * first space of a "b:" name splits it.
 *
 * Why not one hash of the whole name: a stem is then hashed once (the
 * engine hashes each stem of its vocabulary once, opine_score_stem_hash)
 * and a token's "w:", "n:" and "b:" keys come from those hashes with a
 * few multiplies, instead of every feature name being hashed in every
 * document (XXH3 streaming state, three updates and a digest, as the
 * scorer once did).
 *
 * The keys live only in memory, made by the same process that looks them
 * up (the words are hashed in the machine's byte order): nothing stores
 * them, so they may change whenever both sides change together.
 */
#ifndef OPINE_MODELS_FEATURE_KEY_H
#define OPINE_MODELS_FEATURE_KEY_H

#include <stddef.h>
#include <stdint.h>
/* XXH3 compiled in, not called in libxxhash: a key of two words is a few
 * multiplies, less than the call. */
#define XXH_INLINE_ALL
#include <xxhash.h>

enum {
    OPINE__KEY_OTHER = 0,
    OPINE__KEY_W = 'w',
    OPINE__KEY_N = 'n',
    OPINE__KEY_B = 'b'
};

static inline uint64_t opine__stem_hash(const char *stem, size_t len)
{
    return XXH3_64bits(stem, len);
}

/* The key of a feature of kind with stem hashes a (and b, or 0). */
static inline uint64_t opine__feature_key(int kind, uint64_t a, uint64_t b)
{
    const uint64_t in[2] = {a, b};
    return XXH3_64bits_withSeed(in, sizeof(in), (XXH64_hash_t)kind);
}

#endif
