/* tests/fuzz/reader_check.c — see reader_check.h. */
#include "reader_check.h"
#include "doc_check.h"
#include "fuzz.h"

#include <string.h>

#include "base/error.h"

uint64_t fuzz_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

void fuzz_override_fields(opine_reader_opts *o)
{
    static const opine_meta_map maps[] = {{"headline_copy", "title"},
                                          {"m", "x"}};
    o->text_field = "body";
    o->id_field = "key";
    o->meta = maps;
    o->nmeta = 2;
}

/* s is path, or path ':' member (a member of the archive path). */
static int names_file(const char *s, const char *path)
{
    size_t n = strlen(path);
    return strncmp(s, path, n) == 0 && (s[n] == '\0' || s[n] == ':');
}

void fuzz_read_all(const char *path, int times, const opine_reader_opts *o,
                   size_t size, struct fuzz_recs *out)
{
    const char *paths[2] = {path, path};
    opine_reader *r;
    FUZZ_CHECK(times >= 1 && times <= 2);
    FUZZ_CHECK(opine_reader_open(&r, paths, (size_t)times, o) == 0);
    for (;;) {
        opine_doc doc = OPINE_DOC_INIT;
        struct fuzz_rec rec;
        rec.rc = opine_reader_next(r, &doc);
        if (rec.rc == 0)
            break;
        if (rec.rc == 1) {
            fuzz_check_doc(&doc);
            FUZZ_CHECK(doc.source != NULL && names_file(doc.source, path));
            rec.pos = doc.position;
            rec.hash = fuzz_hash(FUZZ_HASH0, doc.text, doc.text_len);
            rec.hash = fuzz_hash(rec.hash, doc.source, strlen(doc.source));
            if (doc.ext_id)
                rec.hash = fuzz_hash(rec.hash, doc.ext_id, strlen(doc.ext_id));
        } else {
            const char *msg = opine_reader_error(r);
            FUZZ_CHECK(rec.rc != OPINE_ENOMEM);
            FUZZ_CHECK(names_file(msg, path));
            FUZZ_CHECK(names_file(opine_reader_error_source(r), path));
            /* one line, valid text */
            FUZZ_CHECK(strchr(msg, '\n') == NULL);
            FUZZ_CHECK(fuzz_utf8_valid(msg, strlen(msg)));
            FUZZ_CHECK(doc.text == NULL && doc.source == NULL);
            rec.pos = opine_reader_error_position(r);
            rec.hash = fuzz_hash(FUZZ_HASH0, msg, strlen(msg));
        }
        opine_doc_release(&doc);
        if (out->n == out->cap) {
            out->cap = out->cap ? 2 * out->cap : 16;
            out->v = realloc(out->v, out->cap * sizeof(*out->v));
            FUZZ_CHECK(out->v != NULL);
        }
        out->v[out->n++] = rec;
        /* A record is at least a byte of the input, or of what it
         * unpacks to (bounded by the bomb guard): an end is in sight. */
        FUZZ_CHECK(out->n <= (size_t)64 << 20);
    }
    FUZZ_CHECK(opine_reader_bytes_read(r) <= (uint64_t)times * size);
    opine_reader_get_counts(r, &out->counts);
    opine_reader_free(r);
}

void fuzz_read_twice(const char *path, const opine_reader_opts *o, size_t size,
                     struct fuzz_recs *once)
{
    struct fuzz_recs twice = {0};
    fuzz_read_all(path, 1, o, size, once);
    fuzz_read_all(path, 2, o, size, &twice);
    FUZZ_CHECK(twice.n == 2 * once->n);
    for (size_t i = 0; i < twice.n; i++) {
        const struct fuzz_rec *a = &once->v[i % (once->n ? once->n : 1)];
        const struct fuzz_rec *b = &twice.v[i];
        FUZZ_CHECK(a->rc == b->rc && a->pos == b->pos && a->hash == b->hash);
    }
    FUZZ_CHECK(twice.counts.members == 2 * once->counts.members);
    FUZZ_CHECK(twice.counts.utf8_repairs == 2 * once->counts.utf8_repairs);
    FUZZ_CHECK(twice.counts.repaired_records ==
               2 * once->counts.repaired_records);
    FUZZ_CHECK(twice.counts.skipped_records ==
               2 * once->counts.skipped_records);
    free(twice.v);
}
