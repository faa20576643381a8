/* pipeline/boilerplate.c — lines a site repeats across its pages (related
 * links, "Click here to subscribe", bylines, photo credits): found by how
 * many documents of one outlet hold them, kept in the stored body, and
 * (--boilerplate exclude) left out of terms and scoring. Looked for only
 * when asked: see COST below.
 *
 * STORED
 *   doc_lines(doc, data)   every document's lines (stages/lines.h): hash of
 *                          the normalised line seeded with the outlet, and
 *                          byte span; made by the workers at ingest
 *   boilerplate_lines(hash, outlet, docs, occurrences, doc, line)   the
 *                          FLAGGED lines: those at least min_docs
 *                          documents of their outlet hold, with how many
 *                          documents and occurrences, and the text of the
 *                          first document's occurrence
 *   doc_boilerplate(doc, lines, tokens, fingerprint)   per stemmed document
 *                          with lines left out: how many distinct lines,
 *                          how many tokens that would have counted (stop
 *                          words are not counted anyway), and the XOR of
 *                          their hashes
 *   meta boilerplate, boilerplate_min_docs   exclude, count or off (the
 *                          default for a new database); the documents a
 *                          line needs to be flagged
 *
 * HOW IT WORKS. Whether a line is furniture depends on every document of
 * its outlet, but opine run stems each document as it reads it. So:
 *   A document whose every line is flagged keeps them all: it is a stub or
 *   a template, not an article with furniture around it.
 *   1. During a run (phase B, one thread, document order) a bounded table
 *      counts each line's documents so far; a line at min_docs or more, or
 *      flagged by an earlier run, is left out of the document at once.
 *      The table forgets rare lines when full, so it may count low; and it
 *      counts exact copies that phase D will not store, so it may count
 *      high. Neither matters for the result, only for step 3's work.
 *   2. When the documents are in (the end of ingest and of the run's read,
 *      or the start of stem and score when documents came in since),
 *      opine__boilerplate() counts every line exactly from doc_lines, in
 *      partitions of the hash space so that memory stays bounded, and
 *      rewrites boilerplate_lines.
 *   3. A stemmed document whose left-out lines are not exactly its flagged
 *      ones (the fingerprints differ) is counted, and scored with this
 *      stage's model, again from its stored tokens, in the same
 *      transaction, and phase D is done in place (opine__batch_rewrite):
 *      only the doc_terms rows that change, terms by the differences, its
 *      lengths, scores, evidence and contributions; other models' scores
 *      go with their marks, to be scored again. Its postings leave the
 *      similarity index in the same transaction (opine__simindex_forget()),
 *      and its new terms go in (a stage that stems has the index's
 *      writer; after ingest or score, the next refresh takes them from
 *      doc_terms); the norms are summed again at the end of the stage. A
 *      run killed anywhere leaves either the old state or the new: the
 *      result is the same as if every flagged line had been known from
 *      the start.
 * With "count", lines are still counted and flagged but nothing is left
 * out; with "off", lines are not even hashed.
 *
 * COST, on ABP (37,547 documents, 920,637 lines; opine run into a new
 * file, the median of 3 runs each, interleaved, on a quiet 2-core
 * machine): off 12.70 s of CPU (7.00 s wall, 234 MB), count 13.16 s
 * (+4%; 7.27 s, 243 MB), exclude 14.54 s (+14%; 8.68 s, 254 MB: over
 * the 250 MB a default run must stay under).
 * Hashing, storing (9.9 MB of doc_lines) and counting every line is the
 * "count" share; "exclude" adds the documents counted again in step 3:
 * 3,411 of them, each stemmed before the 5th document of its outlet
 * showed that a line it holds is furniture (four documents per flagged
 * line, inherent to one streaming pass), with their postings taken out
 * of the similarity index and put back. So the default is off.
 */
#include "pipeline/engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/sort.h"
#include "pipeline/fault.h"
#include "stages/lines.h"

