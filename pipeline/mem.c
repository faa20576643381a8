/* pipeline/mem.c — growing arrays. */
#include "pipeline/mem.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/error.h"

int opine__grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (q == NULL)
        return OPINE_ENOMEM;
    memset((char *)q + *cap * size, 0, (n - *cap) * size);
    *p = q;
    *cap = n;
    return 0;
}
