/* pipeline/engine.c — batches of documents through ingest, tokenize, stem,
 * score.
 *
 * HOW IT WORKS: one batch goes through four phases.
 *   A (parallel)  per document: hash and compress the text (ingest), inflate
 *                 the stored body and tokenize it (tokenize), or decode the
 *                 stored token stream (stem alone); look up known types.
 *   B (serial)    intern new types in document order, stemming each new
 *                 type once; no database.
 *   C (parallel)  encode token streams; count (stem, tf) per document;
 *                 score.
 *   D (serial)    BEGIN when no transaction is open; tell new documents
 *                 from copies (the content hash) and give them ids; insert
 *                 documents, new types and stems, doc_tokens, doc_terms,
 *                 scores, stage_done; every commit_bytes of text, add the
 *                 transaction's frequencies to terms and types, update the
 *                 run's counters and COMMIT.
 * With -j N >= 2, D runs on a writer thread of its own, a queue behind the
 * main thread, and a reader thread reads the next batch (see the writer
 * thread below). The vocabulary (type → id → stem) lives in memory for the
 * whole run and only grows, so memory is bounded by the vocabulary and the
 * batches in flight.
 */
#include "pipeline/engine.h"

#include <math.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libdeflate.h>
#include <xxhash.h>

#include "base/error.h"
#include "pipeline/fault.h"
#include "base/mem.h"
#include "base/rows.h"
#include "base/strmap.h"
#include "pipeline/tokstream.h"
#include "stages/fold.h"
#include "models/score.h"
#include "stages/segment.h"
#include "stages/stem.h"
#include "stages/stopwords.h"
#include "stages/tokenize.h"

enum { DO_INGEST = 1, DO_TOKENIZE = 2, DO_STEM = 4, DO_SCORE = 8 };
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
    unsigned char *body; /* ingest: zlib(text) */
    size_t body_len;
    const char *text; /* the text to tokenize */
    size_t text_len;
    char *inflated; /* tokenize alone: the stored body, inflated */
    void *blob_in;  /* from the database: body or token stream */
    size_t blob_in_len;
    opine_tokens toks;
    opine_stream_token *stoks; /* stem alone: decoded stream */
    uint32_t *types;           /* type id of each token */
    size_t ntokens;
    uint32_t nsentences;
    unsigned char *stream; /* encoded doc_tokens.stream */
    size_t stream_len;
    uint32_t *terms; /* (stem, tf) pairs sorted by stem */
    size_t nterms;
    size_t counted; /* tokens counted in terms (stop words left out) */
    char *lang;     /* the language the document names, or NULL */
    opine_scores scores;
} job;

/* What the run knows of a type and of a stem, by id. Texts belong to the
 * maps (types, stems). */
typedef struct type_info {
    int64_t stem;            /* 0 = not stemmed yet */
    const char *text;        /* the normalised type */
    uint32_t pat_off, pat_n; /* model patterns it matches, in pat_pool */
    int stop;                /* a stop word: not counted in doc_terms */
    uint8_t lang;            /* index into engine.langs; 0: the default */
} type_info;

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
} stem_info;

/* What one thread needs of its own: ICU break iterators are not
 * thread-safe, so strict tokenizing keeps a pair per thread. */
typedef struct worker {
    opine_segmenter *words, *sentences;
    /* Bodies are zlib streams (RFC 1950) made by libdeflate: the same
     * format zlib reads, at about 3.5 times zlib's speed at level 1. */
    struct libdeflate_compressor *deflater;
    struct libdeflate_decompressor *inflater;
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
    int64_t records; /* input records the batch read (ingest) */
    int last;        /* commit after this batch */
    reject *rejects;
    size_t nrejects, cap_rejects;
} batch;

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
    stem_freq *freq_stems; /* by stem id: df, cf */
    size_t cap_freq_types, cap_freq_stems;
    int64_t *touched_types, *touched_stems;
    size_t ntouched_types, ntouched_stems, cap_touched_types, cap_touched_stems;
    lang_res langs[MAX_LANGS];
    int nlangs;
    char *keybuf; /* scratch for "lang\x1ftext" map keys */
    size_t keycap;
    const char *lang;
    char *lang_owned;
    /* seconds spent, for runs.timings and opine status --timings */
    double t_read, t_prepare, t_vocab, t_finish, t_write, t_commit, t_start;
    /* the open transaction: several batches share one (commit_bytes) */
    int in_txn;
    size_t txn_bytes;     /* text the open transaction holds */
    int64_t last_doc;     /* the largest documents.id given out */
    struct hashed *order; /* scratch: jobs sorted by content hash */
    size_t cap_order;
    int strict; /* tokenize with UAX #29 (--tokenizer uax29) */
    int fold;   /* strip diacritics from types (--fold-diacritics) */
    worker workers[MAX_THREADS];
    /* scoring: the model, its rows, and the patterns each type matches */
    opine_model *model;
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
        *stream_rows;
    opine_rows_blob *blobs; /* what blob columns of those rows point to */
    size_t cap_blobs;
    int64_t *rowbuf;
    size_t cap_rowbuf;
    /* statements */
    sqlite3_stmt *ins_docs, *find_doc, *ins_dup, *ins_metas, *ins_type,
        *set_type_stem, *ins_stem, *ins_streams, *ins_terms, *ins_done,
        *add_terms, *add_type_cf, *ins_score, *ins_evidence, *ins_length,
        *set_surfaces;
} engine;

/* ---- small helpers ---------------------------------------------------- */

static char *fmt(const char *format, const char *a, const char *b)
{
    size_t n = strlen(format) + strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, format, a, b);
    return s;
}

/* Keep the first error message; with the writer thread running, both
 * threads may fail at once. */
static void set_error(engine *e, char *msg)
{
    if (e->writer_running)
        pthread_mutex_lock(&e->mu);
    if (e->errmsg == NULL)
        e->errmsg = msg;
    else
        free(msg);
    if (e->writer_running)
        pthread_mutex_unlock(&e->mu);
}

static int db_fail(engine *e, const char *what)
{
    set_error(e,
              fmt("database error while %s: %s", what, sqlite3_errmsg(e->db)));
    return OPINE_EDB;
}

static int prepare(engine *e, sqlite3_stmt **q, const char *sql)
{
    if (sqlite3_prepare_v3(e->db, sql, -1, SQLITE_PREPARE_PERSISTENT, q,
                           NULL) != SQLITE_OK)
        return db_fail(e, "preparing statements");
    return 0;
}

static int step_done(engine *e, sqlite3_stmt *q, const char *what)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? 0 : db_fail(e, what);
}

/* Run a statement that reads nrows rows of the flat buffer through the
 * table r (base/rows.h), then empty the table. */
static int step_rows(engine *e, sqlite3_stmt *q, opine_rows *r, size_t nrows,
                     const char *what)
{
    if (nrows == 0)
        return 0;
    opine__rows_set(r, e->rowbuf, nrows);
    int rc = step_done(e, q, what);
    opine__rows_set(r, NULL, 0);
    return rc;
}

static int rowbuf_fit(engine *e, size_t values)
{
    return opine__grow((void **)&e->rowbuf, &e->cap_rowbuf, values,
                       sizeof(int64_t));
}

/* ---- parallel for ----------------------------------------------------- */

typedef struct pfor {
    atomic_size_t next;
    size_t n;
    void (*fn)(engine *, worker *, job *);
    engine *e;
} pfor;

typedef struct pfor_thread {
    pfor *p;
    worker *w;
} pfor_thread;

/* Threads that only feed the pipeline (the reader, the extra workers) run
 * at a lower priority than the main and writer threads: the writer is the
 * bottleneck (on ABP it is busy 90% of a run), and with four threads on
 * two cores it used to be preempted for 1.6 s of it. Measured on ABP:
 * 6.95 s -> 6.55 s. Lowering one's own priority needs no privilege; on a
 * shared machine these threads also yield to other work. */
static void lower_priority(void)
{
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
}

static void *pfor_main(void *arg)
{
    pfor_thread *t = arg;
    if (t->w != &t->p->e->workers[0]) /* workers[0] is the calling thread */
        lower_priority();
    size_t i;
    while ((i = atomic_fetch_add(&t->p->next, 1)) < t->p->n)
        t->p->fn(t->p->e, t->w, &t->p->e->b.jobs[i]);
    return NULL;
}

/* Run fn over every job of the batch on up to o->threads threads (the
 * caller is one of them). Jobs are handed out one at a time, so a long
 * document does not hold up the others. */
static void parallel_jobs(engine *e, void (*fn)(engine *, worker *, job *))
{
    pfor p = {.n = e->b.njobs, .fn = fn, .e = e};
    atomic_init(&p.next, 0);
    int extra = e->o->threads - 1;
    if (extra > (int)e->b.njobs - 1)
        extra = (int)e->b.njobs - 1;
    if (extra > MAX_THREADS - 1)
        extra = MAX_THREADS - 1;
    pthread_t tid[MAX_THREADS];
    pfor_thread th[MAX_THREADS];
    int started = 0;
    for (; started < extra; started++) {
        th[started] = (pfor_thread){.p = &p, .w = &e->workers[started + 1]};
        if (pthread_create(&tid[started], NULL, pfor_main, &th[started]) != 0)
            break;
    }
    pfor_thread self = {.p = &p, .w = &e->workers[0]};
    pfor_main(&self);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}

/* ---- jobs ------------------------------------------------------------- */

static void job_release(job *j)
{
    opine_doc_release(&j->doc);
    free(j->body);
    free(j->inflated);
    free(j->blob_in);
    opine_tokens_release(&j->toks);
    free(j->stoks);
    free(j->types);
    free(j->stream);
    free(j->terms);
    opine_scores_release(&j->scores);
    free(j->lang);
    memset(j, 0, sizeof(*j));
}

/* Empty a batch, keeping its arrays for the next one. */
static void batch_release(batch *b)
{
    for (size_t i = 0; i < b->njobs; i++)
        job_release(&b->jobs[i]);
    b->njobs = 0;
    for (size_t i = 0; i < b->nrejects; i++) {
        free(b->rejects[i].source);
        free(b->rejects[i].message);
    }
    b->nrejects = 0;
    free(b->new_types);
    free(b->new_stems);
    b->new_types = NULL;
    b->new_stems = NULL;
    b->records = 0;
    b->last = 0;
}

static void batch_free(batch *b)
{
    batch_release(b);
    free(b->jobs);
    free(b->rejects);
    memset(b, 0, sizeof(*b));
}

static char *doc_lang(engine *e, const opine_doc *d);

/* Phase A, for documents in the default language: the ids of the types
 * the vocabulary already has (the map is only read while workers run);
 * phase B adds the rest, one thread, in document order. */
static int lookup_types(engine *e, worker *w, job *j)
{
    j->types = calloc(j->toks.n + 1, sizeof(uint32_t));
    if (j->types == NULL || (w->types_cache == NULL &&
                             opine__strmap_cache_new(&w->types_cache) != 0))
        return OPINE_ENOMEM;
    if (j->lang != NULL)
        return 0;
    for (size_t i = 0; i < j->toks.n; i++) {
        const opine_token *t = &j->toks.v[i];
        j->types[i] = (uint32_t)opine__strmap_get_cached(
            e->types, w->types_cache, j->toks.norm + t->norm, t->norm_len);
    }
    return 0;
}

