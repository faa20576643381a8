/* pipeline/engine_vocab.c — the vocabulary: types, stems and the languages
 * documents are in, held in memory for the whole run.
 *
 * A type is a normalised token form in a language, a stem what that
 * language's stemmer makes of it (URLs, addresses, handles and hashtags are
 * their own stems). Both get ids in the order they are first seen, the ids
 * of their rows in types and stems. opine__load_vocab() reads every row
 * into two maps from text to id (e->types, e->stems) and two arrays by id
 * (e->tv, e->sv); from then on the vocabulary only grows. A text's map key
 * is the text itself in the database's language and "language\x1ftext" in
 * any other (lang_key). Each language keeps a stemmer and a stop list,
 * made when a document in it first needs them (lang_ready).
 *
 * Who touches it when: in phase A every worker reads the types map
 * (opine__lookup_types) and nothing writes it; in phase B the main thread
 * alone adds the batch's new types in document order, stemming each once
 * (opine__intern_types); in phase C workers read the entries; in phase D
 * the writer stores the new rows from copies the batch carries
 * (opine__write_vocab, in engine_sql.c), so that the next batch's phase B
 * may run meanwhile. Also here: stemming the types a tokenize-only run
 * left unstemmed, and each stem's most frequent surface form, chosen when
 * a stage ends.
 */
#include "pipeline/engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/mem.h"
#include "pipeline/fault.h"

/* ---- entries and languages -------------------------------------------- */

static int ensure_type_cap(engine *e, int64_t id)
{
    return opine__grow((void **)&e->tv, &e->cap_types, (size_t)id + 1,
                       sizeof(type_info));
}

/* Remember which model patterns a stemmed type matches (scoring only). */
static int type_patterns(engine *e, int64_t id)
{
    int idx = e->tv[id].lang;
    if (e->model == NULL || (idx != 0 && !e->langs[idx].as_default))
        return 0; /* the model is for the default language only */
    const char *t = e->tv[id].text, *s = e->sv[e->tv[id].stem].text;
    uint32_t buf[64];
    size_t n =
        opine_model_match_type(e->model, t, strlen(t), s, strlen(s), buf, 64);
    if (n > 64)
        return OPINE_ETOOBIG; /* a type matching 64 patterns: a bad model */
    if (opine__grow((void **)&e->pat_pool, &e->cap_pat_pool,
                    e->npat_pool + n + 1, sizeof(uint32_t)))
        return OPINE_ENOMEM;
    memcpy(e->pat_pool + e->npat_pool, buf, n * sizeof(uint32_t));
    e->tv[id].pat_off = (uint32_t)e->npat_pool;
    e->tv[id].pat_n = (uint32_t)n;
    e->npat_pool += n;
    return 0;
}

static int ensure_stem_cap(engine *e, int64_t id)
{
    return opine__grow((void **)&e->sv, &e->cap_stems, (size_t)id + 1,
                       sizeof(stem_info));
}

/* The map key of a text in language idx: the text itself for the default
 * language, else "name\x1ftext" (0x1f never occurs in a token). *key is
 * the engine's scratch buffer, valid until the next call. */
static int lang_key(engine *e, int idx, const char *text, size_t len,
                    const char **key, size_t *klen)
{
    if (idx == 0) {
        *key = text;
        *klen = len;
        return 0;
    }
    size_t n = strlen(e->langs[idx].name);
    if (opine__grow((void **)&e->keybuf, &e->keycap, n + len + 2, 1))
        return OPINE_ENOMEM;
    memcpy(e->keybuf, e->langs[idx].name, n);
    e->keybuf[n] = '\x1f';
    memcpy(e->keybuf + n + 1, text, len);
    e->keybuf[n + 1 + len] = '\0';
    *key = e->keybuf;
    *klen = n + 1 + len;
    return 0;
}

/* The index of a language name ("" or NULL: the default), added when new.
 * More languages than MAX_LANGS in one run fall back to the default. */
