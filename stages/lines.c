/* stages/lines.c — lines, their normalised hashes, and their stored form
 * (stages/lines.h). */
#include "stages/lines.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/error.h"

uint64_t opine_lines_seed(const char *group)
{
    return group ? XXH3_64bits(group, strlen(group)) : XXH3_64bits("", 0);
}

/* What each byte becomes: itself or its lowercase letter, '0' for a
 * digit, BLANK, DROP (ASCII punctuation and controls), or MORE (not
 * ASCII: see normalise()). */
enum { DROP = 0, BLANK = 1, MORE = 2 };
static const unsigned char byte_class[256] = {
    0,   0,   0,   0,   0,   0,   0,   0,   0,   1,   0,   1,   1,   1,   0,
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   1,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,   0,   0,   48,  48,  48,  48,  48,  48,  48,  48,  48,  48,  0,   0,
    0,   0,   0,   0,   0,   97,  98,  99,  100, 101, 102, 103, 104, 105, 106,
    107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121,
    122, 0,   0,   0,   0,   0,   0,   97,  98,  99,  100, 101, 102, 103, 104,
    105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119,
    120, 121, 122, 0,   0,   0,   0,   0,   2,   2,   2,   2,   2,   2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,   2,
    2,
};

/* Normalise s[0..len) into out (room for len bytes); its length. The
 * ASCII path has no branch but the one for non-ASCII bytes, which are
 * rare: a word boundary is as cheap as a letter. */
static size_t normalise(const unsigned char *s, size_t len, unsigned char *out)
{
    size_t k = 0;
    size_t space = 0; /* 1: a blank is owed before the next character */
    size_t digit = 0; /* 1: in a number (digits, and punctuation among) */
    for (size_t i = 0; i < len;) {
        unsigned char b = s[i];
        if (b < 0x80) {
            unsigned char c = byte_class[b];
            size_t dg = c == '0';
            /* a number is one '0': "23", "2", "1,000" are alike */
            size_t ch = (c > BLANK) & ((dg & digit) ^ 1), bl = c == BLANK;
            digit = dg | (digit & (c == DROP));
            out[k] = ' ';
            k += space & ch;
            out[k] = c;
            k += ch;
            /* a blank owes one once there is text; a character pays */
            space = (bl & (k > 0)) | (space & (ch ^ 1));
            i++;
            continue;
        }
        /* U+00A0 (C2 A0) is a blank; U+2000-U+205F (E2 80 80 - E2 81 9F)
         * are blanks up to U+200B and punctuation after it. */
        if (b == 0xc2 && i + 1 < len && s[i + 1] == 0xa0) {
            i += 2;
            space = k > 0;
            continue;
        }
        if (b == 0xe2 && i + 2 < len &&
            (s[i + 1] == 0x80 || s[i + 1] == 0x81)) {
            unsigned cp =
                0x2000 + ((unsigned)(s[i + 1] & 0x3f) << 6) + (s[i + 2] & 0x3f);
            if (cp <= 0x200b) {
                i += 3;
                space = k > 0;
                continue;
            }
            if (cp >= 0x2010 && cp <= 0x205e) {
                i += 3;
                continue;
            }
        }
        /* any other character, byte for byte */
        size_t n = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (i + n > len)
            n = len - i;
        out[k] = ' ';
        k += space;
        space = 0;
        digit = 0;
        memcpy(out + k, s + i, n);
        k += n;
        i += n;
    }
    return k;
}

