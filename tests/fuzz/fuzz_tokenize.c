/* tests/fuzz/fuzz_tokenize.c — opine_tokenize() (the project's rules) on
 * any bytes: the tokens keep tokenize.h's promises (tokens_check.h), and
 * tokenizing again into the same, reused opine_tokens gives the same
 * tokens. */
#include "fuzz.h"
#include "tokens_check.h"

#include "stages/tokenize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    opine_tokens a = OPINE_TOKENS_INIT, b = OPINE_TOKENS_INIT;
    const char *text = (const char *)data;

    FUZZ_CHECK(opine_tokenize(text, size, &a) == 0);
    fuzz_check_tokens(&a, size);
    /* Reuse: b first holds another text's tokens. */
    FUZZ_CHECK(opine_tokenize("Seoul. Washington, D.C.", 23, &b) == 0);
    FUZZ_CHECK(opine_tokenize(text, size, &b) == 0);
    fuzz_check_same_tokens(&a, &b);
    opine_tokens_release(&a);
    opine_tokens_release(&b);
    return 0;
}
