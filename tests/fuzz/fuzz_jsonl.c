/* tests/fuzz/fuzz_jsonl.c — one JSON-lines record (corpus/jsonl.c) from
 * any line the reader would pass on (valid UTF-8, no newline), with the
 * default field rules and with overridden ones: it becomes a document
 * that keeps reader.h's promises (doc_check.h) or is refused with a
 * reason. */
#include "doc_check.h"
#include "fuzz.h"

#include <string.h>

#include "base/error.h"
#include "corpus/internal.h"

/* Two keys from one field, and a key that is also a field's name. */
static const opine_meta_map maps[] = {
    {"headline_copy", "title"}, {"extra", "x"}, {"again", "x"}, {"x", "y"}};
static const opine_reader_opts custom = {.text_field = "body",
                                         .id_field = "key",
                                         .meta = maps,
                                         .nmeta =
                                             sizeof(maps) / sizeof(maps[0])};

static void one(const char *line, size_t len, const opine_reader_opts *opts)
{
    opine_doc doc = OPINE_DOC_INIT;
    char detail[256] = "";
    int rc = opine__jsonl_doc(line, len, opts, &doc, detail, sizeof(detail));
    if (rc == 1) {
        fuzz_check_doc(&doc);
        FUZZ_CHECK(doc.source == NULL && doc.position == 0);
    } else {
        FUZZ_CHECK(rc == OPINE_EFORMAT || rc == OPINE_EEMPTY);
        FUZZ_CHECK(detail[0] != '\0');
        FUZZ_CHECK(doc.text == NULL && doc.nmeta == 0 && doc.meta == NULL);
    }
    opine_doc_release(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    if (memchr(data, '\n', size) || !fuzz_utf8_valid(line, size))
        return 0;
    /* The reader hands over a NUL-terminated copy. */
    char *copy = fuzz_strndup(data, size);
    one(copy, size, NULL);
    one(copy, size, &custom);
    free(copy);
    return 0;
}
