/* pipeline/keyness.c — keyness of every term for groups of documents (the
 * measures and the rows are described in keyness.h).
 *
 * HOW IT WORKS. One pass over doc_terms, joined to the selected documents
 * in document order, adds each row's tf to three tallies: the term's
 * count in the whole selection (the prior), the count and document
 * frequency of the (group, term) pair in a hash table, and the group's
 * token and document totals. A document's group is looked up once, when
 * the pass reaches it. The pairs are then laid out by group, each group's
 * terms sorted by stem id, so that a target's terms are one run of the
 * array and a target against a named reference is a merge of two runs;
 * against the rest, a term's reference count is its count over all
 * grouped documents less the target's. Each comparison's rows are scored,
 * sorted by the measure and written in one transaction for the run.
 *
 * THREE WAYS TO THE SAME COUNTS, the fastest that can answer first:
 * a target against a named reference over every document reads the two
 * groups' term vectors (doc_vectors, scan_vectors: the prior is terms.cf);
 * else the similarity index's postings, one pass over all of them
 * (scan_postings); else, in a file older than both, doc_terms (scan).
 * Each gives the same rows, byte for byte (tests/e2e_compare.sh). The
 * stems' texts only order rows of equal score, so only the texts of
 * those rows are read (break_ties), unless a run wants thousands.
 *
 * Measured on ABP (2026-12-05), Fox News against the New York Times'
 * news, --no-store: the pass over the postings 181 ms; the vectors of the
 * two groups' 2,772 documents, with the stems' texts read for ties only,
 * 77-90 ms (bench/queries: 82 ms). Tried before the vectors and left out: the
 * two groups' doc_terms rows (no gain: a row costs SQLite about 17 times a
 * posting's decoding; they are 0.67 M rows of 12 M) and their token
 * streams (types mapped to stems as the stem stage does, on a second
 * connection: 0.14-0.16 s, the whole-table reads of types and stems
 * being most of it). Writing the vectors costs a run on ABP about 1%
 * (36 MB, 3 bytes a term), which the stem stage pays once.
 */
#include "pipeline/keyness.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/strmap.h"
#include "base/stop.h"
#include "pipeline/simindex.h"

/* ---- the measures ---------------------------------------------------- */

void opine_keyness_score(int64_t a, int64_t b, int64_t nt, int64_t nr,
                         double prior, double prior_total,
                         opine_keyness_stats *s)
{
    /* long double: D = a nr - b nt is exact below 2^64, and every cell's
     * O/E - 1 is +-D over a product of margins (the 2x2 table has one
     * degree of freedom), so G2 and PMI take log1p of exact ratios
     * instead of logs of ratios near 1, which lose digits in big cells. */
    long double A = (long double)a, B = (long double)b;
    long double C = (long double)(nt - a), E = (long double)(nr - b);
    long double NT = (long double)nt, NR = (long double)nr, N = NT + NR;
    long double D = A * NR - B * NT;
    long double r1 = A + B, r2 = C + E;
    long double den = r1 * r2 * NT * NR;
    long double sign = D > 0 ? 1 : D < 0 ? -1 : 0;
    if (den > 0) {
        s->chi2 = (double)(sign * (N * D * D / den));
        long double y = fabsl(D) - N / 2;
        y = y > 0 ? y : 0;
        s->chi2_yates = (double)(sign * (N * y * y / den));
        long double g = 0;
        if (A > 0)
            g += A * log1pl(D / (r1 * NT));
        if (B > 0)
            g += B * log1pl(-D / (r1 * NR));
        if (C > 0)
            g += C * log1pl(-D / (r2 * NT));
        if (E > 0)
            g += E * log1pl(D / (r2 * NR));
        /* (sign 0: an exact +0, which SQLite would print as -0.0 if
         * rounding left g a hair below 0) */
        s->g2 = sign == 0 ? 0 : (double)(sign * 2 * g);
    } else {
        s->chi2 = s->chi2_yates = s->g2 = NAN;
    }
    s->pmi = a > 0 && r1 > 0 && NT > 0 ? (double)log1pl(D / (r1 * NT)) : NAN;
    if (NT > 0 && NR > 0) {
        long double fa = A > 0 ? A : 0.5L, fb = B > 0 ? B : 0.5L;
        s->log_ratio = (double)log2l((fa / NT) / (fb / NR));
    } else {
        s->log_ratio = NAN;
    }
    long double ya = A + prior, yb = B + prior;
    long double ra = NT + prior_total - ya, rb = NR + prior_total - yb;
    if (ya > 0 && yb > 0 && ra > 0 && rb > 0) {
        long double delta = logl(ya / ra) - logl(yb / rb);
        s->delta = (double)delta;
        s->z = (double)(delta / sqrtl(1 / ya + 1 / yb));
    } else {
        s->delta = s->z = NAN;
    }
}

/* ---- (group, term) counts --------------------------------------------- */

/* Open addressing on the key group << 32 | stem; EMPTY marks a free slot
 * (no stem id is 2^32 - 1). 16 bytes a pair: counts beyond 2^32 - 1 in
 * one group are refused rather than wrapped. */
#define EMPTY UINT64_MAX

typedef struct pair {
    uint64_t key;
    uint32_t count, docs;
} pair;

typedef struct pairs {
    pair *v;
    size_t cap, n; /* cap a power of two, n used */
    size_t *slot;  /* a batch's first probes (see pairs_add) */
    size_t slot_cap;
} pairs;

static size_t pair_slot(uint64_t key, size_t cap)
{
    key ^= key >> 29;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 32;
    return (size_t)key & (cap - 1);
}

static int pairs_grow(pairs *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1 << 12;
    pair *v = malloc(cap * sizeof *v);
    if (v == NULL)
        return OPINE_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        v[i].key = EMPTY;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->v[i].key == EMPTY)
            continue;
        size_t j = pair_slot(t->v[i].key, cap);
        while (v[j].key != EMPTY)
            j = (j + 1) & (cap - 1);
        v[j] = t->v[i];
    }
    free(t->v);
    t->v = v;
    t->cap = cap;
    return 0;
}

/* Add n (group, term) counts: key[i] = group << 32 | stem, each pair
 * met once (a document's terms in one group, or a term's documents in
 * several), with its tf; the pair's documents go up by one. The table is
 * far bigger than the caches and the keys land all over it, so every
 * first probe is prefetched before the first is read: the misses overlap
 * instead of following one another (on ABP by outlet this halved the time
 * of the pass). */
static int pairs_add(pairs *t, const uint64_t *key, const int64_t *tf, size_t n)
{
    while ((t->n + n) * 10 > t->cap * 7)
        if (pairs_grow(t) != 0)
            return OPINE_ENOMEM;
    if (opine__grow((void **)&t->slot, &t->slot_cap, n, sizeof(size_t)))
        return OPINE_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        t->slot[i] = pair_slot(key[i], t->cap);
        __builtin_prefetch(&t->v[t->slot[i]], 1);
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = t->slot[i];
        while (t->v[j].key != EMPTY && t->v[j].key != key[i])
            j = (j + 1) & (t->cap - 1);
        if (t->v[j].key == EMPTY) {
            t->v[j] = (pair){key[i], 0, 0};
            t->n++;
        }
        if (tf[i] > (int64_t)(UINT32_MAX - t->v[j].count))
            return OPINE_ETOOBIG;
        t->v[j].count += (uint32_t)tf[i];
        t->v[j].docs++;
    }
    return 0;
}

