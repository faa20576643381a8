/* corpus/source.c — reads one input's bytes, inflating gzip as a stream.
 *
 * FORMAT
 *   gzip (RFC 1952): one or more members back to back, each starting with
 *   the magic bytes 1f 8b and ending with a CRC-32 and length trailer that
 *   the inflater checks for us. Between members and after the last one,
 *   zero bytes are tolerated (tape-style padding, as gzip(1) does); any
 *   other trailing byte is damage. Anything that does not start with the
 *   magic bytes is passed through untouched.
 *
 * HOW IT WORKS
 *   One raw buffer of SOURCE_CHUNK bytes is refilled from the descriptor
 *   with read(2); for gzip, ISA-L's isal_inflate() (Debian libisal: on
 *   ABP's 90 MB of gzip 0.29 s against zlib's 0.77 s, the same streaming
 *   interface) writes straight into the caller's buffer. When a member
 *   ends (ISAL_BLOCK_FINISH) and input remains, the state is reset with
 *   isal_inflate_reset() and the next member continues the same byte
 *   stream. Errors are sticky: once the stream is damaged, every later
 *   read repeats the error, but bytes inflated before the damage are handed
 *   out first.
 *
 *   ISA-L is loaded (dlopen) when the first gzip input is opened, not at
 *   every start: Debian ships it as a shared object only, and mapping one
 *   costs every command 12 page faults and 0.24 ms on this VM (a term
 *   lookup takes about 6), where only inputs in gzip use it. Without it
 *   a gzip input fails on its first read, naming the library.
 */
#include "corpus/source.h"
#include "base/error.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>

#define SOURCE_CHUNK ((size_t)256 * 1024)

/* Debian 12's libisal2 (the soname libisal-dev's libisal.so points at) */
#define ISAL_SONAME "libisal.so.2"

/* ISA-L's inflater, once loaded; inflate is NULL when it could not be,
 * and error then says why. */
static struct {
    void (*inflate_init)(struct inflate_state *);
    void (*inflate_reset)(struct inflate_state *);
    int (*inflate)(struct inflate_state *);
    char error[200];
} isal;
static pthread_once_t isal_once = PTHREAD_ONCE_INIT;

/* A function of h by name (POSIX: a function's address fits a void *). */
static void isal_sym(void *h, const char *name, void *fn)
{
    void *p = dlsym(h, name);
    memcpy(fn, &p, sizeof p);
}

static void isal_load(void)
{
    void *h = dlopen(ISAL_SONAME, RTLD_NOW | RTLD_LOCAL);
    const char *why = NULL;
    if (h == NULL && (why = dlerror()) == NULL)
        why = "it cannot be loaded";
    if (h) {
        isal_sym(h, "isal_inflate_init", &isal.inflate_init);
        isal_sym(h, "isal_inflate_reset", &isal.inflate_reset);
        isal_sym(h, "isal_inflate", &isal.inflate);
        if (!isal.inflate_init || !isal.inflate_reset || !isal.inflate) {
            isal.inflate = NULL;
            why = "its inflater is missing";
        }
    }
    if (why)
        snprintf(isal.error, sizeof isal.error,
                 "gzip needs ISA-L (" ISAL_SONAME ", Debian libisal2): %s",
                 why);
}

struct opine__source {
    int fd;
    opine__pull_fn pull; /* when not NULL, raw bytes come from here */
    void *pull_ctx;
    int seekable;   /* a plain regular file: opine__source_seek() */
    int64_t offset; /* file offset just past the buffered bytes */
    int gzip;
    int in_member; /* a gzip member has started and not yet ended */
    int eof;       /* read(2) returned 0 */
    int failed;    /* sticky error code, 0 while healthy */
    const char *detail;
    char detail_buf[160];
    struct inflate_state *zs; /* gzip only */
    unsigned char *in;
    size_t in_pos, in_len;
    uint64_t raw;
};

static int source_fail(opine__source *s, int rc, const char *detail)
{
    s->failed = rc;
    s->detail = detail;
    return rc;
}

/* Keep the unread raw bytes, move them to the front and read more after
 * them. Sets eof when the descriptor has no more. */
