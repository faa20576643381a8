/* tests/test_rows.c — rows in memory as an SQLite table (base/rows.h).
 *
 * The engine writes its bulk rows through these tables, so the cases check
 * what SQLite reads from them value by value: each column type, NULLs,
 * row order, an INSERT ... SELECT into a real table, an emptied table, a
 * table replaced between statements, and refused type strings. Cases are
 * numbered, one topic each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "base/error.h"
#include "base/rows.h"

static int setup(void **state)
{
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return -1;
    *state = db;
    return 0;
}

static int teardown(void **state)
{
    sqlite3_close(*state);
    return 0;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return v;
}

/* 1. Every column type reads back as written, NULLs included, in order. */
static void test01_types(void **state)
{
    sqlite3 *db = *state;
    opine_rows *r;
    assert_int_equal(opine__rows_register(db, "t", "i, n, r, s", "inrt", &r),
                     0);
    int64_t rows[] = {
        7,  3, opine__rows_real(0.25), opine__rows_text("alliance"),
        -1, 0, opine__rows_real(NAN),  opine__rows_text(NULL),
        0,  9, opine__rows_real(-2.5), opine__rows_text("ünïcode"),
    };
    opine__rows_set(r, rows, 3);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT i, n, r, s, typeof(n),"
                                        " typeof(r), typeof(s) FROM t",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(q, 0), 7);
    assert_int_equal(sqlite3_column_int64(q, 1), 3);
    assert_true(sqlite3_column_double(q, 2) == 0.25);
    assert_string_equal((const char *)sqlite3_column_text(q, 3), "alliance");
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(q, 0), -1);
    assert_string_equal((const char *)sqlite3_column_text(q, 4), "null");
    assert_string_equal((const char *)sqlite3_column_text(q, 5), "null");
    assert_string_equal((const char *)sqlite3_column_text(q, 6), "null");
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(q, 0), 0); /* 'i' keeps 0 */
    assert_int_equal(sqlite3_column_int64(q, 1), 9);
    assert_true(sqlite3_column_double(q, 2) == -2.5);
    assert_string_equal((const char *)sqlite3_column_text(q, 3), "ünïcode");
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
}

/* 2. INSERT ... SELECT into a real table, then the table emptied and
 * refilled between statements: each statement sees what was set. */
static void test02_insert_select(void **state)
{
    sqlite3 *db = *state;
    opine_rows *r;
    assert_int_equal(
        opine__rows_register(db, "batch", "doc, stem, tf", "iii", &r), 0);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE dt(doc INTEGER, stem INTEGER,"
                                  " tf INTEGER, PRIMARY KEY(doc, stem))"
                                  " WITHOUT ROWID",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    enum { N = 1000 };
    static int64_t rows[3 * N];
    for (int64_t i = 0; i < N; i++) {
        rows[3 * i] = 1 + i / 10;
        rows[3 * i + 1] = i % 10;
        rows[3 * i + 2] = i;
    }
    const char *ins = "INSERT INTO dt SELECT doc, stem, tf FROM batch";
    opine__rows_set(r, rows, N);
    assert_int_equal(sqlite3_exec(db, ins, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(q_int(db, "SELECT count(*) FROM dt"), N);
    assert_int_equal(q_int(db, "SELECT sum(tf) FROM dt"),
                     (int64_t)N * (N - 1) / 2);
    assert_int_equal(q_int(db, "SELECT tf FROM dt WHERE doc = 42 AND stem = 7"),
                     417);
    opine__rows_set(r, NULL, 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM batch"), 0);
    assert_int_equal(sqlite3_exec(db, ins, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(q_int(db, "SELECT count(*) FROM dt"), N);
    /* The same ids again: the primary key refuses them, as it should. */
    opine__rows_set(r, rows, 1);
    assert_int_equal(sqlite3_exec(db, ins, NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    rows[0] = N + 1;
    assert_int_equal(sqlite3_exec(db, ins, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(q_int(db, "SELECT count(*) FROM dt"), N + 1);
}

/* 3. An UPDATE ... FROM reads the table as its outer loop. */
static void test03_update_from(void **state)
{
    sqlite3 *db = *state;
    opine_rows *r;
    assert_int_equal(opine__rows_register(db, "adds", "id, cf", "ii", &r), 0);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE types(id INTEGER PRIMARY KEY, cf INTEGER);"
                     "INSERT INTO types VALUES(1, 10), (2, 20), (3, 30);",
                     NULL, NULL, NULL),
        SQLITE_OK);
    int64_t rows[] = {1, 5, 3, 7};
    opine__rows_set(r, rows, 2);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE types SET cf = types.cf + d.cf"
                                  " FROM adds AS d WHERE types.id = d.id",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT group_concat(cf, ' ') FROM"
                                        " (SELECT cf FROM types ORDER BY id)",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "15 20 37");
    sqlite3_finalize(q);
}

/* 4. Type strings the table cannot read are refused. */
static void test04_bad_types(void **state)
{
    sqlite3 *db = *state;
    opine_rows *r = (opine_rows *)&r;
    assert_int_equal(opine__rows_register(db, "x", "a", "", &r), OPINE_EUSAGE);
    assert_null(r);
    assert_int_equal(opine__rows_register(db, "x", "a", "x", &r), OPINE_EUSAGE);
    assert_int_equal(opine__rows_register(db, "x", "a, b", "i?", &r),
                     OPINE_EUSAGE);
    assert_int_equal(
        opine__rows_register(db, "x", "a", "iiiiiiiiiiiiiiiiiiii", &r),
        OPINE_EUSAGE);
}

/* 5. Blobs: bytes as they are (NULs included), an empty blob is not NULL,
 * and a NULL pointer or a NULL data pointer is NULL; INSERT ... SELECT
 * stores them. */
static void test05_blobs(void **state)
{
    sqlite3 *db = *state;
    opine_rows *r;
    assert_int_equal(opine__rows_register(db, "tb", "id, b", "ib", &r), 0);
    static const unsigned char bytes[] = {0x78, 0x00, 0x9c, 0xff, 0x00};
    opine_rows_blob full = {bytes, sizeof bytes}, empty = {bytes, 0},
                    nodata = {NULL, 3};
    int64_t rows[] = {
        1, opine__rows_blob(&full),   2, opine__rows_blob(&empty),
        3, opine__rows_blob(&nodata), 4, opine__rows_blob(NULL),
    };
    opine__rows_set(r, rows, 4);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE k(id INTEGER PRIMARY KEY, b);"
                                  " INSERT INTO k SELECT id, b FROM tb",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(q_int(db, "SELECT count(*) FROM k WHERE id = 1 AND"
                               " typeof(b) = 'blob' AND hex(b) = '78009CFF00'"),
                     1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM k WHERE id = 2 AND"
                               " typeof(b) = 'blob' AND length(b) = 0"),
                     1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM k WHERE b IS NULL"), 2);
    assert_int_equal(q_int(db, "SELECT sum(id) FROM k WHERE b IS NULL"), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test01_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test02_insert_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test03_update_from, setup, teardown),
        cmocka_unit_test_setup_teardown(test04_bad_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test05_blobs, setup, teardown),
    };
    return cmocka_run_group_tests_name("rows", tests, NULL, NULL);
}
