/* pipeline/search.h — finding the documents that use words and phrases,
 * ranking them by BM25, and the hits inside a document (keyword in
 * context, snippets), from the postings of pipeline/simindex.h and the
 * token streams of pipeline/tokstream.h.
 *
 * THE ACCESS PATH. A term's documents are its postings in the similarity
 * index (stem -> (document, tf), written by the stem stage in the same
 * transactions as doc_terms, so they are exact after every commit). There
 * is no second inverted index: positions are not indexed; a phrase's
 * documents are those holding all its words, each confirmed by reading
 * its token stream. Documents stemmed but not (yet) in the index (an
 * older opine stemmed them, or a run was killed before its refresh) are
 * read from doc_terms instead, so answers are exact either way.
 *
 * QUERIES, as FTS5 writes them:
 *     korea               a word, cut and stemmed as the corpus was: every
 *                         document using a word of the same stem
 *     "moon jae-in"       a phrase: its words' stems at consecutive
 *                         tokens (stop words in a phrase count too)
 *     nucl*               a prefix: every word (normalised form,
 *                         types.type) that starts with it
 *     a b, a AND b        both
 *     a OR b              either
 *     a NOT b             a without b; NOT b alone: every document but b's
 *     ( ... )             grouping
 *     NEAR(a "b c", N)    terms and phrases with at most N tokens between
 *                         an occurrence of each and one of every other
 *                         (N 10 when left out; FTS5's NEAR for two)
 *     NEAR(a b, SENTENCE) the same within one sentence
 * A NEAR group counts as one term: its occurrences (for BM25 and hits) are
 * those of its terms and phrases that have every other one close enough.
 * NOT binds tighter than AND, AND tighter than OR (FTS5's order). A word
 * that is a stop word matches nothing on its own (stop words have no
 * postings), and says so; the same word in a phrase matches.
 *
 * RANKING. BM25 as FTS5's bm25() has it (k1 = 1.2, b = 0.75): for each
 * term or phrase of the query that is not under NOT,
 *     idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
 * summed, with idf = ln((N - df + 0.5) / (df + 0.5)) (1e-6 when not
 * positive), N the stemmed documents, df the documents the term or
 * phrase matches, tf its occurrences in the document, dl the document's
 * counted tokens (doc_lengths.tokens, stop words left out) and avgdl
 * their mean. Higher is better; ties go to the smaller id.
 *
 * A handle reads one snapshot (a read transaction from open to free).
 * One thread at a time.
 */
#ifndef OPINE_PIPELINE_SEARCH_H
#define OPINE_PIPELINE_SEARCH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/tokstream.h"

typedef struct opine_search opine_search;
typedef struct opine_search_query opine_search_query;

/* How the caller cuts query text as the corpus was cut: call emit for
 * every token of text[0..len) with its normalised form (types.type), its
 * stem and whether it is a stop word, in order; return 0, emit's value
 * when not 0, or an error. */
typedef int (*opine_search_emit_fn)(void *ectx, const char *type,
                                    const char *stem, int stop);
typedef int (*opine_search_cut_fn)(void *ctx, const char *text, size_t len,
                                   opine_search_emit_fn emit, void *ectx);

/* Open db for searching, in a read transaction of its own. OPINE_EEMPTY
 * when no document is stemmed; OPINE_EDB, OPINE_ENOMEM; *errmsg (when
 * not NULL) a malloc'd message. */
int opine_search_open(opine_search **out, sqlite3 *db, opine_search_cut_fn cut,
                      void *cut_ctx, char **errmsg);
void opine_search_free(opine_search *s); /* accepts NULL */

/* How many stemmed documents the index lacks (each costs a doc_terms
 * look-up per term of a query). */
size_t opine_search_unindexed(const opine_search *s);

/* Parse text into a query. OPINE_EUSAGE with *errmsg saying what is
 * wrong (a syntax error, an empty query, a word that is only a stop
 * word); OPINE_ENOMEM, OPINE_EDB. */
