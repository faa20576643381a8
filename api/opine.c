/* api/opine.c — the public interface (opine.h) over the layers below:
 * options become the engine's, a database is a store, an analyzer is the
 * tokenizer, folding, stop list and stemmer a stage uses, a model is
 * loaded, compiled and applied as opine train and eval apply it. Nothing
 * here decides anything the layers do not: the same calls the command
 * line makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "corpus/reader.h"
#include "models/apply.h"
#include "models/model.h"
#include "models/score.h"
#include "pipeline/engine.h"
#include "pipeline/store.h"
#include "stages/fold.h"
#include "stages/segment.h"
#include "stages/stem.h"
#include "stages/stopwords.h"
#include "stages/tokenize.h"

#include "api/opine.h"

/* The public codes are the internal ones: whichever of opine.h and
 * base/error.h comes first defines them, and test_api checks every
 * message. */
_Static_assert(OPINE_EINTERRUPTED == -14 && OPINE_EBUSY == -15,
               "error codes changed");

const char *opine_version(void)
{
    return OPINE_VERSION_STRING;
}

int opine_version_number(void)
{
    return OPINE_VERSION_NUMBER;
}

const char *opine_error_message(int code)
{
    return opine_strerror(code);
}

static char *dup_msg(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(fmt) + strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, a, b ? b : "");
    return s;
}

/* OPTIONS */

struct opine_options {
    char *language, *stopwords, *tokenizer, *model, *text_field, *id_field;
    char *encoding;
    char delimiter;
    opine_invalid_utf8 invalid_utf8;
    int fold; /* -1: the database's */
    int jobs;
    size_t commit_bytes;
    opine_format format;
    double near_dup; /* 0: the default, < 0: none */
    char *boilerplate;
    int boilerplate_min_docs; /* 0: the database's */
    char *positions;          /* NULL: the database's */
};

int opine_options_new(opine_options **out)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return OPINE_ENOMEM;
    (*out)->fold = -1;
    (*out)->jobs = 2;
    return 0;
}

void opine_options_free(opine_options *o)
{
    if (o == NULL)
        return;
    free(o->language);
    free(o->stopwords);
    free(o->tokenizer);
    free(o->model);
    free(o->text_field);
    free(o->id_field);
    free(o->encoding);
    free(o->boilerplate);
    free(o->positions);
    free(o);
}

static int set_str(char **slot, const char *value)
{
    char *s = strdup(value);
    if (s == NULL)
        return OPINE_ENOMEM;
    free(*slot);
    *slot = s;
    return 0;
}

int opine_options_set(opine_options *o, const char *key, const char *value,
                      char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    if (o == NULL || key == NULL || value == NULL)
        return OPINE_EUSAGE;
    char *end;
    if (strcmp(key, "language") == 0)
        return set_str(&o->language, value);
    if (strcmp(key, "stopwords") == 0)
        return set_str(&o->stopwords, value);
    if (strcmp(key, "model") == 0)
        return set_str(&o->model, value);
    if (strcmp(key, "text-field") == 0)
        return set_str(&o->text_field, value);
    if (strcmp(key, "id-field") == 0)
        return set_str(&o->id_field, value);
    if (strcmp(key, "tokenizer") == 0) {
        if (strcmp(value, "default") == 0 || strcmp(value, "uax29") == 0)
            return set_str(&o->tokenizer, value);
    } else if (strcmp(key, "fold") == 0) {
        if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
            o->fold = value[0] == 'y';
            return 0;
        }
    } else if (strcmp(key, "jobs") == 0) {
        long n = strtol(value, &end, 10);
        if (*value && *end == '\0' && n >= 1 && n <= 64) {
            o->jobs = (int)n;
            return 0;
        }
    } else if (strcmp(key, "commit-mb") == 0) {
        long n = strtol(value, &end, 10);
        if (*value && *end == '\0' && n >= 1 && n <= 65536) {
            o->commit_bytes = (size_t)n << 20;
            return 0;
        }
    } else if (strcmp(key, "format") == 0) {
        if (opine_format_parse(value, &o->format) == 0)
            return 0;
    } else if (strcmp(key, "encoding") == 0) {
        if (opine_encoding_check(value) == 0)
            return set_str(&o->encoding, value);
    } else if (strcmp(key, "invalid-utf8") == 0) {
        if (opine_invalid_utf8_parse(value, &o->invalid_utf8) == 0)
            return 0;
    } else if (strcmp(key, "delimiter") == 0) {
        if (strcmp(value, "tab") == 0 ||
            (strlen(value) == 1 && value[0] != '"' && value[0] != '\n')) {
            o->delimiter = value[0] == 't' && value[1] ? '\t' : value[0];
            return 0;
        }
    } else if (strcmp(key, "boilerplate") == 0) {
        if (strcmp(value, "exclude") == 0 || strcmp(value, "count") == 0 ||
            strcmp(value, "off") == 0)
            return set_str(&o->boilerplate, value);
    } else if (strcmp(key, "positions") == 0) {
        if (strcmp(value, "on") == 0 || strcmp(value, "off") == 0)
            return set_str(&o->positions, value);
    } else if (strcmp(key, "boilerplate-min-docs") == 0) {
        long n = strtol(value, &end, 10);
        if (*value && *end == '\0' && n >= 2 && n <= 1000000) {
            o->boilerplate_min_docs = (int)n;
            return 0;
        }
    } else if (strcmp(key, "near-dup-threshold") == 0) {
        double t = strtod(value, &end);
        if (strcmp(value, "none") == 0) {
            o->near_dup = -1;
            return 0;
        }
        if (end != value && *end == '\0' && t > 0 && t <= 1) {
            o->near_dup = t;
            return 0;
        }
    } else {
        if (errmsg)
            *errmsg = dup_msg("unknown option '%s'%s", key, NULL);
        return OPINE_EUSAGE;
    }
    if (errmsg)
        *errmsg = dup_msg("option '%s' cannot be '%s'", key, value);
    return OPINE_EUSAGE;
}

