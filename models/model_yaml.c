/* models/model_yaml.c — opine models and quanteda dictionaries from YAML.
 *
 * libyaml parses the whole text into a document (yaml_parser_load); this
 * file walks its nodes. Node marks give every message its place: libyaml's
 * lines and columns count from 0, messages from 1.
 *
 * An opine model is a mapping with the keys documented in model.h; it is
 * told from a quanteda dictionary by a "themes" key, or a "name" or
 * "version" key with a scalar value (a dictionary's values are lists or
 * mappings, never scalars). So a dictionary cannot have a top-level
 * category called "themes", and a model missing "themes" is still read as
 * a model and reported as such.
 *
 * A quanteda dictionary maps each category to a list of terms or to a
 * mapping of sub-categories; nested ids are joined with '.'.
 */
#include "models/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/error.h"
#include "stages/stem.h"

#define AT(n)                                                                  \
    (size_t)(n)->start_mark.line + 1, (size_t)(n)->start_mark.column + 1

typedef struct yctx {
    opine_model *m;
    yaml_document_t *doc;
    char **errmsg;
    size_t categories; /* quanteda categories visited */
} yctx;

/* YAML aliases can make a dictionary refer to itself ("a: &x {b: *x}") or
 * double at every level; these bound the walk, far above real use. */
#define MAX_DEPTH 64
#define MAX_CATEGORIES 100000

static yaml_node_t *node(yctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

static const char *str(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static int is_scalar(const yaml_node_t *n)
{
    return n != NULL && n->type == YAML_SCALAR_NODE;
}

static int match_chars(const char *s, const char *extra)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return 0;
    return 1;
}

static int parse_int(const yaml_node_t *n, long *out)
{
    if (!is_scalar(n) || n->data.scalar.length == 0)
        return 0;
    char *end;
    errno = 0;
    *out = strtol(str(n), &end, 10);
    return errno == 0 && *end == '\0' && end != str(n);
}

static int parse_number(const yaml_node_t *n, double *out)
{
    if (!is_scalar(n) || n->data.scalar.length == 0)
        return 0;
    char *end;
    errno = 0;
    *out = strtod(str(n), &end);
    return errno == 0 && *end == '\0' && end != str(n) && isfinite(*out);
}

/* Mapping keys must be scalars and distinct (libyaml does not check).
 * Small mappings compare pairs; a large one (a dictionary's 100,000
 * categories) uses a map rather than take quadratic time. */
static int check_keys(yctx *c, yaml_node_t *map)
{
    yaml_node_pair_t *p0 = map->data.mapping.pairs.start;
    yaml_node_pair_t *end = map->data.mapping.pairs.top;
    opine__strmap *seen = NULL;
    int rc = 0;
    if (end - p0 > 16 && opine__strmap_new(&seen) != 0)
        return OPINE_ENOMEM;
    for (yaml_node_pair_t *p = p0; rc == 0 && p < end; p++) {
        yaml_node_t *k = node(c, p->key);
        if (!is_scalar(k)) {
            rc = opine__model_error(c->errmsg, c->m->errname, AT(k),
                                    "expected a plain key");
            break;
        }
        int dup = 0;
        if (seen) {
            size_t len = strlen(str(k));
            dup = opine__strmap_get(seen, str(k), len) > 0;
            if (!dup && opine__strmap_put(seen, str(k), len, 1) != 0)
                rc = OPINE_ENOMEM;
        } else {
            for (yaml_node_pair_t *q = p0; !dup && q < p; q++)
                dup = strcmp(str(node(c, q->key)), str(k)) == 0;
        }
        if (dup)
            rc = opine__model_error(c->errmsg, c->m->errname, AT(k),
                                    "duplicate key '%s'", str(k));
    }
    opine__strmap_free(seen);
    return rc;
}

/* HOW ALIASES ARE BOUNDED. libyaml resolves an alias to the node its
 * anchor names, so the document is a graph, and walking it expands every
 * alias: a few kilobytes of "billion laughs" (each level a list of ten
 * aliases to the level below) would stand for gigabytes of terms, and an
 * alias inside its own anchor ("a: &x {b: *x}") for an endless tree.
 * Before the walk, expanded() sizes every node once (memoised: the graph
 * is acyclic unless an alias points into its own anchor, which is
 * refused) as 1 plus its scalar bytes plus its children's sizes, and the
 * whole must stay below ALIAS_GROWTH times the document's own size plus
 * ALIAS_SLACK: a list of negators or targets shared by a few themes is
 * fine, a bomb is refused before it costs anything. */
#define ALIAS_GROWTH 4
#define ALIAS_SLACK ((uint64_t)1 << 20)
/* Deeper than any model or dictionary (a quanteda one stops at MAX_DEPTH):
 * bounds the recursion too. */
#define MAX_NESTING 256

typedef struct sizing {
    yaml_document_t *doc;
    uint64_t *size;      /* by node id - 1; 0: not yet sized */
    unsigned char *busy; /* being sized: met again means a cycle */
    uint64_t limit;
    yaml_node_t *cycle; /* the node met again */
    yaml_node_t *deep;  /* a node nested more than MAX_NESTING deep */
} sizing;

static uint64_t expanded(sizing *z, int id, int depth)
{
    yaml_node_t *n = yaml_document_get_node(z->doc, id);
    if (n == NULL)
        return 0;
    if (depth > MAX_NESTING) {
        if (!z->deep)
            z->deep = n;
        return z->limit + 1;
    }
    size_t i = (size_t)id - 1;
    if (z->size[i])
        return z->size[i];
    if (z->busy[i]) {
        if (!z->cycle)
            z->cycle = n;
        return z->limit + 1;
    }
    z->busy[i] = 1;
    uint64_t total = 1;
    if (n->type == YAML_SCALAR_NODE) {
        total += n->data.scalar.length;
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top && total <= z->limit; it++)
            total += expanded(z, *it, depth + 1);
    } else if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top && total <= z->limit; p++)
            total += expanded(z, p->key, depth + 1) +
                     expanded(z, p->value, depth + 1);
    }
    z->busy[i] = 0;
    if (total > z->limit)
        total = z->limit + 1; /* saturate: no overflow on the way up */
    z->size[i] = total;
    return total;
}

