/* pipeline/engine_internal.h — what the engine's files share: the engine,
 * its batches, jobs, workers and vocabulary entries, and the functions
 * one file calls in another.
 *
 * The engine is split by concern (each file says more at its top):
 *   engine.c          the batch loop: phases A to C (D is handed to the
 *                     writer), the passes over the inputs or the pending
 *                     documents, setting up, opine_stage_*()
 *   engine_threads.c  threads and queues: the worker pool that runs phases A
 *                     and C, the writer thread (phase D) and its queue, the
 *                     reader thread
 *   engine_vocab.c    the vocabulary: types, stems and languages in memory,
 *                     interning, stemming types, loading it from the database
 *   engine_sql.c      the batch writer's SQL (phase D): documents, streams,
 *                     vocabulary rows, scores, evidence, marks, terms,
 *                     counts; commit and rollback
 * Nothing here is part of libopine's interface (that is pipeline/engine.h).
 */
#ifndef OPINE_PIPELINE_ENGINE_INTERNAL_H
#define OPINE_PIPELINE_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "base/rows.h"
#include "base/strmap.h"
#include "corpus/authors.h"
#include "corpus/reader.h"
#include "models/model.h"
#include "models/score.h"
#include "pipeline/engine.h"
#include "pipeline/simindex.h"
#include "pipeline/store.h"
#include "pipeline/tokstream.h"
#include "pipeline/zblob.h"
#include "stages/lines.h"
#include "stages/minhash.h"
#include "stages/segment.h"
#include "stages/stem.h"
#include "stages/stopwords.h"
#include "stages/tokenize.h"

/* A MinHash signature as stored (doc_minhash.sig): OPINE_MINHASH_K bins
 * of 16 bits, little-endian (stages/minhash.h). */
#define OPINE_SIG_BYTES (2 * OPINE_MINHASH_K)

/* engine.flags: the stages the current pass does to each document. */
enum { DO_INGEST = 1, DO_TOKENIZE = 2, DO_STEM = 4, DO_SCORE = 8 };
/* engine.bp_mode: what becomes of boilerplate lines. */
enum { BP_OFF = 0, BP_COUNT, BP_EXCLUDE };
/* job.state: what phase D made of a document (JOB_NEW until then). */
enum { JOB_NEW = 0, JOB_DUP, JOB_SKIP };

typedef struct reject {
    char *source;
    uint64_t position;
    char *message;
} reject;

typedef struct job {
    opine_doc doc; /* ingest: the record as read */
    int64_t id;    /* documents.id */
    int state;     /* JOB_NEW, JOB_DUP, JOB_SKIP */
    int twin;      /* ingest: index of an earlier job with the same text
                    * in this batch, or -1 */
    int err;       /* a worker's error, checked on the calling thread */
    unsigned char hash[16];
    unsigned char *body; /* ingest: the text as a zstd frame */
    size_t body_len;
    const char *text; /* the text to tokenize */
    size_t text_len;
    char *inflated; /* tokenize alone: the stored body, inflated */
    void *blob_in;  /* from the database: body or token stream */
    size_t blob_in_len;
    int unquoted; /* score: blob_in is a stream without quotation marks
                   * (format 1 or 2) and the model reads them */
    opine_tokens toks;
    opine_stream_token *stoks; /* stem alone: decoded stream */
    uint32_t *types;           /* type id of each token */
    size_t ntokens;
    uint32_t nsentences;
    unsigned char *stream; /* encoded doc_tokens.stream */
    size_t stream_len;
    uint32_t *terms;    /* (stem, tf) pairs sorted by stem */
    unsigned char *pos; /* their positions (see positions() in engine.c), */
    uint32_t *pos_end;  /* term i's ending at this byte */
    size_t nterms;
    size_t counted;        /* tokens counted in terms (stop words left out) */
    char *lang;            /* the language the document names, or NULL */
    opine_author *authors; /* ingest: documents.author split into people */
    size_t nauthors;
    /* boilerplate lines (pipeline/boilerplate.c) */
    opine_line *lines; /* the document's lines (stages/lines.h) */
    size_t nlines;
    unsigned char *lines_data; /* ingest: lines as doc_lines stores them */
    size_t lines_data_len;
    void *lines_blob; /* stem, score alone: doc_lines.data as stored */
    size_t lines_blob_len;
    unsigned char *line_out; /* per line: left out (phase B), or NULL */
    unsigned char *tok_out;  /* per token: in a line left out (phase C) */
    size_t bp_lines;         /* distinct lines left out */
    size_t bp_tokens;        /* tokens left out that would have counted */
    uint64_t bp_sum;         /* XOR of the hashes of the lines left out */
    int has_sig;             /* stem: sig is the document's MinHash signature */
    unsigned char sig[OPINE_SIG_BYTES];
    opine_scores scores;
} job;

