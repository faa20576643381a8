/* models/dict.c — LIWC-style dictionaries (.dic) as salience-only models.
 *
 * FORMAT (line by line; blank lines are skipped everywhere, '#' comment
 * lines before the first "%"):
 *
 *     %
 *     1       posemo            category lines: NUMBER, spaces or tabs, NAME
 *     2       negemo
 *     %
 *     good    1                 term lines: TERM, then its category numbers
 *     bad*    2
 *     kind of 1 2               a term may have spaces (multiword entries)
 *
 * A term line's category numbers are the all-digit fields at its end; the
 * first field always belongs to the term, so a term may itself be a number
 * ("911 3"). Each category becomes a theme (id and label its name) whose
 * targets are its terms, in file order; a category without terms stays as
 * a theme that never matches. Unknown category numbers are errors.
 */
#include "models/internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"

/* The categories read so far: theme index by position, and a map from a
 * category's number (its 8 bytes) to position + 1, as a dictionary may
 * have thousands of categories and a million term lines. */
typedef struct categories {
    uint32_t *theme;
    size_t n, cap;
    opine__strmap *by_number;
} categories;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0 || n > 9)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static long find_category(const categories *cats, unsigned long num)
{
    if (cats->by_number == NULL)
        return -1;
    uint64_t key = num;
    return (long)opine__strmap_get(cats->by_number, (const char *)&key,
                                   sizeof(key)) -
           1;
}

/* The category line s[0..n) (trimmed, not empty) at line `line`. */
static int read_category(opine_model *m, const char *s, size_t n, size_t line,
                         size_t col, categories *cats, char **errmsg)
{
    size_t d = 0;
    while (d < n && !is_blank(s[d]))
        d++;
    size_t name = d;
    while (name < n && is_blank(s[name]))
        name++;
    if (!all_digits(s, d) || name == n)
        return opine__model_error(errmsg, m->errname, line, col,
                                  "expected a category line: NUMBER NAME, "
                                  "or '%%' to end the categories");
    unsigned long num = strtoul(s, NULL, 10);
    if (find_category(cats, num) >= 0)
        return opine__model_error(errmsg, m->errname, line, col,
                                  "duplicate category number %lu", num);
    const char *id = opine__model_strndup(m, s + name, n - name);
    if (id == NULL)
        return OPINE_ENOMEM;
    if (opine__model_find_theme(m, id) >= 0)
        return opine__model_error(errmsg, m->errname, line, col + name,
                                  "duplicate category '%s'", id);
    uint64_t key = num;
    if (opine__grow((void **)&cats->theme, &cats->cap, cats->n + 1,
                    sizeof(*cats->theme)) ||
        (cats->by_number == NULL && opine__strmap_new(&cats->by_number)) ||
        opine__strmap_put(cats->by_number, (const char *)&key, sizeof(key),
                          (int64_t)cats->n + 1) ||
        opine__model_add_theme(m, id, NULL, NULL, NULL, &cats->theme[cats->n]))
        return OPINE_ENOMEM;
    cats->n++;
    return 0;
}

/* The term line s[0..n) (trimmed, not empty). */
static int read_entry(opine_model *m, const char *s, size_t n, size_t line,
                      size_t col, const categories *cats, char **errmsg)
{
    /* Peel all-digit fields off the end, keeping at least one field. */
    size_t term_end = n, nums = n;
    for (;;) {
        size_t b = term_end;
        size_t a = b;
        while (a > 0 && !is_blank(s[a - 1]))
            a--;
        if (a == 0 || !all_digits(s + a, b - a))
            break;
        nums = a;
        term_end = a;
        while (term_end > 0 && is_blank(s[term_end - 1]))
            term_end--;
    }
    if (nums == n)
        return opine__model_error(errmsg, m->errname, line, col,
                                  "expected a term and its category "
                                  "numbers");
    for (size_t i = nums; i < n;) {
        while (i < n && is_blank(s[i]))
            i++;
        size_t j = i;
        while (j < n && !is_blank(s[j]))
            j++;
        unsigned long num = strtoul(s + i, NULL, 10);
        long c = find_category(cats, num);
        if (c < 0)
            return opine__model_error(errmsg, m->errname, line, col + i,
                                      "unknown category %lu for term "
                                      "'%.*s'",
                                      num, (int)term_end, s);
        int rc = opine__model_add_term(m, cats->theme[c], OPINE_ROLE_TARGET, s,
                                       term_end, 1.0, line, col, errmsg);
        if (rc != 0)
            return rc;
        i = j;
    }
    return 0;
}

int opine__model_read_liwc(opine_model *m, char **errmsg)
{
    const char *t = m->text;
    size_t len = m->text_len, i = opine__model_bom(t, len), line = 0;
    int section = 0; /* 0 before the first %, 1 categories, 2 terms */
    categories cats = {0};
    int rc = 0;

    m->name = opine__model_basename(m, m->errname);
    if (m->name == NULL)
        return OPINE_ENOMEM;
    m->version = 1;
    while (rc == 0 && i < len) {
        size_t end = i;
        while (end < len && t[end] != '\n')
            end++;
        line++;
        size_t a = i, b = end;
        size_t start = i;
        i = end + 1;
        while (a < b && is_blank(t[a]))
            a++;
        while (b > a && is_blank(t[b - 1]))
            b--;
        if (a == b || (section == 0 && t[a] == '#'))
            continue;
        size_t col = a - start + 1;
        if (b - a == 1 && t[a] == '%' && section < 2) {
            section++;
            continue;
        }
        if (section == 0)
            rc = opine__model_error(errmsg, m->errname, line, col,
                                    "expected '%%' to start the categories");
        else if (section == 1)
            rc = read_category(m, t + a, b - a, line, col, &cats, errmsg);
        else
            rc = read_entry(m, t + a, b - a, line, col, &cats, errmsg);
    }
    if (rc == 0 && section < 2)
        rc = opine__model_error(errmsg, m->errname, line ? line : 1, 1,
                                "expected '%%' to end the categories");
    free(cats.theme);
    opine__strmap_free(cats.by_number);
    return rc;
}
