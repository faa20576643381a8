/* pipeline/simindex.h — the inverted index behind opine similar: each
 * stem's postings (document, tf) in chunks, and every document's tf-idf
 * norm, kept in the corpus's own SQLite file.
 *
 * WEIGHTS. A term t weighs w(t, d) = tf(t, d) * ln(N / df(t)) in
 * document d, as v_tfidf has it: N is the number of stemmed documents
 * (rows of doc_lengths), df and tf are terms.df and doc_terms.tf (stop
 * words are not terms). Every idf changes whenever a document is added,
 * so the index keeps only what does not change, the raw tf of each
 * posting, and derives the weights from the current N and df when it is
 * read. The one thing derived ahead of time is each document's norm
 * |d| = sqrt(sum over t of w(t, d)^2), which depends on every idf: it is
 * recomputed from the postings whenever the corpus has changed (see
 * "NORMS" below), never updated by differences, so it is always the sum
 * brute force would take, in the same order.
 *
 * TABLES, made with CREATE ... IF NOT EXISTS when the stem stage starts
 * and by opine similar (the schema version does not change; an older file
 * gains them when first written to):
 *
 *   similar_postings(id INTEGER PRIMARY KEY, postings BLOB NOT NULL)
 *       One chunk: the postings of stem id & 0xffffffff in generation
 *       id >> 32, in ascending document order. The writer below holds at
 *       most OPINE_SIMINDEX_BUFFER bytes of postings in memory; whenever
 *       it has that much, and before every COMMIT, it writes what it holds
 *       as a new generation: one chunk for every stem it holds. So every
 *       write appends to the table, a generation is in stem order, and a
 *       query reads a stem with one look-up per generation. A document's
 *       postings are all in one generation (the writer writes between
 *       documents), so a pass over the table in id order meets each
 *       document's terms in stem order: the order brute force sums them.
 *       `postings` is the postings, each the document id less the
 *       previous one's (the first: less 0) in 2 bytes, little-endian,
 *       when below 0xffff, else 0xffff and 8 bytes; then tf in 1 byte
 *       when below 0xff, else 0xff and 4 bytes. Fixed widths in the
 *       common case let a decoder's loads run ahead of each other (with
 *       varints, where a number starts depends on the bytes before it):
 *       the 2.1 M postings of a long ABP article decode and add up in
 *       2.7 ms instead of 6.5 (one core, warm), for 36 MB of postings on
 *       ABP instead of 26 (3 bytes a posting).
 *   search_positions(id INTEGER PRIMARY KEY, positions BLOB NOT NULL)
 *       The positions of the postings of chunk c (a similar_postings id), for
 *       opine search's NEAR, kept when the database's setting says so (meta
 *       search_positions 'on', which `--positions on` sets; off by default:
 *       they cost ABP's run about 8%), in parts: the rows
 *       OPINE_SIMINDEX_PART(c, p) for p from 0 to 255, those there are, one
 *       after the other. Their bytes: for each posting, in the chunk's order,
 *       the indexes of its tf counted tokens in the document's token stream
 *       (doc_tokens), ascending, as LEB128 varints (as in
 *       pipeline/tokstream.h), the first as it is and each next less the one
 *       before. Counted tokens are those doc_terms counts: not stop words, not
 *       in a boilerplate line left out. A part ends between two postings. The
 *       writer holds at most OPINE_SIMINDEX_POS_BUFFER bytes of positions: when
 *       it has that much it writes them as the next part of the generation it
 *       holds (a row for every stem that has some since the last part), so that
 *       positions, about as many bytes as postings, do not double what a
 *       generation holds in memory (ABP's peak RSS: 252 MB with a generation's
 *       positions held whole, 230-238 in parts of 4 MiB, 230 without
 *       positions). A generation has positions when every document it holds
 *       came with them (not those an index backfill reads from doc_terms): then
 *       every chunk of it has some part, else none has; a query that needs the
 *       positions of a chunk without reads token streams instead. Merges and
 *       forgets rewrite a chunk's positions as one part, in step with its
 *       postings. On ABP: 21.1 M positions, 34.5 MB (1.64 bytes a position) in
 *       552,000 rows (FTS5 keeps every token's position in its index the same
 *       way).
 *   similar_generations(gen INTEGER PRIMARY KEY, postings INTEGER NOT
 *                       NULL)
 *       What each generation holds, written with it: the list a query
 *       reads its generations from, and the sizes merges go by.
 *   similar_docs(doc INTEGER PRIMARY KEY)
 *       The documents whose postings are in similar_postings, written in
 *       the same transaction as their postings.
 *   similar_norms(id INTEGER PRIMARY KEY CHECK (id = 1),
 *                 documents INTEGER NOT NULL, last INTEGER NOT NULL,
 *                 norms BLOB NOT NULL, computed TEXT NOT NULL)
 *       Every document's |d| as IEEE 754 doubles, little-endian, indexed
 *       by document id (0 for ids that are no stemmed document), computed
 *       when doc_lengths held `documents` rows, the last of them document
 *       `last`: that pair is the stamp that says whether they still hold.
 *       Documents are only ever added to doc_lengths, and each addition
 *       changes the count; the pair costs one row of doc_lengths_count
 *       (kept by triggers, pipeline/store.c; a count(*) of doc_lengths
 *       in a file without it) and one b-tree descent.
 *   INDEX documents_ext_id ON documents(ext_id)
 *       To find a document by its id without reading the table.
 *   INDEX documents_outlet ON documents(outlet, published),
 *         documents_published ON documents(published),
 *         documents_author ON documents(author)
 *       For the queries of pipeline/search.h and the commands that group
 *       documents: a group or filter on outlet, dates or author reads an
 *       index of a few hundred KB instead of the table with the bodies
 *       (the trend of a term per month on ABP: 0.13 s of CPU -> see
 *       bench/queries).
 *
 * INVARIANTS, after every commit: the postings of the documents in
 * similar_docs are exactly their doc_terms rows, and similar_generations
 * lists every generation of similar_postings with what it holds; norms
 * are used only when their stamp equals doc_lengths' count and largest
 * id, and then every stemmed document is in similar_docs (documents are
 * only ever added, so an equal count means nothing was added since).
 * opine__simindex_check() verifies all of it.
 *
 * NORMS. When the stamp is stale (documents were stemmed since), the
 * index is brought up to date (opine__simindex_refresh()): documents
 * stemmed without an index (by an older opine) get their postings from
 * doc_terms, young generations are merged when there are many, and every
 * norm is summed anew from the postings in stem order, with the current N
 * and df. The stem and run stages do it at their end; opine similar does
 * it when it finds the stamp stale (a run was killed before, say). It
 * costs one pass over the postings (ABP's 12 M: about 0.1 s), in windows
 * of OPINE_SIMINDEX_WINDOW documents, so that its memory does not grow
 * with the corpus.
 *
 * MEMORY, in a run: the writer's postings (an arena of
 * OPINE_SIMINDEX_BUFFER bytes, more only within one long document), a
 * buffer of at least 256 KiB (or the longest chunk) to hand a slice of
 * chunks to SQLite, an index by stem id
 * (4 bytes a stem) and one entry for each stem it holds (24 bytes); the
 * refresh, a window of norms, the idf of every stem (8 bytes a stem) and
 * what a merge holds of one stem. The postings are read through SQLite's
 * page cache, not mapped, because mapped pages count in a run's resident
 * memory. On ABP (37,547 documents, 12 M postings, 157,451 stems) the
 * writer writes 4 generations of up to 82,818 chunks and holds about
 * 19 MB.
 */
