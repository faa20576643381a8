/* stages/fold.h — optional diacritic folding of normalised tokens.
 *
 * "café" -> "cafe", "Müller" -> "muller", "São" -> "sao": every token's
 * normalised form is decomposed, stripped of its combining marks and
 * recomposed (utf8proc), so that analysts whose sources spell names with
 * and without accents can count them as one type. Letters that are not a
 * base letter plus marks ("ß", "ø", "ł") are left as they are. Pure; safe
 * from any thread on its own opine_tokens.
 */
#ifndef OPINE_STAGES_FOLD_H
#define OPINE_STAGES_FOLD_H

#include "stages/tokenize.h"

/* Fold the normalised forms of t in place (offsets and spans are kept).
 * Returns 0 or OPINE_ENOMEM. */
int opine_tokens_fold_diacritics(opine_tokens *t);

#endif
