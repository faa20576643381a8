/* cli/cmd_eval.c — opine eval: how well a model's stances agree with
 * labelled texts, beside the lexicon model and the majority baseline, and
 * stored in the database's evaluations table. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/apply.h"
#include "models/metrics.h"
#include "models/model.h"
#include "models/train.h"
#include "cli/cli.h"
#include "base/error.h"
#include "cli/labels.h"

static const char eval_usage[] =
    "usage: opine eval [DB] --labels LABELS [--model M] [options]\n"
    "\n"
    "Score every labelled text with model M (a file or a built-in model;\n"
    "default: the default model), the lexicon baseline and the majority\n"
    "class, and print per theme: accuracy, precision, recall and F1 of each\n"
    "class, macro-F1, F_avg (SemEval-2016: the mean of F1(+1) and F1(-1)),\n"
    "sign accuracy (of texts labelled and predicted sided, the share with\n"
    "the right sign), the recall of sided texts (labelled sided, predicted\n"
    "sided either way) and the confusion matrix. A text without a mention\n"
    "of its theme is predicted 0. The figures are stored in DB's\n"
    "evaluations table, keyed by the model's hash and the labels' hash.\n"
    "\n"
    "LABELS: JSON lines, or TSV with a header line. Each line needs a text\n"
    "(field text, body or content), a theme (theme or target) and a label\n"
    "(label or stance: -1, 0, +1, or x for off the theme, skipped). Texts\n"
    "of one article share a group (record_id or id) for --folds.\n"
    "\n"
    "options:\n"
    "  --labels FILE        the labelled texts\n"
    "  --model M            the model to judge (file, NAME or NAME@VERSION)\n"
    "  --baseline M         the lexicon to compare with (us-rok-alliance@1)\n"
    "  --split S            only lines whose split field is S; the\n"
    "                       majority class then comes from the other lines\n"
    "  --folds K            also K-fold cross-validate training: train on\n"
    "                       K-1 folds of LABELS with the model's base terms,\n"
    "                       judge the held-out fold\n"
    "  --theme T, --labels-map MAP, --text-field F, --theme-field F,\n"
    "  --label-field F, --group-field F   as for opine train\n"
    "  --confusion          print each confusion matrix too\n"
    "  --no-store           print only\n"
    "  --wait SECONDS       when another opine process is writing DB, wait\n"
    "                       up to SECONDS for it to finish before storing\n"
    "                       (default 0: refuse at once, naming it)\n";

enum { M_MODEL, M_LEXICON, M_MAJORITY, M_CV, M_N };
static const char *const method_names[M_N] = {"model", "lexicon", "majority",
                                              "cross-validated"};

typedef struct theme_eval {
    const char *theme;
    opine_metrics m[M_N];
    int majority;
} theme_eval;

/* Predict every unit with a compiled model into pred (label per unit). */
static int predict_all(const opine_model *m, const cli_labels *l,
                       const long *theme_of, int *pred)
{
    opine_applier *a;
    int rc = opine_applier_new(&a, m);
    opine_scores sc = OPINE_SCORES_INIT;
    for (size_t i = 0; rc == 0 && i < l->n; i++) {
        pred[i] = 0;
        if (theme_of[i] < 0)
            continue;
        rc = opine_applier_score(a, l->v[i].text, l->v[i].len, &sc);
        if (rc == 0 && sc.themes[theme_of[i]].has_stance)
            pred[i] = sc.themes[theme_of[i]].label;
    }
    opine_scores_release(&sc);
    opine_applier_free(a);
    return rc;
}

/* The index of theme id in m, for every unit (-1: not in m). */
static void map_themes(const opine_model *m, const cli_labels *l, long *out)
{
    for (size_t i = 0; i < l->n; i++) {
        out[i] = -1;
        for (size_t k = 0; k < opine_model_nthemes(m); k++)
            if (strcmp(opine_model_theme(m, k)->id, l->v[i].theme) == 0)
                out[i] = (long)k;
    }
}

/* K-fold cross-validation of training: pred[i] for every unit, from a
 * model trained without the unit's fold. */
