/* pipeline/simindex.c — the inverted index behind opine similar: writing
 * postings with the stem stage, merging generations, computing norms,
 * checking it all (the format and the invariants are in simindex.h). */
#include "pipeline/simindex.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "base/rows.h"
#include "base/sort.h"
#include "pipeline/fault.h"
#include "pipeline/store.h"
#include "pipeline/tokstream.h"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS similar_postings(id INTEGER PRIMARY KEY,"
    " postings BLOB NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS similar_generations(gen INTEGER PRIMARY KEY,"
    " postings INTEGER NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS similar_docs(doc INTEGER PRIMARY KEY);\n"
    "CREATE TABLE IF NOT EXISTS search_positions(id INTEGER PRIMARY KEY,"
    " positions BLOB NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS similar_norms(id INTEGER PRIMARY KEY"
    " CHECK (id = 1), documents INTEGER NOT NULL, last INTEGER NOT NULL,"
    " norms BLOB NOT NULL, computed TEXT NOT NULL);\n"
    "CREATE INDEX IF NOT EXISTS documents_ext_id ON documents(ext_id);\n"
    "CREATE INDEX IF NOT EXISTS documents_outlet ON documents(outlet,"
    " published);\n"
    "CREATE INDEX IF NOT EXISTS documents_published ON documents(published);\n"
    "CREATE INDEX IF NOT EXISTS documents_author ON documents(author);\n";

/* What the schema makes, by name: all there means nothing to do. */
static const char SCHEMA_NAMES[] =
    "SELECT count(*) FROM sqlite_schema WHERE name IN ('similar_postings',"
    " 'similar_generations', 'similar_docs', 'similar_norms',"
    " 'documents_ext_id', 'documents_outlet',"
    " 'documents_published', 'documents_author')";
enum { SCHEMA_COUNT = 8 };

enum {
    /* Rows the writer hands SQLite per statement: its scratch stays small
     * however many stems a generation has. */
    SLICE = 4096,
    /* Documents the writer holds before it writes (most have postings,
     * which write them sooner; this bounds those that have none). */
    MAX_DOCS = 1 << 16,
};

/* A forget rewrites chunks in slices of about this many bytes. */
#define FORGET_SLICE ((size_t)4 << 20)

/* A backfill commits after this many postings. */
#define BACKFILL_POSTINGS ((int64_t)4 << 20)

static void set_msg(char **errmsg, char *msg)
{
    if (errmsg && *errmsg == NULL)
        *errmsg = msg;
    else
        free(msg);
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : OPINE_EDB;
}

/* The one integer a query returns (0 when none). */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *q;
    *out = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : OPINE_EDB;
}

int opine__simindex_exists(sqlite3 *db)
{
    int64_t n;
    if (query_int(db, SCHEMA_NAMES, &n))
        return OPINE_EDB;
    return n == SCHEMA_COUNT;
}

/* Whether the file has search_positions (newer than the index): 1, 0 or
 * OPINE_EDB. */
static int has_positions(sqlite3 *db)
{
    int64_t n;
    if (query_int(db,
                  "SELECT count(*) FROM sqlite_schema"
                  " WHERE name = 'search_positions'",
                  &n))
        return OPINE_EDB;
    return n > 0;
}

int opine__simindex_schema(sqlite3 *db)
{
    int rc = opine__simindex_exists(db), pos = has_positions(db);
    if (rc < 0 || pos < 0)
        return OPINE_EDB;
    if (rc && pos)
        return 0;
    int own = sqlite3_get_autocommit(db);
    if (own && exec(db, "BEGIN IMMEDIATE"))
        return OPINE_EDB;
    /* positions without the index they belong to (its tables dropped)
     * would be taken for a new index's */
    if ((!rc && pos && exec(db, "DELETE FROM search_positions")) ||
        exec(db, SCHEMA) || (own && exec(db, "COMMIT"))) {
        if (own)
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return OPINE_EDB;
    }
    return 0;
}

/* ---- the writer ------------------------------------------------------- */

/* HOW IT WORKS: the postings of each stem go into a chain of blocks in one
 * arena of OPINE_SIMINDEX_BUFFER bytes, allocated once: each block is a
 * 4-byte offset of the next block, then data; a stem's first block holds
 * 12 bytes, each next one as many as the stem holds already, up to 1020,
 * so a chain wastes at most about half of its last block. A write walks
 * the stems in id order (through the index by stem id: no sort), copies
 * each chain into a buffer of the slice's chunks and hands the slice to
 * SQLite. One arena, rather than a buffer a stem grown with realloc():
 * freed buffers of every size stayed with the allocator, each size as
 * many as it had held at once, and a run's peak grew by more than the
 * postings held. */

/* Blocks of chains, allocated in one piece. */
typedef struct arena {
    unsigned char *a;
    size_t top, cap; /* bytes used, allocated */
} arena;

/* A chain of blocks in an arena: 16 bytes. */
typedef struct chain {
    uint32_t head, tail; /* arena offsets of the first and last blocks */
    uint32_t len;        /* bytes in the chain */
    uint16_t fill, room; /* bytes used and free in the last block */
} chain;

/* One stem's postings since the last write (in the arena of postings),
 * and their positions since the last part was written (in the arena of
 * positions; see search_positions in simindex.h): 40 bytes; the first
 * document is the first posting's gap. */
typedef struct plist {
    uint32_t stem;
    uint32_t last; /* the last document's id (ids are below 2^32) */
    chain c, pos;
} plist;

enum {
    BLOCK_NEXT = 4,     /* a block's link to the next */
    BLOCK_MIN = 12,     /* data bytes of a stem's first block */
    BLOCK_MAX = 1020,   /* and of the largest */
    ARENA_START = 16,   /* offset 0 is "no block" */
    ASSEMBLY = 1 << 18, /* bytes of a slice's chunks, at least */
};

struct opine__simindex {
    sqlite3 *db;
    uint32_t *slot; /* by stem id: 1 + its index in lists, 0: none */
    size_t cap_slot;
    uint32_t low, high; /* the smallest and largest stem held */
    plist *lists;       /* the stems held, in the order first met */
    size_t nlists, cap_lists;
    arena post, pos;       /* the chains of postings, of positions */
    unsigned char *chunks; /* a slice's chunks, contiguous */
    size_t cap_chunks;
    int64_t postings;  /* postings held */
    int64_t gen;       /* the generation held: 0 until a write needs it */
    int part;          /* parts of positions written for it */
    size_t part_bytes; /* positions held that make a part */
    int nopos;         /* a document held came without positions */
    int64_t last_doc;  /* the largest document held */
    int64_t *docs;     /* the documents held */
    size_t ndocs, cap_docs;
    int64_t rowbuf[2 * SLICE];
    opine_rows_blob blobs[SLICE];
    opine_rows *chunk_rows, *doc_rows;
    sqlite3_stmt *ins_chunks, *ins_pos, *ins_docs, *ins_gen, *next_gen;
};

