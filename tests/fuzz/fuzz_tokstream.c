/* tests/fuzz/fuzz_tokstream.c — opine_tokstream_decode() on any bytes,
 * any format. A stream it accepts holds tokens that do not overlap,
 * with dense sentence numbers from 0, and encodes (format 3) and decodes
 * again to the same tokens, quote flags included; opine_tokstream_types()
 * and _types_sentences() read the same types and sentences from it (and
 * any bytes without a fault). */
#include "fuzz.h"

#include <string.h>

#include "base/error.h"
#include "pipeline/tokstream.h"

static void check_tokens(const opine_stream_token *v, size_t n)
{
    uint64_t end = 0;
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(v[i].start >= end);
        end = (uint64_t)v[i].start + v[i].len;
        FUZZ_CHECK(end <= UINT32_MAX);
        if (i == 0)
            FUZZ_CHECK(v[i].sentence == 0);
        else
            FUZZ_CHECK(v[i].sentence == v[i - 1].sentence ||
                       v[i].sentence == v[i - 1].sentence + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    opine_stream_token *v = NULL;
    size_t n = 99;
    int rc = opine_tokstream_decode(data, size, &v, &n);
    FUZZ_CHECK(rc == 0 || rc == OPINE_ECORRUPT);
    uint32_t *ty = NULL;
    size_t tcap = 0, nty = 0;
    int trc = opine_tokstream_types(data, size, &ty, &tcap, &nty);
    FUZZ_CHECK(trc == 0 || trc == OPINE_ECORRUPT);
    uint32_t *ts = NULL;
    size_t scap = 0, nts = 0;
    int src = opine_tokstream_types_sentences(data, size, &ts, &scap, &nts);
    FUZZ_CHECK(src == trc);
    if (rc == 0) {
        FUZZ_CHECK(trc == 0 && nty == n && nts == n);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(ty[i] == v[i].type && ts[i] == v[i].type &&
                       ts[n + i] == v[i].sentence);
    }
    free(ty);
    free(ts);
    if (rc != 0) {
        FUZZ_CHECK(v == NULL && n == 0);
        return 0;
    }
    FUZZ_CHECK(v != NULL);
    check_tokens(v, n);
    if (size > 0 && (data[0] == 0x02 || data[0] == 0x03))
        FUZZ_CHECK(n <= size / 2);

    /* Round trip through the encoder. */
    opine_tokens toks = OPINE_TOKENS_INIT;
    uint32_t *types = malloc((n ? n : 1) * sizeof(*types));
    toks.v = malloc((n ? n : 1) * sizeof(*toks.v));
    FUZZ_CHECK(types != NULL && toks.v != NULL);
    toks.n = toks.cap = n;
    for (size_t i = 0; i < n; i++) {
        types[i] = v[i].type;
        toks.v[i] = (opine_token){.start = v[i].start,
                                  .len = v[i].len,
                                  .sentence = v[i].sentence,
                                  .kind = v[i].kind,
                                  .quote = v[i].quote};
    }
    unsigned char *blob;
    size_t blob_len;
    FUZZ_CHECK(opine_tokstream_encode(&toks, types, &blob, &blob_len) == 0);
    opine_stream_token *w;
    size_t m;
    FUZZ_CHECK(opine_tokstream_decode(blob, blob_len, &w, &m) == 0);
    FUZZ_CHECK(m == n);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(w[i].type == v[i].type && w[i].start == v[i].start &&
                   w[i].len == v[i].len && w[i].sentence == v[i].sentence &&
                   w[i].kind == v[i].kind && w[i].quote == v[i].quote);
    free(w);
    free(blob);
    free(types);
    opine_tokens_release(&toks);
    free(v);
    return 0;
}
