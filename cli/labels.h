/* cli/labels.h — labelled texts for opine train and opine eval
 * (cli/cmd_labels.c).
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
 *                                      "x": off the theme (opine train
 *                                      learns it, opine eval skips it);
 *                                      a map value "skip" drops the text
 *   group   record_id, id, doc         texts of one article (folds keep
 *                                      them together); else the text
 *   split   split                      kept when --split names it (a
 *                                      comma-separated list: train,dev)
 */
#ifndef OPINE_CLI_LABELS_H
#define OPINE_CLI_LABELS_H

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
    int keep_off;      /* keep "x" labels as OPINE_LABEL_OFF (train) */
} cli_label_opts;

/* The options opine train and opine eval share for reading labels: their
 * getopt_long entries and their handling. */
enum {
    CLI_LABEL_SPLIT = 300,
    CLI_LABEL_THEME,
    CLI_LABEL_MAP,
    CLI_LABEL_TEXT,
    CLI_LABEL_THEME_FIELD,
    CLI_LABEL_LABEL_FIELD,
    CLI_LABEL_GROUP_FIELD,
};
#define CLI_LABEL_OPTIONS                                                      \
    {"split", required_argument, NULL, CLI_LABEL_SPLIT},                       \
        {"theme", required_argument, NULL, CLI_LABEL_THEME},                   \
        {"labels-map", required_argument, NULL, CLI_LABEL_MAP},                \
        {"text-field", required_argument, NULL, CLI_LABEL_TEXT},               \
        {"theme-field", required_argument, NULL, CLI_LABEL_THEME_FIELD},       \
        {"label-field", required_argument, NULL, CLI_LABEL_LABEL_FIELD},       \
    {                                                                          \
        "group-field", required_argument, NULL, CLI_LABEL_GROUP_FIELD          \
    }

/* Take option c (one of the above) with its argument; 1 if it was one. */
int cli_label_option(cli_label_opts *o, int c, const char *arg);

/* Read path; on error print why (naming the file and line) and return
 * nonzero. */
int cli_labels_read(const char *path, const cli_label_opts *o, cli_labels *out);
void cli_labels_free(cli_labels *l);

#endif
