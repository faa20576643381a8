/* pipeline/lock.h — one writer per database: a lock file beside it.
 *
 * Two processes writing one database at once collide: a run keeps the
 * vocabulary in memory and gives out type, stem and document ids itself,
 * so the second of two runs started together used to stop with "database
 * error while adding stems: UNIQUE constraint failed: stems.id". So a
 * database has one writer at a time. Every read-write open of a store
 * (pipeline/store.h) first takes the lock of its database, and holds it
 * until the store is closed; the next writer waits for it or refuses,
 * naming the holder. Readers take nothing: they never wait for a writer
 * here (SQLite's own locks are a different matter, see store.h).
 *
 * The lock is an exclusive flock(2) on the file "DB-opine.lock" beside the
 * database DB. Why flock, and why a file of its own:
 *   - the kernel drops a process's flocks when it ends, however it ends
 *     (exit, crash, SIGKILL), so a killed writer never leaves a stale
 *     lock, and a lock file left behind holds nothing;
 *   - a flock belongs to one open file description, so two stores of one
 *     process exclude each other as two processes do;
 *   - SQLite locks the database file itself with fcntl(2) locks, which a
 *     process loses when it closes any descriptor of that file: opening
 *     the database a second time only to lock it could silently drop
 *     SQLite's own locks. The database file is left to SQLite.
 *
 * The file holds one line naming its holder, for the messages of those who
 * find it taken; each holder rewrites it and empties it when it lets go:
 *
 *     PID STARTED WRITER\n      e.g. "4242 2026-12-04T10:02:03.120Z opine run"
 *
 * A line whose process is gone (a killed holder's) names nobody.
 */
#ifndef OPINE_PIPELINE_LOCK_H
#define OPINE_PIPELINE_LOCK_H

typedef struct opine_lock opine_lock;

typedef struct opine_lock_opts {
    /* How others see this writer, e.g. "opine run"; NULL: "a program
     * using libopine". */
    const char *writer;
    /* Seconds to wait while another holds the lock; 0: refuse at once. */
    double wait;
    /* When set non-zero (a signal handler), waiting stops. May be NULL. */
    volatile int *stop;
    /* Called once when a wait begins, with a message naming the holder
     * and how long it will be waited for. May be NULL. */
    void (*on_wait)(void *ctx, const char *message);
    void *ctx;
} opine_lock_opts;

/* Take the writer lock of the database at db_path (o may be NULL: refuse
 * at once). Returns 0 with *out set; OPINE_EBUSY when another process, or
 * another store of this one, still holds it after o->wait seconds;
 * OPINE_EINTERRUPTED when *o->stop was set while waiting; OPINE_EIO when
 * the lock file cannot be opened. Then *errmsg (when not NULL) gets a
 * malloc'd message for the user, naming the holder.
 * Where the lock file cannot be created (a read-only folder; ":memory:"),
 * *out is NULL and 0 is returned: SQLite cannot write there either (its
 * journal goes beside the database) and says so itself. */
int opine_lock_take(opine_lock **out, const char *db_path,
                    const opine_lock_opts *o, char **errmsg);

/* Let go: empty the line, unlock, close. NULL is fine. */
void opine_lock_release(opine_lock *l);

/* Who holds the lock of the database at db_path, as a malloc'd
 * "'opine run', pid 4242, since 2026-12-04 10:02:03 UTC" the caller frees;
 * NULL when no live process is named (none holds it, its holder has not
 * written its line yet, or is gone). */
char *opine_lock_holder(const char *db_path);

#endif
