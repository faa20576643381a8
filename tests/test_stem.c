/* tests/test_stem.c — the Snowball stemmer wrapper: languages, stems, errors.
 *
 * Expected stems are taken from Snowball's own conformance vocabularies
 * (snowball-data voc.txt / output.txt, copied to ../shared/conformance), not
 * from running this code, so a wrong algorithm, a wrong encoding or a stem
 * cut at the wrong length all show. Cases are numbered, one topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "stages/stem.h"

struct pair {
    const char *word, *stem;
};

/* Stem every pair with a new stemmer for lang and compare whole stems. */
static void check_pairs(const char *lang, const struct pair *p, size_t n)
{
    opine_stemmer *s = NULL;
    assert_int_equal(opine_stemmer_new(&s, lang), 0);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        size_t len = (size_t)-1;
        const char *r =
            opine_stemmer_stem(s, p[i].word, strlen(p[i].word), &len);
        assert_non_null(r);
        assert_int_equal(len, strlen(p[i].stem));
        /* Compare as a string so a failure prints both. */
        char *got = strndup(r, len);
        assert_non_null(got);
        assert_string_equal(got, p[i].stem);
        free(got);
    }
    opine_stemmer_free(s);
}

static void test01_english(void **state)
{
    (void)state;
    static const struct pair p[] = {
        {"alliances", "allianc"},   {"negotiations", "negoti"},
        {"running", "run"},         {"generously", "generous"},
        {"consistency", "consist"}, {"happily", "happili"},
    };
    check_pairs("english", p, sizeof p / sizeof *p);
}

/* The original Porter algorithm and Porter2 ("english") disagree on -ously:
 * Porter strips to "gener", Porter2 keeps "generous". */
static void test02_porter_differs(void **state)
{
    (void)state;
    static const struct pair porter[] = {
        {"generously", "gener"},
        {"negotiations", "negoti"},
        {"running", "run"},
    };
    check_pairs("porter", porter, sizeof porter / sizeof *porter);

    opine_stemmer *e, *p;
    size_t el, pl;
    assert_int_equal(opine_stemmer_new(&e, "english"), 0);
    assert_int_equal(opine_stemmer_new(&p, "porter"), 0);
    const char *es = opine_stemmer_stem(e, "generously", 10, &el);
    const char *ps = opine_stemmer_stem(p, "generously", 10, &pl);
    assert_non_null(es);
    assert_non_null(ps);
    assert_false(el == pl && memcmp(es, ps, el) == 0);
    opine_stemmer_free(e);
    opine_stemmer_free(p);
}

/* Umlauts are UTF-8 two-byte sequences; the German stemmer folds them. */
static void test03_german_utf8(void **state)
{
    (void)state;
    static const struct pair p[] = {
        {"häuser", "haus"},         {"möglichkeiten", "moglich"},
        {"abendröte", "abendrot"},  {"zylinderhüten", "zylinderhut"},
        {"abgelehnt", "abgelehnt"},
    };
    check_pairs("german", p, sizeof p / sizeof *p);
}

/* Cyrillic: every letter is two bytes, so a stem length counted in
 * characters rather than bytes would cut these in half. */
static void test04_russian_utf8(void **state)
{
    (void)state;
    static const struct pair p[] = {
        {"абиссинию", "абиссин"},
        {"вскинулась", "вскинул"},
        {"наносным", "наносн"},
        {"полоснет", "полоснет"},
    };
    check_pairs("russian", p, sizeof p / sizeof *p);
}

/* ISO codes are accepted too, and lang() reports what was asked for. */
static void test05_iso_code_and_lang(void **state)
{
    (void)state;
    static const struct pair p[] = {{"häuser", "haus"}};
    check_pairs("de", p, 1);

    opine_stemmer *s;
    assert_int_equal(opine_stemmer_new(&s, "en"), 0);
    assert_string_equal(opine_stemmer_lang(s), "en");
    opine_stemmer_free(s);
}

