/* corpus/jsonl.c — maps one JSON-lines record onto an opine_doc.
 *
 * FORMAT
 *   One JSON object per line, parsed by json-c in strict mode, up to 128
 *   levels deep. Lines json-c would take but strict JSON refuses are
 *   refused here: a string holding U+0000 (in a field opine reads), an
 *   integer beyond 64 bits, NaN, Infinity or a number beyond a double, a
 *   NUL byte after the object. Document fields come from the first
 *   candidate field present with a non-null value:
 *     text       --text-field F, else "text", "body", "content"
 *     ext_id     --id-field F,   else "id"
 *     title      "title", "headline"
 *     author     "authors", "author", "byline"
 *     outlet     "outlet", "source", "publication"
 *     published  "date", "published", "published_at", "Date"
 *     url        "url", "link"
 *   Strings are taken as they are; numbers and booleans as their JSON text
 *   (so a numeric id works). An author array is joined with "; " (its
 *   elements may be strings or objects with a "name" string). Empty strings
 *   count as absent.
 *
 *   meta gets, in the object's field order, every other top-level string,
 *   number or boolean field under its own name. The candidate names above
 *   are not copied even when a field earlier in the list won (a "headline"
 *   next to a "title", a "body" next to a "text"): they are the document's
 *   own fields, and copying a second full text into meta would double the
 *   record. A field named by --meta KEY=FIELD is stored as KEY instead (it
 *   may name any field, candidate or not), and a field whose own name is
 *   such a KEY is not stored: the mapping says what KEY holds. When a date
 *   was found, "date_raw" holds its raw value at that field's place unless
 *   it is already ISO or the record has a "date_raw" field of its own (or
 *   a mapping stores as "date_raw"). So no two meta entries share a key.
 */
#include "corpus/internal.h"
#include "base/error.h"
#include "base/mem.h"

#include <json-c/json.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const text_fields[] = {"text", "body", "content", NULL};
static const char *const id_fields[] = {"id", NULL};
static const char *const title_fields[] = {"title", "headline", NULL};
static const char *const author_fields[] = {"authors", "author", "byline",
                                            NULL};
static const char *const outlet_fields[] = {"outlet", "source", "publication",
                                            NULL};
static const char *const date_fields[] = {"date", "published", "published_at",
                                          "Date", NULL};
static const char *const url_fields[] = {"url", "link", NULL};

/* The candidate lists in force for one reader: text and id may be
 * overridden by options. */
struct field_lists {
    const char *text[2];
    const char *id[2];
    const char *const *text_list;
    const char *const *id_list;
};

static void lists_init(struct field_lists *fl, const opine_reader_opts *opts)
{
    fl->text_list = text_fields;
    fl->id_list = id_fields;
    if (opts && opts->text_field) {
        fl->text[0] = opts->text_field;
        fl->text[1] = NULL;
        fl->text_list = fl->text;
    }
    if (opts && opts->id_field) {
        fl->id[0] = opts->id_field;
        fl->id[1] = NULL;
        fl->id_list = fl->id;
    }
}