static int source_refill(opine__source *s)
{
    size_t keep = s->in_len - s->in_pos;
    ssize_t got;

    if (keep > 0 && s->in_pos > 0)
        memmove(s->in, s->in + s->in_pos, keep);
    s->in_pos = 0;
    s->in_len = keep;
    if (s->in_len == SOURCE_CHUNK || s->eof)
        return 0;
    if (s->pull) {
        const char *detail = NULL;
        size_t n = 0;
        int rc = s->pull(s->pull_ctx, s->in + s->in_len,
                         SOURCE_CHUNK - s->in_len, &n, &detail);
        if (rc != 0)
            return source_fail(s, rc, detail ? detail : "read error");
        got = (ssize_t)n;
    } else {
        do {
            got = read(s->fd, s->in + s->in_len, SOURCE_CHUNK - s->in_len);
        } while (got < 0 && errno == EINTR);
        if (got < 0)
            return source_fail(s, OPINE_EIO, "read error");
    }
    if (got == 0)
        s->eof = 1;
    s->in_len += (size_t)got;
    s->raw += (uint64_t)got;
    s->offset += got;
    return 0;
}

/* Peek at the first bytes of a new source s and set up inflation when
 * they are gzip's. Closes s on failure. */
static int source_start(opine__source **out, opine__source *s,
                        const char **detail)
{
    int rc = 0;

    s->in = malloc(SOURCE_CHUNK);
    if (!s->in) {
        opine__source_close(s);
        return OPINE_ENOMEM;
    }
    /* A pipe may deliver a single byte first: read until the two magic
     * bytes can be seen or the input ends. */
    while (rc == 0 && s->in_len < 2 && !s->eof)
        rc = source_refill(s);
    if (rc != 0) {
        int saved = errno;
        if (detail)
            *detail = s->detail;
        opine__source_close(s);
        errno = saved;
        return rc;
    }
    if (s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b) {
        s->gzip = 1;
        if ((s->zs = malloc(sizeof *s->zs)) == NULL) {
            opine__source_close(s);
            return OPINE_ENOMEM;
        }
        pthread_once(&isal_once, isal_load);
        if (isal.inflate) {
            isal.inflate_init(s->zs);
            s->zs->crc_flag = ISAL_GZIP;
        } else {
            source_fail(s, OPINE_EIO, isal.error);
        }
    }
    *out = s;
    return 0;
}

int opine__source_open(opine__source **out, int fd)
{
    struct stat st;
    opine__source *s;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s) {
        if (fd > 0)
            close(fd);
        return OPINE_ENOMEM;
    }
    s->fd = fd;
    s->seekable = fd > 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                  lseek(fd, 0, SEEK_CUR) == 0;
    return source_start(out, s, NULL);
}

int opine__source_open_pull(opine__source **out, opine__pull_fn fn, void *ctx,
                            const char **detail)
{
    opine__source *s;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (!s)
        return OPINE_ENOMEM;
    s->fd = -1;
    s->pull = fn;
    s->pull_ctx = ctx;
    return source_start(out, s, detail);
}

int opine__source_can_seek(const opine__source *s)
{
    return s->seekable && !s->gzip && !s->failed;
}

int64_t opine__source_seek(opine__source *s, int64_t offset, int whence)
{
    int64_t target;
    off_t got;

    if (!opine__source_can_seek(s))
        return -1;
    if (whence == SEEK_CUR)
        target = s->offset - (int64_t)(s->in_len - s->in_pos) + offset;
    else if (whence == SEEK_SET)
        target = offset;
    else
        target = -1;
    got = whence == SEEK_END ? lseek(s->fd, (off_t)offset, SEEK_END)
          : target >= 0      ? lseek(s->fd, (off_t)target, SEEK_SET)
                             : -1;
    if (got < 0)
        return -1;
    s->offset = (int64_t)got;
    s->in_pos = s->in_len = 0;
    s->eof = 0;
    return s->offset;
}

static int source_read_plain(opine__source *s, unsigned char *dst, size_t cap,
                             size_t *n)
{
    size_t avail;

    if (s->in_pos == s->in_len) {
        int rc = source_refill(s);
        if (rc != 0)
            return rc;
    }
    avail = s->in_len - s->in_pos;
    if (avail > cap)
        avail = cap;
    memcpy(dst, s->in + s->in_pos, avail);
    s->in_pos += avail;
    *n = avail;
    return 0;
}

