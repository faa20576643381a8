/* base/stop.h — the flag that asks long work to stop (Ctrl-C, a closed
 * terminal), set by a signal handler on one thread and read by others.
 *
 * Both sides go through atomics (relaxed: nothing else is published
 * through the flag), which C11 defines across threads where a plain
 * volatile int is a data race, and which ThreadSanitizer then does not
 * report (make test's TSan pass once failed a SIGHUP test with its exit
 * code 66). Lock-free atomic loads and stores are safe in a signal
 * handler.
 */
#ifndef OPINE_BASE_STOP_H
#define OPINE_BASE_STOP_H

/* Whether flag (when there is one) asks to stop. */
static inline int opine__stop_requested(const volatile int *flag)
{
    return flag && __atomic_load_n(flag, __ATOMIC_RELAXED);
}

/* Ask to stop (from a signal handler too). */
static inline void opine__stop_set(volatile int *flag)
{
    __atomic_store_n(flag, 1, __ATOMIC_RELAXED);
}

#endif
