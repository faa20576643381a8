/* pipeline/bpmask.c — the tokens --boilerplate exclude leaves out, for
 * readers of token streams (see bpmask.h).
 *
 * HOW IT WORKS: the open reads the ids of doc_boilerplate (the documents
 * that leave lines out: on ABP with exclude a few thousand) into a sorted
 * array; every other document is read as it is. For one of them, its
 * lines (doc_lines) are decoded and each is looked up in
 * boilerplate_lines by its hash (the table's rowid), and its tokens are
 * walked beside its lines as opine__bp_token_mask() walks them when the
 * document is stemmed.
 */
#include "pipeline/bpmask.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/sort.h"
#include "pipeline/store.h"
#include "stages/lines.h"

struct opine_bpmask {
    int64_t *docs; /* ascending */
    size_t ndocs;
    sqlite3_stmt *lines, *flagged;
    unsigned char *out; /* scratch: by line, left out */
    size_t cap_out;
};

void opine_bpmask_free(opine_bpmask *m)
{
    if (m == NULL)
        return;
    free(m->docs);
    free(m->out);
    sqlite3_finalize(m->lines);
    sqlite3_finalize(m->flagged);
    free(m);
}

int opine_bpmask_open(sqlite3 *db, opine_bpmask **out)
{
    *out = NULL;
    int rc = 0;
    if (!opine_store_table_exists(db, "doc_boilerplate") ||
        !opine_store_table_exists(db, "doc_lines") ||
        !opine_store_table_exists(db, "boilerplate_lines"))
        return 0;
    opine_bpmask *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return OPINE_ENOMEM;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT doc FROM doc_boilerplate ORDER BY doc",
                           -1, &q, NULL) != SQLITE_OK) {
        opine_bpmask_free(m);
        return OPINE_EDB;
    }
    size_t cap = 0;
    int step;
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        if (opine__grow((void **)&m->docs, &cap, m->ndocs + 1, sizeof(int64_t)))
            rc = OPINE_ENOMEM;
        else
            m->docs[m->ndocs++] = sqlite3_column_int64(q, 0);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = OPINE_EDB;
    sqlite3_finalize(q);
    if (rc == 0 && m->ndocs &&
        (sqlite3_prepare_v2(db, "SELECT data FROM doc_lines WHERE doc = ?", -1,
                            &m->lines, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(db,
                            "SELECT 1 FROM boilerplate_lines WHERE hash = ?",
                            -1, &m->flagged, NULL) != SQLITE_OK))
        rc = OPINE_EDB;
    if (rc || m->ndocs == 0) {
        opine_bpmask_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

#define I64_LESS(a, b) (*(a) < *(b))
OPINE__LOWER_BOUND(lower_bound, int64_t, I64_LESS)

int opine_bpmask_has(const opine_bpmask *m, int64_t doc)
{
    if (m == NULL)
        return 0;
    size_t i = lower_bound(m->docs, 0, m->ndocs, &doc);
    return i < m->ndocs && m->docs[i] == doc;
}

/* Whether the line hash h is flagged (a row of boilerplate_lines). */
static int flagged(opine_bpmask *m, uint64_t h, int *rc)
{
    sqlite3_bind_int64(m->flagged, 1, (int64_t)h);
    int step = sqlite3_step(m->flagged);
    sqlite3_reset(m->flagged);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        *rc = OPINE_EDB;
    return step == SQLITE_ROW;
}

int opine_bpmask_apply(opine_bpmask *m, int64_t doc,
                       const opine_stream_token *tok, size_t n, uint32_t *types,
                       size_t *left_out)
{
    if (left_out)
        *left_out = 0;
    if (!opine_bpmask_has(m, doc))
        return 0;
    sqlite3_bind_int64(m->lines, 1, doc);
    int step = sqlite3_step(m->lines), rc = 0;
    opine_line *lines = NULL;
    size_t nlines = 0;
    if (step == SQLITE_ROW)
        rc = opine_lines_decode(sqlite3_column_blob(m->lines, 0),
                                (size_t)sqlite3_column_bytes(m->lines, 0),
                                &lines, &nlines);
    else if (step != SQLITE_DONE)
        rc = OPINE_EDB;
    sqlite3_reset(m->lines);
    if (rc == 0 && nlines &&
        opine__grow((void **)&m->out, &m->cap_out, nlines, 1))
        rc = OPINE_ENOMEM;
    /* each line left out when flagged, unless all of them are */
    size_t nout = 0;
    for (size_t i = 0; rc == 0 && i < nlines; i++) {
        m->out[i] = (unsigned char)flagged(m, lines[i].hash, &rc);
        nout += m->out[i];
    }
    size_t k = 0;
    if (rc == 0 && nout && nout < nlines)
        for (size_t i = 0, l = 0; i < n; i++) {
            if (opine_line_at(lines, nlines, &l, tok[i].start) && m->out[l]) {
                types[i] = 0;
                k++;
            }
        }
    free(lines);
    if (left_out)
        *left_out = k;
    return rc;
}
