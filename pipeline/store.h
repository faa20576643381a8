/* pipeline/store.h — the one SQLite file opine writes: schema, runs, meta.
 *
 * Schema v1 (the whole text is in store.c, SCHEMA_V1):
 *   meta(key, value)              schema_version, opine_version, language...
 *   runs(id, stage, params, ...)  one row per stage run with its counters
 *   rejects(run, source, position, error)   every record a run refused
 *   documents(id, hash, ext_id, source, position, title, author, outlet,
 *             published, url, bytes, run, body)  body = zlib(text)
 *   duplicates(doc, source, position, ext_id, run)  exact copies seen
 *   doc_meta(doc, key, value)
 *   types(id, type, stem, stopword, cf)   lowercased surface forms
 *   stems(id, stem, lang, surface)        surface = most frequent type
 *   doc_tokens(doc, tokens, sentences, stream)  see pipeline/tokstream.h
 *   doc_terms(doc, stem, tf)
 *   terms(stem, df, cf)
 *   stage_done(stage, doc, run)           which stage has seen which doc
 * Schema v2 adds stance scoring:
 *   models(id, name, version, hash, language, window, negation_scope,
 *          prior, interval, text, loaded)
 *   themes(id, model, theme, label, positive, negative)
 *   doc_scores(doc, theme, mentions, salience, positive, negative,
 *              evidence, stance, lo, hi)       theme = themes.id
 *   evidence(doc, theme, sentence, span_start, span_end, cue, polarity,
 *            weight, negated)
 * Schema v3 adds stop words and per-document languages:
 *   doc_lengths(doc, tokens, terms)  counted tokens (stop words left out,
 *                                    as in doc_terms) and distinct terms
 *   documents.lang                   the language a document names
 *   types(id, type, lang, ...)       a form in a language ('' = default)
 * Schema v4 writes doc_tokens.stream in format 2 (pipeline/tokstream.h,
 * uncompressed); format 1 (zlib) streams of older files stay readable, so
 * the upgrade changes nothing but the version, and an older opine, which
 * could not read format 2, says "unsupported schema" instead of "corrupt".
 * An older file is upgraded in place when opened for writing.
 * Tables added since, without a new version (created when missing by
 * every read-write open; store.c, SCHEMA_ADDED):
 *   doc_authors(doc, position, name, role)  documents.author as people
 *
 * A stage writes whole batches per transaction, so a database is always
 * consistent: a killed run loses at most what it wrote since its last
 * commit, and rerunning takes only what no earlier run finished.
 */
#ifndef OPINE_PIPELINE_STORE_H
#define OPINE_PIPELINE_STORE_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>

#define OPINE_SCHEMA_VERSION 4

/* The index of types by (type, lang) that also holds each type's stop
 * flag and stem (files made since 2026-12-06; store.c says why), as the
 * schema makes it and as the stem stage makes it again (engine_vocab.c). */
#define OPINE__TYPES_TEXT_INDEX                                                \
    "CREATE INDEX types_text ON types(type, lang, stopword, stem)"

/* A store may be used from any thread, but by one thread at a time. */
typedef struct opine_store opine_store;

enum {
    OPINE_STORE_READONLY = 1, /* open read-only; the file must exist */
    OPINE_STORE_CREATE = 2,   /* create the file and schema if missing */
};

/* Open (and create or check the schema of) the database at path. On error
 * *errmsg (when not NULL) receives a malloc'd message the caller frees.
 * A read-write open takes the database's writer lock (pipeline/lock.h)
 * and holds it until the store is closed: OPINE_EBUSY, naming the holder,
 * when another writer has it. SQLite's own locks are waited for 10 s. */
int opine_store_open(opine_store **out, const char *path, int flags,
                     char **errmsg);
void opine_store_close(opine_store *st);

/* How a store waits for other processes, for opine_store_open_opts().
 *
 * Two waits: for the writer lock (read-write opens, see lock.h), and for
 * SQLite's locks on the file. A writer that adds to a database writes in
 * WAL, where a reader meets the latter only for a moment (a closing
 * writer's checkpoint, a recovery). While opine creates a database its
 * first load keeps a rollback journal instead (store.c says why), and a
 * reader is locked out while the load commits, and from the moment a
 * transaction's pages outgrow the cache until it commits: seconds, for a
 * large --commit-every even longer. Between writers the file rests in
 * rollback-journal mode (opine_store_close): a writer that opens it while
 * another program holds a read transaction waits for that to end (as for
 * a commit) before it can switch to WAL. */
typedef struct opine_store_opts {
    /* Read-write: the writer lock is taken as this writer ("opine run";
     * NULL: "a program using libopine"), waiting up to wait seconds for
     * another writer to finish (0: OPINE_EBUSY at once). */
    const char *writer;
    double wait;
    /* Wait as long as SQLite finds the file locked, instead of 10 s:
     * readers want their answer, and a writer commits in the end. */
    int patient;
    /* When set non-zero (a signal handler), both waits give up. */
    volatile int *stop;
    /* Told once when either wait begins (a locked file: after a second),
     * with a message saying what it waits for. May be NULL. */
    void (*on_wait)(void *ctx, const char *message);
    void *ctx;
} opine_store_opts;

