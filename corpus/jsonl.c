/* corpus/jsonl.c — maps one JSON-lines record onto an opine_doc.
 *
 * FORMAT
 *   One JSON object per line (parsed by jansson). Document fields come from
 *   the first candidate field present with a non-null value:
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
 *   may name any field, candidate or not). When a date was found, "date_raw"
 *   holds its raw value at that field's place unless it is already ISO.
 */
#include "corpus/internal.h"
#include "pipeline/error.h"

#include <jansson.h>
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
static json_t *pick(json_t *obj, const char *const *list, const char **name)
{
    for (; *list; list++) {
        json_t *v = json_object_get(obj, *list);
        if (v && !json_is_null(v)) {
            if (name)
                *name = *list;
            return v;
        }
    }
    return NULL;
}

/* A real as the shortest decimal text that reads back as the same double,
 * so 0.1 stays "0.1" rather than jansson's 17-digit form. */
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
 * string. Sets *rc to OPINE_ENOMEM when allocation fails. */
static char *scalar_text(json_t *v, int *rc)
{
    char buf[64];
    const char *s = NULL;
    size_t n = 0;
    char *out;

    if (!v)
        return NULL;
    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        n = json_string_length(v);
        break;
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        s = buf;
        n = strlen(buf);
        break;
    case JSON_REAL:
        real_text(json_real_value(v), buf, sizeof(buf));
        s = buf;
        n = strlen(buf);
        break;
    case JSON_TRUE:
        s = "true";
        n = 4;
        break;
    case JSON_FALSE:
        s = "false";
        n = 5;
        break;
    default:
        return NULL;
    }
    if (n == 0)
        return NULL;
    out = opine__strndup(s, n);
    if (!out)
        *rc = OPINE_ENOMEM;
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
static char *author_text(json_t *v, int *rc)
{
    char *out = NULL;
    size_t len = 0, i;
    json_t *el;

    if (!json_is_array(v))
        return scalar_text(v, rc);
    json_array_foreach(v, i, el)
    {
        if (json_is_object(el))
            el = json_object_get(el, "name");
        if (!json_is_string(el) || json_string_length(el) == 0)
            continue;
        if ((len > 0 && append(&out, &len, "; ", 2) != 0) ||
            append(&out, &len, json_string_value(el), json_string_length(el)) !=
                0) {
            free(out);
            *rc = OPINE_ENOMEM;
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
static int map_fields(json_t *obj, const opine_reader_opts *opts,
                      const struct field_lists *fl, opine_doc *doc)
{
    const char *date_name = NULL, *key;
    char *date_raw = NULL;
    size_t cap = 0, i;
    json_t *v;
    int rc = 0;

    doc->ext_id = scalar_text(pick(obj, fl->id_list, NULL), &rc);
    doc->title = scalar_text(pick(obj, title_fields, NULL), &rc);
    doc->outlet = scalar_text(pick(obj, outlet_fields, NULL), &rc);
    doc->url = scalar_text(pick(obj, url_fields, NULL), &rc);
    v = pick(obj, author_fields, NULL);
    if (v)
        doc->author = author_text(v, &rc);
    v = pick(obj, date_fields, &date_name);
    date_raw = scalar_text(v, &rc);
    if (rc != 0)
        goto out;
    if (date_raw) {
        char iso[11];
        if (json_is_string(v) && opine_date_normalize(date_raw, iso) == 0) {
            doc->published = strdup(iso);
            if (!doc->published) {
                rc = OPINE_ENOMEM;
                goto out;
            }
            if (strcmp(iso, date_raw) == 0) {
                free(date_raw);
                date_raw = NULL;
            }
        }
    }

    json_object_foreach(obj, key, v)
    {
        int mapped = 0;

        if (date_raw && date_name && strcmp(key, date_name) == 0) {
            rc = meta_add(doc, &cap, "date_raw", date_raw);
            date_raw = NULL;
            if (rc != 0)
                goto out;
        }
        for (i = 0; opts && i < opts->nmeta; i++) {
            char *val;
            if (!opts->meta[i].field || strcmp(opts->meta[i].field, key))
                continue;
            mapped = 1;
            val = scalar_text(v, &rc);
            if (val)
                rc = meta_add(doc, &cap, opts->meta[i].key, val);
            if (rc != 0)
                goto out;
        }
        if (mapped || is_own_field(fl, key))
            continue;
        if (json_is_string(v) || json_is_number(v) || json_is_boolean(v)) {
            /* An empty string is still worth keeping as meta: it says the
             * field was there. */
            char *val = json_is_string(v) && json_string_length(v) == 0
                            ? strdup("")
                            : scalar_text(v, &rc);
            if (!val)
                rc = OPINE_ENOMEM;
            if (rc == 0)
                rc = meta_add(doc, &cap, key, val);
            if (rc != 0)
                goto out;
        }
    }
out:
    free(date_raw);
    return rc;
}

int opine__jsonl_doc(const char *line, size_t len,
                     const opine_reader_opts *opts, opine_doc *doc,
                     char *detail, size_t detail_size)
{
    struct field_lists fl;
    json_error_t jerr;
    const char *text_name = NULL;
    json_t *obj, *text;
    int rc;

    lists_init(&fl, opts);
    obj = json_loadb(line, len, JSON_DECODE_ANY, &jerr);
    if (!obj) {
        snprintf(detail, detail_size, "malformed JSON: %s", jerr.text);
        return OPINE_EFORMAT;
    }
    if (!json_is_object(obj)) {
        snprintf(detail, detail_size, "not a JSON object");
        json_decref(obj);
        return OPINE_EFORMAT;
    }
    text = pick(obj, fl.text_list, &text_name);
    if (!text) {
        snprintf(detail, detail_size, "no text field '%s' (use --text-field)",
                 fl.text_list[0]);
        json_decref(obj);
        return OPINE_EFORMAT;
    }
    if (!json_is_string(text)) {
        snprintf(detail, detail_size, "text field '%s' is not a string",
                 text_name);
        json_decref(obj);
        return OPINE_EFORMAT;
    }
    if (only_space(json_string_value(text), json_string_length(text))) {
        snprintf(detail, detail_size, "empty text in field '%s'", text_name);
        json_decref(obj);
        return OPINE_EEMPTY;
    }
    /* The text stays in jansson's string (NUL-terminated, valid UTF-8),
     * kept alive by a reference of its own: no copy of the largest field. */
    doc->text_len = json_string_length(text);
    doc->text = (char *)json_string_value(text);
    doc->text_owner = json_incref(text);
    rc = map_fields(obj, opts, &fl, doc);
    json_decref(obj);
    if (rc != 0) {
        opine_doc_release(doc);
        snprintf(detail, detail_size, "out of memory");
        return rc;
    }
    return 1;
}
