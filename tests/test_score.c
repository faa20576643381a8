/* tests/test_score.c — the lexicon scorer on sentences we wrote: phrase
 * targets, windows, negation, weights, wildcards, several themes, no
 * mention, and the Beta stance and interval. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/model.h"
#include "base/error.h"
#include "models/score.h"
#include "stages/stem.h"
#include "stages/tokenize.h"

static const char MODEL[] =
    "name: test\n"
    "version: 1\n"
    "language: english\n"
    "window: sentence\n"
    "negation_scope: 3\n"
    "prior: 1\n"
    "interval: 0.9\n"
    "negators: [not, never, \"no longer\"]\n"
    "themes:\n"
    "  north_korea:\n"
    "    label: North Korea\n"
    "    poles: {positive: engagement, negative: pressure}\n"
    "    targets: [\"north korea\", pyongyang]\n"
    "    positive: [dialogue, diplomacy, \"negotiat*\"]\n"
    "    negative: [sanctions, pressure, \"maximum pressure\": 2]\n"
    "  china:\n"
    "    label: China\n"
    "    poles: {positive: accommodate, negative: push back}\n"
    "    targets: [china, beijing]\n"
    "    positive: [cooperation]\n"
    "    negative: [coercion, bullying]\n"
    "  health:\n"
    "    label: Health (salience only)\n"
    "    targets: [pandemic, vaccines]\n";

/* A scored document: everything the checks look at. */
typedef struct doc {
    opine_model *m;
    opine_scores s;
    const char *text;
} doc;

/* Score text with a model, through the same steps the pipeline takes:
 * tokenize, stem each type, match it against the model's patterns. */
static void score(doc *d, const char *model_yaml, const char *text)
{
    char *msg = NULL;
    memset(d, 0, sizeof(*d));
    d->text = text;
    int rc = opine_model_load_buffer(&d->m, model_yaml, strlen(model_yaml),
                                     "test.yaml", &msg);
    if (rc)
        fail_msg("load: %s", msg ? msg : "?");
    rc = opine_model_compile(d->m, "english", &msg);
    if (rc)
        fail_msg("compile: %s", msg ? msg : "?");
    opine_tokens toks = OPINE_TOKENS_INIT;
    assert_int_equal(opine_tokenize(text, strlen(text), &toks), 0);
    opine_stemmer *st;
    assert_int_equal(opine_stemmer_new(&st, "english"), 0);
    opine_score_token *v = calloc(toks.n + 1, sizeof(*v));
    uint32_t *pool = calloc(toks.n * 8 + 1, sizeof(uint32_t));
    assert_non_null(v);
    assert_non_null(pool);
    for (size_t i = 0; i < toks.n; i++) {
        const opine_token *t = &toks.v[i];
        const char *norm = toks.norm + t->norm;
        size_t slen;
        const char *stem = opine_stemmer_stem(st, norm, t->norm_len, &slen);
        char *stem_copy = strndup(stem, slen);
        v[i].start = t->start;
        v[i].len = t->len;
        v[i].sentence = t->sentence;
        v[i].pats = pool + i * 8;
        size_t n = opine_model_match_type(d->m, norm, t->norm_len, stem_copy,
                                          slen, pool + i * 8, 8);
        assert_true(n <= 8);
        v[i].npats = (uint32_t)n;
        free(stem_copy);
    }
    assert_int_equal(opine_score_doc(d->m, v, toks.n, &d->s), 0);
    free(v);
    free(pool);
    opine_stemmer_free(st);
    opine_tokens_release(&toks);
}

static void done(doc *d)
{
    opine_scores_release(&d->s);
    opine_model_free(d->m);
}

static size_t theme_index(const doc *d, const char *id)
{
    for (size_t i = 0; i < opine_model_nthemes(d->m); i++)
        if (strcmp(opine_model_theme(d->m, i)->id, id) == 0)
            return i;
    fail_msg("no theme %s", id);
    return 0;
}

static const opine_theme_score *theme(const doc *d, const char *id)
{
    return &d->s.themes[theme_index(d, id)];
}

/* The i-th evidence row of a theme, or NULL. */
static const opine_evidence *evidence(const doc *d, const char *id, size_t i)
{
    size_t t = theme_index(d, id), k = 0;
    for (size_t j = 0; j < d->s.nev; j++)
        if (d->s.ev[j].theme == t && k++ == i)
            return &d->s.ev[j];
    return NULL;
}

/* The text an evidence row points at. */
static void expect_span(const doc *d, const opine_evidence *e, const char *want)
{
    assert_non_null(e);
    char got[128];
    size_t n = e->end - e->start;
    assert_true(n < sizeof got);
    memcpy(got, d->text + e->start, n);
    got[n] = '\0';
    assert_string_equal(got, want);
}

static const char *cue(const doc *d, const opine_evidence *e)
{
    return opine_model_term(d->m, e->term)->text;
}

