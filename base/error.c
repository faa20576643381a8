/* base/error.c — messages for the opine error codes. */
#include "base/error.h"

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
