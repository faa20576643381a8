/* pipeline/scale.c — Wordscores and Wordfish on a document-feature matrix.
 *
 * The formulas are in pipeline/scale.h. HOW IT WORKS, for Wordfish: the
 * counts are sparse but the model's expected counts are not, so every
 * sum over a document's or a feature's counts is split in two: the part
 * that multiplies y (over the stored counts only) and the part over
 * lambda (over every cell, computed on the fly and never stored). A sweep
 * thus costs O(nnz + inner steps x N x K) time and O(N + K) memory beyond
 * the matrix. Each Newton step is on two parameters, so its 2x2 system
 * is solved in closed form, as quanteda does; no linear algebra library
 * is needed. The one larger computation, the start's first singular
 * vector of the N x K residual matrix, is found by power iteration on
 * C C^T, applying C as "sparse counts minus a rank-one term" so the dense
 * residual matrix is never formed (quanteda's dense code calls LAPACK's
 * SVD on it; the vector is the same up to sign, which the direction
 * constraint fixes at the end).
 */
#include "pipeline/scale.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

/* ---- shared helpers ---------------------------------------------------- */

static double mean_of(const double *x, size_t n)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            s += x[i];
            k++;
        }
    return k ? s / (double)k : NAN;
}

/* Sample standard deviation (n - 1), NANs left out, as R's sd(na.rm). */
static double sd_of(const double *x, size_t n)
{
    double m = mean_of(x, n), s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            s += (x[i] - m) * (x[i] - m);
            k++;
        }
    return k > 1 ? sqrt(s / (double)(k - 1)) : NAN;
}

double opine_qnorm(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    if (!(p > 0 && p < 1))
        return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
    double x, q, r;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
             c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - 0.02425) {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r +
             a[5]) *
            q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
              c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    /* One Halley step on the normal CDF takes the 1e-9 approximation to
     * double precision. */
    double e = 0.5 * erfc(-x / sqrt(2)) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* ---- Wordscores -------------------------------------------------------- */

void opine_wordscores_release(opine_wordscores_fit *f)
{
    if (f == NULL)
        return;
    free(f->wordscore);
    free(f->raw);
    free(f->raw_se);
    free(f->pos);
    free(f->se);
    free(f->lo);
    free(f->hi);
    memset(f, 0, sizeof *f);
}