static void test06_unknown_language(void **state)
{
    (void)state;
    static const char *bad[] = {"klingon", "", "English", "english ", "utf-8"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        opine_stemmer *s = (opine_stemmer *)&s; /* not NULL on entry */
        assert_int_equal(opine_stemmer_new(&s, bad[i]), OPINE_ELANG);
        assert_null(s);
    }
    opine_stemmer *s = (opine_stemmer *)&s;
    assert_int_equal(opine_stemmer_new(&s, NULL), OPINE_ELANG);
    assert_null(s);
}

static void test07_languages_list(void **state)
{
    (void)state;
    static const char *want[] = {"english", "porter",  "german",
                                 "french",  "spanish", "russian"};
    const char **l = opine_stemmer_languages();
    assert_non_null(l);
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        int found = 0;
        for (const char **p = l; *p; p++)
            found |= strcmp(*p, want[i]) == 0;
        if (!found)
            fail_msg("'%s' missing from opine_stemmer_languages()", want[i]);
    }
    /* Every listed name must actually make a stemmer. */
    for (const char **p = l; *p; p++) {
        opine_stemmer *s;
        assert_int_equal(opine_stemmer_new(&s, *p), 0);
        opine_stemmer_free(s);
    }
}

/* The returned buffer is reused: a second, shorter word must not leave
 * bytes of the first behind, and the same word twice gives the same stem. */
static void test08_repeat_and_reuse(void **state)
{
    (void)state;
    opine_stemmer *s;
    size_t n1, n2, n3;
    assert_int_equal(opine_stemmer_new(&s, "english"), 0);
    const char *r = opine_stemmer_stem(s, "negotiations", 12, &n1);
    assert_non_null(r);
    char *first = strndup(r, n1);
    assert_non_null(first);
    r = opine_stemmer_stem(s, "cats", 4, &n2);
    assert_non_null(r);
    assert_int_equal(n2, 3);
    assert_memory_equal(r, "cat", 3);
    r = opine_stemmer_stem(s, "negotiations", 12, &n3);
    assert_non_null(r);
    assert_int_equal(n3, n1);
    assert_memory_equal(r, first, n1);
    assert_string_equal(first, "negoti");
    free(first);
    opine_stemmer_free(s);
}

/* Only word[0..len) is read: the rest of the buffer is not part of it. */
static void test09_length_not_nul(void **state)
{
    (void)state;
    opine_stemmer *s;
    size_t n;
    assert_int_equal(opine_stemmer_new(&s, "english"), 0);
    const char buf[] = "runningXXXX";
    const char *r = opine_stemmer_stem(s, buf, 7, &n);
    assert_non_null(r);
    assert_int_equal(n, 3);
    assert_memory_equal(r, "run", 3);
    opine_stemmer_free(s);
}

static void test10_empty_word(void **state)
{
    (void)state;
    opine_stemmer *s;
    size_t n = 99;
    assert_int_equal(opine_stemmer_new(&s, "russian"), 0);
    assert_non_null(opine_stemmer_stem(s, "", 0, &n));
    assert_int_equal(n, 0);
    opine_stemmer_free(s);
}

static void test11_free_null(void **state)
{
    (void)state;
    opine_stemmer_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_english),
        cmocka_unit_test(test02_porter_differs),
        cmocka_unit_test(test03_german_utf8),
        cmocka_unit_test(test04_russian_utf8),
        cmocka_unit_test(test05_iso_code_and_lang),
        cmocka_unit_test(test06_unknown_language),
        cmocka_unit_test(test07_languages_list),
        cmocka_unit_test(test08_repeat_and_reuse),
        cmocka_unit_test(test09_length_not_nul),
        cmocka_unit_test(test10_empty_word),
        cmocka_unit_test(test11_free_null),
    };
    return cmocka_run_group_tests_name("stem", tests, NULL, NULL);
}
