/* models/apply.h — score one text with a model outside the engine.
 *
 * opine train and opine eval read labelled texts, not a database: this
 * does for one text what a run does for a document (tokenize with the
 * corpus rules, stem with the model's language, match the model's
 * patterns, score), so that a label is judged by exactly the scorer the
 * corpus gets.
 */
#ifndef OPINE_MODELS_APPLY_H
#define OPINE_MODELS_APPLY_H

#include <stddef.h>

#include "models/model.h"
#include "models/score.h"

typedef struct opine_applier opine_applier;

/* An applier for a compiled model (which must outlive it). One per
 * thread. Returns 0, OPINE_ELANG or OPINE_ENOMEM. */
int opine_applier_new(opine_applier **out, const opine_model *m);

/* Score text[0..len) into *out; the tokens stay readable through
 * opine_applier_tokens() until the next call. Returns 0 or OPINE_ENOMEM. */
int opine_applier_score(opine_applier *a, const char *text, size_t len,
                        opine_scores *out);
const opine_score_token *opine_applier_tokens(const opine_applier *a,
                                              size_t *n);

void opine_applier_free(opine_applier *a);

#endif
