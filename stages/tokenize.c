/* stages/tokenize.c — UTF-8 text to word tokens and sentences.
 *
 * The rules are in tokenize.h; this file only says how they are applied.
 *
 * HOW IT WORKS
 *
 * One left-to-right pass over the bytes. Every position is classified into a
 * small set of kinds (letter, digit, mark, space, apostrophe, period, ...):
 * ASCII bytes through a 256-entry table, anything else by decoding it with
 * utf8proc_iterate() and asking utf8proc_category(). A byte that does not
 * start a valid UTF-8 sequence is a one-byte separator, so bad input can
 * never make us read past the end or lose the tokens around it.
 *
 * A word character starts a token. scan_word() extends it over word
 * characters and over the joiners that the rules allow (apostrophe or hyphen
 * before a word character, ',' or '.' between digits). A token of at most
 * three letters followed by '.' may be the start of an abbreviation
 * ("U.S.", "Ph.D."); try_abbrev() then looks for the longest run of such
 * groups and, if there are at least two, the token becomes that run.
 *
 * URLs and e-mail addresses begin with a word ("https", "www", a local
 * part), so they are looked for only when the word scan stops at a byte
 * that may continue one (. : @ _ + - %) or found an abbreviation
 * ("www.un.org" starts like "U.N."); scan_special() then replaces the word
 * with the longer token. Plain words pay one table lookup for this. '@'
 * and '#' are byte kinds of their own, and where they may open a handle or
 * a hashtag the separator loop scans one as if it were a word.
 *
 * Between tokens a little state machine watches the separators for sentence
 * ends:
 *
 *     S_NONE --'.' '!' '?' '…'--> S_TERM --space/newline--> S_WS
 *     S_TERM --closing quote or bracket, more terminators--> S_TERM
 *     S_WS   --opening quote/bracket, uppercase letter, digit--> break
 *     anything else --> S_NONE
 *
 * A '.' right after an initial, a title ("Mr") or a short list of
 * abbreviations that have no period of their own in the token does not
 * leave S_NONE. An abbreviation token swallows its final '.', so it never
 * reaches the machine at all. A '.' glued between a lowercase letter and an
 * uppercase one breaks without the space. Two newlines with only whitespace
 * between them (or U+2029) always break.
 *
 * A "break" only closes the current sentence if it has a token, which keeps
 * sentence indexes dense without a second pass.
 *
 * Normalised forms: a token whose word characters are all ASCII is
 * lowercased byte by byte (its curly apostrophes and Unicode hyphens become
 * ASCII); any other token goes through utf8proc_decompose_custom() with case
 * folding and then utf8proc_reencode() to compose (NFC), in a scratch buffer
 * that lives for one call, so there is no allocation per token.
 */

#include "stages/tokenize.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "base/error.h"

/* Character kinds. The word kinds are contiguous so IS_WORD is one compare. */
enum {
    K_OTHER = 0,
    K_LOWER,  /* Ll */
    K_UPPER,  /* Lu, Lt */
    K_LETTER, /* Lm, Lo */
    K_MARK,   /* Mn, Mc, Me */
    K_DIGIT,  /* Nd */
    K_NUM,    /* Nl, No */
    K_SPACE,  /* ASCII blanks other than '\n', Zs */
    K_NL,     /* '\n', U+0085, U+2028 */
    K_PARA,   /* U+2029 */
    K_APOS,   /* ' U+2019 U+02BC */
    K_HYPHEN, /* - U+2010 U+2011 */
    K_PERIOD, /* . */
    K_COMMA,  /* , */
    K_TERM,   /* ! ? U+2026 */
    K_OPEN,   /* ( [ { Ps Pi */
    K_CLOSE,  /* ) ] } Pe Pf */
    K_QUOTE,  /* " (opens and closes) */
    K_AT,     /* @ (may start a handle) */
    K_HASH,   /* # (may start a hashtag) */
    K_MULTI,  /* first byte of a non-ASCII sequence: decode it */
};

#define IS_WORD(k) ((unsigned)(k)-K_LOWER <= (unsigned)(K_NUM - K_LOWER))
#define BIT(k) (1u << (k))
#define LETTER_BITS (BIT(K_LOWER) | BIT(K_UPPER) | BIT(K_LETTER))
#define NUMBER_BITS (BIT(K_DIGIT) | BIT(K_NUM))

#define OT K_OTHER
#define LO K_LOWER
#define UP K_UPPER
#define DI K_DIGIT
#define SP K_SPACE
#define NL K_NL
#define AP K_APOS
#define HY K_HYPHEN
#define PE K_PERIOD
#define CO K_COMMA
#define TE K_TERM
#define OP K_OPEN
#define CL K_CLOSE
#define QU K_QUOTE
#define AT K_AT
#define HS K_HASH
#define MB K_MULTI

