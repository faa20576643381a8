/* tests/test_scale.c — Wordscores and Wordfish (pipeline/scale.c) against
 * the figures quanteda.textmodels publishes for Laver, Benoit & Garry's
 * (2003) Table 1 example, against sums worked out by hand, and Wordfish
 * recovering positions simulated from its own model. No ../shared
 * needed: Table 1 is a formula (below), the simulation a fixed generator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "pipeline/dfm.h"
#include "pipeline/scale.h"

#define NEAR(a, b, eps)                                                        \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!(fabs(a_ - b_) <= (eps)))                                         \
            fail_msg("%s = %.10g, expected %.10g (+/- %g)", #a, a_, b_,        \
                     (double)(eps));                                           \
    } while (0)

/* LBG (2003) Table 1, quanteda.textmodels' data_dfm_lbgexample: 37
 * features A..ZK; R1..R5 and V1 each 1000 words in the same 17 counts,
 * R_k starting at feature 5(k - 1), V1 at feature 7 (as printed, with
 * every count, by austin's data(lbg)). */
enum { LBG_DOCS = 6, LBG_FEAT = 37 };
static const double lbg_shape[17] = {2,   3,   10, 22, 45, 78, 115, 146, 158,
                                     146, 115, 78, 45, 22, 10, 3,   2};
static void lbg_matrix(opine_dfm *m)
{
    static double y[LBG_DOCS * LBG_FEAT];
    static const int start[LBG_DOCS] = {0, 5, 10, 15, 20, 7};
    for (int d = 0; d < LBG_DOCS; d++)
        for (int k = 0; k < 17; k++)
            y[d * LBG_FEAT + start[d] + k] = lbg_shape[k];
    assert_int_equal(opine_dfm_from_dense(m, y, LBG_DOCS, LBG_FEAT), 0);
    assert_int_equal(m->nnz, 6 * 17);
    for (int d = 0; d < LBG_DOCS; d++)
        NEAR(m->row_sum[d], 1000, 0);
}

static const double lbg_ref[LBG_DOCS] = {-1.5, -0.75, 0, 0.75, 1.5, NAN};

/* 1: textmodel_wordscores(data_dfm_lbgexample, y = c(seq(-1.5, 1.5, .75),
 * NA)), as printed on quanteda.textmodels' reference page
 * (docs/reference/textmodel_wordscores.html, commit 639f6b8): the word
 * scores, predict(tmod), predict(tmod, rescaling = "lbg") and the se.fit
 * and interval of predict(..., rescaling = "mv"). */
