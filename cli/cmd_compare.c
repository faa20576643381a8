/* cli/cmd_compare.c — opine compare: the terms that set groups of
 * documents apart (keyness), printed in opine sql's formats and kept in
 * the keyness table under a runs row. The statistics are in
 * pipeline/keyness.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/error.h"
#include "api/opine.h"
#include "pipeline/keyness.h"

static const char compare_usage[] =
    "usage: opine compare [DB] --by outlet|author|year|month|meta:KEY\n"
    "                     [--target X] [--reference Y] [options]\n"
    "\n"
    "Keyness: the terms that set each group of documents apart from the\n"
    "other groups, or the --target group from the --reference group. Every\n"
    "term is scored by the log-odds ratio with an informative Dirichlet\n"
    "prior from the whole corpus, as a z-score (Monroe, Colaresi & Quinn\n"
    "2008), chi2 without and with Yates' correction, G2 and PMI on the\n"
    "term's 2x2 table (as quanteda's textstat_keyness), and Hardie's Log\n"
    "Ratio as the effect size. The rows, with the counts behind every\n"
    "figure, go to DB's keyness table under a runs row (stage 'compare'):\n"
    "the same comparison again replaces them. The top terms of each group\n"
    "go to standard output.\n"
    "\n"
    "options:\n"
    "  --by B          outlet, author, year or month (documents.published\n"
    "                  starting YYYY-MM-DD), or meta:KEY (doc_meta); a\n"
    "                  document with no value is in no group\n"
    "  --target X      compare group X only (default: every group)\n"
    "  --reference Y   against group Y (default: all the other groups)\n"
    "  --measure M     rank by logodds (its z; the default), chi2, g2 or pmi\n"
    "  --top N         print the N top terms of each group (10); against a\n"
    "                  --reference also the N most typical of it, ranked\n"
    "                  -1, -2, ... from the other end\n"
    "  --min-count N   score the terms a group uses N times or more (5);\n"
    "                  against a --reference, that either side does\n"
    "  --where EXPR    only the documents for which the SQL expression EXPR\n"
    "                  over the columns of documents is true, e.g.\n"
    "                  \"id IN (SELECT doc FROM doc_meta WHERE key = 'topic'\n"
    "                  AND value = 'north_korea')\" or, with opine sql's\n"
    "                  functions, \"opine_text(body) LIKE '%north korea%'\"\n"
    "  --no-store      keep the rows in a temporary table only (DB is\n"
    "                  opened read-only; no run is recorded)\n"
    "  --tsv, --csv, --json, --table   the output format (as opine sql)\n"
    "  -q, --quiet     no summary on standard error\n"
    "  --db FILE       the database (instead of the first argument)\n"
    "\n"
    "Columns: target, reference ('(rest)': the other groups), rank, term\n"
    "(the stem's most frequent form), stem, n_target and n_reference (the\n"
    "term's count on either side), docs_target and docs_reference (the\n"
    "documents using it), z and delta (log-odds), chi2, chi2_yates, g2\n"
    "(signed: + when the target uses the term more than expected), pmi,\n"
    "log_ratio (log2 of the ratio of relative frequencies). The keyness\n"
    "table also holds each side's tokens and the prior of every row.\n";

enum {
    OPT_BY = 256,
    OPT_TARGET,
    OPT_REFERENCE,
    OPT_MEASURE,
    OPT_TOP,
    OPT_MIN_COUNT,
    OPT_WHERE,
    OPT_NO_STORE,
    OPT_DB
};

/* A whole decimal number in [lo, hi], or -1 after saying why not. */
int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"by", required_argument, NULL, OPT_BY},
        {"target", required_argument, NULL, OPT_TARGET},
        {"reference", required_argument, NULL, OPT_REFERENCE},
        {"measure", required_argument, NULL, OPT_MEASURE},
        {"top", required_argument, NULL, OPT_TOP},
        {"min-count", required_argument, NULL, OPT_MIN_COUNT},
        {"where", required_argument, NULL, OPT_WHERE},
        {"no-store", no_argument, NULL, OPT_NO_STORE},
        {"db", required_argument, NULL, OPT_DB},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_FORMAT_OPTIONS,
        {0, 0, 0, 0}};
    opine_keyness_opts o = {.min_count = 5, .store = 1, .stop = &cli_stop};
    const char *db = NULL;
    long long top = 10;
    int f = FMT_TSV, quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        switch (c) {
        case OPT_BY:
            o.by = optarg;
            break;
        case OPT_TARGET:
            o.target = optarg;
            break;
        case OPT_REFERENCE:
            o.reference = optarg;
            break;
        case OPT_MEASURE:
            o.measure = optarg;
            break;
        case OPT_TOP:
            if ((top = cli_number("--top", optarg, 0, 1000000000)) < 0)
                return CLI_FATAL;
            break;
        case OPT_MIN_COUNT:
            if ((o.min_count =
                     cli_number("--min-count", optarg, 1, INT64_MAX / 2)) < 0)
                return CLI_FATAL;
            break;
        case OPT_WHERE:
            o.where = optarg;
            break;
        case OPT_NO_STORE:
            o.store = 0;
            break;
        case OPT_DB:
            db = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(compare_usage, stdout);
            return CLI_OK;
        default:
            if (cli_format_option(c) >= 0) {
                f = cli_format_option(c);
                break;
            }
            fputs("see 'opine compare --help'\n", stderr);
            return CLI_FATAL;
        }
    }
    if (optind < argc && !db)
        db = argv[optind++];
    if (optind < argc) {
        cli_error("unexpected argument '%s'; see 'opine compare --help'",
                  argv[optind]);
        return CLI_FATAL;
    }
    if (o.by == NULL) {
        cli_error("opine compare needs --by outlet, author, year, month or"
                  " meta:KEY; see 'opine compare --help'");
        return CLI_FATAL;
    }
    opine_store *st = cli_open_store(db ? db : OPINE_DEFAULT_DB,
                                     o.store ? 0 : OPINE_STORE_READONLY);
    if (st == NULL)
        return CLI_FATAL;
    /* --where may use opine_text(body), opine_stem(), ... as opine sql */
    char *msg = NULL;
    if (opine_sql_register(opine_store_db(st), &msg) != 0) {
        cli_error("%s", msg ? msg : "cannot register opine's SQL functions");
        free(msg);
        opine_store_close(st);
        return CLI_FATAL;
    }
    /* Not stored, only the printed rows are needed (ABP, two outlets:
     * 40,000 rows fewer to write, 25-35 ms) */
    if (!o.store)
        o.keep = top;
    /* Read-only, it reads each page once: the two groups' term vectors
     * (2,772 look-ups for two ABP outlets, in document order), the terms
     * table for the prior. On ABP, Fox News against the New York Times'
     * news: 77 -> 55 ms (30 alternating runs), 1,987 -> 1,386 faults. */
    if (!o.store)
        cli_read_once(opine_store_db(st));
    opine_keyness_summary sum;
    double started = cli_now();
    int rc = opine_keyness_compare(st, &o, &sum, &msg);
    if (rc != 0) {
        cli_error("%s", msg ? msg : opine_strerror(rc));
        free(msg);
        opine_store_close(st);
        return CLI_FATAL;
    }
    if (!quiet)
        fprintf(stderr,
                "compare: %lld documents, %lld in %lld groups by %s;"
                " %lld comparisons, %lld rows in %s in %.2f s\n",
                (long long)sum.documents, (long long)sum.grouped,
                (long long)sum.groups, o.by, (long long)sum.comparisons,
                (long long)sum.rows,
                o.store ? "keyness" : "temp.keyness (not stored)",
                cli_now() - started);
    /* The measures rounded for reading; exact in the other formats. */
    const char *cols =
        f == FMT_TABLE
            ? "round(k.z, 2) AS z, round(k.delta, 3) AS delta,"
              " round(k.chi2, 2) AS chi2, round(k.chi2_yates, 2) AS"
              " chi2_yates, round(k.g2, 2) AS g2, round(k.pmi, 3) AS pmi,"
              " round(k.log_ratio, 2) AS log_ratio"
            : "k.z, k.delta, k.chi2, k.chi2_yates, k.g2, k.pmi, k.log_ratio";
    /* The top terms of each target; against a named reference also the
     * bottom ones, their rank counted from the end (n: the target's rows,
     * from the index on run, target, rank). */
    const char *schema = o.store ? "main" : "temp";
    char *sql = sqlite3_mprintf(
        "WITH k AS (SELECT *, (SELECT max(m.rank) FROM %s.keyness m"
        " WHERE m.run = x.run AND m.target = x.target) AS n"
        " FROM %s.keyness x WHERE x.run = %lld AND (x.rank <= %lld"
        " OR x.reference IS NOT NULL))"
        " SELECT k.target, coalesce(k.reference, '(rest)') AS reference,"
        " CASE WHEN k.rank <= %lld THEN k.rank ELSE k.rank - k.n - 1 END"
        " AS rank, coalesce(s.surface, s.stem) AS term, s.stem,"
        " k.n_target, k.n_reference, k.docs_target, k.docs_reference, %s"
        " FROM k JOIN stems s ON s.id = k.stem"
        " WHERE k.rank <= %lld OR k.rank > k.n - %lld"
        " ORDER BY k.target, k.rank > %lld,"
        " CASE WHEN k.rank <= %lld THEN k.rank ELSE -k.rank END",
        schema, schema, (long long)sum.run, top, top, cols, top, top, top, top);
    rc = sql ? cli_print_query(opine_store_db(st), sql, f) : CLI_FATAL;
    if (sql == NULL)
        cli_error("out of memory");
    sqlite3_free(sql);
    opine_store_close(st);
    return rc;
}