#ifndef OPINE_PIPELINE_SIMINDEX_H
#define OPINE_PIPELINE_SIMINDEX_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* The writer's postings in memory, in bytes of buffers: when it holds this
 * much it writes them as a generation. A query reads one chunk of each
 * generation, and a command that starts cold pays a page fault for each
 * (60-150 us on this VM for a mapped 64 KiB page): with 16 MiB ABP has 4
 * generations instead of 14 (at 4 MiB). In bench/queries, whose runs of
 * opine and of FTS5 alternate, the same opine build's commands went from
 * 1.22-1.28 to 1.19 times FTS5's for a term, 1.08-1.10 to 1.02 for the
 * Boolean question, 1.44-1.46 to 1.39 for a prefix (phrase and NEAR
 * within noise), with the same answers. A run writes 295,000 chunk rows
 * instead of 554,000: no slower
 * (four alternating pairs on ABP, each pair faster by 0.1-0.9 s), and its
 * peak RSS the same, because the vocabulary's maps shrank by as much
 * (base/strmap.c, pipeline/zblob.c). */
#define OPINE_SIMINDEX_BUFFER (16u << 20)

/* The writer's positions in memory, in bytes of buffers: when it holds
 * this much it writes them as the next part of the generation it holds
 * (so positions, about as many bytes as postings, do not double what a
 * generation holds in memory). At most OPINE_SIMINDEX_PARTS parts a
 * generation: one more ends it. */
