/* pipeline/engine.c — batches of documents through ingest, tokenize, stem,
 * score: the batch loop and the stages' entry points.
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
 * main thread, and a reader thread reads the next batch. The vocabulary
 * (type → id → stem) lives in memory for the whole run and only grows, so
 * memory is bounded by the vocabulary and the batches in flight.
 *
 * The engine's files, one concern each (pipeline/engine_internal.h holds
 * the structs they share and the functions one calls in another):
 *   engine.c          this file: phases A and C's work on a document, the
 *                     batch loop (phases A-C, then D handed on), the passes
 *                     over the inputs or the pending documents, setting up,
 *                     and the stages (opine_stage_*)
 *   engine_threads.c  the worker pool that runs A and C, the writer thread
 *                     and its queue (D), the reader thread
 *   engine_vocab.c    the vocabulary: types, stems, languages; lookup (A),
 *                     interning and stemming (B), loading it at the start
 *   engine_sql.c      phase D: the batch writer's SQL, commit and rollback
 */
#include "pipeline/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/strmap.h"
#include "base/stop.h"
#include "models/score.h"
#include "pipeline/engine_internal.h"
#include "pipeline/fault.h"
#include "pipeline/tokstream.h"
#include "pipeline/zblob.h"
#include "stages/fold.h"
#include "stages/segment.h"
#include "stages/stem.h"
#include "stages/stopwords.h"
#include "stages/tokenize.h"

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

int opine__engine_db_fail(engine *e, const char *what)
{
    set_error(e, opine_store_failure(e->st, what));
    return OPINE_EDB;
}

double opine__engine_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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
    free(j->pos);
    free(j->pos_end);
    opine_scores_release(&j->scores);
    free(j->lang);
    opine_authors_free(j->authors, j->nauthors);
    free(j->lines);
    free(j->lines_data);
    free(j->lines_blob);
    free(j->line_out);
    free(j->tok_out);
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

void opine__batch_free(batch *b)
{
    batch_release(b);
    free(b->jobs);
    free(b->rejects);
    memset(b, 0, sizeof(*b));
}

/* ---- phases A to C ---------------------------------------------------- */