#define TRACK_SLOTS ((size_t)1 << 17) /* 2 MiB: the run's line counts */
#define TRACK_WAYS 8
#define PART_LINES ((size_t)1 << 20) /* lines per counting pass: 8 MiB */

/* ---- a set of 64-bit hashes (the flagged lines) ------------------------ */

struct opine__hset {
    uint64_t *v; /* 0 is an empty slot; the hash 0 is kept aside */
    size_t cap, n;
    int has_zero;
};

static int hset_has(const opine__hset *s, uint64_t h)
{
    if (s == NULL)
        return 0;
    if (h == 0)
        return s->has_zero;
    if (s->cap == 0)
        return 0;
    for (size_t i = (size_t)opine_mix64(h) & (s->cap - 1);;
         i = (i + 1) & (s->cap - 1)) {
        if (s->v[i] == h)
            return 1;
        if (s->v[i] == 0)
            return 0;
    }
}

static int hset_add(opine__hset *s, uint64_t h)
{
    if (h == 0) {
        s->has_zero = 1;
        return 0;
    }
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *v = calloc(cap, sizeof(uint64_t));
        if (v == NULL)
            return OPINE_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (s->v[i] == 0)
                continue;
            size_t k = (size_t)opine_mix64(s->v[i]) & (cap - 1);
            while (v[k])
                k = (k + 1) & (cap - 1);
            v[k] = s->v[i];
        }
        free(s->v);
        s->v = v;
        s->cap = cap;
    }
    size_t i = (size_t)opine_mix64(h) & (s->cap - 1);
    for (; s->v[i]; i = (i + 1) & (s->cap - 1))
        if (s->v[i] == h)
            return 0;
    s->v[i] = h;
    s->n++;
    return 0;
}

static void hset_free(opine__hset *s)
{
    if (s) {
        free(s->v);
        free(s);
    }
}

/* ---- the run's bounded counts (step 1) -------------------------------- */

typedef struct track_slot {
    uint64_t hash;
    uint32_t count; /* 0: empty */
} track_slot;

struct opine__tracker {
    track_slot v[TRACK_SLOTS];
};

/* Count one more document holding the line; its count so far. */
static uint32_t track(opine__tracker *t, uint64_t h)
{
    track_slot *b =
        &t->v[(opine_mix64(h) & (TRACK_SLOTS / TRACK_WAYS - 1)) * TRACK_WAYS];
    track_slot *low = b;
    for (int i = 0; i < TRACK_WAYS; i++) {
        if (b[i].count && b[i].hash == h)
            return b[i].count < UINT32_MAX ? ++b[i].count : b[i].count;
        if (b[i].count < low->count)
            low = &b[i];
    }
    /* a new line: in an empty slot, or in place of the rarest */
    *low = (track_slot){h, 1};
    return 1;
}

/* ---- settings --------------------------------------------------------- */

static const char *const mode_names[] = {"off", "count", "exclude"};

