/* stages/stem.c — a thin owner of one libstemmer (Snowball) stemmer. */
#include "stages/stem.h"

#include <libstemmer.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

struct opine_stemmer {
    struct sb_stemmer *sb;
    char *lang;
};

int opine_stemmer_new(opine_stemmer **out, const char *lang)
{
    *out = NULL;
    if (lang == NULL || *lang == '\0')
        return OPINE_ELANG;
    opine_stemmer *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return OPINE_ENOMEM;
    s->lang = strdup(lang);
    /* sb_stemmer_new() answers NULL both for an unknown language and for
     * out of memory; the list tells the two apart. */
    s->sb = sb_stemmer_new(lang, "UTF_8");
    if (s->lang == NULL || s->sb == NULL) {
        int nomem = s->lang == NULL;
        for (const char **l = sb_stemmer_list(); *l; l++)
            nomem |= strcmp(*l, lang) == 0;
        opine_stemmer_free(s);
        return nomem ? OPINE_ENOMEM : OPINE_ELANG;
    }
    *out = s;
    return 0;
}

const char *opine_stemmer_stem(opine_stemmer *s, const char *word, size_t len,
                               size_t *stem_len)
{
    if (len > INT_MAX) { /* Snowball's lengths are ints: keep it whole */
        *stem_len = len;
        return word;
    }
    const sb_symbol *r =
        sb_stemmer_stem(s->sb, (const sb_symbol *)word, (int)len);
    if (r == NULL)
        return NULL;
    *stem_len = (size_t)sb_stemmer_length(s->sb);
    return (const char *)r;
}

const char *opine_stemmer_lang(const opine_stemmer *s)
{
    return s->lang;
}

void opine_stemmer_free(opine_stemmer *s)
{
    if (s == NULL)
        return;
    if (s->sb)
        sb_stemmer_delete(s->sb);
    free(s->lang);
    free(s);
}

const char **opine_stemmer_languages(void)
{
    return sb_stemmer_list();
}

const char *opine_stemmer_stem_type(opine_stemmer *s, const char *type,
                                    size_t len, size_t *stem_len)
{
    if (memchr(type, '@', len) || memchr(type, '#', len) ||
        (len > 4 && memcmp(type, "www.", 4) == 0) ||
        strstr(type, "://") != NULL) {
        *stem_len = len;
        return type;
    }
    return opine_stemmer_stem(s, type, len, stem_len);
}
