/* tests/fuzz/tokens_check.c — see tokens_check.h. */
#include "tokens_check.h"
#include "fuzz.h"

#include <string.h>

#include "pipeline/tokstream.h"

static void check_roundtrip(const opine_tokens *t)
{
    uint32_t *types = malloc((t->n ? t->n : 1) * sizeof(*types));
    FUZZ_CHECK(types != NULL);
    for (size_t i = 0; i < t->n; i++)
        types[i] = (uint32_t)i * 7919u;
    unsigned char *blob;
    size_t blob_len;
    FUZZ_CHECK(opine_tokstream_encode(t, types, &blob, &blob_len) == 0);
    opine_stream_token *v;
    size_t n;
    FUZZ_CHECK(opine_tokstream_decode(blob, blob_len, &v, &n) == 0);
    FUZZ_CHECK(n == t->n);
    /* Sentence numbers in a stream count changes, so they equal the
     * tokenizer's exactly when those are dense (checked before). */
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(v[i].type == types[i] && v[i].start == t->v[i].start &&
                   v[i].len == t->v[i].len &&
                   v[i].sentence == t->v[i].sentence &&
                   v[i].kind == t->v[i].kind && v[i].quote == t->v[i].quote);
    free(v);
    free(blob);
    free(types);
}

void fuzz_check_tokens(const opine_tokens *t, size_t len)
{
    uint64_t end = 0;
    for (size_t i = 0; i < t->n; i++) {
        const opine_token *k = &t->v[i];
        FUZZ_CHECK(k->len > 0 && k->start >= end);
        end = (uint64_t)k->start + k->len;
        FUZZ_CHECK(end <= len);
        FUZZ_CHECK(k->kind >= OPINE_TOKEN_WORD &&
                   k->kind <= OPINE_TOKEN_HASHTAG);
        FUZZ_CHECK(k->norm_len > 0 &&
                   (uint64_t)k->norm + k->norm_len < t->norm_len + 1);
        FUZZ_CHECK(t->norm[k->norm + k->norm_len] == '\0');
        FUZZ_CHECK(strlen(t->norm + k->norm) == k->norm_len);
        FUZZ_CHECK(fuzz_utf8_valid(t->norm + k->norm, k->norm_len));
        if (i == 0)
            FUZZ_CHECK(k->sentence == 0);
        else
            FUZZ_CHECK(k->sentence == t->v[i - 1].sentence ||
                       k->sentence == t->v[i - 1].sentence + 1);
    }
    FUZZ_CHECK(t->nsentences == (t->n ? t->v[t->n - 1].sentence + 1u : 0));
    check_roundtrip(t);
}

void fuzz_check_same_tokens(const opine_tokens *a, const opine_tokens *b)
{
    FUZZ_CHECK(a->n == b->n && a->nsentences == b->nsentences);
    for (size_t i = 0; i < a->n; i++) {
        const opine_token *x = &a->v[i], *y = &b->v[i];
        FUZZ_CHECK(x->start == y->start && x->len == y->len &&
                   x->sentence == y->sentence && x->kind == y->kind &&
                   x->quote == y->quote && x->norm_len == y->norm_len &&
                   memcmp(a->norm + x->norm, b->norm + y->norm, x->norm_len) ==
                       0);
    }
}
