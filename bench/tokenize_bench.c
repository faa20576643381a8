/* bench/tokenize_bench.c — tokenizer speed on one core: the default
 * tokenizer and the strict UAX #29 one over the same corpus texts.
 *
 *     build/tokenize_bench ../shared/corpora/abp/articles.jsonl.gz
 *
 * Reads every document with opine's own reader into memory first (so only
 * tokenizing is timed), then tokenizes all texts with each tokenizer and
 * prints MB/s, tokens/s and the ratio default/strict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus/reader.h"
#include "base/error.h"
#include "stages/segment.h"
#include "stages/tokenize.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS...\n", argv[0]);
        return 2;
    }
    opine_reader *r;
    opine_reader_opts ro = {0};
    if (opine_reader_open(&r, (const char *const *)argv + 1, (size_t)argc - 1,
                          &ro) != 0)
        return 2;
    size_t n = 0, cap = 0, bytes = 0;
    opine_doc *docs = NULL;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            docs = realloc(docs, cap * sizeof(*docs));
            if (docs == NULL)
                return 2;
        }
        memset(&docs[n], 0, sizeof(docs[n]));
        int got = opine_reader_next(r, &docs[n]);
        if (got == 0)
            break;
        if (got > 0)
            bytes += docs[n++].text_len;
    }
    opine_reader_free(r);

    opine_tokens toks = OPINE_TOKENS_INIT;
    size_t ntok = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
        opine_tokenize(docs[i].text, docs[i].text_len, &toks);
        ntok += toks.n;
    }
    double fast = now() - t0;

    opine_segmenter *w, *s;
    if (opine_segmenter_new(&w, OPINE_SEGMENT_WORD) ||
        opine_segmenter_new(&s, OPINE_SEGMENT_SENTENCE))
        return 2;
    size_t nstrict = 0;
    t0 = now();
    for (size_t i = 0; i < n; i++) {
        opine_tokenize_uax29(w, s, docs[i].text, docs[i].text_len, &toks);
        nstrict += toks.n;
    }
    double strict = now() - t0;

    printf("documents        %zu\n", n);
    printf("text             %.1f MB\n", bytes / 1e6);
    printf("default          %.2f s  %.1f MB/s  %.2f M tokens/s  (%zu "
           "tokens)\n",
           fast, bytes / 1e6 / fast, ntok / 1e6 / fast, ntok);
    printf("strict (uax29)   %.2f s  %.1f MB/s  %.2f M tokens/s  (%zu "
           "tokens)\n",
           strict, bytes / 1e6 / strict, nstrict / 1e6 / strict, nstrict);
    printf("default/strict   %.1fx faster\n", strict / fast);
    opine_tokens_release(&toks);
    opine_segmenter_free(w);
    opine_segmenter_free(s);
    for (size_t i = 0; i < n; i++)
        opine_doc_release(&docs[i]);
    free(docs);
    return 0;
}
