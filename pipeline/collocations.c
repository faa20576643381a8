/* pipeline/collocations.c — multi-word expressions scored by lambda and z
 * as quanteda's textstat_collocations, with G2 and PMI (see the header).
 *
 * HOW IT WORKS, for each size K. A pass reads every selected document's
 * token stream and text, cuts the tokens into runs that no sentence
 * boundary or punctuation interrupts, and slides a window of K terms over
 * each run. Counting ("A") finds every window (N), the windows with term
 * t at position j (an array over the vocabulary per position) and, in a
 * hash table, the windows themselves, but only those whose hash falls in
 * the partition at hand. The table then holds every window of its
 * partition with its exact count, and the expressions seen min_count
 * times are the partition's candidates. For K = 3 a second reading ("B")
 * counts, for the candidates' pairs of terms only, the windows with that
 * pair at positions (0, 1), (0, 2) and (1, 2); it rides along with the
 * next partition's counting, so P partitions take P + 1 passes. The
 * margins M(T) (windows matching x at the positions in T, any term
 * elsewhere) give every cell by inclusion and exclusion,
 *     cell(S) = sum over T containing S of (-1)^|T - S| M(T),
 * the scores follow, and the candidates' rows are written, all in one
 * transaction.
 *
 * One partition unless the table would outgrow its memory: counting
 * projects the distinct windows from the first tenth of the documents and
 * starts again with enough partitions when they would not fit (or when
 * the table fills all the same). Each document's windows are hashed
 * first and their slots prefetched before any is counted: the table is
 * much bigger than the caches, and the misses then overlap.
 */
#include "pipeline/collocations.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/stop.h"
#include "pipeline/bpmask.h"
#include "pipeline/tokstream.h"
#include "pipeline/zblob.h"

/* ---- the scores ------------------------------------------------------- */

void opine_colloc_score(int k, const double *cells, double smoothing,
                        opine_colloc_stats *s)
{
    int m = 1 << k;
    double lambda = 0, var = 0, n = 0, margin[3] = {0, 0, 0};
    for (int c = 0; c < m; c++) {
        double v = cells[c] + smoothing;
        int bits = __builtin_popcount((unsigned)c);
        lambda += ((k - bits) % 2 ? -1 : 1) * log(v);
        var += 1 / v;
        n += cells[c];
        for (int j = 0; j < k; j++)
            if (c >> j & 1)
                margin[j] += cells[c];
    }
    s->lambda = lambda;
    s->sigma = sqrt(var);
    s->z = lambda / s->sigma;
    /* G2 against independent positions, and PMI, from the raw cells. */
    double g = 0, expected_all = n;
    for (int j = 0; j < k; j++)
        expected_all *= margin[j] / n;
    for (int c = 0; c < m; c++) {
        if (cells[c] <= 0)
            continue;
        double e = n;
        for (int j = 0; j < k; j++)
            e *= (c >> j & 1) ? margin[j] / n : 1 - margin[j] / n;
        g += cells[c] * log(cells[c] / e);
    }
    double all = cells[m - 1];
    s->g2 = (all > expected_all ? 2 : all < expected_all ? -2 : 0) * g;
    s->pmi = all > 0 ? log(all / expected_all) : NAN;
}

/* ---- K-gram counts ---------------------------------------------------- */

/* A K-gram (unused positions 0) or, in pass B, a pair (x, y, which). A
 * slot with count 0 is free. */
typedef struct gram {
    uint32_t w[3];
    uint32_t count;
} gram;

typedef struct gtab {
    gram *v;
    size_t cap, n, max_cap; /* cap and max_cap powers of two */
} gtab;

static uint64_t gram_hash(const uint32_t *w)
{
    uint64_t h = (uint64_t)w[0] * 0x9e3779b97f4a7c15ULL;
    h = (h ^ w[1] ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ w[2] ^ (h >> 29)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 32);
}

static int gtab_resize(gtab *t, size_t cap)
{
    gram *v = calloc(cap, sizeof *v);
    if (v == NULL)
        return OPINE_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->v[i].count == 0)
            continue;
        size_t j = gram_hash(t->v[i].w) & (cap - 1);
        while (v[j].count)
            j = (j + 1) & (cap - 1);
        v[j] = t->v[i];
    }
    free(t->v);
    t->v = v;
    t->cap = cap;
    return 0;
}

static void gtab_free(gtab *t)
{
    free(t->v);
    t->v = NULL;
    t->cap = t->n = 0;
}

enum { ADDED = 0, FULL = 1 };

/* Count w once more; FULL when a new K-gram would need more than
 * max_cap slots (load at most 0.7). */
