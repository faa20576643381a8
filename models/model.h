/* models/model.h — stance models and dictionaries: loading and term matching.
 *
 * FORMATS (detected by content; all UTF-8):
 *
 * 1. An opine model, YAML (libyaml):
 *
 *     name: us-rok-alliance          # required, [a-z0-9_.-]+
 *     version: 1                     # required, integer >= 1
 *     language: english              # Snowball language (default english)
 *     window: sentence               # or N: +-N tokens around a mention
 *     negation_scope: 3              # tokens before a cue a negator reaches
 *     prior: 1                       # Beta(prior, prior) pseudo-counts
 *     interval: 0.9                  # mass of the stance interval
 *     negators: [not, no, never, "no longer", without, hardly]
 *     themes:
 *       north_korea:                 # theme id, [a-z0-9_]+
 *         label: North Korea policy
 *         poles: {positive: engagement, negative: pressure}
 *         targets: ["north korea", pyongyang, dprk, "kim jong un"]
 *         positive: [dialogue, diplomacy, "peaceful coexistence"]
 *         negative: [sanctions, "maximum pressure", "military option": 2]
 *
 *    A term is a word or phrase, optionally ending in '*' (the last word is
 *    then a prefix), optionally given as a one-pair mapping "term": weight
 *    (weight > 0, default 1). A theme without poles, positive and negative
 *    is salience-only (mentions are counted, no stance). Unknown keys are
 *    errors (a typo must not silently change results). Every theme needs
 *    targets; poles need cues and cues need poles. The same term text
 *    twice in one theme and role (or twice among the negators) is kept
 *    once; given again with a different weight it is an error.
 *
 * 2. A LIWC-style dictionary (.dic): a first line "%", lines "NUMBER NAME"
 *    naming categories, a closing "%", then lines "term NUMBER..." giving
 *    each term its categories. Each category becomes a salience-only theme
 *    whose targets are its terms. Name: the file's base name without
 *    extension; version 1; language english.
 *
 * 3. A quanteda-style YAML dictionary: a mapping of category to a list of
 *    terms or to a mapping of sub-categories (nested to any depth). Each
 *    category with terms becomes a salience-only theme with id
 *    "parent.child". Name, version and language as for LIWC. A YAML
 *    mapping is read as an opine model when it has a "themes" key, or a
 *    "name" or "version" key with a scalar value; as a dictionary
 *    otherwise.
 *
 * MATCHING: every term is normalised by the same tokenizer and Snowball
 * stemmer as the corpus (opine_model_compile), so "negotiations" matches
 * "negotiate". A term becomes a sequence of patterns, one per token: the
 * token's stem (matches every corpus type with that stem) or, for the last
 * token of a '*' term, a prefix of the normalised type. Patterns are shared
 * between terms and numbered 0..npatterns-1.
 */
#ifndef OPINE_MODELS_MODEL_H
#define OPINE_MODELS_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum opine_role {
    OPINE_ROLE_TARGET = 0,
    OPINE_ROLE_POSITIVE = 1,
    OPINE_ROLE_NEGATIVE = 2,
    OPINE_ROLE_NEGATOR = 3,
} opine_role;

typedef struct opine_theme_info {
    const char *id;       /* "north_korea" */
    const char *label;    /* "North Korea policy" (id when not given) */
    const char *positive; /* pole names, NULL for salience-only themes */
    const char *negative;
} opine_theme_info;

/* A compiled term. */
typedef struct opine_term {
    const char *text;         /* as written in the model, without weight */
    uint32_t theme;           /* index into the themes; UINT32_MAX: negator */
    uint8_t role;             /* opine_role */
    double weight;            /* > 0 */
    uint32_t npatterns;       /* tokens in the term, >= 1 */
    const uint32_t *patterns; /* pattern id of each token */
    uint8_t quiet;            /* a trained theme's cue that counts as a
                               * feature but is never shown as evidence:
                               * its training labels did not confirm it
                               * (quiet_positive, quiet_negative) */
} opine_term;

typedef struct opine_model opine_model;

/* Load a model or dictionary from a file or a buffer (name_for_errors
 * names it in messages). On error *errmsg (when not NULL) receives a
 * malloc'd message "FILE:LINE:COLUMN: what was expected". Returns 0,
 * OPINE_EIO, OPINE_EFORMAT or OPINE_ENOMEM. */
int opine_model_load(opine_model **out, const char *path, char **errmsg);
int opine_model_load_buffer(opine_model **out, const char *text, size_t len,
                            const char *name_for_errors, char **errmsg);

/* Normalise every term with opine_tokenize() and a Snowball stemmer for
 * the model's language (or lang, when not NULL, for dictionaries and
 * models that do not say; opine_model_language() then answers lang). A
 * model that names its language and a different lang is OPINE_ELANG
 * ("model 'x' is for 'english' but the corpus is stemmed in 'german'");
 * names are compared as written, so "en" is not "english". Must succeed
 * before the matching calls below. A term that tokenizes to nothing is an
 * error naming it. Compiling again starts afresh. Returns 0, OPINE_ELANG,
 * OPINE_EFORMAT or OPINE_ENOMEM. */
int opine_model_compile(opine_model *m, const char *lang, char **errmsg);

void opine_model_free(opine_model *m);

const char *opine_model_name(const opine_model *m);
int opine_model_version(const opine_model *m);
const char *opine_model_language(const opine_model *m);
/* The file's full text and a hex digest of it (32 hex digits). */
const char *opine_model_text(const opine_model *m);
const char *opine_model_hash(const opine_model *m);
/* 0 for a sentence window, else N for +-N tokens. */
int opine_model_window(const opine_model *m);
int opine_model_negation_scope(const opine_model *m);
double opine_model_prior(const opine_model *m);
double opine_model_interval(const opine_model *m);

