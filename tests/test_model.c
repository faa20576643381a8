/* tests/test_model.c — models and dictionaries: loading, errors, matching.
 *
 * Expected stems come from opine_stemmer itself (checked against Snowball
 * in test_stem.c), so a term and a corpus type are compared the way the
 * pipeline compares them. Error cases check whole messages, place
 * included, counted by hand from the texts here. Cases are numbered, one
 * topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/model.h"
#include "models/feature_key.h"
#include "base/error.h"
#include "stages/stem.h"

static const char full_model[] =
    "# a model with every key\n"
    "name: us-rok-alliance\n"
    "version: 2\n"
    "language: english\n"
    "window: 5\n"
    "negation_scope: 4\n"
    "prior: 0.5\n"
    "interval: 0.8\n"
    "negators: [not, \"no longer\", never]\n"
    "themes:\n"
    "  north_korea:\n"
    "    label: North Korea policy\n"
    "    poles: {positive: engagement, negative: pressure}\n"
    "    targets: [\"north korea\", pyongyang, dprk]\n"
    "    positive: [dialogue, negotiations, \"peaceful coexistence\": 2]\n"
    "    negative:\n"
    "      - sanctions\n"
    "      - \"maximum pressure\"\n"
    "      - \"military option\": 2.5\n"
    "  alliance:\n"
    "    poles:\n"
    "      positive: solidarity\n"
    "      negative: burden\n"
    "    targets:\n"
    "      - alliance\n"
    "      - nuclear*\n"
    "    negative: [burden-sharing]\n"
    "    positive: [negotiate]\n"
    "  china:\n"
    "    targets: [china, beijing]\n";

static opine_model *load(const char *text, const char *name)
{
    opine_model *m = NULL;
    char *err = NULL;
    int rc = opine_model_load_buffer(&m, text, strlen(text), name, &err);
    if (rc != 0)
        print_error("load: %s\n", err ? err : "(no message)");
    assert_int_equal(rc, 0);
    assert_null(err);
    assert_non_null(m);
    return m;
}

static opine_model *load_compiled(const char *text, const char *name,
                                  const char *lang)
{
    opine_model *m = load(text, name);
    char *err = NULL;
    int rc = opine_model_compile(m, lang, &err);
    if (rc != 0)
        print_error("compile: %s\n", err ? err : "(no message)");
    assert_int_equal(rc, 0);
    assert_null(err);
    return m;
}

static void expect_error(const char *text, const char *name, int code,
                         const char *msg)
{
    opine_model *m = (opine_model *)&m;
    char *err = NULL;
    int rc = opine_model_load_buffer(&m, text, strlen(text), name, &err);
    assert_int_equal(rc, code);
    assert_null(m);
    assert_non_null(err);
    assert_string_equal(err, msg);
    free(err);
}

static void expect_compile_error(const char *text, const char *lang, int code,
                                 const char *msg)
{
    opine_model *m = load(text, "m.yaml");
    char *err = NULL;
    assert_int_equal(opine_model_compile(m, lang, &err), code);
    assert_non_null(err);
    assert_string_equal(err, msg);
    free(err);
    opine_model_free(m);
}

/* The stem the pipeline would give a corpus type. */
static char *stem_of(const char *word)
{
    opine_stemmer *s = NULL;
    size_t n;
    assert_int_equal(opine_stemmer_new(&s, "english"), 0);
    const char *r = opine_stemmer_stem(s, word, strlen(word), &n);
    assert_non_null(r);
    char *c = strndup(r, n);
    assert_non_null(c);
    opine_stemmer_free(s);
    return c;
}

/* The patterns a corpus type matches, stemmed in English. */
static size_t match(const opine_model *m, const char *type, uint32_t *pats,
                    size_t max)
{
    char *stem = stem_of(type);
    size_t n = opine_model_match_type(m, type, strlen(type), stem, strlen(stem),
                                      pats, max);
    free(stem);
    return n;
}

static size_t find_term(const opine_model *m, const char *text)
{
    for (size_t i = 0; i < opine_model_nterms(m); i++)
        if (strcmp(opine_model_term(m, i)->text, text) == 0)
            return i;
    fail_msg("no term '%s'", text);
    return 0;
}

