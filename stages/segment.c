/* stages/segment.c — UAX #29 word and sentence boundaries through ICU.
 *
 * The result format is described in segment.h.
 *
 * HOW IT WORKS
 *
 * A segmenter owns one ICU break iterator (root locale, so no tailoring)
 * and one UText. Each call re-opens the UText over the caller's UTF-8 bytes
 * with utext_openUTF8(), which copies nothing, and hands it to the iterator
 * with ubrk_setUText(). For a UTF-8 UText, ICU's "native index" is the byte
 * offset into that buffer, so the positions ubrk_first()/ubrk_next() return
 * are already the byte offsets we store; no UTF-16 conversion or index
 * mapping is needed. An ill-formed byte sequence is read as one U+FFFD
 * whose native extent is the bytes it replaces, so a boundary can only fall
 * at the start of a sequence or at len.
 *
 * ubrk_getRuleStatus() after moving to a boundary is the status of the rule
 * that made it, which for the word rules classifies the segment that ends
 * there; ICU gives ranges (UBRK_WORD_NONE 0..99, NUMBER 100..199, ...) and
 * we keep the range only.
 *
 * TWO CORRECTIONS: ICU's root rules are CLDR's, and CLDR's root tailors
 * UAX #29 in two places. Because UAX #29 decides each boundary from the
 * characters near it alone, each difference is confined to boundaries
 * next to the tailored characters, and a pass over ICU's result puts those
 * back as UAX #29 has them. The Word_Break values used are ICU's
 * (u_getIntPropertyValue), not a table of ours.
 *
 *   - CLDR's $MidLetter is Word_Break=MidLetter minus U+003A COLON, U+FE55
 *     and U+FF1A, so "a:b" is three words where UAX #29 (WB6/WB7) has one.
 *     fix_midletter() removes both boundaries around a segment that is one
 *     Word_Break=MidLetter character (plus the Extend, Format and ZWJ that
 *     WB4 attaches to it) with an ALetter or Hebrew_Letter before it
 *     (skipping those WB4 characters) and one right after.
 *   - CLDR's $ALetter adds '@' (Word_Break=Other), so "mail@example.org"
 *     is one word where UAX #29 has "mail", "@", "example.org".
 *     fix_at_signs() splits each non-none segment holding a '@' where UAX
 *     #29 breaks: before the '@', after it and its WB4 characters (unless
 *     WB3c joins ZWJ and a pictograph), and on the far side of a
 *     MidLetter, MidNumLet or Single_Quote that the '@' alone held to a
 *     letter (WB6/WB7; WB7a still holds a Hebrew letter and a quote). The
 *     pieces get a status from their characters' Word_Break values.
 *
 * Not corrected, because WordBreakTest.txt does not test it and it is what
 * makes ICU useful for those scripts: runs of Han, Hiragana and Katakana,
 * and of Thai, Lao, Khmer and Myanmar (Line_Break=Complex_Context), are
 * split into words by ICU's dictionaries, where plain UAX #29 breaks around
 * every ideograph and Complex_Context letter.
 *
 * opine_tokenize_uax29() segments the text twice (words, sentences) into
 * scratch arrays the segmenters own, then walks the word segments once,
 * advancing a cursor over the sentence boundaries as it goes.
 */

#include "stages/segment.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>
#include <utf8proc.h>

#include "base/error.h"

struct opine_segmenter {
    UBreakIterator *bi;
    UText ut;
    opine_segment_kind kind;
    opine_segments scratch; /* for opine_tokenize_uax29() */
    struct unit *units;     /* for fix_at_signs() */
    size_t ucap;
};

static int icu_error(UErrorCode ec)
{
    return ec == U_MEMORY_ALLOCATION_ERROR ? OPINE_ENOMEM : OPINE_EIO;
}

int opine_segmenter_new(opine_segmenter **out, opine_segment_kind kind)
{
    opine_segmenter *s;
    UErrorCode ec = U_ZERO_ERROR;
    UText init = UTEXT_INITIALIZER;

    *out = NULL;
    if (kind != OPINE_SEGMENT_WORD && kind != OPINE_SEGMENT_SENTENCE)
        return OPINE_EUSAGE;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return OPINE_ENOMEM;
    s->ut = init;
    s->kind = kind;
    s->bi = ubrk_open(kind == OPINE_SEGMENT_WORD ? UBRK_WORD : UBRK_SENTENCE,
                      "", NULL, 0, &ec);
    if (U_FAILURE(ec)) {
        ubrk_close(s->bi);
        free(s);
        return icu_error(ec);
    }
    *out = s;
    return 0;
}

