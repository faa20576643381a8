/* cli/main.c — the opine command line: dispatch and shared helpers. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#ifdef OPINE_TCMALLOC
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif
#endif

#include "models/default_model.h"
#include "models/model.h"
#include "cli/cli.h"
#include "base/error.h"
#include "base/stop.h"

volatile int cli_stop;
const char *cli_command = "opine";
double cli_wait;
int cli_quiet;

static const char usage[] =
    "usage: opine <command> [options]\n"
    "\n"
    "Turn corpora of op-eds into term statistics in one SQLite file.\n"
    "\n"
    "commands:\n"
    "  run      [DB] INPUT...   ingest, tokenize, stem and score in one pass\n"
    "  ingest   [DB] INPUT...   store documents (gzip, JSON lines, text, web\n"
    "                           pages, directories, - for standard input)\n"
    "  tokenize [DB]            tokenize the documents not tokenized yet\n"
    "  stem     [DB]            stem and count terms of tokenized documents\n"
    "  score    [DB]            stance per theme, with its evidence\n"
    "  status   [DB]            what each stage has done, the last runs\n"
    "  sql      [DB] QUERY      run SQL on the database (read-only)\n"
    "  tokens   < TEXT          show tokens, stems, segments, sentences\n"
    "  extract  PAGE...         show the article and metadata opine takes\n"
    "                           from web pages\n"
    "  train    LABELS -o FILE  learn a stance model from labelled texts\n"
    "  eval     [DB] --labels LABELS [--model M]  how well a model agrees\n"
    "                           with labels, beside v1 and a baseline\n"
    "  stance   [DB] --by G --theme T  stance pooled per outlet, author,\n"
    "                           month...: intervals, differences\n"
    "  scale    [DB] --method wordscores|wordfish  place documents on one\n"
    "                           dimension, with standard errors\n"
    "  compare  [DB] --by B     the terms that set groups of documents\n"
    "                           apart (keyness: log-odds, chi2, G2, PMI)\n"
    "  collocations [DB]        multi-word expressions (lambda, z, G2, PMI)\n"
    "  similar  [DB] DOC | --text FILE  the nearest documents by tf-idf\n"
    "                           cosine, with the terms they share\n"
    "  search   [DB] QUERY      documents matching words, \"phrases\", AND,\n"
    "                           OR, NOT, prefix*; ranked by BM25, snippets\n"
    "  kwic     [DB] TERM       every hit with its context (keyword in\n"
    "                           context), sortable, or counted --by group\n"
    "  trend    [DB] TERM       a term's use per month, year, outlet...\n"
    "  terms    [DB] [filters]  the top terms of an outlet, author, year\n"
    "\n"
    "DB defaults to " OPINE_DEFAULT_DB ". 'opine <command> --help' for more.\n"
    "Exit status: 0 ok, 1 some records rejected (the rest kept), 2 error.\n";

void cli_error(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fputs("opine: ", stderr);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_looks_like_db(const char *path)
{
    size_t n = strlen(path);
    const char *ext[] = {".db", ".sqlite", ".sqlite3", ".opine"};
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && strcmp(path + n - k, ext[i]) == 0)
            return 1;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    char head[16] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    return got == 16 && memcmp(head, "SQLite format 3", 16) == 0;
}

long long cli_number(const char *opt, const char *s, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_error("%s wants a whole number from %lld to %lld, not '%s'", opt,
                  lo, hi, s);
        return -1;
    }
    return v;
}

opine_model *cli_load_model(const char *spec)
{
    opine_model *m = NULL;
    char *msg = NULL;
    if (opine_model_load_spec(&m, spec, &msg) != 0) {
        cli_error("%s", msg ? msg : "cannot load the model");
        free(msg);
        return NULL;
    }
    return m;
}

opine_model *cli_load_compiled(const char *spec)
{
    opine_model *m = cli_load_model(spec);
    char *msg = NULL;
    if (m && opine_model_compile(m, NULL, &msg) != 0) {
        cli_error("%s", msg ? msg : "cannot compile the model");
        free(msg);
        opine_model_free(m);
        return NULL;
    }
    return m;
}

static void on_store_wait(void *ctx, const char *message)
{
    (void)ctx;
    if (!cli_quiet)
        cli_error("%s", message);
}

opine_store_opts cli_store_opts(int flags)
{
    opine_store_opts o = {.writer = cli_command,
                          .wait = cli_wait,
                          .patient = (flags & OPINE_STORE_READONLY) != 0,
                          .stop = &cli_stop,
                          .on_wait = on_store_wait};
    return o;
}

void cli_store_error(int rc, const char *msg)
{
    if (rc == OPINE_EBUSY && cli_wait <= 0)
        cli_error("%s; rerun when it has finished, or with --wait SECONDS"
                  " to queue behind it",
                  msg ? msg : opine_strerror(rc));
    else
        cli_error("%s", msg ? msg : "cannot open the database");
}

opine_store *cli_open_store(const char *path, int flags)
{
    opine_store *st;
    char *msg = NULL;
    opine_store_opts o = cli_store_opts(flags);
    int rc = opine_store_open_opts(&st, path, flags, &o, &msg);
    if (rc != 0) {
        cli_store_error(rc, msg);
        free(msg);
        return NULL;
    }
    return st;
}

void cli_read_once(sqlite3 *db)
{
    sqlite3_exec(db, "PRAGMA mmap_size = 0; PRAGMA cache_size = 4", NULL, NULL,
                 NULL);
}

int cli_parse_wait(const char *arg)
{
    char *end;
    errno = 0;
    double w = strtod(arg, &end);
    if (end == arg || *end || errno || !(w >= 0) || w > 1e9) {
        cli_error("--wait wants a number of seconds, 0 or more, not '%s'", arg);
        return -1;
    }
    cli_wait = w;
    return 0;
}

void cli_reader_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_report_init(cli_report *r, int quiet)
{
    memset(r, 0, sizeof(*r));
    r->quiet = quiet;
    r->tty = isatty(STDERR_FILENO);
    r->started = cli_now();
}

void cli_on_progress(void *ctx, const opine_progress *p)
{
    cli_report *r = ctx;
    if (r->quiet || !r->tty)
        return;
    double now = cli_now();
    if (now - r->last_draw < 0.2)
        return;
    r->last_draw = now;
    double secs = now - r->started;
    char pct[16] = "";
    if (p->bytes_total)
        snprintf(pct, sizeof pct, " %3.0f%%",
                 100.0 * (double)p->bytes / (double)p->bytes_total);
    else if (p->pending)
        snprintf(pct, sizeof pct, " %3.0f%%",
                 100.0 * (double)p->documents / (double)p->pending);
    if (p->bytes)
        fprintf(stderr,
                "\r\033[K%s:%s %lld documents, %.1f MB read"
                " (%.1f MB/s)",
                p->stage, pct, (long long)p->documents, p->bytes / 1e6,
                secs > 0 ? p->bytes / 1e6 / secs : 0.0);
    else
        fprintf(stderr, "\r\033[K%s:%s %lld documents", p->stage, pct,
                (long long)p->documents);
    fflush(stderr);
}

#define MAX_REJECTS_SHOWN 20

void cli_on_reject(void *ctx, const char *message)
{
    cli_report *r = ctx;
    if (r->rejects_shown++ >= MAX_REJECTS_SHOWN)
        return;
    if (r->tty && !r->quiet)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "opine: rejected %s\n", message);
}

void cli_report_done(cli_report *r)
{
    if (r->tty && !r->quiet && r->last_draw > 0)
        fputs("\r\033[K", stderr);
    if (r->rejects_shown > MAX_REJECTS_SHOWN)
        fprintf(stderr,
                "opine: ... and %lld more rejected records (see the"
                " rejects table)\n",
                (long long)(r->rejects_shown - MAX_REJECTS_SHOWN));
}

char *cli_read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *b = realloc(buf, cap * 2);
            if (b == NULL) {
                free(buf);
                return NULL;
            }
            buf = b;
            cap *= 2;
        }
    }
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static void on_signal(int sig)
{
    (void)sig;
    opine__stop_set(&cli_stop);
}

#ifdef OPINE_TCMALLOC
/* THE ALLOCATOR. The stages' threads free what other threads allocated
 * (the reader's records, the workers' bodies and streams): glibc then
 * locks the owner's arena and gives memory back only to fault it in
 * again, and gperftools' tcmalloc_minimal runs ABP about 3% faster with
 * less system time (see CMakeLists.txt). But starting tcmalloc costs
 * about 10 ms of page faults, a third of what a query command takes in
 * all. So opine is linked with glibc's malloc, and the commands that run
 * stages start again at once with tcmalloc preloaded (OPINE_TCMALLOC, the
 * library's path). The second start hands its children the LD_PRELOAD
 * it was given. Not under valgrind (whose malloc must stay), not when
 * OPINE_MALLOC=glibc, not when the library is missing, and not for small
 * work: the second start with tcmalloc costs about 20 ms (a small run
 * took 33 ms against 12), which 3% of a run pays back from about 16 MiB
 * of input on, and the tests run thousands of small commands. */