static void test01_full_model(void **state)
{
    (void)state;
    opine_model *m = load(full_model, "m.yaml");
    assert_string_equal(opine_model_name(m), "us-rok-alliance");
    assert_int_equal(opine_model_version(m), 2);
    assert_string_equal(opine_model_language(m), "english");
    assert_int_equal(opine_model_window(m), 5);
    assert_int_equal(opine_model_negation_scope(m), 4);
    assert_true(opine_model_prior(m) == 0.5);
    assert_true(opine_model_interval(m) == 0.8);
    assert_string_equal(opine_model_text(m), full_model);
    assert_int_equal(opine_model_nthemes(m), 3);

    const opine_theme_info *t = opine_model_theme(m, 0);
    assert_string_equal(t->id, "north_korea");
    assert_string_equal(t->label, "North Korea policy");
    assert_string_equal(t->positive, "engagement");
    assert_string_equal(t->negative, "pressure");
    t = opine_model_theme(m, 1);
    assert_string_equal(t->id, "alliance");
    assert_string_equal(t->label, "alliance");
    assert_string_equal(t->positive, "solidarity");
    assert_string_equal(t->negative, "burden");
    /* Salience-only: targets and nothing else. */
    t = opine_model_theme(m, 2);
    assert_string_equal(t->id, "china");
    assert_string_equal(t->label, "china");
    assert_null(t->positive);
    assert_null(t->negative);
    assert_null(opine_model_theme(m, 3));
    opine_model_free(m);
}

static void test02_defaults(void **state)
{
    (void)state;
    opine_model *m = load("name: m\nversion: 1\nthemes:\n"
                          "  china: {targets: [china]}\n",
                          "m.yaml");
    assert_string_equal(opine_model_language(m), "english");
    assert_int_equal(opine_model_window(m), 0);
    assert_int_equal(opine_model_negation_scope(m), 3);
    assert_true(opine_model_prior(m) == 1.0);
    assert_true(opine_model_interval(m) == 0.9);
    opine_model_free(m);

    m = load("name: m\nversion: 1\nwindow: sentence\nthemes:\n"
             "  china: {targets: [china]}\n",
             "m.yaml");
    assert_int_equal(opine_model_window(m), 0);
    opine_model_free(m);
}

/* Term order, roles, weights (flow and block), phrases, shared patterns. */
static void test03_compile_terms(void **state)
{
    (void)state;
    opine_model *m = load_compiled(full_model, "m.yaml", NULL);
    static const struct {
        const char *text;
        uint32_t theme;
        uint8_t role;
        double weight;
        uint32_t npatterns;
    } want[] = {
        {"north korea", 0, OPINE_ROLE_TARGET, 1, 2},
        {"pyongyang", 0, OPINE_ROLE_TARGET, 1, 1},
        {"dprk", 0, OPINE_ROLE_TARGET, 1, 1},
        {"dialogue", 0, OPINE_ROLE_POSITIVE, 1, 1},
        {"negotiations", 0, OPINE_ROLE_POSITIVE, 1, 1},
        {"peaceful coexistence", 0, OPINE_ROLE_POSITIVE, 2, 2},
        {"sanctions", 0, OPINE_ROLE_NEGATIVE, 1, 1},
        {"maximum pressure", 0, OPINE_ROLE_NEGATIVE, 1, 2},
        {"military option", 0, OPINE_ROLE_NEGATIVE, 2.5, 2},
        {"alliance", 1, OPINE_ROLE_TARGET, 1, 1},
        {"nuclear*", 1, OPINE_ROLE_TARGET, 1, 1},
        {"negotiate", 1, OPINE_ROLE_POSITIVE, 1, 1},
        {"burden-sharing", 1, OPINE_ROLE_NEGATIVE, 1, 1},
        {"china", 2, OPINE_ROLE_TARGET, 1, 1},
        {"beijing", 2, OPINE_ROLE_TARGET, 1, 1},
        {"not", UINT32_MAX, OPINE_ROLE_NEGATOR, 1, 1},
        {"no longer", UINT32_MAX, OPINE_ROLE_NEGATOR, 1, 2},
        {"never", UINT32_MAX, OPINE_ROLE_NEGATOR, 1, 1},
    };
    size_t n = sizeof(want) / sizeof(want[0]);
    assert_int_equal(opine_model_nterms(m), n);
    for (size_t i = 0; i < n; i++) {
        const opine_term *t = opine_model_term(m, i);
        assert_string_equal(t->text, want[i].text);
        assert_int_equal(t->theme, want[i].theme);
        assert_int_equal(t->role, want[i].role);
        assert_true(t->weight == want[i].weight);
        assert_int_equal(t->npatterns, want[i].npatterns);
        for (uint32_t k = 0; k < t->npatterns; k++)
            assert_true(t->patterns[k] < opine_model_npatterns(m));
    }
    assert_null(opine_model_term(m, n));

    /* "maximum pressure": two different patterns. */
    const opine_term *mp = opine_model_term(m, 7);
    assert_int_not_equal(mp->patterns[0], mp->patterns[1]);
    /* "negotiations" and "negotiate" share their stem, so one pattern. */
    assert_int_equal(opine_model_term(m, 4)->patterns[0],
                     opine_model_term(m, 11)->patterns[0]);
    /* Every token but the shared one is a pattern of its own: 23 tokens,
     * one shared. */
    assert_int_equal(opine_model_npatterns(m), 22);
    opine_model_free(m);
}

