/* base/rows.h — rows in memory as an SQLite table, for bulk writes.
 *
 * The engine writes a batch's (doc, stem, tf) rows and its frequency
 * updates with one statement each, reading from an eponymous virtual table
 * that walks a C array:
 *
 *     opine_rows *r;
 *     opine__rows_register(db, "opine_batch_terms", "doc, stem, tf", "iii",
 *                          &r);
 *     opine__rows_set(r, flat, nrows);    // nrows * 3 int64s, row-major
 *     exec("INSERT INTO doc_terms SELECT doc, stem, tf"
 *          " FROM opine_batch_terms");
 *
 * WHY: bound parameters cost a call per value and a multi-row VALUES list
 * is parsed into a statement of its own; a virtual table hands SQLite its
 * values straight from memory, which is how the storage floor in
 * bench/compare (INSERT ... SELECT) writes. Every value is one int64 slot;
 * a column's type letter says how to read it:
 *     i  an integer
 *     n  an integer, 0 read as NULL
 *     r  a double (its bits, memcpy'd into the slot), NaN read as NULL
 *     t  a pointer to NUL-terminated UTF-8 text (intptr_t), NULL as NULL;
 *        the text must outlive the statement that reads it
 *     b  a pointer to an opine_rows_blob (intptr_t), NULL (or a NULL
 *        data pointer) as NULL; blob and bytes must outlive the statement
 * The array belongs to the caller and must stay valid while a statement
 * reads the table; the table is visible only to the connection that
 * registered it, and reads are not thread-safe (one statement at a time).
 */
#ifndef OPINE_BASE_ROWS_H
#define OPINE_BASE_ROWS_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

typedef struct opine_rows opine_rows;

/* The engine's table of a batch's term counts and the statement that
 * stores them (bench/write_floor times the same). */
#define OPINE__BATCH_TERMS "opine_batch_terms"
#define OPINE__INSERT_DOC_TERMS                                                \
    "INSERT OR FAIL INTO doc_terms(doc, stem, tf)"                             \
    " SELECT doc, stem, tf FROM " OPINE__BATCH_TERMS

/* Make the table `name` on db with the columns listed in `columns`
 * ("a, b, c") of the types in `types` ("iit", one letter a column, see
 * above). The object lives until the connection closes (SQLite frees it).
 * Returns 0, OPINE_ENOMEM or OPINE_EDB. */
int opine__rows_register(sqlite3 *db, const char *name, const char *columns,
                         const char *types, opine_rows **out);

/* A blob column's value: len bytes at data. */
typedef struct opine_rows_blob {
    const void *data;
    size_t len;
} opine_rows_blob;

/* Value slots for the non-integer types. */
int64_t opine__rows_real(double v);
int64_t opine__rows_text(const char *s);
int64_t opine__rows_blob(const opine_rows_blob *b);

/* What the table holds from now on: nrows rows of ncols values each,
 * row-major. rows may be NULL when nrows is 0. */
void opine__rows_set(opine_rows *r, const int64_t *rows, size_t nrows);

#endif
