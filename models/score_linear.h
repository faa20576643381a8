/* models/score_linear.h — trained themes inside opine_score_doc().
 * Internal to models/score.c; the features and the classifier are
 * declared in models/score.h. */
#ifndef OPINE_MODELS_SCORE_LINEAR_H
#define OPINE_MODELS_SCORE_LINEAR_H

#include "models/score.h"

/* After the lexicon pass of opine_score_doc(): for every trained theme
 * with mentions, classify each window, set positive, neutral and negative
 * to the summed probabilities and label to the largest, and replace the
 * theme's cue evidence with the features that moved it most. */
int opine__score_linear(const opine_model *m, const opine_score_token *toks,
                        size_t n, opine_scores *out);

/* Free what opine__score_linear() keeps in opine_scores.lin_scratch. */
void opine__score_linear_release(void *scratch);

#endif
