/* tests/test_date.c — dates as scraped corpora write them, normalised to
 * YYYY-MM-DD by opine_date_normalize() (corpus/date.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/error.h"
#include "corpus/reader.h"

typedef struct date_case {
    const char *raw, *iso; /* iso NULL: refused */
} date_case;

static void check(const date_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char out[11] = "";
        int rc = opine_date_normalize(cases[i].raw, out);
        if (cases[i].iso) {
            if (rc != 0 || strcmp(out, cases[i].iso) != 0)
                fail_msg("'%s': got %d '%s', want '%s'", cases[i].raw, rc, out,
                         cases[i].iso);
        } else if (rc != OPINE_EFORMAT) {
            fail_msg("'%s': got %d '%s', want EFORMAT", cases[i].raw, rc, out);
        }
    }
}

#define CHECK(cases) check(cases, sizeof(cases) / sizeof(cases[0]))

/* 1: day, month name, year. */
static void test00_common(void **state)
{
    static const date_case cases[] = {
        {"2016-09-20", "2016-09-20"},
        {"2016-09-20T10:00:00Z", "2016-09-20"},
        {"2016-09-20T10:00:00+02:00", "2016-09-20"},
        {"2016-09-20 10:00", "2016-09-20"},
        {"2016/9/20", "2016-09-20"},
        {"9/20/16", "2016-09-20"},
        {"9/20/2016", "2016-09-20"},
        {"09/20/2016", "2016-09-20"},
        {"9/20/16 10:00 AM", "2016-09-20"},
        {"1/2/99", "1999-01-02"},
        {"1/2/69", "2069-01-02"},
        {"1/2/70", "1970-01-02"},
        {"1/2/00", "2000-01-02"},
        {"September 20, 2016", "2016-09-20"},
        {"Sept. 20, 2016", "2016-09-20"},
        {"Sep 20 2016", "2016-09-20"},
        {"sep 20th, 2016", "2016-09-20"},
        {"Tuesday, September 20, 2016", "2016-09-20"},
        {"September 20, 2016 10:00 AM", "2016-09-20"},
        {"20 September 2016", "2016-09-20"},
        {"20 Sep. 2016", "2016-09-20"},
        {"20-Sep-2016", "2016-09-20"},
        {"  2016-09-20  ", "2016-09-20"},
        {"February 29, 2016", "2016-02-29"},
        {"2000-02-29", "2000-02-29"},
        {"0001", NULL},
        {"", NULL},
        {"   ", NULL},
        {"2016", NULL},
        {"2016-13-01", NULL},
        {"2016-00-10", NULL},
        {"2016-04-31", NULL},
        {"2015-02-29", NULL},
        {"1900-02-29", NULL},
        {"0000-00-00", NULL},
        {"13/20/2016", NULL},
        {"September 31, 2016", NULL},
        {"Smarch 20, 2016", NULL},
        {"yesterday", NULL},
        {"20160920", NULL},
        {"2016-09-20 junk", NULL},
        {"9/20", NULL},
    };
    (void)state;
    CHECK(cases);
}

static void test01_day_month_name(void **state)
{
    static const date_case cases[] = {
        {"4 December 2026", "2026-12-04"},
        {"04 December 2026", "2026-12-04"},
        {"4th December 2026", "2026-12-04"},
        {"4 Dec 2026", "2026-12-04"},
        {"4 Dec. 2026", "2026-12-04"},
        {"4-Dec-2026", "2026-12-04"},
        {"Friday 4 December 2026", "2026-12-04"},
        {"Friday, 4 December 2026", "2026-12-04"},
        {"4 December, 2026", "2026-12-04"},
        {"4 december 2026 17:56", "2026-12-04"},
        {"31 November 2026", NULL},
        {"4 Decembre 2026", NULL},
        {"December 2026", NULL},
        {"4 December", NULL},
        {"4 December 26", NULL}, /* a two-digit year only in numeric dates */
    };
    (void)state;
    CHECK(cases);
}

/* 2: numeric dates: U.S. month first, day first where the first number
 * cannot be a month, and day first with dots. */
