/* models/default_model.h — the shipped model, built into the binary.
 *
 * models/us-rok-alliance.yaml is compiled in at build time (CMake turns it
 * into a byte array), so `opine run` and `opine score` always have a model
 * without needing to find the source tree.
 */
#ifndef OPINE_MODELS_DEFAULT_MODEL_H
#define OPINE_MODELS_DEFAULT_MODEL_H

#include <stddef.h>

extern const char *const opine_default_model;
extern const size_t opine_default_model_len;
#define OPINE_DEFAULT_MODEL_NAME "us-rok-alliance.yaml (built in)"

#endif
