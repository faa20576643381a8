/* cli/cmd_search.c — the everyday questions of a corpus, answered from the
 * similarity index's postings and the token streams (pipeline/search.h):
 *   opine search  documents matching a query, ranked by BM25, with snippets
 *   opine kwic    every hit with its context (keyword in context)
 *   opine trend   a term's use per month, year, outlet, author, meta:KEY
 *   opine terms   the top terms of a set of documents */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/opine.h"
#include "base/error.h"
#include "base/mem.h"
#include "base/rows.h"
#include "base/strmap.h"
#include "cli/cli.h"
#include "pipeline/search.h"

#define FILTER_HELP                                                            \
    "  --outlet NAME   only documents of this outlet\n"                        \
    "  --author NAME   only documents by this author (documents.author or\n"   \
    "                  one of its people, doc_authors.name)\n"                 \
    "  --from DATE     only documents published on or after DATE (a prefix\n"  \
    "                  of YYYY-MM-DD: 2019, 2019-06, 2019-06-12)\n"            \
    "  --to DATE       only documents published up to DATE (2019: all of\n"    \
    "                  2019)\n"                                                \
    "  --meta KEY=VALUE  only documents whose doc_meta KEY is VALUE (may be\n" \
    "                  given more than once: all must hold)\n"                 \
    "  --where EXPR    only documents for which the SQL expression EXPR "      \
    "over\n"                                                                   \
    "                  the columns of documents d is true\n"                   \
    "  --db FILE       the database (instead of the first argument)\n"

static const char search_usage[] =
    "usage: opine search [DB] QUERY [--limit N] [--count] [filters] [format]\n"
    "\n"
    "The documents of DB matching QUERY, best first by BM25 (as FTS5's\n"
    "bm25(): k1 1.2, b 0.75, over the counted tokens of each document),\n"
    "each with a snippet around its hits. QUERY is written as for FTS5:\n"
    "  korea            a word: every document using a word of the same stem\n"
    "                   (cut, folded and stemmed as the corpus was)\n"
    "  \"moon jae-in\"    a phrase: its words at consecutive tokens\n"
    "  nucl*            a prefix: the stems of every word starting with it\n"
    "  a b, a AND b     both;  a OR b  either;  a NOT b  a without b;\n"
    "  NOT b            every document without b;  ( )  grouping\n"
    "  NEAR(a b, N)     words or phrases with at most N tokens between them\n"
    "                   (10 when N is left out), each next to all the others\n"
    "  NEAR(a b, SENTENCE)  words or phrases in one sentence\n"
    "NOT binds tighter than AND, AND than OR. Stop words match only inside\n"
    "a phrase. Answers are exact: they equal a scan of every token stream.\n"
    "\n"
    "options:\n"
    "  --limit N       the N best documents (20; 0: all)\n"
    "  --count         print only how many documents match\n"
    "  --snippet N     snippets of about N tokens (24; 0: no snippet)\n"
    "  --mark OPEN,CLOSE  what surrounds a hit in a snippet ([,])\n" FILTER_HELP
    "  --tsv, --csv, --json, --table   the output format (as opine sql)\n"
    "\n"
    "Columns: rank, doc (documents.id), ext_id, score, hits (occurrences of\n"
    "the query's words and phrases), outlet, published, title, snippet.\n";

static const char kwic_usage[] =
    "usage: opine kwic [DB] TERM|\"PHRASE\" [--window N] [--sort S] [--by G]\n"
    "                  [filters] [format]\n"
    "\n"
    "Keyword in context: every occurrence of TERM (a word, matched by its\n"
    "stem; a prefix WORD*) or of a quoted PHRASE in DB, with N tokens of\n"
    "text on each side, aligned for reading (or in opine sql's formats).\n"
    "Any search query works; its words and phrases not under NOT are the\n"
    "hits, in the documents the query matches.\n"
    "\n"
    "options:\n"
    "  --window N      tokens of context on each side (5)\n"
    "  --sort S        doc (document and position, the default), left (by\n"
    "                  the words before the hit, nearest first) or right\n"
    "  --by G          count hits and documents per outlet, author, year,\n"
    "                  month or meta:KEY instead of listing them\n"
    "  --limit N       at most N hits (0: all, the default)\n"
    "  --width N       characters of each context when aligned "
    "(40)\n" FILTER_HELP
    "  --tsv, --csv, --json, --table   the output format (as opine sql)\n"
    "\n"
    "Columns: doc, ext_id, outlet, published, token (the hit's position in\n"
    "the document's tokens), left, hit, right.\n";

static const char trend_usage[] =
    "usage: opine trend [DB] QUERY [--by G] [filters] [format]\n"
    "\n"
    "How much DB's documents use QUERY (a word, \"phrase\", prefix* or any\n"
    "search query) per group: month (the default), year, outlet, author or\n"
    "meta:KEY. Every group with documents is listed, those without a hit\n"
    "with 0.\n"
    "\n"
    "options:\n"
    "  --by G          month, year, outlet, author or meta:KEY\n" FILTER_HELP
    "  --tsv, --csv, --json, --table   the output format (as opine sql)\n"
    "\n"
    "Columns: the group, docs (documents matching), hits (occurrences of\n"
    "the query's words and phrases), group_docs and group_tokens (the\n"
    "group's stemmed documents and counted tokens), per_10k (hits per\n"
    "10,000 counted tokens), share (docs / group_docs).\n";