static int worth_tcmalloc(char **argv)
{
    /* Every argument that names a regular file counts (the inputs, the
     * database, a model file); standard input, a directory or anything
     * else whose size is unknown counts as big. */
    const uint64_t enough = (uint64_t)16 << 20;
    uint64_t total = 0;
    for (int i = 2; argv[i]; i++) {
        struct stat st;
        if (strcmp(argv[i], "-") == 0)
            return 1;
        if (argv[i][0] == '-' || stat(argv[i], &st) != 0)
            continue; /* an option, or a value that is no file */
        if (!S_ISREG(st.st_mode))
            return 1;
        total += (uint64_t)st.st_size;
        if (total >= enough)
            return 1;
    }
    return 0;
}

static void stage_allocator(char **argv)
{
    const char *was = getenv("OPINE__LD_PRELOAD");
    if (was) { /* the second start */
        if (*was == '=')
            setenv("LD_PRELOAD", was + 1, 1);
        else
            unsetenv("LD_PRELOAD");
        unsetenv("OPINE__LD_PRELOAD");
        return;
    }
    const char *choice = getenv("OPINE_MALLOC");
    if (RUNNING_ON_VALGRIND || (choice && strcmp(choice, "glibc") == 0) ||
        access(OPINE_TCMALLOC, R_OK) != 0 || !worth_tcmalloc(argv))
        return;
    const char *pre = getenv("LD_PRELOAD");
    char *mark = opine__format("%s%s", pre ? "=" : "", pre ? pre : "");
    char *both = pre && *pre ? opine__format("%s:%s", OPINE_TCMALLOC, pre)
                             : opine__format("%s", OPINE_TCMALLOC);
    if (mark && both && setenv("OPINE__LD_PRELOAD", mark, 1) == 0 &&
        setenv("LD_PRELOAD", both, 1) == 0)
        execv("/proc/self/exe", argv);
    /* no second start: go on as we are */
    unsetenv("OPINE__LD_PRELOAD");
    if (pre)
        setenv("LD_PRELOAD", pre, 1);
    else
        unsetenv("LD_PRELOAD");
    free(mark);
    free(both);
}
#endif