/* Phase A. */
static void work_prepare(engine *e, worker *w, job *j)
{
    if (e->flags & DO_INGEST) {
        j->text = j->doc.text;
        j->text_len = j->doc.text_len;
        j->lang = opine__doc_lang(e, &j->doc);
        if (opine_authors_split(j->doc.author, &j->authors, &j->nauthors) ||
            opine__bp_prepare(e, j)) {
            j->err = OPINE_ENOMEM;
            return;
        }
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits(j->text, j->text_len));
        memcpy(j->hash, c.digest, 16);
        if ((w->zcodec == NULL && (w->zcodec = opine_zcodec_new()) == NULL) ||
            opine_zcodec_compress(w->zcodec, j->text, j->text_len, &j->body,
                                  &j->body_len)) {
            j->err = OPINE_ENOMEM;
            return;
        }
    } else if (e->flags & DO_TOKENIZE) {
        /* text_len was read from documents.bytes */
        j->inflated = malloc(j->text_len + 1);
        if (j->inflated == NULL ||
            (w->zcodec == NULL && (w->zcodec = opine_zcodec_new()) == NULL)) {
            j->err = OPINE_ENOMEM;
            return;
        }
        if ((j->err =
                 opine_zcodec_inflate(w->zcodec, j->blob_in, j->blob_in_len,
                                      j->inflated, j->text_len)))
            return;
        j->inflated[j->text_len] = '\0';
        j->text = j->inflated;
        if ((j->err = opine__bp_prepare(e, j)))
            return;
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
            j->err = opine__lookup_types(e, w, j);
    } else if (e->flags & (DO_STEM | DO_SCORE)) {
        j->unquoted = (e->flags & DO_SCORE) && e->model_quotes &&
                      !opine_tokstream_has_quotes(j->blob_in, j->blob_in_len);
        j->err = opine_tokstream_decode(j->blob_in, j->blob_in_len, &j->stoks,
                                        &j->ntokens);
        if (j->err == 0)
            j->err = opine__bp_prepare(e, j);
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

/* How many tokens ahead phase C fetches the vocabulary entries of. */
enum { FETCH_AHEAD = 16 };

/* The scorer's view of token i, whose type entry is t. Stems are stable
 * while phase C runs: B interns before. The stem's hash comes with the
 * type; its text only where there is no hash (an empty stem), as the
 * scorer reads the text only to hash it (opine_score_token). */
static inline void score_token(const engine *e, const job *j,
                               const type_info *t, size_t i,
                               opine_score_token *st)
{
    if (j->stoks) {
        st->start = j->stoks[i].start;
        st->len = j->stoks[i].len;
        st->sentence = j->stoks[i].sentence;
        st->quote = j->stoks[i].quote;
    } else {
        st->start = j->toks.v[i].start;
        st->len = j->toks.v[i].len;
        st->sentence = j->toks.v[i].sentence;
        st->quote = j->toks.v[i].quote;
    }
    st->npats = t->pat_n;
    st->pats = e->pat_pool + t->pat_off;
    st->stem_hash = t->stem_hash;
    st->stem = t->stem && !t->stem_hash ? e->sv[t->stem].text : NULL;
}

/* Phase C. */
/* Phase C's count of a document's stems: each counted token's stem into
 * count[] (its distinct stems, as first met, into d[*nd...]); the tokens
 * out marks (boilerplate lines) left out and counted in j->bp_tokens;
 * every token into the MinHash sig. Returns the tokens counted. Inlined
 * with out, sig and ts constant NULL or not, so that the usual loop tests
 * nothing per token that it does not need, and with the counts in locals
 * (a store to count[] could otherwise be a store to anything). */
static inline __attribute__((always_inline)) size_t
count_stems(const type_info *tv, job *j, uint32_t *count, uint32_t *d,
            size_t *nd, const unsigned char *out, opine_minhash *sig,
            uint32_t *ts)
{
    const uint32_t *types = j->types;
    size_t n = j->ntokens, m = 0, k = *nd, left_out = 0;
    for (size_t i = 0; i < n; i++) {
        /* The vocabulary's entries and counts are far larger than a core's
         * cache and each token's are somewhere else: fetch a token's entry
         * FETCH_AHEAD tokens early, and its count half-way, once the entry
         * it needs has come. */
        if (i + FETCH_AHEAD < n)
            __builtin_prefetch(&tv[types[i + FETCH_AHEAD]]);
        if (i + FETCH_AHEAD / 2 < n)
            __builtin_prefetch(&count[tv[types[i + FETCH_AHEAD / 2]].stem]);
        const type_info *t = &tv[types[i]];
        if (sig)
            opine_minhash_add(sig, opine__type_token_hash(t));
        if (t->stop) {
            if (ts)
                ts[i] = UINT32_MAX;
            continue;
        }
        if (out && out[i]) {
            if (ts)
                ts[i] = UINT32_MAX;
            left_out++;
            continue;
        }
        if (ts)
            ts[i] = (uint32_t)t->stem;
        m++;
        if (count[t->stem]++ == 0)
            d[k++] = (uint32_t)t->stem;
    }
    *nd = k;
    j->bp_tokens += left_out;
    return m;
}

/* The positions of j's counted tokens (m of them), as the search index
 * keeps them (search_positions in pipeline/simindex.h): for each of
 * j->terms in turn, the indexes of its tokens, ascending, as varints,
 * each less the one before; into j->pos, term i's ending at byte
 * j->pos_end[i]. ts holds each token's stem (UINT32_MAX: not counted),
 * term[] the index in j->terms of each stem j has; scratch room for
 * j->nterms + m numbers. */
static int positions(job *j, const uint32_t *term, const uint32_t *ts,
                     uint32_t *scratch, size_t m)
{
    size_t nd = j->nterms;
    uint32_t *cur = scratch, *at = scratch + nd;
    j->pos = malloc(5 * m + 1);
    j->pos_end = malloc((nd + 1) * sizeof(uint32_t));
    if (j->pos == NULL || j->pos_end == NULL)
        return OPINE_ENOMEM;
    uint32_t sum = 0;
    for (size_t i = 0; i < nd; i++) {
        cur[i] = sum;
        sum += j->terms[2 * i + 1];
    }
    for (size_t i = 0; i < j->ntokens; i++)
        if (ts[i] != UINT32_MAX)
            at[cur[term[ts[i]]]++] = (uint32_t)i;
    unsigned char *p = j->pos;
    for (size_t i = 0, k = 0; i < nd; i++) {
        uint32_t prev = 0;
        for (uint32_t t = 0; t < j->terms[2 * i + 1]; t++, k++) {
            p = opine__position_put(p, at[k] - prev);
            prev = at[k];
        }
        j->pos_end[i] = (uint32_t)(p - j->pos);
    }
    return 0;
}

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
    /* Tokens of boilerplate lines left out count and score as nothing. */
    if ((e->flags & (DO_STEM | DO_SCORE)) && (j->err = opine__bp_token_mask(j)))
        return;
    const unsigned char *out = j->tok_out;
    if (e->flags & DO_STEM) {
        /* Count per stem in the worker's array indexed by stem id (the
         * vocabulary does not change while workers run), then sort only
         * the document's distinct stems: a few hundred, not every token. */
        int pos = e->similar && e->positions;
        uint32_t *d =
            malloc((pos ? 3 : 2) * (j->ntokens + 1) * sizeof(uint32_t));
        /* each token's stem, for its positions */
        uint32_t *ts = d && pos ? d + 2 * (j->ntokens + 1) : NULL;
        if (d == NULL || opine__grow((void **)&w->count, &w->cap_count,
                                     (size_t)e->nstems + 1, sizeof(uint32_t))) {
            free(d);
            j->err = OPINE_ENOMEM;
            return;
        }
        /* Stop words stay in the token stream (scores need "not") but
         * are not terms. The MinHash signature (pipeline/neardup.c) in
         * the same loop: the type entries are in the cache once. */
        opine_minhash mh;
        opine_minhash *sig = e->near_dup ? &mh : NULL;
        if (sig)
            opine_minhash_init(sig);
        size_t nd = 0, m;
        /* ts a constant NULL too where there are no positions to make */
#define COUNT_STEMS(o, g)                                                      \
    (ts ? count_stems(e->tv, j, w->count, d, &nd, o, g, ts)                    \
        : count_stems(e->tv, j, w->count, d, &nd, o, g, NULL))
        if (sig && out)
            m = COUNT_STEMS(out, sig);
        else if (sig)
            m = COUNT_STEMS(NULL, sig);
        else if (out)
            m = COUNT_STEMS(out, NULL);
        else
            m = COUNT_STEMS(NULL, NULL);
#undef COUNT_STEMS
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
            w->count[d[i]] = (uint32_t)i; /* for positions() */
        }
        j->nterms = nd;
        if (pos)
            j->err = positions(j, w->count, ts, d, m);
        for (size_t i = 0; i < nd; i++)
            w->count[j->terms[2 * i]] = 0; /* clean for the next document */
        free(d);
        if (j->err)
            return;
        if (sig)
            j->has_sig = opine__sig_final(sig, j->sig);
    }
    if (e->flags & DO_SCORE) {
        opine_score_token *st = malloc((j->ntokens + 1) * sizeof(*st));
        if (st == NULL) {
            j->err = OPINE_ENOMEM;
            return;
        }
        size_t k = 0;
        uint8_t quote = 0; /* a left-out token's, for the next one kept */
        for (size_t i = 0; i < j->ntokens; i++) {
            if (i + FETCH_AHEAD < j->ntokens) /* as when counting, above */
                __builtin_prefetch(&e->tv[j->types[i + FETCH_AHEAD]]);
            uint32_t t = j->types[i];
            if (out && out[i]) {
                quote |= j->stoks ? j->stoks[i].quote : j->toks.v[i].quote;
                continue;
            }
            score_token(e, j, &e->tv[t], i, &st[k]);
            st[k].quote |= quote;
            quote = 0;
            k++;
        }
        j->err = opine_score_doc(e->model, st, k, &j->scores);
        free(st);
    }
    /* What phase D does not need goes now, so that a batch's peak memory
     * is its tokens once, not its tokens and everything derived. */
    opine_tokens_release(&j->toks);
    free(j->stoks);
    j->stoks = NULL;
    free(j->inflated);
    j->inflated = NULL;
    free(j->lines);
    free(j->line_out);
    free(j->tok_out);
    free(j->lines_blob);
    j->lines = NULL;
    j->line_out = j->tok_out = NULL;
    j->lines_blob = NULL;
    opine_doc_release_text(&j->doc);
    j->text = NULL;
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