static const char terms_usage[] =
    "usage: opine terms [DB] [--top N] [filters] [format]\n"
    "\n"
    "The most used terms (stems, stop words left out) of DB's documents,\n"
    "or of those the filters keep: the top terms of an outlet, an author,\n"
    "a year. Counts are exact (one pass over the postings).\n"
    "\n"
    "options:\n"
    "  --top N         the N most used (20; 0: all)\n" FILTER_HELP
    "  --tsv, --csv, --json, --table   the output format (as opine sql)\n"
    "\n"
    "Columns: rank, term (the stem's most frequent form), stem, tf (its\n"
    "occurrences), df (documents using it), per_10k (occurrences per\n"
    "10,000 counted tokens of the documents).\n";

enum {
    OPT_DB = 1000,
    OPT_LIMIT,
    OPT_COUNT,
    OPT_SNIPPET,
    OPT_MARK,
    OPT_OUTLET,
    OPT_AUTHOR,
    OPT_FROM,
    OPT_TO,
    OPT_META,
    OPT_WHERE,
    OPT_WINDOW,
    OPT_SORT,
    OPT_BY,
    OPT_WIDTH,
    OPT_TOP,
};

/* What every one of these commands takes. */
typedef struct common {
    const char *db, *outlet, *author, *from, *to, *where;
    const char **meta;
    size_t nmeta;
    int format; /* FMT_*, or -1: the command's own */
} common;

#define COMMON_OPTIONS                                                         \
    CLI_FORMAT_OPTIONS, {"db", required_argument, NULL, OPT_DB},               \
        {"outlet", required_argument, NULL, OPT_OUTLET},                       \
        {"author", required_argument, NULL, OPT_AUTHOR},                       \
        {"from", required_argument, NULL, OPT_FROM},                           \
        {"to", required_argument, NULL, OPT_TO},                               \
        {"meta", required_argument, NULL, OPT_META},                           \
        {"where", required_argument, NULL, OPT_WHERE},                         \
    {                                                                          \
        "help", no_argument, NULL, 'h'                                         \
    }

/* Take option c when it is a common one: 1 taken, 0 not, -1 wrong. */
static int common_option(common *c, int opt, const char *arg)
{
    int f = cli_format_option(opt);
    if (f >= 0) {
        c->format = f;
        return 1;
    }
    switch (opt) {
    case OPT_DB:
        c->db = arg;
        return 1;
    case OPT_OUTLET:
        c->outlet = arg;
        return 1;
    case OPT_AUTHOR:
        c->author = arg;
        return 1;
    case OPT_FROM:
        c->from = arg;
        return 1;
    case OPT_TO:
        c->to = arg;
        return 1;
    case OPT_WHERE:
        c->where = arg;
        return 1;
    case OPT_META: {
        if (strchr(arg, '=') == NULL || arg[0] == '=') {
            cli_error("--meta wants KEY=VALUE, not '%s'", arg);
            return -1;
        }
        const char **m = realloc(c->meta, (c->nmeta + 1) * sizeof(*m));
        if (m == NULL) {
            cli_error("out of memory");
            return -1;
        }
        c->meta = m;
        c->meta[c->nmeta++] = arg;
        return 1;
    }
    default:
        return 0;
    }
}

/* The SQL condition over documents d of the filters, or NULL when there
 * is none (*fail set when out of memory). sqlite3_mprintf'd. */
static char *filter_sql(const common *c, int *fail)
{
    char *w = NULL;
    *fail = 0;
#define AND_COND(...)                                                          \
    do {                                                                       \
        char *cond = sqlite3_mprintf(__VA_ARGS__);                             \
        char *next = cond ? sqlite3_mprintf("%s%s(%s)", w ? w : "",            \
                                            w ? " AND " : "", cond)            \
                          : NULL;                                              \
        sqlite3_free(cond);                                                    \
        sqlite3_free(w);                                                       \
        if ((w = next) == NULL) {                                              \
            *fail = 1;                                                         \
            return NULL;                                                       \
        }                                                                      \
    } while (0)
    if (c->outlet)
        AND_COND("d.outlet = %Q", c->outlet);
    if (c->author)
        AND_COND("d.author = %Q OR d.id IN (SELECT doc FROM doc_authors"
                 " WHERE name = %Q)",
                 c->author, c->author);
    if (c->from)
        AND_COND("d.published >= %Q", c->from);
    if (c->to)
        AND_COND("substr(d.published, 1, %d) <= %Q", (int)strlen(c->to), c->to);
    for (size_t i = 0; i < c->nmeta; i++) {
        const char *eq = strchr(c->meta[i], '=');
        AND_COND("d.id IN (SELECT doc FROM doc_meta WHERE key = %.*Q AND"
                 " value = %Q)",
                 (int)(eq - c->meta[i]), c->meta[i], eq + 1);
    }
    if (c->where)
        AND_COND("%s", c->where);
#undef AND_COND
    return w;
}

