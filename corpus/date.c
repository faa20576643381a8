/* corpus/date.c — normalises the dates scraped corpora carry to YYYY-MM-DD.
 *
 * FORMAT (case-insensitive; leading and trailing blanks ignored)
 *   ISO          2016-09-20, 2016/09/20, 2016.09.20, optionally followed
 *                by 'T' or a blank and a time: 2016-09-20T10:00:00Z,
 *                2016-09-20T10:00:00.123+09:00, 2016-09-20 10:00
 *   US numeric   9/20/16, 09/20/2016, optionally followed by a time:
 *                9/20/16 10:00 AM. Month first, as in the U.S.; when the
 *                first number cannot be a month (25/12/2016) it is the
 *                day, and 25.12.2016 (dots) is always day first
 *   month first  September 20, 2016; Sept. 20, 2016; Sep 20 2016;
 *                Sep 20th, 2016
 *   day first    20 September 2016; 20 Sep. 2016; 20-Sep-2016
 *   RFC 2822     Tue, 20 Sep 2016 10:00:00 +0000 (the day-first form
 *                with a weekday and a time zone)
 *   Month and day-first forms may start with a weekday ("Tuesday,
 *   September 20, 2016"). Any form may start with a label ("Published:",
 *   "Updated", "Posted on", "Last updated") and may carry a time before
 *   it ("10:00 AM ET, Tue September 20, 2016") or after it, after 'T', a
 *   blank, a comma or "at". A time is H:MM[:SS[.fraction]], then
 *   optionally AM or PM (a.m., p.m.), then optionally a zone: Z, +HH:MM,
 *   +HHMM, +HH, or a name of up to eight letters (GMT, UTC, EST, ET,
 *   GMT+1, Eastern), bare or in parentheses. Nothing else may follow.
 *
 *   The date is the calendar date as written, in the zone it was written
 *   in: "2016-09-20T23:30:00-05:00" is 2016-09-20, the date the outlet
 *   printed, not the UTC date (2016-09-21).
 *
 *   Two-digit years pivot at 70: 00-69 are 20xx, 70-99 are 19xx. Years
 *   outside 1000-9999 are refused, and the day is checked against the month
 *   (with leap years), so "0000-00-00" placeholders come out unrecognised.
 *   A bare year ("2016") or a month and year ("September 2016") is not a
 *   date and is refused.
 */
#include "corpus/reader.h"
#include "base/error.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const month_names[12] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

static const char *const weekday_names[7] = {"monday",   "tuesday", "wednesday",
                                             "thursday", "friday",  "saturday",
                                             "sunday"};

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int valid_ymd(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int max;

    if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1)
        return 0;
    max = mdays[m - 1] + (m == 2 && is_leap(y));
    return d <= max;
}

/* Read 1..maxd digits; *nd is how many were read. */
static int read_num(const char **p, int maxd, int *val, int *nd)
{
    const char *s = *p;
    int v = 0, n = 0;

    while (n < maxd && isdigit((unsigned char)s[n])) {
        v = v * 10 + (s[n] - '0');
        n++;
    }
    if (n == 0 || isdigit((unsigned char)s[n]))
        return 0;
    *val = v;
    *nd = n;
    *p = s + n;
    return 1;
}

/* The word of letters at s, lowercased into word[size]; its length, or 0
 * when it is longer than that. */
static size_t read_word(const char *s, char *word, size_t size)
{
    size_t n = 0;

    while (isalpha((unsigned char)s[n])) {
        if (n + 1 >= size)
            return 0;
        word[n] = (char)tolower((unsigned char)s[n]);
        n++;
    }
    word[n] = '\0';
    return n;
}

/* Read a word of letters and match it against names[0..count): the full
 * name, its first three letters, or "sept". Returns the 1-based index. */
static int read_name(const char **p, const char *const *names, int count)
{
    char word[16];
    const char *s = *p;
    size_t n = read_word(s, word, sizeof word);
    int i;

    if (n < 3)
        return 0;
    for (i = 0; i < count; i++) {
        if (strcmp(word, names[i]) == 0 ||
            (n == 3 && strncmp(word, names[i], 3) == 0) ||
            (names == month_names && i == 8 && strcmp(word, "sept") == 0)) {
            s += n;
            if (*s == '.')
                s++;
            *p = s;
            return i + 1;
        }
    }
    return 0;
}

