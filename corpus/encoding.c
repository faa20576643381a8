/* corpus/encoding.c — decoding other encodings to UTF-8 with iconv.
 *
 * FORMAT
 *   Any encoding glibc's iconv knows (`iconv -l`): ISO-8859-1 (Latin-1),
 *   WINDOWS-1252, UTF-16LE/BE, UTF-32, KOI8-R, SHIFT_JIS, ... A byte-order
 *   mark picks UTF-8, UTF-16 or UTF-32 by itself (reader.c); the reader's
 *   encoding option names the rest; in WARC files the HTTP Content-Type
 *   charset names a record's.
 *
 * HOW IT WORKS
 *   iconv converts as much as fits; at a byte sequence that is not valid in
 *   the source encoding (EILSEQ: an undefined Windows-1252 byte, a lone
 *   UTF-16 surrogate) we write the byte 0xFF, which is never UTF-8, and
 *   step over one code unit (1, 2 or 4 bytes). The record the 0xFF lands
 *   in then goes through the same check as any invalid UTF-8: repaired
 *   with U+FFFD and counted, or rejected, as --invalid-utf8 says. An
 *   incomplete sequence at the end of the input buffer (EINVAL) waits for
 *   more bytes unless the input ends there.
 */
#include "corpus/internal.h"
#include "base/error.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct opine__conv {
    iconv_t cd;
    size_t unit; /* code unit: 1, 2 (UTF-16) or 4 (UTF-32) */
};

int opine__is_utf8_name(const char *name)
{
    return strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0;
}

const char *opine__web_charset(const char *label)
{
    static const char *const as_1252[] = {
        "iso-8859-1", "iso8859-1", "latin1", "l1",     "iso_8859-1",
        "us-ascii",   "ascii",     "cp819",  "ibm819", NULL};
    size_t i;

    for (i = 0; as_1252[i]; i++)
        if (strcasecmp(label, as_1252[i]) == 0)
            return "WINDOWS-1252";
    return label;
}

int opine__conv_open(struct opine__conv **out, const char *name)
{
    struct opine__conv *c;

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return OPINE_ENOMEM;
    c->cd = iconv_open("UTF-8", name);
    if (c->cd == (iconv_t)-1) {
        int e = errno;
        free(c);
        return e == ENOMEM ? OPINE_ENOMEM : OPINE_EUSAGE;
    }
    c->unit = strncasecmp(name, "UTF-16", 6) == 0 ||
                      strncasecmp(name, "UCS-2", 5) == 0
                  ? 2
              : strncasecmp(name, "UTF-32", 6) == 0 ||
                      strncasecmp(name, "UCS-4", 5) == 0
                  ? 4
                  : 1;
    *out = c;
    return 0;
}

size_t opine__conv_run(struct opine__conv *c, const unsigned char *in,
                       size_t *used, size_t inlen, unsigned char *out,
                       size_t cap, int at_end)
{
    size_t written = 0;

    while (*used < inlen && cap - written > 4) {
        char *ip = (char *)(in + *used), *op = (char *)(out + written);
        size_t il = inlen - *used, ol = cap - written;
        size_t rc = iconv(c->cd, &ip, &il, &op, &ol);
        int e = errno;

        *used = (size_t)((unsigned char *)ip - in);
        written = (size_t)((unsigned char *)op - out);
        if (rc != (size_t)-1)
            continue; /* all done: the loop ends */
        if (e == E2BIG)
            break;
        if (e == EINVAL && !at_end)
            break; /* an incomplete sequence: wait for more bytes */
        /* EILSEQ, or EINVAL at the end: one bad code unit */
        out[written++] = 0xFF;
        *used += c->unit < inlen - *used ? c->unit : inlen - *used;
    }
    if (at_end && *used == inlen && cap - written > 4) {
        /* Let a stateful decoder (ISO-2022) return to its initial state. */
        char *op = (char *)(out + written);
        size_t ol = cap - written;
        iconv(c->cd, NULL, NULL, &op, &ol);
        written = (size_t)((unsigned char *)op - out);
    }
    return written;
}

void opine__conv_free(struct opine__conv *c)
{
    if (!c)
        return;
    iconv_close(c->cd);
    free(c);
}

int opine__conv_buffer(const char *name, const char *buf, size_t len,
                       char **out, size_t *outlen)
{
    struct opine__conv *c;
    size_t cap = len * 4 + 16, used = 0, n;
    int rc;

    *out = NULL;
    *outlen = 0;
    rc = opine__conv_open(&c, name);
    if (rc != 0)
        return rc;
    *out = malloc(cap);
    if (!*out) {
        opine__conv_free(c);
        return OPINE_ENOMEM;
    }
    /* Four bytes of UTF-8 per input byte is the most any encoding needs
     * (a single byte becomes at most U+FFFF, three bytes; a marker is
     * one). */
    n = opine__conv_run(c, (const unsigned char *)buf, &used, len,
                        (unsigned char *)*out, cap - 1, 1);
    (*out)[n] = '\0';
    *outlen = n;
    opine__conv_free(c);
    return 0;
}

int opine_encoding_check(const char *name)
{
    struct opine__conv *c;
    int rc;

    if (!name)
        return OPINE_EUSAGE;
    if (opine__is_utf8_name(name))
        return 0;
    rc = opine__conv_open(&c, name);
    opine__conv_free(c);
    return rc;
}
