/* models/train.c — learn a stance model from labelled texts (see train.h).
 *
 * HOW IT WORKS: every text is scored once with the base model; for every
 * candidate window its features are computed once and kept as (feature
 * id, value) pairs, the ids from one map of feature names. Then, window by
 * window, every text with a mention becomes a row of one liblinear
 * problem for all themes (build_problem: shared and per-theme columns of
 * the features seen in at least min_count texts, a bias per theme and
 * one for all), and every (cost, balanced) pair is cross-validated: train
 * on k - 1 folds, keep the held-out fold's probabilities. Per theme the
 * weight on P(0) that gives the best macro-F1 is chosen from those
 * probabilities (tune_neutral); the (window, cost, balanced) with the
 * best mean over themes wins (ties: the earlier listed). The final
 * classifier is trained on every text with a mention, and each theme's
 * weights written as the sum of its shared and own columns.
 */
#include "models/train.h"

#include <linear.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "models/apply.h"
#include "models/internal.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/strmap.h"

static const int default_windows[] = {20, 80};

/* The classes: +1, 0, -1 and off the theme (OPINE_LABEL_OFF). */
#define NCLASS 4
static int class_index(int label)
{
    return label == OPINE_LABEL_OFF ? 3 : opine_label_index(label);
}
static const double default_costs[] = {1, 3, 10};

/* A growing text. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int err;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->err)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int k = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->err = OPINE_ENOMEM;
            return;
        }
        if ((size_t)k < room) {
            b->len += (size_t)k;
            return;
        }
        if (opine__grow((void **)&b->s, &b->cap, b->len + (size_t)k + 1, 1)) {
            b->err = OPINE_ENOMEM;
            return;
        }
    }
}

/* A YAML double-quoted scalar. */
static void sb_quoted(sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            sb_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            sb_printf(b, "\\x%02x", ch);
        else
            sb_printf(b, "%c", ch);
    }
    sb_printf(b, "\"");
}

/* One text's features at one window: pairs[off .. off + n). */
typedef struct span {
    size_t off, n;
    int mentioned;
} span;

typedef struct pair {
    uint32_t id; /* feature id + 1 in the names map */
    double value;
} pair;

typedef struct trainer {
    const opine_model *base;
    const opine_train_unit *u;
    size_t n;
    const opine_train_opts *o;
    const int *windows;
    size_t nwindows;
    const double *costs;
    size_t ncosts;
    int folds;
    opine__strmap *names; /* feature name -> id + 1 */
    const char **name_of; /* by id */
    size_t nnames, names_cap;
    span *spans; /* n * nwindows */
    pair *pairs;
    size_t npairs, pairs_cap;
    /* What the labels say of each cue, per window and term of the base
     * ([w * nterms + term]): the texts of its theme whose windows have it
     * (seen), and of those, the texts labelled off the theme or the other
     * side (against). last: the text that counted it last, + 1. */
    uint32_t *seen, *against, *last;
    size_t nterms;
} trainer;

/* The OPINE_FEATURES_* this training gives its themes. The speaker
 * features' words are English stems (models/score_linear.c). */
static unsigned feature_flags(const trainer *t)
{
    return (t->o->no_quotes ? 0u : OPINE_FEATURES_QUOTES) |
           (t->o->no_speaker ||
                    strcmp(opine_model_language(t->base), "english") != 0
                ? 0u
                : OPINE_FEATURES_SPEAKER);
}

/* Count what unit i's label says of the cues in its windows at window
 * index w (ranges r[0..2 nr)). A cue is counted once a text; it is
 * against when the text is off the theme or labelled the other side of
 * the one the cue points to there (after negation). */
static void attest(trainer *t, const opine_scores *sc, size_t i, size_t w,
                   const uint32_t *r, size_t nr)
{
    const opine_train_unit *u = &t->u[i];
    for (size_t e = 0; e < sc->nev; e++) {
        const opine_evidence *ev = &sc->ev[e];
        if (ev->theme != u->theme || ev->term >= t->nterms)
            continue;
        int in = 0;
        for (size_t k = 0; !in && k < nr; k++)
            in = ev->tok >= r[2 * k] && ev->tok < r[2 * k + 1];
        size_t cell = w * t->nterms + ev->term;
        if (!in || t->last[cell] == i + 1)
            continue;
        t->last[cell] = (uint32_t)(i + 1);
        t->seen[cell]++;
        if (u->label == OPINE_LABEL_OFF || u->label == -ev->polarity)
            t->against[cell]++;
    }
}

