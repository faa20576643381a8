/* tests/test_api.c — the public interface, seen only through opine.h: the
 * error codes and their messages, options, analyzers, models and
 * databases, and what each refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/opine.h"

/* 1: the version macros and the library agree. */
static void test01_version(void **state)
{
    (void)state;
    assert_string_equal(opine_version(), OPINE_VERSION_STRING);
    assert_int_equal(opine_version_number(), OPINE_VERSION_NUMBER);
    assert_int_equal(OPINE_VERSION_NUMBER, OPINE_VERSION_MAJOR * 1000000 +
                                               OPINE_VERSION_MINOR * 1000 +
                                               OPINE_VERSION_PATCH);
}

/* 2: every public code has the library's message for it (opine.h keeps
 * its own copy of the codes: they must not drift). */
static void test02_errors(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *msg;
    } want[] = {
        {OPINE_ENOMEM, "out of memory"},
        {OPINE_EIO, "input/output error"},
        {OPINE_ECORRUPT, "corrupt or truncated data"},
        {OPINE_EFORMAT, "malformed record"},
        {OPINE_EUTF8, "invalid UTF-8"},
        {OPINE_ETOOBIG, "record too large"},
        {OPINE_EEMPTY, "empty input"},
        {OPINE_EBINARY, "binary data"},
        {OPINE_ENOENT, "no such file or directory"},
        {OPINE_ELANG, "unknown language"},
        {OPINE_EUSAGE, "invalid usage"},
        {OPINE_EDB, "database error"},
        {OPINE_ESCHEMA, "unsupported database schema"},
        {OPINE_EINTERRUPTED, "interrupted"},
        {OPINE_EBUSY, "another process is writing the database"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        assert_string_equal(opine_error_message(want[i].code), want[i].msg);
    assert_int_equal(OPINE_OK, 0);
}

/* 3: options take what the command line takes and name what they refuse. */
static void test03_options(void **state)
{
    (void)state;
    opine_options *o;
    char *err = NULL;
    assert_int_equal(opine_options_new(&o), 0);
    assert_int_equal(opine_options_set(o, "language", "german", &err), 0);
    assert_int_equal(opine_options_set(o, "tokenizer", "uax29", &err), 0);
    assert_int_equal(opine_options_set(o, "jobs", "3", &err), 0);
    assert_int_equal(opine_options_set(o, "jobs", "0", &err), OPINE_EUSAGE);
    assert_string_equal(err, "option 'jobs' cannot be '0'");
    free(err);
    assert_int_equal(opine_options_set(o, "colour", "red", &err), OPINE_EUSAGE);
    assert_string_equal(err, "unknown option 'colour'");
    free(err);
    assert_int_equal(opine_options_set(o, "fold", "maybe", NULL), OPINE_EUSAGE);
    assert_int_equal(opine_options_set(o, "near-dup-threshold", "0.9", NULL),
                     0);
    assert_int_equal(opine_options_set(o, "near-dup-threshold", "none", NULL),
                     0);
    assert_int_equal(opine_options_set(o, "near-dup-threshold", "1.5", NULL),
                     OPINE_EUSAGE);
    assert_int_equal(opine_options_set(o, "boilerplate", "count", NULL), 0);
    assert_int_equal(opine_options_set(o, "boilerplate", "some", NULL),
                     OPINE_EUSAGE);
    assert_int_equal(opine_options_set(o, "boilerplate-min-docs", "7", NULL),
                     0);
    assert_int_equal(opine_options_set(o, "boilerplate-min-docs", "1", NULL),
                     OPINE_EUSAGE);
    opine_options_free(o);
    opine_options_free(NULL);
}

typedef struct seen {
    char text[256];
    int n, stops;
} seen;

static int collect(void *ctx, const opine_token_info *t)
{
    seen *s = ctx;
    size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof s->text - used, "%s%s/%s", used ? " " : "",
             t->type, t->stem);
    s->n++;
    s->stops += t->stop;
    return 0;
}

static int stop_at_two(void *ctx, const opine_token_info *t)
{
    (void)t;
    return ++*(int *)ctx == 2 ? 42 : 0;
}

/* 4: an analyzer cuts, folds and stems as a stage does; the callback can
 * stop it; a language without a stemmer is refused by name. */
