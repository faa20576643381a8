/* models/metrics.h — how well predicted stances agree with labels.
 *
 * Three classes, in this order everywhere: +1, 0, -1. The confusion
 * matrix counts c[true][predicted]. From it:
 *   accuracy           the share on the diagonal
 *   precision, recall, F1 per class; macro_f1 their mean over the classes
 *                      that occur (as labels or predictions)
 *   f_avg              SemEval-2016's (F1(+1) + F1(-1)) / 2
 *   sign_accuracy      of units labelled sided and predicted sided, the
 *                      share with the right sign
 *   sided_recall       of units labelled sided, the share predicted sided
 *                      (either way): "takes a side and gets a direction"
 *   neutral_sided      of units labelled 0, the share predicted sided
 */
#ifndef OPINE_MODELS_METRICS_H
#define OPINE_MODELS_METRICS_H

#include <stdint.h>

typedef struct opine_metrics {
    int64_t c[3][3];
    int64_t n;
    double accuracy;
    double precision[3], recall[3], f1[3];
    double macro_f1, f_avg;
    double sign_accuracy, sided_recall, neutral_sided;
} opine_metrics;

/* The label of a text that is not about the theme at all (labels "x": another
 * sense of the word, a passing mention). opine train learns it as a fourth
 * class, so that a trained model can tell such windows apart; metrics never
 * count it. */
#define OPINE_LABEL_OFF 2

/* The index of a label (+1 -> 0, 0 -> 1, -1 -> 2). */
static inline int opine_label_index(int label)
{
    return label > 0 ? 0 : label < 0 ? 2 : 1;
}

/* Count one unit. */
void opine_metrics_add(opine_metrics *m, int truth, int predicted);

/* Compute the figures from the counts. A ratio with nothing to count
 * (no sided unit, say) is NaN. */
void opine_metrics_finish(opine_metrics *m);

#endif