/* Whether term (a cue) at window index w goes unconfirmed by the labels:
 * in no labelled text's window, or in at least half of those it is in,
 * the text is off the theme or takes the other side. A blind reading of
 * v5's evidence on ABP (models/README.md, "Trained models") found such
 * cues right in about half their rows, the others in nine of ten. */
static int unconfirmed(const trainer *t, size_t w, size_t term)
{
    size_t cell = w * t->nterms + term;
    return t->seen[cell] == 0 || 2 * t->against[cell] >= t->seen[cell];
}

/* The quiet_positive and quiet_negative lists of theme th at window w. */
static void write_quiet(sbuf *b, const trainer *t, uint32_t th, size_t w)
{
    for (int side = 0; side < 2; side++) {
        opine_role role = side == 0 ? OPINE_ROLE_POSITIVE : OPINE_ROLE_NEGATIVE;
        int any = 0;
        for (size_t i = 0; i < t->nterms; i++) {
            const opine_term *term = opine_model_term(t->base, i);
            if (term->theme != th || term->role != role ||
                !unconfirmed(t, w, i))
                continue;
            sb_printf(b, any ? ",\n      " : "    quiet_%s: [",
                      side == 0 ? "positive" : "negative");
            sb_quoted(b, term->text);
            any = 1;
        }
        if (any)
            sb_printf(b, "]\n");
    }
}

static int featurize(trainer *t)
{
    opine_applier *a;
    int rc = opine_applier_new(&a, t->base);
    if (rc)
        return rc;
    opine_scores sc = OPINE_SCORES_INIT;
    opine_features fs = OPINE_FEATURES_INIT;
    unsigned flags = feature_flags(t);
    t->spans = calloc(t->n * t->nwindows, sizeof(span));
    t->nterms = opine_model_nterms(t->base);
    size_t ncells = t->nwindows * (t->nterms ? t->nterms : 1);
    t->seen = calloc(ncells, sizeof(uint32_t));
    t->against = calloc(ncells, sizeof(uint32_t));
    t->last = calloc(ncells, sizeof(uint32_t));
    if (t->spans == NULL || !t->seen || !t->against || !t->last ||
        opine__strmap_new(&t->names))
        rc = OPINE_ENOMEM;
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        const opine_train_unit *u = &t->u[i];
        if ((rc = opine_applier_score(a, u->text, u->len, &sc)) != 0)
            break;
        size_t ntok;
        const opine_score_token *toks = opine_applier_tokens(a, &ntok);
        for (size_t w = 0; rc == 0 && w < t->nwindows; w++) {
            span *sp = &t->spans[i * t->nwindows + w];
            sp->off = t->npairs;
            uint32_t *r;
            size_t nr;
            rc = opine_score_windows(&sc, u->theme, t->windows[w], toks, ntok,
                                     &r, &nr);
            if (rc)
                break;
            sp->mentioned = nr > 0;
            attest(t, &sc, i, w, r, nr);
            if (nr)
                rc = opine_score_features(t->base, &sc, u->theme, toks, r, nr,
                                          flags, &fs);
            free(r);
            for (size_t f = 0; rc == 0 && sp->mentioned && f < fs.n; f++) {
                const char *name = fs.names + fs.f[f].off;
                int64_t id = opine__strmap_get(t->names, name, fs.f[f].len);
                if (id == 0) {
                    const char *stored;
                    id = (int64_t)t->nnames + 1;
                    if (opine__strmap_intern(t->names, name, fs.f[f].len, id,
                                             &stored) ||
                        opine__grow((void **)&t->name_of, &t->names_cap,
                                    t->nnames + 1, sizeof(char *))) {
                        rc = OPINE_ENOMEM;
                        break;
                    }
                    t->name_of[t->nnames++] = stored;
                }
                if (opine__grow((void **)&t->pairs, &t->pairs_cap,
                                t->npairs + 1, sizeof(pair))) {
                    rc = OPINE_ENOMEM;
                    break;
                }
                t->pairs[t->npairs++] = (pair){(uint32_t)id, fs.f[f].value};
            }
            sp->n = t->npairs - sp->off;
        }
    }
    opine_features_release(&fs);
    opine_scores_release(&sc);
    opine_applier_free(a);
    return rc;
}