/* A query command's heap, set up before its first allocation of note.
 * Every page a process touches first costs a page fault, about 10 us on
 * this VM; populating pages in one madvise() costs 4.3 us each. A lookup
 * touches some hundred pages of heap (SQLite's schema and page slots,
 * the analyzer's tables, the postings): so all its allocations come from
 * the heap (glibc maps those of 128 KiB and more apart, and unmaps them
 * when freed), which is never trimmed while the command runs, and its
 * first 256 KiB are populated at once. 'opine search korea --count' on
 * ABP, 150 alternating runs: 10.87 -> 10.30 ms (FTS5's query 10.52 in
 * that slow stretch); page faults 219 -> 172; a phrase, NEAR and KWIC
 * 2% faster. 128 KiB gained less (10.54), 512 KiB no more (8.28 against
 * 8.23 in another stretch). */
static void query_heap(void)
{
    mallopt(M_MMAP_THRESHOLD, 8 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#ifdef MADV_POPULATE_WRITE
    const size_t n = (size_t)256 << 10;
    char *p = malloc(n);
    if (p == NULL)
        return;
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    uintptr_t end = ((uintptr_t)p + n) & ~(uintptr_t)4095;
    if (end > a) /* (a kernel before 5.14 says EINVAL: then faults) */
        madvise((void *)a, end - a, MADV_POPULATE_WRITE);
    free(p);
#endif
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_FATAL : CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("opine %s\n", OPINE_VERSION);
        return CLI_OK;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed terminal (an ssh session ending, a tmux pane closed) stops
     * a run as cleanly as Ctrl-C: after the batches in flight, with what
     * they wrote committed and the run marked interrupted. */
    sigaction(SIGHUP, &sa, NULL);

    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"run", cmd_run},           {"ingest", cmd_ingest},
        {"tokenize", cmd_tokenize}, {"stem", cmd_stem},
        {"score", cmd_score},       {"status", cmd_status},
        {"sql", cmd_sql},           {"tokens", cmd_tokens},
        {"train", cmd_train},       {"eval", cmd_eval},
        {"compare", cmd_compare},   {"collocations", cmd_collocations},
        {"stance", cmd_stance},     {"scale", cmd_scale},
        {"extract", cmd_extract},   {"similar", cmd_similar},
        {"search", cmd_search},     {"kwic", cmd_kwic},
        {"trend", cmd_trend},       {"terms", cmd_terms},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (strcmp(argv[1], cmds[i].name) == 0) {
            int stage = cmds[i].fn == cmd_run || cmds[i].fn == cmd_ingest ||
                        cmds[i].fn == cmd_tokenize || cmds[i].fn == cmd_stem ||
                        cmds[i].fn == cmd_score;
#ifdef OPINE_TCMALLOC
            if (stage)
                stage_allocator(argv);
#endif
            /* SQLite's page cache starts with 20 slots of a page each,
             * allocated at once and each written as it is put on the
             * free list: with 64 KiB pages that is 20 page faults of a
             * fresh 1.3 MB block, 0.3-0.4 ms of a lookup that then uses
             * two or three of them (it reads pages mapped). Without: one
             * allocation per page as it is needed. A run fills its cache
             * anyway and keeps the block. */
            if (!stage) {
                sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)NULL, 0, 0);
                query_heap();
            }
            /* how a writer names itself to others (pipeline/lock.h) */
            static char command[32];
            snprintf(command, sizeof command, "opine %s", cmds[i].name);
            cli_command = command;
            return cmds[i].fn(argc - 1, argv + 1);
        }
    cli_error("'%s' is not an opine command; see 'opine --help'", argv[1]);
    return CLI_FATAL;
}
