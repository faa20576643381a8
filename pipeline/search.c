/* pipeline/search.c — words, phrases and Boolean queries over the
 * similarity index's postings, BM25, and hits inside documents
 * (search.h). */
#include "pipeline/search.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/sort.h"
#include "pipeline/bpmask.h"
#include "pipeline/simindex.h"
#include "pipeline/store.h"
#include "pipeline/zblob.h"

/* ---- the query --------------------------------------------------------- */

enum { N_LEAF, N_AND, N_OR, N_NOT, N_ALL };
enum { L_TERM, L_PREFIX, L_PHRASE, L_NEAR };
/* NEAR(... , SENTENCE): in one sentence, not within a number of tokens */
#define NEAR_SENTENCE (-1)

/* A sorted set of ids; v is not the set's own when borrowed (a leaf's
 * documents, read by eval()). */
typedef struct idset {
    int64_t *v;
    size_t n;
    int borrowed;
} idset;

/* Bits of a word's first test: few of them are set (a word has a few
 * types), so nearly every other token fails it without a look-up. */
enum { WORD_MASK = 1024 };

/* One word of a leaf: the stems it stands for (one; a prefix's many) and
 * the types of those stems, both sorted. */
typedef struct word {
    idset stems, types;
    /* bit t % WORD_MASK set for every type t: a first test */
    uint64_t mask[WORD_MASK / 64];
    int stop;
    int typed; /* types and mask are read (leaf_types) */
} word;

typedef struct leaf {
    int kind;
    char *text; /* as written, for messages */
    word *w;    /* one, or a phrase's words in order */
    size_t nw;
    int loaded;
    int64_t *docs; /* the documents it matches, ascending, */
    int64_t *tf;   /* and its occurrences in each */
    size_t n;
    int partial;      /* docs: only those in the filter it was loaded under */
    int64_t df;       /* the documents it matches in all; -1: not known */
    struct leaf *sub; /* L_NEAR: its terms and phrases, */
    size_t nsub;
    int near; /* and how close: tokens between, or NEAR_SENTENCE */
} leaf;

/* One occurrence of a leaf in a document: tokens [start, start + len). */
typedef struct span {
    uint32_t start, len;
} span;

typedef struct node {
    int op;
    int leaf;           /* N_LEAF: index into q->leaves */
    struct node *a, *b; /* N_AND, N_OR, N_NOT (a without b) */
} node;

struct opine_search_query {
    node *root;
    leaf *leaves;
    size_t nleaves, cap;
    unsigned char *positive; /* by leaf: not under the right of a NOT */
    idset result;            /* the last match's, when a leaf is partial */
};

/* The statements a searcher may run, prepared when first needed: a query
 * prepares a few of them, in a fraction of a millisecond each. */
enum {
    Q_FIND_STEM,
    Q_STEM_TYPES,
    Q_STEM_TERMS,
    Q_PREFIX_TYPES,
    Q_POSTINGS,
    Q_DOC_TERM,
    Q_STREAM,
    Q_BODY,
    Q_DOC_TERMS,
    Q_ALL_DOCS,
    Q_DF,
    Q_VECTOR,
    Q_POSITIONS,
    Q_END
};
static const char *const SQL[Q_END] = {
    [Q_FIND_STEM] = "SELECT id FROM stems WHERE lang = ? AND stem = ?",
    [Q_STEM_TYPES] = "SELECT id FROM types WHERE stem = ?",
    [Q_STEM_TERMS] = "SELECT id FROM types WHERE stem = ? AND stopword = 0",
    /* A range of types' index on (type, lang): types_text, which answers
     * it alone, or in older files the unique index and the types rows. A
     * type's lang is '' in the database's language ?2, or the name a
     * document gave (?2 itself when it named the database's), and its
     * stem is in the same language (engine_vocab.c): so no stems row is
     * read. set_finish() drops the repeats; a NULL stem (a URL, an
     * address) is no word's. */
    [Q_PREFIX_TYPES] = "SELECT stem FROM types"
                       " WHERE type >= ?1 AND type < ?1 || char(1114111)"
                       " AND lang IN ('', ?2) AND stopword = 0"
                       " AND stem IS NOT NULL",
    [Q_POSTINGS] = "SELECT postings FROM similar_postings WHERE id = ?",
    [Q_DOC_TERM] = "SELECT tf FROM doc_terms WHERE doc = ? AND stem = ?",
    [Q_STREAM] = "SELECT stream FROM doc_tokens WHERE doc = ?",
    [Q_BODY] = "SELECT body FROM documents WHERE id = ?",
    [Q_DOC_TERMS] = "SELECT stem, tf FROM doc_terms WHERE doc = ?",
    [Q_ALL_DOCS] = "SELECT doc FROM doc_lengths ORDER BY doc",
    [Q_DF] = "SELECT df FROM terms WHERE stem = ?",
    [Q_VECTOR] = "SELECT terms FROM doc_vectors WHERE doc = ?",
    /* a chunk's positions, part by part (pipeline/simindex.h) */
    [Q_POSITIONS] = "SELECT positions FROM search_positions"
                    " WHERE id >= ?1 AND id < ?2 ORDER BY id",
};

struct opine_search {
    sqlite3 *db;
    int in_txn;
    opine_search_cut_fn cut;
    void *cut_ctx;
    char *lang;
    int64_t *gens; /* the index's generations */
    size_t ngens;
    idset missing; /* stemmed documents the index lacks */
    int64_t ndocs; /* stemmed documents (N) */
    int64_t maxdoc;
    uint32_t *dl; /* by document id: counted tokens (loaded to rank) */
    double avgdl;
    uint32_t *tbuf; /* a stream's types, when phrases are read */
    size_t tcap;
    /* the tokens --boilerplate exclude leaves out (NULL: none), read
     * when a stream is first */
    opine_bpmask *bp;
    int bp_read;
    int pos_read, has_pos;  /* whether search_positions has rows, once read */
    sqlite3_stmt *q[Q_END]; /* prepared when first used */
};

static void say(char **errmsg, char *msg)
{
    if (errmsg && *errmsg == NULL)
        *errmsg = msg;
    else
        free(msg);
}

static int prepare(sqlite3 *db, sqlite3_stmt **q, const char *sql)
{
    return sqlite3_prepare_v2(db, sql, -1, q, NULL) == SQLITE_OK ? 0
                                                                 : OPINE_EDB;
}

/* Statement k of s, prepared now if it was not; NULL when it cannot be. */
static sqlite3_stmt *stmt(opine_search *s, int k)
{
    if (s->q[k])
        return s->q[k];
    sqlite3_prepare_v2(s->db, SQL[k], -1, &s->q[k], NULL);
    return s->q[k];
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int in_set(const idset *s, int64_t x)
{
    if (s->n <= 8) {
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i] == x)
                return 1;
        return 0;
    }
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->v[lo] == x;
}

static void set_release(idset *s)
{
    if (!s->borrowed)
        free(s->v);
    memset(s, 0, sizeof(*s));
}

/* Whether type is one of w's: most tokens of a text are not, and fail
 * the mask. */
static inline int word_has(const word *w, int64_t type)
{
    uint64_t t = (uint64_t)type % WORD_MASK;
    return (w->mask[t / 64] >> (t % 64) & 1) && in_set(&w->types, type);
}

/* Append x to s (capacity *cap). */
static int set_add(idset *s, size_t *cap, int64_t x)
{
    if (opine__grow((void **)&s->v, cap, s->n + 1, sizeof(int64_t)))
        return OPINE_ENOMEM;
    s->v[s->n++] = x;
    return 0;
}

/* Sort s and drop repeats. */
static void set_finish(idset *s)
{
    if (s->n == 0)
        return;
    qsort(s->v, s->n, sizeof(int64_t), cmp_i64);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i] != s->v[k - 1])
            s->v[k++] = s->v[i];
    s->n = k;
}

/* The ids of q's single-integer-column rows (after its binds) into s. */
static int collect(sqlite3_stmt *q, idset *s)
{
    size_t cap = s->n;
    int rc = 0, step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW)
        if ((rc = set_add(s, &cap, sqlite3_column_int64(q, 0))) != 0)
            break;
    if (rc == 0 && step != SQLITE_DONE)
        rc = OPINE_EDB;
    sqlite3_reset(q);
    return rc;
}

/* ---- opening ------------------------------------------------------------ */

void opine_search_free(opine_search *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < Q_END; i++)
        sqlite3_finalize(s->q[i]);
    if (s->in_txn)
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    free(s->lang);
    free(s->gens);
    free(s->missing.v);
    free(s->dl);
    free(s->tbuf);
    opine_bpmask_free(s->bp);
    free(s);
}

static int64_t one_int(sqlite3 *db, const char *sql, int *rc)
{
    sqlite3_stmt *q;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        *rc = OPINE_EDB;
        return 0;
    }
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    else if (step != SQLITE_DONE)
        *rc = OPINE_EDB;
    sqlite3_finalize(q);
    return v;
}