/* The ids of the documents the filters keep, ascending, into *docs;
 * *docs stays NULL when there is no filter. CLI_OK or CLI_FATAL. */
static int filter_docs(sqlite3 *db, const char *cond, int64_t **docs, size_t *n)
{
    *docs = NULL;
    *n = 0;
    if (cond == NULL)
        return CLI_OK;
    char *sql = sqlite3_mprintf("SELECT d.id FROM documents d WHERE %s"
                                " ORDER BY d.id",
                                cond);
    sqlite3_stmt *q = NULL;
    if (sql == NULL || sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        cli_error("the filters do not make SQL: %s",
                  sql ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_free(sql);
        return CLI_FATAL;
    }
    sqlite3_free(sql);
    size_t cap = 0;
    int step;
    /* a non-NULL array even when nothing passes */
    if (opine__grow((void **)docs, &cap, 1, sizeof(int64_t)))
        step = SQLITE_NOMEM;
    else
        while ((step = sqlite3_step(q)) == SQLITE_ROW) {
            if (opine__grow((void **)docs, &cap, *n + 1, sizeof(int64_t))) {
                step = SQLITE_NOMEM;
                break;
            }
            (*docs)[(*n)++] = sqlite3_column_int64(q, 0);
        }
    sqlite3_finalize(q);
    if (step != SQLITE_DONE) {
        cli_error("cannot apply the filters: %s",
                  step == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
        free(*docs);
        *docs = NULL;
        *n = 0;
        return CLI_FATAL;
    }
    return CLI_OK;
}

/* The query cutter: opine_analyze() with the database's settings. */
typedef struct cut_ctx {
    opine_analyzer *a;
    opine_search_emit_fn emit;
    void *ectx;
} cut_ctx;

static int cut_token(void *ctx, const opine_token_info *t)
{
    cut_ctx *c = ctx;
    return c->emit(c->ectx, t->type, t->stem, t->stop);
}

static int cut_text(void *ctx, const char *text, size_t len,
                    opine_search_emit_fn emit, void *ectx)
{
    cut_ctx *c = ctx;
    c->emit = emit;
    c->ectx = ectx;
    return opine_analyze(c->a, text, len, cut_token, c);
}

/* Stemmed documents the index may lack before a query updates it. */
#define UNINDEXED_MAX 64

/* An open database with its searcher and, when a query is given, the
 * parsed query and the documents the filters keep. */
typedef struct session {
    opine_store *st;
    sqlite3 *db;
    cut_ctx cut;
    opine_search *s;
    opine_search_query *q;
    char *cond;    /* the filters' SQL condition, or NULL */
    int64_t *only; /* the documents they keep (NULL: no filter) */
    size_t nonly;
} session;

static void session_close(session *x)
{
    if (x->db)
        sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL);
    opine_search_query_free(x->q);
    opine_search_free(x->s);
    opine_analyzer_free(x->cut.a);
    sqlite3_free(x->cond);
    free(x->only);
    opine_store_close(x->st);
}

/* From this many look-ups in the index on (a word's stems times the
 * index's generations), a query reads with cli_read_once(): on ABP, with 4
 * generations, a prefix of 8 stems (32) takes as long either way, one
 * of 15 (60) 7% less with it, of 36 (nucl*) 8-10% less; a word of one
 * stem 6% more. */
#define READ_ONCE_LOOKUPS 32

static int session_open(session *x, const common *c, const char *query)
{
    memset(x, 0, sizeof(*x));
    int fail;
    x->cond = filter_sql(c, &fail);
    if (fail) {
        cli_error("out of memory");
        return CLI_FATAL;
    }
    if ((x->st = cli_open_store(c->db, OPINE_STORE_READONLY)) == NULL)
        return CLI_FATAL;
    x->db = opine_store_db(x->st);
    /* One read transaction for the whole command: every statement reads
     * the same snapshot while a run commits, and the file is locked and
     * checked once instead of once a statement (about 60 system calls
     * fewer for a term lookup). */
    sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL);
    if ((x->cut.a = cli_db_analyzer(x->st)) == NULL)
        return CLI_FATAL;
    char *msg = NULL;
    int rc = opine_search_open(&x->s, x->db, cut_text, &x->cut, &msg);
    /* Answers are exact without the index too (from doc_terms), but slow
     * when it lacks many documents: bring it up to date when it can be. */
    if (rc == 0 && opine_search_unindexed(x->s) > UNINDEXED_MAX) {
        opine_search_free(x->s);
        x->s = NULL;
        /* the writer that updates the index must not wait for this
         * connection's read lock; read what it wrote after it */
        sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL);
        if (cli_update_index(x->db, c->db) != CLI_OK)
            return CLI_FATAL;
        sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL);
        rc = opine_search_open(&x->s, x->db, cut_text, &x->cut, &msg);
    }
    if (rc) {
        cli_error("'%s': %s", c->db, msg ? msg : opine_strerror(rc));
        free(msg);
        return CLI_FATAL;
    }
    if (query) {
        rc = opine_search_parse(x->s, query, &x->q, &msg);
        if (rc) {
            cli_error("the query '%s': %s", query,
                      msg ? msg : opine_strerror(rc));
            free(msg);
            return CLI_FATAL;
        }
        if (opine_search_query_reads_streams(x->s, x->q) ||
            opine_search_query_lookups(x->s, x->q) > READ_ONCE_LOOKUPS)
            cli_read_once(x->db);
    }
    return filter_docs(x->db, x->cond, &x->only, &x->nonly);
}

