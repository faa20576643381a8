/* tests/vfs_fault.c — a SQLite VFS that fails the N-th write, sync or read.
 *
 * Linked into a test build of the command line (opine_iofault, built from
 * the same cli/ sources and libopine as opine), never into opine itself.
 * As SQLite's own I/O-error tests do, it wraps the default VFS and passes
 * every call through, counting writes (xWrite), syncs (xSync) and reads
 * (xRead) over every file of every connection in the process (the
 * database, its journal, its WAL), and fails the one it is told to:
 *
 *     OPINE_IOFAULT=KIND@N[:persist]
 *
 * KIND is `write` (SQLITE_IOERR_WRITE), `sync` (SQLITE_IOERR_FSYNC),
 * `read` (SQLITE_IOERR_READ) or `full` (a write that finds the disk full,
 * SQLITE_FULL, as the default VFS says on ENOSPC). The N-th call of that
 * kind fails; with `:persist`, and always for `full`, every later one
 * too, as on a disk that stays broken or full. KIND `kill` is no error:
 * the process kills itself (SIGKILL) in place of its N-th write, so that
 * a test can stop a run between any two writes, in the middle of a
 * COMMIT included. When the fault first fires, "opine: I/O fault: KIND N
 * of 'FILE'" goes to stderr, so a test can tell that it was reached.
 *
 *     OPINE_IOFAULT_COUNT=FILE
 *
 * writes "writes W syncs S reads R" to FILE when the process exits, so
 * that a test knows how many faults a run can meet.
 *
 *     OPINE_IOFAULT_TRACE=FILE
 *
 * appends a line per call, "SEQ KIND N FILE", to FILE: SEQ numbers every
 * call of any kind, N the calls of its kind, and FILE is the class of file
 * SQLite opened it as (db, journal, wal or temp), so that a test can tell
 * where a fault at N would land (the first write to the WAL, the last to
 * the journal, the write before a sync) and choose its sample with that.
 *
 * Unset, the wrapper is not registered and the program is opine. */
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

enum { K_WRITE, K_SYNC, K_READ, K_FULL, K_KILL, K_NONE };
static const char *const kinds[] = {"write", "sync", "read", "full", "kill"};

static sqlite3_vfs *real_vfs;
static int want = K_NONE; /* the kind that fails */
static long fire_at;      /* the call of that kind that fails first */
static int persist;       /* and every later one */
static atomic_long counts[3];
static atomic_long seq; /* calls of every kind, for the trace */
static atomic_int told;
static const char *count_file;
static int trace_fd = -1;

enum { C_DB, C_JOURNAL, C_WAL, C_TEMP };
static const char *const classes[] = {"db", "journal", "wal", "temp"};

typedef struct {
    sqlite3_file base;
    const char *name; /* SQLite's, valid until xClose */
    int class;        /* C_DB, ..., from the flags it was opened with */
    sqlite3_file *real;
} ffile;

/* One line per call; a single write(2) to a file opened O_APPEND, so
 * that lines from several threads never mix (their order may: SEQ and N
 * say it). */
static void trace(int k, long n, const ffile *f)
{
    char line[96];
    int len =
        snprintf(line, sizeof line, "%ld %s %ld %s\n",
                 atomic_fetch_add(&seq, 1) + 1, kinds[k], n, classes[f->class]);
    if (len > 0 && write(trace_fd, line, (size_t)len) < 0)
        len = 0; /* a trace with a line missing fails the test that reads it */
}

/* The call of kind k (K_WRITE, K_SYNC or K_READ) on f: does it fail? */
static int fails(int k, ffile *f)
{
    long n = atomic_fetch_add(&counts[k], 1) + 1;
    if (trace_fd >= 0)
        trace(k, n, f);
    int kind = want == K_FULL || want == K_KILL ? K_WRITE : want;
    if (k != kind || n < fire_at || (n > fire_at && !persist))
        return 0;
    if (atomic_exchange(&told, 1) == 0) {
        char msg[512];
        int len =
            snprintf(msg, sizeof msg, "opine: I/O fault: %s %ld of '%s'\n",
                     kinds[want], n, f->name ? f->name : "(temporary)");
        if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0)
            len = 0; /* the fault acts all the same */
    }
    if (want == K_KILL)
        kill(getpid(), SIGKILL);
    return 1;
}

static int f_close(sqlite3_file *p)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xClose(f->real);
}

static int f_read(sqlite3_file *p, void *buf, int n, sqlite3_int64 off)
{
    ffile *f = (ffile *)p;
    if (fails(K_READ, f))
        return SQLITE_IOERR_READ;
    return f->real->pMethods->xRead(f->real, buf, n, off);
}

static int f_write(sqlite3_file *p, const void *buf, int n, sqlite3_int64 off)
{
    ffile *f = (ffile *)p;
    if (fails(K_WRITE, f))
        return want == K_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    return f->real->pMethods->xWrite(f->real, buf, n, off);
}

