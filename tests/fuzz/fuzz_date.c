/* tests/fuzz/fuzz_date.c — opine_date_normalize() on any string: it
 * either refuses or writes a real calendar date as YYYY-MM-DD. */
#include "fuzz.h"

#include <string.h>

#include "corpus/reader.h"

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw = fuzz_strndup(data, size);
    char out[12];
    memset(out, 'x', sizeof(out));
    if (opine_date_normalize(raw, out) == 0) {
        FUZZ_CHECK(out[10] == '\0' && out[11] == 'x');
        FUZZ_CHECK(digits(out, 4) && out[4] == '-' && digits(out + 5, 2) &&
                   out[7] == '-' && digits(out + 8, 2));
        int y = atoi(out), m = atoi(out + 5), d = atoi(out + 8);
        static const int mdays[12] = {31, 29, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
        FUZZ_CHECK(y >= 1000 && m >= 1 && m <= 12 && d >= 1 &&
                   d <= mdays[m - 1]);
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        FUZZ_CHECK(!(m == 2 && d == 29 && !leap));
        /* What comes out is ISO, and ISO goes through unchanged. */
        char again[11];
        FUZZ_CHECK(opine_date_normalize(out, again) == 0);
        FUZZ_CHECK(memcmp(out, again, 11) == 0);
    }
    free(raw);
    return 0;
}
