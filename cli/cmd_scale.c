/* cli/cmd_scale.c — opine scale: place documents on one dimension with
 * Wordscores or Wordfish, store the positions beside the run, print them
 * in opine sql's formats. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "cli/cli.h"
#include "pipeline/dfm.h"
#include "pipeline/scale.h"
#include "pipeline/scale_store.h"

static const char scale_usage[] =
    "usage: opine scale [DB] --method wordscores --ref DOC=SCORE... [options]\n"
    "       opine scale [DB] --method wordfish [--dir I,J] [options]\n"
    "\n"
    "Place the documents of DB (default " OPINE_DEFAULT_DB
    ") on one dimension, as\n"
    "quanteda.textmodels' textmodel_wordscores (with predict()) and\n"
    "textmodel_wordfish do, print each position with its standard error\n"
    "and interval, and keep them in scale_positions (and the word scores,\n"
    "or Wordfish's beta and psi, in scale_features) under the run's id.\n"
    "\n"
    "Wordscores (Laver, Benoit & Garry 2003): reference texts with known\n"
    "scores give every word a score; every document is scored by its\n"
    "words. Positions are rescaled as LBG did (or Martin & Vanberg, or\n"
    "not), the interval is raw -/+ z se rescaled the same way, and se is\n"
    "its half width over z.\n"
    "  --ref DOC=SCORE[,DOC=SCORE...]  reference texts by ext_id (repeat\n"
    "                       the option, or separate pairs with commas;\n"
    "                       an ext_id may itself hold commas)\n"
    "  --ref-meta KEY       reference scores from doc_meta KEY (documents\n"
    "                       without it, or with it empty, are virgin)\n"
    "  --smooth S           add S to every reference count (quanteda's\n"
    "                       smooth; default 0)\n"
    "  --rescaling R        lbg (default), mv or none\n"
    "\n"
    "Wordfish (Slapin & Proksch 2008): a Poisson model, log E y_ij =\n"
    "alpha_i + psi_j + beta_j theta_i, fitted without references; theta\n"
    "has mean 0 and sd 1, its sign set by --dir.\n"
    "  --dir I,J            theta of document I < theta of document J,\n"
    "                       numbered from 1 in the order they were\n"
    "                       ingested, as quanteda's dir (default 1,2)\n"
    "  --low DOC, --high DOC  the same by ext_id\n"
    "  --priors A,P,B,T     prior standard deviations of alpha, psi, beta,\n"
    "                       theta (default inf,inf,3,1, as quanteda)\n"
    "  --tol L,P            convergence of the log-posterior and of the\n"
    "                       parameters (default 1e-6,1e-8); at most 100\n"
    "                       sweeps, as quanteda\n"
    "  Time grows with documents x features x sweeps: the Irish budget\n"
    "  debate (14 x 5,126, 31 sweeps) takes 0.2 s, 10,000 documents x\n"
    "  50,000 features would take an hour or more; scale a subset there\n"
    "  (--where).\n"
    "\n"
    "Both:\n"
    "  --features F         stems (default): doc_terms, Snowball stems,\n"
    "                       stop words left out, as every opine table;\n"
    "                       quanteda: every token by its lowercased type,\n"
    "                       stop words kept, nothing stemmed: quanteda's\n"
    "                       dfm(tokens(x, remove_punct = TRUE)). opine\n"
    "                       keeps no punctuation, so quanteda's default\n"
    "                       dfm with punctuation cannot be rebuilt; and\n"
    "                       opine drops a possessive 's (\"budget's\" is\n"
    "                       \"budget\") where quanteda keeps its own type\n"
    "  --where SQL          only documents d matching SQL, e.g.\n"
    "                       \"d.outlet IN ('A', 'B')\"\n"
    "  --level L            of the intervals (default 0.95)\n"
    "  --no-store           print only; open DB read-only\n"
    "  --wait SECONDS       when another opine process is writing DB, wait\n"
    "                       up to SECONDS for it to finish (default 0:\n"
    "                       refuse at once, naming it); a stored scale\n"
    "                       holds DB for writing while it fits\n"
    "  --tsv, --csv, --json, --table   output format (default tsv)\n"
    "\n"
    "Documents are rows in documents.id order. Run 'opine stem' (or\n"
    "'opine tokenize' for --features quanteda) first.\n";

typedef struct scale_args {
    const char *db, *method, *features, *ref_meta, *where, *rescaling;
    const char *low, *high, *dir, *priors, *tol;
    char **refs;
    int nrefs;
    double smooth, level;
    int format, no_store;
} scale_args;

/* Split "A=1,B=-2" into entries: an entry ends at the first comma that
 * follows "=NUMBER", so a name may hold commas and even '='. Calls
 * fn(name, score) for each; -1 (after saying why) on a malformed list. */