static void test04_terms_starting(void **state)
{
    (void)state;
    opine_model *m = load_compiled(full_model, "m.yaml", NULL);
    size_t n;
    const uint32_t *ts;

    uint32_t negoti = opine_model_term(m, 4)->patterns[0];
    ts = opine_model_terms_starting(m, negoti, &n);
    assert_int_equal(n, 2);
    assert_int_equal(ts[0], 4);
    assert_int_equal(ts[1], 11);

    /* "pressure", second in "maximum pressure", starts no term. */
    ts = opine_model_terms_starting(m, opine_model_term(m, 7)->patterns[1], &n);
    assert_int_equal(n, 0);

    /* Every term is listed under its first pattern, and only there. */
    size_t total = 0;
    for (uint32_t p = 0; p < opine_model_npatterns(m); p++) {
        ts = opine_model_terms_starting(m, p, &n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(opine_model_term(m, ts[i])->patterns[0], p);
            if (i > 0)
                assert_true(ts[i - 1] < ts[i]);
        }
        total += n;
    }
    assert_int_equal(total, opine_model_nterms(m));
    opine_model_terms_starting(m, (uint32_t)opine_model_npatterns(m), &n);
    assert_int_equal(n, 0);
    opine_model_free(m);
}

static void test05_match_stem(void **state)
{
    (void)state;
    opine_model *m = load_compiled(full_model, "m.yaml", NULL);
    uint32_t pats[8];

    char *stem = stem_of("negotiate");
    assert_string_equal(stem, "negoti");
    free(stem);
    assert_int_equal(match(m, "negotiate", pats, 8), 1);
    assert_int_equal(pats[0], opine_model_term(m, 4)->patterns[0]);
    assert_int_equal(match(m, "negotiations", pats, 8), 1);
    assert_int_equal(pats[0], opine_model_term(m, 4)->patterns[0]);
    /* Tokens in phrases match on their own too. */
    assert_int_equal(match(m, "korea", pats, 8), 1);
    assert_int_equal(pats[0], opine_model_term(m, 0)->patterns[1]);
    assert_int_equal(match(m, "taiwan", pats, 8), 0);
    opine_model_free(m);
}

static void test06_match_wildcard(void **state)
{
    (void)state;
    opine_model *m = load_compiled(full_model, "m.yaml", NULL);
    uint32_t pats[8];
    uint32_t nuclear = opine_model_term(m, 10)->patterns[0];

    assert_int_equal(match(m, "nuclear", pats, 8), 1);
    assert_int_equal(pats[0], nuclear);
    assert_int_equal(match(m, "nuclearization", pats, 8), 1);
    assert_int_equal(pats[0], nuclear);
    assert_int_equal(match(m, "unclear", pats, 8), 0);
    assert_int_equal(match(m, "nuclea", pats, 8), 0);
    opine_model_free(m);
}

/* Several patterns for one type come out ascending, whatever their kind;
 * too small a buffer still gets the count. */
static void test07_match_order(void **state)
{
    (void)state;
    opine_model *m = load_compiled("name: m\nversion: 1\nthemes:\n"
                                   "  a: {targets: [\"nuc*\", "
                                   "nuclearization, nuclear*]}\n"
                                   "  b: {targets: [\"nuclearization*\"]}\n",
                                   "m.yaml", NULL);
    uint32_t pats[8];
    assert_int_equal(opine_model_npatterns(m), 4);
    assert_int_equal(match(m, "nuclearization", pats, 8), 4);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(pats[i], i);
    memset(pats, 0xff, sizeof(pats));
    assert_int_equal(match(m, "nuclearization", pats, 2), 4);
    assert_int_equal(pats[0], 0);
    assert_int_equal(pats[1], 1);
    assert_int_equal(pats[2], UINT32_MAX);
    /* "nuclear" shares the stem of "nuclearization", "nucleus" only the
     * prefix "nuc". */
    char *s1 = stem_of("nuclear"), *s2 = stem_of("nuclearization");
    assert_string_equal(s1, s2);
    free(s1);
    free(s2);
    assert_int_equal(match(m, "nuclear", pats, 8), 3);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(pats[i], i);
    assert_int_equal(match(m, "nucleus", pats, 8), 1);
    assert_int_equal(pats[0], 0);
    opine_model_free(m);
}

/* The same text twice in a theme and role is one term; with another
 * weight it is an error. In another role or theme it is a term again. */
static void test08_duplicates(void **state)
{
    (void)state;
    opine_model *m =
        load_compiled("name: m\nversion: 1\nthemes:\n"
                      "  a:\n"
                      "    targets: [korea, korea, \"korea\": 1, \" korea \"]\n"
                      "    poles: {positive: p, negative: n}\n"
                      "    positive: [korea]\n"
                      "  b: {targets: [korea]}\n",
                      "m.yaml", NULL);
    assert_int_equal(opine_model_nterms(m), 3);
    assert_int_equal(opine_model_npatterns(m), 1);
    size_t n;
    opine_model_terms_starting(m, 0, &n);
    assert_int_equal(n, 3);
    opine_model_free(m);

    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  a:\n"
                 "    targets: [korea, \"korea\": 2]\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:5:22: theme 'a': targets term 'korea' is listed "
                 "twice with different weights (1, 2)");
}