/* TRAINED LINEAR THEMES. A model with "kind: linear" (opine train writes
 * them) adds to each theme with poles:
 *
 *     window: 12                       # +-N tokens around a mention; 0 or
 *                                      # "sentence": the mention's sentence
 *     neutral_weight: 0.7              # P(0) is weighed by this when a
 *                                      # window's side is chosen (1)
 *     quiet_positive: ["cue", ...]     # cues of the theme counted as
 *     quiet_negative: ["cue", ...]     # features, never shown as evidence
 *     bias: [b+, b0, b-]               # one per class: +1, 0, -1
 *     weights: |                       # feature<TAB>w+<TAB>w0<TAB>w-
 *       w:talk	0.81	-0.12	-0.66
 *       b:maximum pressur	-0.4	0.02	0.9
 *                                      # (or a mapping feature: [w+, w0,
 *                                      # w-], easier to write by hand)
 *     metrics: {...}                   # cross-validated figures, for
 *                                      # people; not read
 *
 * and a top-level "training:" mapping (what it was trained on; not read).
 * Features are named by models/score.h (FEATURES). Scoring then replaces
 * the lexicon balance of those themes with the classifier's probabilities;
 * the cues still count, as the features "cue:+" and "cue:-". */
typedef struct opine_linear_theme {
    int window;      /* 0: the sentence, else +-N tokens */
    double neutral;  /* weight on P(0) when choosing a label (1) */
    double evidence; /* the least P(side) of a window with evidence (0.5) */
    int quotes;      /* whether a window has the feature w:" where one of its
                      * tokens follows a double quotation mark (0: models
                      * trained before it existed) */
    int speaker;     /* whether a window has the speaker features s:...
                      * (models/score_linear.c; 0: models before them) */
    double bias[4];  /* classes +1, 0, -1 and off the theme */
    int off;         /* whether the fourth class (off the theme) was learnt */
    size_t nfeatures;
    const double *w;          /* 4 per feature, in the order of the classes */
    const char *const *names; /* the features' names */
} opine_linear_theme;

/* Whether the model is a trained one (kind: linear). */
int opine_model_is_linear(const opine_model *m);
/* Whether a trained theme reads quotation marks (quotes: true, or
 * speaker: true, which tells quoted words from the writer's). */
int opine_model_reads_quotes(const opine_model *m);
/* Score with the lexicon only from now on: the terms stay, the trained
 * classifiers are ignored (to train again from a trained model's terms). */
void opine_model_forget_training(opine_model *m);
/* Theme i's classifier, or NULL for a lexicon theme. */
const opine_linear_theme *opine_model_linear(const opine_model *m, size_t i);
/* The key of feature name[0..len) (models/feature_key.h): what the scorer
 * makes of a window's tokens to look their features up. */
uint64_t opine_model_feature_key(const char *name, size_t len);
/* After compile: the index of the feature whose key
 * (opine_model_feature_key) is h in trained theme i, or -1. */
long opine_model_feature_hash(const opine_model *m, size_t i, uint64_t h);
/* After compile: the feature of key h in every theme at once, an array
 * by theme index (opine_model_nthemes() of them) of its index in that
 * theme's classifier or -1; NULL when no theme has it. Owned by the model,
 * valid until it is compiled again or freed. Thread-safe. */
const int32_t *opine_model_feature_row(const opine_model *m, uint64_t h);
/* opine_model_feature_row() of keys[0..n) into rows[0..n), faster than
 * one at a time: the lookups' waits for memory overlap. */
void opine_model_feature_rows(const opine_model *m, const uint64_t *keys,
                              size_t n, const int32_t **rows);
/* The index of feature name[0..len) in theme i's classifier, or -1. */
long opine_model_feature(const opine_model *m, size_t i, const char *name,
                         size_t len);

/* Load the model a user names: an existing file, NULL for the default
 * (built in), or NAME / NAME@VERSION among the built-in models (the newest
 * version without @). Returns 0, OPINE_ENOENT (no such file or built-in
 * model; *errmsg lists the built-in ones) or the loader's error. */
int opine_model_load_spec(opine_model **out, const char *spec, char **errmsg);

size_t opine_model_nthemes(const opine_model *m);
const opine_theme_info *opine_model_theme(const opine_model *m, size_t i);

/* After compile: the terms (targets, cues and negators of every theme). */
size_t opine_model_nterms(const opine_model *m);
const opine_term *opine_model_term(const opine_model *m, size_t i);
size_t opine_model_npatterns(const opine_model *m);

/* After compile: whether stem[0..len) is the stem of one of the model
 * language's built-in stop words. Thread-safe. */
int opine_model_stop_stem(const opine_model *m, const char *stem, size_t len);
/* After compile, for a trained model: whether pattern p is a stop word's
 * stem (a token matching it is a stop word). Thread-safe. */
int opine_model_pattern_is_stop(const opine_model *m, uint32_t p);
/* The same for every pattern at once: opine_model_npatterns() bytes, 1
 * where the pattern is a stop word's stem; NULL when no pattern is.
 * Owned by the model. */
const uint8_t *opine_model_stop_patterns(const opine_model *m);

/* After compile: the ids of the terms whose first pattern is p, in term
 * order; *n receives how many. */
const uint32_t *opine_model_terms_starting(const opine_model *m, uint32_t p,
                                           size_t *n);

/* After compile: write to pats[0..max) the ids, ascending, of the patterns
 * a corpus type matches, given its normalised text and its stem; returns
 * how many it matches (which may exceed max: call again with more room).
 * Thread-safe. */
size_t opine_model_match_type(const opine_model *m, const char *type,
                              size_t type_len, const char *stem,
                              size_t stem_len, uint32_t *pats, size_t max);

#endif
