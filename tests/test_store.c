/* tests/test_store.c — the SQLite store: open and schema, meta, runs.
 *
 * Each case works in a fresh mkdtemp() directory removed afterwards, and
 * checks what the store wrote with plain SQL on the store's connection, the
 * way an analyst would see it. Cases are numbered, one topic each.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "pipeline/lock.h"
#include "pipeline/store.h"

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/opine-store-XXXXXX",
             base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- SQL helpers ---------------------------------------------------- */

/* The single integer sql yields; fails the test if it yields no row. */
static int64_t q_int(opine_store *st, const char *sql)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(opine_store_db(st), sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, opine_store_errmsg(st));
    if (sqlite3_step(q) != SQLITE_ROW)
        fail_msg("%s: no row", sql);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* The single text value sql yields, malloc'd; NULL for SQL NULL. */
static char *q_text(opine_store *st, const char *sql)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(opine_store_db(st), sql, -1, &q, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, opine_store_errmsg(st));
    if (sqlite3_step(q) != SQLITE_ROW)
        fail_msg("%s: no row", sql);
    const unsigned char *t = sqlite3_column_text(q, 0);
    char *v = t ? strdup((const char *)t) : NULL;
    sqlite3_finalize(q);
    return v;
}

static void expect_text(opine_store *st, const char *sql, const char *want)
{
    char *got = q_text(st, sql);
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static opine_store *open_new(const char *name)
{
    opine_store *st = NULL;
    char *msg = NULL;
    int rc = opine_store_open(&st, tpath(name), OPINE_STORE_CREATE, &msg);
    if (rc != 0)
        fail_msg("open '%s': %d %s", name, rc, msg ? msg : "");
    assert_null(msg);
    assert_non_null(st);
    return st;
}

/* A pid that certainly belongs to no process: a child we reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return pid;
}

/* ---- cases ---------------------------------------------------------- */

static void test01_create_schema(void **state)
{
    (void)state;
    opine_store *st = open_new("a.db");
    assert_string_equal(opine_store_path(st), tpath("a.db"));
    char want[8];
    snprintf(want, sizeof want, "%d", OPINE_SCHEMA_VERSION);
    expect_text(st, "SELECT value FROM meta WHERE key = 'schema_version'",
                want);
    expect_text(st, "SELECT value FROM meta WHERE key = 'opine_version'",
                OPINE_VERSION);
    /* Every table and view the header lists is there. */
    static const char *names[] = {
        "meta",           "runs",      "rejects",     "documents",
        "duplicates",     "doc_meta",  "types",       "stems",
        "doc_tokens",     "doc_terms", "terms",       "stage_done",
        "v_documents",    "v_terms",   "v_doc_terms", "v_tfidf",
        "v_outlet_terms",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_schema WHERE name = '%s'",
                 names[i]);
        if (q_int(st, sql) != 1)
            fail_msg("no '%s' in a new database", names[i]);
    }
    /* The views compile against the tables. */
    assert_int_equal(q_int(st, "SELECT count(*) FROM v_tfidf"), 0);
    assert_int_equal(q_int(st, "SELECT count(*) FROM v_outlet_terms"), 0);
    opine_store_close(st);

    struct stat sb;
    assert_int_equal(stat(tpath("a.db"), &sb), 0);
}

/* Reopening keeps what was stored and does not create the schema twice. */
static void test02_reopen(void **state)
{
    (void)state;
    opine_store *st = open_new("a.db");
    char *created = opine_store_meta_get(st, "created");
    assert_non_null(created);
    assert_int_equal(opine_store_meta_set(st, "language", "english"), 0);
    opine_store_close(st);

    static const int flags[] = {0, OPINE_STORE_CREATE, OPINE_STORE_READONLY};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        char *msg = NULL;
        assert_int_equal(opine_store_open(&st, tpath("a.db"), flags[i], &msg),
                         0);
        assert_null(msg);
        expect_text(st, "SELECT value FROM meta WHERE key = 'language'",
                    "english");
        char *again = opine_store_meta_get(st, "created");
        assert_non_null(again);
        assert_string_equal(again, created);
        free(again);
        assert_int_equal(q_int(st, "SELECT count(*) FROM meta WHERE key ="
                                   " 'schema_version'"),
                         1);
        opine_store_close(st);
    }
    free(created);
}