/* Phase A. */
static void work_prepare(engine *e, worker *w, job *j)
{
    if (e->flags & DO_INGEST) {
        j->text = j->doc.text;
        j->text_len = j->doc.text_len;
        j->lang = doc_lang(e, &j->doc);
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits(j->text, j->text_len));
        memcpy(j->hash, c.digest, 16);
        if (w->deflater == NULL &&
            (w->deflater = libdeflate_alloc_compressor(1)) == NULL) {
            j->err = OPINE_ENOMEM;
            return;
        }
        size_t zlen = libdeflate_zlib_compress_bound(w->deflater, j->text_len);
        j->body = malloc(zlen);
        if (j->body == NULL ||
            (zlen = libdeflate_zlib_compress(w->deflater, j->text, j->text_len,
                                             j->body, zlen)) == 0) {
            j->err = OPINE_ENOMEM;
            return;
        }
        j->body_len = zlen;
    } else if (e->flags & DO_TOKENIZE) {
        /* text_len was read from documents.bytes */
        size_t n = 0;
        j->inflated = malloc(j->text_len + 1);
        if (j->inflated == NULL ||
            (w->inflater == NULL &&
             (w->inflater = libdeflate_alloc_decompressor()) == NULL)) {
            j->err = OPINE_ENOMEM;
            return;
        }
        if (libdeflate_zlib_decompress(w->inflater, j->blob_in, j->blob_in_len,
                                       j->inflated, j->text_len,
                                       &n) != LIBDEFLATE_SUCCESS ||
            n != j->text_len) {
            j->err = OPINE_ECORRUPT;
            return;
        }
        j->inflated[n] = '\0';
        j->text = j->inflated;
    }
    if (e->flags & DO_TOKENIZE) {
        if (e->strict) {
            if (w->words == NULL &&
                ((j->err =
                      opine_segmenter_new(&w->words, OPINE_SEGMENT_WORD)) ||
                 (j->err = opine_segmenter_new(&w->sentences,
                                               OPINE_SEGMENT_SENTENCE))))
                return;
            j->err = opine_tokenize_uax29(w->words, w->sentences, j->text,
                                          j->text_len, &j->toks);
        } else {
            j->err = opine_tokenize(j->text, j->text_len, &j->toks);
        }
        if (j->err == 0 && e->fold)
            j->err = opine_tokens_fold_diacritics(&j->toks);
        j->ntokens = j->toks.n;
        j->nsentences = (uint32_t)j->toks.nsentences;
        if (j->err == 0)
            j->err = lookup_types(e, w, j);
    } else if (e->flags & (DO_STEM | DO_SCORE)) {
        j->err = opine_tokstream_decode(j->blob_in, j->blob_in_len, &j->stoks,
                                        &j->ntokens);
        if (j->err == 0) {
            j->types = malloc((j->ntokens + 1) * sizeof(uint32_t));
            if (j->types == NULL) {
                j->err = OPINE_ENOMEM;
                return;
            }
            for (size_t i = 0; i < j->ntokens; i++) {
                j->types[i] = j->stoks[i].type;
                if (j->types[i] == 0 || j->types[i] > e->ntypes) {
                    j->err = OPINE_ECORRUPT;
                    return;
                }
            }
        }
    }
}

/* Phase C. */
static void work_finish(engine *e, worker *w, job *j)
{
    if (j->state != JOB_NEW || j->err)
        return;
    if (e->flags & DO_TOKENIZE) {
        j->err = opine_tokstream_encode(&j->toks, j->types, &j->stream,
                                        &j->stream_len);
        if (j->err)
            return;
    }
    if (e->flags & DO_STEM) {
        /* Count per stem in the worker's array indexed by stem id (the
         * vocabulary does not change while workers run), then sort only
         * the document's distinct stems: a few hundred, not every token. */
        uint32_t *d = malloc(2 * (j->ntokens + 1) * sizeof(uint32_t));
        if (d == NULL || opine__grow((void **)&w->count, &w->cap_count,
                                     (size_t)e->nstems + 1, sizeof(uint32_t))) {
            free(d);
            j->err = OPINE_ENOMEM;
            return;
        }
        /* Stop words stay in the token stream (scores need "not") but
         * are not terms. */
        size_t m = 0, nd = 0;
        for (size_t i = 0; i < j->ntokens; i++) {
            const type_info *t = &e->tv[j->types[i]];
            if (t->stop)
                continue;
            m++;
            if (w->count[t->stem]++ == 0)
                d[nd++] = (uint32_t)t->stem;
        }
        j->counted = m;
        opine__sort_u32(d, nd, d + j->ntokens + 1);
        j->terms = malloc((2 * nd + 2) * sizeof(uint32_t));
        if (j->terms == NULL) {
            for (size_t i = 0; i < nd; i++)
                w->count[d[i]] = 0;
            free(d);
            j->err = OPINE_ENOMEM;
            return;
        }
        for (size_t i = 0; i < nd; i++) {
            j->terms[2 * i] = d[i];
            j->terms[2 * i + 1] = w->count[d[i]];
            w->count[d[i]] = 0; /* clean for the next document */
        }
        j->nterms = nd;
        free(d);
    }
    if (e->flags & DO_SCORE) {
        opine_score_token *st = malloc((j->ntokens + 1) * sizeof(*st));
        if (st == NULL) {
            j->err = OPINE_ENOMEM;
            return;
        }
        for (size_t i = 0; i < j->ntokens; i++) {
            uint32_t t = j->types[i];
            if (j->stoks) {
                st[i].start = j->stoks[i].start;
                st[i].len = j->stoks[i].len;
                st[i].sentence = j->stoks[i].sentence;
            } else {
                st[i].start = j->toks.v[i].start;
                st[i].len = j->toks.v[i].len;
                st[i].sentence = j->toks.v[i].sentence;
            }
            st[i].npats = e->tv[t].pat_n;
            st[i].pats = e->pat_pool + e->tv[t].pat_off;
            /* Stems are stable while phase C runs: B interns before. */
            st[i].stem = e->tv[t].stem ? e->sv[e->tv[t].stem].text : NULL;
            st[i].stem_hash = e->tv[t].stem ? e->sv[e->tv[t].stem].hash : 0;
        }
        j->err = opine_score_doc(e->model, st, j->ntokens, &j->scores);
        free(st);
    }
    /* What phase D does not need goes now, so that a batch's peak memory
     * is its tokens once, not its tokens and everything derived. */
    opine_tokens_release(&j->toks);
    free(j->stoks);
    j->stoks = NULL;
    free(j->inflated);
    j->inflated = NULL;
    opine_doc_release_text(&j->doc);
    j->text = NULL;
}

/* ---- vocabulary ------------------------------------------------------- */

static int ensure_type_cap(engine *e, int64_t id)
{
    return opine__grow((void **)&e->tv, &e->cap_types, (size_t)id + 1,
                       sizeof(type_info));
}

/* Remember which model patterns a stemmed type matches (scoring only). */
static int type_patterns(engine *e, int64_t id)
{
    int idx = e->tv[id].lang;
    if (e->model == NULL || (idx != 0 && !e->langs[idx].as_default))
        return 0; /* the model is for the default language only */
    const char *t = e->tv[id].text, *s = e->sv[e->tv[id].stem].text;
    uint32_t buf[64];
    size_t n =
        opine_model_match_type(e->model, t, strlen(t), s, strlen(s), buf, 64);
    if (n > 64)
        return OPINE_ETOOBIG; /* a type matching 64 patterns: a bad model */
    if (opine__grow((void **)&e->pat_pool, &e->cap_pat_pool,
                    e->npat_pool + n + 1, sizeof(uint32_t)))
        return OPINE_ENOMEM;
    memcpy(e->pat_pool + e->npat_pool, buf, n * sizeof(uint32_t));
    e->tv[id].pat_off = (uint32_t)e->npat_pool;
    e->tv[id].pat_n = (uint32_t)n;
    e->npat_pool += n;
    return 0;
}

static int ensure_stem_cap(engine *e, int64_t id)
{
    return opine__grow((void **)&e->sv, &e->cap_stems, (size_t)id + 1,
                       sizeof(stem_info));
}

/* The map key of a text in language idx: the text itself for the default
 * language, else "name\x1ftext" (0x1f never occurs in a token). *key is
 * the engine's scratch buffer, valid until the next call. */
static int lang_key(engine *e, int idx, const char *text, size_t len,
                    const char **key, size_t *klen)
{
    if (idx == 0) {
        *key = text;
        *klen = len;
        return 0;
    }
    size_t n = strlen(e->langs[idx].name);
    if (opine__grow((void **)&e->keybuf, &e->keycap, n + len + 2, 1))
        return OPINE_ENOMEM;
    memcpy(e->keybuf, e->langs[idx].name, n);
    e->keybuf[n] = '\x1f';
    memcpy(e->keybuf + n + 1, text, len);
    e->keybuf[n + 1 + len] = '\0';
    *key = e->keybuf;
    *klen = n + 1 + len;
    return 0;
}

/* The index of a language name ("" or NULL: the default), added when new.
 * More languages than MAX_LANGS in one run fall back to the default. */
static int lang_index(engine *e, const char *name)
{
    if (name == NULL || *name == '\0')
        return 0;
    for (int i = 1; i < e->nlangs; i++)
        if (strcmp(e->langs[i].name, name) == 0)
            return i;
    if (e->nlangs == MAX_LANGS)
        return 0;
    lang_res *l = &e->langs[e->nlangs];
    if ((l->name = strdup(name)) == NULL)
        return 0;
    l->as_default = strcmp(name, e->lang) == 0;
    return e->nlangs++;
}

/* Stemmer and stop list of language idx, made on first use. A language
 * without a built-in stop list has none. */
static int lang_ready(engine *e, int idx)
{
    lang_res *l = &e->langs[idx];
    if (l->stemmer)
        return 0;
    int rc = opine_stemmer_new(&l->stemmer, l->name);
    if (rc == 0 && opine_stopwords_load(&l->stop, "default", l->name, NULL))
        rc = opine_stopwords_load(&l->stop, "none", l->name, NULL);
    return rc;
}

/* The stems map keys a stem by its language unless that is the default. */
static int stem_lang(const engine *e, int idx)
{
    return idx == 0 || e->langs[idx].as_default ? 0 : idx;
}

static int load_vocab(engine *e)
{
    int rc = opine__strmap_new(&e->types);
    if (rc == 0)
        rc = opine__strmap_new(&e->stems);
    if (rc)
        return rc;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db, "SELECT id, stem, lang FROM stems", -1, &q,
                           NULL) != SQLITE_OK)
        return db_fail(e, "reading stems");
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const char *lang = (const char *)sqlite3_column_text(q, 2);
        int idx = strcmp(lang, e->lang) == 0 ? 0 : lang_index(e, lang);
        const char *key;
        size_t klen;
        rc = ensure_stem_cap(e, id);
        if (rc == 0)
            rc = lang_key(e, stem_lang(e, idx),
                          (const char *)sqlite3_column_text(q, 1),
                          (size_t)sqlite3_column_bytes(q, 1), &key, &klen);
        if (rc == 0)
            rc = opine__strmap_intern(e->stems, key, klen, id, &e->sv[id].text);
        if (rc == 0) {
            size_t slen = (size_t)sqlite3_column_bytes(q, 1);
            e->sv[id].text += klen - slen;
            e->sv[id].hash =
                slen ? opine_score_stem_hash(e->sv[id].text, slen) : 0;
        }
        if (id > e->nstems)
            e->nstems = id;
    }
    sqlite3_finalize(q);
    if (rc)
        return rc;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT id, type, stem, stopword, lang, cf"
                           " FROM types",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(e, "reading types");
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const char *t = (const char *)sqlite3_column_text(q, 1);
        size_t tlen = (size_t)sqlite3_column_bytes(q, 1);
        int idx = lang_index(e, (const char *)sqlite3_column_text(q, 4));
        const char *key, *stored;
        size_t klen;
        rc = ensure_type_cap(e, id);
        if (rc == 0)
            rc = opine__grow((void **)&e->type_cf, &e->cap_type_cf,
                             (size_t)id + 1, sizeof(int64_t));
        if (rc == 0) {
            e->type_cf[id] = sqlite3_column_int64(q, 5);
            rc = lang_key(e, idx, t, tlen, &key, &klen);
        }
        if (rc == 0)
            rc = opine__strmap_intern(e->types, key, klen, id, &stored);
        if (rc)
            break;
        e->tv[id].text = stored + (klen - tlen);
        e->tv[id].lang = (uint8_t)idx;
        int64_t stem = sqlite3_column_int64(q, 2);
        /* A stem of another language is no stem for this run. */
        e->tv[id].stem =
            stem > 0 && stem <= e->nstems && e->sv[stem].text ? stem : 0;
        e->tv[id].stop = sqlite3_column_int(q, 3);
        if (e->tv[id].stem)
            rc = type_patterns(e, id);
        if (id > e->ntypes)
            e->ntypes = id;
    }
    sqlite3_finalize(q);
    return rc;
}