/* [DB] QUERY from the positional arguments: 0, or CLI_FATAL after saying
 * what is wrong. want is how many besides DB (0 or 1). */
static int positional(common *c, char **pos, int npos, int want,
                      const char **arg, const char *cmd)
{
    if (!c->db && npos == want + 1) {
        c->db = pos[0];
        pos++;
        npos--;
    }
    if (npos != want) {
        cli_error(want ? "opine %s wants [DB] and one QUERY (quote it as one"
                         " argument); see 'opine %s --help'"
                       : "unexpected argument '%s'; see 'opine %s --help'",
                  want ? cmd : pos[npos - 1], cmd);
        return CLI_FATAL;
    }
    if (want)
        *arg = pos[0];
    if (!c->db)
        c->db = OPINE_DEFAULT_DB;
    return CLI_OK;
}

static int getopt_common(int argc, char **argv, const struct option *opts,
                         common *c, const char *usage,
                         int (*own)(void *, int, const char *), void *ctx)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        int k = common_option(c, opt, optarg);
        if (k < 0)
            return CLI_FATAL;
        if (k == 0 && (own == NULL || own(ctx, opt, optarg) != 0)) {
            if (opt == '?')
                cli_error("see 'opine %s --help'", argv[0]);
            return CLI_FATAL;
        }
    }
    return CLI_OK;
}

/* ---- opine search -------------------------------------------------------- */

typedef struct search_opts {
    long long limit, snippet;
    int count;
    char *open, *close;
} search_opts;

static int search_option(void *ctx, int opt, const char *arg)
{
    search_opts *o = ctx;
    switch (opt) {
    case OPT_LIMIT:
        return (o->limit = cli_number("--limit", arg, 0, 1LL << 40)) < 0;
    case OPT_SNIPPET:
        return (o->snippet = cli_number("--snippet", arg, 0, 10000)) < 0;
    case OPT_COUNT:
        o->count = 1;
        return 0;
    case OPT_MARK: {
        const char *comma = strchr(arg, ',');
        if (comma == NULL) {
            cli_error("--mark wants OPEN,CLOSE (as '[,]'), not '%s'", arg);
            return 1;
        }
        free(o->open);
        free(o->close);
        o->open = opine__format("%.*s", (int)(comma - arg), arg);
        o->close = strdup(comma + 1);
        return o->open == NULL || o->close == NULL;
    }
    default:
        return 1;
    }
}

int cmd_search(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTIONS,
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"count", no_argument, NULL, OPT_COUNT},
        {"snippet", required_argument, NULL, OPT_SNIPPET},
        {"mark", required_argument, NULL, OPT_MARK},
        {NULL, 0, NULL, 0}};
    common c = {.format = FMT_TSV};
    search_opts o = {.limit = 20, .snippet = 24};
    const char *query = NULL;
    int rc =
        getopt_common(argc, argv, opts, &c, search_usage, search_option, &o);
    if (rc == 0)
        rc = positional(&c, argv + optind, argc - optind, 1, &query, "search");
    if (rc) {
        free(c.meta);
        free(o.open);
        free(o.close);
        return rc < 0 ? CLI_OK : rc;
    }
    session x;
    int64_t *docs = NULL, *flat = NULL, *tf = NULL;
    size_t n = 0, nhits = 0;
    opine_search_hit *hits = NULL;
    char **snips = NULL;
    rc = session_open(&x, &c, query);
    if (rc)
        goto out;
    int err = opine_search_match(x.s, x.q, x.only, x.nonly, &docs, &n);
    if (err == 0 && o.count) {
        printf("%zu\n", n);
        goto out;
    }
    if (err == 0)
        err = opine_search_rank(x.s, x.q, docs, n, (size_t)o.limit, &hits,
                                &nhits);
    if (err == 0) {
        free(docs);
        docs = malloc((nhits + 1) * sizeof(int64_t));
        if (docs == NULL)
            err = OPINE_ENOMEM;
        for (size_t i = 0; err == 0 && i < nhits; i++)
            docs[i] = hits[i].doc;
    }
    if (err == 0)
        err = opine_search_counts(x.s, x.q, docs, nhits, &tf);
    if (err == 0 && (snips = calloc(nhits + 1, sizeof(char *))) == NULL)
        err = OPINE_ENOMEM;
    for (size_t i = 0; err == 0 && o.snippet && i < nhits; i++) {
        opine_search_view v;
        err = opine_search_view_doc(x.s, x.q, hits[i].doc, &v);
        if (err == 0) {
            snips[i] = opine_search_snippet(&v, (size_t)o.snippet,
                                            o.open ? o.open : "[",
                                            o.close ? o.close : "]");
            opine_search_view_release(&v);
            if (snips[i] == NULL)
                err = OPINE_ENOMEM;
        }
    }
    opine_rows *rows;
    if (err == 0 &&
        ((flat = malloc((5 * nhits + 1) * sizeof(int64_t))) == NULL ||
         opine__rows_register(x.db, "opine_search_hits",
                              "rank, doc, score, hits, snippet", "iirit",
                              &rows)))
        err = OPINE_ENOMEM;
    if (err) {
        cli_error("'%s': %s", c.db, opine_strerror(err));
        rc = CLI_FATAL;
        goto out;
    }
    for (size_t i = 0; i < nhits; i++) {
        flat[5 * i] = (int64_t)i + 1;
        flat[5 * i + 1] = hits[i].doc;
        flat[5 * i + 2] = opine__rows_real(hits[i].score);
        flat[5 * i + 3] = tf[i];
        flat[5 * i + 4] = opine__rows_text(snips[i]);
    }
    opine__rows_set(rows, flat, nhits);
    rc = cli_print_query(
        x.db,
        c.format == FMT_TABLE
            ? "SELECT h.rank, h.doc, d.ext_id, printf('%.3f', h.score) AS"
              " score, h.hits, d.outlet, d.published, d.title, h.snippet"
              " FROM opine_search_hits h JOIN documents d ON d.id = h.doc"
              " ORDER BY h.rank"
            : "SELECT h.rank, h.doc, d.ext_id, h.score, h.hits, d.outlet,"
              " d.published, d.title, h.snippet FROM opine_search_hits h"
              " JOIN documents d ON d.id = h.doc ORDER BY h.rank",
        c.format);
    opine__rows_set(rows, NULL, 0);