int opine__bp_settings(engine *e)
{
    char *have = opine_store_meta_get(e->st, "boilerplate");
    char *have_min = opine_store_meta_get(e->st, "boilerplate_min_docs");
    const char *want = e->o->boilerplate ? e->o->boilerplate
                       : have            ? have
                                         : "off";
    int rc = 0;
    e->bp_mode = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(want, mode_names[i]) == 0)
            e->bp_mode = i;
    e->bp_min = e->o->boilerplate_min_docs > 0 ? e->o->boilerplate_min_docs
                : have_min                     ? atoi(have_min)
                                               : OPINE_BOILERPLATE_MIN_DOCS;
    if (e->bp_mode < 0) {
        e->errmsg = opine__format("unknown --boilerplate '%s' (exclude, count"
                                  " or off)",
                                  want);
        rc = OPINE_EUSAGE;
    } else if (e->bp_min < 2) {
        e->errmsg = opine__format("--boilerplate-min-docs must be 2 or more,"
                                  " not %d",
                                  e->bp_min);
        rc = OPINE_EUSAGE;
    }
    /* Another setting than the database's is taken: step 3 brings the
     * stemmed documents in line with it. */
    char min[16];
    snprintf(min, sizeof min, "%d", e->bp_min);
    if (rc == 0 && (!have || strcmp(have, want) != 0 || !have_min ||
                    strcmp(have_min, min) != 0)) {
        if (opine_store_meta_set(e->st, "boilerplate", want) ||
            opine_store_meta_set(e->st, "boilerplate_min_docs", min))
            rc = opine__engine_db_fail(e, "recording the boilerplate setting");
        e->bp_changed = have != NULL;
    }
    free(have);
    free(have_min);
    if (rc == 0 && e->bp_mode == BP_EXCLUDE && (e->flags & DO_INGEST) &&
        (e->flags & DO_STEM) &&
        (e->bp_tracker = calloc(1, sizeof(opine__tracker))) == NULL)
        rc = OPINE_ENOMEM;
    if (rc == 0)
        rc = opine__bp_load(e);
    return rc;
}

/* The flagged lines as stored, for leaving them out. */
int opine__bp_load(engine *e)
{
    hset_free(e->bp_flagged);
    e->bp_flagged = calloc(1, sizeof(opine__hset));
    if (e->bp_flagged == NULL)
        return OPINE_ENOMEM;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db, "SELECT hash FROM boilerplate_lines", -1, &q,
                           NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading boilerplate lines");
    int rc = 0;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW)
        rc = hset_add(e->bp_flagged, (uint64_t)sqlite3_column_int64(q, 0));
    sqlite3_finalize(q);
    return rc;
}

void opine__bp_release(engine *e)
{
    hset_free(e->bp_flagged);
    free(e->bp_tracker);
    free(e->bp_scratch);
    e->bp_flagged = NULL;
    e->bp_tracker = NULL;
    e->bp_scratch = NULL;
    e->cap_bp_scratch = 0;
}

/* ---- per document ----------------------------------------------------- */

static char *group_name(const char *outlet, const char *url);

int opine__bp_prepare(engine *e, job *j)
{
    if (e->bp_mode == BP_OFF)
        return 0;
    if (e->flags & DO_INGEST) {
        char *group = group_name(j->doc.outlet, j->doc.url);
        int rc = opine_lines(j->text, j->text_len, opine_lines_seed(group),
                             &j->lines, &j->nlines);
        free(group);
        if (rc == 0)
            rc = opine_lines_encode(j->lines, j->nlines, &j->lines_data,
                                    &j->lines_data_len);
        return rc;
    }
    if (j->lines_blob)
        return opine_lines_decode(j->lines_blob, j->lines_blob_len, &j->lines,
                                  &j->nlines);
    return 0;
}

#define U64_LESS(a, b) (*(a) < *(b))
OPINE__SORT(sort_u64, uint64_t, U64_LESS)

/* A document's distinct line hashes, sorted, in (*buf)[0..*k): *buf is
 * the caller's scratch, grown as needed (one per loop, not a malloc per
 * document). */
static int distinct(const opine_line *v, size_t n, uint64_t **buf, size_t *cap,
                    size_t *k)
{
    if (opine__grow((void **)buf, cap, n + 1, sizeof(uint64_t)))
        return OPINE_ENOMEM;
    uint64_t *h = *buf;
    for (size_t i = 0; i < n; i++)
        h[i] = v[i].hash;
    sort_u64(h, n);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || h[i] != h[m - 1])
            h[m++] = h[i];
    *k = m;
    return 0;
}

OPINE__LOWER_BOUND(lower_u64, uint64_t, U64_LESS)

static int has_u64(const uint64_t *v, size_t n, uint64_t h)
{
    size_t i = lower_u64(v, 0, n, &h);
    return i < n && v[i] == h;
}

