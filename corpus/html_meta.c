/* corpus/html_meta.c — a web page's metadata from the standard places.
 *
 * FORMAT (where each field comes from, best source first; the first
 * non-empty value of the best source present wins)
 *   title        og:title, JSON-LD headline, twitter:title, <title>
 *   author       JSON-LD author (a string, a {"name"} object or an array
 *                of either; several are joined with "; "), <meta
 *                name=author>, article:author (unless it is a URL, as
 *                Facebook profile links are), parsely-author,
 *                sailthru.author, dc.creator, byl ("By ..."), an
 *                itemprop=author element or rel=author link
 *   outlet       JSON-LD publisher.name (or a publisher string),
 *                og:site_name, application-name
 *   published    JSON-LD datePublished (else dateCreated),
 *                article:published_time, itemprop=datePublished (content
 *                or datetime), the other common date metas (date, pubdate,
 *                dc.date, dcterms.created, parsely-pub-date, ...), then a
 *                <time pubdate> or itemprop'd <time datetime>
 *   url          <link rel=canonical>, og:url, JSON-LD url
 *   description  og:description, <meta name=description>, JSON-LD
 *                description, twitter:description
 *   lang         <html lang>, og:locale, JSON-LD inLanguage
 *   A JSON-LD object counts when its @type (a string or an array) names an
 *   article: anything ending in "Article" (NewsArticle,
 *   OpinionNewsArticle, ReportageNewsArticle, ScholarlyArticle...),
 *   BlogPosting, LiveBlogPosting, SocialMediaPosting or Report; objects
 *   are found at the top, in arrays, in "@graph" and under "mainEntity".
 *   A WebPage object is used, after every article, for the fields an
 *   article did not give. Scripts that are not valid JSON are skipped.
 */
#include "corpus/html_internal.h"
#include "corpus/internal.h"
#include "base/error.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { F_TITLE, F_AUTHOR, F_OUTLET, F_PUBLISHED, F_URL, F_DESC, F_LANG, NF };

/* A field's best value so far and the rank of its source (lower is
 * better; NO_RANK when unset). */
#define NO_RANK 1000

struct meta_state {
    char *value[NF];
    int rank[NF];
    char *body; /* JSON-LD articleBody */
    int body_rank;
    int nomem;
};

/* A template's empty date ("0001-01-01T00:00:00Z", "0000-00-00"): not a
 * date, and no reason to ignore a real one from another source. */
static int placeholder_date(const char *s)
{
    while (*s == ' ')
        s++;
    return s[0] == '0' && s[1] == '0' && s[2] == '0' && s[3] >= '0' &&
           s[3] <= '9';
}

/* Keep s (cleaned) as field f when rank beats what is there. */
static void offer(struct meta_state *m, int f, int rank, const char *s)
{
    char *v;

    if (!s || rank >= m->rank[f] || (f == F_PUBLISHED && placeholder_date(s)))
        return;
    v = opine__html_clean(s, &m->nomem);
    if (!v)
        return;
    free(m->value[f]);
    m->value[f] = v;
    m->rank[f] = rank;
}