/* ---- one run ---------------------------------------------------------- */

/* A term's counts over all grouped documents, for comparisons against
 * the rest (its prior, the count in the whole selection, is kn.prior). */
typedef struct vocab {
    int64_t col, coldocs;
} vocab;

/* A (group, term) count kept by term id (scan_vectors). */
typedef struct tally {
    uint32_t count, docs;
} tally;

typedef struct group {
    const char *name; /* the strmap's copy */
    int64_t docs, tokens;
    int paired;      /* its (group, term) pairs are kept: it is compared */
    size_t first, n; /* its pairs, once laid out (see layout()) */
} group;

/* A row of one comparison. */
typedef struct row {
    uint32_t stem;
    int64_t a, b, da, db;
    opine_keyness_stats s;
    double score;     /* the measure ranked by */
    const char *text; /* the stem, for ties */
} row;

typedef struct kn {
    opine_store *st;
    sqlite3 *db;
    const opine_keyness_opts *o;
    char *msg;
    /* the vocabulary: per stem id */
    uint32_t nstems;        /* highest id + 1 */
    const char **stem_text; /* by stem id: into text, or fetched */
    char *text;             /* every stem's text, one after another */
    char **fetched;         /* texts fetched one by one (texts()) */
    size_t nfetched, fetched_cap;
    sqlite3_stmt *fetch;
    int64_t *prior; /* by stem id: its count in the whole selection */
    vocab *v;       /* by stem id (not for scan_vectors: its comparisons
                     * never read them) */
    int64_t prior_total, grouped_total;
    /* groups */
    opine__strmap *names;
    group *g;
    size_t ng, gcap;
    pairs pairs;
    int laid_out;   /* pairs are by group, each group's by stem (layout()) */
    uint64_t *bkey; /* the pairs at hand: a document's, or a stem's */
    int64_t *btf;
    size_t bcap, btf_cap;
    /* rows of the comparison at hand */
    row *rows;
    size_t nrows, rcap;
} kn;

