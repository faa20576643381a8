/* cli/cmd_sql.c — opine sql: run a query, print tsv, csv, json or a
 * table; and opine status, which is a few fixed queries. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/error.h"
#include "api/opine.h"

static const char sql_usage[] =
    "usage: opine sql [DB] QUERY [--tsv|--csv|--json|--table] [--write]\n"
    "       opine sql [DB] -f FILE [options]\n"
    "\n"
    "Run QUERY (one or more SQL statements) on DB (default " OPINE_DEFAULT_DB
    ")\n"
    "and print the rows of the last one to standard output.\n"
    "\n"
    "options:\n"
    "  --tsv       tab-separated with a header line (default)\n"
    "  --csv       RFC 4180 CSV with a header line\n"
    "  --json      a JSON array of objects\n"
    "  --table     aligned columns for reading\n"
    "  --write     open the database for writing (read-only otherwise)\n"
    "  --wait SECONDS  with --write, when another opine process is writing\n"
    "              DB, wait up to SECONDS for it to finish (default 0:\n"
    "              refuse at once, naming it)\n"
    "  -f, --file F  read QUERY from file F ('-' for standard input)\n"
    "  --db FILE   the database (instead of the first argument)\n"
    "\n"
    "inflate(documents.body) (or opine_text) gives a document's text;\n"
    "opine_stem(word [, language]) a word's stem; opine_tokens(text) the\n"
    "tokens of a text; tokenize='opine' makes FTS5 index stems as opine\n"
    "counts them. The same functions load into any SQLite client from the\n"
    "extension opine_sqlite (README, \"Querying\"). Useful\n"
    "tables and views: documents, doc_meta, terms, doc_terms, v_terms,\n"
    "v_doc_terms, v_tfidf, v_outlet_terms, runs, rejects.\n";

static void print_csv_field(const char *s)
{
    if (s == NULL)
        return;
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void print_tsv_field(const char *s)
{
    for (; s && *s; s++)
        putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* Display width of UTF-8 text: code points, not bytes. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

typedef struct table {
    char **cells; /* rows * cols, header first */
    size_t rows, cols, cap;
} table;

static int table_add(table *t)
{
    if (t->rows * t->cols + 1 > t->cap) {
        size_t n = t->cap ? t->cap * 2 : 256;
        char **c = realloc(t->cells, n * sizeof(char *));
        if (c == NULL)
            return -1;
        t->cells = c;
        t->cap = n;
    }
    return 0;
}

static void print_table(table *t, size_t ncells)
{
    size_t *w = calloc(t->cols, sizeof(size_t));
    for (size_t i = 0; i < ncells; i++) {
        size_t k = width(t->cells[i]);
        if (k > w[i % t->cols])
            w[i % t->cols] = k;
    }
    for (size_t i = 0; i < ncells; i++) {
        size_t c = i % t->cols;
        const char *s = t->cells[i] ? t->cells[i] : "";
        fputs(s, stdout);
        if (c + 1 < t->cols)
            for (size_t k = width(s); k < w[c] + 2; k++)
                putchar(' ');
        else
            putchar('\n');
        if (i + 1 == t->cols) {
            for (size_t k = 0; k < t->cols; k++) {
                for (size_t m = 0; m < w[k]; m++)
                    putchar('-');
                fputs(k + 1 < t->cols ? "  " : "\n", stdout);
            }
        }
    }
    free(w);
}

