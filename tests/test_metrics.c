/* tests/test_metrics.c — the figures opine eval prints, against a
 * confusion matrix worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "models/metrics.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-12)

/* Count c[true][predicted] units of each kind. */
static void fill(opine_metrics *m, const int c[3][3])
{
    static const int label[3] = {1, 0, -1};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < c[i][j]; k++)
                opine_metrics_add(m, label[i], label[j]);
    opine_metrics_finish(m);
}

/* 1: labelled +1: 5 right, 3 called 0, 2 called -1; labelled 0: 1, 8, 1;
 * labelled -1: 0, 2, 6. By hand: 28 units, 19 on the diagonal; predicted
 * +1 six times, 0 thirteen, -1 nine. */
static void test01_by_hand(void **state)
{
    (void)state;
    static const int c[3][3] = {{5, 3, 2}, {1, 8, 1}, {0, 2, 6}};
    opine_metrics m = {0};
    fill(&m, c);
    assert_int_equal(m.n, 28);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            assert_int_equal(m.c[i][j], c[i][j]);
    NEAR(m.accuracy, 19.0 / 28);
    NEAR(m.precision[0], 5.0 / 6);
    NEAR(m.recall[0], 5.0 / 10);
    NEAR(m.f1[0], 10.0 / 16);
    NEAR(m.precision[1], 8.0 / 13);
    NEAR(m.recall[1], 8.0 / 10);
    NEAR(m.f1[1], 16.0 / 23);
    NEAR(m.precision[2], 6.0 / 9);
    NEAR(m.recall[2], 6.0 / 8);
    NEAR(m.f1[2], 12.0 / 17);
    NEAR(m.macro_f1, (10.0 / 16 + 16.0 / 23 + 12.0 / 17) / 3);
    NEAR(m.f_avg, (10.0 / 16 + 12.0 / 17) / 2);
    /* sided both ways: 5 + 2 + 0 + 6 = 13, right sign 11 */
    NEAR(m.sign_accuracy, 11.0 / 13);
    /* 18 labelled sided, 13 of them given a side */
    NEAR(m.sided_recall, 13.0 / 18);
    NEAR(m.neutral_sided, 2.0 / 10);
}

/* 2: a model that never gives a side: F1 of the sides 0 (not NaN), sign
 * accuracy undefined (NaN), sided recall 0. A class that neither occurs
 * nor is predicted stays out of macro-F1. */
static void test02_never_sided(void **state)
{
    (void)state;
    static const int c[3][3] = {{0, 4, 0}, {0, 6, 0}, {0, 0, 0}};
    opine_metrics m = {0};
    fill(&m, c);
    NEAR(m.f1[0], 0);
    assert_true(isnan(m.f1[2]));
    NEAR(m.f1[1], 12.0 / 16);
    NEAR(m.macro_f1, (0 + 12.0 / 16) / 2);
    assert_true(isnan(m.sign_accuracy));
    NEAR(m.sided_recall, 0);
    assert_true(isnan(m.precision[0]));
}

/* 3: labels index as the matrix does. */
static void test03_index(void **state)
{
    (void)state;
    assert_int_equal(opine_label_index(1), 0);
    assert_int_equal(opine_label_index(0), 1);
    assert_int_equal(opine_label_index(-1), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_by_hand),
        cmocka_unit_test(test02_never_sided),
        cmocka_unit_test(test03_index),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
