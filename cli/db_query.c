/* cli/db_query.c — what the commands that query a database share: the
 * database's own way of cutting text, groups of documents, and bringing
 * the similarity index (whose postings answer term queries) up to date. */
#include <stdlib.h>
#include <string.h>

#include "api/opine.h"
#include "base/error.h"
#include "cli/cli.h"
#include "pipeline/similar.h"
#include "pipeline/simindex.h"

/* Set option key of o from the database's meta value (when it has one). */
static int option_from_meta(opine_store *st, opine_options *o, const char *meta,
                            const char *key)
{
    char *v = opine_store_meta_get(st, meta);
    int rc = 0;
    if (v) {
        const char *value = v;
        if (strcmp(key, "fold") == 0)
            value = strcmp(v, "1") == 0 ? "yes" : "no";
        char *msg = NULL;
        rc = opine_options_set(o, key, value, &msg);
        if (rc)
            cli_error("the database's %s '%s': %s", meta, v,
                      msg ? msg : opine_strerror(rc));
        free(msg);
    }
    free(v);
    return rc;
}

opine_analyzer *cli_db_analyzer(opine_store *st)
{
    opine_options *o = NULL;
    opine_analyzer *a = NULL;
    char *msg = NULL;
    int rc = opine_options_new(&o);
    if (rc == 0 &&
        ((rc = option_from_meta(st, o, "language", "language")) ||
         (rc = option_from_meta(st, o, "stopwords", "stopwords")) ||
         (rc = option_from_meta(st, o, "tokenizer", "tokenizer")) ||
         (rc = option_from_meta(st, o, "fold_diacritics", "fold")))) {
        opine_options_free(o);
        return NULL;
    }
    if (rc == 0 && (rc = opine_analyzer_new(&a, o, &msg)) != 0)
        cli_error("cannot cut text as the database was: %s",
                  msg ? msg : opine_strerror(rc));
    else if (rc)
        cli_error("%s", opine_strerror(rc));
    free(msg);
    opine_options_free(o);
    return rc ? NULL : a;
}

/* The SQL expression of a --by group over documents d, or NULL (after
 * saying why); *name the column's name. sqlite3_mprintf'd. */
char *cli_group_expr(const char *by, char **name)
{
    *name = NULL;
    if (strcmp(by, "outlet") == 0 || strcmp(by, "author") == 0) {
        *name = sqlite3_mprintf("%s", by);
        return sqlite3_mprintf("d.%s", by);
    }
    if (strcmp(by, "year") == 0 || strcmp(by, "month") == 0) {
        *name = sqlite3_mprintf("%s", by);
        return sqlite3_mprintf("substr(d.published, 1, %d)",
                               by[0] == 'y' ? 4 : 7);
    }
    if (strncmp(by, "meta:", 5) == 0 && by[5]) {
        *name = sqlite3_mprintf("%s", by + 5);
        return sqlite3_mprintf("(SELECT value FROM doc_meta m"
                               " WHERE m.doc = d.id AND m.key = %Q)",
                               by + 5);
    }
    cli_error("unknown --by '%s' (outlet, author, year, month or meta:KEY)",
              by);
    return NULL;
}

/* When db's index is not current (a run was killed before it got to it,
 * or an older opine made the file), bring it up to date in the file,
 * unless another process is writing it or the file is read-only: then
 * opine_similar_open() computes the norms in memory. CLI_OK, or
 * CLI_FATAL after saying why. */
int cli_update_index(sqlite3 *sdb, const char *db)
{
    int cur = opine_similar_current(sdb);
    if (cur < 0) {
        cli_error("'%s': %s", db, sqlite3_errmsg(sdb));
        return CLI_FATAL;
    }
    if (cur == 1)
        return CLI_OK;
    opine_store *w = NULL;
    opine_store_opts o = cli_store_opts(0);
    o.wait = 0; /* a writer at work: answer from memory, not wait for it */
    o.on_wait = NULL;
    char *msg = NULL;
    int rc = opine_store_open_opts(&w, db, 0, &o, &msg);
    free(msg);
    msg = NULL;
    if (rc)
        return CLI_OK; /* locked, or not writable */
    sqlite3 *wdb = opine_store_db(w);
    sqlite3_busy_timeout(wdb, 0);
    rc = opine__simindex_refresh(wdb, NULL, &msg);
    int code = sqlite3_extended_errcode(wdb) & 0xff;
    opine_store_close(w);
    /* Another process took SQLite's lock meanwhile, or the file cannot be
     * written after all: from memory, as above. */
    int elsewhere =
        rc == OPINE_EDB && (code == SQLITE_BUSY || code == SQLITE_LOCKED ||
                            code == SQLITE_READONLY ||
                            code == SQLITE_CANTOPEN || code == SQLITE_PERM);
    if (rc && !elsewhere)
        cli_error("'%s': %s", db, msg ? msg : opine_strerror(rc));
    free(msg);
    return rc && !elsewhere ? CLI_FATAL : CLI_OK;
}