/* Print every row of q in format f. Returns 0 or the SQLite error code. */
static int print_rows(sqlite3_stmt *q, int f)
{
    int cols = sqlite3_column_count(q);
    json_object *arr = f == FMT_JSON ? json_object_new_array() : NULL;
    table t = {.cols = (size_t)cols};
    size_t ncells = 0;
    for (int i = 0; i < cols; i++) {
        const char *name = sqlite3_column_name(q, i);
        if (f == FMT_TSV) {
            fputs(i ? "\t" : "", stdout);
            print_tsv_field(name);
        } else if (f == FMT_CSV) {
            fputs(i ? "," : "", stdout);
            print_csv_field(name);
        } else if (f == FMT_TABLE && table_add(&t) == 0) {
            t.cells[ncells++] = strdup(name);
            t.rows = ncells / t.cols + 1;
        }
    }
    if (cols && (f == FMT_TSV || f == FMT_CSV))
        putchar('\n');
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_object *obj = arr ? json_object_new_object() : NULL;
        for (int i = 0; i < cols; i++) {
            /* the type before sqlite3_column_text converts the value */
            int type = sqlite3_column_type(q, i);
            const char *v = (const char *)sqlite3_column_text(q, i);
            if (f == FMT_TSV) {
                fputs(i ? "\t" : "", stdout);
                print_tsv_field(v);
            } else if (f == FMT_CSV) {
                fputs(i ? "," : "", stdout);
                print_csv_field(v);
            } else if (f == FMT_TABLE) {
                if (table_add(&t) != 0)
                    return SQLITE_NOMEM;
                t.cells[ncells++] = v ? strdup(v) : NULL;
                t.rows = ncells / t.cols + 1;
            } else {
                /* NULL is JSON's null; a blob is given as its size; a
                 * real keeps SQLite's shortest text (no NaN: SQLite has
                 * none, and an infinity becomes null). */
                double d =
                    type == SQLITE_FLOAT ? sqlite3_column_double(q, i) : 0;
                json_object *jv =
                    type == SQLITE_INTEGER
                        ? json_object_new_int64(sqlite3_column_int64(q, i))
                    : type == SQLITE_FLOAT
                        ? (isfinite(d) ? json_object_new_double_s(d, v) : NULL)
                    : type == SQLITE_NULL ? NULL
                    : type == SQLITE_BLOB
                        ? json_object_new_int64(sqlite3_column_bytes(q, i))
                        : json_object_new_string(v);
                json_object_object_add(obj, sqlite3_column_name(q, i), jv);
            }
        }
        if (f == FMT_TSV || f == FMT_CSV)
            putchar('\n');
        if (obj)
            json_object_array_add(arr, obj);
    }
    if (arr) {
        puts(json_object_to_json_string_ext(
            arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                     JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(arr);
    }
    if (f == FMT_TABLE && cols) {
        print_table(&t, ncells);
        for (size_t i = 0; i < ncells; i++)
            free(t.cells[i]);
        free(t.cells);
    }
    return rc == SQLITE_DONE ? 0 : rc;
}

int cli_print_query(sqlite3 *db, const char *sql, int f)
{
    const char *tail = sql;
    int printed = 0;
    while (tail && *tail) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(db, tail, -1, &q, &tail) != SQLITE_OK) {
            cli_error("SQL error: %s", sqlite3_errmsg(db));
            return CLI_FATAL;
        }
        if (q == NULL)
            continue; /* whitespace or a comment */
        if (f == FMT_TABLE && sqlite3_column_count(q) && printed++)
            putchar('\n');
        int rc = print_rows(q, f);
        sqlite3_finalize(q);
        if (rc) {
            cli_error("SQL error: %s", sqlite3_errmsg(db));
            return CLI_FATAL;
        }
    }
    return CLI_OK;
}

int cli_format_option(int c)
{
    return c == 't'   ? FMT_TSV
           : c == 'c' ? FMT_CSV
           : c == 'J' ? FMT_JSON
           : c == 'T' ? FMT_TABLE
                      : -1;
}