static const unsigned char byte_kind[256] = {
    OT, OT, OT, OT, OT, OT, OT, OT, OT, SP, NL, SP, SP, SP, OT, OT, /* 00 */
    OT, OT, OT, OT, OT, OT, OT, OT, OT, OT, OT, OT, OT, OT, OT, OT, /* 10 */
    SP, TE, QU, HS, OT, OT, OT, AP, OP, CL, OT, OT, CO, HY, PE, OT, /* 20 */
    DI, DI, DI, DI, DI, DI, DI, DI, DI, DI, OT, OT, OT, OT, OT, TE, /* 30 */
    AT, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, /* 40 */
    UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, OP, OT, CL, OT, OT, /* 50 */
    OT, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, /* 60 */
    LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, OP, OT, CL, OT, OT, /* 70 */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, /* 80 */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, /* 90 */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, /* a0 */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, /* b0 */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, /* c0 */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, /* d0 */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, /* e0 */
    MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, MB, /* f0 */
};

#undef OT
#undef LO
#undef UP
#undef DI
#undef SP
#undef NL
#undef AP
#undef HY
#undef PE
#undef CO
#undef TE
#undef OP
#undef CL
#undef QU
#undef AT
#undef HS
#undef MB

/* BIT(kind) of each ASCII byte of a word kind (letters, digits), else 0. */
#define WB(c)                                                                  \
    ((c) >= 'a' && (c) <= 'z'   ? BIT(K_LOWER)                                 \
     : (c) >= 'A' && (c) <= 'Z' ? BIT(K_UPPER)                                 \
     : (c) >= '0' && (c) <= '9' ? BIT(K_DIGIT)                                 \
                                : 0u)
#define WB4(c) WB(c), WB((c) + 1), WB((c) + 2), WB((c) + 3)
#define WB16(c) WB4(c), WB4((c) + 4), WB4((c) + 8), WB4((c) + 12)
static const unsigned short word_bit[256] = {
    WB16(0x00), WB16(0x10), WB16(0x20), WB16(0x30),
    WB16(0x40), WB16(0x50), WB16(0x60), WB16(0x70),
};
#undef WB16
#undef WB4
#undef WB

#if defined(__SSE2__)
#include <emmintrin.h>

/* Which of the 16 bytes in x lie in [lo, hi] (ASCII), as a 16-bit mask.
 * The compares are signed: bytes from 0x80 up are negative and never in
 * an ASCII range. */
static inline unsigned in_range16(__m128i x, char lo, char hi)
{
    __m128i a = _mm_cmpgt_epi8(x, _mm_set1_epi8((char)(lo - 1)));
    __m128i b = _mm_cmplt_epi8(x, _mm_set1_epi8((char)(hi + 1)));
    return (unsigned)_mm_movemask_epi8(_mm_and_si128(a, b));
}

/* The run of ASCII letters and digits from t[q], 16 bytes at a time while
 * 16 remain: where it ends (or where fewer than 16 bytes remain, for the
 * byte loop to go on from), their kinds' bits added to *run. Words are
 * mostly shorter than 16 bytes, so one load usually finds the end. */
static inline size_t word_run16(const unsigned char *t, size_t len, size_t q,
                                unsigned *run)
{
    unsigned r = 0;
    while (len - q >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(t + q));
        unsigned lo = in_range16(x, 'a', 'z'), up = in_range16(x, 'A', 'Z'),
                 di = in_range16(x, '0', '9');
        /* the run's length in this block: ~ of a 16-bit mask has bit 16 */
        unsigned n = (unsigned)__builtin_ctz(~(lo | up | di));
        unsigned keep = (1u << n) - 1;
        r |= (lo & keep ? BIT(K_LOWER) : 0u) | (up & keep ? BIT(K_UPPER) : 0u) |
             (di & keep ? BIT(K_DIGIT) : 0u);
        q += n;
        if (n < 16)
            break;
    }
    *run |= r;
    return q;
}
#endif

/* Kind of the non-ASCII sequence at s (rem bytes left); returns its length.
 * Invalid UTF-8 is a one-byte K_OTHER. */
static size_t classify_multi(const unsigned char *s, size_t rem, int *kind)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n =
        utf8proc_iterate(s, rem < 4 ? (utf8proc_ssize_t)rem : 4, &cp);

    if (n <= 0) {
        *kind = K_OTHER;
        return 1;
    }
    switch (cp) {
    case 0x2019:
    case 0x02BC:
        *kind = K_APOS;
        return (size_t)n;
    case 0x2010:
    case 0x2011:
        *kind = K_HYPHEN;
        return (size_t)n;
    case 0x2026:
        *kind = K_TERM;
        return (size_t)n;
    case 0x0085:
    case 0x2028:
        *kind = K_NL;
        return (size_t)n;
    case 0x2029:
        *kind = K_PARA;
        return (size_t)n;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT:
        *kind = K_UPPER;
        break;
    case UTF8PROC_CATEGORY_LL:
        *kind = K_LOWER;
        break;
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        *kind = K_LETTER;
        break;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        *kind = K_MARK;
        break;
    case UTF8PROC_CATEGORY_ND:
        *kind = K_DIGIT;
        break;
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        *kind = K_NUM;
        break;
    case UTF8PROC_CATEGORY_ZS:
        *kind = K_SPACE;
        break;
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PI:
        *kind = K_OPEN;
        break;
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PF:
        *kind = K_CLOSE;
        break;
    default:
        *kind = K_OTHER;
        break;
    }
    return (size_t)n;
}

