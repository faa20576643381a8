/* tests/test_lines.c — lines, their normalised hashes and their stored
 * form (stages/lines.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "stages/lines.h"

/* The lines of text, which must be n. */
static opine_line *lines_of(const char *text, uint64_t seed, size_t n)
{
    opine_line *v;
    size_t got;
    assert_int_equal(opine_lines(text, strlen(text), seed, &v, &got), 0);
    assert_int_equal(got, n);
    return v;
}

static uint64_t hash_of(const char *line)
{
    opine_line *v = lines_of(line, opine_lines_seed("Outlet"), 1);
    uint64_t h = v[0].hash;
    free(v);
    return h;
}

/* 1: spans: line breaks, CRLF, blank and punctuation-only lines skipped,
 * no final break. */
static void test01_spans(void **state)
{
    const char *t = "First line\r\n\n   \n***\nSecond, last";
    opine_line *v = lines_of(t, 0, 2);
    (void)state;
    assert_int_equal(v[0].start, 0);
    assert_int_equal(v[0].len, 10); /* without the \r */
    assert_int_equal(v[1].start, (uint32_t)(strstr(t, "Second") - t));
    assert_int_equal(v[1].len, 12);
    assert_true(v[0].hash != 0 && v[1].hash != 0);
    free(v);
    opine_line *none;
    size_t n;
    assert_int_equal(opine_lines("", 0, 0, &none, &n), 0);
    assert_int_equal(n, 0);
    assert_null(none);
}

/* 2: normalisation: case, digits, punctuation, curly quotes, dashes,
 * blanks and no-break spaces do not make lines differ; words do. */
static void test02_normalised(void **state)
{
    (void)state;
    uint64_t a = hash_of("Slideshow (23 images)");
    assert_true(a == hash_of("SLIDESHOW (2 images)"));
    assert_true(a == hash_of("  slideshow   (7 images) "));
    assert_true(a == hash_of("Slideshow \xe2\x80\x94 (9 images)"));
    assert_true(a != hash_of("Slideshow (23 videos)"));
    uint64_t b =
        hash_of("Fox News\xe2\x80\x99 Jane Doe contributed to this report.");
    assert_true(b == hash_of("Fox News' Jane Doe contributed to this report"));
    assert_true(b == hash_of("Fox\xc2\xa0News\xe2\x80\x99 Jane Doe contributed "
                             "to this report."));
    assert_true(b != hash_of("Fox News' John Doe contributed to this report."));
    /* other characters count as they are */
    assert_true(hash_of("Café") != hash_of("Cafe"));
    assert_true(hash_of("Café") == hash_of("CAFé"));
}

/* 3: long lines are hashed as they are: equal only when equal. */
static void test03_long_lines(void **state)
{
    char a[600], b[600];
    (void)state;
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof a);
    a[0] = 'A';
    b[0] = 'a';
    assert_true(strlen(a) > OPINE_LINE_NORMALISED);
    assert_true(hash_of(a) != hash_of(b));
    char c[610];
    snprintf(c, sizeof c, "  %s \r", a);
    assert_true(hash_of(a) == hash_of(c)); /* blanks at the ends aside */
}

/* 4: the same line in two outlets is two lines. */
static void test04_seeds(void **state)
{
    (void)state;
    opine_line *a =
        lines_of("Click here to subscribe", opine_lines_seed("A"), 1);
    opine_line *b =
        lines_of("Click here to subscribe", opine_lines_seed("B"), 1);
    opine_line *c =
        lines_of("Click here to subscribe", opine_lines_seed("A"), 1);
    assert_true(a[0].hash != b[0].hash);
    assert_true(a[0].hash == c[0].hash);
    assert_true(opine_lines_seed(NULL) == opine_lines_seed(""));
    free(a);
    free(b);
    free(c);
}

/* 5: the stored form round-trips, and damage is refused. */
static void test05_stored(void **state)
{
    const char *t = "one\ntwo two\n\nthree three three\n";
    opine_line *v = lines_of(t, 7, 3), *w;
    unsigned char *data;
    size_t len, n;
    (void)state;
    assert_int_equal(opine_lines_encode(v, 3, &data, &len), 0);
    assert_int_equal(opine_lines_decode(data, len, &w, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(v, w, 3 * sizeof(opine_line));
    free(w);
    assert_int_equal(opine_lines_decode(data, len - 1, &w, &n), OPINE_ECORRUPT);
    unsigned char extra[64];
    memcpy(extra, data, len);
    extra[len] = 0;
    assert_int_equal(opine_lines_decode(extra, len + 1, &w, &n),
                     OPINE_ECORRUPT);
    assert_int_equal(opine_lines_decode(data, 0, &w, &n), OPINE_ECORRUPT);
    free(data);
    /* no lines at all */
    assert_int_equal(opine_lines_encode(NULL, 0, &data, &len), 0);
    assert_int_equal(opine_lines_decode(data, len, &w, &n), 0);
    assert_int_equal(n, 0);
    free(w);
    free(data);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_spans),
        cmocka_unit_test(test02_normalised),
        cmocka_unit_test(test03_long_lines),
        cmocka_unit_test(test04_seeds),
        cmocka_unit_test(test05_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
