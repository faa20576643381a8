/* opine.h — the public interface of libopine, the library under the opine
 * command: store op-ed corpora in one SQLite file, run the stages (ingest,
 * tokenize, stem, score) over it, cut and stem text exactly as a corpus
 * is cut and stemmed, and score a text's stance with a model.
 *
 * Link with `pkg-config --cflags --libs opine`. Everything not declared
 * here is internal and may change between versions.
 *
 * CONVENTIONS
 *   Handles are opaque; each is made by a *_new or *_open function and
 *   released by the matching *_free or *_close, which accept NULL.
 *   Functions return 0 (OPINE_OK) or a negative error code
 *   (opine_error_message() names it); where a function takes
 *   `char **errmsg`, it may set it (when not NULL) to a message for a
 *   person, malloc'd: free() it. Strings are UTF-8.
 *   Threads: the library has no global state and may be used from any
 *   number of threads; each handle by one thread at a time, except where
 *   a function says otherwise (a compiled opine_model is read-only and
 *   may be shared).
 *
 *     opine_db *db;
 *     char *err = NULL;
 *     if (opine_db_open(&db, "corpus.db", OPINE_DB_CREATE, &err) == 0) {
 *         const char *in[] = {"oped.jsonl.gz"};
 *         opine_counts c;
 *         opine_db_stage(db, OPINE_STAGE_RUN, in, 1, NULL, &c, &err);
 *         opine_db_close(db);
 *     }
 *     free(err);
 */
#ifndef OPINE_H
#define OPINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define OPINE_API __attribute__((visibility("default")))
#else
#define OPINE_API
#endif

/* VERSION: of this header; opine_version() is the library's. */
#define OPINE_VERSION_MAJOR 0
#define OPINE_VERSION_MINOR 1
#define OPINE_VERSION_PATCH 0
#define OPINE_VERSION_STRING "0.1.0"
/* major * 1000000 + minor * 1000 + patch */
#define OPINE_VERSION_NUMBER 1000

OPINE_API const char *opine_version(void); /* "0.1.0", static */
OPINE_API int opine_version_number(void);

/* ERRORS. The same codes as the internal ones (a test checks each
 * message). */
#ifndef OPINE__ERROR_CODES /* the library's sources may have them already */
#define OPINE__ERROR_CODES
typedef enum opine_error {
    OPINE_OK = 0,
    OPINE_ENOMEM = -1,        /* out of memory */
    OPINE_EIO = -2,           /* input/output error */
    OPINE_ECORRUPT = -3,      /* corrupt or truncated data */
    OPINE_EFORMAT = -4,       /* malformed record */
    OPINE_EUTF8 = -5,         /* invalid UTF-8 */
    OPINE_ETOOBIG = -6,       /* record too large */
    OPINE_EEMPTY = -7,        /* empty input */
    OPINE_EBINARY = -8,       /* binary data */
    OPINE_ENOENT = -9,        /* no such file or directory */
    OPINE_ELANG = -10,        /* unknown language */
    OPINE_EUSAGE = -11,       /* invalid usage */
    OPINE_EDB = -12,          /* database error */
    OPINE_ESCHEMA = -13,      /* unsupported database schema */
    OPINE_EINTERRUPTED = -14, /* interrupted */
    OPINE_EBUSY = -15,        /* another process is writing the database */
} opine_error;
#endif
/* The message of an error code ("unknown error" for others); static. */
OPINE_API const char *opine_error_message(int code);