out:
    if (snips)
        for (size_t i = 0; i < nhits; i++)
            free(snips[i]);
    free(snips);
    free(flat);
    free(tf);
    free(hits);
    free(docs);
    free(c.meta);
    free(o.open);
    free(o.close);
    session_close(&x);
    return rc;
}

/* ---- opine kwic ---------------------------------------------------------- */

typedef struct kwic_opts {
    long long window, limit, width;
    int sort; /* 0 doc, 1 left, 2 right */
    const char *by;
} kwic_opts;

static int kwic_option(void *ctx, int opt, const char *arg)
{
    kwic_opts *o = ctx;
    switch (opt) {
    case OPT_WINDOW:
        return (o->window = cli_number("--window", arg, 0, 1000)) < 0;
    case OPT_LIMIT:
        return (o->limit = cli_number("--limit", arg, 0, 1LL << 40)) < 0;
    case OPT_WIDTH:
        return (o->width = cli_number("--width", arg, 1, 10000)) < 0;
    case OPT_BY:
        o->by = arg;
        return 0;
    case OPT_SORT:
        if (strcmp(arg, "doc") == 0)
            o->sort = 0;
        else if (strcmp(arg, "left") == 0)
            o->sort = 1;
        else if (strcmp(arg, "right") == 0)
            o->sort = 2;
        else {
            cli_error("--sort is doc, left or right, not '%s'", arg);
            return 1;
        }
        return 0;
    default:
        return 1;
    }
}

typedef struct kwic_hit {
    int64_t doc, token;
    char *left, *hit, *right;
    char *key; /* what --sort left|right orders by */
} kwic_hit;

/* Lower-case ASCII copy of tokens [a, b) of v, as words joined by
 * spaces, nearest first when reverse. */
