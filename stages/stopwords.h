/* stages/stopwords.h — stop-word sets: built-in lists per language, or files.
 *
 * LIST FORMAT (built-in lists in stages/stopwords/<language>.txt and user
 * files alike): UTF-8 text, one word per line. A line whose first non-blank
 * character is '#' is a comment; blank lines are skipped; a UTF-8 byte order
 * mark and '\r' line ends are accepted. Each word is normalised with
 * opine_tokenize() exactly like corpus text, so "Don’t" matches the token
 * "don't" and "Straße" the token "strasse". A line that normalises to no
 * token, or to more than one ("in order"), is an error naming FILE:LINE:
 * stop words are matched one token at a time.
 *
 * Where each built-in list comes from, its licence and what we changed in it
 * is in stages/stopwords/SOURCES.md. The lists are compiled into the binary
 * (CMake makes a byte array of each), so no source tree is needed at run
 * time. Snowball languages without a list we may ship (nepali, serbian,
 * tamil, yiddish) fail to load with OPINE_ELANG and a message saying so;
 * "porter" uses the English list.
 *
 * A loaded set is read-only: opine_stopwords_has() may be called from any
 * number of threads at once.
 *
 *     opine_stopwords *sw;
 *     char *msg = NULL;
 *     if (opine_stopwords_load(&sw, "default", "english", &msg) == 0) {
 *         ... opine_stopwords_has(sw, "the", 3) is 1 ...
 *         opine_stopwords_free(sw);
 *     } else {
 *         ... print msg ...
 *         free(msg);
 *     }
 */
#ifndef OPINE_STAGES_STOPWORDS_H
#define OPINE_STAGES_STOPWORDS_H

#include <stddef.h>

typedef struct opine_stopwords opine_stopwords;

/* Load the stop words spec names:
 *   "none"              an empty set (*out is still an object; it matches
 *                       nothing);
 *   NULL or "default"   the built-in list of lang ("english" when lang is
 *                       NULL);
 *   a language          a built-in list by Snowball algorithm name
 *                       ("english", "german", "porter", ...) or by the ISO
 *                       639-1 code libstemmer also accepts ("en", "de");
 *   anything else       a path to a list file in the format above.
 * Returns 0; OPINE_ELANG for a language with no built-in list; OPINE_ENOENT
 * or OPINE_EIO when the file cannot be read; OPINE_EFORMAT or OPINE_EUTF8
 * for a bad line; OPINE_ENOMEM. On error *out is NULL and *errmsg (when not
 * NULL) receives a malloc'd message for the caller to free(), such as
 * "words.txt:3: 'in order' is two tokens; stop words are single words". */
int opine_stopwords_load(opine_stopwords **out, const char *spec,
                         const char *lang, char **errmsg);

/* 1 when norm[0..len), a normalised token form (opine_tokens.norm), is a
 * stop word, else 0. s may be NULL, which matches nothing. Thread-safe. */
int opine_stopwords_has(const opine_stopwords *s, const char *norm, size_t len);

/* The set's name: the list's language ("english", also for "porter", "en"
 * and "default" with lang english), "none", or the file's path as given.
 * Valid until the set is freed. */
const char *opine_stopwords_name(const opine_stopwords *s);

/* How many distinct normalised words the set holds (0 for "none"). */
size_t opine_stopwords_count(const opine_stopwords *s);

/* Accepts NULL. */
void opine_stopwords_free(opine_stopwords *s);

/* NULL-terminated list of the language names that have a built-in list
 * ("porter" included); static, never freed. */
const char *const *opine_stopwords_languages(void);

#endif
