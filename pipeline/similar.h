/* pipeline/similar.h — the documents nearest a document or a text, by the
 * cosine of their tf-idf vectors, from the index of pipeline/simindex.h.
 *
 * THE SCORE. A document d and a query q (a stored document, or a text
 * cut and stemmed as the corpus was) are vectors of tf-idf weights
 * w(t, x) = tf(t, x) * ln(N / df(t)), N the stemmed documents and df
 * terms.df (v_tfidf's weights; quanteda's dfm_tfidf() with its default
 * count and inverse schemes gives the same cosines, its log base
 * cancelling out). The score is their cosine
 *
 *     cos(q, d) = sum over t of w(t, q) * w(t, d) / (|q| * |d|)
 *
 * in [0, 1]. Terms of a text that the corpus never saw have no df and
 * are left out, of |q| too, as quanteda's dfm_match() leaves them out:
 * they cannot be shared. Documents rank by score, then by id: the top K
 * are the first K of all stemmed documents (but the query document)
 * sorted that way, among those sharing a term of positive weight.
 *
 * EXACTNESS. Every query reads all postings of its terms (term at a time,
 * no pruning), and computes each document's score with the operations
 * brute force takes, in its order: w(t, q) * (tf * idf(t)) added term by
 * term in stem id order, then divided by |q| * |d|, where |d| is summed
 * in stem order too (simindex.h). So a score is the brute-force cosine to
 * the last bit, not merely close to it, and so is the order, ties
 * included.
 *
 * A handle reads one snapshot: opine_similar_open() begins a read
 * transaction that opine_similar_free() ends, so every query and any SQL
 * the caller runs on the same connection meanwhile see the same corpus.
 * One thread at a time.
 */
#ifndef OPINE_PIPELINE_SIMILAR_H
#define OPINE_PIPELINE_SIMILAR_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

typedef struct opine_similar opine_similar;
typedef struct opine_similar_query opine_similar_query;

/* Whether db's index is current: its tables exist and its norms' stamp
 * is the database's (1), or not (0: opine__simindex_refresh() on a
 * connection that may write would make it so); a negative error. */
int opine_similar_current(sqlite3 *db);

/* Open the index of db for queries, in a read transaction of its own.
 * When it is not current, the norms are computed here, in memory, for
 * this handle only: that needs an index holding every stemmed document.
 * Errors, with *errmsg (when not NULL) set to a malloc'd message:
 * OPINE_EEMPTY when no document is stemmed, OPINE_ESCHEMA when there is
 * no index, OPINE_ECORRUPT when it lacks stemmed documents, OPINE_EDB,
 * OPINE_ENOMEM. */
int opine_similar_open(opine_similar **out, sqlite3 *db, char **errmsg);
void opine_similar_free(opine_similar *s); /* accepts NULL */

/* The document spec names: an ext_id, or failing that an id. 0, or
 * OPINE_ENOENT (no such document, or it is not stemmed) or OPINE_EUSAGE
 * (an ext_id several documents share) with *errmsg saying which. */
int opine_similar_find(opine_similar *s, const char *spec, int64_t *doc,
                       char **errmsg);

/* A query from stored document doc (which its results leave out). 0, or
 * OPINE_EEMPTY when it has no term of positive weight. */
int opine_similar_query_doc(opine_similar *s, int64_t doc,
                            opine_similar_query **out);
/* A query from n stems of the database's language with their counts (the
 * same stem may come more than once). Stems the corpus lacks are left
 * out; OPINE_EEMPTY when none is left with a positive weight. */
int opine_similar_query_stems(opine_similar *s, const char *const *stems,
                              const uint32_t *counts, size_t n,
                              opine_similar_query **out);
void opine_similar_query_free(opine_similar_query *q); /* accepts NULL */

typedef struct opine_similar_hit {
    int64_t doc;
    double score;
} opine_similar_hit;

/* The top documents for q, best first (score, then smaller id), into
 * *hits (malloc'd; the caller frees it) and *n: at most `top`, or every
 * document with a score above 0 when top is 0. */
int opine_similar_rank(opine_similar *s, const opine_similar_query *q,
                       size_t top, opine_similar_hit **hits, size_t *n);

/* The terms doc shares with q that add most to its score, as their
 * surface forms joined by ", " (at most `max`), into *text (malloc'd,
 * "" when none). */
int opine_similar_shared(opine_similar *s, const opine_similar_query *q,
                         int64_t doc, size_t max, char **text);

#endif