static void test02_us_numeric(void **state)
{
    static const date_case cases[] = {
        {"12/04/2026", "2026-12-04"},
        {"12/4/2026", "2026-12-04"},
        {"12/4/26", "2026-12-04"},
        {"12/04/2026 5:56 PM", "2026-12-04"},
        {"12/04/2026 5:56 p.m. ET", "2026-12-04"},
        {"12/04/2026, 17:56", "2026-12-04"},
        {"25/12/2026", "2026-12-25"},
        {"04.12.2026", "2026-12-04"},
        {"4.12.26", "2026-12-04"},
        {"2026.12.04", "2026-12-04"},
        {"12-04-2026", NULL}, /* which way round? not said */
        {"13/13/2026", NULL},
        {"2/30/2026", NULL},
        {"12/04/2026 25:00", NULL},
        {"12/04/2026 13:00 PM", NULL},
        {"12/04/2026 5:6", NULL},
    };
    (void)state;
    CHECK(cases);
}

/* 3: RFC 2822 (e-mail, RSS), with and without seconds and weekday, with
 * numeric and named zones. */
static void test03_rfc2822(void **state)
{
    static const date_case cases[] = {
        {"Fri, 04 Dec 2026 17:56:05 +0000", "2026-12-04"},
        {"Fri, 4 Dec 2026 17:56:05 -0500", "2026-12-04"},
        {"Fri, 04 Dec 2026 17:56 GMT", "2026-12-04"},
        {"04 Dec 2026 17:56:05 +0000", "2026-12-04"},
        {"Fri, 04 Dec 2026 17:56:05 EST", "2026-12-04"},
        {"Fri, 04 Dec 2026 17:56:05 +0000 (UTC)", "2026-12-04"},
        {"Fri, 04 Dec 2026 23:59:60 +0000", "2026-12-04"}, /* leap second */
        {"Fri, 04 Dec 2026 17:61:05 +0000", NULL},
        {"Fri, 04 Dec 2026 17:56:05 +2500", NULL},
        {"Fri, 04 Dec 2026 17:56:05 +0000 junk", NULL},
        {"Fri, 04 Dec 2026 17:56:05 +0000)", NULL},
    };
    (void)state;
    CHECK(cases);
}

/* 4: ISO 8601 with a time and a zone: the date as written, in its own
 * zone (not converted to UTC). */
static void test04_iso_zone(void **state)
{
    static const date_case cases[] = {
        {"2026-12-04T17:56:05Z", "2026-12-04"},
        {"2026-12-04T17:56:05+09:00", "2026-12-04"},
        {"2026-12-04T17:56:05.123-05:00", "2026-12-04"},
        {"2026-12-04T23:30:00-05:00", "2026-12-04"},
        {"2026-12-04T17:56:05+0900", "2026-12-04"},
        {"2026-12-04T17:56:05+09", "2026-12-04"},
        {"2026-12-04 17:56:05 UTC", "2026-12-04"},
        {"2026-12-04t17:56z", "2026-12-04"},
        {"2026-12-04T17:56:05,5Z", "2026-12-04"},
        {"2026-12-04T24:00:00Z", NULL},
        {"2026-12-04T17:56:05+09:", NULL},
        {"2026-12-04T17:56:05.Z", NULL},
        {"2026-12-04Tnoon", NULL},
        {"2026-12-04T", NULL},
    };
    (void)state;
    CHECK(cases);
}

/* 5: what pages put around a date: labels, a time first, "at". */
static void test05_labels_and_times(void **state)
{
    static const date_case cases[] = {
        {"Published: December 4, 2026", "2026-12-04"},
        {"Updated on Dec. 4, 2026", "2026-12-04"},
        {"Posted 12/04/2026", "2026-12-04"},
        {"Last updated: 4 December 2026 17:56 GMT", "2026-12-04"},
        {"Updated 5:56 PM ET, Fri December 4, 2026", "2026-12-04"},
        {"5:56 PM EST, Fri December 4, 2026", "2026-12-04"},
        {"December 4, 2026 at 5:56 pm", "2026-12-04"},
        {"December 4, 2026, 5:56 PM (Eastern)", "2026-12-04"},
        {"Published: yesterday", NULL},
        {"Updated 25:56 PM ET, Fri December 4, 2026", NULL},
        {"December 4, 2026 at noon", NULL},
        {"Publishedd: December 4, 2026", NULL},
    };
    (void)state;
    CHECK(cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test00_common),
        cmocka_unit_test(test01_day_month_name),
        cmocka_unit_test(test02_us_numeric),
        cmocka_unit_test(test03_rfc2822),
        cmocka_unit_test(test04_iso_zone),
        cmocka_unit_test(test05_labels_and_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