/* Kind of the character at t[p] (p < len); returns its byte length. */
static inline size_t classify(const unsigned char *t, size_t len, size_t p,
                              int *kind)
{
    int k = byte_kind[t[p]];

    if (k != K_MULTI) {
        *kind = k;
        return 1;
    }
    return classify_multi(t + p, len - p, kind);
}

static inline int word_at(const unsigned char *t, size_t len, size_t p)
{
    int k;

    if (p >= len)
        return 0;
    classify(t, len, p, &k);
    return IS_WORD(k);
}

/* Lowercase ASCII w[0..n) equals the lowercase string s. */
static int ascii_ieq(const unsigned char *w, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = w[i];
        if ((unsigned)(c - 'A') < 26u)
            c |= 0x20;
        if (s[i] == '\0' || (unsigned char)s[i] != c)
            return 0;
    }
    return s[n] == '\0';
}

/* Words after which 's is "is", "has" or "us", never a possessive. */
static int is_contraction(const unsigned char *w, size_t n)
{
    static const char *const words[] = {
        "it",  "he",  "she", "that",  "what", "where", "when",
        "who", "why", "how", "there", "here", "let",
    };
    size_t i;

    if (n > 5)
        return 0;
    for (i = 0; i < sizeof words / sizeof words[0]; i++)
        if (ascii_ieq(w, n, words[i]))
            return 1;
    return 0;
}

/* Titles and short forms that are followed by '.' without ending a sentence.
 * Matched exactly (case-sensitively) against the token's text. */
static int is_title(const unsigned char *w, size_t n)
{
    static const char *const titles[] = {
        "Mr",   "Mrs", "Ms",  "Mx",  "Messrs", "Dr",   "Sen",  "Sens", "Rep",
        "Reps", "Gov", "Gen", "Lt",  "Col",    "Sgt",  "Capt", "Prof", "Rev",
        "St",   "Jr",  "Sr",  "Adm", "Maj",    "Cmdr", "Pres", "Supt", "Mt",
        "Ft",   "No",  "vs",  "v",   "etc",    "Jan",  "Feb",  "Mar",  "Apr",
        "Jun",  "Jul", "Aug", "Sep", "Sept",   "Oct",  "Nov",  "Dec",
    };
    size_t i;

    if (n > 6)
        return 0;
    for (i = 0; i < sizeof titles / sizeof titles[0]; i++)
        if (titles[i][0] == (char)w[0] &&
            strncmp(titles[i], (const char *)w, n) == 0 && titles[i][n] == '\0')
            return 1;
    return 0;
}

/* A token that a following '.' does not end a sentence after: a single
 * uppercase letter (an initial) or a title. */
static int suppresses_period(const unsigned char *t, size_t len, size_t s,
                             size_t e)
{
    int k;
    size_t n = classify(t, len, s, &k);

    if (n == e - s && k == K_UPPER)
        return 1;
    return is_title(t + s, e - s);
}

/* The longest abbreviation starting at s: at least two groups of one to
 * three letters (marks may follow a letter), each followed by '.'. Returns
 * the offset just after its last '.', or 0 if there is none. */
static size_t try_abbrev(const unsigned char *t, size_t len, size_t s)
{
    size_t q = s, best = 0;
    int groups = 0;

    for (;;) {
        int letters = 0;
        while (q < len) {
            int k;
            size_t n = classify(t, len, q, &k);
            if (k == K_LOWER || k == K_UPPER || k == K_LETTER)
                letters++;
            else if (!(k == K_MARK && letters > 0))
                break;
            q += n;
        }
        if (letters == 0 || letters > 3 || q >= len || t[q] != '.')
            break;
        q++;
        if (++groups >= 2)
            best = q;
    }
    return best;
}

/* A token found by scan_word(): its span [s, e); end is where scanning
 * resumes (after a dropped possessive 's); seen has a BIT() for each kind of
 * word character in it; last is the kind of its final character; uni is set
 * when it has a non-ASCII word character and so needs utf8proc. */
struct word {
    size_t s, e, end;
    unsigned seen;
    int last;
    int uni;
    int abbrev;
    int kind;     /* 0: WORD or NUMBER by seen; else its opine_token_kind */
    size_t lower; /* URL, EMAIL: bytes from s folded to ASCII lowercase */
};

/* Scan the token starting at the word character t[p]. */
static void scan_word(const unsigned char *t, size_t len, size_t p,
                      struct word *w)
{
    size_t q = p;
    unsigned seen = 0;
    int last = K_OTHER, uni = 0;

