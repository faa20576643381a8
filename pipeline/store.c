/* pipeline/store.c — opening the SQLite file, schema v1, runs and meta. */
#include "pipeline/store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/stop.h"
#include "pipeline/fault.h"
#include "pipeline/lock.h"

struct opine_store {
    sqlite3 *db;
    char *path;
    char *error;        /* sqlite3_mprintf'd: kept by opine_store_rollback */
    int error_code;     /* its extended result code */
    int first_load;     /* this connection created the file: see below */
    opine_lock *lock;   /* the writer lock, when opened read-write */
    opine_store_opts o; /* how to wait (patient, stop, on_wait) */
    double busy_since;  /* when the current wait for SQLite's lock began */
    int told;           /* on_wait was called for a locked file */
    /* A read-only store's meta table, read once as it opens: key, value,
     * key, value, ... (nmeta strings). See read_meta. */
    char **meta;
    size_t nmeta;
    int meta_cached;
    int readonly; /* opened with OPINE_STORE_READONLY */
    /* A first load's own descriptor of the file, for
     * opine_store_sync_early() (-1 for none). It is closed only
     * after SQLite's connection: closing any descriptor of a file drops
     * every POSIX lock the process holds on it, SQLite's included. The
     * early sync's own, opened and closed in the last transaction (until
     * the eighteenth session), left it unlocked (/proc/locks showed no
     * lock held), for another program to read half written or to take
     * its journal for a crashed writer's. */
    int sync_fd;
};

/* Tables first, then the views analysts query. Ids are integers chosen by
 * opine; documents are identified across databases by hash and ext_id,
 * types and stems by their text, so shards merge by joining on those. */
static const char SCHEMA_V1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
    " WITHOUT ROWID;\n"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, stage TEXT NOT NULL,"
    " params TEXT, pid INTEGER, started TEXT NOT NULL, finished TEXT,"
    " status TEXT NOT NULL, records INTEGER NOT NULL DEFAULT 0,"
    " documents INTEGER NOT NULL DEFAULT 0,"
    " duplicates INTEGER NOT NULL DEFAULT 0,"
    " skipped INTEGER NOT NULL DEFAULT 0,"
    " rejected INTEGER NOT NULL DEFAULT 0, message TEXT);\n"
    "CREATE TABLE rejects(run INTEGER NOT NULL, source TEXT,"
    " position INTEGER, error TEXT NOT NULL);\n"
    "CREATE TABLE documents(id INTEGER PRIMARY KEY, hash BLOB NOT NULL"
    " UNIQUE, ext_id TEXT, source TEXT, position INTEGER, title TEXT,"
    " author TEXT, outlet TEXT, published TEXT, url TEXT,"
    " bytes INTEGER NOT NULL, run INTEGER NOT NULL, body BLOB NOT NULL);\n"
    "CREATE TABLE duplicates(doc INTEGER NOT NULL, source TEXT NOT NULL,"
    " position INTEGER NOT NULL, ext_id TEXT, run INTEGER NOT NULL,"
    " PRIMARY KEY(source, position, doc)) WITHOUT ROWID;\n"
    "CREATE TABLE doc_meta(doc INTEGER NOT NULL, key TEXT NOT NULL,"
    " value TEXT, PRIMARY KEY(doc, key)) WITHOUT ROWID;\n"
    "CREATE TABLE types(id INTEGER PRIMARY KEY, type TEXT NOT NULL UNIQUE,"
    " stem INTEGER, stopword INTEGER NOT NULL DEFAULT 0,"
    " cf INTEGER NOT NULL DEFAULT 0);\n"
    "CREATE INDEX types_stem ON types(stem);\n"
    "CREATE TABLE stems(id INTEGER PRIMARY KEY, stem TEXT NOT NULL,"
    " lang TEXT NOT NULL, surface TEXT, UNIQUE(lang, stem));\n"
    "CREATE TABLE doc_tokens(doc INTEGER PRIMARY KEY,"
    " tokens INTEGER NOT NULL, sentences INTEGER NOT NULL,"
    " stream BLOB NOT NULL);\n"
    "CREATE TABLE doc_terms(doc INTEGER NOT NULL, stem INTEGER NOT NULL,"
    " tf INTEGER NOT NULL, PRIMARY KEY(doc, stem)) WITHOUT ROWID;\n"
    "CREATE TABLE terms(stem INTEGER PRIMARY KEY, df INTEGER NOT NULL,"
    " cf INTEGER NOT NULL);\n"
    "CREATE TABLE stage_done(stage TEXT NOT NULL, doc INTEGER NOT NULL,"
    " run INTEGER NOT NULL, PRIMARY KEY(stage, doc)) WITHOUT ROWID;\n"
    /* Views: what analysts ask for, by name rather than by id. */
    "CREATE VIEW v_documents AS SELECT d.id, d.ext_id, d.title, d.author,"
    " d.outlet, d.published, d.url, d.bytes, t.tokens, t.sentences,"
    " d.source, d.position FROM documents d"
    " LEFT JOIN doc_tokens t ON t.doc = d.id;\n"
    "CREATE VIEW v_terms AS SELECT s.stem, s.surface, s.lang, t.df, t.cf,"
    " ln((SELECT count(*) FROM stage_done WHERE stage = 'stem') * 1.0"
    " / t.df) AS idf FROM terms t JOIN stems s ON s.id = t.stem;\n"
    "CREATE VIEW v_doc_terms AS SELECT dt.doc, s.stem, s.surface, dt.tf"
    " FROM doc_terms dt JOIN stems s ON s.id = dt.stem;\n"
    "CREATE VIEW v_tfidf AS SELECT dt.doc, s.stem, s.surface, dt.tf,"
    " dt.tf * ln((SELECT count(*) FROM stage_done WHERE stage = 'stem')"
    " * 1.0 / t.df) AS tfidf FROM doc_terms dt"
    " JOIN terms t ON t.stem = dt.stem JOIN stems s ON s.id = dt.stem;\n"
    "CREATE VIEW v_outlet_terms AS SELECT d.outlet, s.stem, s.surface,"
    " count(*) AS df, sum(dt.tf) AS cf FROM doc_terms dt"
    " JOIN documents d ON d.id = dt.doc JOIN stems s ON s.id = dt.stem"
    " GROUP BY d.outlet, dt.stem;\n";