static void test03_readonly_missing(void **state)
{
    (void)state;
    static const int flags[] = {OPINE_STORE_READONLY, 0};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        opine_store *st = (opine_store *)&st;
        char *msg = NULL;
        int rc = opine_store_open(&st, tpath("none.db"), flags[i], &msg);
        assert_true(rc < 0);
        assert_null(st);
        assert_non_null(msg);
        assert_non_null(strstr(msg, tpath("none.db")));
        free(msg);
        /* Failing must not leave a file behind. */
        struct stat sb;
        assert_int_equal(stat(tpath("none.db"), &sb), -1);
    }
    /* errmsg is optional. */
    opine_store *st;
    assert_true(opine_store_open(&st, tpath("none.db"), OPINE_STORE_READONLY,
                                 NULL) < 0);
}

/* A SQLite file some other program made. */
static void make_foreign(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE customers(id INTEGER PRIMARY"
                                  " KEY, name TEXT);"
                                  "INSERT INTO customers(name) VALUES('x');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}

static void test04_foreign_readonly(void **state)
{
    (void)state;
    make_foreign(tpath("other.db"));
    opine_store *st = (opine_store *)&st;
    char *msg = NULL;
    int rc =
        opine_store_open(&st, tpath("other.db"), OPINE_STORE_READONLY, &msg);
    assert_int_equal(rc, OPINE_ESCHEMA);
    assert_null(st);
    assert_non_null(msg);
    assert_non_null(strstr(msg, tpath("other.db")));
    assert_non_null(strstr(msg, "not an opine database"));
    free(msg);
}

/* Opened for writing, a database that has tables but no opine schema must
 * be refused too, not have opine's tables added to it.
 */
static void test05_foreign_writable(void **state)
{
    (void)state;
    make_foreign(tpath("other.db"));
    static const int flags[] = {0, OPINE_STORE_CREATE};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        opine_store *st = (opine_store *)&st;
        char *msg = NULL;
        int rc = opine_store_open(&st, tpath("other.db"), flags[i], &msg);
        if (rc != OPINE_ESCHEMA) {
            opine_store_close(rc == 0 ? st : NULL);
            fail_msg("flags %d: rc %d, want OPINE_ESCHEMA", flags[i], rc);
        }
        assert_null(st);
        assert_non_null(msg);
        assert_non_null(strstr(msg, tpath("other.db")));
        free(msg);
    }
    /* And the file is as its owner left it. */
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(tpath("other.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(name) FROM"
                                        " sqlite_schema",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "customers");
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* An opine database from a future version (999) is refused, not written
 * to. */
static void test06_other_schema_version(void **state)
{
    (void)state;
    opine_store *st = open_new("v2.db");
    assert_int_equal(opine_store_meta_set(st, "schema_version", "999"), 0);
    opine_store_close(st);
    static const int flags[] = {0, OPINE_STORE_CREATE, OPINE_STORE_READONLY};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        char *msg = NULL;
        st = (opine_store *)&st;
        assert_int_equal(opine_store_open(&st, tpath("v2.db"), flags[i], &msg),
                         OPINE_ESCHEMA);
        assert_null(st);
        assert_non_null(msg);
        assert_non_null(strstr(msg, tpath("v2.db")));
        assert_non_null(strstr(msg, "schema version"));
        free(msg);
    }
}

/* A file that is not SQLite at all is an error naming the file. */
static void test07_not_sqlite(void **state)
{
    (void)state;
    FILE *f = fopen(tpath("text.db"), "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("this is a plain text file, not a database\n", f);
    fclose(f);
    opine_store *st = (opine_store *)&st;
    char *msg = NULL;
    int rc =
        opine_store_open(&st, tpath("text.db"), OPINE_STORE_READONLY, &msg);
    assert_true(rc < 0);
    assert_null(st);
    assert_non_null(msg);
    assert_non_null(strstr(msg, tpath("text.db")));
    free(msg);
}

static void test08_meta(void **state)
{
    (void)state;
    opine_store *st = open_new("a.db");
    assert_null(opine_store_meta_get(st, "nothing"));
    assert_int_equal(opine_store_meta_set(st, "language", "german"), 0);
    assert_int_equal(opine_store_meta_set(st, "empty", ""), 0);
    char *v = opine_store_meta_get(st, "language");
    assert_non_null(v);
    assert_string_equal(v, "german");
    free(v);
    assert_int_equal(opine_store_meta_set(st, "language", "russian"), 0);
    v = opine_store_meta_get(st, "language");
    assert_non_null(v);
    assert_string_equal(v, "russian");
    free(v);
    v = opine_store_meta_get(st, "empty");
    assert_non_null(v);
    assert_string_equal(v, "");
    free(v);
    assert_int_equal(
        q_int(st, "SELECT count(*) FROM meta WHERE key = 'language'"), 1);
    opine_store_close(st);

    /* Committed: visible to the next connection. */
    assert_int_equal(
        opine_store_open(&st, tpath("a.db"), OPINE_STORE_READONLY, NULL), 0);
    v = opine_store_meta_get(st, "language");
    assert_non_null(v);
    assert_string_equal(v, "russian");
    free(v);
    /* A read-only store refuses writes. */
    assert_int_equal(opine_store_meta_set(st, "language", "x"), OPINE_EDB);
    opine_store_close(st);
}

static void test09_run_begin(void **state)
{
    (void)state;
    opine_store *st = open_new("a.db");
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(opine_run_begin(st, "ingest", "{\"x\":1}", &id1), 0);
    assert_true(id1 > 0);
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM runs WHERE id = %lld AND stage = 'ingest'"
             " AND params = '{\"x\":1}' AND status = 'running'"
             " AND pid = %ld AND started IS NOT NULL AND finished IS NULL",
             (long long)id1, (long)getpid());
    assert_int_equal(q_int(st, sql), 1);
    /* Committed, not left in an open transaction. */
    assert_int_not_equal(sqlite3_get_autocommit(opine_store_db(st)), 0);

    assert_int_equal(opine_run_begin(st, "stem", NULL, &id2), 0);
    assert_true(id2 > id1);
    snprintf(sql, sizeof sql, "SELECT params IS NULL FROM runs WHERE id = %lld",
             (long long)id2);
    assert_int_equal(q_int(st, sql), 1);
    opine_store_close(st);
}

static void test10_run_finish(void **state)
{
    (void)state;
    opine_store *st = open_new("a.db");
    int64_t id;
    assert_int_equal(opine_run_begin(st, "ingest", NULL, &id), 0);
    opine_run_counts mid = {10, 8, 1, 0, 1, 0, 0, 0, 0, 0};
    assert_int_equal(opine_run_update(st, id, &mid), 0);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT records * 10000 + documents * 1000 + duplicates * 100"
             " + skipped * 10 + rejected FROM runs WHERE id = %lld",
             (long long)id);
    assert_int_equal(q_int(st, sql), 108101);

    opine_run_counts c = {5, 4, 3, 2, 1, 7, 3, 0, 0, 4};
    assert_int_equal(opine_run_finish(st, id, "rejected", &c, "1 bad line"), 0);
    assert_int_equal(q_int(st, sql), 54321);
    snprintf(sql, sizeof sql, "SELECT status FROM runs WHERE id = %lld",
             (long long)id);
    expect_text(st, sql, "rejected");
    snprintf(sql, sizeof sql, "SELECT message FROM runs WHERE id = %lld",
             (long long)id);
    expect_text(st, sql, "1 bad line");
    snprintf(sql, sizeof sql,
             "SELECT finished >= started FROM runs WHERE id = %lld",
             (long long)id);
    assert_int_equal(q_int(st, sql), 1);
    /* The reading counters go to run_counters by name, zeros left out. */
    snprintf(sql, sizeof sql,
             "SELECT group_concat(name || '=' || value, ',') FROM"
             " (SELECT name, value FROM run_counters WHERE run = %lld"
             " ORDER BY name)",
             (long long)id);
    expect_text(st, sql,
                "repaired_records=3,unquoted_streams=4,utf8_repairs=7");

    /* A NULL message stores NULL. */
    int64_t id2;
    opine_run_counts zero = {0};
    assert_int_equal(opine_run_begin(st, "stem", NULL, &id2), 0);
    assert_int_equal(opine_run_finish(st, id2, "ok", &zero, NULL), 0);
    snprintf(sql, sizeof sql,
             "SELECT status || ':' || ifnull(message, 'NULL') FROM runs"
             " WHERE id = %lld",
             (long long)id2);
    expect_text(st, sql, "ok:NULL");
    opine_store_close(st);
}

/* Insert a 'running' row for pid as a killed or a concurrent run leaves. */
static int64_t insert_running(opine_store *st, long pid)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "INSERT INTO runs(stage, pid, started, status)"
             " VALUES('ingest', %ld, '2024-01-01T00:00:00Z', 'running')",
             pid);
    assert_int_equal(opine_store_exec(st, sql), 0);
    return sqlite3_last_insert_rowid(opine_store_db(st));
}