int opine__simindex_new(opine__simindex **out, sqlite3 *db)
{
    *out = NULL;
    opine__simindex *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return OPINE_ENOMEM;
    x->db = db;
    x->post.top = x->pos.top = ARENA_START;
    x->low = UINT32_MAX;
    /* OPINE_POSITIONS_PART: bytes, for tests that need parts of small
     * corpora */
    const char *pb = getenv("OPINE_POSITIONS_PART");
    x->part_bytes =
        pb && atol(pb) > 0 ? (size_t)atol(pb) : OPINE_SIMINDEX_POS_BUFFER;
    int rc = opine__rows_register(db, "opine_similar_chunks", "id, postings",
                                  "ib", &x->chunk_rows);
    if (rc == 0)
        rc = opine__rows_register(db, "opine_similar_new_docs", "doc", "i",
                                  &x->doc_rows);
    if (rc == 0 &&
        (sqlite3_prepare_v3(db,
                            "INSERT INTO similar_postings(id, postings)"
                            " SELECT id, postings FROM opine_similar_chunks",
                            -1, SQLITE_PREPARE_PERSISTENT, &x->ins_chunks,
                            NULL) != SQLITE_OK ||
         sqlite3_prepare_v3(db,
                            "INSERT INTO search_positions(id, positions)"
                            " SELECT id, postings FROM opine_similar_chunks",
                            -1, SQLITE_PREPARE_PERSISTENT, &x->ins_pos,
                            NULL) != SQLITE_OK ||
         sqlite3_prepare_v3(db,
                            "INSERT INTO similar_docs(doc)"
                            " SELECT doc FROM opine_similar_new_docs",
                            -1, SQLITE_PREPARE_PERSISTENT, &x->ins_docs,
                            NULL) != SQLITE_OK ||
         sqlite3_prepare_v3(db,
                            "INSERT INTO similar_generations(gen, postings)"
                            " VALUES(?, ?)",
                            -1, SQLITE_PREPARE_PERSISTENT, &x->ins_gen,
                            NULL) != SQLITE_OK ||
         /* past every generation, listed or not */
         sqlite3_prepare_v3(
             db,
             "SELECT max((SELECT coalesce(max(gen), 0)"
             " FROM similar_generations), (SELECT coalesce(max(id), 0) >> 32"
             " FROM similar_postings), (SELECT coalesce(max(id), 0) >> 40"
             " FROM search_positions)) + 1",
             -1, SQLITE_PREPARE_PERSISTENT, &x->next_gen, NULL) != SQLITE_OK))
        rc = OPINE_EDB;
    if (rc) {
        opine__simindex_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

/* Empty the lists: what they held is written, or forgotten. */
static void reset_lists(opine__simindex *x)
{
    for (size_t i = 0; i < x->nlists; i++)
        x->slot[x->lists[i].stem] = 0;
    x->nlists = 0;
    x->post.top = x->pos.top = ARENA_START;
    x->low = UINT32_MAX;
    x->high = 0;
    x->postings = 0;
    x->gen = 0;
    x->part = 0;
    x->nopos = 0;
    x->ndocs = 0;
    x->last_doc = 0;
}

void opine__simindex_free(opine__simindex *x)
{
    if (x == NULL)
        return;
    free(x->slot);
    free(x->lists);
    opine__simindex_trim(x);
    free(x->chunks);
    free(x->docs);
    sqlite3_finalize(x->ins_chunks);
    sqlite3_finalize(x->ins_pos);
    sqlite3_finalize(x->ins_docs);
    sqlite3_finalize(x->ins_gen);
    sqlite3_finalize(x->next_gen);
    free(x);
}

static void arena_free(arena *a)
{
    free(a->a);
    *a = (arena){NULL, ARENA_START, 0};
}

void opine__simindex_trim(opine__simindex *x)
{
    if (x == NULL || x->nlists)
        return;
    arena_free(&x->post);
    arena_free(&x->pos);
}

void opine__simindex_discard(opine__simindex *x)
{
    if (x)
        reset_lists(x);
}

/* Run q over the first n rows of x->rowbuf through table r. */
static int step_rows(opine__simindex *x, sqlite3_stmt *q, opine_rows *r,
                     size_t n)
{
    if (n == 0)
        return 0;
    opine__rows_set(r, x->rowbuf, n);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    opine__rows_set(r, NULL, 0);
    return rc == SQLITE_DONE ? 0 : OPINE_EDB;
}

/* The data bytes of the block that follows `len` bytes of a chain. */
static uint32_t block_data(uint32_t len)
{
    return len < BLOCK_MIN ? BLOCK_MIN : len > BLOCK_MAX ? BLOCK_MAX : len;
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Copy chain p of arena a to out (room for p->len bytes). */
static void chain_copy(const arena *a, const chain *p, unsigned char *out)
{
    uint32_t b = p->head, len = 0;
    while (len < p->len) {
        uint32_t n = b == p->tail ? p->fill : block_data(len);
        memcpy(out + len, a->a + b + BLOCK_NEXT, n);
        len += n;
        b = get_u32(a->a + b);
    }
}

/* Write the slice's rows with q (its chunks are in x->chunks). */
static int write_slice(opine__simindex *x, sqlite3_stmt *q, size_t *n,
                       size_t *used)
{
    int rc = step_rows(x, q, x->chunk_rows, *n);
    *n = *used = 0;
    return rc;
}

/* The generation the writer holds: its id, taken when first needed. */
static int held_gen(opine__simindex *x)
{
    if (x->gen)
        return 0;
    int rc = sqlite3_step(x->next_gen) == SQLITE_ROW ? 0 : OPINE_EDB;
    x->gen = sqlite3_column_int64(x->next_gen, 0);
    sqlite3_reset(x->next_gen);
    return rc;
}

/* Write every stem's chain of postings (pos 0: into similar_postings) or
 * of positions (1: into search_positions, as part x->part) as the held
 * generation's rows, in stem order, so that the rows land in id order. */
static int write_chains(opine__simindex *x, int pos)
{
    sqlite3_stmt *q = pos ? x->ins_pos : x->ins_chunks;
    const arena *a = pos ? &x->pos : &x->post;
    size_t n = 0, used = 0;
    int rc = 0;
    for (uint64_t s = x->low; rc == 0 && s <= x->high; s++) {
        if (x->slot[s] == 0)
            continue;
        const plist *l = &x->lists[x->slot[s] - 1];
        const chain *p = pos ? &l->pos : &l->c;
        if (p->len == 0)
            continue; /* no positions since the last part */
        if (n == SLICE || used + p->len > x->cap_chunks)
            rc = write_slice(x, q, &n, &used);
        if (rc == 0 && p->len > x->cap_chunks &&
            opine__grow((void **)&x->chunks, &x->cap_chunks,
                        p->len > ASSEMBLY ? p->len : ASSEMBLY, 1))
            rc = OPINE_ENOMEM;
        if (rc)
            break;
        chain_copy(a, p, x->chunks + used);
        x->blobs[n] = (opine_rows_blob){x->chunks + used, p->len};
        x->rowbuf[2 * n] =
            pos ? OPINE_SIMINDEX_PART(x->gen << 32 | l->stem, x->part)
                : x->gen << 32 | l->stem;
        x->rowbuf[2 * n + 1] = opine__rows_blob(&x->blobs[n]);
        used += p->len;
        n++;
    }
    if (rc == 0)
        rc = write_slice(x, q, &n, &used);
    return rc;
}

/* Write the positions held as the next part of the held generation's,
 * and empty their chains. */
static int write_part(opine__simindex *x)
{
    int rc = held_gen(x);
    if (rc == 0)
        rc = write_chains(x, 1);
    for (size_t i = 0; i < x->nlists; i++)
        x->lists[i].pos = (chain){0, 0, 0, 0, 0};
    x->pos.top = ARENA_START;
    x->part++;
    return rc;
}

int opine__simindex_flush(opine__simindex *x)
{
    int rc = 0;
    if (x->nlists) {
        rc = held_gen(x);
        if (rc == 0)
            rc = write_chains(x, 0);
        /* positions only when every document held came with them: else
         * none, the parts written so far neither */
        if (rc == 0 && !x->nopos)
            rc = write_part(x);
        if (rc == 0 && x->nopos && x->part) {
            sqlite3_stmt *d;
            if (sqlite3_prepare_v2(x->db,
                                   "DELETE FROM search_positions WHERE id >= ?"
                                   " AND id < ?",
                                   -1, &d, NULL) != SQLITE_OK)
                rc = OPINE_EDB;
            else {
                sqlite3_bind_int64(d, 1, OPINE_SIMINDEX_PART(x->gen << 32, 0));
                sqlite3_bind_int64(d, 2,
                                   OPINE_SIMINDEX_PART((x->gen + 1) << 32, 0));
                rc = sqlite3_step(d) == SQLITE_DONE ? 0 : OPINE_EDB;
                sqlite3_finalize(d);
            }
        }
        if (rc == 0) {
            sqlite3_bind_int64(x->ins_gen, 1, x->gen);
            sqlite3_bind_int64(x->ins_gen, 2, x->postings);
            rc = sqlite3_step(x->ins_gen) == SQLITE_DONE ? 0 : OPINE_EDB;
            sqlite3_reset(x->ins_gen);
        }
    }
    for (size_t i = 0; rc == 0 && i < x->ndocs; i += SLICE) {
        size_t n = x->ndocs - i < SLICE ? x->ndocs - i : SLICE;
        memcpy(x->rowbuf, x->docs + i, n * sizeof(int64_t));
        rc = step_rows(x, x->ins_docs, x->doc_rows, n);
    }
    reset_lists(x);
    return rc;
}

/* Append n bytes to chain p of arena x, in new blocks as they fill. */
static int chain_append(arena *x, chain *p, const unsigned char *b, size_t n)
{
    while (n) {
        if (p->room == 0) {
            uint32_t data = block_data(p->len);
            size_t need = x->top + BLOCK_NEXT + data;
            if (need > UINT32_MAX)
                return OPINE_ETOOBIG;
            if (need > x->cap) {
                /* the buffer's size and a little (past it only within
                 * one document's) */
                size_t cap =
                    x->cap ? 2 * x->cap : OPINE_SIMINDEX_BUFFER + (1 << 16);
                if (cap < need)
                    cap = need;
                unsigned char *a = realloc(x->a, cap);
                if (a == NULL)
                    return OPINE_ENOMEM;
                x->a = a;
                x->cap = cap;
            }
            uint32_t off = (uint32_t)x->top;
            memset(x->a + off, 0, BLOCK_NEXT);
            if (p->head == 0)
                p->head = off;
            else
                memcpy(x->a + p->tail, &off, 4);
            p->tail = off;
            p->fill = 0;
            p->room = (uint16_t)data;
            x->top = need;
        }
        size_t k = n < p->room ? n : p->room;
        memcpy(x->a + p->tail + BLOCK_NEXT + p->fill, b, k);
        p->fill += (uint16_t)k;
        p->room -= (uint16_t)k;
        p->len += (uint32_t)k;
        b += k;
        n -= k;
    }
    return 0;
}

int opine__simindex_add(opine__simindex *x, int64_t doc, const uint32_t *terms,
                        size_t nterms, const unsigned char *pos,
                        const uint32_t *pos_end)
{
    if (doc <= 0 || doc >= (int64_t)1 << 32)
        return OPINE_ETOOBIG; /* ids: see similar_postings in simindex.h */
    /* Write what is held before this document when it would come out of
     * order, or there is enough: a document's postings stay in one
     * generation. */
    if (x->ndocs &&
        (doc <= x->last_doc || x->post.top >= OPINE_SIMINDEX_BUFFER ||
         x->ndocs >= MAX_DOCS || x->part >= OPINE_SIMINDEX_PARTS - 1)) {
        int rc = opine__simindex_flush(x);
        if (rc)
            return rc;
    }
    /* and the positions held as a part, when there are enough */
    if (x->ndocs && !x->nopos && x->pos.top >= x->part_bytes) {
        int rc = write_part(x);
        if (rc)
            return rc;
    }
    if (opine__grow((void **)&x->docs, &x->cap_docs, x->ndocs + 1,
                    sizeof(int64_t)))
        return OPINE_ENOMEM;
    /* the stems come sorted: the last is the largest */
    if (nterms &&
        opine__grow((void **)&x->slot, &x->cap_slot,
                    (size_t)terms[2 * (nterms - 1)] + 1, sizeof(uint32_t)))
        return OPINE_ENOMEM;
    x->docs[x->ndocs++] = doc;
    x->last_doc = doc;
    if (pos == NULL)
        x->nopos = 1; /* this generation is written without positions */
    for (size_t i = 0; i < nterms; i++) {
        uint32_t s = terms[2 * i], tf = terms[2 * i + 1];
        if (s >= x->cap_slot)
            return OPINE_ECORRUPT; /* not sorted */
        if (x->slot[s] == 0) {
            if (opine__grow((void **)&x->lists, &x->cap_lists, x->nlists + 1,
                            sizeof(plist)))
                return OPINE_ENOMEM;
            x->lists[x->nlists] = (plist){s, 0, {0}, {0}};
            x->slot[s] = (uint32_t)++x->nlists;
            if (s < x->low)
                x->low = s;
            if (s > x->high)
                x->high = s;
        }
        plist *l = &x->lists[x->slot[s] - 1];
        chain *p = &l->c;
        uint64_t gap = (uint64_t)doc - l->last;
        size_t n = opine__posting_size(gap, tf);
        if (n <= p->room) {
            /* the usual case: straight into the last block */
            opine__posting_put(x->post.a + p->tail + BLOCK_NEXT + p->fill, gap,
                               tf);
            p->fill += (uint16_t)n;
            p->room -= (uint16_t)n;
            p->len += (uint32_t)n;
        } else {
            unsigned char b[OPINE_POSTING_MAX];
            opine__posting_put(b, gap, tf);
            int rc = chain_append(&x->post, p, b, n);
            if (rc)
                return rc;
        }
        l->last = (uint32_t)doc;
        x->postings++;
        if (!x->nopos) {
            uint32_t from = i ? pos_end[i - 1] : 0, m = pos_end[i] - from;
            chain *c = &l->pos;
            if (m <= c->room) { /* as the postings' usual case */
                memcpy(x->pos.a + c->tail + BLOCK_NEXT + c->fill, pos + from,
                       m);
                c->fill += (uint16_t)m;
                c->room -= (uint16_t)m;
                c->len += m;
                continue;
            }
            int rc = chain_append(&x->pos, c, pos + from, m);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- the stamp and the norms ----------------------------------------- */

void opine__simnorms_release(opine_simnorms *n)
{
    if (n == NULL)
        return;
    free(n->norm);
    memset(n, 0, sizeof(*n));
}

/* The stamp two ways: the count kept by doc_lengths_count's triggers
 * (pipeline/store.c) and a count(*), which reads every page of the table;
 * each with the largest id, one descent. */
static const char KEPT_STAMP[] =
    "SELECT (SELECT documents FROM doc_lengths_count WHERE id = 1),"
    " (SELECT coalesce(max(doc), 0) FROM doc_lengths)";
static const char COUNTED_STAMP[] =
    "SELECT (SELECT count(*) FROM doc_lengths),"
    " (SELECT coalesce(max(doc), 0) FROM doc_lengths)";

/* Run one of them: 0, or OPINE_EDB (also when the counter is missing). */
static int stamp(sqlite3 *db, const char *sql, int64_t *documents,
                 int64_t *last)
{
    sqlite3_stmt *q;
    *documents = *last = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *documents = sqlite3_column_int64(q, 0);
        *last = sqlite3_column_int64(q, 1);
        rc = sqlite3_column_type(q, 0) == SQLITE_NULL ? SQLITE_DONE : rc;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : OPINE_EDB;
}

/* The counter, or a count in a file without it (an older one, read-only). */
int opine__simindex_stamp(sqlite3 *db, int64_t *documents, int64_t *last)
{
    if (stamp(db, KEPT_STAMP, documents, last) == 0)
        return 0;
    return stamp(db, COUNTED_STAMP, documents, last);
}

/* Doubles as little-endian IEEE 754 bytes, in place, and back: a file
 * made on one machine reads the same on any other. */
static void to_le(double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t u;
        memcpy(&u, &v[i], 8);
        unsigned char *p = (unsigned char *)&v[i];
        for (int k = 0; k < 8; k++)
            p[k] = (unsigned char)(u >> (8 * k));
    }
}

static double get_f64(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[i] << (8 * i);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

int opine__simindex_load_norms(sqlite3 *db, int64_t docs, int64_t last,
                               opine_simnorms *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT documents, last, norms FROM similar_norms"
                           " WHERE id = 1",
                           -1, &q, NULL) != SQLITE_OK)
        return 0; /* no table: no norms */
    int fresh = 0;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_int64(q, 0) == docs &&
        sqlite3_column_int64(q, 1) == last) {
        size_t bytes = (size_t)sqlite3_column_bytes(q, 2);
        const unsigned char *b = sqlite3_column_blob(q, 2);
        size_t n = bytes / 8;
        out->norm = malloc((n + 1) * sizeof(double));
        if (out->norm == NULL) {
            sqlite3_finalize(q);
            return OPINE_ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
            out->norm[i] = get_f64(b + 8 * i);
        out->size = (int64_t)n;
        out->documents = docs;
        out->last = last;
        fresh = 1;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        fresh = OPINE_EDB;
    }
    sqlite3_finalize(q);
    return fresh;
}

/* idf of every stem by id (0 where a stem has no terms row), for N
 * documents: *out malloc'd, *size entries. */
static int load_idf(sqlite3 *db, int64_t n, double **out, int64_t *size)
{
    int64_t max;
    *out = NULL;
    if (query_int(db, "SELECT coalesce(max(stem), 0) FROM terms", &max))
        return OPINE_EDB;
    double *idf = calloc((size_t)max + 1, sizeof(double));
    if (idf == NULL)
        return OPINE_ENOMEM;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT stem, df FROM terms", -1, &q, NULL) !=
        SQLITE_OK) {
        free(idf);
        return OPINE_EDB;
    }
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t s = sqlite3_column_int64(q, 0), df = sqlite3_column_int64(q, 1);
        if (s >= 0 && s <= max && df > 0)
            idf[s] = log((double)n / (double)df);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        free(idf);
        return OPINE_EDB;
    }
    *out = idf;
    *size = max + 1;
    return 0;
}

/* Where the norms of a window go: ids lo..lo+n-1, the doubles of v (which
 * the sink may change). */
typedef int (*norms_sink)(void *ctx, int64_t lo, double *v, size_t n);

/* Every norm anew, a window of OPINE_SIMINDEX_WINDOW ids at a time, handed
 * to sink; the stamp they go with into *docs and *maxdoc. HOW IT WORKS:
 * one pass over the postings in id order per window: generation by
 * generation, each in stem order, so that each document's squares are
 * summed in stem order (its postings are in one generation), the order
 * brute force (and a query's own norm) sums them. A window of a large
 * corpus takes a pass of its own, rather than memory for every id. */
static int norms_pass(sqlite3 *db, norms_sink sink, void *ctx, int64_t *docs,
                      int64_t *maxdoc)
{
    int64_t indexed, nidf;
    int rc = opine__simindex_stamp(db, docs, maxdoc);
    if (rc == 0 && query_int(db, "SELECT count(*) FROM similar_docs", &indexed))
        rc = OPINE_EDB;
    if (rc)
        return rc;
    if (indexed != *docs)
        return OPINE_ECORRUPT; /* documents without postings */
    double *idf = NULL;
    if ((rc = load_idf(db, *docs, &idf, &nidf)))
        return rc;
    int64_t total = *maxdoc + 1;
    size_t width =
        total < OPINE_SIMINDEX_WINDOW ? (size_t)total : OPINE_SIMINDEX_WINDOW;
    double *sq = malloc(width * sizeof(double));
    sqlite3_stmt *q = NULL;
    if (sq == NULL)
        rc = OPINE_ENOMEM;
    else if (sqlite3_prepare_v2(db,
                                "SELECT id, postings FROM similar_postings"
                                " ORDER BY id",
                                -1, &q, NULL) != SQLITE_OK)
        rc = OPINE_EDB;
    for (int64_t lo = 0; rc == 0 && lo < total; lo += (int64_t)width) {
        size_t n = total - lo < (int64_t)width ? (size_t)(total - lo) : width;
        uint64_t hi = (uint64_t)lo + n;
        memset(sq, 0, n * sizeof(double));
        int step = SQLITE_DONE;
        while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
            int64_t s = sqlite3_column_int64(q, 0) & 0xffffffff;
            const unsigned char *p = sqlite3_column_blob(q, 1);
            const unsigned char *end = p + sqlite3_column_bytes(q, 1);
            if (s >= nidf || p == NULL) {
                rc = OPINE_ECORRUPT;
                break;
            }
            double w_idf = idf[s];
            uint64_t doc = 0, gap, tf;
            while (p < end) {
                p = opine__posting_get(p, end, &gap, &tf);
                doc += gap;
                if (p == NULL || doc > (uint64_t)*maxdoc) {
                    rc = OPINE_ECORRUPT;
                    break;
                }
                if (doc >= hi)
                    break; /* ascending: the rest are past the window */
                if (doc >= (uint64_t)lo) {
                    double w = (double)tf * w_idf;
                    sq[doc - (uint64_t)lo] += w * w;
                }
            }
        }
        if (rc == 0 && step != SQLITE_DONE)
            rc = OPINE_EDB;
        sqlite3_reset(q);
        for (size_t d = 0; rc == 0 && d < n; d++)
            sq[d] = sqrt(sq[d]);
        if (rc == 0)
            rc = sink(ctx, lo, sq, n);
    }
    sqlite3_finalize(q);
    free(sq);
    free(idf);
    return rc;
}

static int sink_memory(void *ctx, int64_t lo, double *v, size_t n)
{
    opine_simnorms *out = ctx;
    memcpy(out->norm + lo, v, n * sizeof(double));
    return 0;
}

int opine__simindex_compute_norms(sqlite3 *db, opine_simnorms *out)
{
    memset(out, 0, sizeof(*out));
    int64_t docs, maxdoc;
    int rc = opine__simindex_stamp(db, &docs, &maxdoc);
    if (rc)
        return rc;
    out->norm = malloc(((size_t)maxdoc + 1) * sizeof(double));
    if (out->norm == NULL)
        return OPINE_ENOMEM;
    rc = norms_pass(db, sink_memory, out, &docs, &maxdoc);
    if (rc) {
        opine__simnorms_release(out);
        return rc;
    }
    out->size = maxdoc + 1;
    out->documents = docs;
    out->last = maxdoc;
    return 0;
}

/* Norms into the stored blob, window by window (incremental blob I/O:
 * the whole blob is never in memory). */
static int sink_blob(void *ctx, int64_t lo, double *v, size_t n)
{
    to_le(v, n);
    return sqlite3_blob_write(ctx, v, (int)(n * 8), (int)(lo * 8)) == SQLITE_OK
               ? 0
               : OPINE_EDB;
}

/* Compute the norms and store them with their stamp. */
static int store_norms(sqlite3 *db)
{
    int64_t docs, maxdoc;
    int rc = opine__simindex_stamp(db, &docs, &maxdoc);
    if (rc)
        return rc;
    if ((maxdoc + 1) * 8 > INT32_MAX)
        return OPINE_ETOOBIG;
    char now[32];
    opine_store_now(now);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "INSERT OR REPLACE INTO similar_norms(id,"
                           " documents, last, norms, computed)"
                           " VALUES(1, ?, ?, zeroblob(?), ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    sqlite3_bind_int64(q, 1, docs);
    sqlite3_bind_int64(q, 2, maxdoc);
    sqlite3_bind_int64(q, 3, (maxdoc + 1) * 8);
    sqlite3_bind_text(q, 4, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : OPINE_EDB;
    sqlite3_finalize(q);
    sqlite3_blob *b = NULL;
    if (rc == 0 && sqlite3_blob_open(db, "main", "similar_norms", "norms", 1, 1,
                                     &b) != SQLITE_OK)
        rc = OPINE_EDB;
    int64_t d2 = docs, m2 = maxdoc;
    if (rc == 0)
        rc = norms_pass(db, sink_blob, b, &d2, &m2);
    if (b && sqlite3_blob_close(b) != SQLITE_OK && rc == 0)
        rc = OPINE_EDB;
    return rc;
}

/* ---- refresh: backfill, merge, norms --------------------------------- */

/* Postings from doc_terms for the stemmed documents that have none: what
 * an older opine stemmed, or a file whose index was dropped. Commits every
 * BACKFILL_POSTINGS postings and leaves a transaction open. */
static int backfill(sqlite3 *db, opine__simindex *x)
{
    sqlite3_stmt *list = NULL, *get = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT l.doc FROM doc_lengths l WHERE l.doc > ?"
                           " AND NOT EXISTS (SELECT 1 FROM similar_docs s"
                           " WHERE s.doc = l.doc) ORDER BY l.doc LIMIT 1024",
                           -1, &list, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT stem, tf FROM doc_terms WHERE doc = ?"
                           " ORDER BY stem",
                           -1, &get, NULL) != SQLITE_OK) {
        sqlite3_finalize(list);
        return OPINE_EDB;
    }
    int64_t ids[1024], after = 0, pending = 0;
    uint32_t *terms = NULL;
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        size_t n = 0;
        int step;
        sqlite3_bind_int64(list, 1, after);
        while (n < 1024 && (step = sqlite3_step(list)) == SQLITE_ROW)
            ids[n++] = sqlite3_column_int64(list, 0);
        sqlite3_reset(list);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = OPINE_EDB;
        if (rc || n == 0)
            break;
        after = ids[n - 1];
        for (size_t i = 0; rc == 0 && i < n; i++) {
            size_t k = 0;
            sqlite3_bind_int64(get, 1, ids[i]);
            while (rc == 0 && (step = sqlite3_step(get)) == SQLITE_ROW) {
                if (opine__grow((void **)&terms, &cap, 2 * k + 2,
                                sizeof(uint32_t)))
                    rc = OPINE_ENOMEM;
                else {
                    terms[2 * k] = (uint32_t)sqlite3_column_int64(get, 0);
                    terms[2 * k + 1] = (uint32_t)sqlite3_column_int64(get, 1);
                    k++;
                }
            }
            if (rc == 0 && step != SQLITE_DONE)
                rc = OPINE_EDB;
            sqlite3_reset(get);
            if (rc == 0)
                rc = opine__simindex_add(x, ids[i], terms, k, NULL, NULL);
            pending += (int64_t)k;
        }
        if (rc == 0 && pending >= BACKFILL_POSTINGS) {
            pending = 0;
            rc = opine__simindex_flush(x);
            if (rc == 0) {
                opine__fault("similar");
                rc = exec(db, "COMMIT") || exec(db, "BEGIN IMMEDIATE")
                         ? OPINE_EDB
                         : 0;
            }
        }
    }
    if (rc == 0)
        rc = opine__simindex_flush(x);
    sqlite3_finalize(list);
    sqlite3_finalize(get);
    free(terms);
    return rc;
}

