/* base/utf8.c — UTF-8 validation (records, model files) and file names
 * made into valid text.
 *
 * FORMAT (RFC 3629, table 3-7 of the Unicode standard)
 *   00..7F                       one byte
 *   C2..DF 80..BF                two bytes
 *   E0 A0..BF 80..BF             three bytes (E0 80..9F would be overlong)
 *   E1..EC 80..BF 80..BF
 *   ED 80..9F 80..BF             (ED A0..BF are UTF-16 surrogates)
 *   EE..EF 80..BF 80..BF
 *   F0 90..BF 80..BF 80..BF      four bytes (F0 80..8F would be overlong)
 *   F1..F3 80..BF 80..BF 80..BF
 *   F4 80..8F 80..BF 80..BF      (above F4 8F is beyond U+10FFFF)
 *   C0, C1, F5..FF never appear.
 */
#include "base/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t opine__utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return len >= 2 && is_cont(s[1]) ? 2 : 0;
    if (c < 0xF0) {
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        if (len < 3 || s[1] < lo || s[1] > hi || !is_cont(s[2]))
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (len < 4 || s[1] < lo || s[1] > hi || !is_cont(s[2]) ||
            !is_cont(s[3]))
            return 0;
        return 4;
    }
    return 0;
}

size_t opine__utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t n;

        /* ASCII eight bytes at a time: no byte has its high bit set */
        if (i + 8 <= len) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if ((x & 0x8080808080808080u) == 0) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        n = opine__utf8_seq(s + i, len - i);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

static int is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

char *opine__utf8_escape(const char *s, int flags)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), out = 0, i = 0;
    int controls = flags & OPINE_UTF8_ESCAPE_CONTROLS;

    /* First the length, which is also the common case's test: nothing to
     * escape. */
    while (i < len) {
        size_t n = u[i] < 0x80 ? 1 : opine__utf8_seq(u + i, len - i);
        if (n == 0 || (controls && is_control(u[i]))) {
            out += 4;
            n = 1;
        } else {
            out += n;
        }
        i += n;
    }
    char *p = malloc(out + 1), *q = p;
    if (!p)
        return NULL;
    if (out == len) {
        memcpy(p, s, len + 1);
        return p;
    }
    for (i = 0; i < len;) {
        size_t n = u[i] < 0x80 ? 1 : opine__utf8_seq(u + i, len - i);
        if (n == 0 || (controls && is_control(u[i]))) {
            static const char hex[] = "0123456789ABCDEF";
            *q++ = '\\';
            *q++ = 'x';
            *q++ = hex[u[i] >> 4];
            *q++ = hex[u[i] & 15];
            i++;
            continue;
        }
        memcpy(q, u + i, n);
        q += n;
        i += n;
    }
    *q = '\0';
    return p;
}

size_t opine__utf8_bad_len(const unsigned char *s, size_t len)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t want, i;

    /* A lead byte that could start a sequence takes along the
     * continuation bytes that fit it, up to the first that does not. */
    if (c >= 0xC2 && c <= 0xDF)
        want = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        want = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        want = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 1;
    for (i = 1; i < want && i < len; i++) {
        unsigned char x = s[i];
        if (i == 1 ? (x < lo || x > hi) : (x & 0xC0) != 0x80)
            break;
    }
    return i;
}
