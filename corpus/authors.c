/* corpus/authors.c — splitting a scraped author string into people; the
 * rules are in corpus/authors.h. The work is on a copy of the string, cut
 * in place: segments at ';', '|' and ',', people within a segment at
 * " and " and " & ". Words are compared ASCII-case-insensitively. */
#include "corpus/authors.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/error.h"

/* Words that make a segment after people a job rather than a name. */
static const char *const role_words[] = {
    "reporter",     "reporters",  "correspondent", "correspondents",
    "writer",       "writers",    "editor",        "editors",
    "columnist",    "columnists", "contributor",   "contributors",
    "contributing", "staff",      "special",       "bureau",
    "chief",        "analyst",    "producer",      "photographer",
    "fellow",       "professor",  "director",      "senior",
    "host",         "anchor",     "opinion",       "researcher"};

/* Words that make it an organisation (an affiliation after people). */
static const char *const org_words[] = {
    "press",     "news",       "times",      "journal",    "media",
    "network",   "magazine",   "agency",     "reuters",    "ap",
    "afp",       "bloomberg",  "cnn",        "npr",        "bbc",
    "tribune",   "herald",     "gazette",    "examiner",   "chronicle",
    "telegraph", "institute",  "university", "foundation", "inc",
    "llc",       "associated", "newspaper",  "newsroom",   "wire",
    "review",    "post",       "monitor",    "daily",      "weekly",
    "radio",     "television", "tv",         "online",     "digest"};

/* Words no name has: what scrapers pick up around bylines. */
static const char *const junk_words[] = {
    "of",      "in",    "on",      "since",    "count",     "tags",
    "avatar",  "url",   "follow",  "updated",  "published", "comments",
    "share",   "email", "twitter", "facebook", "subscribe", "view",
    "profile", "posts", "more",    "read",     "click",     "getty",
    "images",  "photo", "photos"};

static const char *const suffixes[] = {"jr",   "jr.", "sr",  "sr.",   "ii",
                                       "iii",  "iv",  "phd", "ph.d.", "md",
                                       "m.d.", "esq", "esq."};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The lists are lowercase: a word whose first letter differs is passed
 * over without a strlen() and a strncasecmp() (every document's author
 * goes through these). */
static int in_list(const char *w, size_t n, const char *const *list,
                   size_t count)
{
    int first = tolower((unsigned char)w[0]);
    for (size_t i = 0; i < count; i++)
        if (list[i][0] == first && strlen(list[i]) == n &&
            strncasecmp(w, list[i], n) == 0)
            return 1;
    return 0;
}

/* Whether any blank-separated word of s is in the list. */
static int has_word(const char *s, const char *const *list, size_t count)
{
    while (*s) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        if (s > w && in_list(w, (size_t)(s - w), list, count))
            return 1;
    }
    return 0;
}

static int starts_with_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    return strncasecmp(s, w, n) == 0 && (s[n] == ' ' || s[n] == '\0');
}

/* Trim blanks, and quotes around the whole. */
static char *trim(char *s)
{
    for (;;) {
        while (*s == ' ')
            s++;
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == ' ')
            s[--n] = '\0';
        /* "..." and the curly “...” (E2 80 9C / E2 80 9D) */
        if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
            s[n - 1] = '\0';
            s++;
        } else if (n >= 6 && memcmp(s, "\xe2\x80\x9c", 3) == 0 &&
                   memcmp(s + n - 3, "\xe2\x80\x9d", 3) == 0) {
            s[n - 3] = '\0';
            s += 3;
        } else {
            return s;
        }
    }
}

/* Drop "By", "Written by" and the like in front. */
static char *drop_by(char *s)
{
    static const char *const lead[] = {"written by", "reporting by", "story by",
                                       "words by",   "text by",      "by"};
    for (size_t i = 0; i < COUNT(lead); i++) {
        size_t n = strlen(lead[i]);
        if (strncasecmp(s, lead[i], n) == 0 &&
            (s[n] == ' ' || s[n] == ':' || s[n] == '\0')) {
            s += n;
            if (*s == ':')
                s++;
            return trim(s);
        }
    }
    return s;
}

static int is_suffix(const char *s)
{
    return in_list(s, strlen(s), suffixes, COUNT(suffixes));
}

/* A job or an organisation, said after people. */
static int is_role(const char *s)
{
    return has_word(s, role_words, COUNT(role_words)) ||
           has_word(s, org_words, COUNT(org_words)) ||
           starts_with_word(s, "the") || starts_with_word(s, "for");
}

/* Whether s holds needle, ASCII case ignored. */
static int contains(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    int first = needle[0]; /* lowercase */
    for (; *s; s++)
        if (tolower((unsigned char)*s) == first &&
            strncasecmp(s, needle, n) == 0)
            return 1;
    return 0;
}