/* What the run knows of a type and of a stem, by id. Texts belong to the
 * maps (types, stems). */
typedef struct type_info {
    const char *text;        /* the normalised type */
    uint64_t stem_hash;      /* its stem's stem_info.hash, copied here so
                              * that phase C reads one entry a token */
    uint32_t stem;           /* 0 = not stemmed yet */
    uint32_t pat_off, pat_n; /* model patterns it matches, in pat_pool */
    uint8_t stop;            /* a stop word: not counted in doc_terms */
    uint8_t lang;            /* index into engine.langs; 0: the default */
} type_info;

/* The hash a type's token stands for in shingles (opine_token_hash() of
 * its stem), made from the entry the counting loop reads anyway. */
static inline uint32_t opine__type_token_hash(const type_info *t)
{
    return t->stem_hash ? (uint32_t)t->stem_hash
           : t->stem    ? opine_token_hash(0, t->stem)
                        : 0;
}

/* A language documents may name (JSON field "lang" or "language"),
 * with its stemmer and stop list made when first needed. langs[0] is the
 * database's language, for documents that name none. */
typedef struct lang_res {
    char *name;     /* as stored in types.lang; "" for langs[0] */
    int as_default; /* stems like langs[0] (the same language) */
    opine_stemmer *stemmer;
    opine_stopwords *stop;
} lang_res;

#define MAX_LANGS 32

/* What the open transaction adds to a stem's terms row. */
typedef struct stem_freq {
    int64_t df, cf;
} stem_freq;

typedef struct stem_info {
    const char *text;
    uint64_t hash; /* opine_score_stem_hash(text), 0 when text is empty:
                    * made once here, not per token by the scorer */
    uint8_t lang;  /* index into engine.langs of the stem's language */
    /* the first type stemmed to it this run (in a map's arena): stored as
     * the stem's surface form until opine__update_surfaces chooses */
    const char *surface;
} stem_info;

/* What one thread needs of its own: ICU break iterators are not
 * thread-safe, so strict tokenizing keeps a pair per thread. */
typedef struct worker {
    opine_segmenter *words, *sentences;
    /* Bodies are zstd frames (pipeline/zblob.h); the codec also reads
     * the zlib bodies of older databases. */
    opine_zcodec *zcodec;
    uint32_t *count; /* per stem id: this document's tf, zero between */
    size_t cap_count;
    opine__strmap_cache *types_cache; /* frequent types, before e->types */
} worker;

#define MAX_THREADS 64

/* Prepared batches waiting for the writer thread: one keeps the writer
 * busy, and more only held memory (measured on ABP). */
enum { QUEUE = 1 };

/* The documents and rejected records of one batch. */
typedef struct batch {
    job *jobs;
    size_t njobs, cap_jobs;
    /* the types and stems the batch added to the vocabulary (ids from+1
     * on), copied for phase D, and the vocabulary's size after it */
    type_info *new_types;
    stem_info *new_stems;
    int64_t types_from, types_to, stems_from, stems_to;
    int64_t records;             /* input records the batch read (ingest) */
    opine_reader_counts rcounts; /* the reader's counters after it */
    int last;                    /* commit after this batch */
    int ending; /* the first of the inputs' last, smaller batches */
    reject *rejects;
    size_t nrejects, cap_rejects;
} batch;

