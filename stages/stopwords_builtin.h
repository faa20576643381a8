/* stages/stopwords_builtin.h — the stop-word lists built into the binary.
 *
 * CMake turns every stages/stopwords/<name>.txt into a byte array in the
 * generated stopwords_lists.c (in the build directory), the way it builds in
 * the default model, so loading a list never needs the source tree. Internal
 * to stages/stopwords.c and its tests.
 */
#ifndef OPINE_STAGES_STOPWORDS_BUILTIN_H
#define OPINE_STAGES_STOPWORDS_BUILTIN_H

#include <stddef.h>

typedef struct opine__stoplist {
    const char *name; /* the file name without .txt: "english" */
    const char *text; /* the file's bytes, NUL-terminated */
    size_t len;       /* their length, without the NUL */
} opine__stoplist;

/* Sorted by name; ends with an entry whose name is NULL. */
extern const opine__stoplist opine__stoplists[];

#endif