/* Stem a type once: find or add its stem and remember it. */
/* URLs, e-mail addresses, @handles and #hashtags (their forms tell them
 * apart: only they hold '@', '#' or "://" or start "www.") are their own
 * stems: a stemmer made for words would only mangle them. t is
 * NUL-terminated. */
static int unstemmed(const char *t, size_t len)
{
    return memchr(t, '@', len) || memchr(t, '#', len) ||
           (len > 4 && memcmp(t, "www.", 4) == 0) || strstr(t, "://") != NULL;
}

static int stem_type(engine *e, int64_t type_id, const char *t, size_t len)
{
    int idx = e->tv[type_id].lang;
    int rc = lang_ready(e, idx);
    if (rc)
        return rc;
    lang_res *l = &e->langs[idx];
    size_t slen = len;
    const char *s =
        unstemmed(t, len) ? t : opine_stemmer_stem(l->stemmer, t, len, &slen);
    const char *key;
    size_t klen;
    if (s == NULL ||
        (rc = lang_key(e, stem_lang(e, idx), s, slen, &key, &klen)))
        return rc ? rc : OPINE_ENOMEM;
    int64_t sid = opine__strmap_get(e->stems, key, klen);
    if (sid == 0) {
        sid = ++e->nstems;
        rc = ensure_stem_cap(e, sid);
        if (rc == 0)
            rc = opine__strmap_intern(e->stems, key, klen, sid,
                                      &e->sv[sid].text);
        if (rc)
            return rc;
        /* sv.text is the key; the stem itself ends it. The row is
         * written with the batch (write_vocab). */
        e->sv[sid].text += klen - slen;
        e->sv[sid].hash =
            slen ? opine_score_stem_hash(e->sv[sid].text, slen) : 0;
        e->sv[sid].lang = (uint8_t)stem_lang(e, idx);
    }
    e->tv[type_id].stem = sid;
    e->tv[type_id].stop = opine_stopwords_has(l->stop, t, len);
    return type_patterns(e, type_id);
}

static int write_vocab(engine *e, const type_info *tv, int64_t types_from,
                       int64_t types_to, const stem_info *sv,
                       int64_t stems_from, int64_t stems_to);

/* Give every type without a stem (left by a tokenize-only run) its stem. */
static int stem_pending_types(engine *e)
{
    sqlite3_stmt *q;
    int rc = 0;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT id, type FROM types WHERE stem IS NULL"
                           " ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(e, "reading types");
    if (opine_store_exec(e->st, "BEGIN IMMEDIATE")) {
        sqlite3_finalize(q);
        return db_fail(e, "starting a transaction");
    }
    int64_t stems_from = e->nstems;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        rc = stem_type(e, id, e->tv[id].text,
                       (size_t)sqlite3_column_bytes(q, 1));
        if (rc == 0) {
            sqlite3_bind_int64(e->set_type_stem, 1, e->tv[id].stem);
            sqlite3_bind_int(e->set_type_stem, 2, e->tv[id].stop);
            sqlite3_bind_int64(e->set_type_stem, 3, id);
            rc = step_done(e, e->set_type_stem, "stemming types");
        }
    }
    sqlite3_finalize(q);
    if (rc == 0)
        rc = write_vocab(e, NULL, 0, 0, e->sv + stems_from + 1, stems_from,
                         e->nstems);
    if (rc == 0 && opine_store_exec(e->st, "COMMIT"))
        rc = db_fail(e, "committing");
    if (rc)
        sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Intern the types of one tokenized document (phase B). */
static int intern_types(engine *e, job *j)
{
    int idx = lang_index(e, j->lang);
    for (size_t i = 0; i < j->toks.n; i++) {
        if (j->types[i])
            continue; /* found in phase A */
        const opine_token *t = &j->toks.v[i];
        const char *s = j->toks.norm + t->norm, *key, *stored;
        size_t klen;
        int rc = lang_key(e, idx, s, t->norm_len, &key, &klen);
        if (rc)
            return rc;
        int64_t id = opine__strmap_get(e->types, key, klen);
        if (id == 0) {
            id = ++e->ntypes;
            if (id > UINT32_MAX)
                return OPINE_ETOOBIG;
            rc = ensure_type_cap(e, id);
            if (rc == 0)
                rc = opine__strmap_intern(e->types, key, klen, id, &stored);
            if (rc)
                return rc;
            e->tv[id].text = stored + (klen - t->norm_len);
            e->tv[id].lang = (uint8_t)idx;
            if (e->flags & DO_STEM)
                rc = stem_type(e, id, e->tv[id].text, t->norm_len);
            if (rc)
                return rc;
        }
        j->types[i] = (uint32_t)id;
    }
    return 0;
}

/* ---- phase B and D ---------------------------------------------------- */

