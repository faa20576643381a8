/* models/score.h — per-document, per-theme stance from a compiled model.
 *
 * A pure function: a document's tokens (with the model patterns their types
 * match) in, per-theme scores and the evidence behind them out. No SQLite,
 * no global state; many threads may score at once with their own
 * opine_scores.
 *
 * SCORING (models/README.md explains it for analysts):
 *   1. Matches: a term matches where its patterns match consecutive tokens
 *      of one sentence. Within a theme, overlapping matches are resolved
 *      left to right, the longest first (ties: the earlier term, so targets
 *      before positive cues before negative ones). A target match is a
 *      mention; a cue match is a candidate.
 *   2. Window: a candidate counts only in a sentence with a mention of its
 *      theme (window sentence), or within N tokens of one (window N).
 *   3. Negation: a negator match ending at most negation_scope tokens before
 *      the cue, in its sentence, flips the cue's polarity.
 *   4. With P and N the summed weights of positive and negative evidence
 *      and a the prior: stance = (P - N) / (P + N + 2a), the mean of a
 *      Beta(P + a, N + a) posterior mapped by x -> 2x - 1; [lo, hi] is that
 *      Beta's equal-tailed interval of the model's mass, mapped alike.
 *      salience = 1000 * mentions / tokens. No mention: no stance.
 */
#ifndef OPINE_MODELS_SCORE_H
#define OPINE_MODELS_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "models/model.h"

/* One token of the document: its byte span, sentence, and the ascending
 * ids of the model patterns its type matches (opine_model_match_type). */
typedef struct opine_score_token {
    uint32_t start, len, sentence;
    uint32_t npats;
    const uint32_t *pats;
    const char *stem;   /* its stem (trained models' features), or NULL;
                         * the scorer reads it only to hash it, so it may
                         * be NULL where stem_hash is given */
    uint64_t stem_hash; /* opine_score_stem_hash() of stem, when stem is
                         * not empty: made once per stem by a caller that
                         * has many documents; 0: the scorer makes it */
    uint8_t quote;      /* opine_token.quote: a double quotation mark before
                         * it (trained themes with quotes: the feature w:";
                         * with speaker: what is quoted) */
} opine_score_token;

/* The hash of stem[0..len) that trained models' features are found by
 * (models/feature_key.h), for opine_score_token.stem_hash. */
uint64_t opine_score_stem_hash(const char *stem, size_t len);

/* One counted cue. */
typedef struct opine_evidence {
    uint32_t theme; /* theme index in the model */
    uint32_t term;  /* term index in the model (opine_model_term) */
    uint32_t sentence;
    uint32_t start, end; /* byte span of the cue in the text */
    int polarity;        /* +1 toward the positive pole, -1 toward the negative,
                          * after negation */
    int negated;         /* 1 when a negator flipped it */
    double weight;
    uint32_t tok;    /* its first token */
    const char *cue; /* a trained theme's feature, owned by the model;
                      * NULL: the term's text */
    int kind;        /* OPINE_EVIDENCE_CUE or OPINE_EVIDENCE_FEATURE */
} opine_evidence;

/* What a row is. A cue is a phrase of the model's lexicon, found in the
 * text: what a reader can check (table evidence). A feature is one of a
 * trained classifier's words, word pairs or negated words that pushed a
 * window toward its side: why the classifier decided, not proof of a side
 * (table contributions). */
enum { OPINE_EVIDENCE_CUE = 0, OPINE_EVIDENCE_FEATURE = 1 };

typedef struct opine_theme_score {
    uint32_t mentions;
    double salience;   /* mentions per 1,000 tokens */
    double positive;   /* P: summed weight of evidence toward + */
    double negative;   /* N */
    uint32_t evidence; /* number of evidence rows */
    int has_stance;    /* 0 when there is no mention (or no poles) */
    double stance, lo, hi;
    double neutral; /* trained themes: summed P(0) of the windows */
    int label;      /* the side the text takes, -1, 0 or +1: the largest
                     * of positive, neutral and negative (trained), the
                     * sign of positive - negative (lexicon); 0 without a
                     * stance */
} opine_theme_score;

