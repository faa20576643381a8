/* api/sqlfuncs.c — what any SQLite client needs to read an opine database
 * fully, registered on a connection by opine_sql_register() (opine.h):
 *
 *   inflate(body), opine_text(body)   a document's text (bodies are zlib)
 *   opine_stem(word [, language])     the stem opine gives a word, as
 *                                     `opine stem --words` gives it
 *   opine_tokens(text)                table-valued: one row per token
 *                                     (start, end, sentence, kind, token,
 *                                     type, stem, stop), as a stage cuts it
 *   FTS5 tokenizer "opine"            tokenizes, folds, stems and drops
 *                                     stop words as a stage does, so that
 *                                     an FTS5 index agrees with terms; its
 *                                     arguments: language L, stopwords S,
 *                                     tokenizer default|uax29, fold yes|no
 *                                     (defaults: those of a new database)
 *
 * The same file is compiled twice: into libopine, calling SQLite directly
 * (opine sql registers these on its connection), and into the loadable
 * extension (ext/opine_sqlite.c defines OPINE_SQL_EXTENSION first and
 * includes this file), where every SQLite call goes through the routines
 * the loading host hands over, as SQLite requires of extensions.
 */
#ifdef OPINE_SQL_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "pipeline/zblob.h"
#include "stages/fold.h"
#include "stages/segment.h"
#include "stages/stem.h"
#include "stages/stopwords.h"
#include "stages/tokenize.h"

#ifndef OPINE_SQL_EXTENSION
#include "api/opine.h"
#endif

