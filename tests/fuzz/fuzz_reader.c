/* tests/fuzz/fuzz_reader.c — the whole corpus reader (corpus/reader.c,
 * records.c over source.c, archives, encodings, JSON lines, CSV, HTML,
 * WARC, text) on any file, every format detected or forced. The first
 * input byte chooses the options (format, a small max_record, overridden
 * fields, --invalid-utf8 reject, --encoding windows-1252, --delimiter ';',
 * a tight bomb guard); the rest is the file. Every document keeps
 * reader.h's promises and every refusal names the file, the reader ends,
 * and the file given twice yields the same records twice
 * (reader_check.h). fuzz_csv, fuzz_warc, fuzz_archive and fuzz_html aim
 * at one format each. */
#include "fuzz.h"
#include "reader_check.h"

#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned opt = data[0];
    data++;
    size--;

    /* format (any), then the option bits */
    opine_reader_opts o = {0};
    o.format = (opine_format)(opt % 7);
    unsigned q = opt / 7;
    if (q & 1)
        o.max_record = 1 + ((q >> 1) & 7) * 16; /* 1 to 113 bytes */
    if (q & 2)
        fuzz_override_fields(&o);
    if (q & 4)
        o.invalid_utf8 = OPINE_INVALID_REJECT;
    if (q & 8)
        o.encoding = "windows-1252";
    if (q & 16)
        o.delimiter = ';';
    if (q & 32)
        o.max_ratio = 2; /* the bomb guard, past OPINE_RATIO_FLOOR */

    char path[64];
    int fd = fuzz_memfile(data, size, path);
    struct fuzz_recs once = {0};
    fuzz_read_twice(path, &o, size, &once);
    free(once.v);
    close(fd);
    return 0;
}
