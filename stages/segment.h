/* stages/segment.h — strict Unicode (UAX #29) word and sentence segmentation.
 *
 * The strict counterpart of stages/tokenize.h: instead of the project's own
 * rules it segments text exactly as Unicode Standard Annex #29 (Unicode 15.0)
 * specifies, by driving ICU's rule-based break iterators with the root
 * locale. No Unicode tables live in this code; they are ICU's. Where
 * ICU's root rules (CLDR's) tailor UAX #29 (':' and '@') segment.c puts
 * the Unicode boundaries back. One difference is kept on purpose: runs of
 * Han, kana, Thai, Lao, Khmer and Myanmar are split by ICU's dictionaries,
 * where plain UAX #29 breaks around every such character.
 *
 * RESULT FORMAT (opine_segments):
 *   bounds[0..n) are all boundaries of the text as UTF-8 byte offsets,
 *   strictly ascending, bounds[0] == 0 and bounds[n-1] == len; so for
 *   len > 0 there are n-1 segments, segment i being [bounds[i],
 *   bounds[i+1]). Empty text has n == 1 (the single boundary 0) and no
 *   segment. status[i] is segment i's opine_segment_status; word segmenters
 *   fill it from ICU's rule status, sentence segmenters leave it
 *   OPINE_SEGMENT_NONE; status[n-1] is always OPINE_SEGMENT_NONE. The
 *   status is ICU's, not Unicode's (UAX #29 has none), and comes from the
 *   last rule that extended the segment: "1990s" is a letter segment but
 *   "G20" a number one.
 *
 * Invalid UTF-8: ICU reads each ill-formed sequence as U+FFFD, which is its
 * own segment (Word_Break and Sentence_Break Other). Boundaries stay byte
 * offsets of the original text and never exceed len.
 *
 * THREADS: an opine_segmenter holds an ICU break iterator, which keeps
 * state between calls; use one per thread. Different segmenters may be used
 * concurrently.
 *
 *     opine_segmenter *w;
 *     opine_segments seg = OPINE_SEGMENTS_INIT;
 *     if (opine_segmenter_new(&w, OPINE_SEGMENT_WORD) == 0 &&
 *         opine_segment(w, text, len, &seg) == 0)
 *         ... seg.bounds[0 .. seg.n) ...
 *     opine_segments_release(&seg);
 *     opine_segmenter_free(w);
 */
#ifndef OPINE_STAGES_SEGMENT_H
#define OPINE_STAGES_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "stages/tokenize.h"

typedef enum opine_segment_kind {
    OPINE_SEGMENT_WORD = 1,
    OPINE_SEGMENT_SENTENCE = 2,
} opine_segment_kind;

/* Class of a word segment, from ICU's rule status ranges (UBRK_WORD_*). */
typedef enum opine_segment_status {
    OPINE_SEGMENT_NONE = 0,   /* spaces, punctuation, symbols, U+FFFD */
    OPINE_SEGMENT_NUMBER = 1, /* "2,000", "3.5" */
    OPINE_SEGMENT_LETTER = 2, /* "Korea’s", "1990s" */
    OPINE_SEGMENT_KANA = 3,   /* unused by ICU's root rules: see IDEO */
    OPINE_SEGMENT_IDEO = 4,   /* kanji, hiragana and katakana words */
} opine_segment_status;

typedef struct opine_segments {
    uint32_t *bounds; /* n byte offsets, ascending, 0 first, len last */
    uint8_t *status;  /* n opine_segment_status values */
    size_t n, cap;
} opine_segments;

#define OPINE_SEGMENTS_INIT                                                    \
    {                                                                          \
        0                                                                      \
    }

typedef struct opine_segmenter opine_segmenter;

/* Make a segmenter of the given kind in *out. Returns 0, OPINE_ENOMEM,
 * OPINE_EUSAGE for an unknown kind, or OPINE_EIO when ICU cannot open a
 * break iterator (missing or broken ICU data). */
int opine_segmenter_new(opine_segmenter **out, opine_segment_kind kind);

/* Free a segmenter; NULL is allowed. */
void opine_segmenter_free(opine_segmenter *s);

/* Segment text[0..len) (UTF-8; ill-formed bytes are read as U+FFFD) into
 * *out, replacing what it held and reusing its memory. Returns 0,
 * OPINE_ENOMEM, OPINE_ETOOBIG when len > INT32_MAX (ICU's offsets are
 * 32-bit), or OPINE_EIO on an ICU error. On failure out->n is 0. */
int opine_segment(opine_segmenter *s, const char *text, size_t len,
                  opine_segments *out);

/* Free the memory *seg holds and reset it to OPINE_SEGMENTS_INIT. */
void opine_segments_release(opine_segments *seg);

/* Tokenize like opine_tokenize(), into the same opine_tokens, but by
 * UAX #29: one token per word segment of `words` whose status is not
 * OPINE_SEGMENT_NONE, of kind OPINE_TOKEN_NUMBER for a number segment and
 * OPINE_TOKEN_WORD otherwise; its span is exactly the segment ("Korea’s"
 * keeps its possessive, "U.S." is "U.S" then a '.' that is no token). The
 * normalised form is NFC with full case folding (utf8proc), U+2019 and
 * U+02BC turned into ASCII '. Sentence indexes come from the boundaries of
 * `sentences` (a token belongs to the sentence its first byte is in) and
 * are dense over sentences that hold a token; `sentences` may be NULL, and
 * then every token is in sentence 0. Returns 0, OPINE_ENOMEM, OPINE_ETOOBIG
 * or OPINE_EIO; on failure out holds no tokens. */
int opine_tokenize_uax29(opine_segmenter *words, opine_segmenter *sentences,
                         const char *text, size_t len, opine_tokens *out);

#endif