static void skip_blanks(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Blanks with at most one comma among them. */
static void skip_comma(const char **p)
{
    skip_blanks(p);
    if (**p == ',')
        (*p)++;
    skip_blanks(p);
}

/* The word w (lowercase) at *p, not followed by another letter. */
static int skip_word(const char **p, const char *w)
{
    size_t n = strlen(w);

    if (strncasecmp(*p, w, n) != 0 || isalpha((unsigned char)(*p)[n]))
        return 0;
    *p += n;
    return 1;
}

/* "st", "nd", "rd", "th" after a day number. */
static void skip_ordinal(const char **p)
{
    const char *s = *p;

    if (isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
        !isalpha((unsigned char)s[2])) {
        char a = (char)tolower((unsigned char)s[0]);
        char b = (char)tolower((unsigned char)s[1]);
        if ((a == 's' && b == 't') || (a == 'n' && b == 'd') ||
            (a == 'r' && b == 'd') || (a == 't' && b == 'h'))
            *p = s + 2;
    }
}

/* A time zone after a time: Z, +HH:MM, +HHMM, +HH, or a name of up to
 * eight letters with an optional offset (ET, GMT+1, Eastern), bare or in
 * parentheses. */
static int read_zone(const char **p)
{
    const char *s = *p, *start;
    int paren = 0, v, n;

    skip_blanks(&s);
    if (*s == '(') {
        paren = 1;
        s++;
    }
    start = s;
    if (isalpha((unsigned char)*s)) {
        char word[10];
        size_t len = read_word(s, word, sizeof word);
        if (len == 0)
            return 0;
        s += len;
    }
    if (*s == '+' || *s == '-') {
        s++;
        if (!read_num(&s, 4, &v, &n) || n == 3 ||
            (n == 4 ? v / 100 > 14 || v % 100 > 59 : v > 14))
            return 0;
        if (n <= 2 && *s == ':') {
            s++;
            if (!read_num(&s, 2, &v, &n) || n != 2 || v > 59)
                return 0;
        }
    }
    if (s == start)
        return 0; /* nothing read */
    if (paren) {
        if (*s != ')')
            return 0;
        s++;
    }
    *p = s;
    return 1;
}

/* A time H:MM[:SS[.fraction]] [AM|PM] [zone], and nothing after it. */
static int read_time(const char *s)
{
    int h, m, sec, nd, ampm = 0;

    if (!read_num(&s, 2, &h, &nd) || *s != ':')
        return 0;
    s++;
    if (!read_num(&s, 2, &m, &nd) || nd != 2 || m > 59)
        return 0;
    if (*s == ':') {
        s++;
        if (!read_num(&s, 2, &sec, &nd) || nd != 2 || sec > 60)
            return 0;
        if (*s == '.' || *s == ',') {
            s++;
            if (!isdigit((unsigned char)*s))
                return 0;
            while (isdigit((unsigned char)*s))
                s++;
        }
    }
    {
        const char *t = s;
        skip_blanks(&t);
        if (skip_word(&t, "am") || skip_word(&t, "pm") ||
            skip_word(&t, "a.m.") || skip_word(&t, "p.m.")) {
            ampm = 1;
            s = t;
        }
    }
    if (ampm ? h < 1 || h > 12 : h > 23)
        return 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else {
        const char *t = s;
        if (read_zone(&t))
            s = t;
    }
    {
        /* RFC 2822's comment after a numeric zone: +0000 (UTC) */
        const char *t = s;
        skip_blanks(&t);
        if (*t == '(' && read_zone(&t))
            s = t;
    }
    skip_blanks(&s);
    return *s == '\0';
}

/* After the date: nothing, or a separator ('T' when allow_t, blanks, a
 * comma, "at") and a time. */
static int rest_ok(const char *s, int allow_t)
{
    if (*s == '\0')
        return 1;
    if (allow_t && (*s == 'T' || *s == 't'))
        return read_time(s + 1);
    if (*s != ' ' && *s != '\t' && *s != ',')
        return 0;
    skip_comma(&s);
    if (skip_word(&s, "at"))
        skip_blanks(&s);
    return read_time(s);
}

static int two_digit_year(int y, int nd)
{
    if (nd != 2)
        return y;
    return y < 70 ? 2000 + y : 1900 + y;
}

static int parse_numeric(const char *s, int *y, int *m, int *d)
{
    int a, b, c, na, nb, nc;
    char sep;

    if (!read_num(&s, 4, &a, &na))
        return 0;
    sep = *s;
    if (sep != '-' && sep != '/' && sep != '.')
        return 0;
    s++;
    if (!read_num(&s, 2, &b, &nb) || *s != sep)
        return 0;
    s++;
    if (!read_num(&s, 4, &c, &nc))
        return 0;
    if (na == 4 && nc <= 2) { /* ISO: year first */
        *y = a;
        *m = b;
        *d = c;
        return rest_ok(s, 1);
    }
    if (sep != '-' && na <= 2 && (nc == 2 || nc == 4)) {
        *y = two_digit_year(c, nc);
        if (sep == '.' || a > 12) { /* day first: 25.12.2016, 25/12/2016 */
            *d = a;
            *m = b;
        } else { /* US: M/D/Y */
            *m = a;
            *d = b;
        }
        return rest_ok(s, 0);
    }
    return 0;
}

static int parse_named(const char *s, int *y, int *m, int *d)
{
    int nd, ny;

    /* An optional weekday in front. */
    {
        const char *t = s;
        if (read_name(&t, weekday_names, 7)) {
            skip_comma(&t);
            s = t;
        }
    }
    if (isdigit((unsigned char)*s)) { /* 20 September 2016 */
        if (!read_num(&s, 2, d, &nd))
            return 0;
        skip_ordinal(&s);
        if (*s == '-')
            s++;
        else
            skip_blanks(&s);
        if (!(*m = read_name(&s, month_names, 12)))
            return 0;
        if (*s == '-')
            s++;
        else
            skip_comma(&s);
    } else { /* September 20, 2016 */
        if (!(*m = read_name(&s, month_names, 12)))
            return 0;
        skip_blanks(&s);
        if (!read_num(&s, 2, d, &nd))
            return 0;
        skip_ordinal(&s);
        skip_comma(&s);
    }
    if (!read_num(&s, 4, y, &ny) || ny != 4)
        return 0;
    return rest_ok(s, 0);
}

/* A label before the date: "Published:", "Updated on", "Last updated". */
static const char *skip_label(const char *s)
{
    static const char *const labels[] = {
        "last updated", "first published", "published", "updated",
        "posted",       "modified",        "date"};
    for (size_t i = 0; i < sizeof labels / sizeof *labels; i++) {
        const char *t = s;
        if (!skip_word(&t, labels[i]))
            continue;
        skip_blanks(&t);
        if (*t == ':')
            t++;
        skip_blanks(&t);
        if (skip_word(&t, "on"))
            skip_blanks(&t);
        return t;
    }
    return s;
}

/* A time before the date ("10:00 AM ET, Tue September 20, 2016"): the
 * date after it, with the time checked, or NULL. */
static const char *skip_leading_time(char *s)
{
    char *comma = strchr(s, ',');
    if (comma == NULL || !isdigit((unsigned char)s[0]) ||
        !(s[1] == ':' || (isdigit((unsigned char)s[1]) && s[2] == ':')))
        return NULL;
    *comma = '\0';
    int ok = read_time(s);
    *comma = ',';
    if (!ok)
        return NULL;
    const char *t = comma + 1;
    skip_blanks(&t);
    return t;
}

int opine_date_normalize(const char *raw, char out[11])
{
    char buf[128];
    size_t n;
    const char *s;
    int y = 0, m = 0, d = 0, ok;

    if (!raw)
        return OPINE_EFORMAT;
    while (isspace((unsigned char)*raw))
        raw++;
    n = strlen(raw);
    while (n > 0 && isspace((unsigned char)raw[n - 1]))
        n--;
    if (n == 0 || n >= sizeof(buf))
        return OPINE_EFORMAT;
    memcpy(buf, raw, n);
    buf[n] = '\0';
    s = skip_label(buf);
    {
        const char *after = skip_leading_time(buf + (s - buf));
        if (after)
            s = after;
    }

    ok = isdigit((unsigned char)*s) && parse_numeric(s, &y, &m, &d);
    if (!ok)
        ok = parse_named(s, &y, &m, &d);
    if (!ok || !valid_ymd(y, m, d))
        return OPINE_EFORMAT;
    /* Written by hand: valid_ymd() bounds the fields, but snprintf would
     * make the compiler warn that "%04d" might not fit. */
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
    return 0;
}