static int parse_refs(const char *s, double *ref, const opine_dfm *m)
{
    const char *p = s;
    while (*p) {
        const char *eq = p, *end = NULL;
        double v = 0;
        for (;;) {
            eq = strchr(eq, '=');
            if (eq == NULL)
                break;
            char *e;
            errno = 0;
            v = strtod(eq + 1, &e);
            if (e != eq + 1 && errno == 0 && (*e == ',' || *e == '\0') &&
                isfinite(v)) {
                end = e;
                break;
            }
            eq++;
        }
        if (end == NULL) {
            cli_error("--ref wants DOC=SCORE, got '%s'", p);
            return -1;
        }
        char *name = strndup(p, (size_t)(eq - p));
        if (name == NULL)
            return -1;
        long row = opine_dfm_find_doc(m, name);
        if (row < 0) {
            cli_error("no scaled document has ext_id '%s' (--ref); see"
                      " 'opine sql DB \"SELECT ext_id FROM documents\"'",
                      name);
            free(name);
            return -1;
        }
        free(name);
        ref[row] = v;
        p = *end ? end + 1 : end;
    }
    return 0;
}

static int refs_from_meta(opine_store *st, const char *key, double *ref,
                          const opine_dfm *m)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(opine_store_db(st),
                           "SELECT value FROM doc_meta WHERE doc = ?1 AND"
                           " key = ?2",
                           -1, &q, NULL) != SQLITE_OK) {
        cli_error("cannot read doc_meta: %s", opine_store_errmsg(st));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->ndocs; i++) {
        sqlite3_bind_int64(q, 1, m->doc_id[i]);
        sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW &&
            sqlite3_column_type(q, 0) != SQLITE_NULL) {
            const char *v = (const char *)sqlite3_column_text(q, 0);
            if (v[strspn(v, " \t")] == '\0') { /* empty: a virgin text */
                sqlite3_reset(q);
                continue;
            }
            char *e;
            double d = strtod(v, &e);
            if (e == v || *e || !isfinite(d)) {
                cli_error("doc_meta '%s' of '%s' is '%s', not a number", key,
                          m->doc_name[i], v);
                rc = -1;
            } else {
                ref[i] = d;
            }
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return rc;
}

/* "a,b[,c,d]" into n doubles ("inf" allowed). */
static int parse_list(const char *s, double *out, int n, const char *opt)
{
    const char *p = s;
    for (int k = 0; k < n; k++) {
        char *e;
        out[k] = strtod(p, &e);
        if (e == p || (k + 1 < n ? *e != ',' : *e != '\0')) {
            cli_error("%s wants %d numbers separated by commas, got '%s'", opt,
                      n, s);
            return -1;
        }
        p = e + 1;
    }
    return 0;
}

static int find_dir(const opine_dfm *m, const scale_args *a, size_t dir[2])
{
    if (a->low || a->high) {
        if (!a->low || !a->high) {
            cli_error("--low and --high go together");
            return -1;
        }
        const char *names[2] = {a->low, a->high};
        for (int k = 0; k < 2; k++) {
            long row = opine_dfm_find_doc(m, names[k]);
            if (row < 0) {
                cli_error("no scaled document has ext_id '%s' (--%s)", names[k],
                          k ? "high" : "low");
                return -1;
            }
            dir[k] = (size_t)row;
        }
    } else if (a->dir) {
        double d[2];
        if (parse_list(a->dir, d, 2, "--dir") != 0)
            return -1;
        for (int k = 0; k < 2; k++) {
            if (d[k] < 1 || d[k] > (double)m->ndocs || d[k] != floor(d[k])) {
                cli_error("--dir: %g is not a document number from 1 to %zu",
                          d[k], m->ndocs);
                return -1;
            }
            dir[k] = (size_t)d[k] - 1;
        }
    }
    if (dir[0] == dir[1]) {
        cli_error("the direction needs two different documents");
        return -1;
    }
    return 0;
}