int opine__simindex_generations(sqlite3 *db, int64_t **gens, size_t *n)
{
    sqlite3_stmt *q;
    size_t cap = 0;
    *gens = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT gen FROM similar_generations ORDER BY gen",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    int rc = 0, step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (opine__grow((void **)gens, &cap, *n + 1, sizeof(int64_t))) {
            rc = OPINE_ENOMEM;
            break;
        }
        (*gens)[(*n)++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    if (rc == 0 && step != SQLITE_DONE)
        rc = OPINE_EDB;
    if (rc) {
        free(*gens);
        *gens = NULL;
        *n = 0;
    }
    return rc;
}

/* One generation's chunk of a stem, read posting by posting. */
typedef struct piece {
    const unsigned char *p, *end;
    uint64_t doc, tf;
    int live;                       /* a posting is at doc, tf */
    const unsigned char *pp, *pend; /* its positions (search_positions) */
} piece;

/* The end of n positions' varints at p (before end), or NULL. */
static const unsigned char *skip_positions(const unsigned char *p,
                                           const unsigned char *end, uint64_t n)
{
    uint32_t x;
    for (uint64_t i = 0; p && i < n; i++)
        p = opine__position_get(p, end, &x);
    return p;
}

static int piece_next(piece *c)
{
    uint64_t gap;
    if (c->p >= c->end) {
        c->live = 0;
        return 0;
    }
    c->p = opine__posting_get(c->p, c->end, &gap, &c->tf);
    if (c->p == NULL || (gap == 0 && c->live))
        return OPINE_ECORRUPT;
    c->doc += gap;
    c->live = 1;
    return 0;
}

