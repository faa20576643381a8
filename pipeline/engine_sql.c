/* pipeline/engine_sql.c — the batch writer: phase D's SQL, and the
 * transactions that hold its rows.
 *
 * opine__batch_write() runs on the writer thread, or on the only one with
 * -j 1 (engine_threads.c); while it runs it owns the connection, the run's
 * counters and the frequency scratch below. For each batch, in this order:
 * BEGIN IMMEDIATE when no transaction is open; tell new documents from
 * copies (find_twins, classify_document) and give the new ones ids; the
 * batch's new stems and types (opine__write_vocab, from the copies the
 * batch carries); documents, doc_meta and doc_authors; doc_tokens; evidence;
 * doc_scores; doc_terms and doc_vectors; stage_done and doc_lengths;
 * rejects. Each table but evidence gets one INSERT ... SELECT per batch
 * from a row table over e->rowbuf (base/rows.h) rather than a statement
 * per row.
 *
 * A transaction holds several batches, up to commit_bytes of text. What
 * they add to terms (df, cf) and types (cf) is summed in memory by id
 * (e->freq_stems, e->freq_type_cf) and written once, at commit, with the
 * run's counters; so terms always equals the sums over the committed
 * doc_terms. opine__engine_rollback() undoes the whole transaction, the
 * sums and the document ids it gave out included.
 *
 * The postings of the documents a transaction stems go to the similarity
 * index's writer (e->similar, pipeline/simindex.h), which writes them
 * into the transaction whenever it holds its buffer's worth, and the rest
 * before COMMIT; a rollback forgets what it holds.
 */
#include "pipeline/engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "pipeline/fault.h"

/* ---- statements and row tables ---------------------------------------- */

/* A trained model's classifier features that pushed a window toward its
 * side (opine_evidence.kind OPINE_EVIDENCE_FEATURE): why it decided, kept
 * apart from evidence, which holds what a reader can check (the lexicon's
 * cues). Added after schema version 3, so created here when missing. */
