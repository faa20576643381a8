/* tests/test_model_hostile.c — model files built to hurt: YAML alias bombs
 * and self-referring aliases, nesting past any model, dictionaries of a
 * million terms and 100,000 categories, files in Latin-1 or UTF-16 or with
 * NUL bytes, and file names that are not text. Each is loaded correctly or
 * refused with a message that says where and why; the big ones are made
 * here, at run time. Cases are numbered, one topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "models/model.h"
#include "stages/stem.h"

/* A growing text. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL,
                          t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap ? 2 * t->cap + (size_t)n : 4096 + (size_t)n;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
}

/* Load text[0..len) as a model named name; returns the code and the
 * message in *err (the caller frees). */
static int try_load(const char *s, size_t len, const char *name,
                    opine_model **m, char **err)
{
    *m = (opine_model *)m;
    *err = NULL;
    int rc = opine_model_load_buffer(m, s, len, name, err);
    if (rc == 0)
        assert_null(*err);
    else
        assert_null(*m);
    return rc;
}

/* Expect the load to be refused with the message msg, or (when whole is
 * 0) with a message that contains msg. */
static void refused(const char *s, size_t len, const char *name,
                    const char *msg, int whole)
{
    opine_model *m;
    char *err;
    assert_int_equal(try_load(s, len, name, &m, &err), OPINE_EFORMAT);
    assert_non_null(err);
    if (whole)
        assert_string_equal(err, msg);
    else if (strstr(err, msg) == NULL)
        fail_msg("message '%s' lacks '%s'", err, msg);
    free(err);
}

#define expect_error(s, len, name, msg) refused(s, len, name, msg, 1)
#define expect_error_has(s, len, name, part) refused(s, len, name, part, 0)

/* Word number i of a family: the letter f and six base-26 letters, so no
 * word of a family is a prefix of another. */
static void word(char out[8], char f, unsigned i)
{
    out[0] = f;
    for (int k = 6; k >= 1; k--) {
        out[k] = (char)('a' + i % 26);
        i /= 26;
    }
    out[7] = '\0';
}

/* 1. A billion laughs in a quanteda dictionary: ten levels of mappings of
 * ten aliases to the level below over a list of ten terms (10^10 terms
 * expanded, from 1 KB) are refused before anything is expanded; so are
 * ten thousand themes of an opine model aliasing one theme of a thousand
 * terms, and a long scalar aliased twenty thousand times. */
static void test01_alias_bombs(void **state)
{
    (void)state;
    text t = {0};
    add(&t, "l0: &l0 [lol, lol1, lol2, lol3, lol4, lol5, lol6, lol7, lol8, "
            "lol9]\n");
    for (int lvl = 1; lvl <= 9; lvl++) {
        add(&t, "l%d: &l%d {", lvl, lvl);
        for (int j = 0; j < 10; j++)
            add(&t, "%sk%d: *l%d", j ? ", " : "", j, lvl - 1);
        add(&t, "}\n");
    }
    expect_error(t.s, t.len, "laughs.yml",
                 "laughs.yml: aliases expand the document to more than 4 "
                 "times its size (an alias bomb?); write the repeated parts "
                 "out, or use fewer aliases");

    t.len = 0;
    add(&t, "name: themes\nversion: 1\nthemes:\n  t0: &t\n    targets: [");
    for (int i = 0; i < 1000; i++)
        add(&t, "%sterm%d", i ? ", " : "", i);
    add(&t, "]\n");
    for (int i = 1; i < 10000; i++)
        add(&t, "  t%d: *t\n", i);
    expect_error_has(t.s, t.len, "themes.yaml", "an alias bomb?");

    t.len = 0;
    add(&t, "name: scalar\nversion: 1\nthemes:\n  a:\n    targets: [&x ");
    for (int i = 0; i < 100000; i++)
        add(&t, "x");
    for (int i = 0; i < 20000; i++)
        add(&t, ", *x");
    add(&t, "]\n");
    expect_error_has(t.s, t.len, "scalar.yaml", "an alias bomb?");
    free(t.s);
}

/* 2. Aliases used as people use them (one list of targets shared by a few
 * themes) still load, and give each theme the terms. */
static void test02_aliases_in_moderation(void **state)
{
    (void)state;
    const char *s = "name: shared\nversion: 1\n"
                    "negators: &neg [not, never]\n"
                    "themes:\n"
                    "  a:\n    targets: &korea [korea, seoul, pyongyang]\n"
                    "  b:\n    targets: *korea\n"
                    "  c:\n    targets: *korea\n"
                    "    poles: {positive: up, negative: down}\n"
                    "    positive: [rise]\n    negative: *neg\n";
    opine_model *m;
    char *err;
    assert_int_equal(try_load(s, strlen(s), "shared.yaml", &m, &err), 0);
    assert_int_equal(opine_model_nthemes(m), 3);
    assert_int_equal(opine_model_compile(m, NULL, &err), 0);
    /* 3 targets in each of 3 themes, 1 positive, 2 negative cues, 2
     * negators */
    assert_int_equal(opine_model_nterms(m), 14);
    opine_model_free(m);
}

