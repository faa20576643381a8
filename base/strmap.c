/* base/strmap.c — open-addressing string map with an append-only arena.
 *
 * HOW IT WORKS: slots hold (key pointer, value, hash, key length); lookups
 * probe linearly from hash & mask and compare the hash's low 32 bits and
 * the length before the bytes. The table doubles at 50% load. Keys live in
 * arena blocks of at least 1 MiB that are never reallocated, so a key
 * pointer is stable. A slot is 24 bytes (32 with the full 64-bit hash): a
 * run's vocabulary is two maps of 512 Ki slots on ABP (196,071 types,
 * 157,451 stems), 8 MB less at the run's peak.
 */
#include "base/strmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/error.h"

typedef struct slot {
    const char *key;
    int64_t value;
    uint32_t hash; /* the low bits of the key's XXH3: its home is hash & mask */
    uint32_t len;
} slot;

typedef struct block {
    struct block *next;
    size_t used, size;
    char data[];
} block;

struct opine__strmap {
    slot *slots;
    size_t mask, count;
    block *arena;
};

#define ARENA_BLOCK ((size_t)1 << 20)

int opine__strmap_new(opine__strmap **out)
{
    opine__strmap *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return OPINE_ENOMEM;
    m->mask = 1023;
    m->slots = calloc(m->mask + 1, sizeof(slot));
    if (m->slots == NULL) {
        free(m);
        return OPINE_ENOMEM;
    }
    *out = m;
    return 0;
}

void opine__strmap_free(opine__strmap *m)
{
    if (m == NULL)
        return;
    for (block *b = m->arena, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(m->slots);
    free(m);
}

static slot *find(const opine__strmap *m, uint64_t h, const char *key,
                  size_t len)
{
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        slot *s = &m->slots[i];
        if (s->key == NULL)
            return s;
        if (s->hash == (uint32_t)h && s->len == len &&
            memcmp(s->key, key, len) == 0)
            return s;
    }
}

int64_t opine__strmap_get(const opine__strmap *m, const char *key, size_t len)
{
    uint64_t h = XXH3_64bits(key, len);
    return find(m, h, key, len)->value;
}

#define CACHE_BITS 16
#define CACHE_SLOTS ((size_t)1 << CACHE_BITS)
#define CACHE_KEY 16

/* A cached key of up to 16 bytes is two words read from it (below) and its
 * length: comparing is three integer compares, and finding the slot needs
 * no XXH3, only a multiply. */
typedef struct cache_slot {
    uint64_t k0, k1;
    int64_t value; /* 0: empty */
    uint64_t len;
} cache_slot;

struct opine__strmap_cache {
    cache_slot slots[CACHE_SLOTS];
};

int opine__strmap_cache_new(opine__strmap_cache **out)
{
    /* aligned so that each set of two slots is one cache line */
    *out = aligned_alloc(64, sizeof(opine__strmap_cache));
    if (*out)
        memset(*out, 0, sizeof(opine__strmap_cache));
    return *out ? 0 : OPINE_ENOMEM;
}

void opine__strmap_cache_free(opine__strmap_cache *c)
{
    free(c);
}

static uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint64_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Two words that, with len, tell every key of up to 16 bytes from every
 * other: loads that may overlap but never read past key[len - 1]. For 8 to
 * 16 bytes the first and the last 8; for 4 to 7 the first and the last 4;
 * for 1 to 3 the first, middle and last byte. */
static void key_words(const char *key, size_t len, uint64_t *k0, uint64_t *k1)
{
    const unsigned char *u = (const unsigned char *)key;
    if (len >= 8) {
        *k0 = load64(key);
        *k1 = load64(key + len - 8);
    } else if (len >= 4) {
        *k0 = load32(key) | load32(key + len - 4) << 32;
        *k1 = 0;
    } else {
        *k0 = len ? (uint64_t)u[0] | (uint64_t)u[len / 2] << 8 |
                        (uint64_t)u[len - 1] << 16
                  : 0;
        *k1 = 0;
    }
}

static int holds(const cache_slot *cs, uint64_t k0, uint64_t k1, size_t len)
{
    return cs->k0 == k0 && cs->k1 == k1 && cs->len == len && cs->value;
}

/* The set of two slots that key (of up to CACHE_KEY bytes, words k0 and
 * k1) lives in. */
static size_t cache_set(uint64_t k0, uint64_t k1, size_t len)
{
    uint64_t mix =
        (k0 ^ len) * 0x9E3779B97F4A7C15u ^ (k1 + len) * 0xC2B2AE3D27D4EB4Fu;
    mix ^= mix >> 29;
    return ((mix * 0x165667B19E3779F9u) >> (64 - CACHE_BITS)) & ~(size_t)1;
}

/* The value of key (words k0 and k1) through its cache set cs. Two ways
 * per set, the set one 64-byte line: a hit in the second way swaps it to
 * the first, a miss moves the first to the second. */