static int lang_index(engine *e, const char *name)
{
    if (name == NULL || *name == '\0')
        return 0;
    for (int i = 1; i < e->nlangs; i++)
        if (strcmp(e->langs[i].name, name) == 0)
            return i;
    if (e->nlangs == MAX_LANGS)
        return 0;
    lang_res *l = &e->langs[e->nlangs];
    if ((l->name = strdup(name)) == NULL)
        return 0;
    l->as_default = strcmp(name, e->lang) == 0;
    return e->nlangs++;
}

/* Stemmer and stop list of language idx, made on first use. A language
 * without a built-in stop list has none. */
static int lang_ready(engine *e, int idx)
{
    lang_res *l = &e->langs[idx];
    if (l->stemmer)
        return 0;
    int rc = opine_stemmer_new(&l->stemmer, l->name);
    if (rc == 0 && opine_stopwords_load(&l->stop, "default", l->name, NULL))
        rc = opine_stopwords_load(&l->stop, "none", l->name, NULL);
    return rc;
}

/* The stems map keys a stem by its language unless that is the default. */
static int stem_lang(const engine *e, int idx)
{
    return idx == 0 || e->langs[idx].as_default ? 0 : idx;
}

/* The language a document names in its "lang" or "language" field, when
 * Snowball has it (lowercased, malloc'd), else NULL: the document is then
 * in the database's language, and the field stays in doc_meta as read. */
char *opine__doc_lang(engine *e, const opine_doc *d)
{
    (void)e;
    for (size_t i = 0; i < d->nmeta; i++) {
        if (strcmp(d->meta[i].key, "lang") != 0 &&
            strcmp(d->meta[i].key, "language") != 0)
            continue;
        const char *v = d->meta[i].value;
        if (v == NULL || *v == '\0' || strlen(v) > 31)
            return NULL;
        char low[32];
        size_t n = 0;
        for (; v[n]; n++)
            low[n] = (char)(v[n] >= 'A' && v[n] <= 'Z' ? v[n] + 32 : v[n]);
        low[n] = '\0';
        for (const char **l = opine_stemmer_languages(); *l; l++)
            if (strcmp(*l, low) == 0)
                return strdup(low);
        return NULL;
    }
    return NULL;
}

/* ---- loading and freeing ---------------------------------------------- */

int opine__load_vocab(engine *e)
{
    int rc = opine__strmap_new(&e->types);
    if (rc == 0)
        rc = opine__strmap_new(&e->stems);
    if (rc)
        return rc;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(e->db, "SELECT id, stem, lang FROM stems", -1, &q,
                           NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading stems");
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const char *lang = (const char *)sqlite3_column_text(q, 2);
        int idx = strcmp(lang, e->lang) == 0 ? 0 : lang_index(e, lang);
        const char *key;
        size_t klen;
        rc = ensure_stem_cap(e, id);
        if (rc == 0)
            rc = lang_key(e, stem_lang(e, idx),
                          (const char *)sqlite3_column_text(q, 1),
                          (size_t)sqlite3_column_bytes(q, 1), &key, &klen);
        if (rc == 0)
            rc = opine__strmap_intern(e->stems, key, klen, id, &e->sv[id].text);
        if (rc == 0) {
            size_t slen = (size_t)sqlite3_column_bytes(q, 1);
            e->sv[id].text += klen - slen;
            e->sv[id].hash =
                slen ? opine_score_stem_hash(e->sv[id].text, slen) : 0;
        }
        if (id > e->nstems)
            e->nstems = id;
    }
    if ((rc = opine__engine_finalize(e, q, rc, "reading stems")))
        return rc;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT id, type, stem, stopword, lang, cf"
                           " FROM types",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading types");
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        const char *t = (const char *)sqlite3_column_text(q, 1);
        size_t tlen = (size_t)sqlite3_column_bytes(q, 1);
        int idx = lang_index(e, (const char *)sqlite3_column_text(q, 4));
        const char *key, *stored;
        size_t klen;
        rc = ensure_type_cap(e, id);
        if (rc == 0)
            rc = opine__grow((void **)&e->type_cf, &e->cap_type_cf,
                             (size_t)id + 1, sizeof(int64_t));
        if (rc == 0) {
            e->type_cf[id] = sqlite3_column_int64(q, 5);
            rc = lang_key(e, idx, t, tlen, &key, &klen);
        }
        if (rc == 0)
            rc = opine__strmap_intern(e->types, key, klen, id, &stored);
        if (rc)
            break;
        e->tv[id].text = stored + (klen - tlen);
        e->tv[id].lang = (uint8_t)idx;
        int64_t stem = sqlite3_column_int64(q, 2);
        /* A stem of another language is no stem for this run. */
        e->tv[id].stem = stem > 0 && stem <= e->nstems && e->sv[stem].text
                             ? (uint32_t)stem
                             : 0;
        e->tv[id].stem_hash = e->tv[id].stem ? e->sv[stem].hash : 0;
        e->tv[id].stop = (uint8_t)(sqlite3_column_int(q, 3) != 0);
        if (e->tv[id].stem) {
            rc = type_patterns(e, id);
        }
        if (id > e->ntypes)
            e->ntypes = id;
    }
    return opine__engine_finalize(e, q, rc, "reading types");
}

