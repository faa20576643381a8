/* tests/test_collocations.c — the scores of one expression from its 2^K
 * cells (opine_colloc_score): quanteda's printed values for its own
 * example, scipy's G2 for the 2x2 case, and the formulas of
 * pipeline/collocations.h worked out in Python for a 3-word case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "pipeline/collocations.h"

static void near(double got, double want, double rel)
{
    double tol = rel * (fabs(want) > 1 ? fabs(want) : 1);
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %.3g)", got, want, tol);
}

/* 1: "a b" in quanteda's example tokens("a b c a b d e b d a b"): of the
 * 10 bigrams 3 are "a b", none starts with a but ends elsewhere, one
 * ("e b") ends with b after another word, 6 have neither. quanteda's
 * reference page prints lambda 3.412247 and z 1.936083; scipy's
 * chi2_contingency([[3, 0], [1, 6]], lambda_ = "log-likelihood") is
 * 7.718604884147403. */
static void test01_quanteda_example(void **state)
{
    (void)state;
    const double cells[4] = {6, 0, 1, 3}; /* bit 0: first word matches */
    opine_colloc_stats s;
    opine_colloc_score(2, cells, 0.5, &s);
    near(s.lambda, 3.412247, 5e-7);
    near(s.z, 1.936083, 5e-7);
    near(s.lambda, log(3.5 * 6.5 / (0.5 * 1.5)), 1e-15);
    near(s.sigma, 1.7624491783387985, 1e-14);
    near(s.g2, 7.718604884147403, 1e-14);
    /* PMI: 3 seen, 10 * (3/10) * (4/10) = 1.2 expected */
    near(s.pmi, log(3 / 1.2), 1e-15);
}

/* 2: three words, every cell filled; lambda's signs alternate with the
 * number of matching positions. */
static void test02_three_words(void **state)
{
    (void)state;
    const double cells[8] = {50, 3, 4, 2, 6, 1, 2, 5};
    opine_colloc_stats s;
    opine_colloc_score(3, cells, 0.5, &s);
    near(s.lambda, 0.17337072627386996, 1e-14);
    near(s.sigma, 1.5264565144364677, 1e-14);
    near(s.z, 0.11357724549256118, 1e-14);
    near(s.g2, 27.267742060760131, 1e-13);
    near(s.pmi, 2.588454834855717, 1e-14);
}

/* 3: no smoothing and an empty cell: lambda is undefined (log 0), as in
 * quanteda with smoothing = 0; PMI stays defined. */
static void test03_no_smoothing(void **state)
{
    (void)state;
    const double cells[4] = {6, 0, 1, 3};
    opine_colloc_stats s;
    opine_colloc_score(2, cells, 0, &s);
    assert_true(isinf(s.lambda) || isnan(s.lambda));
    near(s.pmi, log(3 / 1.2), 1e-15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_quanteda_example),
        cmocka_unit_test(test02_three_words),
        cmocka_unit_test(test03_no_smoothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
