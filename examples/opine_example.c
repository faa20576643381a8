/* examples/opine_example.c — libopine from the outside: only <opine.h>.
 *
 *   cc opine_example.c $(pkg-config --cflags --libs opine) -o opine_example
 *   ./opine_example corpus.db op-eds.jsonl.gz "Text to cut and score."
 *
 * Cuts and stems the text as a database would, scores its stance with the
 * default model, then runs every stage on the corpus into the database and
 * prints what the run counted. */
#include <opine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_token(void *ctx, const opine_token_info *t)
{
    (void)ctx;
    printf("token %zu+%zu sentence %u type %s stem %s%s\n", t->start, t->len,
           t->sentence, t->type, t->stem, t->stop ? " (stop word)" : "");
    return 0;
}

static int print_stance(void *ctx, const opine_stance *s)
{
    const opine_model *m = ctx;
    if (s->has_stance)
        printf("theme %s mentions %u stance %+.3f [%+.3f, %+.3f] label %+d\n",
               opine_model_theme_name(m, s->theme), s->mentions, s->stance,
               s->lo, s->hi, s->label);
    else
        printf("theme %s mentions 0\n", opine_model_theme_name(m, s->theme));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DB INPUT TEXT\n", argv[0]);
        return 2;
    }
    printf("libopine %s (header %s)\n", opine_version(), OPINE_VERSION_STRING);
    char *err = NULL;
    int rc;

    opine_analyzer *a;
    if ((rc = opine_analyzer_new(&a, NULL, &err)) != 0) {
        fprintf(stderr, "analyzer: %s\n", err ? err : opine_error_message(rc));
        return 1;
    }
    rc = opine_analyze(a, argv[3], strlen(argv[3]), print_token, NULL);
    size_t n;
    const char *stem = opine_analyzer_stem(a, "alliances", 9, &n);
    printf("stem of alliances: %.*s\n", (int)n, stem ? stem : "");
    opine_analyzer_free(a);
    if (rc)
        return 1;

    opine_model *m;
    if ((rc = opine_model_open(&m, NULL, &err)) != 0) {
        fprintf(stderr, "model: %s\n", err ? err : opine_error_message(rc));
        return 1;
    }
    const char *name;
    int version;
    size_t nthemes;
    opine_model_describe(m, &name, &version, &nthemes);
    printf("model %s %d, %zu themes\n", name, version, nthemes);
    rc = opine_model_score(m, argv[3], strlen(argv[3]), print_stance, m);
    opine_model_close(m);
    if (rc)
        return 1;

    opine_db *db;
    if ((rc = opine_db_open(&db, argv[1], OPINE_DB_CREATE, &err)) != 0) {
        fprintf(stderr, "%s: %s\n", argv[1],
                err ? err : opine_error_message(rc));
        return 1;
    }
    opine_options *o;
    if (opine_options_new(&o) != 0 ||
        opine_options_set(o, "jobs", "1", &err) != 0) {
        fprintf(stderr, "options: %s\n", err ? err : "out of memory");
        return 1;
    }
    const char *inputs[] = {argv[2]};
    opine_counts c;
    rc = opine_db_stage(db, OPINE_STAGE_RUN, inputs, 1, o, &c, &err);
    opine_options_free(o);
    opine_db_close(db);
    if (rc < 0) {
        fprintf(stderr, "run: %s\n", err ? err : opine_error_message(rc));
        free(err);
        return 1;
    }
    printf("run: %lld records, %lld documents, %lld duplicates, %lld "
           "rejected\n",
           (long long)c.records, (long long)c.documents,
           (long long)c.duplicates, (long long)c.rejected);
    free(err);
    return 0;
}