static void bind_opt_text(sqlite3_stmt *q, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

static int same_text(const unsigned char *a, const char *b)
{
    return a && b && strcmp((const char *)a, b) == 0;
}

/* The language a document names in its "lang" or "language" field, when
 * Snowball has it (lowercased, malloc'd), else NULL: the document is then
 * in the database's language, and the field stays in doc_meta as read. */
static char *doc_lang(engine *e, const opine_doc *d)
{
    (void)e;
    for (size_t i = 0; i < d->nmeta; i++) {
        if (strcmp(d->meta[i].key, "lang") != 0 &&
            strcmp(d->meta[i].key, "language") != 0)
            continue;
        const char *v = d->meta[i].value;
        if (v == NULL || *v == '\0' || strlen(v) > 31)
            return NULL;
        char low[32];
        size_t n = 0;
        for (; v[n]; n++)
            low[n] = (char)(v[n] >= 'A' && v[n] <= 'Z' ? v[n] + 32 : v[n]);
        low[n] = '\0';
        for (const char **l = opine_stemmer_languages(); *l; l++)
            if (strcmp(*l, low) == 0)
                return strdup(low);
        return NULL;
    }
    return NULL;
}

/* Phase D: is the record's text new (it gets the next id and is stored),
 * a copy of a document already stored or of an earlier record of this
 * batch (recorded in duplicates), or this very record read again by a
 * later run (skipped)? */
static int classify_document(engine *e, batch *bt, job *j)
{
    opine_doc *d = &j->doc;
    int64_t id = 0;
    int same = 0, rc;
    if (j->twin >= 0 && bt->jobs[j->twin].state == JOB_NEW) {
        id = bt->jobs[j->twin].id; /* stored with this batch */
    } else {
        sqlite3_bind_blob(e->find_doc, 1, j->hash, 16, SQLITE_STATIC);
        rc = sqlite3_step(e->find_doc);
        if (rc == SQLITE_ROW) {
            id = sqlite3_column_int64(e->find_doc, 0);
            same =
                same_text(sqlite3_column_text(e->find_doc, 1), d->source) &&
                (uint64_t)sqlite3_column_int64(e->find_doc, 2) == d->position;
        }
        sqlite3_reset(e->find_doc);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return db_fail(e, "looking for a stored copy");
    }
    if (id == 0) {
        j->id = ++e->last_doc;
        j->state = JOB_NEW;
        e->counts.documents++;
        return 0;
    }
    j->id = id;
    if (same) {
        j->state = JOB_SKIP;
        e->counts.skipped++;
        return 0;
    }
    sqlite3_bind_int64(e->ins_dup, 1, j->id);
    sqlite3_bind_text(e->ins_dup, 2, d->source ? d->source : "", -1,
                      SQLITE_STATIC);
    sqlite3_bind_int64(e->ins_dup, 3, (sqlite3_int64)d->position);
    bind_opt_text(e->ins_dup, 4, d->ext_id);
    sqlite3_bind_int64(e->ins_dup, 5, e->run_id);
    if ((rc = step_done(e, e->ins_dup, "recording a duplicate")))
        return rc;
    if (sqlite3_changes(e->db) == 1) {
        j->state = JOB_DUP;
        e->counts.duplicates++;
    } else {
        j->state = JOB_SKIP;
        e->counts.skipped++;
    }
    return 0;
}

/* A job's content hash and index, to sort a batch by text. */
struct hashed {
    unsigned char hash[16];
    int job;
};

static int cmp_hashed(const void *a, const void *b)
{
    const struct hashed *x = a, *y = b;
    int c = memcmp(x->hash, y->hash, 16);
    return c ? c : (x->job > y->job) - (x->job < y->job);
}

/* Mark each job whose text an earlier job of the batch has (its twin). */
static int find_twins(engine *e, batch *bt)
{
    if (opine__grow((void **)&e->order, &e->cap_order, bt->njobs + 1,
                    sizeof(struct hashed)))
        return OPINE_ENOMEM;
    for (size_t i = 0; i < bt->njobs; i++) {
        memcpy(e->order[i].hash, bt->jobs[i].hash, 16);
        e->order[i].job = (int)i;
        bt->jobs[i].twin = -1;
    }
    qsort(e->order, bt->njobs, sizeof(struct hashed), cmp_hashed);
    for (size_t i = 1; i < bt->njobs; i++) {
        const struct hashed *prev = &e->order[i - 1];
        if (memcmp(prev->hash, e->order[i].hash, 16) == 0) {
            int first = bt->jobs[prev->job].twin;
            bt->jobs[e->order[i].job].twin = first >= 0 ? first : prev->job;
        }
    }
    return 0;
}

/* Room for n values of the rows' blob columns in e->blobs. */
static int blobs_fit(engine *e, size_t n)
{
    return opine__grow((void **)&e->blobs, &e->cap_blobs, n,
                       sizeof(opine_rows_blob));
}

/* Phase D: the batch's new documents, then their metadata: one INSERT ...
 * SELECT each, from the documents' own fields and buffers. */
static int insert_documents(engine *e, batch *bt)
{
    size_t n = 0, nmeta = 0;
    for (size_t i = 0; i < bt->njobs; i++)
        if (bt->jobs[i].state == JOB_NEW) {
            n++;
            nmeta += bt->jobs[i].doc.nmeta;
        }
    if (n == 0)
        return 0;
    if (rowbuf_fit(e, 14 * n > 3 * nmeta ? 14 * n : 3 * nmeta) ||
        blobs_fit(e, 2 * n))
        return OPINE_ENOMEM;
    int64_t *p = e->rowbuf;
    opine_rows_blob *b = e->blobs;
    for (size_t i = 0; i < bt->njobs; i++) {
        job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        const opine_doc *d = &j->doc;
        b[0] = (opine_rows_blob){j->hash, 16};
        b[1] = (opine_rows_blob){j->body, j->body_len};
        *p++ = j->id;
        *p++ = opine__rows_blob(&b[0]);
        *p++ = opine__rows_text(d->ext_id);
        *p++ = opine__rows_text(d->source);
        *p++ = (int64_t)d->position; /* 0: none */
        *p++ = opine__rows_text(d->title);
        *p++ = opine__rows_text(d->author);
        *p++ = opine__rows_text(d->outlet);
        *p++ = opine__rows_text(d->published);
        *p++ = opine__rows_text(d->url);
        *p++ = (int64_t)d->text_len;
        *p++ = e->run_id;
        *p++ = opine__rows_blob(&b[1]);
        *p++ = opine__rows_text(j->lang); /* doc_lang(), in phase A */
        b += 2;
    }
    int rc = step_rows(e, e->ins_docs, e->docs_rows, n, "storing documents");
    p = e->rowbuf;
    for (size_t i = 0; rc == 0 && i < bt->njobs; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        for (size_t k = 0; k < j->doc.nmeta; k++) {
            *p++ = j->id;
            *p++ = opine__rows_text(j->doc.meta[k].key);
            *p++ = opine__rows_text(j->doc.meta[k].value);
        }
    }
    if (rc == 0)
        rc =
            step_rows(e, e->ins_metas, e->meta_rows, nmeta, "storing metadata");
    for (size_t i = 0; i < bt->njobs; i++)
        if (bt->jobs[i].state == JOB_NEW) {
            free(bt->jobs[i].body); /* stored: not needed again */
            bt->jobs[i].body = NULL;
        }
    return rc;
}

/* The batch's token streams: one INSERT ... SELECT. */
static int insert_streams(engine *e, batch *bt)
{
    size_t n = 0;
    for (size_t i = 0; i < bt->njobs; i++)
        n += bt->jobs[i].state == JOB_NEW;
    if (n == 0)
        return 0;
    if (rowbuf_fit(e, 4 * n) || blobs_fit(e, n))
        return OPINE_ENOMEM;
    int64_t *p = e->rowbuf;
    opine_rows_blob *b = e->blobs;
    for (size_t i = 0; i < bt->njobs; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        *b = (opine_rows_blob){j->stream, j->stream_len};
        *p++ = j->id;
        *p++ = (int64_t)j->ntokens;
        *p++ = j->nsentences;
        *p++ = opine__rows_blob(b++);
    }
    return step_rows(e, e->ins_streams, e->stream_rows, n, "storing tokens");
}

/* Phase D: the types and stems a batch added to the vocabulary, ids
 * from+1 to `to`, from copies of their entries (tv[0] is type from+1); the
 * texts live in the maps' arenas, which never move. */
static int write_vocab(engine *e, const type_info *tv, int64_t types_from,
                       int64_t types_to, const stem_info *sv,
                       int64_t stems_from, int64_t stems_to)
{
    size_t ns = (size_t)(stems_to - stems_from),
           nt = (size_t)(types_to - types_from);
    if (rowbuf_fit(e, 5 * (ns > nt ? ns : nt) + 1))
        return OPINE_ENOMEM;
    for (size_t i = 0; i < ns; i++) {
        e->rowbuf[3 * i] = stems_from + 1 + (int64_t)i;
        e->rowbuf[3 * i + 1] = opine__rows_text(sv[i].text);
        e->rowbuf[3 * i + 2] =
            opine__rows_text(sv[i].lang ? e->langs[sv[i].lang].name : e->lang);
    }
    int rc = step_rows(e, e->ins_stem, e->new_stem_rows, ns, "adding stems");
    for (size_t i = 0; rc == 0 && i < nt; i++) {
        e->rowbuf[5 * i] = types_from + 1 + (int64_t)i;
        e->rowbuf[5 * i + 1] = opine__rows_text(tv[i].text);
        e->rowbuf[5 * i + 2] = tv[i].stem;
        e->rowbuf[5 * i + 3] = tv[i].stop;
        e->rowbuf[5 * i + 4] = opine__rows_text(e->langs[tv[i].lang].name);
    }
    if (rc == 0)
        rc = step_rows(e, e->ins_type, e->new_type_rows, nt, "adding types");
    return rc;
}

/* The batch's doc_scores rows with one INSERT ... SELECT. */
static int store_batch_scores(engine *e, const batch *bt)
{
    size_t n = 0;
    for (size_t i = 0; i < bt->njobs; i++)
        if (bt->jobs[i].state == JOB_NEW)
            n += bt->jobs[i].scores.nthemes;
    if (rowbuf_fit(e, 10 * n + 1))
        return OPINE_ENOMEM;
    int64_t *p = e->rowbuf;
    const double none = NAN;
    for (size_t i = 0; i < bt->njobs; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        for (size_t t = 0; t < j->scores.nthemes; t++) {
            const opine_theme_score *ts = &j->scores.themes[t];
            *p++ = j->id;
            *p++ = e->theme_ids[t];
            *p++ = ts->mentions;
            *p++ = opine__rows_real(ts->salience);
            *p++ = opine__rows_real(ts->positive);
            *p++ = opine__rows_real(ts->negative);
            *p++ = ts->evidence;
            *p++ = opine__rows_real(ts->has_stance ? ts->stance : none);
            *p++ = opine__rows_real(ts->has_stance ? ts->lo : none);
            *p++ = opine__rows_real(ts->has_stance ? ts->hi : none);
        }
    }
    return step_rows(e, e->ins_score, e->score_rows, n, "storing scores");
}

/* A document's evidence rows (its doc_scores go with the batch's). */
static int store_evidence(engine *e, job *j)
{
    int rc = 0;
    const opine_scores *sc = &j->scores;
    for (size_t i = 0; rc == 0 && i < sc->nev; i++) {
        const opine_evidence *ev = &sc->ev[i];
        sqlite3_stmt *q = e->ins_evidence;
        sqlite3_bind_int64(q, 1, j->id);
        sqlite3_bind_int64(q, 2, e->theme_ids[ev->theme]);
        sqlite3_bind_int64(q, 3, ev->sentence);
        sqlite3_bind_int64(q, 4, ev->start);
        sqlite3_bind_int64(q, 5, ev->end);
        sqlite3_bind_text(q, 6,
                          ev->cue ? ev->cue
                                  : opine_model_term(e->model, ev->term)->text,
                          -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 7, ev->polarity);
        sqlite3_bind_double(q, 8, ev->weight);
        sqlite3_bind_int(q, 9, ev->negated);
        rc = step_done(e, q, "storing evidence");
    }
    return rc;
}

/* The batch's progress marks (stage_done) and, when stemmed, document
 * lengths: one INSERT ... SELECT each, every stage's marks in document
 * order. */
static int store_marks(engine *e, const batch *bt)
{
    size_t n = 0;
    if (rowbuf_fit(e, 3 * bt->njobs + 1))
        return OPINE_ENOMEM;
    for (size_t i = 0; i < bt->njobs; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        e->rowbuf[3 * n] = j->id;
        e->rowbuf[3 * n + 1] = (int64_t)j->counted;
        e->rowbuf[3 * n + 2] = (int64_t)j->nterms;
        n++;
    }
    const char *stages[3] = {NULL, NULL, NULL};
    int k = 0;
    if (e->flags & DO_TOKENIZE)
        stages[k++] = "tokenize";
    if (e->flags & DO_STEM)
        stages[k++] = "stem";
    if (e->flags & DO_SCORE)
        stages[k++] = e->score_stage;
    int rc = 0;
    for (int i = 0; rc == 0 && i < k; i++) {
        sqlite3_bind_text(e->ins_done, 1, stages[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(e->ins_done, 2, e->run_id);
        rc = step_rows(e, e->ins_done, e->doc_rows, n, "marking progress");
    }
    if (rc == 0 && (e->flags & DO_STEM))
        rc = step_rows(e, e->ins_length, e->doc_rows, n, "storing lengths");
    return rc;
}

/* The batch's (doc, stem, tf) rows with one INSERT ... SELECT. They come
 * in primary-key order (documents in id order, stems sorted within each),
 * so every row lands at the end of the b-tree. */
static int insert_terms(engine *e, const batch *bt)
{
    size_t n = 0;
    for (size_t i = 0; i < bt->njobs; i++)
        if (bt->jobs[i].state == JOB_NEW)
            n += bt->jobs[i].nterms;
    if (rowbuf_fit(e, 3 * n))
        return OPINE_ENOMEM;
    int64_t *p = e->rowbuf;
    for (size_t i = 0; i < bt->njobs; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        for (size_t k = 0; k < j->nterms; k++) {
            *p++ = j->id;
            *p++ = j->terms[2 * k];
            *p++ = j->terms[2 * k + 1];
        }
    }
    return step_rows(e, e->ins_terms, e->terms_rows, n, "storing term counts");
}

static int store_results(engine *e, job *j)
{
    int rc = 0;
    if (e->flags & DO_STEM) {
        /* fit_adds() made room for every id the batch can hold */
        for (size_t i = 0; i < j->nterms; i++) {
            uint32_t s = j->terms[2 * i], tf = j->terms[2 * i + 1];
            if (e->freq_stems[s].df++ == 0)
                e->touched_stems[e->ntouched_stems++] = s;
            e->freq_stems[s].cf += tf;
        }
        for (size_t i = 0; i < j->ntokens; i++) {
            uint32_t t = j->types[i];
            if (e->freq_type_cf[t]++ == 0)
                e->touched_types[e->ntouched_types++] = t;
        }
    }
    if (e->flags & DO_SCORE)
        rc = store_evidence(e, j);
    return rc;
}

/* The writer's frequency scratch: room for every type and stem id up to
 * the batch's vocabulary, and for each to be touched once. */
static int fit_adds(engine *e, const batch *bt)
{
    size_t nt = (size_t)bt->types_to + 1, ns = (size_t)bt->stems_to + 1;
    return opine__grow((void **)&e->freq_type_cf, &e->cap_freq_types, nt,
                       sizeof(int64_t)) ||
                   opine__grow((void **)&e->type_cf, &e->cap_type_cf, nt,
                               sizeof(int64_t)) ||
                   opine__grow((void **)&e->touched_types,
                               &e->cap_touched_types, nt, sizeof(int64_t)) ||
                   opine__grow((void **)&e->freq_stems, &e->cap_freq_stems, ns,
                               sizeof(stem_freq)) ||
                   opine__grow((void **)&e->touched_stems,
                               &e->cap_touched_stems, ns, sizeof(int64_t))
               ? OPINE_ENOMEM
               : 0;
}

/* Forget what the transaction added (committed, or rolled back). */
static void clear_adds(engine *e)
{
    for (size_t i = 0; i < e->ntouched_stems; i++)
        e->freq_stems[e->touched_stems[i]] = (stem_freq){0, 0};
    for (size_t i = 0; i < e->ntouched_types; i++)
        e->freq_type_cf[e->touched_types[i]] = 0;
    e->ntouched_stems = e->ntouched_types = 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Add the batch's frequencies to terms and types, then clear them: one
 * statement each, in id order so the b-tree is walked forward. */
static int flush_counts(engine *e)
{
    size_t ns = e->ntouched_stems, nt = e->ntouched_types;
    int rc = rowbuf_fit(e, 3 * (ns > nt ? ns : nt));
    if (rc == 0) {
        qsort(e->touched_stems, ns, sizeof(int64_t), cmp_i64);
        for (size_t i = 0; i < ns; i++) {
            int64_t s = e->touched_stems[i];
            e->rowbuf[3 * i] = s;
            e->rowbuf[3 * i + 1] = e->freq_stems[s].df;
            e->rowbuf[3 * i + 2] = e->freq_stems[s].cf;
        }
        rc = step_rows(e, e->add_terms, e->stem_rows, ns, "updating terms");
    }
    if (rc == 0) {
        qsort(e->touched_types, nt, sizeof(int64_t), cmp_i64);
        for (size_t i = 0; i < nt; i++) {
            int64_t t = e->touched_types[i];
            e->rowbuf[2 * i] = t;
            e->rowbuf[2 * i + 1] = e->freq_type_cf[t];
        }
        rc = step_rows(e, e->add_type_cf, e->type_rows, nt, "updating types");
    }
    return rc; /* commit() clears the adds, once it knows their fate */
}

static int job_error(engine *e, job *j, int err)
{
    if (err == OPINE_ENOMEM)
        return err;
    /* A stored body or stream that does not decode: the database is
     * damaged; stop rather than guess. */
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)j->id);
    set_error(e, fmt("document %s: %s", id, opine_strerror(err)));
    return err;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The largest document id stored: new documents get the ids after it. */
static int read_last_doc(engine *e)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db, "SELECT coalesce(max(id), 0) FROM documents",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(e, "reading documents");
    if (sqlite3_step(q) == SQLITE_ROW)
        e->last_doc = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return 0;
}

/* Give up the open transaction (after an error): everything since the
 * last commit is undone, the frequencies it added included. */
static void rollback(engine *e)
{
    sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
    read_last_doc(e); /* the ids the transaction gave out are free again */
    e->in_txn = 0;
    clear_adds(e);
}

static int flush_counts(engine *e);

/* End the open transaction: the frequencies its batches added, the run's
 * counters, COMMIT. */
static int commit(engine *e, const opine_run_counts *counts)
{
    if (!e->in_txn)
        return 0;
    double t0 = now();
    int rc = 0;
    opine__fault("terms");
    if (e->flags & DO_STEM)
        rc = flush_counts(e);
    if (rc == 0 && opine_run_update(e->st, e->run_id, counts))
        rc = db_fail(e, "updating the run");
    double t1 = now();
    e->t_write += t1 - t0;
    if (rc == 0)
        opine__fault("commit");
    if (rc == 0 && opine_store_exec(e->st, "COMMIT"))
        rc = db_fail(e, "committing");
    if (rc == 0)
        opine__fault("committed");
    if (rc) {
        rollback(e);
    } else {
        /* The types' frequencies as the database now holds them. */
        for (size_t i = 0; i < e->ntouched_types; i++)
            e->type_cf[e->touched_types[i]] +=
                e->freq_type_cf[e->touched_types[i]];
        clear_adds(e);
    }
    e->in_txn = 0;
    e->t_commit += now() - t1;
    return rc;
}

/* Phase A: parallel work that needs no database. */
static int batch_prepare(engine *e)
{
    double t0 = now();
    parallel_jobs(e, work_prepare);
    e->t_prepare += now() - t0;
    for (size_t i = 0; i < e->b.njobs; i++)
        if (e->b.jobs[i].err)
            return job_error(e, &e->b.jobs[i], e->b.jobs[i].err);
    return 0;
}

/* Phases B and C: intern the batch's new types in document order (stemming
 * each once) and copy them for phase D, then the parallel finishing work.
 * Needs no database: phase D decides which documents are new. */
static int batch_vocab(engine *e)
{
    batch *bt = &e->b;
    int rc = 0;
    double t1 = now();
    bt->types_from = e->ntypes;
    bt->stems_from = e->nstems;
    for (size_t i = 0; rc == 0 && i < bt->njobs; i++)
        if (e->flags & DO_TOKENIZE)
            rc = intern_types(e, &bt->jobs[i]);
    bt->types_to = e->ntypes;
    bt->stems_to = e->nstems;
    size_t nt = (size_t)(bt->types_to - bt->types_from),
           ns = (size_t)(bt->stems_to - bt->stems_from);
    if (rc == 0 && nt) {
        bt->new_types = malloc(nt * sizeof(type_info));
        if (bt->new_types == NULL)
            rc = OPINE_ENOMEM;
        else
            memcpy(bt->new_types, e->tv + bt->types_from + 1,
                   nt * sizeof(type_info));
    }
    if (rc == 0 && ns) {
        bt->new_stems = malloc(ns * sizeof(stem_info));
        if (bt->new_stems == NULL)
            rc = OPINE_ENOMEM;
        else
            memcpy(bt->new_stems, e->sv + bt->stems_from + 1,
                   ns * sizeof(stem_info));
    }
    double t2 = now();
    e->t_vocab += t2 - t1;
    if (rc == 0) {
        parallel_jobs(e, work_finish);
        for (size_t i = 0; rc == 0 && i < bt->njobs; i++)
            if (bt->jobs[i].err)
                rc = job_error(e, &bt->jobs[i], bt->jobs[i].err);
    }
    e->t_finish += now() - t2;
    return rc;
}

/* Phase D, on the writer thread (or the only one): open a transaction
 * when none is, decide which documents are new (ingest), write the
 * batch's rows, and commit when the transaction holds commit_bytes of
 * text or `last` says so. It owns the connection, the counters and the
 * frequency scratch while it runs; the batch's vocabulary comes as
 * copies, so phase B of the next batch may run meanwhile. */
static int batch_write(engine *e, batch *bt, int last)
{
    int rc = 0;
    double t3 = now();
    if (!e->in_txn) {
        if (opine_store_exec(e->st, "BEGIN IMMEDIATE"))
            return db_fail(e, "starting a transaction");
        e->in_txn = 1;
        e->txn_bytes = 0;
    }
    e->counts.records += bt->records;
    e->counts.rejected += (int64_t)bt->nrejects;
    for (size_t i = 0; i < bt->njobs; i++) {
        /* text (ingest, tokenize) or token streams (stem, score) */
        const job *j = &bt->jobs[i];
        e->txn_bytes += j->text_len ? j->text_len : j->blob_in_len;
    }
    if (e->flags & DO_INGEST) {
        rc = find_twins(e, bt);
        for (size_t i = 0; rc == 0 && i < bt->njobs; i++)
            rc = classify_document(e, bt, &bt->jobs[i]);
    }
    if (rc == 0 && (e->flags & DO_STEM))
        rc = fit_adds(e, bt);
    if (rc == 0)
        rc = write_vocab(e, bt->new_types, bt->types_from, bt->types_to,
                         bt->new_stems, bt->stems_from, bt->stems_to);
    if (rc == 0 && (e->flags & DO_INGEST))
        rc = insert_documents(e, bt);
    if (rc == 0 && (e->flags & DO_TOKENIZE))
        rc = insert_streams(e, bt);
    if (rc == 0)
        opine__fault("batch");
    for (size_t i = 0; rc == 0 && i < bt->njobs; i++)
        if (bt->jobs[i].state == JOB_NEW)
            rc = store_results(e, &bt->jobs[i]);
    if (rc == 0 && (e->flags & DO_SCORE))
        rc = store_batch_scores(e, bt);
    if (rc == 0 && (e->flags & DO_STEM))
        rc = insert_terms(e, bt);
    if (rc == 0)
        rc = store_marks(e, bt);
    for (size_t i = 0; rc == 0 && i < bt->nrejects; i++) {
        reject *r = &bt->rejects[i];
        if (opine_run_reject(e->st, e->run_id, r->source, r->position,
                             r->message))
            rc = db_fail(e, "recording a rejected record");
    }
    e->t_write += now() - t3;
    size_t every = e->o->commit_bytes ? e->o->commit_bytes : 64u << 20;
    if (rc == 0 && (last || e->txn_bytes >= every))
        rc = commit(e, &e->counts);
    if (rc && e->in_txn)
        rollback(e);
    return rc;
}

static int process_batch(engine *e)
{
    if (e->b.njobs == 0 && e->b.nrejects == 0)
        return 0;
    int rc = batch_prepare(e);
    if (rc == 0)
        rc = batch_vocab(e);
    if (rc == 0)
        rc = batch_write(e, &e->b, 0);
    return rc;
}

/* ---- the writer thread ------------------------------------------------
 *
 * HOW IT WORKS: with N >= 2 one thread does phase D of every batch, in
 * order, while the main thread prepares the next ones (phases A to C need
 * no database). A prepared batch waits in a queue of one, so the writer
 * seldom waits for phase B or C and memory holds at most four batches
 * (reading, preparing, queued, writing). The writer owns the connection
 * from writer_begin() to writer_end(). */

static void *writer_main(void *arg)
{
    engine *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (e->nqueued == 0 && !e->qdone)
            pthread_cond_wait(&e->queued, &e->mu);
        if (e->nqueued == 0)
            break;
        batch bt = e->queue[e->qhead];
        e->qhead = (e->qhead + 1) % QUEUE;
        e->nqueued--;
        int failed = e->wrc;
        pthread_cond_signal(&e->taken);
        pthread_mutex_unlock(&e->mu);
        int rc = failed ? 0 : batch_write(e, &bt, bt.last);
        atomic_store(&e->docs_written, e->counts.documents);
        batch_free(&bt);
        pthread_mutex_lock(&e->mu);
        if (rc && e->wrc == 0)
            e->wrc = rc;
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

static int writer_begin(engine *e)
{
    if (e->o->threads < 2)
        return 0;
    if (pthread_mutex_init(&e->mu, NULL))
        return OPINE_ENOMEM;
    pthread_cond_init(&e->queued, NULL);
    pthread_cond_init(&e->taken, NULL);
    e->nqueued = e->qhead = e->qdone = e->wrc = 0;
    e->writer_running = 1;
    if (pthread_create(&e->writer, NULL, writer_main, e) != 0) {
        e->writer_running = 0;
        pthread_cond_destroy(&e->queued);
        pthread_cond_destroy(&e->taken);
        pthread_mutex_destroy(&e->mu);
    }
    return 0;
}

/* Hand the prepared batch to the writer (waiting while the queue is full),
 * or write it here with -j 1. Returns the writer's first error, if any. */
static int writer_put(engine *e, int last)
{
    e->b.last = last;
    if (!e->writer_running) {
        int rc = batch_write(e, &e->b, last);
        atomic_store(&e->docs_written, e->counts.documents);
        batch_free(&e->b);
        return rc;
    }
    pthread_mutex_lock(&e->mu);
    while (e->nqueued == QUEUE)
        pthread_cond_wait(&e->taken, &e->mu);
    e->queue[(e->qhead + e->nqueued) % QUEUE] = e->b;
    e->nqueued++;
    int rc = e->wrc;
    pthread_cond_signal(&e->queued);
    pthread_mutex_unlock(&e->mu);
    memset(&e->b, 0, sizeof(e->b));
    return rc;
}

/* The writer's first error so far (0 while all is well). */
static int writer_error(engine *e)
{
    if (!e->writer_running)
        return 0;
    pthread_mutex_lock(&e->mu);
    int rc = e->wrc;
    pthread_mutex_unlock(&e->mu);
    return rc;
}

/* Let the writer finish what is queued and stop; the connection is the
 * caller's again. */
static int writer_end(engine *e)
{
    if (!e->writer_running)
        return 0;
    pthread_mutex_lock(&e->mu);
    e->qdone = 1;
    pthread_cond_signal(&e->queued);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->writer, NULL);
    e->writer_running = 0;
    pthread_cond_destroy(&e->queued);
    pthread_cond_destroy(&e->taken);
    pthread_mutex_destroy(&e->mu);
    return e->wrc;
}

/* ---- setting up ------------------------------------------------------- */

/* A yes/no setting results depend on, fixed per database like the
 * tokenizer: asked = -1 (not asked: the database's, or no), 0 or 1. */
static int setting(engine *e, const char *key, int asked, int *value)
{
    char *have = opine_store_meta_get(e->st, key);
    int rc = 0;
    *value = asked >= 0 ? asked : have ? atoi(have) : 0;
    if (have && atoi(have) != *value) {
        char what[96];
        snprintf(what, sizeof what, "%s = %s", key, have);
        e->errmsg = fmt("'%s' was tokenized with %s; use a new database"
                        " to change it",
                        opine_store_path(e->st), what);
        rc = OPINE_EUSAGE;
    } else if (!have &&
               opine_store_meta_set(e->st, key, *value ? "1" : "0") != 0) {
        rc = db_fail(e, "recording a setting");
    }
    free(have);
    return rc;
}

/* The stop list is the database's once it has one: documents stemmed with
 * different lists would not be comparable. Not asked for, a new database
 * takes its language's list, or none for a language without one. */
static int load_stopwords(engine *e)
{
    char *have = opine_store_meta_get(e->st, "stopwords");
    const char *want = e->o->stopwords ? e->o->stopwords : have;
    char *msg = NULL;
    int rc = opine_stopwords_load(&e->langs[0].stop, want ? want : "default",
                                  e->lang, &msg);
    if (rc == OPINE_ELANG && want == NULL) {
        free(msg);
        msg = NULL;
        rc = opine_stopwords_load(&e->langs[0].stop, "none", e->lang, &msg);
    }
    if (rc == 0 && have &&
        strcmp(have, opine_stopwords_name(e->langs[0].stop)) != 0) {
        msg = fmt("'%s' is stemmed with stop words '%s'; use a new database"
                  " for another list",
                  opine_store_path(e->st), have);
        rc = OPINE_EUSAGE;
    }
    if (rc == 0 && have == NULL &&
        opine_store_meta_set(e->st, "stopwords",
                             opine_stopwords_name(e->langs[0].stop)) != 0)
        rc = db_fail(e, "recording the stop words");
    if (msg && e->errmsg == NULL)
        e->errmsg = msg;
    else
        free(msg);
    free(have);
    return rc;
}

/* Find or store the model's row and its themes' rows. A model is known by
 * name and version; the same pair with another text is refused, so scores
 * always say which model made them. */
static int register_model(engine *e)
{
    opine_model *m = e->model;
    sqlite3_stmt *q;
    int rc = 0;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT id, hash FROM models"
                           " WHERE name = ? AND version = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(e, "reading models");
    sqlite3_bind_text(q, 1, opine_model_name(m), -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, opine_model_version(m));
    if (sqlite3_step(q) == SQLITE_ROW) {
        e->model_id = sqlite3_column_int64(q, 0);
        if (strcmp((const char *)sqlite3_column_text(q, 1),
                   opine_model_hash(m)) != 0) {
            char v[16];
            snprintf(v, sizeof v, "%d", opine_model_version(m));
            e->errmsg = fmt("model '%s' version %s is already stored with"
                            " other contents; give the changed model a new"
                            " version to rescore with it",
                            opine_model_name(m), v);
            rc = OPINE_EUSAGE;
        }
    }
    sqlite3_finalize(q);
    size_t nthemes = opine_model_nthemes(m);
    e->theme_ids = calloc(nthemes + 1, sizeof(int64_t));
    if (rc || e->theme_ids == NULL)
        return rc ? rc : OPINE_ENOMEM;
    if (opine_store_exec(e->st, "BEGIN IMMEDIATE"))
        return db_fail(e, "starting a transaction");
    if (e->model_id == 0) {
        char now[32];
        opine_store_now(now);
        if (sqlite3_prepare_v2(e->db,
                               "INSERT INTO models(name, version, hash,"
                               " language, window, negation_scope, prior,"
                               " interval, text, loaded)"
                               " VALUES(?,?,?,?,?,?,?,?,?,?)",
                               -1, &q, NULL) != SQLITE_OK)
            goto fail; /* never leave the transaction open */
        sqlite3_bind_text(q, 1, opine_model_name(m), -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, opine_model_version(m));
        sqlite3_bind_text(q, 3, opine_model_hash(m), -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, e->lang, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 5, opine_model_window(m));
        sqlite3_bind_int(q, 6, opine_model_negation_scope(m));
        sqlite3_bind_double(q, 7, opine_model_prior(m));
        sqlite3_bind_double(q, 8, opine_model_interval(m));
        sqlite3_bind_text(q, 9, opine_model_text(m), -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 10, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
        sqlite3_finalize(q);
        if (rc)
            goto fail;
        e->model_id = sqlite3_last_insert_rowid(e->db);
    }
    if (sqlite3_prepare_v2(e->db,
                           "INSERT INTO themes(model, theme, label, positive,"
                           " negative) VALUES(?1,?2,?3,?4,?5)"
                           " ON CONFLICT(model, theme) DO UPDATE"
                           " SET label = ?3 RETURNING id",
                           -1, &q, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; rc == 0 && i < nthemes; i++) {
        const opine_theme_info *t = opine_model_theme(m, i);
        sqlite3_bind_int64(q, 1, e->model_id);
        sqlite3_bind_text(q, 2, t->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, t->label, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, t->positive, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, t->negative, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW)
            e->theme_ids[i] = sqlite3_column_int64(q, 0);
        else
            rc = OPINE_EDB;
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    if (rc || opine_store_exec(e->st, "COMMIT"))
        goto fail;
    snprintf(e->score_stage, sizeof e->score_stage, "score:%lld",
             (long long)e->model_id);
    return 0;
fail:
    db_fail(e, "storing the model");
    sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
    return OPINE_EDB;
}

static int engine_init(engine *e, opine_store *st, const opine_engine_opts *o,
                       int flags)
{
    memset(e, 0, sizeof(*e));
    e->st = st;
    e->db = opine_store_db(st);
    e->o = o;
    e->flags = flags;
    /* The database's language, once it has one, is the language. */
    e->lang_owned = opine_store_meta_get(st, "language");
    if (e->lang_owned && o->lang && strcmp(e->lang_owned, o->lang) != 0) {
        e->errmsg = fmt("'%s' is stemmed in '%s'; stem another language"
                        " into a new database",
                        opine_store_path(st), e->lang_owned);
        return OPINE_ELANG;
    }
    e->lang = e->lang_owned ? e->lang_owned : o->lang ? o->lang : "english";
    int rc = 0;
    if (flags & DO_TOKENIZE) {
        /* Like the language, the tokenizer is the database's once chosen:
         * mixing two would make term counts incomparable. */
        char *have = opine_store_meta_get(st, "tokenizer");
        const char *want = o->tokenizer ? o->tokenizer
                           : have       ? have
                                        : "default";
        if (strcmp(want, "default") != 0 && strcmp(want, "uax29") != 0) {
            e->errmsg =
                fmt("unknown tokenizer '%s'%s (default or uax29)", want, "");
            rc = OPINE_EUSAGE;
        } else if (have && strcmp(have, want) != 0) {
            e->errmsg = fmt("'%s' is tokenized with the %s tokenizer; use a"
                            " new database for another",
                            opine_store_path(st), have);
            rc = OPINE_EUSAGE;
        } else if (!have && opine_store_meta_set(st, "tokenizer", want)) {
            rc = db_fail(e, "recording the tokenizer");
        }
        e->strict = strcmp(want, "uax29") == 0;
        free(have);
        if (rc == 0)
            rc = setting(e, "fold_diacritics", o->fold_diacritics, &e->fold);
        if (rc)
            return rc;
    }
    if (flags & DO_SCORE) {
        e->model = o->model;
        if ((rc = opine_model_compile(e->model, e->lang, &e->errmsg)) ||
            (rc = register_model(e)))
            return rc;
    }
    e->langs[0].name = strdup("");
    e->langs[0].as_default = 1;
    e->nlangs = 1;
    if (e->langs[0].name == NULL)
        return OPINE_ENOMEM;
    if (flags & DO_STEM) {
        if ((rc = load_stopwords(e)))
            return rc;
        rc = opine_stemmer_new(&e->langs[0].stemmer, e->lang);
        if (rc == OPINE_ELANG) {
            e->errmsg = fmt("unknown language '%s'%s (see 'opine stem"
                            " --list-languages')",
                            e->lang, "");
            return rc;
        }
        if (rc)
            return rc;
    }
    if ((rc = load_vocab(e)) || (rc = read_last_doc(e)))
        return rc;
    if ((rc = opine__rows_register(e->db, OPINE__BATCH_TERMS, "doc, stem, tf",
                                   "iii", &e->terms_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_stems", "stem, df, cf",
                                   "iii", &e->stem_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_types", "id, cf", "ii",
                                   &e->type_rows)) ||
        (rc =
             opine__rows_register(e->db, "opine_batch_docs",
                                  "doc, tokens, terms", "iii", &e->doc_rows)) ||
        (rc = opine__rows_register(e->db, "opine_new_types",
                                   "id, type, stem, stopword, lang", "itnit",
                                   &e->new_type_rows)) ||
        (rc = opine__rows_register(e->db, "opine_new_stems", "id, stem, lang",
                                   "itt", &e->new_stem_rows)) ||
        (rc = opine__rows_register(e->db, "opine_surfaces", "id, surface", "it",
                                   &e->surface_rows)) ||
        (rc = opine__rows_register(
             e->db, "opine_batch_documents",
             "id, hash, ext_id, source, position, title, author, outlet,"
             " published, url, bytes, run, body, lang",
             "ibttntttttiibt", &e->docs_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_meta", "doc, key, value",
                                   "itt", &e->meta_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_streams",
                                   "doc, tokens, sentences, stream", "iiib",
                                   &e->stream_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_scores",
                                   "doc, theme, mentions, salience, positive,"
                                   " negative, evidence, stance, lo, hi",
                                   "iiirrrirrr", &e->score_rows)))
        return rc == OPINE_EDB ? db_fail(e, "preparing statements") : rc;
    if ((rc =
             prepare(e, &e->ins_docs,
                     "INSERT INTO documents(id, hash, ext_id, source, position,"
                     " title, author, outlet, published, url, bytes, run,"
                     " body, lang) SELECT id, hash, ext_id, source, position,"
                     " title, author, outlet, published, url, bytes, run,"
                     " body, lang FROM opine_batch_documents")) ||
        (rc = prepare(e, &e->find_doc,
                      "SELECT id, source, position FROM documents"
                      " WHERE hash = ?")) ||
        (rc = prepare(e, &e->ins_dup,
                      "INSERT OR IGNORE INTO duplicates(doc, source,"
                      " position, ext_id, run) VALUES(?,?,?,?,?)")) ||
        (rc = prepare(e, &e->ins_metas,
                      "INSERT OR REPLACE INTO doc_meta(doc, key, value)"
                      " SELECT doc, key, value FROM opine_batch_meta")) ||
        (rc = prepare(e, &e->set_surfaces,
                      "UPDATE stems SET surface = v.surface FROM opine_surfaces"
                      " v WHERE stems.id = v.id"
                      " AND stems.surface IS NOT v.surface")) ||
        (rc = prepare(e, &e->ins_type,
                      "INSERT INTO types(id, type, stem, stopword, lang)"
                      " SELECT id, type, stem, stopword, lang"
                      " FROM opine_new_types")) ||
        (rc =
             prepare(e, &e->set_type_stem,
                     "UPDATE types SET stem = ?, stopword = ? WHERE id = ?")) ||
        (rc = prepare(e, &e->ins_stem,
                      "INSERT INTO stems(id, stem, lang)"
                      " SELECT id, stem, lang FROM opine_new_stems")) ||
        (rc = prepare(e, &e->ins_streams,
                      "INSERT INTO doc_tokens(doc, tokens, sentences,"
                      " stream) SELECT doc, tokens, sentences, stream"
                      " FROM opine_batch_streams")) ||
        (rc = prepare(e, &e->ins_terms, OPINE__INSERT_DOC_TERMS)) ||
        (rc = prepare(e, &e->ins_done,
                      "INSERT INTO stage_done(stage, doc, run)"
                      " SELECT ?1, doc, ?2 FROM opine_batch_docs")) ||
        (rc = prepare(e, &e->add_terms,
                      "INSERT INTO terms(stem, df, cf)"
                      " SELECT stem, df, cf FROM opine_batch_stems WHERE 1"
                      " ON CONFLICT(stem) DO UPDATE"
                      " SET df = df + excluded.df, cf = cf + excluded.cf")) ||
        (rc = prepare(e, &e->add_type_cf,
                      "UPDATE types SET cf = types.cf + d.cf"
                      " FROM opine_batch_types AS d WHERE types.id = d.id")) ||
        (rc = prepare(e, &e->ins_score,
                      "INSERT INTO doc_scores(doc, theme, mentions,"
                      " salience, positive, negative, evidence, stance, lo,"
                      " hi) SELECT doc, theme, mentions, salience, positive,"
                      " negative, evidence, stance, lo, hi"
                      " FROM opine_batch_scores")) ||
        (rc = prepare(e, &e->ins_evidence,
                      "INSERT INTO evidence(doc, theme, sentence,"
                      " span_start, span_end, cue, polarity, weight,"
                      " negated) VALUES(?,?,?,?,?,?,?,?,?)")) ||
        (rc = prepare(e, &e->ins_length,
                      "INSERT INTO doc_lengths(doc, tokens, terms)"
                      " SELECT doc, tokens, terms FROM opine_batch_docs")))
        return rc;
    if ((flags & DO_STEM) && opine_store_meta_set(st, "language", e->lang) != 0)
        return db_fail(e, "recording the language");
    return 0;
}

static void engine_release(engine *e)
{
    batch_free(&e->b);
    sqlite3_stmt *all[] = {
        e->ins_docs,  e->find_doc,      e->ins_dup,    e->ins_metas,
        e->ins_type,  e->set_type_stem, e->ins_stem,   e->ins_streams,
        e->ins_terms, e->ins_done,      e->add_terms,  e->add_type_cf,
        e->ins_score, e->ins_evidence,  e->ins_length, e->set_surfaces};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    free(e->rowbuf);
    free(e->blobs);
    free(e->order);
    opine__strmap_free(e->types);
    opine__strmap_free(e->stems);
    free(e->tv);
    free(e->sv);
    free(e->touched_types);
    free(e->touched_stems);
    free(e->freq_type_cf);
    free(e->type_cf);
    free(e->freq_stems);
    free(e->pat_pool);
    free(e->theme_ids);
    free(e->lang_owned);
    for (int i = 0; i < e->nlangs; i++) {
        free(e->langs[i].name);
        opine_stemmer_free(e->langs[i].stemmer);
        opine_stopwords_free(e->langs[i].stop);
    }
    free(e->keybuf);
    for (int i = 0; i < MAX_THREADS; i++) {
        opine_segmenter_free(e->workers[i].words);
        opine_segmenter_free(e->workers[i].sentences);
        free(e->workers[i].count);
        libdeflate_free_compressor(e->workers[i].deflater);
        opine__strmap_cache_free(e->workers[i].types_cache);
        libdeflate_free_decompressor(e->workers[i].inflater);
    }
}

static int stopped(const engine *e)
{
    return e->o->stop && *e->o->stop;
}

static void progress(engine *e, const char *stage, int64_t docs,
                     int64_t pending, const opine_reader *r)
{
    if (e->o->on_progress == NULL)
        return;
    opine_progress p = {.stage = stage, .documents = docs, .pending = pending};
    if (r) {
        p.bytes = opine_reader_bytes_read(r);
        p.bytes_total = opine_reader_bytes_total(r);
    }
    e->o->on_progress(e->o->ctx, &p);
}

/* After a pass: keep what its open transaction holds when the pass ended
 * well or was asked to stop, else undo it. */
static int end_pass(engine *e, int rc)
{
    if (rc == 0 || rc == OPINE_EINTERRUPTED) {
        int crc = commit(e, &e->counts);
        return rc ? rc : crc;
    }
    if (e->in_txn)
        rollback(e);
    return rc;
}

/* One batch of input, read while the previous batch is processed. */
typedef struct inbatch {
    opine_reader *r;
    size_t max_docs, max_bytes;
    opine_doc *docs;
    size_t ndocs, cap;
    reject *rejects;
    size_t nrejects, cap_rejects;
    int64_t records;
    int done;       /* the inputs are exhausted */
    int own_thread; /* read on a thread of its own (read ahead) */
    int err;        /* OPINE_ENOMEM */
    double seconds;
} inbatch;

/* Fill b from its reader (on the reader thread, or the caller's). */
static void *read_batch(void *arg)
{
    inbatch *b = arg;
    if (b->own_thread)
        lower_priority();
    double t0 = now();
    size_t bytes = 0;
    while (b->ndocs < b->max_docs && bytes < b->max_bytes) {
        if (opine__grow((void **)&b->docs, &b->cap, b->ndocs + 1,
                        sizeof(opine_doc))) {
            b->err = OPINE_ENOMEM;
            break;
        }
        opine_doc *d = &b->docs[b->ndocs];
        memset(d, 0, sizeof(*d)); /* its last contents moved to a job */
        int got = opine_reader_next(b->r, d);
        if (got == 0) {
            b->done = 1;
            break;
        }
        b->records++;
        if (got > 0) {
            bytes += d->text_len;
            b->ndocs++;
            continue;
        }
        if (got == OPINE_ENOMEM ||
            opine__grow((void **)&b->rejects, &b->cap_rejects, b->nrejects + 1,
                        sizeof(reject))) {
            b->err = OPINE_ENOMEM;
            break;
        }
        reject *x = &b->rejects[b->nrejects++];
        const char *src = opine_reader_error_source(b->r);
        x->source = strdup(src ? src : "");
        x->position = opine_reader_error_position(b->r);
        x->message = strdup(opine_reader_error(b->r));
        if (x->source == NULL || x->message == NULL) {
            b->err = OPINE_ENOMEM;
            break;
        }
    }
    b->seconds = now() - t0;
    return NULL;
}

/* Move a read batch into the engine's jobs and rejects. */
static int take_batch(engine *e, inbatch *b)
{
    if (opine__grow((void **)&e->b.jobs, &e->b.cap_jobs, b->ndocs,
                    sizeof(job)) ||
        opine__grow((void **)&e->b.rejects, &e->b.cap_rejects, b->nrejects,
                    sizeof(reject)))
        return OPINE_ENOMEM;
    for (size_t i = 0; i < b->ndocs; i++) {
        memset(&e->b.jobs[i], 0, sizeof(job));
        e->b.jobs[i].doc = b->docs[i];
    }
    e->b.njobs = b->ndocs;
    if (b->nrejects)
        memcpy(e->b.rejects, b->rejects, b->nrejects * sizeof(reject));
    e->b.nrejects = b->nrejects;
    e->b.records = b->records; /* counted by phase D */
    for (size_t i = 0; e->o->on_reject && i < b->nrejects; i++)
        e->o->on_reject(e->o->ctx, b->rejects[i].message);
    e->t_read += b->seconds;
    b->ndocs = b->nrejects = 0;
    b->records = 0;
    return 0;
}

static void inbatch_release(inbatch *b)
{
    for (size_t i = 0; i < b->ndocs; i++)
        opine_doc_release(&b->docs[i]);
    for (size_t i = 0; i < b->nrejects; i++) {
        free(b->rejects[i].source);
        free(b->rejects[i].message);
    }
    free(b->docs);
    free(b->rejects);
}

/* Read batches from the inputs until they are exhausted. HOW IT WORKS: two
 * batches take turns: while the engine processes one, a reader thread
 * fills the other (inflating and parsing overlap the rest), so only one
 * thread ever touches the reader at a time. */
static int pass_inputs(engine *e, const char *stage, const char *const *paths,
                       size_t npaths)
{
    opine_reader *r;
    int rc = opine_reader_open(&r, paths, npaths, &e->o->reader);
    if (rc)
        return rc;
    inbatch b[2] = {{0}, {0}};
    /* A batch no larger than a commit: a run killed midway then loses at
     * most commit_bytes of work, as --commit-every promises. */
    size_t max_bytes = e->o->batch_bytes ? e->o->batch_bytes : 4u << 20;
    if (e->o->commit_bytes && e->o->commit_bytes < max_bytes)
        max_bytes = e->o->commit_bytes;
    for (int i = 0; i < 2; i++) {
        b[i].r = r;
        b[i].max_bytes = max_bytes;
        b[i].max_docs = e->o->batch_docs ? e->o->batch_docs : 4096;
    }
    inbatch *cur = &b[0], *next = &b[1];
    read_batch(cur);
    rc = writer_begin(e);
    while (rc == 0) {
        if (cur->err) {
            rc = cur->err;
            break;
        }
        int last = cur->done;
        if (cur->ndocs == 0 && cur->nrejects == 0 && last)
            break;
        if (stopped(e)) {
            rc = OPINE_EINTERRUPTED;
            break;
        }
        if ((rc = writer_error(e)))
            break;
        pthread_t tid;
        next->own_thread = !last && e->o->threads > 1;
        int ahead = next->own_thread &&
                    pthread_create(&tid, NULL, read_batch, next) == 0;
        if (!ahead)
            next->own_thread = 0;
        rc = take_batch(e, cur);
        if (rc == 0)
            rc = batch_prepare(e);
        if (rc == 0)
            rc = batch_vocab(e);
        if (rc == 0)
            rc = writer_put(e, last);
        else
            batch_release(&e->b);
        if (ahead)
            pthread_join(tid, NULL);
        else if (!last && rc == 0)
            read_batch(next);
        progress(e, stage, atomic_load(&e->docs_written), 0, r);
        if (rc || last)
            break;
        inbatch *t = cur;
        cur = next;
        next = t;
    }
    int wrc = writer_end(e);
    if (rc == 0)
        rc = wrc;
    rc = end_pass(e, rc);
    inbatch_release(&b[0]);
    inbatch_release(&b[1]);
    opine_reader_free(r);
    return rc;
}

/* What is pending for the first stage in e->flags: documents not
 * tokenized; tokenized ones not stemmed; stemmed ones not scored by this
 * model. *missing names the stage whose mark is missing, *required the
 * one whose mark is required (NULL: none). Returns whether the stage
 * starts from documents (tokenize) rather than token streams. */
static int pending_marks(const engine *e, const char **missing,
                         const char **required)
{
    int tokenize = (e->flags & DO_TOKENIZE) != 0;
    *missing = tokenize               ? "tokenize"
               : (e->flags & DO_STEM) ? "stem"
                                      : e->score_stage;
    *required = tokenize || (e->flags & DO_STEM) ? NULL : "stem";
    return tokenize;
}

/* How many documents the first stage in e->flags has not done. */
static int count_pending(engine *e, int64_t *out)
{
    const char *missing, *required;
    int tokenize = pending_marks(e, &missing, &required);
    *out = 0;
    sqlite3_stmt *c;
    if (sqlite3_prepare_v2(
            e->db,
            tokenize ? "SELECT count(*) FROM documents d WHERE NOT EXISTS"
                       " (SELECT 1 FROM stage_done s WHERE s.stage = ?1"
                       " AND s.doc = d.id)"
                     : "SELECT count(*) FROM doc_tokens t WHERE NOT EXISTS"
                       " (SELECT 1 FROM stage_done s WHERE s.stage = ?1"
                       " AND s.doc = t.doc) AND (?2 IS NULL OR EXISTS"
                       " (SELECT 1 FROM stage_done r WHERE r.stage = ?2"
                       " AND r.doc = t.doc))",
            -1, &c, NULL) != SQLITE_OK)
        return db_fail(e, "counting pending documents");
    sqlite3_bind_text(c, 1, missing, -1, SQLITE_STATIC);
    if (!tokenize)
        sqlite3_bind_text(c, 2, required, -1, SQLITE_STATIC);
    if (sqlite3_step(c) == SQLITE_ROW)
        *out = sqlite3_column_int64(c, 0);
    sqlite3_finalize(c);
    return 0;
}

/* Take the documents the database holds that this stage has not done. */
static int pass_pending(engine *e, const char *stage)
{
    /* ?3 names the stage whose mark is missing, ?4 the one whose mark is
     * required (pending_marks). */
    const char *missing, *required;
    int tokenize = pending_marks(e, &missing, &required);
    const char *sql =
        tokenize ? "SELECT d.id, d.body, d.bytes, d.lang FROM documents d"
                   " WHERE d.id > ?1 AND NOT EXISTS (SELECT 1 FROM"
                   " stage_done s WHERE s.stage = ?3 AND s.doc = d.id)"
                   " ORDER BY d.id LIMIT ?2"
                 : "SELECT t.doc, t.stream, 0, NULL FROM doc_tokens t"
                   " WHERE t.doc > ?1 AND NOT EXISTS (SELECT 1 FROM"
                   " stage_done s WHERE s.stage = ?3 AND s.doc = t.doc)"
                   " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM stage_done r"
                   " WHERE r.stage = ?4 AND r.doc = t.doc))"
                   " ORDER BY t.doc LIMIT ?2";
    int64_t pending;
    int crc = count_pending(e, &pending);
    if (crc)
        return crc;
    if (pending == 0)
        return 0;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db, sql, -1, &q, NULL) != SQLITE_OK)
        return db_fail(e, "reading pending documents");
    size_t max_docs = e->o->batch_docs ? e->o->batch_docs : 4096;
    int64_t last = 0, done = 0;
    int rc = 0;
    for (;;) {
        if (stopped(e)) {
            rc = OPINE_EINTERRUPTED;
            break;
        }
        double t0 = now();
        size_t bytes = 0; /* a batch no larger than a commit (above) */
        sqlite3_bind_int64(q, 1, last);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)max_docs);
        sqlite3_bind_text(q, 3, missing, -1, SQLITE_STATIC);
        if (!tokenize)
            sqlite3_bind_text(q, 4, required, -1, SQLITE_STATIC);
        while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
            if (opine__grow((void **)&e->b.jobs, &e->b.cap_jobs, e->b.njobs + 1,
                            sizeof(job))) {
                rc = OPINE_ENOMEM;
                break;
            }
            job *j = &e->b.jobs[e->b.njobs++];
            j->id = last = sqlite3_column_int64(q, 0);
            j->blob_in_len = (size_t)sqlite3_column_bytes(q, 1);
            j->blob_in = malloc(j->blob_in_len + 1);
            if (j->blob_in == NULL) {
                rc = OPINE_ENOMEM;
                break;
            }
            memcpy(j->blob_in, sqlite3_column_blob(q, 1), j->blob_in_len);
            j->text_len = (size_t)sqlite3_column_int64(q, 2);
            if (sqlite3_column_text(q, 3))
                j->lang = strdup((const char *)sqlite3_column_text(q, 3));
            e->counts.records++;
            bytes += j->text_len ? j->text_len : j->blob_in_len;
            if (e->o->commit_bytes && bytes >= e->o->commit_bytes)
                break;
        }
        sqlite3_reset(q);
        e->t_read += now() - t0;
        if (rc || e->b.njobs == 0)
            break;
        size_t n = e->b.njobs;
        rc = process_batch(e);
        e->counts.documents += rc == 0 ? (int64_t)n : 0;
        batch_release(&e->b);
        done += (int64_t)n;
        progress(e, stage, done, pending, NULL);
        if (rc == 0 && opine_run_update(e->st, e->run_id, &e->counts))
            rc = db_fail(e, "updating the run");
    }
    sqlite3_finalize(q);
    return end_pass(e, rc);
}

