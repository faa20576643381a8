/* pipeline/neardup.c — near-duplicate documents: MinHash signatures made
 * while documents are stemmed, pairs found at the end of a stage by LSH
 * and confirmed by their exact Jaccard similarity.
 *
 * STORED
 *   doc_minhash(doc, sig)   each stemmed document's signature: 128 bins of
 *                           16 bits (stages/minhash.h), little-endian; made
 *                           by the workers in phase C from the tokens'
 *                           stem hashes, written with the batch
 *   near_duplicates(doc_a, doc_b, estimate, jaccard, run)   doc_a < doc_b,
 *                           every pair whose shingle sets' exact Jaccard
 *                           similarity is at least the threshold, with
 *                           the signatures' estimate of it
 *   stage_done('near_dup', doc)   documents compared with all others
 *   meta near_dup_threshold       the threshold the pairs were found at
 *
 * HOW IT WORKS (opine__near_dups, once per stage, in one transaction):
 *   1. Stemmed documents without a signature (stored by an older opine)
 *      get one from their token streams.
 *   2. LSH: each signature is cut into b bands of r bins; two documents
 *      that agree on all r bins of some band are a candidate pair. r is
 *      the largest for which a pair at the threshold is a candidate with
 *      probability >= 0.99 (1 - (1 - t^r)^b); t = 0.8 gives r = 6, b = 21.
 *      The (band key, document) entries are made in partitions by key,
 *      each at most PART_ENTRIES long, so memory does not grow with the
 *      corpus; the entries whose key no other entry can share are left
 *      out (keep_shared), the rest sorted by key, and every pair with a
 *      document not yet compared is a candidate.
 *   3. A candidate whose signatures agree on fewer than threshold - 0.15
 *      of the bins (more than four standard deviations below) is dropped;
 *      for the others the exact Jaccard similarity of the two documents'
 *      shingle sets is computed from their token streams, and the pair is
 *      kept when it reaches the threshold. So every stored pair is a true
 *      one; what LSH misses (under 1% of the pairs at the threshold, fewer
 *      above it) is the only loss.
 *   4. The new documents are marked compared. A different threshold than
 *      the stored one compares everything again (signatures are kept, so
 *      that takes seconds, not a rerun).
 * Nothing is dropped: near-duplicates stay in every table; the view
 * v_near_dup_later lists each pair's later document, which a query leaves
 * out with one join.
 *
 * COST, on ABP (opine run into a new file, the median of 3 interleaved
 * runs on a quiet 2-core machine): 12.70 s of CPU with near-duplicates,
 * 12.22 s with --near-dup-threshold none (4%; main before them: 12.23 s):
 * the signatures in phase C (about 14 instructions a token), 9.6 MB of
 * doc_minhash, and the pass at the end (0.25 s then: two partitions of
 * band entries, each sorted whole; 17 pairs confirmed). Since the
 * seventeenth session that pass takes 0.04-0.06 s: ABP's 788,000 entries
 * fit one partition of 16 MiB (the run's peak RSS is the same: the
 * batches' memory is free by then), and 36,500 of them are sorted.
 */
#include "pipeline/engine_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/sort.h"
#include "pipeline/fault.h"
#include "pipeline/tokstream.h"
#include "stages/minhash.h"

#define PART_ENTRIES ((size_t)1 << 20) /* 16 MiB of band entries */
#define MARGIN 0.15                    /* below the threshold, see 3. */
#define CACHE 64                       /* shingle sets kept */

/* ---- signatures ------------------------------------------------------- */

uint64_t opine__token_hash(const engine *e, uint32_t type)
{
    return opine__type_token_hash(&e->tv[type]);
}

int opine__sig_final(opine_minhash *m, unsigned char sig[OPINE_SIG_BYTES])
{
    uint16_t v[OPINE_MINHASH_K];
    if (!opine_minhash_final(m, v))
        return 0;
    for (size_t i = 0; i < OPINE_MINHASH_K; i++) {
        sig[2 * i] = (unsigned char)(v[i] & 0xff);
        sig[2 * i + 1] = (unsigned char)(v[i] >> 8);
    }
    return 1;
}

