/* cli/cmd_similar.c — opine similar: the documents nearest a document or a
 * text by tf-idf cosine (pipeline/similar.h), printed in opine sql's
 * formats with their metadata and the terms they share. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/opine.h"
#include "base/error.h"
#include "base/rows.h"
#include "base/strmap.h"
#include "cli/cli.h"
#include "pipeline/similar.h"
#include "pipeline/simindex.h"

static const char similar_usage[] =
    "usage: opine similar [DB] DOC [--top K] [--by G] [options]\n"
    "       opine similar [DB] --text FILE [--top K] [--by G] [options]\n"
    "       opine similar [DB] --check\n"
    "\n"
    "The documents of DB (default " OPINE_DEFAULT_DB ") nearest DOC (its\n"
    "ext_id, or its id) or the text in FILE ('-' for standard input), by\n"
    "the cosine of their tf-idf vectors: tf * ln(N / df), as v_tfidf, over\n"
    "the stemmed terms (stop words left out). A text is cut and stemmed as\n"
    "DB was (its language, stop words, tokenizer and folding, from meta);\n"
    "its terms DB never saw are left out. Each document comes with its\n"
    "score and the terms it shares with the query that add most to it.\n"
    "Ranked by score, then by id; DOC itself is left out. Exact: the same\n"
    "scores and order as computing every cosine, from an index the stem\n"
    "stage keeps (opine run and opine stem). When the index is missing or\n"
    "stale (an older opine made DB, or a run was stopped before its end),\n"
    "it is brought up to date here; while another process writes DB, or\n"
    "where DB is read-only, its norms are computed in memory instead.\n"
    "\n"
    "options:\n"
    "  --text FILE   compare this text instead of a stored document\n"
    "  --top K       how many documents (default 10; with --by, per group,\n"
    "                default 3)\n"
    "  --by G        the nearest of each group, groups in the order of\n"
    "                their nearest document: outlet, author, year, month\n"
    "                or meta:KEY (doc_meta)\n"
    "  --terms N     shared terms shown per document (default 5; 0: none)\n"
    "  --check       verify the index and the term vectors (doc_vectors)\n"
    "                against doc_terms and say what they hold (reads\n"
    "                everything: seconds on a large corpus)\n"
    "  --tsv         tab-separated with a header line (default)\n"
    "  --csv         RFC 4180 CSV with a header line\n"
    "  --json        a JSON array of objects\n"
    "  --table       aligned columns for reading\n"
    "  --db FILE     the database (instead of the first argument)\n"
    "  -h, --help    this help\n";

enum { OPT_DB = 256, OPT_TEXT, OPT_TOP, OPT_BY, OPT_TERMS, OPT_CHECK };

/* What the SQL function opine_similar_terms(doc) reads. */
typedef struct shared_ctx {
    opine_similar *s;
    opine_similar_query *q;
    size_t max;
} shared_ctx;

static void sql_shared(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    shared_ctx *c = sqlite3_user_data(ctx);
    char *text = NULL;
    int rc = opine_similar_shared(c->s, c->q, sqlite3_value_int64(argv[0]),
                                  c->max, &text);
    if (rc) {
        sqlite3_result_error(ctx, opine_strerror(rc), -1);
        return;
    }
    sqlite3_result_text(ctx, text, -1, free);
}

/* The stems of text, cut, folded, stop-listed and stemmed as the database
 * was (the settings meta records), counted: *stems and *counts malloc'd,
 * the stems owned by *map. Returns 0 or CLI_FATAL after saying why. */
typedef struct stem_bag {
    opine__strmap *map;
    const char **stems;
    uint32_t *counts;
    size_t n, cap;
    size_t tokens;
} stem_bag;

static int bag_token(void *ctx, const opine_token_info *t)
{
    stem_bag *b = ctx;
    b->tokens++;
    if (t->stop)
        return 0;
    int64_t i = opine__strmap_get(b->map, t->stem, t->stem_len);
    if (i > 0) {
        b->counts[i - 1]++;
        return 0;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        const char **s = realloc(b->stems, cap * sizeof(*s));
        if (s)
            b->stems = s;
        uint32_t *c = s ? realloc(b->counts, cap * sizeof(*c)) : NULL;
        if (c == NULL)
            return OPINE_ENOMEM;
        b->counts = c;
        b->cap = cap;
    }
    const char *stored;
    if (opine__strmap_intern(b->map, t->stem, t->stem_len, (int64_t)b->n + 1,
                             &stored))
        return OPINE_ENOMEM;
    b->stems[b->n] = stored;
    b->counts[b->n++] = 1;
    return 0;
}

static void bag_release(stem_bag *b)
{
    opine__strmap_free(b->map);
    free(b->stems);
    free(b->counts);
}

