/* pipeline/group_stance.h — stance pooled over groups of documents (an
 * outlet, an author, a month, a metadata value), with an interval that
 * counts both each document's own uncertainty and how much documents of
 * a group differ.
 *
 * THE MODEL: random effects (DerSimonian & Laird 1986). A document d of
 * group g has stance y_d (doc_scores.stance) with variance v_d, read off
 * its own interval: v_d = ((hi - lo) / (2 z))^2, z the normal quantile of
 * the model's interval mass (1.645 for 90%). The group's documents are
 * draws around the group's stance mu_g with between-document variance
 * tau_g^2, estimated by the method of moments from Cochran's Q:
 *   w_d = 1 / v_d,  Q = sum w_d (y_d - ybar_w)^2,
 *   tau^2 = max(0, (Q - (k - 1)) / (sum w_d - sum w_d^2 / sum w_d)).
 * Then mu_g = sum w*_d y_d / sum w*_d with w*_d = 1 / (v_d + tau^2), its
 * standard error 1 / sqrt(sum w*_d), and the interval mu_g +- z se (the
 * model's mass), clipped to [-1, 1]. A group of one document is that
 * document. The difference of two groups is mu_a - mu_b with standard
 * error sqrt(se_a^2 + se_b^2). Two passes over doc_scores, memory by
 * the number of groups.
 */
#ifndef OPINE_PIPELINE_GROUP_STANCE_H
#define OPINE_PIPELINE_GROUP_STANCE_H

#include <stdint.h>

#include "pipeline/store.h"

typedef struct opine_group_stance_opts {
    const char *by;    /* outlet, author, year, month or meta:KEY */
    const char *theme; /* a theme of the model */
    const char *model; /* NAME or NAME@VERSION; NULL: the latest model */
    int min_docs;      /* groups with fewer documents are left out (1) */
    const char *near;  /* a document's ext_id: distance of each group's
                        * stance to its own, or NULL */
    const char *target, *reference; /* two groups to compare, or NULL */
} opine_group_stance_opts;

/* Compute and store: a run (stage "stance") and its rows in
 * group_stance (run, grp, documents, stance, lo, hi, se, tau, mean,
 * distance) and, with target and reference, group_stance_diff. *run_id
 * receives the run. Returns 0, or OPINE_EUSAGE / OPINE_EDB with *errmsg
 * (malloc'd) saying why. */
int opine_group_stance(opine_store *st, const opine_group_stance_opts *o,
                       int64_t *run_id, char **errmsg);

#endif