int opine_wordscores(const opine_dfm *m, const double *ref,
                     const opine_wordscores_opts *o, opine_wordscores_fit *out)
{
    size_t nd = m->ndocs, nf = m->nfeat, nref = 0;
    for (size_t i = 0; i < nd; i++)
        nref += !isnan(ref[i]);
    if (nref < 2)
        return OPINE_EUSAGE;
    opine_wordscores_fit f = {0};
    f.wordscore = calloc(nf + 1, sizeof(double));
    f.raw = calloc(nd + 1, sizeof(double));
    f.raw_se = calloc(nd + 1, sizeof(double));
    f.pos = calloc(nd + 1, sizeof(double));
    f.se = calloc(nd + 1, sizeof(double));
    f.lo = calloc(nd + 1, sizeof(double));
    f.hi = calloc(nd + 1, sizeof(double));
    double *psum = calloc(nf + 1, sizeof(double)); /* sum_r F_wr */
    double *pa = calloc(nf + 1, sizeof(double));   /* sum_r F_wr A_r */
    if (!f.wordscore || !f.raw || !f.raw_se || !f.pos || !f.se || !f.lo ||
        !f.hi || !psum || !pa) {
        free(psum);
        free(pa);
        opine_wordscores_release(&f);
        return OPINE_ENOMEM;
    }
    /* F_wr = (y_rw + s) / (n_r + s K): the smoothing reaches every
     * feature, counted in the reference or not, as dfm_smooth() does. */
    double s = o->smooth;
    for (size_t r = 0; r < nd; r++) {
        if (isnan(ref[r]))
            continue;
        double total = m->row_sum[r] + s * (double)nf;
        if (total <= 0)
            continue;
        if (s != 0)
            for (size_t w = 0; w < nf; w++) {
                psum[w] += s / total;
                pa[w] += s / total * ref[r];
            }
        for (size_t k = m->row_start[r]; k < m->row_start[r + 1]; k++) {
            psum[m->col[k]] += m->val[k] / total;
            pa[m->col[k]] += m->val[k] / total * ref[r];
        }
    }
    for (size_t w = 0; w < nf; w++) {
        f.wordscore[w] = psum[w] > 0 ? pa[w] / psum[w] : NAN;
        f.scored_features += psum[w] > 0;
    }
    free(psum);
    free(pa);
    if (f.scored_features == 0) {
        opine_wordscores_release(&f);
        return OPINE_EUSAGE;
    }
    /* Raw scores and their standard errors, on scorable features only. */
    for (size_t v = 0; v < nd; v++) {
        double n = 0, sum = 0;
        for (size_t k = m->row_start[v]; k < m->row_start[v + 1]; k++)
            if (!isnan(f.wordscore[m->col[k]])) {
                n += m->val[k];
                sum += m->val[k] * f.wordscore[m->col[k]];
            }
        if (n == 0) {
            f.raw[v] = f.raw_se[v] = NAN;
            continue;
        }
        double raw = sum / n, ss = 0;
        for (size_t k = m->row_start[v]; k < m->row_start[v + 1]; k++) {
            double sw = f.wordscore[m->col[k]];
            if (!isnan(sw))
                ss += m->val[k] / n * (raw - sw) * (raw - sw);
        }
        f.raw[v] = raw;
        f.raw_se[v] = sqrt(ss) / sqrt(n);
    }
    /* Rescaling: pos = (raw - shift) * mult + to. */
    double z = opine_qnorm(1 - (1 - o->level) / 2);
    double mult = 1, shift = 0, to = 0;
    if (o->rescale == OPINE_RESCALE_LBG) {
        double *a = malloc(nd * sizeof(double));
        if (a == NULL) {
            opine_wordscores_release(&f);
            return OPINE_ENOMEM;
        }
        size_t na = 0;
        for (size_t i = 0; i < nd; i++)
            if (!isnan(ref[i]))
                a[na++] = ref[i];
        double sdr = sd_of(a, na);
        free(a);
        shift = to = mean_of(f.raw, nd);
        double sdv = sd_of(f.raw, nd);
        mult = sdr == 0 || !(sdv > 0) ? 0 : sdr / sdv;
    } else if (o->rescale == OPINE_RESCALE_MV) {
        size_t lo = nd, hi = nd;
        for (size_t i = 0; i < nd; i++) {
            if (isnan(ref[i]))
                continue;
            if (lo == nd || ref[i] < ref[lo])
                lo = i;
            if (hi == nd || ref[i] > ref[hi])
                hi = i;
        }
        double span = f.raw[hi] - f.raw[lo];
        mult = span != 0 && !isnan(span) ? (ref[hi] - ref[lo]) / span : 0;
        shift = f.raw[lo];
        to = ref[lo];
    }
    for (size_t v = 0; v < nd; v++) {
        double r = f.raw[v], e = f.raw_se[v];
        if (o->rescale == OPINE_RESCALE_NONE || mult == 0) {
            /* quanteda leaves the interval unscaled when LBG's
             * multiplier is 0 (all reference scores equal) */
            f.pos[v] =
                o->rescale == OPINE_RESCALE_NONE ? r : (r - shift) * mult + to;
            f.se[v] = e;
            f.lo[v] = r - z * e;
            f.hi[v] = r + z * e;
        } else {
            f.pos[v] = (r - shift) * mult + to;
            f.se[v] = e * fabs(mult);
            f.lo[v] = (r - z * e - shift) * mult + to;
            f.hi[v] = (r + z * e - shift) * mult + to;
        }
    }
    *out = f;
    return 0;
}

/* ---- Wordfish ---------------------------------------------------------- */