/* A buffer grown as needed. */
typedef struct growbuf {
    unsigned char *p;
    size_t len, cap;
} growbuf;

/* The SQL that reads a chunk's positions, part by part: ?1 and ?2 its
 * first part's id and the next chunk's. */
#define POSITIONS_OF_CHUNK                                                     \
    "SELECT positions FROM search_positions WHERE id >= ?1 AND id < ?2"        \
    " ORDER BY id"

/* The statements that rewrite positions (merges, forgets): *put writes a
 * row (id, positions), *del takes out the rows of ids [?1, ?2). */
static int prepare_rewrite(sqlite3 *db, sqlite3_stmt **put, sqlite3_stmt **del)
{
    return sqlite3_prepare_v2(db,
                              "INSERT INTO search_positions(id, positions)"
                              " VALUES(?, ?)",
                              -1, put, NULL) != SQLITE_OK ||
                   sqlite3_prepare_v2(db,
                                      "DELETE FROM search_positions"
                                      " WHERE id >= ?1 AND id < ?2",
                                      -1, del, NULL) != SQLITE_OK
               ? OPINE_EDB
               : 0;
}

/* Chunk c's positions, its parts one after the other, into out (emptied
 * first), read with q (POSITIONS_OF_CHUNK); *found: whether it has any. */
static int read_positions(sqlite3_stmt *q, int64_t c, growbuf *out, int *found)
{
    int rc = 0, step;
    out->len = 0;
    *found = 0;
    sqlite3_bind_int64(q, 1, OPINE_SIMINDEX_PART(c, 0));
    sqlite3_bind_int64(q, 2, OPINE_SIMINDEX_PART(c + 1, 0));
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        const void *b = sqlite3_column_blob(q, 0);
        *found = 1;
        if (opine__grow((void **)&out->p, &out->cap, out->len + n + 1, 1)) {
            rc = OPINE_ENOMEM;
            break;
        }
        if (n)
            memcpy(out->p + out->len, b, n);
        out->len += n;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = OPINE_EDB;
    sqlite3_reset(q);
    return rc;
}

/* Merge k chunks of one stem into buf (grown as needed), in document
 * order; *len its bytes, *n its postings. HOW IT WORKS: the chunks of
 * generations that followed each other in document order (the usual
 * case) come out one after the other: the one holding the smallest
 * document gives postings until it passes the next smallest head. */
static int merge_pieces(piece *c, size_t k, unsigned char **buf, size_t *cap,
                        size_t *len, int64_t *n, growbuf *pos)
{
    uint64_t prev = 0;
    size_t out = 0;
    int rc = 0;
    *n = 0;
    for (;;) {
        size_t best = k;
        uint64_t second = UINT64_MAX;
        for (size_t i = 0; i < k; i++) {
            if (!c[i].live)
                continue;
            if (best == k || c[i].doc < c[best].doc) {
                if (best < k && c[best].doc < second)
                    second = c[best].doc;
                best = i;
            } else if (c[i].doc < second) {
                second = c[i].doc;
            }
        }
        if (best == k)
            break;
        if (c[best].doc == second)
            return OPINE_ECORRUPT; /* a document twice in a stem */
        piece *b = &c[best];
        while (b->live && b->doc < second) {
            if (opine__grow((void **)buf, cap, out + OPINE_POSTING_MAX, 1))
                return OPINE_ENOMEM;
            out =
                (size_t)(opine__posting_put(*buf + out, b->doc - prev, b->tf) -
                         *buf);
            prev = b->doc;
            if (pos) {
                /* and its positions, as they are */
                const unsigned char *e = skip_positions(b->pp, b->pend, b->tf);
                size_t m = e ? (size_t)(e - b->pp) : 0;
                if (e == NULL)
                    return OPINE_ECORRUPT;
                if (opine__grow((void **)&pos->p, &pos->cap, pos->len + m, 1))
                    return OPINE_ENOMEM;
                memcpy(pos->p + pos->len, b->pp, m);
                pos->len += m;
                b->pp = e;
            }
            ++*n;
            if ((rc = piece_next(b)))
                return rc;
        }
    }
    *len = out;
    return 0;
}

/* Merge generations g[0..k) into a new one: stem by stem, their chunks
 * as one, in document order; then the old rows go. HOW IT WORKS: each
 * generation is a run of rows in stem order, so one cursor per generation
 * and a k-way merge by stem read each row once. */
