/* corpus/html_charset.c — a web page's bytes as UTF-8, before parsing.
 *
 * HOW IT WORKS
 *   The charset is chosen in this order:
 *     1. a byte-order mark (UTF-8, UTF-16LE, UTF-16BE);
 *     2. UTF-8 when every byte is valid UTF-8 and some are not ASCII:
 *        legacy 8-bit text almost never forms valid multi-byte sequences
 *        by chance, while pages that declare one charset and hold another
 *        are common;
 *     3. the caller's hint (an HTTP header, --encoding);
 *     4. the page's own declaration, found as browsers prescan: a <meta>
 *        tag in the first PRESCAN bytes with a charset= in it (both
 *        <meta charset="x"> and <meta http-equiv="Content-Type"
 *        content="text/html; charset=x">);
 *     5. UTF-8 for pure ASCII, else Windows-1252 (what browsers assume for
 *        an undeclared Western page).
 *   Labels are mapped as the WHATWG Encoding Standard maps them where glibc
 *   would decode differently: ISO-8859-1 and US-ASCII pages are in fact
 *   written as Windows-1252, GB2312 as GBK (GB18030 covers both),
 *   Shift_JIS as Windows-31J, EUC-KR as Windows-949.
 *
 *   Conversion goes through iconv; a byte sequence that is invalid in the
 *   charset becomes U+FFFD and counts as one repair, and so does a NUL
 *   byte (the parser would take it for the end of the page). UTF-8 input
 *   is repaired the same way without iconv.
 */
#include "corpus/html_internal.h"
#include "corpus/internal.h"
#include "base/error.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PRESCAN ((size_t)64 * 1024)

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* WHATWG label -> the name glibc's iconv decodes it as. */
static const struct {
    const char *label, *iconv;
} aliases[] = {
    {"iso-8859-1", "WINDOWS-1252"},
    {"iso8859-1", "WINDOWS-1252"},
    {"latin1", "WINDOWS-1252"},
    {"l1", "WINDOWS-1252"},
    {"us-ascii", "WINDOWS-1252"},
    {"ascii", "WINDOWS-1252"},
    {"cp819", "WINDOWS-1252"},
    {"iso_8859-1", "WINDOWS-1252"},
    {"x-cp1252", "WINDOWS-1252"},
    {"iso-8859-9", "WINDOWS-1254"},
    {"latin5", "WINDOWS-1254"},
    {"iso-8859-11", "WINDOWS-874"},
    {"tis-620", "WINDOWS-874"},
    {"gb2312", "GB18030"},
    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},
    {"shift_jis", "CP932"},
    {"shift-jis", "CP932"},
    {"sjis", "CP932"},
    {"x-sjis", "CP932"},
    {"windows-31j", "CP932"},
    {"euc-kr", "CP949"},
    {"ks_c_5601-1987", "CP949"},
    {"big5", "BIG5-HKSCS"},
    {"x-mac-roman", "MACINTOSH"},
    {"utf8", "UTF-8"},
};

static int is_utf8_label(const char *cs)
{
    return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
           strcasecmp(cs, "unicode-1-1-utf-8") == 0;
}