int cmd_sql(int argc, char **argv)
{
    static const struct option opts[] = {{"tsv", no_argument, NULL, 't'},
                                         {"csv", no_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'J'},
                                         {"table", no_argument, NULL, 'T'},
                                         {"write", no_argument, NULL, 'w'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"file", required_argument, NULL, 'f'},
                                         CLI_WAIT_OPTION,
                                         {0, 0, 0, 0}};
    int f = FMT_TSV, write = 0, c;
    const char *db = NULL, *file = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hf:", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            f = FMT_TSV;
            break;
        case 'c':
            f = FMT_CSV;
            break;
        case 'J':
            f = FMT_JSON;
            break;
        case 'T':
            f = FMT_TABLE;
            break;
        case 'w':
            write = 1;
            break;
        case 'd':
            db = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'h':
            fputs(sql_usage, stdout);
            return CLI_OK;
        case CLI_OPT_WAIT:
            if (cli_parse_wait(optarg) != 0)
                return CLI_FATAL;
            break;
        default:
            fputs("see 'opine sql --help'\n", stderr);
            return CLI_FATAL;
        }
    }
    int npos = argc - optind;
    char **pos = argv + optind;
    int want = file ? 0 : 1;
    if (npos == want + 1 && !db) {
        db = pos[0];
        pos++;
        npos--;
    }
    if (npos != want) {
        cli_error("opine sql wants one QUERY or --file; see 'opine sql"
                  " --help'");
        return CLI_FATAL;
    }
    if (!db)
        db = OPINE_DEFAULT_DB;
    char *text = NULL;
    if (file) {
        FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
        size_t len;
        if (f == NULL) {
            cli_error("cannot read '%s': %s", file, strerror(errno));
            return CLI_FATAL;
        }
        text = cli_read_all(f, &len);
        if (text == NULL) {
            cli_error("out of memory reading '%s'", file);
            if (f != stdin)
                fclose(f);
            return CLI_FATAL;
        }
        if (f != stdin)
            fclose(f);
    }
    cli_reader_signals();
    opine_store *st = cli_open_store(db, write ? 0 : OPINE_STORE_READONLY);
    if (st == NULL) {
        free(text);
        return CLI_FATAL;
    }
    char *msg = NULL;
    if (opine_sql_register(opine_store_db(st), &msg) != 0) {
        cli_error("%s", msg ? msg : "cannot register opine's SQL functions");
        free(msg);
        free(text);
        opine_store_close(st);
        return CLI_FATAL;
    }
    int rc = cli_print_query(opine_store_db(st), text ? text : pos[0], f);
    free(text);
    opine_store_close(st);
    return rc;
}

static const char status_usage[] =
    "usage: opine status [DB] [--timings]\n"
    "\n"
    "What each stage has done in DB (default " OPINE_DEFAULT_DB "):\n"
    "documents done and pending per stage, rejected records, near-duplicate\n"
    "pairs, boilerplate lines and what they left out, the last runs.\n"
    "With --timings: where the time of the last run went, phase by phase.\n";

static const char status_sql[] =
    "SELECT 'ingest' AS stage,"
    " (SELECT count(*) FROM documents) AS done, 0 AS pending,"
    " (SELECT coalesce(sum(rejected), 0) FROM runs"
    "  WHERE stage IN ('ingest', 'run')) AS rejected,"
    " (SELECT coalesce(sum(duplicates), 0) FROM runs) AS duplicates"
    " UNION ALL SELECT 'tokenize',"
    " (SELECT count(*) FROM stage_done WHERE stage = 'tokenize'),"
    " (SELECT count(*) FROM documents) -"
    " (SELECT count(*) FROM stage_done WHERE stage = 'tokenize'), 0, NULL"
    " UNION ALL SELECT 'stem',"
    " (SELECT count(*) FROM stage_done WHERE stage = 'stem'),"
    " (SELECT count(*) FROM documents) -"
    " (SELECT count(*) FROM stage_done WHERE stage = 'stem'), 0, NULL"
    " UNION ALL SELECT 'score ' || m.name || ' v' || m.version,"
    " (SELECT count(*) FROM stage_done WHERE stage = 'score:' || m.id),"
    " (SELECT count(*) FROM stage_done WHERE stage = 'stem') -"
    " (SELECT count(*) FROM stage_done WHERE stage = 'score:' || m.id),"
    " 0, NULL FROM models m;\n"
    "SELECT (SELECT count(*) FROM types) AS types,"
    " (SELECT count(*) FROM terms) AS stems,"
    " (SELECT coalesce(sum(cf), 0) FROM terms) AS tokens_counted,"
    " (SELECT count(*) FROM doc_terms) AS doc_terms_rows,"
    " (SELECT value FROM meta WHERE key = 'language') AS language;\n"
    "SELECT id AS run, stage, CASE WHEN status = 'running' AND NOT"
    " opine_alive(pid) THEN 'interrupted' ELSE status END AS status,"
    " started, finished, records,"
    " documents, duplicates, skipped, rejected FROM runs"
    " ORDER BY id DESC LIMIT 10;";

