/* corpus/archive.c — archives and compressed streams through libarchive.
 *
 * FORMAT
 *   Whatever libarchive 3.6 reads among: tar (ustar, pax, GNU), zip, 7z,
 *   cpio, ar, rar, ISO 9660, each optionally wrapped in bzip2, xz, lzma,
 *   lzip, zstd, lz4 or compress; and a lone compressed stream of any of
 *   those (libarchive's "raw" format: one member, the inflated bytes).
 *   gzip never reaches libarchive: source.c inflates it with zlib, which
 *   measured faster (see the README), and an inflated tar comes here as
 *   plain bytes. Filters that run an external program (lrzip, lzop, grzip)
 *   are not enabled: reading a corpus must not start other programs.
 *
 * HOW IT WORKS
 *   libarchive pulls its raw bytes through read_cb() from the source below
 *   (a file or the member of an outer archive). The reader has already
 *   peeked at the first bytes to decide that this is an archive; when the
 *   source can seek (a plain regular file) it is rewound, so that zip reads
 *   its central directory and 7z its header at the end; otherwise the
 *   peeked bytes are handed to libarchive first, then the rest of the
 *   stream (zip then reads entry by entry from the local headers; 7z needs
 *   a seekable file). Member data is pulled in libarchive's own blocks by
 *   opine__archive_pull(), on which the reader builds a source of its own,
 *   so a member is read exactly as a file would be. A zip file whose
 *   member cannot be inflated is read again past that member (resume()):
 *   libarchive gives up on the whole archive there.
 */
#include "corpus/archive.h"
#include "base/error.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARCHIVE_BLOCK ((size_t)256 * 1024)
#define RESUMES 100 /* see resume() */

struct opine__archive {
    struct archive *ar;
    opine__source *below;
    unsigned char *prefix; /* peeked bytes not yet handed to libarchive */
    size_t nprefix;
    int prefix_sent;
    unsigned char *block;        /* raw bytes for libarchive */
    struct archive_entry *first; /* read by open, not yet handed out */
    int stream;                  /* a lone compressed stream */
    int fatal;                   /* ended: damaged, or read to the end */
    int seekable;                /* read through seek_cb (a regular file) */
    uint64_t headers;            /* headers read so far (the first one too) */
    int resumes;                 /* times read again past a damaged member */
    uint64_t unpacked;
    char kind[64];
    char detail[256];
};

int opine__archive_magic(const unsigned char *s, size_t n)
{
    static const struct {
        const char *bytes;
        size_t len;
    } magic[] = {
        {"\xFD"
         "7zXZ\x00",
         6},                       /* xz */
        {"BZh", 3},                /* bzip2 (then a digit) */
        {"\x28\xB5\x2F\xFD", 4},   /* zstd */
        {"\x04\x22\x4D\x18", 4},   /* lz4 frame */
        {"\x02\x21\x4C\x18", 4},   /* lz4 legacy */
        {"LZIP", 4},               /* lzip */
        {"\x1F\x9D", 2},           /* compress */
        {"PK\x03\x04", 4},         /* zip */
        {"PK\x05\x06", 4},         /* empty zip */
        {"PK\x07\x08", 4},         /* spanned zip */
        {"7z\xBC\xAF\x27\x1C", 6}, /* 7z */
        {"Rar!\x1A\x07", 6},       /* rar */
    };
    size_t i;

    for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
        if (n >= magic[i].len && memcmp(s, magic[i].bytes, magic[i].len) == 0)
            return i != 1 || (n > 3 && s[3] >= '1' && s[3] <= '9');
    return n > 262 && memcmp(s + 257, "ustar", 5) == 0;
}

static la_ssize_t read_cb(struct archive *ar, void *ctx, const void **buf)
{
    opine__archive *a = ctx;
    size_t n = 0;
    int rc;

    if (!a->prefix_sent && a->nprefix > 0) {
        a->prefix_sent = 1;
        *buf = a->prefix;
        return (la_ssize_t)a->nprefix;
    }
    a->prefix_sent = 1;
    rc = opine__source_read(a->below, a->block, ARCHIVE_BLOCK, &n);
    if (rc != 0) {
        archive_set_error(ar, rc == OPINE_ENOMEM ? ENOMEM : EIO, "%s",
                          opine__source_detail(a->below));
        return -1;
    }
    *buf = a->block;
    return (la_ssize_t)n;
}

static la_int64_t seek_cb(struct archive *ar, void *ctx, la_int64_t offset,
                          int whence)
{
    opine__archive *a = ctx;
    int64_t got = opine__source_seek(a->below, offset, whence);

    (void)ar;
    return got < 0 ? ARCHIVE_FATAL : got;
}