    w->end = 0;
    for (;;) {
        int k, k2, join = 0;
        size_t n, q2;

        /* The common case: a run of ASCII letters and digits, their kinds
         * gathered as bits; the last byte's kind once the run ends. */
        size_t q0 = q;
        unsigned run = 0;
#if defined(__SSE2__)
        q = word_run16(t, len, q, &run);
#endif
        while (q < len && word_bit[t[q]]) {
            run |= word_bit[t[q]];
            q++;
        }
        if (q > q0) {
            seen |= run;
            last = byte_kind[t[q - 1]];
        }
        if (q >= len)
            break;
        n = classify(t, len, q, &k);
        if (IS_WORD(k)) {
            seen |= BIT(k);
            last = k;
            uni = 1;
            q += n;
            continue;
        }
        if (k != K_APOS && k != K_HYPHEN &&
            !((k == K_PERIOD || k == K_COMMA) && last == K_DIGIT))
            break;
        q2 = q + n;
        if (q2 >= len)
            break;
        classify(t, len, q2, &k2);
        if (k == K_PERIOD || k == K_COMMA)
            join = k2 == K_DIGIT;
        else
            join = IS_WORD(k2);
        if (join && k == K_APOS && (t[q2] | 0x20) == 's' &&
            !word_at(t, len, q2 + 1) && !is_contraction(t + p, q - p)) {
            w->end = q2 + 1; /* possessive: drop the 's */
            break;
        }
        if (!join)
            break;
        last = k;
        q = q2;
    }
    /* A percent sign right after a number is part of it: "5.4%". */
    if (w->end == 0 && q < len && t[q] == '%' &&
        (last == K_DIGIT || last == K_NUM) && !(seen & LETTER_BITS))
        q++;
    w->s = p;
    w->e = q;
    if (w->end == 0)
        w->end = q;
    w->seen = seen;
    w->last = last;
    w->uni = uni;
    w->abbrev = 0;
    w->kind = 0;
    w->lower = 0;

    /* Perhaps an abbreviation: a few letters (and marks), then a period. */
    if (q < len && t[q] == '.' && q - p <= 24 &&
        (seen & ~(LETTER_BITS | BIT(K_MARK))) == 0 &&
        (seen & LETTER_BITS) != 0) {
        size_t a = try_abbrev(t, len, p);
        if (a != 0) {
            size_t i;
            w->e = w->end = a;
            w->abbrev = 1;
            w->last = K_PERIOD;
            w->uni = 0;
            for (i = p; i < a; i++)
                if (t[i] >= 0x80)
                    w->uni = 1;
            /* "U.S.'s": drop the possessive here too. */
            if (a < len) {
                int k;
                size_t n = classify(t, len, a, &k);
                if (k == K_APOS && a + n < len && (t[a + n] | 0x20) == 's' &&
                    !word_at(t, len, a + n + 1))
                    w->end = a + n + 1;
            }
        }
    }
}

static inline int ascii_alnum(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26u || (unsigned)(c - '0') < 10u;
}

/* Handle and hashtag names: [A-Za-z0-9_]. */
static inline int name_char(unsigned char c)
{
    return ascii_alnum(c) || c == '_';
}

/* t[p..) starts with the lowercase ASCII string s, in any case. */
static int starts_ci(const unsigned char *t, size_t len, size_t p,
                     const char *s)
{
    size_t n = strlen(s);

    return len - p >= n && ascii_ieq(t + p, n, s);
}

/* A byte after a word that may mean the word begins a URL or an e-mail
 * address (. : @ _ + - %); only then are they looked for, so a plain word
 * pays one table lookup. */
static const unsigned char special_follows[256] = {
    ['.'] = 1, [':'] = 1, ['@'] = 1, ['_'] = 1, ['+'] = 1, ['-'] = 1, ['%'] = 1,
};

/* ASCII characters a URL may hold: graphic ones except " < > ` { } | \ ^,
 * which in running text are far more often its delimiters. */
static int url_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7F && strchr("\"<>`{}|\\^", c) == NULL;
}

/* More closing than opening brackets of c's kind in t[s..e). */
static int unbalanced(const unsigned char *t, size_t s, size_t e,
                      unsigned char c)
{
    unsigned char o = c == ')' ? '(' : '[';
    long depth = 0;

    for (; s < e; s++)
        depth += t[s] == o ? 1 : t[s] == c ? -1 : 0;
    return depth < 0;
}

/* A URL starting at p ("http://", "https://" or "www.", any case): returns
 * its end, and in *host the end of its scheme and host, or 0 if none. */