/* Between members: skip zero padding, then expect the next member's magic
 * bytes. Returns 0 with *more set to 0 at a clean end of the input. */
static int source_next_member(opine__source *s, int *more)
{
    int rc;

    *more = 0;
    for (;;) {
        while (s->in_pos < s->in_len && s->in[s->in_pos] == 0)
            s->in_pos++;
        if (s->in_len - s->in_pos < 2 && !s->eof) {
            rc = source_refill(s);
            if (rc != 0)
                return rc;
            continue;
        }
        if (s->in_pos == s->in_len)
            return 0;
        if (s->in_len - s->in_pos < 2 || s->in[s->in_pos] != 0x1f ||
            s->in[s->in_pos + 1] != 0x8b)
            return source_fail(s, OPINE_ECORRUPT,
                               "trailing garbage after gzip data");
        s->in_member = 1;
        *more = 1;
        return 0;
    }
}

/* What isal_inflate()'s error code means, for messages. */
static const char *isal_error(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK:
        return "invalid block";
    case ISAL_INVALID_SYMBOL:
        return "invalid code";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER:
        return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
        return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check";
    case ISAL_NEED_DICT:
        return "needs a preset dictionary";
    default:
        return "bad data";
    }
}

static int source_read_gzip(opine__source *s, unsigned char *dst, size_t cap,
                            size_t *n)
{
    for (;;) {
        size_t produced;
        int zrc, rc;

        if (!s->in_member) {
            int more;
            rc = source_next_member(s, &more);
            if (rc != 0 || !more)
                return rc;
        }
        if (s->in_pos == s->in_len && !s->eof) {
            rc = source_refill(s);
            if (rc != 0)
                return rc;
        }
        struct inflate_state *zs = s->zs;
        zs->next_in = s->in + s->in_pos;
        zs->avail_in = (uint32_t)(s->in_len - s->in_pos);
        zs->next_out = dst;
        zs->avail_out = (uint32_t)cap;
        zrc = isal.inflate(zs);
        produced = cap - zs->avail_out;
        s->in_pos = s->in_len - zs->avail_in;

        if (zrc == ISAL_DECOMP_OK && zs->block_state == ISAL_BLOCK_FINISH) {
            s->in_member = 0;
            isal.inflate_reset(zs);
            zs->crc_flag = ISAL_GZIP;
        } else if (zrc == ISAL_DECOMP_OK) {
            /* No progress with all input used up and none left to read:
             * the member was cut short. */
            if (produced == 0 && s->in_pos == s->in_len && s->eof)
                source_fail(s, OPINE_ECORRUPT, "truncated gzip stream");
        } else {
            snprintf(s->detail_buf, sizeof(s->detail_buf),
                     "corrupt gzip stream (%s)", isal_error(zrc));
            source_fail(s, OPINE_ECORRUPT, s->detail_buf);
        }
        /* Bytes inflated before any damage go out first; a failure set
         * above is sticky and is returned by the next call. */
        if (produced > 0) {
            *n = produced;
            return 0;
        }
        if (s->failed)
            return s->failed;
    }
}

int opine__source_read(opine__source *s, unsigned char *dst, size_t cap,
                       size_t *n)
{
    *n = 0;
    if (s->failed)
        return s->failed;
    if (cap == 0)
        return 0;
    if (cap > SOURCE_CHUNK)
        cap = SOURCE_CHUNK;
    if (s->gzip)
        return source_read_gzip(s, dst, cap, n);
    return source_read_plain(s, dst, cap, n);
}

const char *opine__source_detail(const opine__source *s)
{
    return s->detail ? s->detail : "no error";
}

uint64_t opine__source_raw_bytes(const opine__source *s)
{
    return s->raw;
}

int opine__source_is_gzip(const opine__source *s)
{
    return s->gzip;
}

void opine__source_close(opine__source *s)
{
    if (!s)
        return;
    free(s->zs);
    if (s->fd > 0 && !s->pull)
        close(s->fd);
    free(s->in);
    free(s);
}