/* Free the vocabulary: the maps, the entries by id, the languages. */
void opine__vocab_release(engine *e)
{
    opine__strmap_free(e->types);
    opine__strmap_free(e->stems);
    free(e->tv);
    free(e->sv);
    free(e->pat_pool);
    for (int i = 0; i < e->nlangs; i++) {
        free(e->langs[i].name);
        opine_stemmer_free(e->langs[i].stemmer);
        opine_stopwords_free(e->langs[i].stop);
    }
    free(e->keybuf);
}

/* ---- phase A: looking types up ---------------------------------------- */

/* Phase A, for documents in the default language: the ids of the types
 * the vocabulary already has (the map is only read while workers run);
 * phase B adds the rest, one thread, in document order. */
int opine__lookup_types(engine *e, worker *w, job *j)
{
    j->types = calloc(j->toks.n + 1, sizeof(uint32_t));
    if (j->types == NULL || (w->types_cache == NULL &&
                             opine__strmap_cache_new(&w->types_cache) != 0))
        return OPINE_ENOMEM;
    if (j->lang != NULL)
        return 0;
    /* The cache's line for a token is fetched a few tokens early, so
     * that the waits of several look-ups overlap. */
    const opine_token *v = j->toks.v;
    if (j->toks.n)
        opine__strmap_get_cached_n(e->types, w->types_cache, j->toks.norm,
                                   &v[0].norm, &v[0].norm_len, sizeof(*v),
                                   j->toks.n, j->types);
    return 0;
}

/* ---- phase B: interning and stemming ---------------------------------- */

/* Stem a type once: find or add its stem and remember it. URLs, e-mail
 * addresses, handles and hashtags are their own stems
 * (opine_stemmer_stem_type(), which the analyzer and the SQL functions
 * share, so that they stem as a stage does). */
static int stem_type(engine *e, int64_t type_id, const char *t, size_t len)
{
    int idx = e->tv[type_id].lang;
    int rc = lang_ready(e, idx);
    if (rc)
        return rc;
    lang_res *l = &e->langs[idx];
    size_t slen = len;
    const char *s = opine_stemmer_stem_type(l->stemmer, t, len, &slen);
    const char *key;
    size_t klen;
    if (s == NULL ||
        (rc = lang_key(e, stem_lang(e, idx), s, slen, &key, &klen)))
        return rc ? rc : OPINE_ENOMEM;
    int64_t sid = opine__strmap_get(e->stems, key, klen);
    if (sid == 0) {
        sid = ++e->nstems;
        rc = ensure_stem_cap(e, sid);
        if (rc == 0)
            rc = opine__strmap_intern(e->stems, key, klen, sid,
                                      &e->sv[sid].text);
        if (rc)
            return rc;
        /* sv.text is the key; the stem itself ends it. The row is
         * written with the batch (opine__write_vocab). */
        e->sv[sid].text += klen - slen;
        e->sv[sid].hash =
            slen ? opine_score_stem_hash(e->sv[sid].text, slen) : 0;
        e->sv[sid].lang = (uint8_t)stem_lang(e, idx);
        e->sv[sid].surface = e->tv[type_id].text;
    }
    e->tv[type_id].stem = (uint32_t)sid;
    e->tv[type_id].stem_hash = e->sv[sid].hash;
    e->tv[type_id].stop = (uint8_t)(opine_stopwords_has(l->stop, t, len) != 0);
    return type_patterns(e, type_id);
}