/* DATABASES AND STAGES */

struct opine_db {
    opine_store *st;
};

int opine_db_open(opine_db **out, const char *path, int flags, char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return OPINE_ENOMEM;
    int sf = ((flags & OPINE_DB_READONLY) ? OPINE_STORE_READONLY : 0) |
             ((flags & OPINE_DB_CREATE) ? OPINE_STORE_CREATE : 0);
    int rc = opine_store_open(&(*out)->st, path, sf, errmsg);
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

void opine_db_close(opine_db *db)
{
    if (db == NULL)
        return;
    opine_store_close(db->st);
    free(db);
}

struct sqlite3 *opine_db_sqlite(opine_db *db)
{
    return db ? opine_store_db(db->st) : NULL;
}

int opine_db_stage(opine_db *db, opine_stage stage, const char *const *inputs,
                   size_t ninputs, const opine_options *o, opine_counts *counts,
                   char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    opine_options dflt = {.fold = -1, .jobs = 2};
    if (o == NULL)
        o = &dflt;
    if (db == NULL || (ninputs && inputs == NULL))
        return OPINE_EUSAGE;
    opine_model *model = NULL;
    int rc = 0;
    int scores = stage == OPINE_STAGE_SCORE || stage == OPINE_STAGE_RUN;
    if (scores && !(o->model && strcmp(o->model, "none") == 0))
        rc = opine_model_load_spec(&model, o->model, errmsg);
    else if (stage == OPINE_STAGE_SCORE) {
        if (errmsg)
            *errmsg = dup_msg("the score stage needs a model%s", "", NULL);
        return OPINE_EUSAGE;
    }
    if (rc)
        return rc;
    opine_engine_opts eo = {
        .threads = o->jobs,
        .commit_bytes = o->commit_bytes,
        .lang = o->language,
        .stopwords = o->stopwords,
        .tokenizer = o->tokenizer,
        .fold_diacritics = o->fold,
        .near_dup_threshold = o->near_dup,
        .boilerplate = o->boilerplate,
        .boilerplate_min_docs = o->boilerplate_min_docs,
        .positions = o->positions,
        .model = model,
        .reader = {.format = o->format,
                   .text_field = o->text_field,
                   .id_field = o->id_field,
                   .encoding = o->encoding,
                   .invalid_utf8 = o->invalid_utf8,
                   .delimiter = o->delimiter},
    };
    opine_run_counts c = {0};
    switch (stage) {
    case OPINE_STAGE_INGEST:
        rc = opine_stage_ingest(db->st, inputs, ninputs, &eo, &c, errmsg);
        break;
    case OPINE_STAGE_TOKENIZE:
        rc = opine_stage_tokenize(db->st, &eo, &c, errmsg);
        break;
    case OPINE_STAGE_STEM:
        rc = opine_stage_stem(db->st, &eo, &c, errmsg);
        break;
    case OPINE_STAGE_SCORE:
        rc = opine_stage_score(db->st, &eo, &c, errmsg);
        break;
    case OPINE_STAGE_RUN:
        rc = opine_stage_run(db->st, inputs, ninputs, &eo, &c, errmsg);
        break;
    default:
        rc = OPINE_EUSAGE;
    }
    opine_model_free(model);
    if (counts)
        *counts = (opine_counts){c.records, c.documents, c.duplicates,
                                 c.skipped, c.rejected};
    return rc;
}

/* ANALYZERS */

struct opine_analyzer {
    opine_stemmer *stemmer;
    opine_stopwords *stop;
    opine_segmenter *words, *sentences; /* uax29 only */
    int fold;
    opine_tokens toks;
};

int opine_analyzer_new(opine_analyzer **out, const opine_options *o,
                       char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    const char *lang = o && o->language ? o->language : "english";
    opine_analyzer *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return OPINE_ENOMEM;
    a->fold = o && o->fold == 1;
    int rc = opine_stemmer_new(&a->stemmer, lang);
    if (rc == OPINE_ELANG && errmsg)
        *errmsg = dup_msg("no stemmer for language '%s'%s", lang, NULL);
    if (rc == 0) {
        const char *spec = o && o->stopwords ? o->stopwords : "default";
        rc = opine_stopwords_load(&a->stop, spec, lang, errmsg);
        /* as a stage does: a language without a list stops nothing */
        if (rc == OPINE_ELANG && !(o && o->stopwords)) {
            if (errmsg) {
                free(*errmsg);
                *errmsg = NULL;
            }
            rc = opine_stopwords_load(&a->stop, "none", lang, errmsg);
        }
    }
    if (rc == 0 && o && o->tokenizer && strcmp(o->tokenizer, "uax29") == 0 &&
        ((rc = opine_segmenter_new(&a->words, OPINE_SEGMENT_WORD)) == 0))
        rc = opine_segmenter_new(&a->sentences, OPINE_SEGMENT_SENTENCE);
    if (rc) {
        opine_analyzer_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void opine_analyzer_free(opine_analyzer *a)
{
    if (a == NULL)
        return;
    opine_stemmer_free(a->stemmer);
    opine_stopwords_free(a->stop);
    opine_segmenter_free(a->words);
    opine_segmenter_free(a->sentences);
    opine_tokens_release(&a->toks);
    free(a);
}

int opine_analyze(opine_analyzer *a, const char *text, size_t len,
                  opine_token_fn fn, void *ctx)
{
    int rc = a->words ? opine_tokenize_uax29(a->words, a->sentences, text, len,
                                             &a->toks)
                      : opine_tokenize(text, len, &a->toks);
    if (rc == 0 && a->fold)
        rc = opine_tokens_fold_diacritics(&a->toks);
    for (size_t i = 0; rc == 0 && i < a->toks.n; i++) {
        const opine_token *t = &a->toks.v[i];
        const char *type = a->toks.norm + t->norm;
        size_t slen;
        const char *stem =
            opine_stemmer_stem_type(a->stemmer, type, t->norm_len, &slen);
        if (stem == NULL)
            return OPINE_ENOMEM;
        /* the stemmer's buffer may be reused: the callback sees it first */
        opine_token_info ti = {
            .start = t->start,
            .len = t->len,
            .sentence = t->sentence,
            .type = type,
            .type_len = t->norm_len,
            .stem = stem,
            .stem_len = slen,
            .stop = opine_stopwords_has(a->stop, type, t->norm_len),
        };
        rc = fn(ctx, &ti);
    }
    return rc;
}

const char *opine_analyzer_stem(opine_analyzer *a, const char *word, size_t len,
                                size_t *stem_len)
{
    return opine_stemmer_stem(a->stemmer, word, len, stem_len);
}

/* MODELS */

int opine_model_open(opine_model **out, const char *spec, char **errmsg)
{
    int rc = opine_model_load_spec(out, spec, errmsg);
    if (rc == 0 && (rc = opine_model_compile(*out, NULL, errmsg)) != 0) {
        opine_model_free(*out);
        *out = NULL;
    }
    return rc;
}

void opine_model_close(opine_model *m)
{
    opine_model_free(m);
}

void opine_model_describe(const opine_model *m, const char **name, int *version,
                          size_t *nthemes)
{
    if (name)
        *name = opine_model_name(m);
    if (version)
        *version = opine_model_version(m);
    if (nthemes)
        *nthemes = opine_model_nthemes(m);
}

const char *opine_model_theme_name(const opine_model *m, size_t i)
{
    return i < opine_model_nthemes(m) ? opine_model_theme(m, i)->id : NULL;
}

int opine_model_score(const opine_model *m, const char *text, size_t len,
                      opine_stance_fn fn, void *ctx)
{
    opine_applier *ap;
    int rc = opine_applier_new(&ap, m);
    if (rc)
        return rc;
    opine_scores sc = OPINE_SCORES_INIT;
    rc = opine_applier_score(ap, text, len, &sc);
    for (size_t t = 0; rc == 0 && t < sc.nthemes; t++) {
        const opine_theme_score *ts = &sc.themes[t];
        opine_stance s = {
            .theme = t,
            .mentions = ts->mentions,
            .salience = ts->salience,
            .has_stance = ts->has_stance,
            .stance = ts->has_stance ? ts->stance : 0,
            .lo = ts->has_stance ? ts->lo : 0,
            .hi = ts->has_stance ? ts->hi : 0,
            .label = ts->label,
            .evidence = ts->evidence,
        };
        rc = fn(ctx, &s);
    }
    opine_scores_release(&sc);
    opine_applier_free(ap);
    return rc;
}
