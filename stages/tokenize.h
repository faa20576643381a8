/* stages/tokenize.h — UTF-8 text to word tokens and sentences.
 *
 * A pure function: text in, tokens out, no global state; safe to call from
 * many threads at once with different opine_tokens.
 *
 * RULES (deliberate; tests/test_tokenize.c checks each):
 *   - A token is a maximal run of letters (Unicode L*), combining marks (M*)
 *     and digits (N*), by utf8proc's character categories, joined as below;
 *     everything else (spaces, punctuation, symbols, invalid UTF-8 bytes)
 *     separates tokens and is not emitted.
 *   - Normalised form: NFC and Unicode full case folding (utf8proc), so
 *     "Korea", "KOREA" and "korea" are one type and "Straße" is "strasse".
 *     ASCII takes a fast path.
 *   - Apostrophes ' U+2019 U+02BC followed by a word character join it:
 *     "don't", "o'neill" (normalised to ASCII '). A possessive 's or a
 *     trailing apostrophe is dropped: "Korea's" -> "korea", "cities’" ->
 *     "cities"; the token's span then covers only "Korea" / "cities". After
 *     it he she that what where when who why how there here let the 's is a
 *     contraction and kept ("it's", "let's").
 *   - Hyphens - U+2010 U+2011 between two word characters join one token:
 *     "burden-sharing", "whole-of-alliance", "COVID-19" stay whole; the
 *     Unicode hyphens are normalised to ASCII '-'.
 *   - Abbreviations: at least two groups of one to three letters, each group
 *     followed by a period, are one token with the periods kept in the
 *     normalised form: "U.S." -> "u.s.", "e.g.", "Ph.D.", "U.S.A.". The
 *     longest such run is taken and ends at its last period: "U.S.-led" is
 *     "u.s." and "led", "U.S.Army" is "u.s." and "army"; "U.S.'s" drops the
 *     possessive like any word.
 *   - Numbers: ',' or '.' between two digits joins ("2,000", "3.5",
 *     "1,000,000"); "2019." is "2019" and a period. Kind NUMBER when the
 *     token has a digit and no letter ("3.5", "½"), WORD otherwise ("1990s",
 *     "G20", "u.s.").
 *   - Sentences: a break after '.', '!', '?' or '…' (optionally followed by
 *     more of them and closing quotes or brackets: ” " ’ ' ) ] and Unicode
 *     Pe/Pf) when whitespace and then an uppercase letter (Lu/Lt), digit or
 *     opening quote or bracket (“ " ' ( [ and Ps/Pi) follow. A '.' right
 *     after a single uppercase letter (an initial: "N. R. Kleinfield") or a
 *     title or short form (Mr Mrs Ms Mx Messrs Dr Sen Sens Rep Reps Gov Gen
 *     Lt Col Sgt Capt Prof Rev St Jr Sr Adm Maj Cmdr Pres Supt Mt Ft No vs
 *     v etc Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec; matched
 *     case-sensitively) never breaks. Nor does an abbreviation token, whose
 *     final period is part of it; so a sentence ending in "the U.S." runs
 *     on into the next (a known limitation), as does one ending in "I.".
 *     Always a break at a paragraph break: a newline, optional whitespace
 *     ('\r' included), another newline; or U+2029. A '.' glued between a
 *     token ending in a lowercase letter and an uppercase letter
 *     ("convene.Of") also breaks, and splits the two tokens.
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

#define OPINE_TOKENS_INIT                                                      \
    {                                                                          \
        0                                                                      \
    }

/* Tokenize text[0..len) (valid UTF-8; invalid sequences are treated as
 * separators) into *out, replacing what it held and reusing its memory.
 * Returns 0, OPINE_ENOMEM, or OPINE_ETOOBIG when len >= 4 GiB. */
int opine_tokenize(const char *text, size_t len, opine_tokens *out);

/* Free the memory *t holds and reset it to OPINE_TOKENS_INIT. */
void opine_tokens_release(opine_tokens *t);

#endif
