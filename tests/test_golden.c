/* tests/test_golden.c — the default tokenizer on the founding op-ed, against
 * a golden file of numbers only.
 *
 * FORMAT of tests/data/seed-tokens.golden: one line per token,
 *     start end sentence kind
 * in decimal: byte offsets of the token's span in the op-ed, its 0-based
 * sentence index and its opine_token_kind. Only numbers, so none of the
 * op-ed's text enters the repository; the text itself is read from
 * $OPINE_SHARED/seed/us-rok-alliance-oped.txt (set by ctest). Without it the
 * test is skipped (exit 77).
 *
 *     test_golden                  compare; print the first differing line
 *     test_golden --write FILE     write the golden file after a deliberate
 *                                  rule change (then review it: see git log)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "stages/tokenize.h"

#define SEED "seed/us-rok-alliance-oped.txt"
#define GOLDEN "seed-tokens.golden"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL)
        return NULL;
    do {
        if (cap - n < 4096) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void format_token(const opine_token *k, char *line, size_t size)
{
    snprintf(line, size, "%u %u %u %u", k->start, k->start + k->len,
             k->sentence, k->kind);
}

int main(int argc, char **argv)
{
    const char *shared = getenv("OPINE_SHARED");
    const char *data = getenv("OPINE_TESTDATA");
    char path[4096], line[128], want[128];
    opine_tokens t = OPINE_TOKENS_INIT;
    size_t len, i, lineno = 0;
    char *text;
    FILE *g;
    int rc, bad = 0;

    if (shared == NULL)
        shared = "../shared";
    snprintf(path, sizeof path, "%s/%s", shared, SEED);
    text = read_file(path, &len);
    if (text == NULL) {
        printf("golden: cannot read '%s': skipped\n", path);
        return 77;
    }
    rc = opine_tokenize(text, len, &t);
    if (rc != 0) {
        fprintf(stderr, "golden: tokenize: %s\n", opine_strerror(rc));
        free(text);
        return 1;
    }

    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        g = fopen(argv[2], "w");
        if (g == NULL) {
            fprintf(stderr, "golden: cannot write '%s'\n", argv[2]);
            bad = 1;
        } else {
            for (i = 0; i < t.n; i++) {
                format_token(&t.v[i], line, sizeof line);
                fprintf(g, "%s\n", line);
            }
            bad = fclose(g) != 0;
            printf("golden: wrote %zu tokens, %zu sentences to '%s'\n", t.n,
                   t.nsentences, argv[2]);
        }
        goto out;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--write FILE]\n", argv[0]);
        bad = 1;
        goto out;
    }

    snprintf(path, sizeof path, "%s/%s", data ? data : "tests/data", GOLDEN);
    g = fopen(path, "r");
    if (g == NULL) {
        fprintf(stderr, "golden: cannot open '%s'\n", path);
        bad = 1;
        goto out;
    }
    for (i = 0;; i++) {
        int have = fgets(want, sizeof want, g) != NULL;
        if (have) {
            lineno++;
            want[strcspn(want, "\n")] = '\0';
        }
        if (!have && i == t.n)
            break;
        if (i < t.n)
            format_token(&t.v[i], line, sizeof line);
        if (!have || i >= t.n || strcmp(want, line) != 0) {
            fprintf(stderr,
                    "golden: token %zu (line %zu of '%s'): expected '%s', "
                    "got '%s'\n",
                    i, lineno, path, have ? want : "(end)",
                    i < t.n ? line : "(end)");
            if (i < t.n)
                fprintf(stderr, "golden: the token is '%.*s'\n",
                        (int)t.v[i].len, text + t.v[i].start);
            bad = 1;
            break;
        }
    }
    fclose(g);
    if (!bad)
        printf("golden: %zu tokens, %zu sentences as expected\n", t.n,
               t.nsentences);
out:
    opine_tokens_release(&t);
    free(text);
    return bad;
}