static int cross_validate(const char *spec, const cli_labels *l, int folds,
                          int *pred)
{
    opine_model *base = cli_load_compiled(spec);
    if (base == NULL)
        return -1;
    opine_model_forget_training(base);
    char *msg = NULL;
    long *theme_of = malloc((l->n + 1) * sizeof(long));
    opine_train_unit *u = malloc((l->n + 1) * sizeof(*u));
    int rc = theme_of && u ? 0 : -1;
    if (rc == 0)
        map_themes(base, l, theme_of);
    for (int f = 0; rc == 0 && f < folds; f++) {
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++)
            if (theme_of[i] >= 0 && (int)(l->v[i].group % folds) != f)
                u[n++] = (opine_train_unit){l->v[i].text, l->v[i].len,
                                            (uint32_t)theme_of[i],
                                            l->v[i].label, l->v[i].group};
        opine_train_opts o = {.name = "fold", .version = 1};
        char *yaml = NULL;
        opine_train_theme *rep = NULL;
        size_t nrep;
        if (opine_train(base, u, n, &o, &yaml, &rep, &nrep, &msg) != 0) {
            cli_error("fold %d: %s", f + 1, msg ? msg : "cannot train");
            free(msg);
            rc = -1;
            break;
        }
        free(rep);
        opine_model *m = NULL;
        if (opine_model_load_buffer(&m, yaml, strlen(yaml), "fold", &msg) ||
            opine_model_compile(m, NULL, &msg)) {
            cli_error("fold %d: %s", f + 1, msg ? msg : "cannot load");
            free(msg);
            rc = -1;
        }
        free(yaml);
        int *p = rc == 0 ? malloc((l->n + 1) * sizeof(int)) : NULL;
        if (rc == 0 && (p == NULL || predict_all(m, l, theme_of, p) != 0))
            rc = -1;
        for (size_t i = 0; rc == 0 && i < l->n; i++)
            if ((int)(l->v[i].group % folds) == f)
                pred[i] = p[i];
        free(p);
        opine_model_free(m);
    }
    free(theme_of);
    free(u);
    opine_model_free(base);
    return rc;
}

