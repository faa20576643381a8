/* pipeline/scale_store.c — writing opine scale's results (tables in
 * pipeline/scale_store.h). */
#include "pipeline/scale_store.h"

#include <math.h>
#include <stdlib.h>

#include "base/error.h"

int opine_scale_store_init(opine_store *st, const char *schema)
{
    char *sql = sqlite3_mprintf(
        "CREATE TABLE IF NOT EXISTS \"%w\".scale_positions("
        " run INTEGER NOT NULL, doc INTEGER NOT NULL, ext_id TEXT,"
        " method TEXT NOT NULL, reference REAL, raw REAL, raw_se REAL,"
        " position REAL, se REAL, lo REAL, hi REAL, alpha REAL,"
        " PRIMARY KEY(run, doc)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS \"%w\".scale_features("
        " run INTEGER NOT NULL, id INTEGER NOT NULL, kind TEXT NOT NULL,"
        " feature TEXT NOT NULL, wordscore REAL, beta REAL, psi REAL,"
        " PRIMARY KEY(run, id)) WITHOUT ROWID;",
        schema, schema);
    if (sql == NULL)
        return OPINE_ENOMEM;
    int rc = opine_store_exec(st, sql);
    sqlite3_free(sql);
    return rc;
}

static void bind_real(sqlite3_stmt *q, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(q, i, v);
    else
        sqlite3_bind_null(q, i);
}

/* Insert one row per document: values[c][i] for columns reference, raw,
 * raw_se, position, se, lo, hi, alpha (NULL arrays store NULL). */
static int put_positions(opine_store *st, const char *schema, int64_t run,
                         const opine_dfm *m, const char *method,
                         const double *const values[8])
{
    sqlite3 *db = opine_store_db(st);
    char *sql = sqlite3_mprintf(
        "INSERT OR REPLACE INTO \"%w\".scale_positions VALUES(?1, ?2, ?3,"
        " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        schema);
    sqlite3_stmt *q = NULL;
    int rc = sql && sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK
                 ? 0
                 : OPINE_EDB;
    sqlite3_free(sql);
    for (size_t i = 0; rc == 0 && i < m->ndocs; i++) {
        sqlite3_bind_int64(q, 1, run);
        sqlite3_bind_int64(q, 2, m->doc_id ? m->doc_id[i] : (int64_t)i + 1);
        if (m->doc_name)
            sqlite3_bind_text(q, 3, m->doc_name[i], -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, 3);
        sqlite3_bind_text(q, 4, method, -1, SQLITE_STATIC);
        for (int c = 0; c < 8; c++)
            bind_real(q, 5 + c, values[c] ? values[c][i] : NAN);
        rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return rc;
}

static int put_features(opine_store *st, const char *schema, int64_t run,
                        const opine_dfm *m, opine_dfm_features f,
                        const double *const values[3])
{
    sqlite3 *db = opine_store_db(st);
    char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO \"%w\".scale_features"
                                " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                schema);
    sqlite3_stmt *q = NULL;
    int rc = sql && sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK
                 ? 0
                 : OPINE_EDB;
    sqlite3_free(sql);
    for (size_t j = 0; rc == 0 && j < m->nfeat; j++) {
        sqlite3_bind_int64(q, 1, run);
        sqlite3_bind_int64(q, 2, m->feat_id ? m->feat_id[j] : (int64_t)j + 1);
        sqlite3_bind_text(q, 3, f == OPINE_DFM_QUANTEDA ? "type" : "stem", -1,
                          SQLITE_STATIC);
        if (m->feat_name)
            sqlite3_bind_text(q, 4, m->feat_name[j], -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(q, 4, (int64_t)j + 1);
        for (int c = 0; c < 3; c++)
            bind_real(q, 5 + c, values[c] ? values[c][j] : NAN);
        rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return rc;
}

int opine_scale_store_wordscores(opine_store *st, const char *schema,
                                 int64_t run, const opine_dfm *m,
                                 opine_dfm_features f, const double *ref,
                                 const opine_wordscores_fit *fit)
{
    const double *const pos[8] = {ref,     fit->raw, fit->raw_se, fit->pos,
                                  fit->se, fit->lo,  fit->hi,     NULL};
    const double *const feat[3] = {fit->wordscore, NULL, NULL};
    int rc = opine_scale_store_init(st, schema);
    if (rc == 0)
        rc = put_positions(st, schema, run, m, "wordscores", pos);
    if (rc == 0)
        rc = put_features(st, schema, run, m, f, feat);
    return rc;
}

int opine_scale_store_wordfish(opine_store *st, const char *schema, int64_t run,
                               const opine_dfm *m, opine_dfm_features f,
                               const opine_wordfish_fit *fit)
{
    const double *const pos[8] = {NULL,          NULL,    NULL,    fit->theta,
                                  fit->se_theta, fit->lo, fit->hi, fit->alpha};
    const double *const feat[3] = {NULL, fit->beta, fit->psi};
    int rc = opine_scale_store_init(st, schema);
    if (rc == 0)
        rc = put_positions(st, schema, run, m, "wordfish", pos);
    if (rc == 0)
        rc = put_features(st, schema, run, m, f, feat);
    return rc;
}
