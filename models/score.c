/* models/score.c — the lexicon scorer: mentions, windowed cues, negation,
 * and a Beta-posterior stance with its interval.
 *
 * HOW IT WORKS: one pass over the tokens finds every term match (a term's
 * first pattern indexes the terms that start with it, so each token costs
 * one lookup per pattern it matches — usually none). Matches are then
 * sorted by theme and position; within a theme the longest match at each
 * position wins and overlapping ones are dropped. Targets become mentions;
 * cues count when a mention of their theme is within the window; negators,
 * kept apart, flip a cue they end shortly before.
 */
#include "models/score.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "models/internal.h"
#include "models/score_linear.h"

typedef opine_match match;

static int cmp_match(const void *pa, const void *pb)
{
    const match *a = pa, *b = pb;
    if (a->theme != b->theme)
        return a->theme < b->theme ? -1 : 1;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->k != b->k)
        return a->k > b->k ? -1 : 1; /* longest first */
    return a->term < b->term ? -1 : a->term > b->term;
}

static int has_pattern(const opine_score_token *t, uint32_t p)
{
    size_t lo = 0, hi = t->npats;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->pats[mid] == p)
            return 1;
        if (t->pats[mid] < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Does term (k patterns) match at token i, all in i's sentence? */
static int term_at(const opine_term *term, const opine_score_token *toks,
                   size_t n, size_t i)
{
    if (i + term->npatterns > n)
        return 0;
    for (uint32_t j = 1; j < term->npatterns; j++) {
        const opine_score_token *t = &toks[i + j];
        if (t->sentence != toks[i].sentence ||
            !has_pattern(t, term->patterns[j]))
            return 0;
    }
    return 1;
}

/* Tokens between two spans (0 when they touch or overlap). */
static uint32_t gap(const match *a, const match *b)
{
    if (a->start + a->k <= b->start)
        return b->start - (a->start + a->k - 1);
    if (b->start + b->k <= a->start)
        return a->start - (b->start + b->k - 1);
    return 0;
}

static int in_window(const opine_model *m, const opine_score_token *toks,
                     const match *cue, const match *mentions, size_t nm)
{
    int window = opine_model_window(m);
    for (size_t i = 0; i < nm; i++) {
        if (window == 0) {
            if (toks[mentions[i].start].sentence == toks[cue->start].sentence)
                return 1;
        } else if (gap(cue, &mentions[i]) <= (uint32_t)window) {
            return 1;
        }
    }
    return 0;
}

static int negated(const opine_model *m, const opine_score_token *toks,
                   const match *cue, const match *negs, size_t nn)
{
    uint32_t scope = (uint32_t)opine_model_negation_scope(m);
    for (size_t i = 0; i < nn; i++) {
        uint32_t end = negs[i].start + negs[i].k - 1;
        if (end < cue->start && cue->start - end <= scope &&
            toks[end].sentence == toks[cue->start].sentence)
            return 1;
    }
    return 0;
}

int opine_score_doc(const opine_model *m, const opine_score_token *toks,
                    size_t n, opine_scores *out)
{
    size_t nthemes = opine_model_nthemes(m);
    if (out->nthemes != nthemes) {
        opine_theme_score *t =
            realloc(out->themes, (nthemes ? nthemes : 1) * sizeof(*t));
        if (t == NULL)
            return OPINE_ENOMEM;
        out->themes = t;
        out->nthemes = nthemes;
    }
    memset(out->themes, 0, nthemes * sizeof(*out->themes));
    out->nev = 0;
    out->nmentions = out->nnegators = 0;

    /* 1. Every match, negators included. A trained model makes every
     * stop word a pattern, so more than half of the tokens have one: the
     * model's index (opine_model_terms_starting) is read here directly,
     * without a call per pattern and term. */
    match *mt = out->scratch;
    size_t nmt = 0;
    const uint32_t *soff = m->compiled ? m->starting_off : NULL;
    for (size_t i = 0; soff && i < n; i++) {
        if (toks[i].npats == 0)
            continue;
        /* Most terms of two or more tokens that start here fail on the
         * next token: it has no pattern at all, or none of theirs, which
         * a bit per pattern (q % 64) of each side mostly tells at once
         * (compile.c, second_mask); term_at() decides the rest. */
        uint64_t sig = 0;
        if (i + 1 < n && toks[i + 1].sentence == toks[i].sentence)
            for (uint32_t q = 0; q < toks[i + 1].npats; q++)
                sig |= (uint64_t)1 << (toks[i + 1].pats[q] % 64);
        for (uint32_t p = 0; p < toks[i].npats; p++) {
            uint32_t pat = toks[i].pats[p];
            if (pat >= m->npatterns)
                continue;
            int multi = (m->second_mask[pat] & sig) != 0;
            if (!multi && m->starting_multi[pat])
                continue;
            for (uint32_t k = soff[pat]; k < soff[pat + 1]; k++) {
                uint32_t ti = m->starting[k];
                const opine_term *term = &m->terms[ti];
                if ((term->npatterns > 1 && !multi) ||
                    !term_at(term, toks, n, i))
                    continue;
                if (opine__grow(&out->scratch, &out->scratch_cap, nmt + 1,
                                sizeof(match)))
                    return OPINE_ENOMEM;
                mt = out->scratch;
                mt[nmt++] = (match){.theme = term->theme,
                                    .start = (uint32_t)i,
                                    .k = term->npatterns,
                                    .term = ti};
            }
        }
    }
    if (nmt == 0)
        goto stances;
    qsort(mt, nmt, sizeof(match), cmp_match);
    /* Negators sort last (theme UINT32_MAX). */
    size_t nneg = 0;
    while (nneg < nmt && mt[nmt - 1 - nneg].theme == UINT32_MAX)
        nneg++;
    const match *negs = mt + nmt - nneg;
    if (nneg && opine__grow((void **)&out->negators, &out->negators_cap, nneg,
                            sizeof(match)))
        return OPINE_ENOMEM;
    if (nneg)
        memcpy(out->negators, negs, nneg * sizeof(match));
    out->nnegators = nneg;

    /* 2. Per theme: longest match first at each position, no overlaps;
     * accepted matches are compacted in place, mentions before cues. */
    for (size_t lo = 0, hi; lo < nmt - nneg; lo = hi) {
        uint32_t theme = mt[lo].theme;
        for (hi = lo; hi < nmt - nneg && mt[hi].theme == theme; hi++)
            ;
        size_t kept = lo;
        uint32_t end = 0;
        for (size_t i = lo; i < hi; i++) {
            if (kept > lo && mt[i].start < end)
                continue;
            end = mt[i].start + mt[i].k;
            mt[kept++] = mt[i];
        }
        /* Mentions to the front of [lo, kept), keeping text order. */
        size_t nm = 0;
        for (size_t i = lo; i < kept; i++) {
            if (opine_model_term(m, mt[i].term)->role == OPINE_ROLE_TARGET) {
                match x = mt[i];
                memmove(&mt[lo + nm + 1], &mt[lo + nm],
                        (i - lo - nm) * sizeof(match));
                mt[lo + nm++] = x;
            }
        }
        opine_theme_score *ts = &out->themes[theme];
        ts->mentions = (uint32_t)nm;
        if (nm == 0)
            continue;
        if (opine__grow((void **)&out->mentions, &out->mentions_cap,
                        out->nmentions + nm, sizeof(match)))
            return OPINE_ENOMEM;
        memcpy(out->mentions + out->nmentions, &mt[lo], nm * sizeof(match));
        out->nmentions += nm;
        for (size_t i = lo + nm; i < kept; i++) {
            const opine_term *term = opine_model_term(m, mt[i].term);
            if (!in_window(m, toks, &mt[i], &mt[lo], nm))
                continue;
            if (opine__grow((void **)&out->ev, &out->ev_cap, out->nev + 1,
                            sizeof(opine_evidence)))
                return OPINE_ENOMEM;
            int neg = negated(m, toks, &mt[i], negs, nneg);
            int pol = term->role == OPINE_ROLE_POSITIVE ? 1 : -1;
            const opine_score_token *last = &toks[mt[i].start + mt[i].k - 1];
            out->ev[out->nev++] = (opine_evidence){
                .theme = theme,
                .term = mt[i].term,
                .sentence = toks[mt[i].start].sentence,
                .start = toks[mt[i].start].start,
                .end = last->start + last->len,
                .polarity = neg ? -pol : pol,
                .negated = neg,
                .weight = term->weight,
                .tok = mt[i].start,
            };
            if ((neg ? -pol : pol) > 0)
                ts->positive += term->weight;
            else
                ts->negative += term->weight;
            ts->evidence++;
        }
    }

stances:;
    if (opine_model_is_linear(m)) {
        int rc = opine__score_linear(m, toks, n, out);
        if (rc)
            return rc;
    }
    double a = opine_model_prior(m), mass = opine_model_interval(m);
    for (size_t t = 0; t < nthemes; t++) {
        opine_theme_score *ts = &out->themes[t];
        ts->salience = n ? 1000.0 * ts->mentions / (double)n : 0.0;
        if (ts->mentions == 0 || opine_model_theme(m, t)->positive == NULL)
            continue;
        double P = ts->positive, N = ts->negative;
        if (opine_model_linear(m, t) == NULL)
            ts->label = P > N ? 1 : P < N ? -1 : 0;
        ts->has_stance = 1;
        ts->stance = (P - N) / (P + N + 2 * a);
        ts->lo = 2 * opine_beta_quantile((1 - mass) / 2, P + a, N + a) - 1;
        ts->hi = 2 * opine_beta_quantile((1 + mass) / 2, P + a, N + a) - 1;
    }
    return 0;
}

void opine_scores_release(opine_scores *s)
{
    if (s == NULL)
        return;
    free(s->themes);
    free(s->ev);
    free(s->scratch);
    free(s->mentions);
    free(s->negators);
    opine__score_linear_release(s->lin_scratch);
    memset(s, 0, sizeof(*s));
}

/* The continued fraction of the incomplete beta function (modified Lentz),
 * converging for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int i = 1; i <= 500; i++) {
        double num = i * (b - i) * x / ((a + 2 * i - 1) * (a + 2 * i));
        d = 1 + num * d;
        c = 1 + num / c;
        d = 1 / (fabs(d) < tiny ? tiny : d);
        c = fabs(c) < tiny ? tiny : c;
        h *= d * c;
        num = -(a + i) * (a + b + i) * x / ((a + 2 * i) * (a + 2 * i + 1));
        d = 1 + num * d;
        c = 1 + num / c;
        d = 1 / (fabs(d) < tiny ? tiny : d);
        c = fabs(c) < tiny ? tiny : c;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return h;
}

/* The regularized incomplete beta function I_x(a, b); lbeta is
 * lgamma(a + b) - lgamma(a) - lgamma(b), which does not depend on x. */
static double beta_cdf(double x, double a, double b, double lbeta)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double lb = lbeta + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2))
        return exp(lb) * beta_cf(a, b, x) / a;
    return 1 - exp(lb) * beta_cf(b, a, 1 - x) / b;
}