void opine_wordfish_release(opine_wordfish_fit *f)
{
    if (f == NULL)
        return;
    free(f->theta);
    free(f->alpha);
    free(f->se_theta);
    free(f->lo);
    free(f->hi);
    free(f->beta);
    free(f->psi);
    memset(f, 0, sizeof *f);
}

/* u <- C C^T u for the chi-square residuals C = (Y - e) / sqrt(e), with
 * sqrt(e_ij) = a_i b_j, a_i = sqrt(r_i / T), b_j = sqrt(c_j):
 *   (C^T u)_j = (1 / b_j) sum_i y_ij u_i / a_i - b_j sum_i a_i u_i
 *   (C v)_i   = (1 / a_i) sum_j y_ij v_j / b_j - a_i sum_j b_j v_j */
static void residual_step(const opine_dfm *m, const double *a, const double *b,
                          double *u, double *v)
{
    size_t nd = m->ndocs, nf = m->nfeat;
    double au = 0, bv = 0;
    for (size_t i = 0; i < nd; i++)
        au += a[i] * u[i];
    for (size_t j = 0; j < nf; j++) {
        double s = 0;
        for (size_t k = m->col_start[j]; k < m->col_start[j + 1]; k++)
            s += m->cval[k] * u[m->row[k]] / a[m->row[k]];
        v[j] = s / b[j] - b[j] * au;
        bv += b[j] * v[j];
    }
    for (size_t i = 0; i < nd; i++) {
        double s = 0;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++)
            s += m->val[k] * v[m->col[k]] / b[m->col[k]];
        u[i] = s / a[i] - a[i] * bv;
    }
}

static double norm_to_unit(double *u, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += u[i] * u[i];
    s = sqrt(s);
    if (s > 0)
        for (size_t i = 0; i < n; i++)
            u[i] /= s;
    return s;
}

/* The first left singular vector of C into u (unit length). */
static int first_singular_vector(const opine_dfm *m, double *u)
{
    size_t nd = m->ndocs, nf = m->nfeat;
    double T = 0;
    for (size_t i = 0; i < nd; i++)
        T += m->row_sum[i];
    double *a = malloc(nd * sizeof(double)), *b = malloc(nf * sizeof(double));
    double *v = malloc(nf * sizeof(double)),
           *prev = malloc(nd * sizeof(double));
    if (!a || !b || !v || !prev) {
        free(a);
        free(b);
        free(v);
        free(prev);
        return OPINE_ENOMEM;
    }
    for (size_t i = 0; i < nd; i++)
        a[i] = sqrt(m->row_sum[i] / T);
    for (size_t j = 0; j < nf; j++)
        b[j] = sqrt(m->col_sum[j]);
    /* A fixed start with no special structure: never orthogonal to the
     * leading vector in practice, and the same on every run. */
    for (size_t i = 0; i < nd; i++)
        u[i] = cos(1.3 * (double)i + 0.7);
    norm_to_unit(u, nd);
    for (int it = 0; it < 10000; it++) {
        memcpy(prev, u, nd * sizeof(double));
        residual_step(m, a, b, u, v);
        if (norm_to_unit(u, nd) == 0)
            break;
        double diff = 0;
        for (size_t i = 0; i < nd; i++)
            diff = fmax(diff, fabs(u[i] - prev[i]));
        if (diff < 1e-13)
            break;
    }
    free(a);
    free(b);
    free(v);
    free(prev);
    return 0;
}

static void standardise(double *x, size_t n)
{
    double mu = mean_of(x, n), sd = sd_of(x, n);
    for (size_t i = 0; i < n; i++)
        x[i] = (x[i] - mu) / sd;
}

typedef struct wf_state {
    const opine_dfm *m;
    double *alpha, *theta, *psi, *beta;
    double pa, pp, pb, pt; /* prior precisions */
} wf_state;