/* inflate(blob) and opine_text(blob): the text of a documents.body. */
static void sql_inflate(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const void *blob = sqlite3_value_blob(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    if (blob == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    unsigned char *out;
    size_t len;
    int rc = opine_zblob_inflate(blob, (size_t)n, &out, &len);
    if (rc == OPINE_ENOMEM) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (rc) {
        sqlite3_result_error(ctx, "inflate: not a zlib stream", -1);
        return;
    }
    sqlite3_result_text(ctx, (char *)out, (int)len, free);
}

/* opine_stem(word [, language]). The stemmer of a language is kept as
 * the call's auxiliary data while the language argument stays the same;
 * English without it is made once per connection. */
static void free_stemmer(void *p)
{
    opine_stemmer_free(p);
}

static void sql_stem(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *word = (const char *)sqlite3_value_text(argv[0]);
    if (word == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    size_t len = (size_t)sqlite3_value_bytes(argv[0]);
    opine_stemmer *s;
    if (argc == 1) {
        s = sqlite3_user_data(ctx);
    } else if ((s = sqlite3_get_auxdata(ctx, 1)) == NULL) {
        const char *lang = (const char *)sqlite3_value_text(argv[1]);
        int rc = opine_stemmer_new(&s, lang ? lang : "english");
        if (rc == OPINE_ELANG) {
            char *msg = sqlite3_mprintf("opine_stem: no stemmer for '%s'",
                                        lang ? lang : "");
            sqlite3_result_error(ctx, msg ? msg : "opine_stem: no stemmer", -1);
            sqlite3_free(msg);
            return;
        }
        if (rc) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        sqlite3_set_auxdata(ctx, 1, s, free_stemmer);
        if ((s = sqlite3_get_auxdata(ctx, 1)) == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    size_t slen;
    const char *stem = opine_stemmer_stem(s, word, len, &slen);
    if (stem == NULL)
        sqlite3_result_error_nomem(ctx);
    else
        sqlite3_result_text(ctx, stem, (int)slen, SQLITE_TRANSIENT);
}

/* THE CUTTER: a stage's tokenizer, folding, stop list and stemmer, as
 * the table-valued function and the FTS5 tokenizer share it. */
typedef struct cutter {
    opine_stemmer *stemmer;
    opine_stopwords *stop;
    opine_segmenter *words, *sentences; /* uax29 */
    int fold;
    opine_tokens toks;
} cutter;

static void cutter_free(cutter *c)
{
    if (c == NULL)
        return;
    opine_stemmer_free(c->stemmer);
    opine_stopwords_free(c->stop);
    opine_segmenter_free(c->words);
    opine_segmenter_free(c->sentences);
    opine_tokens_release(&c->toks);
    sqlite3_free(c);
}

/* args: pairs "language L", "stopwords S", "tokenizer T", "fold yes|no"
 * (the words may also be one "key=value" each). */
static int cutter_new(cutter **out, const char **args, int nargs, char **err)
{
    const char *lang = "english", *stop = NULL, *tok = "default";
    int fold = 0;
    *out = NULL;
    *err = NULL;
    for (int i = 0; i < nargs; i++) {
        const char *k = args[i], *v = NULL, *eq = strchr(k, '=');
        size_t klen = eq ? (size_t)(eq - k) : strlen(k);
        if (eq)
            v = eq + 1;
        else if (i + 1 < nargs)
            v = args[++i];
        if (v == NULL) {
            *err = sqlite3_mprintf("opine: option '%s' needs a value", k);
            return SQLITE_ERROR;
        }
        if (klen == 8 && strncmp(k, "language", 8) == 0)
            lang = v;
        else if (klen == 9 && strncmp(k, "stopwords", 9) == 0)
            stop = v;
        else if (klen == 9 && strncmp(k, "tokenizer", 9) == 0 &&
                 (strcmp(v, "default") == 0 || strcmp(v, "uax29") == 0))
            tok = v;
        else if (klen == 4 && strncmp(k, "fold", 4) == 0 &&
                 (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0))
            fold = v[0] == 'y';
        else {
            *err = sqlite3_mprintf("opine: unknown option '%.*s %s' (expected"
                                   " language, stopwords, tokenizer"
                                   " default|uax29, fold yes|no)",
                                   (int)klen, k, v);
            return SQLITE_ERROR;
        }
    }
    cutter *c = sqlite3_malloc(sizeof(*c));
    if (c == NULL)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    c->fold = fold;
    char *msg = NULL;
    int rc = opine_stemmer_new(&c->stemmer, lang);
    if (rc == 0) {
        /* as a stage: a language without a list stops nothing */
        rc =
            opine_stopwords_load(&c->stop, stop ? stop : "default", lang, &msg);
        if (rc == OPINE_ELANG && stop == NULL) {
            free(msg);
            msg = NULL;
            rc = opine_stopwords_load(&c->stop, "none", lang, &msg);
        }
    }
    if (rc == 0 && strcmp(tok, "uax29") == 0 &&
        (rc = opine_segmenter_new(&c->words, OPINE_SEGMENT_WORD)) == 0)
        rc = opine_segmenter_new(&c->sentences, OPINE_SEGMENT_SENTENCE);
    if (rc) {
        *err = sqlite3_mprintf("opine: %s", msg ? msg
                                            : rc == OPINE_ELANG
                                                ? "no stemmer "
                                                  "for that "
                                                  "language"
                                                : opine_strerror(rc));
        free(msg);
        cutter_free(c);
        return rc == OPINE_ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
    }
    *out = c;
    return SQLITE_OK;
}

static int cutter_cut(cutter *c, const char *text, size_t len)
{
    int rc = c->words ? opine_tokenize_uax29(c->words, c->sentences, text, len,
                                             &c->toks)
                      : opine_tokenize(text, len, &c->toks);
    if (rc == 0 && c->fold)
        rc = opine_tokens_fold_diacritics(&c->toks);
    return rc;
}

/* THE TABLE-VALUED FUNCTION opine_tokens(text). */
enum {
    TC_START,
    TC_END,
    TC_SENTENCE,
    TC_KIND,
    TC_TOKEN,
    TC_TYPE,
    TC_STEM,
    TC_STOP,
    TC_TEXT /* hidden: the argument */
};

typedef struct tok_vtab {
    sqlite3_vtab base;
} tok_vtab;

typedef struct tok_cursor {
    sqlite3_vtab_cursor base;
    cutter *c;
    char *text;
    size_t len, i;
} tok_cursor;

static int tok_connect(sqlite3 *db, void *aux, int argc,
                       const char *const *argv, sqlite3_vtab **out, char **err)
{
    (void)aux;
    (void)argc;
    (void)argv;
    (void)err;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(start INTEGER, "
                                      "\"end\" INTEGER, sentence INTEGER, "
                                      "kind TEXT, token TEXT, type TEXT, "
                                      "stem TEXT, stop INTEGER, text HIDDEN)");
    if (rc != SQLITE_OK)
        return rc;
    tok_vtab *v = sqlite3_malloc(sizeof(*v));
    if (v == NULL)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof(*v));
    *out = &v->base;
    return SQLITE_OK;
}

static int tok_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int tok_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    tok_cursor *cur = sqlite3_malloc(sizeof(*cur));
    if (cur == NULL)
        return SQLITE_NOMEM;
    memset(cur, 0, sizeof(*cur));
    char *err = NULL;
    int rc = cutter_new(&cur->c, NULL, 0, &err);
    if (rc) {
        sqlite3_free(v->zErrMsg);
        v->zErrMsg = err;
        sqlite3_free(cur);
        return rc;
    }
    *out = &cur->base;
    return SQLITE_OK;
}

static int tok_close(sqlite3_vtab_cursor *base)
{
    tok_cursor *cur = (tok_cursor *)base;
    cutter_free(cur->c);
    sqlite3_free(cur->text);
    sqlite3_free(cur);
    return SQLITE_OK;
}

/* The plan: the text must be given (text = ?, which opine_tokens(?) is). */
static int tok_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    int at = -1;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn == TC_TEXT) {
            if (!c->usable)
                return SQLITE_CONSTRAINT;
            if (c->op == SQLITE_INDEX_CONSTRAINT_EQ)
                at = i;
        }
    }
    if (at < 0) {
        sqlite3_free(v->zErrMsg);
        v->zErrMsg = sqlite3_mprintf("opine_tokens needs a text: "
                                     "SELECT * FROM opine_tokens('...')");
        return SQLITE_ERROR;
    }
    info->aConstraintUsage[at].argvIndex = 1;
    info->aConstraintUsage[at].omit = 1;
    info->estimatedCost = 100;
    info->estimatedRows = 100;
    info->orderByConsumed = info->nOrderBy == 1 &&
                            info->aOrderBy[0].iColumn == TC_START &&
                            !info->aOrderBy[0].desc;
    return SQLITE_OK;
}

