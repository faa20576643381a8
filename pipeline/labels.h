/* pipeline/labels.h — labelled texts for opine train and opine eval
 * (pipeline/cmd_labels.c).
 *
 * FORMATS (by content: a first byte '{' is JSON lines, else TSV with a
 * header line):
 *   JSON lines   one object per line with the fields named below
 *   TSV          a header of column names, then one text per line; fields
 *                hold no tabs or line breaks (IANA text/tab-separated-values)
 * Fields (the first present of each list, or the one an option names):
 *   text    text, body, content        the text
 *   theme   theme, target              the theme (a model theme id)
 *   label   label, stance              -1, 0 or +1 ("1", "+1"), or any
 *                                      name the labels map gives a value;
 *                                      "x" (off the theme) is skipped
 *   group   record_id, id, doc         texts of one article (folds keep
 *                                      them together); else the text
 *   split   split                      kept when --split names it (a
 *                                      comma-separated list: train,dev)
 */
#ifndef OPINE_PIPELINE_LABELS_H
#define OPINE_PIPELINE_LABELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct cli_label {
    char *text;
    size_t len;
    char *theme;
    int label;
    uint64_t group;
} cli_label;

typedef struct cli_labels {
    cli_label *v;
    size_t n, cap;
    size_t skipped; /* "x", or another split */
    char hash[33];  /* XXH3-128 of the file's bytes */
} cli_labels;

typedef struct cli_label_opts {
    const char *text_field, *theme_field, *label_field, *group_field;
    const char *split; /* keep only this split, or NULL */
    const char *map;   /* "AGAINST=-1,NONE=0,FAVOR=1", or NULL */
    const char *theme; /* every text is about this theme, or NULL */
} cli_label_opts;

/* Read path; on error print why (naming the file and line) and return
 * nonzero. */
int cli_labels_read(const char *path, const cli_label_opts *o, cli_labels *out);
void cli_labels_free(cli_labels *l);

#endif