/* Phase A: parallel work that needs no database. */
static int batch_prepare(engine *e)
{
    double t0 = opine__engine_now();
    opine__parallel_jobs(e, work_prepare);
    e->t_prepare += opine__engine_now() - t0;
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
    double t1 = opine__engine_now();
    bt->types_from = e->ntypes;
    bt->stems_from = e->nstems;
    for (size_t i = 0; rc == 0 && i < bt->njobs; i++) {
        if (e->flags & DO_TOKENIZE)
            rc = opine__intern_types(e, &bt->jobs[i]);
        if (rc == 0)
            rc = opine__bp_decide(e, &bt->jobs[i]);
    }
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
    double t2 = opine__engine_now();
    e->t_vocab += t2 - t1;
    if (rc == 0) {
        opine__parallel_jobs(e, work_finish);
        for (size_t i = 0; rc == 0 && i < bt->njobs; i++)
            if (bt->jobs[i].err)
                rc = job_error(e, &bt->jobs[i], bt->jobs[i].err);
    }
    e->t_finish += opine__engine_now() - t2;
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
        rc = opine__batch_write(e, &e->b, 0);
    return rc;
}

int opine__batch_work(engine *e)
{
    int rc = batch_prepare(e);
    return rc ? rc : batch_vocab(e);
}

void opine__batch_clear(batch *b)
{
    batch_release(b);
}

/* ---- setting up ------------------------------------------------------- */

