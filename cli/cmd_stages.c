/* cli/cmd_stages.c — opine run, ingest, tokenize and stem. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/error.h"
#include "base/utf8.h"
#include "models/default_model.h"
#include "models/model.h"
#include "stages/stem.h"

static const char run_usage[] =
    "usage: opine run [DB] INPUT... [options]\n"
    "\n"
    "Ingest, tokenize, stem and score INPUT (files, directories, - for\n"
    "standard input; JSON lines, CSV/TSV, text, web pages or WARC, plain\n"
    "or in archives and compressors, detected by content)\n"
    "into DB (default " OPINE_DEFAULT_DB ") in one streaming pass, then\n"
    "finish any stage an earlier run left pending. Rerunning after a crash\n"
    "or Ctrl-C continues where it stopped. One opine process writes to a\n"
    "database at a time (see --wait); readers work meanwhile.\n";

static const char score_usage[] =
    "usage: opine score [DB] [--model FILE]\n"
    "\n"
    "Score every stemmed document of DB (default " OPINE_DEFAULT_DB ") that\n"
    "this model (its name and version) has not scored yet: per theme,\n"
    "mentions, salience, stance with its interval, and the evidence rows\n"
    "behind it. A new model version scores everything again and keeps the\n"
    "old version's rows. FILE is an opine model (YAML), a LIWC .dic or a\n"
    "quanteda YAML dictionary, or NAME[@VERSION] of a built-in model; the\n"
    "default is the built-in us-rok-alliance v3, trained\n"
    "(models/us-rok-alliance-v3.yaml); us-rok-alliance@2 is v3 without\n"
    "its larger lexicon, us-rok-alliance@1 the lexicon alone. Evidence\n"
    "rows are the lexicon's cues; a trained model's other features go to\n"
    "the contributions table.\n"
    "See models/README.md.\n";

static const char model_options[] =
    "  --model FILE       stance model or dictionary, or NAME[@VERSION] of a\n"
    "                     built-in one (default: us-rok-alliance v6, trained;\n"
    "                     us-rok-alliance@1 the lexicon; 'none': do not "
    "score)\n";

static const char ingest_usage[] =
    "usage: opine ingest [DB] INPUT... [options]\n"
    "\n"
    "Store the documents of INPUT (files, directories, - for standard\n"
    "input) in DB (default " OPINE_DEFAULT_DB "). Exact duplicates (same\n"
    "text) are stored once and counted; records already stored by an\n"
    "earlier run are skipped.\n";

static const char input_options[] =
    "\n"
    "input options:\n"
    "  --format F         auto (default), jsonl, csv, tsv, text, html or\n"
    "                     warc: how to read files (archives, gzip, xz,\n"
    "                     bzip2, zstd and lz4 are still detected)\n"
    "  --text-field F     JSON field or CSV column holding the text\n"
    "                     (default: text, body, content)\n"
    "  --id-field F       JSON field or CSV column holding the document id\n"
    "                     (default: id)\n"
    "  --meta KEY=FIELD   also store FIELD as metadata KEY\n"
    "  --delimiter C      CSV field delimiter: a character or 'tab'\n"
    "                     (default: ',', '\\t' or ';' from the header)\n"
    "  --encoding NAME    the inputs' encoding where no byte-order mark or\n"
    "                     HTTP header says: latin1, windows-1252, ... (any\n"
    "                     name of 'iconv -l'; default UTF-8)\n"
    "  --invalid-utf8 A   replace (default: each bad sequence becomes U+FFFD,\n"
    "                     counted in the run and the document's meta\n"
    "                     utf8_repairs) or reject (the record)\n"
    "  --max-record N     longest record in MiB (default 64); longer ones\n"
    "                     are rejected\n"
    "  --max-ratio N      bomb guard: refuse an input that expands more than\n"
    "                     N times (default 100; checked past 8 MiB)\n"
    "  --max-unpacked N   bomb guard: refuse an input that unpacks to more\n"
    "                     than N GiB (default 256)\n";

static const char common_options[] =
    "\n"
    "options:\n"
    "  --db FILE          the database (instead of the first argument)\n"
    "  -j, --threads N    worker threads (default: number of cores); with\n"
    "                     -j 1 one thread reads, works and writes in turn\n"
    "  --commit-every N   commit after N MiB of text (default 256 while\n"
    "                     the run creates DB, else 64; 0.25 is 256 KiB): a\n"
    "                     run killed midway loses at most that much work\n"
    "  --wait SECONDS     when another opine process is writing DB, wait\n"
    "                     up to SECONDS for it to finish (default 0: refuse\n"
    "                     at once, naming it)\n"
    "  -q, --quiet        no progress line and no summary\n"
    "  -h, --help         this help\n";

static const char tokenizer_options[] =
    "  --tokenizer T      default (opine's rules, stages/tokenize.h) or\n"
    "                     uax29 (strict Unicode word boundaries); fixed per\n"
    "                     database at its first tokenize\n"
    "  --fold-diacritics  count \"café\" as \"cafe\" (strip accents from\n"
    "                     types); fixed per database\n";

static const char stem_options[] =
    "  --lang L           Snowball language (default english); see\n"
    "                     --list-languages\n"
    "  --stopwords S      stop words left out of doc_terms (they stay in\n"
    "                     doc_tokens): a language's list (default: --lang's,\n"
    "                     none where it has no list), a FILE of one word per\n"
    "                     line, or none; fixed per database\n"
    "  --near-dup-threshold T\n"
    "                     store pairs of documents whose word 5-shingles\n"
    "                     overlap at least T (Jaccard, 0 to 1; default\n"
    "                     0.8) in near_duplicates; another T than the\n"
    "                     database's compares everything again; none:\n"
    "                     neither signatures nor pairs\n"
    "  --boilerplate B    look for lines at least --boilerplate-min-docs\n"
    "                     documents of one outlet hold (related links,\n"
    "                     subscribe prompts, bylines, photo credits): they\n"
    "                     stay in the stored text and are listed in\n"
    "                     boilerplate_lines; exclude: left out of terms and\n"
    "                     scoring; count: counted like any line; off: not\n"
    "                     looked for (default: the database's, else off;\n"
    "                     exclude costs about 14% more CPU on ABP)\n"
    "  --boilerplate-min-docs N\n"
    "                     documents of an outlet a line must be in to be\n"
    "                     boilerplate (default 5); another B or N than the\n"
    "                     database's stems the documents it changes again\n"
    "  --positions on|off keep each term's positions in the search index,\n"
    "                     which NEAR(...) of words reads instead of token\n"
    "                     streams (on ABP: as fast as FTS5 against twice\n"
    "                     as long; the run takes about 8% longer and the\n"
    "                     file 8% more); default: the database's, else off\n";

static const char tokenize_usage[] =
    "usage: opine tokenize [DB] [options]\n"
    "\n"
    "Tokenize every document of DB (default " OPINE_DEFAULT_DB ") that is\n"
    "not tokenized yet: tokens, sentences and character offsets go to\n"
    "doc_tokens, new surface forms to types.\n";

static const char stem_usage[] =
    "usage: opine stem [DB] [options]\n"
    "       opine stem --words [--lang L] < WORDS\n"
    "\n"
    "Stem the types of every tokenized document not stemmed yet and store\n"
    "its term counts (doc_terms) and the corpus totals (terms). With\n"
    "--words, stem one word per line of standard input and print the stems.\n";

enum {
    OPT_DB = 256,
    OPT_FORMAT,
    OPT_TEXT_FIELD,
    OPT_ID_FIELD,
    OPT_META,
    OPT_MAX_RECORD,
    OPT_LANG,
    OPT_WORDS,
    OPT_LIST_LANGUAGES,
    OPT_MODEL,
    OPT_TOKENIZER,
    OPT_STOPWORDS,
    OPT_FOLD,
    OPT_COMMIT,
    OPT_DELIMITER,
    OPT_ENCODING,
    OPT_INVALID_UTF8,
    OPT_MAX_RATIO,
    OPT_MAX_UNPACKED,
    OPT_NEAR_DUP,
    OPT_BOILERPLATE,
    OPT_POSITIONS,
    OPT_BOILERPLATE_MIN
};

typedef struct stage_args {
    const char *db;
    char **inputs;
    int ninputs;
    int threads;
    size_t commit_bytes;
    int quiet;
    const char *lang;
    const char *model;
    const char *tokenizer;
    const char *stopwords;
    int fold;
    double near_dup; /* 0: default, < 0: none */
    const char *boilerplate;
    int boilerplate_min;
    const char *positions;
    int words, list_languages;
    opine_reader_opts reader;
    opine_meta_map *meta;
    size_t nmeta;
} stage_args;