static inline int64_t set_get(const opine__strmap *m, cache_slot *cs,
                              const char *key, size_t len, uint64_t k0,
                              uint64_t k1)
{
    if (holds(&cs[0], k0, k1, len))
        return cs[0].value;
    if (holds(&cs[1], k0, k1, len)) {
        cache_slot t = cs[1];
        cs[1] = cs[0];
        cs[0] = t;
        return t.value;
    }
    int64_t v = opine__strmap_get(m, key, len);
    if (v) {
        cs[1] = cs[0];
        cs[0] = (cache_slot){k0, k1, v, len};
    }
    return v;
}

int64_t opine__strmap_get_cached(const opine__strmap *m, opine__strmap_cache *c,
                                 const char *key, size_t len)
{
    if (len > CACHE_KEY)
        return opine__strmap_get(m, key, len);
    uint64_t k0, k1;
    key_words(key, len, &k0, &k1);
    return set_get(m, &c->slots[cache_set(k0, k1, len)], key, len, k0, k1);
}

/* A key's place in the look-ahead of opine__strmap_get_cached_n(). */
typedef struct ahead {
    const char *key;
    uint64_t k0, k1;
    size_t len, set; /* set: SIZE_MAX for a key too long to cache */
} ahead;

static void ahead_load(const opine__strmap_cache *c, const char *base,
                       const unsigned char *offs, const unsigned char *lens,
                       size_t stride, size_t i, ahead *a)
{
    uint32_t off, len;
    memcpy(&off, offs + i * stride, sizeof off);
    memcpy(&len, lens + i * stride, sizeof len);
    a->key = base + off;
    a->len = len;
    a->set = SIZE_MAX;
    if (len > CACHE_KEY)
        return;
    key_words(a->key, len, &a->k0, &a->k1);
    a->set = cache_set(a->k0, a->k1, len);
    __builtin_prefetch(&c->slots[a->set]);
}

void opine__strmap_get_cached_n(const opine__strmap *m, opine__strmap_cache *c,
                                const char *base, const uint32_t *offs,
                                const uint32_t *lens, size_t stride, size_t n,
                                uint32_t *out)
{
    enum { AHEAD = 8 }; /* as many keys' lines in flight */
    ahead ring[AHEAD];
    const unsigned char *o = (const unsigned char *)offs,
                        *l = (const unsigned char *)lens;
    for (size_t i = 0; i < n && i < AHEAD; i++)
        ahead_load(c, base, o, l, stride, i, &ring[i]);
    for (size_t i = 0; i < n; i++) {
        ahead a = ring[i % AHEAD];
        if (i + AHEAD < n)
            ahead_load(c, base, o, l, stride, i + AHEAD, &ring[i % AHEAD]);
        int64_t v = a.set == SIZE_MAX ? opine__strmap_get(m, a.key, a.len)
                                      : set_get(m, &c->slots[a.set], a.key,
                                                a.len, a.k0, a.k1);
        out[i] = (uint32_t)v;
    }
}

static int grow(opine__strmap *m)
{
    size_t nmask = m->mask * 2 + 1;
    if ((uint64_t)nmask > UINT32_MAX) /* a home is a 32-bit hash's bits */
        return OPINE_ENOMEM;
    slot *ns = calloc(nmask + 1, sizeof(slot));
    if (ns == NULL)
        return OPINE_ENOMEM;
    for (size_t i = 0; i <= m->mask; i++) {
        slot *s = &m->slots[i];
        if (s->key == NULL)
            continue;
        size_t j = s->hash & nmask;
        while (ns[j].key)
            j = (j + 1) & nmask;
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->mask = nmask;
    return 0;
}

static const char *arena_copy(opine__strmap *m, const char *key, size_t len)
{
    block *b = m->arena;
    if (b == NULL || b->size - b->used < len + 1) {
        size_t size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
        b = malloc(sizeof(block) + size);
        if (b == NULL)
            return NULL;
        b->next = m->arena;
        b->used = 0;
        b->size = size;
        m->arena = b;
    }
    char *p = b->data + b->used;
    memcpy(p, key, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

int opine__strmap_put(opine__strmap *m, const char *key, size_t len,
                      int64_t value)
{
    return opine__strmap_intern(m, key, len, value, NULL);
}

int opine__strmap_intern(opine__strmap *m, const char *key, size_t len,
                         int64_t value, const char **stored)
{
    if (len > UINT32_MAX)
        return OPINE_ETOOBIG;
    uint64_t h = XXH3_64bits(key, len);
    slot *s = find(m, h, key, len);
    if (s->key) {
        s->value = value;
        if (stored)
            *stored = s->key;
        return 0;
    }
    if ((m->count + 1) * 2 > m->mask + 1) {
        if (grow(m) != 0)
            return OPINE_ENOMEM;
        s = find(m, h, key, len);
    }
    const char *copy = arena_copy(m, key, len);
    if (copy == NULL)
        return OPINE_ENOMEM;
    s->hash = (uint32_t)h;
    s->key = copy;
    s->len = (uint32_t)len;
    s->value = value;
    m->count++;
    if (stored)
        *stored = copy;
    return 0;
}

size_t opine__strmap_count(const opine__strmap *m)
{
    return m->count;
}