/* The run's parameters as JSON, for runs.params; malloc'd. */
static char *params_json(const scale_args *a, const opine_dfm *m,
                         const double *ref, const size_t *dir,
                         const opine_wordfish_opts *wo)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "method", json_object_new_string(a->method));
    json_object_object_add(o, "features", json_object_new_string(a->features));
    if (a->where)
        json_object_object_add(o, "where", json_object_new_string(a->where));
    json_object_object_add(o, "level", json_object_new_double(a->level));
    json_object_object_add(o, "documents",
                           json_object_new_int64((int64_t)m->ndocs));
    json_object_object_add(o, "features_n",
                           json_object_new_int64((int64_t)m->nfeat));
    if (ref) {
        json_object *r = json_object_new_object();
        for (size_t i = 0; i < m->ndocs; i++)
            if (!isnan(ref[i]))
                json_object_object_add(r, m->doc_name[i],
                                       json_object_new_double(ref[i]));
        json_object_object_add(o, "references", r);
        json_object_object_add(o, "smooth", json_object_new_double(a->smooth));
        json_object_object_add(o, "rescaling",
                               json_object_new_string(a->rescaling));
    } else {
        json_object *d = json_object_new_array();
        json_object_array_add(d, json_object_new_string(m->doc_name[dir[0]]));
        json_object_array_add(d, json_object_new_string(m->doc_name[dir[1]]));
        json_object_object_add(o, "dir", d);
        json_object *p = json_object_new_array();
        for (int k = 0; k < 4; k++)
            json_object_array_add(p,
                                  isfinite(wo->prior_sd[k])
                                      ? json_object_new_double(wo->prior_sd[k])
                                      : json_object_new_string("inf"));
        json_object_object_add(o, "priors", p);
        json_object *t = json_object_new_array();
        json_object_array_add(t, json_object_new_double(wo->tol[0]));
        json_object_array_add(t, json_object_new_double(wo->tol[1]));
        json_object_object_add(o, "tol", t);
    }
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