static void test09_errors_keys(void **state)
{
    (void)state;
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: [china]\n"
                 "    postive: [trade]\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:6:5: theme 'china': unknown key 'postive' "
                 "(expected label, poles, targets, positive, negative)");
    expect_error("name: m\nversion: 1\nthemse:\n"
                 "  china: {targets: [china]}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:1: unknown key 'themse' (expected name, version, "
                 "kind, language, window, negation_scope, prior, interval, "
                 "negators, training, themes)");
    expect_error("name: m\nversion: 1\n", "m.yaml", OPINE_EFORMAT,
                 "m.yaml:1:1: missing required key 'themes'");
    expect_error("version: 1\nthemes: {a: {targets: [x]}}\n", "m.yaml",
                 OPINE_EFORMAT, "m.yaml:1:1: missing required key 'name'");
    expect_error("name: m\nthemes: {a: {targets: [x]}}\n", "m.yaml",
                 OPINE_EFORMAT, "m.yaml:1:1: missing required key 'version'");
    expect_error("name: m\nversion: 1\nname: n\nthemes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT, "m.yaml:3:1: duplicate key 'name'");
    expect_error("name: M!\nversion: 1\nthemes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:1:7: name must match [a-z0-9_.-]+");
}

static void test10_errors_values(void **state)
{
    (void)state;
    expect_error("name: m\nversion: 0\nthemes: {a: {targets: [x]}}\n", "m.yaml",
                 OPINE_EFORMAT, "m.yaml:2:10: version must be an integer >= 1");
    expect_error("name: m\nversion: 1.5\nthemes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:2:10: version must be an integer >= 1");
    expect_error("name: m\nversion: 1\nwindow: 0\n"
                 "themes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:9: window must be 'sentence' or an integer "
                 "1..1000");
    expect_error("name: m\nversion: 1\nwindow: sentences\n"
                 "themes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:9: window must be 'sentence' or an integer "
                 "1..1000");
    expect_error("name: m\nversion: 1\nnegation_scope: 21\n"
                 "themes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:17: negation_scope must be an integer 0..20");
    expect_error("name: m\nversion: 1\nprior: 0\n"
                 "themes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:8: prior must be a number > 0");
    expect_error("name: m\nversion: 1\ninterval: 1\n"
                 "themes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:11: interval must be a number between 0 and 1 "
                 "(exclusive)");
    expect_error("name: m\nversion: 1\nlanguage: klingon\n"
                 "themes: {a: {targets: [x]}}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:11: unknown language 'klingon' (expected a "
                 "Snowball language such as english)");
    /* Weights, block and flow. */
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: [china]\n"
                 "    poles: {positive: a, negative: b}\n"
                 "    negative:\n"
                 "      - \"military option\": 0\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:8:28: weight must be a number > 0");
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: [china]\n"
                 "    poles: {positive: a, negative: b}\n"
                 "    positive: [dialogue, \"x\": -1]\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:7:31: weight must be a number > 0");
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: [\"  \"]\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:5:15: theme 'china': expected a term, not an empty "
                 "one");
}

static void test11_errors_themes(void **state)
{
    (void)state;
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: [china]\n"
                 "    positive: [trade]\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:6:5: theme 'china': positive and negative cues need "
                 "poles");
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: [china]\n"
                 "    poles: {positive: a, negative: b}\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:6:5: theme 'china': poles need positive or negative "
                 "cues");
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    label: China\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:4:3: theme 'china': expected targets (at least one "
                 "term that names the theme)");
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: []\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:4:3: theme 'china': expected targets (at least one "
                 "term that names the theme)");
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: [china]\n"
                 "  china:\n"
                 "    targets: [beijing]\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:6:3: duplicate theme 'china'");
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  china:\n"
                 "    targets: [china]\n"
                 "    poles: {positive: a}\n"
                 "    positive: [x]\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:6:12: theme 'china': poles need both positive and "
                 "negative");
    expect_error("name: m\nversion: 1\nthemes:\n"
                 "  North-Korea:\n"
                 "    targets: [x]\n",
                 "m.yaml", OPINE_EFORMAT,
                 "m.yaml:4:3: theme id 'North-Korea' must match [a-z0-9_]+");
    expect_error("name: m\nversion: 1\nthemes: {}\n", "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:9: themes must be a mapping of theme id to theme, "
                 "with at least one theme");
}