static void test01_wordscores_lbg_published(void **state)
{
    (void)state;
    opine_dfm m;
    lbg_matrix(&m);
    opine_wordscores_fit f;
    opine_wordscores_opts o = OPINE_WORDSCORES_OPTS_INIT;
    o.rescale = OPINE_RESCALE_NONE;
    assert_int_equal(opine_wordscores(&m, lbg_ref, &o, &f), 0);
    assert_int_equal(f.scored_features, 37);
    static const double sw[] = {-1.5000000, -1.5000000, -1.5000000, -1.5000000,
                                -1.5000000, -1.4812500, -1.4809322, -1.4519231,
                                -1.4083333, -1.3232984, -1.1846154, -1.0369898,
                                -0.8805970, -0.7500000, -0.6194030, -0.4507576,
                                -0.2992424, -0.1305970, 0};
    for (int w = 0; w < 19; w++) {
        NEAR(f.wordscore[w], sw[w], 5e-8);
        NEAR(f.wordscore[36 - w], -sw[w], 5e-8); /* the scale is symmetric */
    }
    static const double raw[] = {-1.317931,    -7.395598e-01, 0,
                                 7.395598e-01, 1.317931,      -4.480591e-01};
    for (int d = 0; d < LBG_DOCS; d++)
        NEAR(f.raw[d], raw[d], 5e-7);
    /* LBG (2003) print V1's standard error as 0.0119 (austin: 0.0119) */
    NEAR(f.raw_se[5], 0.0119, 5e-5);
    opine_wordscores_release(&f);

    o.rescale = OPINE_RESCALE_LBG;
    assert_int_equal(opine_wordscores(&m, lbg_ref, &o, &f), 0);
    static const double lbg[] = {-1.58967683, -0.88488724, 0.01632248,
                                 0.91753220,  1.62232179,  -0.52967149};
    for (int d = 0; d < LBG_DOCS; d++)
        NEAR(f.pos[d], lbg[d], 5e-9);
    /* the interval is raw -/+ 1.96 se, rescaled: its half width is the
     * rescaled standard error */
    for (int d = 0; d < LBG_DOCS; d++)
        NEAR((f.hi[d] - f.lo[d]) / 2, 1.959963984540054 * f.se[d], 1e-12);
    opine_wordscores_release(&f);

    o.rescale = OPINE_RESCALE_MV;
    assert_int_equal(opine_wordscores(&m, lbg_ref, &o, &f), 0);
    static const double mv[] = {-1.5,      -0.8417280, 0,
                                0.8417280, 1.5,        -0.5099572};
    static const double mv_se[] = {0.007625147, 0.013013126, 0.013663743,
                                   0.013013126, 0.007625147, 0.013541297};
    for (int d = 0; d < LBG_DOCS; d++) {
        NEAR(f.pos[d], mv[d], 5e-8);
        NEAR(f.se[d], mv_se[d], 5e-10);
    }
    NEAR(f.lo[5], -0.53649769, 5e-9);
    NEAR(f.hi[5], -0.48341678, 5e-9);
    NEAR(f.lo[2], -0.02678045, 5e-9);
    opine_wordscores_release(&f);
    opine_dfm_release(&m);
}

/* 2: textmodel_wordfish(data_dfm_lbgexample, dir = c(1, 5)), as printed
 * on quanteda.textmodels' reference page
 * (docs/reference/textmodel_wordfish.html, commit a3e8e97): coef() and
 * predict(se.fit = TRUE), to every digit printed. */
static void test02_wordfish_lbg_published(void **state)
{
    (void)state;
    opine_dfm m;
    lbg_matrix(&m);
    opine_wordfish_opts o = OPINE_WORDFISH_OPTS_INIT;
    o.dir[0] = 0;
    o.dir[1] = 4;
    opine_wordfish_fit f;
    assert_int_equal(opine_wordfish(&m, &o, &f), 0);
    static const double theta[] = {-1.29056981, -0.61643907, 0.03350982,
                                   0.70961244,  1.52333687,  -0.35945025};
    static const double alpha[] = {-4.558205, 1.303010,  3.307253,
                                   1.688789,  -4.270413, 2.529567};
    static const double se[] = {0.01448422, 0.01059613, 0.01085375,
                                0.01214106, 0.01744178, 0.01070073};
    /* predict(tmod1, interval = "confidence")'s lwr */
    static const double lwr[] = {-1.31895837, -0.63720710, 0.01223686,
                                 0.68581641,  1.48915160,  -0.38042330};
    static const double beta[] = {-8.4452617, -9.3002556, -11.2580501,
                                  -12.3643578};
    static const double psi[] = {-6.6414630, -6.9890837, -7.8685425,
                                 -8.4041920};
    assert_true(f.converged);
    for (int d = 0; d < LBG_DOCS; d++) {
        NEAR(f.theta[d], theta[d], 5e-9);
        NEAR(f.se_theta[d], se[d], 5e-9);
        NEAR(f.alpha[d], alpha[d], 5e-7);
        NEAR(f.lo[d], lwr[d], 5e-9);
    }
    for (int j = 0; j < 4; j++) {
        NEAR(f.beta[j], beta[j], 5e-8);
        NEAR(f.psi[j], psi[j], 5e-8);
    }
    opine_wordfish_release(&f);
    opine_dfm_release(&m);
}