/* The most frequent surface form of each stem, ties to the smallest:
 *     UPDATE stems SET surface = (SELECT type FROM types
 *         WHERE types.stem = stems.id ORDER BY cf DESC, type LIMIT 1)
 * computed from the vocabulary in memory (every type, its stem and its
 * committed cf) and written with one UPDATE ... FROM of the stems whose
 * surface changes. That subquery per stem took 0.17 s of ABP's one-thread
 * tail; this takes about 0.05 s. (check_exact in tests/lib.sh runs the
 * subquery on every end-to-end database and compares.) */
static int update_surfaces(engine *e)
{
    opine__fault("surfaces");
    size_t ns = (size_t)e->nstems;
    int64_t *best = calloc(ns + 1, sizeof(int64_t));
    if (best == NULL || rowbuf_fit(e, 2 * ns + 2)) {
        free(best);
        return OPINE_ENOMEM;
    }
    for (int64_t t = 1; t <= e->ntypes; t++) {
        int64_t s = e->tv[t].stem;
        if (s <= 0 || e->tv[t].text == NULL)
            continue;
        int64_t b = best[s];
        if (b == 0 || e->type_cf[t] > e->type_cf[b] ||
            (e->type_cf[t] == e->type_cf[b] &&
             strcmp(e->tv[t].text, e->tv[b].text) < 0))
            best[s] = t;
    }
    for (size_t s = 1; s <= ns; s++) {
        e->rowbuf[2 * (s - 1)] = (int64_t)s;
        e->rowbuf[2 * (s - 1) + 1] =
            opine__rows_text(best[s] ? e->tv[best[s]].text : NULL);
    }
    int rc = opine_store_exec(e->st, "BEGIN IMMEDIATE")
                 ? db_fail(e, "starting a transaction")
                 : step_rows(e, e->set_surfaces, e->surface_rows, ns,
                             "choosing surface forms");
    if (rc == 0 && opine_store_exec(e->st, "COMMIT"))
        rc = db_fail(e, "committing");
    if (rc)
        sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
    free(best);
    return rc;
}