int opine__doc_signature(const engine *e, const uint32_t *types, size_t n,
                         unsigned char sig[OPINE_SIG_BYTES])
{
    opine_minhash m;
    opine_minhash_init(&m);
    for (size_t i = 0; i < n; i++)
        opine_minhash_add(&m, opine__token_hash(e, types[i]));
    return opine__sig_final(&m, sig);
}

static void sig_values(const unsigned char *b, uint16_t v[OPINE_MINHASH_K])
{
    for (size_t i = 0; i < OPINE_MINHASH_K; i++)
        v[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
}

/* A stored document's types, from its token stream (malloc'd). */
static int doc_types(engine *e, sqlite3_stmt *q, int64_t doc, uint32_t **types,
                     size_t *n)
{
    *types = NULL;
    *n = 0;
    sqlite3_bind_int64(q, 1, doc);
    int rc = sqlite3_step(q);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(q);
        return rc == SQLITE_DONE ? 0
                                 : opine__engine_db_fail(e, "reading tokens");
    }
    opine_stream_token *st = NULL;
    rc = opine_tokstream_decode(sqlite3_column_blob(q, 0),
                                (size_t)sqlite3_column_bytes(q, 0), &st, n);
    sqlite3_reset(q);
    if (rc == 0 && (*types = malloc((*n + 1) * sizeof(uint32_t))) == NULL)
        rc = OPINE_ENOMEM;
    for (size_t i = 0; rc == 0 && i < *n; i++) {
        if (st[i].type == 0 || st[i].type > e->ntypes)
            rc = OPINE_ECORRUPT;
        else
            (*types)[i] = st[i].type;
    }
    free(st);
    if (rc) {
        free(*types);
        *types = NULL;
    }
    return rc;
}

/* 1: signatures for stemmed documents an older opine stored without. */
static int missing_signatures(engine *e, sqlite3_stmt *tok, sqlite3_stmt *ins)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT s.doc FROM stage_done s WHERE s.stage ="
                           " 'stem' AND NOT EXISTS (SELECT 1 FROM doc_minhash"
                           " m WHERE m.doc = s.doc) ORDER BY s.doc",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading signatures");
    int rc = 0;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t doc = sqlite3_column_int64(q, 0);
        uint32_t *types;
        size_t n;
        unsigned char sig[OPINE_SIG_BYTES];
        if ((rc = doc_types(e, tok, doc, &types, &n)))
            break;
        if (opine__doc_signature(e, types, n, sig)) {
            sqlite3_bind_int64(ins, 1, doc);
            sqlite3_bind_blob(ins, 2, sig, OPINE_SIG_BYTES, SQLITE_STATIC);
            rc = opine__engine_step_done(e, ins, "storing signatures");
        }
        free(types);
    }
    sqlite3_finalize(q);
    return rc;
}

/* ---- LSH -------------------------------------------------------------- */

/* Rows per band: the largest r for which a pair at threshold t is a
 * candidate with probability >= 0.99 with b = K / r bands. */
static int rows_per_band(double t)
{
    for (int r = OPINE_MINHASH_K / 2; r > 1; r--) {
        int b = OPINE_MINHASH_K / r;
        if (1 - pow(1 - pow(t, r), b) >= 0.99)
            return r;
    }
    return 1;
}

typedef struct entry {
    uint64_t key;
    int64_t doc; /* negative: a document not compared yet */
} entry;

typedef struct pair {
    int64_t a, b;
} pair;

/* by key, then document: equal keys (the same band) come together */
#define ENTRY_LESS(a, b)                                                       \
    ((a)->key < (b)->key || ((a)->key == (b)->key && (a)->doc < (b)->doc))
OPINE__SORT(sort_entries, entry, ENTRY_LESS)

/* Keep only the entries whose key another entry may share, in place: only
 * those can make a pair, and in a corpus most band keys are unique. Two
 * bitmaps over the keys' top FILTER_BITS bits (4 MiB together): a bucket
 * seen once, a bucket seen again; equal keys fall in one bucket, so every
 * entry of a shared key is kept (with the few that only share a bucket).
 * On ABP the 788,000 entries of its one partition come down to 36,495,
 * and filtering and sorting them takes 9-20 ms instead of 60-70. Returns the
 * count kept, or n when the bitmaps cannot be had. */