/* Version 2 adds stance scoring. A version 1 database is upgraded in place
 * when opened for writing: these statements only add tables and views. */
static const char SCHEMA_V2[] =
    "CREATE TABLE models(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " version INTEGER NOT NULL, hash TEXT NOT NULL, language TEXT NOT NULL,"
    " window INTEGER NOT NULL, negation_scope INTEGER NOT NULL,"
    " prior REAL NOT NULL, interval REAL NOT NULL, text TEXT NOT NULL,"
    " loaded TEXT NOT NULL, UNIQUE(name, version));\n"
    "CREATE TABLE themes(id INTEGER PRIMARY KEY, model INTEGER NOT NULL,"
    " theme TEXT NOT NULL, label TEXT, positive TEXT, negative TEXT,"
    " UNIQUE(model, theme));\n"
    "CREATE TABLE doc_scores(doc INTEGER NOT NULL, theme INTEGER NOT NULL,"
    " mentions INTEGER NOT NULL, salience REAL NOT NULL,"
    " positive REAL NOT NULL, negative REAL NOT NULL,"
    " evidence INTEGER NOT NULL, stance REAL, lo REAL, hi REAL,"
    " PRIMARY KEY(doc, theme)) WITHOUT ROWID;\n"
    "CREATE TABLE evidence(doc INTEGER NOT NULL, theme INTEGER NOT NULL,"
    " sentence INTEGER NOT NULL, span_start INTEGER NOT NULL,"
    " span_end INTEGER NOT NULL, cue TEXT NOT NULL,"
    " polarity INTEGER NOT NULL, weight REAL NOT NULL,"
    " negated INTEGER NOT NULL);\n"
    "CREATE INDEX evidence_doc ON evidence(doc, theme);\n"
    "CREATE VIEW v_stance AS SELECT d.id AS doc, d.ext_id, d.title,"
    " d.outlet, d.published, m.name AS model, m.version, t.theme,"
    " s.salience, s.stance, s.lo, s.hi, s.mentions, s.evidence"
    " FROM doc_scores s JOIN themes t ON t.id = s.theme"
    " JOIN models m ON m.id = t.model JOIN documents d ON d.id = s.doc;\n"
    "CREATE VIEW v_stance_monthly AS SELECT outlet,"
    " substr(published, 1, 7) AS month, model, version, theme,"
    " count(*) AS documents, sum(evidence) AS evidence,"
    " sum(stance * evidence) / nullif(sum(evidence), 0) AS stance"
    " FROM v_stance WHERE stance IS NOT NULL AND published IS NOT NULL"
    " GROUP BY outlet, month, model, version, theme;\n"
    "CREATE VIEW v_evidence AS SELECT e.doc, d.ext_id, m.name AS model,"
    " m.version, t.theme, e.sentence, e.span_start, e.span_end, e.cue,"
    " e.polarity, e.weight, e.negated FROM evidence e"
    " JOIN themes t ON t.id = e.theme JOIN models m ON m.id = t.model"
    " JOIN documents d ON d.id = e.doc;\n";

/* Version 3 adds stop words: doc_lengths holds each stemmed document's
 * counted tokens (stop words excluded) and distinct terms. Upgrading a
 * version 2 file fills it from doc_terms and records that its documents
 * were stemmed without a stop list, so later runs stay comparable. */
static const char SCHEMA_V3[] =
    "CREATE TABLE doc_lengths(doc INTEGER PRIMARY KEY,"
    " tokens INTEGER NOT NULL, terms INTEGER NOT NULL);\n"
    /* where each run's time went, as JSON (opine status --timings) */
    "ALTER TABLE runs ADD COLUMN timings TEXT;\n"
    /* Per-document languages: documents.lang is the language a document
     * names (NULL: the database's), and a type is a form in a language
     * (types.lang '' for the database's), so "die" in German and in
     * English are two types with their own stems and stop flags. */
    "ALTER TABLE documents ADD COLUMN lang TEXT;\n"
    /* A type is unique by (type, lang): opine's vocabulary gives each one
     * id (pipeline/engine_vocab.c; tests/lib.sh check_exact checks the
     * table). Files made before 2026-12-06 say so with UNIQUE(type,
     * lang); since then the index on (type, lang) also holds stopword and
     * stem, so that a search's prefix is answered from the index alone
     * (search.c): through the unique index each type a prefix expands to
     * was a row on a page of its own, a page fault apiece for a command
     * that starts cold (denuc* on ABP: 6.81 -> 6.40 ms, the FTS5 route's
     * query 6.57). In place of the unique index it costs a run nothing
     * measurable; beside it, it cost ABP's run 0.8 s. */
    "CREATE TABLE types_v3(id INTEGER PRIMARY KEY, type TEXT NOT NULL,"
    " lang TEXT NOT NULL DEFAULT '', stem INTEGER,"
    " stopword INTEGER NOT NULL DEFAULT 0, cf INTEGER NOT NULL DEFAULT 0);\n"
    "INSERT INTO types_v3(id, type, stem, stopword, cf)"
    " SELECT id, type, stem, stopword, cf FROM types;\n"
    "DROP TABLE types;\n"
    "ALTER TABLE types_v3 RENAME TO types;\n"
    "CREATE INDEX types_stem ON types(stem);\n" OPINE__TYPES_TEXT_INDEX ";\n";

static const char MIGRATE_V3[] =
    "INSERT INTO doc_lengths(doc, tokens, terms)"
    " SELECT s.doc, coalesce(sum(dt.tf), 0), count(dt.stem)"
    " FROM stage_done s LEFT JOIN doc_terms dt ON dt.doc = s.doc"
    " WHERE s.stage = 'stem' GROUP BY s.doc;\n"
    "INSERT OR IGNORE INTO meta(key, value) SELECT 'stopwords', 'none'"
    " WHERE EXISTS (SELECT 1 FROM stage_done WHERE stage = 'stem');\n";