static void test03_qnorm(void **state)
{
    (void)state;
    NEAR(opine_qnorm(0.975), 1.959963984540054, 1e-14);
    NEAR(opine_qnorm(0.5), 0, 1e-15);
    NEAR(opine_qnorm(0.95), 1.644853626951472, 1e-14);
    NEAR(opine_qnorm(0.005), -2.575829303548901, 1e-13);
    NEAR(opine_qnorm(1e-10), -6.361340902404056, 1e-10);
}

/* 4: by hand. R1 (-1) counts (3, 1, 0), R2 (+1) (1, 3, 0), V (2, 2, 5).
 * Proportions 3/4, 1/4 and 1/4, 3/4, so S_1 = -3/4 + 1/4 = -1/2, S_2 =
 * +1/2, and feature 3, in no reference, has no score. V is scored on its
 * 4 scorable tokens: raw 0, se sqrt(1/2 1/4 + 1/2 1/4) / 2 = 1/4; R1:
 * raw -1/4, se sqrt(3/4 (1/4)^2 + 1/4 (3/4)^2) / 2 = sqrt(3) / 8. LBG:
 * sd(-1, 1) = sqrt 2, sd(raw) = 1/4, so the multiplier is 4 sqrt 2. */
static void test04_wordscores_by_hand(void **state)
{
    (void)state;
    static const double y[] = {3, 1, 0, 1, 3, 0, 2, 2, 5};
    static const double ref[] = {-1, 1, NAN};
    opine_dfm m;
    assert_int_equal(opine_dfm_from_dense(&m, y, 3, 3), 0);
    opine_wordscores_opts o = OPINE_WORDSCORES_OPTS_INIT;
    opine_wordscores_fit f;
    assert_int_equal(opine_wordscores(&m, ref, &o, &f), 0);
    assert_int_equal(f.scored_features, 2);
    NEAR(f.wordscore[0], -0.5, 1e-15);
    NEAR(f.wordscore[1], 0.5, 1e-15);
    assert_true(isnan(f.wordscore[2]));
    NEAR(f.raw[2], 0, 1e-15);
    NEAR(f.raw_se[2], 0.25, 1e-15);
    NEAR(f.raw[0], -0.25, 1e-15);
    NEAR(f.raw_se[0], sqrt(3) / 8, 1e-15);
    NEAR(f.pos[0], -sqrt(2), 1e-14);
    NEAR(f.pos[1], sqrt(2), 1e-14);
    NEAR(f.pos[2], 0, 1e-14);
    NEAR(f.se[2], 0.25 * 4 * sqrt(2), 1e-14);
    NEAR(f.hi[2], 1.959963984540054 * sqrt(2), 1e-12);
    opine_wordscores_release(&f);
    /* smooth 1 reaches feature 3 too: R1 (4, 2, 1) / 7, R2 (2, 4, 1) / 7,
     * so S = (-1/3, 1/3, 0) */
    o.smooth = 1;
    assert_int_equal(opine_wordscores(&m, ref, &o, &f), 0);
    assert_int_equal(f.scored_features, 3);
    NEAR(f.wordscore[0], -1.0 / 3, 1e-15);
    NEAR(f.wordscore[2], 0, 1e-15);
    opine_wordscores_release(&f);
    /* one reference is not enough */
    static const double one[] = {-1, NAN, NAN};
    assert_int_equal(opine_wordscores(&m, one, &o, &f), OPINE_EUSAGE);
    opine_wordfish_opts w = OPINE_WORDFISH_OPTS_INIT;
    w.dir[1] = 0;
    opine_wordfish_fit wf;
    assert_int_equal(opine_wordfish(&m, &w, &wf), OPINE_EUSAGE);
    w.dir[1] = 3;
    assert_int_equal(opine_wordfish(&m, &w, &wf), OPINE_EUSAGE);
    opine_dfm_release(&m);
}

/* A fixed generator (splitmix64), so the simulation is the same on every
 * machine and run. */