void opine_segmenter_free(opine_segmenter *s)
{
    if (s == NULL)
        return;
    ubrk_close(s->bi);
    utext_close(&s->ut);
    opine_segments_release(&s->scratch);
    free(s->units);
    free(s);
}

static int reserve_segments(opine_segments *seg, size_t need)
{
    size_t cap;
    uint32_t *nb;
    uint8_t *ns;

    if (need <= seg->cap)
        return 0;
    cap = seg->cap ? seg->cap : 256;
    while (cap < need)
        cap *= 2;
    nb = realloc(seg->bounds, cap * sizeof *nb);
    if (nb == NULL)
        return OPINE_ENOMEM;
    seg->bounds = nb;
    ns = realloc(seg->status, cap * sizeof *ns);
    if (ns == NULL)
        return OPINE_ENOMEM;
    seg->status = ns;
    seg->cap = cap;
    return 0;
}

static uint8_t status_class(int32_t rs)
{
    if (rs >= UBRK_WORD_IDEO && rs < UBRK_WORD_IDEO_LIMIT)
        return OPINE_SEGMENT_IDEO;
    if (rs >= UBRK_WORD_KANA && rs < UBRK_WORD_KANA_LIMIT)
        return OPINE_SEGMENT_KANA;
    if (rs >= UBRK_WORD_LETTER && rs < UBRK_WORD_LETTER_LIMIT)
        return OPINE_SEGMENT_LETTER;
    if (rs >= UBRK_WORD_NUMBER && rs < UBRK_WORD_NUMBER_LIMIT)
        return OPINE_SEGMENT_NUMBER;
    return OPINE_SEGMENT_NONE;
}

static int is_ignorable(UChar32 c)
{
    int wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);

    return wb == U_WB_EXTEND || wb == U_WB_FORMAT || wb == U_WB_ZWJ;
}

static int is_ahletter(UChar32 c)
{
    int wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);

    return wb == U_WB_ALETTER || wb == U_WB_HEBREW_LETTER;
}

/* Is [b, e) of t (n bytes) a MidLetter character between two AHLetters
 * that UAX #29 joins (WB6/WB7) and ICU did not? */
static int midletter_joins(const uint8_t *t, int32_t n, int32_t b, int32_t e)
{
    int32_t i = b;
    UChar32 c;

    U8_NEXT(t, i, n, c);
    if (c < 0 || u_getIntPropertyValue(c, UCHAR_WORD_BREAK) != U_WB_MIDLETTER)
        return 0;
    while (i < e) {
        U8_NEXT(t, i, n, c);
        if (c < 0 || !is_ignorable(c))
            return 0;
    }
    if (e >= n)
        return 0;
    U8_NEXT(t, i, n, c);
    if (c < 0 || !is_ahletter(c))
        return 0;
    i = b;
    do {
        if (i == 0)
            return 0;
        U8_PREV(t, 0, i, c);
    } while (c >= 0 && is_ignorable(c));
    return c >= 0 && is_ahletter(c);
}

/* Remove the boundaries around MidLetter characters that ICU's CLDR rules
 * keep and UAX #29 does not (see the top of the file). Only a none segment
 * between two letter segments can qualify, which keeps this cheap. */
static void fix_midletter(const char *text, size_t len, opine_segments *seg)
{
    const uint8_t *t = (const uint8_t *)text;
    size_t i, k = 1;

    if (seg->n < 2)
        return;
    for (i = 1; i + 1 < seg->n; i++) {
        if (seg->status[i] == OPINE_SEGMENT_NONE &&
            seg->status[i - 1] == OPINE_SEGMENT_LETTER && i + 2 < seg->n &&
            seg->status[i + 1] == OPINE_SEGMENT_LETTER &&
            midletter_joins(t, (int32_t)len, (int32_t)seg->bounds[i],
                            (int32_t)seg->bounds[i + 1])) {
            /* Drop both boundaries; segment k-1 runs on through the
             * letters after the MidLetter, and is a letter segment. */
            seg->status[k - 1] = OPINE_SEGMENT_LETTER;
            i++;
            continue;
        }
        seg->bounds[k] = seg->bounds[i];
        seg->status[k] = seg->status[i];
        k++;
    }
    seg->bounds[k] = seg->bounds[seg->n - 1];
    seg->status[k] = OPINE_SEGMENT_NONE;
    seg->n = k + 1;
}

