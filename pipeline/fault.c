/* pipeline/fault.c — named fault points (see fault.h). */
#include "pipeline/fault.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char point[32];    /* "" when OPINE_FAULT is unset or malformed */
static long fire_at = 1;  /* the hit that fires */
static int sig = SIGKILL; /* what it does */
static const char *action = "kill";
static atomic_long hits;

/* The points of fault.h, and the actions, each with the signal it sends:
 * the message below lists both from here, so it cannot drift from them. */
static const char *const points[] = {
    "schema",      "run",      "batch",     "terms",   "commit", "committed",
    "boilerplate", "surfaces", "near_dups", "similar", "finish", "finished"};
static const struct {
    const char *name;
    int sig;
} actions[] = {{"kill", SIGKILL},
               {"int", SIGINT},
               {"term", SIGTERM},
               {"hup", SIGHUP},
               {"stop", SIGSTOP}};

/* A misspelt setting would make a fault test pass for the wrong reason, or
 * fail without saying why: say so. */
static void ignore(const char *v)
{
    fprintf(stderr,
            "opine: ignoring OPINE_FAULT='%s': expected POINT[@N][:", v);
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        fprintf(stderr, "%s%s", i ? "|" : "", actions[i].name);
    fputs("], POINT one of ", stderr);
    for (size_t i = 0; i < sizeof points / sizeof *points; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", points[i]);
    fputc('\n', stderr);
}

static void parse(void)
{
    const char *v = getenv("OPINE_FAULT");
    if (v == NULL || *v == '\0')
        return;
    size_t n = strcspn(v, "@:");
    int known = 0;
    for (size_t i = 0; i < sizeof points / sizeof *points; i++)
        if (strlen(points[i]) == n && strncmp(v, points[i], n) == 0)
            known = 1;
    if (!known) {
        ignore(v);
        return;
    }
    const char *p = v + n;
    long at = 1;
    if (*p == '@') {
        char *end;
        at = strtol(p + 1, &end, 10);
        if (at < 1 || end == p + 1) {
            ignore(v);
            return;
        }
        p = end;
    }
    int found = *p == '\0';
    if (*p == ':')
        for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
            if (strcmp(p + 1, actions[i].name) == 0) {
                sig = actions[i].sig;
                action = actions[i].name;
                found = 1;
            }
    if (!found) {
        ignore(v);
        return;
    }
    fire_at = at;
    memcpy(point, v, n);
    point[n] = '\0';
}

void opine__fault(const char *name)
{
    pthread_once(&once, parse);
    if (point[0] == '\0' || strcmp(name, point) != 0)
        return;
    long hit = atomic_fetch_add(&hits, 1) + 1;
    if (hit != fire_at)
        return;
    char msg[96];
    int len = snprintf(msg, sizeof msg, "opine: fault point '%s' hit %ld: %s\n",
                       name, hit, action);
    if (len > 0 && write(STDERR_FILENO, msg, (size_t)len) < 0)
        len = 0; /* nothing to do: the point acts all the same */
    /* A stop goes to this thread: sent to the process, it is taken by
     * the main thread, and this one ran on until that thread had stopped
     * the others, long enough to commit a small batch past its point (one
     * time in four for e2e_similar's, on a busy machine). The thread that
     * takes a stop stops the others; the rest go to the process. */
    if (sig == SIGSTOP)
        pthread_kill(pthread_self(), sig);
    else
        kill(getpid(), sig);
}
