/* models/model.c — loading a model or dictionary: format detection, the
 * model's owned strings, themes and raw terms, and the accessors.
 *
 * FORMAT DETECTION: the first line that is neither blank nor a '#' comment
 * decides. A line that is exactly "%" starts a LIWC dictionary (dict.c);
 * anything else is YAML (model_yaml.c), which tells an opine model from a
 * quanteda dictionary by its top-level keys.
 *
 * The hash is XXH3-128 of the file's bytes, as 32 lowercase hex digits
 * (big-endian, XXH128_canonicalFromHash), so a model's results can be tied
 * to the exact text that produced them.
 */
#include "models/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/utf8.h"

int opine__model_error(char **errmsg, const char *file, size_t line, size_t col,
                       const char *fmt, ...)
{
    char what[1024];
    va_list ap;

    if (errmsg == NULL)
        return OPINE_EFORMAT;
    free(*errmsg);
    *errmsg = NULL;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    size_t n = strlen(file) + strlen(what) + 64;
    char *msg = malloc(n);
    if (msg == NULL)
        return OPINE_EFORMAT;
    if (line > 0)
        snprintf(msg, n, "%s:%zu:%zu: %s", file, line, col, what);
    else
        snprintf(msg, n, "%s: %s", file, what);
    *errmsg = msg;
    return OPINE_EFORMAT;
}

char *opine__model_strndup(opine_model *m, const char *s, size_t n)
{
    if (opine__grow((void **)&m->owned, &m->owned_cap, m->nowned + 1,
                    sizeof(char *)))
        return NULL;
    char *c = malloc(n + 1);
    if (c == NULL)
        return NULL;
    memcpy(c, s, n);
    c[n] = '\0';
    m->owned[m->nowned++] = c;
    return c;
}

int opine__model_add_theme(opine_model *m, const char *id, const char *label,
                           const char *positive, const char *negative,
                           uint32_t *index)
{
    if (opine__grow((void **)&m->themes, &m->themes_cap, m->nthemes + 1,
                    sizeof(opine_theme_info)))
        return OPINE_ENOMEM;
    /* Ids are looked up by a map: a dictionary may have 100,000
     * categories, and a scan per category would be quadratic. */
    if ((m->theme_ids == NULL && opine__strmap_new(&m->theme_ids) != 0) ||
        opine__strmap_put(m->theme_ids, id, strlen(id),
                          (int64_t)m->nthemes + 1) != 0)
        return OPINE_ENOMEM;
    opine_theme_info *t = &m->themes[m->nthemes];
    t->id = id;
    t->label = label ? label : id;
    t->positive = positive;
    t->negative = negative;
    *index = (uint32_t)m->nthemes++;
    return 0;
}

long opine__model_find_theme(const opine_model *m, const char *id)
{
    if (m->theme_ids)
        return (long)opine__strmap_get(m->theme_ids, id, strlen(id)) - 1;
    for (size_t i = 0; i < m->nthemes; i++)
        if (strcmp(m->themes[i].id, id) == 0)
            return (long)i;
    return -1;
}

