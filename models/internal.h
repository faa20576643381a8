/* models/internal.h — the model's body, shared by its readers and compiler.
 *
 * A loaded model is a list of themes and a list of raw terms (text as
 * written, theme, role, weight and where in the file it was written).
 * opine_model_compile() turns the raw terms into opine_terms and patterns.
 * The readers (model_yaml.c for YAML models and quanteda dictionaries,
 * dict.c for LIWC) fill a model through the helpers below; every string a
 * model holds is owned by it (opine__model_strndup) and freed with it.
 */
#ifndef OPINE_MODELS_INTERNAL_H
#define OPINE_MODELS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "models/model.h"
#include "base/strmap.h"

typedef struct opine__rawterm {
    const char *text; /* trimmed, as written (the '*' kept) */
    uint32_t theme;   /* UINT32_MAX for a negator */
    uint8_t role;
    double weight;
    size_t line, col; /* 1-based, for messages */
    uint8_t quiet;    /* a trained theme's cue never shown as evidence
                       * (quiet_positive, quiet_negative) */
} opine__rawterm;

typedef struct opine__pattern {
    const char *key; /* a stem, or a prefix of a normalised type */
    size_t len;
    int prefix;
} opine__pattern;

struct opine_model {
    const char *errname; /* name_for_errors */
    const char *name;
    int version;
    const char *language;
    int language_given; /* a YAML model that said its language */
    char *text;
    size_t text_len;
    char hash[33];
    int window;
    int negation_scope;
    double prior;
    double interval;

    opine_theme_info *themes;
    size_t nthemes, themes_cap;

    /* kind: linear: one classifier per theme (NULL where none), with a
     * map of feature name -> index + 1 each. */
    int linear;
    struct opine__linear *lin; /* nlin of them, by theme index */
    size_t nlin;

    opine__rawterm *raw;
    size_t nraw, raw_cap;
    opine__strmap *seen;      /* theme, role, text -> raw index + 1 */
    opine__strmap *theme_ids; /* while reading: theme id -> index + 1 */

    char **owned; /* strings freed with the model */
    size_t nowned, owned_cap;

    /* Set by opine_model_compile(). */
    int compiled;
    opine_term *terms;
    size_t nterms;
    uint32_t *term_patterns; /* every term's patterns, back to back */
    opine__pattern *patterns;
    size_t npatterns, patterns_cap;
    opine__strmap *exact;     /* stem -> pattern id + 1 */
    opine__strmap *prefixes;  /* prefix -> pattern id + 1 */
    opine__strmap *stopstems; /* stems of the language's stop words */
    uint8_t *pattern_stop;    /* trained models: pattern id -> stop word */
    uint32_t *stop_ids;
    size_t nstop_ids, stop_cap;
    /* Trained models, for the scorer (models/score_linear.c, made by
     * hash_features() in compile.c): each feature's key
     * (opine_model_feature_key) -> its row, open addressing, a slot being
     * the key's top 32 bits and the row + 1 (0: empty). Row r is
     * frows[r * fstride ...]: the key (2 words), then the feature's index
     * in each theme's classifier or -1. */
    uint64_t *ftable;
    size_t fmask;
    uint64_t *ffilter; /* 2 bits per key: a key with either clear is in
                        * no theme */
    size_t ffilter_mask;
    int32_t *frows;
    size_t fstride;
    uint32_t *prefix_ids; /* prefix patterns, ascending */
    size_t nprefix;
    size_t *prefix_lens; /* the distinct lengths of prefixes, ascending */
    size_t nprefix_lens;
    uint32_t *starting_off; /* npatterns + 1 offsets into starting */
    uint32_t *starting;
    /* per pattern: 1 when every term it starts has two patterns or more
     * (none matches where the next token has no pattern) */
    uint8_t *starting_multi;
    /* per pattern: bit q % 64 set for the second pattern q of each term
     * of two or more tokens that it starts; a next token none of whose
     * patterns has its bit here continues none of them */
    uint64_t *second_mask;
};

typedef struct opine__linear {
    opine_linear_theme pub; /* what opine_model_linear() shows */
    int set;
    double *w;
    const char **names; /* owned by the map */
    size_t cap;
    opine__strmap *index; /* name -> index + 1 */
} opine__linear;

/* Theme ti's classifier, made (empty, window 0) when it has none yet.
 * NULL when out of memory. */
opine__linear *opine__model_linear_theme(opine_model *m, uint32_t ti);
/* Add a feature with its four weights (+1, 0, -1, off the theme);
 * OPINE_EFORMAT when it is there already, or OPINE_ENOMEM. */
int opine__linear_add(opine__linear *l, const char *name, size_t len,
                      const double w[4]);

/* Set *errmsg (when not NULL) to "FILE:LINE:COLUMN: what" (or "FILE: what"
 * when line is 0) and return OPINE_EFORMAT. */
int opine__model_error(char **errmsg, const char *file, size_t line, size_t col,
                       const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A NUL-terminated copy of s[0..n) owned by m, or NULL when out of memory. */
char *opine__model_strndup(opine_model *m, const char *s, size_t n);

/* Append a theme; the strings must be owned by m (or static). The caller
 * checks for duplicate ids with opine__model_find_theme(). Returns 0 or
 * OPINE_ENOMEM; *index receives the theme's index. */
int opine__model_add_theme(opine_model *m, const char *id, const char *label,
                           const char *positive, const char *negative,
                           uint32_t *index);
/* The index of theme id, or -1. */
long opine__model_find_theme(const opine_model *m, const char *id);

/* Add a term text[0..len) (trimmed here) to a theme (UINT32_MAX: negator).
 * The same text twice in one theme and role is kept once; given again
 * with a different weight it is an error. Returns 0, OPINE_EFORMAT (empty
 * text, conflicting weight; message in *errmsg) or OPINE_ENOMEM. */
int opine__model_add_term(opine_model *m, uint32_t theme, opine_role role,
                          const char *text, size_t len, double weight,
                          size_t line, size_t col, char **errmsg);
/* The raw index of the term (theme, role, text as written, white space
 * around it ignored), -1 when there is none, -2 when out of memory. */
long opine__model_find_term(const opine_model *m, uint32_t theme,
                            opine_role role, const char *text, size_t len);

/* Readers: fill m from m->text. Return 0, OPINE_EFORMAT or OPINE_ENOMEM. */
int opine__model_read_yaml(opine_model *m, char **errmsg);
int opine__model_read_liwc(opine_model *m, char **errmsg);

/* Free what opine_model_compile() made; the model is then uncompiled. */
void opine__model_release_compiled(opine_model *m);

/* The base name of path without its extension, owned by m. */
const char *opine__model_basename(opine_model *m, const char *path);

/* 3 when text[0..len) starts with a UTF-8 byte order mark, else 0. */
size_t opine__model_bom(const char *text, size_t len);

#endif