static size_t url_end(const unsigned char *t, size_t len, size_t p,
                      size_t *host)
{
    size_t q, e, h;
    int k, dot = 0;

    if (starts_ci(t, len, p, "http://"))
        q = p + 7;
    else if (starts_ci(t, len, p, "https://"))
        q = p + 8;
    else if (starts_ci(t, len, p, "www."))
        q = p + 4;
    else
        return 0;
    /* The longest run of URL characters; non-ASCII letters, marks and
     * digits are kept (IRIs), other non-ASCII characters end it. */
    for (e = q; e < len;) {
        if (t[e] < 0x80) {
            if (!url_byte(t[e]))
                break;
            e++;
        } else {
            size_t n = classify(t, len, e, &k);
            if (!IS_WORD(k))
                break;
            e += n;
        }
    }
    /* Not the punctuation of the sentence around it. */
    while (e > q) {
        unsigned char c = t[e - 1];
        if (strchr(".,;:!?'*", c) != NULL ||
            ((c == ')' || c == ']') && unbalanced(t, q, e, c)))
            e--;
        else
            break;
    }
    for (h = q; h < e && t[h] != '/' && t[h] != '?' && t[h] != '#'; h++)
        dot |= t[h] == '.';
    /* A host that starts with a letter or digit; after "www." a dot. */
    if (h == q || (t[q] < 0x80 && !ascii_alnum(t[q])) || (q == p + 4 && !dot))
        return 0;
    *host = h;
    return e;
}

/* An e-mail address starting at p: local@domain.tld with the local part of
 * [A-Za-z0-9._%+-] (not ending in '.'), a domain of two or more labels of
 * [A-Za-z0-9-] and a top-level label of two or more letters. Returns its
 * end or 0. */
static size_t email_end(const unsigned char *t, size_t len, size_t p)
{
    size_t q = p, e, tld;
    int labels = 0;

    while (q < len && q - p < 64 &&
           (ascii_alnum(t[q]) || t[q] == '.' || t[q] == '_' || t[q] == '%' ||
            t[q] == '+' || t[q] == '-'))
        q++;
    if (q == p || q >= len || t[q] != '@' || t[q - 1] == '.')
        return 0;
    e = q + 1;
    for (;;) {
        size_t s = e;
        while (e < len && (ascii_alnum(t[e]) || t[e] == '-'))
            e++;
        if (e == s)
            return 0;
        labels++;
        tld = s;
        if (e + 1 < len && t[e] == '.' && ascii_alnum(t[e + 1]))
            e++;
        else
            break;
    }
    if (labels < 2 || e - tld < 2 || e - q > 254)
        return 0;
    for (; tld < e; tld++)
        if (!((unsigned)((t[tld] | 0x20) - 'a') < 26u))
            return 0;
    return e;
}

/* Whether the word w found at p is the start of a URL or an e-mail
 * address; if so w becomes that token. */
static int scan_special(const unsigned char *t, size_t len, size_t p,
                        struct word *w)
{
    size_t e, host = 0;

    if ((t[p] | 0x20) == 'h' || (t[p] | 0x20) == 'w') {
        e = url_end(t, len, p, &host);
        if (e != 0) {
            w->kind = OPINE_TOKEN_URL;
            w->lower = host - p;
            goto found;
        }
    }
    e = email_end(t, len, p);
    if (e == 0)
        return 0;
    w->kind = OPINE_TOKEN_EMAIL;
    w->lower = e - p;
found:
    w->s = p;
    w->e = w->end = e;
    w->last = K_OTHER; /* no glued sentence break after it */
    w->abbrev = 0;
    w->uni = 0;
    return 1;
}

/* Where a possessive 's or ’s at p ends (it must not go on into a word), or
 * 0 if there is none. */
static size_t possessive_end(const unsigned char *t, size_t len, size_t p)
{
    int k;
    size_t n;

    if (p >= len)
        return 0;
    n = classify(t, len, p, &k);
    if (k == K_APOS && p + n < len && (t[p + n] | 0x20) == 's' &&
        !word_at(t, len, p + n + 1))
        return p + n + 1;
    return 0;
}

/* A handle or hashtag may start at the '@' or '#' t[p] when it does not
 * continue a token or a name: "a@b", "x_#y", "&#x27;" have none. */
static int tag_may_start(const unsigned char *t, size_t p, size_t prev_end)
{
    return p == 0 || (p != prev_end && !name_char(t[p - 1]) && t[p - 1] != '&');
}

/* A handle at the '@' t[p]: '@' and one to 30 of [A-Za-z0-9_], not followed
 * by another word character. Fills w and returns 1, or returns 0. */
static int scan_handle(const unsigned char *t, size_t len, size_t p,
                       struct word *w)
{
    size_t e = p + 1, pe;

    while (e < len && e - p <= 31 && name_char(t[e]))
        e++;
    if (e == p + 1 || e - p > 31 || (e < len && word_at(t, len, e)))
        return 0;
    pe = possessive_end(t, len, e);
    memset(w, 0, sizeof *w);
    w->s = p;
    w->e = e;
    w->end = pe ? pe : e;
    w->kind = OPINE_TOKEN_HANDLE;
    w->last = byte_kind[t[e - 1]];
    return 1;
}

/* A hashtag at the '#' t[p]: '#' and a run of letters, marks, digits and
 * '_' with at least one letter. Fills w and returns 1, or returns 0. */