static const char *iconv_name(const char *label)
{
    size_t i;

    for (i = 0; i < sizeof(aliases) / sizeof(*aliases); i++)
        if (strcasecmp(label, aliases[i].label) == 0)
            return aliases[i].iconv;
    return label;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive search for the ASCII word w in s[0..n). */
static const char *find_ci(const char *s, size_t n, const char *w)
{
    size_t wl = strlen(w), i;

    for (i = 0; i + wl <= n; i++) {
        size_t k = 0;
        while (k < wl && lower((unsigned char)s[i + k]) == w[k])
            k++;
        if (k == wl)
            return s + i;
    }
    return NULL;
}

/* The charset a <meta> tag in the first PRESCAN bytes declares, copied
 * into out[size]; 0 when there is none. */
static int prescan_meta(const char *s, size_t n, char *out, size_t size)
{
    const char *end = s + (n < PRESCAN ? n : PRESCAN);
    const char *p = s;

    while (p < end) {
        const char *tag = find_ci(p, (size_t)(end - p), "<meta");
        const char *close, *cs;

        if (!tag)
            return 0;
        close = memchr(tag, '>', (size_t)(end - tag));
        if (!close)
            return 0;
        cs = find_ci(tag, (size_t)(close - tag), "charset");
        if (cs) {
            size_t k = 0;

            cs += 7;
            while (cs < close && (*cs == ' ' || *cs == '\t' || *cs == '\n'))
                cs++;
            if (cs < close && *cs == '=') {
                cs++;
                while (cs < close && (*cs == ' ' || *cs == '"' || *cs == '\'' ||
                                      *cs == '\t' || *cs == '\n'))
                    cs++;
                while (cs < close && k + 1 < size &&
                       ((*cs >= 'a' && *cs <= 'z') ||
                        (*cs >= 'A' && *cs <= 'Z') ||
                        (*cs >= '0' && *cs <= '9') || *cs == '-' ||
                        *cs == '_' || *cs == '.' || *cs == ':'))
                    out[k++] = *cs++;
                out[k] = '\0';
                if (k > 0)
                    return 1;
            }
        }
        p = close + 1;
    }
    return 0;
}

/* A growing output buffer. */
struct obuf {
    char *p;
    size_t n, cap;
};

static int obuf_reserve(struct obuf *b, size_t more)
{
    size_t cap = b->cap ? b->cap : 4096;
    char *p;

    if (b->n + more + 1 <= b->cap)
        return 0;
    while (cap < b->n + more + 1)
        cap *= 2;
    p = realloc(b->p, cap);
    if (!p)
        return OPINE_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int obuf_add(struct obuf *b, const char *s, size_t n)
{
    if (obuf_reserve(b, n) != 0)
        return OPINE_ENOMEM;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

/* UTF-8 with every invalid sequence and NUL byte replaced. */
static int repair_utf8(const char *s, size_t n, struct obuf *b, size_t *repairs)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    if (obuf_reserve(b, n + n / 8) != 0)
        return OPINE_ENOMEM;
    while (i < n) {
        size_t good = opine__utf8_check(u + i, n - i);
        const char *nul = memchr(s + i, 0, good);

        if (nul)
            good = (size_t)(nul - (s + i));
        if (obuf_add(b, s + i, good) != 0)
            return OPINE_ENOMEM;
        i += good;
        if (i < n) {
            if (obuf_add(b, replacement, 3) != 0)
                return OPINE_ENOMEM;
            (*repairs)++;
            i++;
        }
    }
    return 0;
}

static int convert(iconv_t cd, const char *s, size_t n, struct obuf *b,
                   size_t *repairs)
{
    char *in = (char *)s;
    size_t left = n;

    if (obuf_reserve(b, n * 2) != 0)
        return OPINE_ENOMEM;
    while (left > 0) {
        char *out = b->p + b->n;
        size_t room = b->cap - b->n - 1, before = room;
        size_t rc = iconv(cd, &in, &left, &out, &room);

        b->n += before - room;
        if (rc != (size_t)-1)
            break;
        if (errno == E2BIG) {
            if (obuf_reserve(b, left * 2 + 16) != 0)
                return OPINE_ENOMEM;
        } else {
            /* EILSEQ, or EINVAL: a sequence cut off by the end */
            if (obuf_add(b, replacement, 3) != 0)
                return OPINE_ENOMEM;
            (*repairs)++;
            in++;
            left--;
            iconv(cd, NULL, NULL, NULL, NULL);
        }
    }
    return 0;
}

/* After iconv: NUL characters in the output are replaced too. */
static int replace_nuls(struct obuf *b, size_t *repairs)
{
    struct obuf c = {0};
    size_t i;
    int rc = 0;

    if (!memchr(b->p, 0, b->n))
        return 0;
    for (i = 0; i < b->n && rc == 0; i++) {
        if (b->p[i] == '\0') {
            rc = obuf_add(&c, replacement, 3);
            (*repairs)++;
        } else {
            rc = obuf_add(&c, b->p + i, 1);
        }
    }
    free(b->p);
    *b = c;
    return rc;
}

int opine__html_decode(const char *html, size_t len, const char *hint,
                       const char **out, size_t *out_len, char **owned,
                       char *charset, size_t charset_size, size_t *repairs)
{
    const unsigned char *u = (const unsigned char *)html;
    struct obuf b = {0};
    const char *cs = NULL, *name;
    char declared[64];
    size_t valid, i;
    int ascii = 1, rc;
    iconv_t cd;

    *owned = NULL;
    *repairs = 0;
    if (len >= 2 &&
        ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        cs = u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
        html += 2;
        len -= 2;
    } else if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        html += 3;
        len -= 3;
        cs = "UTF-8";
    }
    u = (const unsigned char *)html;
    valid = cs ? 0 : opine__utf8_check(u, len);
    if (!cs && valid == len) {
        for (i = 0; i < len && ascii; i++)
            ascii = u[i] < 0x80;
        if (!ascii)
            cs = "UTF-8";
    }
    if (!cs && hint && *hint)
        cs = hint;
    if (!cs && prescan_meta(html, len, declared, sizeof(declared)))
        cs = declared;
    if (!cs)
        cs = valid == len ? "UTF-8" : "WINDOWS-1252";
    snprintf(charset, charset_size, "%s", cs);

    if (is_utf8_label(cs)) {
        if (valid == len && !memchr(html, 0, len)) {
            *out = html;
            *out_len = len;
            return 0;
        }
        rc = repair_utf8(html, len, &b, repairs);
        goto done;
    }
    name = iconv_name(cs);
    cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1) {
        if (cs == hint)
            return OPINE_EUSAGE;
        /* a page declaring a charset nobody knows: read it as browsers
         * would read an undeclared page */
        snprintf(charset, charset_size, "%s",
                 valid == len ? "UTF-8" : "WINDOWS-1252");
        if (valid == len) {
            rc = repair_utf8(html, len, &b, repairs);
            goto done;
        }
        cd = iconv_open("UTF-8", "WINDOWS-1252");
        if (cd == (iconv_t)-1)
            return OPINE_ENOMEM;
    }
    rc = convert(cd, html, len, &b, repairs);
    iconv_close(cd);
    if (rc == 0)
        rc = replace_nuls(&b, repairs);
done:
    if (rc == 0 && obuf_reserve(&b, 0) != 0)
        rc = OPINE_ENOMEM;
    if (rc != 0) {
        free(b.p);
        return rc;
    }
    b.p[b.n] = '\0';
    *owned = b.p;
    *out = b.p;
    *out_len = b.n;
    return 0;
}