static int merge_generations(sqlite3 *db, const int64_t *g, size_t k)
{
    sqlite3_stmt **cur = calloc(k, sizeof(*cur)), *ins = NULL, *del = NULL,
                 *delgen = NULL, *insgen = NULL,
                 **pget = calloc(k, sizeof(*cur)), *pins = NULL, *pdel = NULL;
    growbuf pos = {NULL, 0, 0}, *pin = calloc(k, sizeof(growbuf));
    int *live = calloc(k, sizeof(int));
    piece *pc = calloc(k, sizeof(piece));
    unsigned char *buf = NULL;
    size_t cap = 0;
    int64_t gen, total = 0;
    int rc = cur && live && pc && pget && pin ? 0 : OPINE_ENOMEM;
    for (size_t i = 0; rc == 0 && i < k; i++)
        if (sqlite3_prepare_v2(db, POSITIONS_OF_CHUNK, -1, &pget[i], NULL) !=
            SQLITE_OK)
            rc = OPINE_EDB;
    if (rc == 0 &&
        query_int(db,
                  "SELECT max((SELECT coalesce(max(gen), 0)"
                  " FROM similar_generations), (SELECT coalesce(max(id), 0)"
                  " >> 32 FROM similar_postings), (SELECT coalesce(max(id),"
                  " 0) >> 40 FROM search_positions)) + 1",
                  &gen))
        rc = OPINE_EDB;
    for (size_t i = 0; rc == 0 && i < k; i++) {
        if (sqlite3_prepare_v2(
                db,
                "SELECT id, postings FROM similar_postings"
                " WHERE " OPINE_SIMINDEX_OF_GEN("?1") " ORDER BY id",
                -1, &cur[i], NULL) != SQLITE_OK) {
            rc = OPINE_EDB;
            break;
        }
        sqlite3_bind_int64(cur[i], 1, g[i]);
        int step = sqlite3_step(cur[i]);
        live[i] = step == SQLITE_ROW;
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = OPINE_EDB;
    }
    if (rc == 0 &&
        (sqlite3_prepare_v2(db,
                            "INSERT INTO similar_postings(id, postings)"
                            " VALUES(?, ?)",
                            -1, &ins, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(db,
                            "DELETE FROM similar_postings"
                            " WHERE " OPINE_SIMINDEX_OF_GEN("?1"),
                            -1, &del, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(db, "DELETE FROM similar_generations WHERE gen = ?",
                            -1, &delgen, NULL) != SQLITE_OK ||
         prepare_rewrite(db, &pins, &pdel) ||
         sqlite3_prepare_v2(db,
                            "INSERT INTO similar_generations(gen, postings)"
                            " VALUES(?, ?)",
                            -1, &insgen, NULL) != SQLITE_OK))
        rc = OPINE_EDB;
    while (rc == 0) {
        int64_t s = -1;
        for (size_t i = 0; i < k; i++) {
            int64_t si = sqlite3_column_int64(cur[i], 0) & 0xffffffff;
            if (live[i] && (s < 0 || si < s))
                s = si;
        }
        if (s < 0)
            break; /* every cursor done */
        size_t m = 0;
        int withpos = 1; /* every chunk has its positions */
        for (size_t i = 0; i < k; i++) {
            if (!live[i] || (sqlite3_column_int64(cur[i], 0) & 0xffffffff) != s)
                continue;
            const unsigned char *p = sqlite3_column_blob(cur[i], 1);
            pc[m] = (piece){
                p, p + sqlite3_column_bytes(cur[i], 1), 0, 0, 0, NULL, NULL};
            int found;
            if ((rc = read_positions(pget[i], sqlite3_column_int64(cur[i], 0),
                                     &pin[i], &found)) != 0)
                break;
            withpos &= found;
            pc[m].pp = pin[i].p;
            pc[m].pend = pin[i].p + pin[i].len;
            if ((rc = piece_next(&pc[m])) != 0)
                break;
            m++;
        }
        size_t len = 0;
        int64_t n = 0;
        pos.len = 0;
        if (rc == 0)
            rc = merge_pieces(pc, m, &buf, &cap, &len, &n,
                              withpos ? &pos : NULL);
        if (rc == 0 && n) {
            total += n;
            sqlite3_bind_int64(ins, 1, gen << 32 | s);
            sqlite3_bind_blob(ins, 2, buf, (int)len, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE)
                rc = OPINE_EDB;
            sqlite3_reset(ins);
        }
        if (rc == 0 && n && withpos) {
            sqlite3_bind_int64(pins, 1, OPINE_SIMINDEX_PART(gen << 32 | s, 0));
            sqlite3_bind_blob(pins, 2, pos.p, (int)pos.len, SQLITE_STATIC);
            if (sqlite3_step(pins) != SQLITE_DONE)
                rc = OPINE_EDB;
            sqlite3_reset(pins);
        }
        /* the cursors at s move on (only now: pc points into their rows) */
        for (size_t i = 0; rc == 0 && i < k; i++) {
            if (!live[i] || (sqlite3_column_int64(cur[i], 0) & 0xffffffff) != s)
                continue;
            int step = sqlite3_step(cur[i]);
            live[i] = step == SQLITE_ROW;
            if (step != SQLITE_ROW && step != SQLITE_DONE)
                rc = OPINE_EDB;
        }
    }
    for (size_t i = 0; cur && i < k; i++)
        sqlite3_finalize(cur[i]);
    for (size_t i = 0; pget && i < k; i++)
        sqlite3_finalize(pget[i]);
    for (size_t i = 0; rc == 0 && i < k; i++) {
        sqlite3_bind_int64(del, 1, g[i]);
        sqlite3_bind_int64(delgen, 1, g[i]);
        sqlite3_bind_int64(pdel, 1, OPINE_SIMINDEX_PART(g[i] << 32, 0));
        sqlite3_bind_int64(pdel, 2, OPINE_SIMINDEX_PART((g[i] + 1) << 32, 0));
        if (sqlite3_step(del) != SQLITE_DONE ||
            sqlite3_step(delgen) != SQLITE_DONE ||
            sqlite3_step(pdel) != SQLITE_DONE)
            rc = OPINE_EDB;
        sqlite3_reset(del);
        sqlite3_reset(delgen);
        sqlite3_reset(pdel);
    }
    if (rc == 0 && total) {
        sqlite3_bind_int64(insgen, 1, gen);
        sqlite3_bind_int64(insgen, 2, total);
        if (sqlite3_step(insgen) != SQLITE_DONE)
            rc = OPINE_EDB;
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    sqlite3_finalize(delgen);
    sqlite3_finalize(insgen);
    sqlite3_finalize(pins);
    sqlite3_finalize(pdel);
    free(pget);
    for (size_t i = 0; pin && i < k; i++)
        free(pin[i].p);
    free(pin);
    free(pos.p);
    free(cur);
    free(live);
    free(pc);
    free(buf);
    return rc;
}

/* When there are more than OPINE_SIMINDEX_MERGE_AT generations, merge
 * young ones into one: the youngest, and the one before them as long as
 * it holds at most twice their postings, so that generations grow
 * geometrically with age and a posting is rewritten a few times at most;
 * at least enough of them that OPINE_SIMINDEX_MERGE_AT / 2 are left. A
 * generation of OPINE_SIMINDEX_MERGE_MAX postings is left as it is. */
static int merge_young(sqlite3 *db)
{
    sqlite3_stmt *q;
    int64_t *g = NULL, *p = NULL;
    size_t n = 0, cap = 0, cap2 = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT gen, postings FROM similar_generations"
                           " ORDER BY gen",
                           -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    int rc = 0, step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (opine__grow((void **)&g, &cap, n + 1, sizeof(int64_t)) ||
            opine__grow((void **)&p, &cap2, n + 1, sizeof(int64_t))) {
            rc = OPINE_ENOMEM;
            break;
        }
        g[n] = sqlite3_column_int64(q, 0);
        p[n++] = sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    if (rc == 0 && step != SQLITE_DONE)
        rc = OPINE_EDB;
    if (rc == 0 && n > OPINE_SIMINDEX_MERGE_AT) {
        size_t j = n - 1, want = n - OPINE_SIMINDEX_MERGE_AT / 2;
        int64_t sum = p[j];
        while (j > 0 && p[j - 1] < OPINE_SIMINDEX_MERGE_MAX &&
               (p[j - 1] <= 2 * sum || n - j < want)) {
            j--;
            sum += p[j];
        }
        if (n - j >= 2)
            rc = merge_generations(db, g + j, n - j);
    }
    free(g);
    free(p);
    return rc;
}

/* Whether the stored norms carry the stamp (docs, last): 1 or 0. */
int opine__simindex_norms_match(sqlite3 *db, int64_t docs, int64_t last)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db,
                           "SELECT documents, last FROM similar_norms"
                           " WHERE id = 1",
                           -1, &q, NULL) != SQLITE_OK)
        return 0;
    int fresh = 0;
    if (sqlite3_step(q) == SQLITE_ROW)
        fresh = sqlite3_column_int64(q, 0) == docs &&
                sqlite3_column_int64(q, 1) == last;
    sqlite3_finalize(q);
    return fresh;
}

/* Whether the stored norms' stamp is the database's: 1, 0 or an error. */
static int norms_fresh(sqlite3 *db)
{
    int64_t docs, last;
    int rc = opine__simindex_stamp(db, &docs, &last);
    return rc ? rc : opine__simindex_norms_match(db, docs, last);
}

int opine__simindex_refresh(sqlite3 *db, opine__simindex *x, char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    int rc = norms_fresh(db);
    if (rc == 1)
        return 0;
    opine__simindex *own = NULL;
    if (rc == 0 && (rc = opine__simindex_schema(db)) != 0)
        set_msg(errmsg,
                opine__format("cannot create the similarity index of '%s': %s",
                              sqlite3_db_filename(db, "main"),
                              sqlite3_errmsg(db)));
    if (rc == 0 && x == NULL && (rc = opine__simindex_new(&own, db)) != 0)
        set_msg(errmsg,
                opine__format("cannot prepare the similarity index of '%s': %s",
                              sqlite3_db_filename(db, "main"),
                              sqlite3_errmsg(db)));
    if (rc)
        return rc < 0 ? rc : OPINE_EDB;
    if (x == NULL)
        x = own;
    /* In the caller's transaction when one is open (a run's last, held
     * open: pipeline/engine.c), else in one of its own. */
    int alone = sqlite3_get_autocommit(db);
    if (alone && exec(db, "BEGIN IMMEDIATE")) {
        set_msg(errmsg,
                opine__format("cannot update the similarity index of '%s': %s",
                              sqlite3_db_filename(db, "main"),
                              sqlite3_errmsg(db)));
        opine__simindex_free(own);
        return OPINE_EDB;
    }
    /* Another process may have done it meanwhile. */
    rc = norms_fresh(db);
    if (rc == 1) {
        opine__simindex_free(own);
        return alone ? exec(db, "COMMIT") : 0;
    }
    if (rc == 0)
        rc = backfill(db, x);
    if (rc == 0)
        rc = merge_young(db);
    if (rc == 0)
        rc = store_norms(db);
    if (rc == 0) {
        opine__fault("similar");
        rc = alone ? exec(db, "COMMIT") : 0;
    }
    if (rc) {
        set_msg(errmsg,
                opine__format("cannot update the similarity index of '%s': %s",
                              sqlite3_db_filename(db, "main"),
                              rc == OPINE_EDB ? sqlite3_errmsg(db)
                                              : opine_strerror(rc)));
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        opine__simindex_discard(x);
    }
    opine__simindex_free(own);
    return rc;
}