/* libyaml's own messages, placed where it found the problem. */
static void test12_errors_syntax(void **state)
{
    (void)state;
    expect_error("name: m\nversion: 1\nthemes: [a, b\n", "m.yaml",
                 OPINE_EFORMAT,
                 "m.yaml:4:1: did not find expected ',' or ']' while "
                 "parsing a flow sequence started at 3:9");
    expect_error("name: m\n  version: 1\n", "m.yaml", OPINE_EFORMAT,
                 "m.yaml:2:10: mapping values are not allowed in this "
                 "context");
    expect_error("", "m.yaml", OPINE_EFORMAT,
                 "m.yaml: expected a model or a dictionary, found no YAML "
                 "document");
    expect_error("- a\n- b\n", "m.yaml", OPINE_EFORMAT,
                 "m.yaml:1:1: expected a mapping (an opine model or a "
                 "quanteda dictionary)");
    expect_error("name: m\n---\nname: n\n", "m.yaml", OPINE_EFORMAT,
                 "m.yaml:3:1: expected one YAML document, found another");
}

/* A term that tokenizes to nothing, and '*' after a space, fail compile. */
static void test13_errors_compile(void **state)
{
    (void)state;
    expect_compile_error("name: m\nversion: 1\nthemes:\n"
                         "  a: {targets: [x, \"!!!\"]}\n",
                         NULL, OPINE_EFORMAT,
                         "m.yaml:4:20: theme 'a': term '!!!' has no words");
    expect_compile_error("name: m\nversion: 1\nnegators: [\"--\"]\n"
                         "themes: {a: {targets: [x]}}\n",
                         NULL, OPINE_EFORMAT,
                         "m.yaml:3:12: negator '--' has no words");
    expect_compile_error("name: m\nversion: 1\nthemes:\n"
                         "  a: {targets: [\"nuclear *\"]}\n",
                         NULL, OPINE_EFORMAT,
                         "m.yaml:4:17: term 'nuclear *': expected '*' right "
                         "after a word");
}

/* A model that names its language is stemmed in it and no other; one that
 * does not, like a dictionary, takes the corpus's. */
static void test14_language(void **state)
{
    (void)state;
    expect_compile_error(full_model, "german", OPINE_ELANG,
                         "model 'us-rok-alliance' is for 'english' but the "
                         "corpus is stemmed in 'german'");
    opine_model *m = load_compiled(full_model, "m.yaml", "english");
    assert_string_equal(opine_model_language(m), "english");
    opine_model_free(m);

    m = load_compiled("a: [häuser]\n", "d.yml", "german");
    assert_string_equal(opine_model_language(m), "german");
    uint32_t pats[2];
    assert_int_equal(opine_model_match_type(m, "haus", 4, "haus", 4, pats, 2),
                     1);
    opine_model_free(m);

    expect_compile_error("a: [x]\n", "klingon", OPINE_ELANG,
                         "no Snowball stemmer for 'klingon'");
}

static const char liwc[] = "# a LIWC dictionary\n"
                           "%\n"
                           "1\tposemo\n"
                           "2   negemo\n"
                           "3\tsocial\n"
                           "%\n"
                           "good\t1\n"
                           "\n"
                           "bad*\t2\n"
                           "kind of\t1 3\n"
                           "friend\t3\t1\n"
                           "911 3\n";

static void test15_liwc(void **state)
{
    (void)state;
    opine_model *m = load_compiled(liwc, "dicts/liwc2015.dic", NULL);
    assert_string_equal(opine_model_name(m), "liwc2015");
    assert_int_equal(opine_model_version(m), 1);
    assert_string_equal(opine_model_language(m), "english");
    assert_int_equal(opine_model_window(m), 0);
    assert_int_equal(opine_model_nthemes(m), 3);
    static const char *ids[] = {"posemo", "negemo", "social"};
    for (size_t i = 0; i < 3; i++) {
        const opine_theme_info *t = opine_model_theme(m, i);
        assert_string_equal(t->id, ids[i]);
        assert_string_equal(t->label, ids[i]);
        assert_null(t->positive);
        assert_null(t->negative);
    }
    static const struct {
        const char *text;
        uint32_t theme;
    } want[] = {{"good", 0},    {"kind of", 0}, {"friend", 0}, {"bad*", 1},
                {"kind of", 2}, {"friend", 2},  {"911", 2}};
    assert_int_equal(opine_model_nterms(m), 7);
    for (size_t i = 0; i < 7; i++) {
        const opine_term *t = opine_model_term(m, i);
        assert_string_equal(t->text, want[i].text);
        assert_int_equal(t->theme, want[i].theme);
        assert_int_equal(t->role, OPINE_ROLE_TARGET);
        assert_true(t->weight == 1.0);
    }
    /* A term in two categories: two terms, one set of patterns. */
    assert_int_equal(opine_model_term(m, 1)->npatterns, 2);
    assert_memory_equal(opine_model_term(m, 1)->patterns,
                        opine_model_term(m, 4)->patterns, 2 * sizeof(uint32_t));
    size_t n;
    const uint32_t *ts =
        opine_model_terms_starting(m, opine_model_term(m, 1)->patterns[0], &n);
    assert_int_equal(n, 2);
    assert_int_equal(ts[0], 1);
    assert_int_equal(ts[1], 4);
    uint32_t pats[4];
    assert_int_equal(match(m, "badly", pats, 4), 1);
    assert_int_equal(pats[0], opine_model_term(m, 3)->patterns[0]);
    assert_int_equal(match(m, "friends", pats, 4), 1);
    opine_model_free(m);
}