static const char counters_sql[] =
    "SELECT c.run, r.stage,"
    " sum(CASE c.name WHEN 'archive_members' THEN c.value END)"
    " AS archive_members,"
    " sum(CASE c.name WHEN 'skipped_records' THEN c.value END)"
    " AS warc_skipped,"
    " sum(CASE c.name WHEN 'utf8_repairs' THEN c.value END) AS utf8_repairs,"
    " sum(CASE c.name WHEN 'repaired_records' THEN c.value END)"
    " AS repaired_records"
    " FROM run_counters c JOIN runs r ON r.id = c.run"
    " WHERE c.run IN (SELECT id FROM runs ORDER BY id DESC LIMIT 10)"
    " GROUP BY c.run ORDER BY c.run DESC;";

/* Near-duplicates, in databases that have the table (status_sql's second
 * statement is followed by this one). */
static const char status_near_dups_sql[] =
    "SELECT (SELECT count(*) FROM near_duplicates) AS near_duplicate_pairs,"
    " (SELECT count(*) FROM v_near_dup_later) AS later_copies,"
    " (SELECT value FROM meta WHERE key = 'near_dup_threshold')"
    " AS threshold;\n"
    "SELECT (SELECT count(*) FROM boilerplate_lines) AS boilerplate_lines,"
    " (SELECT coalesce(sum(occurrences), 0) FROM boilerplate_lines)"
    " AS occurrences,"
    " (SELECT count(*) FROM doc_boilerplate) AS documents_left_out_of,"
    " (SELECT coalesce(sum(tokens), 0) FROM doc_boilerplate)"
    " AS tokens_left_out,"
    " (SELECT value FROM meta WHERE key = 'boilerplate') || ' at ' ||"
    " (SELECT value FROM meta WHERE key = 'boilerplate_min_docs')"
    " || ' documents' AS setting;\n";

/* Where the last run's time went: its phases from runs.timings, each with
 * its share of the run's wall time. Phases marked (parallel) ran on the
 * worker threads; reading overlaps the others on its own thread. */
static const char timings_sql[] =
    "SELECT r.id AS run, r.stage, r.started, r.documents"
    " FROM runs r WHERE r.timings IS NOT NULL ORDER BY r.id DESC LIMIT 1;\n"
    "WITH last AS (SELECT timings FROM runs WHERE timings IS NOT NULL"
    " ORDER BY id DESC LIMIT 1)"
    " SELECT j.key AS phase,"
    " CASE j.key WHEN 'read' THEN 'inflate and parse input (reader thread)'"
    " WHEN 'prepare' THEN 'hash, compress, tokenize (parallel)'"
    " WHEN 'vocabulary' THEN 'intern new types, stem them (main thread)'"
    " WHEN 'finish' THEN 'encode tokens, count terms, score (parallel)'"
    " WHEN 'write' THEN 'find copies, write rows (writer thread)'"
    " WHEN 'commit' THEN 'add frequencies, commit (writer thread)'"
    " WHEN 'similar' THEN 'similarity index: postings (writer thread),"
    " merges, norms'"
    " ELSE 'wall time of the run' END AS what,"
    " printf('%.2f', j.value) AS seconds,"
    " CASE WHEN j.key = 'total' THEN ''"
    " ELSE printf('%.0f%%', 100.0 * j.value /"
    " json_extract(last.timings, '$.total')) END AS share"
    " FROM last, json_each(last.timings) j;";