static int check_aliases(yctx *c)
{
    yaml_document_t *d = c->doc;
    size_t nnodes = (size_t)(d->nodes.top - d->nodes.start);
    uint64_t own = 0;
    for (yaml_node_t *n = d->nodes.start; n < d->nodes.top; n++)
        own += 1 + (n->type == YAML_SCALAR_NODE ? n->data.scalar.length : 0);
    sizing z = {d,
                calloc(nnodes ? nnodes : 1, sizeof(uint64_t)),
                calloc(nnodes ? nnodes : 1, 1),
                own * ALIAS_GROWTH + ALIAS_SLACK,
                NULL,
                NULL};
    int rc = 0;
    if (z.size == NULL || z.busy == NULL)
        rc = OPINE_ENOMEM;
    else if (expanded(&z, 1, 0) <= z.limit)
        rc = 0;
    else if (z.deep)
        rc = opine__model_error(c->errmsg, c->m->errname, AT(z.deep),
                                "nested more than %d levels deep", MAX_NESTING);
    else
        rc = z.cycle ? opine__model_error(c->errmsg, c->m->errname, AT(z.cycle),
                                          "an alias refers to a node that "
                                          "holds it (the document would be "
                                          "endless)")
                     : opine__model_error(
                           c->errmsg, c->m->errname, 0, 0,
                           "aliases expand the document to more than %d "
                           "times its size (an alias bomb?); write the "
                           "repeated parts out, or use fewer aliases",
                           ALIAS_GROWTH);
    free(z.size);
    free(z.busy);
    return rc;
}

/* Three or four numbers, [+1, 0, -1] or [+1, 0, -1, x] of a trained theme
 * (x: off the theme, 0 when not given); *n receives how many. */
static int read_classes(yctx *c, yaml_node_t *v, const char *id,
                        const char *what, double out[4], int *n)
{
    long k =
        v->type == YAML_SEQUENCE_NODE
            ? (long)(v->data.sequence.items.top - v->data.sequence.items.start)
            : 0;
    if (k == 3 || k == 4) {
        int ok = 1;
        out[3] = 0;
        for (long i = 0; i < k; i++)
            ok &=
                parse_number(node(c, v->data.sequence.items.start[i]), &out[i]);
        if (ok) {
            if (n)
                *n = (int)k;
            return 0;
        }
    }
    return opine__model_error(c->errmsg, c->m->errname, AT(v),
                              "theme '%s': %s: expected three numbers "
                              "[+1, 0, -1] or four [+1, 0, -1, x]",
                              id, what);
}