static int store(opine_store *st, const opine_model *m, const char *labels,
                 const cli_labels *l, const char *split, const theme_eval *te,
                 size_t nte, int have_cv)
{
    sqlite3 *db = opine_store_db(st);
    if (opine_store_exec(
            st, "CREATE TABLE IF NOT EXISTS evaluations("
                " model TEXT NOT NULL, model_version INTEGER NOT NULL,"
                " model_hash TEXT NOT NULL, labels TEXT NOT NULL,"
                " labels_hash TEXT NOT NULL, split TEXT NOT NULL,"
                " theme TEXT NOT NULL, method TEXT NOT NULL,"
                " n INTEGER NOT NULL, accuracy REAL, macro_f1 REAL,"
                " f_avg REAL, sign_accuracy REAL, sided_recall REAL,"
                " neutral_sided REAL, f1_pos REAL, f1_zero REAL, f1_neg REAL,"
                " confusion TEXT NOT NULL, evaluated TEXT NOT NULL,"
                " PRIMARY KEY(model_hash, labels_hash, split, theme,"
                " method)) WITHOUT ROWID;"
                "BEGIN IMMEDIATE"))
        return -1;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(
            db,
            "INSERT OR REPLACE INTO evaluations VALUES(?1, ?2, ?3, ?4, ?5,"
            " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
            " ?19, ?20)",
            -1, &q, NULL) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    char now[32];
    opine_store_now(now);
    int rc = 0;
    for (size_t t = 0; rc == 0 && t < nte; t++)
        for (int k = 0; rc == 0 && k < M_N; k++) {
            const opine_metrics *mt = &te[t].m[k];
            if (mt->n == 0 || (k == M_CV && !have_cv))
                continue;
            char conf[256];
            snprintf(conf, sizeof conf,
                     "[[%lld,%lld,%lld],[%lld,%lld,%lld],[%lld,%lld,%lld]]",
                     (long long)mt->c[0][0], (long long)mt->c[0][1],
                     (long long)mt->c[0][2], (long long)mt->c[1][0],
                     (long long)mt->c[1][1], (long long)mt->c[1][2],
                     (long long)mt->c[2][0], (long long)mt->c[2][1],
                     (long long)mt->c[2][2]);
            sqlite3_bind_text(q, 1, opine_model_name(m), -1, SQLITE_STATIC);
            sqlite3_bind_int(q, 2, opine_model_version(m));
            sqlite3_bind_text(q, 3, opine_model_hash(m), -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 4, labels, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 5, l->hash, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 6, split ? split : "", -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 7, te[t].theme, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 8, method_names[k], -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 9, mt->n);
            double v[] = {
                mt->accuracy,      mt->macro_f1,     mt->f_avg,
                mt->sign_accuracy, mt->sided_recall, mt->neutral_sided,
                mt->f1[0],         mt->f1[1],        mt->f1[2]};
            for (int j = 0; j < 9; j++)
                if (isnan(v[j]))
                    sqlite3_bind_null(q, 10 + j);
                else
                    sqlite3_bind_double(q, 10 + j, v[j]);
            sqlite3_bind_text(q, 19, conf, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(q, 20, now, -1, SQLITE_STATIC);
            rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
            sqlite3_reset(q);
        }
    sqlite3_finalize(q);
    if (rc == 0 && opine_store_exec(st, "COMMIT") == 0)
        return 0;
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static void print_row(const char *theme, const char *method,
                      const opine_metrics *m)
{
    printf("%-19s %-15s %5lld %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f\n", theme,
           method, (long long)m->n, m->macro_f1, m->f_avg, m->accuracy,
           m->sign_accuracy, m->sided_recall, m->neutral_sided);
}

int cmd_eval(int argc, char **argv)
{
    enum {
        OPT_LABELS = 256,
        OPT_MODEL,
        OPT_BASELINE,
        OPT_FOLDS,
        OPT_CONFUSION,
        OPT_NO_STORE,
    };
    static const struct option opts[] = {
        {"labels", required_argument, NULL, OPT_LABELS},
        {"model", required_argument, NULL, OPT_MODEL},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"folds", required_argument, NULL, OPT_FOLDS},
        {"confusion", no_argument, NULL, OPT_CONFUSION},
        {"no-store", no_argument, NULL, OPT_NO_STORE},
        {"help", no_argument, NULL, 'h'},
        CLI_WAIT_OPTION,
        CLI_LABEL_OPTIONS,
        {0, 0, 0, 0},
    };
    const char *labels_path = NULL, *model_spec = NULL,
               *baseline_spec = "us-rok-alliance@1", *db = NULL;
    int folds = 0, confusion = 0, no_store = 0, c;
    cli_label_opts lo = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_LABELS:
            labels_path = optarg;
            break;
        case OPT_MODEL:
            model_spec = optarg;
            break;
        case OPT_BASELINE:
            baseline_spec = optarg;
            break;
        case OPT_FOLDS:
            folds = atoi(optarg);
            break;
        case OPT_CONFUSION:
            confusion = 1;
            break;
        case OPT_NO_STORE:
            no_store = 1;
            break;
        case 'h':
            fputs(eval_usage, stdout);
            return CLI_OK;
        case CLI_OPT_WAIT:
            if (cli_parse_wait(optarg) != 0)
                return CLI_FATAL;
            break;
        default:
            if (cli_label_option(&lo, c, optarg))
                break;
            cli_error("see 'opine eval --help'");
            return CLI_FATAL;
        }
    }
    if (optind < argc)
        db = argv[optind++];
    if (optind < argc || labels_path == NULL || (folds && folds < 2)) {
        cli_error("expected [DB] --labels FILE (and --folds K >= 2); see "
                  "'opine eval --help'");
        return CLI_FATAL;
    }
    cli_labels l, rest = {0};
    if (cli_labels_read(labels_path, &lo, &l) != 0)
        return CLI_FATAL;
    /* The majority class is learnt from the lines not judged, when a
     * split is judged; else from the judged lines themselves. */
    if (lo.split) {
        cli_label_opts all = lo;
        all.split = NULL;
        if (cli_labels_read(labels_path, &all, &rest) != 0) {
            cli_labels_free(&l);
            return CLI_FATAL;
        }
    }
    int rc = CLI_FATAL;
    opine_model *m = cli_load_compiled(model_spec);
    opine_model *lex = m ? cli_load_compiled(baseline_spec) : NULL;
    long *theme_of = malloc((l.n + 1) * sizeof(long));
    int *pred[M_N] = {0};
    for (int k = 0; k < M_N; k++)
        pred[k] = calloc(l.n + 1, sizeof(int));
    theme_eval *te = calloc(opine_model_nthemes(m ? m : lex) + 2, sizeof(*te));
    if (m == NULL || lex == NULL || theme_of == NULL || te == NULL ||
        !pred[0] || !pred[1] || !pred[2] || !pred[3])
        goto out;
    map_themes(m, &l, theme_of);
    for (size_t i = 0; i < l.n; i++)
        if (theme_of[i] < 0) {
            cli_error("%s: theme '%s' is not in model '%s'", labels_path,
                      l.v[i].theme, opine_model_name(m));
            goto out;
        }
    long *lex_theme = malloc((l.n + 1) * sizeof(long));
    if (lex_theme == NULL)
        goto out;
    map_themes(lex, &l, lex_theme);
    int prc = predict_all(m, &l, theme_of, pred[M_MODEL]);
    if (prc == 0)
        prc = predict_all(lex, &l, lex_theme, pred[M_LEXICON]);
    free(lex_theme);
    if (prc == 0 && folds)
        prc = cross_validate(model_spec ? model_spec : NULL, &l, folds,
                             pred[M_CV]);
    if (prc) {
        cli_error("cannot score the labelled texts: %s",
                  prc > 0 ? "" : opine_strerror(prc));
        goto out;
    }
    size_t nth = opine_model_nthemes(m), nte = 0;
    for (size_t t = 0; t < nth; t++) {
        theme_eval *e = &te[nte];
        e->theme = opine_model_theme(m, t)->id;
        const cli_labels *src = lo.split ? &rest : &l;
        int64_t count[3] = {0, 0, 0};
        for (size_t i = 0; i < src->n; i++)
            if (strcmp(src->v[i].theme, e->theme) == 0 && src->v[i].label != 2)
                count[opine_label_index(src->v[i].label)]++;
        e->majority = count[0] > count[1] && count[0] >= count[2]  ? 1
                      : count[2] > count[1] && count[2] > count[0] ? -1
                                                                   : 0;
        int any = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (theme_of[i] != (long)t)
                continue;
            any = 1;
            pred[M_MAJORITY][i] = e->majority;
            for (int k = 0; k < M_N; k++)
                opine_metrics_add(&e->m[k], l.v[i].label, pred[k][i]);
        }
        if (!any)
            continue;
        for (int k = 0; k < M_N; k++)
            opine_metrics_finish(&e->m[k]);
        nte++;
    }
    /* The mean over themes, as the figures are given. */
    theme_eval *mean = &te[nte];
    mean->theme = "mean of themes";
    for (int k = 0; k < M_N; k++) {
        opine_metrics *a = &mean->m[k];
        double s[6] = {0};
        int cnt[6] = {0};
        for (size_t t = 0; t < nte; t++) {
            const opine_metrics *x = &te[t].m[k];
            double v[6] = {x->macro_f1,      x->f_avg,        x->accuracy,
                           x->sign_accuracy, x->sided_recall, x->neutral_sided};
            for (int j = 0; j < 6; j++)
                if (!isnan(v[j])) {
                    s[j] += v[j];
                    cnt[j]++;
                }
            a->n += x->n;
            for (int r = 0; r < 3; r++)
                for (int q = 0; q < 3; q++)
                    a->c[r][q] += x->c[r][q];
        }
        double *dst[6] = {&a->macro_f1,     &a->f_avg,
                          &a->accuracy,     &a->sign_accuracy,
                          &a->sided_recall, &a->neutral_sided};
        for (int j = 0; j < 6; j++)
            *dst[j] = cnt[j] ? s[j] / cnt[j] : NAN;
    }
    printf("model %s v%d (%s), labels %s%s%s (%zu texts, %zu skipped)\n\n",
           opine_model_name(m), opine_model_version(m), opine_model_hash(m),
           labels_path, lo.split ? ", split " : "", lo.split ? lo.split : "",
           l.n, l.skipped);
    printf("%-19s %-15s %5s %6s %6s %6s %6s %6s %6s\n", "theme", "method", "n",
           "macF1", "F_avg", "acc", "sign", "sidedR", "0->side");
    for (size_t t = 0; t <= nte; t++) {
        for (int k = 0; k < M_N; k++) {
            if (k == M_CV && !folds)
                continue;
            print_row(te[t].theme, method_names[k], &te[t].m[k]);
            if (confusion && t < nte) {
                const opine_metrics *x = &te[t].m[k];
                printf("%35s rows: labelled +1, 0, -1; columns: predicted\n",
                       "");
                for (int r = 0; r < 3; r++)
                    printf("%35s %6lld %6lld %6lld\n", "",
                           (long long)x->c[r][0], (long long)x->c[r][1],
                           (long long)x->c[r][2]);
            }
        }
    }
    rc = CLI_OK;
    if (!no_store) {
        opine_store *st =
            cli_open_store(db ? db : OPINE_DEFAULT_DB, OPINE_STORE_CREATE);
        if (st == NULL ||
            store(st, m, labels_path, &l, lo.split, te, nte + 1, folds) != 0) {
            cli_error("cannot store the evaluation in '%s'%s%s",
                      db ? db : OPINE_DEFAULT_DB,
                      st ? ": " : " (the figures above are not stored)",
                      st ? opine_store_errmsg(st) : "");
            rc = CLI_FATAL;
        }
        opine_store_close(st);
    }
out:
    for (int k = 0; k < M_N; k++)
        free(pred[k]);
    free(te);
    free(theme_of);
    opine_model_free(m);
    opine_model_free(lex);
    cli_labels_free(&l);
    cli_labels_free(&rest);
    return rc;
}
