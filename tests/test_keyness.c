/* tests/test_keyness.c — the keyness measures of one term
 * (opine_keyness_score) against values worked out elsewhere: R's and
 * scipy's chi-squared, and 60-digit decimal arithmetic of the formulas in
 * pipeline/keyness.h (Python's decimal module), including counts the size
 * of a real corpus, where G2 computed as scipy computes it is off by 1e-9.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "pipeline/keyness.h"

/* Within rel of want, relatively (absolutely below 1). */
static void near(double got, double want, double rel)
{
    double tol = rel * (fabs(want) > 1 ? fabs(want) : 1);
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.17g, want %.17g (tolerance %.3g)", got, want, tol);
}

/* 1: quanteda's own test of textstat_keyness: d1 = "b b b b b b b a a a"
 * against d2 = "a a a a a a a b b", feature a (3 against 7 of 10 and 9
 * tokens). chisq.test(correct = FALSE) and scipy give 4.3371604938271604,
 * with Yates' correction 2.6324382716049382; G2 4.5349393322562239. The
 * target uses a less than expected: all three are negative. */
static void test01_quanteda_table(void **state)
{
    (void)state;
    opine_keyness_stats s;
    opine_keyness_score(3, 7, 10, 9, 10, 19, &s);
    near(s.chi2, -4.3371604938271604, 1e-14);
    near(s.chi2_yates, -2.6324382716049382, 1e-14);
    near(s.g2, -4.5349393322562239, 1e-14);
    near(s.pmi, -0.5621189181535412, 1e-14);
    near(s.log_ratio, -1.3743955147814979, 1e-14);
    near(s.delta, -0.64295743603609001, 1e-14);
    near(s.z, -1.7450896105592659, 1e-14);
}

/* 2: a rare term in a corpus of 50 million tokens: 30 of 10 million
 * against 70 of 40 million, prior 100 of 50 million. Exact G2 is
 * 5.6335240190848204; the textbook sum of O ln(O/E) in doubles (scipy's)
 * gives 5.633524025746141, 1.2e-9 off, because ln(O/E) of the big cells
 * is a log of a ratio next to 1. */
static void test02_big_counts(void **state)
{
    (void)state;
    opine_keyness_stats s;
    opine_keyness_score(30, 70, 10000000, 40000000, 100, 50000000, &s);
    near(s.chi2, 6.250012500025, 1e-13);
    near(s.chi2_yates, 5.6406362812725623, 1e-13);
    near(s.g2, 5.6335240190848204, 1e-13);
    near(s.pmi, 0.40546510810816438, 1e-13);
    near(s.log_ratio, 0.77760757866355212, 1e-13);
    near(s.delta, 0.13720139929182609, 1e-13);
    near(s.z, 1.1775898404293628, 1e-13);
}

/* 3: a term the target never uses: PMI is undefined, Log Ratio takes the
 * zero as 0.5, the rest are finite and negative. */
static void test03_absent_from_target(void **state)
{
    (void)state;
    opine_keyness_stats s;
    opine_keyness_score(0, 5, 1000, 2000, 5, 3000, &s);
    assert_true(isnan(s.pmi));
    near(s.chi2, -2.5041736227045077, 1e-14);
    near(s.chi2_yates, -1.2270450751252087, 1e-14);
    near(s.g2, -4.0588235439638574, 1e-14);
    near(s.log_ratio, -2.3219280948873622, 1e-14);
    near(s.z, -0.8594768346934768, 1e-14);
}

/* 4: exactly as expected (1 of 10 against 2 of 20): every association
 * is 0, and +0, not -0 (which SQLite and JSON would print as "-0.0"). */
static void test04_independent(void **state)
{
    (void)state;
    opine_keyness_stats s;
    opine_keyness_score(1, 2, 10, 20, 3, 30, &s);
    assert_true(s.chi2 == 0 && !signbit(s.chi2));
    assert_true(s.chi2_yates == 0 && !signbit(s.chi2_yates));
    assert_true(s.g2 == 0 && !signbit(s.g2));
    near(s.pmi, 0, 1e-15);
    near(s.log_ratio, 0, 1e-15);
}

/* 5: Yates' correction never crosses zero: |D| below N/2 gives 0 (as
 * scipy and R, which move each cell at most to its expected count). */
static void test05_yates_floor(void **state)
{
    (void)state;
    opine_keyness_stats s;
    /* D = 2 * 19 - 1 * 20 = 18 < N / 2 = 19.5 */
    opine_keyness_score(2, 1, 20, 19, 3, 39, &s);
    assert_true(s.chi2 > 0);
    assert_true(s.chi2_yates == 0);
}

/* 6: a table with an empty row (the only term of both sides) has no
 * chi2 or G2: NAN, stored as NULL. */
static void test06_degenerate(void **state)
{
    (void)state;
    opine_keyness_stats s;
    opine_keyness_score(10, 20, 10, 20, 30, 30, &s);
    assert_true(isnan(s.chi2) && isnan(s.chi2_yates) && isnan(s.g2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_quanteda_table),
        cmocka_unit_test(test02_big_counts),
        cmocka_unit_test(test03_absent_from_target),
        cmocka_unit_test(test04_independent),
        cmocka_unit_test(test05_yates_floor),
        cmocka_unit_test(test06_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
