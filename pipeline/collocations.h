/* pipeline/collocations.h — multi-word expressions: sequences of 2 or 3
 * terms scored as quanteda's textstat_collocations scores them (lambda
 * and z, Blaheta & Johnson 2001), with G2 and PMI, stored beside the data.
 *
 * SEQUENCES come from the token streams (doc_tokens.stream) of stemmed
 * documents. A term is a token's lowercased form (its type), as quanteda
 * counts with tolower = TRUE, or with `stems` its stem (types.stem), so
 * that "nuclear weapon" and "nuclear weapons" are one expression, shown
 * by each stem's most frequent form (stems.surface). A sequence never
 * spans two documents, two sentences, or anything but white space
 * between two tokens: opine's streams hold no punctuation, and quanteda
 * ignores punctuation tokens, so that no collocation spans one (a
 * sentence boundary with only white space before it, after a heading,
 * ends a sequence here but not in quanteda). Stop words are terms like
 * any other, as with quanteda's defaults (its tokens() keeps them); with
 * pad_stopwords they are pads, as after quanteda's tokens_remove(x,
 * stopwords(), padding = TRUE): an n-gram holding one is counted in the
 * cells below but is never scored.
 *
 * SCORES. For an expression x of K terms, each of the corpus' K-grams z
 * falls in one of 2^K cells by the positions where z and x have the same
 * term (bit k of the cell: position k matches). With n_c the K-grams in
 * cell c plus smoothing (0.5, quanteda's default),
 *     lambda = sum over c of (-1)^(K - |c|) ln n_c
 *     sigma  = sqrt(sum over c of 1 / n_c),   z = lambda / sigma
 * quanteda counts the cells by comparing x with every distinct K-gram;
 * here they come from margins by inclusion and exclusion (the K-grams
 * with x's terms at a set of positions, whatever the others), which
 * gives the same counts in one pass. Without smoothing:
 *     G2  = 2 sum O ln(O/E) over the 2^K cells, E from the K positions'
 *           term frequencies as if independent (for K = 2 the G2 of the
 *           2x2 table); signed, negative when x is rarer than expected
 *     PMI = ln(count N^(K-1) / prod of x's term counts by position)
 * with N the number of K-grams. Expressions seen fewer than min_count
 * times are not scored (they still count in the cells of the others).
 *
 * ROWS go to the table collocations (created when missing, in "main" with
 * a runs row of stage 'collocations', or in "temp"): run, size, the
 * expression as forms (collocation) and as stems, count, lambda, sigma,
 * z, g2, pmi. Rows of an earlier run with the same parameters are replaced.
 *
 * MEMORY. The position counts are arrays over the vocabulary. The K-gram
 * counts are a hash table of at most memory / 2 bytes; for K = 3 the
 * pair counts of the candidates of the partition before come beside
 * it. When the distinct K-grams do not fit, they are split by a hash of
 * the K-gram into 2, 4, ... partitions counted one pass at a time, so
 * memory stays bounded whatever the corpus size and only the number of
 * passes grows. Rows go to the database as they are made (with
 * --no-store, to SQLite's temporary tables, which are in memory).
 */
#ifndef OPINE_PIPELINE_COLLOCATIONS_H
#define OPINE_PIPELINE_COLLOCATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/store.h"

typedef struct opine_colloc_opts {
    int size_min, size_max; /* 2 <= size_min <= size_max <= 3 */
    int64_t min_count;      /* score expressions seen this often (2) */
    double smoothing;       /* added to every cell (0.5) */
    int stems;              /* 1: terms are stems, 0: forms (types) */
    int pad_stopwords;      /* 1: stop words are pads (see the top) */
    const char *where;      /* an SQL expression over documents, or NULL */
    size_t memory;          /* bytes for K-gram counts; 0: 256 MiB */
    int store;              /* 1: main.collocations with a runs row;
                             * 0: temp.collocations, no run */
    volatile int *stop;     /* when set non-zero: OPINE_EINTERRUPTED */
} opine_colloc_opts;

typedef struct opine_colloc_summary {
    int64_t run;       /* runs.id, 0 when not stored */
    int64_t documents; /* documents read */
    int64_t tokens;    /* their tokens */
    int64_t ngrams[4]; /* K-grams counted, by K */
    int64_t rows;      /* expressions scored and written */
    int passes;        /* passes over the token streams */
} opine_colloc_summary;

/* Count, score and write (see the top). Returns 0, OPINE_EUSAGE (bad
 * options, a where that is not an expression), OPINE_EEMPTY (no stemmed
 * document), OPINE_EINTERRUPTED, OPINE_ECORRUPT (a stream that does not
 * decode or fit its text), OPINE_ENOMEM or OPINE_EDB; *errmsg (when not
 * NULL) then gets a malloc'd message the caller frees. */
int opine_collocations(opine_store *st, const opine_colloc_opts *o,
                       opine_colloc_summary *sum, char **errmsg);

/* The scores of one expression of size k (2 or 3) from its 2^k cell
 * counts, unsmoothed (cells[c], bit j of c set: position j matches). */
typedef struct opine_colloc_stats {
    double lambda, sigma, z, g2, pmi;
} opine_colloc_stats;

void opine_colloc_score(int k, const double *cells, double smoothing,
                        opine_colloc_stats *s);

#endif