static const char *role_name(opine_role role)
{
    switch (role) {
    case OPINE_ROLE_TARGET:
        return "targets";
    case OPINE_ROLE_POSITIVE:
        return "positive";
    case OPINE_ROLE_NEGATIVE:
        return "negative";
    case OPINE_ROLE_NEGATOR:
        break;
    }
    return "negators";
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* text[0..*len) without the white space around it (*len updated). */
static const char *trim(const char *text, size_t *len)
{
    while (*len > 0 && is_space(*text)) {
        text++;
        --*len;
    }
    while (*len > 0 && is_space(text[*len - 1]))
        --*len;
    return text;
}

/* The key of (theme, role, text) in m->seen (malloc'd, len + 5 bytes). */
static char *seen_key(uint32_t theme, opine_role role, const char *text,
                      size_t len)
{
    char *key = malloc(len + 5);
    if (key) {
        memcpy(key, &theme, 4);
        key[4] = (char)role;
        memcpy(key + 5, text, len);
    }
    return key;
}

int opine__model_add_term(opine_model *m, uint32_t theme, opine_role role,
                          const char *text, size_t len, double weight,
                          size_t line, size_t col, char **errmsg)
{
    text = trim(text, &len);
    const char *where = theme == UINT32_MAX ? "" : m->themes[theme].id;
    if (len == 0 || (len == 1 && text[0] == '*'))
        return opine__model_error(errmsg, m->errname, line, col,
                                  "%s%s%s: expected a term, not an empty one",
                                  theme == UINT32_MAX ? "" : "theme '", where,
                                  theme == UINT32_MAX ? "negators" : "'");

    /* Duplicates are found by (theme, role, text) in a map: dictionaries
     * with thousands of terms per category would make a scan quadratic. */
    if (m->seen == NULL && opine__strmap_new(&m->seen) != 0)
        return OPINE_ENOMEM;
    char *key = seen_key(theme, role, text, len);
    if (key == NULL)
        return OPINE_ENOMEM;
    int64_t prev = opine__strmap_get(m->seen, key, len + 5);
    if (prev > 0) {
        free(key);
        const opine__rawterm *p = &m->raw[prev - 1];
        if (p->weight == weight)
            return 0;
        if (theme == UINT32_MAX)
            return opine__model_error(
                errmsg, m->errname, line, col,
                "negator '%.*s' is listed twice with different weights",
                (int)len, text);
        return opine__model_error(errmsg, m->errname, line, col,
                                  "theme '%s': %s term '%.*s' is listed "
                                  "twice with different weights (%g, %g)",
                                  where, role_name(role), (int)len, text,
                                  p->weight, weight);
    }
    if (opine__grow((void **)&m->raw, &m->raw_cap, m->nraw + 1,
                    sizeof(opine__rawterm))) {
        free(key);
        return OPINE_ENOMEM;
    }
    const char *copy = opine__model_strndup(m, text, len);
    int rc =
        copy ? opine__strmap_put(m->seen, key, len + 5, (int64_t)m->nraw + 1)
             : OPINE_ENOMEM;
    free(key);
    if (rc != 0)
        return rc;
    m->raw[m->nraw++] =
        (opine__rawterm){copy, theme, (uint8_t)role, weight, line, col, 0};
    return 0;
}

long opine__model_find_term(const opine_model *m, uint32_t theme,
                            opine_role role, const char *text, size_t len)
{
    text = trim(text, &len);
    if (m->seen == NULL)
        return -1;
    char *key = seen_key(theme, role, text, len);
    if (key == NULL)
        return -2;
    int64_t at = opine__strmap_get(m->seen, key, len + 5);
    free(key);
    return at > 0 ? (long)(at - 1) : -1;
}

const char *opine__model_basename(opine_model *m, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return opine__model_strndup(m, base, n);
}

/* Is the first line that is neither blank nor a comment exactly "%"? */
static int looks_like_liwc(const char *text, size_t len)
{
    size_t i = opine__model_bom(text, len);
    while (i < len) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        size_t a = i, b = end;
        while (a < b && is_space(text[a]))
            a++;
        while (b > a && is_space(text[b - 1]))
            b--;
        if (a < b && text[a] != '#')
            return b - a == 1 && text[a] == '%';
        i = end + 1;
    }
    return 0;
}