static char *sort_key(const opine_search_view *v, size_t a, size_t b,
                      int reverse)
{
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (opine__grow((void **)&buf, &cap, 1, 1))
        return NULL;
    buf[0] = 0;
    for (size_t k = 0; k < b - a; k++) {
        const opine_stream_token *t = &v->tok[reverse ? b - 1 - k : a + k];
        if (opine__grow((void **)&buf, &cap, n + t->len + 2, 1)) {
            free(buf);
            return NULL;
        }
        if (n)
            buf[n++] = ' ';
        for (size_t i = 0; i < t->len; i++) {
            unsigned char ch = v->text[t->start + i];
            buf[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        buf[n] = 0;
    }
    return buf;
}

static int cmp_kwic(const void *a, const void *b)
{
    const kwic_hit *x = a, *y = b;
    if (x->key && y->key) {
        int c = strcmp(x->key, y->key);
        if (c)
            return c;
    }
    if (x->doc != y->doc)
        return x->doc < y->doc ? -1 : 1;
    return (x->token > y->token) - (x->token < y->token);
}

/* Characters (code points) of UTF-8 s. */
static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* The last (or first) `w` characters of s, as a pointer into s and a
 * byte count. */
static const char *tail_chars(const char *s, size_t w, size_t *bytes)
{
    size_t have = width_of(s);
    const char *p = s;
    while (have > w) {
        p++;
        while (((unsigned char)*p & 0xc0) == 0x80)
            p++;
        have--;
    }
    *bytes = strlen(p);
    return p;
}

static size_t head_bytes(const char *s, size_t w)
{
    const char *p = s;
    while (*p && w) {
        p++;
        while (((unsigned char)*p & 0xc0) == 0x80)
            p++;
        w--;
    }
    return (size_t)(p - s);
}

int cmd_kwic(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTIONS,
        {"window", required_argument, NULL, OPT_WINDOW},
        {"sort", required_argument, NULL, OPT_SORT},
        {"by", required_argument, NULL, OPT_BY},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"width", required_argument, NULL, OPT_WIDTH},
        {NULL, 0, NULL, 0}};
    common c = {.format = -1};
    kwic_opts o = {.window = 5, .width = 40};
    const char *query = NULL;
    int rc = getopt_common(argc, argv, opts, &c, kwic_usage, kwic_option, &o);
    if (rc == 0)
        rc = positional(&c, argv + optind, argc - optind, 1, &query, "kwic");
    char *gname = NULL, *gexpr = NULL;
    if (rc == 0 && o.by && (gexpr = cli_group_expr(o.by, &gname)) == NULL)
        rc = CLI_FATAL;
    if (rc) {
        free(c.meta);
        return rc < 0 ? CLI_OK : rc;
    }
    session x;
    int64_t *docs = NULL, *flat = NULL;
    size_t n = 0;
    kwic_hit *h = NULL;
    size_t nh = 0, cap = 0;
    rc = session_open(&x, &c, query);
    if (rc)
        goto out;
    int err = opine_search_match(x.s, x.q, x.only, x.nonly, &docs, &n);
    if (err == 0 && n > 32) /* a stream and a body for each */
        cli_read_once(x.db);
    for (size_t i = 0; err == 0 && i < n; i++) {
        if (o.limit && !o.sort && nh >= (size_t)o.limit)
            break;
        opine_search_view v;
        if ((err = opine_search_view_doc(x.s, x.q, docs[i], &v)) != 0)
            break;
        for (size_t k = 0; err == 0 && k < v.nhits; k++) {
            size_t first = v.hit_first[k], len = v.hit_len[k],
                   w = (size_t)o.window;
            size_t lfrom = first > w ? first - w : 0;
            size_t rto = first + len + w < v.ntok ? first + len + w : v.ntok;
            if (opine__grow((void **)&h, &cap, nh + 1, sizeof(*h))) {
                err = OPINE_ENOMEM;
                break;
            }
            kwic_hit *e = &h[nh++];
            memset(e, 0, sizeof(*e));
            e->doc = docs[i];
            e->token = (int64_t)first;
            e->left = opine_search_span_text(&v, lfrom, first - lfrom);
            e->hit = opine_search_span_text(&v, first, len);
            e->right =
                opine_search_span_text(&v, first + len, rto - first - len);
            if (o.sort == 1)
                e->key = sort_key(&v, lfrom, first, 1);
            else if (o.sort == 2)
                e->key = sort_key(&v, first + len, rto, 0);
            if (!e->left || !e->hit || !e->right || (o.sort && !e->key))
                err = OPINE_ENOMEM;
        }
        opine_search_view_release(&v);
    }
    if (err) {
        cli_error("'%s': %s", c.db, opine_strerror(err));
        rc = CLI_FATAL;
        goto out;
    }
    if (o.sort)
        qsort(h, nh, sizeof(*h), cmp_kwic);
    if (o.limit && nh > (size_t)o.limit)
        nh = (size_t)o.limit;    /* the rest are freed below all the same */
    if (c.format < 0 && !o.by) { /* aligned for reading */
        size_t wd = (size_t)o.width;
        for (size_t i = 0; i < nh; i++) {
            size_t lb, rb = head_bytes(h[i].right, wd);
            const char *l = tail_chars(h[i].left, wd, &lb);
            size_t pad = wd - width_of(l);
            printf("%8lld  %*s%.*s  [%s]  %.*s\n", (long long)h[i].doc,
                   (int)pad, "", (int)lb, l, h[i].hit, (int)rb, h[i].right);
        }
        goto out;
    }
    opine_rows *rows;
    if ((flat = malloc((6 * nh + 1) * sizeof(int64_t))) == NULL ||
        opine__rows_register(x.db, "opine_kwic_hits",
                             "n, doc, token, left, hit, right", "iiittt",
                             &rows)) {
        cli_error("out of memory");
        rc = CLI_FATAL;
        goto out;
    }
    for (size_t i = 0; i < nh; i++) {
        flat[6 * i] = (int64_t)i;
        flat[6 * i + 1] = h[i].doc;
        flat[6 * i + 2] = h[i].token;
        flat[6 * i + 3] = opine__rows_text(h[i].left);
        flat[6 * i + 4] = opine__rows_text(h[i].hit);
        flat[6 * i + 5] = opine__rows_text(h[i].right);
    }
    opine__rows_set(rows, flat, nh);
    char *sql =
        o.by ? sqlite3_mprintf("SELECT %s AS \"%w\", count(*) AS hits,"
                               " count(DISTINCT h.doc) AS docs"
                               " FROM opine_kwic_hits h JOIN documents d"
                               " ON d.id = h.doc GROUP BY 1"
                               " ORDER BY hits DESC, 1",
                               gexpr, gname)
             : sqlite3_mprintf("SELECT h.doc, d.ext_id, d.outlet, d.published,"
                               " h.token, h.left, h.hit, h.right"
                               " FROM opine_kwic_hits h JOIN documents d"
                               " ON d.id = h.doc ORDER BY h.n");
    rc = sql ? cli_print_query(x.db, sql, c.format < 0 ? FMT_TABLE : c.format)
             : CLI_FATAL;
    sqlite3_free(sql);
    opine__rows_set(rows, NULL, 0);
out:
    for (size_t i = 0; i < cap && h && i < nh; i++) {
        free(h[i].left);
        free(h[i].hit);
        free(h[i].right);
        free(h[i].key);
    }
    free(h);
    free(flat);
    free(docs);
    free(c.meta);
    sqlite3_free(gname);
    sqlite3_free(gexpr);
    session_close(&x);
    return rc;
}

