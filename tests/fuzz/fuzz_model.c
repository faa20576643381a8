/* tests/fuzz/fuzz_model.c — the model loaders (models/: opine YAML models,
 * plain and trained; quanteda YAML dictionaries; LIWC .dic files, told
 * apart by content) and the compiler after them, on any bytes. A file is
 * refused with a message naming it, or it loads, and then it compiles or
 * is refused in the same way; a compiled model's terms point at its own
 * themes and patterns. */
#include "fuzz.h"

#include <string.h>

#include "base/error.h"
#include "models/model.h"

#define NAME "fuzz.model"

static void check_refusal(int rc, char *msg)
{
    FUZZ_CHECK(rc == OPINE_EFORMAT || rc == OPINE_ELANG);
    FUZZ_CHECK(msg != NULL && strncmp(msg, NAME, strlen(NAME)) == 0);
    free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    opine_model *m = NULL;
    char *msg = NULL;
    int rc = opine_model_load_buffer(&m, (const char *)data, size, NAME, &msg);
    if (rc != 0) {
        FUZZ_CHECK(m == NULL);
        check_refusal(rc, msg);
        return 0;
    }
    FUZZ_CHECK(msg == NULL && m != NULL);
    FUZZ_CHECK(opine_model_version(m) >= 1);
    FUZZ_CHECK(strlen(opine_model_hash(m)) == 32);
    FUZZ_CHECK(memcmp(opine_model_text(m), data, size) == 0);
    size_t nthemes = opine_model_nthemes(m);
    for (size_t i = 0; i < nthemes; i++) {
        const opine_theme_info *t = opine_model_theme(m, i);
        FUZZ_CHECK(t->id && t->label);
        FUZZ_CHECK((t->positive == NULL) == (t->negative == NULL));
    }
    rc = opine_model_compile(m, NULL, &msg);
    if (rc != 0) {
        check_refusal(rc, msg);
        opine_model_free(m);
        return 0;
    }
    size_t npat = opine_model_npatterns(m);
    for (size_t i = 0; i < opine_model_nterms(m); i++) {
        const opine_term *t = opine_model_term(m, i);
        FUZZ_CHECK(t->text && t->weight > 0 && t->npatterns >= 1);
        FUZZ_CHECK(t->role <= OPINE_ROLE_NEGATOR);
        FUZZ_CHECK(t->theme < nthemes ||
                   (t->theme == UINT32_MAX && t->role == OPINE_ROLE_NEGATOR));
        for (uint32_t k = 0; k < t->npatterns; k++)
            FUZZ_CHECK(t->patterns[k] < npat);
        size_t n;
        const uint32_t *starting =
            opine_model_terms_starting(m, t->patterns[0], &n);
        int found = 0;
        for (size_t k = 0; k < n; k++)
            found |= starting[k] == i;
        FUZZ_CHECK(found);
    }
    opine_model_free(m);
    return 0;
}
