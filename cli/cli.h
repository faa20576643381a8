/* cli/cli.h — what the opine subcommands share: options, output. */
#ifndef OPINE_CLI_CLI_H
#define OPINE_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "pipeline/engine.h"
#include "pipeline/store.h"

#define OPINE_DEFAULT_DB "opine.db"

/* Exit codes: 0 ok, 1 finished but some records were rejected, 2 usage or
 * fatal error. */
enum { CLI_OK = 0, CLI_REJECTED = 1, CLI_FATAL = 2 };

/* Print "opine: <message>" to stderr. */
void cli_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* True when path names an opine/SQLite database rather than an input: it
 * ends in .db, .sqlite, .sqlite3 or .opine, or is an existing file starting
 * with the SQLite header. */
int cli_looks_like_db(const char *path);

/* The model spec names: a model file, a built-in model "NAME" (its
 * highest version) or "NAME@VERSION", or NULL for the default. Loaded,
 * not compiled; on failure prints why and returns NULL. */
struct opine_model;
struct opine_model *cli_load_model(const char *spec);
/* cli_load_model() and opine_model_compile() in the model's language. */
struct opine_model *cli_load_compiled(const char *spec);

/* The whole number s given to option opt, lo..hi; else says so and
 * returns -1 (lo must be >= 0). */
long long cli_number(const char *opt, const char *s, long long lo,
                     long long hi);

/* Open the database or print why not; NULL on failure. A read-write open
 * takes the database's writer lock (pipeline/lock.h) as cli_command,
 * waiting cli_wait seconds for another writer (saying so unless
 * cli_quiet); a read-only one waits as long as SQLite finds the file
 * locked by a writer, saying so after a second. Ctrl-C (cli_stop) ends
 * either wait. */
opine_store *cli_open_store(const char *path, int flags);
/* The options cli_open_store() opens with, for a command that opens the
 * store itself; and how it reports a failed open (msg may be NULL). */
opine_store_opts cli_store_opts(int flags);
void cli_store_error(int rc, const char *msg);

/* For a command that reads many pages once (token streams, one per
 * document; the postings of a prefix's many stems; the term vectors of
 * two groups) and exits: read them with pread() into a few recycled page
 * buffers instead of mapping the file (which cli_open_store() does for a
 * reader). On ABP (64 KiB pages) a copied page costs 12-16 us and a
 * mapped one a 40 us fault; a buffer costs 16 faults when first used, so
 * it pays from some 50 pages on, and only while the pages a statement
 * goes back to fit in the buffers. A long-lived reader (the API) keeps
 * the mapping, warm after its first query. */
struct sqlite3;
void cli_read_once(struct sqlite3 *db);

/* "opine COMMAND", as a writer names itself to others. */
extern const char *cli_command;
/* --wait SECONDS: how long a writer waits for another to finish; 0 (the
 * default) refuses at once, naming the other. */
extern double cli_wait;
/* -q: no notices while waiting. */
extern int cli_quiet;
/* The --wait option of every command that writes, and its parser (0, or
 * -1 after saying what is wrong). */
enum { CLI_OPT_WAIT = 0x1000 };
#define CLI_WAIT_OPTION                                                        \
    {                                                                          \
        "wait", required_argument, NULL, CLI_OPT_WAIT                          \
    }
int cli_parse_wait(const char *arg);
/* Readers (status, sql) have nothing to finish: Ctrl-C, kill or a closed
 * terminal end them at once, also while they wait for a lock. */
void cli_reader_signals(void);

/* Read all of f into a malloc'd, NUL-terminated buffer (*len bytes, the
 * NUL not counted); NULL when out of memory. */
char *cli_read_all(FILE *f, size_t *len);

/* Progress and reject reporting for the engine. */
typedef struct cli_report {
    int quiet;
    int tty;
    double started, last_draw;
    int64_t rejects_shown;
} cli_report;
void cli_report_init(cli_report *r, int quiet);
void cli_on_progress(void *ctx, const opine_progress *p);
void cli_on_reject(void *ctx, const char *message);
void cli_report_done(cli_report *r);
double cli_now(void);

/* Output formats of opine sql, for every command that prints rows:
 * tab-separated with a header (the default), RFC 4180 CSV, a JSON array of
 * objects, aligned columns for reading. */
enum { FMT_TSV, FMT_CSV, FMT_JSON, FMT_TABLE };
/* The getopt_long entries --tsv, --csv, --json, --table, with these
 * values as their val (a command's own options must not use 't', 'c',
 * 'J', 'T'); cli_format_option() turns one into its FMT_*, else -1. */
#define CLI_FORMAT_OPTIONS                                                     \
    {"tsv", no_argument, NULL, 't'}, {"csv", no_argument, NULL, 'c'},          \
        {"json", no_argument, NULL, 'J'},                                      \
    {                                                                          \
        "table", no_argument, NULL, 'T'                                        \
    }
int cli_format_option(int c);
/* Run every statement of sql on db and print the rows of those that
 * return rows in format f; CLI_OK, or CLI_FATAL after saying why. */
int cli_print_query(struct sqlite3 *db, const char *sql, int f);

/* Stage commands and the rest: each gets argv from the subcommand on. */
int cmd_ingest(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_stem(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_tokens(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_stance(int argc, char **argv);
int cmd_scale(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_collocations(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_similar(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_kwic(int argc, char **argv);
int cmd_trend(int argc, char **argv);
int cmd_terms(int argc, char **argv);

/* cli/db_query.c. An analyzer that cuts text as the database was cut (its
 * language, stop words, tokenizer and folding, from meta), or NULL after
 * saying why. */
struct opine_analyzer;
struct opine_analyzer *cli_db_analyzer(opine_store *st);
/* The SQL expression over documents d of a --by group (outlet, author,
 * year, month, meta:KEY) and its column name in *name, both
 * sqlite3_mprintf'd; NULL after saying why. */
char *cli_group_expr(const char *by, char **name);
/* Bring db's similarity index up to date when it is not and the file can
 * be written now (else its readers cope). CLI_OK or CLI_FATAL. */
int cli_update_index(struct sqlite3 *sdb, const char *db);

/* Set by SIGINT, SIGTERM and SIGHUP: the engine stops after the batches
 * in flight. */
extern volatile int cli_stop;

#endif