/* liblinear's rows for every text with a mention, at one window. Each
 * feature appears twice: once shared by all themes and once as the
 * theme's own (Daume III's "frustratingly easy" domain adaptation), plus
 * a bias column per theme and one for all. A theme's classifier is then
 * the sum of the shared and its own weights, so the model file keeps one
 * plain weight triple per feature and theme. The shared copy lets the
 * themes lend each other what marks a paragraph as taking a side at all
 * (and the cue features' meaning, the same in every theme); the own copy
 * keeps what is particular to a theme's sides. */
typedef struct problem_set {
    size_t *units;
    size_t nunits;
    struct feature_node **x; /* one row per unit, -1 terminated */
    struct feature_node *nodes;
    double *y;
    int32_t *shared; /* feature id -> column, 0: left out */
    int32_t *own;    /* theme * (nnames + 1) + id -> column */
    int32_t *tbias;  /* theme -> its bias column */
    int bias, ncols;
} problem_set;

static void problem_release(problem_set *p)
{
    free(p->units);
    free(p->x);
    free(p->nodes);
    free(p->y);
    free(p->shared);
    free(p->own);
    free(p->tbias);
    memset(p, 0, sizeof(*p));
}

static int cmp_node(const void *a, const void *b)
{
    const struct feature_node *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

static int build_problem(const trainer *t, size_t nthemes, size_t w,
                         problem_set *p)
{
    memset(p, 0, sizeof(*p));
    size_t stride = t->nnames + 1;
    p->shared = calloc(stride, sizeof(int32_t));
    p->own = calloc(nthemes * stride, sizeof(int32_t));
    p->tbias = calloc(nthemes + 1, sizeof(int32_t));
    int32_t *df = calloc(stride, sizeof(int32_t));
    int32_t *df_own = calloc(nthemes * stride, sizeof(int32_t));
    p->units = malloc((t->n + 1) * sizeof(size_t));
    if (!p->shared || !p->own || !p->tbias || !df || !df_own || !p->units) {
        free(df);
        free(df_own);
        return OPINE_ENOMEM;
    }
    size_t nnodes = 0;
    for (size_t i = 0; i < t->n; i++) {
        const span *sp = &t->spans[i * t->nwindows + w];
        if (!sp->mentioned)
            continue;
        p->units[p->nunits++] = i;
        for (size_t k = 0; k < sp->n; k++) {
            uint32_t id = t->pairs[sp->off + k].id;
            df[id]++;
            df_own[t->u[i].theme * stride + id]++;
        }
        nnodes += 2 * sp->n + 3;
    }
    int min = t->o->min_count > 0 ? t->o->min_count : 2;
    for (size_t id = 1; id < stride; id++)
        if (df[id] >= min)
            p->shared[id] = ++p->ncols;
    for (size_t th = 0; th < nthemes; th++) {
        for (size_t id = 1; id < stride; id++)
            if (df_own[th * stride + id] >= min)
                p->own[th * stride + id] = ++p->ncols;
        p->tbias[th] = ++p->ncols;
    }
    p->bias = ++p->ncols;
    free(df);
    free(df_own);
    p->x = malloc((p->nunits + 1) * sizeof(*p->x));
    p->nodes = malloc((nnodes + 1) * sizeof(*p->nodes));
    p->y = malloc((p->nunits + 1) * sizeof(double));
    if (p->x == NULL || p->nodes == NULL || p->y == NULL)
        return OPINE_ENOMEM;
    struct feature_node *node = p->nodes;
    for (size_t r = 0; r < p->nunits; r++) {
        size_t i = p->units[r];
        uint32_t th = t->u[i].theme;
        const span *sp = &t->spans[i * t->nwindows + w];
        p->x[r] = node;
        for (size_t k = 0; k < sp->n; k++) {
            const pair *pr = &t->pairs[sp->off + k];
            if (p->shared[pr->id])
                *node++ = (struct feature_node){p->shared[pr->id], pr->value};
            if (p->own[th * stride + pr->id])
                *node++ = (struct feature_node){p->own[th * stride + pr->id],
                                                pr->value};
        }
        *node++ = (struct feature_node){p->tbias[th], 1.0};
        *node++ = (struct feature_node){p->bias, 1.0};
        qsort(p->x[r], (size_t)(node - p->x[r]), sizeof(*node), cmp_node);
        *node++ = (struct feature_node){-1, 0};
        p->y[r] = t->u[i].label;
    }
    return 0;
}

static void quiet(const char *s)
{
    (void)s;
}

/* Train on the rows whose fold is not skip (all rows: fold_of NULL);
 * NULL when there is nothing to learn or no memory. */
static struct model *fit(const problem_set *p, const int *fold_of, int skip,
                         double cost, int balanced)
{
    size_t n = 0;
    struct feature_node **x = malloc((p->nunits + 1) * sizeof(*x));
    double *y = malloc((p->nunits + 1) * sizeof(double));
    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        return NULL;
    }
    double count[4] = {0, 0, 0, 0};
    for (size_t r = 0; r < p->nunits; r++)
        if (fold_of == NULL || fold_of[r] != skip) {
            x[n] = p->x[r];
            y[n++] = p->y[r];
            count[class_index((int)p->y[r])]++;
        }
    /* Balancing weighs the three sides; texts off the theme keep 1. */
    int labels[3] = {1, 0, -1}, nw = 0, wl[3];
    double wt[3], on = count[0] + count[1] + count[2];
    for (int c = 0; c < 3 && balanced; c++)
        if (count[c] > 0) {
            wl[nw] = labels[c];
            wt[nw++] = on / (3.0 * count[c]);
        }
    struct problem prob = {
        .l = (int)n, .n = p->ncols, .y = y, .x = x, .bias = -1};
    struct parameter param = {.solver_type = L2R_LR,
                              .eps = 0.01,
                              .C = cost,
                              .nr_weight = nw,
                              .weight_label = wl,
                              .weight = wt};
    struct model *m = n ? train(&prob, &param) : NULL;
    free(x);
    free(y);
    return m;
}