#define OPINE_SIMINDEX_POS_BUFFER (4u << 20)
#define OPINE_SIMINDEX_PARTS 256

/* search_positions.id of part p of chunk id (similar_postings.id) c. */
#define OPINE_SIMINDEX_PART(c, p) ((int64_t)(c) << 8 | (p))

/* The norms are computed for this many document ids at a time. */
#define OPINE_SIMINDEX_WINDOW (1u << 19)

/* Generations are merged when a refresh finds more than this many: the
 * youngest that are no larger, together, than half the one before them
 * (see merge_young() in simindex.c), so that a posting is rewritten a few
 * times at most and a query reads few chunks of each stem. */
#define OPINE_SIMINDEX_MERGE_AT 32
/* A generation of this many postings or more is never merged into: the
 * chunks a merge writes (and holds in memory, one at a time) stay
 * bounded. */
#define OPINE_SIMINDEX_MERGE_MAX ((int64_t)1 << 26)

/* In SQL: similar_postings.id of stem s's chunk in generation g, and the
 * condition that an id is of generation g (g and s are SQL expressions:
 * column names, parameters). */
#define OPINE_SIMINDEX_ID(g, s) "((" g ") * 4294967296 + (" s "))"
#define OPINE_SIMINDEX_OF_GEN(g)                                               \
    "id BETWEEN (" g ") * 4294967296 AND (" g ") * 4294967296 + 4294967295"

/* The generations the index holds, oldest first, into *gens (malloc'd)
 * and *n. */
int opine__simindex_generations(sqlite3 *db, int64_t **gens, size_t *n);

/* Create the tables and indexes above when missing (in a transaction of
 * its own, when the connection has none open). 0 or OPINE_EDB. */
int opine__simindex_schema(sqlite3 *db);

/* Whether the tables exist (1), or not (0); a negative error. */
int opine__simindex_exists(sqlite3 *db);

/* THE WRITER: collects the postings of the documents a transaction
 * stems and writes them into that transaction, a generation whenever it
 * holds OPINE_SIMINDEX_BUFFER bytes, and the rest when flushed. One thread
 * at a time; the connection must outlive it. */
typedef struct opine__simindex opine__simindex;

int opine__simindex_new(opine__simindex **out, sqlite3 *db);
void opine__simindex_free(opine__simindex *x); /* accepts NULL */

/* Add document doc's terms: nterms (stem, tf) pairs, sorted by stem
 * (the engine's job.terms), in the caller's open transaction, and their
 * positions: term i's are the bytes pos[pos_end[i - 1] .. pos_end[i])
 * (from 0 for the first), as search_positions holds them. Without them
 * (pos NULL) the generation that takes the document is written without
 * positions. Documents should come in ascending id order; one that does
 * not starts a new generation. 0, or OPINE_EDB / OPINE_ENOMEM /
 * OPINE_ETOOBIG (an id of 2^32 or more). */
