/* pipeline/similar.c — nearest documents by tf-idf cosine (similar.h),
 * scored term at a time over the postings of pipeline/simindex.h. */
#include "pipeline/similar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/rows.h"
#include "pipeline/simindex.h"
#include "pipeline/store.h"

struct opine_similar {
    sqlite3 *db;
    opine_simnorms norms; /* |d| by id, for the snapshot */
    int64_t ndocs;        /* N */
    char *lang;           /* the database's language, for stems.lang */
    int in_txn;
    double *dot;   /* by document id: the query's dot products */
    int64_t *gens; /* the index's generations (simindex.h) */
    size_t ngens;
    opine_rows *ids; /* the chunks a query reads (base/rows.h) */
    sqlite3_stmt *get_df, *get_postings, *get_terms, *get_surface, *find_stem,
        *find_ext, *find_id, *is_stemmed;
};

struct opine_similar_query {
    size_t n; /* terms of positive weight, by stem id */
    int64_t *stem;
    double *idf;  /* ln(N / df) */
    double *w;    /* the query's weight: tf * idf */
    double norm;  /* |q|, over all its terms in the corpus */
    int64_t skip; /* the query document, left out of results (0: none) */
};

/* Keep msg as *errmsg (when wanted and not set yet). */
static void say(char **errmsg, char *msg)
{
    if (errmsg && *errmsg == NULL)
        *errmsg = msg;
    else
        free(msg);
}

void opine_similar_free(opine_similar *s)
{
    if (s == NULL)
        return;
    sqlite3_stmt *all[] = {s->get_df,      s->get_postings, s->get_terms,
                           s->get_surface, s->find_stem,    s->find_ext,
                           s->find_id,     s->is_stemmed};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    if (s->in_txn)
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    opine__simnorms_release(&s->norms);
    free(s->gens);
    free(s->lang);
    free(s->dot);
    free(s);
}

int opine_similar_current(sqlite3 *db)
{
    int exists = opine__simindex_exists(db);
    if (exists <= 0)
        return exists;
    int64_t docs, last;
    opine_simnorms n;
    int rc = opine__simindex_stamp(db, &docs, &last);
    if (rc == 0)
        rc = opine__simindex_load_norms(db, docs, last, &n);
    if (rc == 1)
        opine__simnorms_release(&n);
    return rc;
}

/* The norms of the snapshot the handle's read transaction sees: stored
 * when current, else computed here. Returns 0, or an error after setting
 * *errmsg. */
static int load_norms(opine_similar *s, char **errmsg)
{
    sqlite3 *db = s->db;
    int64_t last;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return OPINE_EDB;
    s->in_txn = 1;
    int exists = opine__simindex_exists(db);
    if (exists < 0 || opine__simindex_stamp(db, &s->ndocs, &last))
        return OPINE_EDB;
    if (s->ndocs == 0) {
        say(errmsg, opine__format("no document is stemmed yet: nothing to"
                                  " compare with (run 'opine run' or 'opine"
                                  " stem' first)"));
        return OPINE_EEMPTY;
    }
    if (!exists) {
        say(errmsg, opine__format("the database has no similarity index yet,"
                                  " and it cannot be made now (the file is"
                                  " read-only, or another process is writing"
                                  " it); run 'opine similar' again where it"
                                  " can write"));
        return OPINE_ESCHEMA;
    }
    int got = opine__simindex_load_norms(db, s->ndocs, last, &s->norms);
    if (got != 0)
        return got < 0 ? got : 0;
    int rc = opine__simindex_compute_norms(db, &s->norms);
    if (rc == OPINE_ECORRUPT)
        say(errmsg, opine__format("the similarity index lacks documents"
                                  " stemmed since it was made, and it cannot"
                                  " be updated now (the file is read-only,"
                                  " or another process is writing it); run"
                                  " 'opine similar' again where it can"
                                  " write"));
    return rc;
}

static int prepare(sqlite3 *db, sqlite3_stmt **q, const char *sql)
{
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, q,
                              NULL) == SQLITE_OK
               ? 0
               : OPINE_EDB;
}