/* weights as a block of lines "feature<TAB>w+<TAB>w0<TAB>w-": what opine
 * train writes, since one text node costs a fraction of the memory of a
 * mapping of 50,000 sequences (libyaml keeps every node of a document). */
static int read_weight_lines(yctx *c, yaml_node_t *v, const char *id,
                             opine__linear *l)
{
    const char *p = str(v), *end = p + v->data.scalar.length;
    size_t line = (size_t)v->start_mark.line + 2, col = 1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *tab = memchr(p, '\t', (size_t)(e - p));
        double w[4] = {0, 0, 0, 0};
        int ok = tab != NULL && tab > p;
        const char *q = tab;
        for (int k = 0; ok && k < 4; k++) {
            char *stop;
            errno = 0;
            w[k] = strtod(q + 1, &stop);
            ok = stop > q + 1 && errno == 0 && isfinite(w[k]) &&
                 (k < 2 ? *stop == '\t' : *stop == '\t' || stop == e);
            q = stop;
            if (stop == e)
                break;
            ok &= k < 3; /* a fifth number */
        }
        ok &= q == e;
        if (!ok && e > p)
            return opine__model_error(c->errmsg, c->m->errname, line, col,
                                      "theme '%s': weights: expected "
                                      "feature<TAB>w+<TAB>w0<TAB>w-[<TAB>wx]",
                                      id);
        if (ok) {
            int rc = opine__linear_add(l, p, (size_t)(tab - p), w);
            if (rc == OPINE_EFORMAT)
                return opine__model_error(c->errmsg, c->m->errname, line, col,
                                          "theme '%s': feature '%.*s' is "
                                          "given twice",
                                          id, (int)(tab - p), p);
            if (rc)
                return rc;
        }
        p = nl ? nl + 1 : end;
        line++;
    }
    return 0;
}

/* weights: {feature: [w+, w0, w-], ...} of a trained theme, or the same
 * as lines (read_weight_lines). */
static int read_weights(yctx *c, yaml_node_t *v, const char *id, uint32_t ti)
{
    if (is_scalar(v)) {
        opine__linear *l = opine__model_linear_theme(c->m, ti);
        return l ? read_weight_lines(c, v, id, l) : OPINE_ENOMEM;
    }
    if (v->type != YAML_MAPPING_NODE)
        return opine__model_error(c->errmsg, c->m->errname, AT(v),
                                  "theme '%s': weights must map features "
                                  "to [+1, 0, -1] weights",
                                  id);
    opine__linear *l = opine__model_linear_theme(c->m, ti);
    if (l == NULL)
        return OPINE_ENOMEM;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
         p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key);
        double w[4];
        if (!is_scalar(k) || k->data.scalar.length == 0)
            return opine__model_error(c->errmsg, c->m->errname, AT(k),
                                      "theme '%s': expected a feature name",
                                      id);
        int rc = read_classes(c, node(c, p->value), id, str(k), w, NULL);
        if (rc == 0)
            rc = opine__linear_add(l, str(k), k->data.scalar.length, w);
        if (rc == OPINE_EFORMAT)
            return opine__model_error(c->errmsg, c->m->errname, AT(k),
                                      "theme '%s': feature '%s' is given "
                                      "twice",
                                      id, str(k));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* A term: "text" or a one-pair mapping "text": weight. */
static int read_term(yctx *c, yaml_node_t *n, uint32_t theme, opine_role role)
{
    double weight = 1.0;
    yaml_node_t *t = n;

    if (n->type == YAML_MAPPING_NODE &&
        n->data.mapping.pairs.top - n->data.mapping.pairs.start == 1) {
        t = node(c, n->data.mapping.pairs.start->key);
        yaml_node_t *w = node(c, n->data.mapping.pairs.start->value);
        if (!parse_number(w, &weight) || !(weight > 0))
            return opine__model_error(c->errmsg, c->m->errname, AT(w),
                                      "weight must be a number > 0");
    }
    if (!is_scalar(t))
        return opine__model_error(c->errmsg, c->m->errname, AT(n),
                                  "expected a term or \"term\": weight");
    return opine__model_add_term(c->m, theme, role, str(t),
                                 t->data.scalar.length, weight, AT(t),
                                 c->errmsg);
}

