/* models/compile.c — terms to patterns, and matching corpus types to them.
 *
 * HOW IT WORKS: each raw term is trimmed, loses a trailing '*' (which makes
 * its last word a prefix), and is split by opine_tokenize(), the corpus's
 * own tokenizer. Each token's normalised form is stemmed by the Snowball
 * stemmer for the language, exactly as the pipeline stems corpus types, so
 * a term and a corpus type meet at the stem: "negotiations" and "negotiate"
 * both become "negoti". The last token of a '*' term is instead a prefix of
 * the normalised type (not of its stem: "nuclear*" must match
 * "nuclearization", whose stem need not start with "nuclear").
 *
 * Patterns are deduplicated, exact ones by stem and prefix ones by prefix,
 * and numbered in the order first seen. Matching a type is one hash lookup
 * of its stem plus, for the prefix patterns, a scan of them when they are
 * few, or else one lookup of the type's first k bytes for each distinct
 * prefix length k (a dictionary of a million "word*" entries has a dozen
 * lengths: a scan would cost a million comparisons per type); the result
 * is ascending because prefix ids are kept sorted (or sorted after the
 * lookups) and the exact id is merged in. After compile nothing is
 * written, so matching is thread-safe.
 *
 * TERM ORDER: themes in file order; within a theme targets, then positive,
 * then negative cues, each in file order; negators last.
 *
 * LANGUAGE: a YAML model that names its language is stemmed in it, and a
 * different lang is an error (its stems would not meet the corpus's). A
 * dictionary, or a model that does not say, is stemmed in lang when given;
 * opine_model_language() then answers lang.
 */
#include "models/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "models/feature_key.h"
#include "stages/stem.h"
#include "stages/stopwords_builtin.h"
#include "stages/tokenize.h"

static uint32_t pattern_id(opine_model *m, const char *key, size_t len,
                           int prefix);

/* The stems of the language's built-in stop words (stages/stopwords/),
 * for trained models: a function word says little a reader could check,
 * so features of stop words alone are left out (models/score.h). */
static int stem_stop_words(opine_model *m, opine_stemmer *st)
{
    if (opine__strmap_new(&m->stopstems))
        return OPINE_ENOMEM;
    const opine__stoplist *l = opine__stoplists;
    while (l->name && strcmp(l->name, m->language) != 0)
        l++;
    for (const char *p = l->name ? l->text : "", *end; *p; p = end) {
        end = strchr(p, '\n');
        end = end ? end + 1 : p + strlen(p);
        size_t n = (size_t)(end - p);
        while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
            n--;
        if (n == 0 || p[0] == '#')
            continue;
        size_t slen;
        const char *stem = opine_stemmer_stem(st, p, n, &slen);
        if (stem == NULL || opine__strmap_put(m->stopstems, stem, slen, 1))
            return OPINE_ENOMEM;
        /* A trained model also matches them as patterns, so that the
         * engine says once per type, not once per token, which tokens
         * are stop words (opine_model_pattern_is_stop). */
        if (m->linear) {
            uint32_t id = pattern_id(m, stem, slen, 0);
            if (id == UINT32_MAX ||
                opine__grow((void **)&m->stop_ids, &m->stop_cap,
                            m->nstop_ids + 1, sizeof(uint32_t)))
                return OPINE_ENOMEM;
            m->stop_ids[m->nstop_ids++] = id;
        }
    }
    if (m->linear) {
        m->pattern_stop = calloc(m->npatterns + 1, 1);
        if (m->pattern_stop == NULL)
            return OPINE_ENOMEM;
        for (size_t i = 0; i < m->nstop_ids; i++)
            m->pattern_stop[m->stop_ids[i]] = 1;
    }
    return 0;
}

int opine_model_pattern_is_stop(const opine_model *m, uint32_t p)
{
    return m->pattern_stop && p < m->npatterns && m->pattern_stop[p];
}

const uint8_t *opine_model_stop_patterns(const opine_model *m)
{
    return m->pattern_stop;
}

uint64_t opine_model_feature_key(const char *name, size_t len)
{
    if (len >= 2 && name[1] == ':' && (name[0] == 'w' || name[0] == 'n'))
        return opine__feature_key(name[0], opine__stem_hash(name + 2, len - 2),
                                  0);
    const char *sp = len > 2 ? memchr(name + 2, ' ', len - 2) : NULL;
    if (sp && name[0] == 'b' && name[1] == ':') {
        size_t a = (size_t)(sp - (name + 2));
        return opine__feature_key(OPINE__KEY_B, opine__stem_hash(name + 2, a),
                                  opine__stem_hash(sp + 1, len - 3 - a));
    }
    return opine__feature_key(OPINE__KEY_OTHER, opine__stem_hash(name, len), 0);
}

