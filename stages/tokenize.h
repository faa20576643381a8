/* stages/tokenize.h — UTF-8 text to word tokens and sentences.
 *
 * A pure function: text in, tokens out, no global state; safe to call from
 * many threads at once with different opine_tokens.
 *
 * RULES (deliberate; tests/test_tokenize.c checks each):
 *   - A token is a maximal run of letters (Unicode L*), combining marks (M*)
 *     and digits (N*), by utf8proc's character categories; everything else
 *     (spaces, punctuation, symbols) separates tokens and is not emitted.
 *   - Normalised form: NFC and Unicode case folding (utf8proc), so "Korea",
 *     "KOREA" and "korea" are one type. ASCII takes a fast path.
 *   - Apostrophes ' U+2019 U+02BC inside a word join it: "don't", "o'neill"
 *     (normalised to ASCII '). A possessive 's or trailing apostrophe is
 *     dropped: "Korea's" -> "korea", "cities’" -> "cities"; the token's span
 *     then covers only "Korea" / "cities".
 *   - Hyphens - U+2010 U+2011 between two word characters join one token:
 *     "burden-sharing", "whole-of-alliance", "COVID-19" stay whole.
 *   - Abbreviations: single letters each followed by a period, at least two
 *     of them ("U.S.", "U.N.", "e.g.") are one token with periods kept in the
 *     normalised form ("u.s."); so are letter groups of at most 3 letters
 *     separated by periods and ending in one ("Ph.D.").
 *   - Numbers: digits with internal ',' or '.' followed by a digit stay one
 *     token ("2,000", "3.5"); kind NUMBER when the token has no letter,
 *     WORD otherwise ("1990s", "G20").
 *   - Sentences: a break after '.', '!', '?' or '…' (optionally followed by
 *     closing quotes or brackets) when whitespace and then an uppercase
 *     letter, digit or opening quote follow; never after an abbreviation
 *     token, a single-letter initial ("N. R. Kleinfield") or a title such as
 *     "Mr.", "Dr.", "Sen.", "Gen."; always at a paragraph break (a line that
 *     is empty or only whitespace). A period glued between a lowercase word
 *     and an uppercase letter ("convene.Of") also breaks.
 */
#ifndef OPINE_STAGES_TOKENIZE_H
#define OPINE_STAGES_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

typedef enum opine_token_kind {
    OPINE_TOKEN_WORD = 1,
    OPINE_TOKEN_NUMBER = 2,
} opine_token_kind;

typedef struct opine_token {
    uint32_t start;    /* byte offset of the token in the text */
    uint32_t len;      /* byte length of its span in the text */
    uint32_t norm;     /* offset of its normalised form in tokens->norm */
    uint32_t norm_len; /* byte length of the normalised form */
    uint32_t sentence; /* 0-based index of its sentence */
    uint8_t kind;      /* opine_token_kind */
} opine_token;

/* Result of opine_tokenize(). norm holds the normalised forms, each
 * NUL-terminated, so norm + tok.norm is a C string. nsentences counts
 * sentences that contain at least one token (sentence indexes are dense:
 * 0 .. nsentences-1). */
typedef struct opine_tokens {
    opine_token *v;
    size_t n, cap;
    char *norm;
    size_t norm_len, norm_cap;
    size_t nsentences;
} opine_tokens;

#define OPINE_TOKENS_INIT {0}

/* Tokenize text[0..len) (valid UTF-8; invalid sequences are treated as
 * separators) into *out, replacing what it held and reusing its memory.
 * Returns 0, OPINE_ENOMEM, or OPINE_ETOOBIG when len >= 4 GiB. */
int opine_tokenize(const char *text, size_t len, opine_tokens *out);

/* Free the memory *t holds and reset it to OPINE_TOKENS_INIT. */
void opine_tokens_release(opine_tokens *t);

#endif