int opine_similar_open(opine_similar **out, sqlite3 *db, char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    *out = NULL;
    opine_similar *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return OPINE_ENOMEM;
    s->db = db;
    /* Queries read scattered rows of 64 KiB pages (postings, stems,
     * terms): mapped, a page costs the few KiB touched instead of a copy
     * of all of it into the page cache. */
    static const char mmap[] = "PRAGMA mmap_size = 1099511627776";
    sqlite3_exec(db, mmap, NULL, NULL, NULL);
    int rc = load_norms(s, errmsg);
    if (rc == 0) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(db,
                               "SELECT value FROM meta WHERE key = 'language'",
                               -1, &q, NULL) != SQLITE_OK)
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
    if (rc == 0 &&
        ((rc =
              prepare(db, &s->get_df, "SELECT df FROM terms WHERE stem = ?")) ||
         (rc = opine__rows_register(db, "opine_similar_ids", "id", "i",
                                    &s->ids)) ||
         (rc = prepare(db, &s->get_postings,
                       "SELECT p.id, p.postings FROM opine_similar_ids q"
                       " CROSS JOIN similar_postings p ON p.id = q.id")) ||
         (rc = prepare(db, &s->get_terms,
                       "SELECT stem, tf FROM doc_terms WHERE doc = ?"
                       " ORDER BY stem")) ||
         (rc = prepare(db, &s->get_surface,
                       "SELECT coalesce(surface, stem) FROM stems"
                       " WHERE id = ?")) ||
         (rc = prepare(db, &s->find_stem,
                       "SELECT id FROM stems WHERE lang = ? AND stem = ?")) ||
         (rc = prepare(db, &s->find_ext,
                       "SELECT id FROM documents WHERE ext_id = ?"
                       " ORDER BY id LIMIT 3")) ||
         (rc = prepare(db, &s->find_id,
                       "SELECT id FROM documents WHERE id = ?")) ||
         (rc = prepare(db, &s->is_stemmed,
                       "SELECT 1 FROM doc_lengths WHERE doc = ?"))))
        rc = OPINE_EDB;
    if (rc == 0 &&
        (s->dot = calloc((size_t)s->norms.size + 1, sizeof(double))) == NULL)
        rc = OPINE_ENOMEM;
    if (rc == 0)
        rc = opine__simindex_generations(db, &s->gens, &s->ngens);
    if (rc) {
        if (rc == OPINE_EDB)
            say(errmsg, opine__format("cannot read the similarity index: %s",
                                      sqlite3_errmsg(db)));
        opine_similar_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* ---- finding a document ----------------------------------------------- */

static int all_digits(const char *s)
{
    if (*s == '\0' || strlen(s) > 18)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int opine_similar_find(opine_similar *s, const char *spec, int64_t *doc,
                       char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    int64_t ids[3];
    int n = 0, rc;
    sqlite3_bind_text(s->find_ext, 1, spec, -1, SQLITE_STATIC);
    while (n < 3 && (rc = sqlite3_step(s->find_ext)) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(s->find_ext, 0);
    sqlite3_reset(s->find_ext);
    if (n > 1) {
        say(errmsg,
            opine__format("'%s' is the id of several documents (%lld, %lld%s);"
                          " name one by its number",
                          spec, (long long)ids[0], (long long)ids[1],
                          n > 2 ? ", ..." : ""));
        return OPINE_EUSAGE;
    }
    if (n == 0 && all_digits(spec)) {
        sqlite3_bind_int64(s->find_id, 1, strtoll(spec, NULL, 10));
        if (sqlite3_step(s->find_id) == SQLITE_ROW)
            ids[n++] = sqlite3_column_int64(s->find_id, 0);
        sqlite3_reset(s->find_id);
    }
    if (n == 0) {
        say(errmsg, opine__format("no document '%s' (by ext_id or id)", spec));
        return OPINE_ENOENT;
    }
    sqlite3_bind_int64(s->is_stemmed, 1, ids[0]);
    int stemmed = sqlite3_step(s->is_stemmed) == SQLITE_ROW;
    sqlite3_reset(s->is_stemmed);
    if (!stemmed) {
        say(errmsg, opine__format("document '%s' is not stemmed yet; run 'opine"
                                  " stem' (or 'opine run') first",
                                  spec));
        return OPINE_ENOENT;
    }
    *doc = ids[0];
    return 0;
}

/* ---- queries ---------------------------------------------------------- */

void opine_similar_query_free(opine_similar_query *q)
{
    if (q == NULL)
        return;
    free(q->stem);
    free(q->idf);
    free(q->w);
    free(q);
}

/* df of stem (0 when it has no terms row). */
static int64_t stem_df(opine_similar *s, int64_t stem)
{
    sqlite3_bind_int64(s->get_df, 1, stem);
    int64_t df = sqlite3_step(s->get_df) == SQLITE_ROW
                     ? sqlite3_column_int64(s->get_df, 0)
                     : 0;
    sqlite3_reset(s->get_df);
    return df;
}

/* A query of n (stem id, tf) pairs sorted by stem, each stem once: the
 * weights from the snapshot's N and df, |q| summed in stem order over
 * every term (those of weight 0 add nothing), and only the terms of
 * positive weight kept. */
static int make_query(opine_similar *s, const int64_t *pairs, size_t n,
                      opine_similar_query **out)
{
    *out = NULL;
    opine_similar_query *q = calloc(1, sizeof(*q));
    if (q == NULL || (q->stem = malloc((n + 1) * sizeof(int64_t))) == NULL ||
        (q->idf = malloc((n + 1) * sizeof(double))) == NULL ||
        (q->w = malloc((n + 1) * sizeof(double))) == NULL) {
        opine_similar_query_free(q);
        return OPINE_ENOMEM;
    }
    double sq = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t df = stem_df(s, pairs[2 * i]);
        if (df <= 0)
            continue; /* a stem no stemmed document has */
        double idf = log((double)s->ndocs / (double)df);
        double w = (double)pairs[2 * i + 1] * idf;
        sq += w * w;
        if (w > 0) {
            q->stem[q->n] = pairs[2 * i];
            q->idf[q->n] = idf;
            q->w[q->n] = w;
            q->n++;
        }
    }
    q->norm = sqrt(sq);
    if (q->n == 0) {
        opine_similar_query_free(q);
        return OPINE_EEMPTY;
    }
    *out = q;
    return 0;
}

int opine_similar_query_doc(opine_similar *s, int64_t doc,
                            opine_similar_query **out)
{
    int64_t *pairs = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, step;
    sqlite3_bind_int64(s->get_terms, 1, doc);
    while ((step = sqlite3_step(s->get_terms)) == SQLITE_ROW && rc == 0) {
        if (opine__grow((void **)&pairs, &cap, 2 * n + 2, sizeof(int64_t)))
            rc = OPINE_ENOMEM;
        else {
            pairs[2 * n] = sqlite3_column_int64(s->get_terms, 0);
            pairs[2 * n + 1] = sqlite3_column_int64(s->get_terms, 1);
            n++;
        }
    }
    sqlite3_reset(s->get_terms);
    if (rc == 0 && step != SQLITE_DONE)
        rc = OPINE_EDB;
    if (rc == 0)
        rc = make_query(s, pairs, n, out);
    if (rc == 0)
        (*out)->skip = doc;
    free(pairs);
    return rc;
}

static int cmp_pair(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int opine_similar_query_stems(opine_similar *s, const char *const *stems,
                              const uint32_t *counts, size_t n,
                              opine_similar_query **out)
{
    *out = NULL;
    int64_t *pairs = malloc((2 * n + 2) * sizeof(int64_t));
    if (pairs == NULL)
        return OPINE_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_text(s->find_stem, 1, s->lang, -1, SQLITE_STATIC);
        sqlite3_bind_text(s->find_stem, 2, stems[i], -1, SQLITE_STATIC);
        if (sqlite3_step(s->find_stem) == SQLITE_ROW) {
            pairs[2 * k] = sqlite3_column_int64(s->find_stem, 0);
            pairs[2 * k + 1] = counts[i];
            k++;
        }
        sqlite3_reset(s->find_stem);
    }
    /* by stem id, each stem once with its counts added */
    qsort(pairs, k, 2 * sizeof(int64_t), cmp_pair);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (m && pairs[2 * (m - 1)] == pairs[2 * i]) {
            pairs[2 * (m - 1) + 1] += pairs[2 * i + 1];
            continue;
        }
        pairs[2 * m] = pairs[2 * i];
        pairs[2 * m + 1] = pairs[2 * i + 1];
        m++;
    }
    int rc = make_query(s, pairs, m, out);
    free(pairs);
    return rc;
}

/* ---- ranking ---------------------------------------------------------- */

/* Whether a ranks before b: the higher score, then the smaller id. */
static int before(const opine_similar_hit *a, const opine_similar_hit *b)
{
    return a->score > b->score || (a->score == b->score && a->doc < b->doc);
}

static int cmp_hit(const void *a, const void *b)
{
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

/* The heap of the best k so far keeps the worst of them at its root. */
static void sift_down(opine_similar_hit *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, worst = i;
        if (l < n && before(&h[worst], &h[l]))
            worst = l;
        if (r < n && before(&h[worst], &h[r]))
            worst = r;
        if (worst == i)
            return;
        opine_similar_hit t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
    }
}

static void sift_up(opine_similar_hit *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&h[p], &h[i]))
            return;
        opine_similar_hit t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

