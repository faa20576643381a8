/* models/metrics.c — agreement of predicted stances with labels. */
#include "models/metrics.h"

#include <math.h>

void opine_metrics_add(opine_metrics *m, int truth, int predicted)
{
    m->c[opine_label_index(truth)][opine_label_index(predicted)]++;
    m->n++;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

void opine_metrics_finish(opine_metrics *m)
{
    int64_t diag = 0, row[3] = {0}, col[3] = {0};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            row[i] += m->c[i][j];
            col[j] += m->c[i][j];
        }
    double sum_f1 = 0;
    int classes = 0;
    for (int k = 0; k < 3; k++) {
        diag += m->c[k][k];
        m->precision[k] = ratio((double)m->c[k][k], (double)col[k]);
        m->recall[k] = ratio((double)m->c[k][k], (double)row[k]);
        /* F1 = 2tp / (2tp + fp + fn): 0, not NaN, when a class is never
         * predicted; a class that neither occurs nor is predicted is
         * left out of the mean. */
        double d = (double)(row[k] + col[k]);
        m->f1[k] = d > 0 ? 2.0 * (double)m->c[k][k] / d : NAN;
        if (d > 0) {
            sum_f1 += m->f1[k];
            classes++;
        }
    }
    m->accuracy = ratio((double)diag, (double)m->n);
    m->macro_f1 = classes ? sum_f1 / classes : NAN;
    m->f_avg = (m->f1[0] + m->f1[2]) / 2;
    double both = (double)(m->c[0][0] + m->c[0][2] + m->c[2][0] + m->c[2][2]);
    m->sign_accuracy = ratio((double)(m->c[0][0] + m->c[2][2]), both);
    m->sided_recall = ratio(both, (double)(row[0] + row[2]));
    m->neutral_sided = ratio((double)(m->c[1][0] + m->c[1][2]), (double)row[1]);
}