/* One WB4 unit inside a segment: a character and the Extend, Format and
 * ZWJ characters after it. */
struct unit {
    int32_t start;
    int wb;   /* Word_Break of the first character */
    int at;   /* the first character is '@' */
    int zwj;  /* the last character is ZWJ */
    int pict; /* the first character is Extended_Pictographic */
    int ideo; /* the first character is Hiragana or Ideographic */
    int cut;  /* UAX #29 breaks before this unit */
};

static int is_mid(int wb)
{
    return wb == U_WB_MIDLETTER || wb == U_WB_MIDNUMLET ||
           wb == U_WB_SINGLE_QUOTE;
}

/* Split t[s..e) into WB4 units in *u (grown as needed); returns the count
 * or a negative error. */
static int64_t units(const uint8_t *t, int32_t s, int32_t e, struct unit **u,
                     size_t *ucap)
{
    int32_t i = s;
    size_t k = 0;

    while (i < e) {
        int32_t at = i;
        UChar32 c;
        int wb;

        U8_NEXT_OR_FFFD(t, i, e, c);
        wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
        if (k > 0 &&
            (wb == U_WB_EXTEND || wb == U_WB_FORMAT || wb == U_WB_ZWJ)) {
            (*u)[k - 1].zwj = wb == U_WB_ZWJ;
            continue;
        }
        if (k == *ucap) {
            size_t cap = *ucap ? *ucap * 2 : 64;
            struct unit *nu = realloc(*u, cap * sizeof *nu);
            if (nu == NULL)
                return OPINE_ENOMEM;
            *u = nu;
            *ucap = cap;
        }
        (*u)[k].start = at;
        (*u)[k].wb = wb;
        (*u)[k].at = c == '@';
        (*u)[k].zwj = wb == U_WB_ZWJ;
        (*u)[k].pict = u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC);
        (*u)[k].ideo =
            u_hasBinaryProperty(c, UCHAR_IDEOGRAPHIC) ||
            u_getIntPropertyValue(c, UCHAR_SCRIPT) == USCRIPT_HIRAGANA;
        (*u)[k].cut = 0;
        k++;
    }
    return (int64_t)k;
}

/* Mark the units UAX #29 breaks before, '@' being Word_Break=Other. */
static void at_sign_cuts(struct unit *u, size_t k)
{
    size_t j;

    for (j = 1; j < k; j++) {
        int wb3c = u[j - 1].zwj && u[j].pict;
        if (u[j].at || (u[j - 1].at && !wb3c))
            u[j].cut = 1;
        else if (j >= 2 && u[j - 2].at && is_mid(u[j - 1].wb) && !wb3c)
            u[j].cut = 1; /* "@.a": WB7 needs a letter before the '.' */
        if (j + 1 < k && u[j + 1].at && is_mid(u[j].wb) &&
            !(u[j - 1].wb == U_WB_HEBREW_LETTER &&
              u[j].wb == U_WB_SINGLE_QUOTE))
            u[j].cut = 1; /* "a.@": WB6 needs a letter after the '.' */
    }
}

/* Status of units u[a..b), as ICU's rules would give it. */
static uint8_t piece_status(const struct unit *u, size_t a, size_t b)
{
    int letter = 0, ideo = 0, number = 0;
    size_t j;

    for (j = a; j < b; j++) {
        letter |= u[j].wb == U_WB_ALETTER || u[j].wb == U_WB_HEBREW_LETTER;
        ideo |= u[j].wb == U_WB_KATAKANA || u[j].ideo;
        number |= u[j].wb == U_WB_NUMERIC;
    }
    if (ideo)
        return OPINE_SEGMENT_IDEO;
    if (letter)
        return OPINE_SEGMENT_LETTER;
    return number ? OPINE_SEGMENT_NUMBER : OPINE_SEGMENT_NONE;
}

static int push(opine_segments *o, uint32_t b, uint8_t st)
{
    int rc = reserve_segments(o, o->n + 1);

    if (rc != 0)
        return rc;
    o->bounds[o->n] = b;
    o->status[o->n++] = st;
    return 0;
}

/* Split the segments that ICU's '@'-as-letter rule joined (see the top of
 * the file). Texts without '@' cost one memchr(). */