typedef struct opine__hset opine__hset;
typedef struct opine__tracker opine__tracker;

typedef struct engine {
    opine_store *st;
    sqlite3 *db;
    const opine_engine_opts *o;
    int flags;
    int64_t run_id;
    opine_run_counts counts;
    char *errmsg;
    /* vocabulary */
    opine__strmap *types, *stems;
    int64_t ntypes, nstems;
    type_info *tv; /* by type id */
    stem_info *sv; /* by stem id */
    size_t cap_types, cap_stems;
    /* the writer's: frequencies the open transaction adds, by id, and
     * the ids it touched */
    int64_t *freq_type_cf; /* by type id: cf */
    int64_t *type_cf;      /* by type id: types.cf as committed */
    size_t cap_type_cf;
    /* by type id: the cf its row was inserted with in the open
     * transaction (opine__write_vocab), which the commit does not add
     * again */
    int64_t *type_cf_stored;
    size_t cap_type_cf_stored;
    stem_freq *freq_stems; /* by stem id: df, cf */
    size_t cap_freq_types, cap_freq_stems;
    int64_t *touched_types, *touched_stems;
    size_t ntouched_types, ntouched_stems, cap_touched_types, cap_touched_stems;
    /* the writer's: new types and stems of the open transaction's batches
     * not written yet (copies; ids from pend_types_from + 1 and
     * pend_stems_from + 1 on, consecutive), see pend_vocab() */
    type_info *pend_types;
    stem_info *pend_stems;
    size_t npend_types, npend_stems, cap_pend_types, cap_pend_stems;
    int64_t pend_types_from, pend_stems_from;
    lang_res langs[MAX_LANGS];
    int nlangs;
    char *keybuf; /* scratch for "lang\x1ftext" map keys */
    size_t keycap;
    const char *lang;
    char *lang_owned;
    /* seconds spent, for runs.timings and opine status --timings */
    double t_read, t_prepare, t_vocab, t_finish, t_write, t_commit, t_start;
    double t_similar; /* the similarity index: postings (taken out of write
                       * and commit), then merges and norms */
    /* The similarity index's writer (pipeline/simindex.h): the postings of
     * the documents the open transaction stems go into it; NULL when the
     * stage does not stem. */
    opine__simindex *similar;
    /* documents were taken out of the index to be indexed again (their
     * terms were counted again in place: pipeline/boilerplate.c) */
    int similar_stale;
    /* the open transaction: several batches share one (commit_bytes) */
    int in_txn;
    /* A first load's last transaction stays open past its input, for the
     * steps after it (surface forms, near-duplicates, the similarity
     * index's norms, the run's record), and finish() commits it: see
     * opine_stage_run. Those steps join a transaction they find open. */
    int hold_last;
    pthread_t syncer; /* opine_store_sync_early, while syncing */
    int syncing;
    atomic_int sync_stop; /* finish() is about to COMMIT: no more rounds */
    /* The inputs, opened and their first batch read on a thread of its
     * own while the run starts (engine.c, read_early); pass_inputs takes
     * them. NULL when not started or taken. */
    struct early_input *early;
    size_t txn_bytes;     /* text the open transaction holds */
    int64_t last_doc;     /* the largest documents.id given out */
    struct hashed *order; /* scratch: jobs sorted by content hash */
    size_t cap_order;
    int near_dup;  /* make MinHash signatures (o->near_dup_threshold >= 0) */
    int positions; /* give the search index positions (o->positions) */
    /* boilerplate lines: the setting, the flagged lines, and a run's
     * counts so far (pipeline/boilerplate.c) */
    int bp_mode, bp_min, bp_changed;
    opine__hset *bp_flagged;
    opine__tracker *bp_tracker;
    uint64_t *bp_scratch; /* phase B's: a document's distinct lines */
    size_t cap_bp_scratch;
    int strict; /* tokenize with UAX #29 (--tokenizer uax29) */
    int fold;   /* strip diacritics from types (--fold-diacritics) */
    worker workers[MAX_THREADS];
    /* scoring: the model, its rows, and the patterns each type matches */
    opine_model *model;
    int model_quotes; /* opine_model_reads_quotes(model), once */
    int64_t model_id;
    int64_t *theme_ids;
    char score_stage[32];
    uint32_t *pat_pool;
    size_t npat_pool, cap_pat_pool;
    /* batch */
    batch b; /* the batch being prepared */
    /* the writer thread (N >= 2) and the prepared batches waiting for it */
    pthread_t writer;
    pthread_mutex_t mu; /* guards the queue, wrc and errmsg */
    pthread_cond_t queued, taken;
    batch queue[QUEUE];
    int nqueued, qhead, qdone, writer_running;
    int wrc;                   /* the writer's first error */
    atomic_llong docs_written; /* for progress */
    /* the writer's rows, handed to SQLite as tables (base/rows.h) */
    opine_rows *terms_rows, *stem_rows, *type_rows, *doc_rows, *new_type_rows,
        *new_stem_rows, *score_rows, *surface_rows, *docs_rows, *meta_rows,
        *stream_rows, *author_rows, *minhash_rows, *lines_rows, *bp_rows,
        *vector_rows;
    opine_rows_blob *blobs; /* what blob columns of those rows point to */
    size_t cap_blobs;
    unsigned char *vecbuf; /* the batch's term vectors (store_vectors) */
    size_t cap_vecbuf;
    int64_t *rowbuf;
    size_t cap_rowbuf;
    /* statements */
    sqlite3_stmt *ins_docs, *find_doc, *ins_dup, *ins_metas, *ins_type,
        *set_type_stem, *ins_stem, *ins_streams, *ins_terms, *ins_done,
        *add_terms, *add_type_cf, *ins_score, *ins_evidence, *ins_contribution,
        *ins_length, *set_surfaces, *ins_authors, *ins_minhash, *ins_vectors,
        *ins_lines, *ins_bp;
} engine;