/* 3. An alias inside its own anchor would make an endless document; a
 * nesting deeper than any model is refused, where it is. (Aliases cannot
 * add depth: an anchor comes before its aliases, so it is sized, once,
 * before any alias to it is met.) */
static void test03_cycles_and_depth(void **state)
{
    (void)state;
    const char *loop = "a: &x {b: *x}\n";
    expect_error(loop, strlen(loop), "loop.yml",
                 "loop.yml:1:4: an alias refers to a node that holds it (the "
                 "document would be endless)");
    const char *seq = "a: &y [b, *y]\n";
    expect_error_has(seq, strlen(seq), "loop.yml", "holds it");

    text t = {0};
    add(&t, "a: ");
    for (int i = 0; i < 300; i++)
        add(&t, "[");
    for (int i = 0; i < 300; i++)
        add(&t, "]");
    add(&t, "\n");
    expect_error(t.s, t.len, "deep.yml",
                 "deep.yml:1:260: nested more than 256 levels deep");

    free(t.s);
}

/* Under valgrind (the vg_ tests set OPINE_VALGRIND) the big dictionaries
 * of cases 4 and 5 are a tenth the size: memcheck then goes through the
 * same code, twenty times slower, in a minute rather than ten; the other
 * builds (release, ASan, TSan) load them at full size, which is what
 * shows that a load takes seconds, not hours. */
static unsigned scaled(unsigned n)
{
    const char *vg = getenv("OPINE_VALGRIND");
    return vg && *vg ? n / 10 : n;
}

/* 4. A LIWC dictionary of one million terms in 1,000 categories, half of
 * them wildcards: it loads, compiles, and a corpus type finds exactly its
 * term's pattern (by looking its heads up, not by scanning half a million
 * prefixes). */
static void test04_million_liwc(void **state)
{
    (void)state;
    enum { CATS = 1000 };
    const unsigned N = scaled(1000000);
    text t = {0};
    add(&t, "%%\n");
    for (int c = 1; c <= CATS; c++)
        add(&t, "%d\tcat%d\n", c, c);
    add(&t, "%%\n");
    char w[8];
    for (unsigned i = 0; i < N; i++) {
        word(w, i % 2 ? 'p' : 'x', i / 2);
        add(&t, "%s%s\t%u\n", w, i % 2 ? "*" : "", 1 + i % CATS);
    }
    opine_model *m;
    char *err;
    assert_int_equal(try_load(t.s, t.len, "million.dic", &m, &err), 0);
    free(t.s);
    assert_int_equal(opine_model_nthemes(m), CATS);
    assert_string_equal(opine_model_name(m), "million");
    assert_int_equal(opine_model_compile(m, NULL, &err), 0);
    assert_int_equal(opine_model_nterms(m), N);
    /* Fewer patterns than terms: words with one stem share one. */
    assert_true(opine_model_npatterns(m) <= N);

    opine_stemmer *st;
    assert_int_equal(opine_stemmer_new(&st, "english"), 0);
    for (unsigned i = 1; i < N; i += N / 10 - 9) { /* odd: both kinds */
        /* Terms are in theme order, not file order: find line i's. */
        char text[16];
        word(w, i % 2 ? 'p' : 'x', i / 2);
        snprintf(text, sizeof(text), "%s%s", w, i % 2 ? "*" : "");
        const opine_term *term = NULL;
        for (size_t k = 0; k < N && term == NULL; k++)
            if (strcmp(opine_model_term(m, k)->text, text) == 0)
                term = opine_model_term(m, k);
        assert_non_null(term);
        assert_int_equal(term->theme, i % CATS);
        /* a wildcard matches longer types; an exact term its own word */
        char type[16];
        snprintf(type, sizeof(type), "%s%s", w, i % 2 ? "ism" : "");
        size_t slen;
        const char *stem = opine_stemmer_stem(st, type, strlen(type), &slen);
        uint32_t pats[4];
        size_t n =
            opine_model_match_type(m, type, strlen(type), stem, slen, pats, 4);
        assert_int_equal(n, 1);
        assert_int_equal(pats[0], term->patterns[0]);
    }
    opine_stemmer_free(st);
    uint32_t pats[4];
    assert_int_equal(opine_model_match_type(m, "zzz", 3, "zzz", 3, pats, 4), 0);
    opine_model_free(m);
}

/* 5. A quanteda dictionary of 100,000 categories of ten terms each (one
 * million terms, one mapping of 100,000 keys): duplicate keys and
 * categories are found by maps, so it loads in seconds, not hours; a
 * duplicate at the very end is still found. */
