/* tests/fuzz/fuzz_reader.c — the whole corpus reader (corpus/reader.c over
 * source.c and jsonl.c) on any file: gzip or not, JSON lines, text or
 * binary. The first input byte chooses the options (format, a small
 * max_record, overridden fields); the rest is the file. Every document
 * keeps reader.h's promises (doc_check.h), every refusal names the file,
 * the reader ends, and the file given twice yields the same records twice
 * (nothing carries over from one input to the next). */
#include "doc_check.h"
#include "fuzz.h"

#include <string.h>
#include <unistd.h>

#include "base/error.h"

static const opine_meta_map maps[] = {{"headline_copy", "title"}};

/* One record the reader returned: a document or a refusal. */
struct rec {
    int rc;
    uint64_t pos;
    uint64_t hash; /* of the text, or of the message */
};

struct recs {
    struct rec *v;
    size_t n, cap;
};

static uint64_t mix(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void read_all(const char *path, int times, const opine_reader_opts *o,
                     size_t size, struct recs *out)
{
    const char *paths[2] = {path, path};
    opine_reader *r;
    FUZZ_CHECK(opine_reader_open(&r, paths, (size_t)times, o) == 0);
    for (;;) {
        opine_doc doc = OPINE_DOC_INIT;
        struct rec rec;
        rec.rc = opine_reader_next(r, &doc);
        if (rec.rc == 0)
            break;
        if (rec.rc == 1) {
            fuzz_check_doc(&doc);
            FUZZ_CHECK(doc.source != NULL && strcmp(doc.source, path) == 0);
            rec.pos = doc.position;
            rec.hash = mix(doc.text, doc.text_len);
        } else {
            const char *msg = opine_reader_error(r);
            FUZZ_CHECK(rec.rc != OPINE_ENOMEM);
            FUZZ_CHECK(strncmp(msg, path, strlen(path)) == 0);
            FUZZ_CHECK(strcmp(opine_reader_error_source(r), path) == 0);
            FUZZ_CHECK(doc.text == NULL && doc.source == NULL);
            rec.pos = opine_reader_error_position(r);
            rec.hash = mix(msg, strlen(msg));
        }
        opine_doc_release(&doc);
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 16;
            out->v = realloc(out->v, out->cap * sizeof(*out->v));
            FUZZ_CHECK(out->v != NULL);
        }
        out->v[out->n++] = rec;
        /* A record is at least a line: an end is in sight. */
        FUZZ_CHECK(out->n <= (size_t)64 << 20);
    }
    FUZZ_CHECK(opine_reader_bytes_read(r) <= (uint64_t)times * size);
    opine_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned opt = data[0];
    data++;
    size--;

    opine_reader_opts o = {0};
    o.format = (opine_format)(opt % 3);
    if (opt & 4)
        o.max_record = 1 + (opt >> 4) * 8; /* 1 to 121 bytes */
    if (opt & 8) {
        o.text_field = "body";
        o.id_field = "key";
        o.meta = maps;
        o.nmeta = 1;
    }

    char path[64];
    int fd = fuzz_memfile(data, size, path);
    struct recs once = {0}, twice = {0};
    read_all(path, 1, &o, size, &once);
    read_all(path, 2, &o, size, &twice);
    FUZZ_CHECK(twice.n == 2 * once.n);
    for (size_t i = 0; i < twice.n; i++) {
        const struct rec *a = &once.v[i % (once.n ? once.n : 1)];
        const struct rec *b = &twice.v[i];
        FUZZ_CHECK(a->rc == b->rc && a->pos == b->pos && a->hash == b->hash);
    }
    free(once.v);
    free(twice.v);
    close(fd);
    return 0;
}
