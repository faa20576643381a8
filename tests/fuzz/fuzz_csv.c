/* tests/fuzz/fuzz_csv.c — the CSV and TSV reader (corpus/csv.c over
 * libcsv, through the whole reader) on any file. The first input byte
 * chooses the options: --format csv, tsv or auto (where the sniff decides
 * whether the file is CSV at all), the delimiter, a small max_record,
 * overridden fields and --invalid-utf8 reject; the rest is the file.
 * Besides the reader's promises (reader_check.h: documents valid, refusals
 * naming the file, the file given twice read the same twice), the rows
 * come in order: each document starts on a later line than the one
 * before. */
#include "fuzz.h"
#include "reader_check.h"

#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const opine_format formats[] = {OPINE_FORMAT_CSV, OPINE_FORMAT_TSV,
                                           OPINE_FORMAT_AUTO, OPINE_FORMAT_CSV};
    static const char delims[] = {0, ',', ';', '|'};
    if (size == 0)
        return 0;
    unsigned opt = data[0];
    data++;
    size--;

    opine_reader_opts o = {0};
    o.format = formats[opt & 3];
    o.delimiter = delims[(opt >> 2) & 3];
    if (opt & 16)
        o.max_record = 48;
    if (opt & 32)
        fuzz_override_fields(&o);
    if (opt & 64)
        o.invalid_utf8 = OPINE_INVALID_REJECT;
    if (opt & 128)
        o.encoding = "windows-1252";

    char path[64];
    int fd = fuzz_memfile(data, size, path);
    struct fuzz_recs once = {0};
    fuzz_read_twice(path, &o, size, &once);
    uint64_t last = 0;
    for (size_t i = 0; i < once.n; i++) {
        /* (auto may find an archive, whose members count lines anew) */
        if (once.v[i].rc != 1 || o.format == OPINE_FORMAT_AUTO)
            continue;
        FUZZ_CHECK(once.v[i].pos > last);
        last = once.v[i].pos;
    }
    free(once.v);
    close(fd);
    return 0;
}
