/* pipeline/lock.c — one writer per database: a lock file beside it (see
 * lock.h). */
#include "pipeline/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/stop.h"
#include "pipeline/store.h"

struct opine_lock {
    int fd;
};

/* "DB-opine.lock", beside the file the path leads to: SQLite follows a
 * symbolic link to put its journal beside the real database, and so does
 * the lock, so that two paths to one database share one lock. */
static char *lock_path(const char *db_path)
{
    char real[PATH_MAX];
    const char *p = realpath(db_path, real) ? real : db_path;
    return opine__format("%s-opine.lock", p);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts = {(time_t)seconds,
                          (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL); /* a signal cuts it short: the caller looks */
}

static int alive(long long pid)
{
    return pid > 0 && pid <= INT_MAX &&
           (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

char *opine_lock_holder(const char *db_path)
{
    char *path = lock_path(db_path);
    if (path == NULL)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return NULL;
    char line[512];
    ssize_t n = pread(fd, line, sizeof line - 1, 0);
    close(fd);
    if (n <= 0)
        return NULL;
    line[n] = '\0';
    long long pid;
    char started[40];
    int off = 0;
    if (sscanf(line, "%lld %39s %n", &pid, started, &off) != 2 || off == 0 ||
        !alive(pid))
        return NULL;
    char *writer = line + off;
    writer[strcspn(writer, "\n")] = '\0';
    /* 2026-12-04T10:02:03.120Z -> 2026-12-04 10:02:03 UTC */
    if (strlen(started) >= 19 && started[10] == 'T') {
        started[10] = ' ';
        memcpy(started + 19, " UTC", 5);
    }
    return opine__format("'%s', pid %lld, since %s", writer, pid, started);
}

/* The holder as its line names it; it may be a moment from writing it. */
static char *holder_soon(const char *db_path)
{
    char *who = opine_lock_holder(db_path);
    for (int i = 0; who == NULL && i < 20; i++) {
        nap(0.005);
        who = opine_lock_holder(db_path);
    }
    return who;
}

/* "another opine process is [still ]writing to 'x.db'[ after]: 'opine
 * run', pid 4242, since ...[tail]". */
static char *busy_message(const char *db_path, const char *still,
                          const char *after, const char *tail)
{
    char *who = holder_soon(db_path);
    char *msg = opine__format(
        "another opine process is %swriting to '%s'%s%s%s%s", still, db_path,
        after, who ? ": " : "", who ? who : "", tail);
    free(who);
    return msg;
}

int opine_lock_take(opine_lock **out, const char *db_path,
                    const opine_lock_opts *o, char **errmsg)
{
    static const opine_lock_opts none = {0};
    if (o == NULL)
        o = &none;
    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    if (db_path[0] == '\0' || strcmp(db_path, ":memory:") == 0)
        return 0; /* a database no other process can open */
    char *path = lock_path(db_path);
    if (path == NULL)
        return OPINE_ENOMEM;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
        fd = open(path, O_RDONLY | O_CLOEXEC); /* one that exists still locks */
    if (fd < 0) {
        int err = errno;
        if (err == EACCES || err == EROFS || err == EPERM || err == ENOENT) {
            free(path);
            return 0;
        }
        if (errmsg)
            *errmsg = opine__format("cannot open the lock file '%s': %s", path,
                                    strerror(err));
        free(path);
        return OPINE_EIO;
    }
    double start = now_seconds(), slept = 0.01;
    int told = 0, rc = 0;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK) {
            if (errmsg)
                *errmsg = opine__format("cannot lock '%s': %s", path,
                                        strerror(errno));
            rc = OPINE_EIO;
            break;
        }
        double left = o->wait - (now_seconds() - start);
        if (opine__stop_requested(o->stop)) {
            if (errmsg)
                *errmsg =
                    opine__format("interrupted while waiting for another"
                                  " opine process to finish writing to '%s'",
                                  db_path);
            rc = OPINE_EINTERRUPTED;
            break;
        }
        if (left <= 0) {
            if (errmsg) {
                char after[64] = "";
                if (o->wait > 0)
                    snprintf(after, sizeof after, " after %g s of waiting",
                             o->wait);
                *errmsg = busy_message(db_path, o->wait > 0 ? "still " : "",
                                       after, "");
            }
            rc = OPINE_EBUSY;
            break;
        }
        if (!told && o->on_wait) {
            char tail[64];
            snprintf(tail, sizeof tail, "; waiting up to %g s for it to finish",
                     o->wait);
            char *msg = busy_message(db_path, "", "", tail);
            if (msg)
                o->on_wait(o->ctx, msg);
            free(msg);
        }
        told = 1;
        /* Polled: a flock cannot be waited for with a time limit. A tenth
         * of a second late at most, against a run of minutes. */
        nap(slept < left ? slept : left);
        if (slept < 0.1)
            slept *= 2;
    }
    if (rc) {
        close(fd);
        free(path);
        return rc;
    }
    free(path);
    opine_lock *l = malloc(sizeof(*l));
    if (l == NULL) {
        close(fd);
        return OPINE_ENOMEM;
    }
    l->fd = fd;
    /* Who holds it, for the messages of others. A line that cannot be
     * written (a read-only lock file) only makes those messages vaguer. */
    char started[32];
    opine_store_now(started);
    char *line =
        opine__format("%lld %s %s\n", (long long)getpid(), started,
                      o->writer ? o->writer : "a program using libopine");
    if (line &&
        (ftruncate(fd, 0) != 0 || pwrite(fd, line, strlen(line), 0) < 0)) {
        /* a read-only lock file: others will not learn who holds it */
    }
    free(line);
    *out = l;
    return 0;
}

void opine_lock_release(opine_lock *l)
{
    if (l == NULL)
        return;
    /* Emptied while still held, so that no one reads this line as naming
     * the next holder. */
    if (ftruncate(l->fd, 0) != 0) {
        /* a read-only lock file: its line was never written */
    }
    close(l->fd);
    free(l);
}