/* OPTIONS for stages and analyzers, as the command line names them. An
 * options object is read by the calls it is passed to, never kept: free
 * it whenever you like after. Keys and values:
 *   language    stemmer language ("english", "german", ...; default: the
 *               database's, else english)
 *   stopwords   "none", a language, or a file with one word per line
 *               (default: the database's, else the language's list)
 *   tokenizer   "default" or "uax29" (strict Unicode word boundaries)
 *   fold        "yes" or "no": whether "café" is "cafe"
 *   model       what to score with: a model file, NAME or NAME@VERSION of
 *               a built-in model, "none" (run does not score); default:
 *               the built-in default model
 *   jobs        worker threads, 1 or more (default 2)
 *   commit-mb   text per transaction, MiB (default 256 while the run
 *               creates the database, else 64)
 *   format      input format: auto, jsonl, csv, tsv, text, html, warc
 *               (archives and compressors are detected whatever it is)
 *   text-field  the JSON field or CSV column holding a document's text
 *   id-field    the JSON field or CSV column holding its id
 *   delimiter   the CSV delimiter, one character or "tab"
 *   encoding    the inputs' encoding where no byte-order mark says
 *               (any iconv name: "windows-1252", "latin1"; default UTF-8)
 *   invalid-utf8  "replace" (default: U+FFFD, counted) or "reject"
 *   near-dup-threshold  Jaccard similarity (0 to 1] of word shingles at
 *               which stem and run record two documents as near-duplicates
 *               (default 0.8), or "none"
 *   boilerplate "exclude", "count" or "off" (default: the database's,
 *               else off): what becomes of lines that many documents of
 *               one outlet hold
 *   boilerplate-min-docs  how many (default 5)
 *   positions   "on" or "off" (default: the database's, else off): whether
 *               the search index keeps each term's positions, which NEAR
 *               of words reads instead of token streams (on: a run takes
 *               about 8% longer, the file about 8% more)
 * opine_options_set() copies key and value; OPINE_EUSAGE for an unknown
 * key or a value it cannot take (*errmsg says which). */
typedef struct opine_options opine_options;
OPINE_API int opine_options_new(opine_options **out);
OPINE_API int opine_options_set(opine_options *o, const char *key,
                                const char *value, char **errmsg);
OPINE_API void opine_options_free(opine_options *o);

/* A DATABASE: one SQLite file. opine_db_open() creates the file and the
 * schema with OPINE_DB_CREATE; OPINE_DB_READONLY opens an existing one
 * for reading. One thread at a time. A database has one writer at a
 * time: opening it for writing takes a lock (the file "PATH-opine.lock"
 * beside it) held until opine_db_close(); while another process, or
 * another handle, holds it, opine_db_open() fails with OPINE_EBUSY and
 * *errmsg names the holder. Readers need no lock. */
enum { OPINE_DB_READONLY = 1, OPINE_DB_CREATE = 2 };
typedef struct opine_db opine_db;
OPINE_API int opine_db_open(opine_db **out, const char *path, int flags,
                            char **errmsg);
OPINE_API void opine_db_close(opine_db *db);
/* The SQLite connection, for queries (the tables are described in the
 * README); owned by db. Do not close it or leave a transaction open. */
struct sqlite3;
OPINE_API struct sqlite3 *opine_db_sqlite(opine_db *db);

/* STAGES. Each takes the documents it has not processed yet, records one
 * run in the runs table and commits whole batches: a process killed at
 * any moment leaves a consistent database, and the same call again
 * finishes the work. inputs (files, directories, "-" for standard input)
 * are read by OPINE_STAGE_INGEST and OPINE_STAGE_RUN only. Returns 0 (all
 * records taken), 1 (finished, some records rejected: see the rejects
 * table), or a negative error. */
typedef enum opine_stage {
    OPINE_STAGE_INGEST = 1,   /* store documents */
    OPINE_STAGE_TOKENIZE = 2, /* token streams of stored documents */
    OPINE_STAGE_STEM = 3,     /* stems and term counts */
    OPINE_STAGE_SCORE = 4,    /* stance per theme, with evidence */
    OPINE_STAGE_RUN = 5,      /* all of them in one pass */
} opine_stage;
typedef struct opine_counts {
    int64_t records;    /* records read, or documents taken by a stage */
    int64_t documents;  /* documents written or processed */
    int64_t duplicates; /* exact copies of a stored document */
    int64_t skipped;    /* already in the database from an earlier run */
    int64_t rejected;   /* refused records, each in rejects */
} opine_counts;
/* o may be NULL (defaults); counts may be NULL. */
OPINE_API int opine_db_stage(opine_db *db, opine_stage stage,
                             const char *const *inputs, size_t ninputs,
                             const opine_options *o, opine_counts *counts,
                             char **errmsg);