static int contributions_table(engine *e)
{
    if (sqlite3_exec(
            e->db,
            "CREATE TABLE IF NOT EXISTS contributions(doc INTEGER NOT NULL,"
            " theme INTEGER NOT NULL, sentence INTEGER NOT NULL,"
            " span_start INTEGER NOT NULL, span_end INTEGER NOT NULL,"
            " feature TEXT NOT NULL, polarity INTEGER NOT NULL,"
            " weight REAL NOT NULL, negated INTEGER NOT NULL);"
            "CREATE INDEX IF NOT EXISTS contributions_doc"
            " ON contributions(doc, theme);"
            "CREATE VIEW IF NOT EXISTS v_contributions AS SELECT c.doc,"
            " d.ext_id, m.name AS model, m.version, t.theme, c.sentence,"
            " c.span_start, c.span_end, c.feature, c.polarity, c.weight,"
            " c.negated FROM contributions c"
            " JOIN themes t ON t.id = c.theme JOIN models m ON m.id = t.model"
            " JOIN documents d ON d.id = c.doc;",
            NULL, NULL, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "creating the contributions table");
    return 0;
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

int opine__engine_finalize(engine *e, sqlite3_stmt *q, int rc, const char *what)
{
    if (sqlite3_finalize(q) != SQLITE_OK && rc == 0)
        rc = opine__engine_db_fail(e, what);
    return rc;
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

void opine__rows_out_begin(rows_out *o, engine *e, sqlite3_stmt *q,
                           opine_rows *r, size_t ncols, const char *what)
{
    *o = (rows_out){e, q, r, what, ncols, 0, OPINE__ROWS_SLICE / ncols, 0};
    if (opine__engine_rowbuf_fit(e, OPINE__ROWS_SLICE))
        o->rc = OPINE_ENOMEM;
}

int64_t *opine__rows_out_next(rows_out *o)
{
    if (o->rc == 0 && o->n == o->per) {
        o->rc = opine__engine_step_rows(o->e, o->q, o->r, o->n, o->what);
        o->n = 0;
    }
    return o->rc ? NULL : o->e->rowbuf + o->ncols * o->n++;
}

int opine__rows_out_end(rows_out *o)
{
    if (o->rc == 0)
        o->rc = opine__engine_step_rows(o->e, o->q, o->r, o->n, o->what);
    o->n = 0;
    return o->rc;
}

/* Register the writer's row tables and prepare its statements.
 *
 * The statements that write many rows say OR FAIL. A multi-row write whose
 * constraints would ABORT (SQLite's default) keeps a statement journal so
 * that it can undo just itself: every page it changes that existed before
 * it began is first copied there (64 KiB pages, in 1 KiB pieces in
 * memory), and freed when it ends. The writer never wants a statement
 * undone on its own: any error rolls the whole transaction back
 * (opine__engine_rollback), so FAIL, which keeps no journal, loses
 * nothing. On ABP: 0.7% of the run's CPU in the journal's functions
 * (perf) and more in copying; 8 alternating pairs of runs, wall and CPU
 * 0.974 of before. The OR REPLACE tables append at their end and keep
 * theirs (too little to measure). */
int opine__sql_init(engine *e)
{
    int rc;
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
                                   "id, type, stem, stopword, lang, cf",
                                   "itniti", &e->new_type_rows)) ||
        (rc = opine__rows_register(e->db, "opine_new_stems",
                                   "id, stem, lang, surface", "ittt",
                                   &e->new_stem_rows)) ||
        (rc = opine__rows_register(e->db, "opine_surfaces", "id, surface", "it",
                                   &e->surface_rows)) ||
        (rc = opine__rows_register(
             e->db, "opine_batch_documents",
             "id, hash, ext_id, source, position, title, author, outlet,"
             " published, url, bytes, run, body, lang",
             "ibttntttttiibt", &e->docs_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_meta", "doc, key, value",
                                   "itt", &e->meta_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_minhash", "doc, sig",
                                   "ib", &e->minhash_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_vectors", "doc, terms",
                                   "ib", &e->vector_rows)) ||
        (rc =
             opine__rows_register(e->db, "opine_batch_lines",
                                  "doc, lines, data", "iib", &e->lines_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_boilerplate",
                                   "doc, lines, tokens, fingerprint", "iiii",
                                   &e->bp_rows)) ||
        (rc = opine__rows_register(e->db, "opine_batch_authors",
                                   "doc, position, name, role", "iitt",
                                   &e->author_rows)) ||
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
    if ((rc = prepare(
             e, &e->ins_docs,
             "INSERT OR FAIL INTO documents(id, hash, ext_id, source,"
             " position, title, author, outlet, published, url, bytes,"
             " run, body, lang) SELECT id, hash, ext_id, source, position,"
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
        (rc = prepare(e, &e->ins_lines,
                      "INSERT OR REPLACE INTO doc_lines(doc, lines, data)"
                      " SELECT doc, lines, data FROM opine_batch_lines")) ||
        (rc = prepare(e, &e->ins_bp,
                      "INSERT OR REPLACE INTO doc_boilerplate(doc, lines,"
                      " tokens, fingerprint) SELECT doc, lines, tokens,"
                      " fingerprint FROM opine_batch_boilerplate")) ||
        (rc = prepare(e, &e->ins_minhash,
                      "INSERT OR REPLACE INTO doc_minhash(doc, sig)"
                      " SELECT doc, sig FROM opine_batch_minhash")) ||
        (rc = prepare(e, &e->ins_vectors,
                      "INSERT OR REPLACE INTO doc_vectors(doc, terms)"
                      " SELECT doc, terms FROM opine_batch_vectors")) ||
        (rc = prepare(
             e, &e->ins_authors,
             "INSERT OR FAIL INTO doc_authors(doc, position, name, role)"
             " SELECT doc, position, name, role"
             " FROM opine_batch_authors")) ||
        (rc = prepare(
             e, &e->set_surfaces,
             "UPDATE OR FAIL stems SET surface = v.surface FROM opine_surfaces"
             " v WHERE stems.id = v.id"
             " AND stems.surface IS NOT v.surface")) ||
        (rc = prepare(
             e, &e->ins_type,
             "INSERT OR FAIL INTO types(id, type, stem, stopword, lang, cf)"
             " SELECT id, type, stem, stopword, lang, cf"
             " FROM opine_new_types")) ||
        (rc =
             prepare(e, &e->set_type_stem,
                     "UPDATE types SET stem = ?, stopword = ? WHERE id = ?")) ||
        (rc =
             prepare(e, &e->ins_stem,
                     "INSERT OR FAIL INTO stems(id, stem, lang, surface)"
                     " SELECT id, stem, lang, surface FROM opine_new_stems")) ||
        (rc = prepare(e, &e->ins_streams,
                      "INSERT OR FAIL INTO doc_tokens(doc, tokens, sentences,"
                      " stream) SELECT doc, tokens, sentences, stream"
                      " FROM opine_batch_streams")) ||
        (rc = prepare(e, &e->ins_terms, OPINE__INSERT_DOC_TERMS)) ||
        (rc = prepare(e, &e->ins_done,
                      "INSERT OR FAIL INTO stage_done(stage, doc, run)"
                      " SELECT ?1, doc, ?2 FROM opine_batch_docs")) ||
        (rc = prepare(e, &e->add_terms,
                      "INSERT OR FAIL INTO terms(stem, df, cf)"
                      " SELECT stem, df, cf FROM opine_batch_stems WHERE 1"
                      " ON CONFLICT(stem) DO UPDATE"
                      " SET df = df + excluded.df, cf = cf + excluded.cf")) ||
        (rc = prepare(e, &e->add_type_cf,
                      "UPDATE OR FAIL types SET cf = types.cf + d.cf"
                      " FROM opine_batch_types AS d WHERE types.id = d.id")) ||
        (rc = prepare(e, &e->ins_score,
                      "INSERT OR FAIL INTO doc_scores(doc, theme, mentions,"
                      " salience, positive, negative, evidence, stance, lo,"
                      " hi) SELECT doc, theme, mentions, salience, positive,"
                      " negative, evidence, stance, lo, hi"
                      " FROM opine_batch_scores")) ||
        (rc = prepare(e, &e->ins_evidence,
                      "INSERT INTO evidence(doc, theme, sentence,"
                      " span_start, span_end, cue, polarity, weight,"
                      " negated) VALUES(?,?,?,?,?,?,?,?,?)")) ||
        (rc = contributions_table(e)) ||
        (rc = prepare(e, &e->ins_contribution,
                      "INSERT INTO contributions(doc, theme, sentence,"
                      " span_start, span_end, feature, polarity, weight,"
                      " negated) VALUES(?,?,?,?,?,?,?,?,?)")) ||
        (rc = prepare(e, &e->ins_length,
                      "INSERT INTO doc_lengths(doc, tokens, terms)"
                      " SELECT doc, tokens, terms FROM opine_batch_docs")))
        return rc;
    return 0;
}

/* Finalize the statements and free the writer's scratch. */
void opine__sql_release(engine *e)
{
    sqlite3_stmt *all[] = {
        e->ins_docs,         e->find_doc,      e->ins_dup,     e->ins_metas,
        e->ins_type,         e->set_type_stem, e->ins_stem,    e->ins_streams,
        e->ins_terms,        e->ins_done,      e->add_terms,   e->add_type_cf,
        e->ins_score,        e->ins_evidence,  e->ins_length,  e->set_surfaces,
        e->ins_contribution, e->ins_authors,   e->ins_minhash, e->ins_lines,
        e->ins_bp,           e->ins_vectors};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    free(e->rowbuf);
    free(e->vecbuf);
    free(e->blobs);
    free(e->order);
    free(e->touched_types);
    free(e->touched_stems);
    free(e->freq_type_cf);
    free(e->type_cf_stored);
    free(e->type_cf);
    free(e->pend_types);
    free(e->pend_stems);
    free(e->freq_stems);
}

/* ---- phase D: one batch's rows ---------------------------------------- */

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
    size_t n = 0, nmeta = 0, nauthors = 0;
    for (size_t i = 0; i < bt->njobs; i++)
        if (bt->jobs[i].state == JOB_NEW) {
            n++;
            nmeta += bt->jobs[i].doc.nmeta;
            nauthors += bt->jobs[i].nauthors;
        }
    if (n == 0)
        return 0;
    size_t values = 14 * n;
    if (values < 3 * nmeta)
        values = 3 * nmeta;
    if (values < 4 * nauthors)
        values = 4 * nauthors;
    if (opine__engine_rowbuf_fit(e, values) || blobs_fit(e, 2 * n))
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
    p = e->rowbuf;
    for (size_t i = 0; rc == 0 && i < bt->njobs; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        for (size_t k = 0; k < j->nauthors; k++) {
            *p++ = j->id;
            *p++ = (int64_t)k + 1;
            *p++ = opine__rows_text(j->authors[k].name);
            *p++ = opine__rows_text(j->authors[k].role);
        }
    }
    if (rc == 0)
        rc = opine__engine_step_rows(e, e->ins_authors, e->author_rows,
                                     nauthors, "storing authors");
    /* their lines (pipeline/boilerplate.c) */
    size_t nl = 0;
    p = e->rowbuf;
    opine_rows_blob *lb = e->blobs;
    for (size_t i = 0; rc == 0 && i < bt->njobs; i++) {
        job *j = &bt->jobs[i];
        if (j->state != JOB_NEW || j->lines_data == NULL)
            continue;
        *lb = (opine_rows_blob){j->lines_data, j->lines_data_len};
        *p++ = j->id;
        *p++ = (int64_t)j->nlines;
        *p++ = opine__rows_blob(lb++);
        nl++;
    }
    if (rc == 0)
        rc = opine__engine_step_rows(e, e->ins_lines, e->lines_rows, nl,
                                     "storing lines");
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
 * texts live in the maps' arenas, which never move. A type's row takes
 * the cf the open transaction has counted for it so far, so that its
 * commit adds only what came after (type_cf_stored): most types of a
 * corpus occur once, and a first load of ABP updated 196,071 types rows
 * at its commit, 0.1 s in the run's one-core tail. */
int opine__write_vocab(engine *e, const type_info *tv, int64_t types_from,
                       int64_t types_to, const stem_info *sv,
                       int64_t stems_from, int64_t stems_to)
{
    size_t ns = (size_t)(stems_to - stems_from),
           nt = (size_t)(types_to - types_from);
    rows_out o;
    opine__rows_out_begin(&o, e, e->ins_stem, e->new_stem_rows, 4,
                          "adding stems");
    int64_t *v;
    for (size_t i = 0; i < ns && (v = opine__rows_out_next(&o)); i++) {
        v[0] = stems_from + 1 + (int64_t)i;
        v[1] = opine__rows_text(sv[i].text);
        v[2] =
            opine__rows_text(sv[i].lang ? e->langs[sv[i].lang].name : e->lang);
        v[3] = opine__rows_text(sv[i].surface);
    }
    int rc = opine__rows_out_end(&o);
    if (rc)
        return rc;
    opine__rows_out_begin(&o, e, e->ins_type, e->new_type_rows, 6,
                          "adding types");
    for (size_t i = 0; i < nt && (v = opine__rows_out_next(&o)); i++) {
        size_t id = (size_t)types_from + 1 + i;
        int64_t cf = 0;
        if (id < e->cap_freq_types && id < e->cap_type_cf_stored)
            cf = e->type_cf_stored[id] = e->freq_type_cf[id];
        v[0] = (int64_t)id;
        v[1] = opine__rows_text(tv[i].text);
        v[2] = tv[i].stem;
        v[3] = tv[i].stop;
        v[4] = opine__rows_text(e->langs[tv[i].lang].name);
        v[5] = cf;
    }
    return opine__rows_out_end(&o);
}

/* The batch's doc_scores rows: one INSERT ... SELECT a slice. */
static int store_batch_scores(engine *e, const batch *bt)
{
    rows_out o;
    opine__rows_out_begin(&o, e, e->ins_score, e->score_rows, 10,
                          "storing scores");
    const double none = NAN;
    for (size_t i = 0; i < bt->njobs && o.rc == 0; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        int64_t *p;
        for (size_t t = 0;
             t < j->scores.nthemes && (p = opine__rows_out_next(&o)); t++) {
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
    return opine__rows_out_end(&o);
}

/* A document's evidence rows (its doc_scores go with the batch's). */
static int store_evidence(engine *e, job *j)
{
    int rc = 0;
    const opine_scores *sc = &j->scores;
    for (size_t i = 0; rc == 0 && i < sc->nev; i++) {
        const opine_evidence *ev = &sc->ev[i];
        sqlite3_stmt *q = ev->kind == OPINE_EVIDENCE_FEATURE
                              ? e->ins_contribution
                              : e->ins_evidence;
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

/* The lines the batch's new documents left out: a doc_boilerplate row
 * for each that left out any (the documents counted again in place are
 * all JOB_NEW too). */
static int store_bp_counts(engine *e, const batch *bt)
{
    rows_out o;
    opine__rows_out_begin(&o, e, e->ins_bp, e->bp_rows, 4,
                          "storing boilerplate counts");
    for (size_t i = 0; i < bt->njobs && o.rc == 0; i++) {
        const job *j = &bt->jobs[i];
        int64_t *v;
        if (j->state != JOB_NEW || !j->bp_lines ||
            (v = opine__rows_out_next(&o)) == NULL)
            continue;
        v[0] = j->id;
        v[1] = (int64_t)j->bp_lines;
        v[2] = (int64_t)j->bp_tokens;
        v[3] = (int64_t)j->bp_sum;
    }
    return opine__rows_out_end(&o);
}

/* The batch's documents' term vectors (doc_vectors): each its (stem,
 * tf) pairs in stem order as postings (pipeline/simindex.h), the stem id
 * less the previous one's for the document id. */
static int store_vectors(engine *e, const batch *bt)
{
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < bt->njobs; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        n++;
        uint32_t prev = 0;
        for (size_t k = 0; k < j->nterms; k++) {
            bytes += opine__posting_size(j->terms[2 * k] - prev,
                                         j->terms[2 * k + 1]);
            prev = j->terms[2 * k];
        }
    }
    if (n == 0)
        return 0;
    if (blobs_fit(e, n) ||
        opine__grow((void **)&e->vecbuf, &e->cap_vecbuf, bytes + 1, 1))
        return OPINE_ENOMEM;
    unsigned char *at = e->vecbuf;
    opine_rows_blob *b = e->blobs;
    rows_out o;
    opine__rows_out_begin(&o, e, e->ins_vectors, e->vector_rows, 2,
                          "storing term vectors");
    for (size_t i = 0; i < bt->njobs && o.rc == 0; i++) {
        const job *j = &bt->jobs[i];
        int64_t *v;
        if (j->state != JOB_NEW || (v = opine__rows_out_next(&o)) == NULL)
            continue;
        unsigned char *start = at;
        uint32_t prev = 0;
        for (size_t k = 0; k < j->nterms; k++) {
            at = opine__posting_put(at, j->terms[2 * k] - prev,
                                    j->terms[2 * k + 1]);
            prev = j->terms[2 * k];
        }
        *b = (opine_rows_blob){start, (size_t)(at - start)};
        v[0] = j->id;
        v[1] = opine__rows_blob(b++);
    }
    return opine__rows_out_end(&o);
}

/* The batch's (doc, stem, tf) rows: one INSERT ... SELECT a slice. They
 * come in primary-key order (documents in id order, stems sorted within
 * each), so every row lands at the end of the b-tree. */
static int insert_terms(engine *e, const batch *bt)
{
    rows_out o;
    opine__rows_out_begin(&o, e, e->ins_terms, e->terms_rows, 3,
                          "storing term counts");
    for (size_t i = 0; i < bt->njobs && o.rc == 0; i++) {
        const job *j = &bt->jobs[i];
        if (j->state != JOB_NEW)
            continue;
        int64_t *v;
        for (size_t k = 0; k < j->nterms && (v = opine__rows_out_next(&o));
             k++) {
            v[0] = j->id;
            v[1] = j->terms[2 * k];
            v[2] = j->terms[2 * k + 1];
        }
    }
    int rc = opine__rows_out_end(&o);
    if (rc == 0)
        rc = store_vectors(e, bt);
    /* the boilerplate lines they left out (pipeline/boilerplate.c) */
    if (rc == 0)
        rc = store_bp_counts(e, bt);
    /* and their MinHash signatures (pipeline/neardup.c) */
    size_t ns = 0;
    for (size_t i = 0; i < bt->njobs; i++)
        ns += bt->jobs[i].state == JOB_NEW && bt->jobs[i].has_sig;
    if (rc || ns == 0)
        return rc;
    if (blobs_fit(e, ns))
        return OPINE_ENOMEM;
    opine_rows_blob *b = e->blobs;
    opine__rows_out_begin(&o, e, e->ins_minhash, e->minhash_rows, 2,
                          "storing signatures");
    for (size_t i = 0; i < bt->njobs && o.rc == 0; i++) {
        const job *j = &bt->jobs[i];
        int64_t *v;
        if (j->state != JOB_NEW || !j->has_sig ||
            (v = opine__rows_out_next(&o)) == NULL)
            continue;
        *b = (opine_rows_blob){j->sig, OPINE_SIG_BYTES};
        v[0] = j->id;
        v[1] = opine__rows_blob(b++);
    }
    return opine__rows_out_end(&o);
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
                   opine__grow((void **)&e->type_cf_stored,
                               &e->cap_type_cf_stored, nt, sizeof(int64_t)) ||
                   opine__grow((void **)&e->touched_types,
                               &e->cap_touched_types, nt, sizeof(int64_t)) ||
                   opine__grow((void **)&e->freq_stems, &e->cap_freq_stems, ns,
                               sizeof(stem_freq)) ||
                   opine__grow((void **)&e->touched_stems,
                               &e->cap_touched_stems, ns, sizeof(int64_t))
               ? OPINE_ENOMEM
               : 0;
}

/* New types and stems wait, copied (the vocabulary grows on while the
 * writer writes), until VOCAB_ROWS of them have come or the transaction
 * commits, and are then written in one statement each. Their rows land
 * at random places in the indexes on their text (types_text, stems'
 * (lang, stem)): written batch by batch, every batch brought those
 * indexes' pages back into the page cache, which the batch's other rows
 * had pushed out. ABP's 196,071 types and 157,451 stems, in 54 batches:
 * 1.23-1.33 s of the writer's time batch by batch, 0.85-0.87 s once a
 * commit (four commits). Not only at commits: a first load of ABP is one
 * transaction, and its last statement would be in the run's one-core
 * tail. With VOCAB_ROWS, 10 alternating runs against batch by batch:
 * ratio of pairs 0.977, the writer's time (runs.timings write) 0.25-1.1
 * s lower, the same rows. And when the inputs' last stretch of smaller
 * batches begins (bt->ending, batch_size() in engine.c): what waits then
 * is written while the engine still reads, so that the tail writes only
 * the types and stems of that stretch: on ABP 0.015-0.034 s of the
 * one-core tail, where 17,031 types and 14,838 stems had waited for
 * 0.07-0.09 s. */
#define VOCAB_ROWS 32768

static int write_pending_vocab(engine *e)
{
    int rc = opine__write_vocab(e, e->pend_types, e->pend_types_from,
                                e->pend_types_from + (int64_t)e->npend_types,
                                e->pend_stems, e->pend_stems_from,
                                e->pend_stems_from + (int64_t)e->npend_stems);
    e->npend_types = e->npend_stems = 0;
    return rc;
}

static int pend_vocab(engine *e, const batch *bt)
{
    size_t nt = (size_t)(bt->types_to - bt->types_from),
           ns = (size_t)(bt->stems_to - bt->stems_from);
    if (e->npend_types == 0)
        e->pend_types_from = bt->types_from;
    if (e->npend_stems == 0)
        e->pend_stems_from = bt->stems_from;
    if (opine__grow((void **)&e->pend_types, &e->cap_pend_types,
                    e->npend_types + nt, sizeof(type_info)) ||
        opine__grow((void **)&e->pend_stems, &e->cap_pend_stems,
                    e->npend_stems + ns, sizeof(stem_info)))
        return OPINE_ENOMEM;
    if (nt)
        memcpy(e->pend_types + e->npend_types, bt->new_types,
               nt * sizeof(type_info));
    if (ns)
        memcpy(e->pend_stems + e->npend_stems, bt->new_stems,
               ns * sizeof(stem_info));
    e->npend_types += nt;
    e->npend_stems += ns;
    return e->npend_types + e->npend_stems >= VOCAB_ROWS || bt->ending
               ? write_pending_vocab(e)
               : 0;
}

/* Forget what the transaction added (committed, or rolled back). */
static void clear_adds(engine *e)
{
    for (size_t i = 0; i < e->ntouched_stems; i++)
        e->freq_stems[e->touched_stems[i]] = (stem_freq){0, 0};
    for (size_t i = 0; i < e->ntouched_types; i++) {
        e->freq_type_cf[e->touched_types[i]] = 0;
        e->type_cf_stored[e->touched_types[i]] = 0;
    }
    e->ntouched_stems = e->ntouched_types = 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Whether the n ids touched are better read off their frequency array
 * (cap entries, in id order: an id is touched when its count is not 0,
 * as counts only grow) than sorted: when they are more than a sixteenth
 * of it. A first load's one commit touches every id (ABP: 353,000, which
 * qsort took 29 ms to sort in the run's one-core tail). */
static int dense(size_t n, size_t cap)
{
    return n > cap / 16;
}

/* Add the batch's frequencies to terms and types, then clear them: one
 * statement each, in id order so the b-tree is walked forward. */
static int flush_counts(engine *e)
{
    size_t ns = e->ntouched_stems, nt = e->ntouched_types;
    rows_out o;
    int64_t *v;
    if (dense(ns, e->cap_freq_stems)) {
        size_t k = 0;
        for (size_t s = 0; s < e->cap_freq_stems && k < ns; s++)
            if (e->freq_stems[s].df)
                e->touched_stems[k++] = (int64_t)s;
    } else {
        qsort(e->touched_stems, ns, sizeof(int64_t), cmp_i64);
    }
    opine__rows_out_begin(&o, e, e->add_terms, e->stem_rows, 3,
                          "updating terms");
    for (size_t i = 0; i < ns && (v = opine__rows_out_next(&o)); i++) {
        int64_t s = e->touched_stems[i];
        v[0] = s;
        v[1] = e->freq_stems[s].df;
        v[2] = e->freq_stems[s].cf;
    }
    int rc = opine__rows_out_end(&o);
    if (rc == 0) {
        if (dense(nt, e->cap_freq_types)) {
            size_t k = 0;
            for (size_t t = 0; t < e->cap_freq_types && k < nt; t++)
                if (e->freq_type_cf[t])
                    e->touched_types[k++] = (int64_t)t;
        } else {
            qsort(e->touched_types, nt, sizeof(int64_t), cmp_i64);
        }
        opine__rows_out_begin(&o, e, e->add_type_cf, e->type_rows, 2,
                              "updating types");
        for (size_t i = 0; i < nt && o.rc == 0; i++) {
            int64_t t = e->touched_types[i];
            int64_t add = e->freq_type_cf[t] - e->type_cf_stored[t];
            if (add && (v = opine__rows_out_next(&o))) {
                v[0] = t;
                v[1] = add;
            }
        }
        rc = opine__rows_out_end(&o);
    }
    /* opine__engine_commit() clears the adds, once it knows their fate */
    return rc;
}

/* ---- the transaction -------------------------------------------------- */

/* The largest document id stored: new documents get the ids after it. */
int opine__read_last_doc(engine *e)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db, "SELECT coalesce(max(id), 0) FROM documents",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading documents");
    if (sqlite3_step(q) == SQLITE_ROW)
        e->last_doc = sqlite3_column_int64(q, 0);
    return opine__engine_finalize(e, q, 0, "reading documents");
}

/* Give up the open transaction (after an error): everything since the
 * last commit is undone, the frequencies it added included. */
void opine__engine_rollback(engine *e)
{
    opine_store_rollback(e->st);
    opine__read_last_doc(
        e); /* the ids the transaction gave out are free again */
    e->in_txn = 0;
    clear_adds(e);
    opine__simindex_discard(e->similar);
    e->npend_types = e->npend_stems = 0;
}

/* End the open transaction: the frequencies its batches added, the run's
 * counters, COMMIT; with hold, all but the COMMIT, which finish() then
 * makes (e->hold_last). */
int opine__engine_commit(engine *e, const opine_run_counts *counts, int hold)
{
    if (!e->in_txn)
        return 0;
    double t0 = opine__engine_now();
    int rc = 0;
    opine__fault("terms");
    rc = write_pending_vocab(e); /* the types' rows before their counts */
    if (rc == 0 && (e->flags & DO_STEM))
        rc = flush_counts(e);
    double ts = opine__engine_now();
    if (rc == 0 && e->similar && opine__simindex_flush(e->similar))
        rc = opine__engine_db_fail(e, "writing the similarity index");
    double similar = opine__engine_now() - ts;
    e->t_similar += similar;
    if (rc == 0 && opine_run_update(e->st, e->run_id, counts))
        rc = opine__engine_db_fail(e, "updating the run");
    double t1 = opine__engine_now();
    e->t_write += t1 - t0 - similar;
    hold = hold && rc == 0;
    if (rc == 0 && !hold)
        opine__fault("commit");
    if (rc == 0 && !hold && opine_store_exec(e->st, "COMMIT"))
        rc = opine__engine_db_fail(e, "committing");
    if (rc == 0 && !hold)
        opine__fault("committed");
    if (rc) {
        opine__engine_rollback(e);
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

/* ---- the batch writer ------------------------------------------------- */

/* The text a transaction holds when the caller set none: 256 MiB on a
 * first load, 64 MiB otherwise. A first load's transactions after its
 * first commit copy into the rollback journal every page they rewrite of
 * what is already in the file (the vocabulary's tables and indexes, and
 * terms: 22-28 MB a commit on ABP), and the pipeline stalls while the
 * writer commits. Measured in alternating runs against 64 MiB: ABP (215
 * MB of text, one transaction instead of four) 6-12% faster, with
 * 1.2-1.5 s less CPU; a corpus twice its size (two transactions instead
 * of seven) 3.6% faster; peak RSS the same. In WAL the log holds a whole
 * transaction (522 MB on ABP at 256 MiB, 175 at 64) and 256 MiB measured
 * no faster there. */
static size_t commit_every(const engine *e)
{
    return opine_store_first_load(e->st) ? (size_t)256 << 20 : (size_t)64 << 20;
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
    if (e->flags & DO_INGEST) {
        /* The reader's counters are totals over its inputs so far, read
         * when the batch was: they go with the batch's commit. */
#define TOTAL(x)                                                               \
    if ((int64_t)bt->rcounts.x > e->counts.x)                                  \
        e->counts.x = (int64_t)bt->rcounts.x;
        TOTAL(utf8_repairs)
        TOTAL(repaired_records)
        TOTAL(members)
        TOTAL(skipped_records)
#undef TOTAL
    }
    for (size_t i = 0; i < bt->njobs; i++) {
        /* text (ingest, tokenize) or token streams (stem, score) */
        const job *j = &bt->jobs[i];
        e->txn_bytes += j->text_len ? j->text_len : j->blob_in_len;
        e->counts.unquoted_streams += j->unquoted && j->state == JOB_NEW;
    }
    if (e->flags & DO_INGEST) {
        rc = find_twins(e, bt);
        for (size_t i = 0; rc == 0 && i < bt->njobs; i++)
            rc = classify_document(e, bt, &bt->jobs[i]);
    }
    if (rc == 0 && (e->flags & DO_STEM))
        rc = fit_adds(e, bt);
    if (rc == 0 && (e->flags & DO_INGEST))
        rc = insert_documents(e, bt);
    if (rc == 0 && (e->flags & DO_TOKENIZE))
        rc = insert_streams(e, bt);
    if (rc == 0)
        opine__fault("batch");
    for (size_t i = 0; rc == 0 && i < bt->njobs; i++)
        if (bt->jobs[i].state == JOB_NEW)
            rc = store_results(e, &bt->jobs[i]);
    /* after the batch's counts: a new type's row takes the cf it has so
     * far (opine__write_vocab) */
    if (rc == 0)
        rc = pend_vocab(e, bt);
    if (rc == 0 && (e->flags & DO_SCORE))
        rc = store_batch_scores(e, bt);
    if (rc == 0 && (e->flags & DO_STEM))
        rc = insert_terms(e, bt);
    double similar = 0;
    if (rc == 0 && (e->flags & DO_STEM) && e->similar) {
        double ts = opine__engine_now();
        for (size_t i = 0; rc == 0 && i < bt->njobs; i++) {
            const job *j = &bt->jobs[i];
            if (j->state == JOB_NEW &&
                (rc = opine__simindex_add(e->similar, j->id, j->terms,
                                          j->nterms, j->pos, j->pos_end)) ==
                    OPINE_EDB)
                opine__engine_db_fail(e, "writing the similarity index");
        }
        similar = opine__engine_now() - ts;
        e->t_similar += similar;
    }
    if (rc == 0)
        rc = store_marks(e, bt);
    for (size_t i = 0; rc == 0 && i < bt->nrejects; i++) {
        reject *r = &bt->rejects[i];
        if (opine_run_reject(e->st, e->run_id, r->source, r->position,
                             r->message))
            rc = opine__engine_db_fail(e, "recording a rejected record");
    }
    e->t_write += opine__engine_now() - t3 - similar;
    size_t every = e->o->commit_bytes ? e->o->commit_bytes : commit_every(e);
    if (rc == 0 && ((last && !e->hold_last) || e->txn_bytes >= every))
        rc = opine__engine_commit(e, &e->counts, 0);
    if (rc && e->in_txn)
        opine__engine_rollback(e);
    return rc;
}

/* ---- documents counted again in place (boilerplate) -------------------- */

/* Growing arrays of (doc, stem, tf) rows, and what the changes add to
 * terms, by stem. */
typedef struct rewrite {
    int64_t *del, *upd, *ins;
    size_t ndel, nupd, nins, cap_del, cap_upd, cap_ins;
    int64_t *df, *cf;
    unsigned char *seen; /* by stem: in touched */
    int64_t *touched;
    size_t ntouched;
} rewrite;

static int row3(int64_t **v, size_t *n, size_t *cap, int64_t a, int64_t b,
                int64_t c)
{
    if (opine__grow((void **)v, cap, 3 * (*n + 1), sizeof(int64_t)))
        return OPINE_ENOMEM;
    (*v)[3 * *n] = a;
    (*v)[3 * *n + 1] = b;
    (*v)[3 * *n + 2] = c;
    (*n)++;
    return 0;
}

static void touch(rewrite *w, int64_t stem, int64_t df, int64_t cf)
{
    if (!w->seen[stem]) {
        w->seen[stem] = 1;
        w->touched[w->ntouched++] = stem;
    }
    w->df[stem] += df;
    w->cf[stem] += cf;
}

/* The changes from a document's old doc_terms rows (old[0..n), stem and
 * tf, by stem) to j->terms. */
static int diff_terms(rewrite *w, const job *j, const int64_t *old, size_t n)
{
    size_t a = 0, b = 0;
    int rc = 0;
    while (rc == 0 && (a < n || b < j->nterms)) {
        int64_t so = a < n ? old[2 * a] : INT64_MAX;
        int64_t sn = b < j->nterms ? (int64_t)j->terms[2 * b] : INT64_MAX;
        if (so == sn) {
            int64_t to = old[2 * a + 1], tn = j->terms[2 * b + 1];
            if (to != tn) {
                rc = row3(&w->upd, &w->nupd, &w->cap_upd, j->id, so, tn);
                touch(w, so, 0, tn - to);
            }
            a++;
            b++;
        } else if (so < sn) {
            rc = row3(&w->del, &w->ndel, &w->cap_del, j->id, so, 0);
            touch(w, so, -1, -old[2 * a + 1]);
            a++;
        } else {
            rc = row3(&w->ins, &w->nins, &w->cap_ins, j->id, sn,
                      j->terms[2 * b + 1]);
            touch(w, sn, 1, j->terms[2 * b + 1]);
            b++;
        }
    }
    return rc;
}

/* Run sql over rows[0..n) as table r, with ?1 (if it has one) bind1. */
static int exec_rows(engine *e, const char *sql, opine_rows *r,
                     const int64_t *rows, size_t n, int64_t bind1)
{
    sqlite3_stmt *q;
    if (n == 0)
        return 0;
    if (sqlite3_prepare_v2(e->db, sql, -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "counting again");
    if (sqlite3_bind_parameter_count(q) >= 1)
        sqlite3_bind_int64(q, 1, bind1);
    opine__rows_set(r, rows, n);
    int step = sqlite3_step(q);
    opine__rows_set(r, NULL, 0);
    sqlite3_finalize(q);
    return step == SQLITE_DONE ? 0 : opine__engine_db_fail(e, "counting again");
}

int opine__batch_rewrite(engine *e, batch *bt)
{
    rewrite w = {0};
    int rc = 0, score = (e->flags & DO_SCORE) != 0;
    size_t ns = (size_t)e->nstems + 1, nd = bt->njobs;
    int64_t *docs = malloc((3 * nd + 1) * sizeof(int64_t)), *old = NULL;
    size_t nold = 0, cap_old = 0;
    if (docs == NULL || (w.df = calloc(ns, sizeof(int64_t))) == NULL ||
        (w.cf = calloc(ns, sizeof(int64_t))) == NULL ||
        (w.seen = calloc(ns, 1)) == NULL ||
        (w.touched = malloc(ns * sizeof(int64_t))) == NULL)
        rc = OPINE_ENOMEM;
    /* the batch's documents (in id order) as opine_batch_docs: id, the
     * tokens now counted, the terms */
    for (size_t i = 0; rc == 0 && i < nd; i++) {
        docs[3 * i] = bt->jobs[i].id;
        docs[3 * i + 1] = (int64_t)bt->jobs[i].counted;
        docs[3 * i + 2] = (int64_t)bt->jobs[i].nterms;
    }
    /* their doc_terms rows as they are, merged with the new counts */
    sqlite3_stmt *q = NULL;
    if (rc == 0 &&
        sqlite3_prepare_v2(e->db,
                           "SELECT doc, stem, tf FROM doc_terms WHERE doc IN"
                           " (SELECT doc FROM opine_batch_docs)"
                           " ORDER BY doc, stem",
                           -1, &q, NULL) != SQLITE_OK)
        rc = opine__engine_db_fail(e, "reading term counts");
    if (rc == 0) {
        opine__rows_set(e->doc_rows, docs, nd);
        size_t k = 0;
        int step = sqlite3_step(q);
        for (; rc == 0 && k < nd; k++) {
            const job *j = &bt->jobs[k];
            nold = 0;
            while (step == SQLITE_ROW && sqlite3_column_int64(q, 0) == j->id) {
                if (opine__grow((void **)&old, &cap_old, 2 * (nold + 1),
                                sizeof(int64_t))) {
                    rc = OPINE_ENOMEM;
                    break;
                }
                old[2 * nold] = sqlite3_column_int64(q, 1);
                old[2 * nold + 1] = sqlite3_column_int64(q, 2);
                nold++;
                step = sqlite3_step(q);
            }
            if (rc == 0)
                rc = diff_terms(&w, j, old, nold);
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = opine__engine_db_fail(e, "reading term counts");
        sqlite3_finalize(q);
        opine__rows_set(e->doc_rows, NULL, 0);
    }
    /* the changes, one statement each */
    if (rc == 0)
        rc = exec_rows(e,
                       "DELETE FROM doc_terms WHERE (doc, stem) IN"
                       " (SELECT doc, stem FROM " OPINE__BATCH_TERMS ")",
                       e->terms_rows, w.del, w.ndel, 0);
    if (rc == 0)
        rc = exec_rows(e,
                       "UPDATE doc_terms SET tf = b.tf FROM " OPINE__BATCH_TERMS
                       " b WHERE doc_terms.doc = b.doc"
                       " AND doc_terms.stem = b.stem",
                       e->terms_rows, w.upd, w.nupd, 0);
    if (rc == 0)
        rc = exec_rows(e, OPINE__INSERT_DOC_TERMS, e->terms_rows, w.ins, w.nins,
                       0);
    /* Lengths anew; scores and evidence go: this model's are stored again
     * below, any other model's (all, without a model) wait with their
     * marks gone for opine score. ?1 is this engine's model (0: none). */
    static const char *const over_docs[] = {
        "UPDATE doc_lengths SET tokens = b.tokens, terms = b.terms"
        " FROM opine_batch_docs b WHERE doc_lengths.doc = b.doc",
        "DELETE FROM doc_boilerplate WHERE doc IN"
        " (SELECT doc FROM opine_batch_docs)",
        "DELETE FROM doc_scores WHERE doc IN (SELECT doc FROM"
        " opine_batch_docs)",
        "DELETE FROM evidence WHERE doc IN (SELECT doc FROM opine_batch_docs)",
        "DELETE FROM contributions WHERE doc IN (SELECT doc FROM"
        " opine_batch_docs)",
        "DELETE FROM stage_done WHERE stage IN (SELECT 'score:' || id FROM"
        " models WHERE id IS NOT ?1) AND doc IN (SELECT doc FROM"
        " opine_batch_docs)"};
    for (size_t i = 0; rc == 0 && i < sizeof over_docs / sizeof *over_docs; i++)
        rc = exec_rows(e, over_docs[i], e->doc_rows, docs, nd,
                       score ? e->model_id : 0);
    for (size_t i = 0; rc == 0 && score && i < nd; i++)
        rc = store_evidence(e, &bt->jobs[i]);
    if (rc == 0 && score)
        rc = store_batch_scores(e, bt);
    /* the lines each left out, as a stem stage stores them, and the term
     * vectors anew */
    if (rc == 0)
        rc = store_bp_counts(e, bt);
    if (rc == 0)
        rc = store_vectors(e, bt);
    /* and their postings anew (opine__simindex_forget() took the old) */
    for (size_t i = 0; rc == 0 && e->similar && i < nd; i++) {
        const job *j = &bt->jobs[i];
        if ((rc = opine__simindex_add(e->similar, j->id, j->terms, j->nterms,
                                      j->pos, j->pos_end)) == OPINE_EDB)
            rc = opine__engine_db_fail(e, "writing the similarity index");
    }
    /* terms by the differences; a stem no document has any more goes */
    if (rc == 0 && w.ntouched) {
        if (opine__engine_rowbuf_fit(e, 3 * w.ntouched))
            rc = OPINE_ENOMEM;
        qsort(w.touched, w.ntouched, sizeof(int64_t), cmp_i64);
        for (size_t i = 0; rc == 0 && i < w.ntouched; i++) {
            int64_t st = w.touched[i];
            e->rowbuf[3 * i] = st;
            e->rowbuf[3 * i + 1] = w.df[st];
            e->rowbuf[3 * i + 2] = w.cf[st];
        }
        if (rc == 0)
            rc = opine__engine_step_rows(e, e->add_terms, e->stem_rows,
                                         w.ntouched, "updating terms");
        if (rc == 0 &&
            opine_store_exec(e->st, "DELETE FROM terms WHERE df = 0"))
            rc = opine__engine_db_fail(e, "updating terms");
    }
    free(docs);
    free(old);
    free(w.del);
    free(w.upd);
    free(w.ins);
    free(w.df);
    free(w.cf);
    free(w.seen);
    free(w.touched);
    return rc;
}