/* A list of terms; *count receives its length. */
static int read_terms(yctx *c, yaml_node_t *seq, const char *what,
                      uint32_t theme, opine_role role, size_t *count)
{
    if (seq->type != YAML_SEQUENCE_NODE)
        return opine__model_error(c->errmsg, c->m->errname, AT(seq),
                                  "%s must be a list of terms", what);
    yaml_node_item_t *it = seq->data.sequence.items.start;
    *count = (size_t)(seq->data.sequence.items.top - it);
    for (; it < seq->data.sequence.items.top; it++) {
        int rc = read_term(c, node(c, *it), theme, role);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static const char *owned(yctx *c, const yaml_node_t *n)
{
    return opine__model_strndup(c->m, str(n), n->data.scalar.length);
}

static int read_poles(yctx *c, yaml_node_t *v, const char *id, uint32_t ti)
{
    const char *pos = NULL, *neg = NULL;
    int rc;

    if (v->type != YAML_MAPPING_NODE)
        return opine__model_error(
            c->errmsg, c->m->errname, AT(v),
            "theme '%s': poles must be {positive: NAME, negative: NAME}", id);
    if ((rc = check_keys(c, v)) != 0)
        return rc;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
         p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *pv = node(c, p->value);
        const char **slot = strcmp(str(k), "positive") == 0   ? &pos
                            : strcmp(str(k), "negative") == 0 ? &neg
                                                              : NULL;
        if (slot == NULL)
            return opine__model_error(c->errmsg, c->m->errname, AT(k),
                                      "theme '%s': poles: unknown key '%s' "
                                      "(expected positive, negative)",
                                      id, str(k));
        if (!is_scalar(pv) || pv->data.scalar.length == 0)
            return opine__model_error(c->errmsg, c->m->errname, AT(pv),
                                      "theme '%s': expected a pole name", id);
        if ((*slot = owned(c, pv)) == NULL)
            return OPINE_ENOMEM;
    }
    if (pos == NULL || neg == NULL)
        return opine__model_error(
            c->errmsg, c->m->errname, AT(v),
            "theme '%s': poles need both positive and negative", id);
    c->m->themes[ti].positive = pos;
    c->m->themes[ti].negative = neg;
    return 0;
}

/* quiet_positive or quiet_negative (side 0 or 1): cues of that pole the
 * theme's classifier counts but never shows as evidence (models/train.c
 * says which). Each must be one of the theme's cues of that pole. */
static int read_quiet(yctx *c, yaml_node_t *seq, const char *id, uint32_t ti,
                      int side)
{
    const char *key = side == 0 ? "quiet_positive" : "quiet_negative";
    opine_role role = side == 0 ? OPINE_ROLE_POSITIVE : OPINE_ROLE_NEGATIVE;
    if (seq->type != YAML_SEQUENCE_NODE)
        return opine__model_error(c->errmsg, c->m->errname, AT(seq),
                                  "theme '%s': %s must be a list of cues", id,
                                  key);
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top; it++) {
        yaml_node_t *n = node(c, *it);
        long at = is_scalar(n) ? opine__model_find_term(c->m, ti, role, str(n),
                                                        n->data.scalar.length)
                               : -1;
        if (at == -2)
            return OPINE_ENOMEM;
        if (at < 0)
            return opine__model_error(c->errmsg, c->m->errname, AT(n),
                                      "theme '%s': %s: '%s' is not one of "
                                      "its %s cues",
                                      id, key, is_scalar(n) ? str(n) : "",
                                      side == 0 ? "positive" : "negative");
        c->m->raw[at].quiet = 1;
    }
    return 0;
}