/* Tables added within schema version 4: every read-write open creates
 * what is missing (IF NOT EXISTS), so older version-4 files gain them and
 * an older opine, which does not know them, still opens the file.
 *   doc_authors(doc, position, name, role)  the people of documents.author
 *                                 (corpus/authors.h), in the order written
 *   doc_vectors(doc, terms)       each stemmed document's doc_terms rows as
 *                                 one blob of postings (stem gap, tf; the
 *                                 format of pipeline/simindex.h), written
 *                                 and rewritten with them: what keyness of
 *                                 two groups reads (pipeline/keyness.c)
 *   doc_minhash(doc, sig)         MinHash signatures of stemmed documents
 *   near_duplicates(doc_a, doc_b, estimate, jaccard, run)  pairs of
 *                                 documents whose word shingles overlap at
 *                                 least meta near_dup_threshold (Jaccard),
 *                                 doc_a < doc_b (pipeline/neardup.c)
 *   v_near_dup_later(doc)         the later document of every such pair:
 *                                 what a query leaves out, with one join,
 *                                 to count each near-duplicate once
 *   v_near_duplicates             the pairs with ext_id, title, outlet
 *   doc_lines(doc, lines, data)   each document's lines: normalised hash
 *                                 and span (stages/lines.h)
 *   boilerplate_lines(hash, outlet, docs, occurrences, doc, line)  lines
 *                                 that at least meta boilerplate_min_docs
 *                                 documents of their outlet hold, with the
 *                                 text of the first occurrence
 *   doc_boilerplate(doc, lines, tokens, fingerprint)  per stemmed document,
 *                                 the flagged lines left out of its terms
 *                                 and scores, and the tokens they held that
 *                                 would have counted (pipeline/boilerplate.c)
 *   v_boilerplate_outlets         per outlet: flagged lines, occurrences,
 *                                 documents holding them
 *   doc_lengths_count(id, documents)  one row (id 1): the rows of
 *                                 doc_lengths, kept by two triggers
 *                                 (doc_lengths_added, doc_lengths_removed)
 *                                 whoever writes them, an older opine
 *                                 included. What a query needs for N (the
 *                                 stemmed documents) without counting a
 *                                 table's pages (a count(*) reads every
 *                                 page of doc_lengths, each a page fault
 *                                 for a command that starts cold)
 */
static const char SCHEMA_ADDED[] =
    "CREATE TABLE IF NOT EXISTS doc_authors(doc INTEGER NOT NULL,"
    " position INTEGER NOT NULL, name TEXT NOT NULL, role TEXT,"
    " PRIMARY KEY(doc, position)) WITHOUT ROWID;\n"
    "CREATE INDEX IF NOT EXISTS doc_authors_name ON doc_authors(name);\n"
    "CREATE TABLE IF NOT EXISTS doc_vectors(doc INTEGER PRIMARY KEY,"
    " terms BLOB NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS doc_minhash(doc INTEGER PRIMARY KEY,"
    " sig BLOB NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS near_duplicates(doc_a INTEGER NOT NULL,"
    " doc_b INTEGER NOT NULL, estimate REAL NOT NULL, jaccard REAL NOT NULL,"
    " run INTEGER NOT NULL, PRIMARY KEY(doc_a, doc_b)) WITHOUT ROWID;\n"
    "CREATE INDEX IF NOT EXISTS near_duplicates_b ON near_duplicates(doc_b);\n"
    "CREATE VIEW IF NOT EXISTS v_near_dup_later AS"
    " SELECT DISTINCT doc_b AS doc FROM near_duplicates;\n"
    "CREATE VIEW IF NOT EXISTS v_near_duplicates AS SELECT n.doc_a, n.doc_b,"
    " a.ext_id AS ext_a, b.ext_id AS ext_b, a.outlet AS outlet_a,"
    " b.outlet AS outlet_b, a.title AS title_a, b.title AS title_b,"
    " n.estimate, n.jaccard FROM near_duplicates n"
    " JOIN documents a ON a.id = n.doc_a JOIN documents b ON b.id = n.doc_b;\n"
    "CREATE TABLE IF NOT EXISTS doc_lines(doc INTEGER PRIMARY KEY,"
    " lines INTEGER NOT NULL, data BLOB NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS boilerplate_lines(hash INTEGER PRIMARY KEY,"
    " outlet TEXT, docs INTEGER NOT NULL, occurrences INTEGER NOT NULL,"
    " doc INTEGER NOT NULL, line TEXT);\n"
    "CREATE TABLE IF NOT EXISTS doc_boilerplate(doc INTEGER PRIMARY KEY,"
    " lines INTEGER NOT NULL, tokens INTEGER NOT NULL,"
    " fingerprint INTEGER NOT NULL);\n"
    "CREATE VIEW IF NOT EXISTS v_boilerplate_outlets AS SELECT outlet,"
    " count(*) AS lines, sum(occurrences) AS occurrences,"
    " max(docs) AS most_docs FROM boilerplate_lines GROUP BY outlet;\n"
    "CREATE TABLE IF NOT EXISTS doc_lengths_count(id INTEGER PRIMARY KEY"
    " CHECK (id = 1), documents INTEGER NOT NULL);\n"
    "INSERT OR IGNORE INTO doc_lengths_count(id, documents)"
    " SELECT 1, count(*) FROM doc_lengths;\n"
    "CREATE TRIGGER IF NOT EXISTS doc_lengths_added AFTER INSERT ON"
    " doc_lengths BEGIN UPDATE doc_lengths_count"
    " SET documents = documents + 1 WHERE id = 1; END;\n"
    "CREATE TRIGGER IF NOT EXISTS doc_lengths_removed AFTER DELETE ON"
    " doc_lengths BEGIN UPDATE doc_lengths_count"
    " SET documents = documents - 1 WHERE id = 1; END;\n";

sqlite3 *opine_store_db(opine_store *st)
{
    return st->db;
}

const char *opine_store_path(const opine_store *st)
{
    return st->path;
}

