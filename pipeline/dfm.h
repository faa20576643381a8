/* pipeline/dfm.h — a document-feature matrix read from the store, for the
 * scaling models (pipeline/scale.h).
 *
 * Invariants, once built: every row is a document and every column a
 * feature that occurs in at least one of the rows (no empty column);
 * counts are positive; the matrix is held twice, by row (CSR: row_start,
 * col, val) and by column (CSC: col_start, row, cval), because Wordfish
 * walks it both ways. Rows keep the order of documents.id, which is the
 * order of the input, so document i here is quanteda's document i when
 * both read the same file. Columns keep the order of the feature's id
 * (stems.id or types.id), which is the order of first appearance.
 *
 * FEATURES. Two matrices can be read:
 *   OPINE_DFM_STEMS     doc_terms: Snowball stems, stop words left out;
 *                       what every other opine table counts.
 *   OPINE_DFM_QUANTEDA  quanteda's default dfm as near as opine can make
 *                       it: every token of doc_tokens counted by its
 *                       lowercased type, stop words kept, nothing
 *                       stemmed. opine's tokenizer keeps no punctuation,
 *                       so this is dfm(tokens(x, remove_punct = TRUE));
 *                       it also drops a possessive 's ("budget's" is
 *                       "budget") where quanteda keeps one type for it.
 */
#ifndef OPINE_PIPELINE_DFM_H
#define OPINE_PIPELINE_DFM_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/store.h"

typedef enum opine_dfm_features {
    OPINE_DFM_STEMS = 0,
    OPINE_DFM_QUANTEDA = 1,
} opine_dfm_features;

typedef struct opine_dfm {
    size_t ndocs, nfeat, nnz;
    int64_t *doc_id;  /* documents.id per row (NULL when built by hand) */
    char **doc_name;  /* ext_id, or "#ID" without one (NULL by hand) */
    int64_t *feat_id; /* stems.id or types.id per column (NULL by hand) */
    char **feat_name; /* the stem or type (NULL by hand) */
    size_t *row_start;
    uint32_t *col;
    double *val;
    size_t *col_start;
    uint32_t *row;
    double *cval;
    double *row_sum, *col_sum;
} opine_dfm;

#define OPINE_DFM_INIT                                                         \
    {                                                                          \
        0                                                                      \
    }

/* Build the counts from a dense ndocs x nfeat row-major array (tests and
 * small inputs); columns that are all zero are kept, so the caller must
 * not pass one to the models. 0 or OPINE_ENOMEM. */
int opine_dfm_from_dense(opine_dfm *m, const double *y, size_t ndocs,
                         size_t nfeat);

/* Read the matrix of the documents a stage has finished (the stem stage
 * for OPINE_DFM_STEMS, tokenize for OPINE_DFM_QUANTEDA), restricted to
 * those matching where (an SQL expression on documents d, e.g.
 * "d.outlet = 'X'"; NULL for all). Documents without a counted token are
 * left out and their number given in *dropped. On failure *errmsg
 * receives a malloc'd message the caller frees: OPINE_EEMPTY when no
 * document is left ("no stemmed documents..."), OPINE_EDB on SQL errors,
 * OPINE_ECORRUPT for a damaged token stream. */
int opine_dfm_load(opine_dfm *m, opine_store *st, opine_dfm_features f,
                   const char *where, size_t *dropped, char **errmsg);

/* The row of the document whose ext_id is name, or -1. */
long opine_dfm_find_doc(const opine_dfm *m, const char *name);

/* Free everything m holds and zero it; m itself is the caller's. */
void opine_dfm_release(opine_dfm *m);

#endif
