/* cli/cmd_train.c — opine train: learn a stance model from labelled
 * texts (models/train.h does the learning). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "models/train.h"
#include "cli/cli.h"
#include "base/error.h"
#include "cli/labels.h"

static const char train_usage[] =
    "usage: opine train LABELS -o FILE [options]\n"
    "\n"
    "Learn a stance model from labelled texts: per theme, an L2-regularised\n"
    "logistic regression (liblinear) over the words, word pairs, negated\n"
    "words and lexicon cues in the windows around the theme's mentions,\n"
    "with weights shared by the themes and weights of each theme's own.\n"
    "The window, the regularisation and class balancing (for all themes)\n"
    "and the weight on a neutral label (per theme) are chosen by\n"
    "cross-validation on LABELS only. FILE is a model (YAML) that opine\n"
    "score, run and eval load like any other.\n"
    "\n"
    "LABELS: JSON lines or TSV (a header line) with a text, a theme and a\n"
    "label (-1, 0, +1, or x: the text is not about the theme) per line; see\n"
    "--help of opine eval for the fields. Texts labelled x teach the model\n"
    "a fourth class, off the theme: windows that look like it count for\n"
    "less and give no evidence. Evidence rows show only the cues the labels\n"
    "confirm: a cue met in no labelled text's window, or where at least\n"
    "half of those texts are off the theme or take the other side, still\n"
    "counts but is listed quiet (quiet_positive, quiet_negative).\n"
    "\n"
    "options:\n"
    "  -o, --output FILE    where to write the model (- for standard output)\n"
    "  --base M             the model whose themes, targets, cues and\n"
    "                       negators to start from (default\n"
    "                       us-rok-alliance@1, the lexicon)\n"
    "  --name N, --version V  of the new model (default: the base's name,\n"
    "                       its version + 1)\n"
    "  --split S            learn only from lines whose split field is S\n"
    "  --theme T            every text is about theme T\n"
    "  --labels-map MAP     label names to values: AGAINST=-1,NONE=0,FAVOR=1\n"
    "  --text-field F, --theme-field F, --label-field F, --group-field F\n"
    "                       field names (defaults: text, theme or target,\n"
    "                       label or stance, record_id or id)\n"
    "  --folds K            cross-validation folds (default 5)\n"
    "  --windows LIST       candidate windows, tokens (0: the sentence;\n"
    "                       default 20,80)\n"
    "  --costs LIST         candidate C (default 1,3,10)\n"
    "  --min-count N        features in fewer texts are left out (2)\n"
    "  --prune W            weights below W are left out (0.45)\n"
    "  --no-quotes          no feature for a double quotation mark before\n"
    "                       a token in the window (w:\"), as models before\n"
    "                       v4 were trained\n"
    "  --no-speaker         no speaker features (s:we, s:we\", s:said, s:\":\n"
    "                       first person outside and inside quotation\n"
    "                       marks, a reporting verb, a window opening\n"
    "                       with a quotation mark; English models only),\n"
    "                       as models before v5 were trained\n"
    "  --evidence-probability P  a window gives evidence rows only when\n"
    "                       its side's probability is at least P (0.6)\n"
    "  --all-cues           every cue of the window's side is evidence,\n"
    "                       confirmed or not, as models before v6\n"
    "  --labels-name TEXT   how the model file names LABELS (its path)\n"
    "  -q, --quiet          no progress lines\n";

/* A comma-separated list of numbers into *v (malloc'd); -1 when bad. */
static int parse_list(const char *s, double **v, size_t *n)
{
    *n = 0;
    *v = malloc((strlen(s) / 2 + 2) * sizeof(double));
    if (*v == NULL)
        return -1;
    for (const char *p = s; *p;) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || d < 0)
            return -1;
        (*v)[(*n)++] = d;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return *n ? 0 : -1;
}

static void on_theme(void *ctx, const char *line)
{
    if (!*(int *)ctx)
        fprintf(stderr, "%s\n", line);
}