int opine__bp_decide(engine *e, job *j)
{
    if (e->bp_mode != BP_EXCLUDE || !(e->flags & (DO_STEM | DO_SCORE)) ||
        j->nlines == 0)
        return 0;
    size_t n, m = 0;
    int rc =
        distinct(j->lines, j->nlines, &e->bp_scratch, &e->cap_bp_scratch, &n);
    if (rc)
        return rc;
    uint64_t *h = e->bp_scratch;
    /* the lines left out, kept sorted in h[0..m) */
    for (size_t i = 0; i < n; i++) {
        int out = hset_has(e->bp_flagged, h[i]);
        if (e->bp_tracker && (e->flags & DO_INGEST) &&
            track(e->bp_tracker, h[i]) >= (uint32_t)e->bp_min)
            out = 1;
        if (out) {
            j->bp_sum ^= h[i];
            h[m++] = h[i];
        }
    }
    /* Boilerplate is what a site puts around an article: a document that
     * is nothing but lines its outlet repeats (a stub, a template, a near
     * copy) is not left empty. scan_documents() applies the same rule. */
    if (m == n) {
        m = 0;
        j->bp_sum = 0;
    }
    j->bp_lines = m;
    if (m && (j->line_out = calloc(j->nlines, 1)) == NULL)
        rc = OPINE_ENOMEM;
    for (size_t i = 0; rc == 0 && m && i < j->nlines; i++)
        j->line_out[i] = (unsigned char)has_u64(h, m, j->lines[i].hash);
    return rc;
}

int opine__bp_token_mask(job *j)
{
    j->tok_out = NULL;
    if (j->line_out == NULL)
        return 0;
    unsigned char *m = calloc(j->ntokens + 1, 1);
    if (m == NULL)
        return OPINE_ENOMEM;
    size_t l = 0;
    for (size_t i = 0; i < j->ntokens; i++) {
        uint32_t s = j->stoks ? j->stoks[i].start : j->toks.v[i].start;
        if (opine_line_at(j->lines, j->nlines, &l, s) && j->line_out[l])
            m[i] = 1;
    }
    j->tok_out = m;
    return 0;
}

/* ---- the exact count (step 2) ----------------------------------------- */

typedef struct flagged {
    uint64_t hash;
    uint32_t docs, occurrences;
    int64_t doc; /* the first document holding it */
    uint32_t start, len;
} flagged;

typedef struct counter {
    engine *e;
    flagged *f; /* sorted by hash once counted */
    size_t nf, cap_f;
    opine__hset *set; /* the same hashes */
    int64_t *redo;    /* documents to count again */
    size_t nredo, cap_redo;
    uint64_t *h; /* a partition's hashes, one per document holding it */
    size_t nh, cap_h;
    uint64_t *dh; /* scratch: one document's distinct hashes */
    size_t cap_dh;
} counter;

static int cmp_flagged(const void *a, const void *b)
{
    const flagged *x = a, *y = b;
    return (x->hash > y->hash) - (x->hash < y->hash);
}

static flagged *find_flagged(counter *c, uint64_t h)
{
    flagged key = {.hash = h};
    return bsearch(&key, c->f, c->nf, sizeof(flagged), cmp_flagged);
}

/* One partition of the hash space: each document's distinct lines in it,
 * one hash per document holding the line, sorted; a run of min_docs or
 * more equal hashes is a flagged line, added to c->f. */