static int read_theme(yctx *c, yaml_node_t *k, yaml_node_t *v)
{
    opine_model *m = c->m;
    const char *id = str(k);
    yaml_node_t *poles = NULL, *cues = NULL, *trained = NULL;
    yaml_node_t *quiet[2] = {NULL, NULL}; /* quiet_positive, quiet_negative */
    size_t ntargets = 0, ncues = 0, n;
    uint32_t ti;
    int rc;

    if (!match_chars(id, "_"))
        return opine__model_error(c->errmsg, m->errname, AT(k),
                                  "theme id '%s' must match [a-z0-9_]+", id);
    if (opine__model_find_theme(m, id) >= 0)
        return opine__model_error(c->errmsg, m->errname, AT(k),
                                  "duplicate theme '%s'", id);
    if (v->type != YAML_MAPPING_NODE)
        return opine__model_error(c->errmsg, m->errname, AT(v),
                                  "theme '%s': expected a mapping of label, "
                                  "poles, targets, positive, negative",
                                  id);
    if ((rc = check_keys(c, v)) != 0)
        return rc;
    if ((id = owned(c, k)) == NULL ||
        opine__model_add_theme(m, id, NULL, NULL, NULL, &ti) != 0)
        return OPINE_ENOMEM;

    for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
         p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *tk = node(c, p->key), *tv = node(c, p->value);
        const char *key = str(tk);
        if (strcmp(key, "label") == 0) {
            if (!is_scalar(tv) || tv->data.scalar.length == 0)
                return opine__model_error(c->errmsg, m->errname, AT(tv),
                                          "theme '%s': label must be text", id);
            if ((m->themes[ti].label = owned(c, tv)) == NULL)
                return OPINE_ENOMEM;
        } else if (strcmp(key, "poles") == 0) {
            poles = tk;
            rc = read_poles(c, tv, id, ti);
        } else if (strcmp(key, "targets") == 0) {
            rc = read_terms(c, tv, "targets", ti, OPINE_ROLE_TARGET, &ntargets);
        } else if (strcmp(key, "window") == 0) {
            long l;
            opine__linear *lin = opine__model_linear_theme(m, ti);
            if (lin == NULL)
                return OPINE_ENOMEM;
            if (is_scalar(tv) && strcmp(str(tv), "sentence") == 0)
                lin->pub.window = 0;
            else if (parse_int(tv, &l) && l >= 0 && l <= 1000)
                lin->pub.window = (int)l;
            else
                return opine__model_error(c->errmsg, m->errname, AT(tv),
                                          "theme '%s': window must be "
                                          "'sentence' or an integer 0..1000",
                                          id);
        } else if (strcmp(key, "bias") == 0) {
            opine__linear *lin = opine__model_linear_theme(m, ti);
            if (lin == NULL)
                return OPINE_ENOMEM;
            int k = 0;
            rc = read_classes(c, tv, id, "bias", lin->pub.bias, &k);
            lin->pub.off = k == 4;
            trained = tk;
        } else if (strcmp(key, "weights") == 0) {
            rc = read_weights(c, tv, id, ti);
            trained = tk;
        } else if (strcmp(key, "neutral_weight") == 0) {
            double d;
            opine__linear *lin = opine__model_linear_theme(m, ti);
            if (lin == NULL)
                return OPINE_ENOMEM;
            if (!parse_number(tv, &d) || !(d > 0))
                return opine__model_error(c->errmsg, m->errname, AT(tv),
                                          "theme '%s': neutral_weight must "
                                          "be a number > 0",
                                          id);
            lin->pub.neutral = d;
        } else if (strcmp(key, "evidence_probability") == 0) {
            double d;
            opine__linear *lin = opine__model_linear_theme(m, ti);
            if (lin == NULL)
                return OPINE_ENOMEM;
            if (!parse_number(tv, &d) || !(d >= 0 && d <= 1))
                return opine__model_error(c->errmsg, m->errname, AT(tv),
                                          "theme '%s': evidence_probability "
                                          "must be a number 0..1",
                                          id);
            lin->pub.evidence = d;
        } else if (strcmp(key, "quotes") == 0 || strcmp(key, "speaker") == 0) {
            opine__linear *lin = opine__model_linear_theme(m, ti);
            if (lin == NULL)
                return OPINE_ENOMEM;
            if (!is_scalar(tv) ||
                (strcmp(str(tv), "true") != 0 && strcmp(str(tv), "false") != 0))
                return opine__model_error(c->errmsg, m->errname, AT(tv),
                                          "theme '%s': %s must be true "
                                          "or false",
                                          id, key);
            int on = strcmp(str(tv), "true") == 0;
            if (key[0] == 'q')
                lin->pub.quotes = on;
            else
                lin->pub.speaker = on;
        } else if (strcmp(key, "quiet_positive") == 0 ||
                   strcmp(key, "quiet_negative") == 0) {
            /* resolved below, once the cues are read; a lexicon theme
             * shows every cue (its stance is their sum) */
            quiet[key[6] == 'p' ? 0 : 1] = tv;
        } else if (strcmp(key, "metrics") == 0 || strcmp(key, "fit") == 0) {
            /* for people: what cross-validation measured, and what the
             * classifier says of its own training texts */
        } else if (strcmp(key, "positive") == 0 ||
                   strcmp(key, "negative") == 0) {
            opine_role role =
                key[0] == 'p' ? OPINE_ROLE_POSITIVE : OPINE_ROLE_NEGATIVE;
            rc = read_terms(c, tv, key, ti, role, &n);
            ncues += n;
            if (cues == NULL)
                cues = tk;
        } else {
            return opine__model_error(c->errmsg, m->errname, AT(tk),
                                      "theme '%s': unknown key '%s' "
                                      "(expected label, poles, targets, "
                                      "positive, negative%s)",
                                      id, key,
                                      m->linear
                                          ? ", window, neutral_weight, "
                                            "evidence_probability, "
                                            "quotes, speaker, quiet_positive, "
                                            "quiet_negative, bias, weights, "
                                            "metrics, fit"
                                          : "");
        }
        if (rc != 0)
            return rc;
    }
    for (int side = 0; side < 2; side++)
        if (quiet[side] && (rc = read_quiet(c, quiet[side], id, ti, side)) != 0)
            return rc;
    if (ntargets == 0)
        return opine__model_error(c->errmsg, m->errname, AT(k),
                                  "theme '%s': expected targets (at least "
                                  "one term that names the theme)",
                                  id);
    if (cues != NULL && poles == NULL)
        return opine__model_error(c->errmsg, m->errname, AT(cues),
                                  "theme '%s': positive and negative cues "
                                  "need poles",
                                  id);
    if (trained != NULL && poles == NULL)
        return opine__model_error(c->errmsg, m->errname, AT(trained),
                                  "theme '%s': a trained theme needs poles",
                                  id);
    if (poles != NULL && ncues == 0 && trained == NULL)
        return opine__model_error(c->errmsg, m->errname, AT(poles),
                                  "theme '%s': poles need positive or "
                                  "negative cues",
                                  id);
    return 0;
}

