/* tests/fuzz/fuzz_archive.c — the archive path of the reader (libarchive
 * through corpus/archive.c, each member read by records.c as an input of
 * its own: JSON lines, CSV, text, HTML, a nested archive) on archives the
 * fuzzer shapes two ways, chosen by the first input byte:
 *
 *   - raw: the rest of the input is the file (a damaged tar, zip, 7z,
 *     cpio, xz..., mutated byte by byte from the seeds);
 *   - built: the rest of the input is a list of members, each a name up
 *     to a NUL and a 2-byte little-endian length followed by that many
 *     bytes of content, written into a tar, zip, 7z or cpio archive,
 *     compressed or not, by libarchive itself, so the fuzzer reaches the
 *     members' contents and names past the checksums it could not forge.
 *
 * Every document and refusal keeps the reader's promises (reader_check.h,
 * twice-read equality included: a source is FILE or "FILE:MEMBER").
 * Built archives whose member names are generated ("m0", "m1"...) must
 * show every member (counts.members); whatever the names, no more members
 * may be counted than were written, unless one holds a nested archive. */
#include "fuzz.h"
#include "reader_check.h"

#include "corpus/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <unistd.h>

#define MAX_MEMBERS 8

struct buf {
    unsigned char *p;
    size_t n, cap;
};

static la_ssize_t put(struct archive *a, void *ctx, const void *data, size_t n)
{
    struct buf *b = ctx;
    (void)a;
    if (b->n + n > b->cap) {
        while (b->n + n > b->cap)
            b->cap = b->cap ? 2 * b->cap : 65536;
        b->p = realloc(b->p, b->cap);
        FUZZ_CHECK(b->p != NULL);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    return (la_ssize_t)n;
}

struct member {
    char name[256];
    const uint8_t *data;
    size_t len;
};

/* Split data[0..size) into members. Returns how many. */
static size_t split(const uint8_t *data, size_t size, struct member *m,
                    int gen_names)
{
    size_t k = 0, i = 0;
    while (i < size && k < MAX_MEMBERS) {
        const uint8_t *nul = memchr(data + i, 0, size - i);
        size_t nlen = nul ? (size_t)(nul - (data + i)) : size - i;
        if (gen_names)
            snprintf(m[k].name, sizeof(m[k].name), "m%zu", k);
        else {
            size_t c =
                nlen < sizeof(m[k].name) - 1 ? nlen : sizeof(m[k].name) - 1;
            memcpy(m[k].name, data + i, c);
            m[k].name[c] = '\0';
        }
        i += nlen + (nul != NULL);
        size_t len = 0;
        if (i + 2 <= size) {
            len = (size_t)data[i] | (size_t)data[i + 1] << 8;
            i += 2;
        } else {
            i = size;
        }
        if (len > size - i)
            len = size - i;
        m[k].data = data + i;
        m[k].len = len;
        i += len;
        k++;
    }
    return k;
}

/* Write the members as an archive into *out; returns how many were
 * written (libarchive refuses some names in some formats). */
static size_t build(unsigned mode, const struct member *m, size_t n,
                    struct buf *out)
{
    struct archive *a = archive_write_new();
    size_t written = 0;
    FUZZ_CHECK(a != NULL);
    switch ((mode >> 2) & 3) {
    case 0:
        FUZZ_CHECK(archive_write_set_format_pax_restricted(a) == ARCHIVE_OK);
        break;
    case 1:
        FUZZ_CHECK(archive_write_set_format_zip(a) == ARCHIVE_OK);
        break;
    case 2:
        FUZZ_CHECK(archive_write_set_format_7zip(a) == ARCHIVE_OK);
        break;
    default:
        FUZZ_CHECK(archive_write_set_format_cpio_newc(a) == ARCHIVE_OK);
        break;
    }
    if (((mode >> 2) & 3) != 2) { /* 7z compresses on its own */
        switch ((mode >> 4) & 3) {
        case 1:
            FUZZ_CHECK(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
            break;
        case 2:
            FUZZ_CHECK(archive_write_add_filter_bzip2(a) == ARCHIVE_OK);
            break;
        case 3:
            FUZZ_CHECK(archive_write_add_filter_zstd(a) == ARCHIVE_OK);
            break;
        default:
            break;
        }
    }
    archive_write_set_bytes_in_last_block(a, 1);
    FUZZ_CHECK(archive_write_open(a, out, NULL, put, NULL) == ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        FUZZ_CHECK(e != NULL);
        archive_entry_set_pathname(e, m[i].name);
        archive_entry_set_size(e, (la_int64_t)m[i].len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, 1600000000, 0);
        int rc = archive_write_header(a, e);
        archive_entry_free(e);
        if (rc == ARCHIVE_FATAL)
            break;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
            continue;
        if (m[i].len)
            FUZZ_CHECK(archive_write_data(a, m[i].data, m[i].len) ==
                       (la_ssize_t)m[i].len);
        written++;
    }
    archive_write_close(a);
    archive_write_free(a);
    return written;
}

/* Whether a member's content would be opened as an archive, a compressed
 * stream or gzip (then more members may be counted): what reader.c's
 * content_open() looks for. */
static int nested(const struct member *m)
{
    return m->len >= 2 && ((m->data[0] == 0x1f && m->data[1] == 0x8b) ||
                           opine__archive_magic(m->data, m->len) ||
                           memchr(m->data, 0, m->len) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0];
    data++;
    size--;

    opine_reader_opts o = {0};
    if (mode & 64)
        o.max_record = 64;
    if (mode & 128)
        o.max_ratio = 2;

    struct member m[MAX_MEMBERS];
    struct buf b = {0};
    const uint8_t *file = data;
    size_t fsize = size, n = 0, written = 0;
    int built = (mode & 3) != 0, gen_names = (mode & 3) == 1;
    if (built) {
        n = split(data, size, m, gen_names);
        written = build(mode, m, n, &b);
        file = b.p ? b.p : (const uint8_t *)"";
        fsize = b.n;
    }

    char path[64];
    int fd = fuzz_memfile(file, fsize, path);
    struct fuzz_recs once = {0};
    fuzz_read_twice(path, &o, fsize, &once);
    if (built && written == n) {
        int any_nested = 0;
        for (size_t i = 0; i < n; i++)
            any_nested |= nested(&m[i]);
        if (!any_nested && !(mode & 128))
            FUZZ_CHECK(once.counts.members <= n);
        if (gen_names && !(mode & 128))
            FUZZ_CHECK(once.counts.members >= n);
    }
    free(once.v);
    free(b.p);
    close(fd);
    return 0;
}