/* While hash_features() counts the rows: key -> row + 1 (0: empty). */
typedef struct fslot {
    uint64_t key;
    uint32_t row;
} fslot;

/* Slot s of a table of cap slots where key h is or would go. */
static size_t fslot_find(const fslot *t, size_t mask, uint64_t h)
{
    size_t s = (size_t)h & mask;
    while (t[s].row && t[s].key != h)
        s = (s + 1) & mask;
    return s;
}

/* The two bits of key h in the filter (above the bits that pick a
 * slot). */
#define FBIT1(h, mask) ((size_t)((h) >> 20) & (mask))
#define FBIT2(h, mask) ((size_t)((h) >> 42) & (mask))

/* The scorer's table: every trained theme's features by key, one row of
 * indexes (one per theme) each, so that a feature is looked up once for
 * all themes. The themes of v2 share most of their features (37,852
 * weights, 10,720 names).
 *
 * A slot is 8 bytes, the top half of the key (a fingerprint) and the
 * row + 1, and the table is up to two thirds full (v2: 16,384 slots,
 * 128 KB). The row begins with the whole key, so a fingerprint that
 * matches by chance is caught where the row is read anyway. Most lookups
 * miss (the words of a window the model does not know), so a filter of
 * 16 bits per key (v2: 32 KB), two set per key, turns nearly all of
 * those away before the table is touched. */
static int hash_features(opine_model *m)
{
    size_t total = 0, nrows = 0, rows_cap = 0;
    for (size_t t = 0; t < m->nlin; t++)
        if (m->lin[t].set)
            total += m->lin[t].pub.nfeatures;
    if (total == 0)
        return 0;
    /* Rows first, in a table big enough for every name; then the keys
     * again into one sized for the rows. */
    size_t cap = 16;
    while (cap < 2 * total)
        cap *= 2;
    fslot *big = calloc(cap, sizeof(*big));
    if (big == NULL)
        return OPINE_ENOMEM;
    /* the key, then one index per theme, rounded up to 8 bytes */
    size_t stride = (2 + m->nthemes + 1) & ~(size_t)1;
    m->fstride = stride;
    for (size_t t = 0; t < m->nlin; t++) {
        const opine__linear *l = &m->lin[t];
        for (size_t i = 0; l->set && i < l->pub.nfeatures; i++) {
            uint64_t h =
                opine_model_feature_key(l->names[i], strlen(l->names[i]));
            size_t s = fslot_find(big, cap - 1, h);
            if (big[s].row == 0) {
                if (opine__grow((void **)&m->frows, &rows_cap,
                                (nrows + 1) * stride, sizeof(int32_t))) {
                    free(big);
                    return OPINE_ENOMEM;
                }
                int32_t *row = m->frows + nrows * stride;
                memcpy(row, &h, sizeof(h));
                for (size_t k = 2; k < stride; k++)
                    row[k] = -1;
                big[s] = (fslot){h, (uint32_t)++nrows};
            }
            m->frows[(big[s].row - 1) * stride + 2 + t] = (int32_t)i;
        }
    }
    size_t small = 16, bits = 64;
    while (2 * small < 3 * nrows)
        small *= 2;
    while (bits < 16 * nrows)
        bits *= 2;
    m->ftable = calloc(small, sizeof(uint64_t));
    m->ffilter = calloc(bits / 64, sizeof(uint64_t));
    if (m->ftable == NULL || m->ffilter == NULL) {
        free(big);
        return OPINE_ENOMEM;
    }
    m->fmask = small - 1;
    m->ffilter_mask = bits - 1;
    for (size_t i = 0; i < cap; i++) {
        if (big[i].row == 0)
            continue;
        uint64_t h = big[i].key;
        size_t s = (size_t)h & m->fmask;
        while (m->ftable[s])
            s = (s + 1) & m->fmask;
        m->ftable[s] = (h & ~(uint64_t)UINT32_MAX) | big[i].row;
        size_t b1 = FBIT1(h, m->ffilter_mask), b2 = FBIT2(h, m->ffilter_mask);
        m->ffilter[b1 / 64] |= (uint64_t)1 << (b1 % 64);
        m->ffilter[b2 / 64] |= (uint64_t)1 << (b2 % 64);
    }
    free(big);
    return 0;
}