static void test16_liwc_errors(void **state)
{
    (void)state;
    expect_error("%\n1\tposemo\n%\ngood\t1\nhello\t7\n", "x.dic", OPINE_EFORMAT,
                 "x.dic:5:7: unknown category 7 for term 'hello'");
    expect_error("%\n1\tposemo\n%\ngood\n", "x.dic", OPINE_EFORMAT,
                 "x.dic:4:1: expected a term and its category numbers");
    expect_error("%\n1\tposemo\nposemo 1\n", "x.dic", OPINE_EFORMAT,
                 "x.dic:3:1: expected a category line: NUMBER NAME, or '%' "
                 "to end the categories");
    expect_error("%\n1\tposemo\n1\tnegemo\n%\n", "x.dic", OPINE_EFORMAT,
                 "x.dic:3:1: duplicate category number 1");
    expect_error("%\n1\tposemo\n", "x.dic", OPINE_EFORMAT,
                 "x.dic:2:1: expected '%' to end the categories");
}

static void test17_quanteda(void **state)
{
    (void)state;
    opine_model *m = load_compiled("economy:\n"
                                   "  trade: [tariff*, \"free trade\"]\n"
                                   "  jobs:\n"
                                   "    - employment\n"
                                   "    - jobs\n"
                                   "a: {b: {c: [x]}}\n"
                                   "security: [military, defense]\n",
                                   "dir/topics.yml", NULL);
    assert_string_equal(opine_model_name(m), "topics");
    assert_int_equal(opine_model_version(m), 1);
    static const char *ids[] = {"economy.trade", "economy.jobs", "a.b.c",
                                "security"};
    assert_int_equal(opine_model_nthemes(m), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(opine_model_theme(m, i)->id, ids[i]);
        assert_null(opine_model_theme(m, i)->positive);
    }
    assert_int_equal(opine_model_nterms(m), 7);
    assert_int_equal(opine_model_term(m, find_term(m, "free trade"))->theme, 0);
    assert_int_equal(opine_model_term(m, find_term(m, "x"))->theme, 2);
    uint32_t pats[4];
    assert_int_equal(match(m, "tariffs", pats, 4), 1);
    opine_model_free(m);

    expect_error("a:\n  b: [x]\n  c: 3\n", "d.yml", OPINE_EFORMAT,
                 "d.yml:3:6: category 'a.c': expected a list of terms or a "
                 "mapping of sub-categories");
    expect_error("a: [x, [y]]\n", "d.yml", OPINE_EFORMAT,
                 "d.yml:1:8: category 'a': expected a term");
    /* An alias that contains itself must not recurse for ever. */
    opine_model *d = (opine_model *)&d;
    char *err = NULL;
    const char *loop = "a: &x {b: *x}\n";
    assert_int_equal(
        opine_model_load_buffer(&d, loop, strlen(loop), "d.yml", &err),
        OPINE_EFORMAT);
    assert_null(d);
    assert_non_null(strstr(err, "holds it"));
    free(err);
}

static void test18_hash(void **state)
{
    (void)state;
    opine_model *a = load(full_model, "m.yaml");
    opine_model *b = load(full_model, "other.yaml");
    char *changed = strdup(full_model);
    assert_non_null(changed);
    changed[strlen(changed) - 3] = 'h'; /* beijinh */
    opine_model *c = load(changed, "m.yaml");
    const char *h = opine_model_hash(a);
    assert_int_equal(strlen(h), 32);
    for (const char *p = h; *p; p++)
        assert_non_null(strchr("0123456789abcdef", *p));
    assert_string_equal(h, opine_model_hash(b));
    assert_string_not_equal(h, opine_model_hash(c));
    opine_model_free(a);
    opine_model_free(b);
    opine_model_free(c);
    free(changed);
}

