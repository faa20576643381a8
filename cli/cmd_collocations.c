/* cli/cmd_collocations.c — opine collocations: multi-word expressions
 * scored as quanteda's textstat_collocations (lambda, z), with G2 and
 * PMI, printed in opine sql's formats and kept in the collocations table
 * under a runs row. The counting is in pipeline/collocations.c. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "base/error.h"
#include "api/opine.h"
#include "pipeline/collocations.h"

static const char collocations_usage[] =
    "usage: opine collocations [DB] [--size 2|3|2..3] [--min-count N]\n"
    "                          [--top N] [options]\n"
    "\n"
    "Multi-word expressions: every sequence of 2 (or 3) terms in DB's\n"
    "token streams, scored as quanteda's textstat_collocations scores\n"
    "them: lambda, the K-way interaction of the saturated log-linear model\n"
    "of the 2^K table of match patterns (Blaheta & Johnson 2001), and its\n"
    "Wald z; with G2 (against independent positions) and PMI. Terms are\n"
    "the tokens' lowercased forms (quanteda's tolower = TRUE), or stems\n"
    "with --stems. A sequence stops at a sentence boundary and wherever\n"
    "anything but white space (punctuation) stands between two tokens, as\n"
    "quanteda's never spans a punctuation token; stop words are terms like\n"
    "any other, as with quanteda's defaults. The rows go to DB's\n"
    "collocations table under a runs row (stage 'collocations'): the same\n"
    "parameters again replace them. The N with the highest z go to\n"
    "standard output.\n"
    "\n"
    "options:\n"
    "  --size K        expressions of K terms: 2 (default), 3, or 2..3\n"
    "  --min-count N   score expressions seen N times or more (2)\n"
    "  --top N         print the N with the highest z (20)\n"
    "  --smoothing S   added to each cell count (0.5, as quanteda)\n"
    "  --stems         terms are stems (\"nuclear weapon\" and \"nuclear\n"
    "                  weapons\" are one), shown by their commonest form\n"
    "  --pad-stopwords stop words are pads, as after quanteda's\n"
    "                  tokens_remove(x, stopwords(), padding = TRUE): an\n"
    "                  expression holding one is counted, never scored\n"
    "  --where EXPR    only the documents for which the SQL expression EXPR\n"
    "                  over the columns of documents (and opine sql's\n"
    "                  functions: opine_text(body) is the text) is true\n"
    "  --memory MB     for the counts of distinct sequences (256); a corpus\n"
    "                  with more is counted in more passes\n"
    "  --no-store      keep the rows in a temporary table only (DB is\n"
    "                  opened read-only; no run is recorded)\n"
    "  --tsv, --csv, --json, --table   the output format (as opine sql)\n"
    "  -q, --quiet     no summary on standard error\n"
    "  --db FILE       the database (instead of the first argument)\n"
    "\n"
    "Columns: collocation (the forms), stems, size, count, lambda, sigma\n"
    "(its standard error), z, g2 (signed: - when rarer than expected), pmi.\n";

enum {
    OPT_SIZE = 256,
    OPT_MIN_COUNT,
    OPT_TOP,
    OPT_SMOOTHING,
    OPT_PAD,
    OPT_STEMS,
    OPT_WHERE,
    OPT_MEMORY,
    OPT_NO_STORE,
    OPT_DB
};

int cmd_collocations(int argc, char **argv)
{
    static const struct option opts[] = {
        {"size", required_argument, NULL, OPT_SIZE},
        {"min-count", required_argument, NULL, OPT_MIN_COUNT},
        {"top", required_argument, NULL, OPT_TOP},
        {"smoothing", required_argument, NULL, OPT_SMOOTHING},
        {"pad-stopwords", no_argument, NULL, OPT_PAD},
        {"stems", no_argument, NULL, OPT_STEMS},
        {"where", required_argument, NULL, OPT_WHERE},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"no-store", no_argument, NULL, OPT_NO_STORE},
        {"db", required_argument, NULL, OPT_DB},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_FORMAT_OPTIONS,
        {0, 0, 0, 0}};
    opine_colloc_opts o = {.size_min = 2,
                           .size_max = 2,
                           .min_count = 2,
                           .smoothing = 0.5,
                           .store = 1,
                           .stop = &cli_stop};
    const char *db = NULL;
    long long top = 20, mib;
    int f = FMT_TSV, quiet = 0, c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        switch (c) {
        case OPT_SIZE:
            if (strcmp(optarg, "2") == 0 || strcmp(optarg, "3") == 0) {
                o.size_min = o.size_max = optarg[0] - '0';
            } else if (strcmp(optarg, "2..3") == 0) {
                o.size_min = 2;
                o.size_max = 3;
            } else {
                cli_error("--size wants 2, 3 or 2..3, not '%s'", optarg);
                return CLI_FATAL;
            }
            break;
        case OPT_MIN_COUNT:
            if ((o.min_count =
                     cli_number("--min-count", optarg, 1, UINT32_MAX)) < 0)
                return CLI_FATAL;
            break;
        case OPT_TOP:
            if ((top = cli_number("--top", optarg, 0, 1000000000)) < 0)
                return CLI_FATAL;
            break;
        case OPT_SMOOTHING:
            errno = 0;
            o.smoothing = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o.smoothing >= 0) ||
                isinf(o.smoothing)) {
                cli_error("--smoothing wants a number 0 or more, not '%s'",
                          optarg);
                return CLI_FATAL;
            }
            break;
        case OPT_PAD:
            o.pad_stopwords = 1;
            break;
        case OPT_STEMS:
            o.stems = 1;
            break;
        case OPT_WHERE:
            o.where = optarg;
            break;
        case OPT_MEMORY:
            if ((mib = cli_number("--memory", optarg, 1, 1 << 20)) < 0)
                return CLI_FATAL;
            o.memory = (size_t)mib << 20;
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
            fputs(collocations_usage, stdout);
            return CLI_OK;
        default:
            if (cli_format_option(c) >= 0) {
                f = cli_format_option(c);
                break;
            }
            fputs("see 'opine collocations --help'\n", stderr);
            return CLI_FATAL;
        }
    }
    if (optind < argc && !db)
        db = argv[optind++];
    if (optind < argc) {
        cli_error("unexpected argument '%s'; see 'opine collocations"
                  " --help'",
                  argv[optind]);
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
    opine_colloc_summary sum;
    double started = cli_now();
    int rc = opine_collocations(st, &o, &sum, &msg);
    if (rc != 0) {
        cli_error("%s", msg ? msg : opine_strerror(rc));
        free(msg);
        opine_store_close(st);
        return CLI_FATAL;
    }
    if (!quiet)
        fprintf(stderr,
                "collocations: %lld documents, %lld tokens, %lld bigrams,"
                " %lld trigrams; %lld scored into %s in %d passes,"
                " %.2f s\n",
                (long long)sum.documents, (long long)sum.tokens,
                (long long)sum.ngrams[2], (long long)sum.ngrams[3],
                (long long)sum.rows,
                o.store ? "collocations" : "temp.collocations (not stored)",
                sum.passes, cli_now() - started);
    const char *cols = f == FMT_TABLE
                           ? "round(lambda, 3) AS lambda, round(sigma, 3) AS"
                             " sigma, round(z, 2) AS z, round(g2, 1) AS g2,"
                             " round(pmi, 3) AS pmi"
                           : "lambda, sigma, z, g2, pmi";
    char *sql = sqlite3_mprintf(
        "SELECT collocation, stems, size, count, %s FROM %s.collocations"
        " WHERE run = %lld ORDER BY z DESC, collocation LIMIT %lld",
        cols, o.store ? "main" : "temp", (long long)sum.run, top);
    rc = sql ? cli_print_query(opine_store_db(st), sql, f) : CLI_FATAL;
    if (sql == NULL)
        cli_error("out of memory");
    sqlite3_free(sql);
    opine_store_close(st);
    return rc;
}
