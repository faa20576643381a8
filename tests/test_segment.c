/* tests/test_segment.c — opine_segment() and opine_tokenize_uax29() on our
 * own cases: news-text words, numbers, case folding, sentences, the two
 * CLDR corrections, and ill-formed UTF-8 (plus random bytes).
 *
 * The conformance files are tests/test_wordbreak.c and
 * tests/test_sentencebreak.c; here we check what we build on top of ICU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/uclean.h>

#include "base/error.h"
#include "stages/segment.h"

struct fixture {
    opine_segmenter *w, *s;
    opine_tokens t;
};

static int setup(void **state)
{
    static struct fixture f;

    memset(&f, 0, sizeof f);
    if (opine_segmenter_new(&f.w, OPINE_SEGMENT_WORD) != 0 ||
        opine_segmenter_new(&f.s, OPINE_SEGMENT_SENTENCE) != 0)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    opine_segmenter_free(f->w);
    opine_segmenter_free(f->s);
    opine_tokens_release(&f->t);
    return 0;
}

/* Invariants of any result: spans in bounds and increasing, NUL-terminated
 * forms, dense sentence indexes. */
static void check_tokens(const opine_tokens *t, size_t len)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        const opine_token *k = &t->v[i];
        assert_true(k->len > 0);
        assert_true((size_t)k->start + k->len <= len);
        if (i > 0) {
            assert_true(k->start >= t->v[i - 1].start + t->v[i - 1].len);
            assert_true(k->sentence == t->v[i - 1].sentence ||
                        k->sentence == t->v[i - 1].sentence + 1);
        } else {
            assert_int_equal(k->sentence, 0);
        }
        assert_true((size_t)k->norm + k->norm_len < t->norm_len);
        assert_int_equal(t->norm[k->norm + k->norm_len], '\0');
        assert_int_equal(strlen(t->norm + k->norm), k->norm_len);
    }
    if (t->n)
        assert_int_equal(t->nsentences, t->v[t->n - 1].sentence + 1);
    else
        assert_int_equal(t->nsentences, 0);
}

static void check_segments(const opine_segments *s, size_t len)
{
    size_t i;

    assert_true(s->n >= 1);
    assert_int_equal(s->bounds[0], 0);
    assert_int_equal(s->bounds[s->n - 1], len);
    for (i = 1; i < s->n; i++)
        assert_true(s->bounds[i] > s->bounds[i - 1]);
}

/* Tokenize text and compare the normalised forms with the '|'-separated
 * list want, and kinds with the string kinds ('w' or 'n' per token). */
static void expect(struct fixture *f, const char *text, const char *want,
                   const char *kinds)
{
    char buf[512] = "";
    size_t i, len = strlen(text);

    assert_int_equal(opine_tokenize_uax29(f->w, f->s, text, len, &f->t), 0);
    check_tokens(&f->t, len);
    for (i = 0; i < f->t.n; i++) {
        if (i)
            strcat(buf, "|");
        strcat(buf, f->t.norm + f->t.v[i].norm);
    }
    assert_string_equal(buf, want);
    if (kinds) {
        assert_int_equal(strlen(kinds), f->t.n);
        for (i = 0; i < f->t.n; i++)
            assert_int_equal(f->t.v[i].kind, kinds[i] == 'n'
                                                 ? OPINE_TOKEN_NUMBER
                                                 : OPINE_TOKEN_WORD);
    }
}

/* 1. UAX #29 keeps a possessive: ’ is MidNumLet, so WB6/WB7 join it. */
static void test_possessive(void **state)
{
    struct fixture *f = *state;
    const char *text = "Korea\xE2\x80\x99s alliance";

    expect(f, text, "korea's|alliance", "ww");
    assert_int_equal(f->t.v[0].start, 0);
    assert_int_equal(f->t.v[0].len, 9); /* "Korea’s": ’ is 3 bytes */
    assert_int_equal(f->t.v[1].start, 10);
    expect(f, "don\xCA\xBCt", "don't", "w");
}

/* 2. "U.S." is "U.S" then a '.' (WB6/WB7 need a letter after '.'). */
static void test_abbreviation(void **state)
{
    struct fixture *f = *state;

    expect(f, "the U.S. said", "the|u.s|said", "www");
    assert_int_equal(f->t.v[1].start, 4);
    assert_int_equal(f->t.v[1].len, 3);
}

/* 3. Hyphens are not joiners in UAX #29. */
static void test_hyphen(void **state)
{
    expect(*state, "burden-sharing", "burden|sharing", "ww");
}

/* 4. Numbers with separators stay whole (WB11/WB12). Letters and digits
 * are one segment (WB9/WB10) whose kind is ICU's status, set by the last
 * rule that extended it: "1990s" is a word but "G20" a number. */
static void test_numbers(void **state)
{
    expect(*state, "2,000 troops, 3.5 per cent, G20 1990s",
           "2,000|troops|3.5|per|cent|g20|1990s", "nwnwwnw");
}

/* 5. '-' and '@' break (the '@' by our correction of CLDR's rules); '.'
 * between letters joins. ':' between letters joins (the other one). */
static void test_email_and_colon(void **state)
{
    struct fixture *f = *state;

    expect(f, "e-mail@example.org", "e|mail|example.org", "www");
    expect(f, "@ a@b x@.a", "a|b|x|a", "wwww");
    expect(f, "Note:this at 12:30", "note:this|at|12|30", "wwnn");
}