/* TEXT: tokens, types and stems exactly as a stage makes them for a
 * database with the same options (language, stopwords, tokenizer, fold).
 * One analyzer per thread. */
typedef struct opine_analyzer opine_analyzer;
typedef struct opine_token_info {
    size_t start, len; /* the token's bytes in the text */
    uint32_t sentence; /* 0-based sentence index */
    const char *type;  /* normalised form (types.type), NUL-terminated */
    size_t type_len;
    const char *stem; /* its stem (stems.stem), NUL-terminated */
    size_t stem_len;
    int stop; /* 1: a stop word, not counted in doc_terms */
} opine_token_info;
/* o may be NULL (english, its stop words, the default tokenizer). */
OPINE_API int opine_analyzer_new(opine_analyzer **out, const opine_options *o,
                                 char **errmsg);
OPINE_API void opine_analyzer_free(opine_analyzer *a);
/* Call fn for every token of text[0..len), in order; the opine_token_info and
 * its strings are valid during the call only. Stops early and returns
 * fn's value when it is not 0; else 0, OPINE_EUTF8 (invalid UTF-8) or
 * OPINE_ENOMEM. */
typedef int (*opine_token_fn)(void *ctx, const opine_token_info *t);
OPINE_API int opine_analyze(opine_analyzer *a, const char *text, size_t len,
                            opine_token_fn fn, void *ctx);
/* The stem of one word as given (as `opine stem --words` stems it); valid
 * until the next call on a. NULL when out of memory. */
OPINE_API const char *opine_analyzer_stem(opine_analyzer *a, const char *word,
                                          size_t len, size_t *stem_len);

/* MODELS. opine_model_open() loads and compiles a model: spec is a model
 * file (YAML, LIWC .dic, quanteda YAML), NAME or NAME@VERSION of a
 * built-in model, or NULL for the default. A compiled model is read-only:
 * any number of threads may score with one at once. */
typedef struct opine_model opine_model;
OPINE_API int opine_model_open(opine_model **out, const char *spec,
                               char **errmsg);
OPINE_API void opine_model_close(opine_model *m);
/* Its name, version and number of themes (any pointer may be NULL). */
OPINE_API void opine_model_describe(const opine_model *m, const char **name,
                                    int *version, size_t *nthemes);
/* Theme i's id ("alliance", ...), or NULL past the last. */
OPINE_API const char *opine_model_theme_name(const opine_model *m, size_t i);

typedef struct opine_stance {
    size_t theme;      /* index, for opine_model_theme_name() */
    uint32_t mentions; /* 0: the text does not mention the theme */
    double salience;   /* mentions per 1,000 tokens */
    int has_stance;    /* 0 without a mention: stance, lo, hi are 0 */
    double stance;     /* in [-1, 1]: + the theme's positive pole */
    double lo, hi;     /* its interval (the model's mass, 90% by default) */
    int label;         /* the side the text takes: -1, 0 or +1 */
    uint32_t evidence; /* evidence rows a database would store */
} opine_stance;
/* Score text[0..len) as a stage would score a document: fn is called
 * once per theme, in order; stops early and returns fn's value when it is
 * not 0. Returns 0, OPINE_ELANG or OPINE_ENOMEM. */
typedef int (*opine_stance_fn)(void *ctx, const opine_stance *s);
OPINE_API int opine_model_score(const opine_model *m, const char *text,
                                size_t len, opine_stance_fn fn, void *ctx);

/* SQL: register on an SQLite connection what any client needs to read an
 * opine database fully: inflate(body) and opine_text(body) (a document's
 * text), opine_stem(word [, language]), the table-valued
 * opine_tokens(text) (start, end, sentence, kind, token, type, stem,
 * stop) and the FTS5 tokenizer "opine" (stems of the tokens that are not
 * stop words, as a stage makes them; arguments language, stopwords,
 * tokenizer, fold). The loadable extension opine_sqlite does the same
 * for clients other than C programs. Returns 0, OPINE_ENOMEM or OPINE_EDB
 * (*errmsg says what could not be registered). */
OPINE_API int opine_sql_register(struct sqlite3 *db, char **errmsg);

#ifdef __cplusplus
}
#endif
#endif