/* ---- forget ----------------------------------------------------------- */

#define I64_LESS(a, b) (*(a) < *(b))
OPINE__LOWER_BOUND(lower_bound, int64_t, I64_LESS)

/* A chunk's postings less those of docs[0..n), re-encoded after *out
 * (grown as needed, *len bytes used). *removed: how many went (0: the
 * chunk stays as it is and nothing is appended). */
static int chunk_without(const unsigned char *p, const unsigned char *end,
                         const int64_t *docs, size_t n, unsigned char **out,
                         size_t *cap, size_t *len, int64_t *removed,
                         const unsigned char *pp, const unsigned char *pend,
                         growbuf *pos)
{
    uint64_t doc = 0, prev = 0, gap, tf;
    size_t k = 0, start = *len, pstart = pos->len;
    *removed = 0;
    while (p < end) {
        p = opine__posting_get(p, end, &gap, &tf);
        if (p == NULL)
            return OPINE_ECORRUPT;
        doc += gap;
        const unsigned char *pe = NULL; /* the end of its positions */
        if (pp && (pe = skip_positions(pp, pend, tf)) == NULL)
            return OPINE_ECORRUPT;
        if (k < n && docs[k] < (int64_t)doc)
            k = lower_bound(docs, k, n, &(int64_t){(int64_t)doc});
        if (k < n && docs[k] == (int64_t)doc) {
            ++*removed;
            pp = pe;
            continue;
        }
        if (pp) {
            if (opine__grow((void **)&pos->p, &pos->cap,
                            pos->len + (size_t)(pe - pp), 1))
                return OPINE_ENOMEM;
            memcpy(pos->p + pos->len, pp, (size_t)(pe - pp));
            pos->len += (size_t)(pe - pp);
            pp = pe;
        }
        if (opine__grow((void **)out, cap, *len + OPINE_POSTING_MAX, 1))
            return OPINE_ENOMEM;
        *len = (size_t)(opine__posting_put(*out + *len, doc - prev, tf) - *out);
        prev = doc;
    }
    if (*removed == 0) {
        *len = start;
        pos->len = pstart;
    }
    return 0;
}

/* A rewritten chunk of a slice: its id, where its bytes are, how many
 * postings it lost. */
typedef struct forget_row {
    int64_t id;
    size_t off, len;
    int64_t removed;
    int haspos;        /* the chunk has positions, */
    size_t poff, plen; /* rewritten here */
} forget_row;

int opine__simindex_forget(sqlite3 *db, const int64_t *docs, size_t n,
                           int *forgot)
{
    if (forgot)
        *forgot = 0;
    int rc = n ? opine__simindex_exists(db) : 0;
    if (rc <= 0)
        return rc; /* nothing to take out, no index, or an error */
    rc = 0;
    int64_t held = 0;
    sqlite3_stmt *get = NULL, *put = NULL, *del = NULL, *gen = NULL,
                 *doc = NULL, *pget = NULL, *pput = NULL, *pdel = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, postings FROM similar_postings"
                           " WHERE id > ? ORDER BY id",
                           -1, &get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "UPDATE similar_postings SET postings = ?"
                           " WHERE id = ?",
                           -1, &put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "DELETE FROM similar_postings WHERE id = ?", -1,
                           &del, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "UPDATE similar_generations"
                           " SET postings = postings - ? WHERE gen = ?",
                           -1, &gen, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "DELETE FROM similar_docs WHERE doc = ?", -1,
                           &doc, NULL) != SQLITE_OK)
        rc = OPINE_EDB;
    /* and the chunks' positions, in a file that has them */
    int haspos = rc ? 0 : has_positions(db);
    if (haspos < 0)
        rc = OPINE_EDB;
    if (haspos > 0 && (sqlite3_prepare_v2(db, POSITIONS_OF_CHUNK, -1, &pget,
                                          NULL) != SQLITE_OK ||
                       prepare_rewrite(db, &pput, &pdel)))
        rc = OPINE_EDB;
    /* the documents: which of them the index holds */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_bind_int64(doc, 1, docs[i]);
        if (sqlite3_step(doc) != SQLITE_DONE)
            rc = OPINE_EDB;
        held += sqlite3_changes(db);
        sqlite3_reset(doc);
    }
    /* their postings, a slice of chunks at a time: read until about a
     * buffer's worth is rewritten, then write (not while reading) */
    unsigned char *buf = NULL;
    forget_row *rows = NULL;
    size_t cap = 0, cap_rows = 0;
    growbuf pos = {NULL, 0, 0}, cur = {NULL, 0, 0};
    int64_t after = -1;
    for (int more = held > 0; rc == 0 && more;) {
        size_t used = 0, nrows = 0;
        pos.len = 0;
        int step;
        more = 0;
        sqlite3_bind_int64(get, 1, after);
        while (rc == 0 && (step = sqlite3_step(get)) == SQLITE_ROW) {
            const unsigned char *p = sqlite3_column_blob(get, 1);
            int64_t removed;
            size_t off = used;
            after = sqlite3_column_int64(get, 0);
            if (p == NULL) {
                rc = OPINE_ECORRUPT;
                break;
            }
            /* its positions, rewritten alike */
            size_t poff = pos.len;
            int found = 0;
            if (pget)
                rc = read_positions(pget, after, &cur, &found);
            if (rc == 0)
                rc = chunk_without(p, p + sqlite3_column_bytes(get, 1), docs, n,
                                   &buf, &cap, &used, &removed,
                                   found ? cur.p : NULL, cur.p + cur.len, &pos);
            if (rc == 0 && removed &&
                opine__grow((void **)&rows, &cap_rows, nrows + 1,
                            sizeof(forget_row)))
                rc = OPINE_ENOMEM;
            if (rc == 0 && removed)
                rows[nrows++] =
                    (forget_row){after, off,  used - off,    removed,
                                 found, poff, pos.len - poff};
            if (used >= FORGET_SLICE) {
                more = 1;
                break;
            }
        }
        if (rc == 0 && !more && step != SQLITE_DONE)
            rc = OPINE_EDB;
        sqlite3_reset(get);
        for (size_t i = 0; rc == 0 && i < nrows; i++) {
            const forget_row *r = &rows[i];
            sqlite3_stmt *q = r->len ? put : del;
            if (r->len) {
                sqlite3_bind_blob(put, 1, buf + r->off, (int)r->len,
                                  SQLITE_STATIC);
                sqlite3_bind_int64(put, 2, r->id);
            } else {
                sqlite3_bind_int64(del, 1, r->id);
            }
            sqlite3_bind_int64(gen, 1, r->removed);
            sqlite3_bind_int64(gen, 2, r->id >> 32);
            if (sqlite3_step(q) != SQLITE_DONE ||
                sqlite3_step(gen) != SQLITE_DONE)
                rc = OPINE_EDB;
            sqlite3_reset(q);
            sqlite3_reset(gen);
            if (rc || !r->haspos)
                continue;
            /* the positions: as the postings, in one part, or none */
            sqlite3_bind_int64(pdel, 1, OPINE_SIMINDEX_PART(r->id, 0));
            sqlite3_bind_int64(pdel, 2, OPINE_SIMINDEX_PART(r->id + 1, 0));
            if (sqlite3_step(pdel) != SQLITE_DONE)
                rc = OPINE_EDB;
            sqlite3_reset(pdel);
            if (rc || r->len == 0)
                continue;
            sqlite3_bind_int64(pput, 1, OPINE_SIMINDEX_PART(r->id, 0));
            sqlite3_bind_blob(pput, 2, pos.p + r->poff, (int)r->plen,
                              SQLITE_STATIC);
            if (sqlite3_step(pput) != SQLITE_DONE)
                rc = OPINE_EDB;
            sqlite3_reset(pput);
        }
    }
    free(buf);
    free(rows);
    free(pos.p);
    free(cur.p);
    sqlite3_finalize(pget);
    sqlite3_finalize(pput);
    sqlite3_finalize(pdel);
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    sqlite3_finalize(del);
    sqlite3_finalize(gen);
    sqlite3_finalize(doc);
    /* generations left with nothing, and the norms */
    if (rc == 0 && held &&
        exec(db, "DELETE FROM similar_generations WHERE postings <= 0;"
                 "DELETE FROM similar_norms;"))
        rc = OPINE_EDB;
    if (rc == 0 && forgot)
        *forgot = held > 0;
    return rc;
}

/* ---- check ------------------------------------------------------------ */

/* A well-mixed 64-bit hash of one (doc, stem, tf) row (splitmix64's
 * finaliser): summed over a table, it is the same for two multisets of
 * rows and differs, but for 2^-64 odds, for two that differ. */
static uint64_t row_hash(uint64_t doc, uint64_t stem, uint64_t tf)
{
    uint64_t z = doc * 0x9E3779B97F4A7C15u ^ stem * 0xC2B2AE3D27D4EB4Fu ^
                 tf * 0x165667B19E3779F9u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

typedef struct stem_sum {
    uint64_t n, hash;
} stem_sum;

/* Sum the doc_terms rows per stem: those of the indexed documents (bit 1
 * of in[doc]) into want, of the documents with a term vector (bit 2)
 * into vwant. */
static int sum_doc_terms(sqlite3 *db, const unsigned char *in, int64_t maxdoc,
                         stem_sum *want, stem_sum *vwant, int64_t maxstem)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT doc, stem, tf FROM doc_terms", -1, &q,
                           NULL) != SQLITE_OK)
        return OPINE_EDB;
    int step, rc = 0;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(q, 0), s = sqlite3_column_int64(q, 1);
        if (d < 0 || d > maxdoc || !in[d])
            continue;
        if (s < 0 || s > maxstem) {
            rc = OPINE_ECORRUPT;
            break;
        }
        uint64_t h = row_hash((uint64_t)d, (uint64_t)s,
                              (uint64_t)sqlite3_column_int64(q, 2));
        if (in[d] & 1) {
            want[s].n++;
            want[s].hash += h;
        }
        if (in[d] & 2) {
            vwant[s].n++;
            vwant[s].hash += h;
        }
    }
    sqlite3_finalize(q);
    return rc ? rc : step == SQLITE_DONE ? 0 : OPINE_EDB;
}