static int tok_filter(sqlite3_vtab_cursor *base, int idx, const char *idxstr,
                      int argc, sqlite3_value **argv)
{
    (void)idx;
    (void)idxstr;
    tok_cursor *cur = (tok_cursor *)base;
    sqlite3_free(cur->text);
    cur->text = NULL;
    cur->i = 0;
    cur->c->toks.n = 0;
    const char *t = argc ? (const char *)sqlite3_value_text(argv[0]) : NULL;
    if (t == NULL)
        return SQLITE_OK;
    cur->len = (size_t)sqlite3_value_bytes(argv[0]);
    if ((cur->text = sqlite3_malloc64(cur->len + 1)) == NULL)
        return SQLITE_NOMEM;
    memcpy(cur->text, t, cur->len + 1);
    int rc = cutter_cut(cur->c, cur->text, cur->len);
    if (rc == OPINE_EUTF8) {
        sqlite3_free(base->pVtab->zErrMsg);
        base->pVtab->zErrMsg =
            sqlite3_mprintf("opine_tokens: the text is not valid UTF-8");
        return SQLITE_ERROR;
    }
    return rc == 0 ? SQLITE_OK : SQLITE_NOMEM;
}

static int tok_next(sqlite3_vtab_cursor *base)
{
    ((tok_cursor *)base)->i++;
    return SQLITE_OK;
}

static int tok_eof(sqlite3_vtab_cursor *base)
{
    tok_cursor *cur = (tok_cursor *)base;
    return cur->text == NULL || cur->i >= cur->c->toks.n;
}

static int tok_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col)
{
    static const char *const kinds[] = {"",      "word",   "number", "url",
                                        "email", "handle", "hashtag"};
    tok_cursor *cur = (tok_cursor *)base;
    const opine_token *t = &cur->c->toks.v[cur->i];
    const char *type = cur->c->toks.norm + t->norm;
    size_t slen;
    const char *stem;
    switch (col) {
    case TC_START:
        sqlite3_result_int64(ctx, t->start);
        break;
    case TC_END:
        sqlite3_result_int64(ctx, (sqlite3_int64)t->start + t->len);
        break;
    case TC_SENTENCE:
        sqlite3_result_int64(ctx, t->sentence);
        break;
    case TC_KIND:
        sqlite3_result_text(ctx, t->kind < 7 ? kinds[t->kind] : "", -1,
                            SQLITE_STATIC);
        break;
    case TC_TOKEN:
        sqlite3_result_text(ctx, cur->text + t->start, (int)t->len,
                            SQLITE_TRANSIENT);
        break;
    case TC_TYPE:
        sqlite3_result_text(ctx, type, (int)t->norm_len, SQLITE_TRANSIENT);
        break;
    case TC_STEM:
        stem =
            opine_stemmer_stem_type(cur->c->stemmer, type, t->norm_len, &slen);
        if (stem == NULL)
            return SQLITE_NOMEM;
        sqlite3_result_text(ctx, stem, (int)slen, SQLITE_TRANSIENT);
        break;
    case TC_STOP:
        sqlite3_result_int(
            ctx, opine_stopwords_has(cur->c->stop, type, t->norm_len));
        break;
    default:
        sqlite3_result_text(ctx, cur->text, (int)cur->len, SQLITE_TRANSIENT);
    }
    return SQLITE_OK;
}

static int tok_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((tok_cursor *)base)->i + 1;
    return SQLITE_OK;
}