/* 1. A phrase target needs both words, in order. */
static void test01_phrase_target(void **state)
{
    (void)state;
    doc d;
    score(&d, MODEL,
          "North Korea wants dialogue. Korea is north of here, and the"
          " north wants sanctions.");
    assert_int_equal(theme(&d, "north_korea")->mentions, 1);
    expect_span(&d, evidence(&d, "north_korea", 0), "dialogue");
    assert_null(evidence(&d, "north_korea", 1));
    done(&d);
}

/* 2. The sentence window: a cue in another sentence does not count. */
static void test02_sentence_window(void **state)
{
    (void)state;
    doc d;
    score(&d, MODEL,
          "Sanctions are everywhere these days. Pyongyang is quiet. Then"
          " came more diplomacy.");
    const opine_theme_score *t = theme(&d, "north_korea");
    assert_int_equal(t->mentions, 1);
    assert_int_equal(t->evidence, 0);
    assert_true(t->has_stance);
    assert_true(fabs(t->stance) < 1e-12);
    done(&d);
}

/* 3. A window of N tokens: in reach counts, out of reach does not. */
static void test03_token_window(void **state)
{
    (void)state;
    char *m = strdup(MODEL);
    memcpy(strstr(m, "window: sentence"), "window: 3       ", 16);
    doc d;
    /* "sanctions" is 3 tokens after Pyongyang; "dialogue" 9 tokens. */
    score(&d, m,
          "Pyongyang faces new sanctions while others still want some"
          " dialogue.");
    const opine_theme_score *t = theme(&d, "north_korea");
    assert_int_equal(t->evidence, 1);
    expect_span(&d, evidence(&d, "north_korea", 0), "sanctions");
    assert_int_equal(evidence(&d, "north_korea", 0)->polarity, -1);
    done(&d);
    /* And a window crosses sentence ends: it counts tokens only. */
    score(&d, m, "Sanctions failed. Pyongyang won.");
    assert_int_equal(theme(&d, "north_korea")->evidence, 1);
    done(&d);
    free(m);
}

/* 4. "should not impose sanctions" is evidence for engagement. */
static void test04_negation(void **state)
{
    (void)state;
    doc d;
    score(&d, MODEL,
          "Washington should not impose sanctions on North Korea now.");
    const opine_evidence *e = evidence(&d, "north_korea", 0);
    expect_span(&d, e, "sanctions");
    assert_int_equal(e->polarity, 1);
    assert_int_equal(e->negated, 1);
    assert_true(theme(&d, "north_korea")->stance > 0);
    done(&d);
    /* Beyond the negation scope (3 tokens) the negator does not reach. */
    score(&d, MODEL,
          "Do not let anyone say that sanctions on North Korea work.");
    e = evidence(&d, "north_korea", 0);
    assert_int_equal(e->polarity, -1);
    assert_int_equal(e->negated, 0);
    done(&d);
    /* Nor across a sentence end. */
    score(&d, MODEL, "We will not. Sanctions on North Korea stay.");
    assert_int_equal(evidence(&d, "north_korea", 0)->negated, 0);
    done(&d);
}

/* 5. A multi-word negator. */
static void test05_multiword_negator(void **state)
{
    (void)state;
    doc d;
    score(&d, MODEL, "Pyongyang is no longer as open as before to dialogue.");
    const opine_evidence *e = evidence(&d, "north_korea", 0);
    expect_span(&d, e, "dialogue");
    assert_int_equal(e->negated, 0); /* 6 tokens after "longer" */
    done(&d);
    score(&d, MODEL, "For Pyongyang, no longer dialogue but silence.");
    e = evidence(&d, "north_korea", 0);
    assert_int_equal(e->negated, 1);
    assert_int_equal(e->polarity, -1);
    done(&d);
}

/* 6. Weights, and the longest match winning over the word inside it. */
static void test06_weights_longest_match(void **state)
{
    (void)state;
    doc d;
    score(&d, MODEL,
          "Maximum pressure on Pyongyang, and dialogue too, said the"
          " minister.");
    const opine_theme_score *t = theme(&d, "north_korea");
    assert_int_equal(t->evidence, 2);
    assert_true(fabs(t->negative - 2.0) < 1e-12);
    assert_true(fabs(t->positive - 1.0) < 1e-12);
    expect_span(&d, evidence(&d, "north_korea", 0), "Maximum pressure");
    assert_string_equal(cue(&d, evidence(&d, "north_korea", 0)),
                        "maximum pressure");
    /* (P - N) / (P + N + 2a) with P = 1, N = 2, a = 1 */
    assert_true(fabs(t->stance - (1.0 - 2.0) / (1.0 + 2.0 + 2.0)) < 1e-12);
    done(&d);
}

