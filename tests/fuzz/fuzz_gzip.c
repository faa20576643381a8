/* tests/fuzz/fuzz_gzip.c — the byte layer under the reader
 * (corpus/source.c: gzip, multi-member, zero padding; anything else
 * passed through) on any bytes, read twice: in 256 KiB requests and in
 * requests of 1 to 7 bytes. Both must deliver the same bytes and end the
 * same way; data without the gzip magic comes out unchanged. */
#include "fuzz.h"

#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "corpus/source.h"

/* A gzip bomb may inflate a thousandfold: stop comparing there. */
#define OUT_MAX ((size_t)1 << 20)

/* The two outputs, allocated once: a fresh 1 MiB for every input costs
 * more under ASan than the inflating. */
static unsigned char *outs[2];

struct result {
    unsigned char *out;
    size_t len;
    int rc;
    int gzip;
};

static struct result drain(const uint8_t *data, size_t size, int small)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    opine__source *s;
    if (!outs[small])
        outs[small] = malloc(OUT_MAX);
    struct result r = {outs[small], 0, 0, 0};
    FUZZ_CHECK(r.out != NULL);
    FUZZ_CHECK(opine__source_open(&s, fd) == 0);
    r.gzip = opine__source_is_gzip(s);
    for (unsigned step = 0;; step++) {
        size_t want = small ? 1 + step % 7 : (size_t)256 * 1024;
        size_t n = 0;
        if (want > OUT_MAX - r.len)
            want = OUT_MAX - r.len;
        if (want == 0)
            break;
        r.rc = opine__source_read(s, r.out + r.len, want, &n);
        FUZZ_CHECK(n <= want);
        if (r.rc != 0) {
            FUZZ_CHECK(n == 0);
            FUZZ_CHECK(r.rc == OPINE_ECORRUPT);
            FUZZ_CHECK(strlen(opine__source_detail(s)) > 0);
            /* Errors are sticky. */
            FUZZ_CHECK(opine__source_read(s, r.out + r.len, 1, &n) == r.rc &&
                       n == 0);
            break;
        }
        if (n == 0)
            break;
        r.len += n;
    }
    FUZZ_CHECK(opine__source_raw_bytes(s) <= size);
    opine__source_close(s);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct result big = drain(data, size, 0);
    struct result small = drain(data, size, 1);
    FUZZ_CHECK(big.gzip == (size >= 2 && data[0] == 0x1f && data[1] == 0x8b));
    FUZZ_CHECK(big.gzip == small.gzip);
    if (big.len < OUT_MAX && small.len < OUT_MAX) {
        FUZZ_CHECK(big.rc == small.rc);
        FUZZ_CHECK(big.len == small.len);
    }
    size_t common = big.len < small.len ? big.len : small.len;
    FUZZ_CHECK(memcmp(big.out, small.out, common) == 0);
    if (!big.gzip)
        FUZZ_CHECK(big.rc == 0 && big.len == size &&
                   memcmp(big.out, data, size) == 0);
    return 0;
}