static int parse_args(int argc, char **argv, scale_args *a)
{
    enum {
        OPT_METHOD = 256,
        OPT_FEATURES,
        OPT_REF,
        OPT_REF_META,
        OPT_SMOOTH,
        OPT_RESCALING,
        OPT_DIR,
        OPT_LOW,
        OPT_HIGH,
        OPT_PRIORS,
        OPT_TOL,
        OPT_WHERE,
        OPT_LEVEL,
        OPT_NO_STORE,
        OPT_DB,
    };
    static const struct option opts[] = {
        {"method", required_argument, NULL, OPT_METHOD},
        {"features", required_argument, NULL, OPT_FEATURES},
        {"ref", required_argument, NULL, OPT_REF},
        {"ref-meta", required_argument, NULL, OPT_REF_META},
        {"smooth", required_argument, NULL, OPT_SMOOTH},
        {"rescaling", required_argument, NULL, OPT_RESCALING},
        {"dir", required_argument, NULL, OPT_DIR},
        {"low", required_argument, NULL, OPT_LOW},
        {"high", required_argument, NULL, OPT_HIGH},
        {"priors", required_argument, NULL, OPT_PRIORS},
        {"tol", required_argument, NULL, OPT_TOL},
        {"where", required_argument, NULL, OPT_WHERE},
        {"level", required_argument, NULL, OPT_LEVEL},
        {"no-store", no_argument, NULL, OPT_NO_STORE},
        {"db", required_argument, NULL, OPT_DB},
        {"help", no_argument, NULL, 'h'},
        CLI_WAIT_OPTION,
        CLI_FORMAT_OPTIONS,
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *e = NULL;
        int f = cli_format_option(c);
        if (f >= 0) {
            a->format = f;
            continue;
        }
        switch (c) {
        case OPT_METHOD:
            a->method = optarg;
            break;
        case OPT_FEATURES:
            a->features = optarg;
            break;
        case OPT_REF: {
            char **r = realloc(a->refs, (size_t)(a->nrefs + 1) * sizeof *r);
            if (r == NULL)
                return CLI_FATAL;
            a->refs = r;
            a->refs[a->nrefs++] = optarg;
            break;
        }
        case OPT_REF_META:
            a->ref_meta = optarg;
            break;
        case OPT_SMOOTH:
            a->smooth = strtod(optarg, &e);
            if (e == optarg || *e || !(a->smooth >= 0)) {
                cli_error("--smooth wants a number >= 0, got '%s'", optarg);
                return CLI_FATAL;
            }
            break;
        case OPT_RESCALING:
            a->rescaling = optarg;
            break;
        case OPT_DIR:
            a->dir = optarg;
            break;
        case OPT_LOW:
            a->low = optarg;
            break;
        case OPT_HIGH:
            a->high = optarg;
            break;
        case OPT_PRIORS:
            a->priors = optarg;
            break;
        case OPT_TOL:
            a->tol = optarg;
            break;
        case OPT_WHERE:
            a->where = optarg;
            break;
        case OPT_LEVEL:
            a->level = strtod(optarg, &e);
            if (e == optarg || *e || !(a->level > 0 && a->level < 1)) {
                cli_error("--level wants a number between 0 and 1, got '%s'",
                          optarg);
                return CLI_FATAL;
            }
            break;
        case OPT_NO_STORE:
            a->no_store = 1;
            break;
        case OPT_DB:
            a->db = optarg;
            break;
        case 'h':
            fputs(scale_usage, stdout);
            return CLI_OK;
        case CLI_OPT_WAIT:
            if (cli_parse_wait(optarg) != 0)
                return CLI_FATAL;
            break;
        default:
            fputs("see 'opine scale --help'\n", stderr);
            return CLI_FATAL;
        }
    }
    if (optind < argc && !a->db)
        a->db = argv[optind++];
    if (optind < argc) {
        cli_error("unexpected argument '%s'; see 'opine scale --help'",
                  argv[optind]);
        return CLI_FATAL;
    }
    if (!a->db)
        a->db = OPINE_DEFAULT_DB;
    if (a->method == NULL) {
        cli_error("opine scale needs --method wordscores or --method"
                  " wordfish; see 'opine scale --help'");
        return CLI_FATAL;
    }
    if (strcmp(a->method, "wordscores") && strcmp(a->method, "wordfish")) {
        cli_error("unknown method '%s'; opine scale knows wordscores and"
                  " wordfish",
                  a->method);
        return CLI_FATAL;
    }
    if (strcmp(a->features, "stems") && strcmp(a->features, "quanteda")) {
        cli_error("unknown --features '%s'; use stems or quanteda",
                  a->features);
        return CLI_FATAL;
    }
    if (strcmp(a->rescaling, "lbg") && strcmp(a->rescaling, "mv") &&
        strcmp(a->rescaling, "none")) {
        cli_error("unknown --rescaling '%s'; use lbg, mv or none",
                  a->rescaling);
        return CLI_FATAL;
    }
    int ws = strcmp(a->method, "wordscores") == 0;
    if (ws && a->nrefs == 0 && a->ref_meta == NULL) {
        cli_error("wordscores needs reference texts: --ref DOC=SCORE (at"
                  " least two) or --ref-meta KEY");
        return CLI_FATAL;
    }
    if (!ws && (a->nrefs || a->ref_meta)) {
        cli_error("wordfish takes no reference texts; did you mean"
                  " --method wordscores?");
        return CLI_FATAL;
    }
    if (ws && (a->dir || a->low || a->high || a->priors || a->tol)) {
        cli_error("--dir, --low, --high, --priors and --tol are wordfish's");
        return CLI_FATAL;
    }
    return -1; /* go on */
}

/* A column in fixed decimals, NULL kept NULL (printf makes it 0). */
#define FIX(spec, col)                                                         \
    "iif(" #col " IS NULL, NULL, printf('%" spec "', " #col "))"

