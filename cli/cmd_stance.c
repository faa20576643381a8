/* cli/cmd_stance.c — opine stance: stance pooled per group of documents,
 * with intervals, and the difference between two groups
 * (pipeline/group_stance.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "cli/cli.h"
#include "pipeline/group_stance.h"

static const char stance_usage[] =
    "usage: opine stance [DB] --by GROUP --theme T [options]\n"
    "\n"
    "Pool the stance of every scored document of DB (default " OPINE_DEFAULT_DB
    ") on\n"
    "theme T per GROUP: outlet, author, year, month (of published) or\n"
    "meta:KEY (a metadata field). Each group's stance is a random-effects\n"
    "mean (DerSimonian-Laird): documents weigh by the inverse of their own\n"
    "variance (read off their interval) plus the variance between the\n"
    "group's documents (tau), so its interval counts both each document's\n"
    "uncertainty and how much the group's documents differ. The interval\n"
    "has the model's mass (90% unless the model says otherwise). Results\n"
    "are printed and stored in group_stance (and group_stance_diff) beside\n"
    "a run.\n"
    "\n"
    "options:\n"
    "  --by GROUP           outlet, author, year, month or meta:KEY\n"
    "  --theme T            a theme of the model\n"
    "  --model M            NAME or NAME@VERSION of a model that scored DB\n"
    "                       (default: the latest)\n"
    "  --min-docs N         leave out groups with fewer documents (default "
    "1)\n"
    "  --near DOC           the distance of each group's stance to that of\n"
    "                       document DOC (its ext_id), closest first\n"
    "  --target A --reference B  also the difference A - B with its "
    "interval\n"
    "  --top N              print the first N groups (default: all)\n"
    "  --tsv, --csv, --json, --table  output format (default tsv)\n"
    "  --wait SECONDS       when another opine process is writing DB, wait\n"
    "                       up to SECONDS for it to finish (default 0:\n"
    "                       refuse at once, naming it)\n";

int cmd_stance(int argc, char **argv)
{
    enum {
        OPT_BY = 400,
        OPT_THEME,
        OPT_MODEL,
        OPT_MIN,
        OPT_NEAR,
        OPT_TARGET,
        OPT_REFERENCE,
        OPT_TOP,
    };
    static const struct option opts[] = {
        {"by", required_argument, NULL, OPT_BY},
        {"theme", required_argument, NULL, OPT_THEME},
        {"model", required_argument, NULL, OPT_MODEL},
        {"min-docs", required_argument, NULL, OPT_MIN},
        {"near", required_argument, NULL, OPT_NEAR},
        {"target", required_argument, NULL, OPT_TARGET},
        {"reference", required_argument, NULL, OPT_REFERENCE},
        {"top", required_argument, NULL, OPT_TOP},
        {"help", no_argument, NULL, 'h'},
        CLI_WAIT_OPTION,
        CLI_FORMAT_OPTIONS,
        {0, 0, 0, 0},
    };
    opine_group_stance_opts o = {0};
    const char *db = NULL;
    int f = FMT_TSV, c;
    long top = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_BY:
            o.by = optarg;
            break;
        case OPT_THEME:
            o.theme = optarg;
            break;
        case OPT_MODEL:
            o.model = optarg;
            break;
        case OPT_MIN:
            o.min_docs = (int)strtol(optarg, &end, 10);
            if (*end || o.min_docs < 1) {
                cli_error("--min-docs takes a number >= 1");
                return CLI_FATAL;
            }
            break;
        case OPT_NEAR:
            o.near = optarg;
            break;
        case OPT_TARGET:
            o.target = optarg;
            break;
        case OPT_REFERENCE:
            o.reference = optarg;
            break;
        case OPT_TOP:
            top = strtol(optarg, &end, 10);
            if (*end || top < 1) {
                cli_error("--top takes a number >= 1");
                return CLI_FATAL;
            }
            break;
        case 'h':
            fputs(stance_usage, stdout);
            return CLI_OK;
        case CLI_OPT_WAIT:
            if (cli_parse_wait(optarg) != 0)
                return CLI_FATAL;
            break;
        default:
            if (cli_format_option(c) >= 0) {
                f = cli_format_option(c);
                break;
            }
            cli_error("see 'opine stance --help'");
            return CLI_FATAL;
        }
    }
    if (optind < argc)
        db = argv[optind++];
    if (optind < argc || o.by == NULL || o.theme == NULL) {
        cli_error("expected [DB] --by GROUP --theme T; see 'opine stance "
                  "--help'");
        return CLI_FATAL;
    }
    opine_store *st = cli_open_store(db ? db : OPINE_DEFAULT_DB, 0);
    if (st == NULL)
        return CLI_FATAL;
    int64_t run = 0;
    char *msg = NULL;
    int rc = opine_group_stance(st, &o, &run, &msg);
    if (rc) {
        cli_error("%s", msg ? msg : opine_strerror(rc));
        free(msg);
        opine_store_close(st);
        return CLI_FATAL;
    }
    char sql[1024], limit[32] = "";
    if (top > 0)
        snprintf(limit, sizeof limit, " LIMIT %ld", top);
    snprintf(sql, sizeof sql,
             "SELECT grp AS \"%s\", documents, round(stance, 3) AS stance,"
             " round(lo, 3) AS lo, round(hi, 3) AS hi, round(tau, 3) AS tau%s"
             " FROM group_stance WHERE run = %lld ORDER BY %s%s;",
             o.by, o.near ? ", round(distance, 3) AS distance" : "",
             (long long)run, o.near ? "distance, grp" : "stance DESC, grp",
             limit);
    rc = cli_print_query(opine_store_db(st), sql, f);
    if (rc == CLI_OK && o.target) {
        if (f == FMT_TABLE)
            putchar('\n');
        snprintf(sql, sizeof sql,
                 "SELECT target, reference, round(difference, 3) AS"
                 " difference, round(lo, 3) AS lo, round(hi, 3) AS hi FROM"
                 " group_stance_diff WHERE run = %lld;",
                 (long long)run);
        rc = cli_print_query(opine_store_db(st), sql, f);
    }
    opine_store_close(st);
    return rc;
}