static void test11_dead_runs_interrupted(void **state)
{
    (void)state;
    opine_store *st = open_new("a.db");
    int64_t dead = insert_running(st, (long)dead_pid());
    int64_t alive = insert_running(st, (long)getppid());
    int64_t done;
    assert_int_equal(opine_run_begin(st, "ingest", NULL, &done), 0);
    opine_run_counts zero = {0};
    assert_int_equal(opine_run_finish(st, done, "ok", &zero, NULL), 0);

    int64_t id;
    assert_int_equal(opine_run_begin(st, "stem", NULL, &id), 0);
    char sql[120];
    snprintf(sql, sizeof sql, "SELECT status FROM runs WHERE id = %lld",
             (long long)dead);
    expect_text(st, sql, "interrupted");
    snprintf(sql, sizeof sql, "SELECT status FROM runs WHERE id = %lld",
             (long long)alive);
    expect_text(st, sql, "running");
    /* Finished runs are not touched. */
    snprintf(sql, sizeof sql, "SELECT status FROM runs WHERE id = %lld",
             (long long)done);
    expect_text(st, sql, "ok");
    snprintf(sql, sizeof sql, "SELECT status FROM runs WHERE id = %lld",
             (long long)id);
    expect_text(st, sql, "running");
    opine_store_close(st);
}