static int count_part(counter *c, uint64_t part, uint64_t nparts)
{
    engine *e = c->e;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db, "SELECT data FROM doc_lines", -1, &q, NULL) !=
        SQLITE_OK)
        return opine__engine_db_fail(e, "reading lines");
    int rc = 0;
    c->nh = 0;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        opine_line *v;
        size_t n, k = 0;
        rc = opine_lines_decode(sqlite3_column_blob(q, 0),
                                (size_t)sqlite3_column_bytes(q, 0), &v, &n);
        if (rc == 0) {
            rc = distinct(v, n, &c->dh, &c->cap_dh, &k);
            free(v);
        }
        if (rc == 0 &&
            opine__grow((void **)&c->h, &c->cap_h, c->nh + k, sizeof(uint64_t)))
            rc = OPINE_ENOMEM;
        for (size_t i = 0; rc == 0 && i < k; i++)
            if (nparts == 1 || opine_mix64(c->dh[i]) % nparts == part)
                c->h[c->nh++] = c->dh[i];
    }
    sqlite3_finalize(q);
    if (rc)
        return rc;
    sort_u64(c->h, c->nh);
    for (size_t i = 0, k; rc == 0 && i < c->nh; i = k) {
        for (k = i + 1; k < c->nh && c->h[k] == c->h[i];)
            k++;
        if (k - i < (size_t)e->bp_min)
            continue;
        if (opine__grow((void **)&c->f, &c->cap_f, c->nf + 1, sizeof(flagged)))
            rc = OPINE_ENOMEM;
        else
            c->f[c->nf++] = (flagged){c->h[i], (uint32_t)(k - i), 0, 0, 0, 0};
    }
    return rc;
}

/* Every document's lines once more: the first document holding each
 * flagged line, and the stemmed documents whose left-out lines are not
 * exactly their flagged ones (step 3). */
static int scan_documents(counter *c)
{
    engine *e = c->e;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT l.doc, l.data, coalesce(b.fingerprint, 0),"
                           " s.doc IS NOT NULL FROM doc_lines l"
                           " LEFT JOIN doc_boilerplate b ON b.doc = l.doc"
                           " LEFT JOIN stage_done s ON s.stage = 'stem'"
                           " AND s.doc = l.doc ORDER BY l.doc",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading lines");
    int rc = 0;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t doc = sqlite3_column_int64(q, 0);
        opine_line *v;
        size_t n, k;
        rc = opine_lines_decode(sqlite3_column_blob(q, 1),
                                (size_t)sqlite3_column_bytes(q, 1), &v, &n);
        if (rc)
            break;
        for (size_t i = 0; i < n; i++) {
            flagged *f = c->nf ? find_flagged(c, v[i].hash) : NULL;
            if (f == NULL)
                continue;
            f->occurrences++;
            if (f->doc == 0) {
                f->doc = doc;
                f->start = v[i].start;
                f->len = v[i].len;
            }
        }
        rc = distinct(v, n, &c->dh, &c->cap_dh, &k);
        free(v);
        if (rc)
            break;
        const uint64_t *h = c->dh;
        uint64_t want = 0;
        size_t m = 0;
        if (e->bp_mode == BP_EXCLUDE)
            for (size_t i = 0; i < k; i++)
                if (hset_has(c->set, h[i])) {
                    want ^= h[i];
                    m++;
                }
        if (m == k) /* a document of nothing but such lines keeps them */
            want = 0;
        uint64_t have = (uint64_t)sqlite3_column_int64(q, 2);
        if (sqlite3_column_int(q, 3) && want != have) {
            if (opine__grow((void **)&c->redo, &c->cap_redo, c->nredo + 1,
                            sizeof(int64_t)))
                rc = OPINE_ENOMEM;
            else
                c->redo[c->nredo++] = doc;
        }
    }
    sqlite3_finalize(q);
    return rc;
}

/* The group (outlet, else URL host) of a document, for boilerplate_lines;
 * malloc'd or NULL. */
static char *group_name(const char *outlet, const char *url)
{
    if (outlet && outlet[0])
        return strdup(outlet);
    if (url && url[0]) {
        const char *h = strstr(url, "://");
        h = h ? h + 3 : url;
        size_t n = strcspn(h, "/?#");
        char *s = malloc(n + 1);
        if (s) {
            for (size_t i = 0; i < n; i++)
                s[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ? h[i] - 'A' + 'a'
                                                         : h[i]);
            s[n] = '\0';
        }
        return s;
    }
    return NULL;
}