int opine_search_open(opine_search **out, sqlite3 *db, opine_search_cut_fn cut,
                      void *cut_ctx, char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    *out = NULL;
    opine_search *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return OPINE_ENOMEM;
    s->db = db;
    s->cut = cut;
    s->cut_ctx = cut_ctx;
    /* Scattered reads of 64 KiB pages: mapped, a page costs what is
     * touched, not a copy into the page cache. */
    sqlite3_exec(db, "PRAGMA mmap_size = 1099511627776", NULL, NULL, NULL);
    int rc = 0;
    if (sqlite3_get_autocommit(db)) {
        if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
            rc = OPINE_EDB;
        else
            s->in_txn = 1;
    }
    /* the first statement starts the read transaction, and with it
     * brings the schema up to date for the look-ups below */
    if (rc == 0 && opine__simindex_stamp(db, &s->ndocs, &s->maxdoc))
        rc = OPINE_EDB;
    /* the index's tables, looked up in the schema SQLite holds */
    int has_index = 1;
    static const char *const tables[] = {"similar_postings",
                                         "similar_generations", "similar_docs"};
    for (size_t i = 0; rc == 0 && i < sizeof tables / sizeof *tables; i++)
        has_index &= opine_store_table_exists(db, tables[i]);
    if (rc == 0 && s->ndocs == 0) {
        say(errmsg, opine__format("no document is stemmed yet (opine stem"
                                  " or opine run makes the terms)"));
        opine_search_free(s);
        return OPINE_EEMPTY;
    }
    if (rc == 0) {
        sqlite3_stmt *q;
        if (prepare(db, &q, "SELECT value FROM meta WHERE key = 'language'"))
            rc = OPINE_EDB;
        else {
            const unsigned char *v = sqlite3_step(q) == SQLITE_ROW
                                         ? sqlite3_column_text(q, 0)
                                         : NULL;
            s->lang = strdup(v ? (const char *)v : "english");
            sqlite3_finalize(q);
            rc = s->lang ? 0 : OPINE_ENOMEM;
        }
    }
    /* Documents only ever join doc_lengths, and the index holds a subset
     * of them: equal counts mean it holds them all, and so do current
     * norms (which spare the count: a cold page fault for each of its
     * pages). */
    int64_t indexed = 0;
    if (rc == 0 && has_index) {
        indexed = opine__simindex_norms_match(db, s->ndocs, s->maxdoc) == 1
                      ? s->ndocs
                      : one_int(db, "SELECT count(*) FROM similar_docs", &rc);
    }
    if (rc == 0 && indexed != s->ndocs) {
        sqlite3_stmt *q;
        if (prepare(db, &q,
                    has_index ? "SELECT doc FROM doc_lengths WHERE doc NOT IN"
                                " (SELECT doc FROM similar_docs) ORDER BY doc"
                              : "SELECT doc FROM doc_lengths ORDER BY doc"))
            rc = OPINE_EDB;
        else {
            rc = collect(q, &s->missing);
            sqlite3_finalize(q);
        }
    }
    if (rc == 0 && has_index)
        rc = opine__simindex_generations(db, &s->gens, &s->ngens);
    if (rc) {
        if (rc == OPINE_EDB)
            say(errmsg, opine__format("cannot read the database: %s",
                                      sqlite3_errmsg(db)));
        opine_search_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

size_t opine_search_unindexed(const opine_search *s)
{
    return s->missing.n;
}

/* ---- postings ----------------------------------------------------------- */

typedef struct pair {
    int64_t doc, tf;
} pair;

static int cmp_pair(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

#define I64_LESS(a, b) (*(a) < *(b))
OPINE__LOWER_BOUND(lower_bound, int64_t, I64_LESS)

/* Room for `need` more postings in *docs and *tfs (capacity *cap): a
 * plain realloc(), no zeroing, so that only the pages written are ever
 * touched (each first touch is a page fault). */
static int reserve(int64_t **docs, int64_t **tfs, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 256;
    if (n < need)
        n = need;
    int64_t *d = realloc(*docs, n * sizeof(int64_t));
    if (d == NULL)
        return OPINE_ENOMEM;
    *docs = d;
    int64_t *t = realloc(*tfs, n * sizeof(int64_t));
    if (t == NULL)
        return OPINE_ENOMEM;
    *tfs = t;
    *cap = n;
    return 0;
}

/* Merge the runs of (*d, *t) into one, ascending, the tfs of a document
 * that is in several (or twice in one) summed: run r is [at[r],
 * at[r + 1]), each ascending, at[nruns] = *n. In rounds of pairs of runs,
 * through a second pair of arrays: n log(runs), where a sort of all
 * would cost n log n (a quarter of a prefix's search). */
static int merge_runs(int64_t **d, int64_t **t, size_t *at, size_t nruns,
                      size_t *n)
{
    int64_t *sd = *d, *st = *t, *dd = malloc(*n * sizeof(int64_t)),
            *tt = malloc(*n * sizeof(int64_t));
    if (dd == NULL || tt == NULL) {
        free(dd);
        free(tt);
        return OPINE_ENOMEM;
    }
    size_t len = *n; /* less, as documents in two runs become one */
    while (nruns > 1) {
        size_t k = 0, m = 0;
        for (size_t r = 0; r < nruns; r += 2) {
            size_t a = at[r], ae = at[r + 1];
            size_t b = ae, be = r + 1 < nruns ? at[r + 2] : ae;
            at[m++] = k; /* m <= r: read already */
            while (a < ae || b < be) {
                if (b == be || (a < ae && sd[a] < sd[b])) {
                    dd[k] = sd[a];
                    tt[k++] = st[a++];
                } else if (a == ae || sd[b] < sd[a]) {
                    dd[k] = sd[b];
                    tt[k++] = st[b++];
                } else {
                    dd[k] = sd[a];
                    tt[k++] = st[a++] + st[b++];
                }
            }
        }
        at[m] = len = k;
        nruns = m;
        int64_t *x = sd;
        sd = dd;
        dd = x;
        x = st;
        st = tt;
        tt = x;
    }
    free(dd);
    free(tt);
    /* a document twice in a run (doc_terms rows of two stems) */
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (k && sd[k - 1] == sd[i])
            st[k - 1] += st[i];
        else {
            sd[k] = sd[i];
            st[k++] = st[i];
        }
    }
    *n = k;
    *d = sd;
    *t = st;
    return 0;
}

/* From this many stems on, a word's postings are counted from terms
 * first (load_postings). */
#define HINT_STEMS 1024

/* The documents using any of stems (sorted), with the sum of their tfs:
 * every generation's chunk of each stem, and doc_terms for the documents
 * the index lacks. Decoded straight into the two arrays: a posting takes
 * 3 bytes or more, so a chunk of b bytes holds at most b / 3. Generations
 * mostly hold ascending ranges of documents and a document's postings are
 * in one of them, so one stem's come out ascending; several stems' (a
 * prefix) or a generation out of order are sorted and summed after. */
static int load_postings(opine_search *s, const idset *stems, const idset *f,
                         int64_t **docs, int64_t **tfs, size_t *n,
                         int64_t *total)
{
    *docs = *tfs = NULL;
    *n = 0;
    *total = 0;
    int64_t *d = NULL, *t = NULL;
    size_t nv = 0, cap = 0;
    int rc = 0, ascending = 1;
    /* a statement per chunk: not a table of ids in memory (base/rows.h),
     * whose module a second searcher on the same connection would
     * replace while SQLite still holds the first's */
    sqlite3_stmt *q = stems->n && s->ngens ? stmt(s, Q_POSTINGS) : NULL;
    if (stems->n && s->ngens && q == NULL)
        return OPINE_EDB;
    /* the stems' documents, when terms has them: room for all at once,
     * where growing would copy (and touch) them again and again. Not for
     * a prefix of 2 to HINT_STEMS - 1 stems: its terms rows are scattered
     * over the table's pages (ABP's fill about 25; a prefix of dozens of
     * stems touches most of them, a page fault each for a command that
     * starts cold), which costs more than growing arrays that hold a few
     * thousand documents (nucl*, 36 stems: 9.68 -> 8.35 ms, FTS5 7.67).
     * A prefix of thousands of stems matches most of the corpus, where
     * growing costs more (s*, 13,264 stems: 195 ms with the hint, 221
     * without, FTS5 359); so does a word of one stem with many documents
     * (said: 9.11 ms with, 9.65 without). */
    sqlite3_stmt *df =
        stems->n == 1 || stems->n >= HINT_STEMS ? stmt(s, Q_DF) : NULL;
    size_t hint = 0;
    for (size_t i = 0; df && i < stems->n; i++) {
        sqlite3_bind_int64(df, 1, stems->v[i]);
        if (sqlite3_step(df) == SQLITE_ROW && sqlite3_column_int64(df, 0) > 0)
            hint += (size_t)sqlite3_column_int64(df, 0);
        sqlite3_reset(df);
    }
    if (f && hint > f->n)
        hint = f->n;
    if (hint && (rc = reserve(&d, &t, &cap, hint)) != 0)
        return rc;
    /* with a filter: its next document not below the one decoded, found
     * by stepping along (postings come in ascending runs) */
    size_t fj = 0;
    int64_t prev = -1, all = 0;
    /* where each chunk's postings start, and the doc_terms rows: runs
     * that are each ascending. The chunks are read generation by
     * generation, each in stem order, which is the table's: the look-ups
     * of a prefix's stems that fall on one page follow each other (nucl*,
     * 36 stems in 4 generations: 64 pages read instead of 151 when read
     * stem by stem). One stem's chunks still come out ascending when the
     * generations are in document order. */
    size_t nchunks = stems->n * s->ngens;
    size_t *at = malloc((nchunks + 2) * sizeof(size_t)), nruns = 0;
    int runs_sorted = 1;
    if (at == NULL)
        rc = OPINE_ENOMEM;
    for (size_t c = 0; q && rc == 0 && c < nchunks; c++) {
        at[nruns++] = nv;
        size_t g = c / stems->n;
        sqlite3_bind_int64(q, 1, s->gens[g] << 32 | stems->v[c % stems->n]);
        int step = sqlite3_step(q);
        if (step == SQLITE_ROW) {
            const unsigned char *p = sqlite3_column_blob(q, 0);
            const unsigned char *end = p + sqlite3_column_bytes(q, 0);
            uint64_t doc = 0;
            size_t most = nv + (size_t)(end - p) / 3;
            if (f && most > nv + f->n)
                most = nv + f->n;
            if (p && most > cap && (rc = reserve(&d, &t, &cap, most)) != 0)
                p = end;
            while (p && p < end) {
                uint64_t gap, tf;
                if ((p = opine__posting_get(p, end, &gap, &tf)) == NULL)
                    break;
                doc += gap;
                all++;
                if (f) {
                    if ((int64_t)doc < prev) {
                        int64_t x = (int64_t)doc;
                        fj = lower_bound(f->v, 0, f->n, &x);
                    }
                    prev = (int64_t)doc;
                    while (fj < f->n && f->v[fj] < (int64_t)doc)
                        fj++;
                    if (fj == f->n || f->v[fj] != (int64_t)doc)
                        continue;
                }
                if (nv == cap && (rc = reserve(&d, &t, &cap, nv + 1)) != 0)
                    break;
                if (nv && (int64_t)doc <= d[nv - 1]) {
                    ascending = 0;
                    if (nv > at[nruns - 1] && (int64_t)doc < d[nv - 1])
                        runs_sorted = 0;
                }
                d[nv] = (int64_t)doc;
                t[nv++] = (int64_t)tf;
            }
            if (rc == 0 && p == NULL)
                rc = OPINE_ECORRUPT;
        } else if (step != SQLITE_DONE)
            rc = OPINE_EDB;
        sqlite3_reset(q);
    }
    if (rc == 0)
        at[nruns++] = nv;
    sqlite3_stmt *dt = s->missing.n ? stmt(s, Q_DOC_TERM) : NULL;
    if (s->missing.n && dt == NULL)
        rc = OPINE_EDB;
    for (size_t i = 0; rc == 0 && i < s->missing.n; i++)
        for (size_t j = 0; rc == 0 && j < stems->n; j++) {
            sqlite3_bind_int64(dt, 1, s->missing.v[i]);
            sqlite3_bind_int64(dt, 2, stems->v[j]);
            int step = sqlite3_step(dt);
            if (step == SQLITE_ROW && (all++, f && !in_set(f, s->missing.v[i])))
                ; /* counted, not kept */
            else if (step == SQLITE_ROW) {
                if ((rc = reserve(&d, &t, &cap, nv + 1)) == 0) {
                    if (nv && s->missing.v[i] <= d[nv - 1]) {
                        ascending = 0;
                        if (nv > at[nruns - 1] && s->missing.v[i] < d[nv - 1])
                            runs_sorted = 0;
                    }
                    d[nv] = s->missing.v[i];
                    t[nv++] = sqlite3_column_int64(dt, 0);
                }
            } else if (step != SQLITE_DONE)
                rc = OPINE_EDB;
            sqlite3_reset(dt);
        }
    if (rc == 0 && nv && !ascending && runs_sorted) {
        at[nruns] = nv;
        rc = merge_runs(&d, &t, at, nruns, &nv);
    } else if (rc == 0 && nv && !ascending) {
        pair *v = malloc(nv * sizeof(pair));
        if (v == NULL)
            rc = OPINE_ENOMEM;
        for (size_t i = 0; rc == 0 && i < nv; i++)
            v[i] = (pair){d[i], t[i]};
        if (rc == 0) {
            qsort(v, nv, sizeof(pair), cmp_pair);
            size_t k = 0;
            for (size_t i = 0; i < nv; i++) {
                if (k && d[k - 1] == v[i].doc)
                    t[k - 1] += v[i].tf;
                else {
                    d[k] = v[i].doc;
                    t[k++] = v[i].tf;
                }
            }
            nv = k;
        }
        free(v);
    }
    free(at);
    if (rc || nv == 0) {
        free(d);
        free(t);
        *total = rc ? 0 : all;
        return rc;
    }
    *docs = d;
    *tfs = t;
    *n = nv;
    *total = all;
    return 0;
}

/* The decoded tokens of doc into *tok (malloc'd); OPINE_ENOENT when it
 * has no stream. */
static int read_tokens(opine_search *s, int64_t doc, opine_stream_token **tok,
                       size_t *ntok)
{
    *tok = NULL;
    *ntok = 0;
    sqlite3_stmt *q = stmt(s, Q_STREAM);
    if (q == NULL)
        return OPINE_EDB;
    sqlite3_bind_int64(q, 1, doc);
    int step = sqlite3_step(q), rc;
    if (step == SQLITE_ROW)
        rc = opine_tokstream_decode(sqlite3_column_blob(q, 0),
                                    (size_t)sqlite3_column_bytes(q, 0), tok,
                                    ntok);
    else
        rc = step == SQLITE_DONE ? OPINE_ENOENT : OPINE_EDB;
    sqlite3_reset(q);
    return rc;
}

/* The boilerplate mask (s->bp; NULL when the file leaves nothing out),
 * read when a stream first is. */
static int bp_ready(opine_search *s)
{
    if (s->bp_read)
        return 0;
    int rc = opine_bpmask_open(s->db, &s->bp);
    s->bp_read = rc == 0;
    return rc;
}

/* With --boilerplate exclude, the tokens of doc's left-out lines are in
 * its stream but not in its counts or postings: their types in
 * types[0..n) (tok[0..n), its tokens) become 0, which no word has, so
 * that phrases, NEAR and hits count what doc_terms counts (bpmask.h). */
static int leave_out(opine_search *s, int64_t doc,
                     const opine_stream_token *tok, size_t n, uint32_t *types)
{
    int rc = bp_ready(s);
    return rc ? rc : opine_bpmask_apply(s->bp, doc, tok, n, types, NULL);
}

/* The types of doc's tokens into s->tbuf (*nt of them; none when it has
 * no stream), with sentences their sentence numbers after them, read
 * with q (stmt(s, Q_STREAM)); those left out as boilerplate are 0. */
static int read_types(opine_search *s, sqlite3_stmt *q, int64_t doc,
                      int sentences, size_t *nt)
{
    int rc = bp_ready(s);
    *nt = 0;
    sqlite3_bind_int64(q, 1, doc);
    int step = rc ? SQLITE_DONE : sqlite3_step(q);
    const void *blob = step == SQLITE_ROW ? sqlite3_column_blob(q, 0) : NULL;
    size_t len = blob ? (size_t)sqlite3_column_bytes(q, 0) : 0;
    if (step == SQLITE_ROW)
        rc = (sentences
                  ? opine_tokstream_types_sentences
                  : opine_tokstream_types)(blob, len, &s->tbuf, &s->tcap, nt);
    else if (step != SQLITE_DONE)
        rc = OPINE_EDB;
    /* a document with lines left out: its tokens' offsets, to find them */
    if (rc == 0 && step == SQLITE_ROW && opine_bpmask_has(s->bp, doc)) {
        opine_stream_token *tok = NULL;
        size_t n = 0;
        rc = opine_tokstream_decode(blob, len, &tok, &n);
        if (rc == 0 && n != *nt)
            rc = OPINE_ECORRUPT;
        if (rc == 0)
            rc = leave_out(s, doc, tok, n, s->tbuf);
        free(tok);
    }
    sqlite3_reset(q);
    return rc;
}

/* The tokens of a text as leaf_spans() reads them: their types and,
 * for NEAR(..., SENTENCE) only, their sentences (else NULL). */
typedef struct tokens {
    const uint32_t *type, *sentence;
    size_t n;
} tokens;

/* How many tokens of the leaf start at token i (0: none). */
static size_t match_at(const leaf *l, const tokens *t, size_t i)
{
    if (t->n - i < l->nw)
        return 0;
    for (size_t j = 0; j < l->nw; j++)
        if (!word_has(&l->w[j], t->type[i + j]))
            return 0;
    return l->nw;
}

/* Whether some leaf of q is a NEAR(..., SENTENCE) group. */
static int needs_sentences(const opine_search_query *q)
{
    for (size_t i = 0; i < q->nleaves; i++)
        if (q->leaves[i].kind == L_NEAR && q->leaves[i].near == NEAR_SENTENCE)
            return 1;
    return 0;
}

/* The types (and sentences, when sent) of tok[0..n) in *buf (malloc'd,
 * capacity *cap), as *t. */
static int tokens_of(const opine_stream_token *tok, size_t n, int sent,
                     uint32_t **buf, size_t *cap, tokens *t)
{
    if (opine__grow((void **)buf, cap, (sent ? 2 : 1) * n + 1,
                    sizeof(uint32_t)))
        return OPINE_ENOMEM;
    uint32_t *ty = *buf, *se = *buf + n;
    for (size_t i = 0; i < n; i++)
        ty[i] = tok[i].type;
    for (size_t i = 0; sent && i < n; i++)
        se[i] = tok[i].sentence;
    *t = (tokens){ty, sent ? se : NULL, n};
    return 0;
}

/* The occurrences of a leaf in tok[0..ntok), in order, appended to *v
 * (*n of them, capacity *cap): a term's, prefix's or phrase's where it
 * matches; a NEAR group's, those of its terms and phrases that have an
 * occurrence of every other one of them close enough (at most `near`
 * tokens between the two, or in the same sentence). */
static int leaf_spans(const leaf *l, const tokens *t, span **v, size_t *n,
                      size_t *cap)
{
    size_t from = *n;
    if (l->kind != L_NEAR) {
        for (size_t i = 0; i < t->n; i++) {
            if (!word_has(&l->w[0], t->type[i]))
                continue;
            size_t len = match_at(l, t, i);
            if (len == 0)
                continue;
            if (opine__grow((void **)v, cap, *n + 1, sizeof(span)))
                return OPINE_ENOMEM;
            (*v)[(*n)++] = (span){(uint32_t)i, (uint32_t)len};
        }
        return 0;
    }
    /* every term's and phrase's occurrences, then those that qualify */
    span *all = NULL;
    size_t nall = 0, acap = 0, *first = calloc(l->nsub + 1, sizeof(size_t));
    int rc = first ? 0 : OPINE_ENOMEM;
    for (size_t k = 0; rc == 0 && k < l->nsub; k++) {
        first[k] = nall;
        rc = leaf_spans(&l->sub[k], t, &all, &nall, &acap);
    }
    if (rc == 0)
        first[l->nsub] = nall;
    for (size_t k = 0; rc == 0 && k < l->nsub; k++)
        for (size_t i = first[k]; i < first[k + 1]; i++) {
            span a = all[i];
            int ok = 1;
            for (size_t j = 0; ok && j < l->nsub; j++) {
                if (j == k)
                    continue;
                int found = 0;
                for (size_t e = first[j]; !found && e < first[j + 1]; e++) {
                    span b = all[e];
                    if (l->near == NEAR_SENTENCE)
                        found = t->sentence[b.start] == t->sentence[a.start];
                    else {
                        uint32_t gap = b.start >= a.start + a.len
                                           ? b.start - (a.start + a.len)
                                       : a.start >= b.start + b.len
                                           ? a.start - (b.start + b.len)
                                           : 0;
                        found = gap <= (uint32_t)l->near;
                    }
                }
                ok = found;
            }
            if (!ok)
                continue;
            if (opine__grow((void **)v, cap, *n + 1, sizeof(span))) {
                rc = OPINE_ENOMEM;
                break;
            }
            (*v)[(*n)++] = a;
        }
    free(all);
    free(first);
    if (rc)
        return rc;
    /* in order of position; at a position shared by several, the longest */
    span *r = *v + from;
    size_t m = *n - from;
    for (size_t i = 1; i < m; i++) { /* insertion: few of them */
        span x = r[i];
        size_t j = i;
        while (j > 0 && (r[j - 1].start > x.start ||
                         (r[j - 1].start == x.start && r[j - 1].len < x.len))) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (k == 0 || r[i].start != r[k - 1].start)
            r[k++] = r[i];
    *n = from + k;
    return 0;
}

static int load_leaf(opine_search *s, leaf *l, const idset *f);

/* A leaf's documents and counts, made by a loader under filter f (NULL:
 * none), kept (or freed when rc says the loader failed). */
static int leaf_keep(leaf *l, int64_t *docs, int64_t *tf, size_t n,
                     const idset *f, int rc)
{
    if (rc) {
        free(docs);
        free(tf);
        return rc;
    }
    l->docs = docs;
    l->tf = tf;
    l->n = n;
    l->loaded = 1;
    l->partial = f != NULL;
    l->df = f ? -1 : (int64_t)n;
    return 0;
}

/* Forget what a leaf (and its NEAR group's terms) loaded. */
static void leaf_unload(leaf *l)
{
    free(l->docs);
    free(l->tf);
    l->docs = l->tf = NULL;
    l->n = 0;
    l->loaded = l->partial = 0;
    for (size_t k = 0; k < l->nsub; k++)
        leaf_unload(&l->sub[k]);
}

static int word_types(opine_search *s, word *w);

/* The types of l's words (and of its NEAR group's terms and phrases),
 * read when first needed: only what reads token streams (phrases, NEAR,
 * snippets, KWIC) compares types; a term or a prefix is counted from its
 * stems' postings, and reading its types, index pages that nothing else
 * touches, cost a term lookup on ABP a tenth of its time. */
static int leaf_types(opine_search *s, leaf *l)
{
    int rc = 0;
    for (size_t j = 0; rc == 0 && j < l->nw; j++)
        if (!l->w[j].typed)
            rc = word_types(s, &l->w[j]);
    for (size_t k = 0; rc == 0 && k < l->nsub; k++)
        rc = leaf_types(s, &l->sub[k]);
    return rc;
}

/* Whether NEAR group l asks what the index's positions answer: a
 * distance in tokens between words that are terms (not stop words,
 * prefixes or phrases). */
static int near_of_terms(const leaf *l)
{
    if (l->kind != L_NEAR || l->near == NEAR_SENTENCE)
        return 0;
    for (size_t k = 0; k < l->nsub; k++)
        if (l->sub[k].kind != L_TERM || l->sub[k].nw != 1 ||
            l->sub[k].w[0].stop || l->sub[k].w[0].stems.n > 1)
            return 0;
    return 1;
}

/* Whether the file keeps positions (opine run --positions on): read once,
 * when a NEAR group first asks. */
static int has_positions(opine_search *s)
{
    if (!s->pos_read) {
        int rc = 0;
        s->pos_read = 1;
        s->has_pos =
            opine_store_table_exists(s->db, "search_positions") &&
            one_int(s->db, "SELECT EXISTS (SELECT 1 FROM search_positions)",
                    &rc) == 1 &&
            rc == 0;
    }
    return s->has_pos;
}

/* And whether they can: the file keeps positions, and the index holds
 * every stemmed document. */
static int near_by_positions(opine_search *s, const leaf *l)
{
    return near_of_terms(l) && s->missing.n == 0 && has_positions(s);
}

/* One term's positions in the candidates cand[0..n): (index in cand) << 32
 * | position, into *v (*nv of them, capacity *cap), unsorted. 1 when a
 * chunk of the stem has no positions (the caller reads token streams),
 * else 0 or an error. */
static int term_positions(opine_search *s, int64_t stem, const int64_t *cand,
                          size_t n, uint64_t **v, size_t *nv, size_t *cap)
{
    sqlite3_stmt *qp = stmt(s, Q_POSTINGS), *qq = stmt(s, Q_POSITIONS);
    if (qp == NULL || qq == NULL)
        return qp == NULL ? OPINE_EDB : 1; /* no positions: an older file */
    int rc = 0;
    for (size_t g = 0; rc == 0 && g < s->ngens; g++) {
        int64_t id = s->gens[g] << 32 | stem;
        sqlite3_bind_int64(qp, 1, id);
        int step = sqlite3_step(qp);
        if (step == SQLITE_ROW) {
            sqlite3_bind_int64(qq, 1, OPINE_SIMINDEX_PART(id, 0));
            sqlite3_bind_int64(qq, 2, OPINE_SIMINDEX_PART(id + 1, 0));
            int pstep = sqlite3_step(qq);
            if (pstep != SQLITE_ROW)
                rc = pstep == SQLITE_DONE ? 1 : OPINE_EDB;
        } else if (step != SQLITE_DONE) {
            rc = OPINE_EDB;
        }
        if (rc == 0 && step == SQLITE_ROW) {
            const unsigned char *p = sqlite3_column_blob(qp, 0),
                                *end = p + sqlite3_column_bytes(qp, 0),
                                *pp = sqlite3_column_blob(qq, 0),
                                *pend = pp + sqlite3_column_bytes(qq, 0);
            uint64_t doc = 0, gap, tf;
            size_t c = 0;
            while (rc == 0 && p < end) {
                if ((p = opine__posting_get(p, end, &gap, &tf)) == NULL) {
                    rc = OPINE_ECORRUPT;
                    break;
                }
                doc += gap;
                /* a generation's documents ascend: the candidates too */
                if (c < n && cand[c] < (int64_t)doc)
                    c = lower_bound(cand, c, n, &(int64_t){(int64_t)doc});
                int want = c < n && cand[c] == (int64_t)doc;
                uint64_t at = 0;
                for (uint64_t t = 0; rc == 0 && t < tf; t++) {
                    uint32_t x;
                    /* a part ends between documents: the next one */
                    if (pp == pend && t == 0) {
                        int pstep = sqlite3_step(qq);
                        if (pstep != SQLITE_ROW) {
                            rc = pstep == SQLITE_DONE ? OPINE_ECORRUPT
                                                      : OPINE_EDB;
                            break;
                        }
                        pp = sqlite3_column_blob(qq, 0);
                        pend = pp + sqlite3_column_bytes(qq, 0);
                    }
                    if ((pp = opine__position_get(pp, pend, &x)) == NULL) {
                        rc = OPINE_ECORRUPT;
                        break;
                    }
                    at += x;
                    if (rc == 0 && want) {
                        if (opine__grow((void **)v, cap, *nv + 1,
                                        sizeof(uint64_t)))
                            rc = OPINE_ENOMEM;
                        else
                            (*v)[(*nv)++] =
                                (uint64_t)c << 32 | (at & 0xffffffff);
                    }
                }
            }
        }
        sqlite3_reset(qp);
        sqlite3_reset(qq);
    }
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* NEAR group l over the candidates cand[0..n) from the index's positions:
 * those kept into cand[0..*kept), their counts of qualifying occurrences
 * (as leaf_spans() counts them in a token stream) into ctf. 1 when some
 * chunk has no positions, else 0 or an error. */
static int near_positions(opine_search *s, const leaf *l, int64_t *cand,
                          int64_t *ctf, size_t n, size_t *kept)
{
    size_t ns = l->nsub;
    uint64_t **v = calloc(ns, sizeof(*v));
    size_t *nv = calloc(ns, sizeof(size_t)), *cap = calloc(ns, sizeof(size_t)),
           *at = calloc(ns, sizeof(size_t)), *end = calloc(ns, sizeof(size_t));
    int rc = v && nv && cap && at && end ? 0 : OPINE_ENOMEM;
    uint64_t *q = NULL;
    size_t qcap = 0;
    for (size_t k = 0; rc == 0 && k < ns; k++) {
        rc = term_positions(s, l->sub[k].w[0].stems.v[0], cand, n, &v[k],
                            &nv[k], &cap[k]);
        if (rc == 0 && nv[k])
            qsort(v[k], nv[k], sizeof(uint64_t), cmp_u64);
    }
    size_t m = 0;
    for (size_t c = 0; rc == 0 && c < n; c++) {
        /* each term's positions in candidate c: v[k][at[k] .. end[k]) */
        for (size_t k = 0; k < ns; k++) {
            at[k] = end[k];
            while (end[k] < nv[k] && v[k][end[k]] >> 32 == c)
                end[k]++;
        }
        size_t nq = 0; /* qualifying positions into q[] */
        for (size_t k = 0; rc == 0 && k < ns; k++)
            for (size_t i = at[k]; i < end[k]; i++) {
                uint32_t a = (uint32_t)v[k][i];
                int ok = 1;
                for (size_t j = 0; ok && j < ns; j++) {
                    if (j == k)
                        continue;
                    int found = 0;
                    for (size_t e = at[j]; !found && e < end[j]; e++) {
                        uint32_t b = (uint32_t)v[j][e];
                        uint32_t gap = b > a   ? b - a - 1
                                       : a > b ? a - b - 1
                                               : 0;
                        found = gap <= (uint32_t)l->near;
                    }
                    ok = found;
                }
                if (!ok)
                    continue;
                if (opine__grow((void **)&q, &qcap, nq + 1, sizeof(uint64_t))) {
                    rc = OPINE_ENOMEM;
                    break;
                }
                q[nq++] = a;
            }
        /* each position once, as leaf_spans() keeps one span a start */
        if (nq)
            qsort(q, nq, sizeof(uint64_t), cmp_u64);
        int64_t hits = 0;
        for (size_t i = 0; i < nq; i++)
            hits += i == 0 || q[i] != q[i - 1];
        if (hits) {
            cand[m] = cand[c];
            ctf[m++] = hits;
        }
    }
    for (size_t k = 0; v && k < ns; k++)
        free(v[k]);
    free(q);
    free(v);
    free(nv);
    free(cap);
    free(at);
    free(end);
    *kept = m;
    return rc;
}

/* A NEAR group's documents: those of all its terms and phrases, each read
 * to count the occurrences that qualify. */
static int load_near(opine_search *s, leaf *l, const idset *f)
{
    int bypos = near_by_positions(s, l);
    int rc = bypos ? 0 : leaf_types(s, l);
    int64_t *cand = NULL, *ctf = NULL;
    size_t ncand = 0;
    for (size_t k = 0; rc == 0 && k < l->nsub; k++)
        rc = load_leaf(s, &l->sub[k], f);
    if (rc == 0 && l->sub[0].n &&
        ((cand = malloc(l->sub[0].n * sizeof(int64_t))) == NULL ||
         (ctf = malloc(l->sub[0].n * sizeof(int64_t))) == NULL))
        rc = OPINE_ENOMEM;
    if (rc == 0 && l->sub[0].n) {
        memcpy(cand, l->sub[0].docs, l->sub[0].n * sizeof(int64_t));
        ncand = l->sub[0].n;
    }
    for (size_t k = 1; rc == 0 && k < l->nsub; k++) {
        size_t a = 0, b = 0, m = 0;
        const leaf *x = &l->sub[k];
        while (a < ncand && b < x->n) {
            if (cand[a] < x->docs[b])
                a++;
            else if (cand[a] > x->docs[b])
                b++;
            else {
                cand[m++] = cand[a];
                a++;
                b++;
            }
        }
        ncand = m;
    }
    /* from the index's positions when it has them */
    if (rc == 0 && bypos && ncand) {
        size_t kept;
        int prc = near_positions(s, l, cand, ctf, ncand, &kept);
        if (prc <= 0)
            return leaf_keep(l, cand, ctf, prc ? 0 : kept, f, prc);
        rc = leaf_types(s, l); /* a chunk without: the token streams */
    }
    /* a distance in tokens needs only their types (decoded without the
     * rest: a third of the work); a sentence, their sentences too */
    span *sp = NULL;
    size_t nsp = 0, cap = 0, k = 0;
    sqlite3_stmt *q = ncand ? stmt(s, Q_STREAM) : NULL;
    if (ncand && q == NULL)
        rc = OPINE_EDB;
    int sent = l->near == NEAR_SENTENCE;
    for (size_t i = 0; rc == 0 && i < ncand; i++) {
        size_t nt;
        rc = read_types(s, q, cand[i], sent, &nt);
        tokens t = {s->tbuf, sent ? s->tbuf + nt : NULL, nt};
        nsp = 0;
        if (rc == 0)
            rc = leaf_spans(l, &t, &sp, &nsp, &cap);
        if (rc == 0 && nsp) {
            cand[k] = cand[i];
            ctf[k++] = (int64_t)nsp;
        }
    }
    free(sp);
    return leaf_keep(l, cand, ctf, k, f, rc);
}

/* The leaf's documents and counts, once: those in f (when not NULL),
 * or all. */
static int load_leaf(opine_search *s, leaf *l, const idset *f)
{
    if (l->loaded)
        return 0;
    int rc = 0;
    if (l->kind == L_NEAR)
        return load_near(s, l, f);
    if (l->kind != L_PHRASE) {
        int64_t *d, *t, total;
        size_t n;
        rc = load_postings(s, &l->w[0].stems, f, &d, &t, &n, &total);
        rc = leaf_keep(l, d, t, n, f, rc);
        /* one stem: each document has one posting */
        if (rc == 0 && f && l->w[0].stems.n == 1)
            l->df = total;
        return rc;
    }
    /* A phrase: the documents holding every word that is not a stop word,
     * each read to count where the words follow each other. */
    rc = leaf_types(s, l);
    int64_t *cand = NULL, *ctf = NULL;
    size_t ncand = 0;
    int first = 1;
    for (size_t j = 0; rc == 0 && j < l->nw; j++) {
        if (l->w[j].stop)
            continue;
        int64_t *d, *t, total;
        size_t n;
        if ((rc = load_postings(s, &l->w[j].stems, f, &d, &t, &n, &total)) != 0)
            break;
        free(t);
        if (first) {
            cand = d;
            ncand = n;
            first = 0;
            continue;
        }
        size_t a = 0, b = 0, k = 0;
        while (a < ncand && b < n) {
            if (cand[a] < d[b])
                a++;
            else if (cand[a] > d[b])
                b++;
            else {
                cand[k++] = cand[a];
                a++;
                b++;
            }
        }
        ncand = k;
        free(d);
    }
    if (rc == 0 && ncand && (ctf = malloc(ncand * sizeof(int64_t))) == NULL)
        rc = OPINE_ENOMEM;
    size_t k = 0;
    sqlite3_stmt *q = ncand ? stmt(s, Q_STREAM) : NULL;
    if (ncand && q == NULL)
        rc = OPINE_EDB;
    for (size_t i = 0; rc == 0 && i < ncand; i++) {
        size_t nt;
        rc = read_types(s, q, cand[i], 0, &nt);
        int64_t count = 0;
        for (size_t t = 0; rc == 0 && t + l->nw <= nt; t++)
            if (word_has(&l->w[0], s->tbuf[t])) {
                size_t j = 1;
                while (j < l->nw && word_has(&l->w[j], s->tbuf[t + j]))
                    j++;
                count += j == l->nw;
            }
        if (count) {
            cand[k] = cand[i];
            ctf[k++] = count;
        }
    }
    return leaf_keep(l, cand, ctf, k, f, rc);
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct parser {
    opine_search *s;
    opine_search_query *q;
    const char *p;
    char **errmsg;
    int rc;
} parser;

static void fail(parser *ps, int rc, char *msg)
{
    if (ps->rc == 0) {
        ps->rc = rc;
        say(ps->errmsg, msg);
    } else
        free(msg);
}

typedef struct cut_words {
    word *w;
    size_t n, cap, tcap;
    char **types; /* their normalised forms */
    int64_t *stem_ids;
    opine_search *s;
    int rc;
} cut_words;

static int emit_word(void *ctx, const char *type, const char *stem, int stop)
{
    cut_words *c = ctx;
    if (opine__grow((void **)&c->w, &c->cap, c->n + 1, sizeof(word)) ||
        opine__grow((void **)&c->types, &c->tcap, c->n + 1, sizeof(char *)))
        return OPINE_ENOMEM;
    word *w = &c->w[c->n];
    memset(w, 0, sizeof(*w));
    w->stop = stop;
    if ((c->types[c->n] = strdup(type)) == NULL)
        return OPINE_ENOMEM;
    c->n++;
    /* the stem's id, when the corpus has it */
    opine_search *s = c->s;
    sqlite3_stmt *q = stmt(s, Q_FIND_STEM);
    if (q == NULL)
        return OPINE_EDB;
    sqlite3_bind_text(q, 1, s->lang, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, stem, -1, SQLITE_STATIC);
    int step = sqlite3_step(q), rc = 0;
    if (step == SQLITE_ROW) {
        size_t scap = 0;
        rc = set_add(&w->stems, &scap, sqlite3_column_int64(q, 0));
    } else if (step != SQLITE_DONE)
        rc = OPINE_EDB;
    sqlite3_reset(q);
    return rc;
}

static void words_release(cut_words *c, int keep_words)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->types[i]);
        if (!keep_words) {
            free(c->w[i].stems.v);
            free(c->w[i].types.v);
        }
    }
    free(c->types);
    if (!keep_words)
        free(c->w);
}

/* The types of every stem of w: only those that are not stop words when
 * w is not one (they are what its postings count), all of them when it
 * is (in a phrase). */
static int word_types(opine_search *s, word *w)
{
    int rc = 0;
    sqlite3_stmt *q = stmt(s, w->stop ? Q_STEM_TYPES : Q_STEM_TERMS);
    if (q == NULL)
        return OPINE_EDB;
    for (size_t i = 0; rc == 0 && i < w->stems.n; i++) {
        sqlite3_bind_int64(q, 1, w->stems.v[i]);
        rc = collect(q, &w->types);
    }
    set_finish(&w->types);
    memset(w->mask, 0, sizeof w->mask);
    for (size_t i = 0; i < w->types.n; i++) {
        uint64_t t = (uint64_t)w->types.v[i] % WORD_MASK;
        w->mask[t / 64] |= (uint64_t)1 << (t % 64);
    }
    w->typed = rc == 0;
    return rc;
}

static int add_leaf(parser *ps, const char *text, size_t len, int phrase,
                    int prefix)
{
    opine_search *s = ps->s;
    opine_search_query *q = ps->q;
    char *shown = opine__format("%.*s", (int)len, text);
    if (shown == NULL) {
        fail(ps, OPINE_ENOMEM, NULL);
        return -1;
    }
    cut_words c = {.s = s};
    int rc = s->cut(s->cut_ctx, text, len, emit_word, &c);
    if (rc) {
        words_release(&c, 0);
        fail(ps, rc,
             rc == OPINE_EUTF8 ? opine__format("'%s' is not valid UTF-8", shown)
                               : NULL);
        free(shown);
        return -1;
    }
    size_t nstop = 0;
    for (size_t i = 0; i < c.n; i++)
        nstop += c.w[i].stop != 0;
    char *why = NULL;
    if (c.n == 0)
        why = opine__format("'%s' has no word to search for", shown);
    else if (nstop == c.n && !prefix)
        why = opine__format("'%s' is only stop words, which opine does not"
                            " index on their own (put them in a phrase with"
                            " other words)",
                            shown);
    else if (prefix && c.n != 1)
        why = opine__format("the prefix '%s*' is more than one word", shown);
    if (why) {
        words_release(&c, 0);
        free(shown);
        fail(ps, OPINE_EUSAGE, why);
        return -1;
    }
    if (prefix) { /* every stem of a word starting with the form */
        free(c.w[0].stems.v);
        memset(&c.w[0].stems, 0, sizeof(idset));
        sqlite3_stmt *pq = stmt(s, Q_PREFIX_TYPES);
        if (pq == NULL)
            rc = OPINE_EDB;
        else {
            sqlite3_bind_text(pq, 1, c.types[0], -1, SQLITE_STATIC);
            sqlite3_bind_text(pq, 2, s->lang, -1, SQLITE_STATIC);
            rc = collect(pq, &c.w[0].stems);
        }
        set_finish(&c.w[0].stems);
        c.w[0].stop = 0;
    }
    size_t cap = q->cap;
    if (rc == 0 &&
        opine__grow((void **)&q->leaves, &cap, q->nleaves + 1, sizeof(leaf)))
        rc = OPINE_ENOMEM;
    q->cap = cap;
    if (rc) {
        words_release(&c, 0);
        free(shown);
        fail(ps, rc, NULL);
        return -1;
    }
    leaf *l = &q->leaves[q->nleaves];
    memset(l, 0, sizeof(*l));
    l->kind = prefix ? L_PREFIX : c.n > 1 || phrase ? L_PHRASE : L_TERM;
    if (l->kind == L_PHRASE && c.n == 1)
        l->kind = L_TERM;
    l->text = shown;
    l->w = c.w;
    l->nw = c.n;
    words_release(&c, 1);
    return (int)q->nleaves++;
}

static node *new_node(parser *ps, int op, node *a, node *b, int leafno)
{
    node *n = calloc(1, sizeof(*n));
    if (n == NULL) {
        fail(ps, OPINE_ENOMEM, NULL);
        return NULL;
    }
    n->op = op;
    n->a = a;
    n->b = b;
    n->leaf = leafno;
    return n;
}

static void free_node(node *n)
{
    if (n == NULL)
        return;
    free_node(n->a);
    free_node(n->b);
    free(n);
}

static void skip_space(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
        ps->p++;
}

/* Whether the next token is the operator op (a whole word in capitals). */
static int at_op(parser *ps, const char *op)
{
    skip_space(ps);
    size_t n = strlen(op);
    if (strncmp(ps->p, op, n) != 0)
        return 0;
    char c = ps->p[n];
    return c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
           c == '(' || c == ')' || c == '"';
}

static node *parse_or(parser *ps);
static node *join(parser *ps, int op, node *a, node *b);
static int parse_leaf(parser *ps, int in_near);
static int parse_near(parser *ps);

static node *parse_primary(parser *ps)
{
    skip_space(ps);
    if (ps->rc)
        return NULL;
    if (at_op(ps, "NOT")) { /* every document but */
        ps->p += 3;
        node *b = parse_primary(ps);
        return join(ps, N_NOT, b ? new_node(ps, N_ALL, NULL, NULL, 0) : NULL,
                    b);
    }
    char c = *ps->p;
    if (c == '(') {
        ps->p++;
        node *n = parse_or(ps);
        skip_space(ps);
        if (n && *ps->p != ')') {
            fail(ps, OPINE_EUSAGE,
                 opine__format("a '(' is not closed by a ')'"));
            free_node(n);
            return NULL;
        }
        if (n)
            ps->p++;
        return n;
    }
    if (c == 0 || c == ')') {
        fail(ps, OPINE_EUSAGE,
             opine__format(c ? "a ')' where a word, phrase or '(' should be"
                             : "the query ends where a word, phrase or '('"
                               " should be"));
        return NULL;
    }
    if (strncmp(ps->p, "NEAR(", 5) == 0) {
        int lf = parse_near(ps);
        return lf < 0 ? NULL : new_node(ps, N_LEAF, NULL, NULL, lf);
    }
    int lf = parse_leaf(ps, 0);
    return lf < 0 ? NULL : new_node(ps, N_LEAF, NULL, NULL, lf);
}

/* A word, prefix* or "phrase" at ps->p, as a new leaf: its index, or -1.
 * In a NEAR group (in_near) a comma ends a word too. */
static int parse_leaf(parser *ps, int in_near)
{
    int lf;
    if (*ps->p == '"') {
        const char *start = ++ps->p;
        while (*ps->p && *ps->p != '"')
            ps->p++;
        if (*ps->p != '"') {
            fail(ps, OPINE_EUSAGE,
                 opine__format("a '\"' is not closed by another"));
            return -1;
        }
        lf = add_leaf(ps, start, (size_t)(ps->p - start), 1, 0);
        ps->p++;
    } else {
        const char *start = ps->p;
        while (*ps->p && *ps->p != ' ' && *ps->p != '\t' && *ps->p != '\n' &&
               *ps->p != '\r' && *ps->p != '(' && *ps->p != ')' &&
               *ps->p != '"' && !(in_near && *ps->p == ','))
            ps->p++;
        size_t len = (size_t)(ps->p - start);
        int prefix = len > 1 && start[len - 1] == '*';
        lf = add_leaf(ps, start, len - (size_t)prefix, 0, prefix);
    }
    return lf;
}

/* NEAR(a "b c" d*, N) or NEAR(..., SENTENCE) at ps->p: one leaf holding
 * its terms and phrases (moved out of the query's list), its index or -1. */
static int parse_near(parser *ps)
{
    const char *at = ps->p;
    ps->p += 5;
    opine_search_query *q = ps->q;
    size_t first = q->nleaves;
    int near = 10;
    for (;;) {
        skip_space(ps);
        if (*ps->p == ')' || *ps->p == 0)
            break;
        if (*ps->p == ',') {
            ps->p++;
            skip_space(ps);
            if (strncasecmp(ps->p, "sentence", 8) == 0) {
                near = NEAR_SENTENCE;
                ps->p += 8;
            } else {
                char *end;
                long v = strtol(ps->p, &end, 10);
                if (end == ps->p || v < 0 || v > 1000000) {
                    fail(ps, OPINE_EUSAGE,
                         opine__format("NEAR(...) ends with ', N' (tokens"
                                       " between, 0 or more) or ', SENTENCE'"));
                    return -1;
                }
                near = (int)v;
                ps->p = end;
            }
            skip_space(ps);
            break;
        }
        if (*ps->p == '(') {
            fail(ps, OPINE_EUSAGE,
                 opine__format("NEAR(...) holds words and phrases, not"
                               " groups"));
            return -1;
        }
        if (parse_leaf(ps, 1) < 0)
            return -1;
    }
    if (*ps->p != ')') {
        fail(ps, OPINE_EUSAGE, opine__format("a 'NEAR(' is not closed"));
        return -1;
    }
    ps->p++;
    size_t nsub = q->nleaves - first;
    if (nsub < 2) {
        fail(ps, OPINE_EUSAGE,
             opine__format("NEAR(...) needs two words or phrases or more"));
        return -1;
    }
    leaf *sub = malloc(nsub * sizeof(leaf));
    char *text = opine__format("%.*s", (int)(ps->p - at), at);
    if (sub == NULL || text == NULL) {
        free(sub);
        free(text);
        fail(ps, OPINE_ENOMEM, NULL);
        return -1;
    }
    memcpy(sub, q->leaves + first, nsub * sizeof(leaf));
    q->nleaves = first; /* room for the group itself */
    leaf *l = &q->leaves[q->nleaves];
    memset(l, 0, sizeof(*l));
    l->kind = L_NEAR;
    l->text = text;
    l->sub = sub;
    l->nsub = nsub;
    l->near = near;
    return (int)q->nleaves++;
}

/* The node a op b; NULL (and a and b freed) when either is NULL or
 * memory runs out. */
static node *join(parser *ps, int op, node *a, node *b)
{
    node *n = a && b ? new_node(ps, op, a, b, 0) : NULL;
    if (n == NULL) {
        free_node(a);
        free_node(b);
    }
    return n;
}

static node *parse_not(parser *ps)
{
    node *a = parse_primary(ps);
    while (a && at_op(ps, "NOT")) {
        ps->p += 3;
        a = join(ps, N_NOT, a, parse_primary(ps));
    }
    return a;
}

static node *parse_and(parser *ps)
{
    node *a = parse_not(ps);
    while (a) {
        if (at_op(ps, "AND"))
            ps->p += 3;
        else if (*ps->p == 0 || *ps->p == ')' || at_op(ps, "OR"))
            break;
        a = join(ps, N_AND, a, parse_not(ps));
    }
    return a;
}

static node *parse_or(parser *ps)
{
    node *a = parse_and(ps);
    while (a && at_op(ps, "OR")) {
        ps->p += 2;
        a = join(ps, N_OR, a, parse_and(ps));
    }
    return a;
}

static void mark_positive(opine_search_query *q, const node *n, int pos)
{
    if (n == NULL)
        return;
    if (n->op == N_LEAF) {
        if (pos)
            q->positive[n->leaf] = 1;
        return;
    }
    mark_positive(q, n->a, pos);
    mark_positive(q, n->b, n->op == N_NOT ? 0 : pos);
}

static void free_leaf(leaf *l)
{
    for (size_t j = 0; j < l->nw; j++) {
        free(l->w[j].stems.v);
        free(l->w[j].types.v);
    }
    for (size_t j = 0; j < l->nsub; j++)
        free_leaf(&l->sub[j]);
    free(l->sub);
    free(l->w);
    free(l->text);
    free(l->docs);
    free(l->tf);
}

void opine_search_query_free(opine_search_query *q)
{
    if (q == NULL)
        return;
    free_node(q->root);
    for (size_t i = 0; i < q->nleaves; i++)
        free_leaf(&q->leaves[i]);
    free(q->leaves);
    free(q->positive);
    set_release(&q->result);
    free(q);
}

int opine_search_parse(opine_search *s, const char *text,
                       opine_search_query **out, char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    *out = NULL;
    opine_search_query *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return OPINE_ENOMEM;
    parser ps = {s, q, text, errmsg, 0};
    q->root = parse_or(&ps);
    skip_space(&ps);
    if (ps.rc == 0 && *ps.p)
        fail(&ps, OPINE_EUSAGE,
             opine__format(*ps.p == ')' ? "a ')' that no '(' opened"
                                        : "unexpected '%s'",
                           ps.p));
    if (ps.rc == 0 && (q->positive = calloc(q->nleaves + 1, 1)) == NULL)
        ps.rc = OPINE_ENOMEM;
    if (ps.rc) {
        if (ps.rc == OPINE_EDB)
            say(errmsg, opine__format("cannot read the database: %s",
                                      sqlite3_errmsg(s->db)));
        opine_search_query_free(q);
        return ps.rc;
    }
    mark_positive(q, q->root, 1);
    *out = q;
    return 0;
}

int opine_search_query_is_single(const opine_search_query *q)
{
    return q->root && q->root->op == N_LEAF;
}

int opine_search_query_reads_streams(opine_search *s,
                                     const opine_search_query *q)
{
    for (size_t i = 0; i < q->nleaves; i++)
        if (q->leaves[i].kind == L_PHRASE ||
            (q->leaves[i].kind == L_NEAR &&
             !near_by_positions(s, &q->leaves[i])))
            return 1;
    return 0;
}

static size_t leaf_lookups(const leaf *l)
{
    size_t n = 0;
    for (size_t j = 0; j < l->nw; j++)
        n += l->w[j].stems.n;
    for (size_t k = 0; k < l->nsub; k++)
        n += leaf_lookups(&l->sub[k]);
    return n;
}

size_t opine_search_query_lookups(const opine_search *s,
                                  const opine_search_query *q)
{
    size_t n = 0;
    for (size_t i = 0; i < q->nleaves; i++)
        n += leaf_lookups(&q->leaves[i]);
    return n * s->ngens;
}

/* ---- matching ----------------------------------------------------------- */

/* HOW IT WORKS: the documents of node n that are in f (NULL: all of
 * them) into *out. Only documents in f can be in the answer, so a leaf
 * keeps only those (a partial leaf: the postings of the rest are decoded,
 * not stored; a phrase reads no stream outside f), and the right of an
 * AND or NOT is read only within the documents of its left. Ranking and
 * counting need a leaf's occurrences in every document of the answer:
 * that holds as long as f contains the answer, which the left of an AND
 * does only when no OR is above it (narrow), where an OR's other side
 * may add documents. So below an OR an AND's right gets the OR's filter,
 * and a NOT's right (which is not ranked) always gets the left's. */
static int eval(opine_search *s, opine_search_query *q, const node *n,
                const idset *f, int narrow, idset *out)
{
    memset(out, 0, sizeof(*out));
    int rc;
    if (n->op == N_LEAF) {
        leaf *l = &q->leaves[n->leaf];
        if ((rc = load_leaf(s, l, f)) != 0)
            return rc;
        out->v = l->docs;
        out->n = l->n;
        out->borrowed = 1;
        return 0;
    }
    if (n->op == N_ALL)
        return stmt(s, Q_ALL_DOCS) ? collect(s->q[Q_ALL_DOCS], out) : OPINE_EDB;
    idset a, b;
    memset(&b, 0, sizeof(b));
    if ((rc = eval(s, q, n->a, f, narrow && n->op != N_OR, &a)) != 0)
        return rc;
    if (n->op == N_OR)
        rc = eval(s, q, n->b, f, 0, &b);
    else if (a.n) /* nothing of b matters outside a */
        rc = eval(s, q, n->b, n->op == N_NOT || narrow ? &a : f,
                  n->op == N_AND && narrow, &b);
    if (rc) {
        set_release(&a);
        return rc;
    }
    /* at most a's for AND and NOT: only the pages written are touched */
    int64_t *v = malloc((n->op == N_OR ? a.n + b.n : a.n) * sizeof(int64_t) +
                        sizeof(int64_t));
    if (v == NULL) {
        set_release(&a);
        set_release(&b);
        return OPINE_ENOMEM;
    }
    size_t i = 0, j = 0, k = 0;
    while (i < a.n || j < b.n) {
        int take_a = j == b.n || (i < a.n && a.v[i] < b.v[j]);
        int take_b = i == a.n || (j < b.n && b.v[j] < a.v[i]);
        if (take_a) { /* in a only */
            if (n->op != N_AND)
                v[k++] = a.v[i];
            i++;
        } else if (take_b) { /* in b only */
            if (n->op == N_OR)
                v[k++] = b.v[j];
            j++;
        } else { /* in both */
            if (n->op != N_NOT)
                v[k++] = a.v[i];
            i++;
            j++;
        }
    }
    set_release(&a);
    set_release(&b);
    out->v = v;
    out->n = k;
    return 0;
}

int opine_search_match(opine_search *s, opine_search_query *q,
                       const int64_t *only, size_t nonly, int64_t **docs,
                       size_t *n)
{
    *docs = NULL;
    *n = 0;
    idset r, f = {(int64_t *)only, nonly, 1};
    int rc = eval(s, q, q->root, only ? &f : NULL, 1, &r);
    if (rc)
        return rc;
    if (r.borrowed) { /* the caller's own copy */
        int64_t *v = malloc((r.n + 1) * sizeof(int64_t));
        if (v == NULL)
            return OPINE_ENOMEM;
        if (r.n)
            memcpy(v, r.v, r.n * sizeof(int64_t));
        r.v = v;
        r.borrowed = 0;
    }
    if (only) {
        size_t i = 0, j = 0, k = 0;
        while (i < r.n && j < nonly) {
            if (r.v[i] < only[j])
                i++;
            else if (r.v[i] > only[j])
                j++;
            else {
                r.v[k++] = r.v[i];
                i++;
                j++;
            }
        }
        r.n = k;
    }
    /* kept while a leaf is partial: what it can answer for */
    set_release(&q->result);
    int partial = 0;
    for (size_t l = 0; l < q->nleaves; l++)
        partial |= q->leaves[l].partial;
    if (partial &&
        (q->result.v = malloc((r.n + 1) * sizeof(int64_t))) == NULL) {
        free(r.v);
        return OPINE_ENOMEM;
    }
    if (partial) {
        memcpy(q->result.v, r.v, r.n * sizeof(int64_t));
        q->result.n = r.n;
    }
    *docs = r.v;
    *n = r.n;
    return 0;
}

/* Leaf l loaded for docs[0..n) (and its df known when want_df): a
 * partial leaf does when docs are all in the last match's answer. */
static int load_for(opine_search *s, opine_search_query *q, leaf *l,
                    const int64_t *docs, size_t n, int want_df)
{
    if (l->loaded && l->partial) {
        int ok = !(want_df && l->df < 0);
        for (size_t i = 0; ok && i < n; i++)
            ok = in_set(&q->result, docs[i]);
        if (ok)
            return 0;
        leaf_unload(l);
    }
    return load_leaf(s, l, NULL);
}

/* The leaf's tf in doc (0 when it does not match it). */
static int64_t leaf_tf(const leaf *l, int64_t doc)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->docs[mid] < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->docs[lo] == doc ? l->tf[lo] : 0;
}

int opine_search_counts(opine_search *s, opine_search_query *q,
                        const int64_t *docs, size_t n, int64_t **tf)
{
    *tf = calloc(n + 1, sizeof(int64_t));
    if (*tf == NULL)
        return OPINE_ENOMEM;
    for (size_t l = 0; l < q->nleaves; l++) {
        if (!q->positive[l])
            continue;
        int rc = load_for(s, q, &q->leaves[l], docs, n, 0);
        if (rc) {
            free(*tf);
            *tf = NULL;
            return rc;
        }
        for (size_t i = 0; i < n; i++)
            (*tf)[i] += leaf_tf(&q->leaves[l], docs[i]);
    }
    return 0;
}

/* ---- ranking ------------------------------------------------------------ */

/* Each row of doc_lengths into s->dl, and its tokens added to sum,
 * called by SQLite as an aggregate's step: one statement over the table
 * without a round trip through sqlite3_step() and two column calls a row
 * (on ABP 37,547 rows, about 2 ms that way, half of a ranking's time). */
typedef struct lengths_ctx {
    opine_search *s;
    double sum;
} lengths_ctx;

static void lengths_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    lengths_ctx *c = sqlite3_user_data(ctx);
    int64_t d = sqlite3_value_int64(argv[0]), t = sqlite3_value_int64(argv[1]);
    if (d >= 0 && d <= c->s->maxdoc)
        c->s->dl[d] = (uint32_t)(t > UINT32_MAX ? UINT32_MAX : t < 0 ? 0 : t);
    c->sum += (double)t;
}

