/* base/strmap.h — a string → integer hash map for the vocabulary.
 *
 * Keys are copied into an arena that never moves, so the key pointers handed
 * out stay valid until the map is freed. Memory grows with the number of
 * distinct keys (the vocabulary), never with how often they are looked up.
 * Not thread-safe for writes; concurrent opine__strmap_get() calls are safe
 * while nobody writes.
 */
#ifndef OPINE_BASE_STRMAP_H
#define OPINE_BASE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct opine__strmap opine__strmap;

int opine__strmap_new(opine__strmap **out);
void opine__strmap_free(opine__strmap *m);

/* The value stored for key[0..len), or 0 when absent (values must be > 0). */
int64_t opine__strmap_get(const opine__strmap *m, const char *key, size_t len);

/* Store value (> 0) for key[0..len), replacing any earlier value. Returns 0
 * or OPINE_ENOMEM. */
int opine__strmap_put(opine__strmap *m, const char *key, size_t len,
                      int64_t value);

/* As opine__strmap_put, and *stored (when not NULL) receives the map's own
 * NUL-terminated copy of the key, valid until the map is freed. */
int opine__strmap_intern(opine__strmap *m, const char *key, size_t len,
                         int64_t value, const char **stored);

size_t opine__strmap_count(const opine__strmap *m);

/* A small cache in front of a map, one per thread: 65,536 slots of 32
 * bytes (2 MiB), in sets of two that share a cache line, that hold short
 * keys (up to 16 bytes) inline with their values, so a hit costs one cache
 * line and no hash function instead of a probe into the map's slots and a
 * compare against its arena. Word frequencies are Zipfian: on English news
 * nearly every token is one of a few thousand types. On ABP 96% of
 * look-ups hit (1.35 M misses in 36.2 M; 2.0 M with one slot per set, 4.1
 * M with 16,384 slots, and that run took 0.1 s longer). Only hits are
 * cached, so the cache stays right while the map only gains keys; it must
 * be cleared (or freed) if a cached key's value is ever replaced. */
typedef struct opine__strmap_cache opine__strmap_cache;

int opine__strmap_cache_new(opine__strmap_cache **out);
void opine__strmap_cache_free(opine__strmap_cache *c);

/* opine__strmap_get() through the cache c (which it may update). */
int64_t opine__strmap_get_cached(const opine__strmap *m, opine__strmap_cache *c,
                                 const char *key, size_t len);

/* opine__strmap_get_cached() of n keys, each value (which must fit 32
 * bits) into out[i]: key i is base + off, len bytes long, where off and
 * len are the uint32_t at offs and at lens advanced by i * stride bytes
 * (two fields of an array of structs). The cache is larger than a core's
 * L2, so a hit still waits for memory: each key's cache line is
 * prefetched 8 keys ahead, so that the waits overlap (perf on ABP: the
 * look-ups' share of the run's samples 4.9% -> 4.1%), and each key's
 * words and set are made once, with no call per key (a loop of
 * prefetch and get_cached calls made them twice). */
void opine__strmap_get_cached_n(const opine__strmap *m, opine__strmap_cache *c,
                                const char *base, const uint32_t *offs,
                                const uint32_t *lens, size_t stride, size_t n,
                                uint32_t *out);

#endif