static la_int64_t skip_cb(struct archive *ar, void *ctx, la_int64_t request)
{
    opine__archive *a = ctx;
    int64_t here, got;

    (void)ar;
    if (!opine__source_can_seek(a->below) || request <= 0)
        return 0; /* libarchive reads and drops instead */
    here = opine__source_seek(a->below, 0, SEEK_CUR);
    got = here < 0 ? -1 : opine__source_seek(a->below, request, SEEK_CUR);
    return got < 0 ? 0 : got - here;
}

static void set_detail(opine__archive *a, const char *what)
{
    const char *why = archive_error_string(a->ar);

    snprintf(a->detail, sizeof(a->detail), "%s%s%s", what, why ? ": " : "",
             why ? why : "");
}

/* The filters libarchive found, outermost first, as "xz" or "gzip, xz". */
static void describe(opine__archive *a)
{
    char filters[48] = "";
    size_t used = 0;
    int i, nf = archive_filter_count(a->ar);

    for (i = nf - 1; i >= 0; i--) {
        const char *f = archive_filter_name(a->ar, i);
        if (!f || archive_filter_code(a->ar, i) == ARCHIVE_FILTER_NONE)
            continue;
        used += (size_t)snprintf(filters + used, sizeof(filters) - used, "%s%s",
                                 used ? ", " : "", f);
        if (used >= sizeof(filters))
            break;
    }
    if (a->stream)
        snprintf(a->kind, sizeof(a->kind), "%s stream", filters);
    else if (filters[0])
        snprintf(a->kind, sizeof(a->kind), "%s (%s)",
                 archive_format_name(a->ar), filters);
    else
        snprintf(a->kind, sizeof(a->kind), "%s", archive_format_name(a->ar));
}

/* Make a->ar read a->below from where it stands (the start, when it can
 * seek): every filter and format opine reads, through the callbacks
 * above. ARCHIVE_OK, or libarchive's error. */
static int start(opine__archive *a)
{
    if (a->seekable)
        archive_read_set_seek_callback(a->ar, seek_cb);
    archive_read_support_filter_bzip2(a->ar);
    archive_read_support_filter_compress(a->ar);
    archive_read_support_filter_gzip(a->ar);
    archive_read_support_filter_lz4(a->ar);
    archive_read_support_filter_lzip(a->ar);
    archive_read_support_filter_lzma(a->ar);
    archive_read_support_filter_xz(a->ar);
    archive_read_support_filter_zstd(a->ar);
    archive_read_support_format_tar(a->ar);
    archive_read_support_format_gnutar(a->ar);
    archive_read_support_format_zip(a->ar);
    archive_read_support_format_7zip(a->ar);
    archive_read_support_format_cpio(a->ar);
    archive_read_support_format_ar(a->ar);
    archive_read_support_format_rar(a->ar);
    archive_read_support_format_rar5(a->ar);
    archive_read_support_format_iso9660(a->ar);
    archive_read_support_format_raw(a->ar);
    archive_read_set_read_callback(a->ar, read_cb);
    archive_read_set_skip_callback(a->ar, skip_cb);
    archive_read_set_callback_data(a->ar, a);
    return archive_read_open1(a->ar);
}

int opine__archive_open(opine__archive **out, opine__source *below,
                        const unsigned char *prefix, size_t nprefix,
                        const char **detail)
{
    struct archive_entry *entry;
    opine__archive *a;
    int rc;

    *out = NULL;
    *detail = "out of memory";
    a = calloc(1, sizeof(*a));
    if (!a)
        return OPINE_ENOMEM;
    a->below = below;
    a->block = malloc(ARCHIVE_BLOCK);
    a->ar = archive_read_new();
    if (!a->block || !a->ar)
        goto nomem;
    if (opine__source_can_seek(below) &&
        opine__source_seek(below, 0, SEEK_SET) == 0) {
        a->seekable = 1;
    } else if (nprefix > 0) {
        a->prefix = malloc(nprefix);
        if (!a->prefix)
            goto nomem;
        memcpy(a->prefix, prefix, nprefix);
        a->nprefix = nprefix;
    }
    if (start(a) != ARCHIVE_OK) {
        set_detail(a, "cannot read the archive");
        rc = OPINE_ECORRUPT;
        goto fail;
    }
    /* The format is known only once the first header is read: a raw read
     * with no filter means libarchive knows nothing of these bytes. */
    rc = archive_read_next_header(a->ar, &entry);
    if (rc == ARCHIVE_EOF) {
        a->fatal = 1; /* an empty archive: nothing to read */
    } else if (rc < ARCHIVE_WARN) {
        set_detail(a, "cannot read the archive");
        rc = archive_errno(a->ar) == ENOMEM ? OPINE_ENOMEM : OPINE_ECORRUPT;
        goto fail;
    } else {
        a->first = entry; /* opine__archive_next() hands it out first */
        a->headers = 1;
    }
    if (archive_format(a->ar) == ARCHIVE_FORMAT_RAW) {
        if (archive_filter_count(a->ar) < 2 ||
            archive_filter_code(a->ar, 0) == ARCHIVE_FILTER_NONE) {
            snprintf(a->detail, sizeof(a->detail),
                     "not an archive or compressed stream opine reads");
            rc = OPINE_EBINARY;
            goto fail;
        }
        a->stream = 1;
    }
    describe(a);
    *out = a;
    return 0;
nomem:
    rc = OPINE_ENOMEM;
    snprintf(a->detail, sizeof(a->detail), "out of memory");
fail:
    /* The caller gets the detail in a static buffer of its own: the
     * archive is gone. */
    {
        static _Thread_local char saved[256];
        snprintf(saved, sizeof(saved), "%s", a->detail);
        *detail = saved;
    }
    opine__archive_close(a);
    return rc;
}

