/* tests/test_stopwords.c — stop-word sets: built-in lists, files, errors.
 *
 * Expected words are ones any speaker would call stop words (English "the",
 * German "und", Russian "не"), not read back from the lists, so a list that
 * lost its words, its encoding or its normalisation shows. Cases are
 * numbered, one topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "stages/stem.h"
#include "stages/stopwords.h"

static opine_stopwords *load_ok(const char *spec, const char *lang)
{
    opine_stopwords *s = NULL;
    char *msg = NULL;
    int rc = opine_stopwords_load(&s, spec, lang, &msg);
    if (rc != 0)
        fail_msg("loading '%s': %s", spec ? spec : "(null)",
                 msg ? msg : opine_strerror(rc));
    assert_null(msg);
    assert_non_null(s);
    return s;
}

static int has(const opine_stopwords *s, const char *w)
{
    return opine_stopwords_has(s, w, strlen(w));
}

static void assert_has(const opine_stopwords *s, const char *w)
{
    if (!has(s, w))
        fail_msg("'%s' should be a stop word of %s", w,
                 opine_stopwords_name(s));
}

static void assert_not_has(const opine_stopwords *s, const char *w)
{
    if (has(s, w))
        fail_msg("'%s' should not be a stop word of %s", w,
                 opine_stopwords_name(s));
}

/* Write text to a new file in a fresh directory; returns its path. */
static char *write_file(const char *text)
{
    char dir[] = "/tmp/opine-stopwords-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = malloc(strlen(dir) + 16);
    assert_non_null(path);
    sprintf(path, "%s/words.txt", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

static void remove_file(char *path)
{
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    free(path);
}

/* Load spec expecting rc; returns the message for the caller to free. */
static char *load_fails(const char *spec, const char *lang, int want)
{
    opine_stopwords *s = (opine_stopwords *)1;
    char *msg = NULL;
    assert_int_equal(opine_stopwords_load(&s, spec, lang, &msg), want);
    assert_null(s);
    assert_non_null(msg);
    return msg;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void test01_every_snowball_language(void **state)
{
    (void)state;
    /* Every Snowball language has a list: 25 from shipped sources, four we
     * wrote (SOURCES.md). */
    size_t listed = 0;
    for (const char **l = opine_stemmer_languages(); *l; l++) {
        opine_stopwords *s = load_ok(*l, NULL);
        if (opine_stopwords_count(s) < 40)
            fail_msg("%s has only %zu stop words", *l,
                     opine_stopwords_count(s));
        opine_stopwords_free(s);
        listed++;
    }
    assert_int_equal(listed, 29);

    /* opine_stopwords_languages() is exactly the Snowball languages that
     * loaded above. */
    size_t n = 0;
    for (const char *const *l = opine_stopwords_languages(); *l; l++, n++) {
        opine_stemmer *st = NULL;
        assert_int_equal(opine_stemmer_new(&st, *l), 0);
        opine_stemmer_free(st);
    }
    assert_int_equal(n, listed);
}

static void test02_english(void **state)
{
    (void)state;
    opine_stopwords *s = load_ok("english", NULL);
    assert_string_equal(opine_stopwords_name(s), "english");
    const char *yes[] = {"the", "and", "of", "not", "a", "is", "don't", "it's"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_has(s, yes[i]);
    const char *no[] = {"alliance", "korea", "The", "united", "", "th"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_not_has(s, no[i]);
    /* The length is honoured, not a NUL. */
    assert_true(opine_stopwords_has(s, "them", 3));
    assert_false(opine_stopwords_has(s, "theory", 4));
    opine_stopwords_free(s);
}

static void test03_names_for_english(void **state)
{
    (void)state;
    opine_stopwords *e = load_ok("english", NULL);
    struct {
        const char *spec, *lang;
    } same[] = {{"porter", NULL},  {"en", NULL},          {NULL, NULL},
                {NULL, "english"}, {"default", "porter"}, {"default", "en"}};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        opine_stopwords *s = load_ok(same[i].spec, same[i].lang);
        assert_string_equal(opine_stopwords_name(s), "english");
        assert_int_equal(opine_stopwords_count(s), opine_stopwords_count(e));
        opine_stopwords_free(s);
    }
    opine_stopwords *g = load_ok("default", "german");
    assert_string_equal(opine_stopwords_name(g), "german");
    opine_stopwords_free(g);
    opine_stopwords_free(e);
}

static void test04_other_languages(void **state)
{
    (void)state;
    static const struct {
        const char *lang;
        const char *words[5];
    } cases[] = {
        /* German "daß" is folded like corpus text: "dass". Snowball's French
         * list has no "les" (SOURCES.md). */
        {"german", {"der", "die", "und", "nicht", "dass"}},
        {"french", {"le", "la", "et", "des", "pas"}},
        {"spanish", {"el", "la", "y", "de", "que"}},
        {"russian", {"и", "в", "не", "что", "он"}},
        {"italian", {"il", "di", "che", "non", "e"}},
        {"portuguese", {"o", "de", "que", "não", "e"}},
        {"dutch", {"de", "en", "het", "niet", "een"}},
        {"swedish", {"och", "att", "det", "inte", "är"}},
        {"turkish", {"ve", "bir", "bu", "değil", "için"}},
        {"lithuanian", {"ir", "kad", "dėl", "jūsiškė", "ne"}},
        {"romanian", {"și", "şi", "nu", "care", "în"}},
        {"greek", {"και", "να", "το", "που", "δεν"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        opine_stopwords *s = load_ok(cases[i].lang, NULL);
        for (size_t j = 0; j < 5 && cases[i].words[j]; j++)
            assert_has(s, cases[i].words[j]);
        assert_not_has(s, "alliance");
        opine_stopwords_free(s);
    }
    opine_stopwords *de = load_ok("de", NULL);
    assert_not_has(de, "daß"); /* never a token: folding makes it "dass" */
    assert_not_has(de, "korea");
    opine_stopwords_free(de);
}

static void test05_file(void **state)
{
    (void)state;
    char *path = write_file("\xEF\xBB\xBF# my list\n"
                            "\n"
                            "Don\xE2\x80\x99t\r\n"
                            "   KOREA  \n"
                            "\t# indented comment\n"
                            "Straße\n"
                            "u.s.\n"
                            "korea\n"
                            "last-line-no-newline");
    opine_stopwords *s = load_ok(path, "german");
    assert_string_equal(opine_stopwords_name(s), path);
    assert_int_equal(opine_stopwords_count(s), 5);
    assert_has(s, "don't");
    assert_has(s, "korea");
    assert_has(s, "strasse");
    assert_has(s, "u.s.");
    assert_has(s, "last-line-no-newline");
    assert_not_has(s, "Don’t");
    assert_not_has(s, "#");
    assert_not_has(s, "my");
    assert_not_has(s, "the");
    assert_not_has(s, "der");
    opine_stopwords_free(s);
    remove_file(path);
}

static void test06_file_errors(void **state)
{
    (void)state;
    char *path = write_file("# two words on line 3\nof\nin order\nthe\n");
    char *msg = load_fails(path, NULL, OPINE_EFORMAT);
    char want[512];
    snprintf(want, sizeof(want),
             "%s:3: 'in order' is two tokens; stop words are single words",
             path);
    assert_string_equal(msg, want);
    free(msg);
    remove_file(path);

    path = write_file("of\n\n--\n");
    msg = load_fails(path, NULL, OPINE_EFORMAT);
    snprintf(want, sizeof(want), "%s:3: '--' has no word in it", path);
    assert_string_equal(msg, want);
    free(msg);
    remove_file(path);

    path = write_file("of\ncaf\xE9\n");
    msg = load_fails(path, NULL, OPINE_EUTF8);
    snprintf(want, sizeof(want), "%s:2: invalid UTF-8", path);
    assert_string_equal(msg, want);
    free(msg);
    remove_file(path);

    /* The message is optional. */
    opine_stopwords *s = (opine_stopwords *)1;
    assert_int_equal(
        opine_stopwords_load(&s, "/nonexistent/opine/words.txt", NULL, NULL),
        OPINE_ENOENT);
    assert_null(s);
}

static void test07_none(void **state)
{
    (void)state;
    opine_stopwords *s = load_ok("none", "english");
    assert_string_equal(opine_stopwords_name(s), "none");
    assert_int_equal(opine_stopwords_count(s), 0);
    assert_not_has(s, "the");
    assert_not_has(s, "");
    opine_stopwords_free(s);
    assert_false(opine_stopwords_has(NULL, "the", 3));
}

static void test08_missing_file_or_unknown(void **state)
{
    (void)state;
    char *msg = load_fails("/nonexistent/opine/words.txt", NULL, OPINE_ENOENT);
    assert_contains(msg, "cannot open '/nonexistent/opine/words.txt'");
    free(msg);
    /* A bare word that is neither a language nor a file says both. */
    msg = load_fails("klingon", NULL, OPINE_ENOENT);
    assert_contains(msg, "'klingon' is neither a language");
    free(msg);
    /* By default the language must be known. */
    msg = load_fails(NULL, "klingon", OPINE_ELANG);
    assert_contains(msg, "unknown language 'klingon'");
    free(msg);
}

static void test09_our_own_lists(void **state)
{
    (void)state;
    /* The four lists written for opine hold their languages' commonest
     * function words, normalised like corpus text; Serbian in both
     * scripts. */
    static const struct {
        const char *lang, *word;
    } cases[] = {
        {"serbian", "i"},  {"serbian", "и"},   {"serbian", "između"},
        {"nepali", "र"},   {"nepali", "छन्"},   {"tamil", "மற்றும்"},
        {"tamil", "இல்லை"}, {"yiddish", "און"}, {"yiddish", "דאָס"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        opine_stopwords *s = load_ok(cases[i].lang, NULL);
        if (!opine_stopwords_has(s, cases[i].word, strlen(cases[i].word)))
            fail_msg("%s list lacks '%s'", cases[i].lang, cases[i].word);
        assert_false(opine_stopwords_has(s, "alliance", 8));
        opine_stopwords_free(s);
    }
    /* "none" still works for any language. */
    opine_stopwords *s = load_ok("none", "tamil");
    assert_int_equal(opine_stopwords_count(s), 0);
    opine_stopwords_free(s);
}

static void *lookups(void *arg)
{
    const opine_stopwords *s = arg;
    intptr_t bad = 0;
    for (int i = 0; i < 20000; i++) {
        bad += !opine_stopwords_has(s, "the", 3);
        bad += opine_stopwords_has(s, "korea", 5);
    }
    return (void *)bad;
}

static void test10_concurrent_lookups(void **state)
{
    (void)state;
    opine_stopwords *s = load_ok("english", NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, lookups, s), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        assert_int_equal(pthread_join(t[i], &bad), 0);
        assert_null(bad);
    }
    opine_stopwords_free(s);
}

static void test11_free_null(void **state)
{
    (void)state;
    opine_stopwords_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_every_snowball_language),
        cmocka_unit_test(test02_english),
        cmocka_unit_test(test03_names_for_english),
        cmocka_unit_test(test04_other_languages),
        cmocka_unit_test(test05_file),
        cmocka_unit_test(test06_file_errors),
        cmocka_unit_test(test07_none),
        cmocka_unit_test(test08_missing_file_or_unknown),
        cmocka_unit_test(test09_our_own_lists),
        cmocka_unit_test(test10_concurrent_lookups),
        cmocka_unit_test(test11_free_null),
    };
    return cmocka_run_group_tests_name("stopwords", tests, NULL, NULL);
}
