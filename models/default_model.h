/* models/default_model.h — the shipped model, built into the binary.
 *
 * models/NAME.yaml are compiled in at build time (CMake turns each into a
 * byte array), so `opine run` and `opine score` always have a model
 * without needing to find the source tree; OPINE_DEFAULT_MODEL in
 * CMakeLists.txt says which one scores by default.
 */
#ifndef OPINE_MODELS_DEFAULT_MODEL_H
#define OPINE_MODELS_DEFAULT_MODEL_H

#include <stddef.h>

extern const char *const opine_default_model;
extern const size_t opine_default_model_len;
/* How messages name it: "NAME.yaml (built in)". */
extern const char *const opine_default_model_file;

/* Every shipped model (models/NAME.yaml), by file name without .yaml; the
 * list ends with a NULL name. */
typedef struct opine__builtin_model {
    const char *file;
    const char *name; /* its name: and version: lines */
    int version;
    const char *text;
    size_t len;
} opine__builtin_model;
extern const opine__builtin_model opine__builtin_models[];

#endif