/* A stored document's text and group from the columns body, bytes,
 * outlet, url of q, from column col on: *text (NUL-terminated, *n bytes)
 * and *group, both malloc'd (*group may be NULL). */
static int body_text(opine_zcodec *z, sqlite3_stmt *q, int col, char **text,
                     size_t *n, char **group)
{
    *n = (size_t)sqlite3_column_int64(q, col + 1);
    *group = NULL;
    if ((*text = malloc(*n + 1)) == NULL)
        return OPINE_ENOMEM;
    int rc =
        opine_zcodec_inflate(z, sqlite3_column_blob(q, col),
                             (size_t)sqlite3_column_bytes(q, col), *text, *n);
    if (rc)
        return rc;
    (*text)[*n] = '\0';
    *group = group_name((const char *)sqlite3_column_text(q, col + 2),
                        (const char *)sqlite3_column_text(q, col + 3));
    return 0;
}

static int cmp_by_doc(const void *a, const void *b)
{
    const flagged *x = a, *y = b;
    return (x->doc > y->doc) - (x->doc < y->doc);
}

/* boilerplate_lines, rewritten: each flagged line with its outlet and the
 * text of its first occurrence. */
static int store_flagged(counter *c)
{
    engine *e = c->e;
    sqlite3_stmt *body = NULL, *ins = NULL;
    int rc = 0;
    if (opine_store_exec(e->st, "DELETE FROM boilerplate_lines") ||
        sqlite3_prepare_v2(e->db,
                           "SELECT body, bytes, outlet, url FROM documents"
                           " WHERE id = ?",
                           -1, &body, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(e->db,
                           "INSERT INTO boilerplate_lines(hash, outlet, docs,"
                           " occurrences, doc, line) VALUES(?,?,?,?,?,?)",
                           -1, &ins, NULL) != SQLITE_OK)
        rc = opine__engine_db_fail(e, "storing boilerplate lines");
    if (c->nf)
        qsort(c->f, c->nf, sizeof(flagged), cmp_by_doc);
    opine_zcodec *z = opine_zcodec_new();
    char *text = NULL, *group = NULL;
    int64_t have = 0;
    if (z == NULL)
        rc = OPINE_ENOMEM;
    for (size_t i = 0; rc == 0 && i < c->nf; i++) {
        flagged *f = &c->f[i];
        if (f->doc != have) {
            free(text);
            free(group);
            text = group = NULL;
            have = f->doc;
            sqlite3_bind_int64(body, 1, f->doc);
            if (sqlite3_step(body) == SQLITE_ROW) {
                size_t n;
                rc = body_text(z, body, 0, &text, &n, &group);
                if (rc == 0 && f->start + (size_t)f->len > n)
                    rc = OPINE_ECORRUPT;
            }
            sqlite3_reset(body);
        }
        if (rc)
            break;
        sqlite3_bind_int64(ins, 1, (int64_t)f->hash);
        if (group)
            sqlite3_bind_text(ins, 2, group, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, f->docs);
        sqlite3_bind_int64(ins, 4, f->occurrences);
        sqlite3_bind_int64(ins, 5, f->doc);
        if (text)
            sqlite3_bind_text(ins, 6, text + f->start, (int)f->len,
                              SQLITE_STATIC);
        rc = opine__engine_step_done(e, ins, "storing boilerplate lines");
    }
    free(text);
    free(group);
    opine_zcodec_free(z);
    sqlite3_finalize(body);
    sqlite3_finalize(ins);
    if (rc == OPINE_ECORRUPT)
        e->errmsg = e->errmsg ? e->errmsg
                              : opine__format("a stored body does not match"
                                              " its lines; the database is"
                                              " damaged");
    return rc;
}

/* ---- counting again (step 3) ----------------------------------------- */

/* Count (and score) again the documents of c->redo, with the flagged
 * lines of now left out: phases A to C as a stem stage runs them, batch by
 * batch, then phase D in place (opine__batch_rewrite). */
static int count_again(counter *c)
{
    engine *e = c->e;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT t.stream, l.data FROM doc_tokens t"
                           " JOIN doc_lines l ON l.doc = t.doc"
                           " WHERE t.doc = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading tokens");
    int flags = e->flags, rc = 0;
    e->flags = DO_STEM | (e->model ? DO_SCORE : 0);
    /* 1 MiB of token streams a batch: decoded, about five times that;
     * this runs at the end of a run, on top of what the run holds */
    size_t max_bytes = 1u << 20;
    for (size_t i = 0; rc == 0 && i < c->nredo;) {
        size_t bytes = 0;
        for (; rc == 0 && i < c->nredo && bytes < max_bytes; i++) {
            sqlite3_bind_int64(q, 1, c->redo[i]);
            if (sqlite3_step(q) != SQLITE_ROW) {
                sqlite3_reset(q);
                continue; /* no tokens: nothing counted */
            }
            if (opine__grow((void **)&e->b.jobs, &e->b.cap_jobs, e->b.njobs + 1,
                            sizeof(job))) {
                rc = OPINE_ENOMEM;
                break;
            }
            job *j = &e->b.jobs[e->b.njobs++];
            j->id = c->redo[i];
            rc = opine__job_read(j, q, 0, 1);
            bytes += j->blob_in_len;
            sqlite3_reset(q);
        }
        if (rc == 0 && e->b.njobs)
            rc = opine__batch_work(e);
        if (rc == 0 && e->b.njobs)
            rc = opine__batch_rewrite(e, &e->b);
        opine__batch_clear(&e->b);
    }
    e->flags = flags;
    sqlite3_finalize(q);
    return rc;
}

