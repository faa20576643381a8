/* pipeline/group_stance.c — stance pooled over groups of documents, with
 * random-effects intervals (see group_stance.h for the model). */
#include "pipeline/group_stance.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "pipeline/scale.h"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS group_stance(run INTEGER NOT NULL,"
    " model TEXT NOT NULL, version INTEGER NOT NULL, theme TEXT NOT NULL,"
    " by_key TEXT NOT NULL, grp TEXT NOT NULL, documents INTEGER NOT NULL,"
    " stance REAL NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL,"
    " se REAL NOT NULL, tau REAL NOT NULL, mean REAL NOT NULL,"
    " distance REAL, PRIMARY KEY(run, grp));\n"
    "CREATE TABLE IF NOT EXISTS group_stance_diff(run INTEGER NOT NULL,"
    " target TEXT NOT NULL, reference TEXT NOT NULL, difference REAL NOT"
    " NULL, lo REAL NOT NULL, hi REAL NOT NULL, se REAL NOT NULL,"
    " PRIMARY KEY(run, target, reference));\n";

static int fail(char **errmsg, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char **errmsg, int rc, const char *fmt, ...)
{
    if (errmsg && *errmsg == NULL) {
        va_list ap;
        va_start(ap, fmt);
        *errmsg = opine__vformat(fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* The SQL of a document's group, d being documents; ?3 is meta's key. */
static const char *group_sql(const char *by)
{
    if (strcmp(by, "outlet") == 0)
        return "d.outlet";
    if (strcmp(by, "author") == 0)
        return "d.author";
    if (strcmp(by, "year") == 0)
        return "CASE WHEN d.published GLOB '[0-9][0-9][0-9][0-9]*'"
               " THEN substr(d.published, 1, 4) END";
    if (strcmp(by, "month") == 0)
        return "CASE WHEN d.published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]*'"
               " THEN substr(d.published, 1, 7) END";
    if (strncmp(by, "meta:", 5) == 0 && by[5])
        return "(SELECT value FROM doc_meta m WHERE m.doc = d.id"
               " AND m.key = ?3)";
    return NULL;
}

static int exec(sqlite3 *db, const char *sql, char **errmsg)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
    return 0;
}

/* The model's row: NULL spec the latest, NAME its highest version,
 * NAME@VERSION that one. */
static int find_model(sqlite3 *db, const char *spec, int64_t *id, char **name,
                      int *version, double *mass, char **errmsg)
{
    sqlite3_stmt *q;
    const char *sql =
        spec == NULL ? "SELECT id, name, version, interval FROM models"
                       " ORDER BY id DESC LIMIT 1"
        : strchr(spec, '@')
            ? "SELECT id, name, version, interval FROM models WHERE name ="
              " substr(?1, 1, instr(?1, '@') - 1) AND version ="
              " CAST(substr(?1, instr(?1, '@') + 1) AS INTEGER)"
            : "SELECT id, name, version, interval FROM models WHERE name = ?1"
              " ORDER BY version DESC LIMIT 1";
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
    if (spec)
        sqlite3_bind_text(q, 1, spec, -1, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step(q) == SQLITE_ROW) {
        *id = sqlite3_column_int64(q, 0);
        *name = strdup((const char *)sqlite3_column_text(q, 1));
        *version = sqlite3_column_int(q, 2);
        *mass = sqlite3_column_double(q, 3);
        if (*name == NULL)
            rc = OPINE_ENOMEM;
    } else if (spec) {
        rc = fail(errmsg, OPINE_EUSAGE,
                  "no model '%s' has scored this database (opine sql DB"
                  " 'SELECT name, version FROM models' lists those that have)",
                  spec);
    } else {
        rc = fail(errmsg, OPINE_EUSAGE,
                  "nothing is scored yet: run opine score (or opine run) "
                  "first");
    }
    sqlite3_finalize(q);
    return rc;
}

int opine_group_stance(opine_store *st, const opine_group_stance_opts *o,
                       int64_t *run_id, char **errmsg)
{
    sqlite3 *db = opine_store_db(st);
    if (errmsg)
        *errmsg = NULL;
    *run_id = 0;
    const char *gsql = o->by ? group_sql(o->by) : NULL;
    if (gsql == NULL)
        return fail(errmsg, OPINE_EUSAGE,
                    "--by takes outlet, author, year, month or meta:KEY, "
                    "not '%s'",
                    o->by ? o->by : "");
    if (o->theme == NULL)
        return fail(errmsg, OPINE_EUSAGE, "--theme is needed");
    if ((o->target == NULL) != (o->reference == NULL))
        return fail(errmsg, OPINE_EUSAGE,
                    "--target and --reference go together");
    int64_t model = 0;
    char *mname = NULL;
    int mversion = 0;
    double mass = 0.9;
    int rc = find_model(db, o->model, &model, &mname, &mversion, &mass, errmsg);
    if (rc)
        return rc;
    if (!(mass > 0 && mass < 1))
        mass = 0.9;
    double z = opine_qnorm(0.5 + mass / 2);

    /* The theme. */
    int64_t theme = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id FROM themes WHERE model = ?1 AND"
                           " theme = ?2",
                           -1, &q, NULL) != SQLITE_OK) {
        free(mname);
        return fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
    }
    sqlite3_bind_int64(q, 1, model);
    sqlite3_bind_text(q, 2, o->theme, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        theme = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (theme == 0) {
        char *list = NULL;
        sqlite3_stmt *l;
        if (sqlite3_prepare_v2(db,
                               "SELECT group_concat(theme, ', ') FROM themes"
                               " WHERE model = ?1",
                               -1, &l, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(l, 1, model);
            if (sqlite3_step(l) == SQLITE_ROW && sqlite3_column_text(l, 0))
                list = strdup((const char *)sqlite3_column_text(l, 0));
            sqlite3_finalize(l);
        }
        rc = fail(errmsg, OPINE_EUSAGE, "model %s@%d has no theme '%s' (%s)",
                  mname, mversion, o->theme, list ? list : "none");
        free(list);
        free(mname);
        return rc;
    }

    char params[512];
    snprintf(params, sizeof params,
             "{\"by\": \"%s\", \"theme\": \"%s\", \"model\": \"%s@%d\","
             " \"min_docs\": %d}",
             o->by, o->theme, mname, mversion,
             o->min_docs > 0 ? o->min_docs : 1);
    rc = exec(db, SCHEMA, errmsg);
    if (rc == 0 && opine_run_begin(st, "stance", params, run_id) != 0)
        rc = fail(errmsg, OPINE_EDB, "%s", opine_store_errmsg(st));
    if (rc) {
        free(mname);
        return rc;
    }
    rc = exec(db,
              "BEGIN IMMEDIATE;"
              "CREATE TEMP TABLE IF NOT EXISTS gs_groups(g TEXT PRIMARY KEY,"
              " k INTEGER, sw REAL, swy REAL, swy2 REAL, sw2 REAL,"
              " tau2 REAL, rw REAL, rwy REAL, mean REAL);"
              "DELETE FROM temp.gs_groups;",
              errmsg);

    /* The documents' stances and variances, as a subquery both passes
     * read: ?1 theme, ?2 z, ?3 meta key. */
    char docs[1024];
    snprintf(docs, sizeof docs,
             "SELECT %s AS g, s.stance AS y, max(((s.hi - s.lo) / (2 * ?2))"
             " * ((s.hi - s.lo) / (2 * ?2)), 1e-12) AS v FROM doc_scores s"
             " JOIN documents d ON d.id = s.doc WHERE s.theme = ?1 AND"
             " s.stance IS NOT NULL",
             gsql);
    char sql[2048];
    /* Pass 1: per group, the fixed-effect sums Cochran's Q needs. */
    snprintf(sql, sizeof sql,
             "INSERT INTO temp.gs_groups(g, k, sw, swy, swy2, sw2, mean)"
             " SELECT g, count(*), sum(1 / v), sum(y / v), sum(y * y / v),"
             " sum(1 / (v * v)), avg(y) FROM (%s) WHERE g IS NOT NULL"
             " GROUP BY g",
             docs);
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
            rc = fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
            break;
        }
        sqlite3_bind_int64(q, 1, theme);
        sqlite3_bind_double(q, 2, z);
        if (strncmp(o->by, "meta:", 5) == 0)
            sqlite3_bind_text(q, 3, o->by + 5, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
        sqlite3_finalize(q);
        if (rc || pass == 1)
            break;
        /* tau^2 by the method of moments (DerSimonian-Laird). */
        rc = exec(db,
                  "UPDATE temp.gs_groups SET tau2 = CASE WHEN k < 2 THEN 0"
                  " ELSE max(0, ((swy2 - swy * swy / sw) - (k - 1))"
                  " / (sw - sw2 / sw)) END",
                  errmsg);
        /* Pass 2: the random-effects weights. */
        snprintf(sql, sizeof sql,
                 "UPDATE temp.gs_groups SET rw = r.rw, rwy = r.rwy FROM"
                 " (SELECT x.g, sum(1 / (x.v + t.tau2)) AS rw,"
                 " sum(x.y / (x.v + t.tau2)) AS rwy FROM (%s) x"
                 " JOIN temp.gs_groups t ON t.g = x.g GROUP BY x.g) r"
                 " WHERE r.g = gs_groups.g",
                 docs);
    }
    /* The groups, their distance to a document, and a difference. */
    if (rc == 0 &&
        sqlite3_prepare_v2(
            db,
            "INSERT INTO group_stance(run, model, version, theme, by_key, grp,"
            " documents, stance, lo, hi, se, tau, mean, distance)"
            " SELECT ?1, ?2, ?3, ?4, ?5, g, k, rwy / rw,"
            " max(-1, rwy / rw - ?6 / sqrt(rw)), min(1, rwy / rw + ?6 /"
            " sqrt(rw)), 1 / sqrt(rw), sqrt(tau2), mean,"
            " abs(rwy / rw - (SELECT s.stance FROM doc_scores s JOIN"
            " documents d ON d.id = s.doc WHERE d.ext_id = ?7 AND"
            " s.theme = ?8)) FROM temp.gs_groups WHERE k >= ?9",
            -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, *run_id);
        sqlite3_bind_text(q, 2, mname, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 3, mversion);
        sqlite3_bind_text(q, 4, o->theme, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, o->by, -1, SQLITE_STATIC);
        sqlite3_bind_double(q, 6, z);
        if (o->near)
            sqlite3_bind_text(q, 7, o->near, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 8, theme);
        sqlite3_bind_int(q, 9, o->min_docs > 0 ? o->min_docs : 1);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
        sqlite3_finalize(q);
    } else if (rc == 0) {
        rc = fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
    }
    if (rc == 0 && o->near) {
        int found = 0;
        if (sqlite3_prepare_v2(db,
                               "SELECT s.stance IS NOT NULL FROM doc_scores s"
                               " JOIN documents d ON d.id = s.doc WHERE"
                               " d.ext_id = ?1 AND s.theme = ?2",
                               -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_text(q, 1, o->near, -1, SQLITE_STATIC);
            sqlite3_bind_int64(q, 2, theme);
            found = sqlite3_step(q) == SQLITE_ROW ? 1 + sqlite3_column_int(q, 0)
                                                  : 0;
            sqlite3_finalize(q);
        }
        if (found != 2)
            rc = fail(errmsg, OPINE_EUSAGE,
                      found ? "document '%s' does not mention theme '%s':"
                              " it has no stance to be near"
                            : "no scored document '%s' (theme '%s')",
                      o->near, o->theme);
    }
    if (rc == 0 && o->target) {
        if (sqlite3_prepare_v2(
                db,
                "INSERT INTO group_stance_diff(run, target, reference,"
                " difference, lo, hi, se) SELECT ?1, a.grp, b.grp,"
                " a.stance - b.stance, a.stance - b.stance - ?4 *"
                " sqrt(a.se * a.se + b.se * b.se), a.stance - b.stance + ?4 *"
                " sqrt(a.se * a.se + b.se * b.se), sqrt(a.se * a.se + b.se *"
                " b.se) FROM group_stance a, group_stance b WHERE a.run = ?1"
                " AND b.run = ?1 AND a.grp = ?2 AND b.grp = ?3",
                -1, &q, NULL) != SQLITE_OK) {
            rc = fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
        } else {
            sqlite3_bind_int64(q, 1, *run_id);
            sqlite3_bind_text(q, 2, o->target, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 3, o->reference, -1, SQLITE_STATIC);
            sqlite3_bind_double(q, 4, z);
            if (sqlite3_step(q) != SQLITE_DONE)
                rc = fail(errmsg, OPINE_EDB, "%s", sqlite3_errmsg(db));
            sqlite3_finalize(q);
            if (rc == 0 && sqlite3_changes(db) == 0)
                rc = fail(errmsg, OPINE_EUSAGE,
                          "no documents on theme '%s' in group '%s' or '%s'"
                          " (of --by %s)",
                          o->theme, o->target, o->reference, o->by);
        }
    }
    opine_run_counts c = {0};
    if (rc == 0 &&
        sqlite3_prepare_v2(db,
                           "SELECT count(*), coalesce(sum(documents), 0)"
                           " FROM group_stance WHERE run = ?1",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, *run_id);
        if (sqlite3_step(q) == SQLITE_ROW) {
            c.records = sqlite3_column_int64(q, 0);
            c.documents = sqlite3_column_int64(q, 1);
        }
        sqlite3_finalize(q);
    }
    if (rc == 0)
        rc = exec(db, "COMMIT", errmsg);
    else
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    opine_run_finish(st, *run_id, rc == 0 ? "ok" : "failed", &c,
                     rc == 0  ? NULL
                     : errmsg ? *errmsg
                              : NULL);
    free(mname);
    return rc;
}
