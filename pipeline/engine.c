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

#include "pipeline/engine_internal.h"

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
    set_error(e,
              fmt("database error while %s: %s", what, sqlite3_errmsg(e->db)));
    return OPINE_EDB;
}

static int prepare(engine *e, sqlite3_stmt **q, const char *sql)
{
    if (sqlite3_prepare_v3(e->db, sql, -1, SQLITE_PREPARE_PERSISTENT, q,
                           NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "preparing statements");
    return 0;
}

int opine__engine_step_done(engine *e, sqlite3_stmt *q, const char *what)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? 0 : opine__engine_db_fail(e, what);
}

/* Run a statement that reads nrows rows of the flat buffer through the
 * table r (base/rows.h), then empty the table. */
int opine__engine_step_rows(engine *e, sqlite3_stmt *q, opine_rows *r,
                            size_t nrows, const char *what)
{
    if (nrows == 0)
        return 0;
    opine__rows_set(r, e->rowbuf, nrows);
    int rc = opine__engine_step_done(e, q, what);
    opine__rows_set(r, NULL, 0);
    return rc;
}

int opine__engine_rowbuf_fit(engine *e, size_t values)
{
    return opine__grow((void **)&e->rowbuf, &e->cap_rowbuf, values,
                       sizeof(int64_t));
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

void opine__batch_free(batch *b)
{
    batch_release(b);
    free(b->jobs);
    free(b->rejects);
    memset(b, 0, sizeof(*b));
}

/* Phase A. */
static void work_prepare(engine *e, worker *w, job *j)
{
    if (e->flags & DO_INGEST) {
        j->text = j->doc.text;
        j->text_len = j->doc.text_len;
        j->lang = opine__doc_lang(e, &j->doc);
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
            j->err = opine__lookup_types(e, w, j);
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
            return opine__engine_db_fail(e, "looking for a stored copy");
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
    if ((rc = opine__engine_step_done(e, e->ins_dup, "recording a duplicate")))
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
    if (opine__engine_rowbuf_fit(e, 14 * n > 3 * nmeta ? 14 * n : 3 * nmeta) ||
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
        *p++ = opine__rows_text(j->lang); /* opine__doc_lang(), in phase A */
        b += 2;
    }
    int rc = opine__engine_step_rows(e, e->ins_docs, e->docs_rows, n,
                                     "storing documents");
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
        rc = opine__engine_step_rows(e, e->ins_metas, e->meta_rows, nmeta,
                                     "storing metadata");
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
    if (opine__engine_rowbuf_fit(e, 4 * n) || blobs_fit(e, n))
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
    return opine__engine_step_rows(e, e->ins_streams, e->stream_rows, n,
                                   "storing tokens");
}

/* Phase D: the types and stems a batch added to the vocabulary, ids
 * from+1 to `to`, from copies of their entries (tv[0] is type from+1); the
 * texts live in the maps' arenas, which never move. */
int opine__write_vocab(engine *e, const type_info *tv, int64_t types_from,
                       int64_t types_to, const stem_info *sv,
                       int64_t stems_from, int64_t stems_to)
{
    size_t ns = (size_t)(stems_to - stems_from),
           nt = (size_t)(types_to - types_from);
    if (opine__engine_rowbuf_fit(e, 5 * (ns > nt ? ns : nt) + 1))
        return OPINE_ENOMEM;
    for (size_t i = 0; i < ns; i++) {
        e->rowbuf[3 * i] = stems_from + 1 + (int64_t)i;
        e->rowbuf[3 * i + 1] = opine__rows_text(sv[i].text);
        e->rowbuf[3 * i + 2] =
            opine__rows_text(sv[i].lang ? e->langs[sv[i].lang].name : e->lang);
    }
    int rc = opine__engine_step_rows(e, e->ins_stem, e->new_stem_rows, ns,
                                     "adding stems");
    for (size_t i = 0; rc == 0 && i < nt; i++) {
        e->rowbuf[5 * i] = types_from + 1 + (int64_t)i;
        e->rowbuf[5 * i + 1] = opine__rows_text(tv[i].text);
        e->rowbuf[5 * i + 2] = tv[i].stem;
        e->rowbuf[5 * i + 3] = tv[i].stop;
        e->rowbuf[5 * i + 4] = opine__rows_text(e->langs[tv[i].lang].name);
    }
    if (rc == 0)
        rc = opine__engine_step_rows(e, e->ins_type, e->new_type_rows, nt,
                                     "adding types");
    return rc;
}

/* The batch's doc_scores rows with one INSERT ... SELECT. */
static int store_batch_scores(engine *e, const batch *bt)
{
    size_t n = 0;
    for (size_t i = 0; i < bt->njobs; i++)
        if (bt->jobs[i].state == JOB_NEW)
            n += bt->jobs[i].scores.nthemes;
    if (opine__engine_rowbuf_fit(e, 10 * n + 1))
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
    return opine__engine_step_rows(e, e->ins_score, e->score_rows, n,
                                   "storing scores");
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
        rc = opine__engine_step_done(e, q, "storing evidence");
    }
    return rc;
}

/* The batch's progress marks (stage_done) and, when stemmed, document
 * lengths: one INSERT ... SELECT each, every stage's marks in document
 * order. */
static int store_marks(engine *e, const batch *bt)
{
    size_t n = 0;
    if (opine__engine_rowbuf_fit(e, 3 * bt->njobs + 1))
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
        rc = opine__engine_step_rows(e, e->ins_done, e->doc_rows, n,
                                     "marking progress");
    }
    if (rc == 0 && (e->flags & DO_STEM))
        rc = opine__engine_step_rows(e, e->ins_length, e->doc_rows, n,
                                     "storing lengths");
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
    if (opine__engine_rowbuf_fit(e, 3 * n))
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
    return opine__engine_step_rows(e, e->ins_terms, e->terms_rows, n,
                                   "storing term counts");
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
    int rc = opine__engine_rowbuf_fit(e, 3 * (ns > nt ? ns : nt));
    if (rc == 0) {
        qsort(e->touched_stems, ns, sizeof(int64_t), cmp_i64);
        for (size_t i = 0; i < ns; i++) {
            int64_t s = e->touched_stems[i];
            e->rowbuf[3 * i] = s;
            e->rowbuf[3 * i + 1] = e->freq_stems[s].df;
            e->rowbuf[3 * i + 2] = e->freq_stems[s].cf;
        }
        rc = opine__engine_step_rows(e, e->add_terms, e->stem_rows, ns,
                                     "updating terms");
    }
    if (rc == 0) {
        qsort(e->touched_types, nt, sizeof(int64_t), cmp_i64);
        for (size_t i = 0; i < nt; i++) {
            int64_t t = e->touched_types[i];
            e->rowbuf[2 * i] = t;
            e->rowbuf[2 * i + 1] = e->freq_type_cf[t];
        }
        rc = opine__engine_step_rows(e, e->add_type_cf, e->type_rows, nt,
                                     "updating types");
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

double opine__engine_now(void)
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
        return opine__engine_db_fail(e, "reading documents");
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
    double t0 = opine__engine_now();
    int rc = 0;
    opine__fault("terms");
    if (e->flags & DO_STEM)
        rc = flush_counts(e);
    if (rc == 0 && opine_run_update(e->st, e->run_id, counts))
        rc = opine__engine_db_fail(e, "updating the run");
    double t1 = opine__engine_now();
    e->t_write += t1 - t0;
    if (rc == 0)
        opine__fault("commit");
    if (rc == 0 && opine_store_exec(e->st, "COMMIT"))
        rc = opine__engine_db_fail(e, "committing");
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
    e->t_commit += opine__engine_now() - t1;
    return rc;
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
    for (size_t i = 0; rc == 0 && i < bt->njobs; i++)
        if (e->flags & DO_TOKENIZE)
            rc = opine__intern_types(e, &bt->jobs[i]);
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

/* Phase D, on the writer thread (or the only one): open a transaction
 * when none is, decide which documents are new (ingest), write the
 * batch's rows, and commit when the transaction holds commit_bytes of
 * text or `last` says so. It owns the connection, the counters and the
 * frequency scratch while it runs; the batch's vocabulary comes as
 * copies, so phase B of the next batch may run meanwhile. */
int opine__batch_write(engine *e, batch *bt, int last)
{
    int rc = 0;
    double t3 = opine__engine_now();
    if (!e->in_txn) {
        if (opine_store_exec(e->st, "BEGIN IMMEDIATE"))
            return opine__engine_db_fail(e, "starting a transaction");
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
        rc = opine__write_vocab(e, bt->new_types, bt->types_from, bt->types_to,
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
            rc = opine__engine_db_fail(e, "recording a rejected record");
    }
    e->t_write += opine__engine_now() - t3;
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
        rc = opine__batch_write(e, &e->b, 0);
    return rc;
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
    if (rc || opine_store_exec(e->st, "COMMIT"))
        goto fail;
    snprintf(e->score_stage, sizeof e->score_stage, "score:%lld",
             (long long)e->model_id);
    return 0;
fail:
    opine__engine_db_fail(e, "storing the model");
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
    if ((rc = opine__load_vocab(e)) || (rc = read_last_doc(e)))
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
        return rc == OPINE_EDB
                   ? opine__engine_db_fail(e, "preparing statements")
                   : rc;
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
        return opine__engine_db_fail(e, "recording the language");
    return 0;
}

static void engine_release(engine *e)
{
    opine__batch_free(&e->b);
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
    free(e->touched_types);
    free(e->touched_stems);
    free(e->freq_type_cf);
    free(e->type_cf);
    free(e->freq_stems);
    free(e->theme_ids);
    free(e->lang_owned);
    opine__vocab_release(e);
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
    opine__read_batch(cur);
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
        return opine__engine_db_fail(e, "reading pending documents");
    size_t max_docs = e->o->batch_docs ? e->o->batch_docs : 4096;
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
                 e->t_commit, opine__engine_now() - e->t_start);
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
        rc = opine__stem_pending_types(&e);
    if (rc == 0)
        rc = pass_pending(&e, "stem");
    if (rc == 0)
        rc = opine__update_surfaces(&e);
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
        rc = opine__update_surfaces(&e);
    return finish(&e, rc, counts, errmsg);
}
