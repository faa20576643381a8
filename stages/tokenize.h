/* stages/tokenize.h — UTF-8 text to word tokens and sentences.
 *
 * A pure function: text in, tokens out, no global state; safe to call from
 * many threads at once with different opine_tokens.
 *
 * RULES (deliberate; tests/test_tokenize.c checks each):
 *   - A token is a maximal run of letters (Unicode L*), combining marks (M*)
 *     and digits (N*), by utf8proc's character categories, joined as below;
 *     everything else (spaces, punctuation, symbols, invalid UTF-8 bytes)
 *     separates tokens and is not emitted, except inside the URLs, e-mail
 *     addresses, handles, hashtags and percentages below.
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
 *     Unicode hyphens are normalised to ASCII '-'. A compound is ONE term
 *     and is not also counted by its parts ("burden" and "sharing" get
 *     nothing from "burden-sharing"), so the terms of a text stay a
 *     partition of its tokens: summed tf equals the token count, and a
 *     model that wants the parts names them as patterns.
 *   - Abbreviations: at least two groups of one to three letters, each group
 *     followed by a period, are one token with the periods kept in the
 *     normalised form: "U.S." -> "u.s.", "e.g.", "Ph.D.", "U.S.A.". The
 *     longest such run is taken and ends at its last period: "U.S.-led" is
 *     "u.s." and "led", "U.S.Army" is "u.s." and "army"; "U.S.'s" drops the
 *     possessive like any word.
 *   - Numbers: ',' or '.' between two digits joins ("2,000", "3.5",
 *     "1,000,000"); "2019." is "2019" and a period. Kind NUMBER when the
 *     token has a digit and no letter ("3.5", "½"), WORD otherwise ("1990s",
 *     "G20", "u.s.", and "2.5bn": a magnitude suffix stays on its number
 *     rather than needing a list of suffixes). A '%' right after a number
 *     is part of it: "5.4%" is NUMBER "5.4%", a different term from "5.4";
 *     "50 %" is "50" and a dropped '%'. Currency signs are symbols: "$1.2
 *     billion" is "1.2" and "billion". "#1" is no hashtag: NUMBER "1".
 *   - URLs: "http://", "https://" or "www." (any case) at a token start,
 *     then the longest run of ASCII graphic characters other than
 *     " < > ` { } | \ ^ and of non-ASCII letters, marks and digits (so a
 *     curly quote or a dash ends it). Trailing . , ; : ! ? ' * are dropped,
 *     and a trailing ) or ] with no partner inside the URL, so "(see
 *     https://a.org/x)." gives "https://a.org/x". The host must start with
 *     a letter or digit; after "www." it must have a dot. Kind URL,
 *     normalised as written with the scheme and host (up to the first
 *     / ? #) ASCII-lowercased: paths and queries are case-sensitive.
 *   - E-mail addresses: local@domain at a token start, the local part of
 *     ASCII letters, digits and . _ % + - (not ending in '.'), the domain
 *     two or more labels of letters, digits and '-' joined by '.', the last
 *     of two or more letters. Kind EMAIL, ASCII-lowercased whole.
 *   - Handles: '@' and 1 to 30 of [A-Za-z0-9_], not followed by another
 *     word character, where '@' does not continue a token or a name (so
 *     not in "a@b"): kind HANDLE, "@name" lowercased. Hashtags: '#' and a
 *     run of letters, marks, digits and '_' with at least one letter, under
 *     the same condition and not after '&' ("&#x27;"): kind HASHTAG, "#tag"
 *     folded like a word. A possessive 's after either is dropped.
 *     Otherwise '@' and '#' are separators as before.
 *   - Sentences: a break after '.', '!', '?' or '…' (optionally followed by
 *     more of them and closing quotes or brackets: ” " ’ ' ) ] and Unicode
 *     Pe/Pf) when whitespace and then an uppercase letter (Lu/Lt), digit or
 *     opening quote or bracket (“ " ' ( [ and Ps/Pi), a URL, an e-mail
 *     address, a handle or a hashtag follow. Periods inside a URL or an
 *     address are part of the token and never break. A '.' right
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

/* Stored in doc_tokens.stream (pipeline/tokstream.h): never renumber. */
typedef enum opine_token_kind {
    OPINE_TOKEN_WORD = 1,
    OPINE_TOKEN_NUMBER = 2,
    OPINE_TOKEN_URL = 3,
    OPINE_TOKEN_EMAIL = 4,
    OPINE_TOKEN_HANDLE = 5,  /* @name */
    OPINE_TOKEN_HASHTAG = 6, /* #tag */
} opine_token_kind;

typedef struct opine_token {
    uint32_t start;    /* byte offset of the token in the text */
    uint32_t len;      /* byte length of its span in the text */
    uint32_t norm;     /* offset of its normalised form in tokens->norm */
    uint32_t norm_len; /* byte length of the normalised form */
    uint32_t sentence; /* 0-based index of its sentence */
    uint8_t kind;      /* opine_token_kind */
    uint8_t quote;     /* 1: a double quotation mark stands between the
                        * previous token (or the text's start) and this one
                        * (opine__tokens_mark_quotes) */
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

/* Set each token's quote: whether text[end of the previous token .. its
 * start) holds a double quotation mark: " U+00AB U+00BB U+201C U+201D
 * U+201E U+201F U+300C-U+300F U+FF02 (single ones are left out: U+2019
 * is also the apostrophe). opine_tokenize() and opine_tokenize_uax29()
 * call it; a stance model may read quoting as a sign of reporting. */
void opine__tokens_mark_quotes(const char *text, size_t len,
                               opine_tokens *toks);

/* Internal, shared with stages/segment.c so both tokenizers grow
 * opine_tokens alike: make room for `more` bytes of normalised forms, or
 * for one more token. Return 0 or OPINE_ENOMEM. */
int opine__tokens_reserve_norm(opine_tokens *o, size_t more);
int opine__tokens_reserve_token(opine_tokens *o);

/* Free the memory *t holds and reset it to OPINE_TOKENS_INIT. */
void opine_tokens_release(opine_tokens *t);

#endif
