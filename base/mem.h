/* base/mem.h — growing arrays, the one way opine does it, and copies of
 * counted strings. */
#ifndef OPINE_BASE_MEM_H
#define OPINE_BASE_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Make the array *p of *cap elements of `size` bytes hold at least `need`,
 * doubling (from 64) so appends stay amortised O(1); new elements are
 * zeroed. Returns 0 or OPINE_ENOMEM (then *p and *cap are unchanged). */
int opine__grow(void **p, size_t *cap, size_t need, size_t size);

/* Sort v[0..n-1] ascending; tmp has room for n values. A radix sort: the
 * engine sorts each document's distinct stem ids (hundreds of values),
 * where qsort's comparator calls cost more than the sorting. */
void opine__sort_u32(uint32_t *v, size_t n, uint32_t *tmp);

/* Copy of s[0..n) with a terminating NUL, or NULL when out of memory (n
 * bytes are copied whatever they hold, unlike strndup). */
char *opine__strndup(const char *s, size_t n);

#endif