static const char positions_sql[] =
    "SELECT ext_id AS document, %s FROM \"%w\".scale_positions"
    " WHERE run = %lld ORDER BY doc";

int cmd_scale(int argc, char **argv)
{
    scale_args a = {.features = "stems",
                    .rescaling = "lbg",
                    .level = 0.95,
                    .format = FMT_TSV};
    int rc = parse_args(argc, argv, &a);
    if (rc != -1) {
        free(a.refs);
        return rc;
    }
    int ws = strcmp(a.method, "wordscores") == 0;
    opine_dfm_features feat = strcmp(a.features, "quanteda") == 0
                                  ? OPINE_DFM_QUANTEDA
                                  : OPINE_DFM_STEMS;
    opine_store *st =
        cli_open_store(a.db, a.no_store ? OPINE_STORE_READONLY : 0);
    if (st == NULL) {
        free(a.refs);
        return CLI_FATAL;
    }
    opine_dfm m = OPINE_DFM_INIT;
    double *ref = NULL;
    char *msg = NULL, *params = NULL;
    size_t dropped = 0;
    int64_t run = 0;
    int have_run = 0;
    opine_wordscores_fit wsf = {0};
    opine_wordfish_fit wff = {0};
    opine_wordfish_opts wo = OPINE_WORDFISH_OPTS_INIT;
    rc = CLI_FATAL;
    if (opine_dfm_load(&m, st, feat, a.where, &dropped, &msg) != 0) {
        cli_error("%s", msg ? msg : "cannot read the document-feature matrix");
        goto done;
    }
    if (dropped)
        fprintf(stderr,
                "opine: left out %zu document%s without a counted"
                " token\n",
                dropped, dropped == 1 ? "" : "s");
    wo.level = a.level;
    if (ws) {
        ref = malloc(m.ndocs * sizeof(double));
        if (ref == NULL)
            goto done;
        for (size_t i = 0; i < m.ndocs; i++)
            ref[i] = NAN;
        for (int k = 0; k < a.nrefs; k++)
            if (parse_refs(a.refs[k], ref, &m) != 0)
                goto done;
        if (a.ref_meta && refs_from_meta(st, a.ref_meta, ref, &m) != 0)
            goto done;
        size_t n = 0;
        for (size_t i = 0; i < m.ndocs; i++)
            n += !isnan(ref[i]);
        if (n < 2) {
            cli_error("wordscores needs at least 2 reference texts, got %zu%s",
                      n,
                      a.ref_meta && n == 0 ? " (no document has that doc_meta"
                                             " key)"
                                           : "");
            goto done;
        }
    } else {
        if (find_dir(&m, &a, wo.dir) != 0)
            goto done;
        if (a.priors && parse_list(a.priors, wo.prior_sd, 4, "--priors") != 0)
            goto done;
        if (a.tol && parse_list(a.tol, wo.tol, 2, "--tol") != 0)
            goto done;
    }
    params = params_json(&a, &m, ref, wo.dir, &wo);
    if (!a.no_store) {
        if (opine_run_begin(st, "scale", params, &run) != 0) {
            cli_error("cannot record the run: %s", opine_store_errmsg(st));
            goto done;
        }
        have_run = 1;
    }
    char summary[256];
    if (ws) {
        opine_wordscores_opts o = OPINE_WORDSCORES_OPTS_INIT;
        o.smooth = a.smooth;
        o.level = a.level;
        o.rescale = strcmp(a.rescaling, "lbg") == 0  ? OPINE_RESCALE_LBG
                    : strcmp(a.rescaling, "mv") == 0 ? OPINE_RESCALE_MV
                                                     : OPINE_RESCALE_NONE;
        int r = opine_wordscores(&m, ref, &o, &wsf);
        if (r != 0) {
            cli_error("%s", r == OPINE_EUSAGE
                                ? "the reference texts share no word with"
                                  " the matrix; nothing can be scored"
                                : opine_strerror(r));
            goto done;
        }
        snprintf(summary, sizeof summary,
                 "wordscores: %zu documents, %zu features (%s), %zu scored",
                 m.ndocs, m.nfeat, a.features, wsf.scored_features);
    } else {
        int r = opine_wordfish(&m, &wo, &wff);
        if (r != 0) {
            cli_error("%s", r == OPINE_EUSAGE
                                ? "wordfish needs at least 2 documents and"
                                  " 2 features, and did not reach finite"
                                  " positions"
                                : opine_strerror(r));
            goto done;
        }
        snprintf(summary, sizeof summary,
                 "wordfish: %zu documents, %zu features (%s), %s after %d"
                 " sweeps, log-posterior %.4f",
                 m.ndocs, m.nfeat, a.features,
                 wff.converged ? "converged" : "stopped", wff.sweeps,
                 wff.log_posterior);
    }
    const char *schema = a.no_store ? "temp" : "main";
    int src = a.no_store ? 0 : opine_store_exec(st, "BEGIN IMMEDIATE");
    if (src == 0)
        src = ws ? opine_scale_store_wordscores(st, schema, run, &m, feat, ref,
                                                &wsf)
                 : opine_scale_store_wordfish(st, schema, run, &m, feat, &wff);
    if (src == 0 && have_run) {
        opine_run_counts c = {.records = (int64_t)(m.ndocs + dropped),
                              .documents = (int64_t)m.ndocs,
                              .skipped = (int64_t)dropped};
        src = opine_run_finish(st, run, "ok", &c, summary);
        if (src == 0)
            src = opine_store_exec(st, "COMMIT");
        have_run = src != 0;
    }
    if (src != 0) {
        cli_error("cannot store the positions: %s", opine_store_errmsg(st));
        if (!a.no_store)
            sqlite3_exec(opine_store_db(st), "ROLLBACK", NULL, NULL, NULL);
        goto done;
    }
    fprintf(stderr, "opine: %s%s\n", summary,
            a.no_store ? " (not stored)" : "");
    if (!a.no_store)
        fprintf(stderr,
                "opine: stored as run %lld: SELECT * FROM"
                " scale_positions WHERE run = %lld\n",
                (long long)run, (long long)run);
    /* Fixed decimals for reading; full precision for the machine formats. */
    int t = a.format == FMT_TABLE;
    const char *cols =
        ws ? (t
                  ? FIX("+.4f", reference) " AS reference, " FIX("+.5f", raw) " AS raw, " FIX(
                        ".5f",
                        raw_se) " AS raw_se, " FIX("+.5f",
                                                   position) " AS "
                                                             "position,"
                                                             " " FIX(
                                                                 ".5f",
                                                                 se) " A"
                                                                     "S "
                                                                     "se"
                                                                     ","
                                                                     " " FIX(
                                                                         "+.5f",
                                                                         lo) " "
                                                                             "A"
                                                                             "S"
                                                                             " "
                                                                             "l"
                                                                             "o"
                                                                             ","
                                                                             " " FIX(
                                                                                 "+.5f",
                                                                                 hi) " AS hi"
                  : "reference, raw, raw_se, position, se, lo, hi")
           : (t ? FIX("+.5f", position) " AS theta, " FIX(
                      ".5f",
                      se) " AS se, " FIX("+.5f",
                                         lo) " AS lo, " FIX("+.5f",
                                                            hi) " AS "
                                                                "hi, " FIX(
                                                                    "+"
                                                                    "."
                                                                    "4"
                                                                    "f",
                                                                    alpha) " AS"
                                                                           " al"
                                                                           "pha"
                : "position AS theta, se, lo, hi, alpha");
    char *q = sqlite3_mprintf(positions_sql, cols, schema, (long long)run);
    rc = q ? cli_print_query(opine_store_db(st), q, a.format) : CLI_FATAL;
    sqlite3_free(q);
done:
    if (have_run) {
        opine_run_counts c = {0};
        opine_run_finish(st, run, "failed", &c, "see the error printed");
    }
    opine_wordscores_release(&wsf);
    opine_wordfish_release(&wff);
    opine_dfm_release(&m);
    free(ref);
    free(msg);
    free(params);
    free(a.refs);
    opine_store_close(st);
    return rc;
}
