/* tests/hide_isal.c — preloaded by e2e_pipeline (LD_PRELOAD) so that opine
 * cannot load ISA-L, as on a machine without Debian's libisal2: a dlopen()
 * of libisal fails, as a missing library's does; any other loads. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

void *dlopen(const char *file, int mode)
{
    static void *(*real)(const char *, int);
    if (file && strstr(file, "libisal"))
        return NULL;
    if (real == NULL) {
        void *p = dlsym(RTLD_NEXT, "dlopen");
        memcpy(&real, &p, sizeof p);
    }
    return real(file, mode);
}
