/* base/error.c — messages for the opine error codes. */
#include "base/error.h"

#include <stdio.h>
#include <stdlib.h>

const char *opine_strerror(int err)
{
    switch (err) {
    case OPINE_OK:
        return "success";
#define OPINE__ERRNO_CASE(name, code, msg)                                     \
    case OPINE_##name:                                                         \
        return msg;
        OPINE_ERRNO_MAP(OPINE__ERRNO_CASE)
#undef OPINE__ERRNO_CASE
    }
    return "unknown error";
}

char *opine__vformat(const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, again);
    va_end(again);
    return s;
}

char *opine__format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = opine__vformat(fmt, ap);
    va_end(ap);
    return s;
}