const int32_t *opine_model_feature_row(const opine_model *m, uint64_t h)
{
    if (m->ftable == NULL)
        return NULL;
    size_t b1 = FBIT1(h, m->ffilter_mask), b2 = FBIT2(h, m->ffilter_mask);
    if (!(m->ffilter[b1 / 64] >> (b1 % 64) & 1) ||
        !(m->ffilter[b2 / 64] >> (b2 % 64) & 1))
        return NULL;
    uint64_t top = h >> 32;
    for (size_t s = (size_t)h & m->fmask; m->ftable[s];
         s = (s + 1) & m->fmask) {
        if (m->ftable[s] >> 32 != top)
            continue;
        const int32_t *row =
            m->frows + (size_t)((uint32_t)m->ftable[s] - 1) * m->fstride;
        uint64_t key;
        memcpy(&key, row, sizeof(key));
        if (key == h)
            return row + 2;
    }
    return NULL;
}

/* HOW THE BATCH GOES: the filter, the table and the rows do not stay in
 * cache beside the rest of a run's work, so lookups wait for memory (perf
 * put most of opine_model_feature_row()'s time on the load of a slot and
 * of a row), and one lookup after another waits for each in turn. Taken
 * in stages, each over all the keys, the waits of a stage overlap: the
 * filter's words are prefetched for every key, then the slots of the keys
 * that pass, then their rows, and only then is a key compared. */
void opine_model_feature_rows(const opine_model *m, const uint64_t *keys,
                              size_t n, const int32_t **rows)
{
    static const int32_t candidate;
    if (m->ftable == NULL) {
        for (size_t i = 0; i < n; i++)
            rows[i] = NULL;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        __builtin_prefetch(&m->ffilter[FBIT1(keys[i], m->ffilter_mask) / 64]);
        __builtin_prefetch(&m->ffilter[FBIT2(keys[i], m->ffilter_mask) / 64]);
    }
    for (size_t i = 0; i < n; i++) {
        size_t b1 = FBIT1(keys[i], m->ffilter_mask),
               b2 = FBIT2(keys[i], m->ffilter_mask);
        rows[i] = NULL;
        if ((m->ffilter[b1 / 64] >> (b1 % 64) & 1) &&
            (m->ffilter[b2 / 64] >> (b2 % 64) & 1)) {
            __builtin_prefetch(&m->ftable[(size_t)keys[i] & m->fmask]);
            rows[i] = &candidate;
        }
    }
    /* The first slot whose fingerprint matches: a row to fetch. */
    for (size_t i = 0; i < n; i++) {
        if (rows[i] == NULL)
            continue;
        rows[i] = NULL;
        uint64_t top = keys[i] >> 32;
        for (size_t s = (size_t)keys[i] & m->fmask; m->ftable[s];
             s = (s + 1) & m->fmask)
            if (m->ftable[s] >> 32 == top) {
                rows[i] = m->frows +
                          (size_t)((uint32_t)m->ftable[s] - 1) * m->fstride;
                __builtin_prefetch(rows[i]);
                break;
            }
    }
    /* A fingerprint matched by chance: look further, one at a time. */
    for (size_t i = 0; i < n; i++) {
        uint64_t key;
        if (rows[i] == NULL)
            continue;
        memcpy(&key, rows[i], sizeof(key));
        rows[i] =
            key == keys[i] ? rows[i] + 2 : opine_model_feature_row(m, keys[i]);
    }
}

long opine_model_feature_hash(const opine_model *m, size_t theme, uint64_t h)
{
    const int32_t *row = opine_model_feature_row(m, h);
    return row && theme < m->nthemes ? row[theme] : -1;
}

int opine_model_stop_stem(const opine_model *m, const char *stem, size_t len)
{
    return m->stopstems && opine__strmap_get(m->stopstems, stem, len) > 0;
}

