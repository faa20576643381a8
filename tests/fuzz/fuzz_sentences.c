/* tests/fuzz/fuzz_sentences.c — the sentence splitter (opine_segment()
 * with an ICU sentence iterator, UAX #29) and the word segmenter under it
 * on any bytes: boundaries ascend strictly from 0 to the text's length,
 * every one of them falls on a UTF-8 sequence boundary of valid text, and
 * segmenting again after other text gives the same boundaries. */
#include "fuzz.h"

#include "stages/segment.h"

static opine_segmenter *words, *sentences;

static void check_bounds(const opine_segments *s, const char *text, size_t len,
                         int valid)
{
    FUZZ_CHECK(s->n >= 1 && s->bounds[0] == 0 && s->bounds[s->n - 1] == len);
    FUZZ_CHECK(s->status[s->n - 1] == OPINE_SEGMENT_NONE);
    for (size_t i = 1; i < s->n; i++) {
        FUZZ_CHECK(s->bounds[i] > s->bounds[i - 1]);
        FUZZ_CHECK(s->status[i - 1] <= OPINE_SEGMENT_IDEO);
        /* In valid UTF-8 no boundary cuts a character. */
        if (valid && s->bounds[i] < len)
            FUZZ_CHECK(((unsigned char)text[s->bounds[i]] & 0xc0) != 0x80);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    opine_segments w = OPINE_SEGMENTS_INIT, s = OPINE_SEGMENTS_INIT;

    if (!words) {
        FUZZ_CHECK(opine_segmenter_new(&words, OPINE_SEGMENT_WORD) == 0);
        FUZZ_CHECK(opine_segmenter_new(&sentences, OPINE_SEGMENT_SENTENCE) ==
                   0);
    }
    int valid = fuzz_utf8_valid(text, size);
    FUZZ_CHECK(opine_segment(sentences, text, size, &s) == 0);
    check_bounds(&s, text, size, valid);
    for (size_t i = 0; i < s.n; i++)
        FUZZ_CHECK(s.status[i] == OPINE_SEGMENT_NONE);
    FUZZ_CHECK(opine_segment(words, text, size, &w) == 0);
    check_bounds(&w, text, size, valid);
    /* The iterators keep state between calls: none may leak into the
     * next text. (A sentence boundary need not be a word boundary: in
     * "awww.\u02bc b" UAX #29 ends a sentence after the period, while
     * "awww.\u02bc" is one word, the modifier letter apostrophe being a
     * letter.) */
    opine_segments again = OPINE_SEGMENTS_INIT;
    FUZZ_CHECK(
        opine_segment(sentences, "Dr. Kim met Mr. Lee. Then", 25, &again) == 0);
    FUZZ_CHECK(opine_segment(sentences, text, size, &again) == 0);
    FUZZ_CHECK(again.n == s.n);
    for (size_t i = 0; i < s.n; i++)
        FUZZ_CHECK(again.bounds[i] == s.bounds[i]);
    opine_segments_release(&again);
    opine_segments_release(&w);
    opine_segments_release(&s);
    return 0;
}