char *opine__html_clean(const char *s, int *nomem)
{
    size_t n = 0, i;
    int space = 0;
    char *out;

    if (!s)
        return NULL;
    out = malloc(strlen(s) + 1);
    if (!out) {
        *nomem = 1;
        return NULL;
    }
    for (i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
            c == '\v') {
            space = n > 0;
            continue;
        }
        /* U+00A0 no-break space */
        if (c == 0xC2 && (unsigned char)s[i + 1] == 0xA0) {
            space = n > 0;
            i++;
            continue;
        }
        if (space)
            out[n++] = ' ';
        space = 0;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    if (n == 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- <meta>, <title>, <link>, <time> ---------------------------------- */

static const struct {
    const char *key; /* name, property or itemprop, lowercase */
    int field, rank;
} meta_keys[] = {
    {"og:title", F_TITLE, 0},
    {"twitter:title", F_TITLE, 2},
    {"author", F_AUTHOR, 1},
    {"article:author", F_AUTHOR, 2},
    {"parsely-author", F_AUTHOR, 3},
    {"sailthru.author", F_AUTHOR, 3},
    {"dc.creator", F_AUTHOR, 3},
    {"dcterms.creator", F_AUTHOR, 3},
    {"byl", F_AUTHOR, 4},
    {"og:site_name", F_OUTLET, 1},
    {"application-name", F_OUTLET, 2},
    {"article:published_time", F_PUBLISHED, 1},
    {"datepublished", F_PUBLISHED, 2},
    {"og:published_time", F_PUBLISHED, 3},
    {"article:published", F_PUBLISHED, 3},
    {"pubdate", F_PUBLISHED, 3},
    {"publishdate", F_PUBLISHED, 3},
    {"publish-date", F_PUBLISHED, 3},
    {"publish_date", F_PUBLISHED, 3},
    {"date", F_PUBLISHED, 3},
    {"dc.date", F_PUBLISHED, 3},
    {"dc.date.issued", F_PUBLISHED, 3},
    {"dcterms.date", F_PUBLISHED, 3},
    {"dcterms.issued", F_PUBLISHED, 3},
    {"dcterms.created", F_PUBLISHED, 3},
    {"sailthru.date", F_PUBLISHED, 3},
    {"parsely-pub-date", F_PUBLISHED, 3},
    {"originalpublicationdate", F_PUBLISHED, 3},
    {"og:url", F_URL, 1},
    {"og:description", F_DESC, 0},
    {"description", F_DESC, 1},
    {"twitter:description", F_DESC, 3},
    {"og:locale", F_LANG, 1},
};

static const char *attr(xmlNodePtr n, const char *name)
{
    xmlAttrPtr a;

    for (a = n->properties; a; a = a->next)
        if (a->name && strcasecmp((const char *)a->name, name) == 0 &&
            a->children && a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}

static int is_url(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 ||
           strncasecmp(s, "https://", 8) == 0 || strncmp(s, "//", 2) == 0;
}

/* "By Jane Doe" -> "Jane Doe" (in place). */
static void strip_by(char *s)
{
    if (s && strncasecmp(s, "by ", 3) == 0)
        memmove(s, s + 3, strlen(s + 3) + 1);
}

static void on_meta(struct meta_state *m, xmlNodePtr n)
{
    const char *content = attr(n, "content");
    const char *keys[3];
    size_t i, k;

    if (!content) {
        /* <meta itemprop=datePublished datetime=...> is rare; only
         * content= carries a value */
        return;
    }
    keys[0] = attr(n, "property");
    keys[1] = attr(n, "name");
    keys[2] = attr(n, "itemprop");
    for (k = 0; k < 3; k++) {
        if (!keys[k])
            continue;
        for (i = 0; i < sizeof(meta_keys) / sizeof(*meta_keys); i++) {
            if (strcasecmp(keys[k], meta_keys[i].key) != 0)
                continue;
            if (meta_keys[i].field == F_AUTHOR && is_url(content))
                continue;
            offer(m, meta_keys[i].field, meta_keys[i].rank, content);
            if (meta_keys[i].field == F_AUTHOR &&
                m->rank[F_AUTHOR] == meta_keys[i].rank)
                strip_by(m->value[F_AUTHOR]);
        }
    }
}

/* The text of n's subtree (libxml2's copy: the caller frees with
 * xmlFree). */
static char *node_text(xmlNodePtr n)
{
    return (char *)xmlNodeGetContent(n);
}

/* ---- JSON-LD ------------------------------------------------------------ */

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;

    if (!o || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &v))
        return NULL;
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

/* 2 for an article type, 1 for a web page, else 0. */
static int type_kind(const char *t)
{
    size_t n;

    if (!t)
        return 0;
    n = strlen(t);
    if ((n >= 7 && strcmp(t + n - 7, "Article") == 0) ||
        strcmp(t, "BlogPosting") == 0 || strcmp(t, "LiveBlogPosting") == 0 ||
        strcmp(t, "SocialMediaPosting") == 0 || strcmp(t, "Report") == 0)
        return 2;
    if (n >= 7 && strcmp(t + n - 7, "WebPage") == 0)
        return 1;
    return 0;
}

static int object_kind(json_object *o)
{
    json_object *t;
    int best = 0;

    if (!json_object_object_get_ex(o, "@type", &t))
        return 0;
    if (json_object_is_type(t, json_type_string))
        return type_kind(json_object_get_string(t));
    if (json_object_is_type(t, json_type_array)) {
        size_t i, n = json_object_array_length(t);
        for (i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(t, i);
            int k = json_object_is_type(e, json_type_string)
                        ? type_kind(json_object_get_string(e))
                        : 0;
            if (k > best)
                best = k;
        }
    }
    return best;
}

/* A person's (or organisation's) name: a string or {"name": ...}. */
static const char *person_name(json_object *p)
{
    if (json_object_is_type(p, json_type_string))
        return json_object_get_string(p);
    return jstr(p, "name");
}

/* The authors of an article, "; "-joined, in a malloc'd string. */
static char *authors(json_object *a, int *nomem)
{
    size_t i, n, len = 0;
    char *out = NULL;

    if (!json_object_is_type(a, json_type_array)) {
        char *s = opine__html_clean(person_name(a), nomem);
        strip_by(s);
        return s;
    }
    n = json_object_array_length(a);
    for (i = 0; i < n; i++) {
        char *s = opine__html_clean(
            person_name(json_object_array_get_idx(a, i)), nomem);
        char *grown;
        size_t sl;

        if (!s)
            continue;
        strip_by(s);
        sl = strlen(s);
        /* the same name twice (a page listing author and creator) */
        if (out && strstr(out, s)) {
            free(s);
            continue;
        }
        grown = realloc(out, len + (len ? 2 : 0) + sl + 1);
        if (!grown) {
            free(s);
            *nomem = 1;
            break;
        }
        out = grown;
        if (len) {
            memcpy(out + len, "; ", 2);
            len += 2;
        }
        memcpy(out + len, s, sl + 1);
        len += sl;
        free(s);
    }
    return out;
}

static void on_ld_object(struct meta_state *m, json_object *o, int depth);

static void on_ld_value(struct meta_state *m, json_object *v, int depth)
{
    if (depth > 8 || !v)
        return;
    if (json_object_is_type(v, json_type_array)) {
        size_t i, n = json_object_array_length(v);
        for (i = 0; i < n; i++)
            on_ld_value(m, json_object_array_get_idx(v, i), depth + 1);
    } else if (json_object_is_type(v, json_type_object)) {
        on_ld_object(m, v, depth);
    }
}

static void on_ld_object(struct meta_state *m, json_object *o, int depth)
{
    json_object *v;
    int kind = object_kind(o);

    if (json_object_object_get_ex(o, "@graph", &v))
        on_ld_value(m, v, depth + 1);
    if (json_object_object_get_ex(o, "mainEntity", &v))
        on_ld_value(m, v, depth + 1);
    if (kind == 0)
        return;
    /* articles rank 0 (title: 1), pages after every meta tag */
    {
        int r = kind == 2 ? 0 : 10;
        const char *s;

        offer(m, F_TITLE, kind == 2 ? 1 : 10,
              jstr(o, "headline") ? jstr(o, "headline") : jstr(o, "name"));
        s = jstr(o, "datePublished");
        offer(m, F_PUBLISHED, r, s ? s : jstr(o, "dateCreated"));
        offer(m, F_URL, kind == 2 ? 2 : 10, jstr(o, "url"));
        offer(m, F_DESC, kind == 2 ? 2 : 10, jstr(o, "description"));
        offer(m, F_LANG, kind == 2 ? 2 : 10, jstr(o, "inLanguage"));
        if (json_object_object_get_ex(o, "author", &v) &&
            r < m->rank[F_AUTHOR]) {
            char *a = authors(v, &m->nomem);
            if (a) {
                free(m->value[F_AUTHOR]);
                m->value[F_AUTHOR] = a;
                m->rank[F_AUTHOR] = r;
            }
        }
        if (json_object_object_get_ex(o, "publisher", &v))
            offer(m, F_OUTLET, r, person_name(v));
        s = jstr(o, "articleBody");
        if (kind == 2 && s && r < m->body_rank) {
            char *b = strdup(s);
            if (!b) {
                m->nomem = 1;
            } else {
                free(m->body);
                m->body = b;
                m->body_rank = r;
            }
        }
    }
}

static void on_ld_script(struct meta_state *m, xmlNodePtr n)
{
    char *text = node_text(n);
    json_tokener *tok;
    json_object *o;

    if (!text)
        return;
    tok = json_tokener_new_ex(64);
    if (!tok) {
        xmlFree(text);
        m->nomem = 1;
        return;
    }
    o = json_tokener_parse_ex(tok, text, (int)strlen(text));
    if (o && json_tokener_get_error(tok) == json_tokener_success)
        on_ld_value(m, o, 0);
    json_object_put(o);
    json_tokener_free(tok);
    xmlFree(text);
}

/* ---- the walk ------------------------------------------------------------ */

static void on_element(struct meta_state *m, xmlNodePtr n)
{
    const char *name = (const char *)n->name;
    const char *a;

    if (strcmp(name, "meta") == 0) {
        on_meta(m, n);
    } else if (strcmp(name, "title") == 0 && m->rank[F_TITLE] > 4) {
        char *t = node_text(n);
        offer(m, F_TITLE, 4, t);
        xmlFree(t);
    } else if (strcmp(name, "link") == 0) {
        a = attr(n, "rel");
        if (a && strcasecmp(a, "canonical") == 0)
            offer(m, F_URL, 0, attr(n, "href"));
    } else if (strcmp(name, "script") == 0) {
        a = attr(n, "type");
        if (a && strcasecmp(a, "application/ld+json") == 0)
            on_ld_script(m, n);
    } else if (strcmp(name, "html") == 0) {
        offer(m, F_LANG, 0, attr(n, "lang"));
    } else if (strcmp(name, "time") == 0 && m->rank[F_PUBLISHED] > 4) {
        a = attr(n, "itemprop");
        if ((a && strcasecmp(a, "datePublished") == 0) ||
            attr(n, "pubdate") != NULL)
            offer(m, F_PUBLISHED, 4, attr(n, "datetime"));
    } else if (m->rank[F_AUTHOR] > 5 && (((a = attr(n, "itemprop")) != NULL &&
                                          strcasecmp(a, "author") == 0) ||
                                         ((a = attr(n, "rel")) != NULL &&
                                          strcasecmp(a, "author") == 0))) {
        char *t = node_text(n);
        /* a short name, not a whole author box */
        if (t && strlen(t) < 80) {
            offer(m, F_AUTHOR, 5, t);
            strip_by(m->rank[F_AUTHOR] == 5 ? m->value[F_AUTHOR] : NULL);
        }
        xmlFree(t);
    } else if ((a = attr(n, "itemprop")) != NULL &&
               strcasecmp(a, "datePublished") == 0) {
        const char *d = attr(n, "content");
        offer(m, F_PUBLISHED, 2, d ? d : attr(n, "datetime"));
    }
}

int opine__html_meta(htmlDocPtr doc, opine_html_page *page, char **jsonld_body)
{
    struct meta_state m;
    xmlNodePtr top = (xmlNodePtr)doc, n;
    int i;

    memset(&m, 0, sizeof(m));
    for (i = 0; i < NF; i++)
        m.rank[i] = NO_RANK;
    m.body_rank = NO_RANK;
    *jsonld_body = NULL;

    n = top->children;
    while (n) {
        int descend = 0;

        if (n->type == XML_ELEMENT_NODE && n->name) {
            on_element(&m, n);
            /* nothing of interest below these */
            descend = strcmp((const char *)n->name, "script") != 0 &&
                      strcmp((const char *)n->name, "style") != 0 &&
                      strcmp((const char *)n->name, "svg") != 0;
        }
        if (descend && n->children) {
            n = n->children;
            continue;
        }
        while (n && n != top && !n->next)
            n = n->parent;
        n = n && n != top ? n->next : NULL;
    }

    page->title = m.value[F_TITLE];
    page->author = m.value[F_AUTHOR];
    page->outlet = m.value[F_OUTLET];
    page->published = m.value[F_PUBLISHED];
    page->url = m.value[F_URL];
    page->description = m.value[F_DESC];
    page->lang = m.value[F_LANG];
    *jsonld_body = m.body;
    return m.nomem ? OPINE_ENOMEM : 0;
}