static int finish(engine *e, int rc, opine_run_counts *counts, char **errmsg)
{
    const char *status = rc == OPINE_EINTERRUPTED ? "interrupted"
                         : rc < 0                 ? "failed"
                         : e->counts.rejected     ? "rejected"
                                                  : "ok";
    if (rc < 0 && rc != OPINE_EINTERRUPTED && e->errmsg == NULL)
        e->errmsg = fmt("%s%s", opine_strerror(rc), "");
    if (e->run_id) {
        opine__fault("finish");
        opine_run_finish(e->st, e->run_id, status, &e->counts, e->errmsg);
        char t[512];
        snprintf(t, sizeof t,
                 "{\"read\": %.3f, \"prepare\": %.3f, \"vocabulary\": %.3f,"
                 " \"finish\": %.3f, \"write\": %.3f, \"commit\": %.3f,"
                 " \"total\": %.3f}",
                 e->t_read, e->t_prepare, e->t_vocab, e->t_finish, e->t_write,
                 e->t_commit, now() - e->t_start);
        opine_run_timings(e->st, e->run_id, t);
    }
    if (counts)
        *counts = e->counts;
    if (errmsg) {
        *errmsg = e->errmsg;
        e->errmsg = NULL;
    }
    free(e->errmsg);
    engine_release(e);
    if (rc < 0)
        return rc;
    return e->counts.rejected ? 1 : 0;
}