/* ---- opine trend --------------------------------------------------------- */

/* One row per group of documents (gexpr over documents d, those the
 * filters keep, stemmed): its documents and counted tokens, and the
 * documents among docs[0..n) with their hits (tf), printed in format f.
 * The groups are tallied here from two sequential scans (documents by
 * their covering indexes, doc_lengths by id) rather than by a join, which
 * would look up every document in a b-tree: on ABP 37,547 look-ups, most
 * of a trend's time. */
static int print_groups(sqlite3 *db, const char *gexpr, const char *gname,
                        const char *cond, const int64_t *docs,
                        const int64_t *tf, size_t n, int f, int timed)
{
    opine__strmap *map = NULL;
    int64_t maxdoc = 0, *t = NULL; /* per group: docs, tokens, hdocs, hits */
    uint32_t *of = NULL;           /* by document id: group + 1, or 0 */
    const char **name = NULL;
    size_t ng = 0, cap = 0, tcap = 0;
    int rc = CLI_FATAL, step = SQLITE_DONE, printed = 0;
    sqlite3_stmt *q = NULL;
    char *sql = sqlite3_mprintf("SELECT max(id) FROM documents");
    if (sql == NULL || sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        goto done;
    if (sqlite3_step(q) == SQLITE_ROW)
        maxdoc = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    q = NULL;
    sqlite3_free(sql);
    sql = sqlite3_mprintf("SELECT d.id, %s FROM documents d%s%s", gexpr,
                          cond ? " WHERE " : "", cond ? cond : "");
    if (opine__strmap_new(&map) ||
        (of = calloc((size_t)maxdoc + 1, sizeof(uint32_t))) == NULL ||
        sql == NULL || sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        goto done;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const char *g = (const char *)sqlite3_column_text(q, 1);
        if (g == NULL || id < 0 || id > maxdoc)
            continue;
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        int64_t k = opine__strmap_get(map, g, len);
        if (k == 0) {
            if (opine__grow((void **)&name, &cap, ng + 1, sizeof(char *)) ||
                opine__grow((void **)&t, &tcap, 4 * (ng + 1),
                            sizeof(int64_t)) ||
                opine__strmap_intern(map, g, len, (int64_t)ng + 1, &name[ng]))
                goto done;
            memset(t + 4 * ng, 0, 4 * sizeof(int64_t));
            k = (int64_t)++ng;
        }
        of[id] = (uint32_t)k;
    }
    if (step != SQLITE_DONE)
        goto done;
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT doc, tokens FROM doc_lengths", -1, &q,
                           NULL) != SQLITE_OK)
        goto done;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        if (id >= 0 && id <= maxdoc && of[id]) {
            t[4 * (of[id] - 1)]++;
            t[4 * (of[id] - 1) + 1] += sqlite3_column_int64(q, 1);
        }
    }
    if (step != SQLITE_DONE)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (docs[i] >= 0 && docs[i] <= maxdoc && of[docs[i]]) {
            t[4 * (of[docs[i]] - 1) + 2]++;
            t[4 * (of[docs[i]] - 1) + 3] += tf[i];
        }
    /* the groups as a table for SQL to print */
    int64_t *flat = malloc((5 * ng + 1) * sizeof(int64_t));
    opine_rows *rows;
    if (flat == NULL ||
        opine__rows_register(db, "opine_group_hits",
                             "grp, docs, hits, group_docs, group_tokens",
                             "tiiii", &rows)) {
        free(flat);
        goto done;
    }
    size_t k = 0;
    for (size_t g = 0; g < ng; g++) {
        if (t[4 * g] == 0)
            continue; /* no stemmed document */
        flat[5 * k] = opine__rows_text(name[g]);
        flat[5 * k + 1] = t[4 * g + 2];
        flat[5 * k + 2] = t[4 * g + 3];
        flat[5 * k + 3] = t[4 * g];
        flat[5 * k + 4] = t[4 * g + 1];
        k++;
    }
    opine__rows_set(rows, flat, k);
    sqlite3_free(sql);
    sql = sqlite3_mprintf(
        "SELECT grp AS \"%w\", docs, hits, group_docs, group_tokens,"
        " round(10000.0 * hits / nullif(group_tokens, 0), 3) AS per_10k,"
        " round(1.0 * docs / group_docs, 4) AS share FROM opine_group_hits"
        " ORDER BY %s",
        gname, timed ? "grp" : "hits DESC, grp");
    if (sql) {
        rc = cli_print_query(db, sql, f);
        printed = 1; /* and said why when it failed */
    }
    opine__rows_set(rows, NULL, 0);
    free(flat);
