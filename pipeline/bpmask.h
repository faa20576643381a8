/* pipeline/bpmask.h — the tokens that --boilerplate exclude leaves out,
 * for the code that reads token streams rather than counts (phrases,
 * NEAR, keyword in context, snippets, collocations).
 *
 * With exclude, the tokens of a document's left-out lines are in its
 * stream (the stream is the text) but not in doc_terms, its vector or the
 * search index (pipeline/boilerplate.c). A reader of streams that did not
 * leave them out too would count what the counts do not: KWIC would show
 * a hit in "Related coverage: ..." that `opine trend` does not count, and
 * a phrase would match a document that the same word alone does not.
 *
 * Which lines are left out is what the stem stage decided: a document
 * with a doc_boilerplate row leaves out its lines (doc_lines) whose hash
 * is in boilerplate_lines, unless every one of its lines is (a document
 * is never left empty); a token is left out when it starts in such a
 * line. Every committed stage keeps those tables and doc_terms in step,
 * so the decision is the same here.
 *
 * One mask per connection and thread; it reads with its own statements.
 */
#ifndef OPINE_PIPELINE_BPMASK_H
#define OPINE_PIPELINE_BPMASK_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/tokstream.h"

typedef struct opine_bpmask opine_bpmask;

/* The documents of db that leave tokens out, into *out; *out is NULL
 * when none do (a file without boilerplate exclusion, or an older one
 * without the tables), which every function below accepts. Returns 0,
 * OPINE_ENOMEM or OPINE_EDB. */
int opine_bpmask_open(sqlite3 *db, opine_bpmask **out);
void opine_bpmask_free(opine_bpmask *m);

/* Whether doc leaves tokens out (a binary search; 0 for a NULL mask). */
int opine_bpmask_has(const opine_bpmask *m, int64_t doc);

/* For doc's tokens tok[0..n) (from its stream), set types[i] to 0 (the
 * type no word has) for each token left out; types[0..n) are the
 * tokens' types as the caller holds them. *left_out (may be NULL) gets
 * their number. Returns 0, OPINE_ENOMEM, OPINE_EDB or OPINE_ECORRUPT
 * (doc_lines that do not decode). */
int opine_bpmask_apply(opine_bpmask *m, int64_t doc,
                       const opine_stream_token *tok, size_t n, uint32_t *types,
                       size_t *left_out);

#endif