static int fail(kn *k, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(kn *k, int rc, const char *fmt, ...)
{
    if (k->msg == NULL) {
        va_list ap;
        va_start(ap, fmt);
        k->msg = opine__vformat(fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int db_fail(kn *k, const char *what)
{
    return fail(k, OPINE_EDB, "%s: %s", what, sqlite3_errmsg(k->db));
}

/* The SQL expression giving a document's group, over documents d and, for
 * meta:KEY, its doc_meta row m. */
static const char *group_expr(const char *by)
{
    if (strcmp(by, "outlet") == 0)
        return "nullif(d.outlet, '')";
    if (strcmp(by, "author") == 0)
        return "nullif(d.author, '')";
    if (strcmp(by, "year") == 0)
        return "CASE WHEN d.published GLOB"
               " '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"
               " THEN substr(d.published, 1, 4) END";
    if (strcmp(by, "month") == 0)
        return "CASE WHEN d.published GLOB"
               " '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"
               " THEN substr(d.published, 1, 7) END";
    if (strncmp(by, "meta:", 5) == 0 && by[5] != '\0')
        return "nullif(m.value, '')";
    return NULL;
}

/* The vocabulary's size (stems' highest id) and its per-stem tallies.
 * The stems' texts only break ties in a ranking, so they are read when a
 * ranking has ties (texts()), not here. */
static int load_vocabulary(kn *k)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(k->db, "SELECT coalesce(max(id), 0) FROM stems", -1,
                           &q, NULL) != SQLITE_OK)
        return db_fail(k, "cannot read stems");
    int64_t max =
        sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    if (max < 0 || max >= UINT32_MAX)
        return fail(k, OPINE_ECORRUPT, "stem ids out of range");
    k->nstems = (uint32_t)max + 1;
    k->stem_text = calloc(k->nstems, sizeof(char *));
    k->prior = calloc(k->nstems, sizeof(int64_t));
    if (!k->stem_text || !k->prior)
        return fail(k, OPINE_ENOMEM, "out of memory");
    return 0;
}

/* The per-stem tallies the passes over every document keep. */
static int need_col(kn *k)
{
    if (k->v == NULL && (k->v = calloc(k->nstems, sizeof(vocab))) == NULL)
        return fail(k, OPINE_ENOMEM, "out of memory");
    return 0;
}

/* Every stem's text, in one pass over stems. The texts go into one
 * buffer, as offsets until it stops moving: one allocation instead of
 * 157,000 on ABP, and one free (two outlets compared: 201 -> 190 ms). */
static int load_texts(kn *k)
{
    sqlite3_stmt *q;
    size_t *at = calloc(k->nstems, sizeof(size_t)), used = 0, cap = 0;
    if (at == NULL)
        return fail(k, OPINE_ENOMEM, "out of memory");
    if (sqlite3_prepare_v2(k->db, "SELECT id, stem FROM stems", -1, &q, NULL) !=
        SQLITE_OK) {
        free(at);
        return db_fail(k, "cannot read stems");
    }
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const char *s = (const char *)sqlite3_column_text(q, 1);
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        if (id < 0 || id >= (int64_t)k->nstems || s == NULL)
            continue;
        if (opine__grow((void **)&k->text, &cap, used + len + 1, 1)) {
            sqlite3_finalize(q);
            free(at);
            return fail(k, OPINE_ENOMEM, "out of memory");
        }
        memcpy(k->text + used, s, len + 1);
        at[id] = used + 1; /* 0: no such stem */
        used += len + 1;
    }
    sqlite3_finalize(q);
    for (uint32_t i = 0; i < k->nstems; i++)
        if (at[i])
            k->stem_text[i] = k->text + at[i] - 1;
    free(at);
    if (rc != SQLITE_DONE)
        return db_fail(k, "cannot read stems");
    return 0;
}

/* Ties want the texts of n stems: fetched one at a time while that stays
 * cheap (two outlets compared with --no-store: a handful; 190 -> see
 * bench/queries), every stem's at once past FETCH_MAX in all (comparing
 * every outlet reads them all anyway). */
enum { FETCH_MAX = 4096 };

static int texts(kn *k, const uint32_t *stem, size_t n)
{
    if (k->text)
        return 0;
    if (k->nfetched + n > FETCH_MAX)
        return load_texts(k);
    if (k->fetch == NULL &&
        sqlite3_prepare_v2(k->db, "SELECT stem FROM stems WHERE id = ?", -1,
                           &k->fetch, NULL) != SQLITE_OK)
        return db_fail(k, "cannot read stems");
    for (size_t i = 0; i < n; i++) {
        if (k->stem_text[stem[i]])
            continue;
        sqlite3_bind_int64(k->fetch, 1, stem[i]);
        int step = sqlite3_step(k->fetch);
        const char *t = step == SQLITE_ROW
                            ? (const char *)sqlite3_column_text(k->fetch, 0)
                            : NULL;
        char *copy = NULL;
        if (step == SQLITE_ROW && t &&
            (opine__grow((void **)&k->fetched, &k->fetched_cap, k->nfetched + 1,
                         sizeof(char *)) ||
             (copy = strdup(t)) == NULL)) {
            sqlite3_reset(k->fetch);
            return fail(k, OPINE_ENOMEM, "out of memory");
        }
        sqlite3_reset(k->fetch);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            return db_fail(k, "cannot read stems");
        if (copy)
            k->stem_text[stem[i]] = k->fetched[k->nfetched++] = copy;
    }
    return 0;
}

/* The group index of name (a new group when unseen), or -1 for no group. */
static int64_t group_of(kn *k, const char *name, int len)
{
    if (name == NULL)
        return -1;
    int64_t v = opine__strmap_get(k->names, name, (size_t)len);
    if (v > 0)
        return v - 1;
    if (opine__grow((void **)&k->g, &k->gcap, k->ng + 1, sizeof(group)) != 0)
        return -2;
    const char *copy;
    if (opine__strmap_intern(k->names, name, (size_t)len, (int64_t)k->ng + 1,
                             &copy) != 0)
        return -2;
    /* With a named target, only it and a named reference are compared:
     * the other groups count (tokens, the rest's totals) but keep no
     * pairs, so the pair table holds two groups' terms, not every
     * group's (ABP, two outlets of 491: 1.0 s -> see bench/queries). */
    const opine_keyness_opts *o = k->o;
    int paired = o->target == NULL ||
                 ((size_t)len == strlen(o->target) &&
                  memcmp(name, o->target, (size_t)len) == 0) ||
                 (o->reference && (size_t)len == strlen(o->reference) &&
                  memcmp(name, o->reference, (size_t)len) == 0);
    k->g[k->ng] = (group){.name = copy, .paired = paired};
    return (int64_t)k->ng++;
}

/* The statement over the selected documents: fmt with the group
 * expression, the doc_meta join --by meta:KEY needs and the --where
 * condition put in (%s, %s, %s), the key bound. SQLITE_OK, or another
 * code with *trailing set when --where has text after its expression. */
static int select_documents(kn *k, const char *fmt, sqlite3_stmt **q,
                            int *trailing)
{
    const opine_keyness_opts *o = k->o;
    int meta = strncmp(o->by, "meta:", 5) == 0;
    char *sql = sqlite3_mprintf(
        fmt, group_expr(o->by),
        meta ? " LEFT JOIN doc_meta m ON m.doc = d.id AND m.key = ?1" : "",
        o->where ? o->where : "1");
    if (sql == NULL)
        return SQLITE_NOMEM;
    const char *tail = NULL;
    int prc = sqlite3_prepare_v2(k->db, sql, -1, q, &tail);
    *trailing = prc == SQLITE_OK && tail && tail[strspn(tail, " \t\r\n")];
    sqlite3_free(sql);
    if (*trailing) {
        sqlite3_finalize(*q);
        prc = SQLITE_ERROR;
    }
    if (prc == SQLITE_OK && meta)
        sqlite3_bind_text(*q, 1, o->by + 5, -1, SQLITE_STATIC);
    return prc;
}

/* The one pass over doc_terms of the selected documents. */
static int scan(kn *k, opine_keyness_summary *sum)
{
    if (need_col(k) != 0)
        return OPINE_ENOMEM;
    const opine_keyness_opts *o = k->o;
    sqlite3_stmt *q;
    int trailing, prc = select_documents(
                      k,
                      "SELECT dt.doc, g.grp, dt.stem, dt.tf FROM (SELECT d.id"
                      " AS doc, %s AS grp FROM documents d%s WHERE (%s)) g"
                      " CROSS JOIN doc_terms dt ON dt.doc = g.doc",
                      &q, &trailing);
    if (prc == SQLITE_NOMEM)
        return fail(k, OPINE_ENOMEM, "out of memory");
    if (prc != SQLITE_OK) {
        if (o->where)
            return fail(k, OPINE_EUSAGE,
                        "--where '%s' is not an SQL expression over the"
                        " columns of documents: %s",
                        o->where,
                        trailing ? "text after it" : sqlite3_errmsg(k->db));
        return db_fail(k, "cannot read doc_terms");
    }
    /* Rows come document by document (documents is the outer loop): a
     * document's group is looked up once, and its terms go to the pairs
     * together. */
    int64_t last_doc = -1, gi = -1;
    size_t nbuf = 0;
    int rc, n = 0, arc = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((++n & 0xffff) == 0 && opine__stop_requested(o->stop)) {
            sqlite3_finalize(q);
            return fail(k, OPINE_EINTERRUPTED, "interrupted");
        }
        int64_t doc = sqlite3_column_int64(q, 0);
        int64_t stem = sqlite3_column_int64(q, 2);
        int64_t tf = sqlite3_column_int64(q, 3);
        if (doc != last_doc) {
            if (nbuf &&
                (arc = pairs_add(&k->pairs, k->bkey, k->btf, nbuf)) != 0)
                break;
            nbuf = 0;
            last_doc = doc;
            gi = group_of(k, (const char *)sqlite3_column_text(q, 1),
                          sqlite3_column_bytes(q, 1));
            if (gi == -2) {
                arc = OPINE_ENOMEM;
                break;
            }
            sum->documents++;
            if (gi >= 0) {
                k->g[gi].docs++;
                sum->grouped++;
            }
        }
        if (stem < 0 || stem >= (int64_t)k->nstems) {
            sqlite3_finalize(q);
            return fail(k, OPINE_ECORRUPT,
                        "doc_terms of document %lld names stem %lld, which"
                        " stems does not hold",
                        (long long)doc, (long long)stem);
        }
        vocab *v = &k->v[stem];
        k->prior[stem] += tf;
        k->prior_total += tf;
        if (gi < 0)
            continue;
        k->g[gi].tokens += tf;
        v->col += tf;
        v->coldocs++;
        k->grouped_total += tf;
        if (!k->g[gi].paired)
            continue;
        if (opine__grow((void **)&k->bkey, &k->bcap, nbuf + 1,
                        sizeof(uint64_t)) ||
            opine__grow((void **)&k->btf, &k->btf_cap, nbuf + 1,
                        sizeof(int64_t))) {
            arc = OPINE_ENOMEM;
            break;
        }
        k->bkey[nbuf] = (uint64_t)gi << 32 | (uint64_t)stem;
        k->btf[nbuf++] = tf;
    }
    if (arc == 0 && rc == SQLITE_DONE && nbuf)
        arc = pairs_add(&k->pairs, k->bkey, k->btf, nbuf);
    sqlite3_finalize(q);
    if (arc == OPINE_ETOOBIG)
        return fail(k, arc, "a term occurs 2^32 times or more in one group");
    if (arc != 0)
        return fail(k, arc, "out of memory");
    if (rc != SQLITE_DONE)
        return db_fail(k, "cannot read doc_terms");
    return 0;
}