size_t opine__model_bom(const char *text, size_t len)
{
    return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* Model files are UTF-8 text: a NUL byte or invalid UTF-8 is refused
 * where it is, before any parser sees it, with what to do about the
 * usual causes (a dictionary saved as Latin-1 or as UTF-16). */
static int check_text(opine_model *m, char **errmsg)
{
    const unsigned char *t = (const unsigned char *)m->text;
    size_t len = m->text_len;
    size_t bad = opine__utf8_check(t, len);
    const char *nul = memchr(m->text, 0, bad);
    if (nul)
        bad = (size_t)(nul - m->text);
    if (bad == len)
        return 0;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < bad; i++) {
        if (t[i] == '\n') {
            line++;
            col = 1;
        } else if ((t[i] & 0xC0) != 0x80) {
            col++; /* characters, not bytes */
        }
    }
    if (len >= 2 &&
        ((t[0] == 0xFF && t[1] == 0xFE) || (t[0] == 0xFE && t[1] == 0xFF)))
        return opine__model_error(errmsg, m->errname, 0, 0,
                                  "the file is UTF-16; model files must be "
                                  "UTF-8 (convert it: iconv -f UTF-16 -t "
                                  "UTF-8 FILE > NEW)");
    if (nul)
        return opine__model_error(errmsg, m->errname, line, col,
                                  "NUL byte: model files are text");
    return opine__model_error(errmsg, m->errname, line, col,
                              "invalid UTF-8 (byte 0x%02X); model files must "
                              "be UTF-8. If this one is Latin-1 (Windows "
                              "dictionaries often are), convert it: iconv -f "
                              "LATIN1 -t UTF-8 FILE > NEW",
                              t[bad]);
}

static void set_hash(opine_model *m)
{
    XXH128_canonical_t c;
    static const char hex[] = "0123456789abcdef";

    XXH128_canonicalFromHash(&c, XXH3_128bits(m->text, m->text_len));
    for (size_t i = 0; i < sizeof(c.digest); i++) {
        m->hash[2 * i] = hex[c.digest[i] >> 4];
        m->hash[2 * i + 1] = hex[c.digest[i] & 15];
    }
    m->hash[32] = '\0';
}

int opine_model_load_buffer(opine_model **out, const char *text, size_t len,
                            const char *name_for_errors, char **errmsg)
{
    int rc;

    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    opine_model *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return OPINE_ENOMEM;
    m->language = "english";
    m->window = 0;
    m->negation_scope = 3;
    m->prior = 1.0;
    m->interval = 0.9;
    m->text = malloc(len + 1);
    /* A file name is bytes: made valid text for messages and for a
     * dictionary's name, which is stored. */
    char *errname =
        opine__utf8_escape(name_for_errors ? name_for_errors : "model",
                           OPINE_UTF8_ESCAPE_CONTROLS);
    m->errname =
        errname ? opine__model_strndup(m, errname, strlen(errname)) : NULL;
    free(errname);
    if (m->text == NULL || m->errname == NULL) {
        opine_model_free(m);
        return OPINE_ENOMEM;
    }
    memcpy(m->text, text, len);
    m->text[len] = '\0';
    m->text_len = len;
    set_hash(m);

    rc = check_text(m, errmsg);
    if (rc == 0)
        rc = looks_like_liwc(m->text, len) ? opine__model_read_liwc(m, errmsg)
                                           : opine__model_read_yaml(m, errmsg);
    if (rc != 0) {
        opine_model_free(m);
        return rc;
    }
    /* The duplicate maps are only needed while reading. */
    opine__strmap_free(m->seen);
    m->seen = NULL;
    opine__strmap_free(m->theme_ids);
    m->theme_ids = NULL;
    *out = m;
    return 0;
}

int opine_model_load(opine_model **out, const char *path, char **errmsg)
{
    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        goto io_error;

    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 65536;
            char *b = realloc(buf, cap);
            if (b == NULL) {
                free(buf);
                fclose(f);
                return OPINE_ENOMEM;
            }
            buf = b;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    int saved = errno;
    fclose(f);
    if (bad) {
        free(buf);
        errno = saved;
        goto io_error;
    }
    int rc = opine_model_load_buffer(out, buf ? buf : "", len, path, errmsg);
    free(buf);
    return rc;

io_error:
    if (errmsg) {
        const char *why = strerror(errno);
        size_t n = strlen(path) + strlen(why) + 32;
        *errmsg = malloc(n);
        if (*errmsg)
            snprintf(*errmsg, n, "cannot read '%s': %s", path, why);
    }
    return OPINE_EIO;
}

