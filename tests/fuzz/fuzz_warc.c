/* tests/fuzz/fuzz_warc.c — the WARC reader (corpus/warc.c: record
 * framing, HTTP responses, chunked transfer coding, charsets, the HTML
 * extractor behind it) through the whole reader, on any file. The first
 * input byte chooses the options (--format warc or auto, --encoding, a
 * small max_record, --invalid-utf8 reject, whether the file is
 * gzip-compressed by the harness); the rest is the file. Besides the
 * reader's promises (reader_check.h), records come in order (under
 * --format warc): each
 * document's position (its record number) is later than the one before,
 * and no refusal names an earlier record than a document already
 * given. */
#include "fuzz.h"
#include "reader_check.h"

#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* data gzip-compressed (one member), malloc'd into *out. */
static size_t gzip(const uint8_t *data, size_t size, unsigned char **out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    FUZZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) ==
               Z_OK);
    size_t cap = deflateBound(&z, (uLong)size);
    *out = malloc(cap ? cap : 1);
    FUZZ_CHECK(*out != NULL);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    z.next_out = *out;
    z.avail_out = (uInt)cap;
    FUZZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    size_t n = z.total_out;
    deflateEnd(&z);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned opt = data[0];
    data++;
    size--;

    opine_reader_opts o = {0};
    o.format = opt & 1 ? OPINE_FORMAT_AUTO : OPINE_FORMAT_WARC;
    if (opt & 2)
        o.encoding = "windows-1252";
    if (opt & 4)
        o.max_record = 96;
    if (opt & 8)
        o.invalid_utf8 = OPINE_INVALID_REJECT;

    unsigned char *z = NULL;
    if (opt & 16)
        size = gzip(data, size, &z), data = z;
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    struct fuzz_recs once = {0};
    fuzz_read_twice(path, &o, size, &once);
    uint64_t last = 0;
    /* (auto may find an archive, whose members count records anew) */
    for (size_t i = 0; i < once.n && o.format == OPINE_FORMAT_WARC; i++) {
        if (once.v[i].rc == 1 && once.v[i].pos > 0) {
            FUZZ_CHECK(once.v[i].pos > last);
            last = once.v[i].pos;
        } else if (once.v[i].rc != 1 && once.v[i].pos > 0) {
            FUZZ_CHECK(once.v[i].pos > last);
        }
    }
    free(once.v);
    free(z);
    close(fd);
    return 0;
}