/* A yes/no setting results depend on, fixed per database like the
 * tokenizer: asked = -1 (not asked: the database's, or no), 0 or 1. */
static int setting(engine *e, const char *key, int asked, int *value)
{
    char *have;
    if (opine_store_meta_read(e->st, key, &have))
        return opine__engine_db_fail(e, "reading the settings");
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
        rc = opine__engine_db_fail(e, "recording a setting");
    }
    free(have);
    return rc;
}

/* The stop list is the database's once it has one: documents stemmed with
 * different lists would not be comparable. Not asked for, a new database
 * takes its language's list, or none for a language without one. */
static int load_stopwords(engine *e)
{
    char *have;
    if (opine_store_meta_read(e->st, "stopwords", &have))
        return opine__engine_db_fail(e, "reading the settings");
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
        rc = opine__engine_db_fail(e, "recording the stop words");
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
        return opine__engine_db_fail(e, "reading models");
    sqlite3_bind_text(q, 1, opine_model_name(m), -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, opine_model_version(m));
    int step = sqlite3_step(q);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        sqlite3_finalize(q);
        return opine__engine_db_fail(e, "reading models");
    }
    if (step == SQLITE_ROW) {
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
    /* In the setup transaction start() opens, or a transaction of its own */
    int own = sqlite3_get_autocommit(e->db);
    if (own && opine_store_exec(e->st, "BEGIN IMMEDIATE"))
        return opine__engine_db_fail(e, "starting a transaction");
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
    if (rc || (own && opine_store_exec(e->st, "COMMIT")))
        goto fail;
    snprintf(e->score_stage, sizeof e->score_stage, "score:%lld",
             (long long)e->model_id);
    return 0;
fail:
    opine__engine_db_fail(e, "storing the model");
    opine_store_rollback(e->st);
    return OPINE_EDB;
}

static int engine_init(engine *e, opine_store *st, const opine_engine_opts *o,
                       int flags)
{
    struct early_input *early = e->early; /* early_start(), before this */
    memset(e, 0, sizeof(*e));
    e->early = early;
    e->st = st;
    e->db = opine_store_db(st);
    e->o = o;
    e->flags = flags;
    e->near_dup = o->near_dup_threshold >= 0;
    /* The database's language, once it has one, is the language. */
    if (opine_store_meta_read(st, "language", &e->lang_owned))
        return opine__engine_db_fail(e, "reading the settings");
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
        char *have;
        if (opine_store_meta_read(st, "tokenizer", &have))
            return opine__engine_db_fail(e, "reading the settings");
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
            rc = opine__engine_db_fail(e, "recording the tokenizer");
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
        e->model_quotes = opine_model_reads_quotes(e->model);
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
    if ((rc = opine__load_vocab(e)) || (rc = opine__read_last_doc(e)) ||
        (rc = opine__sql_init(e)))
        return rc;
    /* Stemming keeps the similarity index: its tables, when new, and the
     * postings of every document it stems. */
    if ((flags & DO_STEM) && (opine__simindex_schema(e->db) ||
                              opine__simindex_new(&e->similar, e->db)))
        return opine__engine_db_fail(e, "preparing the similarity index");
    /* and its positions: as asked, else as the database has them */
    if (flags & DO_STEM) {
        char *have = opine_store_meta_get(st, "search_positions");
        const char *want = o->positions ? o->positions : have ? have : "off";
        e->positions = strcmp(want, "on") == 0;
        rc = o->positions && (!have || strcmp(have, want) != 0) &&
                     opine_store_meta_set(st, "search_positions", want)
                 ? opine__engine_db_fail(e, "recording --positions")
                 : 0;
        free(have);
        if (rc)
            return rc;
    }
    if ((flags & (DO_INGEST | DO_STEM | DO_SCORE)) &&
        (rc = opine__bp_settings(e)))
        return rc;
    if ((flags & DO_STEM) && opine_store_meta_set(st, "language", e->lang) != 0)
        return opine__engine_db_fail(e, "recording the language");
    return 0;
}

static void engine_release(engine *e)
{
    opine__batch_free(&e->b);
    opine__sql_release(e);
    opine__simindex_free(e->similar);
    free(e->theme_ids);
    free(e->lang_owned);
    opine__vocab_release(e);
    opine__bp_release(e);
    for (int i = 0; i < MAX_THREADS; i++) {
        opine_segmenter_free(e->workers[i].words);
        opine_segmenter_free(e->workers[i].sentences);
        free(e->workers[i].count);
        opine_zcodec_free(e->workers[i].zcodec);
        opine__strmap_cache_free(e->workers[i].types_cache);
    }
}

/* ---- passes and stages ------------------------------------------------ */