opine__linear *opine__model_linear_theme(opine_model *m, uint32_t ti)
{
    if (ti >= m->nlin) {
        opine__linear *l = realloc(m->lin, (ti + 1) * sizeof(*l));
        if (l == NULL)
            return NULL;
        memset(l + m->nlin, 0, (ti + 1 - m->nlin) * sizeof(*l));
        m->lin = l;
        m->nlin = ti + 1;
    }
    opine__linear *l = &m->lin[ti];
    if (!l->set) {
        if (opine__strmap_new(&l->index) != 0)
            return NULL;
        l->set = 1;
        l->pub.neutral = 1;
        l->pub.evidence = 0.5;
    }
    return l;
}

int opine__linear_add(opine__linear *l, const char *name, size_t len,
                      const double w[4])
{
    if (opine__strmap_get(l->index, name, len) > 0)
        return OPINE_EFORMAT;
    size_t n = l->pub.nfeatures;
    if (n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        double *nw = realloc(l->w, cap * 4 * sizeof(double));
        if (nw == NULL)
            return OPINE_ENOMEM;
        l->w = nw;
        const char **nn = realloc(l->names, cap * sizeof(char *));
        if (nn == NULL)
            return OPINE_ENOMEM;
        l->names = nn;
        l->cap = cap;
    }
    const char *stored;
    if (opine__strmap_intern(l->index, name, len, (int64_t)n + 1, &stored))
        return OPINE_ENOMEM;
    memcpy(l->w + 4 * n, w, 4 * sizeof(double));
    l->names[n] = stored;
    l->pub.nfeatures = n + 1;
    l->pub.w = l->w;
    l->pub.names = l->names;
    return 0;
}

int opine_model_is_linear(const opine_model *m)
{
    return m->linear;
}

int opine_model_reads_quotes(const opine_model *m)
{
    for (size_t i = 0; m->linear && i < m->nlin; i++)
        if (m->lin[i].set && (m->lin[i].pub.quotes || m->lin[i].pub.speaker))
            return 1;
    return 0;
}

void opine_model_forget_training(opine_model *m)
{
    m->linear = 0;
}

const opine_linear_theme *opine_model_linear(const opine_model *m, size_t i)
{
    return m->linear && i < m->nlin && m->lin[i].set ? &m->lin[i].pub : NULL;
}

long opine_model_feature(const opine_model *m, size_t i, const char *name,
                         size_t len)
{
    if (i >= m->nlin || !m->lin[i].set)
        return -1;
    return (long)opine__strmap_get(m->lin[i].index, name, len) - 1;
}

void opine_model_free(opine_model *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nlin; i++) {
        opine__strmap_free(m->lin[i].index);
        free(m->lin[i].w);
        free(m->lin[i].names);
    }
    free(m->lin);
    opine__model_release_compiled(m);
    opine__strmap_free(m->seen);
    opine__strmap_free(m->theme_ids);
    for (size_t i = 0; i < m->nowned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m->themes);
    free(m->raw);
    free(m->text);
    free(m);
}

const char *opine_model_name(const opine_model *m)
{
    return m->name;
}

int opine_model_version(const opine_model *m)
{
    return m->version;
}

const char *opine_model_language(const opine_model *m)
{
    return m->language;
}

const char *opine_model_text(const opine_model *m)
{
    return m->text;
}

const char *opine_model_hash(const opine_model *m)
{
    return m->hash;
}

int opine_model_window(const opine_model *m)
{
    return m->window;
}

int opine_model_negation_scope(const opine_model *m)
{
    return m->negation_scope;
}

double opine_model_prior(const opine_model *m)
{
    return m->prior;
}

double opine_model_interval(const opine_model *m)
{
    return m->interval;
}

size_t opine_model_nthemes(const opine_model *m)
{
    return m->nthemes;
}

const opine_theme_info *opine_model_theme(const opine_model *m, size_t i)
{
    return i < m->nthemes ? &m->themes[i] : NULL;
}