static int start(engine *e, opine_store *st, const opine_engine_opts *o,
                 int flags, const char *stage)
{
    double t_start = now();
    int rc = opine_run_begin(st, stage, o->params, &e->run_id);
    if (rc == 0)
        opine__fault("run");
    if (rc) {
        e->st = st;
        e->db = opine_store_db(st);
        return db_fail(e, "starting a run");
    }
    int64_t run_id = e->run_id;
    rc = engine_init(e, st, o, flags);
    e->run_id = run_id;
    e->t_start = t_start;
    return rc;
}

int opine_stage_ingest(opine_store *st, const char *const *paths, size_t npaths,
                       const opine_engine_opts *o, opine_run_counts *counts,
                       char **errmsg)
{
    engine e = {0};
    int rc = start(&e, st, o, DO_INGEST, "ingest");
    if (rc == 0)
        rc = pass_inputs(&e, "ingest", paths, npaths);
    return finish(&e, rc, counts, errmsg);
}

int opine_stage_tokenize(opine_store *st, const opine_engine_opts *o,
                         opine_run_counts *counts, char **errmsg)
{
    engine e = {0};
    int rc = start(&e, st, o, DO_TOKENIZE, "tokenize");
    if (rc == 0)
        rc = pass_pending(&e, "tokenize");
    return finish(&e, rc, counts, errmsg);
}

