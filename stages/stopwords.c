/* stages/stopwords.c — load stop-word lists into a set of normalised forms.
 *
 * A set is an opine__strmap from normalised form to 1, filled once and then
 * only read, which is what makes concurrent lookups safe. Built-in lists are
 * the byte arrays CMake generates from stages/stopwords/<language>.txt
 * (stages/stopwords_builtin.h); files are read whole and parsed the same way,
 * so a built-in list and a user's copy of it give the same set.
 */
#include "stages/stopwords.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/error.h"
#include "base/strmap.h"
#include "stages/stopwords_builtin.h"
#include "stages/tokenize.h"

struct opine_stopwords {
    opine__strmap *set; /* NULL for "none" */
    char *name;
};

/* Every Snowball algorithm, its ISO 639-1 code (as libstemmer accepts it)
 * and the built-in list it uses: NULL when no allowed source had a list we
 * may ship (see stages/stopwords/SOURCES.md). */
static const struct language {
    const char *name, *iso, *list;
} languages[] = {
    {"arabic", "ar", "arabic"},
    {"armenian", "hy", "armenian"},
    {"basque", "eu", "basque"},
    {"catalan", "ca", "catalan"},
    {"danish", "da", "danish"},
    {"dutch", "nl", "dutch"},
    {"english", "en", "english"},
    {"finnish", "fi", "finnish"},
    {"french", "fr", "french"},
    {"german", "de", "german"},
    {"greek", "el", "greek"},
    {"hindi", "hi", "hindi"},
    {"hungarian", "hu", "hungarian"},
    {"indonesian", "id", "indonesian"},
    {"irish", "ga", "irish"},
    {"italian", "it", "italian"},
    {"lithuanian", "lt", "lithuanian"},
    {"nepali", "ne", "nepali"},
    {"norwegian", "no", "norwegian"},
    {"porter", NULL, "english"}, /* Porter's original English stemmer */
    {"portuguese", "pt", "portuguese"},
    {"romanian", "ro", "romanian"},
    {"russian", "ru", "russian"},
    {"serbian", "sr", "serbian"},
    {"spanish", "es", "spanish"},
    {"swedish", "sv", "swedish"},
    {"tamil", "ta", "tamil"},
    {"turkish", "tr", "turkish"},
    {"yiddish", "yi", "yiddish"},
};

/* The names above whose list is not NULL, in the same order. */
static const char *const with_list[] = {
    "arabic",     "armenian",   "basque",    "catalan",    "danish",
    "dutch",      "english",    "finnish",   "french",     "german",
    "greek",      "hindi",      "hungarian", "indonesian", "irish",
    "italian",    "lithuanian", "nepali",    "norwegian",  "porter",
    "portuguese", "romanian",   "russian",   "serbian",    "spanish",
    "swedish",    "tamil",      "turkish",   "yiddish",    NULL,
};

const char *const *opine_stopwords_languages(void)
{
    return with_list;
}

/* Replace *errmsg (when not NULL) with a formatted message; returns rc. */
static int fail(char **errmsg, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char **errmsg, int rc, const char *fmt, ...)
{
    if (errmsg == NULL)
        return rc;
    free(*errmsg);
    *errmsg = NULL;
    va_list ap;
    va_start(ap, fmt);
    *errmsg = opine__vformat(fmt, ap);
    va_end(ap);
    return rc;
}

static const char *count_word(size_t n)
{
    static const char *const words[] = {"no",    "one",  "two", "three",
                                        "four",  "five", "six", "seven",
                                        "eight", "nine"};
    return n < sizeof(words) / sizeof(words[0]) ? words[n] : "many";
}

/* Length of the valid UTF-8 prefix of s[0..len). */
static size_t utf8_valid_prefix(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n < 0)
            return i;
        i += (size_t)n;
    }
    return len;
}

/* Add the words of text[0..len) to s->set; errname names the text in
 * messages. */
static int parse(opine_stopwords *s, const char *text, size_t len,
                 const char *errname, char **errmsg)
{
    opine_tokens toks = OPINE_TOKENS_INIT;
    int rc = 0;
    size_t lineno = 0;
    const char *p = text, *end = text + len;

    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        lineno++;
        while (eol > p &&
               (eol[-1] == '\r' || eol[-1] == ' ' || eol[-1] == '\t'))
            eol--;
        const char *b = p;
        while (b < eol && (*b == ' ' || *b == '\t'))
            b++;
        p = next;
        size_t n = (size_t)(eol - b);
        if (n == 0 || *b == '#')
            continue;
        if (utf8_valid_prefix(b, n) != n) {
            rc = fail(errmsg, OPINE_EUTF8, "%s:%zu: invalid UTF-8", errname,
                      lineno);
            break;
        }
        rc = opine_tokenize(b, n, &toks);
        if (rc != 0)
            break;
        if (toks.n != 1) {
            rc = fail(errmsg, OPINE_EFORMAT,
                      toks.n == 0 ? "%s:%zu: '%.*s' has no word in it"
                                  : "%s:%zu: '%.*s' is %s tokens; stop words "
                                    "are single words",
                      errname, lineno, (int)n, b, count_word(toks.n));
            break;
        }
        const opine_token *t = &toks.v[0];
        rc = opine__strmap_put(s->set, toks.norm + t->norm, t->norm_len, 1);
    }
    opine_tokens_release(&toks);
    if (rc == OPINE_ENOMEM)
        fail(errmsg, rc, "%s: out of memory", errname);
    return rc;
}