/* A term match: a mention, a cue or a negator (theme UINT32_MAX). */
typedef struct opine_match {
    uint32_t theme, start, k, term;
} opine_match;

typedef struct opine_scores {
    opine_theme_score *themes; /* one per model theme */
    size_t nthemes;
    opine_evidence *ev; /* every counted cue, in text order per theme */
    size_t nev;
    /* the mentions of every theme, by theme then position, and the
     * negators; valid until the next call */
    opine_match *mentions, *negators;
    size_t nmentions, nnegators, mentions_cap, negators_cap;
    void *lin_scratch; /* trained themes' scratch (models/score_linear.c) */
    /* scratch, reused between calls */
    void *scratch;
    size_t ev_cap, scratch_cap;
} opine_scores;

#define OPINE_SCORES_INIT                                                      \
    {                                                                          \
        0                                                                      \
    }

/* Score one document of n tokens into *out (replacing what it held).
 * Returns 0 or OPINE_ENOMEM. */
int opine_score_doc(const opine_model *m, const opine_score_token *toks,
                    size_t n, opine_scores *out);

void opine_scores_release(opine_scores *s);

/* FEATURES of a trained theme (models/score_linear.c), over tokens near
 * its mentions, each worth 1 unless said:
 *   w:STEM          a token's stem, unless a stop word's
 *   n:STEM          a stem within negation_scope after a negator (instead
 *                   of w:STEM)
 *   b:STEM STEM     two tokens in a row in one sentence, unless both are
 *                   stop words (opine_model_stop_stem)
 *   cue:+ / cue:-   the lexicon's cues in the window, toward each pole
 *                   after negation, worth log(1 + count)
 * Each feature counts once; the w, n and b features are then scaled to
 * unit length together, so that long windows do not outweigh short ones.
 */
typedef struct opine_feature {
    uint32_t off, len; /* the name, in opine_features.names */
    double value;
    uint32_t tok, ntok; /* where it first fired */
} opine_feature;

typedef struct opine_features {
    char *names;
    size_t names_len, names_cap;
    opine_feature *f;
    size_t n, cap;
} opine_features;

#define OPINE_FEATURES_INIT                                                    \
    {                                                                          \
        0                                                                      \
    }

/* The windows of theme's mentions after opine_score_doc() scored toks:
 * +-window tokens around each (0: the mention's sentence), overlapping
 * ones merged. *ranges receives 2 * *n token indexes [from, to), malloc'd
 * (the caller frees). Returns 0 or OPINE_ENOMEM. */
int opine_score_windows(const opine_scores *sc, uint32_t theme, int window,
                        const opine_score_token *toks, size_t n,
                        uint32_t **ranges, size_t *nranges);

/* What a trained theme's windows have besides words, word pairs and cues
 * (flags of opine_score_features). QUOTES: the feature w:" where a token
 * follows a double quotation mark (opine_score_token.quote). SPEAKER: who
 * talks in the window (models/score_linear.c, SPEAKER FEATURES). */
enum { OPINE_FEATURES_QUOTES = 1, OPINE_FEATURES_SPEAKER = 2 };

/* The features of theme over the token ranges [r[2i], r[2i+1]), i <
 * nranges, together, into *fs (replacing what it held), with the
 * OPINE_FEATURES_* of flags. Returns 0 or OPINE_ENOMEM. */
int opine_score_features(const opine_model *m, const opine_scores *sc,
                         uint32_t theme, const opine_score_token *toks,
                         const uint32_t *r, size_t nranges, unsigned flags,
                         opine_features *fs);

void opine_features_release(opine_features *fs);

/* The p-quantile of a Beta(a, b) distribution (0 < p < 1, a, b > 0),
 * to about 1e-12. */
double opine_beta_quantile(double p, double a, double b);

#endif