/* ---- lines for documents stored without them --------------------------- */

static int missing_lines(engine *e)
{
    sqlite3_stmt *q, *ins;
    int64_t missing = 0;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT (SELECT count(*) FROM documents)"
                           " - (SELECT count(*) FROM doc_lines)",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "counting lines");
    if (sqlite3_step(q) == SQLITE_ROW)
        missing = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (missing == 0)
        return 0;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT d.id, d.body, d.bytes, d.outlet, d.url"
                           " FROM documents d WHERE NOT EXISTS (SELECT 1 FROM"
                           " doc_lines l WHERE l.doc = d.id) ORDER BY d.id",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading documents");
    if (sqlite3_prepare_v2(e->db,
                           "INSERT INTO doc_lines(doc, lines, data)"
                           " VALUES(?, ?, ?)",
                           -1, &ins, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return opine__engine_db_fail(e, "storing lines");
    }
    opine_zcodec *z = opine_zcodec_new();
    int rc = z ? 0 : OPINE_ENOMEM;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        size_t n, nl = 0, len;
        char *text = NULL, *group = NULL;
        opine_line *v = NULL;
        unsigned char *data = NULL;
        rc = body_text(z, q, 1, &text, &n, &group);
        if (rc == 0)
            rc = opine_lines(text, n, opine_lines_seed(group), &v, &nl);
        if (rc == 0)
            rc = opine_lines_encode(v, nl, &data, &len);
        if (rc == 0) {
            sqlite3_bind_int64(ins, 1, sqlite3_column_int64(q, 0));
            sqlite3_bind_int64(ins, 2, (int64_t)nl);
            sqlite3_bind_blob(ins, 3, data, (int)len, SQLITE_STATIC);
            rc = opine__engine_step_done(e, ins, "storing lines");
        }
        free(text);
        free(v);
        free(data);
        free(group);
    }
    opine_zcodec_free(z);
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    return rc;
}

/* ---- the pass --------------------------------------------------------- */