double opine_beta_quantile(double p, double a, double b)
{
    /* Newton's method on the CDF, kept inside a bracket [lo, hi] that
     * every evaluation narrows: a step that would leave the bracket, or
     * shrink slower than halving would, is a halving instead (Numerical
     * Recipes' rtsafe), so it ends however the CDF bends. Bisection alone
     * took 64 evaluations of the CDF, which came to matter once trained
     * themes made a and b fractional (the continued fraction then runs
     * long); this takes about 16. The two agree to a few units in the last
     * place (about 1e-15), as close as the CDF's own rounding pins the
     * root. */
    int sign;
    double lbeta =
        lgamma_r(a + b, &sign) - lgamma_r(a, &sign) - lgamma_r(b, &sign);
    double lo = 0, hi = 1, x = a / (a + b), dx = 1;
    for (int i = 0; i < 200; i++) {
        double f = beta_cdf(x, a, b, lbeta) - p;
        if (f < 0)
            lo = x;
        else
            hi = x;
        double pdf = exp(lbeta + (a - 1) * log(x) + (b - 1) * log1p(-x));
        double step = x - f / pdf, dxold = dx;
        if (!(step > lo && step < hi) || fabs(2 * f) > fabs(dxold * pdf)) {
            dx = (hi - lo) / 2;
            x = lo + dx;
        } else {
            dx = x - step;
            x = step;
        }
        if (fabs(dx) <= 2 * DBL_EPSILON * x || hi - lo <= 2 * DBL_EPSILON * hi)
            break;
    }
    return x;
}