static void test05_wide_quanteda(void **state)
{
    (void)state;
    const unsigned CATS = scaled(100000);
    text t = {0};
    char w[8];
    for (unsigned c = 0; c < CATS; c++) {
        add(&t, "c%u: [", c);
        for (unsigned j = 0; j < 10; j++) {
            word(w, 'q', c * 10 + j);
            add(&t, "%s%s", j ? ", " : "", w);
        }
        add(&t, "]\n");
    }
    opine_model *m;
    char *err;
    assert_int_equal(try_load(t.s, t.len, "wide.yml", &m, &err), 0);
    assert_int_equal(opine_model_nthemes(m), CATS);
    assert_int_equal(opine_model_compile(m, NULL, &err), 0);
    assert_int_equal(opine_model_nterms(m), 10 * CATS);
    opine_model_free(m);

    add(&t, "c77: [again]\n");
    char msg[64];
    snprintf(msg, sizeof(msg), "wide.yml:%u:1: duplicate key 'c77'", CATS + 1);
    expect_error(t.s, t.len, "wide.yml", msg);
    free(t.s);
}

/* 6. A dictionary saved as Latin-1 (as Windows tools often do) is refused
 * at its first non-UTF-8 byte, by line and column, saying how to convert
 * it; so are UTF-16 files and NUL bytes. A UTF-8 byte order mark is
 * fine. */
static void test06_encodings(void **state)
{
    (void)state;
    const char latin1[] = "%\n1\tpositive\n2\tn\xe9gatif\n%\ncaf\xe9\t1\n";
    expect_error(latin1, strlen(latin1), "fr.dic",
                 "fr.dic:3:4: invalid UTF-8 (byte 0xE9); model files must be "
                 "UTF-8. If this one is Latin-1 (Windows dictionaries often "
                 "are), convert it: iconv -f LATIN1 -t UTF-8 FILE > NEW");
    const char yaml[] = "name: x\nversion: 1\nthemes:\n  a:\n"
                        "    targets: [na\xefve]\n";
    expect_error_has(yaml, strlen(yaml), "x.yaml",
                     "x.yaml:5:17: invalid UTF-8 (byte 0xEF)");
    const char utf16[] = "\xff\xfe%\0\n\0";
    expect_error(utf16, sizeof(utf16) - 1, "w.dic",
                 "w.dic: the file is UTF-16; model files must be UTF-8 "
                 "(convert it: iconv -f UTF-16 -t UTF-8 FILE > NEW)");
    const char nul[] = "%\n1\ta\n%\nx\0y\t1\n";
    expect_error(nul, sizeof(nul) - 1, "nul.dic",
                 "nul.dic:4:2: NUL byte: model files are text");

    /* The same dictionary in UTF-8, with a byte order mark. */
    const char bom[] = "\xef\xbb\xbf%\n1\tpositive\n2\tn\xc3\xa9gatif\n%\n"
                       "caf\xc3\xa9\t1\n";
    opine_model *m;
    char *err;
    assert_int_equal(try_load(bom, strlen(bom), "fr.dic", &m, &err), 0);
    assert_int_equal(opine_model_nthemes(m), 2);
    assert_string_equal(opine_model_theme(m, 1)->id, "n\xc3\xa9gatif");
    assert_int_equal(opine_model_compile(m, NULL, &err), 0);
    uint32_t pats[2];
    assert_int_equal(
        opine_model_match_type(m, "caf\xc3\xa9", 5, "caf\xc3\xa9", 5, pats, 2),
        1);
    opine_model_free(m);
}

/* 7. A file name is bytes: one with a newline and a Latin-1 byte names
 * the file in messages as valid text on one line, and a dictionary's name
 * (from its file name) is valid text too. */
static void test07_file_names(void **state)
{
    (void)state;
    const char bad[] = "%\n1\ta\n%\n";
    expect_error("%\nx\n", 4, "dir/caf\xe9\nnew.dic",
                 "dir/caf\\xE9\\x0Anew.dic:2:1: expected a category line: "
                 "NUMBER NAME, or '%' to end the categories");
    opine_model *m;
    char *err;
    assert_int_equal(
        try_load(bad, strlen(bad), "dir/caf\xe9\nnew.dic", &m, &err), 0);
    assert_string_equal(opine_model_name(m), "caf\\xE9\\x0Anew");
    opine_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_alias_bombs),
        cmocka_unit_test(test02_aliases_in_moderation),
        cmocka_unit_test(test03_cycles_and_depth),
        cmocka_unit_test(test04_million_liwc),
        cmocka_unit_test(test05_wide_quanteda),
        cmocka_unit_test(test06_encodings),
        cmocka_unit_test(test07_file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