static int fix_at_signs(opine_segmenter *s, const char *text, size_t len,
                        opine_segments *seg)
{
    const uint8_t *t = (const uint8_t *)text;
    opine_segments o = OPINE_SEGMENTS_INIT, tmp;
    size_t i, j;
    int rc = 0;

    if (len == 0 || memchr(text, '@', len) == NULL)
        return 0;
    for (i = 0; rc == 0 && i + 1 < seg->n; i++) {
        uint32_t b = seg->bounds[i], e = seg->bounds[i + 1];
        int64_t k;
        size_t from = 0;

        if (seg->status[i] == OPINE_SEGMENT_NONE ||
            memchr(text + b, '@', e - b) == NULL) {
            rc = push(&o, b, seg->status[i]);
            continue;
        }
        k = units(t, (int32_t)b, (int32_t)e, &s->units, &s->ucap);
        if (k < 0) {
            rc = (int)k;
            break;
        }
        at_sign_cuts(s->units, (size_t)k);
        for (j = 1; rc == 0 && j <= (size_t)k; j++) {
            if (j < (size_t)k && !s->units[j].cut)
                continue;
            rc = push(&o, (uint32_t)s->units[from].start,
                      piece_status(s->units, from, j));
            from = j;
        }
    }
    if (rc == 0)
        rc = push(&o, (uint32_t)len, OPINE_SEGMENT_NONE);
    if (rc != 0) {
        opine_segments_release(&o);
        return rc;
    }
    tmp = *seg;
    *seg = o;
    opine_segments_release(&tmp);
    return 0;
}

static int segment(opine_segmenter *s, const char *text, size_t len,
                   opine_segments *out)
{
    UErrorCode ec = U_ZERO_ERROR;
    int word = s->kind == OPINE_SEGMENT_WORD;
    int32_t b, prev;
    int rc;

    if (len > INT32_MAX)
        return OPINE_ETOOBIG;
    /* An empty string needs a valid pointer for ICU. */
    utext_openUTF8(&s->ut, len ? text : "", (int64_t)len, &ec);
    if (U_FAILURE(ec))
        return icu_error(ec);
    ubrk_setUText(s->bi, &s->ut, &ec);
    if (U_FAILURE(ec))
        return icu_error(ec);

    prev = ubrk_first(s->bi);
    if (prev != 0)
        return OPINE_EIO;
    if ((rc = reserve_segments(out, 1)) != 0)
        return rc;
    out->bounds[0] = 0;
    out->n = 1;
    while ((b = ubrk_next(s->bi)) != UBRK_DONE) {
        /* ICU promises this; checking it keeps the format's invariants true
         * whatever the data, at the cost of one compare. */
        if (b <= prev || (size_t)b > len)
            return OPINE_EIO;
        if ((rc = reserve_segments(out, out->n + 1)) != 0)
            return rc;
        out->status[out->n - 1] =
            word ? status_class(ubrk_getRuleStatus(s->bi)) : OPINE_SEGMENT_NONE;
        out->bounds[out->n++] = (uint32_t)b;
        prev = b;
    }
    if ((size_t)prev != len)
        return OPINE_EIO;
    out->status[out->n - 1] = OPINE_SEGMENT_NONE;
    if (!word)
        return 0;
    fix_midletter(text, len, out);
    return fix_at_signs(s, text, len, out);
}

int opine_segment(opine_segmenter *s, const char *text, size_t len,
                  opine_segments *out)
{
    int rc;

    out->n = 0;
    rc = segment(s, text, len, out);
    if (rc != 0)
        out->n = 0;
    return rc;
}

void opine_segments_release(opine_segments *seg)
{
    if (seg == NULL)
        return;
    free(seg->bounds);
    free(seg->status);
    memset(seg, 0, sizeof *seg);
}

/* Tokens: the same growth policy and invariants as stages/tokenize.c. */

/* Copy src[0..n) to d turning U+2019 and U+02BC into ASCII '; returns the
 * length written (never more than n). */
static size_t copy_apostrophes(char *d, const unsigned char *src, size_t n)
{
    size_t i = 0, o = 0;

    while (i < n) {
        if (src[i] == 0xE2 && i + 2 < n && src[i + 1] == 0x80 &&
            src[i + 2] == 0x99) {
            d[o++] = '\'';
            i += 3;
        } else if (src[i] == 0xCA && i + 1 < n && src[i + 1] == 0xBC) {
            d[o++] = '\'';
            i += 2;
        } else {
            d[o++] = (char)src[i++];
        }
    }
    return o;
}

