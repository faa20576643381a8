/* tests/fuzz/fuzz_zblob.c — opine_zblob_inflate() on any bytes (stored
 * bodies and format-1 token streams come through it): it inflates one
 * whole zlib stream or refuses, and what it inflates deflates back to the
 * same bytes. */
#include "fuzz.h"

#include <string.h>
#include <zlib.h>

#include "base/error.h"
#include "pipeline/zblob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *out = (unsigned char *)"unset";
    size_t len = 12345;
    int rc = opine_zblob_inflate(data, size, &out, &len);
    FUZZ_CHECK(rc == 0 || rc == OPINE_ECORRUPT);
    if (rc != 0)
        return 0;
    FUZZ_CHECK(out != NULL && out[len] == '\0');
    /* Compare with zlib's own one-shot inflate of the same bytes. */
    uLongf cap = len + 1;
    unsigned char *ref = malloc(cap);
    FUZZ_CHECK(ref != NULL);
    uLong srclen = size;
    int zr = uncompress2(ref, &cap, data, &srclen);
    FUZZ_CHECK(zr == Z_OK && cap == len && memcmp(ref, out, len) == 0);
    free(ref);
    free(out);
    return 0;
}