static int stopped(const engine *e)
{
    return opine__stop_requested(e->o->stop);
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

/* A thread's: the disk takes what the run wrote so far (pass_inputs). */
static void *sync_early(void *arg)
{
    engine *e = arg;
    opine_store_sync_early(e->st, &e->sync_stop);
    return NULL;
}

/* After a pass: keep what its open transaction holds when the pass ended
 * well or was asked to stop, else undo it (a first load's last
 * transaction, held, stays open: opine_stage_run). */
static int end_pass(engine *e, int rc)
{
    if (rc == 0 || rc == OPINE_EINTERRUPTED) {
        int crc = opine__engine_commit(e, &e->counts, rc == 0 && e->hold_last);
        return rc ? rc : crc;
    }
    if (e->in_txn)
        opine__engine_rollback(e);
    return rc;
}

/* The input batches' limits. A batch no larger than a commit: a run
 * killed midway then loses at most commit_bytes of work, as
 * --commit-every promises. */
static void batch_limits(const opine_engine_opts *o, inbatch *b)
{
    size_t max_bytes = o->batch_bytes ? o->batch_bytes : 4u << 20;
    if (o->commit_bytes && o->commit_bytes < max_bytes)
        max_bytes = o->commit_bytes;
    b->max_bytes = max_bytes;
    b->max_docs = o->batch_docs ? o->batch_docs : 4096;
}

/* HOW IT WORKS: a run's start (the schema, the model stored, the
 * vocabulary loaded: start()) needs nothing from the inputs, and reading
 * the first batch needs nothing from the database, yet the pipeline
 * waited for one after the other with a core idle (on ABP 0.033 and 0.03
 * s). So with two threads or more, opine_stage_run and opine_stage_ingest
 * open the inputs and read their first batch on a thread of its own
 * while the run starts, and pass_inputs takes what it read (early_take);
 * a run that ends before its inputs frees it (early_release). */
typedef struct early_input {
    pthread_t tid;
    const char *const *paths;
    size_t npaths;
    const opine_engine_opts *o;
    opine_reader *r;
    int rc;
    inbatch b;
} early_input;

static void *read_early(void *arg)
{
    early_input *x = arg;
    x->rc = opine_reader_open(&x->r, x->paths, x->npaths, &x->o->reader);
    if (x->rc == 0) {
        x->b.r = x->r;
        batch_limits(x->o, &x->b);
        opine__read_batch(&x->b);
    }
    return NULL;
}

static void early_start(engine *e, const opine_engine_opts *o,
                        const char *const *paths, size_t npaths)
{
    if (o->threads < 2)
        return;
    early_input *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return; /* pass_inputs reads them itself */
    *x = (early_input){.paths = paths, .npaths = npaths, .o = o};
    if (pthread_create(&x->tid, NULL, read_early, x) != 0) {
        free(x);
        return;
    }
    e->early = x;
}

/* The early reader's inputs and first batch (into *r and *b), or its
 * error. */
static int early_take(engine *e, opine_reader **r, inbatch *b)
{
    early_input *x = e->early;
    e->early = NULL;
    pthread_join(x->tid, NULL);
    int rc = x->rc;
    *r = x->r;
    *b = x->b;
    free(x);
    return rc;
}

static void early_release(engine *e)
{
    if (e->early == NULL)
        return;
    opine_reader *r = NULL;
    inbatch b = {0};
    if (early_take(e, &r, &b) == 0) {
        opine__inbatch_release(&b);
        opine_reader_free(r);
    }
}

/* The size of the batch about to be read, near the end of inputs of a
 * known size: the writer writes the last batch alone, with the other
 * threads idle, so the last 8 MiB or so of text (estimated from the input
 * bytes left and the text read per input byte so far) come in batches of
 * a quarter. */
static size_t batch_size(const opine_reader *r, uint64_t text_read,
                         size_t max_bytes)
{
    uint64_t total = opine_reader_bytes_total(r),
             done = opine_reader_bytes_read(r);
    if (total == 0 || done == 0 || max_bytes < 4)
        return max_bytes;
    /* (done is what the reader took from the inputs, buffers included:
     * when it has taken all, what is left is in them) */
    double left = done >= total ? 0
                                : (double)(total - done) *
                                      ((double)text_read / (double)done);
    return left < 2.0 * (double)max_bytes ? max_bytes / 4 : max_bytes;
}

/* Read batches from the inputs until they are exhausted. HOW IT WORKS: two
 * batches take turns: while the engine processes one, a reader thread
 * fills the other (inflating and parsing overlap the rest), so only one
 * thread ever touches the reader at a time. */
static int pass_inputs(engine *e, const char *stage, const char *const *paths,
                       size_t npaths)
{
    opine_reader *r = NULL;
    inbatch b[2] = {{0}, {0}};
    int early = e->early != NULL;
    int rc = early ? early_take(e, &r, &b[0])
                   : opine_reader_open(&r, paths, npaths, &e->o->reader);
    if (rc)
        return rc;
    for (int i = 0; i < 2; i++) {
        b[i].r = r;
        batch_limits(e->o, &b[i]);
    }
    inbatch *cur = &b[0], *next = &b[1];
    if (!early)
        opine__read_batch(cur);
    const size_t max_bytes = b[1].max_bytes;
    uint64_t text_read = 0;
    int ending = 0; /* the last stretch of smaller batches has begun */
    rc = opine__writer_begin(e);
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
        if ((rc = opine__writer_error(e)))
            break;
        pthread_t tid;
        text_read += cur->bytes;
        next->max_bytes = batch_size(r, text_read, max_bytes);
        next->ending = next->max_bytes < max_bytes && !ending;
        ending |= next->ending;
        next->own_thread = !last && e->o->threads > 1;
        int ahead = next->own_thread &&
                    pthread_create(&tid, NULL, opine__read_batch, next) == 0;
        if (!ahead)
            next->own_thread = 0;
        rc = opine__take_batch(e, cur);
        if (rc == 0)
            rc = batch_prepare(e);
        if (rc == 0)
            rc = batch_vocab(e);
        if (rc == 0)
            rc = opine__writer_put(e, last);
        else
            batch_release(&e->b);
        if (ahead)
            pthread_join(tid, NULL);
        else if (!last && rc == 0)
            opine__read_batch(next);
        progress(e, stage, atomic_load(&e->docs_written), 0, r);
        if (rc || last)
            break;
        inbatch *t = cur;
        cur = next;
        next = t;
    }
    /* The input is done; the writer has a batch or two to go. A first
     * load whose last transaction is held open (opine_stage_run) has the
     * disk take what it wrote so far meanwhile, on a thread of its own:
     * the steps after the input run while it does. */
    if (rc == 0 && e->hold_last && e->writer_running)
        e->syncing = pthread_create(&e->syncer, NULL, sync_early, e) == 0;
    int wrc = opine__writer_end(e);
    if (rc == 0)
        rc = wrc;
    rc = end_pass(e, rc);
    opine__inbatch_release(&b[0]);
    opine__inbatch_release(&b[1]);
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
        return opine__engine_db_fail(e, "counting pending documents");
    sqlite3_bind_text(c, 1, missing, -1, SQLITE_STATIC);
    if (!tokenize)
        sqlite3_bind_text(c, 2, required, -1, SQLITE_STATIC);
    if (sqlite3_step(c) == SQLITE_ROW)
        *out = sqlite3_column_int64(c, 0);
    return opine__engine_finalize(e, c, 0, "counting pending documents");
}