int opine_store_table_exists(sqlite3 *db, const char *name)
{
    return sqlite3_table_column_metadata(db, "main", name, NULL, NULL, NULL,
                                         NULL, NULL, NULL) == SQLITE_OK;
}

int opine_store_first_load(const opine_store *st)
{
    return st->first_load;
}

static double monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void opine_store_sync_early(opine_store *st, atomic_int *stop)
{
    int fd = st->sync_fd;
    if (fd < 0)
        return;
    /* On ABP the first round takes 0.4 s, in which the steps after the
     * input write another 30 MB or so; left to the final COMMIT, its
     * fdatasync waited 56 ms for them. A round of under 5 ms found
     * little to write: the rest is the COMMIT's. */
    for (int round = 0; round < 4; round++) {
        double t0 = monotonic();
        (void)fdatasync(fd);
        if (atomic_load(stop) || monotonic() - t0 < 0.005)
            break;
    }
}

const char *opine_store_errmsg(opine_store *st)
{
    /* After opine_store_rollback, SQLite's own says "not an error". */
    if (st->error && sqlite3_errcode(st->db) == SQLITE_OK)
        return st->error;
    return sqlite3_errmsg(st->db);
}

void opine_store_rollback(opine_store *st)
{
    sqlite3_free(st->error);
    st->error = sqlite3_mprintf("%s", sqlite3_errmsg(st->db));
    st->error_code = sqlite3_extended_errcode(st->db);
    /* SQLite may have rolled back already: after SQLITE_FULL, SQLITE_IOERR,
     * SQLITE_BUSY or SQLITE_NOMEM it may, and a ROLLBACK then fails with
     * "cannot rollback - no transaction is active". */
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

char *opine_store_failure(opine_store *st, const char *what)
{
    int code = sqlite3_errcode(st->db) == SQLITE_OK && st->error
                   ? st->error_code
                   : sqlite3_extended_errcode(st->db);
    const char *msg = opine_store_errmsg(st);
    /* The disk, not the data: say that nothing committed is lost and
     * what to do before running the command again. */
    static const char kept[] = "what was committed is kept";
    static const char again[] = "run the command again to continue";
    switch (code & 0xff) {
    case SQLITE_FULL:
        return opine__format("cannot write to '%s' while %s: the disk is"
                             " full; %s: free some space, then %s",
                             st->path, what, kept, again);
    case SQLITE_IOERR:
        return opine__format(
            "cannot %s '%s' while %s: %s; %s: once the disk works, %s",
            code == SQLITE_IOERR_READ || code == SQLITE_IOERR_SHORT_READ
                ? "read"
                : "write to",
            st->path, what, msg, kept, again);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return opine__format("'%s' is damaged (%s while %s)", st->path, msg,
                             what);
    default:
        return opine__format("database error in '%s' while %s: %s", st->path,
                             what, msg);
    }
}

int opine_store_exec(opine_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0
                                                                    : OPINE_EDB;
}

int opine_store_meta_read(opine_store *st, const char *key, char **value)
{
    sqlite3_stmt *q;
    *value = NULL;
    if (st->meta_cached) {
        for (size_t i = 0; i + 1 < st->nmeta; i += 2)
            if (strcmp(st->meta[i], key) == 0)
                return (*value = strdup(st->meta[i + 1])) ? 0 : OPINE_ENOMEM;
        return 0;
    }
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1,
                           &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_text(q, 0) &&
        (*value = strdup((const char *)sqlite3_column_text(q, 0))) == NULL) {
        sqlite3_finalize(q);
        return OPINE_ENOMEM;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : OPINE_EDB;
}

char *opine_store_meta_get(opine_store *st, const char *key)
{
    char *v;
    opine_store_meta_read(st, key, &v);
    return v;
}

int opine_store_meta_set(opine_store *st, const char *key, const char *value)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO meta(key, value)"
                           " VALUES(?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
    sqlite3_finalize(q);
    return rc;
}

static void free_meta(opine_store *st)
{
    for (size_t i = 0; i < st->nmeta; i++)
        free(st->meta[i]);
    free(st->meta);
    st->meta = NULL;
    st->nmeta = 0;
    st->meta_cached = 0;
}

/* A read-only store keeps its meta table (ten short rows) from the open
 * on: a lookup command reads half a dozen keys (the schema version, how
 * text was cut), each a statement to compile, and one statement for all
 * of them saves a term lookup on ABP 0.12 ms of its 7.4 (medians of 200
 * alternating runs). The keys readers read are set as the file is made
 * (schema_version changes with an upgrade only, which adds tables: a
 * reader that opened before it reads the file as it found it). */
static int read_meta(opine_store *st)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "SELECT key, value FROM meta", -1, &q,
                           NULL) != SQLITE_OK)
        return OPINE_EDB;
    size_t cap = 0;
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(q, 0);
        const char *v = (const char *)sqlite3_column_text(q, 1);
        if (k == NULL || v == NULL)
            continue;
        if (opine__grow((void **)&st->meta, &cap, st->nmeta + 2,
                        sizeof(char *)) ||
            (st->meta[st->nmeta] = strdup(k)) == NULL)
            rc = OPINE_ENOMEM;
        else if ((st->meta[st->nmeta + 1] = strdup(v)) == NULL) {
            free(st->meta[st->nmeta]);
            rc = OPINE_ENOMEM;
        } else
            st->nmeta += 2;
    }
    if (sqlite3_finalize(q) != SQLITE_OK && rc == 0)
        rc = OPINE_EDB;
    if (rc)
        free_meta(st);
    else
        st->meta_cached = 1;
    return rc;
}

/* *version: 0 for a database without any table (a new file), -1 for one
 * whose tables are not opine's, else meta.schema_version. */
static int schema_version(opine_store *st, int *version)
{
    sqlite3_stmt *q;
    *version = 0;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT count(*), sum(name = 'meta')"
                           " FROM sqlite_schema WHERE type = 'table'",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    int tables = 0, has_meta = 0;
    if (sqlite3_step(q) == SQLITE_ROW) {
        tables = sqlite3_column_int(q, 0);
        has_meta = sqlite3_column_int(q, 1);
    }
    /* A failed read is no empty file. */
    if (sqlite3_finalize(q) != SQLITE_OK)
        return OPINE_EDB;
    if (tables == 0)
        return 0;
    char *v = NULL;
    int rc = 0;
    if (has_meta && st->readonly && !st->meta_cached)
        rc = read_meta(st);
    if (rc == 0 && has_meta)
        rc = opine_store_meta_read(st, "schema_version", &v);
    *version = v ? atoi(v) : -1;
    free(v);
    return rc;
}