int opine_lines(const char *text, size_t len, uint64_t seed, opine_line **out,
                size_t *n)
{
    *out = NULL;
    *n = 0;
    opine_line *v = NULL;
    size_t nv = 0, cap = 0, cap_buf = 0;
    unsigned char *buf = NULL;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t start = 0; start < len;) {
        const unsigned char *nl = memchr(s + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - s) : len;
        size_t ll = end - start;
        uint64_t h;
        if (ll == 0) {
            start = end + 1;
            continue;
        }
        if (ll > OPINE_LINE_NORMALISED) {
            /* a long line: hashed as it is, blanks at its ends aside */
            size_t a = start, b = end;
            while (a < b && (s[a] == ' ' || s[a] == '\t'))
                a++;
            while (b > a &&
                   (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r'))
                b--;
            h = XXH3_64bits_withSeed(s + a, b - a, seed ^ 1);
        } else {
            if (ll > cap_buf) {
                free(buf);
                cap_buf = ll < 256 ? 256 : ll;
                if ((buf = malloc(cap_buf)) == NULL)
                    goto nomem;
            }
            size_t k = normalise(s + start, ll, buf);
            if (k == 0) { /* nothing but blanks and punctuation */
                start = end + 1;
                continue;
            }
            h = XXH3_64bits_withSeed(buf, k, seed);
        }
        if (nv == cap) {
            cap = cap ? 2 * cap : 32;
            opine_line *w = realloc(v, cap * sizeof(*v));
            if (w == NULL)
                goto nomem;
            v = w;
        }
        size_t l = s[end - 1] == '\r' ? ll - 1 : ll; /* \r: the break's */
        v[nv++] = (opine_line){h ? h : 1, (uint32_t)start, (uint32_t)l};
        start = end + 1;
    }
    free(buf);
    if (nv && nv < cap) { /* the document holds it a while: no spare room */
        opine_line *w = realloc(v, nv * sizeof(*v));
        if (w)
            v = w;
    }
    *out = v;
    *n = nv;
    return 0;
nomem:
    free(buf);
    free(v);
    return OPINE_ENOMEM;
}

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t k = 0;
    while (v >= 0x80) {
        p[k++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[k++] = (unsigned char)v;
    return k;
}

static int get_varint(const unsigned char **p, const unsigned char *end,
                      uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return 0;
        unsigned char c = *(*p)++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

int opine_lines_encode(const opine_line *v, size_t n, unsigned char **out,
                       size_t *out_len)
{
    unsigned char *b = malloc(10 + n * 28), *p;
    if (b == NULL)
        return OPINE_ENOMEM;
    p = b + put_varint(b, n);
    uint64_t prev_end = 0;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 8; k++)
            *p++ = (unsigned char)(v[i].hash >> (8 * k));
        p += put_varint(p, v[i].start - prev_end);
        p += put_varint(p, v[i].len);
        prev_end = (uint64_t)v[i].start + v[i].len;
    }
    size_t len = (size_t)(p - b);
    unsigned char *w = realloc(b, len); /* kept until stored: no spare room */
    *out = w ? w : b;
    *out_len = len;
    return 0;
}

int opine_lines_decode(const void *data, size_t len, opine_line **out,
                       size_t *n)
{
    const unsigned char *p = data, *end = p + len;
    uint64_t count, prev_end = 0;
    *out = NULL;
    *n = 0;
    if (len == 0 || !get_varint(&p, end, &count) ||
        count > (uint64_t)(end - p) / 10)
        return OPINE_ECORRUPT;
    opine_line *v = malloc((count + 1) * sizeof(*v));
    if (v == NULL)
        return OPINE_ENOMEM;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t h = 0, gap, l;
        if (end - p < 8) {
            free(v);
            return OPINE_ECORRUPT;
        }
        for (int k = 0; k < 8; k++)
            h |= (uint64_t)*p++ << (8 * k);
        if (!get_varint(&p, end, &gap) || !get_varint(&p, end, &l) ||
            prev_end + gap + l > UINT32_MAX) {
            free(v);
            return OPINE_ECORRUPT;
        }
        v[i] = (opine_line){h, (uint32_t)(prev_end + gap), (uint32_t)l};
        prev_end += gap + l;
    }
    if (p != end) {
        free(v);
        return OPINE_ECORRUPT;
    }
    *out = v;
    *n = (size_t)count;
    return 0;
}