static void test12_reject(void **state)
{
    (void)state;
    opine_store *st = open_new("a.db");
    int64_t id;
    assert_int_equal(opine_run_begin(st, "ingest", NULL, &id), 0);
    assert_int_equal(opine_run_reject(st, id, "in/a.jsonl", 42,
                                      "malformed record: expected '}'"),
                     0);
    assert_int_equal(opine_run_reject(st, id, "in/b.txt", UINT64_C(1) << 40,
                                      "invalid UTF-8"),
                     0);
    char sql[200];
    snprintf(sql, sizeof sql,
             "SELECT source || '|' || position || '|' || error FROM rejects"
             " WHERE run = %lld ORDER BY rowid LIMIT 1",
             (long long)id);
    expect_text(st, sql, "in/a.jsonl|42|malformed record: expected '}'");
    snprintf(sql, sizeof sql,
             "SELECT position FROM rejects WHERE run = %lld"
             " AND source = 'in/b.txt'",
             (long long)id);
    assert_int_equal(q_int(st, sql), INT64_C(1) << 40);
    assert_int_equal(q_int(st, "SELECT count(*) FROM rejects"), 2);
    opine_store_close(st);
}

static void test13_close_null(void **state)
{
    (void)state;
    opine_store_close(NULL);
}

/* A version 1 file (before scoring) is readable read-only and upgraded in
 * place, keeping its rows, when opened for writing. */