static int create_schema(opine_store *st)
{
    char now[32];
    opine_store_now(now);
    char version[16];
    snprintf(version, sizeof version, "%d", OPINE_SCHEMA_VERSION);
    if (opine_store_exec(st, "BEGIN IMMEDIATE") != 0)
        return OPINE_EDB;
    int v;
    /* Another process may have created it between our look and BEGIN. */
    if (schema_version(st, &v) == 0 && v != 0)
        return opine_store_exec(st, "COMMIT");
    if (opine_store_exec(st, SCHEMA_V1) != 0 ||
        opine_store_exec(st, SCHEMA_V2) != 0 ||
        opine_store_exec(st, SCHEMA_V3) != 0 ||
        opine_store_exec(st, SCHEMA_ADDED) != 0 ||
        opine_store_meta_set(st, "schema_version", version) != 0 ||
        opine_store_meta_set(st, "opine_version", OPINE_VERSION) != 0 ||
        opine_store_meta_set(st, "created", now) != 0 ||
        (opine__fault("schema"), opine_store_exec(st, "COMMIT") != 0)) {
        opine_store_rollback(st);
        return OPINE_EDB;
    }
    return 0;
}

/* What SCHEMA_ADDED makes (its 11 tables, indexes and views), for a file
 * that lacks some (made by an older opine): all in one transaction, so
 * that a file has all or none (a new file gets them with the rest of the
 * schema, in create_schema's); nothing when all are there (the usual
 * open). */
static int add_tables(opine_store *st)
{
    sqlite3_stmt *q;
    int have = 0;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT count(*) = 14 FROM sqlite_schema WHERE name"
                           " IN ('doc_authors', 'doc_authors_name',"
                           " 'doc_minhash', 'near_duplicates',"
                           " 'near_duplicates_b', 'v_near_dup_later',"
                           " 'v_near_duplicates', 'doc_lines',"
                           " 'boilerplate_lines', 'doc_boilerplate',"
                           " 'v_boilerplate_outlets', 'doc_lengths_count',"
                           " 'doc_lengths_added', 'doc_lengths_removed')",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    if (sqlite3_step(q) == SQLITE_ROW)
        have = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (have)
        return 0;
    if (opine_store_exec(st, "BEGIN IMMEDIATE") != 0)
        return OPINE_EDB;
    if (opine_store_exec(st, SCHEMA_ADDED) != 0 ||
        opine_store_exec(st, "COMMIT") != 0) {
        opine_store_rollback(st);
        return OPINE_EDB;
    }
    return 0;
}

/* Bring a version 1 to 3 file to the current version in one transaction:
 * every step only adds tables and views (and fills the new ones); version
 * 4 only changes the format new token streams are written in. */
static int migrate(opine_store *st, int from)
{
    char version[16];
    snprintf(version, sizeof version, "%d", OPINE_SCHEMA_VERSION);
    if (opine_store_exec(st, "BEGIN IMMEDIATE") != 0)
        return OPINE_EDB;
    if ((from < 2 && opine_store_exec(st, SCHEMA_V2) != 0) ||
        (from < 3 && (opine_store_exec(st, SCHEMA_V3) != 0 ||
                      opine_store_exec(st, MIGRATE_V3) != 0)) ||
        opine_store_meta_set(st, "schema_version", version) != 0 ||
        opine_store_exec(st, "COMMIT") != 0) {
        opine_store_rollback(st);
        return OPINE_EDB;
    }
    return 0;
}

/* Roll back the hot journal a killed writer left, with one short
 * read-write connection: reading the schema is enough, SQLite rolls a hot
 * journal back before any read (and leaves it alone while its writer still
 * holds the lock). SQLITE_OK, or why it could not. */
static int roll_back_journal(const char *path)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, 10000);
        rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
                          NULL);
    }
    sqlite3_close_v2(db);
    return rc;
}

/* A patient store's busy handler: wait as long as the file is locked,
 * saying after a second for whom, unless told to stop. The naps are
 * SQLite's own (sqliteDefaultBusyCallback's). */