/* Whether s can be a person's (or an organisation's) name. */
static int is_name(const char *s)
{
    size_t n = strlen(s), words = 1;
    int letters = 0;
    if (n < 2 || n > 100)
        return 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isdigit(c) || c == '@' || c == '/' || c == ':' || c == '_' ||
            c == '=' || c == '<' || c == '>' || c == '#')
            return 0;
        letters += isalpha(c) || c >= 0x80;
        words += c == ' ';
    }
    if (!letters || words > 6 || contains(s, "www.") || contains(s, ".com") ||
        contains(s, "http"))
        return 0;
    return !has_word(s, junk_words, COUNT(junk_words));
}

typedef struct list {
    opine_author *a;
    size_t n, cap;
    size_t group; /* the people of the last segment: a[group..n) */
} list;

static int add(list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->a[i].name, name) == 0)
            return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        opine_author *a = realloc(l->a, cap * sizeof(*a));
        if (a == NULL)
            return OPINE_ENOMEM;
        l->a = a;
        l->cap = cap;
    }
    l->a[l->n].role = NULL;
    if ((l->a[l->n].name = strdup(name)) == NULL)
        return OPINE_ENOMEM;
    l->n++;
    return 0;
}

/* s appended to *p after ", " (*p may be NULL). */
static int append(char **p, const char *s)
{
    size_t have = *p ? strlen(*p) + 2 : 0, n = strlen(s);
    char *t = realloc(*p, have + n + 1);
    if (t == NULL)
        return OPINE_ENOMEM;
    if (have)
        memcpy(t + have - 2, ", ", 2);
    memcpy(t + have, s, n + 1);
    *p = t;
    return 0;
}

/* The people of one segment, split at " and " and " & ". */
static int add_people(list *l, char *seg)
{
    l->group = l->n;
    while (*seg) {
        char *cut = NULL, *next = NULL;
        for (char *p = seg; *p; p++) {
            if (*p == ' ' && strncasecmp(p, " and ", 5) == 0) {
                cut = p;
                next = p + 5;
                break;
            }
            if (*p == ' ' && strncmp(p, " & ", 3) == 0) {
                cut = p;
                next = p + 3;
                break;
            }
        }
        if (cut)
            *cut = '\0';
        char *name = drop_by(trim(seg));
        if (is_name(name)) {
            int rc = add(l, name);
            if (rc)
                return rc;
        }
        if (!cut)
            break;
        seg = next;
    }
    return 0;
}

int opine_authors_split(const char *raw, opine_author **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (raw == NULL)
        return 0;
    /* A copy with blanks collapsed and line breaks as separators. */
    size_t len = strlen(raw), k = 0;
    char *s = malloc(len + 1);
    if (s == NULL)
        return OPINE_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        char c = raw[i];
        if (c == '\n' || c == '\r')
            c = ';';
        else if (isspace((unsigned char)c))
            c = ' ';
        if (c == ' ' && (k == 0 || s[k - 1] == ' '))
            continue;
        s[k++] = c;
    }
    s[k] = '\0';
    list l = {0};
    int rc = 0, people_before = 0;
    char *seg = drop_by(trim(s));
    while (rc == 0 && seg) {
        char *end = strpbrk(seg, ";|,");
        char sep = end ? *end : '\0';
        if (end)
            *end = '\0';
        char *t = trim(seg);
        if (strncasecmp(t, "and ", 4) == 0 || strncmp(t, "& ", 2) == 0)
            t = trim(t + (t[0] == '&' ? 2 : 4)); /* an Oxford comma */
        t = drop_by(t);
        if (*t == '\0') {
            /* nothing */
        } else if (is_suffix(t)) {
            if (l.n > 0) {
                char **name = &l.a[l.n - 1].name;
                size_t nl = strlen(*name), tl = strlen(t);
                char *m = realloc(*name, nl + tl + 3);
                if (m == NULL) {
                    rc = OPINE_ENOMEM;
                } else {
                    memcpy(m + nl, ", ", 2);
                    memcpy(m + nl + 2, t, tl + 1);
                    *name = m;
                }
            }
        } else if (people_before && is_role(t)) {
            for (size_t i = l.group; rc == 0 && i < l.n; i++)
                rc = append(&l.a[i].role, t);
        } else {
            rc = add_people(&l, t);
            people_before = l.n > l.group;
        }
        seg = sep ? end + 1 : NULL;
    }
    free(s);
    if (rc) {
        opine_authors_free(l.a, l.n);
        return rc;
    }
    if (l.n == 0) {
        free(l.a);
        return 0;
    }
    *out = l.a;
    *n = l.n;
    return 0;
}

void opine_authors_free(opine_author *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        free(a[i].name);
        free(a[i].role);
    }
    free(a);
}