#define FILTER_BITS 24
static size_t keep_shared(entry *v, size_t n)
{
    const size_t words = ((size_t)1 << FILTER_BITS) / 64;
    uint64_t *seen = calloc(2 * words, sizeof(uint64_t));
    if (seen == NULL)
        return n;
    uint64_t *again = seen + words;
    const int shift = 64 - FILTER_BITS;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = v[i].key >> shift, bit = (uint64_t)1 << (b & 63);
        if (seen[b >> 6] & bit)
            again[b >> 6] |= bit;
        seen[b >> 6] |= bit;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = v[i].key >> shift;
        if (again[b >> 6] & ((uint64_t)1 << (b & 63)))
            v[k++] = v[i];
    }
    free(seen);
    return k;
}

static int cmp_pair(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static uint64_t band_key(const uint16_t *v, int band, int r)
{
    uint64_t h = (uint64_t)band + 1;
    for (int i = 0; i < r; i++)
        h = opine_mix64(h * 0x9e3779b97f4a7c15ULL + v[band * r + i]);
    return h;
}

typedef struct lsh {
    entry *ent;
    size_t nent, cap_ent;
    pair *pairs;
    size_t npairs, cap_pairs;
} lsh;

/* The candidate pairs of one partition of band keys, appended to l->pairs
 * (documents as positive ids, a < b). */
static int partition(engine *e, lsh *l, int r, int bands, uint64_t part,
                     uint64_t nparts, size_t expect)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT m.doc, m.sig, s.doc IS NULL FROM doc_minhash"
                           " m LEFT JOIN stage_done s ON s.stage = 'near_dup'"
                           " AND s.doc = m.doc ORDER BY m.doc",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading signatures");
    int rc = 0;
    l->nent = 0;
    if (opine__grow((void **)&l->ent, &l->cap_ent, expect, sizeof(entry)))
        rc = OPINE_ENOMEM;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        if (sqlite3_column_bytes(q, 1) != OPINE_SIG_BYTES) {
            rc = OPINE_ECORRUPT;
            break;
        }
        int64_t doc = sqlite3_column_int64(q, 0);
        if (sqlite3_column_int(q, 2))
            doc = -doc;
        uint16_t v[OPINE_MINHASH_K];
        sig_values(sqlite3_column_blob(q, 1), v);
        for (int k = 0; k < bands; k++) {
            uint64_t key = band_key(v, k, r);
            if (key % nparts != part)
                continue;
            if (opine__grow((void **)&l->ent, &l->cap_ent, l->nent + 1,
                            sizeof(entry))) {
                rc = OPINE_ENOMEM;
                break;
            }
            l->ent[l->nent++] = (entry){key, doc};
        }
    }
    sqlite3_finalize(q);
    if (rc)
        return rc;
    l->nent = keep_shared(l->ent, l->nent);
    sort_entries(l->ent, l->nent);
    for (size_t i = 0; i < l->nent;) {
        size_t j = i + 1;
        while (j < l->nent && l->ent[j].key == l->ent[i].key)
            j++;
        for (size_t x = i; x < j; x++)
            for (size_t y = x + 1; y < j; y++) {
                int64_t a = l->ent[x].doc, b = l->ent[y].doc;
                if (a > 0 && b > 0)
                    continue; /* both compared before */
                a = a < 0 ? -a : a;
                b = b < 0 ? -b : b;
                if (opine__grow((void **)&l->pairs, &l->cap_pairs,
                                l->npairs + 1, sizeof(pair)))
                    return OPINE_ENOMEM;
                l->pairs[l->npairs++] = a < b ? (pair){a, b} : (pair){b, a};
            }
        i = j;
    }
    return 0;
}

/* ---- verifying -------------------------------------------------------- */