static int scan_hashtag(const unsigned char *t, size_t len, size_t p,
                        struct word *w)
{
    size_t e = p + 1, pe;
    unsigned seen = 0;
    int k = K_OTHER, last = K_OTHER, uni = 0;

    while (e < len) {
        size_t n = classify(t, len, e, &k);
        if (t[e] != '_' && !IS_WORD(k))
            break;
        seen |= t[e] == '_' ? 0 : BIT(k);
        last = t[e] == '_' ? K_OTHER : k;
        uni |= t[e] >= 0x80;
        e += n;
    }
    if (!(seen & LETTER_BITS))
        return 0;
    pe = possessive_end(t, len, e);
    memset(w, 0, sizeof *w);
    w->s = p;
    w->e = e;
    w->end = pe ? pe : e;
    w->kind = OPINE_TOKEN_HASHTAG;
    w->seen = seen;
    w->last = last;
    w->uni = uni;
    return 1;
}

/* State of one opine_tokenize() call. */
struct tk {
    const unsigned char *t;
    size_t len;
    opine_tokens *out;
    size_t sentence;        /* index the next token gets */
    int used;               /* a token already has that index */
    utf8proc_int32_t *ubuf; /* scratch for utf8proc, ucap entries */
    size_t ucap;
};

static void sentence_break(struct tk *tk)
{
    if (tk->used) {
        tk->sentence++;
        tk->used = 0;
    }
}

static utf8proc_int32_t map_joiner(utf8proc_int32_t cp, void *data)
{
    (void)data;
    switch (cp) {
    case 0x2019:
    case 0x02BC:
        return '\'';
    case 0x2010:
    case 0x2011:
        return '-';
    }
    return cp;
}

/* Case fold and compose t[s..e) into tk->ubuf as UTF-8; *n gets its length.
 * Returns 0, OPINE_ENOMEM, or 1 if utf8proc refused the text. */
static int fold_unicode(struct tk *tk, size_t s, size_t e, size_t *n)
{
    const utf8proc_option_t opts =
        UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE | UTF8PROC_STABLE;
    utf8proc_ssize_t m, b;

    for (;;) {
        m = utf8proc_decompose_custom(
            tk->t + s, (utf8proc_ssize_t)(e - s), tk->ubuf,
            tk->ucap ? (utf8proc_ssize_t)tk->ucap - 1 : 0, opts, map_joiner,
            NULL);
        if (m < 0)
            return 1;
        /* utf8proc_reencode() writes a NUL after up to 4 bytes per entry. */
        if ((size_t)m + 1 <= tk->ucap)
            break;
        {
            size_t cap = tk->ucap ? tk->ucap * 2 : 64;
            utf8proc_int32_t *nb;
            while (cap < (size_t)m + 1)
                cap *= 2;
            nb = realloc(tk->ubuf, cap * sizeof *nb);
            if (nb == NULL)
                return OPINE_ENOMEM;
            tk->ubuf = nb;
            tk->ucap = cap;
        }
    }
    b = utf8proc_reencode(tk->ubuf, m, opts);
    if (b < 0)
        return 1;
    *n = (size_t)b;
    return 0;
}

int opine__tokens_reserve_norm(opine_tokens *o, size_t more)
{
    size_t cap;
    char *nb;

    if (o->norm_cap - o->norm_len >= more)
        return 0;
    cap = o->norm_cap ? o->norm_cap : 4096;
    while (cap - o->norm_len < more) {
        if (cap > SIZE_MAX / 2)
            return OPINE_ENOMEM;
        cap *= 2;
    }
    nb = realloc(o->norm, cap);
    if (nb == NULL)
        return OPINE_ENOMEM;
    o->norm = nb;
    o->norm_cap = cap;
    return 0;
}

int opine__tokens_reserve_token(opine_tokens *o)
{
    size_t cap;
    opine_token *nv;

    if (o->n < o->cap)
        return 0;
    cap = o->cap ? o->cap * 2 : 256;
    if (cap > SIZE_MAX / sizeof *nv)
        return OPINE_ENOMEM;
    nv = realloc(o->v, cap * sizeof *nv);
    if (nv == NULL)
        return OPINE_ENOMEM;
    o->v = nv;
    o->cap = cap;
    return 0;
}

/* Lowercase an ASCII token t[s..e) of a text of len bytes into d, turning
 * the only non-ASCII characters it may hold (U+2019 U+02BC apostrophes,
 * U+2010 U+2011 hyphens) into ASCII. d must have room for e - s + 16
 * bytes: 16 at a time are read from the text (while 16 remain) and
 * written, past the token's end too (bytes the next token overwrites).
 * Returns the length written. */