/* 6. Case folding and NFC beyond ASCII. */
static void test_casefold(void **state)
{
    expect(*state,
           "\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90 " /* МОСКВА */
           "\xD0\xA0\xD0\xBE\xD1\x81\xD1\x81\xD0\xB8\xD1\x8F " /* Россия */
           "STRASSE Stra\xC3\x9F"
           "e "            /* Straße */
           "Cafe\xCC\x81", /* e + ◌́ */
           "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0|"
           "\xD1\x80\xD0\xBE\xD1\x81\xD1\x81\xD0\xB8\xD1\x8F|"
           "strasse|strasse|caf\xC3\xA9",
           "wwwww");
}

/* 7. Sentences from the sentence segmenter, dense over sentences with
 * tokens; offsets are byte offsets. */
static void test_sentences(void **state)
{
    struct fixture *f = *state;
    const char *text = "Hello there. How are you? Fine!";
    static const uint32_t sent[] = {0, 0, 1, 1, 1, 2};
    static const uint32_t start[] = {0, 6, 13, 17, 21, 26};
    size_t i;

    expect(f, text, "hello|there|how|are|you|fine", "wwwwww");
    assert_int_equal(f->t.nsentences, 3);
    for (i = 0; i < 6; i++) {
        assert_int_equal(f->t.v[i].sentence, sent[i]);
        assert_int_equal(f->t.v[i].start, start[i]);
    }
    /* A sentence without tokens does not take an index. */
    expect(f, "One. ... !! Two.", "one|two", "ww");
    assert_int_equal(f->t.v[1].sentence, 1);
    /* Without a sentence segmenter everything is sentence 0. */
    assert_int_equal(
        opine_tokenize_uax29(f->w, NULL, text, strlen(text), &f->t), 0);
    assert_int_equal(f->t.nsentences, 1);
    assert_int_equal(f->t.v[5].sentence, 0);
}

/* 8. Empty text: one boundary, no segment, no token. */
static void test_empty(void **state)
{
    struct fixture *f = *state;
    opine_segments s = OPINE_SEGMENTS_INIT;

    assert_int_equal(opine_segment(f->w, "", 0, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.bounds[0], 0);
    opine_segments_release(&s);
    expect(f, "", "", "");
    assert_int_equal(f->t.nsentences, 0);
}

/* 9. Ill-formed UTF-8: each bad sequence is one U+FFFD segment, bounds
 * stay byte offsets within len, the words around it survive. */
static void test_invalid_utf8(void **state)
{
    struct fixture *f = *state;
    static const char text[] = "ab\xFF\xFE"
                               "cd \xE2\x82 ef\xC3";
    opine_segments s = OPINE_SEGMENTS_INIT;
    size_t len = sizeof text - 1;

    assert_int_equal(opine_segment(f->w, text, len, &s), 0);
    check_segments(&s, len);
    assert_int_equal(opine_segment(f->s, text, len, &s), 0);
    check_segments(&s, len);
    opine_segments_release(&s);
    expect(f, text, "ab|cd|ef", "www");
    assert_int_equal(f->t.v[2].start, 10);
    assert_int_equal(f->t.v[2].len, 2);
}

/* 10. Random bytes, biased towards UTF-8 lead and trail bytes and the
 * characters our corrections look at: no crash, invariants hold. */
static void test_random_bytes(void **state)
{
    struct fixture *f = *state;
    static const unsigned char pick[] = {
        'a',  'Z',  '1',  '.',  ':',  '@',  ' ',  '\'', '\n', 0xC3,
        0xA9, 0xE2, 0x80, 0x99, 0xCC, 0x81, 0xF0, 0x9F, 0xFF};
    opine_segments s = OPINE_SEGMENTS_INIT;
    char buf[64];
    unsigned seed = 12345;
    int round;

    for (round = 0; round < 3000; round++) {
        size_t len, i;
        seed = seed * 1103515245u + 12345u;
        len = (seed >> 16) % sizeof buf;
        for (i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (char)pick[(seed >> 16) % sizeof pick];
        }
        assert_int_equal(opine_segment(f->w, buf, len, &s), 0);
        check_segments(&s, len);
        assert_int_equal(opine_segment(f->s, buf, len, &s), 0);
        check_segments(&s, len);
        assert_int_equal(opine_tokenize_uax29(f->w, f->s, buf, len, &f->t), 0);
        check_tokens(&f->t, len);
    }
    opine_segments_release(&s);
}

/* 11. Usage errors are reported, not crashed on. */
static void test_usage(void **state)
{
    struct fixture *f = *state;
    opine_segmenter *x = (opine_segmenter *)1;

    assert_int_equal(opine_segmenter_new(&x, (opine_segment_kind)9),
                     OPINE_EUSAGE);
    assert_null(x);
    assert_int_equal(opine_tokenize_uax29(f->s, f->w, "a", 1, &f->t),
                     OPINE_EUSAGE);
    assert_int_equal(f->t.n, 0);
    opine_segmenter_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_possessive),
        cmocka_unit_test(test_abbreviation),
        cmocka_unit_test(test_hyphen),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_email_and_colon),
        cmocka_unit_test(test_casefold),
        cmocka_unit_test(test_sentences),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_usage),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);

    /* ICU's one-time caches, so LeakSanitizer reports only ours. */
    u_cleanup();
    return rc;
}
