/* pipeline/scale.h — one-dimensional scaling of documents: Wordscores
 * (Laver, Benoit & Garry 2003) and Wordfish (Slapin & Proksch 2008), as
 * quanteda.textmodels computes them.
 *
 * Both take a document-feature matrix (pipeline/dfm.h) and fill a result
 * whose arrays the caller frees with the matching _release(). Neither
 * prints, touches the store or keeps state: any thread may run either on
 * its own result.
 *
 * WORDSCORES (textmodel_wordscores + predict.textmodel_wordscores).
 * Reference documents r have scores A_r. Each reference's counts are made
 * proportions F_wr (after adding `smooth` to every count of the reference
 * rows), P_wr = F_wr / sum_r F_wr, and a feature's score S_w = sum_r P_wr
 * A_r; a feature absent from every reference has no score. Every document
 * v (references too) is scored on its scorable features only:
 * raw_v = sum_w F_wv S_w, with F_wv its proportions among those features,
 * and se_v = sqrt(sum_w F_wv (raw_v - S_w)^2) / sqrt(N_v), N_v its count
 * of scorable tokens. LBG rescaling (over all scored documents, as
 * quanteda does; LBG 2003 used the virgin texts alone):
 * pos = (raw - mean(raw)) * sd(A) / sd(raw) + mean(raw), sd with n - 1;
 * MV (Martin & Vanberg 2007): the lowest- and highest-scored references
 * are mapped to their scores. The interval is raw -/+ z se, rescaled the
 * same way, z = qnorm(1 - (1 - level) / 2); the standard error given is
 * the rescaled one, (hi - lo) / 2z. (quanteda's predict() returns for
 * rescaling = "lbg" an se.fit of (se - mean(raw)) * mult + mean(raw),
 * a position transform applied to a standard error, which is not the
 * width of its own interval; opine gives the interval's.)
 *
 * WORDFISH (textmodel_wordfish, dense Poisson form). The model
 * y_ij ~ Poisson(exp(alpha_i + psi_j + beta_j theta_i)) is fitted by
 * alternating Newton steps: for each feature (psi_j, beta_j) given the
 * documents, then for each document (alpha_i, theta_i) given the
 * features, with normal priors of precision 1/sd^2 (default sd: alpha and
 * psi infinite, beta 3, theta 1), then alpha is centred and theta
 * standardised (sd with n - 1). Start: theta from the first left singular
 * vector of the chi-square residuals (y - e) / sqrt(e), e = r_i c_j / T,
 * scaled by (r_i / T)^-1/2 and standardised; beta 0, alpha = log r_i -
 * log mean r, psi = log(c_j / N). Each inner Newton loop runs until no
 * parameter moves more than tol[1] (at most 10 steps; the very first step
 * of each in the first sweep is halved); sweeps stop when the
 * log-posterior rises by no more than tol[0], or after 100. Then the sign
 * is fixed so that theta[dir[0]] < theta[dir[1]], and se(theta_i) comes
 * from the inverse of document i's 2x2 Hessian in (alpha_i, theta_i).
 */
#ifndef OPINE_PIPELINE_SCALE_H
#define OPINE_PIPELINE_SCALE_H

#include <math.h>
#include <stddef.h>

#include "pipeline/dfm.h"

typedef enum opine_rescale {
    OPINE_RESCALE_NONE = 0,
    OPINE_RESCALE_LBG = 1,
    OPINE_RESCALE_MV = 2,
} opine_rescale;

typedef struct opine_wordscores_opts {
    double smooth;         /* added to every reference count (0) */
    opine_rescale rescale; /* OPINE_RESCALE_LBG */
    double level;          /* of the interval (0.95) */
} opine_wordscores_opts;

#define OPINE_WORDSCORES_OPTS_INIT                                             \
    {                                                                          \
        0, OPINE_RESCALE_LBG, 0.95                                             \
    }

typedef struct opine_wordscores_fit {
    double *wordscore;          /* per feature; NAN when unscored */
    double *raw, *raw_se;       /* per document; NAN without scorable words */
    double *pos, *se, *lo, *hi; /* rescaled */
    size_t scored_features;
} opine_wordscores_fit;

/* Fit on the documents whose ref[i] is not NAN (at least two, with at
 * least two different scores for LBG or MV) and score every document of
 * m. Returns 0, OPINE_EUSAGE (fewer than two references, or no scorable
 * feature) or OPINE_ENOMEM; *out is filled only on success. */
int opine_wordscores(const opine_dfm *m, const double *ref,
                     const opine_wordscores_opts *o, opine_wordscores_fit *out);
void opine_wordscores_release(opine_wordscores_fit *f);

typedef struct opine_wordfish_opts {
    size_t dir[2];      /* rows: theta[dir[0]] < theta[dir[1]] ({0, 1}) */
    double prior_sd[4]; /* alpha, psi, beta, theta (INF, INF, 3, 1) */
    double tol[2];      /* log-posterior, parameters (1e-6, 1e-8) */
    int max_sweeps;     /* 100, as quanteda */
    double level;       /* of the interval (0.95) */
} opine_wordfish_opts;

#define OPINE_WORDFISH_OPTS_INIT                                               \
    {                                                                          \
        {0, 1}, {INFINITY, INFINITY, 3, 1}, {1e-6, 1e-8}, 100, 0.95            \
    }

typedef struct opine_wordfish_fit {
    double *theta, *alpha, *se_theta, *lo, *hi; /* per document */
    double *beta, *psi;                         /* per feature */
    double log_posterior;
    int sweeps;    /* outer iterations run */
    int converged; /* stopped on tol[0] rather than max_sweeps */
} opine_wordfish_fit;

/* Fit Wordfish to m (at least 2 documents and 2 features, dir[] distinct
 * rows of m). 0, OPINE_EUSAGE or OPINE_ENOMEM. */
int opine_wordfish(const opine_dfm *m, const opine_wordfish_opts *o,
                   opine_wordfish_fit *out);
void opine_wordfish_release(opine_wordfish_fit *f);

/* The standard normal quantile: qnorm(p) for 0 < p < 1 (Acklam's rational
 * approximation refined by one Halley step: relative error below 1e-15). */
double opine_qnorm(double p);

#endif