/* The selected documents, in two steps shared by both passes below.
 *
 * marks: by document id, 0 not selected, 1 selected in no group, else
 * UNSEEN (stemmed, not selected by --where) or 2 + a temporary number t,
 * whose text is name[t]: first the documents with terms (doc_lengths,
 * 0.6 MB), then the selected documents' groups, with no ORDER BY and no
 * join, so that SQLite reads a group that is a column (outlet, author,
 * published) from its covering index instead of documents' 100 MB of rows
 * (ABP: 80 ms -> 5 ms). Nothing of k changes: a caller that cannot go on
 * frees them and takes another way. 1 when the statement does not
 * prepare (scan() then says what is wrong), else 0 or an error. */
enum { UNSEEN = UINT32_MAX };

typedef struct marks {
    uint32_t *mark; /* by document id, 0 .. maxdoc */
    int64_t maxdoc;
    opine__strmap *names;
    const char **name; /* by temporary number, from 1 */
    size_t nnames, name_cap;
} marks;

static void marks_free(marks *m)
{
    free(m->mark);
    opine__strmap_free(m->names);
    free(m->name);
    *m = (marks){0};
}

static int read_marks(kn *k, marks *m, int64_t maxdoc)
{
    sqlite3_stmt *q = NULL;
    int rc, arc = 0, trailing;
    *m = (marks){.maxdoc = maxdoc};
    m->mark = calloc((size_t)maxdoc + 1, sizeof(uint32_t));
    if (m->mark == NULL || opine__strmap_new(&m->names) != 0) {
        marks_free(m);
        return fail(k, OPINE_ENOMEM, "out of memory");
    }
    if (sqlite3_prepare_v2(k->db, "SELECT doc FROM doc_lengths WHERE terms > 0",
                           -1, &q, NULL) != SQLITE_OK) {
        marks_free(m);
        return db_fail(k, "cannot read the documents");
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t doc = sqlite3_column_int64(q, 0);
        if (doc >= 0 && doc <= maxdoc)
            m->mark[doc] = UNSEEN;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        marks_free(m);
        return db_fail(k, "cannot read the documents");
    }
    if (select_documents(k, "SELECT d.id, %s FROM documents d%s WHERE (%s)", &q,
                         &trailing) != SQLITE_OK) {
        marks_free(m);
        return 1;
    }
    while (arc == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t doc = sqlite3_column_int64(q, 0);
        if (doc < 0 || doc > maxdoc || m->mark[doc] != UNSEEN)
            continue;
        const char *g = (const char *)sqlite3_column_text(q, 1);
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        if (g == NULL) {
            m->mark[doc] = 1;
            continue;
        }
        int64_t t = opine__strmap_get(m->names, g, len);
        if (t == 0) {
            const char *copy;
            if (opine__grow((void **)&m->name, &m->name_cap, m->nnames + 2,
                            sizeof(char *)) ||
                opine__strmap_intern(m->names, g, len, (int64_t)m->nnames + 1,
                                     &copy)) {
                arc = OPINE_ENOMEM;
                break;
            }
            m->name[t = (int64_t)++m->nnames] = copy;
        }
        m->mark[doc] = (uint32_t)t + 1;
    }
    sqlite3_finalize(q);
    if (arc != 0 || rc != SQLITE_DONE) {
        marks_free(m);
        return arc ? fail(k, arc, "out of memory")
                   : db_fail(k, "cannot read the documents");
    }
    return 0;
}

/* Give the groups their numbers in document id order, as scan() meets
 * them, and count their documents: m->mark[doc] becomes 0 (not selected),
 * 1 (no group) or 2 + the group's index. */
static int number_groups(kn *k, marks *m, opine_keyness_summary *sum)
{
    uint32_t *mark = m->mark;
    for (int64_t doc = 0; doc <= m->maxdoc; doc++) {
        if (mark[doc] == UNSEEN) { /* not selected by --where */
            mark[doc] = 0;
            continue;
        }
        if (mark[doc] == 0)
            continue;
        sum->documents++;
        if (mark[doc] == 1)
            continue;
        const char *g = m->name[mark[doc] - 1];
        int64_t gi = group_of(k, g, (int)strlen(g));
        if (gi < 0)
            return fail(k, OPINE_ENOMEM, "out of memory");
        mark[doc] = (uint32_t)gi + 2;
        k->g[gi].docs++;
        sum->grouped++;
    }
    return 0;
}