static double log_posterior(const wf_state *s)
{
    const opine_dfm *m = s->m;
    double lp = 0;
    for (size_t i = 0; i < m->ndocs; i++)
        lp -= 0.5 * (s->alpha[i] * s->alpha[i] * s->pa +
                     s->theta[i] * s->theta[i] * s->pt);
    for (size_t j = 0; j < m->nfeat; j++)
        lp -= 0.5 *
              (s->psi[j] * s->psi[j] * s->pp + s->beta[j] * s->beta[j] * s->pb);
    for (size_t i = 0; i < m->ndocs; i++) {
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) {
            size_t j = m->col[k];
            lp += m->val[k] *
                  (s->alpha[i] + s->psi[j] + s->beta[j] * s->theta[i]);
        }
        for (size_t j = 0; j < m->nfeat; j++)
            lp -= exp(s->alpha[i] + s->psi[j] + s->beta[j] * s->theta[i]);
    }
    return lp;
}

/* One Newton step on (p0, p1) from gradient g and Hessian h; returns the
 * larger absolute change. */
static double newton2(double *p0, double *p1, const double g[2],
                      const double h[3], double step)
{
    double det = h[0] * h[2] - h[1] * h[1];
    double n0 = *p0 - step * (h[2] * g[0] - h[1] * g[1]) / det;
    double n1 = *p1 - step * (h[0] * g[1] - h[1] * g[0]) / det;
    double cc = fmax(fabs(n0 - *p0), fabs(n1 - *p1));
    *p0 = n0;
    *p1 = n1;
    return cc;
}

static void update_features(wf_state *s, int first_sweep, const double *tol)
{
    const opine_dfm *m = s->m;
    for (size_t j = 0; j < m->nfeat; j++) {
        double step = first_sweep ? 0.5 : 1.0, cc = 1;
        /* the y parts of the gradient: sum_i y_ij and sum_i theta_i y_ij */
        double sy = m->col_sum[j], sty = 0;
        for (size_t k = m->col_start[j]; k < m->col_start[j + 1]; k++)
            sty += m->cval[k] * s->theta[m->row[k]];
        for (int inner = 0; cc > tol[1] && inner < 10; inner++) {
            double sl = 0, stl = 0, sttl = 0;
            for (size_t i = 0; i < m->ndocs; i++) {
                double l =
                    exp(s->alpha[i] + s->psi[j] + s->beta[j] * s->theta[i]);
                sl += l;
                stl += s->theta[i] * l;
                sttl += s->theta[i] * s->theta[i] * l;
            }
            double g[2] = {sy - sl - s->psi[j] * s->pp,
                           sty - stl - s->beta[j] * s->pb};
            double h[3] = {-sl - s->pp, -stl, -sttl - s->pb};
            cc = newton2(&s->psi[j], &s->beta[j], g, h, step);
            step = 1.0;
        }
    }
}

static void update_documents(wf_state *s, int first_sweep, const double *tol)
{
    const opine_dfm *m = s->m;
    for (size_t i = 0; i < m->ndocs; i++) {
        double step = first_sweep ? 0.5 : 1.0, cc = 1;
        double sy = m->row_sum[i], sby = 0;
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++)
            sby += m->val[k] * s->beta[m->col[k]];
        for (int inner = 0; cc > tol[1] && inner < 10; inner++) {
            double sl = 0, sbl = 0, sbbl = 0;
            for (size_t j = 0; j < m->nfeat; j++) {
                double l =
                    exp(s->alpha[i] + s->psi[j] + s->beta[j] * s->theta[i]);
                sl += l;
                sbl += s->beta[j] * l;
                sbbl += s->beta[j] * s->beta[j] * l;
            }
            double g[2] = {sy - sl - s->alpha[i] * s->pa,
                           sby - sbl - s->theta[i] * s->pt};
            double h[3] = {-sl - s->pa, -sbl, -sbbl - s->pt};
            cc = newton2(&s->alpha[i], &s->theta[i], g, h, step);
            step = 1.0;
        }
    }
}

