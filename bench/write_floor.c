/* bench/write_floor.c — the storage floor: the time this build takes just to
 * write a run's doc_terms rows into an empty database, with the engine's own
 * writer (the in-memory table of base/rows.h and the same INSERT), its
 * batches and commit cadence, page size and pragmas.
 *
 *     build/write_floor DONE.db EMPTY.db
 *
 * DONE.db is a database opine has filled (bench/compare makes one); its
 * doc_terms rows are loaded into memory first, untimed, in the form the
 * engine holds them (per document: sorted (stem, tf) pairs), then written
 * batch by batch into EMPTY.db, made new with opine's schema. Prints rows,
 * seconds and rows/s; bench/compare sets opine run's wall time against it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/rows.h"
#include "pipeline/store.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One document as the engine's writer sees it. */
typedef struct doc {
    int64_t id;
    size_t bytes;    /* its text, for batch and commit sizes */
    size_t first, n; /* its rows in pairs[] */
} doc;

static int fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "write_floor: %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DONE.db EMPTY.db\n", argv[0]);
        return 2;
    }
    sqlite3 *src;
    if (sqlite3_open_v2(argv[1], &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return fail(src, argv[1]);
    /* Load: documents in id order with their sorted (stem, tf) pairs. */
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(src,
                           "SELECT t.doc, t.stem, t.tf, d.bytes FROM doc_terms"
                           " t JOIN documents d ON d.id = t.doc"
                           " ORDER BY t.doc, t.stem",
                           -1, &q, NULL) != SQLITE_OK)
        return fail(src, "reading doc_terms");
    uint32_t *pairs = NULL;
    doc *docs = NULL;
    size_t npairs = 0, cap_pairs = 0, ndocs = 0, cap_docs = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        if (ndocs == 0 || docs[ndocs - 1].id != id) {
            if (ndocs == cap_docs) {
                cap_docs = cap_docs ? 2 * cap_docs : 4096;
                docs = realloc(docs, cap_docs * sizeof(*docs));
            }
            if (docs == NULL)
                return 1;
            docs[ndocs++] = (doc){.id = id,
                                  .bytes = (size_t)sqlite3_column_int64(q, 3),
                                  .first = npairs};
        }
        if (npairs == cap_pairs) {
            cap_pairs = cap_pairs ? 2 * cap_pairs : 1 << 20;
            pairs = realloc(pairs, 2 * cap_pairs * sizeof(*pairs));
            if (pairs == NULL)
                return 1;
        }
        pairs[2 * npairs] = (uint32_t)sqlite3_column_int64(q, 1);
        pairs[2 * npairs + 1] = (uint32_t)sqlite3_column_int64(q, 2);
        npairs++;
        docs[ndocs - 1].n++;
    }
    sqlite3_finalize(q);
    sqlite3_close(src);

    opine_store *st;
    char *err = NULL;
    if (opine_store_open(&st, argv[2], OPINE_STORE_CREATE, &err) != 0) {
        fprintf(stderr, "write_floor: %s\n", err ? err : argv[2]);
        return 1;
    }
    sqlite3 *db = opine_store_db(st);
    opine_rows *rows;
    sqlite3_stmt *ins;
    if (opine__rows_register(db, OPINE__BATCH_TERMS, "doc, stem, tf", "iii",
                             &rows) != 0 ||
        sqlite3_prepare_v2(db, OPINE__INSERT_DOC_TERMS, -1, &ins, NULL) !=
            SQLITE_OK)
        return fail(db, "preparing");
    int64_t *buf = malloc(3 * npairs * sizeof(int64_t) + 1);
    if (buf == NULL)
        return 1;

    /* The engine's defaults: batches of 4,096 documents or 4 MiB of text,
     * a commit every 256 MiB of text (a first load's, as this is). */
    const size_t batch_docs = 4096, batch_bytes = 4u << 20,
                 commit_bytes = 256u << 20;
    double t0 = now();
    size_t txn = 0, i = 0;
    int in_txn = 0;
    while (i < ndocs) {
        if (!in_txn && opine_store_exec(st, "BEGIN IMMEDIATE"))
            return fail(db, "BEGIN");
        in_txn = 1;
        size_t bytes = 0, n = 0, k = i;
        int64_t *p = buf;
        for (; k < ndocs && k - i < batch_docs && bytes < batch_bytes; k++) {
            bytes += docs[k].bytes;
            for (size_t r = 0; r < docs[k].n; r++) {
                *p++ = docs[k].id;
                *p++ = pairs[2 * (docs[k].first + r)];
                *p++ = pairs[2 * (docs[k].first + r) + 1];
            }
            n += docs[k].n;
        }
        i = k;
        opine__rows_set(rows, buf, n);
        if (sqlite3_step(ins) != SQLITE_DONE)
            return fail(db, "INSERT");
        sqlite3_reset(ins);
        opine__rows_set(rows, NULL, 0);
        txn += bytes;
        if (txn >= commit_bytes || i == ndocs) {
            if (opine_store_exec(st, "COMMIT"))
                return fail(db, "COMMIT");
            in_txn = 0;
            txn = 0;
        }
    }
    double secs = now() - t0;
    sqlite3_finalize(ins);
    opine_store_close(st);
    printf("write_floor: %zu doc_terms rows of %zu documents in %.2f s"
           " (%.2f M rows/s)\n",
           npairs, ndocs, secs, npairs / secs / 1e6);
    free(buf);
    free(pairs);
    free(docs);
    return 0;
}