/* One batch of input, read while the previous batch is processed. */
typedef struct inbatch {
    opine_reader *r;
    size_t max_docs, max_bytes;
    opine_doc *docs;
    size_t ndocs, cap;
    reject *rejects;
    size_t nrejects, cap_rejects;
    int64_t records;
    size_t bytes;                /* text read into docs */
    opine_reader_counts rcounts; /* the reader's counters after the batch */
    int done;                    /* the inputs are exhausted */
    int own_thread;              /* read on a thread of its own (read ahead) */
    int err;                     /* OPINE_ENOMEM */
    int ending;                  /* the first batch read smaller */
    double seconds;
} inbatch;

/* ---- engine.c: the batch loop ----------------------------------------- */

/* Seconds on the monotonic clock, for runs.timings. */
double opine__engine_now(void);
/* Keep what failed while WHAT, naming the database (opine_store_failure),
 * as the run's error message (the first one only); returns OPINE_EDB. */
int opine__engine_db_fail(engine *e, const char *what);
/* Empty a batch and free its arrays. */
void opine__batch_free(batch *b);
/* Empty a batch, keeping its arrays. */
void opine__batch_clear(batch *b);
/* Phases A to C of e->b: everything but writing it. */
int opine__batch_work(engine *e);
/* A job's stored body or token stream (column blob of q's row) and its
 * lines (column lines, when not NULL), copied. 0 or OPINE_ENOMEM. */
int opine__job_read(job *j, sqlite3_stmt *q, int blob, int lines);

/* ---- engine_threads.c: threads and queues ----------------------------- */