/* Intern the types of one tokenized document (phase B). */
int opine__intern_types(engine *e, job *j)
{
    int idx = lang_index(e, j->lang);
    for (size_t i = 0; i < j->toks.n; i++) {
        if (j->types[i])
            continue; /* found in phase A */
        const opine_token *t = &j->toks.v[i];
        const char *s = j->toks.norm + t->norm, *key, *stored;
        size_t klen;
        int rc = lang_key(e, idx, s, t->norm_len, &key, &klen);
        if (rc)
            return rc;
        int64_t id = opine__strmap_get(e->types, key, klen);
        if (id == 0) {
            id = ++e->ntypes;
            if (id > UINT32_MAX)
                return OPINE_ETOOBIG;
            rc = ensure_type_cap(e, id);
            if (rc == 0)
                rc = opine__strmap_intern(e->types, key, klen, id, &stored);
            if (rc)
                return rc;
            e->tv[id].text = stored + (klen - t->norm_len);
            e->tv[id].lang = (uint8_t)idx;
            if (e->flags & DO_STEM)
                rc = stem_type(e, id, e->tv[id].text, t->norm_len);
            if (rc)
                return rc;
        }
        j->types[i] = (uint32_t)id;
    }
    return 0;
}

/* ---- before and after the passes -------------------------------------- */

/* How many types have no stem, and whether types_text (store.c) is there:
 * -1 when SQLite fails. */
static int64_t pending_types(engine *e, int *has_text)
{
    sqlite3_stmt *q;
    int64_t n = -1;
    *has_text = 0;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT (SELECT count(*) FROM types"
                           " WHERE stem IS NULL), EXISTS (SELECT 1 FROM"
                           " sqlite_schema WHERE name = 'types_text')",
                           -1, &q, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(q) == SQLITE_ROW) {
        n = sqlite3_column_int64(q, 0);
        *has_text = sqlite3_column_int(q, 1);
    }
    sqlite3_finalize(q);
    return n;
}

/* Give every type without a stem (left by a tokenize-only run) its stem.
 * Each UPDATE moves the type's entry in types_text, which holds its stem
 * and stop flag: when a quarter of the types or more wait (after a
 * tokenize of a whole corpus), the index is dropped and made again by one
 * sort in the same transaction. ABP's 196,071 types, as one UPDATE in the
 * sqlite3 shell: 1.64 s with the index kept, 0.80 s dropped and made
 * again, 0.65 s in a file without it (made before types_text). */
