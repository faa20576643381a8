/* base/sort.h — an in-place sort for arrays of plain values, made for a
 * type by a macro.
 *
 *     #define LESS(a, b) ((a)->key < (b)->key)
 *     OPINE__SORT(sort_entries, entry, LESS)
 *     ...
 *     sort_entries(v, n);
 *
 * WHY: glibc's qsort is a merge sort that copies the whole array into a
 * buffer of its own, which doubles the memory of the large arrays of
 * hashes the end-of-stage passes sort (pipeline/neardup.c,
 * pipeline/boilerplate.c), and calls a comparator through a pointer. This
 * is a quicksort with the middle element as pivot and insertion sort for
 * short runs; the values sorted are hashes, so the middle one is as good
 * a pivot as any, and the recursion goes into the smaller side (depth at
 * most log2 n). Not stable.
 *
 * OPINE__LOWER_BOUND(name, type, less) makes name(v, lo, n, x): the first
 * i in [lo, n) at which !less(&v[i], x) in the array v sorted by less (n
 * when there is none), by halving.
 */
#ifndef OPINE_BASE_SORT_H
#define OPINE_BASE_SORT_H

#include <stddef.h>

#define OPINE__SORT(name, type, less)                                          \
    static void name(type *v, size_t n)                                        \
    {                                                                          \
        while (n > 16) {                                                       \
            type p = v[n / 2];                                                 \
            size_t i = 0, j = n - 1;                                           \
            for (;;) {                                                         \
                while (less(&v[i], &p))                                        \
                    i++;                                                       \
                while (less(&p, &v[j]))                                        \
                    j--;                                                       \
                if (i >= j)                                                    \
                    break;                                                     \
                type t = v[i];                                                 \
                v[i++] = v[j];                                                 \
                v[j--] = t;                                                    \
            }                                                                  \
            if (j + 1 < n - j - 1) {                                           \
                name(v, j + 1);                                                \
                v += j + 1;                                                    \
                n -= j + 1;                                                    \
            } else {                                                           \
                name(v + j + 1, n - j - 1);                                    \
                n = j + 1;                                                     \
            }                                                                  \
        }                                                                      \
        for (size_t i = 1; i < n; i++) {                                       \
            type t = v[i];                                                     \
            size_t k = i;                                                      \
            for (; k > 0 && less(&t, &v[k - 1]); k--)                          \
                v[k] = v[k - 1];                                               \
            v[k] = t;                                                          \
        }                                                                      \
    }

#define OPINE__LOWER_BOUND(name, type, less)                                   \
    static size_t name(const type *v, size_t lo, size_t n, const type *x)      \
    {                                                                          \
        while (lo < n) {                                                       \
            size_t mid = lo + (n - lo) / 2;                                    \
            if (less(&v[mid], x))                                              \
                lo = mid + 1;                                                  \
            else                                                               \
                n = mid;                                                       \
        }                                                                      \
        return lo;                                                             \
    }

#endif