static void lengths_final(sqlite3_context *ctx)
{
    sqlite3_result_null(ctx);
}

static int load_lengths(opine_search *s)
{
    if (s->dl)
        return 0;
    if ((s->dl = calloc((size_t)s->maxdoc + 1, sizeof(uint32_t))) == NULL)
        return OPINE_ENOMEM;
    /* registered for this one statement: its context lives on this stack */
    static const char name[] = "opine_search_lengths";
    lengths_ctx c = {s, 0};
    int rc = sqlite3_create_function_v2(
                 s->db, name, 2, SQLITE_UTF8 | SQLITE_DIRECTONLY, &c, NULL,
                 lengths_step, lengths_final, NULL) == SQLITE_OK
                 ? 0
                 : OPINE_EDB;
    if (rc == 0 &&
        sqlite3_exec(
            s->db, "SELECT opine_search_lengths(doc, tokens) FROM doc_lengths",
            NULL, NULL, NULL) != SQLITE_OK)
        rc = OPINE_EDB;
    sqlite3_create_function_v2(s->db, name, 2, SQLITE_UTF8, NULL, NULL, NULL,
                               NULL, NULL);
    if (rc) {
        free(s->dl);
        s->dl = NULL;
        return rc;
    }
    s->avgdl = s->ndocs ? c.sum / (double)s->ndocs : 0;
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    const opine_search_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

int opine_search_rank(opine_search *s, opine_search_query *q,
                      const int64_t *docs, size_t n, size_t top,
                      opine_search_hit **hits, size_t *nhits)
{
    *hits = NULL;
    *nhits = 0;
    int rc = load_lengths(s);
    if (rc)
        return rc;
    opine_search_hit *h = calloc(n + 1, sizeof(*h));
    double *idf = calloc(q->nleaves + 1, sizeof(double));
    if (h == NULL || idf == NULL) {
        free(h);
        free(idf);
        return OPINE_ENOMEM;
    }
    const double k1 = 1.2, b = 0.75, N = (double)s->ndocs;
    for (size_t l = 0; rc == 0 && l < q->nleaves; l++) {
        if (!q->positive[l])
            continue;
        if ((rc = load_for(s, q, &q->leaves[l], docs, n, 1)) != 0)
            break;
        double df = (double)q->leaves[l].df;
        idf[l] = log((N - df + 0.5) / (df + 0.5));
        if (idf[l] <= 0)
            idf[l] = 1e-6;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t d = docs[i];
        double dl = d >= 0 && d <= s->maxdoc ? s->dl[d] : 0, score = 0;
        for (size_t l = 0; l < q->nleaves; l++) {
            if (!q->positive[l])
                continue;
            double tf = (double)leaf_tf(&q->leaves[l], d);
            if (tf > 0)
                score += idf[l] * tf * (k1 + 1) /
                         (tf + k1 * (1 - b + b * dl / s->avgdl));
        }
        h[i] = (opine_search_hit){d, score};
    }
    free(idf);
    if (rc) {
        free(h);
        return rc;
    }
    qsort(h, n, sizeof(*h), cmp_hit);
    *hits = h;
    *nhits = top && top < n ? top : n;
    return 0;
}

/* ---- hits in a document ------------------------------------------------- */

void opine_search_view_release(opine_search_view *v)
{
    free(v->text);
    free(v->tok);
    free(v->hit_first);
    free(v->hit_len);
    memset(v, 0, sizeof(*v));
}

int opine_search_view_doc(opine_search *s, opine_search_query *q, int64_t doc,
                          opine_search_view *v)
{
    memset(v, 0, sizeof(*v));
    int rc = read_tokens(s, doc, &v->tok, &v->ntok);
    if (rc)
        return rc;
    sqlite3_stmt *bq = stmt(s, Q_BODY);
    if (bq == NULL) {
        opine_search_view_release(v);
        return OPINE_EDB;
    }
    sqlite3_bind_int64(bq, 1, doc);
    int step = sqlite3_step(bq);
    if (step == SQLITE_ROW)
        rc = opine_zblob_inflate(sqlite3_column_blob(bq, 0),
                                 (size_t)sqlite3_column_bytes(bq, 0), &v->text,
                                 &v->len);
    else
        rc = step == SQLITE_DONE ? OPINE_ENOENT : OPINE_EDB;
    sqlite3_reset(bq);
    /* each leaf's occurrences; then, token by token, the first leaf that
     * has one starting there */
    span *sp = NULL;
    size_t nsp = 0, scap = 0, cap = 0, cap2 = 0;
    size_t *from = calloc(2 * q->nleaves + 2, sizeof(size_t));
    if (rc == 0 && from == NULL)
        rc = OPINE_ENOMEM;
    size_t *cur = from ? from + q->nleaves + 1 : NULL;
    tokens t;
    if (rc == 0)
        rc = tokens_of(v->tok, v->ntok, needs_sentences(q), &s->tbuf, &s->tcap,
                       &t);
    if (rc == 0) /* t.type is s->tbuf */
        rc = leave_out(s, doc, v->tok, v->ntok, s->tbuf);
    for (size_t l = 0; rc == 0 && l < q->nleaves; l++) {
        from[l] = nsp;
        if (q->positive[l] && (rc = leaf_types(s, &q->leaves[l])) == 0)
            rc = leaf_spans(&q->leaves[l], &t, &sp, &nsp, &scap);
    }
    if (rc == 0)
        from[q->nleaves] = nsp;
    for (size_t i = 0; rc == 0 && i < v->ntok;) {
        size_t len = 0;
        for (size_t l = 0; len == 0 && l < q->nleaves; l++) {
            size_t e = from[l] + cur[l];
            while (e < from[l + 1] && sp[e].start < i)
                e++, cur[l]++;
            if (e < from[l + 1] && sp[e].start == i)
                len = sp[e].len;
        }
        if (len == 0) {
            i++;
            continue;
        }
        if (opine__grow((void **)&v->hit_first, &cap, v->nhits + 1,
                        sizeof(uint32_t)) ||
            opine__grow((void **)&v->hit_len, &cap2, v->nhits + 1,
                        sizeof(uint32_t))) {
            rc = OPINE_ENOMEM;
            break;
        }
        v->hit_first[v->nhits] = (uint32_t)i;
        v->hit_len[v->nhits++] = (uint32_t)len;
        i += len;
    }
    free(sp);
    free(from);
    /* a token beyond the text would be a corrupt stream */
    for (size_t i = 0; rc == 0 && i < v->ntok; i++)
        if ((size_t)v->tok[i].start + v->tok[i].len > v->len)
            rc = OPINE_ECORRUPT;
    if (rc)
        opine_search_view_release(v);
    return rc;
}

/* Append text[a, b) to *buf with white space runs as one space. */
static int put_text(char **buf, size_t *n, size_t *cap, const unsigned char *t,
                    size_t a, size_t b)
{
    if (opine__grow((void **)buf, cap, *n + (b - a) + 1, 1))
        return OPINE_ENOMEM;
    for (size_t i = a; i < b; i++) {
        unsigned char c = t[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
            c == '\v') {
            if (*n && (*buf)[*n - 1] == ' ')
                continue;
            c = ' ';
        }
        (*buf)[(*n)++] = (char)c;
    }
    (*buf)[*n] = 0;
    return 0;
}

static int put_str(char **buf, size_t *n, size_t *cap, const char *s)
{
    size_t k = strlen(s);
    if (opine__grow((void **)buf, cap, *n + k + 1, 1))
        return OPINE_ENOMEM;
    memcpy(*buf + *n, s, k + 1);
    *n += k;
    return 0;
}

char *opine_search_span_text(const opine_search_view *v, size_t first, size_t n)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (opine__grow((void **)&buf, &cap, 1, 1))
        return NULL;
    buf[0] = 0;
    if (n == 0 || first >= v->ntok)
        return buf;
    if (first + n > v->ntok)
        n = v->ntok - first;
    size_t a = v->tok[first].start,
           b = (size_t)v->tok[first + n - 1].start + v->tok[first + n - 1].len;
    if (put_text(&buf, &len, &cap, v->text, a, b)) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *opine_search_snippet(const opine_search_view *v, size_t tokens,
                           const char *open, const char *close)
{
    if (tokens == 0)
        tokens = 1;
    size_t from = 0, to = v->ntok < tokens ? v->ntok : tokens;
    if (v->nhits) {
        /* the window of `tokens` tokens starting at a hit with the most
         * hits inside; the first such */
        size_t best = 0, best_count = 0;
        for (size_t h = 0; h < v->nhits; h++) {
            size_t count = 0;
            for (size_t k = h;
                 k < v->nhits &&
                 v->hit_first[k] + v->hit_len[k] <= v->hit_first[h] + tokens;
                 k++)
                count++;
            if (count > best_count) {
                best_count = count;
                best = h;
            }
        }
        /* a few tokens of context before it */
        size_t lead = tokens / 4, start = v->hit_first[best];
        from = start > lead ? start - lead : 0;
        to = from + tokens < v->ntok ? from + tokens : v->ntok;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = put_str(&buf, &n, &cap, from > 0 ? "..." : "");
    size_t h = 0;
    while (h < v->nhits && v->hit_first[h] < from)
        h++;
    for (size_t i = from; rc == 0 && i < to; i++) {
        if (i > from)
            rc = put_text(&buf, &n, &cap, v->text,
                          (size_t)v->tok[i - 1].start + v->tok[i - 1].len,
                          v->tok[i].start);
        if (rc == 0 && h < v->nhits && v->hit_first[h] == i) {
            size_t last = i + v->hit_len[h] - 1;
            if (last >= to)
                last = to - 1;
            if ((rc = put_str(&buf, &n, &cap, open)) == 0 &&
                (rc = put_text(&buf, &n, &cap, v->text, v->tok[i].start,
                               (size_t)v->tok[last].start +
                                   v->tok[last].len)) == 0)
                rc = put_str(&buf, &n, &cap, close);
            i = last;
            h++;
            continue;
        }
        if (rc == 0)
            rc = put_text(&buf, &n, &cap, v->text, v->tok[i].start,
                          (size_t)v->tok[i].start + v->tok[i].len);
    }
    if (rc == 0 && to < v->ntok)
        rc = put_str(&buf, &n, &cap, "...");
    if (rc == 0 && buf == NULL)
        rc = put_str(&buf, &n, &cap, "");
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- one pass over every posting ---------------------------------------- */

/* The postings of chunks [lo, hi) of similar_postings (ids), counted per
 * stem into tf and df for the documents marked in `in` (all when NULL).
 * ap is the statement over the chunks of a range (?1, ?2). */
typedef struct pass {
    sqlite3_stmt *ap;
    int64_t lo, hi, maxdoc, maxstem;
    const unsigned char *in;
    int64_t *tf, *df;
    int rc;
} pass;

static void count_range(pass *x)
{
    int step;
    sqlite3_bind_int64(x->ap, 1, x->lo);
    sqlite3_bind_int64(x->ap, 2, x->hi);
    x->rc = 0;
    while ((step = sqlite3_step(x->ap)) == SQLITE_ROW) {
        int64_t stem = sqlite3_column_int64(x->ap, 0) & 0xffffffff;
        if (stem > x->maxstem) {
            x->rc = OPINE_ECORRUPT;
            break;
        }
        const unsigned char *p = sqlite3_column_blob(x->ap, 1);
        const unsigned char *end = p + sqlite3_column_bytes(x->ap, 1);
        uint64_t doc = 0;
        int64_t t = 0, d = 0;
        while (p && p < end) {
            uint64_t gap, f;
            if ((p = opine__posting_get(p, end, &gap, &f)) == NULL)
                break;
            doc += gap;
            if (x->in && (doc > (uint64_t)x->maxdoc || !x->in[doc]))
                continue;
            t += (int64_t)f;
            d++;
        }
        if (p == NULL) {
            x->rc = OPINE_ECORRUPT;
            break;
        }
        x->tf[stem] += t;
        x->df[stem] += d;
    }
    if (x->rc == 0 && step != SQLITE_DONE)
        x->rc = OPINE_EDB;
    sqlite3_reset(x->ap);
}

/* What the index holds, as a number that changes when it does: the
 * generations and their postings (every write adds a generation or
 * rewrites one's postings). */
static int64_t index_stamp(sqlite3 *db, int *rc)
{
    return one_int(db,
                   "SELECT count(*) * 1000003 + coalesce(sum(gen * 7919 +"
                   " postings * 31), 0) FROM similar_generations",
                   rc);
}

static void *count_thread(void *arg)
{
    count_range(arg);
    return NULL;
}

#define RANGE_SQL                                                              \
    "SELECT id, postings FROM similar_postings WHERE id >= ?1 AND id < ?2"

/* Every posting counted (count_range over all chunks): on two threads
 * when the file can be opened a second time and reads the same index,
 * the second taking the later generations (half the postings), since a
 * pass is mostly SQLite stepping through half a million rows; else on
 * this one. */
static int count_all(opine_search *s, const unsigned char *in, int64_t maxstem,
                     int64_t *tf, int64_t *df)
{
    int rc = 0;
    sqlite3_stmt *ap = NULL;
    if (prepare(s->db, &ap, RANGE_SQL))
        return OPINE_EDB;
    pass main_part = {ap, 0, INT64_MAX, s->maxdoc, maxstem, in, tf, df, 0};
    /* the split: the first generation from which the rest hold half the
     * postings */
    int64_t split = 0, total = 0, acc = 0;
    sqlite3_stmt *g = NULL;
    if (s->ngens >= 2 &&
        !prepare(s->db, &g,
                 "SELECT gen, postings FROM similar_generations"
                 " ORDER BY gen")) {
        int64_t *gp = calloc(s->ngens, sizeof(int64_t)),
                *gg = calloc(s->ngens, sizeof(int64_t));
        size_t n = 0;
        while (gp && gg && n < s->ngens && sqlite3_step(g) == SQLITE_ROW) {
            gg[n] = sqlite3_column_int64(g, 0);
            total += gp[n++] = sqlite3_column_int64(g, 1);
        }
        for (size_t i = 0; i < n && !split; i++) {
            acc += gp[i];
            if (2 * acc >= total && i + 1 < n)
                split = gg[i + 1];
        }
        free(gp);
        free(gg);
        sqlite3_finalize(g);
    }
    const char *path = sqlite3_db_filename(s->db, "main");
    sqlite3 *db2 = NULL;
    sqlite3_stmt *ap2 = NULL;
    int64_t *tf2 = NULL, *df2 = NULL;
    int two = split > 0 && path && *path;
    if (two &&
        (sqlite3_open_v2(path, &db2, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
         sqlite3_exec(db2, "PRAGMA mmap_size = 1099511627776; BEGIN", NULL,
                      NULL, NULL) != SQLITE_OK ||
         prepare(db2, &ap2, RANGE_SQL) ||
         (tf2 = calloc((size_t)maxstem + 1, sizeof(int64_t))) == NULL ||
         (df2 = calloc((size_t)maxstem + 1, sizeof(int64_t))) == NULL))
        two = 0;
    /* the second connection must see the index this one does */
    int rc2 = 0;
    if (two && (index_stamp(db2, &rc2) != index_stamp(s->db, &rc2) || rc2))
        two = 0;
    pthread_t th;
    pass second = {ap2, split << 32, INT64_MAX, s->maxdoc, maxstem,
                   in,  tf2,         df2,       0};
    if (two && pthread_create(&th, NULL, count_thread, &second) != 0)
        two = 0;
    if (two)
        main_part.hi = split << 32;
    count_range(&main_part);
    rc = main_part.rc;
    if (two) {
        pthread_join(th, NULL);
        if (rc == 0)
            rc = second.rc;
        for (int64_t i = 0; rc == 0 && i <= maxstem; i++) {
            tf[i] += tf2[i];
            df[i] += df2[i];
        }
    }
    sqlite3_finalize(ap);
    sqlite3_finalize(ap2);
    if (db2) {
        sqlite3_exec(db2, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db2);
    }
    free(tf2);
    free(df2);
    return rc;
}

/* ---- top terms ---------------------------------------------------------- */

/* A group of up to 1 / TOP_SMALL_GROUP of the documents is counted from
 * its documents' term vectors (doc_vectors; doc_terms rows for a document
 * stemmed before they came), a larger one in one pass over every posting:
 * on ABP, Politico's 2,600 documents of 37,500 in about 20 ms instead of
 * 80-100 (bench/queries); with half the documents the pass costs less.
 * (Reading stems one by one in descending order of cf until no later stem
 * can enter the top was tried: for an outlet's top 20 on ABP it reads
 * about as many postings as one pass, the most frequent stems holding
 * most of them.) */
enum { TOP_SMALL_GROUP = 2 };

/* Add document doc's doc_terms rows to tf and df. */
static int count_doc_terms(opine_search *s, int64_t doc, int64_t maxstem,
                           int64_t *tf, int64_t *df)
{
    sqlite3_stmt *dts = stmt(s, Q_DOC_TERMS);
    if (dts == NULL)
        return OPINE_EDB;
    sqlite3_bind_int64(dts, 1, doc);
    int step;
    while ((step = sqlite3_step(dts)) == SQLITE_ROW) {
        int64_t stem = sqlite3_column_int64(dts, 0);
        if (stem < 0 || stem > maxstem)
            continue;
        tf[stem] += sqlite3_column_int64(dts, 1);
        df[stem]++;
    }
    sqlite3_reset(dts);
    return step == SQLITE_DONE ? 0 : OPINE_EDB;
}

/* Add document doc's terms to tf and df: its vector, or its doc_terms
 * rows. */
static int count_doc(opine_search *s, int64_t doc, int64_t maxstem, int64_t *tf,
                     int64_t *df)
{
    sqlite3_stmt *v = stmt(s, Q_VECTOR); /* NULL: an older file */
    int step = SQLITE_DONE;
    if (v) {
        sqlite3_bind_int64(v, 1, doc);
        step = sqlite3_step(v);
    }
    if (step == SQLITE_ROW) {
        /* (a document of stop words alone has an empty vector: no blob) */
        int len = sqlite3_column_bytes(v, 0);
        const unsigned char *p = sqlite3_column_blob(v, 0);
        const unsigned char *end = len ? p + len : p;
        uint64_t stem = 0, gap, f;
        while (p && p < end) {
            if ((p = opine__posting_get(p, end, &gap, &f)) == NULL)
                break;
            stem += gap;
            if (stem > (uint64_t)maxstem) {
                p = NULL;
                break;
            }
            tf[stem] += (int64_t)f;
            df[stem]++;
        }
        sqlite3_reset(v);
        return p == NULL && len ? OPINE_ECORRUPT : 0;
    }
    if (v)
        sqlite3_reset(v);
    if (step != SQLITE_DONE)
        return OPINE_EDB;
    return count_doc_terms(s, doc, maxstem, tf, df);
}

static int cmp_term(const void *a, const void *b)
{
    const opine_search_term *x = a, *y = b;
    if (x->tf != y->tf)
        return x->tf > y->tf ? -1 : 1;
    if (x->df != y->df)
        return x->df > y->df ? -1 : 1;
    return (x->stem > y->stem) - (x->stem < y->stem);
}

int opine_search_top_terms(opine_search *s, const int64_t *only, size_t nonly,
                           size_t top, opine_search_term **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    int rc = 0;
    int64_t maxstem = one_int(s->db, "SELECT max(id) FROM stems", &rc);
    if (rc)
        return rc;
    unsigned char *in = NULL;
    if (only) {
        if ((in = calloc((size_t)s->maxdoc + 1, 1)) == NULL)
            return OPINE_ENOMEM;
        for (size_t i = 0; i < nonly; i++)
            if (only[i] >= 0 && only[i] <= s->maxdoc)
                in[only[i]] = 1;
    }
    int64_t *tf = calloc((size_t)maxstem + 1, sizeof(int64_t));
    int64_t *df = calloc((size_t)maxstem + 1, sizeof(int64_t));
    if (tf == NULL || df == NULL)
        rc = OPINE_ENOMEM;
    /* a small group: its documents' vectors */
    int small = only && nonly * TOP_SMALL_GROUP <= (size_t)s->ndocs;
    for (size_t i = 0; rc == 0 && small && i < nonly; i++)
        rc = count_doc(s, only[i], maxstem, tf, df);
    if (rc == 0 && !small && s->ngens)
        rc = count_all(s, in, maxstem, tf, df);
    /* and the documents the index lacks, from doc_terms */
    for (size_t i = 0; rc == 0 && !small && i < s->missing.n; i++) {
        int64_t doc = s->missing.v[i];
        if (!in || (doc <= s->maxdoc && in[doc]))
            rc = count_doc_terms(s, doc, maxstem, tf, df);
    }
    free(in);
    /* the top ones: a bounded selection, then sorted */
    opine_search_term *v = NULL;
    size_t n = 0, cap = 0;
    for (int64_t st = 0; rc == 0 && st <= maxstem; st++) {
        if (tf[st] == 0)
            continue;
        opine_search_term x = {st, tf[st], df[st]};
        if (opine__grow((void **)&v, &cap, n + 1, sizeof(*v))) {
            rc = OPINE_ENOMEM;
            break;
        }
        v[n++] = x;
        if (top && n >= 4 * top + 1024) { /* keep the memory bounded */
            qsort(v, n, sizeof(*v), cmp_term);
            n = top;
        }
    }
    free(tf);
    free(df);
    if (rc) {
        free(v);
        return rc;
    }
    if (n)
        qsort(v, n, sizeof(*v), cmp_term);
    *out = v;
    *nout = top && top < n ? top : n;
    return 0;
}
