/* stages/stem.h — Snowball stemming (libstemmer) for every language it has.
 *
 * An opine_stemmer wraps one Snowball stemmer. Like Snowball's own objects it
 * is re-entrant but not thread-safe: give each thread its own. Callers that
 * see the same word many times (every corpus) should cache stems per type;
 * the pipeline does, so each distinct type is stemmed once per database.
 *
 *     opine_stemmer *s;
 *     if (opine_stemmer_new(&s, "english") == 0) {
 *         size_t n;
 *         const char *stem = opine_stemmer_stem(s, "alliances", 9, &n);
 *         ... stem[0..n) is "allianc" until the next call on s ...
 *         opine_stemmer_free(s);
 *     }
 */
#ifndef OPINE_STAGES_STEM_H
#define OPINE_STAGES_STEM_H

#include <stddef.h>

typedef struct opine_stemmer opine_stemmer;

/* Make a stemmer for lang: a Snowball algorithm name ("english", "porter",
 * "german", "russian", ...) or one of the ISO codes libstemmer knows ("en",
 * "de", ...). Input and output are UTF-8. Returns 0, OPINE_ELANG for a
 * language libstemmer does not have, or OPINE_ENOMEM. */
int opine_stemmer_new(opine_stemmer **out, const char *lang);

/* Stem word[0..len) (lowercase UTF-8). Returns the stem and its length in
 * *stem_len, or NULL when out of memory. The returned bytes belong to the
 * stemmer and are valid until the next call on it (or are word itself:
 * a word of more than INT_MAX bytes, beyond Snowball's lengths, is its own
 * stem). */
const char *opine_stemmer_stem(opine_stemmer *s, const char *word, size_t len,
                               size_t *stem_len);

/* The stem of a corpus type (a token's normalised form), as opine stores
 * it: URLs, e-mail addresses, @handles and #hashtags (only they hold '@',
 * '#' or "://", or start "www.") are their own stems, since a stemmer made
 * for words would only mangle them; anything else is
 * opine_stemmer_stem(). type must be NUL-terminated at type[len]. */
const char *opine_stemmer_stem_type(opine_stemmer *s, const char *type,
                                    size_t len, size_t *stem_len);

/* The stemmer's language as it was asked for. */
const char *opine_stemmer_lang(const opine_stemmer *s);

void opine_stemmer_free(opine_stemmer *s);

/* NULL-terminated list of the algorithm names libstemmer was built with;
 * static, never freed. */
const char **opine_stemmer_languages(void);

#endif