static void print_usage(const char *name)
{
    if (strcmp(name, "run") == 0)
        printf("%s%s%s%s%s%s", run_usage, input_options, common_options,
               tokenizer_options, stem_options, model_options);
    else if (strcmp(name, "score") == 0)
        printf("%s%s%s", score_usage, common_options, model_options);
    else if (strcmp(name, "ingest") == 0)
        printf("%s%s%s", ingest_usage, input_options, common_options);
    else if (strcmp(name, "tokenize") == 0)
        printf("%s%s%s", tokenize_usage, common_options, tokenizer_options);
    else
        printf("%s%s%s", stem_usage, common_options, stem_options);
}

/* Parse the options every stage shares. Returns -1 to go on, else the exit
 * code. want_inputs: the command takes INPUT... after [DB]. */
static int parse_args(int argc, char **argv, const char *name, int want_inputs,
                      stage_args *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"threads", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
        {"id-field", required_argument, NULL, OPT_ID_FIELD},
        {"meta", required_argument, NULL, OPT_META},
        {"max-record", required_argument, NULL, OPT_MAX_RECORD},
        {"lang", required_argument, NULL, OPT_LANG},
        {"words", no_argument, NULL, OPT_WORDS},
        {"list-languages", no_argument, NULL, OPT_LIST_LANGUAGES},
        {"model", required_argument, NULL, OPT_MODEL},
        {"tokenizer", required_argument, NULL, OPT_TOKENIZER},
        {"stopwords", required_argument, NULL, OPT_STOPWORDS},
        {"fold-diacritics", no_argument, NULL, OPT_FOLD},
        {"commit-every", required_argument, NULL, OPT_COMMIT},
        {"delimiter", required_argument, NULL, OPT_DELIMITER},
        {"encoding", required_argument, NULL, OPT_ENCODING},
        {"invalid-utf8", required_argument, NULL, OPT_INVALID_UTF8},
        {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
        {"max-unpacked", required_argument, NULL, OPT_MAX_UNPACKED},
        {"near-dup-threshold", required_argument, NULL, OPT_NEAR_DUP},
        {"boilerplate", required_argument, NULL, OPT_BOILERPLATE},
        {"positions", required_argument, NULL, OPT_POSITIONS},
        {"boilerplate-min-docs", required_argument, NULL, OPT_BOILERPLATE_MIN},
        CLI_WAIT_OPTION,
        {0, 0, 0, 0}};
    memset(a, 0, sizeof(*a));
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    a->threads = cores > 0 ? (int)cores : 1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:qh", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_DB:
            a->db = optarg;
            break;
        case 'j':
            a->threads = (int)strtol(optarg, &end, 10);
            if (*end || a->threads < 1 || a->threads > 64) {
                cli_error("-j wants a number of threads from 1 to 64, not"
                          " '%s'",
                          optarg);
                return CLI_FATAL;
            }
            break;
        case 'q':
            a->quiet = cli_quiet = 1;
            break;
        case CLI_OPT_WAIT:
            if (cli_parse_wait(optarg) != 0)
                return CLI_FATAL;
            break;
        case 'h':
            print_usage(name);
            return CLI_OK;
        case OPT_FORMAT:
            if (opine_format_parse(optarg, &a->reader.format) != 0) {
                cli_error("unknown --format '%s' (auto, jsonl, csv, tsv,"
                          " text, html or warc)",
                          optarg);
                return CLI_FATAL;
            }
            break;
        case OPT_TEXT_FIELD:
            a->reader.text_field = optarg;
            break;
        case OPT_ID_FIELD:
            a->reader.id_field = optarg;
            break;
        case OPT_META: {
            char *eq = strchr(optarg, '=');
            if (eq == NULL || eq == optarg || eq[1] == '\0') {
                cli_error("--meta wants KEY=FIELD, not '%s'", optarg);
                return CLI_FATAL;
            }
            *eq = '\0';
            for (size_t i = 0; i < a->nmeta; i++)
                if (strcmp(a->meta[i].key, optarg) == 0) {
                    /* two fields for one key: which wins would depend on
                     * their order in each record */
                    cli_error("--meta %s is given twice", optarg);
                    return CLI_FATAL;
                }
            opine_meta_map *m = realloc(a->meta, (a->nmeta + 1) * sizeof(*m));
            if (m == NULL)
                return CLI_FATAL;
            a->meta = m;
            m[a->nmeta].key = optarg;
            m[a->nmeta].field = eq + 1;
            a->nmeta++;
            break;
        }
        case OPT_MAX_RECORD: {
            long mib = strtol(optarg, &end, 10);
            if (*end || mib < 1 || mib > 4095) {
                cli_error("--max-record wants MiB from 1 to 4095, not '%s'",
                          optarg);
                return CLI_FATAL;
            }
            a->reader.max_record = (size_t)mib << 20;
            break;
        }
        case OPT_DELIMITER:
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
                a->reader.delimiter = '\t';
            else if (strlen(optarg) == 1 && optarg[0] != '"' &&
                     optarg[0] != '\n' && optarg[0] != '\r')
                a->reader.delimiter = optarg[0];
            else {
                cli_error("--delimiter wants one character or 'tab', not"
                          " '%s'",
                          optarg);
                return CLI_FATAL;
            }
            break;
        case OPT_ENCODING:
            if (opine_encoding_check(optarg) != 0) {
                cli_error("unknown --encoding '%s' (see 'iconv -l')", optarg);
                return CLI_FATAL;
            }
            a->reader.encoding = optarg;
            break;
        case OPT_INVALID_UTF8:
            if (opine_invalid_utf8_parse(optarg, &a->reader.invalid_utf8) !=
                0) {
                cli_error("--invalid-utf8 wants replace or reject, not '%s'",
                          optarg);
                return CLI_FATAL;
            }
            break;
        case OPT_MAX_RATIO: {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 2 || n > 1000000) {
                cli_error("--max-ratio wants a number from 2 to 1000000, not"
                          " '%s'",
                          optarg);
                return CLI_FATAL;
            }
            a->reader.max_ratio = (unsigned)n;
            break;
        }
        case OPT_MAX_UNPACKED: {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 1048576) {
                cli_error("--max-unpacked wants GiB from 1 to 1048576, not"
                          " '%s'",
                          optarg);
                return CLI_FATAL;
            }
            a->reader.max_unpacked = (uint64_t)n << 30;
            break;
        }
        case OPT_COMMIT: {
            /* a fraction too (0.25: every 256 KiB), down to 64 KiB */
            double mib = strtod(optarg, &end);
            if (end == optarg || *end || !(mib >= 1.0 / 16) || mib > 4095) {
                cli_error("--commit-every wants MiB from 0.0625 to 4095, not"
                          " '%s'",
                          optarg);
                return CLI_FATAL;
            }
            a->commit_bytes = (size_t)(mib * (1 << 20));
            break;
        }
        case OPT_LANG:
            a->lang = optarg;
            break;
        case OPT_WORDS:
            a->words = 1;
            break;
        case OPT_LIST_LANGUAGES:
            a->list_languages = 1;
            break;
        case OPT_MODEL:
            a->model = optarg;
            break;
        case OPT_TOKENIZER:
            if (strcmp(optarg, "default") != 0 &&
                strcmp(optarg, "uax29") != 0) {
                cli_error("unknown --tokenizer '%s' (default or uax29)",
                          optarg);
                return CLI_FATAL;
            }
            a->tokenizer = optarg;
            break;
        case OPT_STOPWORDS:
            a->stopwords = optarg;
            break;
        case OPT_FOLD:
            a->fold = 1;
            break;
        case OPT_POSITIONS:
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
                cli_error("--positions wants on or off, not '%s'", optarg);
                return CLI_FATAL;
            }
            a->positions = optarg;
            break;
        case OPT_BOILERPLATE:
            if (strcmp(optarg, "exclude") != 0 &&
                strcmp(optarg, "count") != 0 && strcmp(optarg, "off") != 0) {
                cli_error("unknown --boilerplate '%s' (exclude, count or off)",
                          optarg);
                return CLI_FATAL;
            }
            a->boilerplate = optarg;
            break;
        case OPT_BOILERPLATE_MIN: {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 2 || n > 1000000) {
                cli_error("--boilerplate-min-docs wants a number of documents"
                          " from 2, not '%s'",
                          optarg);
                return CLI_FATAL;
            }
            a->boilerplate_min = (int)n;
            break;
        }
        case OPT_NEAR_DUP:
            if (strcmp(optarg, "none") == 0) {
                a->near_dup = -1;
                break;
            }
            a->near_dup = strtod(optarg, &end);
            if (end == optarg || *end || !(a->near_dup > 0) ||
                a->near_dup > 1) {
                cli_error("--near-dup-threshold wants a similarity above 0"
                          " and at most 1, or none, not '%s'",
                          optarg);
                return CLI_FATAL;
            }
            break;
        default:
            fprintf(stderr, "see 'opine %s --help'\n", name);
            return CLI_FATAL;
        }
    }
    a->reader.meta = a->meta;
    a->reader.nmeta = a->nmeta;
    char **pos = argv + optind;
    int npos = argc - optind;
    /* The first argument is the database when it looks like one; a lone
     * "x.db" given to a command that wants inputs is a database without
     * inputs, which the check below reports. */
    if (!a->db && npos > 0 && cli_looks_like_db(pos[0])) {
        a->db = pos[0];
        pos++;
        npos--;
    }
    if (!a->db)
        a->db = OPINE_DEFAULT_DB;
    if (want_inputs) {
        if (npos == 0) {
            cli_error("no input given; see 'opine %s --help'", name);
            return CLI_FATAL;
        }
        for (int i = 0; i < npos; i++) {
            if (strcmp(pos[i], "-") != 0 && access(pos[i], R_OK) != 0) {
                cli_error("cannot read '%s': %s", pos[i], strerror(errno));
                return CLI_FATAL;
            }
        }
        a->inputs = pos;
        a->ninputs = npos;
    } else if (npos > 0) {
        cli_error("unexpected argument '%s'; see 'opine %s --help'", pos[0],
                  name);
        return CLI_FATAL;
    }
    return -1;
}

