/* cli/cmd_labels.c — labelled texts for opine train and opine eval (see
 * labels.h for the formats). */
#include "cli/labels.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cli/cli.h"
#include "models/metrics.h"
#include "base/mem.h"

static const char *const text_names[] = {"text", "body", "content", NULL};
static const char *const theme_names[] = {"theme", "target", NULL};
static const char *const label_names[] = {"label", "stance", NULL};
static const char *const group_names[] = {"record_id", "id", NULL};
static const char *const split_names[] = {"split", NULL};

/* A record's fields, whatever the format. */
typedef struct fields {
    const char *(*get)(void *rec, const char *name);
    void *rec;
} fields;

static const char *pick(const fields *f, const char *given,
                        const char *const *names)
{
    if (given)
        return f->get(f->rec, given);
    for (; *names; names++) {
        const char *v = f->get(f->rec, *names);
        if (v)
            return v;
    }
    return NULL;
}

static const char *json_get(void *rec, const char *name)
{
    json_object *v;
    if (!json_object_object_get_ex(rec, name, &v) || v == NULL)
        return NULL;
    return json_object_get_string(v);
}

typedef struct tsv_rec {
    char **head, **cols;
    size_t n;
} tsv_rec;

static const char *tsv_get(void *rec, const char *name)
{
    tsv_rec *t = rec;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->head[i], name) == 0)
            return t->cols[i];
    return NULL;
}

/* Split line at tabs in place; *n receives the number of fields. */
static char **split_tabs(char *line, size_t *n)
{
    size_t k = 1;
    for (char *p = line; *p; p++)
        k += *p == '\t';
    char **v = malloc(k * sizeof(char *));
    if (v == NULL)
        return NULL;
    *n = 0;
    v[(*n)++] = line;
    for (char *p = line; *p; p++)
        if (*p == '\t') {
            *p = '\0';
            v[(*n)++] = p + 1;
        }
    return v;
}

/* The value of a label: -1, 0, +1, OPINE_LABEL_OFF (2, "x": not about the
 * theme), 3 for an unknown name or 4 for one the map says to skip. */
static int label_value(const char *s, const char *map)
{
    if (map) {
        size_t len = strlen(s);
        for (const char *p = map; *p;) {
            const char *eq = strchr(p, '='), *end = strchr(p, ',');
            if (end == NULL)
                end = p + strlen(p);
            if (eq && eq < end && (size_t)(eq - p) == len &&
                strncmp(p, s, len) == 0)
                return eq[1] == 'x'                      ? OPINE_LABEL_OFF
                       : strncmp(eq + 1, "skip", 4) == 0 ? 4
                       : atoi(eq + 1) > 0                ? 1
                       : atoi(eq + 1) < 0                ? -1
                                                         : 0;
            p = *end ? end + 1 : end;
        }
    }
    if (strcmp(s, "1") == 0 || strcmp(s, "+1") == 0)
        return 1;
    if (strcmp(s, "-1") == 0)
        return -1;
    if (strcmp(s, "0") == 0)
        return 0;
    if (strcmp(s, "x") == 0)
        return OPINE_LABEL_OFF;
    return 3;
}

/* Is s one of the comma-separated names in list? */
static int in_list(const char *list, const char *s)
{
    if (s == NULL)
        return 0;
    size_t len = strlen(s);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, s, n) == 0)
            return 1;
        p += n + (end != NULL);
    }
    return 0;
}

