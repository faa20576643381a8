/* models/apply.c — score one text with a model outside the engine. */
#include "models/apply.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "stages/stem.h"
#include "stages/tokenize.h"

struct opine_applier {
    const opine_model *m;
    opine_stemmer *stemmer;
    opine_tokens toks;
    opine_score_token *st;
    size_t st_cap;
    uint32_t *pats; /* every token's patterns, back to back */
    size_t pats_cap;
    char *stems; /* every token's stem, NUL-terminated, back to back */
    size_t stems_cap;
};

int opine_applier_new(opine_applier **out, const opine_model *m)
{
    *out = NULL;
    opine_applier *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return OPINE_ENOMEM;
    a->m = m;
    const char *lang = opine_model_language(m);
    int rc = opine_stemmer_new(&a->stemmer, lang ? lang : "english");
    if (rc) {
        free(a);
        return rc;
    }
    *out = a;
    return 0;
}

int opine_applier_score(opine_applier *a, const char *text, size_t len,
                        opine_scores *out)
{
    int rc = opine_tokenize(text, len, &a->toks);
    if (rc)
        return rc;
    size_t n = a->toks.n, npats = 0, nstems = 0;
    if (opine__grow((void **)&a->st, &a->st_cap, n + 1,
                    sizeof(opine_score_token)))
        return OPINE_ENOMEM;
    if (opine__grow((void **)&a->pats, &a->pats_cap, 64, sizeof(uint32_t)))
        return OPINE_ENOMEM;
    /* Offsets first: the pools may move while they grow. */
    size_t *pat_off = malloc((n + 1) * sizeof(size_t) * 2);
    if (pat_off == NULL)
        return OPINE_ENOMEM;
    size_t *stem_off = pat_off + n + 1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const opine_token *t = &a->toks.v[i];
        const char *norm = a->toks.norm + t->norm;
        size_t slen;
        const char *stem =
            opine_stemmer_stem(a->stemmer, norm, t->norm_len, &slen);
        if (stem == NULL || opine__grow((void **)&a->stems, &a->stems_cap,
                                        nstems + slen + 1, 1)) {
            rc = OPINE_ENOMEM;
            break;
        }
        memcpy(a->stems + nstems, stem, slen);
        a->stems[nstems + slen] = '\0';
        stem_off[i] = nstems;
        pat_off[i] = npats;
        for (;;) {
            size_t room = a->pats_cap - npats;
            size_t k = opine_model_match_type(a->m, norm, t->norm_len,
                                              a->stems + nstems, slen,
                                              a->pats + npats, room);
            if (k <= room) {
                npats += k;
                break;
            }
            if (opine__grow((void **)&a->pats, &a->pats_cap, npats + k,
                            sizeof(uint32_t))) {
                rc = OPINE_ENOMEM;
                break;
            }
        }
        nstems += slen + 1;
        a->st[i] = (opine_score_token){.start = t->start,
                                       .len = t->len,
                                       .sentence = t->sentence,
                                       .quote = t->quote};
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t end = i + 1 < n ? pat_off[i + 1] : npats;
        a->st[i].pats = a->pats + pat_off[i];
        a->st[i].npats = (uint32_t)(end - pat_off[i]);
        a->st[i].stem = a->stems + stem_off[i];
    }
    free(pat_off);
    if (rc)
        return rc;
    return opine_score_doc(a->m, a->st, n, out);
}

const opine_score_token *opine_applier_tokens(const opine_applier *a, size_t *n)
{
    *n = a->toks.n;
    return a->st;
}

void opine_applier_free(opine_applier *a)
{
    if (a == NULL)
        return;
    opine_stemmer_free(a->stemmer);
    opine_tokens_release(&a->toks);
    free(a->st);
    free(a->pats);
    free(a->stems);
    free(a);
}
