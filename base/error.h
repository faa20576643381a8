/* base/error.h — error codes shared by every opine module.
 *
 * 0 is success; failures are negative numbers made, with their messages,
 * from the one list below, so that the enum and opine_strerror() never drift
 * apart. Functions that can fail return one of these; functions that produce
 * an object give it through an out-parameter so "unknown language" and "out
 * of memory" stay distinguishable.
 */
#ifndef OPINE_ERROR_H
#define OPINE_ERROR_H

#define OPINE_ERRNO_MAP(XX)                                                    \
    XX(ENOMEM, -1, "out of memory")                                            \
    XX(EIO, -2, "input/output error")                                          \
    XX(ECORRUPT, -3, "corrupt or truncated data")                              \
    XX(EFORMAT, -4, "malformed record")                                        \
    XX(EUTF8, -5, "invalid UTF-8")                                             \
    XX(ETOOBIG, -6, "record too large")                                        \
    XX(EEMPTY, -7, "empty input")                                              \
    XX(EBINARY, -8, "binary data")                                             \
    XX(ENOENT, -9, "no such file or directory")                                \
    XX(ELANG, -10, "unknown language")                                         \
    XX(EUSAGE, -11, "invalid usage")                                           \
    XX(EDB, -12, "database error")                                             \
    XX(ESCHEMA, -13, "unsupported database schema")                            \
    XX(EINTERRUPTED, -14, "interrupted")                                       \
    XX(EBUSY, -15, "another process is writing the database")

/* api/opine.h, the public header, spells the same enum out under the same
 * guard, so either may come first (test_api checks every message). */
#ifndef OPINE__ERROR_CODES
#define OPINE__ERROR_CODES
typedef enum opine_error {
    OPINE_OK = 0,
#define OPINE__ERRNO_ENUM(name, code, msg) OPINE_##name = code,
    OPINE_ERRNO_MAP(OPINE__ERRNO_ENUM)
#undef OPINE__ERRNO_ENUM
} opine_error;
#endif

/* A malloc'd message formatted as printf formats it, for an errmsg the
 * caller frees; NULL when out of memory. */
#include <stdarg.h>
char *opine__vformat(const char *fmt, va_list ap);
char *opine__format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A static English message for an error code ("unknown error" otherwise). */
const char *opine_strerror(int err);

#endif
