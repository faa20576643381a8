/* pipeline/keyness.h — keyness: which terms set a group of documents apart
 * from the others, by every usual measure, stored beside the data.
 *
 * GROUPS. Documents fall into groups by a key (opine_keyness_opts.by):
 *   outlet, author      documents.outlet, documents.author (the whole
 *                       field: "A and B" is a group of its own)
 *   year, month         the first 4 or 7 characters of documents.published
 *                       when it starts with a date YYYY-MM-DD; a document
 *                       without one is in no group
 *   meta:KEY            doc_meta's value for KEY
 * An empty or NULL key puts a document in no group. Only stemmed
 * documents count (their doc_terms), and `where`, an SQL expression over
 * the columns of documents, may restrict them further.
 *
 * COMPARISONS. Each target group (one, or every group) is compared with a
 * reference: a named group, or all the other groups together ("the
 * rest"). For a term w the 2x2 table is
 *                    target      reference
 *     w                a             b
 *     other terms      c = nt - a    d = nr - b
 * where nt and nr are the counted tokens (stop words left out, as in
 * doc_terms) of the two sides, N = nt + nr and D = ad - bc.
 *
 * MEASURES (opine_keyness_score; natural logarithms throughout):
 *   chi2        Pearson's chi-squared, N D^2 / ((a+b)(c+d) nt nr)
 *   chi2_yates  with Yates' continuity correction as R's chisq.test and
 *               scipy's chi2_contingency apply it: |D| becomes
 *               max(0, |D| - N/2). (quanteda's textstat_keyness corrects
 *               only when an expected count is below 5 and |D| >= N/2;
 *               its correction = "none" is chi2 here.)
 *   g2          the likelihood ratio G2 = 2 sum O ln(O/E), 0 ln 0 = 0, as
 *               scipy's lambda_ = "log-likelihood"; quanteda adds 1e-9
 *               inside each logarithm, which moves G2 by up to 2e-9 N
 *   pmi         ln(a / E11), E11 = (a+b) nt / N, as quanteda's "pmi"
 *               without its 1e-9; undefined (NULL) when a = 0
 *   delta, z    the log-odds ratio with an informative Dirichlet prior
 *               and its z-score (Monroe, Colaresi & Quinn 2008, "Fightin'
 *               Words", section 3.5): with the prior alpha_w, alpha_0 =
 *               sum of alpha_w over all terms,
 *                 delta = ln((a + alpha_w) / (nt + alpha_0 - a - alpha_w))
 *                       - ln((b + alpha_w) / (nr + alpha_0 - b - alpha_w))
 *                 var   = 1 / (a + alpha_w) + 1 / (b + alpha_w)
 *                 z     = delta / sqrt(var)
 *               and alpha_w = w's count in the whole corpus under study
 *               (every selected document, grouped or not): the prior
 *               "from the full corpus" of the paper, alpha_0 its size
 *   log_ratio   the effect size: Hardie's Log Ratio, log2 of the ratio of
 *               w's relative frequencies (a/nt) / (b/nr), a zero count
 *               taken as 0.5
 * chi2, chi2_yates and g2 are signed as quanteda signs them: positive
 * when a exceeds its expected count (D > 0), negative otherwise.
 *
 * ROWS. The table keyness (created when missing, in schema "main" or
 * "temp") gets one row per comparison and term: the comparison's
 * definition (run, group_by, target, reference, measure), the term's
 * stem id, its rank by the measure (1 = most characteristic of the
 * target; ties by the stem's text), every count behind the figures (a,
 * b, documents with w on each side, nt, nr, alpha_w, alpha_0) and every
 * measure. reference is NULL for the rest. Against the rest a target's
 * rows are the terms it uses at least min_count times; against a named
 * reference, the terms either side uses at least min_count times.
 *
 * MEMORY: the counts of every (group, term) pair that occurs in a group
 * compared (with a named target, only its and a named reference's), plus
 * a few arrays over the vocabulary: bounded by vocabulary x groups,
 * whatever the number of documents. The terms are read once, in one pass
 * (over the similarity index's postings, or doc_terms without it).
 */
#ifndef OPINE_PIPELINE_KEYNESS_H
#define OPINE_PIPELINE_KEYNESS_H

#include <stdint.h>

#include "pipeline/store.h"

typedef struct opine_keyness_opts {
    const char *by;        /* outlet, author, year, month or meta:KEY */
    const char *target;    /* one group, or NULL for every group */
    const char *reference; /* a group, or NULL for the rest */
    const char *measure;   /* rank by: logodds (NULL), chi2, g2 or pmi */
    const char *where;     /* an SQL expression over documents, or NULL */
    int64_t min_count;     /* see ROWS above; at least 1 */
    int store;             /* 1: the keyness table of main, with a runs
                            * row (stage 'compare'); rows of an earlier
                            * run of the same definition are replaced.
                            * 0: temp.keyness, no run (read-only use) */
    int64_t keep;          /* with store 0: when above 0, only the top
                            * keep and the bottom keep rows of each
                            * comparison go to temp.keyness (their ranks
                            * still counted over all its rows), for a
                            * caller that reads no others; 0: all */
    volatile int *stop;    /* when set non-zero: OPINE_EINTERRUPTED */
} opine_keyness_opts;

typedef struct opine_keyness_summary {
    int64_t run;         /* runs.id, 0 when not stored */
    int64_t documents;   /* stemmed documents selected */
    int64_t grouped;     /* of them, in a group */
    int64_t groups;      /* groups found */
    int64_t comparisons; /* targets compared */
    int64_t rows;        /* keyness rows written */
} opine_keyness_summary;

/* Compare and write the rows (see the top). Returns 0, OPINE_EUSAGE (an
 * unknown by or measure, a target or reference that is no group, a
 * where that is not an expression), OPINE_EEMPTY (no stemmed document,
 * none in a group, nothing to compare with), OPINE_EINTERRUPTED,
 * OPINE_ENOMEM or OPINE_EDB; *errmsg (when not NULL) then gets a
 * malloc'd message for the user, which the caller frees. */
int opine_keyness_compare(opine_store *st, const opine_keyness_opts *o,
                          opine_keyness_summary *sum, char **errmsg);

/* Every measure of one term (see MEASURES): a, b the term's counts in
 * target and reference, nt, nr the sides' token counts (nt >= a, nr >=
 * b, a + b >= 1), prior = alpha_w, prior_total = alpha_0. A measure that
 * is undefined (a zero denominator, pmi with a = 0) is NAN. */
typedef struct opine_keyness_stats {
    double delta, z;
    double chi2, chi2_yates, g2;
    double pmi, log_ratio;
} opine_keyness_stats;

void opine_keyness_score(int64_t a, int64_t b, int64_t nt, int64_t nr,
                         double prior, double prior_total,
                         opine_keyness_stats *s);

#endif