/* Run fn over every job of e->b on up to o->threads threads, the caller
 * among them. */
void opine__parallel_jobs(engine *e, void (*fn)(engine *, worker *, job *));
/* The writer thread (N >= 2): start it, hand it e->b (or, without it,
 * write e->b here), ask for its first error, let it finish and stop. Each
 * returns the writer's first error, or 0. */
int opine__writer_begin(engine *e);
int opine__writer_put(engine *e, int last);
int opine__writer_error(engine *e);
int opine__writer_end(engine *e);
/* Fill an inbatch from its reader: a pthread start routine (arg is the
 * inbatch), also called directly. */
void *opine__read_batch(void *arg);
/* Move a read batch into e->b (its jobs and rejects). */
int opine__take_batch(engine *e, inbatch *b);
void opine__inbatch_release(inbatch *b);

/* ---- engine_vocab.c: the vocabulary ----------------------------------- */

/* Read the database's types and stems into the maps and arrays. */
int opine__load_vocab(engine *e);
/* Free what opine__load_vocab() and the run added. */
void opine__vocab_release(engine *e);
/* Phase A (any worker): the ids of the document's types the vocabulary
 * already has, in j->types (0 for a new one). */
int opine__lookup_types(engine *e, worker *w, job *j);
/* The language a document names, when Snowball has it (malloc'd), or
 * NULL for the database's. */
char *opine__doc_lang(engine *e, const opine_doc *d);
/* Phase B (one thread, document order): give the document's new types
 * ids, and stems when the run stems. */
int opine__intern_types(engine *e, job *j);
/* Stem the types a tokenize-only run left without a stem, in a
 * transaction of its own. */
int opine__stem_pending_types(engine *e);
/* Store each stem's most frequent surface form, in a transaction of its
 * own. */
int opine__update_surfaces(engine *e);

/* ---- engine_sql.c: the batch writer's SQL ----------------------------- */

/* Register the writer's row tables and prepare its statements; release
 * them and the writer's scratch. */
int opine__sql_init(engine *e);
void opine__sql_release(engine *e);
/* Phase D of batch bt: its rows, in the open transaction (opened when
 * none is); commits when the transaction holds commit_bytes of text or
 * `last` is set. On an error the transaction is rolled back. */
int opine__batch_write(engine *e, batch *bt, int last);
/* End the open transaction (if any): the frequencies its batches added,
 * the run's counters, COMMIT; rolled back when that fails. With hold, all
 * but the COMMIT: the transaction stays open (e->hold_last). */
int opine__engine_commit(engine *e, const opine_run_counts *counts, int hold);
/* Undo the open transaction, the frequencies and ids it gave out. */
void opine__engine_rollback(engine *e);
/* Bring the similarity index up to date once the stage's documents are
 * committed (opine__simindex_refresh(), in transactions of its own). */
int opine__refresh_similar(engine *e);
/* Phase D for documents stemmed (and scored) again in place: each
 * document's doc_terms rows changed where its counts changed, terms by the
 * differences, doc_lengths and doc_boilerplate; its scores and evidence
 * for this engine's model replaced, and those of other models (or, with
 * no model, all) taken away with their marks, to be scored again. In the
 * caller's transaction. */
int opine__batch_rewrite(engine *e, batch *bt);
/* e->last_doc: the largest documents.id stored. */
int opine__read_last_doc(engine *e);
/* Step a statement that returns no rows, then reset it. */
int opine__engine_step_done(engine *e, sqlite3_stmt *q, const char *what);
/* Finalize a statement whose rows were read with sqlite3_step until it
 * stopped returning SQLITE_ROW: rc when set, else 0 if the rows ended and
 * a failure (opine__engine_db_fail) if a step failed (an I/O error must
 * not pass for the end of the rows). */
int opine__engine_finalize(engine *e, sqlite3_stmt *q, int rc,
                           const char *what);