void opine__model_release_compiled(opine_model *m)
{
    opine__strmap_free(m->stopstems);
    m->stopstems = NULL;
    free(m->pattern_stop);
    free(m->stop_ids);
    m->pattern_stop = NULL;
    m->stop_ids = NULL;
    m->nstop_ids = m->stop_cap = 0;
    free(m->ftable);
    free(m->ffilter);
    free(m->frows);
    m->ftable = NULL;
    m->ffilter = NULL;
    m->frows = NULL;
    m->fmask = m->ffilter_mask = m->fstride = 0;
    free(m->terms);
    free(m->term_patterns);
    free(m->patterns);
    opine__strmap_free(m->exact);
    opine__strmap_free(m->prefixes);
    free(m->prefix_ids);
    free(m->prefix_lens);
    m->prefix_lens = NULL;
    m->nprefix_lens = 0;
    free(m->starting_off);
    free(m->starting);
    free(m->starting_multi);
    m->starting_multi = NULL;
    free(m->second_mask);
    m->second_mask = NULL;
    m->terms = NULL;
    m->term_patterns = NULL;
    m->patterns = NULL;
    m->exact = m->prefixes = NULL;
    m->prefix_ids = NULL;
    m->starting_off = m->starting = NULL;
    m->nterms = m->npatterns = m->patterns_cap = m->nprefix = 0;
    m->compiled = 0;
}

/* Sort key for term order: negators (theme UINT32_MAX) sort last; the raw
 * index keeps file order within a theme and role. */
typedef struct order {
    uint32_t theme;
    uint8_t role;
    size_t raw;
} order;

static int order_cmp(const void *a, const void *b)
{
    const order *x = a, *y = b;
    if (x->theme != y->theme)
        return x->theme < y->theme ? -1 : 1;
    if (x->role != y->role)
        return x->role < y->role ? -1 : 1;
    return x->raw < y->raw ? -1 : x->raw > y->raw;
}

/* The id of the pattern for key[0..len), made if new; UINT32_MAX when out
 * of memory. */
static uint32_t pattern_id(opine_model *m, const char *key, size_t len,
                           int prefix)
{
    opine__strmap *map = prefix ? m->prefixes : m->exact;
    int64_t id = opine__strmap_get(map, key, len);
    if (id > 0)
        return (uint32_t)(id - 1);
    if (opine__grow((void **)&m->patterns, &m->patterns_cap, m->npatterns + 1,
                    sizeof(opine__pattern)))
        return UINT32_MAX;
    char *copy = opine__model_strndup(m, key, len);
    if (copy == NULL)
        return UINT32_MAX;
    uint32_t p = (uint32_t)m->npatterns;
    if (opine__strmap_put(map, key, len, (int64_t)p + 1) != 0)
        return UINT32_MAX;
    m->patterns[m->npatterns++] = (opine__pattern){copy, len, prefix};
    return p;
}

static int term_error(opine_model *m, const opine__rawterm *r, char **errmsg)
{
    if (r->theme == UINT32_MAX)
        return opine__model_error(errmsg, m->errname, r->line, r->col,
                                  "negator '%s' has no words", r->text);
    return opine__model_error(errmsg, m->errname, r->line, r->col,
                              "theme '%s': term '%s' has no words",
                              m->themes[r->theme].id, r->text);
}