/* Before stem or score: count the lines first if documents came in since
 * they were last counted (an ingest killed before it counted them, an
 * older opine, another setting). */
static int count_lines_first(engine *e)
{
    int stale;
    int rc = opine__bp_stale(e, &stale);
    if (rc == 0 && stale)
        rc = opine__boilerplate(e);
    return rc;
}

int opine__job_read(job *j, sqlite3_stmt *q, int blob, int lines)
{
    j->blob_in_len = (size_t)sqlite3_column_bytes(q, blob);
    if ((j->blob_in = malloc(j->blob_in_len + 1)) == NULL)
        return OPINE_ENOMEM;
    memcpy(j->blob_in, sqlite3_column_blob(q, blob), j->blob_in_len);
    if (sqlite3_column_bytes(q, lines) > 0) {
        j->lines_blob_len = (size_t)sqlite3_column_bytes(q, lines);
        if ((j->lines_blob = malloc(j->lines_blob_len)) == NULL)
            return OPINE_ENOMEM;
        memcpy(j->lines_blob, sqlite3_column_blob(q, lines), j->lines_blob_len);
    }
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
        tokenize ? "SELECT d.id, d.body, d.bytes, d.lang, CASE WHEN ?5 THEN"
                   " (SELECT data FROM doc_lines l WHERE l.doc = d.id) END"
                   " FROM documents d"
                   " WHERE d.id > ?1 AND NOT EXISTS (SELECT 1 FROM"
                   " stage_done s WHERE s.stage = ?3 AND s.doc = d.id)"
                   " ORDER BY d.id LIMIT ?2"
                 : "SELECT t.doc, t.stream, 0, NULL, CASE WHEN ?5 THEN"
                   " (SELECT data FROM doc_lines l WHERE l.doc = t.doc) END"
                   " FROM doc_tokens t"
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
        return opine__engine_db_fail(e, "reading pending documents");
    size_t max_docs = e->o->batch_docs ? e->o->batch_docs : 4096;
    /* As many bytes of bodies or token streams as a batch of input holds
     * text: a batch's decoded tokens, about five times a stream's bytes,
     * are its memory. */
    size_t max_bytes = e->o->batch_bytes ? e->o->batch_bytes : 4u << 20;
    int64_t last = 0, done = 0;
    int rc = 0;
    for (;;) {
        if (stopped(e)) {
            rc = OPINE_EINTERRUPTED;
            break;
        }
        double t0 = opine__engine_now();
        size_t bytes = 0; /* a batch no larger than a commit (above) */
        sqlite3_bind_int64(q, 1, last);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)max_docs);
        sqlite3_bind_text(q, 3, missing, -1, SQLITE_STATIC);
        if (!tokenize)
            sqlite3_bind_text(q, 4, required, -1, SQLITE_STATIC);
        /* the lines, when some may be left out */
        sqlite3_bind_int(q, 5,
                         e->bp_mode == BP_EXCLUDE &&
                             (e->flags & (DO_STEM | DO_SCORE)));
        while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
            if (opine__grow((void **)&e->b.jobs, &e->b.cap_jobs, e->b.njobs + 1,
                            sizeof(job))) {
                rc = OPINE_ENOMEM;
                break;
            }
            job *j = &e->b.jobs[e->b.njobs++];
            j->id = last = sqlite3_column_int64(q, 0);
            if ((rc = opine__job_read(j, q, 1, 4)))
                break;
            j->text_len = (size_t)sqlite3_column_int64(q, 2);
            if (sqlite3_column_text(q, 3))
                j->lang = strdup((const char *)sqlite3_column_text(q, 3));
            e->counts.records++;
            bytes += j->text_len ? j->text_len : j->blob_in_len;
            if ((e->o->commit_bytes && bytes >= e->o->commit_bytes) ||
                bytes >= max_bytes)
                break;
        }
        /* reports a step that failed (not the end of the rows) */
        if (sqlite3_reset(q) != SQLITE_OK && rc == 0)
            rc = opine__engine_db_fail(e, "reading pending documents");
        e->t_read += opine__engine_now() - t0;
        if (rc || e->b.njobs == 0)
            break;
        size_t n = e->b.njobs;
        rc = process_batch(e);
        e->counts.documents += rc == 0 ? (int64_t)n : 0;
        batch_release(&e->b);
        done += (int64_t)n;
        progress(e, stage, done, pending, NULL);
        if (rc == 0 && opine_run_update(e->st, e->run_id, &e->counts))
            rc = opine__engine_db_fail(e, "updating the run");
    }
    sqlite3_finalize(q);
    return end_pass(e, rc);
}

