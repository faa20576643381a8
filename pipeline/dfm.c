/* pipeline/dfm.c — reading a document-feature matrix from the store.
 *
 * The counts come from doc_terms (stems) or from decoding every
 * doc_tokens stream (types); either way they are gathered as (row,
 * feature id, count) triplets, row by row with ascending ids, then the
 * distinct ids become the columns in ascending order and the triplets are
 * laid out by row and by column. The matrix of ABP (37,554 documents,
 * 12 M doc_terms rows) takes about 12 bytes a count twice over.
 */
#include "pipeline/dfm.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "pipeline/tokstream.h"

typedef struct triplet {
    uint32_t row;
    int64_t fid;
    double n;
} triplet;

typedef struct triplets {
    triplet *v;
    size_t n, cap;
} triplets;

static int push(triplets *t, uint32_t row, int64_t fid, double n)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        triplet *v = realloc(t->v, cap * sizeof *v);
        if (v == NULL)
            return OPINE_ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = (triplet){row, fid, n};
    return 0;
}

static char *msgf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *r = s ? strdup(s) : NULL;
    sqlite3_free(s);
    return r;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Lay the triplets (sorted by row, then id; ids unique within a row) out
 * as CSR and CSC over the columns fids[0..nfeat). */
static int layout(opine_dfm *m, const triplets *t, const int64_t *fids)
{
    size_t nd = m->ndocs, nf = m->nfeat, nz = t->n;
    m->nnz = nz;
    m->row_start = calloc(nd + 1, sizeof(size_t));
    m->col_start = calloc(nf + 1, sizeof(size_t));
    m->col = malloc((nz + 1) * sizeof(uint32_t));
    m->row = malloc((nz + 1) * sizeof(uint32_t));
    m->val = malloc((nz + 1) * sizeof(double));
    m->cval = malloc((nz + 1) * sizeof(double));
    m->row_sum = calloc(nd + 1, sizeof(double));
    m->col_sum = calloc(nf + 1, sizeof(double));
    if (!m->row_start || !m->col_start || !m->col || !m->row || !m->val ||
        !m->cval || !m->row_sum || !m->col_sum)
        return OPINE_ENOMEM;
    for (size_t k = 0; k < nz; k++) {
        const triplet *x = &t->v[k];
        const int64_t *hit =
            fids ? bsearch(&x->fid, fids, nf, sizeof *fids, cmp_i64) : NULL;
        uint32_t c = fids ? (uint32_t)(hit - fids) : (uint32_t)x->fid;
        m->col[k] = c;
        m->val[k] = x->n;
        m->row_start[x->row + 1]++;
        m->col_start[c + 1]++;
        m->row_sum[x->row] += x->n;
        m->col_sum[c] += x->n;
    }
    for (size_t i = 0; i < nd; i++)
        m->row_start[i + 1] += m->row_start[i];
    for (size_t j = 0; j < nf; j++)
        m->col_start[j + 1] += m->col_start[j];
    size_t *next = malloc((nf + 1) * sizeof(size_t));
    if (next == NULL)
        return OPINE_ENOMEM;
    memcpy(next, m->col_start, (nf + 1) * sizeof(size_t));
    for (size_t i = 0; i < nd; i++)
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
            size_t at = next[m->col[k]]++;
            m->row[at] = (uint32_t)i;
            m->cval[at] = m->val[k];
        }
    free(next);
    return 0;
}

int opine_dfm_from_dense(opine_dfm *m, const double *y, size_t ndocs,
                         size_t nfeat)
{
    memset(m, 0, sizeof *m);
    m->ndocs = ndocs;
    m->nfeat = nfeat;
    triplets t = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ndocs; i++)
        for (size_t j = 0; rc == 0 && j < nfeat; j++)
            if (y[i * nfeat + j] != 0)
                rc = push(&t, (uint32_t)i, (int64_t)j, y[i * nfeat + j]);
    if (rc == 0)
        rc = layout(m, &t, NULL);
    free(t.v);
    if (rc)
        opine_dfm_release(m);
    return rc;
}