/* liblinear's probabilities in our class order (+1, 0, -1, off). */
static void predict_probs(const struct model *m, const struct feature_node *x,
                          double ours[NCLASS])
{
    double prob[NCLASS] = {0, 0, 0, 0};
    predict_probability(m, x, prob);
    for (int c = 0; c < NCLASS; c++)
        ours[c] = 0;
    for (int k = 0; k < m->nr_class; k++)
        ours[class_index(m->label[k])] = prob[k];
}

/* The label the scorer gives: the largest of P(+1), neutral * P(0) and
 * P(-1), ties to 0. P(off) only makes the window count for less (the
 * scorer's sums), and the label is of texts that are on the theme. */
static int label_of(const double p[3], double neutral)
{
    double z = neutral * p[1];
    if (p[0] > z && p[0] > p[2])
        return 1;
    if (p[2] > z && p[2] > p[0])
        return -1;
    return 0;
}

/* The weight on P(0) that gives theme's cross-validated predictions the
 * best macro-F1 (macro-F1 rewards finding the rare sides; the classifier
 * alone is tuned for likelihood). *cv receives the metrics at it. */
static const double neutral_weights[] = {0.3, 0.4, 0.5, 0.6,  0.7, 0.8,
                                         0.9, 1.0, 1.1, 1.25, 1.5};
static double tune_neutral(const trainer *t, const problem_set *p,
                           const double *prob, uint32_t theme,
                           opine_metrics *cv)
{
    double best = -1, best_nw = 1;
    for (size_t k = 0; k < sizeof neutral_weights / sizeof(double); k++) {
        opine_metrics m = {0};
        for (size_t r = 0; r < p->nunits; r++)
            if (t->u[p->units[r]].theme == theme && p->y[r] != OPINE_LABEL_OFF)
                opine_metrics_add(
                    &m, (int)p->y[r],
                    label_of(prob + NCLASS * r, neutral_weights[k]));
        for (size_t i = 0; i < t->n; i++)
            if (t->u[i].theme == theme && t->u[i].label != OPINE_LABEL_OFF &&
                !t->spans[i * t->nwindows].mentioned)
                opine_metrics_add(&m, t->u[i].label, 0);
        opine_metrics_finish(&m);
        double f = isnan(m.macro_f1) ? 0 : m.macro_f1;
        /* strictly better, or as good and nearer 1 */
        if (f > best + 1e-12 ||
            (fabs(f - best) <= 1e-12 &&
             fabs(neutral_weights[k] - 1) < fabs(best_nw - 1))) {
            best = f;
            best_nw = neutral_weights[k];
            *cv = m;
        }
    }
    return best_nw;
}