int opine__simindex_add(opine__simindex *x, int64_t doc, const uint32_t *terms,
                        size_t nterms, const unsigned char *pos,
                        const uint32_t *pos_end);
/* Write what was added since the last write inside the caller's open
 * transaction. 0 or OPINE_EDB / OPINE_ENOMEM. */
int opine__simindex_flush(opine__simindex *x);
/* Forget what was added (the transaction was rolled back). */
void opine__simindex_discard(opine__simindex *x);
/* Free the buffers when nothing is held (all written): before the passes
 * at a stage's end (near-duplicates, norms), which then reuse that memory
 * rather than adding theirs to it. Accepts NULL. */
void opine__simindex_trim(opine__simindex *x);

/* NORMS and the stamp. */
typedef struct opine_simnorms {
    double *norm;      /* by document id; malloc'd */
    int64_t size;      /* ids 0..size-1 */
    int64_t documents; /* the stamp: rows of doc_lengths, */
    int64_t last;      /* and the largest document id among them */
} opine_simnorms;

void opine__simnorms_release(opine_simnorms *n); /* the array; NULL ok */

/* The stamp the database has now (in the caller's read transaction). */
int opine__simindex_stamp(sqlite3 *db, int64_t *documents, int64_t *last);

/* Whether the stored norms carry the stamp (documents, last): 1 or 0 (no
 * norms, another stamp, no index). When 1, every stemmed document is in
 * the index (the invariants above): no count of similar_docs needed. */
int opine__simindex_norms_match(sqlite3 *db, int64_t documents, int64_t last);

/* Read the stored norms into *out when their stamp is (documents, last),
 * the database's stamp: returns 1 then, 0 when they are missing or stale
 * (*out empty), or an error. */
int opine__simindex_load_norms(sqlite3 *db, int64_t documents, int64_t last,
                               opine_simnorms *out);

/* Sum every norm anew from the postings and the current N and df (in the
 * caller's transaction, which may be a read transaction) into *out: the
 * index must hold every stemmed document. OPINE_ECORRUPT when it does
 * not, or a posting does not decode. */
int opine__simindex_compute_norms(sqlite3 *db, opine_simnorms *out);

/* Bring the index up to date when the stamp is stale: postings for
 * stemmed documents that have none (from doc_terms, committed every few
 * generations, so that a killed backfill keeps what it did), young
 * generations merged when there are more than OPINE_SIMINDEX_MERGE_AT,
 * the norms computed and stored; in transactions of its own (BEGIN
 * IMMEDIATE: it waits for SQLite's locks as long as the connection's busy
 * timeout; the caller holds the writer lock of pipeline/lock.h). x, the
 * writer of the caller's stage, may be NULL (one is made for the
 * backfill). Returns 0, or an error with *errmsg (when not NULL) set to a
 * malloc'd message. */
int opine__simindex_refresh(sqlite3 *db, opine__simindex *x, char **errmsg);

/* Take documents docs[0..n) (ascending ids) out of the index, in the
 * caller's open transaction, before or after their doc_terms rows change
 * in place (boilerplate lines flagged after they were stemmed,
 * pipeline/boilerplate.c): their postings leave every chunk (a chunk left
 * empty goes, and so does a generation left empty), their similar_docs
 * rows go, and so do the stored norms, which depend on every df. The next
 * refresh indexes them again from doc_terms and sums the norms anew. One
 * pass over the postings, in slices of about 4 MiB
 * of rewritten chunks. *forgot (may be NULL) says whether the index held
 * any of them. 0 when there is no index, or OPINE_EDB / OPINE_ENOMEM /
 * OPINE_ECORRUPT (a chunk that does not decode). */
int opine__simindex_forget(sqlite3 *db, const int64_t *docs, size_t n,
                           int *forgot);