/* Read all of path into a malloc'd buffer. */
static int read_all(const char *path, char **out, size_t *len, char **errmsg)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        return fail(errmsg, e == ENOENT ? OPINE_ENOENT : OPINE_EIO,
                    "cannot open '%s': %s", path, strerror(e));
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (cap - n < 4096) {
            size_t ncap = cap ? cap * 2 : 16384;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = fail(errmsg, OPINE_ENOMEM, "%s: out of memory", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = fail(errmsg, OPINE_EIO, "cannot read '%s': %s", path,
                          strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return 0;
}

static const struct language *find_language(const char *name)
{
    for (size_t i = 0; i < sizeof(languages) / sizeof(languages[0]); i++)
        if (strcmp(languages[i].name, name) == 0 ||
            (languages[i].iso && strcmp(languages[i].iso, name) == 0))
            return &languages[i];
    return NULL;
}

static const opine__stoplist *find_builtin(const char *list)
{
    for (const opine__stoplist *l = opine__stoplists; l->name; l++)
        if (strcmp(l->name, list) == 0)
            return l;
    return NULL;
}

static int new_set(opine_stopwords **out, const char *name, int empty)
{
    opine_stopwords *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return OPINE_ENOMEM;
    s->name = strdup(name);
    if (s->name == NULL || (!empty && opine__strmap_new(&s->set) != 0)) {
        opine_stopwords_free(s);
        return OPINE_ENOMEM;
    }
    *out = s;
    return 0;
}

int opine_stopwords_load(opine_stopwords **out, const char *spec,
                         const char *lang, char **errmsg)
{
    opine_stopwords *s = NULL;
    int rc;

    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    if (spec && strcmp(spec, "none") == 0) {
        rc = new_set(out, "none", 1);
        return rc ? fail(errmsg, rc, "out of memory") : 0;
    }
    int by_default = spec == NULL || strcmp(spec, "default") == 0;
    if (by_default)
        spec = lang ? lang : "english";

    const struct language *l = find_language(spec);
    if (l && l->list == NULL)
        return fail(errmsg, OPINE_ELANG,
                    "no built-in stop-word list for '%s': none of the "
                    "sources we may ship from has one (see "
                    "stages/stopwords/SOURCES.md); use --stopwords FILE or "
                    "--stopwords none",
                    l->name);
    if (l) {
        const opine__stoplist *b = find_builtin(l->list);
        if (b == NULL) /* a build without stages/stopwords/<list>.txt */
            return fail(errmsg, OPINE_ELANG,
                        "stop-word list '%s' was not built in", l->list);
        if ((rc = new_set(&s, l->list, 0)) != 0)
            return fail(errmsg, rc, "out of memory");
        char errname[64];
        snprintf(errname, sizeof(errname), "stages/stopwords/%s.txt", l->list);
        rc = parse(s, b->text, b->len, errname, errmsg);
    } else if (by_default) {
        return fail(errmsg, OPINE_ELANG,
                    "unknown language '%s'; see 'opine stem --list-languages'",
                    spec);
    } else {
        char *text = NULL;
        size_t len = 0;
        if ((rc = read_all(spec, &text, &len, errmsg)) != 0) {
            if (rc == OPINE_ENOENT && strchr(spec, '/') == NULL)
                fail(errmsg, rc,
                     "'%s' is neither a language with a stop-word list nor "
                     "a file; see stages/stopwords/SOURCES.md",
                     spec);
            return rc;
        }
        rc = new_set(&s, spec, 0);
        if (rc == 0)
            rc = parse(s, text, len, spec, errmsg);
        else
            fail(errmsg, rc, "out of memory");
        free(text);
    }
    if (rc != 0) {
        opine_stopwords_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int opine_stopwords_has(const opine_stopwords *s, const char *norm, size_t len)
{
    if (s == NULL || s->set == NULL)
        return 0;
    return opine__strmap_get(s->set, norm, len) != 0;
}

const char *opine_stopwords_name(const opine_stopwords *s)
{
    return s->name;
}

size_t opine_stopwords_count(const opine_stopwords *s)
{
    return s->set ? opine__strmap_count(s->set) : 0;
}

void opine_stopwords_free(opine_stopwords *s)
{
    if (s == NULL)
        return;
    opine__strmap_free(s->set);
    free(s->name);
    free(s);
}