/* 7. A wildcard matches words by prefix; stems match inflections. */
static void test07_wildcard_and_stems(void **state)
{
    (void)state;
    doc d;
    score(&d, MODEL,
          "Pyongyang's negotiators kept negotiating; diplomats prefer"
          " diplomacy.");
    const opine_theme_score *t = theme(&d, "north_korea");
    /* "diplomats" (stem diplomat) is not "diplomacy" (stem diplomaci). */
    assert_int_equal(t->evidence, 3);
    expect_span(&d, evidence(&d, "north_korea", 0), "negotiators");
    expect_span(&d, evidence(&d, "north_korea", 1), "negotiating");
    expect_span(&d, evidence(&d, "north_korea", 2), "diplomacy");
    done(&d);
    /* "sanctioned" shares the stem of "sanctions". */
    score(&d, MODEL, "Pyongyang was sanctioned again.");
    expect_span(&d, evidence(&d, "north_korea", 0), "sanctioned");
    done(&d);
}

/* 8. Two themes in one sentence each count their own cues. */
static void test08_two_themes(void **state)
{
    (void)state;
    doc d;
    score(&d, MODEL,
          "Beijing's coercion and Pyongyang's sanctions evasion worry"
          " everyone, though dialogue helps.");
    const opine_theme_score *c = theme(&d, "china"),
                            *n = theme(&d, "north_korea");
    assert_int_equal(c->mentions, 1);
    assert_int_equal(c->evidence, 1);
    expect_span(&d, evidence(&d, "china", 0), "coercion");
    assert_true(c->stance < 0);
    assert_int_equal(n->evidence, 2);
    assert_true(fabs(n->stance) < 1e-12); /* one each way */
    done(&d);
}

/* 9. No mention: salience 0 and no stance, even with cues around. */
static void test09_no_mention(void **state)
{
    (void)state;
    doc d;
    score(&d, MODEL, "Sanctions and dialogue and coercion, but no target.");
    for (size_t i = 0; i < opine_model_nthemes(d.m); i++) {
        assert_int_equal(d.s.themes[i].mentions, 0);
        assert_true(d.s.themes[i].salience == 0);
        assert_false(d.s.themes[i].has_stance);
    }
    assert_int_equal(d.s.nev, 0);
    done(&d);
}

/* 10. Salience-only themes count mentions per 1,000 tokens, no stance. */
static void test10_salience_only(void **state)
{
    (void)state;
    doc d;
    /* 11 tokens, 2 mentions */
    score(&d, MODEL,
          "The pandemic made vaccines scarce for many poor"
          " countries last year.");
    const opine_theme_score *h = theme(&d, "health");
    assert_int_equal(h->mentions, 2);
    assert_true(fabs(h->salience - 1000.0 * 2 / 11) < 1e-9);
    assert_false(h->has_stance);
    done(&d);
}

/* 11. The interval: a Beta(P + a, N + a) interval mapped to [-1, 1]. */
static void test11_interval(void **state)
{
    (void)state;
    /* Quantiles with closed forms: Beta(1,1) is uniform, Beta(2,1) has
     * CDF x^2, Beta(1,2) has CDF 1 - (1 - x)^2. */
    assert_true(fabs(opine_beta_quantile(0.05, 1, 1) - 0.05) < 1e-9);
    assert_true(fabs(opine_beta_quantile(0.3, 2, 1) - sqrt(0.3)) < 1e-9);
    assert_true(fabs(opine_beta_quantile(0.3, 1, 2) - (1 - sqrt(0.7))) < 1e-9);
    assert_true(fabs(opine_beta_quantile(0.5, 7.5, 7.5) - 0.5) < 1e-9);
    doc d;
    score(&d, MODEL, "Pyongyang wants dialogue, diplomacy and dialogue.");
    const opine_theme_score *t = theme(&d, "north_korea");
    assert_true(fabs(t->positive - 3) < 1e-12);
    double lo = 2 * opine_beta_quantile(0.05, 4, 1) - 1;
    double hi = 2 * opine_beta_quantile(0.95, 4, 1) - 1;
    assert_true(fabs(t->lo - lo) < 1e-9 && fabs(t->hi - hi) < 1e-9);
    /* Beta(4, 1) has CDF x^4: the 5% quantile is 0.05^(1/4). */
    assert_true(fabs(t->lo - (2 * pow(0.05, 0.25) - 1)) < 1e-9);
    assert_true(t->lo < t->stance && t->stance < t->hi);
    done(&d);
    /* Thin evidence, wide interval; a mention without cues, wider. */
    score(&d, MODEL, "Pyongyang talked.");
    t = theme(&d, "north_korea");
    assert_true(t->has_stance);
    assert_true(t->lo < -0.8 && t->hi > 0.8);
    done(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_phrase_target),
        cmocka_unit_test(test02_sentence_window),
        cmocka_unit_test(test03_token_window),
        cmocka_unit_test(test04_negation),
        cmocka_unit_test(test05_multiword_negator),
        cmocka_unit_test(test06_weights_longest_match),
        cmocka_unit_test(test07_wildcard_and_stems),
        cmocka_unit_test(test08_two_themes),
        cmocka_unit_test(test09_no_mention),
        cmocka_unit_test(test10_salience_only),
        cmocka_unit_test(test11_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