static void test04_analyzer(void **state)
{
    (void)state;
    opine_analyzer *a;
    char *err = NULL;
    assert_int_equal(opine_analyzer_new(&a, NULL, &err), 0);
    seen s = {{0}, 0, 0};
    const char *text = "The allies shared burdens at https://x.org/a.";
    assert_int_equal(opine_analyze(a, text, strlen(text), collect, &s), 0);
    assert_string_equal(s.text, "the/the allies/alli shared/share "
                                "burdens/burden at/at "
                                "https://x.org/a/https://x.org/a");
    assert_int_equal(s.stops, 2); /* the, at */
    int calls = 0;
    assert_int_equal(opine_analyze(a, text, strlen(text), stop_at_two, &calls),
                     42);
    assert_int_equal(calls, 2);
    size_t n;
    const char *st = opine_analyzer_stem(a, "generously", 10, &n);
    assert_int_equal(n, 8);
    assert_memory_equal(st, "generous", 8); /* as Snowball's vocabulary */
    opine_analyzer_free(a);

    opine_options *o;
    assert_int_equal(opine_options_new(&o), 0);
    assert_int_equal(opine_options_set(o, "fold", "yes", NULL), 0);
    assert_int_equal(opine_analyzer_new(&a, o, NULL), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(opine_analyze(a, "Café", 5, collect, &s), 0);
    assert_string_equal(s.text, "cafe/cafe");
    opine_analyzer_free(a);
    assert_int_equal(opine_options_set(o, "language", "klingon", NULL), 0);
    assert_int_equal(opine_analyzer_new(&a, o, &err), OPINE_ELANG);
    assert_string_equal(err, "no stemmer for language 'klingon'");
    free(err);
    opine_options_free(o);
}

typedef struct stances {
    int themes, mentioned, positive;
    const opine_model *m;
    int alliance_label;
} stances;

static int count_stance(void *ctx, const opine_stance *s)
{
    stances *t = ctx;
    t->themes++;
    t->mentioned += s->mentions > 0;
    t->positive += s->has_stance && s->stance > 0;
    assert_true(s->has_stance == (s->mentions > 0));
    if (s->has_stance)
        assert_true(s->lo <= s->stance && s->stance <= s->hi);
    if (strcmp(opine_model_theme_name(t->m, s->theme), "alliance") == 0)
        t->alliance_label = s->label;
    return 0;
}

/* 5: models by name, version or default; scores per theme; what is
 * refused. */
static void test05_models(void **state)
{
    (void)state;
    opine_model *m;
    char *err = NULL;
    assert_int_equal(opine_model_open(&m, NULL, &err), 0);
    const char *name;
    int version;
    size_t nthemes;
    opine_model_describe(m, &name, &version, &nthemes);
    assert_string_equal(name, "us-rok-alliance");
    assert_int_equal(version, 6);
    assert_int_equal(nthemes, 7);
    assert_null(opine_model_theme_name(m, 7));
    stances t = {0, 0, 0, m, 9};
    const char *text = "Our alliance with South Korea keeps the peace, and we "
                       "must stand by our allies.";
    assert_int_equal(opine_model_score(m, text, strlen(text), count_stance, &t),
                     0);
    assert_int_equal(t.themes, 7);
    assert_int_equal(t.mentioned, 1);
    assert_int_equal(t.alliance_label, 1);
    opine_model_close(m);

    assert_int_equal(opine_model_open(&m, "us-rok-alliance@1", NULL), 0);
    opine_model_describe(m, NULL, &version, NULL);
    assert_int_equal(version, 1);
    opine_model_close(m);

    assert_int_equal(opine_model_open(&m, "no-such-model", &err), OPINE_ENOENT);
    assert_null(m);
    assert_non_null(strstr(err, "no model file 'no-such-model'"));
    assert_non_null(strstr(err, "us-rok-alliance@2"));
    free(err);
    opine_model_close(NULL);
}

/* 6: databases: a missing file read-only is refused; a stage that needs
 * a model refuses none; an empty run stores nothing. */
static void test06_db(void **state)
{
    (void)state;
    char dir[] = "/tmp/opine-api.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/a.db", dir);
    opine_db *db;
    char *err = NULL;
    assert_int_not_equal(opine_db_open(&db, path, OPINE_DB_READONLY, &err), 0);
    assert_null(db);
    free(err);
    err = NULL;
    assert_int_equal(opine_db_open(&db, path, OPINE_DB_CREATE, &err), 0);
    assert_non_null(opine_db_sqlite(db));
    opine_options *o;
    assert_int_equal(opine_options_new(&o), 0);
    assert_int_equal(opine_options_set(o, "model", "none", NULL), 0);
    assert_int_equal(
        opine_db_stage(db, OPINE_STAGE_SCORE, NULL, 0, o, NULL, &err),
        OPINE_EUSAGE);
    assert_string_equal(err, "the score stage needs a model");
    free(err);
    err = NULL;
    opine_counts c;
    assert_int_equal(
        opine_db_stage(db, OPINE_STAGE_TOKENIZE, NULL, 0, o, &c, &err), 0);
    assert_int_equal(c.documents, 0);
    opine_options_free(o);
    opine_db_close(db);
    opine_db_close(NULL);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_version), cmocka_unit_test(test02_errors),
        cmocka_unit_test(test03_options), cmocka_unit_test(test04_analyzer),
        cmocka_unit_test(test05_models),  cmocka_unit_test(test06_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