int opine_stage_stem(opine_store *st, const opine_engine_opts *o,
                     opine_run_counts *counts, char **errmsg)
{
    engine e = {0};
    int rc = start(&e, st, o, DO_STEM, "stem");
    if (rc == 0)
        rc = stem_pending_types(&e);
    if (rc == 0)
        rc = pass_pending(&e, "stem");
    if (rc == 0)
        rc = update_surfaces(&e);
    return finish(&e, rc, counts, errmsg);
}

int opine_stage_score(opine_store *st, const opine_engine_opts *o,
                      opine_run_counts *counts, char **errmsg)
{
    engine e = {0};
    int rc = start(&e, st, o, DO_SCORE, "score");
    if (rc == 0)
        rc = pass_pending(&e, "score");
    return finish(&e, rc, counts, errmsg);
}

int opine_stage_run(opine_store *st, const char *const *paths, size_t npaths,
                    const opine_engine_opts *o, opine_run_counts *counts,
                    char **errmsg)
{
    engine e = {0};
    int score = o->model ? DO_SCORE : 0;
    int rc = start(&e, st, o, DO_INGEST | DO_TOKENIZE | DO_STEM | score, "run");
    /* Types a tokenize-only run left unstemmed get their stems first. */
    if (rc == 0)
        rc = stem_pending_types(&e);
    /* Is anything left half done by earlier runs (staged ones)? The input
     * cannot add to it: a run does every stage of a new document in one
     * transaction. So when nothing was, the three look-ups over the whole
     * database after the input are skipped (on a new database they were
     * 0.05 s of the run's one-thread tail). */
    const int stage_flags[3] = {DO_TOKENIZE | DO_STEM | score, DO_STEM | score,
                                DO_SCORE};
    static const char *const stage_names[3] = {"tokenize", "stem", "score"};
    int nstages = score ? 3 : 2;
    int64_t left[3] = {0, 0, 0};
    for (int i = 0; rc == 0 && i < nstages; i++) {
        e.flags = stage_flags[i];
        rc = count_pending(&e, &left[i]);
    }
    e.flags = DO_INGEST | DO_TOKENIZE | DO_STEM | score;
    if (rc == 0)
        rc = pass_inputs(&e, "run", paths, npaths);
    /* Then whatever earlier runs left half done, stage by stage. */
    for (int i = 0; rc == 0 && i < nstages; i++) {
        if (left[i] == 0)
            continue;
        e.flags = stage_flags[i];
        rc = pass_pending(&e, stage_names[i]);
    }
    if (rc == 0)
        rc = update_surfaces(&e);
    return finish(&e, rc, counts, errmsg);
}