static int read_themes(yctx *c, yaml_node_t *v)
{
    if (v->type != YAML_MAPPING_NODE ||
        v->data.mapping.pairs.top == v->data.mapping.pairs.start)
        return opine__model_error(c->errmsg, c->m->errname, AT(v),
                                  "themes must be a mapping of theme id to "
                                  "theme, with at least one theme");
    /* Not check_keys(): a repeated theme gets its own message. */
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
         p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key);
        if (!is_scalar(k))
            return opine__model_error(c->errmsg, c->m->errname, AT(k),
                                      "expected a theme id");
        int rc = read_theme(c, k, node(c, p->value));
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int check_language(yctx *c, yaml_node_t *v)
{
    opine_stemmer *st;
    if (!is_scalar(v) || v->data.scalar.length == 0)
        return opine__model_error(c->errmsg, c->m->errname, AT(v),
                                  "language must be a Snowball language "
                                  "name such as english");
    int rc = opine_stemmer_new(&st, str(v));
    opine_stemmer_free(st);
    if (rc == OPINE_ELANG)
        return opine__model_error(c->errmsg, c->m->errname, AT(v),
                                  "unknown language '%s' (expected a "
                                  "Snowball language such as english)",
                                  str(v));
    if (rc != 0)
        return rc;
    if ((c->m->language = owned(c, v)) == NULL)
        return OPINE_ENOMEM;
    c->m->language_given = 1;
    return 0;
}

#define MODEL_KEYS                                                             \
    "name, version, kind, language, window, negation_scope, prior, "           \
    "interval, negators, training, themes"

