/* tests/fuzz/doc_check.c — see doc_check.h. */
#include "doc_check.h"
#include "fuzz.h"

#include <string.h>

static void check_str(const char *s)
{
    if (s)
        FUZZ_CHECK(fuzz_utf8_valid(s, strlen(s)));
}

void fuzz_check_doc(const opine_doc *doc)
{
    FUZZ_CHECK(doc->text != NULL && doc->text[doc->text_len] == '\0');
    FUZZ_CHECK(strlen(doc->text) == doc->text_len);
    FUZZ_CHECK(fuzz_utf8_valid(doc->text, doc->text_len));
    size_t i = 0;
    while (i < doc->text_len && strchr(" \t\r\n\f\v", doc->text[i]))
        i++;
    FUZZ_CHECK(i < doc->text_len);
    check_str(doc->ext_id);
    check_str(doc->title);
    check_str(doc->author);
    check_str(doc->outlet);
    check_str(doc->url);
    if (doc->published) {
        char again[11];
        FUZZ_CHECK(strlen(doc->published) == 10);
        FUZZ_CHECK(opine_date_normalize(doc->published, again) == 0 &&
                   strcmp(again, doc->published) == 0);
    }
    FUZZ_CHECK(doc->nmeta == 0 || doc->meta != NULL);
    for (i = 0; i < doc->nmeta; i++) {
        FUZZ_CHECK(doc->meta[i].key && doc->meta[i].value);
        check_str(doc->meta[i].key);
        check_str(doc->meta[i].value);
        /* doc_meta's key is (doc, key): a second entry would replace the
         * first, and which one survived would depend on field order */
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(doc->meta[i].key, doc->meta[j].key) != 0);
    }
}