int opine__stem_pending_types(engine *e)
{
    sqlite3_stmt *q;
    int rc = 0, has_text;
    int64_t pending = pending_types(e, &has_text);
    if (pending < 0)
        return opine__engine_db_fail(e, "reading types");
    if (pending == 0)
        return 0;
    int rebuild = has_text && pending >= 4096 && pending * 4 >= e->ntypes;
    if (sqlite3_prepare_v2(e->db,
                           "SELECT id, type FROM types WHERE stem IS NULL"
                           " ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return opine__engine_db_fail(e, "reading types");
    if (opine_store_exec(e->st, "BEGIN IMMEDIATE")) {
        sqlite3_finalize(q);
        return opine__engine_db_fail(e, "starting a transaction");
    }
    if (rebuild && opine_store_exec(e->st, "DROP INDEX types_text")) {
        sqlite3_finalize(q);
        opine_store_rollback(e->st);
        return opine__engine_db_fail(e, "stemming types");
    }
    int64_t stems_from = e->nstems;
    while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(q, 0);
        rc = stem_type(e, id, e->tv[id].text,
                       (size_t)sqlite3_column_bytes(q, 1));
        if (rc == 0) {
            sqlite3_bind_int64(e->set_type_stem, 1, e->tv[id].stem);
            sqlite3_bind_int(e->set_type_stem, 2, e->tv[id].stop);
            sqlite3_bind_int64(e->set_type_stem, 3, id);
            rc = opine__engine_step_done(e, e->set_type_stem, "stemming types");
        }
    }
    rc = opine__engine_finalize(e, q, rc, "reading types");
    if (rc == 0)
        rc = opine__write_vocab(e, NULL, 0, 0, e->sv + stems_from + 1,
                                stems_from, e->nstems);
    if (rc == 0 && rebuild && opine_store_exec(e->st, OPINE__TYPES_TEXT_INDEX))
        rc = opine__engine_db_fail(e, "indexing types");
    if (rc == 0 && opine_store_exec(e->st, "COMMIT"))
        rc = opine__engine_db_fail(e, "committing");
    if (rc)
        opine_store_rollback(e->st);
    return rc;
}

/* The most frequent surface form of each stem, ties to the smallest:
 *     UPDATE stems SET surface = (SELECT type FROM types
 *         WHERE types.stem = stems.id ORDER BY cf DESC, type LIMIT 1)
 * computed from the vocabulary in memory (every type, its stem and its
 * committed cf) and written with one UPDATE ... FROM of the stems whose
 * surface changes. That subquery per stem took 0.17 s of ABP's one-thread
 * tail; this takes about 0.05 s. (check_exact in tests/lib.sh runs the
 * subquery on every end-to-end database and compares.) A new stem is
 * stored with the first type stemmed to it as its surface form
 * (opine__write_vocab), which is the choice for all but 5,783 of ABP's
 * 157,451 stems, so that the UPDATE rewrites few rows rather than all of
 * them (the UPDATE alone, in the sqlite3 shell: 0.095 s of CPU when every
 * row changes, 0.024 s when none does; the step, on a machine loaded 8
 * times over, 0.7-0.9 s before and 0.23-0.29 s after). */
int opine__update_surfaces(engine *e)
{
    opine__fault("surfaces");
    size_t ns = (size_t)e->nstems;
    int64_t *best = calloc(ns + 1, sizeof(int64_t));
    if (best == NULL)
        return OPINE_ENOMEM;
    for (int64_t t = 1; t <= e->ntypes; t++) {
        int64_t s = e->tv[t].stem;
        if (s <= 0 || e->tv[t].text == NULL)
            continue;
        int64_t b = best[s];
        if (b == 0 || e->type_cf[t] > e->type_cf[b] ||
            (e->type_cf[t] == e->type_cf[b] &&
             strcmp(e->tv[t].text, e->tv[b].text) < 0))
            best[s] = t;
    }
    /* in a first load's last transaction, held open (e->hold_last) */
    int own = sqlite3_get_autocommit(e->db);
    int rc = own && opine_store_exec(e->st, "BEGIN IMMEDIATE")
                 ? opine__engine_db_fail(e, "starting a transaction")
                 : 0;
    if (rc == 0) {
        rows_out o;
        int64_t *v;
        opine__rows_out_begin(&o, e, e->set_surfaces, e->surface_rows, 2,
                              "choosing surface forms");
        for (size_t s = 1; s <= ns && (v = opine__rows_out_next(&o)); s++) {
            v[0] = (int64_t)s;
            v[1] = opine__rows_text(best[s] ? e->tv[best[s]].text : NULL);
        }
        rc = opine__rows_out_end(&o);
    }
    if (rc == 0 && own && opine_store_exec(e->st, "COMMIT"))
        rc = opine__engine_db_fail(e, "committing");
    if (rc)
        opine_store_rollback(e->st);
    free(best);
    return rc;
}