/* Step a statement that reads nrows rows of e->rowbuf through table r,
 * then empty the table. */
int opine__engine_step_rows(engine *e, sqlite3_stmt *q, opine_rows *r,
                            size_t nrows, const char *what);
/* Room for `values` int64s in e->rowbuf. */
int opine__engine_rowbuf_fit(engine *e, size_t values);

/* Rows of any number through one statement, in slices of at most
 * OPINE__ROWS_SLICE values of e->rowbuf each (1 MiB), so that the buffer
 * does not grow with a batch's terms or the vocabulary (ABP's grew to
 * 8 MiB). Fill each row through the pointer opine__rows_out_next()
 * returns; opine__rows_out_end() writes the last slice:
 *
 *     rows_out o;
 *     opine__rows_out_begin(&o, e, e->ins_terms, e->terms_rows, 3, "...");
 *     while (...) { int64_t *v = opine__rows_out_next(&o); if (!v) break;
 *                   v[0] = doc; v[1] = stem; v[2] = tf; }
 *     rc = opine__rows_out_end(&o);
 * Not for rows with blob columns (their opine_rows_blob go elsewhere). */
#define OPINE__ROWS_SLICE (1u << 17)
typedef struct rows_out {
    engine *e;
    sqlite3_stmt *q;
    opine_rows *r;
    const char *what;
    size_t ncols, n, per;
    int rc;
} rows_out;
void opine__rows_out_begin(rows_out *o, engine *e, sqlite3_stmt *q,
                           opine_rows *r, size_t ncols, const char *what);
/* The next row's ncols values, after writing a full slice; NULL after an
 * error (then opine__rows_out_end() returns it). */
int64_t *opine__rows_out_next(rows_out *o);
int opine__rows_out_end(rows_out *o);
/* Store the types and stems with ids from+1 to `to`, from copies of their
 * entries (tv[0] is type types_from+1, sv[0] stem stems_from+1). */
int opine__write_vocab(engine *e, const type_info *tv, int64_t types_from,
                       int64_t types_to, const stem_info *sv,
                       int64_t stems_from, int64_t stems_to);

/* ---- boilerplate.c: lines a site repeats ------------------------------ */

/* The setting (meta, or the options) and the flagged lines: engine start. */
int opine__bp_settings(engine *e);
/* Read the flagged lines again from boilerplate_lines. */
int opine__bp_load(engine *e);
void opine__bp_release(engine *e);
/* Phase A: the document's lines (ingest: from its text, encoded for
 * doc_lines; stem, score: decoded from j->lines_blob). */
int opine__bp_prepare(engine *e, job *j);
/* Phase B (document order): which lines to leave out, and count them in
 * the run's table. */
int opine__bp_decide(engine *e, job *j);
/* Phase C: j->tok_out, the tokens in lines left out (NULL: none). */
int opine__bp_token_mask(job *j);
/* Whether documents came in (or the setting changed) since the lines were
 * last counted. */
int opine__bp_stale(engine *e, int *stale);
/* Count every line, flag those in min_docs documents of their outlet, and
 * count and score again the stemmed documents that left out other lines.
 * One transaction. */
int opine__boilerplate(engine *e);

/* ---- neardup.c: near-duplicates -------------------------------------- */

/* The hash a token of this type stands for in shingles: its stem's. */
uint64_t opine__token_hash(const engine *e, uint32_t type);
/* The signature of the tokens added to m, in the stored form; 0 when
 * none was. */
int opine__sig_final(opine_minhash *m, unsigned char sig[OPINE_SIG_BYTES]);
/* A document's signature from its types, in the stored form; 0 when it
 * has no token. */
int opine__doc_signature(const engine *e, const uint32_t *types, size_t n,
                         unsigned char sig[OPINE_SIG_BYTES]);
/* Compare the documents not compared yet with all others and store the
 * near-duplicate pairs, in a transaction of its own. */
int opine__near_dups(engine *e);

#endif
