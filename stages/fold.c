/* stages/fold.c — strip combining marks from normalised token forms. */
#include "stages/fold.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "base/error.h"

int opine_tokens_fold_diacritics(opine_tokens *t)
{
    /* Folding never lengthens a form (marks go, base letters stay), so a
     * new buffer the size of the old one holds the result. */
    char *norm = malloc(t->norm_len + 1);
    if (norm == NULL)
        return OPINE_ENOMEM;
    size_t len = 0;
    for (size_t i = 0; i < t->n; i++) {
        opine_token *k = &t->v[i];
        const char *s = t->norm + k->norm;
        int ascii = 1;
        for (uint32_t b = 0; b < k->norm_len && ascii; b++)
            ascii = (unsigned char)s[b] < 0x80;
        utf8proc_uint8_t *out = NULL;
        size_t n = k->norm_len;
        if (!ascii) {
            utf8proc_ssize_t r = utf8proc_map(
                (const utf8proc_uint8_t *)s, k->norm_len, &out,
                UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_STRIPMARK);
            if (r <= 0 || (size_t)r > k->norm_len) {
                free(out); /* keep the form as it was (or all marks) */
                out = NULL;
            } else {
                n = (size_t)r;
            }
        }
        memcpy(norm + len, out ? (const char *)out : s, n);
        free(out);
        k->norm = (uint32_t)len;
        k->norm_len = (uint32_t)n;
        norm[len + n] = '\0';
        len += n + 1;
    }
    free(t->norm);
    t->norm = norm;
    t->norm_cap = t->norm_len + 1;
    t->norm_len = len;
    return 0;
}