/* The highest stemmed document id (-1 when it cannot be read). */
static int64_t max_doc(kn *k)
{
    sqlite3_stmt *q = NULL;
    int64_t max = -1;
    if (sqlite3_prepare_v2(k->db,
                           "SELECT coalesce(max(doc), 0) FROM doc_lengths", -1,
                           &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        max = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return max;
}

/* A target against a named reference over every stemmed document (no
 * --where) needs only the two groups' own counts: the prior is terms.cf,
 * and the other groups' terms are never read. So their documents' term
 * vectors (doc_vectors, written beside doc_terms by the stem stage) are
 * read instead of the pass over every posting: on ABP, Fox News against
 * the New York Times' news reads 2,772 vectors of 37,547 (180 -> see
 * bench/queries). The other groups keep their documents but not their
 * tokens, which no such comparison reads. 1 when this cannot answer (the
 * comparison is another kind, or a document of the two groups has no
 * vector: a file stemmed by an older opine; the caller then resets what
 * was counted), else 0 or an error. */
static int64_t find_group(const kn *k, const char *name);

static int scan_vectors(kn *k, opine_keyness_summary *sum)
{
    const opine_keyness_opts *o = k->o;
    if (o->target == NULL || o->reference == NULL || o->where != NULL)
        return 1;
    int64_t maxdoc = max_doc(k);
    sqlite3_stmt *q = NULL, *t = NULL;
    if (maxdoc < 0 || maxdoc >= INT32_MAX ||
        sqlite3_prepare_v2(k->db, "SELECT terms FROM doc_vectors WHERE doc = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return 1; /* no such table: an older file */
    marks m;
    int rc = read_marks(k, &m, maxdoc);
    if (rc != 0) {
        sqlite3_finalize(q);
        return rc;
    }
    int arc = number_groups(k, &m, sum);
    /* the prior: every stemmed document's counts, as terms sums them */
    if (arc == 0 && sqlite3_prepare_v2(k->db, "SELECT stem, cf FROM terms", -1,
                                       &t, NULL) != SQLITE_OK)
        arc = db_fail(k, "cannot read terms");
    if (arc == 0) {
        while ((rc = sqlite3_step(t)) == SQLITE_ROW) {
            int64_t stem = sqlite3_column_int64(t, 0);
            if (stem < 0 || stem >= (int64_t)k->nstems) {
                arc = fail(k, OPINE_ECORRUPT,
                           "terms names stem %lld, which stems lacks",
                           (long long)stem);
                break;
            }
            k->prior[stem] = sqlite3_column_int64(t, 1);
            k->prior_total += k->prior[stem];
        }
        if (arc == 0 && rc != SQLITE_DONE)
            arc = db_fail(k, "cannot read terms");
    }
    sqlite3_finalize(t);
    /* The two groups' counts, a document at a time, in an array by stem
     * each (no hashing: 1.3 MB a group on ABP); then their pairs, laid
     * out as layout() would, in stem order. */
    int64_t named[2] = {find_group(k, o->target), find_group(k, o->reference)};
    tally *acc[2] = {NULL, NULL};
    for (int i = 0; arc == 0 && i < 2; i++)
        if (named[i] >= 0 &&
            (acc[i] = calloc(k->nstems, sizeof(tally))) == NULL)
            arc = fail(k, OPINE_ENOMEM, "out of memory");
    for (int64_t doc = 0; arc == 0 && doc <= maxdoc; doc++) {
        uint32_t mk = m.mark[doc];
        if (mk < 2 || !k->g[mk - 2].paired)
            continue;
        uint32_t gi = mk - 2;
        tally *a = acc[(int64_t)gi == named[0] ? 0 : 1];
        sqlite3_bind_int64(q, 1, doc);
        int step = sqlite3_step(q);
        if (step != SQLITE_ROW) {
            /* none: a document stemmed by an older opine */
            arc =
                step == SQLITE_DONE ? 1 : db_fail(k, "cannot read doc_vectors");
            break;
        }
        const unsigned char *p = sqlite3_column_blob(q, 0);
        const unsigned char *end = p + sqlite3_column_bytes(q, 0);
        uint64_t stem = 0, tokens = 0;
        while (p && p < end) {
            uint64_t gap, tf;
            if ((p = opine__posting_get(p, end, &gap, &tf)) == NULL)
                break;
            stem += gap;
            if (stem >= k->nstems) {
                arc = fail(k, OPINE_ECORRUPT,
                           "the term vector of document %lld names stem %llu,"
                           " which stems lacks",
                           (long long)doc, (unsigned long long)stem);
                break;
            }
            if (tf > UINT32_MAX - a[stem].count) {
                arc = fail(k, OPINE_ETOOBIG,
                           "a term occurs 2^32 times or more in one group");
                break;
            }
            a[stem].count += (uint32_t)tf;
            a[stem].docs++;
            tokens += tf;
        }
        k->g[gi].tokens += (int64_t)tokens;
        if (arc == 0 && p == NULL)
            arc = fail(k, OPINE_ECORRUPT,
                       "the term vector of document %lld does not decode",
                       (long long)doc);
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    marks_free(&m);
    size_t n[2] = {0, 0};
    for (int i = 0; arc == 0 && i < 2; i++)
        for (uint32_t st = 0; acc[i] && st < k->nstems; st++)
            n[i] += acc[i][st].count > 0;
    if (arc == 0 && n[0] + n[1] > 0 &&
        (k->pairs.v = malloc((n[0] + n[1]) * sizeof(pair))) == NULL)
        arc = fail(k, OPINE_ENOMEM, "out of memory");
    size_t at = 0;
    for (int i = 0; arc == 0 && i < 2; i++) {
        if (named[i] < 0)
            continue;
        k->g[named[i]].first = at;
        k->g[named[i]].n = n[i];
        for (uint32_t st = 0; st < k->nstems; st++)
            if (acc[i][st].count)
                k->pairs.v[at++] = (pair){(uint64_t)named[i] << 32 | st,
                                          acc[i][st].count, acc[i][st].docs};
    }
    k->pairs.n = k->pairs.cap = at;
    k->laid_out = arc == 0;
    free(acc[0]);
    free(acc[1]);
    return arc;
}

/* The same tallies as scan(), from the similarity index's postings
 * (pipeline/simindex.h) when it holds every stemmed document: one pass
 * over 12 M postings in about 0.5 MB rows instead of 12 M doc_terms rows
 * (ABP by outlet: 3.3 s -> see bench/queries). The selected documents
 * and their groups are read first (read_marks, number_groups), so groups
 * are met in the order scan() meets them. 1 when the index cannot answer
 * (scan() then does), else 0 or an error. */
static int scan_postings(kn *k, opine_keyness_summary *sum)
{
    const opine_keyness_opts *o = k->o;
    /* the index holds every stemmed document? (a table missing: an older
     * file) */
    int64_t indexed = -1, stemmed = -2, maxdoc = -1;
    if (opine__simindex_stamp(k->db, &stemmed, &maxdoc) == 0) {
        int match = opine__simindex_norms_match(k->db, stemmed, maxdoc);
        sqlite3_stmt *c = NULL;
        if (match == 1)
            indexed = stemmed; /* current norms: the index holds them all */
        else if (match == 0 &&
                 sqlite3_prepare_v2(k->db, "SELECT count(*) FROM similar_docs",
                                    -1, &c, NULL) == SQLITE_OK &&
                 sqlite3_step(c) == SQLITE_ROW)
            indexed = sqlite3_column_int64(c, 0);
        sqlite3_finalize(c);
    } else
        maxdoc = -1;
    if (indexed != stemmed || maxdoc < 0 || maxdoc >= INT32_MAX)
        return 1;
    if (need_col(k) != 0)
        return OPINE_ENOMEM;
    marks m;
    int rc = read_marks(k, &m, maxdoc), arc;
    if (rc != 0)
        return rc;
    arc = number_groups(k, &m, sum);
    uint32_t *mark = m.mark;
    m.mark = NULL;
    marks_free(&m);
    if (arc != 0) {
        free(mark);
        return arc;
    }
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(k->db, "SELECT id, postings FROM similar_postings",
                           -1, &q, NULL) != SQLITE_OK) {
        free(mark);
        return db_fail(k, "cannot read the similarity index");
    }
    int n = 0;
    while (arc == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((++n & 0xfff) == 0 && opine__stop_requested(o->stop)) {
            arc = OPINE_EINTERRUPTED;
            break;
        }
        int64_t stem = sqlite3_column_int64(q, 0) & 0xffffffff;
        const unsigned char *p = sqlite3_column_blob(q, 1);
        const unsigned char *end = p + sqlite3_column_bytes(q, 1);
        if (stem >= (int64_t)k->nstems) {
            arc = OPINE_ECORRUPT;
            break;
        }
        vocab *v = &k->v[stem];
        int64_t *prior = &k->prior[stem];
        uint64_t doc = 0;
        size_t m = 0;
        while (p && p < end) {
            uint64_t gap, tf;
            if ((p = opine__posting_get(p, end, &gap, &tf)) == NULL)
                break;
            doc += gap;
            uint32_t mk = doc <= (uint64_t)maxdoc ? mark[doc] : 0;
            if (mk == 0)
                continue;
            *prior += (int64_t)tf;
            k->prior_total += (int64_t)tf;
            if (mk == 1)
                continue;
            k->g[mk - 2].tokens += (int64_t)tf;
            v->col += (int64_t)tf;
            v->coldocs++;
            k->grouped_total += (int64_t)tf;
            if (!k->g[mk - 2].paired)
                continue;
            if (opine__grow((void **)&k->bkey, &k->bcap, m + 1,
                            sizeof(uint64_t)) ||
                opine__grow((void **)&k->btf, &k->btf_cap, m + 1,
                            sizeof(int64_t))) {
                arc = OPINE_ENOMEM;
                break;
            }
            k->bkey[m] = (uint64_t)(mk - 2) << 32 | (uint64_t)stem;
            k->btf[m++] = (int64_t)tf;
        }
        if (arc == 0 && p == NULL)
            arc = OPINE_ECORRUPT;
        if (arc == 0 && m)
            arc = pairs_add(&k->pairs, k->bkey, k->btf, m);
    }
    sqlite3_finalize(q);
    free(mark);
    if (arc == OPINE_EINTERRUPTED)
        return fail(k, arc, "interrupted");
    if (arc == OPINE_ECORRUPT)
        return fail(k, arc,
                    "the similarity index does not decode (opine"
                    " similar --check says more)");
    if (arc == OPINE_ETOOBIG)
        return fail(k, arc, "a term occurs 2^32 times or more in one group");
    if (arc != 0)
        return fail(k, arc, "out of memory");
    if (rc != SQLITE_DONE)
        return db_fail(k, "cannot read the similarity index");
    return 0;
}

#define STEM(p) ((uint32_t)((p)->key & 0xffffffffu))

static int cmp_pair(const void *x, const void *y)
{
    const pair *a = x, *b = y;
    return (a->key > b->key) - (a->key < b->key);
}

/* Lay the pairs out by group, each group's by stem id, in the table's own
 * memory (no copy: by author on ABP the pairs are most of the memory): the
 * used slots move to the front, an American flag sort puts each group's
 * pairs together, and each group's are sorted. */
static int layout(kn *k)
{
    pair *v = k->pairs.v;
    size_t n = 0;
    for (size_t i = 0; i < k->pairs.cap; i++)
        if (v[i].key != EMPTY) {
            k->g[v[i].key >> 32].n++;
            v[n++] = v[i];
        }
    size_t *next = malloc((k->ng + 1) * sizeof(size_t));
    if (next == NULL)
        return fail(k, OPINE_ENOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < k->ng; i++) {
        k->g[i].first = next[i] = at;
        at += k->g[i].n;
    }
    for (size_t gi = 0; gi < k->ng; gi++) {
        size_t end = k->g[gi].first + k->g[gi].n;
        while (next[gi] < end) {
            /* Carry the pair at hand to its group's next free place, and
             * the one there on, until one belongs here. */
            pair e = v[next[gi]];
            size_t to = e.key >> 32;
            while (to != gi) {
                pair t = v[next[to]];
                v[next[to]++] = e;
                e = t;
                to = e.key >> 32;
            }
            v[next[gi]++] = e;
        }
    }
    free(next);
    for (size_t i = 0; i < k->ng; i++)
        if (k->g[i].n > 1)
            qsort(v + k->g[i].first, k->g[i].n, sizeof(pair), cmp_pair);
    return 0;
}

static const char *const measures[] = {"logodds", "chi2", "g2", "pmi"};

static double score_of(const opine_keyness_stats *s, int measure)
{
    switch (measure) {
    case 1:
        return s->chi2;
    case 2:
        return s->g2;
    case 3:
        return s->pmi;
    default:
        return s->z;
    }
}

/* Highest score first, undefined ones last; 0 for a tie. */
static int by_score(const row *a, const row *b)
{
    int na = isnan(a->score), nb = isnan(b->score);
    if (na != nb)
        return na - nb;
    if (!na && a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return 0;
}

/* By score, ties by stem id (for now: break_ties() orders them by text). */
static int cmp_score(const void *x, const void *y)
{
    const row *a = x, *b = y;
    int c = by_score(a, b);
    return c ? c : (a->stem > b->stem) - (a->stem < b->stem);
}

/* By score, ties by the stem's text. */
static int cmp_row(const void *x, const void *y)
{
    const row *a = x, *b = y;
    int c = by_score(a, b);
    return c ? c : strcmp(a->text ? a->text : "", b->text ? b->text : "");
}

static int add_row(kn *k, uint32_t stem, int64_t a, int64_t b, int64_t da,
                   int64_t db, int64_t nt, int64_t nr, int measure)
{
    if (opine__grow((void **)&k->rows, &k->rcap, k->nrows + 1, sizeof(row)))
        return fail(k, OPINE_ENOMEM, "out of memory");
    row *r = &k->rows[k->nrows++];
    r->stem = stem;
    r->a = a;
    r->b = b;
    r->da = da;
    r->db = db;
    opine_keyness_score(a, b, nt, nr, (double)k->prior[stem],
                        (double)k->prior_total, &r->s);
    r->score = score_of(&r->s, measure);
    r->text = NULL; /* break_ties() */
    return 0;
}

/* How many rows at each end of a ranking are written (all when stored). */
static size_t kept(const kn *k)
{
    const opine_keyness_opts *o = k->o;
    return o->store || o->keep <= 0 ? k->nrows : (size_t)o->keep;
}

/* Rows sorted by cmp_score, put in cmp_row's order where it matters: each
 * run of equal scores that reaches a written row is sorted by the stems'
 * texts, read for those stems only. A run that no written row reaches
 * keeps its places, so every written row has the rank cmp_row gives. */
static int break_ties(kn *k)
{
    size_t n = k->nrows, keep = kept(k), nneed = 0, cap = 0;
    row *v = k->rows;
    uint32_t *need = NULL;
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        for (size_t i = 0, j; i < n; i = j) {
            for (j = i + 1; j < n && by_score(&v[i], &v[j]) == 0;)
                j++;
            if (j - i < 2 || (i >= keep && j <= n - keep))
                continue;
            if (pass == 0) {
                for (size_t x = i; x < j; x++) {
                    if (opine__grow((void **)&need, &cap, nneed + 1,
                                    sizeof(uint32_t))) {
                        rc = fail(k, OPINE_ENOMEM, "out of memory");
                        break;
                    }
                    need[nneed++] = v[x].stem;
                }
                if (rc)
                    break;
                continue;
            }
            for (size_t x = i; x < j; x++)
                v[x].text = k->stem_text[v[x].stem];
            qsort(v + i, j - i, sizeof(row), cmp_row);
        }
        if (pass == 0 && rc == 0)
            rc = texts(k, need, nneed);
    }
    free(need);
    return rc;
}

/* The rows of target t against reference r (-1: the rest). */
static int compare(kn *k, size_t t, int64_t r, int measure)
{
    const group *T = &k->g[t];
    int64_t nt = T->tokens;
    int64_t nr = r < 0 ? k->grouped_total - nt : k->g[r].tokens;
    int64_t min = k->o->min_count;
    const pair *v = k->pairs.v;
    k->nrows = 0;
    if (r < 0) {
        for (size_t i = 0; i < T->n; i++) {
            const pair *w = &v[T->first + i];
            if (w->count < min)
                continue;
            const vocab *c = &k->v[STEM(w)];
            if (add_row(k, STEM(w), w->count, c->col - w->count, w->docs,
                        c->coldocs - w->docs, nt, nr, measure) != 0)
                return OPINE_ENOMEM;
        }
    } else {
        /* Both groups' pairs by stem: a merge. */
        const group *R = &k->g[r];
        size_t i = 0, j = 0;
        while (i < T->n || j < R->n) {
            const pair *x = i < T->n ? &v[T->first + i] : NULL;
            const pair *y = j < R->n ? &v[R->first + j] : NULL;
            pair none = {0, 0, 0};
            if (x && y && STEM(x) == STEM(y)) {
                i++, j++;
            } else if (x && (!y || STEM(x) < STEM(y))) {
                i++;
                none.key = x->key;
                y = &none;
            } else {
                j++;
                none.key = y->key;
                x = &none;
            }
            if (x->count < min && y->count < min)
                continue;
            if (add_row(k, STEM(x), x->count, y->count, x->docs, y->docs, nt,
                        nr, measure) != 0)
                return OPINE_ENOMEM;
        }
    }
    if (k->nrows > 1) { /* (rows is NULL while a comparison has none) */
        qsort(k->rows, k->nrows, sizeof(row), cmp_score);
        return break_ties(k);
    }
    return 0;
}

static const char KEYNESS_TABLE[] =
    "CREATE TABLE IF NOT EXISTS %s.keyness("
    " run INTEGER NOT NULL, group_by TEXT NOT NULL, target TEXT NOT NULL,"
    " reference TEXT, measure TEXT NOT NULL, stem INTEGER NOT NULL,"
    " rank INTEGER NOT NULL, n_target INTEGER NOT NULL,"
    " n_reference INTEGER NOT NULL, docs_target INTEGER NOT NULL,"
    " docs_reference INTEGER NOT NULL, total_target INTEGER NOT NULL,"
    " total_reference INTEGER NOT NULL, prior REAL NOT NULL,"
    " prior_total REAL NOT NULL, delta REAL, z REAL, chi2 REAL,"
    " chi2_yates REAL, g2 REAL, pmi REAL, log_ratio REAL);"
    "CREATE INDEX IF NOT EXISTS %s.keyness_run ON keyness(run, target,"
    " rank);";

static void bind_real(sqlite3_stmt *q, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(q, i);
    else
        sqlite3_bind_double(q, i, v);
}

static int write_rows(kn *k, sqlite3_stmt *ins, size_t t, int64_t r,
                      int64_t run, const char *measure_name, int64_t *written)
{
    const opine_keyness_opts *o = k->o;
    int64_t nt = k->g[t].tokens;
    int64_t nr = r < 0 ? k->grouped_total - nt : k->g[r].tokens;
    /* not stored: the rows the caller reads (keep at each end) */
    size_t keep = kept(k);
    for (size_t i = 0; i < k->nrows; i++) {
        if (i >= keep && i + keep < k->nrows)
            continue;
        const row *w = &k->rows[i];
        sqlite3_bind_int64(ins, 1, run);
        sqlite3_bind_text(ins, 2, o->by, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, k->g[t].name, -1, SQLITE_STATIC);
        if (r < 0)
            sqlite3_bind_null(ins, 4);
        else
            sqlite3_bind_text(ins, 4, k->g[r].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, measure_name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 6, w->stem);
        sqlite3_bind_int64(ins, 7, (int64_t)i + 1);
        sqlite3_bind_int64(ins, 8, w->a);
        sqlite3_bind_int64(ins, 9, w->b);
        sqlite3_bind_int64(ins, 10, w->da);
        sqlite3_bind_int64(ins, 11, w->db);
        sqlite3_bind_int64(ins, 12, nt);
        sqlite3_bind_int64(ins, 13, nr);
        sqlite3_bind_double(ins, 14, (double)k->prior[w->stem]);
        sqlite3_bind_double(ins, 15, (double)k->prior_total);
        bind_real(ins, 16, w->s.delta);
        bind_real(ins, 17, w->s.z);
        bind_real(ins, 18, w->s.chi2);
        bind_real(ins, 19, w->s.chi2_yates);
        bind_real(ins, 20, w->s.g2);
        bind_real(ins, 21, w->s.pmi);
        bind_real(ins, 22, w->s.log_ratio);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            sqlite3_reset(ins);
            return db_fail(k, "cannot write keyness");
        }
        sqlite3_reset(ins);
        ++*written;
    }
    return 0;
}

/* "'A' (12), 'B' (9), ... and 40 more": the largest groups (by their
 * documents, then by name), for messages. */
static void some_groups(const kn *k, char *buf, size_t size)
{
    size_t shown[5], ns = 0, at = 0;
    buf[0] = '\0';
    for (; ns < 5 && ns < k->ng; ns++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < k->ng; i++) {
            int taken = 0;
            for (size_t j = 0; j < ns; j++)
                taken |= shown[j] == i;
            if (!taken && (best == SIZE_MAX || k->g[i].docs > k->g[best].docs ||
                           (k->g[i].docs == k->g[best].docs &&
                            strcmp(k->g[i].name, k->g[best].name) < 0)))
                best = i;
        }
        shown[ns] = best;
        int w = snprintf(buf + at, size - at, "%s'%s' (%lld)", ns ? ", " : "",
                         k->g[best].name, (long long)k->g[best].docs);
        if (w < 0 || (size_t)w >= size - at)
            return;
        at += (size_t)w;
    }
    if (k->ng > ns)
        snprintf(buf + at, size - at, " and %zu more", k->ng - ns);
}

static int64_t find_group(const kn *k, const char *name)
{
    int64_t v = opine__strmap_get(k->names, name, strlen(name));
    return v > 0 ? v - 1 : -1;
}

/* The runs.params of this comparison: its definition, as JSON. */
static char *definition(kn *k)
{
    const opine_keyness_opts *o = k->o;
    sqlite3_stmt *q;
    char *out = NULL;
    if (sqlite3_prepare_v2(k->db,
                           "SELECT json_object('by', ?1, 'target', ?2,"
                           " 'reference', ?3, 'measure', ?4, 'where', ?5,"
                           " 'min_count', ?6)",
                           -1, &q, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(q, 1, o->by, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, o->target, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, o->reference, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, o->measure ? o->measure : "logodds", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(q, 5, o->where, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, o->min_count);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        out = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return out;
}

/* Score every comparison and write its rows, in one transaction. */
static int write_all(kn *k, int64_t run, const char *params, int measure,
                     int64_t target, int64_t reference,
                     opine_keyness_summary *sum)
{
    const char *schema = k->o->store ? "main" : "temp";
    char *sql = sqlite3_mprintf(KEYNESS_TABLE, schema, schema);
    int rc = sql ? sqlite3_exec(k->db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return db_fail(k, "cannot create the keyness table");
    if (sqlite3_exec(k->db, k->o->store ? "BEGIN IMMEDIATE" : "BEGIN", NULL,
                     NULL, NULL) != SQLITE_OK)
        return db_fail(k, "cannot write keyness");
    sqlite3_stmt *ins = NULL, *del = NULL;
    sql = sqlite3_mprintf("INSERT INTO %s.keyness VALUES(?1, ?2, ?3, ?4, ?5,"
                          " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                          " ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
                          schema);
    rc = sql ? sqlite3_prepare_v2(k->db, sql, -1, &ins, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK) {
        rc = db_fail(k, "cannot write keyness");
        goto out;
    }
    /* The same definition again replaces its earlier rows: the table
     * holds one answer per question, from the latest run that asked it. */
    if (k->o->store) {
        if (sqlite3_prepare_v2(k->db,
                               "DELETE FROM main.keyness WHERE run IN"
                               " (SELECT id FROM runs WHERE stage = 'compare'"
                               " AND params = ?1 AND id != ?2)",
                               -1, &del, NULL) != SQLITE_OK) {
            rc = db_fail(k, "cannot write keyness");
            goto out;
        }
        sqlite3_bind_text(del, 1, params, -1, SQLITE_STATIC);
        sqlite3_bind_int64(del, 2, run);
        if (sqlite3_step(del) != SQLITE_DONE) {
            rc = db_fail(k, "cannot replace earlier keyness rows");
            goto out;
        }
    }
    rc = 0;
    for (size_t t = 0; rc == 0 && t < k->ng; t++) {
        if ((target >= 0 && (int64_t)t != target) || (int64_t)t == reference)
            continue;
        if (opine__stop_requested(k->o->stop)) {
            rc = fail(k, OPINE_EINTERRUPTED, "interrupted");
            break;
        }
        rc = compare(k, t, reference, measure);
        int64_t written = 0;
        if (rc == 0)
            rc = write_rows(k, ins, t, reference, run, measures[measure],
                            &written);
        sum->comparisons++;
        sum->rows += written;
    }
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    if (rc == 0 && sqlite3_exec(k->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(k, "cannot commit keyness");
    if (rc != 0)
        sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Forget what a pass counted, keeping the groups it found (their names
 * and whether they are compared): the next pass numbers them again. */
static void reset(kn *k, opine_keyness_summary *sum)
{
    for (size_t i = 0; i < k->ng; i++)
        k->g[i] = (group){.name = k->g[i].name, .paired = k->g[i].paired};
    memset(sum, 0, sizeof *sum);
    memset(k->prior, 0, k->nstems * sizeof(int64_t));
    if (k->v)
        memset(k->v, 0, k->nstems * sizeof(vocab));
    k->prior_total = k->grouped_total = 0;
    for (size_t i = 0; i < k->pairs.cap; i++)
        k->pairs.v[i].key = EMPTY;
    k->pairs.n = 0;
}

static int check(kn *k, int64_t *target, int64_t *reference)
{
    const opine_keyness_opts *o = k->o;
    char some[512];
    *target = *reference = -1;
    if (k->ng == 0)
        return fail(
            k, OPINE_EEMPTY, "none of the %s has a group by %s (%s)",
            o->where ? "documents --where selects" : "stemmed documents", o->by,
            strcmp(o->by, "year") == 0 || strcmp(o->by, "month") == 0
                ? "documents.published starting YYYY-MM-DD"
            : strncmp(o->by, "meta:", 5) == 0 ? "a doc_meta row with that key"
                                              : "that field, not empty");
    some_groups(k, some, sizeof some);
    if (o->target && (*target = find_group(k, o->target)) < 0)
        return fail(k, OPINE_EUSAGE,
                    "--target '%s' is no group by %s; the"
                    " groups (with their documents) are %s",
                    o->target, o->by, some);
    if (o->reference && (*reference = find_group(k, o->reference)) < 0)
        return fail(k, OPINE_EUSAGE,
                    "--reference '%s' is no group by %s;"
                    " the groups (with their documents) are %s",
                    o->reference, o->by, some);
    if (o->target && o->reference && *target == *reference)
        return fail(k, OPINE_EUSAGE,
                    "--target and --reference are the same group '%s'",
                    o->target);
    if (k->ng < 2)
        return fail(k, OPINE_EEMPTY,
                    "only one group by %s, '%s': nothing to compare it with",
                    o->by, k->g[0].name);
    return 0;
}

int opine_keyness_compare(opine_store *st, const opine_keyness_opts *o,
                          opine_keyness_summary *sum, char **errmsg)
{
    kn k = {.st = st, .db = opine_store_db(st), .o = o};
    memset(sum, 0, sizeof *sum);
    if (errmsg)
        *errmsg = NULL;
    int measure = -1, rc;
    for (int i = 0; i < 4; i++)
        if (strcmp(o->measure ? o->measure : "logodds", measures[i]) == 0)
            measure = i;
    int64_t target, reference, run = 0;
    char *params = NULL;
    if (o->by == NULL || group_expr(o->by) == NULL)
        rc = fail(&k, OPINE_EUSAGE,
                  "unknown --by '%s': outlet, author, year, month or"
                  " meta:KEY",
                  o->by ? o->by : "");
    else if (measure < 0)
        rc = fail(&k, OPINE_EUSAGE,
                  "unknown --measure '%s': logodds, chi2, g2 or pmi",
                  o->measure);
    else if (o->min_count < 1)
        rc = fail(&k, OPINE_EUSAGE, "--min-count must be at least 1");
    else if (opine__strmap_new(&k.names) != 0)
        rc = fail(&k, OPINE_ENOMEM, "out of memory");
    else
        rc = 0;
    if (rc == 0)
        rc = load_vocabulary(&k);
    /* one snapshot for both reads of the index's way */
    int txn = rc == 0 && sqlite3_get_autocommit(k.db) &&
              sqlite3_exec(k.db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    /* the fastest way that can answer; each that cannot leaves its counts,
     * which go before the next */
    if (rc == 0 && (rc = scan_vectors(&k, sum)) == 1) {
        reset(&k, sum);
        rc = scan_postings(&k, sum);
    }
    if (rc == 1) { /* the index lacks documents: doc_terms, from scratch */
        reset(&k, sum);
        rc = scan(&k, sum);
    }
    if (txn)
        sqlite3_exec(k.db, "COMMIT", NULL, NULL, NULL);
    sum->groups = (int64_t)k.ng;
    if (rc == 0 && sum->documents == 0)
        rc = o->where
                 ? fail(&k, OPINE_EEMPTY,
                        "no stemmed document matches --where '%s'", o->where)
                 : fail(&k, OPINE_EEMPTY,
                        "'%s' has no stemmed documents: run 'opine run %s"
                        " INPUT...' first",
                        opine_store_path(st), opine_store_path(st));
    if (rc == 0)
        rc = check(&k, &target, &reference);
    if (rc == 0 && !k.laid_out)
        rc = layout(&k);
    if (rc == 0 && o->store) {
        params = definition(&k);
        if (params == NULL)
            rc = fail(&k, OPINE_ENOMEM, "out of memory");
        else if (opine_run_begin(st, "compare", params, &run) != 0)
            rc = db_fail(&k, "cannot record the run");
    }
    if (rc == 0)
        rc = write_all(&k, run, params, measure, target, reference, sum);
    if (run) {
        opine_run_counts c = {.records = sum->documents,
                              .documents = sum->grouped};
        opine_run_finish(st, run,
                         rc == 0                    ? "ok"
                         : rc == OPINE_EINTERRUPTED ? "interrupted"
                                                    : "failed",
                         &c, rc == 0 ? NULL : k.msg);
        sum->run = rc == 0 ? run : 0;
    }
    free(params);
    free(k.stem_text);
    free(k.text);
    for (size_t i = 0; i < k.nfetched; i++)
        free(k.fetched[i]);
    free(k.fetched);
    sqlite3_finalize(k.fetch);
    free(k.v);
    free(k.prior);
    free(k.g);
    free(k.pairs.v);
    free(k.pairs.slot);
    free(k.bkey);
    free(k.btf);
    free(k.rows);
    opine__strmap_free(k.names);
    if (rc != 0 && errmsg)
        *errmsg = k.msg ? k.msg : strdup(opine_strerror(rc));
    else
        free(k.msg);
    return rc;
}
