/* pipeline/mem.h — growing arrays, the one way opine does it. */
#ifndef OPINE_PIPELINE_MEM_H
#define OPINE_PIPELINE_MEM_H

#include <stddef.h>

/* Make the array *p of *cap elements of `size` bytes hold at least `need`,
 * doubling (from 64) so appends stay amortised O(1); new elements are
 * zeroed. Returns 0 or OPINE_ENOMEM (then *p and *cap are unchanged). */
int opine__grow(void **p, size_t *cap, size_t need, size_t size);

#endif