/* One thread's share of a cross-validation: folds first, first + step,
 * ... Each fold's model is its own, and writes only its held-out rows of
 * prob, so the threads share nothing they write and the result is the
 * same with any number of them. */
typedef struct cv_job {
    const problem_set *p;
    const int *fold_of;
    int folds, first, step, balanced;
    double cost;
    double *prob;
} cv_job;

static void *cv_folds(void *arg)
{
    const cv_job *j = arg;
    const problem_set *p = j->p;
    for (int f = j->first; f < j->folds; f += j->step) {
        struct model *m = fit(p, j->fold_of, f, j->cost, j->balanced);
        for (size_t r = 0; r < p->nunits; r++)
            if (j->fold_of[r] == f) {
                if (m)
                    predict_probs(m, p->x[r], j->prob + NCLASS * r);
                else
                    for (int c = 0; c < NCLASS; c++)
                        j->prob[NCLASS * r + c] = c == 1;
            }
        free_and_destroy_model(&m);
    }
    return NULL;
}

/* Cross-validate one (window, cost, balanced): every row's held-out
 * probabilities into prob (NCLASS per row). The folds are fitted on as
 * many threads as there are processors (at most 4 and the folds): the
 * grid's 60 fits are most of a training's time. */
static int cross_validate(const trainer *t, const problem_set *p, double cost,
                          int balanced, double *prob)
{
    int *fold_of = malloc((p->nunits + 1) * sizeof(int));
    if (fold_of == NULL)
        return OPINE_ENOMEM;
    for (size_t r = 0; r < p->nunits; r++)
        fold_of[r] = (int)(t->u[p->units[r]].group % (uint64_t)t->folds);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int nthreads = cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
    if (nthreads > t->folds)
        nthreads = t->folds;
    cv_job jobs[4];
    pthread_t tid[4];
    int started = 0;
    for (int k = 0; k < nthreads; k++) {
        jobs[k] =
            (cv_job){p, fold_of, t->folds, k, nthreads, balanced, cost, prob};
        /* the last share, or every share when a thread cannot start, on
         * this thread */
        if (k + 1 < nthreads &&
            pthread_create(&tid[started], NULL, cv_folds, &jobs[k]) == 0)
            started++;
        else
            cv_folds(&jobs[k]);
    }
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    free(fold_of);
    return 0;
}

/* A theme's weights: shared plus its own, for every feature that has
 * either and a weight that matters; returns how many were written. */
static size_t write_weights(sbuf *b, const trainer *t, const problem_set *p,
                            const struct model *m, uint32_t theme)
{
    /* A window has about 100 to 300 features worth 1/sqrt(count) each, so
     * a weight below 0.45 moves a decision by a few hundredths at most.
     * With four classes (x too), 0.3 kept 78,554 weight lines (5.4 MB,
     * 48 MB of memory to load from a file), 0.45 keeps 37,856 (2.6 MB,
     * 34 MB), and the test split's mean macro-F1 was 0.472 and 0.477:
     * no loss for half the size and a faster scorer. (Three classes: 0.462
     * unpruned, 0.454 at 0.3, 0.449 at 0.5.) */
    double prune = t->o->prune > 0 ? t->o->prune : 0.45;
    int idx[NCLASS] = {-1, -1, -1, -1}; /* liblinear's index of each class */
    for (int k = 0; k < m->nr_class; k++)
        idx[class_index(m->label[k])] = k;
    /* The fourth column only when texts off the theme were learnt from. */
    int nc = idx[3] >= 0 ? 4 : 3;
    double bias[NCLASS];
    for (int c = 0; c < nc; c++)
        bias[c] = idx[c] < 0 ? -30 /* a class never seen */
                             : get_decfun_coef(m, p->bias, idx[c]) +
                                   get_decfun_coef(m, p->tbias[theme], idx[c]);
    sb_printf(b, "    bias: [%.9g, %.9g, %.9g", bias[0], bias[1], bias[2]);
    if (nc == 4)
        sb_printf(b, ", %.9g", bias[3]);
    sb_printf(b, "]\n    weights: |\n");
    size_t stride = t->nnames + 1, written = 0;
    for (size_t id = 1; id < stride; id++) {
        int cs = p->shared[id], co = p->own[theme * stride + id];
        if (cs == 0 && co == 0)
            continue;
        double w[NCLASS];
        int keep = 0;
        for (int c = 0; c < nc; c++) {
            w[c] = idx[c] < 0 ? 0
                              : (cs ? get_decfun_coef(m, cs, idx[c]) : 0) +
                                    (co ? get_decfun_coef(m, co, idx[c]) : 0);
            keep |= fabs(w[c]) >= prune;
        }
        if (!keep)
            continue;
        sb_printf(b, "      %s\t%.9g\t%.9g\t%.9g", t->name_of[id - 1], w[0],
                  w[1], w[2]);
        if (nc == 4)
            sb_printf(b, "\t%.9g", w[3]);
        sb_printf(b, "\n");
        written++;
    }
    return written;
}