static int analyze_file(opine_store *st, const char *file, stem_bag *b)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (f == NULL) {
        cli_error("cannot read '%s': %s", file, strerror(errno));
        return CLI_FATAL;
    }
    size_t len;
    char *text = cli_read_all(f, &len);
    int read_error = ferror(f);
    if (f != stdin)
        fclose(f);
    if (text == NULL || read_error) {
        cli_error("cannot read '%s': %s", file,
                  text ? "read error" : "out of memory");
        free(text);
        return CLI_FATAL;
    }
    opine_analyzer *a = cli_db_analyzer(st);
    int rc = a ? 0 : OPINE_EUSAGE;
    if (a && (rc = opine__strmap_new(&b->map)) == 0)
        rc = opine_analyze(a, text, len, bag_token, b);
    if (a && rc)
        cli_error("cannot read '%s': %s", file, opine_strerror(rc));
    else if (rc == 0 && b->n == 0)
        cli_error("'%s' has no words to compare (%s)", file,
                  b->tokens ? "only stop words" : "it is empty");
    opine_analyzer_free(a);
    free(text);
    return rc || b->n == 0 ? CLI_FATAL : CLI_OK;
}

static int print_check(opine_store *st, const char *db)
{
    opine_simindex_stats stats;
    char *msg = NULL;
    int rc = opine__simindex_check(opine_store_db(st), &stats, &msg);
    if (rc) {
        cli_error("the similarity index of '%s' %s: %s", db,
                  rc == OPINE_ECORRUPT ? "is not consistent"
                                       : "cannot be checked",
                  msg ? msg : opine_strerror(rc));
        free(msg);
        return CLI_FATAL;
    }
    printf("ok: %lld documents indexed (%lld stemmed since, not yet), %lld"
           " generations, %lld stems, %lld chunks, %lld postings; norms %s;"
           " term vectors of %lld documents (%lld terms); %lld positions\n",
           (long long)stats.documents, (long long)stats.unindexed,
           (long long)stats.generations, (long long)stats.stems,
           (long long)stats.chunks, (long long)stats.postings,
           stats.norms_current ? "current" : "stale (computed when next used)",
           (long long)stats.vectors, (long long)stats.vector_terms,
           (long long)stats.positions);
    return CLI_OK;
}