static const sqlite3_module tokens_module = {
    .iVersion = 0,
    .xConnect = tok_connect,
    .xBestIndex = tok_best_index,
    .xDisconnect = tok_disconnect,
    .xOpen = tok_open,
    .xClose = tok_close,
    .xFilter = tok_filter,
    .xNext = tok_next,
    .xEof = tok_eof,
    .xColumn = tok_column,
    .xRowid = tok_rowid,
};

/* THE FTS5 TOKENIZER "opine": every token that is not a stop word, as its
 * stem, at its byte span. */
static int fts_create(void *ctx, const char **args, int nargs,
                      Fts5Tokenizer **out)
{
    (void)ctx;
    cutter *c;
    char *err = NULL;
    int rc = cutter_new(&c, args, nargs, &err);
    if (err) {
        /* FTS5 has no way to pass a message on: it says "error in
         * tokenizer constructor"; stderr tells the person why. */
        fprintf(stderr, "%s\n", err);
        sqlite3_free(err);
    }
    *out = (Fts5Tokenizer *)c;
    return rc;
}

static void fts_delete(Fts5Tokenizer *t)
{
    cutter_free((cutter *)t);
}

static int fts_tokenize(Fts5Tokenizer *t, void *ctx, int flags,
                        const char *text, int len,
                        int (*emit)(void *ctx, int tflags, const char *token,
                                    int ntoken, int start, int end))
{
    (void)flags;
    cutter *c = (cutter *)t;
    /* The tokenizer wants NUL-terminated text; FTS5 gives a length. */
    char *copy = sqlite3_malloc64((sqlite3_uint64)len + 1);
    if (copy == NULL)
        return SQLITE_NOMEM;
    memcpy(copy, text, (size_t)len);
    copy[len] = '\0';
    int rc = cutter_cut(c, copy, (size_t)len);
    if (rc == OPINE_EUTF8)
        rc = SQLITE_ERROR;
    else if (rc)
        rc = SQLITE_NOMEM;
    for (size_t i = 0; rc == SQLITE_OK && i < c->toks.n; i++) {
        const opine_token *tk = &c->toks.v[i];
        const char *type = c->toks.norm + tk->norm;
        if (opine_stopwords_has(c->stop, type, tk->norm_len))
            continue;
        size_t slen;
        const char *stem =
            opine_stemmer_stem_type(c->stemmer, type, tk->norm_len, &slen);
        if (stem == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        rc = emit(ctx, 0, stem, (int)slen, (int)tk->start,
                  (int)(tk->start + tk->len));
    }
    sqlite3_free(copy);
    return rc;
}

static fts5_api *fts5_api_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(q, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return api;
}

static int register_all(sqlite3 *db, char **errmsg)
{
    const char *what = "inflate()";
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    int rc = sqlite3_create_function(db, "inflate", 1, flags, NULL, sql_inflate,
                                     NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "opine_text", 1, flags, NULL,
                                     sql_inflate, NULL, NULL);
    if (rc == SQLITE_OK) {
        what = "opine_stem()";
        opine_stemmer *english;
        if (opine_stemmer_new(&english, "english") != 0)
            return SQLITE_NOMEM;
        rc = sqlite3_create_function_v2(db, "opine_stem", 1, flags, english,
                                        sql_stem, NULL, NULL, free_stemmer);
        if (rc == SQLITE_OK)
            rc = sqlite3_create_function(db, "opine_stem", 2, flags, NULL,
                                         sql_stem, NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        what = "opine_tokens";
        rc = sqlite3_create_module(db, "opine_tokens", &tokens_module, NULL);
    }
    if (rc == SQLITE_OK) {
        what = "the FTS5 tokenizer opine";
        fts5_api *api = fts5_api_of(db);
        fts5_tokenizer tk = {fts_create, fts_delete, fts_tokenize};
        rc = api ? api->xCreateTokenizer(api, "opine", NULL, &tk, NULL)
                 : SQLITE_ERROR;
    }
    if (rc != SQLITE_OK && errmsg)
        *errmsg = sqlite3_mprintf("opine: cannot register %s: %s", what,
                                  sqlite3_errstr(rc));
    return rc;
}

#ifndef OPINE_SQL_EXTENSION
int opine_sql_register(struct sqlite3 *db, char **errmsg)
{
    char *msg = NULL;
    int rc = register_all(db, &msg);
    if (errmsg)
        *errmsg = msg ? strdup(msg) : NULL;
    sqlite3_free(msg);
    return rc == SQLITE_OK ? 0 : rc == SQLITE_NOMEM ? OPINE_ENOMEM : OPINE_EDB;
}
#endif