/* Tokenize and stem every term into m->terms, in term order. */
static int compile_terms(opine_model *m, opine_stemmer *st, char **errmsg)
{
    opine_tokens toks = OPINE_TOKENS_INIT;
    order *ord = malloc((m->nraw ? m->nraw : 1) * sizeof(*ord));
    uint32_t *pats = NULL;
    size_t npats = 0, pats_cap = 0;
    int rc = 0;

    m->terms = calloc(m->nraw ? m->nraw : 1, sizeof(*m->terms));
    if (ord == NULL || m->terms == NULL || opine__strmap_new(&m->exact) != 0 ||
        opine__strmap_new(&m->prefixes) != 0) {
        rc = OPINE_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < m->nraw; i++)
        ord[i] = (order){m->raw[i].theme, m->raw[i].role, i};
    qsort(ord, m->nraw, sizeof(*ord), order_cmp);

    for (size_t i = 0; i < m->nraw; i++) {
        const opine__rawterm *r = &m->raw[ord[i].raw];
        size_t len = strlen(r->text);
        int wildcard = len > 0 && r->text[len - 1] == '*';
        if (wildcard)
            len--;
        rc = opine_tokenize(r->text, len, &toks);
        if (rc != 0)
            goto done;
        if (toks.n == 0) {
            rc = term_error(m, r, errmsg);
            goto done;
        }
        /* A '*' must follow a word: "nuclear *" has no prefix to extend. */
        if (wildcard &&
            toks.v[toks.n - 1].start + toks.v[toks.n - 1].len != len) {
            rc = opine__model_error(
                errmsg, m->errname, r->line, r->col,
                "term '%s': expected '*' right after a word", r->text);
            goto done;
        }
        if (npats + toks.n > pats_cap) {
            size_t cap = 2 * (npats + toks.n) + 64;
            uint32_t *v = realloc(pats, cap * sizeof(*v));
            if (v == NULL) {
                rc = OPINE_ENOMEM;
                goto done;
            }
            pats = v;
            pats_cap = cap;
        }
        for (size_t k = 0; k < toks.n; k++) {
            const char *norm = toks.norm + toks.v[k].norm;
            size_t nlen = toks.v[k].norm_len;
            uint32_t p;
            if (wildcard && k + 1 == toks.n) {
                p = pattern_id(m, norm, nlen, 1);
            } else {
                size_t slen;
                const char *stem = opine_stemmer_stem(st, norm, nlen, &slen);
                p = stem ? pattern_id(m, stem, slen, 0) : UINT32_MAX;
            }
            if (p == UINT32_MAX) {
                rc = OPINE_ENOMEM;
                goto done;
            }
            pats[npats++] = p;
        }
        opine_term *t = &m->terms[i];
        t->text = r->text;
        t->theme = r->theme;
        t->role = r->role;
        t->weight = r->weight;
        t->quiet = r->quiet;
        t->npatterns = (uint32_t)toks.n;
        /* An offset for now: pats may still move. */
        t->patterns = (const uint32_t *)(uintptr_t)(npats - toks.n);
    }
    m->nterms = m->nraw;
    m->term_patterns = pats;
    pats = NULL;
    for (size_t i = 0; i < m->nterms; i++)
        m->terms[i].patterns =
            m->term_patterns + (uintptr_t)m->terms[i].patterns;
done:
    free(pats);
    free(ord);
    opine_tokens_release(&toks);
    return rc;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The prefix pattern list and the terms-starting index. */
static int index_patterns(opine_model *m)
{
    m->prefix_ids =
        malloc((m->npatterns ? m->npatterns : 1) * sizeof(*m->prefix_ids));
    m->starting_off = calloc(m->npatterns + 1, sizeof(*m->starting_off));
    m->starting = malloc((m->nterms ? m->nterms : 1) * sizeof(*m->starting));
    m->starting_multi = malloc(m->npatterns + 1);
    m->second_mask = calloc(m->npatterns + 1, sizeof(uint64_t));
    if (m->prefix_ids == NULL || m->starting_off == NULL ||
        m->starting == NULL || m->starting_multi == NULL ||
        m->second_mask == NULL)
        return OPINE_ENOMEM;
    memset(m->starting_multi, 1, m->npatterns + 1);
    for (size_t i = 0; i < m->nterms; i++) {
        const opine_term *t = &m->terms[i];
        if (t->npatterns < 2)
            m->starting_multi[t->patterns[0]] = 0;
        else
            m->second_mask[t->patterns[0]] |= (uint64_t)1
                                              << (t->patterns[1] % 64);
    }
    for (size_t p = 0; p < m->npatterns; p++)
        if (m->patterns[p].prefix)
            m->prefix_ids[m->nprefix++] = (uint32_t)p;
    m->prefix_lens = malloc((m->nprefix ? m->nprefix : 1) * sizeof(size_t));
    if (m->prefix_lens == NULL)
        return OPINE_ENOMEM;
    for (size_t i = 0; i < m->nprefix; i++)
        m->prefix_lens[i] = m->patterns[m->prefix_ids[i]].len;
    if (m->nprefix > 1)
        qsort(m->prefix_lens, m->nprefix, sizeof(size_t), cmp_size);
    for (size_t i = 0; i < m->nprefix; i++)
        if (m->nprefix_lens == 0 ||
            m->prefix_lens[m->nprefix_lens - 1] != m->prefix_lens[i])
            m->prefix_lens[m->nprefix_lens++] = m->prefix_lens[i];

    /* Counting sort of the terms by first pattern; a stable one, so each
     * pattern's list stays in term order. */
    for (size_t i = 0; i < m->nterms; i++)
        m->starting_off[m->terms[i].patterns[0] + 1]++;
    for (size_t p = 0; p < m->npatterns; p++)
        m->starting_off[p + 1] += m->starting_off[p];
    uint32_t *fill = malloc((m->npatterns ? m->npatterns : 1) * sizeof(*fill));
    if (fill == NULL)
        return OPINE_ENOMEM;
    memcpy(fill, m->starting_off, m->npatterns * sizeof(*fill));
    for (size_t i = 0; i < m->nterms; i++)
        m->starting[fill[m->terms[i].patterns[0]]++] = (uint32_t)i;
    free(fill);
    return 0;
}

int opine_model_compile(opine_model *m, const char *lang, char **errmsg)
{
    opine_stemmer *st = NULL;
    int rc;

    if (errmsg)
        *errmsg = NULL;
    opine__model_release_compiled(m);
    if (lang != NULL && m->language_given && strcmp(lang, m->language) != 0) {
        if (errmsg) {
            size_t n =
                strlen(m->name) + strlen(m->language) + strlen(lang) + 64;
            *errmsg = malloc(n);
            if (*errmsg)
                snprintf(*errmsg, n,
                         "model '%s' is for '%s' but the corpus is stemmed "
                         "in '%s'",
                         m->name, m->language, lang);
        }
        return OPINE_ELANG;
    }
    const char *use = lang && !m->language_given ? lang : m->language;
    rc = opine_stemmer_new(&st, use);
    if (rc == OPINE_ELANG) {
        if (errmsg) {
            size_t n = strlen(use) + 64;
            *errmsg = malloc(n);
            if (*errmsg)
                snprintf(*errmsg, n, "no Snowball stemmer for '%s'", use);
        }
        return rc;
    }
    if (rc != 0)
        return rc;
    if (use != m->language) {
        m->language = opine__model_strndup(m, use, strlen(use));
        if (m->language == NULL) {
            opine_stemmer_free(st);
            return OPINE_ENOMEM;
        }
    }
    rc = compile_terms(m, st, errmsg);
    if (rc == 0)
        rc = stem_stop_words(m, st);
    opine_stemmer_free(st);
    if (rc == 0)
        rc = index_patterns(m);
    if (rc == 0)
        rc = hash_features(m);
    if (rc != 0) {
        opine__model_release_compiled(m);
        return rc;
    }
    m->compiled = 1;
    return 0;
}

size_t opine_model_nterms(const opine_model *m)
{
    return m->nterms;
}

const opine_term *opine_model_term(const opine_model *m, size_t i)
{
    return i < m->nterms ? &m->terms[i] : NULL;
}

size_t opine_model_npatterns(const opine_model *m)
{
    return m->npatterns;
}

const uint32_t *opine_model_terms_starting(const opine_model *m, uint32_t p,
                                           size_t *n)
{
    if (!m->compiled || p >= m->npatterns) {
        *n = 0;
        return NULL;
    }
    *n = m->starting_off[p + 1] - m->starting_off[p];
    return m->starting + m->starting_off[p];
}

size_t opine_model_match_type(const opine_model *m, const char *type,
                              size_t type_len, const char *stem,
                              size_t stem_len, uint32_t *pats, size_t max)
{
    if (!m->compiled)
        return 0;
    int64_t e = opine__strmap_get(m->exact, stem, stem_len);
    uint32_t exact = e > 0 ? (uint32_t)(e - 1) : UINT32_MAX;
    size_t n = 0;

    if (m->nprefix > 4 * m->nprefix_lens + 16) {
        /* Many prefixes of few lengths: look the type's heads up, at most
         * one pattern per length. Beyond max only the count matters (the
         * caller asks again with more room), so the sort is of what fits. */
        for (size_t i = 0; i < m->nprefix_lens; i++) {
            size_t k = m->prefix_lens[i];
            if (k > type_len)
                break;
            int64_t id = opine__strmap_get(m->prefixes, type, k);
            if (id > 0 && n++ < max)
                pats[n - 1] = (uint32_t)(id - 1);
        }
        if (exact != UINT32_MAX && n++ < max)
            pats[n - 1] = exact;
        if (n <= max)
            for (size_t i = 1; i < n; i++)
                for (size_t j = i; j > 0 && pats[j - 1] > pats[j]; j--) {
                    uint32_t t = pats[j];
                    pats[j] = pats[j - 1];
                    pats[j - 1] = t;
                }
        return n;
    }
    for (size_t i = 0; i < m->nprefix; i++) {
        const opine__pattern *p = &m->patterns[m->prefix_ids[i]];
        if (p->len > type_len || memcmp(p->key, type, p->len) != 0)
            continue;
        if (exact < m->prefix_ids[i]) {
            if (n < max)
                pats[n] = exact;
            n++;
            exact = UINT32_MAX;
        }
        if (n < max)
            pats[n] = m->prefix_ids[i];
        n++;
    }
    if (exact != UINT32_MAX) {
        if (n < max)
            pats[n] = exact;
        n++;
    }
    return n;
}
