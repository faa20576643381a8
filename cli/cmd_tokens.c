/* cli/cmd_tokens.c — opine tokens: show how opine cuts a text into
 * tokens, segments and sentences (to see why a model term did or did not
 * match). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/error.h"
#include "stages/fold.h"
#include "stages/segment.h"
#include "stages/stem.h"
#include "stages/tokenize.h"

static const char tokens_usage[] =
    "usage: opine tokens [--tokenizer default|uax29] [--lang L] < TEXT\n"
    "       opine tokens --segments < TEXT\n"
    "       opine tokens --sentences [--tokenizer default|uax29] < TEXT\n"
    "\n"
    "Read UTF-8 text on standard input and print, tab-separated, one token\n"
    "per line: byte start, byte end, sentence, kind, normalised form, stem.\n"
    "\n"
    "options:\n"
    "  --tokenizer T   default (opine's rules, see stages/tokenize.h) or\n"
    "                  uax29 (strict Unicode word boundaries)\n"
    "  --lang L        Snowball language for the stem column (english)\n"
    "  --fold-diacritics  strip accents from the normalised forms\n"
    "  --segments      every UAX #29 word segment, spaces and punctuation\n"
    "                  included: start, end, status, text\n"
    "  --sentences     sentence spans: sentence, start, end, text\n";

static const char *kind_name(int kind)
{
    static const char *names[] = {"?",     "word",   "number", "url",
                                  "email", "handle", "hashtag"};
    return kind >= 0 && kind <= OPINE_TOKEN_HASHTAG ? names[kind] : "?";
}

static const char *status_name(int status)
{
    static const char *names[] = {"none", "number", "letter", "kana", "ideo"};
    return status >= 0 && status <= 4 ? names[status] : "?";
}

/* Print text[a..b) with tabs and line ends shown as spaces. */
static void print_span(const char *text, uint32_t a, uint32_t b)
{
    for (uint32_t i = a; i < b; i++) {
        char c = text[i];
        putchar(c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
    }
}

static int print_segments(const char *text, size_t len)
{
    opine_segmenter *w;
    opine_segments seg = OPINE_SEGMENTS_INIT;
    int rc = opine_segmenter_new(&w, OPINE_SEGMENT_WORD);
    if (rc == 0)
        rc = opine_segment(w, text, len, &seg);
    for (size_t i = 0; rc == 0 && i + 1 < seg.n; i++) {
        printf("%u\t%u\t%s\t", seg.bounds[i], seg.bounds[i + 1],
               status_name(seg.status[i]));
        print_span(text, seg.bounds[i], seg.bounds[i + 1]);
        putchar('\n');
    }
    opine_segments_release(&seg);
    opine_segmenter_free(w);
    return rc;
}

int cmd_tokens(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tokenizer", required_argument, NULL, 't'},
        {"lang", required_argument, NULL, 'l'},
        {"segments", no_argument, NULL, 'g'},
        {"sentences", no_argument, NULL, 's'},
        {"fold-diacritics", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    const char *tokenizer = "default", *lang = "english";
    int segments = 0, sentences = 0, fold = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            tokenizer = optarg;
            break;
        case 'l':
            lang = optarg;
            break;
        case 'g':
            segments = 1;
            break;
        case 's':
            sentences = 1;
            break;
        case 'f':
            fold = 1;
            break;
        case 'h':
            fputs(tokens_usage, stdout);
            return CLI_OK;
        default:
            fputs("see 'opine tokens --help'\n", stderr);
            return CLI_FATAL;
        }
    }
    int strict = strcmp(tokenizer, "uax29") == 0;
    if (!strict && strcmp(tokenizer, "default") != 0) {
        cli_error("unknown --tokenizer '%s' (default or uax29)", tokenizer);
        return CLI_FATAL;
    }
    if (optind < argc) {
        cli_error("opine tokens reads standard input; unexpected '%s'",
                  argv[optind]);
        return CLI_FATAL;
    }
    opine_stemmer *stemmer;
    if (opine_stemmer_new(&stemmer, lang) != 0) {
        cli_error("unknown language '%s'; see 'opine stem --list-languages'",
                  lang);
        return CLI_FATAL;
    }
    size_t len;
    char *text = cli_read_all(stdin, &len);
    if (text == NULL) {
        opine_stemmer_free(stemmer);
        cli_error("out of memory reading standard input");
        return CLI_FATAL;
    }
    int rc = 0;
    opine_tokens toks = OPINE_TOKENS_INIT;
    opine_segmenter *w = NULL, *s = NULL;
    if (segments) {
        rc = print_segments(text, len);
        goto out;
    }
    if (strict) {
        rc = opine_segmenter_new(&w, OPINE_SEGMENT_WORD);
        if (rc == 0)
            rc = opine_segmenter_new(&s, OPINE_SEGMENT_SENTENCE);
        if (rc == 0)
            rc = opine_tokenize_uax29(w, s, text, len, &toks);
    } else {
        rc = opine_tokenize(text, len, &toks);
    }
    if (rc == 0 && fold)
        rc = opine_tokens_fold_diacritics(&toks);
    if (rc)
        goto out;
    if (sentences) {
        /* A sentence runs from its first token to its last. */
        for (size_t i = 0; i < toks.n;) {
            size_t k = i;
            while (k + 1 < toks.n &&
                   toks.v[k + 1].sentence == toks.v[i].sentence)
                k++;
            uint32_t a = toks.v[i].start, b = toks.v[k].start + toks.v[k].len;
            printf("%u\t%u\t%u\t", toks.v[i].sentence, a, b);
            print_span(text, a, b);
            putchar('\n');
            i = k + 1;
        }
        goto out;
    }
    for (size_t i = 0; i < toks.n; i++) {
        const opine_token *t = &toks.v[i];
        size_t slen = t->norm_len;
        const char *norm = toks.norm + t->norm;
        /* As in the pipeline: only words and numbers are stemmed. */
        const char *stem =
            t->kind <= OPINE_TOKEN_NUMBER
                ? opine_stemmer_stem(stemmer, norm, t->norm_len, &slen)
                : norm;
        printf("%u\t%u\t%u\t%s\t%s\t%.*s\n", t->start, t->start + t->len,
               t->sentence, kind_name(t->kind), norm, (int)slen,
               stem ? stem : "");
    }
out:
    if (rc)
        cli_error("tokens: %s", opine_strerror(rc));
    opine_tokens_release(&toks);
    opine_segmenter_free(w);
    opine_segmenter_free(s);
    opine_stemmer_free(stemmer);
    free(text);
    return rc ? CLI_FATAL : CLI_OK;
}