/* opine_alive(pid): whether a process with that id exists (as the store
 * decides when it marks dead runs interrupted). */
static void sql_alive(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_int(
        ctx, opine_store_pid_alive((int64_t)sqlite3_value_int64(argv[0])));
}

int cmd_status(int argc, char **argv)
{
    const char *db = NULL;
    int timings = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(status_usage, stdout);
            return CLI_OK;
        }
        if (strcmp(argv[i], "--timings") == 0) {
            timings = 1;
            continue;
        }
        if (argv[i][0] == '-' || db) {
            cli_error("unexpected argument '%s'; see 'opine status --help'",
                      argv[i]);
            return CLI_FATAL;
        }
        db = argv[i];
    }
    cli_reader_signals();
    opine_store *st;
    char *msg = NULL;
    opine_store_opts so = cli_store_opts(OPINE_STORE_READONLY);
    int orc = opine_store_open_opts(&st, db ? db : OPINE_DEFAULT_DB,
                                    OPINE_STORE_READONLY, &so, &msg);
    if (orc == OPINE_EEMPTY) {
        /* Not an error: the state a first run is in until it commits. */
        printf("database %s\n\n%s\n", db ? db : OPINE_DEFAULT_DB, msg);
        free(msg);
        return CLI_OK;
    }
    if (orc != 0) {
        cli_error("%s", msg ? msg : "cannot open the database");
        free(msg);
        return CLI_FATAL;
    }
    /* A run whose process is gone was killed; a writer marks it so when
     * it next opens the file, and status says so already. */
    sqlite3_create_function(opine_store_db(st), "opine_alive", 1, SQLITE_UTF8,
                            NULL, sql_alive, NULL, NULL);
    printf("database %s\n\n", opine_store_path(st));
    char *sql = NULL;
    if (!timings) {
        /* The tables added within schema 4 are missing from older files,
         * which a read-only open leaves as they are. */
        sqlite3_stmt *q;
        int have = 0;
        if (sqlite3_prepare_v2(opine_store_db(st),
                               "SELECT count(*) = 2 FROM sqlite_schema WHERE"
                               " name IN ('near_duplicates',"
                               " 'boilerplate_lines')",
                               -1, &q, NULL) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            have = sqlite3_column_int(q, 0) > 0;
        sqlite3_finalize(q);
        /* after the first two statements: stages, then the vocabulary */
        const char *runs = strstr(status_sql, "SELECT id AS run");
        sql = opine__format("%.*s%s%s", (int)(runs - status_sql), status_sql,
                            have ? status_near_dups_sql : "", runs);
        if (sql == NULL) {
            opine_store_close(st);
            return CLI_FATAL;
        }
    }
    int rc = cli_print_query(opine_store_db(st), timings ? timings_sql : sql,
                             FMT_TABLE);
    free(sql);
    /* What reading the last runs did besides (UTF-8 repairs, archive
     * members, WARC records without a document), where a run counted any:
     * the table comes with the first run that reads inputs. */
    sqlite3_stmt *t;
    int have = 0;
    if (rc == CLI_OK && !timings &&
        sqlite3_prepare_v2(opine_store_db(st),
                           "SELECT 1 FROM sqlite_master WHERE name ="
                           " 'run_counters' AND EXISTS (SELECT 1 FROM"
                           " run_counters)",
                           -1, &t, NULL) == SQLITE_OK) {
        have = sqlite3_step(t) == SQLITE_ROW;
        sqlite3_finalize(t);
    }
    if (have) {
        printf("\n");
        rc = cli_print_query(opine_store_db(st), counters_sql, FMT_TABLE);
    }
    opine_store_close(st);
    return rc;
}
