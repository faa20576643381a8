/* bench/neardup_exact.c — near-duplicates against the exact answer: the
 * Jaccard similarity of every pair of documents of a database opine has
 * stemmed, computed over the same word shingles opine uses, set against
 * the pairs opine stored in near_duplicates.
 *
 *     build/neardup_exact DB [THRESHOLD]
 *
 * Every document's shingle set is made from its token stream
 * (doc_tokens) and its types' stems, as pipeline/neardup.c makes them;
 * then all pairs are compared (a pair whose set sizes differ by more than
 * the threshold allows cannot reach it and is skipped, which loses none).
 * Prints the pairs at or above THRESHOLD (default: the database's
 * near_dup_threshold), opine's, their overlap, precision and recall; and,
 * for comparison, what the MinHash estimate alone (estimate >= THRESHOLD,
 * over all pairs) would have given. Meant for a sample of a few thousand
 * documents: the pairs are n^2 / 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/score.h"
#include "pipeline/store.h"
#include "pipeline/tokstream.h"
#include "stages/minhash.h"

typedef struct doc {
    int64_t id;
    uint64_t *s; /* shingles, sorted, distinct */
    size_t n;
    uint16_t sig[OPINE_MINHASH_K];
    int has_sig;
} doc;

typedef struct pair {
    int64_t a, b;
} pair;

static int cmp_size(const void *x, const void *y)
{
    const doc *a = x, *b = y;
    return (a->n > b->n) - (a->n < b->n);
}

static int cmp_pair(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return (a->b > b->b) - (a->b < b->b);
}