static int gtab_add(gtab *t, const uint32_t *w, uint64_t h)
{
    if ((t->n + 1) * 10 > t->cap * 7) {
        if (t->cap * 2 > t->max_cap)
            return FULL;
        if (gtab_resize(t, t->cap ? t->cap * 2 : 1 << 14) != 0)
            return OPINE_ENOMEM;
    }
    size_t j = h & (t->cap - 1);
    while (t->v[j].count && (t->v[j].w[0] != w[0] || t->v[j].w[1] != w[1] ||
                             t->v[j].w[2] != w[2]))
        j = (j + 1) & (t->cap - 1);
    if (t->v[j].count == 0) {
        memcpy(t->v[j].w, w, sizeof t->v[j].w);
        t->n++;
    } else if (t->v[j].count == UINT32_MAX) {
        return OPINE_ETOOBIG;
    }
    t->v[j].count++;
    return ADDED;
}

/* w's slot, or NULL when absent; h its gram_hash() (the top bit may be
 * lost: only the low bits place a key). */
static gram *gtab_find_hashed(const gtab *t, const uint32_t *w, uint64_t h)
{
    if (t->cap == 0)
        return NULL;
    size_t j = h & (t->cap - 1);
    while (t->v[j].count) {
        if (t->v[j].w[0] == w[0] && t->v[j].w[1] == w[1] &&
            t->v[j].w[2] == w[2])
            return &t->v[j];
        j = (j + 1) & (t->cap - 1);
    }
    return NULL;
}

static gram *gtab_find(const gtab *t, const uint32_t *w)
{
    return gtab_find_hashed(t, w, gram_hash(w));
}

/* ---- one run ---------------------------------------------------------- */

#define PAD UINT32_MAX /* a stop word under pad_stopwords */

/* A window of the document at hand, with its hash. */
typedef struct window {
    uint32_t w[3];
    uint64_t h;
} window;

typedef struct cl {
    sqlite3 *db;
    const opine_colloc_opts *o;
    const char *schema;
    char *msg;
    /* the vocabulary: a token's term is its type (a lowercased form) or,
     * with o->stems, its stem; terms are numbered by types.id or
     * stems.id, and word[] and stem[] give their text */
    uint32_t ntypes, nterms; /* highest id + 1 */
    uint32_t *term_of;       /* by type id: the term, PAD, or 0 (none) */
    char **word, **stem;
    uint32_t *word_len, *stem_len;
    /* windows of the size at hand */
    int k;
    uint64_t n;       /* all windows */
    uint64_t *pos[3]; /* by position and term; the entry nterms: pads */
    gtab grams;       /* A: this partition's windows */
    int counting;     /* A runs in this pass */
    gram *cand;       /* B: the previous partition's candidates */
    size_t ncand;
    gtab pairs;   /* B: their pairs, w[2] = which; count - 1 = windows */
    uint8_t *at;  /* B: by term, bit j: at position j of a candidate */
    uint64_t *ph; /* B: the document's pair hashes */
    size_t ph_cap;
    uint32_t parts, part;
    window *win; /* the document at hand's windows */
    size_t nwin, win_cap;
    /* reading */
    opine_zcodec *inflater;
    /* --boilerplate exclude: the tokens of left-out lines, which end a
     * run and count as no token, as they are out of doc_terms */
    opine_bpmask *bp;
    uint32_t *out;
    size_t out_cap;
    unsigned char *text;
    size_t text_cap;
    int64_t docs_total, docs_done, tokens;
    double projected; /* distinct windows, when projected */
    int passes;
} cl;

