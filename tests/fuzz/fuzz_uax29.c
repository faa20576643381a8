/* tests/fuzz/fuzz_uax29.c — opine_tokenize_uax29() (strict UAX #29, ICU)
 * on any bytes, with and without sentence boundaries: the tokens keep
 * tokenize.h's promises (tokens_check.h), the same tokens come out with
 * every one in sentence 0 when no sentence segmenter is given, and the
 * segmenters give the same answer again after other text. */
#include "fuzz.h"
#include "tokens_check.h"

#include "stages/segment.h"

static opine_segmenter *words, *sentences;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    opine_tokens a = OPINE_TOKENS_INIT, b = OPINE_TOKENS_INIT;

    if (!words) {
        FUZZ_CHECK(opine_segmenter_new(&words, OPINE_SEGMENT_WORD) == 0);
        FUZZ_CHECK(opine_segmenter_new(&sentences, OPINE_SEGMENT_SENTENCE) ==
                   0);
    }
    FUZZ_CHECK(opine_tokenize_uax29(words, sentences, text, size, &a) == 0);
    fuzz_check_tokens(&a, size);
    FUZZ_CHECK(opine_tokenize_uax29(words, NULL, text, size, &b) == 0);
    fuzz_check_tokens(&b, size);
    FUZZ_CHECK(a.n == b.n && b.nsentences == (b.n > 0));
    for (size_t i = 0; i < a.n; i++) {
        FUZZ_CHECK(b.v[i].sentence == 0);
        b.v[i].sentence = a.v[i].sentence;
    }
    b.nsentences = a.nsentences;
    fuzz_check_same_tokens(&a, &b);
    /* Again after other text, into reused memory. */
    FUZZ_CHECK(opine_tokenize_uax29(words, sentences, "Dr. Kim met Mr. Lee.",
                                    20, &b) == 0);
    FUZZ_CHECK(opine_tokenize_uax29(words, sentences, text, size, &b) == 0);
    fuzz_check_same_tokens(&a, &b);
    opine_tokens_release(&a);
    opine_tokens_release(&b);
    return 0;
}