/* The parameters results depend on, as JSON for runs.params. */
static char *params_json(const stage_args *a)
{
    json_object *o = json_object_new_object();
    if (a->ninputs) {
        json_object *in = json_object_new_array();
        for (int i = 0; i < a->ninputs; i++) {
            /* names are bytes; JSON is UTF-8 text (base/utf8.h) */
            char *name = opine__utf8_escape(a->inputs[i], 0);
            json_object_array_add(
                in, json_object_new_string(name ? name : a->inputs[i]));
            free(name);
        }
        json_object_object_add(o, "inputs", in);
        json_object_object_add(
            o, "format",
            json_object_new_string(opine_format_name(a->reader.format)));
        if (a->reader.delimiter) {
            char d[2] = {a->reader.delimiter, 0};
            json_object_object_add(o, "delimiter", json_object_new_string(d));
        }
        if (a->reader.encoding)
            json_object_object_add(o, "encoding",
                                   json_object_new_string(a->reader.encoding));
        json_object_object_add(
            o, "invalid_utf8",
            json_object_new_string(
                a->reader.invalid_utf8 == OPINE_INVALID_REJECT ? "reject"
                                                               : "replace"));
        if (a->reader.text_field)
            json_object_object_add(
                o, "text_field", json_object_new_string(a->reader.text_field));
        if (a->reader.id_field)
            json_object_object_add(o, "id_field",
                                   json_object_new_string(a->reader.id_field));
        for (size_t i = 0; i < a->nmeta; i++) {
            json_object *m;
            if (!json_object_object_get_ex(o, "meta", &m)) {
                m = json_object_new_object();
                json_object_object_add(o, "meta", m);
            }
            json_object_object_add(m, a->meta[i].key,
                                   json_object_new_string(a->meta[i].field));
        }
    }
    if (a->lang)
        json_object_object_add(o, "lang", json_object_new_string(a->lang));
    if (a->model)
        json_object_object_add(o, "model", json_object_new_string(a->model));
    if (a->tokenizer)
        json_object_object_add(o, "tokenizer",
                               json_object_new_string(a->tokenizer));
    if (a->stopwords)
        json_object_object_add(o, "stopwords",
                               json_object_new_string(a->stopwords));
    if (a->fold)
        json_object_object_add(o, "fold_diacritics",
                               json_object_new_boolean(1));
    if (a->boilerplate)
        json_object_object_add(o, "boilerplate",
                               json_object_new_string(a->boilerplate));
    if (a->boilerplate_min)
        json_object_object_add(o, "boilerplate_min_docs",
                               json_object_new_int(a->boilerplate_min));
    if (a->positions)
        json_object_object_add(o, "positions",
                               json_object_new_string(a->positions));
    if (a->near_dup > 0)
        json_object_object_add(o, "near_dup_threshold",
                               json_object_new_double(a->near_dup));
    else if (a->near_dup < 0)
        json_object_object_add(o, "near_dup_threshold",
                               json_object_new_string("none"));
    json_object_object_add(o, "threads", json_object_new_int64(a->threads));
    char *s = strdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

static void summary(const char *stage, const opine_run_counts *c,
                    const cli_report *r)
{
    /* a warning, even with -q */
    if (c->unquoted_streams)
        fprintf(stderr,
                "%s: warning: %lld documents were tokenized by an older opine,"
                " whose token streams keep no quotation marks: the model's"
                " quotation feature (w:\") cannot fire for them, so their"
                " stances can differ from a fresh run's (run_counters"
                " 'unquoted_streams'); load the corpus into a new database"
                " to score them as opine run does\n",
                stage, (long long)c->unquoted_streams);
    if (r->quiet)
        return;
    double secs = cli_now() - r->started;
    if (strcmp(stage, "ingest") == 0 || strcmp(stage, "run") == 0)
        fprintf(stderr,
                "%s: %lld records read: %lld new documents, %lld"
                " duplicates, %lld already stored, %lld rejected"
                " (%.1f s)\n",
                stage, (long long)c->records, (long long)c->documents,
                (long long)c->duplicates, (long long)c->skipped,
                (long long)c->rejected, secs);
    if (c->members || c->skipped_records)
        fprintf(stderr,
                "%s: %lld archive members read, %lld WARC records holding"
                " no document skipped\n",
                stage, (long long)c->members, (long long)c->skipped_records);
    if (c->utf8_repairs)
        fprintf(stderr,
                "%s: %lld invalid UTF-8 sequences replaced by U+FFFD in %lld"
                " records (doc_meta key 'utf8_repairs'; --encoding names"
                " another encoding, --invalid-utf8 reject refuses them)\n",
                stage, (long long)c->utf8_repairs,
                (long long)c->repaired_records);
    else
        fprintf(stderr, "%s: %lld documents (%.1f s)\n", stage,
                (long long)c->documents, secs);
}

static int stem_words(const char *lang)
{
    if (lang == NULL)
        lang = "english";
    opine_stemmer *s;
    int rc = opine_stemmer_new(&s, lang);
    if (rc) {
        cli_error("unknown language '%s'; see 'opine stem --list-languages'",
                  lang);
        return CLI_FATAL;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        size_t len;
        const char *stem = opine_stemmer_stem(s, line, (size_t)n, &len);
        if (stem == NULL) {
            rc = OPINE_ENOMEM;
            break;
        }
        fwrite(stem, 1, len, stdout);
        putchar('\n');
    }
    free(line);
    opine_stemmer_free(s);
    return rc ? CLI_FATAL : CLI_OK;
}

static int run_stage(int argc, char **argv, const char *name, int want_inputs)
{
    stage_args a;
    int rc = parse_args(argc, argv, name, want_inputs, &a);
    if (rc >= 0)
        goto out;
    if (a.list_languages) {
        for (const char **l = opine_stemmer_languages(); *l; l++)
            puts(*l);
        rc = CLI_OK;
        goto out;
    }
    if (a.words) {
        rc = stem_words(a.lang);
        goto out;
    }
    opine_model *model = NULL;
    int scores = strcmp(name, "score") == 0 || strcmp(name, "run") == 0;
    if (scores && !(a.model && strcmp(a.model, "none") == 0)) {
        if ((model = cli_load_model(a.model)) == NULL) {
            rc = CLI_FATAL;
            goto out;
        }
    } else if (a.model && strcmp(a.model, "none") == 0 &&
               strcmp(name, "score") == 0) {
        cli_error("opine score needs a model");
        rc = CLI_FATAL;
        goto out;
    }
    opine_store *st = cli_open_store(a.db, OPINE_STORE_CREATE);
    if (st == NULL) {
        opine_model_free(model);
        rc = CLI_FATAL;
        goto out;
    }
    if (model && !a.model && strcmp(name, "run") == 0) {
        /* The built-in model is English: a run in another language scores
         * only with a model asked for. */
        char *have = opine_store_meta_get(st, "language");
        const char *lang = have ? have : a.lang ? a.lang : "english";
        if (strcmp(lang, "english") != 0 && strcmp(lang, "en") != 0) {
            if (!a.quiet)
                cli_error("not scoring: the built-in model is for English,"
                          " the corpus is stemmed in '%s' (give --model)",
                          lang);
            opine_model_free(model);
            model = NULL;
        }
        free(have);
    }
    cli_report rep;
    cli_report_init(&rep, a.quiet);
    char *params = params_json(&a);
    opine_engine_opts o = {
        .threads = a.threads,
        .commit_bytes = a.commit_bytes,
        .lang = a.lang,
        .params = params,
        .reader = a.reader,
        .model = model,
        .tokenizer = a.tokenizer,
        .stopwords = a.stopwords,
        .fold_diacritics = a.fold ? 1 : -1,
        .near_dup_threshold = a.near_dup,
        .boilerplate = a.boilerplate,
        .boilerplate_min_docs = a.boilerplate_min,
        .positions = a.positions,
        .on_reject = cli_on_reject,
        .on_progress = cli_on_progress,
        .ctx = &rep,
        .stop = &cli_stop,
    };
    opine_run_counts c;
    char *msg = NULL;
    const char *const *in = (const char *const *)a.inputs;
    if (strcmp(name, "run") == 0)
        rc = opine_stage_run(st, in, (size_t)a.ninputs, &o, &c, &msg);
    else if (strcmp(name, "ingest") == 0)
        rc = opine_stage_ingest(st, in, (size_t)a.ninputs, &o, &c, &msg);
    else if (strcmp(name, "tokenize") == 0)
        rc = opine_stage_tokenize(st, &o, &c, &msg);
    else if (strcmp(name, "score") == 0)
        rc = opine_stage_score(st, &o, &c, &msg);
    else
        rc = opine_stage_stem(st, &o, &c, &msg);
    cli_report_done(&rep);
    if (rc == OPINE_EINTERRUPTED) {
        cli_error("%s interrupted; run it again to continue", name);
        rc = CLI_FATAL;
    } else if (rc < 0) {
        cli_error("%s failed: %s", name, msg ? msg : opine_strerror(rc));
        rc = CLI_FATAL;
    } else {
        summary(name, &c, &rep);
        rc = rc ? CLI_REJECTED : CLI_OK;
    }
    free(msg);
    free(params);
    opine_model_free(model);
    opine_store_close(st);
out:
    free(a.meta);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    return run_stage(argc, argv, "run", 1);
}

int cmd_ingest(int argc, char **argv)
{
    return run_stage(argc, argv, "ingest", 1);
}

int cmd_tokenize(int argc, char **argv)
{
    return run_stage(argc, argv, "tokenize", 0);
}

int cmd_stem(int argc, char **argv)
{
    return run_stage(argc, argv, "stem", 0);
}

int cmd_score(int argc, char **argv)
{
    return run_stage(argc, argv, "score", 0);
}