static int f_truncate(sqlite3_file *p, sqlite3_int64 size)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int f_sync(sqlite3_file *p, int flags)
{
    ffile *f = (ffile *)p;
    if (fails(K_SYNC, f))
        return SQLITE_IOERR_FSYNC;
    return f->real->pMethods->xSync(f->real, flags);
}

static int f_size(sqlite3_file *p, sqlite3_int64 *size)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int f_lock(sqlite3_file *p, int level)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xLock(f->real, level);
}

static int f_unlock(sqlite3_file *p, int level)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int f_check_lock(sqlite3_file *p, int *out)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int f_control(sqlite3_file *p, int op, void *arg)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int f_sector(sqlite3_file *p)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xSectorSize(f->real);
}

static int f_device(sqlite3_file *p)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int f_shm_map(sqlite3_file *p, int page, int size, int extend,
                     void volatile **out)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

static int f_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

static void f_shm_barrier(sqlite3_file *p)
{
    ffile *f = (ffile *)p;
    f->real->pMethods->xShmBarrier(f->real);
}

static int f_shm_unmap(sqlite3_file *p, int del)
{
    ffile *f = (ffile *)p;
    return f->real->pMethods->xShmUnmap(f->real, del);
}

/* Version 2: no xFetch, so that SQLite never reads through a memory map
 * past xRead (opine does not turn memory maps on anyway). */
static const sqlite3_io_methods methods = {
    2,        f_close,   f_read,     f_write,       f_truncate,  f_sync,
    f_size,   f_lock,    f_unlock,   f_check_lock,  f_control,   f_sector,
    f_device, f_shm_map, f_shm_lock, f_shm_barrier, f_shm_unmap, NULL,
    NULL};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p,
                  int flags, int *out_flags)
{
    (void)vfs;
    ffile *f = (ffile *)p;
    f->name = name;
    f->class = flags & SQLITE_OPEN_MAIN_DB        ? C_DB
               : flags & SQLITE_OPEN_MAIN_JOURNAL ? C_JOURNAL
               : flags & SQLITE_OPEN_WAL          ? C_WAL
                                                  : C_TEMP;
    f->real = (sqlite3_file *)(f + 1);
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    f->base.pMethods = f->real->pMethods ? &methods : NULL;
    return rc;
}

/* The rest is the default VFS's own. */
static int v_delete(sqlite3_vfs *v, const char *name, int sync)
{
    (void)v;
    return real_vfs->xDelete(real_vfs, name, sync);
}

static int v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int v_random(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}

static int v_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int v_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs fault_vfs = {
    .iVersion = 2,
    .zName = "opine-iofault",
    .xOpen = v_open,
    .xDelete = v_delete,
    .xAccess = v_access,
    .xFullPathname = v_full,
    .xRandomness = v_random,
    .xSleep = v_sleep,
    .xCurrentTime = v_time,
    .xGetLastError = v_error,
    .xCurrentTimeInt64 = v_time64,
};

static void write_counts(void)
{
    FILE *out = fopen(count_file, "w");
    if (out == NULL)
        return;
    fprintf(out, "writes %ld syncs %ld reads %ld\n", atomic_load(&counts[0]),
            atomic_load(&counts[1]), atomic_load(&counts[2]));
    fclose(out);
}

static void bad_setting(const char *v)
{
    fprintf(stderr,
            "opine: ignoring OPINE_IOFAULT='%s': expected KIND@N[:persist],"
            " KIND one of write, sync, read, full, kill\n",
            v);
}

/* Read the settings before main() runs, and put the wrapper in front of
 * the default VFS when there is anything to do. */
__attribute__((constructor)) static void vfs_fault_init(void)
{
    const char *v = getenv("OPINE_IOFAULT");
    const char *trace_file = getenv("OPINE_IOFAULT_TRACE");
    count_file = getenv("OPINE_IOFAULT_COUNT");
    if (trace_file && *trace_file)
        trace_fd =
            open(trace_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (v && *v) {
        size_t n = strcspn(v, "@");
        for (int k = 0; k < K_NONE; k++)
            if (strlen(kinds[k]) == n && strncmp(v, kinds[k], n) == 0)
                want = k;
        char *end = NULL;
        if (want != K_NONE && v[n] == '@')
            fire_at = strtol(v + n + 1, &end, 10);
        if (end && *end == ':' && strcmp(end, ":persist") == 0) {
            persist = 1;
            end += strlen(end);
        }
        if (want == K_NONE || fire_at < 1 || end == NULL || *end != '\0') {
            bad_setting(v);
            want = K_NONE;
        }
        persist |= want == K_FULL;
    }
    if (want == K_NONE && (count_file == NULL || *count_file == '\0') &&
        trace_fd < 0)
        return;
    real_vfs = sqlite3_vfs_find(NULL);
    if (real_vfs == NULL)
        return;
    fault_vfs.szOsFile = (int)sizeof(ffile) + real_vfs->szOsFile;
    fault_vfs.mxPathname = real_vfs->mxPathname;
    if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK)
        return;
    if (count_file && *count_file)
        atexit(write_counts);
}