static int fail(cl *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(cl *c, int rc, const char *fmt, ...)
{
    if (c->msg == NULL) {
        va_list ap;
        va_start(ap, fmt);
        c->msg = opine__vformat(fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int db_fail(cl *c, const char *what)
{
    return fail(c, OPINE_EDB, "%s: %s", what, sqlite3_errmsg(c->db));
}

static int64_t max_id(cl *c, const char *sql)
{
    sqlite3_stmt *q;
    int64_t v = -1;
    if (sqlite3_prepare_v2(c->db, sql, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

static int load_vocabulary(cl *c)
{
    int64_t nt = max_id(c, "SELECT coalesce(max(id), 0) FROM types");
    int64_t ns = max_id(c, "SELECT coalesce(max(id), 0) FROM stems");
    if (nt < 0 || ns < 0)
        return db_fail(c, "cannot read the vocabulary");
    if (nt >= UINT32_MAX - 1 || ns >= UINT32_MAX - 1)
        return fail(c, OPINE_ECORRUPT, "type or stem ids out of range");
    c->ntypes = (uint32_t)nt + 1;
    c->nterms = c->o->stems ? (uint32_t)ns + 1 : c->ntypes;
    c->term_of = calloc(c->ntypes, sizeof(uint32_t));
    c->word = calloc(c->nterms, sizeof(char *));
    c->stem = calloc(c->nterms, sizeof(char *));
    c->word_len = calloc(c->nterms, sizeof(uint32_t));
    c->stem_len = calloc(c->nterms, sizeof(uint32_t));
    for (int j = 0; j < 3; j++)
        c->pos[j] = calloc(c->nterms + 1, sizeof(uint64_t));
    if (!c->term_of || !c->word || !c->stem || !c->word_len || !c->stem_len ||
        !c->pos[0] || !c->pos[1] || !c->pos[2])
        return fail(c, OPINE_ENOMEM, "out of memory");
    /* A type without a stem is in no stemmed document; 0 marks it. */
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT t.id, t.stem, t.stopword, t.type, s.stem,"
                           " coalesce(s.surface, s.stem) FROM types t"
                           " JOIN stems s ON s.id = t.stem",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(c, "cannot read types");
    int rc = 0;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        int64_t sid = sqlite3_column_int64(q, 1);
        const char *type = (const char *)sqlite3_column_text(q, 3);
        const char *stem = (const char *)sqlite3_column_text(q, 4);
        const char *surface = (const char *)sqlite3_column_text(q, 5);
        if (id <= 0 || id >= c->ntypes || sid <= 0 || sid >= ns + 1 || !type ||
            !stem || !surface)
            continue;
        uint32_t term = c->o->stems ? (uint32_t)sid : (uint32_t)id;
        c->term_of[id] =
            c->o->pad_stopwords && sqlite3_column_int(q, 2) ? PAD : term;
        if (c->word[term] == NULL &&
            ((c->word[term] = strdup(c->o->stems ? surface : type)) == NULL ||
             (c->stem[term] = strdup(stem)) == NULL))
            rc = fail(c, OPINE_ENOMEM, "out of memory");
        else if (c->word_len[term] == 0) {
            c->word_len[term] = (uint32_t)strlen(c->word[term]);
            c->stem_len[term] = (uint32_t)strlen(c->stem[term]);
        }
    }
    sqlite3_finalize(q);
    return rc;
}

/* True when s[0..n) is white space only (Unicode White_Space). */
static int only_space(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        if (b == ' ' || (b >= '\t' && b <= '\r')) {
            i++;
        } else if (b == 0xc2 && i + 1 < n &&
                   (s[i + 1] == 0x85 || s[i + 1] == 0xa0)) {
            i += 2; /* U+0085, U+00A0 */
        } else if (i + 2 < n &&
                   ((b == 0xe1 && s[i + 1] == 0x9a && s[i + 2] == 0x80) ||
                    (b == 0xe2 && s[i + 1] == 0x80 &&
                     (s[i + 2] <= 0x8a || s[i + 2] == 0xa8 ||
                      s[i + 2] == 0xa9 || s[i + 2] == 0xaf)) ||
                    (b == 0xe2 && s[i + 1] == 0x81 && s[i + 2] == 0x9f) ||
                    (b == 0xe3 && s[i + 1] == 0x80 && s[i + 2] == 0x80))) {
            i += 3; /* U+1680, U+2000-200A, 2028, 2029, 202F, 205F, 3000 */
        } else {
            return 0;
        }
    }
    return 1;
}

static const int pair_pos[3][2] = {{0, 1}, {0, 2}, {1, 2}};

/* Count the document's windows: A (the partition's, and on the first
 * partition N and the position counts) and B (the candidates' pairs). */
static int count_windows(cl *c)
{
    int k = c->k;
    if (c->counting && c->part == 0) {
        c->n += c->nwin;
        for (size_t i = 0; i < c->nwin; i++)
            for (int j = 0; j < k; j++) {
                uint32_t t = c->win[i].w[j];
                c->pos[j][t == PAD ? c->nterms : t]++;
            }
    }
    if (c->counting) {
        /* The partition's windows to the front, their slots prefetched,
         * then counted. */
        size_t m = 0;
        for (size_t i = 0; i < c->nwin; i++)
            if (((c->win[i].h >> 40) & (c->parts - 1)) == c->part)
                c->win[m++] = c->win[i];
        while ((c->grams.n + m) * 10 > c->grams.cap * 7) {
            if (c->grams.cap * 2 > c->grams.max_cap)
                return FULL;
            if (gtab_resize(&c->grams,
                            c->grams.cap ? c->grams.cap * 2 : 1 << 14) != 0)
                return fail(c, OPINE_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < m; i++)
            __builtin_prefetch(&c->grams.v[c->win[i].h & (c->grams.cap - 1)],
                               1);
        for (size_t i = 0; i < m; i++) {
            int rc = gtab_add(&c->grams, c->win[i].w, c->win[i].h);
            if (rc == OPINE_ETOOBIG)
                return fail(c, rc, "an expression occurs 2^32 times or more");
            if (rc != ADDED)
                return rc;
        }
    }
    return 0;
}

/* B: the candidates' pairs in the document's windows. A pair whose terms
 * are at those positions in no candidate is skipped (the bits of c->at);
 * the others are hashed and prefetched, then found. */
static int count_pairs(cl *c)
{
    if (opine__grow((void **)&c->ph, &c->ph_cap, 3 * c->nwin + 1,
                    sizeof(uint64_t)))
        return fail(c, OPINE_ENOMEM, "out of memory");
    size_t cap = c->pairs.cap;
    for (size_t i = 0; i < c->nwin; i++)
        for (uint32_t which = 0; which < 3; which++) {
            uint32_t x = c->win[i].w[pair_pos[which][0]];
            uint32_t y = c->win[i].w[pair_pos[which][1]];
            uint64_t h = 0;
            if (x != PAD && y != PAD && (c->at[x] >> pair_pos[which][0] & 1) &&
                (c->at[y] >> pair_pos[which][1] & 1)) {
                uint32_t key[3] = {x, y, which};
                h = gram_hash(key);
                __builtin_prefetch(&c->pairs.v[h & (cap - 1)], 1);
                h = h << 1 | 1; /* 0: skipped */
            }
            c->ph[3 * i + which] = h;
        }
    for (size_t i = 0; i < c->nwin; i++)
        for (uint32_t which = 0; which < 3; which++) {
            uint64_t h = c->ph[3 * i + which];
            if (h == 0)
                continue;
            uint32_t key[3] = {c->win[i].w[pair_pos[which][0]],
                               c->win[i].w[pair_pos[which][1]], which};
            gram *g = gtab_find_hashed(&c->pairs, key, h >> 1);
            if (g)
                g->count++;
        }
    return 0;
}

/* Windows of one document into c->win. */
static int read_document(cl *c, int64_t doc, const void *stream,
                         size_t stream_len, const void *body, size_t body_len,
                         size_t text_len)
{
    opine_stream_token *t;
    size_t n;
    int rc = opine_tokstream_decode(stream, stream_len, &t, &n);
    if (rc != 0)
        return fail(c, rc, "the token stream of document %lld: %s",
                    (long long)doc, opine_strerror(rc));
    if (text_len + 1 > c->text_cap) {
        unsigned char *b = realloc(c->text, text_len + 1);
        if (b == NULL) {
            free(t);
            return fail(c, OPINE_ENOMEM, "out of memory");
        }
        c->text = b;
        c->text_cap = text_len + 1;
    }
    int zrc =
        opine_zcodec_inflate(c->inflater, body, body_len, c->text, text_len);
    if (zrc) {
        free(t);
        return zrc == OPINE_ENOMEM
                   ? fail(c, OPINE_ENOMEM, "out of memory")
                   : fail(c, OPINE_ECORRUPT,
                          "the body of document %lld does not inflate to its"
                          " %zu bytes",
                          (long long)doc, text_len);
    }
    if (opine__grow((void **)&c->win, &c->win_cap, n + 1, sizeof(window))) {
        free(t);
        return fail(c, OPINE_ENOMEM, "out of memory");
    }
    size_t left_out = 0;
    if (opine_bpmask_has(c->bp, doc)) {
        if (opine__grow((void **)&c->out, &c->out_cap, n + 1,
                        sizeof(uint32_t))) {
            free(t);
            return fail(c, OPINE_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            c->out[i] = 1;
        rc = opine_bpmask_apply(c->bp, doc, t, n, c->out, &left_out);
        if (rc) {
            free(t);
            return rc == OPINE_EDB
                       ? db_fail(c, "cannot read the boilerplate lines")
                       : fail(c, rc, "the lines of document %lld: %s",
                              (long long)doc, opine_strerror(rc));
        }
    }
    uint32_t seg[3] = {0, 0, 0};
    size_t len = 0, end = 0;
    c->nwin = 0;
    for (size_t i = 0; i < n; i++) {
        if ((size_t)t[i].start + t[i].len > text_len ||
            (i && t[i].start < end)) {
            free(t);
            return fail(c, OPINE_ECORRUPT,
                        "the token stream of document %lld does not fit its"
                        " text",
                        (long long)doc);
        }
        if (t[i].type >= c->ntypes || c->term_of[t[i].type] == 0) {
            uint32_t type = t[i].type;
            free(t);
            return fail(c, OPINE_ECORRUPT,
                        "document %lld has a token of type %u, which has no"
                        " stem",
                        (long long)doc, type);
        }
        /* A new run at a sentence or anything but white space. */
        if (i && (t[i].sentence != t[i - 1].sentence ||
                  !only_space(c->text + end, t[i].start - end)))
            len = 0;
        end = t[i].start + t[i].len;
        if (left_out && c->out[i] == 0) { /* a run ends at boilerplate */
            len = 0;
            continue;
        }
        seg[0] = seg[1];
        seg[1] = seg[2];
        seg[2] = c->term_of[t[i].type];
        if (++len >= (size_t)c->k) {
            window *w = &c->win[c->nwin++];
            w->w[0] = seg[3 - c->k];
            w->w[1] = seg[4 - c->k];
            w->w[2] = c->k == 3 ? seg[2] : 0;
            w->h = gram_hash(w->w);
        }
    }
    if (c->counting && c->part == 0)
        c->tokens += (int64_t)(n - left_out);
    free(t);
    return 0;
}

/* The selected, stemmed documents: id, stream, body, bytes. */
static int prepare_documents(cl *c, sqlite3_stmt **q, int count)
{
    const char *where = c->o->where;
    char *sql = sqlite3_mprintf(
        "SELECT %s FROM documents d JOIN doc_tokens t ON t.doc = d.id"
        " WHERE d.id IN (SELECT doc FROM stage_done WHERE stage = 'stem')"
        " AND (%s)",
        count ? "count(*)" : "d.id, t.stream, d.body, d.bytes",
        where ? where : "1");
    if (sql == NULL)
        return fail(c, OPINE_ENOMEM, "out of memory");
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, q, &tail);
    int trailing = rc == SQLITE_OK && tail && tail[strspn(tail, " \t\r\n")];
    sqlite3_free(sql);
    if (rc == SQLITE_OK && !trailing)
        return 0;
    if (rc == SQLITE_OK)
        sqlite3_finalize(*q);
    *q = NULL;
    if (where)
        return fail(c, OPINE_EUSAGE,
                    "--where '%s' is not an SQL expression over the columns"
                    " of documents: %s",
                    where, trailing ? "text after it" : sqlite3_errmsg(c->db));
    return db_fail(c, "cannot read the token streams");
}

/* One pass over every document: A when c->counting, B when c->ncand.
 * FULL when A's table would outgrow its memory. */
static int run_pass(cl *c)
{
    sqlite3_stmt *q;
    int rc = prepare_documents(c, &q, 0);
    if (rc != 0)
        return rc;
    c->passes++;
    c->docs_done = 0;
    if (c->counting && c->part == 0) {
        c->n = 0;
        c->tokens = 0;
        for (int j = 0; j < 3; j++)
            memset(c->pos[j], 0, (c->nterms + 1) * sizeof(uint64_t));
    }
    /* Distinct windows grow as a power of the text read (Heaps' law):
     * their counts at a twentieth and a tenth of the documents give the
     * power, and so the projection for the whole. */
    int64_t check1 = c->docs_total / 20, check2 = c->docs_total / 10;
    double n1 = 0;
    int src;
    while (rc == 0 && (src = sqlite3_step(q)) == SQLITE_ROW) {
        if (opine__stop_requested(c->o->stop)) {
            rc = fail(c, OPINE_EINTERRUPTED, "interrupted");
            break;
        }
        int64_t bytes = sqlite3_column_int64(q, 3);
        if (bytes < 0) {
            rc = fail(c, OPINE_ECORRUPT, "documents.bytes is negative");
            break;
        }
        rc = read_document(
            c, sqlite3_column_int64(q, 0), sqlite3_column_blob(q, 1),
            (size_t)sqlite3_column_bytes(q, 1), sqlite3_column_blob(q, 2),
            (size_t)sqlite3_column_bytes(q, 2), (size_t)bytes);
        if (rc == 0 && c->ncand && c->k == 3)
            rc = count_pairs(c);
        if (rc == 0 && c->counting)
            rc = count_windows(c);
        c->docs_done++;
        if (rc == 0 && c->counting && c->parts == 1 && check1 > 0) {
            if (c->docs_done == check1)
                n1 = (double)c->grams.n;
            /* Rather start again now with enough partitions than fill
             * the table later on. */
            if (c->docs_done == check2 && n1 > 0) {
                double beta = log2((double)c->grams.n / n1);
                beta = beta < 0.5 ? 0.5 : beta > 1 ? 1 : beta;
                double whole = (double)c->grams.n *
                               pow((double)c->docs_total / check2, beta);
                if (whole > 0.7 * (double)c->grams.max_cap) {
                    c->projected = whole;
                    rc = FULL;
                }
            }
        }
    }
    if (rc == 0 && src != SQLITE_DONE)
        rc = db_fail(c, "cannot read the token streams");
    sqlite3_finalize(q);
    return rc;
}

/* Move the partition's candidates out of the table (which is freed), and
 * for K = 3 make the table of their pairs. The count table and the
 * candidates are distinct memory only while the pass that follows runs. */
static int take_candidates(cl *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->grams.cap; i++) {
        const gram *g = &c->grams.v[i];
        if (g->count == 0 || g->count < c->o->min_count || g->w[0] == PAD ||
            g->w[1] == PAD || (c->k == 3 && g->w[2] == PAD))
            continue;
        c->grams.v[n++] = *g;
    }
    free(c->cand);
    c->cand = n ? realloc(c->grams.v, n * sizeof(gram)) : NULL;
    if (n && c->cand == NULL)
        c->cand = c->grams.v; /* shrinking failed: keep it as it is */
    else if (n == 0)
        free(c->grams.v);
    c->grams.v = NULL;
    c->grams.cap = c->grams.n = 0;
    c->ncand = n;
    gtab_free(&c->pairs);
    if (c->k < 3 || n == 0)
        return 0;
    /* Their pairs, each counted once here so that count - 1 is the
     * windows B finds. */
    size_t cap = 1 << 14;
    while (cap * 7 < n * 3 * 10)
        cap *= 2;
    if (gtab_resize(&c->pairs, cap) != 0)
        return fail(c, OPINE_ENOMEM, "out of memory");
    c->pairs.max_cap = cap;
    if (c->at == NULL && (c->at = malloc(c->nterms)) == NULL)
        return fail(c, OPINE_ENOMEM, "out of memory");
    memset(c->at, 0, c->nterms);
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < 3; j++)
            c->at[c->cand[i].w[j]] |= (uint8_t)(1 << j);
    for (size_t i = 0; i < n; i++)
        for (uint32_t which = 0; which < 3; which++) {
            const uint32_t *w = c->cand[i].w;
            uint32_t key[3] = {w[pair_pos[which][0]], w[pair_pos[which][1]],
                               which};
            if (gtab_find(&c->pairs, key) == NULL &&
                gtab_add(&c->pairs, key, gram_hash(key)) != ADDED)
                return fail(c, OPINE_ENOMEM, "out of memory");
        }
    return 0;
}

static uint64_t pair_count(cl *c, uint32_t x, uint32_t y, uint32_t which)
{
    uint32_t key[3] = {x, y, which};
    const gram *g = gtab_find(&c->pairs, key);
    return g ? g->count - 1 : 0;
}

/* Score the candidates and write their rows. */
static int write_candidates(cl *c, sqlite3_stmt *ins, int64_t run,
                            opine_colloc_summary *sum)
{
    int k = c->k, m = 1 << k;
    for (size_t i = 0; i < c->ncand; i++) {
        const gram *g = &c->cand[i];
        /* M[T]: windows matching at the positions of T. */
        double M[8], cells[8];
        for (int t = 0; t < m; t++) {
            int bits = __builtin_popcount((unsigned)t);
            if (t == m - 1) {
                M[t] = g->count;
            } else if (bits == 0) {
                M[t] = (double)c->n;
            } else if (bits == 1) {
                int j = __builtin_ctz((unsigned)t);
                M[t] = (double)c->pos[j][g->w[j]];
            } else { /* a pair of positions, K = 3 */
                int j0 = __builtin_ctz((unsigned)t);
                int j1 = 31 - __builtin_clz((unsigned)t);
                uint32_t which = j0 == 0 ? (j1 == 1 ? 0 : 1) : 2;
                M[t] = (double)pair_count(c, g->w[j0], g->w[j1], which);
            }
        }
        for (int s = 0; s < m; s++) {
            double v = 0;
            for (int t = 0; t < m; t++)
                if ((t & s) == s)
                    v += (__builtin_popcount((unsigned)(t ^ s)) % 2 ? -1 : 1) *
                         M[t];
            cells[s] = v;
        }
        opine_colloc_stats s;
        opine_colloc_score(k, cells, c->o->smoothing, &s);
        char words[1024], stems[1024];
        size_t wn = 0, sn = 0;
        for (int j = 0; j < k; j++) {
            uint32_t t = g->w[j];
            if (wn + c->word_len[t] + 1 < sizeof words) {
                if (j)
                    words[wn++] = ' ';
                memcpy(words + wn, c->word[t], c->word_len[t]);
                wn += c->word_len[t];
            }
            if (sn + c->stem_len[t] + 1 < sizeof stems) {
                if (j)
                    stems[sn++] = ' ';
                memcpy(stems + sn, c->stem[t], c->stem_len[t]);
                sn += c->stem_len[t];
            }
        }
        sqlite3_bind_int64(ins, 1, run);
        sqlite3_bind_int(ins, 2, k);
        sqlite3_bind_text(ins, 3, words, (int)wn, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, stems, (int)sn, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 5, g->count);
        double v[5] = {s.lambda, s.sigma, s.z, s.g2, s.pmi};
        for (int j = 0; j < 5; j++)
            if (isnan(v[j]))
                sqlite3_bind_null(ins, 6 + j);
            else
                sqlite3_bind_double(ins, 6 + j, v[j]);
        int rc = sqlite3_step(ins);
        sqlite3_reset(ins);
        if (rc != SQLITE_DONE)
            return db_fail(c, "cannot write collocations");
        sum->rows++;
    }
    free(c->cand);
    c->cand = NULL;
    c->ncand = 0;
    gtab_free(&c->pairs);
    return 0;
}

/* Every partition of size k: pass p counts partition p (A) and the pairs
 * of partition p - 1's candidates (B); for K = 2 there is no B. */
static int score_size(cl *c, int k, sqlite3_stmt *ins, int64_t run,
                      opine_colloc_summary *sum)
{
    size_t budget = c->o->memory ? c->o->memory : (size_t)256 << 20;
    size_t max_cap = 1 << 14;
    while (max_cap * 2 * sizeof(gram) <= budget)
        max_cap *= 2;
    int64_t rows_before = sum->rows;
    c->k = k;
    c->parts = 1;
    c->part = 0;
    while (c->part < c->parts || c->ncand) {
        c->counting = c->part < c->parts;
        gtab_free(&c->grams);
        c->grams.max_cap = max_cap;
        int rc = c->counting || k == 3 ? run_pass(c) : 0;
        if (rc == FULL) {
            /* As many partitions as the share read so far suggests, at
             * least twice as many, and everything again. */
            double share = c->docs_total
                               ? (double)c->docs_done / (double)c->docs_total
                               : 1;
            double need = c->projected > 0
                              ? c->projected
                              : (double)c->grams.n * (double)c->parts /
                                    (share > 0 ? share : 1);
            c->projected = 0;
            uint32_t parts = c->parts * 2;
            while ((double)parts * (double)max_cap * 0.6 < need &&
                   parts < (1u << 20))
                parts *= 2;
            if (parts > (1u << 20))
                return fail(c, OPINE_ENOMEM,
                            "--memory is too small for the expressions of"
                            " one document");
            c->parts = parts;
            c->part = 0;
            free(c->cand);
            c->cand = NULL;
            c->ncand = 0;
            gtab_free(&c->pairs);
            if (sum->rows > rows_before) {
                char *sql = sqlite3_mprintf("DELETE FROM %s.collocations"
                                            " WHERE run = %lld AND size = %d",
                                            c->schema, (long long)run, k);
                int drc = sql ? sqlite3_exec(c->db, sql, NULL, NULL, NULL)
                              : SQLITE_NOMEM;
                sqlite3_free(sql);
                if (drc != SQLITE_OK)
                    return db_fail(c, "cannot write collocations");
                sum->rows = rows_before;
            }
            continue;
        }
        if (rc != 0)
            return rc;
        /* B of the previous partition is complete: its rows. */
        if (c->ncand && (rc = write_candidates(c, ins, run, sum)) != 0)
            return rc;
        if (c->counting) {
            if ((rc = take_candidates(c)) != 0)
                return rc;
            /* K = 2 needs no B: write them now. */
            if (k == 2 && c->ncand &&
                (rc = write_candidates(c, ins, run, sum)) != 0)
                return rc;
            c->part++;
        }
    }
    sum->ngrams[k] = (int64_t)c->n;
    gtab_free(&c->grams);
    return 0;
}

static const char COLLOC_TABLE[] =
    "CREATE TABLE IF NOT EXISTS %s.collocations(run INTEGER NOT NULL,"
    " size INTEGER NOT NULL, collocation TEXT NOT NULL,"
    " stems TEXT NOT NULL, count INTEGER NOT NULL, lambda REAL,"
    " sigma REAL, z REAL, g2 REAL, pmi REAL);"
    "CREATE INDEX IF NOT EXISTS %s.collocations_run ON collocations(run);";

static char *definition(cl *c)
{
    const opine_colloc_opts *o = c->o;
    sqlite3_stmt *q;
    char *out = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT json_object('size', ?1, 'min_count', ?2,"
                           " 'smoothing', ?3, 'terms', ?4,"
                           " 'pad_stopwords', ?5, 'where', ?6)",
                           -1, &q, NULL) != SQLITE_OK)
        return NULL;
    char size[32];
    snprintf(size, sizeof size, o->size_min == o->size_max ? "%d" : "%d..%d",
             o->size_min, o->size_max);
    sqlite3_bind_text(q, 1, size, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, o->min_count);
    sqlite3_bind_double(q, 3, o->smoothing);
    sqlite3_bind_text(q, 4, o->stems ? "stems" : "forms", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, o->pad_stopwords != 0);
    sqlite3_bind_text(q, 6, o->where, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
        out = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return out;
}

static int write_all(cl *c, opine_store *st, opine_colloc_summary *sum)
{
    const opine_colloc_opts *o = c->o;
    char *sql = sqlite3_mprintf(COLLOC_TABLE, c->schema, c->schema);
    int rc = sql ? sqlite3_exec(c->db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
    sqlite3_free(sql);
    if (rc != SQLITE_OK)
        return db_fail(c, "cannot create the collocations table");
    char *params = NULL;
    int64_t run = 0;
    if (o->store) {
        if ((params = definition(c)) == NULL)
            return fail(c, OPINE_ENOMEM, "out of memory");
        if (opine_run_begin(st, "collocations", params, &run) != 0) {
            free(params);
            return db_fail(c, "cannot record the run");
        }
    }
    sqlite3_stmt *ins = NULL, *del = NULL;
    rc = 0;
    if (sqlite3_exec(c->db, o->store ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL,
                     NULL) != SQLITE_OK)
        rc = db_fail(c, "cannot write collocations");
    sql = sqlite3_mprintf("INSERT INTO %s.collocations VALUES(?1, ?2, ?3,"
                          " ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                          c->schema);
    if (rc == 0 && (sql == NULL || sqlite3_prepare_v2(c->db, sql, -1, &ins,
                                                      NULL) != SQLITE_OK))
        rc = db_fail(c, "cannot write collocations");
    sqlite3_free(sql);
    /* The same parameters again replace the earlier rows. */
    if (rc == 0 && o->store) {
        if (sqlite3_prepare_v2(c->db,
                               "DELETE FROM main.collocations WHERE run IN"
                               " (SELECT id FROM runs WHERE stage ="
                               " 'collocations' AND params = ?1"
                               " AND id != ?2)",
                               -1, &del, NULL) != SQLITE_OK) {
            rc = db_fail(c, "cannot write collocations");
        } else {
            sqlite3_bind_text(del, 1, params, -1, SQLITE_STATIC);
            sqlite3_bind_int64(del, 2, run);
            if (sqlite3_step(del) != SQLITE_DONE)
                rc = db_fail(c, "cannot replace earlier collocations");
        }
    }
    for (int k = o->size_min; rc == 0 && k <= o->size_max; k++)
        rc = score_size(c, k, ins, run, sum);
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    if (rc == 0 && sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(c, "cannot commit collocations");
    if (rc != 0)
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    if (run) {
        opine_run_counts counts = {.records = c->docs_total,
                                   .documents = c->docs_total};
        opine_run_finish(st, run,
                         rc == 0                    ? "ok"
                         : rc == OPINE_EINTERRUPTED ? "interrupted"
                                                    : "failed",
                         &counts, rc == 0 ? NULL : c->msg);
        sum->run = rc == 0 ? run : 0;
    }
    free(params);
    return rc;
}

int opine_collocations(opine_store *st, const opine_colloc_opts *o,
                       opine_colloc_summary *sum, char **errmsg)
{
    cl c = {
        .db = opine_store_db(st), .o = o, .schema = o->store ? "main" : "temp"};
    memset(sum, 0, sizeof *sum);
    if (errmsg)
        *errmsg = NULL;
    int rc = 0;
    if (o->size_min < 2 || o->size_max > 3 || o->size_min > o->size_max)
        rc = fail(&c, OPINE_EUSAGE, "--size must be 2, 3 or 2..3");
    else if (o->min_count < 1)
        rc = fail(&c, OPINE_EUSAGE, "--min-count must be at least 1");
    else if (!(o->smoothing >= 0) || isinf(o->smoothing))
        rc = fail(&c, OPINE_EUSAGE, "--smoothing must be 0 or more");
    else if (o->memory && o->memory < ((size_t)1 << 20))
        rc = fail(&c, OPINE_EUSAGE, "--memory must be at least 1 MiB");
    else if ((c.inflater = opine_zcodec_new()) == NULL)
        rc = fail(&c, OPINE_ENOMEM, "out of memory");
    if (rc == 0) {
        sqlite3_stmt *q;
        rc = prepare_documents(&c, &q, 1);
        if (rc == 0) {
            if (sqlite3_step(q) == SQLITE_ROW)
                c.docs_total = sqlite3_column_int64(q, 0);
            sqlite3_finalize(q);
        }
    }
    if (rc == 0 && c.docs_total == 0)
        rc = o->where
                 ? fail(&c, OPINE_EEMPTY,
                        "no stemmed document matches --where '%s'", o->where)
                 : fail(&c, OPINE_EEMPTY,
                        "'%s' has no stemmed documents: run 'opine run %s"
                        " INPUT...' first",
                        opine_store_path(st), opine_store_path(st));
    if (rc == 0 && (rc = opine_bpmask_open(c.db, &c.bp)) != 0)
        rc = rc == OPINE_EDB ? db_fail(&c, "cannot read the boilerplate lines")
                             : fail(&c, rc, "out of memory");
    if (rc == 0)
        rc = load_vocabulary(&c);
    if (rc == 0)
        rc = write_all(&c, st, sum);
    sum->documents = c.docs_total;
    sum->tokens = c.tokens;
    sum->passes = c.passes;
    opine_zcodec_free(c.inflater);
    opine_bpmask_free(c.bp);
    free(c.out);
    free(c.text);
    free(c.win);
    free(c.term_of);
    for (uint32_t i = 0; i < c.nterms; i++) {
        if (c.word)
            free(c.word[i]);
        if (c.stem)
            free(c.stem[i]);
    }
    free(c.word);
    free(c.stem);
    free(c.word_len);
    free(c.stem_len);
    free(c.at);
    free(c.ph);
    for (int j = 0; j < 3; j++)
        free(c.pos[j]);
    free(c.cand);
    gtab_free(&c.grams);
    gtab_free(&c.pairs);
    if (rc != 0 && errmsg)
        *errmsg = c.msg ? c.msg : strdup(opine_strerror(rc));
    else
        free(c.msg);
    return rc;
}
