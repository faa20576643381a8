/* pipeline/engine.h — runs the stages over batches of documents into a store.
 *
 * Each stage takes only the documents it has not processed yet (stage_done),
 * in batches. A transaction holds whole batches (commit_bytes of text at a
 * time): the stage's rows, its stage_done marks, the terms/types counters
 * they change and the run's counters commit together. So terms always
 * equals the sums over doc_terms, and a run killed at any moment resumes,
 * when rerun, to the same result. A run that creates the database keeps
 * its last transaction open for the steps after the input (surface
 * forms, near-duplicates, norms, the run's record) and commits once.
 *
 * Threads (`threads` = N): with N >= 2, a reader thread reads the next
 * batch, N threads do the work that needs no database (hashing,
 * compressing, tokenizing, encoding, counting, scoring) and a writer
 * thread writes the previous batch; with N = 1 one thread does all of it
 * in turn. Everything that touches SQLite or the vocabulary happens in
 * document order, so results never depend on the number of threads.
 */
#ifndef OPINE_PIPELINE_ENGINE_H
#define OPINE_PIPELINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "corpus/reader.h"
#include "models/model.h"
#include "pipeline/store.h"

typedef struct opine_progress {
    const char *stage;    /* "ingest", "tokenize", "stem", "run" */
    int64_t documents;    /* documents done so far in this stage */
    int64_t pending;      /* documents the stage started with, 0 unknown */
    uint64_t bytes;       /* input bytes consumed (ingest, run) */
    uint64_t bytes_total; /* input size when known, else 0 */
} opine_progress;

#define OPINE_NEAR_DUP_DEFAULT 0.8
#define OPINE_BOILERPLATE_MIN_DOCS 5

typedef struct opine_engine_opts {
    int threads;           /* worker threads, >= 1 (see the top) */
    const char *lang;      /* stemmer language; NULL: the database's, or
                            * "english" for a database not stemmed yet */
    const char *stopwords; /* "none", a language or a file; NULL: the
                            * database's, or the language's list */
    int fold_diacritics;   /* 1: "café" is "cafe"; 0: no; -1: the
                            * database's setting (no for a new one) */
    const char *tokenizer; /* "default" or "uax29"; NULL: the database's,
                            * or "default" for a new one */
    opine_model *model;    /* score (and run) with this model, loaded but not
                            * compiled: the engine compiles it for the
                            * database's language. NULL: run does not score */
    const char *params;    /* JSON of the command's parameters, for runs */
    /* Near-duplicates (pipeline/neardup.c), found when stem and run end:
     * pairs whose word shingles' Jaccard similarity is at least this.
     * 0: OPINE_NEAR_DUP_DEFAULT; negative: neither signatures nor pairs */
    double near_dup_threshold;
    /* Boilerplate lines (pipeline/boilerplate.c): "exclude" (left out of
     * terms and scoring), "count" (flagged, but counted) or "off"; NULL:
     * the database's, or "off" (looking costs CPU: boilerplate.c). A line is
     * boilerplate when at least boilerplate_min_docs documents of its outlet
     * hold it (0: the database's, or OPINE_BOILERPLATE_MIN_DOCS). */
    const char *boilerplate;
    int boilerplate_min_docs;
    /* Positions in the search index (search_positions, pipeline/simindex.h:
     * NEAR of words reads them instead of token streams): "on", "off", or
     * NULL: the database's (meta search_positions), else off. On costs
     * ABP's run about 8% (0.6 s) and 45 MB of file. */
    const char *positions;
    opine_reader_opts reader;
    size_t batch_bytes;  /* text per batch; 0: 4 MiB */
    size_t batch_docs;   /* documents per batch; 0: 4096 */
    size_t commit_bytes; /* commit when a transaction holds this much text
                          * (token streams for stem and score); 0: 256 MiB
                          * on a first load, else 64 MiB (engine_sql.c).
                          * A killed run loses at most this much work */
    /* Called on the calling thread; may be NULL. */
    void (*on_reject)(void *ctx, const char *message);
    void (*on_progress)(void *ctx, const opine_progress *p);
    void *ctx;
    /* When non-NULL and set non-zero (e.g. by a signal handler), the
     * engine stops after the batch in flight and returns
     * OPINE_EINTERRUPTED. */
    volatile int *stop;
} opine_engine_opts;

/* The stages. Each records one run in `runs` and fills *counts. Return 0
 * (every record taken), 1 (finished, but some records were rejected: see
 * rejects), or a negative error; *errmsg (when not NULL) then gets a
 * malloc'd message for the user. */
int opine_stage_ingest(opine_store *st, const char *const *paths, size_t npaths,
                       const opine_engine_opts *o, opine_run_counts *counts,
                       char **errmsg);
int opine_stage_tokenize(opine_store *st, const opine_engine_opts *o,
                         opine_run_counts *counts, char **errmsg);
int opine_stage_stem(opine_store *st, const opine_engine_opts *o,
                     opine_run_counts *counts, char **errmsg);
/* Score every stemmed document this model (name, version) has not scored;
 * a new version scores everything again beside the old rows. */
int opine_stage_score(opine_store *st, const opine_engine_opts *o,
                      opine_run_counts *counts, char **errmsg);
/* ingest + tokenize + stem (+ score when o->model) in one pass over the inputs,
 * then the same stages over anything an earlier run left pending. */
int opine_stage_run(opine_store *st, const char *const *paths, size_t npaths,
                    const opine_engine_opts *o, opine_run_counts *counts,
                    char **errmsg);

#endif