static int skipped_name(const char *name)
{
    const char *p = name;

    if (strncmp(name, "__MACOSX/", 9) == 0)
        return 1;
    while (*p) {
        while (*p == '/')
            p++;
        if (*p == '.' && !(p[1] == '/' || (p[1] == '.' && p[2] == '/')))
            return 1; /* a dot-name; "./" and "../" are path steps */
        p = strchr(p, '/');
        if (!p)
            break;
    }
    return 0;
}

int opine__archive_next(opine__archive *a, const char **name)
{
    struct archive_entry *entry;
    int rc;

    for (;;) {
        if (a->fatal)
            return 0;
        if (a->first) {
            /* The entry opine__archive_open() read: take it now. */
            entry = a->first;
            a->first = NULL;
        } else {
            rc = archive_read_next_header(a->ar, &entry);
            if (rc == ARCHIVE_EOF) {
                a->fatal = 1;
                return 0;
            }
            if (rc < ARCHIVE_WARN) {
                a->fatal = 1;
                set_detail(a, "damaged archive");
                return archive_errno(a->ar) == ENOMEM ? OPINE_ENOMEM
                                                      : OPINE_ECORRUPT;
            }
            a->headers++;
        }
        if (a->stream) {
            *name = "";
            return 1;
        }
        if (archive_entry_filetype(entry) != AE_IFREG)
            continue;
        *name = archive_entry_pathname(entry);
        if (!*name || !**name || skipped_name(*name))
            continue;
        return 1;
    }
}

/* After a member's data failed for good (its deflate stream broken, say):
 * a zip file can still give the members after it, found through its
 * central directory. Read it again from the start and past the headers
 * already handed out, so that opine__archive_next() goes on with the next
 * member. 1 when that worked. Other formats keep no such index (a tar's
 * next header is found only by reading the data before it) and end. Each
 * time reads every header before the member again, so a zip damaged in
 * many members is read again at most RESUMES times, then ends, as any
 * archive does. */
static int resume(opine__archive *a)
{
    struct archive_entry *entry;
    uint64_t i;

    if (!a->seekable || a->stream || a->resumes >= RESUMES ||
        (archive_format(a->ar) & ARCHIVE_FORMAT_BASE_MASK) !=
            ARCHIVE_FORMAT_ZIP)
        return 0;
    a->resumes++;
    archive_read_free(a->ar);
    a->ar = archive_read_new();
    if (!a->ar || opine__source_seek(a->below, 0, SEEK_SET) != 0 ||
        start(a) != ARCHIVE_OK)
        return 0;
    for (i = 0; i < a->headers; i++)
        if (archive_read_next_header(a->ar, &entry) < ARCHIVE_WARN)
            return 0;
    return 1;
}

int opine__archive_pull(void *ctx, unsigned char *dst, size_t cap, size_t *n,
                        const char **detail)
{
    opine__archive *a = ctx;
    la_ssize_t got;

    *n = 0;
    got = archive_read_data(a->ar, dst, cap);
    if (got < 0) {
        /* ARCHIVE_WARN or RETRY: this member is bad (a CRC mismatch), the
         * next header may still be read; FATAL ends the archive, but for a
         * zip file, whose central directory says where every member
         * starts, reading resumes after this member (resume()). */
        set_detail(a, "damaged member");
        if (got < ARCHIVE_WARN && !resume(a))
            a->fatal = 1;
        *detail = a->detail;
        return archive_errno(a->ar) == ENOMEM ? OPINE_ENOMEM : OPINE_ECORRUPT;
    }
    *n = (size_t)got;
    a->unpacked += (uint64_t)got;
    return 0;
}

int opine__archive_is_stream(const opine__archive *a)
{
    return a->stream;
}

int opine__archive_fatal(const opine__archive *a)
{
    return a->fatal;
}

const char *opine__archive_kind(const opine__archive *a)
{
    return a->kind;
}

const char *opine__archive_detail(const opine__archive *a)
{
    return a->detail[0] ? a->detail : "no error";
}

uint64_t opine__archive_unpacked(const opine__archive *a)
{
    return a->unpacked;
}

void opine__archive_close(opine__archive *a)
{
    if (!a)
        return;
    if (a->ar)
        archive_read_free(a->ar);
    free(a->prefix);
    free(a->block);
    free(a);
}