int cmd_similar(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_FORMAT_OPTIONS,
        {"db", required_argument, NULL, OPT_DB},
        {"text", required_argument, NULL, OPT_TEXT},
        {"top", required_argument, NULL, OPT_TOP},
        {"by", required_argument, NULL, OPT_BY},
        {"terms", required_argument, NULL, OPT_TERMS},
        {"check", no_argument, NULL, OPT_CHECK},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    const char *db = NULL, *file = NULL, *by = NULL, *spec = NULL;
    long long top = -1, terms = 5;
    int f = FMT_TSV, check = 0, c;
    cli_reader_signals(); /* an update stopped midway loses nothing */
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_format_option(c) >= 0) {
            f = cli_format_option(c);
            continue;
        }
        switch (c) {
        case OPT_DB:
            db = optarg;
            break;
        case OPT_TEXT:
            file = optarg;
            break;
        case OPT_TOP:
            if ((top = cli_number("--top", optarg, 1, 1000000)) < 0)
                return CLI_FATAL;
            break;
        case OPT_BY:
            by = optarg;
            break;
        case OPT_TERMS:
            if ((terms = cli_number("--terms", optarg, 0, 1000)) < 0)
                return CLI_FATAL;
            break;
        case OPT_CHECK:
            check = 1;
            break;
        case 'h':
            fputs(similar_usage, stdout);
            return CLI_OK;
        default:
            fputs("see 'opine similar --help'\n", stderr);
            return CLI_FATAL;
        }
    }
    char **pos = argv + optind;
    int npos = argc - optind;
    /* [DB] DOC, or [DB] with --text or --check */
    int want_doc = !file && !check;
    if (!db && npos == want_doc + 1) {
        db = pos[0];
        pos++;
        npos--;
    } else if (!db && npos == 1 && want_doc && cli_looks_like_db(pos[0])) {
        cli_error("opine similar wants one DOC (an ext_id or id) or --text"
                  " FILE; see 'opine similar --help'");
        return CLI_FATAL;
    }
    if (npos != want_doc || (file && check)) {
        cli_error(want_doc ? "opine similar wants one DOC (an ext_id or id)"
                             " or --text FILE; see 'opine similar --help'"
                           : "unexpected argument '%s'; see 'opine similar"
                             " --help'",
                  npos > 0 ? pos[npos - 1] : "--check");
        return CLI_FATAL;
    }
    if (want_doc)
        spec = pos[0];
    if (!db)
        db = OPINE_DEFAULT_DB;
    char *gname = NULL, *gexpr = NULL;
    if (by && (gexpr = cli_group_expr(by, &gname)) == NULL)
        return CLI_FATAL;
    if (top < 0)
        top = by ? 3 : 10;

    opine_store *st = cli_open_store(db, OPINE_STORE_READONLY);
    if (st == NULL) {
        sqlite3_free(gname);
        sqlite3_free(gexpr);
        return CLI_FATAL;
    }
    sqlite3 *sdb = opine_store_db(st);
    int rc = CLI_FATAL;
    opine_similar *s = NULL;
    opine_similar_query *q = NULL;
    opine_similar_hit *hits = NULL;
    size_t nhits = 0;
    stem_bag bag = {0};
    char *msg = NULL, *sql = NULL;
    if (check) {
        rc = print_check(st, db);
        goto out;
    }
    if (cli_update_index(sdb, db) != CLI_OK)
        goto out;
    int err = opine_similar_open(&s, sdb, &msg);
    if (err) {
        cli_error("'%s': %s", db, msg ? msg : opine_strerror(err));
        goto out;
    }
    if (file) {
        if (analyze_file(st, file, &bag) != CLI_OK)
            goto out;
        err = opine_similar_query_stems(s, bag.stems, bag.counts, bag.n, &q);
        if (err == OPINE_EEMPTY) {
            cli_error("no term of '%s' occurs in '%s' (with a positive"
                      " weight): nothing to compare",
                      file, db);
            goto out;
        }
    } else {
        int64_t doc;
        err = opine_similar_find(s, spec, &doc, &msg);
        if (err) {
            cli_error("'%s': %s", db, msg ? msg : opine_strerror(err));
            goto out;
        }
        err = opine_similar_query_doc(s, doc, &q);
        if (err == OPINE_EEMPTY) {
            cli_error("document '%s' has no term of positive weight (only"
                      " stop words, or terms every document has): nothing"
                      " to compare",
                      spec);
            goto out;
        }
    }
    if (err == 0)
        err = opine_similar_rank(s, q, by ? 0 : (size_t)top, &hits, &nhits);
    if (err) {
        cli_error("'%s': %s", db, opine_strerror(err));
        goto out;
    }
    /* The hits as a table, printed with their documents by SQL. */
    opine_rows *rows;
    int64_t *flat = malloc((3 * nhits + 1) * sizeof(int64_t));
    shared_ctx sc = {s, q, (size_t)terms};
    if (flat == NULL ||
        opine__rows_register(sdb, "opine_similar_hits", "doc, score, rank",
                             "iri", &rows) ||
        sqlite3_create_function(sdb, "opine_similar_terms", 1, SQLITE_UTF8, &sc,
                                sql_shared, NULL, NULL) != SQLITE_OK) {
        free(flat);
        cli_error("out of memory");
        goto out;
    }
    for (size_t i = 0; i < nhits; i++) {
        flat[3 * i] = hits[i].doc;
        flat[3 * i + 1] = opine__rows_real(hits[i].score);
        flat[3 * i + 2] = (int64_t)i + 1;
    }
    opine__rows_set(rows, flat, nhits);
    const char *score = f == FMT_TABLE ? "printf('%.4f', h.score)" : "h.score";
    if (by)
        sql = sqlite3_mprintf(
            "WITH h AS (SELECT %s AS grp, h.doc, h.score, h.rank AS overall,"
            " row_number() OVER (PARTITION BY %s ORDER BY h.rank) AS rank,"
            " min(h.rank) OVER (PARTITION BY %s) AS best"
            " FROM opine_similar_hits h JOIN documents d ON d.id = h.doc)"
            " SELECT h.grp AS \"%w\", h.rank, h.overall, d.id, d.ext_id,"
            " %s AS score,%s d.published, d.title,"
            " opine_similar_terms(d.id) AS shared_terms"
            " FROM h JOIN documents d ON d.id = h.doc WHERE h.rank <= %lld"
            " ORDER BY h.best, h.rank",
            gexpr, gexpr, gexpr, gname, score,
            strcmp(by, "outlet") ? " d.outlet," : "", top);
    else
        sql = sqlite3_mprintf(
            "SELECT h.rank, d.id, d.ext_id, %s AS score, d.outlet,"
            " d.published, d.title, opine_similar_terms(d.id) AS shared_terms"
            " FROM opine_similar_hits h JOIN documents d ON d.id = h.doc"
            " ORDER BY h.rank",
            score);
    rc = sql ? cli_print_query(sdb, sql, f) : CLI_FATAL;
    opine__rows_set(rows, NULL, 0);
    free(flat);
out:
    sqlite3_free(sql);
    sqlite3_free(gname);
    sqlite3_free(gexpr);
    free(msg);
    free(hits);
    bag_release(&bag);
    opine_similar_query_free(q);
    opine_similar_free(s);
    opine_store_close(st);
    return rc;
}