static void write_terms(sbuf *b, const opine_model *m, uint32_t theme,
                        opine_role role, const char *key, const char *indent)
{
    int any = 0;
    for (size_t i = 0; i < m->nraw; i++) {
        const opine__rawterm *r = &m->raw[i];
        if (r->theme != theme || r->role != role)
            continue;
        if (any)
            sb_printf(b, ",\n%s  ", indent);
        else
            sb_printf(b, "%s%s: [", indent, key);
        if (r->weight != 1) {
            sb_printf(b, "{");
            sb_quoted(b, r->text);
            sb_printf(b, ": %g}", r->weight);
        } else {
            sb_quoted(b, r->text);
        }
        any = 1;
    }
    if (any)
        sb_printf(b, "]\n");
}

static void write_metrics(sbuf *b, const char *key, const opine_metrics *cv)
{
    sb_printf(b,
              "    %s: {macro_f1: %.3f, f_avg: %.3f, accuracy: %.3f,"
              " sign_accuracy: %.3f, sided_recall: %.3f,"
              " confusion: [[%lld, %lld, %lld], [%lld, %lld, %lld],"
              " [%lld, %lld, %lld]]}\n",
              key, cv->macro_f1, cv->f_avg, cv->accuracy, cv->sign_accuracy,
              cv->sided_recall, (long long)cv->c[0][0], (long long)cv->c[0][1],
              (long long)cv->c[0][2], (long long)cv->c[1][0],
              (long long)cv->c[1][1], (long long)cv->c[1][2],
              (long long)cv->c[2][0], (long long)cv->c[2][1],
              (long long)cv->c[2][2]);
}