typedef struct shingled {
    int64_t doc;
    uint64_t *s; /* its shingles, once needed */
    size_t n;
    int has_s;
    uint16_t sig[OPINE_MINHASH_K];
    int has_sig;
} shingled;

typedef struct verifier {
    engine *e;
    sqlite3_stmt *tok, *sig;
    shingled cache[CACHE];
    size_t next; /* the slot to reuse next */
} verifier;

/* A document's signature, cached; its shingle set too when shingles is
 * set (decoding the token stream is most of a candidate's cost, and most
 * candidates are dropped by their signatures alone). */
static int get_doc(verifier *v, int64_t doc, int shingles, shingled **out)
{
    shingled *c = NULL;
    for (size_t i = 0; i < CACHE && c == NULL; i++)
        if (v->cache[i].doc == doc)
            c = &v->cache[i];
    if (c == NULL) {
        c = &v->cache[v->next];
        v->next = (v->next + 1) % CACHE;
        free(c->s);
        memset(c, 0, sizeof(*c));
        c->doc = doc;
        sqlite3_bind_int64(v->sig, 1, doc);
        if (sqlite3_step(v->sig) == SQLITE_ROW &&
            sqlite3_column_bytes(v->sig, 0) == OPINE_SIG_BYTES) {
            sig_values(sqlite3_column_blob(v->sig, 0), c->sig);
            c->has_sig = 1;
        }
        sqlite3_reset(v->sig);
    }
    *out = c;
    if (!shingles || c->has_s)
        return 0;
    uint32_t *types;
    size_t n;
    int rc = doc_types(v->e, v->tok, doc, &types, &n);
    if (rc)
        return rc;
    uint64_t *h = malloc((n + 1) * sizeof(uint64_t));
    if (h == NULL) {
        free(types);
        return OPINE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        h[i] = opine__token_hash(v->e, types[i]);
    free(types);
    rc = opine_shingles(h, n, &c->s, &c->n);
    free(h);
    c->has_s = rc == 0;
    return rc;
}

/* ---- the pass --------------------------------------------------------- */

static int exec(engine *e, const char *sql, const char *what)
{
    return opine_store_exec(e->st, sql) ? opine__engine_db_fail(e, what) : 0;
}

static int compare(engine *e, double t, lsh *l)
{
    sqlite3_stmt *cnt, *ins = NULL;
    int64_t docs = 0, fresh = 0;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT count(*), count(*) - (SELECT count(*) FROM"
                           " stage_done WHERE stage = 'near_dup')"
                           " FROM doc_minhash",
                           -1, &cnt, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "counting signatures");
    if (sqlite3_step(cnt) == SQLITE_ROW) {
        docs = sqlite3_column_int64(cnt, 0);
        fresh = sqlite3_column_int64(cnt, 1);
    }
    sqlite3_finalize(cnt);
    if (fresh <= 0)
        return 0;
    int r = rows_per_band(t), bands = OPINE_MINHASH_K / r;
    uint64_t nparts = ((uint64_t)docs * (uint64_t)bands) / PART_ENTRIES + 1;
    int rc = 0;
    verifier v = {.e = e};
    if (sqlite3_prepare_v2(e->db, "SELECT stream FROM doc_tokens WHERE doc = ?",
                           -1, &v.tok, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(e->db, "SELECT sig FROM doc_minhash WHERE doc = ?",
                           -1, &v.sig, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(e->db,
                           "INSERT OR REPLACE INTO near_duplicates(doc_a,"
                           " doc_b, estimate, jaccard, run)"
                           " VALUES(?, ?, ?, ?, ?)",
                           -1, &ins, NULL) != SQLITE_OK)
        rc = opine__engine_db_fail(e, "finding near-duplicates");
    for (uint64_t p = 0; rc == 0 && p < nparts; p++) {
        l->npairs = 0;
        rc = partition(e, l, r, bands, p, nparts,
                       (size_t)((uint64_t)docs * (uint64_t)bands / nparts) +
                           (size_t)((uint64_t)docs * (uint64_t)bands / nparts) /
                               8);
        if (rc)
            break;
        if (l->npairs)
            qsort(l->pairs, l->npairs, sizeof(pair), cmp_pair);
        for (size_t i = 0; rc == 0 && i < l->npairs; i++) {
            if (i > 0 && cmp_pair(&l->pairs[i], &l->pairs[i - 1]) == 0)
                continue;
            shingled *a, *b;
            if ((rc = get_doc(&v, l->pairs[i].a, 0, &a)) ||
                (rc = get_doc(&v, l->pairs[i].b, 0, &b)))
                break;
            if (!a->has_sig || !b->has_sig)
                continue;
            double est = opine_minhash_similarity(a->sig, b->sig);
            if (est < t - MARGIN)
                continue;
            /* both are in the cache now: these find them */
            if ((rc = get_doc(&v, l->pairs[i].a, 1, &a)) ||
                (rc = get_doc(&v, l->pairs[i].b, 1, &b)))
                break;
            double j = opine_jaccard(a->s, a->n, b->s, b->n);
            if (j < t)
                continue;
            sqlite3_bind_int64(ins, 1, l->pairs[i].a);
            sqlite3_bind_int64(ins, 2, l->pairs[i].b);
            sqlite3_bind_double(ins, 3, est);
            sqlite3_bind_double(ins, 4, j);
            sqlite3_bind_int64(ins, 5, e->run_id);
            rc = opine__engine_step_done(e, ins, "storing near-duplicates");
        }
    }
    for (size_t i = 0; i < CACHE; i++)
        free(v.cache[i].s);
    sqlite3_finalize(v.tok);
    sqlite3_finalize(v.sig);
    sqlite3_finalize(ins);
    return rc;
}

int opine__near_dups(engine *e)
{
    double t = e->o->near_dup_threshold;
    if (t < 0)
        return 0; /* asked not to */
    if (t == 0)
        t = OPINE_NEAR_DUP_DEFAULT;
    /* in a first load's last transaction, held open (e->hold_last) */
    int own = sqlite3_get_autocommit(e->db);
    int rc = own ? exec(e, "BEGIN IMMEDIATE", "starting a transaction") : 0;
    if (rc)
        return rc;
    char want[32];
    snprintf(want, sizeof want, "%.4g", t);
    char *have = opine_store_meta_get(e->st, "near_dup_threshold");
    if (have && strcmp(have, want) != 0)
        rc = exec(e,
                  "DELETE FROM near_duplicates;"
                  " DELETE FROM stage_done WHERE stage = 'near_dup';",
                  "comparing at a new threshold");
    free(have);
    if (rc == 0 && opine_store_meta_set(e->st, "near_dup_threshold", want))
        rc = opine__engine_db_fail(e, "recording the threshold");
    sqlite3_stmt *tok = NULL, *ins = NULL;
    if (rc == 0 &&
        (sqlite3_prepare_v2(e->db,
                            "SELECT stream FROM doc_tokens WHERE doc = ?", -1,
                            &tok, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(e->db,
                            "INSERT OR REPLACE INTO doc_minhash(doc, sig)"
                            " VALUES(?, ?)",
                            -1, &ins, NULL) != SQLITE_OK))
        rc = opine__engine_db_fail(e, "storing signatures");
    if (rc == 0)
        rc = missing_signatures(e, tok, ins);
    sqlite3_finalize(tok);
    sqlite3_finalize(ins);
    lsh l = {0};
    if (rc == 0)
        rc = compare(e, t, &l);
    free(l.ent);
    free(l.pairs);
    if (rc == 0) {
        opine__fault("near_dups");
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(e->db,
                               "INSERT OR IGNORE INTO stage_done(stage, doc,"
                               " run) SELECT 'near_dup', doc, ? FROM"
                               " doc_minhash",
                               -1, &q, NULL) != SQLITE_OK)
            rc = opine__engine_db_fail(e, "marking progress");
        else {
            sqlite3_bind_int64(q, 1, e->run_id);
            rc = opine__engine_step_done(e, q, "marking progress");
            sqlite3_finalize(q);
        }
    }
    if (rc == 0 && own)
        rc = exec(e, "COMMIT", "committing");
    if (rc)
        sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