int opine__bp_stale(engine *e, int *stale)
{
    *stale = 0;
    if (e->bp_mode == BP_OFF)
        return 0;
    if (e->bp_changed) {
        *stale = 1;
        return 0;
    }
    char *have = opine_store_meta_get(e->st, "boilerplate_counted");
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db, "SELECT count(*) FROM documents", -1, &q,
                           NULL) != SQLITE_OK) {
        free(have);
        return opine__engine_db_fail(e, "counting documents");
    }
    if (sqlite3_step(q) == SQLITE_ROW)
        *stale = !have || atoll(have) != sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    free(have);
    return 0;
}

int opine__boilerplate(engine *e)
{
    if (e->bp_mode == BP_OFF)
        return 0;
    if (opine_store_exec(e->st, "BEGIN IMMEDIATE"))
        return opine__engine_db_fail(e, "starting a transaction");
    counter c = {.e = e};
    int64_t total = 0, docs = 0;
    int rc = missing_lines(e);
    sqlite3_stmt *q;
    if (rc == 0 && sqlite3_prepare_v2(e->db,
                                      "SELECT coalesce(sum(lines), 0),"
                                      " count(*) FROM doc_lines",
                                      -1, &q, NULL) != SQLITE_OK)
        rc = opine__engine_db_fail(e, "counting lines");
    else if (rc == 0) {
        if (sqlite3_step(q) == SQLITE_ROW) {
            total = sqlite3_column_int64(q, 0);
            docs = sqlite3_column_int64(q, 1);
        }
        sqlite3_finalize(q);
    }
    /* At most about PART_LINES hashes a partition */
    uint64_t nparts = (uint64_t)total / PART_LINES + 1;
    for (uint64_t p = 0; rc == 0 && p < nparts; p++)
        rc = count_part(&c, p, nparts);
    if (rc == 0) {
        if (c.nf)
            qsort(c.f, c.nf, sizeof(flagged), cmp_flagged);
        if ((c.set = calloc(1, sizeof(*c.set))) == NULL)
            rc = OPINE_ENOMEM;
        for (size_t i = 0; rc == 0 && i < c.nf; i++)
            rc = hset_add(c.set, c.f[i].hash);
    }
    if (rc == 0)
        rc = scan_documents(&c);
    if (rc == 0)
        rc = store_flagged(&c);
    /* step 3 leaves out the lines flagged now */
    opine__hset *was = e->bp_flagged;
    e->bp_flagged = c.set;
    /* Their postings in the similarity index are their old terms: out
     * with them, in this transaction, so that the index never holds terms
     * that differ from doc_terms. The recount gives the stage's writer
     * (when it stems) the new ones; else the next refresh takes them
     * from doc_terms. */
    int forgot = 0;
    if (rc == 0 && c.nredo &&
        (rc = opine__simindex_forget(e->db, c.redo, c.nredo, &forgot)))
        rc = rc == OPINE_EDB
                 ? opine__engine_db_fail(e, "updating the similarity index")
                 : rc;
    if (rc == 0 && c.nredo)
        rc = count_again(&c);
    if (rc == 0 && e->similar && opine__simindex_flush(e->similar))
        rc = opine__engine_db_fail(e, "writing the similarity index");
    char counted[32];
    snprintf(counted, sizeof counted, "%lld", (long long)docs);
    if (rc == 0 && opine_store_meta_set(e->st, "boilerplate_counted", counted))
        rc = opine__engine_db_fail(e, "recording the count");
    if (rc == 0)
        opine__fault("boilerplate");
    if (rc == 0 && opine_store_exec(e->st, "COMMIT"))
        rc = opine__engine_db_fail(e, "committing");
    if (rc) {
        sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
        opine__simindex_discard(e->similar);
        e->bp_flagged = was;
    } else {
        e->bp_changed = 0;
        e->similar_stale |= forgot;
        hset_free(was); /* c.set is what stem and score leave out now */
        c.set = NULL;
    }
    free(c.f);
    free(c.h);
    free(c.dh);
    free(c.redo);
    hset_free(c.set);
    return rc;
}