static int has_pair(const pair *v, size_t n, pair p)
{
    return bsearch(&p, v, n, sizeof(pair), cmp_pair) != NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int push(pair **v, size_t *n, size_t *cap, pair p)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        pair *w = realloc(*v, *cap * sizeof(pair));
        if (w == NULL)
            return 1;
        *v = w;
    }
    (*v)[(*n)++] = p;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: neardup_exact DB [THRESHOLD]\n");
        return 2;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "neardup_exact: cannot open '%s'\n", argv[1]);
        return 2;
    }
    double t = argc > 2 ? atof(argv[2]) : 0;
    sqlite3_stmt *q;
    if (t <= 0 && sqlite3_prepare_v2(db,
                                     "SELECT value FROM meta WHERE key ="
                                     " 'near_dup_threshold'",
                                     -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            t = sqlite3_column_double(q, 0);
        sqlite3_finalize(q);
    }
    if (t <= 0)
        t = 0.8;
    /* each type's token hash, as pipeline/neardup.c makes it */
    int64_t ntypes = 0;
    sqlite3_prepare_v2(db, "SELECT max(id) FROM types", -1, &q, NULL);
    if (sqlite3_step(q) == SQLITE_ROW)
        ntypes = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    uint64_t *th = calloc((size_t)ntypes + 1, sizeof(uint64_t));
    sqlite3_prepare_v2(db,
                       "SELECT t.id, t.stem, s.stem FROM types t"
                       " JOIN stems s ON s.id = t.stem",
                       -1, &q, NULL);
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(q, 2);
        size_t len = (size_t)sqlite3_column_bytes(q, 2);
        th[sqlite3_column_int64(q, 0)] =
            opine_token_hash(len ? opine_score_stem_hash(s, len) : 0,
                             sqlite3_column_int64(q, 1));
    }
    sqlite3_finalize(q);
    /* every stemmed document's shingles and signature */
    doc *docs = NULL;
    size_t nd = 0, cap = 0;
    sqlite3_prepare_v2(db,
                       "SELECT k.doc, k.stream, m.sig FROM doc_tokens k"
                       " JOIN stage_done s ON s.doc = k.doc AND s.stage ="
                       " 'stem' LEFT JOIN doc_minhash m ON m.doc = k.doc"
                       " ORDER BY k.doc",
                       -1, &q, NULL);
    double t0 = now();
    while (sqlite3_step(q) == SQLITE_ROW) {
        opine_stream_token *st;
        size_t n;
        if (opine_tokstream_decode(sqlite3_column_blob(q, 1),
                                   (size_t)sqlite3_column_bytes(q, 1), &st,
                                   &n) != 0) {
            fprintf(stderr, "neardup_exact: a token stream does not decode\n");
            return 1;
        }
        uint64_t *h = malloc((n + 1) * sizeof(uint64_t));
        for (size_t i = 0; i < n; i++)
            h[i] = st[i].type <= ntypes ? th[st[i].type] : 0;
        free(st);
        if (nd == cap) {
            cap = cap ? 2 * cap : 1024;
            docs = realloc(docs, cap * sizeof(doc));
        }
        doc *d = &docs[nd++];
        memset(d, 0, sizeof(*d));
        d->id = sqlite3_column_int64(q, 0);
        opine_shingles(h, n, &d->s, &d->n);
        free(h);
        if (sqlite3_column_bytes(q, 2) == 2 * OPINE_MINHASH_K) {
            const unsigned char *b = sqlite3_column_blob(q, 2);
            for (size_t i = 0; i < OPINE_MINHASH_K; i++)
                d->sig[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
            d->has_sig = 1;
        }
    }
    sqlite3_finalize(q);
    /* opine's pairs */
    pair *found = NULL;
    size_t nfound = 0, cap_found = 0;
    sqlite3_prepare_v2(db, "SELECT doc_a, doc_b FROM near_duplicates", -1, &q,
                       NULL);
    while (sqlite3_step(q) == SQLITE_ROW)
        push(&found, &nfound, &cap_found,
             (pair){sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1)});
    sqlite3_finalize(q);
    sqlite3_close(db);
    qsort(found, nfound, sizeof(pair), cmp_pair);
    /* all pairs: exact, and the estimate alone */
    qsort(docs, nd, sizeof(doc), cmp_size);
    pair *truth = NULL, *est = NULL;
    size_t ntruth = 0, cap_truth = 0, nest = 0, cap_est = 0, compared = 0;
    for (size_t i = 0; i < nd; i++) {
        for (size_t j = i + 1; j < nd; j++) {
            const doc *a = &docs[i], *b = &docs[j];
            pair p =
                a->id < b->id ? (pair){a->id, b->id} : (pair){b->id, a->id};
            if (a->has_sig && b->has_sig &&
                opine_minhash_similarity(a->sig, b->sig) >= t)
                push(&est, &nest, &cap_est, p);
            if ((double)a->n < t * (double)b->n)
                continue; /* b is too much larger to reach t */
            compared++;
            if (opine_jaccard(a->s, a->n, b->s, b->n) >= t)
                push(&truth, &ntruth, &cap_truth, p);
        }
    }
    double secs = now() - t0;
    qsort(truth, ntruth, sizeof(pair), cmp_pair);
    size_t tp = 0, tp_est = 0;
    for (size_t i = 0; i < nfound; i++)
        tp += has_pair(truth, ntruth, found[i]);
    for (size_t i = 0; i < nest; i++)
        tp_est += has_pair(truth, ntruth, est[i]);
    printf("documents               %zu\n", nd);
    printf("pairs                   %zu (%zu compared exactly, the rest"
           " too different in size)\n",
           nd * (nd - 1) / 2, compared);
    printf("threshold               %.2f\n", t);
    printf("exact pairs >= t        %zu\n", ntruth);
    printf("opine's pairs           %zu, of them true %zu\n", nfound, tp);
    printf("opine precision         %.4f\n",
           nfound ? (double)tp / (double)nfound : 1.0);
    printf("opine recall            %.4f\n",
           ntruth ? (double)tp / (double)ntruth : 1.0);
    printf("estimate >= t alone     %zu pairs, precision %.4f, recall %.4f\n",
           nest, nest ? (double)tp_est / (double)nest : 1.0,
           ntruth ? (double)tp_est / (double)ntruth : 1.0);
    printf("exact all-pairs time    %.1f s\n", secs);
    for (size_t i = 0; i < nd; i++)
        free(docs[i].s);
    free(docs);
    free(found);
    free(truth);
    free(est);
    free(th);
    return 0;
}