static int read_model(yctx *c, yaml_node_t *root)
{
    opine_model *m = c->m;
    int have_version = 0, have_themes = 0, rc;
    yaml_node_t *kind = NULL;
    long l;
    double d;
    size_t n;

    if ((rc = check_keys(c, root)) != 0)
        return rc;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        const char *key = str(k);
        rc = 0;
        if (strcmp(key, "name") == 0) {
            if (!is_scalar(v) || !match_chars(str(v), "_.-"))
                return opine__model_error(c->errmsg, m->errname, AT(v),
                                          "name must match [a-z0-9_.-]+");
            if ((m->name = owned(c, v)) == NULL)
                return OPINE_ENOMEM;
        } else if (strcmp(key, "version") == 0) {
            if (!parse_int(v, &l) || l < 1 || l > 1000000000)
                return opine__model_error(c->errmsg, m->errname, AT(v),
                                          "version must be an integer >= 1");
            m->version = (int)l;
            have_version = 1;
        } else if (strcmp(key, "language") == 0) {
            rc = check_language(c, v);
        } else if (strcmp(key, "window") == 0) {
            if (is_scalar(v) && strcmp(str(v), "sentence") == 0)
                m->window = 0;
            else if (parse_int(v, &l) && l >= 1 && l <= 1000)
                m->window = (int)l;
            else
                return opine__model_error(c->errmsg, m->errname, AT(v),
                                          "window must be 'sentence' or an "
                                          "integer 1..1000");
        } else if (strcmp(key, "negation_scope") == 0) {
            if (!parse_int(v, &l) || l < 0 || l > 20)
                return opine__model_error(c->errmsg, m->errname, AT(v),
                                          "negation_scope must be an "
                                          "integer 0..20");
            m->negation_scope = (int)l;
        } else if (strcmp(key, "prior") == 0) {
            if (!parse_number(v, &d) || !(d > 0))
                return opine__model_error(c->errmsg, m->errname, AT(v),
                                          "prior must be a number > 0");
            m->prior = d;
        } else if (strcmp(key, "interval") == 0) {
            if (!parse_number(v, &d) || !(d > 0 && d < 1))
                return opine__model_error(c->errmsg, m->errname, AT(v),
                                          "interval must be a number "
                                          "between 0 and 1 (exclusive)");
            m->interval = d;
        } else if (strcmp(key, "negators") == 0) {
            rc = read_terms(c, v, "negators", UINT32_MAX, OPINE_ROLE_NEGATOR,
                            &n);
        } else if (strcmp(key, "kind") == 0) {
            if (is_scalar(v) && strcmp(str(v), "linear") == 0)
                m->linear = 1;
            else if (!is_scalar(v) || strcmp(str(v), "lexicon") != 0)
                return opine__model_error(c->errmsg, m->errname, AT(v),
                                          "kind must be lexicon or linear");
            kind = k;
        } else if (strcmp(key, "training") == 0) {
            /* for people: what a trained model learnt from */
        } else if (strcmp(key, "themes") == 0) {
            rc = read_themes(c, v);
            have_themes = 1;
        } else {
            return opine__model_error(
                c->errmsg, m->errname, AT(k),
                "unknown key '%s' (expected " MODEL_KEYS ")", key);
        }
        if (rc != 0)
            return rc;
    }
    /* Weights without kind: linear would be read and never used. */
    int weights = 0;
    for (size_t i = 0; i < m->nlin; i++)
        weights |= m->lin[i].set;
    if (weights && !m->linear)
        return opine__model_error(c->errmsg, m->errname, AT(kind ? kind : root),
                                  "themes have weights: say kind: linear");
    const char *missing = m->name == NULL ? "name"
                          : !have_version ? "version"
                          : !have_themes  ? "themes"
                                          : NULL;
    if (missing)
        return opine__model_error(c->errmsg, m->errname, AT(root),
                                  "missing required key '%s'", missing);
    return 0;
}

