/* bench/query_bench.c — the query work alone, in one process, for
 * bench/queries: a search on opine's database (pipeline/search.h: parse,
 * match, and for ranked questions BM25 and snippets of the top 10) and the
 * same question as SQL on the FTS5 route's database, each run RUNS times
 * after one untimed run, with the connection open; prints the median
 * milliseconds of each. Process start-up and opening the files are left
 * out of both: bench/queries times the whole commands too.
 *
 *     build/query_bench OPINE_DB FTS5_DB RUNS MODE OPINE_QUERY FTS5_SQL
 *
 * MODE is count (how many documents match) or top10 (the 10 best with
 * their snippets). FTS5_SQL is run as given, every row stepped through.
 * Prints "opine_ms fts5_ms opine_rows fts5_rows". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/opine.h"
#include "pipeline/search.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct cutter {
    opine_analyzer *a;
    opine_search_emit_fn emit;
    void *ectx;
} cutter;

static int on_token(void *ctx, const opine_token_info *t)
{
    cutter *c = ctx;
    return c->emit(c->ectx, t->type, t->stem, t->stop);
}

static int cut(void *ctx, const char *text, size_t len,
               opine_search_emit_fn emit, void *ectx)
{
    cutter *c = ctx;
    c->emit = emit;
    c->ectx = ectx;
    return opine_analyze(c->a, text, len, on_token, c);
}

/* One opine question: the documents matching, or the top 10 with
 * snippets. The number of documents, or -1. */
static long opine_once(sqlite3 *db, cutter *c, const char *query, int top10)
{
    opine_search *s = NULL;
    opine_search_query *q = NULL;
    char *msg = NULL;
    int64_t *docs = NULL;
    size_t n = 0;
    long rows = -1;
    if (opine_search_open(&s, db, cut, c, &msg) == 0 &&
        opine_search_parse(s, query, &q, &msg) == 0 &&
        opine_search_match(s, q, NULL, 0, &docs, &n) == 0) {
        rows = (long)n;
        if (top10) {
            opine_search_hit *h = NULL;
            size_t nh = 0;
            if (opine_search_rank(s, q, docs, n, 10, &h, &nh) == 0) {
                for (size_t i = 0; i < nh; i++) {
                    opine_search_view v;
                    if (opine_search_view_doc(s, q, h[i].doc, &v) == 0) {
                        free(opine_search_snippet(&v, 24, "[", "]"));
                        opine_search_view_release(&v);
                    }
                }
                rows = (long)nh;
            }
            free(h);
        }
    }
    if (msg)
        fprintf(stderr, "query_bench: %s\n", msg);
    free(msg);
    free(docs);
    opine_search_query_free(q);
    opine_search_free(s);
    return rows;
}

static long fts5_once(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query_bench: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    long rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW)
        rows++;
    sqlite3_finalize(st);
    return rows;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: query_bench OPINE_DB FTS5_DB RUNS MODE"
                        " OPINE_QUERY FTS5_SQL\n");
        return 2;
    }
    int runs = atoi(argv[3]), top10 = strcmp(argv[4], "top10") == 0;
    sqlite3 *odb, *fdb;
    /* Both as opine opens a store: one thread a connection, no mutex
     * (SQLite's default, serialized, locks one at every call: a quarter
     * of a ranking's time went to it) */
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
    if (runs < 1 || sqlite3_open_v2(argv[1], &odb, flags, NULL) != SQLITE_OK ||
        sqlite3_open_v2(argv[2], &fdb, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "query_bench: cannot open the databases\n");
        return 2;
    }
    /* cut as opine's ABP database was cut: its defaults */
    cutter c = {0};
    char *msg = NULL;
    if (opine_analyzer_new(&c.a, NULL, &msg)) {
        fprintf(stderr, "query_bench: %s\n", msg ? msg : "no analyzer");
        return 2;
    }
    double *to = malloc((size_t)runs * sizeof(double)),
           *tf = malloc((size_t)runs * sizeof(double));
    long orows = opine_once(odb, &c, argv[5], top10),
         frows = fts5_once(fdb, argv[6]);
    for (int i = 0; i < runs; i++) {
        double t0 = now_ms();
        opine_once(odb, &c, argv[5], top10);
        double t1 = now_ms();
        fts5_once(fdb, argv[6]);
        to[i] = t1 - t0;
        tf[i] = now_ms() - t1;
    }
    qsort(to, (size_t)runs, sizeof(double), cmp_double);
    qsort(tf, (size_t)runs, sizeof(double), cmp_double);
    printf("%.2f %.2f %ld %ld\n", to[runs / 2], tf[runs / 2], orows, frows);
    free(to);
    free(tf);
    opine_analyzer_free(c.a);
    sqlite3_close(odb);
    sqlite3_close(fdb);
    return orows < 0 || frows < 0;
}