/* Decode every term vector (doc_vectors, see keyness.c) and sum its
 * terms per stem into have; *bad says what is wrong first. */
static int sum_vectors(sqlite3 *db, stem_sum *have, int64_t maxstem,
                       opine_simindex_stats *st, char **bad)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "SELECT doc, terms FROM doc_vectors", -1, &q,
                           NULL) != SQLITE_OK)
        return OPINE_EDB;
    int step = SQLITE_DONE;
    while (*bad == NULL && (step = sqlite3_step(q)) == SQLITE_ROW) {
        uint64_t doc = (uint64_t)sqlite3_column_int64(q, 0);
        const unsigned char *p = sqlite3_column_blob(q, 1);
        const unsigned char *end = p + sqlite3_column_bytes(q, 1);
        uint64_t stem = 0, gap, tf;
        int ok = 1;
        for (int64_t k = 0; ok && p && p < end; k++) {
            p = opine__posting_get(p, end, &gap, &tf);
            stem += gap;
            ok = p != NULL && tf > 0 && (k == 0 || gap > 0) &&
                 stem <= (uint64_t)maxstem;
            if (ok) {
                have[stem].n++;
                have[stem].hash += row_hash(doc, stem, tf);
                st->vector_terms++;
            }
        }
        st->vectors++;
        if (!ok)
            *bad = opine__format("the term vector of document %lld does not"
                                 " decode",
                                 (long long)doc);
    }
    sqlite3_finalize(q);
    return *bad || step == SQLITE_DONE ? 0 : OPINE_EDB;
}

/* Decode every chunk and sum its postings per stem into have; compare
 * each generation's postings with similar_generations; *bad says what is
 * wrong first. */
static int sum_postings(sqlite3 *db, stem_sum *have, int64_t maxstem,
                        opine_simindex_stats *st, char **bad)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(
            db,
            "SELECT p.id, p.postings, g.postings FROM similar_postings p"
            " LEFT JOIN similar_generations g ON g.gen = p.id >> 32"
            " ORDER BY p.id",
            -1, &q, NULL) != SQLITE_OK)
        return OPINE_EDB;
    int step = SQLITE_DONE;
    int64_t gen = -1, listed = 0, count = 0;
    while (*bad == NULL && (step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0), s = id & 0xffffffff;
        if (id >> 32 != gen) {
            if (gen >= 0 && count != listed)
                break;
            gen = id >> 32;
            st->generations++;
            count = 0;
            listed = sqlite3_column_type(q, 2) == SQLITE_NULL
                         ? -1
                         : sqlite3_column_int64(q, 2);
        }
        const unsigned char *p = sqlite3_column_blob(q, 1);
        const unsigned char *end = p + sqlite3_column_bytes(q, 1);
        uint64_t doc = 0, gap, tf;
        int64_t k = 0;
        int ok = s <= maxstem && p != NULL;
        while (ok && p < end) {
            p = opine__posting_get(p, end, &gap, &tf);
            doc += gap;
            ok = p != NULL && tf > 0 && (k == 0 || gap > 0);
            if (ok) {
                k++;
                have[s].n++;
                have[s].hash += row_hash(doc, (uint64_t)s, tf);
            }
        }
        st->chunks++;
        st->postings += k;
        count += k;
        if (!ok || k == 0)
            *bad = opine__format("the chunk of stem %lld in generation %lld"
                                 " does not decode",
                                 (long long)s, (long long)gen);
    }
    sqlite3_finalize(q);
    if (*bad == NULL && gen >= 0 && count != listed)
        *bad = listed < 0
                   ? opine__format("generation %lld is not in"
                                   " similar_generations",
                                   (long long)gen)
                   : opine__format("generation %lld holds %lld postings,"
                                   " not the %lld similar_generations says",
                                   (long long)gen, (long long)count,
                                   (long long)listed);
    int64_t empty = 0;
    if (*bad == NULL &&
        query_int(
            db,
            "SELECT count(*) FROM similar_generations g WHERE NOT EXISTS"
            " (SELECT 1 FROM similar_postings WHERE " OPINE_SIMINDEX_OF_GEN(
                "g.gen") ")",
            &empty) == 0 &&
        empty)
        *bad = opine__format("%lld generations of similar_generations have no"
                             " chunks",
                             (long long)empty);
    return *bad || step == SQLITE_DONE || step == SQLITE_ROW ? 0 : OPINE_EDB;
}

/* A position of the positions check: document, token, stem. */
typedef struct ptriple {
    int64_t doc;
    uint32_t pos, stem;
} ptriple;