static size_t fold_ascii(const unsigned char *t, size_t len, size_t s, size_t e,
                         char *d)
{
    size_t i = s, o = 0;

#if defined(__SSE2__)
    while (i < e && len - i >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
        size_t m = e - i < 16 ? e - i : 16;
        if ((unsigned)_mm_movemask_epi8(x) & ((2u << (m - 1)) - 1))
            break; /* a non-ASCII character: the byte loop */
        __m128i up = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
                                   _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
        x = _mm_or_si128(x, _mm_and_si128(up, _mm_set1_epi8(0x20)));
        _mm_storeu_si128((__m128i *)(void *)(d + o), x);
        i += m;
        o += m;
    }
#else
    (void)len;
#endif
    while (i < e) {
        unsigned char c = t[i];
        if (c < 0x80) {
            d[o++] = (char)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
            i++;
        } else if (c == 0xCA) { /* U+02BC */
            d[o++] = '\'';
            i += 2;
        } else { /* E2 80 90 / 91 / 99 */
            d[o++] = t[i + 2] == 0x99 ? '\'' : '-';
            i += 3;
        }
    }
    return o;
}

static int emit(struct tk *tk, const struct word *w)
{
    opine_tokens *o = tk->out;
    opine_token *tok;
    size_t n, span = w->e - w->s;
    int rc;

    if ((rc = opine__tokens_reserve_token(o)) != 0)
        return rc;
    if (w->kind == OPINE_TOKEN_URL || w->kind == OPINE_TOKEN_EMAIL) {
        /* As written, but for the case of its first w->lower bytes. */
        size_t i;
        char *d;
        if ((rc = opine__tokens_reserve_norm(o, span + 1)) != 0)
            return rc;
        d = o->norm + o->norm_len;
        for (i = 0; i < span; i++) {
            unsigned char c = tk->t[w->s + i];
            d[i] = (char)(i < w->lower && (unsigned)(c - 'A') < 26u ? c | 0x20
                                                                    : c);
        }
        n = span;
    } else if (w->uni) {
        rc = fold_unicode(tk, w->s, w->e, &n);
        if (rc < 0)
            return rc;
        if (rc > 0) { /* cannot happen for valid UTF-8: keep the text */
            n = span;
            if ((rc = opine__tokens_reserve_norm(o, n + 1)) != 0)
                return rc;
            memcpy(o->norm + o->norm_len, tk->t + w->s, n);
        } else {
            if ((rc = opine__tokens_reserve_norm(o, n + 1)) != 0)
                return rc;
            memcpy(o->norm + o->norm_len, tk->ubuf, n);
        }
    } else {
        if ((rc = opine__tokens_reserve_norm(o, span + 16)) != 0)
            return rc;
        n = fold_ascii(tk->t, tk->len, w->s, w->e, o->norm + o->norm_len);
    }
    if (o->norm_len + n >= UINT32_MAX)
        return OPINE_ETOOBIG;
    o->norm[o->norm_len + n] = '\0';

    tok = &o->v[o->n++];
    tok->start = (uint32_t)w->s;
    tok->len = (uint32_t)span;
    tok->norm = (uint32_t)o->norm_len;
    tok->norm_len = (uint32_t)n;
    tok->sentence = (uint32_t)tk->sentence;
    if (w->kind != 0)
        tok->kind = (uint8_t)w->kind;
    else if ((w->seen & NUMBER_BITS) && !(w->seen & LETTER_BITS) && !w->abbrev)
        tok->kind = OPINE_TOKEN_NUMBER;
    else
        tok->kind = OPINE_TOKEN_WORD;
    o->norm_len += n + 1;
    tk->used = 1;
    return 0;
}

enum { S_NONE, S_TERM, S_WS };