int cmd_train(int argc, char **argv)
{
    enum {
        OPT_BASE = 256,
        OPT_NAME,
        OPT_VERSION,
        OPT_FOLDS,
        OPT_WINDOWS,
        OPT_COSTS,
        OPT_MIN,
        OPT_PRUNE,
        OPT_NO_QUOTES,
        OPT_NO_SPEAKER,
        OPT_ALL_CUES,
        OPT_EVIDENCE,
        OPT_LABELS_NAME,
    };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"base", required_argument, NULL, OPT_BASE},
        {"name", required_argument, NULL, OPT_NAME},
        {"version", required_argument, NULL, OPT_VERSION},
        {"folds", required_argument, NULL, OPT_FOLDS},
        {"windows", required_argument, NULL, OPT_WINDOWS},
        {"costs", required_argument, NULL, OPT_COSTS},
        {"min-count", required_argument, NULL, OPT_MIN},
        {"prune", required_argument, NULL, OPT_PRUNE},
        {"no-quotes", no_argument, NULL, OPT_NO_QUOTES},
        {"no-speaker", no_argument, NULL, OPT_NO_SPEAKER},
        {"all-cues", no_argument, NULL, OPT_ALL_CUES},
        {"evidence-probability", required_argument, NULL, OPT_EVIDENCE},
        {"labels-name", required_argument, NULL, OPT_LABELS_NAME},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        CLI_LABEL_OPTIONS,
        {0, 0, 0, 0},
    };
    const char *out = NULL, *base_spec = "us-rok-alliance@1", *name = NULL,
               *labels_name = NULL;
    int version = 0, quiet = 0;
    cli_label_opts lo = {.keep_off = 1};
    opine_train_opts to = {0};
    double *windows = NULL, *costs = NULL;
    size_t nwindows = 0;
    int rc = CLI_FATAL, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case OPT_BASE:
            base_spec = optarg;
            break;
        case OPT_NAME:
            name = optarg;
            break;
        case OPT_VERSION:
            version = atoi(optarg);
            break;
        case OPT_FOLDS:
            to.folds = atoi(optarg);
            break;
        case OPT_MIN:
            to.min_count = atoi(optarg);
            break;
        case OPT_NO_QUOTES:
            to.no_quotes = 1;
            break;
        case OPT_NO_SPEAKER:
            to.no_speaker = 1;
            break;
        case OPT_ALL_CUES:
            to.all_cues = 1;
            break;
        case OPT_PRUNE:
            to.prune = atof(optarg);
            break;
        case OPT_EVIDENCE:
            to.evidence_p = atof(optarg);
            if (!(to.evidence_p > 0 && to.evidence_p <= 1)) {
                cli_error("--evidence-probability takes a number in (0, 1]");
                goto out;
            }
            break;
        case OPT_LABELS_NAME:
            labels_name = optarg;
            break;
        case OPT_WINDOWS:
            free(windows);
            if (parse_list(optarg, &windows, &nwindows)) {
                cli_error("--windows takes numbers such as 5,10,20,0");
                goto out;
            }
            break;
        case OPT_COSTS:
            free(costs);
            if (parse_list(optarg, &costs, &to.ncosts)) {
                cli_error("--costs takes numbers such as 0.1,1,10");
                goto out;
            }
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(train_usage, stdout);
            rc = CLI_OK;
            goto out;
        default:
            if (cli_label_option(&lo, c, optarg))
                break;
            cli_error("see 'opine train --help'");
            goto out;
        }
    }
    if (optind != argc - 1 || out == NULL) {
        cli_error("expected one LABELS file and -o FILE; see 'opine train "
                  "--help'");
        goto out;
    }
    int iw[64];
    if (nwindows > 64) {
        cli_error("at most 64 windows");
        goto out;
    }
    for (size_t i = 0; i < nwindows; i++)
        iw[i] = (int)windows[i];
    to.windows = iw;
    to.nwindows = nwindows;
    to.costs = costs;
    const char *path = argv[optind];
    opine_model *base = cli_load_compiled(base_spec);
    if (base == NULL)
        goto out;
    char *msg = NULL;
    if (opine_model_is_linear(base)) {
        cli_error("the base must be a lexicon model; '%s' is trained",
                  base_spec);
        opine_model_free(base);
        goto out;
    }
    cli_labels labels;
    if (cli_labels_read(path, &lo, &labels) != 0) {
        opine_model_free(base);
        goto out;
    }
    opine_train_unit *u = calloc(labels.n, sizeof(*u));
    int bad = u == NULL;
    for (size_t i = 0; !bad && i < labels.n; i++) {
        long t = -1;
        for (size_t k = 0; k < opine_model_nthemes(base); k++)
            if (strcmp(opine_model_theme(base, k)->id, labels.v[i].theme) == 0)
                t = (long)k;
        if (t < 0) {
            cli_error("%s: theme '%s' is not in the base model '%s'; give a"
                      " base that defines its targets (--base FILE)",
                      path, labels.v[i].theme, opine_model_name(base));
            bad = 1;
            break;
        }
        u[i] =
            (opine_train_unit){labels.v[i].text, labels.v[i].len, (uint32_t)t,
                               labels.v[i].label, labels.v[i].group};
    }
    char *yaml = NULL;
    opine_train_theme *rep = NULL;
    size_t nrep = 0;
    if (!bad) {
        to.name = name ? name : opine_model_name(base);
        to.version = version > 0 ? version : opine_model_version(base) + 1;
        char said[1024];
        snprintf(said, sizeof said, "%s%s%s", labels_name ? labels_name : path,
                 lo.split ? ", split " : "", lo.split ? lo.split : "");
        to.labels_name = said;
        to.labels_hash = labels.hash;
        to.on_theme = on_theme;
        to.ctx = &quiet;
        int trc = opine_train(base, u, labels.n, &to, &yaml, &rep, &nrep, &msg);
        if (trc) {
            cli_error("%s: %s", path, msg ? msg : opine_strerror(trc));
            free(msg);
            bad = 1;
        }
    }
    if (!bad) {
        FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
        if (f == NULL || fputs(yaml, f) == EOF ||
            (f != stdout && fclose(f) != 0)) {
            cli_error("cannot write '%s'", out);
            bad = 1;
        } else if (!quiet) {
            fprintf(stderr, "wrote %s: %zu labels, %zu themes trained\n", out,
                    labels.n, nrep);
        }
    }
    rc = bad ? CLI_FATAL : CLI_OK;
    free(yaml);
    free(rep);
    free(u);
    cli_labels_free(&labels);
    opine_model_free(base);
out:
    free(windows);
    free(costs);
    return rc;
}