static int cmp_triple(const void *a, const void *b)
{
    const ptriple *x = a, *y = b;
    if (x->doc != y->doc)
        return x->doc < y->doc ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Documents whose positions the check holds at once (their tokens'). */
#define CHECK_WINDOW 4096

/* The positions of one window of documents, [lo, lo + CHECK_WINDOW):
 * every chunk's parts read alongside its postings (tf positions each,
 * ascending, the parts used up exactly), then each document's token
 * stream read once: each position is a token of the chunk's stem, not a
 * stop word, and no token is two stems' (tstem and tstop by type id). */
static int check_window(sqlite3 *db, int64_t lo, const int64_t *tstem,
                        const unsigned char *tstop, int64_t ntypes,
                        opine_simindex_stats *st, char **bad)
{
    sqlite3_stmt *q = NULL, *pq = NULL, *sq = NULL;
    ptriple *t = NULL;
    size_t nt = 0, cap = 0;
    growbuf pos = {NULL, 0, 0};
    uint32_t *types = NULL;
    size_t tcap = 0;
    int rc = 0, step;
    if (sqlite3_prepare_v2(db, "SELECT id, postings FROM similar_postings", -1,
                           &q, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, POSITIONS_OF_CHUNK, -1, &pq, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT stream FROM doc_tokens WHERE doc = ?",
                           -1, &sq, NULL) != SQLITE_OK)
        rc = OPINE_EDB;
    while (rc == 0 && *bad == NULL && (step = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        int found;
        if ((rc = read_positions(pq, id, &pos, &found)) != 0 || !found)
            continue;
        const unsigned char *p = sqlite3_column_blob(q, 1),
                            *end = p + sqlite3_column_bytes(q, 1), *pp = pos.p,
                            *pend = pos.p + pos.len;
        uint64_t doc = 0, gap, tf;
        while (rc == 0 && *bad == NULL && p && p < end) {
            if ((p = opine__posting_get(p, end, &gap, &tf)) == NULL)
                break; /* the postings' own check says so */
            doc += gap;
            int want = (int64_t)doc >= lo && (int64_t)doc < lo + CHECK_WINDOW;
            uint64_t at = 0;
            for (uint64_t k = 0; k < tf && *bad == NULL; k++) {
                uint32_t x;
                if ((pp = opine__position_get(pp, pend, &x)) == NULL) {
                    *bad = opine__format("chunk %lld's positions end before"
                                         " its postings",
                                         (long long)id);
                    break;
                }
                if ((k && x == 0) || at + x > UINT32_MAX) {
                    *bad = opine__format("document %llu's positions of stem"
                                         " %lld do not ascend",
                                         (unsigned long long)doc,
                                         (long long)(id & 0xffffffff));
                    break;
                }
                at += x;
                if (!want)
                    continue;
                if (opine__grow((void **)&t, &cap, nt + 1, sizeof(ptriple))) {
                    rc = OPINE_ENOMEM;
                    break;
                }
                t[nt++] = (ptriple){(int64_t)doc, (uint32_t)at,
                                    (uint32_t)(id & 0xffffffff)};
            }
        }
        if (rc == 0 && *bad == NULL && pp != pend)
            *bad = opine__format("chunk %lld's positions run past its"
                                 " postings",
                                 (long long)id);
    }
    if (rc == 0 && *bad == NULL && step != SQLITE_DONE)
        rc = OPINE_EDB;
    if (nt)
        qsort(t, nt, sizeof(ptriple), cmp_triple);
    st->positions += (int64_t)nt;
    size_t ntypes_doc = 0;
    for (size_t i = 0; rc == 0 && *bad == NULL && i < nt; i++) {
        if (i == 0 || t[i].doc != t[i - 1].doc) {
            sqlite3_bind_int64(sq, 1, t[i].doc);
            step = sqlite3_step(sq);
            ntypes_doc = 0;
            if (step == SQLITE_ROW)
                rc = opine_tokstream_types(sqlite3_column_blob(sq, 0),
                                           (size_t)sqlite3_column_bytes(sq, 0),
                                           &types, &tcap, &ntypes_doc);
            else if (step != SQLITE_DONE)
                rc = OPINE_EDB;
            sqlite3_reset(sq);
            if (rc)
                break;
        } else if (t[i].pos == t[i - 1].pos) {
            *bad = opine__format("token %u of document %lld has positions"
                                 " under two stems",
                                 t[i].pos, (long long)t[i].doc);
            break;
        }
        uint32_t ty = t[i].pos < ntypes_doc ? types[t[i].pos] : UINT32_MAX;
        if (ty == UINT32_MAX || (int64_t)ty >= ntypes ||
            tstem[ty] != (int64_t)t[i].stem || tstop[ty])
            *bad = opine__format("position %u of stem %u in document %lld"
                                 " is not a token of that stem",
                                 t[i].pos, t[i].stem, (long long)t[i].doc);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(pq);
    sqlite3_finalize(sq);
    free(t);
    free(pos.p);
    free(types);
    return rc;
}

/* search_positions: no part without its chunk; in each generation every
 * chunk has positions or none does; and each window of documents'
 * positions (check_window()). */
static int check_positions(sqlite3 *db, int64_t maxdoc,
                           opine_simindex_stats *st, char **bad)
{
    int have = has_positions(db);
    if (have <= 0)
        return have < 0 ? OPINE_EDB : 0;
    int64_t any, orphans, mixed, ntypes;
    if (query_int(db, "SELECT EXISTS (SELECT 1 FROM search_positions)", &any))
        return OPINE_EDB;
    if (!any)
        return 0; /* a file without positions (the default) */
    if (query_int(db,
                  "SELECT count(*) FROM search_positions p WHERE NOT EXISTS"
                  " (SELECT 1 FROM similar_postings c WHERE c.id = p.id >> 8)",
                  &orphans) ||
        query_int(db,
                  "SELECT count(*) FROM (SELECT p.id >> 32 AS gen,"
                  " sum(EXISTS (SELECT 1 FROM search_positions q"
                  " WHERE q.id >= p.id * 256 AND q.id < (p.id + 1) * 256))"
                  " AS with, count(*) AS n FROM similar_postings p GROUP BY"
                  " gen) WHERE with > 0 AND with < n",
                  &mixed) ||
        query_int(db, "SELECT coalesce(max(id), 0) + 1 FROM types", &ntypes))
        return OPINE_EDB;
    if (orphans) {
        *bad = opine__format("%lld parts of positions have no chunk of"
                             " postings",
                             (long long)orphans);
        return 0;
    }
    if (mixed) {
        *bad = opine__format("%lld generations have positions for some of"
                             " their chunks only",
                             (long long)mixed);
        return 0;
    }
    int64_t *tstem = malloc((size_t)ntypes * sizeof(int64_t));
    unsigned char *tstop = calloc((size_t)ntypes, 1);
    sqlite3_stmt *q = NULL;
    int rc = tstem && tstop ? 0 : OPINE_ENOMEM;
    if (rc == 0 &&
        sqlite3_prepare_v2(db, "SELECT id, stem, stopword FROM types", -1, &q,
                           NULL) != SQLITE_OK)
        rc = OPINE_EDB;
    for (int64_t i = 0; rc == 0 && i < ntypes; i++)
        tstem[i] = -1;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        if (id < 0 || id >= ntypes)
            continue;
        tstem[id] = sqlite3_column_type(q, 1) == SQLITE_NULL
                        ? -1
                        : sqlite3_column_int64(q, 1);
        tstop[id] = sqlite3_column_int64(q, 2) != 0;
    }
    sqlite3_finalize(q);
    for (int64_t lo = 0; rc == 0 && *bad == NULL && lo <= maxdoc;
         lo += CHECK_WINDOW)
        rc = check_window(db, lo, tstem, tstop, ntypes, st, bad);
    free(tstem);
    free(tstop);
    return rc;
}

int opine__simindex_check(sqlite3 *db, opine_simindex_stats *st, char **errmsg)
{
    if (errmsg)
        *errmsg = NULL;
    memset(st, 0, sizeof(*st));
    int rc = opine__simindex_exists(db);
    if (rc <= 0) {
        set_msg(errmsg,
                opine__format("%s", rc == 0 ? "there is no similarity index"
                                            : sqlite3_errmsg(db)));
        return rc == 0 ? OPINE_ECORRUPT : rc;
    }
    int64_t missing, extra, maxdoc, maxstem;
    if (query_int(db,
                  "SELECT count(*) FROM doc_lengths l WHERE NOT EXISTS"
                  " (SELECT 1 FROM similar_docs s WHERE s.doc = l.doc)",
                  &missing) ||
        query_int(db,
                  "SELECT count(*) FROM similar_docs s WHERE NOT EXISTS"
                  " (SELECT 1 FROM doc_lengths l WHERE l.doc = s.doc)",
                  &extra) ||
        query_int(db, "SELECT count(*) FROM similar_docs", &st->documents) ||
        query_int(db, "SELECT coalesce(max(doc), 0) FROM similar_docs",
                  &maxdoc) ||
        query_int(db, "SELECT coalesce(max(stem), 0) FROM terms", &maxstem))
        return OPINE_EDB;
    st->unindexed = missing;
    /* term vectors: doc_vectors, in files written since it came */
    int64_t vectors = 0, vextra = 0, vmax = 0;
    if (query_int(db,
                  "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                  " AND name = 'doc_vectors'",
                  &vectors) ||
        (vectors &&
         (query_int(db,
                    "SELECT count(*) FROM doc_vectors v WHERE NOT EXISTS"
                    " (SELECT 1 FROM doc_lengths l WHERE l.doc = v.doc)",
                    &vextra) ||
          query_int(db, "SELECT coalesce(max(doc), 0) FROM doc_vectors",
                    &vmax))))
        return OPINE_EDB;
    if (vextra) {
        set_msg(errmsg, opine__format("%lld documents have a term vector but"
                                      " are not stemmed",
                                      (long long)vextra));
        return OPINE_ECORRUPT;
    }
    if (vmax > maxdoc)
        maxdoc = vmax;
    if (extra) {
        set_msg(errmsg, opine__format("%lld documents have postings but are"
                                      " not stemmed",
                                      (long long)extra));
        return OPINE_ECORRUPT;
    }
    /* Which documents the index holds; their doc_terms rows and the
     * postings are summed per stem as (count, hash) and compared. */
    unsigned char *in = calloc((size_t)maxdoc + 1, 1);
    stem_sum *want = calloc((size_t)maxstem + 1, sizeof(stem_sum));
    stem_sum *have = calloc((size_t)maxstem + 1, sizeof(stem_sum));
    stem_sum *vwant = calloc((size_t)maxstem + 1, sizeof(stem_sum));
    stem_sum *vhave = calloc((size_t)maxstem + 1, sizeof(stem_sum));
    char *bad = NULL;
    sqlite3_stmt *q = NULL;
    rc = in && want && have && vwant && vhave ? 0 : OPINE_ENOMEM;
    if (rc == 0 && sqlite3_prepare_v2(db, "SELECT doc FROM similar_docs", -1,
                                      &q, NULL) != SQLITE_OK)
        rc = OPINE_EDB;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(q, 0);
        if (d >= 0 && d <= maxdoc)
            in[d] = 1;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc == 0 && vectors &&
        sqlite3_prepare_v2(db, "SELECT doc FROM doc_vectors", -1, &q, NULL) !=
            SQLITE_OK)
        rc = OPINE_EDB;
    while (rc == 0 && q && sqlite3_step(q) == SQLITE_ROW) {
        int64_t d = sqlite3_column_int64(q, 0);
        if (d >= 0 && d <= maxdoc)
            in[d] |= 2;
    }
    sqlite3_finalize(q);
    if (rc == 0)
        rc = sum_doc_terms(db, in, maxdoc, want, vwant, maxstem);
    if (rc == 0)
        rc = sum_postings(db, have, maxstem, st, &bad);
    if (rc == 0 && bad == NULL && vectors)
        rc = sum_vectors(db, vhave, maxstem, st, &bad);
    for (int64_t s = 0; rc == 0 && bad == NULL && s <= maxstem; s++)
        if (vwant[s].n != vhave[s].n || vwant[s].hash != vhave[s].hash)
            bad = opine__format("the term vectors' counts of stem %lld are"
                                " not its doc_terms rows (%llu terms, %llu"
                                " rows)",
                                (long long)s, (unsigned long long)vhave[s].n,
                                (unsigned long long)vwant[s].n);
    for (int64_t s = 0; rc == 0 && bad == NULL && s <= maxstem; s++) {
        st->stems += have[s].n > 0;
        if (want[s].n != have[s].n || want[s].hash != have[s].hash)
            bad = opine__format("the postings of stem %lld are not its"
                                " doc_terms rows (%llu postings, %llu rows)",
                                (long long)s, (unsigned long long)have[s].n,
                                (unsigned long long)want[s].n);
    }
    free(in);
    free(want);
    free(have);
    free(vwant);
    free(vhave);
    if (rc == 0 && bad == NULL)
        rc = check_positions(db, maxdoc, st, &bad);
    if (rc == 0 && bad == NULL) {
        /* The counter the stamp reads, when the file has one, is the
         * table's count. */
        int64_t counted, kept, last;
        if (stamp(db, COUNTED_STAMP, &counted, &last) != 0)
            rc = OPINE_EDB;
        else if (stamp(db, KEPT_STAMP, &kept, &last) == 0 && kept != counted)
            bad = opine__format("doc_lengths_count says %lld documents,"
                                " doc_lengths holds %lld",
                                (long long)kept, (long long)counted);
    }
    if (rc == 0 && bad == NULL) {
        /* Stored norms, when current, are what they would be now, bit for
         * bit. */
        opine_simnorms stored, fresh;
        int64_t docs, last;
        int got = opine__simindex_stamp(db, &docs, &last);
        if (got == 0)
            got = opine__simindex_load_norms(db, docs, last, &stored);
        else
            memset(&stored, 0, sizeof stored);
        if (got < 0)
            rc = got;
        st->norms_current = got == 1;
        if (got == 1 && missing)
            bad = opine__format("the norms are current but %lld stemmed"
                                " documents have no postings",
                                (long long)missing);
        else if (got == 1 &&
                 (rc = opine__simindex_compute_norms(db, &fresh)) == 0) {
            int64_t n = stored.size < fresh.size ? fresh.size : stored.size;
            for (int64_t d = 0; d < n && bad == NULL; d++) {
                double a = d < stored.size ? stored.norm[d] : 0;
                double b = d < fresh.size ? fresh.norm[d] : 0;
                if (memcmp(&a, &b, sizeof a) != 0)
                    bad = opine__format("document %lld's stored norm %.17g"
                                        " is not %.17g",
                                        (long long)d, a, b);
            }
            opine__simnorms_release(&fresh);
        }
        opine__simnorms_release(&stored);
    }
    if (rc == 0 && bad) {
        set_msg(errmsg, bad);
        return OPINE_ECORRUPT;
    }
    free(bad);
    if (rc)
        set_msg(errmsg,
                opine__format("%s", rc == OPINE_EDB ? sqlite3_errmsg(db)
                                                    : opine_strerror(rc)));
    return rc;
}
