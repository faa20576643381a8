/* pipeline/scale_store.h — where opine scale keeps its results.
 *
 * Two tables, made at run time with CREATE TABLE IF NOT EXISTS (they are
 * not part of the versioned schema of pipeline/store.h, so a database
 * that was never scaled does not have them):
 *   scale_positions(run, doc, ext_id, method, reference, raw, raw_se,
 *                   position, se, lo, hi, alpha)
 *       one row per scaled document. run is runs.id of the opine scale
 *       run (its params say how: method, features, references,
 *       direction, priors); doc is documents.id. Wordscores fills
 *       reference (the given score of a reference text, NULL for a
 *       virgin one), raw and raw_se (before rescaling) and position, se,
 *       lo, hi (rescaled; lo and hi the interval at the run's level).
 *       Wordfish fills position (theta), se, lo, hi and alpha.
 *   scale_features(run, id, kind, feature, wordscore, beta, psi)
 *       one row per feature of the matrix: kind 'stem' (id = stems.id)
 *       or 'type' (id = types.id), feature its text; the word score of
 *       Wordscores (NULL when no reference has it), or Wordfish's beta
 *       and psi.
 * The caller wraps a write in its own transaction, with the run's end.
 */
#ifndef OPINE_PIPELINE_SCALE_STORE_H
#define OPINE_PIPELINE_SCALE_STORE_H

#include <stdint.h>

#include "pipeline/dfm.h"
#include "pipeline/scale.h"
#include "pipeline/store.h"

/* Create both tables in schema ("main", or "temp" for results that are
 * only printed) if they are missing. 0 or OPINE_EDB. */
int opine_scale_store_init(opine_store *st, const char *schema);

/* Store a Wordscores fit of m with reference scores ref (NAN: virgin) as
 * run's rows. 0 or OPINE_EDB. */
int opine_scale_store_wordscores(opine_store *st, const char *schema,
                                 int64_t run, const opine_dfm *m,
                                 opine_dfm_features f, const double *ref,
                                 const opine_wordscores_fit *fit);

/* Store a Wordfish fit of m as run's rows. 0 or OPINE_EDB. */
int opine_scale_store_wordfish(opine_store *st, const char *schema, int64_t run,
                               const opine_dfm *m, opine_dfm_features f,
                               const opine_wordfish_fit *fit);

#endif