/* Append the normalised form of t[s..e) to o->norm, NUL-terminated; *n gets
 * its length without the NUL. */
static int append_norm(opine_tokens *o, const unsigned char *t, size_t s,
                       size_t e, size_t *n)
{
    size_t i, span = e - s;
    int ascii = 1, rc;
    char *d;

    for (i = s; i < e; i++)
        if (t[i] >= 0x80) {
            ascii = 0;
            break;
        }
    if (ascii) {
        /* NFC and case folding of ASCII is lowercasing; skip utf8proc. */
        if ((rc = opine__tokens_reserve_norm(o, span + 1)) != 0)
            return rc;
        d = o->norm + o->norm_len;
        for (i = 0; i < span; i++) {
            unsigned char c = t[s + i];
            d[i] = (char)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
        }
        *n = span;
    } else {
        utf8proc_uint8_t *m = NULL;
        utf8proc_ssize_t r = utf8proc_map(t + s, (utf8proc_ssize_t)span, &m,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                              UTF8PROC_CASEFOLD);
        if (r == UTF8PROC_ERROR_NOMEM)
            return OPINE_ENOMEM;
        if (r < 0) {
            /* Not reachable with ICU's segments (an ill-formed byte is
             * always its own none-status segment); keep the text. */
            free(m);
            m = NULL;
            r = (utf8proc_ssize_t)span;
        }
        rc = opine__tokens_reserve_norm(o, (size_t)r + 1);
        if (rc == 0)
            *n = copy_apostrophes(o->norm + o->norm_len, m ? m : t + s,
                                  (size_t)r);
        free(m);
        if (rc != 0)
            return rc;
    }
    if (o->norm_len + *n >= UINT32_MAX)
        return OPINE_ETOOBIG;
    o->norm[o->norm_len + *n] = '\0';
    return 0;
}

static int tokenize(opine_segmenter *words, opine_segmenter *sentences,
                    const char *text, size_t len, opine_tokens *out)
{
    const unsigned char *t = (const unsigned char *)text;
    opine_segments *ws = &words->scratch, *ss = NULL;
    size_t i, j = 0, cur = SIZE_MAX, sentence = 0;
    int rc;

    if (words->kind != OPINE_SEGMENT_WORD ||
        (sentences && sentences->kind != OPINE_SEGMENT_SENTENCE))
        return OPINE_EUSAGE;
    if ((rc = opine_segment(words, text, len, ws)) != 0)
        return rc;
    if (sentences) {
        ss = &sentences->scratch;
        if ((rc = opine_segment(sentences, text, len, ss)) != 0)
            return rc;
    }
    for (i = 0; i + 1 < ws->n; i++) {
        uint8_t st = ws->status[i];
        size_t s = ws->bounds[i], e = ws->bounds[i + 1], n;
        opine_token *tok;

        if (st == OPINE_SEGMENT_NONE)
            continue;
        if (ss) {
            while (j + 2 < ss->n && ss->bounds[j + 1] <= s)
                j++;
        }
        if (j != cur) {
            /* Dense indexes: only a sentence that has a token counts. */
            if (cur != SIZE_MAX)
                sentence++;
            cur = j;
        }
        if ((rc = opine__tokens_reserve_token(out)) != 0)
            return rc;
        if ((rc = append_norm(out, t, s, e, &n)) != 0)
            return rc;
        tok = &out->v[out->n++];
        tok->start = (uint32_t)s;
        tok->len = (uint32_t)(e - s);
        tok->norm = (uint32_t)out->norm_len;
        tok->norm_len = (uint32_t)n;
        tok->sentence = (uint32_t)sentence;
        tok->kind =
            st == OPINE_SEGMENT_NUMBER ? OPINE_TOKEN_NUMBER : OPINE_TOKEN_WORD;
        out->norm_len += n + 1;
    }
    out->nsentences = out->n ? sentence + 1 : 0;
    return 0;
}

int opine_tokenize_uax29(opine_segmenter *words, opine_segmenter *sentences,
                         const char *text, size_t len, opine_tokens *out)
{
    int rc;

    out->n = 0;
    out->norm_len = 0;
    out->nsentences = 0;
    rc = tokenize(words, sentences, text, len, out);
    if (rc != 0) {
        out->n = 0;
        out->norm_len = 0;
        out->nsentences = 0;
    } else {
        opine__tokens_mark_quotes(text, len, out);
    }
    return rc;
}