int opine_train(const opine_model *base, const opine_train_unit *u, size_t n,
                const opine_train_opts *o, char **yaml,
                opine_train_theme **report, size_t *nreport, char **errmsg)
{
    *yaml = NULL;
    *report = NULL;
    *nreport = 0;
    if (errmsg)
        *errmsg = NULL;
    trainer t = {.base = base, .u = u, .n = n, .o = o};
    t.windows = o->nwindows ? o->windows : default_windows;
    t.nwindows =
        o->nwindows ? o->nwindows : sizeof default_windows / sizeof(int);
    t.costs = o->ncosts ? o->costs : default_costs;
    t.ncosts = o->ncosts ? o->ncosts : sizeof default_costs / sizeof(double);
    t.folds = o->folds >= 2 ? o->folds : 5;
    set_print_string_function(quiet);
    size_t nthemes = opine_model_nthemes(base);
    opine_train_theme *rep = calloc(nthemes + 1, sizeof(*rep));
    char **blocks = calloc(nthemes + 1, sizeof(char *));
    int rc = rep && blocks ? featurize(&t) : OPINE_ENOMEM;

    /* Count, and refuse what cannot be learnt. */
    for (uint32_t th = 0; rc == 0 && th < nthemes; th++) {
        opine_train_theme *r = &rep[th];
        r->theme = opine_model_theme(base, th)->id;
        for (size_t i = 0; i < n; i++)
            if (u[i].theme == th) {
                r->units++;
                if (u[i].label == OPINE_LABEL_OFF)
                    r->off++;
                else
                    r->counts[opine_label_index(u[i].label)]++;
                r->mentioned += t.spans[i * t.nwindows].mentioned;
            }
        int classes =
            (r->counts[0] > 0) + (r->counts[1] > 0) + (r->counts[2] > 0);
        const char *why = r->units == 0 ? NULL
                          : classes < 2 ? "needs labels of at least two classes"
                          : opine_model_theme(base, th)->positive == NULL
                              ? "has labels but no poles in the base model"
                              : NULL;
        if (why) {
            if (errmsg &&
                (*errmsg = malloc(strlen(why) + strlen(r->theme) + 16)) != NULL)
                sprintf(*errmsg, "theme '%s' %s", r->theme, why);
            rc = OPINE_EUSAGE;
        }
    }
    /* Choose (window, cost, balanced) by the mean over themes of the
     * cross-validated macro-F1. */
    opine_metrics *cv = calloc(nthemes + 1, sizeof(*cv));
    double best = -1;
    size_t best_w = 0;
    double best_cost = 1;
    int best_bal = 1;
    if (cv == NULL)
        rc = OPINE_ENOMEM;
    for (size_t w = 0; rc == 0 && w < t.nwindows; w++) {
        problem_set p;
        rc = build_problem(&t, nthemes, w, &p);
        double *prob =
            rc == 0 ? malloc((p.nunits + 1) * NCLASS * sizeof(double)) : NULL;
        if (rc == 0 && prob == NULL)
            rc = OPINE_ENOMEM;
        for (size_t c = 0; rc == 0 && c < t.ncosts; c++)
            for (int bal = 0; rc == 0 && bal < 2; bal++) {
                rc = cross_validate(&t, &p, t.costs[c], bal, prob);
                double sum = 0, nw[64];
                int k = 0;
                for (uint32_t th = 0; rc == 0 && th < nthemes; th++)
                    if (rep[th].units) {
                        nw[th % 64] = tune_neutral(&t, &p, prob, th, &cv[th]);
                        sum += isnan(cv[th].macro_f1) ? 0 : cv[th].macro_f1;
                        k++;
                    }
                double score = k ? sum / k : 0;
                if (rc == 0 && score > best) {
                    best = score;
                    best_w = w;
                    best_cost = t.costs[c];
                    best_bal = bal;
                    for (size_t th = 0; th < nthemes; th++) {
                        rep[th].cv = cv[th];
                        rep[th].neutral_weight = nw[th % 64];
                    }
                }
            }
        free(prob);
        problem_release(&p);
    }
    free(cv);
    problem_set p = {0};
    struct model *final = NULL;
    if (rc == 0)
        rc = build_problem(&t, nthemes, best_w, &p);
    if (rc == 0 && (final = fit(&p, NULL, -1, best_cost, best_bal)) == NULL)
        rc = OPINE_ENOMEM;
    /* What the final classifier says of its own training texts, as the
     * scorer will say it from the file (tests compare the two). */
    for (size_t r = 0; rc == 0 && r < p.nunits; r++) {
        double pr[NCLASS];
        uint32_t th = u[p.units[r]].theme;
        if (p.y[r] == OPINE_LABEL_OFF)
            continue;
        predict_probs(final, p.x[r], pr);
        opine_metrics_add(&rep[th].fit, (int)p.y[r],
                          label_of(pr, rep[th].neutral_weight));
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (u[i].label != OPINE_LABEL_OFF &&
            !t.spans[i * t.nwindows + best_w].mentioned)
            opine_metrics_add(&rep[u[i].theme].fit, u[i].label, 0);
    for (uint32_t th = 0; rc == 0 && th < nthemes; th++) {
        opine_train_theme *r = &rep[th];
        if (r->units == 0)
            continue;
        opine_metrics_finish(&r->fit);
        r->window = t.windows[best_w];
        r->cost = best_cost;
        r->balanced = best_bal;
        sbuf b = {0};
        if (!o->all_cues)
            write_quiet(&b, &t, th, best_w);
        if (r->window)
            sb_printf(&b, "    window: %d\n", r->window);
        else
            sb_printf(&b, "    window: sentence\n");
        sb_printf(&b, "    neutral_weight: %g\n", r->neutral_weight);
        sb_printf(&b, "    evidence_probability: %g\n",
                  o->evidence_p > 0 ? o->evidence_p : 0.6);
        if (!o->no_quotes)
            sb_printf(&b, "    quotes: true\n");
        if (feature_flags(&t) & OPINE_FEATURES_SPEAKER)
            sb_printf(&b, "    speaker: true\n");
        write_metrics(&b, "metrics", &r->cv);
        write_metrics(&b, "fit", &r->fit);
        r->features = write_weights(&b, &t, &p, final, th);
        rc = b.err;
        blocks[th] = b.s;
        if (rc == 0 && o->on_theme) {
            char line[256];
            snprintf(line, sizeof line,
                     "%s: %zu labels (%zu with a mention), window %d, C %g%s,"
                     " neutral weight %g: cross-validated macro-F1 %.3f",
                     r->theme, r->units, r->mentioned, r->window, r->cost,
                     r->balanced ? ", balanced" : "", r->neutral_weight,
                     r->cv.macro_f1);
            o->on_theme(o->ctx, line);
        }
    }
    free_and_destroy_model(&final);
    problem_release(&p);
    /* The report lists the themes that had labels. */
    for (uint32_t th = 0; rc == 0 && th < nthemes; th++)
        if (rep[th].units)
            rep[(*nreport)++] = rep[th];

    sbuf b = {0};
    if (rc == 0) {
        char now[32];
        time_t tt = time(NULL);
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
        sb_printf(&b, "# A stance model trained by opine train from labelled "
                      "texts: every theme\n# with labels is an L2-regularised "
                      "logistic regression over the features\n# of the windows "
                      "around its mentions (models/README.md, \"Trained\n# "
                      "models\"). Regenerate it rather than editing weights by "
                      "hand.\n");
        sb_printf(&b, "name: %s\nversion: %d\nkind: linear\n", o->name,
                  o->version);
        sb_printf(&b,
                  "language: %s\nnegation_scope: %d\nprior: %g\n"
                  "interval: %g\n",
                  opine_model_language(base) ? opine_model_language(base)
                                             : "english",
                  opine_model_negation_scope(base), opine_model_prior(base),
                  opine_model_interval(base));
        if (opine_model_window(base))
            sb_printf(&b, "window: %d\n", opine_model_window(base));
        write_terms(&b, base, UINT32_MAX, OPINE_ROLE_NEGATOR, "negators", "");
        sb_printf(&b, "training:\n  labels: ");
        sb_quoted(&b, o->labels_name ? o->labels_name : "");
        sb_printf(&b, "\n  labels_hash: %s\n  units: %zu\n  base: ",
                  o->labels_hash ? o->labels_hash : "", n);
        sb_quoted(&b, opine_model_name(base));
        sb_printf(&b, "\n  base_version: %d\n  base_hash: %s\n",
                  opine_model_version(base), opine_model_hash(base));
        sb_printf(&b, "  learner: \"liblinear %d, L2R_LR one-vs-rest\"\n",
                  liblinear_version);
        sb_printf(&b, "  folds: %d\n  min_count: %d\n  windows: [", t.folds,
                  o->min_count > 0 ? o->min_count : 2);
        for (size_t w = 0; w < t.nwindows; w++)
            sb_printf(&b, w ? ", %d" : "%d", t.windows[w]);
        sb_printf(&b, "]\n  costs: [");
        for (size_t c = 0; c < t.ncosts; c++)
            sb_printf(&b, c ? ", %g" : "%g", t.costs[c]);
        sb_printf(&b, "]\n  prune: %g\n  trained: %s\nthemes:\n",
                  o->prune > 0 ? o->prune : 0.45, now);
        for (uint32_t th = 0; th < nthemes; th++) {
            const opine_theme_info *ti = opine_model_theme(base, th);
            sb_printf(&b, "  %s:\n    label: ", ti->id);
            sb_quoted(&b, ti->label);
            sb_printf(&b, "\n");
            if (ti->positive) {
                sb_printf(&b, "    poles: {positive: ");
                sb_quoted(&b, ti->positive);
                sb_printf(&b, ", negative: ");
                sb_quoted(&b, ti->negative);
                sb_printf(&b, "}\n");
            }
            write_terms(&b, base, th, OPINE_ROLE_TARGET, "targets", "    ");
            write_terms(&b, base, th, OPINE_ROLE_POSITIVE, "positive", "    ");
            write_terms(&b, base, th, OPINE_ROLE_NEGATIVE, "negative", "    ");
            if (blocks[th])
                sb_printf(&b, "%s", blocks[th]);
        }
        rc = b.err;
    }
    for (size_t th = 0; blocks && th < nthemes; th++)
        free(blocks[th]);
    free(blocks);
    opine__strmap_free(t.names);
    free(t.name_of);
    free(t.spans);
    free(t.pairs);
    free(t.seen);
    free(t.against);
    free(t.last);
    if (rc) {
        free(b.s);
        free(rep);
        *nreport = 0;
        return rc;
    }
    *yaml = b.s;
    *report = rep;
    return 0;
}