int opine_wordfish(const opine_dfm *m, const opine_wordfish_opts *o,
                   opine_wordfish_fit *out)
{
    size_t nd = m->ndocs, nf = m->nfeat;
    if (nd < 2 || nf < 2 || o->dir[0] >= nd || o->dir[1] >= nd ||
        o->dir[0] == o->dir[1])
        return OPINE_EUSAGE;
    for (size_t i = 0; i < nd; i++)
        if (!(m->row_sum[i] > 0))
            return OPINE_EUSAGE;
    opine_wordfish_fit f = {0};
    f.theta = calloc(nd, sizeof(double));
    f.alpha = calloc(nd, sizeof(double));
    f.se_theta = calloc(nd, sizeof(double));
    f.lo = calloc(nd, sizeof(double));
    f.hi = calloc(nd, sizeof(double));
    f.beta = calloc(nf, sizeof(double));
    f.psi = calloc(nf, sizeof(double));
    if (!f.theta || !f.alpha || !f.se_theta || !f.lo || !f.hi || !f.beta ||
        !f.psi || first_singular_vector(m, f.theta) != 0) {
        opine_wordfish_release(&f);
        return OPINE_ENOMEM;
    }
    double T = 0, mean_r = 0;
    for (size_t i = 0; i < nd; i++)
        T += m->row_sum[i];
    mean_r = T / (double)nd;
    for (size_t i = 0; i < nd; i++) {
        f.theta[i] *= pow(m->row_sum[i] / T, -0.5);
        f.alpha[i] = log(m->row_sum[i]) - log(mean_r);
    }
    standardise(f.theta, nd);
    for (size_t j = 0; j < nf; j++) {
        f.beta[j] = 0;
        f.psi[j] = log(m->col_sum[j] / (double)nd);
    }
    wf_state s = {m, f.alpha, f.theta, f.psi, f.beta, 0, 0, 0, 0};
    double *prec[4] = {&s.pa, &s.pp, &s.pb, &s.pt};
    for (int k = 0; k < 4; k++)
        *prec[k] = 1 / (o->prior_sd[k] * o->prior_sd[k]);
    double lastlp = -2e12, lp = log_posterior(&s);
    int sweeps = 0;
    while (lp - lastlp > o->tol[0] && sweeps < o->max_sweeps) {
        sweeps++;
        update_features(&s, sweeps == 1, o->tol);
        update_documents(&s, sweeps == 1, o->tol);
        double ma = mean_of(f.alpha, nd);
        for (size_t i = 0; i < nd; i++)
            f.alpha[i] -= ma;
        standardise(f.theta, nd);
        lastlp = lp;
        lp = log_posterior(&s);
    }
    f.sweeps = sweeps;
    f.converged = !(lp - lastlp > o->tol[0]);
    f.log_posterior = lp;
    if (f.theta[o->dir[0]] > f.theta[o->dir[1]]) {
        for (size_t i = 0; i < nd; i++)
            f.theta[i] = -f.theta[i];
        for (size_t j = 0; j < nf; j++)
            f.beta[j] = -f.beta[j];
    }
    double z = opine_qnorm(1 - (1 - o->level) / 2);
    for (size_t i = 0; i < nd; i++) {
        double sl = 0, sbl = 0, sbbl = 0;
        for (size_t j = 0; j < nf; j++) {
            double l = exp(f.alpha[i] + f.psi[j] + f.beta[j] * f.theta[i]);
            sl += l;
            sbl += f.beta[j] * l;
            sbbl += f.beta[j] * f.beta[j] * l;
        }
        double h00 = -sl - s.pa, h10 = -sbl, h11 = -sbbl - s.pt;
        f.se_theta[i] = sqrt(-h00 / (h00 * h11 - h10 * h10));
        f.lo[i] = f.theta[i] - z * f.se_theta[i];
        f.hi[i] = f.theta[i] + z * f.se_theta[i];
    }
    for (size_t i = 0; i < nd; i++)
        if (!isfinite(f.theta[i])) {
            opine_wordfish_release(&f);
            return OPINE_EUSAGE; /* did not converge to finite values */
        }
    *out = f;
    return 0;
}