/* One category of a quanteda dictionary: terms, or sub-categories. */
static int read_category(yctx *c, const char *prefix, int depth, yaml_node_t *k,
                         yaml_node_t *v)
{
    opine_model *m = c->m;
    size_t plen = prefix ? strlen(prefix) + 1 : 0;
    size_t klen = k->data.scalar.length;
    int rc = 0;

    if (depth > MAX_DEPTH || ++c->categories > MAX_CATEGORIES)
        return opine__model_error(c->errmsg, m->errname, AT(k),
                                  "dictionary too deep or too large (at "
                                  "most %d levels, %d categories; do "
                                  "aliases refer to themselves?)",
                                  MAX_DEPTH, MAX_CATEGORIES);

    if (klen == 0)
        return opine__model_error(c->errmsg, m->errname, AT(k),
                                  "expected a category name");
    char *id = malloc(plen + klen + 1);
    if (id == NULL)
        return OPINE_ENOMEM;
    if (prefix) {
        memcpy(id, prefix, plen - 1);
        id[plen - 1] = '.';
    }
    memcpy(id + plen, str(k), klen + 1);

    if (v->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = v->data.sequence.items.start;
        uint32_t ti;
        const char *own;
        if (it == v->data.sequence.items.top)
            rc = opine__model_error(c->errmsg, m->errname, AT(v),
                                    "category '%s': expected a list of "
                                    "terms, not an empty one",
                                    id);
        else if (opine__model_find_theme(m, id) >= 0)
            rc = opine__model_error(c->errmsg, m->errname, AT(k),
                                    "duplicate category '%s'", id);
        else if ((own = opine__model_strndup(m, id, strlen(id))) == NULL ||
                 opine__model_add_theme(m, own, NULL, NULL, NULL, &ti) != 0)
            rc = OPINE_ENOMEM;
        for (; rc == 0 && it < v->data.sequence.items.top; it++) {
            yaml_node_t *t = node(c, *it);
            if (!is_scalar(t))
                rc = opine__model_error(c->errmsg, m->errname, AT(t),
                                        "category '%s': expected a term", id);
            else
                rc = opine__model_add_term(m, ti, OPINE_ROLE_TARGET, str(t),
                                           t->data.scalar.length, 1.0, AT(t),
                                           c->errmsg);
        }
    } else if (v->type == YAML_MAPPING_NODE &&
               v->data.mapping.pairs.top > v->data.mapping.pairs.start) {
        rc = check_keys(c, v);
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
             rc == 0 && p < v->data.mapping.pairs.top; p++)
            rc = read_category(c, id, depth + 1, node(c, p->key),
                               node(c, p->value));
    } else {
        rc = opine__model_error(c->errmsg, m->errname, AT(v),
                                "category '%s': expected a list of terms or "
                                "a mapping of sub-categories",
                                id);
    }
    free(id);
    return rc;
}

static int read_quanteda(yctx *c, yaml_node_t *root)
{
    int rc = check_keys(c, root);
    if (rc != 0)
        return rc;
    c->m->name = opine__model_basename(c->m, c->m->errname);
    if (c->m->name == NULL)
        return OPINE_ENOMEM;
    c->m->version = 1;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         rc == 0 && p < root->data.mapping.pairs.top; p++)
        rc = read_category(c, NULL, 1, node(c, p->key), node(c, p->value));
    return rc;
}

static int is_model(yctx *c, yaml_node_t *root)
{
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        if (!is_scalar(k))
            continue;
        if (strcmp(str(k), "themes") == 0)
            return 1;
        if ((strcmp(str(k), "name") == 0 || strcmp(str(k), "version") == 0) &&
            is_scalar(v))
            return 1;
    }
    return 0;
}

static int syntax_error(opine_model *m, yaml_parser_t *p, char **errmsg)
{
    if (p->error == YAML_MEMORY_ERROR)
        return OPINE_ENOMEM;
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_READER_ERROR)
        return opine__model_error(errmsg, m->errname, 0, 0, "%s at byte %zu",
                                  problem, p->problem_offset);
    if (p->context)
        return opine__model_error(
            errmsg, m->errname, p->problem_mark.line + 1,
            p->problem_mark.column + 1, "%s %s started at %zu:%zu", problem,
            p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    return opine__model_error(errmsg, m->errname, p->problem_mark.line + 1,
                              p->problem_mark.column + 1, "%s", problem);
}

int opine__model_read_yaml(opine_model *m, char **errmsg)
{
    yaml_parser_t parser;
    yaml_document_t doc, more;
    yctx c = {m, &doc, errmsg, 0};
    int rc;

    if (!yaml_parser_initialize(&parser))
        return OPINE_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)m->text,
                                 m->text_len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = syntax_error(m, &parser, errmsg);
        yaml_parser_delete(&parser);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL) {
        rc = opine__model_error(errmsg, m->errname, 0, 0,
                                "expected a model or a dictionary, found "
                                "no YAML document");
    } else if (root->type != YAML_MAPPING_NODE) {
        rc = opine__model_error(errmsg, m->errname, AT(root),
                                "expected a mapping (an opine model or a "
                                "quanteda dictionary)");
    } else if (!yaml_parser_load(&parser, &more)) {
        rc = syntax_error(m, &parser, errmsg);
    } else {
        yaml_node_t *extra = yaml_document_get_root_node(&more);
        if (extra != NULL)
            rc = opine__model_error(errmsg, m->errname, AT(extra),
                                    "expected one YAML document, found "
                                    "another");
        else if ((rc = check_aliases(&c)) == 0)
            rc = is_model(&c, root) ? read_model(&c, root)
                                    : read_quanteda(&c, root);
        yaml_document_delete(&more);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}