static int in_list(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

/* First candidate present with a non-null value; its name in *name. */
static json_object *pick(json_object *obj, const char *const *list,
                         const char **name)
{
    for (; *list; list++) {
        json_object *v;
        if (json_object_object_get_ex(obj, *list, &v) && v) {
            if (name)
                *name = *list;
            return v;
        }
    }
    return NULL;
}

/* Why a record is refused while its fields are mapped (rules of strict
 * JSON that json-c does not enforce itself, or memory). */
struct map_error {
    int rc;
    char detail[160];
};

static void map_fail(struct map_error *me, int rc, const char *what,
                     const char *field)
{
    if (me->rc != 0)
        return;
    me->rc = rc;
    if (rc == OPINE_ENOMEM)
        snprintf(me->detail, sizeof(me->detail), "out of memory");
    else
        snprintf(me->detail, sizeof(me->detail), "malformed JSON: %s in '%s'",
                 what, field);
}

/* A real as the shortest decimal text that reads back as the same double,
 * so 0.1 stays "0.1" rather than a 17-digit form. */
static void real_text(double d, char *buf, size_t size)
{
    int prec;

    for (prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

/* String, number or boolean as text; NULL for anything else or an empty
 * string. Refuses (in *me) what strict JSON readers refuse and json-c lets
 * through: a string holding U+0000, an integer beyond 64 bits, a number
 * beyond a double's range. */
static char *scalar_text(json_object *v, const char *field,
                         struct map_error *me)
{
    char buf[64];
    const char *s = NULL;
    size_t n = 0;
    char *out;
    double d;

    if (!v)
        return NULL;
    switch (json_object_get_type(v)) {
    case json_type_string:
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        if (memchr(s, 0, n)) {
            map_fail(me, OPINE_EFORMAT, "\\u0000 in a string", field);
            return NULL;
        }
        break;
    case json_type_int:
        /* json-c keeps what does not fit in int64 as uint64, saturated */
        if (json_object_get_int64(v) == INT64_MAX &&
            json_object_get_uint64(v) > (uint64_t)INT64_MAX) {
            map_fail(me, OPINE_EFORMAT, "integer beyond 64 bits", field);
            return NULL;
        }
        snprintf(buf, sizeof(buf), "%" PRId64, json_object_get_int64(v));
        s = buf;
        n = strlen(buf);
        break;
    case json_type_double:
        d = json_object_get_double(v);
        if (d != d || d - d != 0) { /* NaN, Infinity or 1e400 */
            map_fail(me, OPINE_EFORMAT, "number out of range", field);
            return NULL;
        }
        real_text(d, buf, sizeof(buf));
        s = buf;
        n = strlen(buf);
        break;
    case json_type_boolean:
        s = json_object_get_boolean(v) ? "true" : "false";
        n = strlen(s);
        break;
    default:
        return NULL;
    }
    if (n == 0)
        return NULL;
    out = opine__strndup(s, n);
    if (!out)
        map_fail(me, OPINE_ENOMEM, NULL, field);
    return out;
}

/* Append s[0..n) to the growing string *buf (length *len). */
static int append(char **buf, size_t *len, const char *s, size_t n)
{
    char *p = realloc(*buf, *len + n + 1);

    if (!p)
        return OPINE_ENOMEM;
    memcpy(p + *len, s, n);
    *len += n;
    p[*len] = '\0';
    *buf = p;
    return 0;
}

/* Authors: a string, or an array of strings or {"name": ...} objects
 * joined with "; ". */
static char *author_text(json_object *v, const char *field,
                         struct map_error *me)
{
    char *out = NULL;
    size_t len = 0, i, n;

    if (!json_object_is_type(v, json_type_array))
        return scalar_text(v, field, me);
    n = json_object_array_length(v);
    for (i = 0; i < n; i++) {
        json_object *el = json_object_array_get_idx(v, i);
        const char *s;
        size_t sn;

        if (json_object_is_type(el, json_type_object) &&
            !json_object_object_get_ex(el, "name", &el))
            continue;
        if (!json_object_is_type(el, json_type_string))
            continue;
        s = json_object_get_string(el);
        sn = (size_t)json_object_get_string_len(el);
        if (sn == 0)
            continue;
        if (memchr(s, 0, sn)) {
            map_fail(me, OPINE_EFORMAT, "\\u0000 in a string", field);
            free(out);
            return NULL;
        }
        if ((len > 0 && append(&out, &len, "; ", 2) != 0) ||
            append(&out, &len, s, sn) != 0) {
            free(out);
            map_fail(me, OPINE_ENOMEM, NULL, field);
            return NULL;
        }
    }
    return out;
}

static int meta_add(opine_doc *doc, size_t *cap, const char *key, char *value)
{
    opine_kv *kv;

    if (doc->nmeta == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        kv = realloc(doc->meta, ncap * sizeof(*kv));
        if (!kv) {
            free(value);
            return OPINE_ENOMEM;
        }
        doc->meta = kv;
        *cap = ncap;
    }
    kv = &doc->meta[doc->nmeta];
    kv->key = strdup(key);
    if (!kv->key) {
        free(value);
        return OPINE_ENOMEM;
    }
    kv->value = value;
    doc->nmeta++;
    return 0;
}

/* Whether a --meta KEY=FIELD mapping stores under the name key. */
static int claimed(const opine_reader_opts *opts, const char *key)
{
    for (size_t i = 0; opts && i < opts->nmeta; i++)
        if (opts->meta[i].key && strcmp(opts->meta[i].key, key) == 0)
            return 1;
    return 0;
}

static int is_own_field(const struct field_lists *fl, const char *name)
{
    return in_list(fl->text_list, name) || in_list(fl->id_list, name) ||
           in_list(title_fields, name) || in_list(author_fields, name) ||
           in_list(outlet_fields, name) || in_list(date_fields, name) ||
           in_list(url_fields, name);
}

static int only_space(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' &&
            s[i] != '\f' && s[i] != '\v')
            return 0;
    return 1;
}

/* Fill doc's metadata from obj; text is already set. */
static int map_fields(json_object *obj, const opine_reader_opts *opts,
                      const struct field_lists *fl, opine_doc *doc,
                      struct map_error *me)
{
    const char *date_name = NULL, *name = NULL;
    char *date_raw = NULL;
    size_t cap = 0, i;
    json_object *v;

#define FIELD(list, out)                                                       \
    do {                                                                       \
        v = pick(obj, (list), &name);                                          \
        if (v)                                                                 \
            (out) = scalar_text(v, name, me);                                  \
    } while (0)
    FIELD(fl->id_list, doc->ext_id);
    FIELD(title_fields, doc->title);
    FIELD(outlet_fields, doc->outlet);
    FIELD(url_fields, doc->url);
#undef FIELD
    v = pick(obj, author_fields, &name);
    if (v)
        doc->author = author_text(v, name, me);
    v = pick(obj, date_fields, &date_name);
    if (v)
        date_raw = scalar_text(v, date_name, me);
    if (me->rc != 0)
        goto out;
    if (date_raw) {
        char iso[11];
        int iso_already = 0;
        if (json_object_is_type(v, json_type_string) &&
            opine_date_normalize(date_raw, iso) == 0) {
            doc->published = strdup(iso);
            if (!doc->published) {
                map_fail(me, OPINE_ENOMEM, NULL, date_name);
                goto out;
            }
            iso_already = strcmp(iso, date_raw) == 0;
        }
        /* The raw date (recognised or not) is kept as "date_raw" unless
         * it is ISO already, or the name is taken: by a --meta mapping or
         * by a field of the record itself, which is the record's data. */
        if (iso_already || claimed(opts, "date_raw") ||
            json_object_object_get_ex(obj, "date_raw", NULL)) {
            free(date_raw);
            date_raw = NULL;
        }
    }

    json_object_object_foreach(obj, key, val)
    {
        int mapped = 0;
        json_type t = json_object_get_type(val);

        if (date_raw && date_name && strcmp(key, date_name) == 0) {
            if (meta_add(doc, &cap, "date_raw", date_raw) != 0)
                map_fail(me, OPINE_ENOMEM, NULL, key);
            date_raw = NULL;
            if (me->rc != 0)
                goto out;
        }
        for (i = 0; opts && i < opts->nmeta; i++) {
            char *s;
            if (!opts->meta[i].field || strcmp(opts->meta[i].field, key))
                continue;
            mapped = 1;
            s = scalar_text(val, key, me);
            if (s && meta_add(doc, &cap, opts->meta[i].key, s) != 0)
                map_fail(me, OPINE_ENOMEM, NULL, key);
            if (me->rc != 0)
                goto out;
        }
        /* A field named like a --meta KEY is not stored as KEY: the
         * mapping decides what KEY holds, whatever the field order. */
        if (mapped || is_own_field(fl, key) || claimed(opts, key))
            continue;
        if (t == json_type_string || t == json_type_int ||
            t == json_type_double || t == json_type_boolean) {
            /* An empty string is still worth keeping as meta: it says the
             * field was there. */
            char *s =
                t == json_type_string && json_object_get_string_len(val) == 0
                    ? strdup("")
                    : scalar_text(val, key, me);
            if (me->rc != 0)
                goto out;
            if (!s || meta_add(doc, &cap, key, s) != 0) {
                map_fail(me, OPINE_ENOMEM, NULL, key);
                goto out;
            }
        }
    }
out:
    free(date_raw);
    return me->rc;
}

/* One JSON value from the line, or NULL with the reason in detail. json-c's
 * strict mode refuses trailing garbage; a raw NUL byte it would take as a
 * character is refused here. */
static json_object *parse_line(const char *line, size_t len, char *detail,
                               size_t detail_size, int *rc)
{
    /* json-c stops at 32 levels by default; scraped metadata (comment
     * threads, nested authors) can go deeper. 128 costs a 4 KiB stack. */
    json_tokener *tok = json_tokener_new_ex(128);
    enum json_tokener_error err;
    const char *nul;
    json_object *obj;

    *rc = OPINE_EFORMAT;
    if (!tok) {
        *rc = OPINE_ENOMEM;
        snprintf(detail, detail_size, "out of memory");
        return NULL;
    }
    if (len > INT32_MAX) { /* json-c lengths are ints */
        snprintf(detail, detail_size, "line too long for the JSON parser");
        json_tokener_free(tok);
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, line, (int)len);
    err = json_tokener_get_error(tok);
    nul = memchr(line, 0, len);
    if (obj && nul) {
        json_object_put(obj);
        obj = NULL;
        snprintf(detail, detail_size, "malformed JSON: NUL byte at byte %zu",
                 (size_t)(nul - line) + 1);
    } else if (!obj && err == json_tokener_success)
        snprintf(detail, detail_size, "not a JSON object"); /* null */
    else if (!obj && err == json_tokener_continue)
        snprintf(detail, detail_size,
                 "malformed JSON: the line ends inside a value");
    else if (!obj)
        snprintf(detail, detail_size, "malformed JSON: %s at byte %zu",
                 json_tokener_error_desc(err),
                 json_tokener_get_parse_end(tok) + 1);
    json_tokener_free(tok);
    return obj;
}

int opine__object_doc(json_object *obj, const opine_reader_opts *opts,
                      opine_doc *doc, char *detail, size_t detail_size)
{
    struct field_lists fl;
    struct map_error me = {0};
    const char *text_name = NULL;
    json_object *text;
    const char *t;
    size_t tlen;

    lists_init(&fl, opts);
    if (!json_object_is_type(obj, json_type_object)) {
        snprintf(detail, detail_size, "not a JSON object");
        return OPINE_EFORMAT;
    }
    text = pick(obj, fl.text_list, &text_name);
    if (!text) {
        snprintf(detail, detail_size, "no text field '%s' (use --text-field)",
                 fl.text_list[0]);
        return OPINE_EFORMAT;
    }
    if (!json_object_is_type(text, json_type_string)) {
        snprintf(detail, detail_size, "text field '%s' is not a string",
                 text_name);
        return OPINE_EFORMAT;
    }
    t = json_object_get_string(text);
    tlen = (size_t)json_object_get_string_len(text);
    if (memchr(t, 0, tlen)) {
        snprintf(detail, detail_size, "malformed JSON: \\u0000 in '%s'",
                 text_name);
        return OPINE_EFORMAT;
    }
    if (only_space(t, tlen)) {
        snprintf(detail, detail_size, "empty text in field '%s'", text_name);
        return OPINE_EEMPTY;
    }
    /* The text stays in json-c's string (NUL-terminated), kept alive by a
     * reference of its own: no copy of the largest field. */
    doc->text = (char *)t;
    doc->text_len = tlen;
    doc->text_owner = json_object_get(text);
    map_fields(obj, opts, &fl, doc, &me);
    if (me.rc != 0) {
        opine_doc_release(doc);
        snprintf(detail, detail_size, "%s", me.detail);
        return me.rc;
    }
    return 1;
}

int opine__jsonl_doc(const char *line, size_t len,
                     const opine_reader_opts *opts, opine_doc *doc,
                     char *detail, size_t detail_size)
{
    json_object *obj;
    int rc;

    obj = parse_line(line, len, detail, detail_size, &rc);
    if (!obj)
        return rc;
    rc = opine__object_doc(obj, opts, doc, detail, detail_size);
    json_object_put(obj);
    return rc;
}
