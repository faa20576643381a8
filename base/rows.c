/* base/rows.c — rows in memory as an SQLite table (see rows.h). */
#include "base/rows.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"

struct opine_rows {
    sqlite3_module module; /* per table: SQLite keeps a pointer to it */
    char *schema;          /* "CREATE TABLE x(a, b, ...)" */
    char types[16];        /* a letter per column (rows.h) */
    int ncols;
    const int64_t *rows;
    size_t nrows;
};

typedef struct rows_vtab {
    sqlite3_vtab base;
    opine_rows *r;
} rows_vtab;

typedef struct rows_cursor {
    sqlite3_vtab_cursor base;
    opine_rows *r;
    size_t at;
} rows_cursor;

static int rows_connect(sqlite3 *db, void *aux, int argc,
                        const char *const *argv, sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    opine_rows *r = aux;
    int rc = sqlite3_declare_vtab(db, r->schema);
    if (rc != SQLITE_OK)
        return rc;
    rows_vtab *v = sqlite3_malloc(sizeof(*v));
    if (v == NULL)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof(*v));
    v->r = r;
    *out = &v->base;
    return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

/* Only full scans, in array order: the caller puts rows in the order the
 * target table wants them (its primary key), so each lands at the end. */
static int rows_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    rows_vtab *rv = (rows_vtab *)v;
    info->estimatedCost = (double)rv->r->nrows + 1;
    info->estimatedRows = (sqlite3_int64)rv->r->nrows + 1;
    return SQLITE_OK;
}

static int rows_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    rows_cursor *c = sqlite3_malloc(sizeof(*c));
    if (c == NULL)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    c->r = ((rows_vtab *)v)->r;
    *out = &c->base;
    return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *c, int idx, const char *idxstr,
                       int argc, sqlite3_value **argv)
{
    (void)idx;
    (void)idxstr;
    (void)argc;
    (void)argv;
    ((rows_cursor *)c)->at = 0;
    return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *c)
{
    ((rows_cursor *)c)->at++;
    return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *c)
{
    rows_cursor *rc = (rows_cursor *)c;
    return rc->at >= rc->r->nrows;
}

static int rows_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
    rows_cursor *rc = (rows_cursor *)c;
    int64_t v = rc->r->rows[rc->at * (size_t)rc->r->ncols + (size_t)col];
    double d;
    switch (rc->r->types[col]) {
    case 'n':
        if (v == 0) {
            sqlite3_result_null(ctx);
            break;
        }
        /* fall through */
    case 'i':
        sqlite3_result_int64(ctx, v);
        break;
    case 'r':
        memcpy(&d, &v, sizeof d);
        if (d != d)
            sqlite3_result_null(ctx);
        else
            sqlite3_result_double(ctx, d);
        break;
    case 'b': {
        const opine_rows_blob *b = (const opine_rows_blob *)(intptr_t)v;
        if (b == NULL || b->data == NULL)
            sqlite3_result_null(ctx);
        else
            sqlite3_result_blob64(ctx, b->data, (sqlite3_uint64)b->len,
                                  SQLITE_STATIC);
        break;
    }
    default: /* 't' */
        if (v == 0)
            sqlite3_result_null(ctx);
        else
            sqlite3_result_text(ctx, (const char *)(intptr_t)v, -1,
                                SQLITE_STATIC);
    }
    return SQLITE_OK;
}

int64_t opine__rows_real(double v)
{
    int64_t x;
    memcpy(&x, &v, sizeof x);
    return x;
}

int64_t opine__rows_blob(const opine_rows_blob *b)
{
    return (int64_t)(intptr_t)b;
}

int64_t opine__rows_text(const char *s)
{
    return (int64_t)(intptr_t)s;
}

static int rows_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((rows_cursor *)c)->at + 1;
    return SQLITE_OK;
}

static void rows_destroy(void *p)
{
    opine_rows *r = p;
    if (r) {
        sqlite3_free(r->schema);
        free(r);
    }
}

int opine__rows_register(sqlite3 *db, const char *name, const char *columns,
                         const char *types, opine_rows **out)
{
    *out = NULL;
    size_t ncols = strlen(types);
    if (ncols == 0 || ncols >= sizeof(((opine_rows *)0)->types) ||
        strspn(types, "inrtb") != ncols)
        return OPINE_EUSAGE;
    opine_rows *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return OPINE_ENOMEM;
    r->schema = sqlite3_mprintf("CREATE TABLE x(%s)", columns);
    if (r->schema == NULL) {
        free(r);
        return OPINE_ENOMEM;
    }
    r->ncols = (int)ncols;
    memcpy(r->types, types, ncols + 1);
    sqlite3_module *m = &r->module;
    m->iVersion = 1;
    m->xCreate = NULL; /* eponymous only: no CREATE VIRTUAL TABLE */
    m->xConnect = rows_connect;
    m->xBestIndex = rows_best_index;
    m->xDisconnect = rows_disconnect;
    m->xOpen = rows_open;
    m->xClose = rows_close;
    m->xFilter = rows_filter;
    m->xNext = rows_next;
    m->xEof = rows_eof;
    m->xColumn = rows_column;
    m->xRowid = rows_rowid;
    /* On failure SQLite calls the destructor itself. */
    if (sqlite3_create_module_v2(db, name, m, r, rows_destroy) != SQLITE_OK)
        return OPINE_EDB;
    *out = r;
    return 0;
}

void opine__rows_set(opine_rows *r, const int64_t *rows, size_t nrows)
{
    r->rows = rows;
    r->nrows = nrows;
}
