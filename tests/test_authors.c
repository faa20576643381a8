/* tests/test_authors.c — author strings split into people
 * (corpus/authors.h). Each case is a raw string and the people it must
 * give, written "Name [Role]" and separated by " | ". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "corpus/authors.h"

typedef struct author_case {
    const char *raw, *want;
} author_case;

static void check(const author_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        opine_author *a;
        size_t na;
        char got[1024] = "";
        assert_int_equal(opine_authors_split(cases[i].raw, &a, &na), 0);
        for (size_t k = 0; k < na; k++) {
            size_t len = strlen(got);
            snprintf(got + len, sizeof got - len, "%s%s%s%s%s", k ? " | " : "",
                     a[k].name, a[k].role ? " [" : "",
                     a[k].role ? a[k].role : "", a[k].role ? "]" : "");
        }
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("'%s': got '%s', want '%s'", cases[i].raw, got,
                     cases[i].want);
        opine_authors_free(a, na);
    }
}

#define CHECK(cases) check(cases, sizeof(cases) / sizeof(cases[0]))

/* 1: lists of people, with "By" in front, and/&/commas/semicolons. */
static void test01_lists(void **state)
{
    static const author_case cases[] = {
        {"Ann Lee", "Ann Lee"},
        {"By Ann Lee", "Ann Lee"},
        {"BY ANN LEE", "ANN LEE"},
        {"By: Ann Lee", "Ann Lee"},
        {"By Ann Lee and Bo Park", "Ann Lee | Bo Park"},
        {"Ann Lee, Bo Park and Cy Moon", "Ann Lee | Bo Park | Cy Moon"},
        {"Ann Lee, Bo Park, and Cy Moon", "Ann Lee | Bo Park | Cy Moon"},
        {"Ann Lee & Bo Park", "Ann Lee | Bo Park"},
        {"Ann Lee; Bo Park", "Ann Lee | Bo Park"},
        {"Ann Lee | Bo Park", "Ann Lee | Bo Park"},
        {"Written by Ann Lee", "Ann Lee"},
        {"  Ann   Lee ,Bo\tPark  ", "Ann Lee | Bo Park"},
        {"Ann Lee\nBo Park", "Ann Lee | Bo Park"},
        {"\"Cortney OBrien\", Guy Benson", "Cortney OBrien | Guy Benson"},
        {"\xe2\x80\x9c"
         "Ann Lee\xe2\x80\x9d",
         "Ann Lee"},
        {"Ann Lee, ann lee, Bo Park", "Ann Lee | Bo Park"},
        {"S.A. Miller, Kevin D. Williamson",
         "S.A. Miller | Kevin D. Williamson"},
        {"Edward-Isaac Dovere", "Edward-Isaac Dovere"},
        {"Alexia Fernández Campbell", "Alexia Fernández Campbell"},
        {"Andrew Anderson", "Andrew Anderson"}, /* "and" inside a name */
        {"Brandon Sanders and Sandra Day", "Brandon Sanders | Sandra Day"},
    };
    (void)state;
    CHECK(cases);
}

/* 2: roles and affiliations after people, and name suffixes. */
static void test02_roles(void **state)
{
    static const author_case cases[] = {
        {"Ann Lee and Bo Park, Special to The Times",
         "Ann Lee [Special to The Times] | Bo Park [Special to The Times]"},
        {"By Ann Lee, Staff Writer", "Ann Lee [Staff Writer]"},
        {"Peter Hamby, Cnn Political Reporter",
         "Peter Hamby [Cnn Political Reporter]"},
        {"Kimberly Veklerov, Lead Digital Reporter, Joaquin Palomino,"
         " Investigative Reporter",
         "Kimberly Veklerov [Lead Digital Reporter] | Joaquin Palomino"
         " [Investigative Reporter]"},
        {"Ann Lee, Staff Writer, The Hill", "Ann Lee [Staff Writer, The Hill]"},
        {"Editorial Board, Washington Examiner",
         "Editorial Board [Washington Examiner]"},
        {"Jonah Goldberg, National Review", "Jonah Goldberg [National Review]"},
        {"Associated Press", "Associated Press"},
        {"Martin Luther King, Jr.", "Martin Luther King, Jr."},
        {"Ann Lee, Ph.D., Bo Park", "Ann Lee, Ph.D. | Bo Park"},
        {"Ann Lee, Bo Park III", "Ann Lee | Bo Park III"},
    };
    (void)state;
    CHECK(cases);
}

/* 3: what scrapers leave in author fields is not a person. */
static void test03_debris(void **state)
{
    static const author_case cases[] = {
        {"", ""},
        {"   ", ""},
        {"By", ""},
        {"Kimberly Veklerov, Follow Kimberly On, Www.Facebook.Com Sfchronicle,"
         " Vivian Ho",
         "Kimberly Veklerov | Vivian Ho"},
        {"Backgroundurl Avatar_Large, Story Count, Comment Count, Popular Tags",
         ""},
        {"Chris Stirewalt, In July Of", "Chris Stirewalt"},
        {"Elizabeth Chou, Politics Since", "Elizabeth Chou"},
        {"ann@example.org, Bo Park", "Bo Park"},
        {"Ann Lee 2019", ""},
        {"https://example.org/ann", ""},
        {"A", ""},
        {"this is a whole sentence that somebody put in the author field", ""},
    };
    (void)state;
    CHECK(cases);
    opine_author *a = (opine_author *)1;
    size_t n = 7;
    assert_int_equal(opine_authors_split(NULL, &a, &n), 0);
    assert_null(a);
    assert_int_equal(n, 0);
    opine_authors_free(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_lists),
        cmocka_unit_test(test02_roles),
        cmocka_unit_test(test03_debris),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