static void test14_upgrade_v1(void **state)
{
    (void)state;
    opine_store *st = open_new("v1.db");
    assert_int_equal(
        opine_store_exec(st, "DROP VIEW v_stance_monthly; DROP VIEW v_stance;"
                             "DROP VIEW v_evidence; DROP TABLE evidence;"
                             "DROP TABLE doc_scores; DROP TABLE themes;"
                             "DROP TABLE models; DROP TABLE doc_lengths;"
                             /* v1 had no languages on documents or types */
                             "ALTER TABLE documents DROP COLUMN lang;"
                             "ALTER TABLE runs DROP COLUMN timings;"
                             "DROP TABLE types;"
                             "CREATE TABLE types(id INTEGER PRIMARY KEY,"
                             " type TEXT NOT NULL UNIQUE, stem INTEGER,"
                             " stopword INTEGER NOT NULL DEFAULT 0,"
                             " cf INTEGER NOT NULL DEFAULT 0);"
                             "CREATE INDEX types_stem ON types(stem);"
                             "INSERT INTO types(type, cf) VALUES('korea', 3);"
                             "INSERT INTO runs(stage, started, status)"
                             " VALUES('run', 'then', 'ok');"),
        0);
    assert_int_equal(opine_store_meta_set(st, "schema_version", "1"), 0);
    opine_store_close(st);

    char *msg = NULL;
    assert_int_equal(
        opine_store_open(&st, tpath("v1.db"), OPINE_STORE_READONLY, &msg), 0);
    assert_int_equal(q_int(st, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(q_int(st, "SELECT count(*) FROM sqlite_schema"
                               " WHERE name = 'doc_scores'"),
                     0);
    opine_store_close(st);

    st = open_new("v1.db");
    char want[8];
    snprintf(want, sizeof want, "%d", OPINE_SCHEMA_VERSION);
    expect_text(st, "SELECT value FROM meta WHERE key = 'schema_version'",
                want);
    assert_int_equal(q_int(st, "SELECT count(*) FROM sqlite_schema WHERE"
                               " name IN ('models', 'themes', 'doc_scores',"
                               " 'evidence', 'v_stance', 'v_stance_monthly',"
                               " 'doc_lengths')"),
                     7);
    assert_int_equal(q_int(st, "SELECT count(*) FROM runs"), 1);
    expect_text(st, "SELECT type || '/' || lang || '/' || cf FROM types",
                "korea//3");
    assert_int_equal(q_int(st, "SELECT count(*) FROM pragma_table_info("
                               "'documents') WHERE name = 'lang'"),
                     1);
    opine_store_close(st);
}

/* A version 3 file (token streams in zlib) reads as it is when opened
 * read-only and is marked version 4 when opened for writing: nothing else
 * changes, its streams stay readable (tests/test_tokstream.c, format 1). */
static void test15_upgrade_v3(void **state)
{
    (void)state;
    opine_store *st = open_new("v3.db");
    assert_int_equal(opine_store_exec(st,
                                      "INSERT INTO doc_tokens(doc, tokens,"
                                      " sentences, stream)"
                                      " VALUES(1, 0, 0, x'789c0300000001')"),
                     0);
    assert_int_equal(opine_store_meta_set(st, "schema_version", "3"), 0);
    opine_store_close(st);

    char *msg = NULL;
    assert_int_equal(
        opine_store_open(&st, tpath("v3.db"), OPINE_STORE_READONLY, &msg), 0);
    expect_text(st, "SELECT value FROM meta WHERE key = 'schema_version'", "3");
    opine_store_close(st);

    st = open_new("v3.db");
    char want[8];
    snprintf(want, sizeof want, "%d", OPINE_SCHEMA_VERSION);
    assert_string_equal(want, "4");
    expect_text(st, "SELECT value FROM meta WHERE key = 'schema_version'",
                want);
    expect_text(st, "SELECT hex(stream) FROM doc_tokens WHERE doc = 1",
                "789C0300000001");
    opine_store_close(st);
}

/* A first load of name (kept = yes committed) that dies in a transaction
 * whose pages spilled into the file: it leaves a hot journal. */
static void make_hot_journal(const char *name)
{
    char journal[PATH_MAX];
    snprintf(journal, sizeof journal, "%s-journal", tpath(name));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        opine_store *c = NULL;
        if (opine_store_open(&c, tpath(name), OPINE_STORE_CREATE, NULL) ||
            opine_store_meta_set(c, "kept", "yes"))
            _exit(1);
        sqlite3 *db = opine_store_db(c);
        /* a tiny cache, so the transaction spills into the file */
        if (sqlite3_exec(db,
                         "PRAGMA cache_size = 4; BEGIN IMMEDIATE;"
                         " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                         " SELECT i + 1 FROM n WHERE i < 3000)"
                         " INSERT INTO meta SELECT 'k' || i, randomblob(2000)"
                         " FROM n;",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(2);
        struct stat sb;
        if (stat(journal, &sb) != 0 || sb.st_size == 0)
            _exit(3); /* no hot journal: the test would prove nothing */
        _exit(0);     /* dies with the transaction open */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* 16: the first load into a new file uses a rollback journal, later
 * writers WAL, and every writer leaves the file a rollback journal again
 * as it closes (not while another connection has it open). A first load that
 * dies mid-transaction, with pages already spilled into the file, leaves a hot
 * journal that the next open rolls back: nothing of the transaction, everything
 * committed before. */
static void test16_first_load_journal(void **state)
{
    (void)state;
    opine_store *st = open_new("j.db");
    expect_text(st, "PRAGMA journal_mode", "truncate");
    opine_store_close(st);
    char *msg = NULL;
    assert_int_equal(
        opine_store_open(&st, tpath("j.db"), OPINE_STORE_READONLY, &msg), 0);
    expect_text(st, "PRAGMA journal_mode", "delete");
    opine_store_close(st);
    /* a later writer: WAL while open, a rollback journal once closed */
    assert_int_equal(opine_store_open(&st, tpath("j.db"), 0, &msg), 0);
    expect_text(st, "PRAGMA journal_mode", "wal");
    opine_store_close(st);
    struct stat sb;
    char side[PATH_MAX];
    snprintf(side, sizeof side, "%s-wal", tpath("j.db"));
    assert_true(stat(side, &sb) != 0);
    /* closed while a reader has the file open: it stays WAL, nothing is
     * lost, and the next writer's close switches it */
    opine_store *rd = NULL;
    assert_int_equal(opine_store_open(&st, tpath("j.db"), 0, &msg), 0);
    assert_int_equal(opine_store_exec(st, "INSERT INTO meta VALUES('w', '1')"),
                     0);
    assert_int_equal(
        opine_store_open(&rd, tpath("j.db"), OPINE_STORE_READONLY, &msg), 0);
    expect_text(rd, "SELECT value FROM meta WHERE key = 'w'", "1");
    opine_store_close(st);
    expect_text(rd, "PRAGMA journal_mode", "wal");
    expect_text(rd, "SELECT value FROM meta WHERE key = 'w'", "1");
    opine_store_close(rd);
    assert_int_equal(opine_store_open(&st, tpath("j.db"), 0, &msg), 0);
    opine_store_close(st);
    assert_int_equal(
        opine_store_open(&rd, tpath("j.db"), OPINE_STORE_READONLY, &msg), 0);
    expect_text(rd, "PRAGMA journal_mode", "delete");
    expect_text(rd, "SELECT value FROM meta WHERE key = 'w'", "1");
    opine_store_close(rd);

    make_hot_journal("k.db");
    assert_int_equal(opine_store_open(&st, tpath("k.db"), 0, &msg), 0);
    assert_null(msg);
    expect_text(st, "PRAGMA integrity_check", "ok");
    expect_text(st, "SELECT value FROM meta WHERE key = 'kept'", "yes");
    assert_int_equal(q_int(st, "SELECT count(*) FROM meta WHERE key LIKE 'k%'"
                               " AND key <> 'kept'"),
                     0);
    expect_text(st, "PRAGMA journal_mode", "wal");
    opine_store_close(st);
}

/* 17: a read-only open of a file with a hot journal (a killed first
 * load's) rolls the journal back with one short read-write open and
 * reads what was committed; plain read-only SQLite cannot. */
static void test17_readonly_hot_journal(void **state)
{
    (void)state;
    make_hot_journal("h.db");
    sqlite3 *raw;
    assert_int_equal(
        sqlite3_open_v2(tpath("h.db"), &raw, SQLITE_OPEN_READONLY, NULL),
        SQLITE_OK);
    assert_int_not_equal(
        sqlite3_exec(raw, "SELECT count(*) FROM meta", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_extended_errcode(raw), SQLITE_READONLY_ROLLBACK);
    sqlite3_close(raw);

    opine_store *st = NULL;
    char *msg = NULL;
    assert_int_equal(
        opine_store_open(&st, tpath("h.db"), OPINE_STORE_READONLY, &msg), 0);
    assert_null(msg);
    expect_text(st, "SELECT value FROM meta WHERE key = 'kept'", "yes");
    assert_int_equal(q_int(st, "SELECT count(*) FROM meta WHERE key LIKE 'k%'"
                               " AND key <> 'kept'"),
                     0);
    expect_text(st, "PRAGMA integrity_check", "ok");
    opine_store_close(st);
    char journal[PATH_MAX];
    snprintf(journal, sizeof journal, "%s-journal", tpath("h.db"));
    struct stat sb;
    assert_true(stat(journal, &sb) != 0 || sb.st_size == 0);
}

/* 18: an empty file, as a first run killed before its first commit
 * leaves: opened without CREATE it is OPINE_EEMPTY with a message that
 * says nothing was committed and what to do, not "not an opine
 * database"; a run (CREATE) makes the schema in it. */
static void test18_empty_file(void **state)
{
    (void)state;
    FILE *f = fopen(tpath("e.db"), "w");
    assert_non_null(f);
    fclose(f);
    static const int flags[] = {OPINE_STORE_READONLY, 0};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        opine_store *st = (opine_store *)&st;
        char *msg = NULL;
        assert_int_equal(opine_store_open(&st, tpath("e.db"), flags[i], &msg),
                         OPINE_EEMPTY);
        assert_null(st);
        assert_non_null(msg);
        assert_non_null(strstr(msg, tpath("e.db")));
        assert_non_null(strstr(msg, "no run has committed anything"));
        assert_non_null(strstr(msg, "rerun the same command"));
        free(msg);
    }
    opine_store *st = open_new("e.db");
    expect_text(st, "PRAGMA integrity_check", "ok");
    opine_store_close(st);
}

/* The line of a database's lock file (pipeline/lock.h), malloc'd. */
static char *lock_line(const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s-opine.lock", tpath(name));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[512] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* 19: one writer at a time. A read-write open takes the lock and names
 * itself in the lock file; a second read-write open, of this process or
 * another, is OPINE_EBUSY with a message that names the first (writer,
 * pid, start) and never an SQLite error; readers open meanwhile; after
 * the first closes, the line is empty and the second opens. */
static void test19_one_writer(void **state)
{
    (void)state;
    opine_store *a = open_new("w.db"), *b = (opine_store *)&b;
    opine_store_close(a);
    opine_store_opts ao = {.writer = "opine run"};
    char *msg = NULL;
    assert_int_equal(opine_store_open_opts(&a, tpath("w.db"), 0, &ao, &msg), 0);
    char *line = lock_line("w.db");
    char want[64];
    snprintf(want, sizeof want, "%lld ", (long long)getpid());
    assert_true(strncmp(line, want, strlen(want)) == 0);
    assert_non_null(strstr(line, "Z opine run\n"));
    free(line);
    opine_store_opts bo = {.writer = "opine ingest"};
    assert_int_equal(opine_store_open_opts(&b, tpath("w.db"), 0, &bo, &msg),
                     OPINE_EBUSY);
    assert_null(b);
    assert_non_null(msg);
    char name[PATH_MAX + 64];
    snprintf(name, sizeof name,
             "another opine process is writing to '%s': ", tpath("w.db"));
    assert_non_null(strstr(msg, name));
    assert_non_null(strstr(msg, "'opine run', pid "));
    snprintf(want, sizeof want, "pid %lld, since 2", (long long)getpid());
    assert_non_null(strstr(msg, want));
    assert_non_null(strstr(msg, " UTC"));
    assert_null(strstr(msg, "SQL"));
    free(msg);
    msg = NULL;
    /* with CREATE too, and through the plain open */
    assert_int_equal(
        opine_store_open(&b, tpath("w.db"), OPINE_STORE_CREATE, &msg),
        OPINE_EBUSY);
    free(msg);
    /* a reader */
    assert_int_equal(
        opine_store_open(&b, tpath("w.db"), OPINE_STORE_READONLY, &msg), 0);
    assert_int_equal(q_int(b, "SELECT count(*) FROM runs"), 0);
    opine_store_close(b);
    opine_store_close(a);
    line = lock_line("w.db");
    assert_string_equal(line, "");
    free(line);
    assert_null(opine_lock_holder(tpath("w.db")));
    assert_int_equal(opine_store_open_opts(&b, tpath("w.db"), 0, &bo, &msg), 0);
    opine_store_close(b);
}

static opine_store *holder; /* closed by on_wait_close */
static int waits;
static char *wait_msg;

static void on_wait_close(void *ctx, const char *message)
{
    (void)ctx;
    waits++;
    free(wait_msg);
    wait_msg = strdup(message);
    opine_store_close(holder);
    holder = NULL;
}

static void on_wait_note(void *ctx, const char *message)
{
    volatile int *stop = ctx;
    waits++;
    free(wait_msg);
    wait_msg = strdup(message);
    if (stop)
        *stop = 1;
}

/* 20: waiting for the writer lock. A second writer with a wait is told
 * once that it waits, for whom and how long, and opens as soon as the
 * first closes (here: from that very call, so the test needs no clock);
 * one whose wait runs out is OPINE_EBUSY saying so; one told to stop is
 * OPINE_EINTERRUPTED. */
static void test20_wait_for_writer(void **state)
{
    (void)state;
    opine_store *b = open_new("v.db");
    opine_store_close(b);
    opine_store_opts ho = {.writer = "opine run"};
    char *msg = NULL;
    assert_int_equal(
        opine_store_open_opts(&holder, tpath("v.db"), 0, &ho, &msg), 0);
    waits = 0;
    opine_store_opts bo = {
        .writer = "opine ingest", .wait = 600, .on_wait = on_wait_close};
    assert_int_equal(opine_store_open_opts(&b, tpath("v.db"), 0, &bo, &msg), 0);
    assert_null(msg);
    assert_int_equal(waits, 1);
    assert_null(holder);
    assert_non_null(strstr(wait_msg, "another opine process is writing to"));
    assert_non_null(strstr(wait_msg, "'opine run', pid "));
    assert_non_null(strstr(wait_msg, "; waiting up to 600 s for it to finish"));
    char *line = lock_line("v.db");
    assert_non_null(strstr(line, " opine ingest\n"));
    free(line);

    /* b holds it now: a short wait runs out */
    opine_store *c = (opine_store *)&c;
    waits = 0;
    opine_store_opts co = {.wait = 0.05, .on_wait = on_wait_note};
    assert_int_equal(opine_store_open_opts(&c, tpath("v.db"), 0, &co, &msg),
                     OPINE_EBUSY);
    assert_null(c);
    assert_int_equal(waits, 1);
    assert_non_null(strstr(msg, "another opine process is still writing to"));
    assert_non_null(strstr(msg, "after 0.05 s of waiting: 'opine ingest'"));
    free(msg);
    msg = NULL;

    /* and a stop ends the wait */
    volatile int stop = 0;
    waits = 0;
    opine_store_opts so = {.wait = 600,
                           .stop = &stop,
                           .on_wait = on_wait_note,
                           .ctx = (void *)&stop};
    assert_int_equal(opine_store_open_opts(&c, tpath("v.db"), 0, &so, &msg),
                     OPINE_EINTERRUPTED);
    assert_int_equal(waits, 1);
    assert_non_null(strstr(msg, "interrupted while waiting"));
    free(msg);
    free(wait_msg);
    wait_msg = NULL;
    opine_store_close(b);
}

/* 21: a killed writer leaves no stale lock: the kernel drops its flock
 * with the process. Its line stays in the file but names nobody, and the
 * next writer opens at once, without waiting. */
static void test21_killed_writer(void **state)
{
    (void)state;
    opine_store *st = open_new("k2.db");
    opine_store_close(st);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        opine_store *c = NULL;
        opine_store_opts o = {.writer = "opine run"};
        if (opine_store_open_opts(&c, tpath("k2.db"), 0, &o, NULL) != 0 ||
            opine_store_exec(c, "BEGIN IMMEDIATE; INSERT INTO meta"
                                " VALUES('lost', 'yes')") != 0)
            _exit(1);
        raise(SIGKILL); /* with the lock and a transaction open */
        _exit(2);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char *line = lock_line("k2.db");
    char want[32];
    snprintf(want, sizeof want, "%lld ", (long long)pid);
    assert_true(strncmp(line, want, strlen(want)) == 0);
    free(line);
    assert_null(opine_lock_holder(tpath("k2.db")));
    char *msg = NULL;
    assert_int_equal(opine_store_open(&st, tpath("k2.db"), 0, &msg), 0);
    expect_text(st, "PRAGMA integrity_check", "ok");
    assert_int_equal(q_int(st, "SELECT count(*) FROM meta WHERE key = 'lost'"),
                     0);
    opine_store_close(st);
}

static int release_fd = -1; /* the pipe that lets the lock holder go */

static void on_wait_release(void *ctx, const char *message)
{
    (void)ctx;
    waits++;
    free(wait_msg);
    wait_msg = strdup(message);
    assert_int_equal(write(release_fd, "x", 1), 1);
}

/* 22: a patient reader waits for SQLite's lock as long as it is held,
 * where the plain open gives up after its busy timeout. Another process
 * holds an EXCLUSIVE lock on a rollback-journal file (as a first load
 * does from the moment its cache spills until it commits); the reader is
 * told after a second that it waits, and the holder commits only then:
 * the reader then opens and sees the commit. */
static void test22_patient_reader(void **state)
{
    (void)state;
    opine_store *st = open_new("p.db");
    opine_store_close(st);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(tpath("p.db"), &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        sqlite3 *w;
        if (sqlite3_open(tpath("p.db"), &w) != SQLITE_OK ||
            sqlite3_exec(w,
                         "BEGIN EXCLUSIVE; INSERT INTO meta"
                         " VALUES('waited', 'yes')",
                         NULL, NULL, NULL) != SQLITE_OK ||
            write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1 ||
            sqlite3_exec(w, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            _exit(1);
        sqlite3_close(w);
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    waits = 0;
    release_fd = go[1];
    opine_store_opts o = {.patient = 1, .on_wait = on_wait_release};
    char *msg = NULL;
    assert_int_equal(opine_store_open_opts(&st, tpath("p.db"),
                                           OPINE_STORE_READONLY, &o, &msg),
                     0);
    assert_int_equal(waits, 1);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want,
             "waiting for a lock on '%s': another program is writing to it",
             tpath("p.db"));
    assert_string_equal(wait_msg, want);
    expect_text(st, "SELECT value FROM meta WHERE key = 'waited'", "yes");
    opine_store_close(st);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(wait_msg);
    wait_msg = NULL;
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test01_create_schema),
        T(test02_reopen),
        T(test03_readonly_missing),
        T(test04_foreign_readonly),
        T(test05_foreign_writable),
        T(test06_other_schema_version),
        T(test07_not_sqlite),
        T(test08_meta),
        T(test09_run_begin),
        T(test10_run_finish),
        T(test11_dead_runs_interrupted),
        T(test12_reject),
        T(test13_close_null),
        T(test14_upgrade_v1),
        T(test15_upgrade_v3),
        T(test16_first_load_journal),
        T(test17_readonly_hot_journal),
        T(test18_empty_file),
        T(test19_one_writer),
        T(test20_wait_for_writer),
        T(test21_killed_writer),
        T(test22_patient_reader),
    };
#undef T
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
