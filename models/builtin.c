/* models/builtin.c — find a model by what a user types: a file, the
 * default, or NAME[@VERSION] among the models built into the binary
 * (models/default_model.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"
#include "models/default_model.h"
#include "models/model.h"

int opine_model_load_spec(opine_model **out, const char *spec, char **errmsg)
{
    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    struct stat sb;
    if (spec && stat(spec, &sb) == 0)
        return opine_model_load(out, spec, errmsg);
    if (spec == NULL)
        return opine_model_load_buffer(out, opine_default_model,
                                       opine_default_model_len,
                                       opine_default_model_file, errmsg);
    /* NAME or NAME@VERSION among the built-in models: the version asked
     * for, or the newest. */
    const char *at = strchr(spec, '@');
    size_t nlen = at ? (size_t)(at - spec) : strlen(spec);
    int want = at ? atoi(at + 1) : 0;
    const opine__builtin_model *best = NULL;
    char names[512] = "";
    for (const opine__builtin_model *b = opine__builtin_models; b->file; b++) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s%s@%d", used ? ", " : "",
                 b->name, b->version);
        if (strlen(b->name) == nlen && strncmp(b->name, spec, nlen) == 0 &&
            (want ? b->version == want
                  : best == NULL || b->version > best->version))
            best = b;
    }
    if (best)
        return opine_model_load_buffer(out, best->text, best->len, best->file,
                                       errmsg);
    if (errmsg) {
        size_t n = strlen(spec) + strlen(names) + 96;
        if ((*errmsg = malloc(n)) != NULL)
            snprintf(*errmsg, n,
                     "no model file '%s', and no built-in model of that name"
                     " (built in: %s)",
                     spec, names);
    }
    return OPINE_ENOENT;
}