static void test19_files(void **state)
{
    (void)state;
    opine_model *m = (opine_model *)&m;
    char *err = NULL;
    const char *missing = "/nonexistent/opine/m.yaml";
    assert_int_equal(opine_model_load(&m, missing, &err), OPINE_EIO);
    assert_null(m);
    assert_non_null(err);
    assert_non_null(strstr(err, missing));
    free(err);

    char dir[] = "/tmp/opine-model-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/feelings.dic", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(liwc, f);
    fclose(f);
    assert_int_equal(opine_model_load(&m, path, &err), 0);
    assert_string_equal(opine_model_name(m), "feelings");
    assert_string_equal(opine_model_text(m), liwc);
    opine_model_free(m);

    /* Messages name the file as it was given. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("%\n1 a\n%\nx 2\n", f);
    fclose(f);
    assert_int_equal(opine_model_load(&m, path, &err), OPINE_EFORMAT);
    char want[128];
    snprintf(want, sizeof(want), "%s:4:3: unknown category 2 for term 'x'",
             path);
    assert_string_equal(err, want);
    free(err);
    unlink(path);
    rmdir(dir);
    opine_model_free(NULL);
}

/* 20: a trained model: window, neutral weight, bias, weights as lines
 * or as a mapping; features found by name and, after compiling, by key
 * (as the scorer makes them, from stem hashes); what is wrong is named. */
static void test20_trained(void **state)
{
    (void)state;
    opine_model *m = load_compiled(
        "name: t\nversion: 2\nkind: linear\nthemes:\n"
        "  tea:\n    poles: {positive: for, negative: against}\n"
        "    targets: [tea]\n    window: 12\n    neutral_weight: 0.5\n"
        "    bias: [-1, 0.5, -2]\n    weights: |\n"
        "      w:good\t1.5\t-0.25\t-1\n"
        "      b:not good\t-1\t0\t1\n"
        "  coffee:\n    targets: [coffee]\n",
        "t.yaml", NULL);
    assert_true(opine_model_is_linear(m));
    const opine_linear_theme *lt = opine_model_linear(m, 0);
    assert_non_null(lt);
    assert_null(opine_model_linear(m, 1)); /* salience only */
    assert_int_equal(lt->window, 12);
    assert_true(lt->neutral == 0.5);
    assert_true(lt->bias[0] == -1 && lt->bias[1] == 0.5 && lt->bias[2] == -2);
    assert_false(lt->off); /* three classes */
    assert_true(lt->evidence == 0.5);
    assert_int_equal(lt->nfeatures, 2);
    long f = opine_model_feature(m, 0, "b:not good", 10);
    assert_int_equal(f, 1);
    assert_true(lt->w[4 * f] == -1 && lt->w[4 * f + 2] == 1 &&
                lt->w[4 * f + 3] == 0);
    assert_int_equal(
        opine_model_feature_hash(m, 0, opine_model_feature_key("w:good", 6)),
        0);
    assert_int_equal(
        opine_model_feature_hash(m, 0, opine_model_feature_key("w:bad", 5)),
        -1);
    /* The scorer makes keys from stem hashes: they must be the names'. */
    assert_int_equal(
        opine_model_feature_hash(
            m, 0,
            opine__feature_key(OPINE__KEY_B, opine__stem_hash("not", 3),
                               opine__stem_hash("good", 4))),
        1);
    assert_int_equal(
        opine_model_feature_hash(
            m, 0,
            opine__feature_key(OPINE__KEY_W, opine__stem_hash("good", 4), 0)),
        0);
    assert_int_equal(
        opine_model_feature_hash(
            m, 0,
            opine__feature_key(OPINE__KEY_N, opine__stem_hash("good", 4), 0)),
        -1);
    opine_model_free(m);

    m = load("name: t\nversion: 2\nkind: linear\nthemes:\n"
             "  tea:\n    poles: {positive: for, negative: against}\n"
             "    targets: [tea]\n    bias: [0, 0, 0]\n"
             "    weights: {\"w:good\": [1, 0, -1]}\n",
             "t.yaml");
    assert_int_equal(opine_model_linear(m, 0)->nfeatures, 1);
    opine_model_free(m);

    /* Four classes: the fourth is off the theme (labels x). */
    m = load("name: t\nversion: 2\nkind: linear\nthemes:\n"
             "  tea:\n    poles: {positive: for, negative: against}\n"
             "    targets: [tea]\n    bias: [0, 0, 0, -3]\n"
             "    evidence_probability: 0.75\n"
             "    weights: |\n      w:good\t1\t0\t-1\t-2\n"
             "      w:towel\t0\t0\t0\t4\n",
             "t.yaml");
    lt = opine_model_linear(m, 0);
    assert_true(lt->off && lt->bias[3] == -3 && lt->evidence == 0.75);
    assert_true(lt->w[3] == -2 && lt->w[4 + 3] == 4);
    assert_int_equal(lt->quotes, 0); /* models from before the feature */
    assert_int_equal(lt->speaker, 0);
    assert_false(opine_model_reads_quotes(m));
    opine_model_free(m);

    /* speaker: the features s:... (models/score_linear.c), which read
     * quotation marks too. */
    m = load("name: t\nversion: 2\nkind: linear\nthemes:\n"
             "  tea:\n    poles: {positive: for, negative: against}\n"
             "    targets: [tea]\n    bias: [0, 0, 0]\n"
             "    speaker: true\n"
             "    weights: |\n      s:we\t2\t-1\t0\n",
             "t.yaml");
    lt = opine_model_linear(m, 0);
    assert_true(lt->speaker && !lt->quotes && opine_model_reads_quotes(m));
    opine_model_free(m);
    expect_error("name: t\nversion: 2\nkind: linear\nthemes:\n"
                 "  tea:\n    poles: {positive: for, negative: against}\n"
                 "    targets: [tea]\n    speaker: 1\n",
                 "t.yaml", OPINE_EFORMAT,
                 "t.yaml:8:14: theme 'tea': speaker must be true or false");

    /* quotes: the feature w:" (a token after a double quotation mark),
     * whose key is a word's with '"' for the stem. */
    m = load_compiled("name: t\nversion: 2\nkind: linear\nthemes:\n"
                      "  tea:\n    poles: {positive: for, negative: against}\n"
                      "    targets: [tea]\n    bias: [0, 0, 0]\n"
                      "    quotes: true\n"
                      "    weights: |\n      w:\"\t-2\t3\t-1\n",
                      "t.yaml", NULL);
    lt = opine_model_linear(m, 0);
    assert_int_equal(lt->quotes, 1);
    assert_int_equal(
        opine_model_feature_hash(
            m, 0,
            opine__feature_key(OPINE__KEY_W, opine__stem_hash("\"", 1), 0)),
        0);
    opine_model_free(m);
    expect_error("name: t\nversion: 2\nkind: linear\nthemes:\n"
                 "  tea:\n    poles: {positive: for, negative: against}\n"
                 "    targets: [tea]\n    quotes: yes\n",
                 "t.yaml", OPINE_EFORMAT,
                 "t.yaml:8:13: theme 'tea': quotes must be true or false");
    expect_error("name: t\nversion: 2\nkind: linear\nthemes:\n"
                 "  tea:\n    poles: {positive: for, negative: against}\n"
                 "    targets: [tea]\n    bias: [0, 0, 0]\n"
                 "    weights: |\n      w:good\t1\t0\t1\t2\t3\n",
                 "t.yaml", OPINE_EFORMAT,
                 "t.yaml:10:1: theme 'tea': weights: expected "
                 "feature<TAB>w+<TAB>w0<TAB>w-[<TAB>wx]");
    expect_error("name: t\nversion: 2\nkind: linear\nthemes:\n"
                 "  tea:\n    poles: {positive: for, negative: against}\n"
                 "    targets: [tea]\n    evidence_probability: 2\n",
                 "t.yaml", OPINE_EFORMAT,
                 "t.yaml:8:27: theme 'tea': evidence_probability must be a "
                 "number 0..1");

    expect_error("name: t\nversion: 2\nkind: linear\nthemes:\n"
                 "  tea:\n    poles: {positive: for, negative: against}\n"
                 "    targets: [tea]\n    bias: [0, 0, 0]\n"
                 "    weights: |\n      w:good\t1\t0\n",
                 "t.yaml", OPINE_EFORMAT,
                 "t.yaml:10:1: theme 'tea': weights: expected "
                 "feature<TAB>w+<TAB>w0<TAB>w-[<TAB>wx]");
    expect_error("name: t\nversion: 2\nthemes:\n"
                 "  tea:\n    poles: {positive: for, negative: against}\n"
                 "    targets: [tea]\n    bias: [0, 0, 0]\n"
                 "    weights: {\"w:good\": [1, 0, -1]}\n",
                 "t.yaml", OPINE_EFORMAT,
                 "t.yaml:1:1: themes have weights: say kind: linear");
    expect_error("name: t\nversion: 2\nkind: linear\nthemes:\n"
                 "  tea:\n    poles: {positive: for, negative: against}\n"
                 "    targets: [tea]\n    bias: [0, 0]\n",
                 "t.yaml", OPINE_EFORMAT,
                 "t.yaml:8:11: theme 'tea': bias: expected three numbers "
                 "[+1, 0, -1] or four [+1, 0, -1, x]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_full_model),
        cmocka_unit_test(test02_defaults),
        cmocka_unit_test(test03_compile_terms),
        cmocka_unit_test(test04_terms_starting),
        cmocka_unit_test(test05_match_stem),
        cmocka_unit_test(test06_match_wildcard),
        cmocka_unit_test(test07_match_order),
        cmocka_unit_test(test08_duplicates),
        cmocka_unit_test(test09_errors_keys),
        cmocka_unit_test(test10_errors_values),
        cmocka_unit_test(test11_errors_themes),
        cmocka_unit_test(test12_errors_syntax),
        cmocka_unit_test(test13_errors_compile),
        cmocka_unit_test(test14_language),
        cmocka_unit_test(test15_liwc),
        cmocka_unit_test(test16_liwc_errors),
        cmocka_unit_test(test17_quanteda),
        cmocka_unit_test(test18_hash),
        cmocka_unit_test(test19_files),
        cmocka_unit_test(test20_trained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
