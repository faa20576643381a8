/* tests/fuzz/fuzz.h — what the libFuzzer harnesses share.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput() and nothing else
 * global. It is built twice: with clang's libFuzzer (-DOPINE_FUZZ=ON,
 * `make fuzz`), and with the normal compiler and replay.c's main(), which
 * feeds it every file of tests/fuzz/seeds/<name>/ and
 * tests/fuzz-regressions/<name>/ under ctest (fuzz_<name>).
 *
 * A harness checks the promises of the code it drives, not only that it
 * does not crash: FUZZ_CHECK() aborts with the broken condition, which
 * libFuzzer reports as a crash and saves the input.
 */
#ifndef OPINE_FUZZ_H
#define OPINE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* A NUL-terminated malloc'd copy of data[0..size); aborts when out of
 * memory (a harness has nothing better to do). */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* An anonymous in-memory file holding data[0..size), and its name
 * ("/proc/self/fd/N") in path[64], for code that takes paths. Returns the
 * descriptor, which the caller closes; aborts on failure. */
int fuzz_memfile(const uint8_t *data, size_t size, char path[64]);

/* Whether s[0..len) is valid UTF-8 (the readers' promise to what comes
 * after them). */
int fuzz_utf8_valid(const char *s, size_t len);

#endif
