/* models/train.h — learn a stance model from labelled texts (liblinear).
 *
 * A base model gives the themes, their targets (what a mention is), the
 * lexicon cues and the negators. Every labelled text is scored with it;
 * the windows around the mentions of the text's theme give the features
 * (models/score.h, FEATURES); one L2-regularised logistic regression
 * (liblinear's L2R_LR, one-vs-rest over +1, 0, -1) learns them for all
 * themes at once, each feature with a shared and a per-theme weight (see
 * train.c), so that each theme's classifier is their sum. The window, the
 * regularisation and whether classes are weighted to balance are chosen
 * by k-fold cross-validation on the given texts only, folds keeping each
 * group (an article) together, for the best mean over themes of
 * macro-F1; then, per theme, the weight on P(0) that gives the best
 * cross-validated macro-F1. A text without a mention is predicted 0, as
 * the scorer would. The result is a model file (kind: linear) holding the
 * base's terms, every weight that matters, the parameters and the
 * cross-validated figures.
 */
#ifndef OPINE_MODELS_TRAIN_H
#define OPINE_MODELS_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "models/metrics.h"
#include "models/model.h"

typedef struct opine_train_unit {
    const char *text;
    size_t len;
    uint32_t theme; /* index in the base model */
    int label;      /* -1, 0, +1, or OPINE_LABEL_OFF (not about the theme) */
    uint64_t group; /* texts of one article share it */
} opine_train_unit;

typedef struct opine_train_opts {
    const char *name; /* the new model's name and version */
    int version;
    int folds;               /* default 5 */
    const int *windows;      /* candidate windows (0: sentence) */
    size_t nwindows;         /* default {20, 80} */
    const double *costs;     /* candidate C */
    size_t ncosts;           /* default {1, 3, 10} */
    int min_count;           /* features in fewer texts are left out (2) */
    double prune;            /* weights below this are left out (0.45) */
    double evidence_p;       /* a window's least P(side) for evidence (0.6) */
    int no_quotes;           /* leave out the feature w:" (a token after a
                              * double quotation mark), as before it existed */
    int no_speaker;          /* leave out the speaker features s:... */
    int all_cues;            /* show every cue as evidence, not only those
                              * the labels confirm (see quiet_positive in
                              * models/model.h) */
    const char *labels_name; /* what it learnt from, for the file */
    const char *labels_hash;
    void (*on_theme)(void *ctx, const char *line); /* progress, or NULL */
    void *ctx;
} opine_train_opts;

/* What training chose (window, cost and balanced are the same for every
 * theme) and measured for one theme. */
typedef struct opine_train_theme {
    const char *theme;
    size_t units, mentioned, counts[3]; /* labels +1, 0, -1 */
    size_t off;                         /* labels OPINE_LABEL_OFF */
    int window, balanced;
    double cost, neutral_weight;
    size_t features;
    opine_metrics cv;  /* cross-validated, at the chosen parameters */
    opine_metrics fit; /* the final classifier on its own texts */
} opine_train_theme;

/* Train on n units; *yaml receives the model file's text (malloc'd) and
 * *report (malloc'd, *nreport entries) one entry per theme that had
 * units. The base must be compiled. Returns 0, OPINE_EUSAGE (a theme
 * without labels of two classes; *errmsg says which), OPINE_ELANG or
 * OPINE_ENOMEM. */
int opine_train(const opine_model *base, const opine_train_unit *u, size_t n,
                const opine_train_opts *o, char **yaml,
                opine_train_theme **report, size_t *nreport, char **errmsg);

#endif