/* The counts of one document's token stream by type id. */
static int count_stream(sqlite3_stmt *q, uint32_t row, triplets *t)
{
    opine_stream_token *tok;
    size_t n;
    int rc =
        opine_tokstream_decode(sqlite3_column_blob(q, 0),
                               (size_t)sqlite3_column_bytes(q, 0), &tok, &n);
    if (rc)
        return rc;
    uint32_t *types = malloc((n + 1) * sizeof(uint32_t));
    if (types == NULL) {
        free(tok);
        return OPINE_ENOMEM;
    }
    for (size_t k = 0; k < n; k++)
        types[k] = tok[k].type;
    free(tok);
    qsort(types, n, sizeof *types, cmp_u32);
    for (size_t k = 0; rc == 0 && k < n;) {
        size_t e = k;
        while (e < n && types[e] == types[k])
            e++;
        rc = push(t, row, types[k], (double)(e - k));
        k = e;
    }
    free(types);
    return rc;
}

int opine_dfm_load(opine_dfm *m, opine_store *st, opine_dfm_features f,
                   const char *where, size_t *dropped, char **errmsg)
{
    sqlite3 *db = opine_store_db(st);
    const char *stage = f == OPINE_DFM_QUANTEDA ? "tokenize" : "stem";
    memset(m, 0, sizeof *m);
    *dropped = 0;
    char *sql = sqlite3_mprintf(
        "SELECT d.id, d.ext_id FROM documents d WHERE EXISTS (SELECT 1 FROM"
        " stage_done s WHERE s.stage = '%s' AND s.doc = d.id) AND (%s)"
        " ORDER BY d.id",
        stage, where && *where ? where : "1");
    if (sql == NULL)
        return OPINE_ENOMEM;
    sqlite3_stmt *docs = NULL, *cnt = NULL, *name = NULL;
    const char *tail = NULL;
    triplets t = {0};
    int64_t *fids = NULL;
    size_t cap = 0;
    int rc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &docs, &tail) != SQLITE_OK ||
        (tail && strspn(tail, " \t\r\n;") != strlen(tail))) {
        if (errmsg)
            *errmsg =
                msgf("cannot select documents%s%s: %s", where ? " where " : "",
                     where ? where : "",
                     docs ? "more than one statement" : sqlite3_errmsg(db));
        rc = OPINE_EDB;
        goto done;
    }
    const char *count_sql =
        f == OPINE_DFM_QUANTEDA
            ? "SELECT stream FROM doc_tokens WHERE doc = ?1"
            : "SELECT stem, tf FROM doc_terms WHERE doc = ?1 ORDER BY stem";
    if (sqlite3_prepare_v2(db, count_sql, -1, &cnt, NULL) != SQLITE_OK) {
        if (errmsg)
            *errmsg = msgf("cannot read counts: %s", sqlite3_errmsg(db));
        rc = OPINE_EDB;
        goto done;
    }
    int step;
    while (rc == 0 && (step = sqlite3_step(docs)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(docs, 0);
        const char *ext = (const char *)sqlite3_column_text(docs, 1);
        uint32_t row = (uint32_t)m->ndocs;
        size_t before = t.n;
        sqlite3_bind_int64(cnt, 1, id);
        int s2;
        while (rc == 0 && (s2 = sqlite3_step(cnt)) == SQLITE_ROW) {
            if (f == OPINE_DFM_QUANTEDA) {
                rc = count_stream(cnt, row, &t);
                if (rc == OPINE_ECORRUPT && errmsg)
                    *errmsg = msgf("document %lld: corrupt token stream",
                                   (long long)id);
            } else if (sqlite3_column_int64(cnt, 1) > 0) {
                rc = push(&t, row, sqlite3_column_int64(cnt, 0),
                          (double)sqlite3_column_int64(cnt, 1));
            }
        }
        sqlite3_reset(cnt);
        if (rc)
            break;
        if (t.n == before) {
            (*dropped)++;
            continue;
        }
        if (m->ndocs == cap) {
            size_t nc = cap ? cap * 2 : 64;
            int64_t *ids = realloc(m->doc_id, nc * sizeof *ids);
            if (ids)
                m->doc_id = ids;
            char **names = realloc(m->doc_name, nc * sizeof *names);
            if (names)
                m->doc_name = names;
            if (!ids || !names) {
                rc = OPINE_ENOMEM;
                break;
            }
            cap = nc;
        }
        m->doc_id[m->ndocs] = id;
        m->doc_name[m->ndocs] =
            ext ? strdup(ext) : msgf("#%lld", (long long)id);
        if (m->doc_name[m->ndocs++] == NULL)
            rc = OPINE_ENOMEM;
    }
    if (rc == 0 && step != SQLITE_DONE) {
        if (errmsg)
            *errmsg = msgf("cannot select documents: %s", sqlite3_errmsg(db));
        rc = OPINE_EDB;
    }
    if (rc)
        goto done;
    if (m->ndocs == 0) {
        if (errmsg)
            *errmsg =
                msgf("no %s documents%s%s in '%s'; run 'opine %s %s' first",
                     f == OPINE_DFM_QUANTEDA ? "tokenized" : "stemmed",
                     where ? " matching " : "", where ? where : "",
                     opine_store_path(st), stage, opine_store_path(st));
        rc = OPINE_EEMPTY;
        goto done;
    }
    /* The columns: distinct feature ids, ascending. */
    fids = malloc((t.n + 1) * sizeof *fids);
    if (fids == NULL) {
        rc = OPINE_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < t.n; k++)
        fids[k] = t.v[k].fid;
    qsort(fids, t.n, sizeof *fids, cmp_i64);
    size_t nf = 0;
    for (size_t k = 0; k < t.n; k++)
        if (nf == 0 || fids[nf - 1] != fids[k])
            fids[nf++] = fids[k];
    m->nfeat = nf;
    m->feat_id = malloc((nf + 1) * sizeof(int64_t));
    m->feat_name = calloc(nf + 1, sizeof(char *));
    if (!m->feat_id || !m->feat_name) {
        rc = OPINE_ENOMEM;
        goto done;
    }
    memcpy(m->feat_id, fids, nf * sizeof(int64_t));
    if (sqlite3_prepare_v2(db,
                           f == OPINE_DFM_QUANTEDA
                               ? "SELECT type FROM types WHERE id = ?1"
                               : "SELECT stem FROM stems WHERE id = ?1",
                           -1, &name, NULL) != SQLITE_OK) {
        if (errmsg)
            *errmsg = msgf("cannot read features: %s", sqlite3_errmsg(db));
        rc = OPINE_EDB;
        goto done;
    }
    for (size_t j = 0; rc == 0 && j < nf; j++) {
        sqlite3_bind_int64(name, 1, fids[j]);
        const char *s = sqlite3_step(name) == SQLITE_ROW
                            ? (const char *)sqlite3_column_text(name, 0)
                            : NULL;
        m->feat_name[j] = s ? strdup(s) : msgf("#%lld", (long long)fids[j]);
        if (m->feat_name[j] == NULL)
            rc = OPINE_ENOMEM;
        sqlite3_reset(name);
    }
    if (rc == 0)
        rc = layout(m, &t, fids);
done:
    sqlite3_finalize(docs);
    sqlite3_finalize(cnt);
    sqlite3_finalize(name);
    sqlite3_free(sql);
    free(t.v);
    free(fids);
    if (rc) {
        if (rc == OPINE_ENOMEM && errmsg && *errmsg == NULL)
            *errmsg = msgf("out of memory reading the matrix");
        opine_dfm_release(m);
    }
    return rc;
}

long opine_dfm_find_doc(const opine_dfm *m, const char *name)
{
    for (size_t i = 0; m->doc_name && i < m->ndocs; i++)
        if (strcmp(m->doc_name[i], name) == 0)
            return (long)i;
    return -1;
}

void opine_dfm_release(opine_dfm *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; m->doc_name && i < m->ndocs; i++)
        free(m->doc_name[i]);
    for (size_t j = 0; m->feat_name && j < m->nfeat; j++)
        free(m->feat_name[j]);
    free(m->doc_id);
    free(m->doc_name);
    free(m->feat_id);
    free(m->feat_name);
    free(m->row_start);
    free(m->col);
    free(m->val);
    free(m->col_start);
    free(m->row);
    free(m->cval);
    free(m->row_sum);
    free(m->col_sum);
    memset(m, 0, sizeof *m);
}