static int run(struct tk *tk)
{
    const unsigned char *t = tk->t;
    size_t len = tk->len, p = 0;
    int st = S_NONE, nl = 0;
    /* The previous token, for what a '.' right after it means. */
    size_t prev_s = 0, prev_e = 0, prev_end = SIZE_MAX;
    int prev_lower = 0;
    size_t glue = SIZE_MAX; /* an uppercase letter here breaks */
    int rc;

    while (p < len) {
        int k;
        size_t n = classify(t, len, p, &k);
        struct word w;

        if (IS_WORD(k) ||
            (k == K_AT && tag_may_start(t, p, prev_end) &&
             scan_handle(t, len, p, &w)) ||
            (k == K_HASH && tag_may_start(t, p, prev_end) &&
             scan_hashtag(t, len, p, &w))) {
            int brk = (st == S_WS && (k == K_UPPER || k == K_DIGIT)) ||
                      (st == S_TERM && p == glue && k == K_UPPER);
            if (IS_WORD(k)) {
                scan_word(t, len, p, &w);
                if (w.abbrev || (w.e < len && special_follows[t[w.e]]))
                    scan_special(t, len, p, &w);
            }
            /* A URL, address, handle or tag opens a sentence as an
             * uppercase letter does. */
            if (brk || (st == S_WS && w.kind != 0))
                sentence_break(tk);
            st = S_NONE;
            nl = 0;
            if ((rc = emit(tk, &w)) != 0)
                return rc;
            prev_s = w.s;
            prev_e = w.e;
            prev_end = w.end;
            prev_lower = w.last == K_LOWER || w.end != w.e;
            p = w.end;
            continue;
        }
        switch (k) {
        case K_NL:
            if (nl)
                sentence_break(tk);
            nl = 1;
            if (st == S_TERM)
                st = S_WS;
            break;
        case K_PARA:
            sentence_break(tk);
            if (st == S_TERM)
                st = S_WS;
            break;
        case K_SPACE:
            if (st == S_TERM)
                st = S_WS;
            break;
        case K_PERIOD:
            nl = 0;
            if (p == prev_end && suppresses_period(t, len, prev_s, prev_e)) {
                st = S_NONE;
                break;
            }
            st = S_TERM;
            glue = p == prev_end && prev_lower ? p + 1 : SIZE_MAX;
            break;
        case K_TERM:
            nl = 0;
            st = S_TERM;
            glue = SIZE_MAX;
            break;
        case K_CLOSE:
            nl = 0;
            if (st != S_TERM)
                st = S_NONE;
            break;
        case K_APOS:
        case K_QUOTE:
            /* Straight quotes and apostrophes open or close. */
            nl = 0;
            if (st == S_WS) {
                sentence_break(tk);
                st = S_NONE;
            } else if (st != S_TERM) {
                st = S_NONE;
            }
            break;
        case K_OPEN:
            nl = 0;
            if (st == S_WS)
                sentence_break(tk);
            st = S_NONE;
            break;
        default:
            nl = 0;
            st = S_NONE;
            break;
        }
        p += n;
    }
    return 0;
}

int opine_tokenize(const char *text, size_t len, opine_tokens *out)
{
    struct tk tk;
    int rc;

    out->n = 0;
    out->norm_len = 0;
    out->nsentences = 0;
    if (len > UINT32_MAX)
        return OPINE_ETOOBIG;

    /* Room for the usual text's tokens and forms at once, rather than
     * doubling from 256 tokens and 4 KiB (a copy each time): ABP's texts
     * have a token per 4.1-7.6 bytes (6.2 on the whole), and an ASCII
     * text's forms and their NULs take at most its length and one. Only
     * for the first MiB of a text: a huge one (a 100 MB line of anything)
     * grows as its tokens come, not by five times its size at once. */
    size_t sized = len < ((size_t)1 << 20) ? len : (size_t)1 << 20;
    size_t want = sized / 5 + 16;
    if (out->cap < want) {
        opine_token *nv = realloc(out->v, want * sizeof(*nv));
        if (nv == NULL)
            return OPINE_ENOMEM;
        out->v = nv;
        out->cap = want;
    }
    if ((rc = opine__tokens_reserve_norm(out, sized + 32)) != 0)
        return rc;

    memset(&tk, 0, sizeof tk);
    tk.t = (const unsigned char *)text;
    tk.len = len;
    tk.out = out;
    rc = run(&tk);
    free(tk.ubuf);
    if (rc != 0) {
        out->n = 0;
        out->norm_len = 0;
        return rc;
    }
    out->nsentences = tk.sentence + (size_t)tk.used;
    opine__tokens_mark_quotes(text, len, out);
    return 0;
}

/* Whether t[p..) starts a double quotation mark (opine__tokens_mark_quotes);
 * its length into *n. */
static int quote_at(const unsigned char *t, size_t len, size_t p, size_t *n)
{
    unsigned char c = t[p];
    *n = 1;
    if (c == '"')
        return 1;
    if (c == 0xC2 && p + 1 < len && (t[p + 1] == 0xAB || t[p + 1] == 0xBB)) {
        *n = 2; /* U+00AB U+00BB */
        return 1;
    }
    if (p + 2 >= len)
        return 0;
    *n = 3;
    if (c == 0xE2 && t[p + 1] == 0x80 && t[p + 2] >= 0x9C && t[p + 2] <= 0x9F)
        return 1; /* U+201C-U+201F */
    if (c == 0xE3 && t[p + 1] == 0x80 && t[p + 2] >= 0x8C && t[p + 2] <= 0x8F)
        return 1; /* U+300C-U+300F */
    if (c == 0xEF && t[p + 1] == 0xBC && t[p + 2] == 0x82)
        return 1; /* U+FF02 */
    *n = 1;
    return 0;
}

void opine__tokens_mark_quotes(const char *text, size_t len, opine_tokens *toks)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t from = 0;
    for (size_t i = 0; i < toks->n; i++) {
        opine_token *tok = &toks->v[i];
        size_t to = tok->start < len ? tok->start : len, n;
        tok->quote = 0;
        for (size_t p = from; p < to; p += n)
            if (quote_at(t, to, p, &n)) {
                tok->quote = 1;
                break;
            }
        from = (size_t)tok->start + tok->len;
    }
}

void opine_tokens_release(opine_tokens *t)
{
    if (t == NULL)
        return;
    free(t->v);
    free(t->norm);
    memset(t, 0, sizeof *t);
}