static int add(cli_labels *out, const fields *f, const cli_label_opts *o,
               const char *path, size_t line)
{
    const char *split = pick(f, NULL, split_names);
    if (o->split && !in_list(o->split, split)) {
        out->skipped++;
        return 0;
    }
    const char *text = pick(f, o->text_field, text_names);
    const char *theme =
        o->theme ? o->theme : pick(f, o->theme_field, theme_names);
    const char *label = pick(f, o->label_field, label_names);
    if (text == NULL || theme == NULL || label == NULL) {
        cli_error("%s:%zu: expected a text, a theme and a label", path, line);
        return -1;
    }
    int v = label_value(label, o->map);
    if (v == 3) {
        cli_error("%s:%zu: label '%s' is not -1, 0, +1 or x; map names to "
                  "values with --labels-map NAME=VALUE,...",
                  path, line, label);
        return -1;
    }
    if (v == 4 || (v == OPINE_LABEL_OFF && !o->keep_off)) {
        out->skipped++;
        return 0;
    }
    if (opine__grow((void **)&out->v, &out->cap, out->n + 1, sizeof(cli_label)))
        return -1;
    cli_label *l = &out->v[out->n++];
    memset(l, 0, sizeof(*l));
    const char *group = pick(f, o->group_field, group_names);
    if (group == NULL)
        group = text;
    l->group = XXH3_64bits(group, strlen(group));
    l->text = strdup(text);
    l->len = strlen(text);
    l->theme = strdup(theme);
    l->label = v;
    if (l->text == NULL || l->theme == NULL)
        return -1;
    return 0;
}

int cli_label_option(cli_label_opts *o, int c, const char *arg)
{
    const char **slot = c == CLI_LABEL_SPLIT         ? &o->split
                        : c == CLI_LABEL_THEME       ? &o->theme
                        : c == CLI_LABEL_MAP         ? &o->map
                        : c == CLI_LABEL_TEXT        ? &o->text_field
                        : c == CLI_LABEL_THEME_FIELD ? &o->theme_field
                        : c == CLI_LABEL_LABEL_FIELD ? &o->label_field
                        : c == CLI_LABEL_GROUP_FIELD ? &o->group_field
                                                     : NULL;
    if (slot)
        *slot = arg;
    return slot != NULL;
}

int cli_labels_read(const char *path, const cli_label_opts *o, cli_labels *out)
{
    memset(out, 0, sizeof(*out));
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (fp == NULL) {
        cli_error("cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t len;
    char *all = cli_read_all(fp, &len);
    if (fp != stdin)
        fclose(fp);
    if (all == NULL) {
        cli_error("out of memory reading '%s'", path);
        return -1;
    }
    XXH128_hash_t h = XXH3_128bits(all, len);
    snprintf(out->hash, sizeof out->hash, "%016llx%016llx",
             (unsigned long long)h.high64, (unsigned long long)h.low64);
    int json = 0;
    for (size_t i = 0; i < len; i++)
        if (all[i] != ' ' && all[i] != '\n' && all[i] != '\r' &&
            all[i] != '\t') {
            json = all[i] == '{';
            break;
        }
    int rc = 0;
    char **head = NULL;
    size_t nhead = 0, lineno = 0;
    for (char *line = all, *next; rc == 0 && line < all + len; line = next) {
        char *nl = memchr(line, '\n', (size_t)(all + len - line));
        next = nl ? nl + 1 : all + len;
        if (nl)
            *nl = '\0';
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (ll == 0)
            continue;
        if (json) {
            json_object *obj = json_tokener_parse(line);
            if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
                cli_error("%s:%zu: not a JSON object", path, lineno);
                rc = -1;
            } else {
                fields f = {json_get, obj};
                rc = add(out, &f, o, path, lineno);
            }
            json_object_put(obj);
        } else if (head == NULL) {
            head = split_tabs(line, &nhead);
            if (head == NULL)
                rc = -1;
        } else {
            size_t n;
            char **cols = split_tabs(line, &n);
            if (cols == NULL) {
                rc = -1;
            } else if (n != nhead) {
                cli_error("%s:%zu: %zu fields, but the header names %zu", path,
                          lineno, n, nhead);
                rc = -1;
            } else {
                tsv_rec t = {head, cols, n};
                fields f = {tsv_get, &t};
                rc = add(out, &f, o, path, lineno);
            }
            free(cols);
        }
    }
    free(head);
    free(all);
    if (rc == 0 && out->n == 0) {
        cli_error("%s: no labelled text%s", path,
                  o->split ? " in that split" : "");
        rc = -1;
    }
    if (rc)
        cli_labels_free(out);
    return rc;
}

void cli_labels_free(cli_labels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].text);
        free(l->v[i].theme);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}