static int patient_busy(void *arg, int count)
{
    static const int naps[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    opine_store *st = arg;
    if (opine__stop_requested(st->o.stop))
        return 0;
    double now = monotonic();
    if (count == 0)
        st->busy_since = now;
    if (!st->told && st->o.on_wait && now - st->busy_since >= 1.0) {
        st->told = 1;
        char *who = opine_lock_holder(st->path);
        char *msg = opine__format(
            "waiting for a lock on '%s': %s%s%s", st->path,
            who ? "another opine process is committing to it (" : "",
            who ? who : "another program is writing to it", who ? ")" : "");
        if (msg)
            st->o.on_wait(st->o.ctx, msg);
        free(msg);
        free(who);
    }
    sqlite3_sleep(count < 12 ? naps[count] : 100);
    return 1;
}

/* The folder of path with its final '/', or "./"; malloc'd. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? opine__format("%.*s", (int)(slash - path + 1), path)
                 : opine__format("./");
}

/* 0 when the folder of path can be written, else errno (EROFS on a
 * read-only file system, EACCES without permission). */
static int folder_unwritable(const char *path)
{
    char *dir = folder_of(path);
    int e = dir == NULL || access(dir, W_OK) == 0 ? 0 : errno;
    free(dir);
    return e;
}

/* SQLite says "unable to open database file" whether the file is missing
 * or its folder is read-only (and by then its last system call failed on
 * something else). When the folder cannot be written, this says so: what
 * opine or SQLite must write there, and what to do. NULL for other
 * causes (or no memory). */
static char *readonly_message(const char *path, int writing)
{
    int e = folder_unwritable(path);
    if (e != EROFS && e != EACCES && e != EPERM)
        return NULL;
    char *dir = folder_of(path), *msg = NULL;
    if (dir && writing)
        msg = opine__format(
            "cannot write '%s': %s in '%s' (opine keeps the database, its "
            "-wal and -shm files and a -opine.lock file there); write to a "
            "folder you can write to, or copy the database to one",
            path, strerror(e), dir);
    else if (dir)
        msg = opine__format(
            "cannot read '%s': %s in '%s', where SQLite must create "
            "'%s-shm' to read a database in WAL mode; copy the database to "
            "a folder you can write to",
            path, strerror(e), dir, path);
    free(dir);
    return msg;
}

/* Whether path with suffix may exist (it does, or we cannot tell). */
static int may_exist(const char *path, const char *suffix)
{
    char *p = opine__format("%s%s", path, suffix);
    int yes = p == NULL || access(p, F_OK) == 0 || errno != ENOENT;
    free(p);
    return yes;
}

/* On a read-only file system nobody writes the database through this
 * mount, so when it has no -wal file left (opine's last writer closed it
 * and checkpointed) and no -journal (a hot one would be ignored) it can
 * be read as immutable: no -shm needed. Returns a new connection, or
 * NULL. */
static sqlite3 *open_immutable(const char *path, int oflags)
{
    if (may_exist(path, "-wal") || may_exist(path, "-journal"))
        return NULL;
    /* "file:" URI: every byte but unreserved ones percent-encoded */
    size_t n = strlen(path);
    char *uri = malloc(3 * n + 32), *q = uri;
    if (uri == NULL)
        return NULL;
    q += sprintf(q, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
            *q++ = (char)*p;
        else
            q += sprintf(q, "%%%02X", *p);
    sprintf(q, "?immutable=1");
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(uri, &db, oflags | SQLITE_OPEN_URI, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
                     NULL) != SQLITE_OK) {
        sqlite3_close_v2(db);
        db = NULL;
    }
    free(uri);
    return db;
}

static void set_busy(opine_store *st)
{
    if (st->o.patient)
        sqlite3_busy_handler(st->db, patient_busy, st);
    else
        sqlite3_busy_timeout(st->db, 10000);
}

int opine_store_open(opine_store **out, const char *path, int flags,
                     char **errmsg)
{
    return opine_store_open_opts(out, path, flags, NULL, errmsg);
}

int opine_store_open_opts(opine_store **out, const char *path, int flags,
                          const opine_store_opts *opts, char **errmsg)
{
    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    opine_store *st = calloc(1, sizeof(*st));
    if (st)
        st->sync_fd = -1; /* before any path to opine_store_close() */
    if (st == NULL || (st->path = strdup(path)) == NULL) {
        free(st);
        return OPINE_ENOMEM;
    }
    if (opts)
        st->o = *opts;
    st->readonly = (flags & OPINE_STORE_READONLY) != 0;
    /* One writer at a time, from before the first read: a second writer
     * then never meets the first one's locks in SQLite, nor collides with
     * the ids its run keeps in memory. */
    if (!(flags & OPINE_STORE_READONLY)) {
        opine_lock_opts lo = {.writer = st->o.writer,
                              .wait = st->o.wait,
                              .stop = st->o.stop,
                              .on_wait = st->o.on_wait,
                              .ctx = st->o.ctx};
        int lrc = opine_lock_take(&st->lock, path, &lo, errmsg);
        if (lrc) {
            opine_store_close(st);
            return lrc;
        }
    }
    int oflags =
        (flags & OPINE_STORE_READONLY)
            ? SQLITE_OPEN_READONLY
            : SQLITE_OPEN_READWRITE |
                  ((flags & OPINE_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
    /* No per-call mutex: a store is used by one thread at a time (the
     * engine hands it to its writer thread and takes it back with a thread
     * start and join, never concurrently), and the locking cost 5% of a
     * run. */
    oflags |= SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        char *ro = readonly_message(path, !(flags & OPINE_STORE_READONLY));
        if (errmsg)
            *errmsg = ro ? ro
                         : opine__format("cannot open '%s': %s", path,
                                         st->db ? sqlite3_errmsg(st->db)
                                                : "out of memory");
        else
            free(ro);
        opine_store_close(st);
        return rc == SQLITE_NOMEM ? OPINE_ENOMEM : OPINE_EIO;
    }
    /* A reader maps the file before its first read (the schema): a page
     * read with pread() lands in freshly allocated page cache, 16 page
     * faults for a 64 KiB page, where a mapped page costs one. */
    if (flags & OPINE_STORE_READONLY)
        sqlite3_exec(st->db, "PRAGMA mmap_size = 1099511627776", NULL, NULL,
                     NULL);
    set_busy(st);
    int version;
    int vrc = schema_version(st, &version);
    if (vrc != 0 && (flags & OPINE_STORE_READONLY) &&
        folder_unwritable(path) == EROFS) {
        sqlite3 *db = open_immutable(path, oflags);
        if (db) {
            sqlite3_close_v2(st->db);
            st->db = db;
            set_busy(st);
            vrc = schema_version(st, &version);
        }
    }
    if (vrc != 0 && (flags & OPINE_STORE_READONLY) &&
        sqlite3_extended_errcode(st->db) == SQLITE_READONLY_ROLLBACK) {
        /* A writer died mid-transaction (a first load keeps a rollback
         * journal) and a read-only connection may not roll it back. */
        int rrc = roll_back_journal(path);
        sqlite3_close_v2(st->db);
        st->db = NULL;
        if (rrc != SQLITE_OK) {
            if (errmsg)
                *errmsg = opine__format(
                    "'%s' was left mid-write by a run that stopped (its"
                    " journal '%s-journal' holds an unfinished transaction)"
                    " and it cannot be rolled back from here: %s. Nothing"
                    " committed is lost; rerun the command that was"
                    " writing it, or 'opine status %s', as a user who can"
                    " write to its folder",
                    path, path, sqlite3_errstr(rrc), path);
            opine_store_close(st);
            return OPINE_EDB;
        }
        if (sqlite3_open_v2(path, &st->db, oflags, NULL) == SQLITE_OK) {
            set_busy(st);
            vrc = schema_version(st, &version);
        }
    }
    if (vrc != 0 || st->db == NULL) {
        char *ro = readonly_message(path, !(flags & OPINE_STORE_READONLY));
        if (errmsg)
            *errmsg = ro ? ro
                         : opine__format("cannot read '%s': %s", path,
                                         st->db ? sqlite3_errmsg(st->db)
                                                : "out of memory");
        else
            free(ro);
        opine_store_close(st);
        return OPINE_EDB;
    }
    /* SQLite opens a file it cannot write read-only without a word (a
     * read-only mount, a file without write permission): say so now,
     * not at the first write. */
    if (!(flags & OPINE_STORE_READONLY) &&
        sqlite3_db_readonly(st->db, "main") == 1) {
        char *ro = readonly_message(path, 1);
        if (errmsg)
            *errmsg = ro ? ro
                         : opine__format("cannot write '%s': the file is"
                                         " read-only",
                                         path);
        else
            free(ro);
        opine_store_close(st);
        return OPINE_EDB;
    }
    /* An empty file is what a first run leaves until its first commit,
     * and after being killed before it. */
    if (version == 0 && !(flags & OPINE_STORE_CREATE)) {
        if (errmsg)
            *errmsg = opine__format(
                "'%s' holds nothing yet: no run has committed anything to it."
                " A run that is creating it writes at its first commit; if"
                " the run was stopped, rerun the same command to start it",
                path);
        opine_store_close(st);
        return OPINE_EEMPTY;
    }
    if (version >= 1 && version < OPINE_SCHEMA_VERSION &&
        !(flags & OPINE_STORE_READONLY)) {
        if (migrate(st, version) != 0) {
            if (errmsg)
                *errmsg = opine_store_failure(st, "upgrading it");
            opine_store_close(st);
            return OPINE_EDB;
        }
        version = OPINE_SCHEMA_VERSION;
    }
    /* Read-only, an older file is read as it is: its tables mean what they
     * meant; only the newer tables are missing. */
    int readable_v1 = version >= 1 && version < OPINE_SCHEMA_VERSION &&
                      (flags & OPINE_STORE_READONLY);
    if (version != OPINE_SCHEMA_VERSION && !readable_v1 &&
        !(version == 0 && (flags & OPINE_STORE_CREATE))) {
        if (errmsg)
            *errmsg = opine__format(
                version <= 0 ? "'%s' is not an opine database"
                             : "'%s' has an unsupported schema version",
                path);
        opine_store_close(st);
        return OPINE_ESCHEMA;
    }
    /* WAL: a killed writer never damages committed batches and readers
     * (opine sql, opine status) work while a run writes. NORMAL sync is
     * durable against process death; only a power cut may lose the last
     * transactions, never consistency. */
    /* 64 KiB pages (SQLite's largest): most bytes are compressed bodies
     * and token streams of a few KiB each, which then fit in their rows
     * without overflow pages, and the writer makes a quarter of the
     * system calls. Measured on ABP against 16 KiB: opine run 6.37 s
     * instead of 6.70 s, the file 419 MB instead of 439 MB, and the demo
     * and README queries 21 s instead of 25 s. Set before WAL: a WAL
     * database cannot change its page size, so older files keep theirs. */
    if (version == 0 && (flags & OPINE_STORE_CREATE))
        opine_store_exec(st, "PRAGMA page_size = 65536;");
    /* The first load into a new file uses a rollback journal instead:
     * pages appended beyond the file's old end are never journaled, so
     * each page is written once, where WAL writes it twice (to the log,
     * then to the file at each checkpoint) and waits for the disk at every
     * checkpoint. Measured on ABP: opine run 5.34 s -> 4.99 s. Killed
     * runs stay as safe (SQLite rolls a hot journal back on the next
     * open). The price: while opine creates a database, readers wait for
     * each commit, a long read transaction stalls the load, and a commit
     * that waits longer than the busy timeout stops it with "database is
     * locked" (a rerun resumes). */
    st->first_load = version == 0 && (flags & OPINE_STORE_CREATE);
    if (st->first_load)
        st->sync_fd = open(path, O_RDONLY | O_CLOEXEC);
    /* A later writer switches the file (at rest in rollback-journal mode,
     * opine_store_close) to WAL. The switch needs the file to itself for
     * a moment: it waits, as a commit does, while another program holds a
     * read transaction, and failing that the writer writes with the
     * rollback journal, as a first load does. */
    if (!(flags & OPINE_STORE_READONLY))
        opine_store_exec(st, st->first_load ? "PRAGMA journal_mode = TRUNCATE;"
                                              "PRAGMA synchronous = NORMAL;"
                                            : "PRAGMA journal_mode = WAL;"
                                              "PRAGMA synchronous = NORMAL;");
    /* 8 MiB of page cache: a run writes in key order and reads little
     * back. On ABP, 16 MiB measured no faster (8 alternating pairs of
     * runs: medians 7.66 and 7.75 s, each side's runs spread over 2 s)
     * and cost 6-9 MB of peak memory (242-246 against 234-237 MB); 32 MiB
     * cost 20 MB more and was no faster either. */
    opine_store_exec(st, "PRAGMA cache_size = -8192;"
                         "PRAGMA temp_store = MEMORY;");
    /* Debian builds SQLite with SECURE_DELETE, which zeroes every byte a
     * delete or an update frees. That is for hiding deleted data; opine
     * deletes nothing and rewrites frequency rows all the time. Off: 1.6%
     * fewer instructions for a run (callgrind, 3,000 ABP articles). */
    opine_store_exec(st, "PRAGMA secure_delete = OFF;");
    if ((version == 0 && create_schema(st) != 0) ||
        (version != 0 && !(flags & OPINE_STORE_READONLY) &&
         add_tables(st) != 0)) {
        if (errmsg)
            *errmsg = opine_store_failure(st, "creating its tables");
        opine_store_close(st);
        return OPINE_EDB;
    }
    *out = st;
    return 0;
}

void opine_store_close(opine_store *st)
{
    if (st == NULL)
        return;
    /* A writer leaves the file in rollback-journal mode: one file, no
     * -wal or -shm beside it, which any SQLite opens on any file system
     * (a read-only mount, a copy) and a reader opens without setting up
     * WAL's shared memory: creating and mapping the -shm cost every
     * read-only command about 0.2 ms (opine search for a term on ABP: 7.23-7.26
     * against 7.42-7.49 ms, medians of 200 alternating runs; the FTS5
     * route's query 6.67-6.73). Every writer switches to WAL again as it
     * opens, so readers still read while it writes. The switch
     * checkpoints what the WAL holds; it fails at once (no busy wait),
     * leaving the file WAL, while another connection has it open, and the
     * next writer's close switches it then. Nothing is lost either way. */
    if (st->lock && st->db) {
        sqlite3_busy_timeout(st->db, 0);
        sqlite3_exec(st->db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    }
    sqlite3_close_v2(st->db);
    opine_lock_release(st->lock);
    sqlite3_free(st->error);
    free_meta(st);
    if (st->sync_fd >= 0)
        close(st->sync_fd);
    free(st->path);
    free(st);
}

void opine_store_now(char buf[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

int opine_store_pid_alive(int64_t pid)
{
    if (pid <= 0 || pid == getpid())
        return 0; /* this process is starting the run, not running one */
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* A run whose process is gone was killed: say so instead of 'running'. */
static int mark_dead_runs(opine_store *st)
{
    sqlite3_stmt *q, *u;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, pid FROM runs WHERE status = 'running'",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE runs SET status = 'interrupted'"
                           " WHERE id = ?",
                           -1, &u, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return OPINE_EDB;
    }
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (opine_store_pid_alive(sqlite3_column_int64(q, 1)))
            continue;
        sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
        sqlite3_step(u);
        sqlite3_reset(u);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    return 0;
}

/* What reading did besides documents and rejects, by name, per run: made
 * when a run begins (no schema version of its own). */
#define RUN_COUNTERS_SQL                                                       \
    "CREATE TABLE IF NOT EXISTS run_counters(run INTEGER NOT NULL,"            \
    " name TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY(run, name))"     \
    " WITHOUT ROWID"

int opine_run_begin(opine_store *st, const char *stage, const char *params,
                    int64_t *run_id)
{
    char now[32];
    opine_store_now(now);
    sqlite3_stmt *q;
    if (opine_store_exec(st, "BEGIN IMMEDIATE") != 0)
        return OPINE_EDB;
    mark_dead_runs(st);
    if (opine_store_exec(st, RUN_COUNTERS_SQL) != 0)
        goto fail;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO runs(stage, params, pid, started,"
                           " status) VALUES(?, ?, ?, ?, 'running')",
                           -1, &q, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(q, 1, stage, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, params, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, getpid());
    sqlite3_bind_text(q, 4, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        goto fail;
    *run_id = sqlite3_last_insert_rowid(st->db);
    if (opine_store_exec(st, "COMMIT") == 0)
        return 0;
fail:
    opine_store_rollback(st);
    return OPINE_EDB;
}

/* Store the counters that are not columns of runs (non-zero ones). */
static int store_counters(opine_store *st, int64_t run_id,
                          const opine_run_counts *c)
{
    const struct {
        const char *name;
        int64_t value;
    } v[] = {{"utf8_repairs", c->utf8_repairs},
             {"repaired_records", c->repaired_records},
             {"archive_members", c->members},
             {"skipped_records", c->skipped_records},
             {"unquoted_streams", c->unquoted_streams}};
    sqlite3_stmt *q;
    size_t i;
    int rc = 0;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        if (v[i].value)
            break;
    if (i == sizeof(v) / sizeof(v[0]))
        return 0;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO run_counters(run, name,"
                           " value) VALUES(?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    for (i = 0; rc == 0 && i < sizeof(v) / sizeof(v[0]); i++) {
        if (!v[i].value)
            continue;
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_text(q, 2, v[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, v[i].value);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = OPINE_EDB;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return rc;
}

static int bind_counts(sqlite3_stmt *q, const opine_run_counts *c)
{
    sqlite3_bind_int64(q, 1, c->records);
    sqlite3_bind_int64(q, 2, c->documents);
    sqlite3_bind_int64(q, 3, c->duplicates);
    sqlite3_bind_int64(q, 4, c->skipped);
    sqlite3_bind_int64(q, 5, c->rejected);
    return 0;
}

int opine_run_update(opine_store *st, int64_t run_id, const opine_run_counts *c)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE runs SET records = ?1, documents = ?2,"
                           " duplicates = ?3, skipped = ?4, rejected = ?5"
                           " WHERE id = ?6",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    bind_counts(q, c);
    sqlite3_bind_int64(q, 6, run_id);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
    sqlite3_finalize(q);
    return rc ? rc : store_counters(st, run_id, c);
}

int opine_run_finish(opine_store *st, int64_t run_id, const char *status,
                     const opine_run_counts *c, const char *message)
{
    char now[32];
    opine_store_now(now);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE runs SET records = ?1, documents = ?2,"
                           " duplicates = ?3, skipped = ?4, rejected = ?5,"
                           " status = ?6, finished = ?7, message = ?8"
                           " WHERE id = ?9",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    bind_counts(q, c);
    sqlite3_bind_text(q, 6, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, message, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 9, run_id);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
    sqlite3_finalize(q);
    return rc ? rc : store_counters(st, run_id, c);
}

int opine_run_timings(opine_store *st, int64_t run_id, const char *json)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db, "UPDATE runs SET timings = ? WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    sqlite3_bind_text(q, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, run_id);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
    sqlite3_finalize(q);
    return rc;
}

int opine_run_reject(opine_store *st, int64_t run_id, const char *source,
                     uint64_t position, const char *error)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO rejects(run, source, position, error)"
                           " VALUES(?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_text(q, 2, source, -1, SQLITE_STATIC);
    if (position)
        sqlite3_bind_int64(q, 3, (sqlite3_int64)position);
    sqlite3_bind_text(q, 4, error, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
    sqlite3_finalize(q);
    return rc;
}