/* Verify the invariants above against doc_terms, doc_lengths and terms,
 * reading everything (seconds on ABP): each chunk decodes, in ascending
 * order; per stem, the postings are the doc_terms rows of the indexed
 * documents (compared as counts and sums of a 64-bit hash of each row);
 * similar_generations says what each generation holds; current norms
 * are, bit for bit, what they would be computed now. Returns 0 when all
 * holds (stale norms and stemmed documents not indexed yet are no error:
 * both wait for the next refresh), OPINE_ECORRUPT with *errmsg saying
 * what differs, or another error. *stats says what the index holds. */
typedef struct opine_simindex_stats {
    int64_t documents; /* indexed (similar_docs) */
    int64_t unindexed; /* stemmed, not indexed yet */
    int64_t generations, stems, chunks, postings;
    int norms_current; /* the stored norms' stamp is the database's */
    int64_t vectors, vector_terms; /* doc_vectors: documents, terms */
    int64_t positions;             /* search_positions: positions */
} opine_simindex_stats;
int opine__simindex_check(sqlite3 *db, opine_simindex_stats *stats,
                          char **errmsg);

/* One posting: its document's gap from the previous posting's, and its
 * tf, at p (< end); the position after it, or NULL when it runs past end.
 * Inline: queries decode millions of them. */
static inline const unsigned char *opine__posting_get(const unsigned char *p,
                                                      const unsigned char *end,
                                                      uint64_t *gap,
                                                      uint64_t *tf)
{
    if (end - p < 3)
        return NULL;
    uint64_t g = (uint64_t)p[0] | (uint64_t)p[1] << 8, t;
    p += 2;
    if (g == 0xffff) {
        if (end - p < 9)
            return NULL;
        g = 0;
        for (int i = 0; i < 8; i++)
            g |= (uint64_t)p[i] << (8 * i);
        p += 8;
    }
    t = *p++;
    if (t == 0xff) {
        if (end - p < 4)
            return NULL;
        t = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
            (uint64_t)p[3] << 24;
        p += 4;
    }
    *gap = g;
    *tf = t;
    return p;
}

/* The bytes one posting takes; at most OPINE_POSTING_MAX. */
#define OPINE_POSTING_MAX 15
static inline size_t opine__posting_size(uint64_t gap, uint64_t tf)
{
    return (gap < 0xffff ? 2 : 10) + (tf < 0xff ? 1 : 5);
}

/* Write one posting at p (room for opine__posting_size() bytes); the
 * position after it. tf must be below 2^32. */
static inline unsigned char *opine__posting_put(unsigned char *p, uint64_t gap,
                                                uint64_t tf)
{
    if (gap < 0xffff) {
        *p++ = (unsigned char)gap;
        *p++ = (unsigned char)(gap >> 8);
    } else {
        *p++ = 0xff;
        *p++ = 0xff;
        for (int i = 0; i < 8; i++)
            *p++ = (unsigned char)(gap >> (8 * i));
    }
    if (tf < 0xff) {
        *p++ = (unsigned char)tf;
    } else {
        *p++ = 0xff;
        for (int i = 0; i < 4; i++)
            *p++ = (unsigned char)(tf >> (8 * i));
    }
    return p;
}

/* One position of search_positions (a LEB128 varint of at most 32 bits)
 * at p (< end) into *x; the byte after it, or NULL when it runs past end
 * or beyond 32 bits. */
static inline const unsigned char *opine__position_get(const unsigned char *p,
                                                       const unsigned char *end,
                                                       uint32_t *x)
{
    uint32_t v = 0;
    for (int sh = 0; p < end && sh <= 28; sh += 7) {
        v |= (uint32_t)(*p & 0x7f) << sh;
        if (!(*p++ & 0x80)) {
            *x = v;
            return p;
        }
    }
    return NULL;
}

/* Write one position at p (room for 5 bytes); the byte after it. */
static inline unsigned char *opine__position_put(unsigned char *p, uint32_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

#endif