int opine_search_parse(opine_search *s, const char *text,
                       opine_search_query **out, char **errmsg);
void opine_search_query_free(opine_search_query *q); /* accepts NULL */

/* Whether q is one term, prefix or phrase (what kwic and trend take). */
int opine_search_query_is_single(const opine_search_query *q);

/* Whether matching q reads token streams, one for each document that
 * holds all the words of a phrase or NEAR group (a NEAR group of words
 * reads the index's positions instead in a file that keeps them). */
int opine_search_query_reads_streams(opine_search *s,
                                     const opine_search_query *q);

/* How many chunks of the index matching q looks up at most: a chunk per
 * stem of each word (a prefix's many) in each generation. Each is a
 * look-up in similar_postings, scattered over its pages for the stems
 * of a prefix. */
size_t opine_search_query_lookups(const opine_search *s,
                                  const opine_search_query *q);

/* The documents matching q, in ascending id order, into *docs (malloc'd,
 * *n of them); when only is not NULL, just those among only[0..nonly)
 * (ascending ids). 0 or an error. */
int opine_search_match(opine_search *s, opine_search_query *q,
                       const int64_t *only, size_t nonly, int64_t **docs,
                       size_t *n);

/* The occurrences of q's terms and phrases (those not under NOT) in each
 * of docs[0..n): tf[i] for docs[i] (malloc'd). For a single term or
 * phrase, its count in the document. */
int opine_search_counts(opine_search *s, opine_search_query *q,
                        const int64_t *docs, size_t n, int64_t **tf);

typedef struct opine_search_hit {
    int64_t doc;
    double score;
} opine_search_hit;

/* BM25 (above) of each of docs[0..n), best first, the top `top` of them
 * (0: all). *hits malloc'd. */
int opine_search_rank(opine_search *s, opine_search_query *q,
                      const int64_t *docs, size_t n, size_t top,
                      opine_search_hit **hits, size_t *nhits);

/* One document as read for showing hits: its text, its tokens, and the
 * hits of q's terms and phrases (not under NOT) as runs of tokens, in
 * order (a token is in one hit at most: the first that covers it). */
typedef struct opine_search_view {
    unsigned char *text; /* documents.body inflated, NUL-terminated */
    size_t len;
    opine_stream_token *tok;
    size_t ntok;
    uint32_t *hit_first, *hit_len; /* token index and count of each hit */
    size_t nhits;
} opine_search_view;

/* Read doc into *v (freed with opine_search_view_release()). 0,
 * OPINE_ENOENT (no such document or no token stream), or an error. */
int opine_search_view_doc(opine_search *s, opine_search_query *q, int64_t doc,
                          opine_search_view *v);
void opine_search_view_release(opine_search_view *v);

/* The snippet of a view: about `tokens` tokens around the part with the
 * most distinct hits, hits between open and close, "..." where text is
 * cut, white space runs as one space. malloc'd; NULL when out of memory. */
char *opine_search_snippet(const opine_search_view *v, size_t tokens,
                           const char *open, const char *close);

/* The text of tokens [first, first + n) of v (from the first's start to
 * the last's end), white space runs as one space; malloc'd, "" when n is
 * 0; NULL when out of memory. */
char *opine_search_span_text(const opine_search_view *v, size_t first,
                             size_t n);

/* The top terms of the documents only[0..nonly) (ascending ids; NULL:
 * every document): their term vectors, or one pass over all postings for
 * half the documents or more. Each term's stem id, its
 * occurrences in them (tf) and the documents among them using it (df),
 * the `top` with the most occurrences (ties: fewer documents last, then
 * the smaller stem id), into *out (malloc'd). */
typedef struct opine_search_term {
    int64_t stem, tf, df;
} opine_search_term;
int opine_search_top_terms(opine_search *s, const int64_t *only, size_t nonly,
                           size_t top, opine_search_term **out, size_t *n);

#endif