int opine__refresh_similar(engine *e)
{
    double t0 = opine__engine_now();
    char *msg = NULL;
    int rc = opine__simindex_refresh(e->db, e->similar, &msg);
    if (rc)
        set_error(e, msg);
    else
        free(msg);
    e->t_similar += opine__engine_now() - t0;
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
    if (e->syncing) {
        atomic_store(&e->sync_stop, 1);
        pthread_join(e->syncer, NULL);
    }
    early_release(e); /* a run that ended before its inputs */
    e->syncing = 0;
    if (e->run_id) {
        opine__fault("finish");
        char t[512];
        snprintf(t, sizeof t,
                 "{\"read\": %.3f, \"prepare\": %.3f, \"vocabulary\": %.3f,"
                 " \"finish\": %.3f, \"write\": %.3f, \"commit\": %.3f,"
                 " \"similar\": %.3f, \"total\": %.3f}",
                 e->t_read, e->t_prepare, e->t_vocab, e->t_finish, e->t_write,
                 e->t_commit, e->t_similar, opine__engine_now() - e->t_start);
        /* The run's status and timings in one transaction. When that
         * fails (the disk), the work is committed but the run is not
         * marked finished: say so; the next writer marks it interrupted,
         * and a rerun finds nothing left to do and ends as a run should. */
        int held = !sqlite3_get_autocommit(e->db); /* e->hold_last */
        if ((!held && opine_store_exec(e->st, "BEGIN IMMEDIATE")) ||
            opine_run_finish(e->st, e->run_id, status, &e->counts, e->errmsg) ||
            opine_run_timings(e->st, e->run_id, t) ||
            opine_store_exec(e->st, "COMMIT")) {
            int failed =
                opine__engine_db_fail(e, "recording the end of the run");
            opine_store_rollback(e->st);
            if (rc >= 0)
                rc = failed;
        } else {
            opine__fault("finished");
        }
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
    double t_start = opine__engine_now();
    int rc = opine_run_begin(st, stage, o->params, &e->run_id);
    if (rc == 0)
        opine__fault("run");
    if (rc) {
        e->st = st;
        e->db = opine_store_db(st);
        return opine__engine_db_fail(e, "starting a run");
    }
    int64_t run_id = e->run_id;
    /* The settings, the model, the tables a run needs: one transaction
     * rather than a dozen. Each commit of a new file waits for three
     * fsyncs (journal, folder, file), and these waited for 0.1 to 0.2 s
     * before a run on ABP could start (strace). */
    sqlite3 *db = opine_store_db(st);
    int own = sqlite3_get_autocommit(db);
    if (own && opine_store_exec(st, "BEGIN IMMEDIATE")) {
        e->st = st;
        e->db = db;
        e->run_id = run_id;
        return opine__engine_db_fail(e, "starting a run");
    }
    rc = engine_init(e, st, o, flags);
    e->run_id = run_id;
    e->t_start = t_start;
    if (own && rc == 0 && opine_store_exec(st, "COMMIT"))
        rc = opine__engine_db_fail(e, "starting a run");
    /* (a failed step may have rolled back already, and said why) */
    if (own && rc && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int opine_stage_ingest(opine_store *st, const char *const *paths, size_t npaths,
                       const opine_engine_opts *o, opine_run_counts *counts,
                       char **errmsg)
{
    engine e = {0};
    early_start(&e, o, paths, npaths);
    int rc = start(&e, st, o, DO_INGEST, "ingest");
    if (rc == 0)
        rc = pass_inputs(&e, "ingest", paths, npaths);
    /* Count the lines now: stem and score then leave out exactly the
     * flagged ones. */
    if (rc == 0)
        rc = opine__boilerplate(&e);
    /* which may have counted stemmed documents again */
    if (rc == 0 && e.similar_stale)
        rc = opine__refresh_similar(&e);
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
        rc = count_lines_first(&e);
    if (rc == 0)
        rc = opine__stem_pending_types(&e);
    if (rc == 0)
        rc = pass_pending(&e, "stem");
    opine__simindex_trim(e.similar); /* all written by now */
    if (rc == 0)
        rc = opine__update_surfaces(&e);
    if (rc == 0)
        rc = opine__near_dups(&e);
    if (rc == 0)
        rc = opine__refresh_similar(&e);
    return finish(&e, rc, counts, errmsg);
}

int opine_stage_score(opine_store *st, const opine_engine_opts *o,
                      opine_run_counts *counts, char **errmsg)
{
    engine e = {0};
    int rc = start(&e, st, o, DO_SCORE, "score");
    if (rc == 0)
        rc = count_lines_first(&e);
    if (rc == 0)
        rc = pass_pending(&e, "score");
    if (rc == 0 && e.similar_stale)
        rc = opine__refresh_similar(&e);
    return finish(&e, rc, counts, errmsg);
}

int opine_stage_run(opine_store *st, const char *const *paths, size_t npaths,
                    const opine_engine_opts *o, opine_run_counts *counts,
                    char **errmsg)
{
    engine e = {0};
    int score = o->model ? DO_SCORE : 0;
    early_start(&e, o, paths, npaths);
    int rc = start(&e, st, o, DO_INGEST | DO_TOKENIZE | DO_STEM | score, "run");
    /* Types a tokenize-only run left unstemmed get their stems first. */
    if (rc == 0)
        rc = opine__stem_pending_types(&e);
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
    /* When only the steps that end every run follow the input (surface
     * forms, near-duplicates, the similarity index's norms, the run's
     * record), a first load keeps its last transaction open for them and
     * finish() commits it: one COMMIT, not five, and the disk writes
     * what the load wrote while they work (pass_inputs), where the
     * COMMIT's fdatasync used to wait for it with both cores idle (0.37
     * s on ABP). A kill before that COMMIT loses the last transaction's
     * documents, as a kill in any transaction does; a rerun adds them. */
    e.hold_last = opine_store_first_load(st) && e.bp_mode == BP_OFF &&
                  left[0] == 0 && left[1] == 0 && left[2] == 0;
    if (rc == 0)
        rc = pass_inputs(&e, "run", paths, npaths);
    /* The lines, counted exactly now that every document is in; documents
     * stemmed before a line they hold was known to be boilerplate are
     * counted and scored again (pipeline/boilerplate.c). */
    if (rc == 0)
        rc = opine__boilerplate(&e);
    /* Then whatever earlier runs left half done, stage by stage. */
    for (int i = 0; rc == 0 && i < nstages; i++) {
        if (left[i] == 0)
            continue;
        e.flags = stage_flags[i];
        rc = pass_pending(&e, stage_names[i]);
    }
    opine__simindex_trim(e.similar); /* all written by now */
    if (rc == 0)
        rc = opine__update_surfaces(&e);
    if (rc == 0)
        rc = opine__near_dups(&e);
    if (rc == 0)
        rc = opine__refresh_similar(&e);
    return finish(&e, rc, counts, errmsg);
}