/* HOW IT WORKS: term at a time, every posting of every query term adds
 * w(t, q) * w(t, d) to d's dot product in a dense array by document id
 * (N doubles: 300 KB for ABP, in cache); then one pass divides by the
 * norms and keeps the best `top` in a heap. No posting is skipped, so
 * nothing depends on bounds: the founding op-ed's 272 terms have 1.5 M
 * postings on ABP, a few milliseconds to decode. The chunks come from
 * one statement that looks up every (generation, term) id in turn, not a
 * statement run per id. */
int opine_similar_rank(opine_similar *s, const opine_similar_query *q,
                       size_t top, opine_similar_hit **hits, size_t *nhits)
{
    *hits = NULL;
    *nhits = 0;
    int64_t size = s->norms.size;
    double *dot = s->dot;
    memset(dot, 0, (size_t)size * sizeof(double));
    /* The chunks to read, in id order: generation by generation, each in
     * stem order. A document's postings are all in one generation, so it
     * gets its terms in stem order all the same. */
    size_t nids = s->ngens * q->n;
    int64_t *ids = malloc((nids + 1) * sizeof(int64_t));
    /* w(t, q) * w(t, d) for the small tfs nearly every posting has, made
     * once per term by the very same operations */
    double(*by_tf)[32] = malloc((q->n + 1) * sizeof(*by_tf));
    if (ids == NULL || by_tf == NULL) {
        free(ids);
        free(by_tf);
        return OPINE_ENOMEM;
    }
    for (size_t g = 0; g < s->ngens; g++)
        for (size_t i = 0; i < q->n; i++)
            ids[g * q->n + i] = s->gens[g] << 32 | q->stem[i];
    for (size_t i = 0; i < q->n; i++)
        for (int k = 0; k < 32; k++)
            by_tf[i][k] = q->w[i] * ((double)k * q->idf[i]);
    opine__rows_set(s->ids, ids, nids);
    int rc = 0, step;
    size_t i = 0; /* the term of the row: ids come back in order */
    while ((step = sqlite3_step(s->get_postings)) == SQLITE_ROW) {
        int64_t stem = sqlite3_column_int64(s->get_postings, 0) & 0xffffffff;
        while (i < q->n && q->stem[i] != stem)
            i++;
        if (i == q->n) /* the next generation's */
            for (i = 0; i < q->n && q->stem[i] != stem; i++)
                ;
        if (i == q->n) {
            rc = OPINE_ECORRUPT;
            break;
        }
        const double *w = by_tf[i];
        double wq = q->w[i], idf = q->idf[i];
        const unsigned char *p = sqlite3_column_blob(s->get_postings, 1);
        const unsigned char *end = p + sqlite3_column_bytes(s->get_postings, 1);
        uint64_t doc = 0;
        while (p && p < end) {
            uint64_t gap, tf;
            if ((p = opine__posting_get(p, end, &gap, &tf)) == NULL)
                break;
            doc += gap;
            if (doc >= (uint64_t)size) {
                p = NULL;
                break;
            }
            dot[doc] += tf < 32 ? w[tf] : wq * ((double)tf * idf);
        }
        if (p == NULL) {
            rc = OPINE_ECORRUPT;
            break;
        }
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = OPINE_EDB;
    sqlite3_reset(s->get_postings);
    opine__rows_set(s->ids, NULL, 0);
    free(ids);
    free(by_tf);
    if (rc)
        return rc;
    size_t cap = top ? top : 64, n = 0;
    opine_similar_hit *h = malloc(cap * sizeof(*h));
    if (h == NULL)
        return OPINE_ENOMEM;
    for (int64_t d = 1; d < size; d++) {
        if (dot[d] <= 0 || d == q->skip)
            continue;
        opine_similar_hit x = {d, dot[d] / (q->norm * s->norms.norm[d])};
        if (top == 0) {
            if (n == cap) {
                opine_similar_hit *g = realloc(h, 2 * cap * sizeof(*h));
                if (g == NULL) {
                    free(h);
                    return OPINE_ENOMEM;
                }
                h = g;
                cap *= 2;
            }
            h[n++] = x;
        } else if (n < top) {
            h[n] = x;
            sift_up(h, n++);
        } else if (before(&x, &h[0])) {
            h[0] = x;
            sift_down(h, n, 0);
        }
    }
    qsort(h, n, sizeof(*h), cmp_hit);
    *hits = h;
    *nhits = n;
    return 0;
}

/* ---- shared terms ----------------------------------------------------- */

typedef struct contrib {
    int64_t stem;
    double value;
} contrib;

static int cmp_contrib(const void *a, const void *b)
{
    const contrib *x = a, *y = b;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return x->stem < y->stem ? -1 : x->stem > y->stem;
}

int opine_similar_shared(opine_similar *s, const opine_similar_query *q,
                         int64_t doc, size_t max, char **text)
{
    *text = NULL;
    contrib *c = NULL;
    size_t n = 0, cap = 0, i = 0;
    int rc = 0, step;
    sqlite3_bind_int64(s->get_terms, 1, doc);
    /* both in stem order: a merge */
    while ((step = sqlite3_step(s->get_terms)) == SQLITE_ROW && rc == 0) {
        int64_t stem = sqlite3_column_int64(s->get_terms, 0);
        while (i < q->n && q->stem[i] < stem)
            i++;
        if (i == q->n || q->stem[i] != stem)
            continue;
        double tf = (double)sqlite3_column_int64(s->get_terms, 1);
        if (opine__grow((void **)&c, &cap, n + 1, sizeof(contrib)))
            rc = OPINE_ENOMEM;
        else
            c[n++] = (contrib){stem, q->w[i] * (tf * q->idf[i])};
    }
    sqlite3_reset(s->get_terms);
    if (rc == 0 && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = OPINE_EDB;
    if (rc == 0 && n)
        qsort(c, n, sizeof(contrib), cmp_contrib);
    size_t len = 0, tcap = 64;
    char *t = rc == 0 ? malloc(tcap) : NULL;
    if (rc == 0 && t == NULL)
        rc = OPINE_ENOMEM;
    if (t)
        t[0] = '\0';
    for (size_t k = 0; rc == 0 && k < n && k < max; k++) {
        sqlite3_bind_int64(s->get_surface, 1, c[k].stem);
        const char *v =
            sqlite3_step(s->get_surface) == SQLITE_ROW
                ? (const char *)sqlite3_column_text(s->get_surface, 0)
                : NULL;
        size_t vlen = v ? strlen(v) : 0;
        if (len + vlen + 3 > tcap) {
            while (len + vlen + 3 > tcap)
                tcap *= 2;
            char *g = realloc(t, tcap);
            if (g == NULL)
                rc = OPINE_ENOMEM;
            else
                t = g;
        }
        if (rc == 0 && v) {
            if (len) {
                memcpy(t + len, ", ", 2);
                len += 2;
            }
            memcpy(t + len, v, vlen + 1);
            len += vlen;
        }
        sqlite3_reset(s->get_surface);
    }
    free(c);
    if (rc) {
        free(t);
        return rc;
    }
    *text = t;
    return 0;
}