/* opine_store_open() with opts (NULL: as opine_store_open). */
int opine_store_open_opts(opine_store **out, const char *path, int flags,
                          const opine_store_opts *opts, char **errmsg);

sqlite3 *opine_store_db(opine_store *st);
const char *opine_store_path(const opine_store *st);

/* Whether db's main schema has the table, as SQLite holds the schema
 * (no query: a query of sqlite_schema costs a sixth of a term's search). */
int opine_store_table_exists(sqlite3 *db, const char *name);

/* Whether this connection created the file and loads it with a rollback
 * journal (its first load, store.c): a transaction's pages past the
 * file's end as it began are never journaled. */
int opine_store_first_load(const opine_store *st);

/* fdatasync() a first load's file through the store's own descriptor
 * (store.c: never closed while SQLite holds a lock): what was written to
 * it so far reaches the disk, and the next COMMIT's fsync has only the
 * rest to wait for. It waits for the disk (0.3 s for ABP's 526
 * MB on a first load): call it from a thread with nothing else to do.
 * While a round had much to write and *stop is 0, it syncs again, for
 * what the writing connection wrote meanwhile (at most four rounds). It
 * changes nothing SQLite relies on (a sync more, never one less). */
void opine_store_sync_early(opine_store *st, atomic_int *stop);

/* Whether the process that started a run (runs.pid) still exists; this
 * process's own id counts as gone, as a run it left cannot be running. */
int opine_store_pid_alive(int64_t pid);

/* The current UTC time as ISO-8601 with milliseconds, for runs and models. */
void opine_store_now(char buf[32]);

/* Run one statement or several with no results; 0 or OPINE_EDB. */
int opine_store_exec(opine_store *st, const char *sql);

/* The last SQLite error message on this connection (the one kept by
 * opine_store_rollback when the ROLLBACK itself went well). */
const char *opine_store_errmsg(opine_store *st);

/* Undo the open transaction after a failed statement, if SQLite has not
 * already (it may, after an I/O error or a full disk), keeping the
 * failure's message for opine_store_errmsg and opine_store_failure. */
void opine_store_rollback(opine_store *st);

/* What failed, for the user: a malloc'd message that names the database
 * and what was being done (WHAT: "storing documents") and, when the disk
 * is full or failed, says that nothing committed is lost and to run the
 * command again once the disk is fixed. NULL when out of memory. */
char *opine_store_failure(opine_store *st, const char *what);

/* meta: read gives a malloc'd value, or NULL when the key is absent, and
 * returns 0, or OPINE_EDB when the table could not be read (an I/O error
 * is no absent key); get returns the value or NULL for both; set
 * replaces. */
int opine_store_meta_read(opine_store *st, const char *key, char **value);
char *opine_store_meta_get(opine_store *st, const char *key);
int opine_store_meta_set(opine_store *st, const char *key, const char *value);

/* Counters of one run, as stored in the runs table. */
typedef struct opine_run_counts {
    int64_t records;    /* records read, or documents taken by a stage */
    int64_t documents;  /* documents written or processed */
    int64_t duplicates; /* exact copies of a stored document */
    int64_t skipped;    /* already in the database from an earlier run */
    int64_t rejected;   /* refused records, each in rejects */
    /* What reading the input did besides (run_counters; 0 is not stored):
     * invalid UTF-8 sequences replaced by U+FFFD and the records that
     * had them, archive members read, WARC records holding no document. */
    int64_t utf8_repairs;
    int64_t repaired_records;
    int64_t members;
    int64_t skipped_records;
    /* score: documents whose token stream an older opine wrote (format 1
     * or 2, no quotation marks) scored by a model that reads them
     * (opine_model_reads_quotes): their scores can differ from a fresh
     * run's. */
    int64_t unquoted_streams;
} opine_run_counts;

/* Start a run: marks runs left 'running' by dead processes 'interrupted',
 * inserts a 'running' row and commits it. */
int opine_run_begin(opine_store *st, const char *stage, const char *params,
                    int64_t *run_id);
/* Store the counters (inside the caller's batch transaction). */
int opine_run_update(opine_store *st, int64_t run_id,
                     const opine_run_counts *c);
/* Finish: status is "ok", "rejected" (finished, some records refused),
 * "interrupted" or "failed"; message may be NULL. */
int opine_run_finish(opine_store *st, int64_t run_id, const char *status,
                     const opine_run_counts *c, const char *message);
/* Store where a run's time went (a JSON object of seconds by phase). */
int opine_run_timings(opine_store *st, int64_t run_id, const char *json);
/* Record a refused record (inside the caller's transaction). */
int opine_run_reject(opine_store *st, int64_t run_id, const char *source,
                     uint64_t position, const char *error);

#endif
