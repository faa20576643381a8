/* ext/opine_sqlite.c — opine's SQL functions as an SQLite loadable
 * extension, so that any client reads an opine database fully:
 *
 *   sqlite3 corpus.db -cmd '.load /usr/local/lib/opine_sqlite'
 *   conn.enable_load_extension(True); conn.load_extension("opine_sqlite")
 *
 * The functions are api/sqlfuncs.c's, compiled here in extension mode:
 * every SQLite call goes through the routines the host hands over. */
#define OPINE_SQL_EXTENSION 1
#include "api/sqlfuncs.c"

SQLITE_EXTENSION_INIT1

/* The entry point SQLite derives from the file name opine_sqlite.so. */
#ifdef __GNUC__
__attribute__((visibility("default")))
#endif
int sqlite3_opinesqlite_init(sqlite3 *db, char **errmsg,
                             const sqlite3_api_routines *api)
{
    SQLITE_EXTENSION_INIT2(api);
    return register_all(db, errmsg);
}