done:
    if (rc == CLI_FATAL && !printed)
        cli_error("cannot count the groups: %s",
                  step != SQLITE_DONE || sqlite3_errcode(db) != SQLITE_OK
                      ? sqlite3_errmsg(db)
                      : "out of memory");
    sqlite3_finalize(q);
    sqlite3_free(sql);
    opine__strmap_free(map);
    free(of);
    free(t);
    free(name);
    return rc;
}

static int by_option(void *ctx, int opt, const char *arg)
{
    if (opt != OPT_BY)
        return 1;
    *(const char **)ctx = arg;
    return 0;
}

int cmd_trend(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTIONS,
        {"by", required_argument, NULL, OPT_BY},
        {NULL, 0, NULL, 0}};
    common c = {.format = FMT_TSV};
    const char *by = "month", *query = NULL;
    int rc = getopt_common(argc, argv, opts, &c, trend_usage, by_option, &by);
    if (rc == 0)
        rc = positional(&c, argv + optind, argc - optind, 1, &query, "trend");
    char *gname = NULL, *gexpr = NULL;
    if (rc == 0 && (gexpr = cli_group_expr(by, &gname)) == NULL)
        rc = CLI_FATAL;
    if (rc) {
        free(c.meta);
        return rc < 0 ? CLI_OK : rc;
    }
    session x;
    int64_t *docs = NULL, *tf = NULL;
    size_t n = 0;
    rc = session_open(&x, &c, query);
    if (rc)
        goto out;
    int err = opine_search_match(x.s, x.q, x.only, x.nonly, &docs, &n);
    if (err == 0)
        err = opine_search_counts(x.s, x.q, docs, n, &tf);
    if (err) {
        cli_error("'%s': %s", c.db, opine_strerror(err));
        rc = CLI_FATAL;
        goto out;
    }
    rc = print_groups(x.db, gexpr, gname, x.cond, docs, tf, n, c.format,
                      strcmp(by, "month") == 0 || strcmp(by, "year") == 0);
out:
    free(tf);
    free(docs);
    free(c.meta);
    sqlite3_free(gname);
    sqlite3_free(gexpr);
    session_close(&x);
    return rc;
}

/* ---- opine terms --------------------------------------------------------- */

static int top_option(void *ctx, int opt, const char *arg)
{
    if (opt != OPT_TOP)
        return 1;
    return (*(long long *)ctx = cli_number("--top", arg, 0, 1LL << 40)) < 0;
}

int cmd_terms(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTIONS,
        {"top", required_argument, NULL, OPT_TOP},
        {NULL, 0, NULL, 0}};
    common c = {.format = FMT_TSV};
    long long top = 20;
    int rc = getopt_common(argc, argv, opts, &c, terms_usage, top_option, &top);
    if (rc == 0)
        rc = positional(&c, argv + optind, argc - optind, 0, NULL, "terms");
    if (rc) {
        free(c.meta);
        return rc < 0 ? CLI_OK : rc;
    }
    session x;
    opine_search_term *t = NULL;
    int64_t *flat = NULL;
    size_t n = 0;
    char *sql = NULL;
    rc = session_open(&x, &c, NULL);
    if (rc)
        goto out;
    int err = opine_search_top_terms(x.s, x.only, x.nonly, (size_t)top, &t, &n);
    opine_rows *rows;
    if (err == 0 && ((flat = malloc((4 * n + 1) * sizeof(int64_t))) == NULL ||
                     opine__rows_register(x.db, "opine_top_terms",
                                          "rank, stem, tf, df", "iiii", &rows)))
        err = OPINE_ENOMEM;
    if (err) {
        cli_error("'%s': %s", c.db, opine_strerror(err));
        rc = CLI_FATAL;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        flat[4 * i] = (int64_t)i + 1;
        flat[4 * i + 1] = t[i].stem;
        flat[4 * i + 2] = t[i].tf;
        flat[4 * i + 3] = t[i].df;
    }
    opine__rows_set(rows, flat, n);
    sql = sqlite3_mprintf(
        "WITH total AS (SELECT sum(l.tokens) AS tokens FROM doc_lengths l"
        " JOIN documents d ON d.id = l.doc%s%s)"
        " SELECT t.rank, coalesce(s.surface, s.stem) AS term, s.stem, t.tf,"
        " t.df, round(10000.0 * t.tf / total.tokens, 3) AS per_10k"
        " FROM opine_top_terms t JOIN stems s ON s.id = t.stem, total"
        " ORDER BY t.rank",
        x.cond ? " WHERE " : "", x.cond ? x.cond : "");
    rc = sql ? cli_print_query(x.db, sql, c.format) : CLI_FATAL;
    opine__rows_set(rows, NULL, 0);
out:
    sqlite3_free(sql);
    free(flat);
    free(t);
    free(c.meta);
    session_close(&x);
    return rc;
}