static uint64_t rng = 0x5ca1ab1e2024ULL;
static double uniform(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(void)
{
    return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}
static double poisson(double lambda)
{
    /* inversion by sequential search: exact, fine for the means here */
    double u = uniform(), p = exp(-lambda), c = p;
    int k = 0;
    while (u > c && k < 100000) {
        p *= lambda / ++k;
        c += p;
    }
    return k;
}

static double correlation(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i] / (double)n;
        my += y[i] / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

/* 5: Wordfish recovers positions simulated from its own model: 40
 * documents, 400 features, theta ~ N(0, 1), alpha ~ N(0, 0.3^2), psi ~
 * N(0, 1), beta ~ N(0, 0.5^2), y ~ Poisson(exp(alpha + psi + beta theta)).
 * The estimates must correlate with the truth at 0.95 or more, with the
 * direction given, and the truth must lie within the 95% intervals of
 * at least 80% of documents once put on the estimates' scale. */
static void test05_wordfish_recovers_simulation(void **state)
{
    (void)state;
    enum { N = 40, K = 400 };
    static double y[N * K];
    double theta[N], alpha[N], psi[K], beta[K];
    for (int i = 0; i < N; i++) {
        theta[i] = normal();
        alpha[i] = 0.3 * normal();
    }
    for (int j = 0; j < K; j++) {
        psi[j] = normal();
        beta[j] = 0.5 * normal();
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < K; j++)
            y[i * K + j] = poisson(exp(alpha[i] + psi[j] + beta[j] * theta[i]));
    /* keep only features that occur (the model has no use for others) */
    static double yk[N * K];
    int kept = 0;
    for (int j = 0; j < K; j++) {
        double s = 0;
        for (int i = 0; i < N; i++)
            s += y[i * K + j];
        if (s == 0)
            continue;
        for (int i = 0; i < N; i++)
            yk[i * K + kept] = y[i * K + j];
        kept++;
    }
    static double yc[N * K];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < kept; j++)
            yc[i * kept + j] = yk[i * K + j];
    opine_dfm m;
    assert_int_equal(opine_dfm_from_dense(&m, yc, N, (size_t)kept), 0);
    size_t lo = 0, hi = 0;
    for (size_t i = 0; i < N; i++) {
        if (theta[i] < theta[lo])
            lo = i;
        if (theta[i] > theta[hi])
            hi = i;
    }
    opine_wordfish_opts o = OPINE_WORDFISH_OPTS_INIT;
    o.dir[0] = lo;
    o.dir[1] = hi;
    opine_wordfish_fit f;
    assert_int_equal(opine_wordfish(&m, &o, &f), 0);
    double r = correlation(f.theta, theta, N);
    printf("simulation: %d features kept, r = %.4f after %d sweeps\n", kept, r,
           f.sweeps);
    assert_true(r >= 0.95);
    assert_true(f.theta[lo] < f.theta[hi]);
    /* the truth on the estimates' scale (mean 0, sd 1 like theta-hat) */
    double mu = 0, sd = 0;
    for (int i = 0; i < N; i++)
        mu += theta[i] / N;
    for (int i = 0; i < N; i++)
        sd += (theta[i] - mu) * (theta[i] - mu) / (N - 1);
    sd = sqrt(sd);
    int covered = 0;
    for (int i = 0; i < N; i++) {
        double t = (theta[i] - mu) / sd;
        covered += t >= f.lo[i] && t <= f.hi[i];
        assert_true(f.se_theta[i] > 0 && f.se_theta[i] < 1);
    }
    printf("simulation: %d of %d intervals cover the truth\n", covered, N);
    assert_true(covered >= N * 8 / 10);
    opine_wordfish_release(&f);
    opine_dfm_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_wordscores_lbg_published),
        cmocka_unit_test(test02_wordfish_lbg_published),
        cmocka_unit_test(test03_qnorm),
        cmocka_unit_test(test04_wordscores_by_hand),
        cmocka_unit_test(test05_wordfish_recovers_simulation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
