/* corpus/html_extract.c — the main text of a web page, without the site's
 * furniture.
 *
 * HOW IT WORKS
 *   1. Bytes to UTF-8 (html_charset.c), then libxml2's HTML parser builds
 *      the tree (recovering from any malformed markup). Metadata is read
 *      from the tree by html_meta.c.
 *
 *   2. One walk over <body> cuts the text into blocks: a block is the
 *      inline text between two block-level tags (p, div, li, h2, td, ...;
 *      two <br> in a row also end one), with whitespace collapsed. Each
 *      block records its length (code points; CJK and Hangul count two,
 *      as they say more per character), how much of it sits inside links,
 *      its punctuation, and the nearest block-level element holding it.
 *      Never text: script, style, forms' controls, media, hidden elements
 *      (hidden, display:none). Boilerplate by their tag: nav, aside,
 *      footer, header, menu, figure and captions, address, dialog, and
 *      ARIA roles navigation, banner, contentinfo, complementary, search,
 *      menu, dialog, alert.
 *
 *   3. Boilerplate by name: the class and id of every block-level element
 *      are cut into words (at punctuation and camelCase) and looked up in
 *      a list of what sites call their furniture (comment, share, social,
 *      related, recommended, promo, sponsor, ad, newsletter, subscribe,
 *      cookie, consent, sidebar, menu, nav, footer, breadcrumb, byline,
 *      caption, tags, ...). Sites also use such words on the wrappers of
 *      their whole page ("has-sidebar", "comments-open"), so an element
 *      that holds more than half of the page's prose is never boilerplate
 *      by name.
 *
 *   4. Blocks are classed: prose (long enough, punctuated, few links),
 *      link lists (more than half link text), boilerplate (inside any of
 *      the above) and short (the rest: datelines, labels, headings).
 *
 *   5. The article is the element whose subtree scores best: prose counts
 *      for its length, boilerplate and link text against, short blocks a
 *      little against. The body scores the whole prose but also every
 *      menu and footer; a single paragraph scores only itself; the
 *      element that wraps the article's paragraphs and little else wins.
 *      Scores are prefix sums over the blocks, which lie in document
 *      order, so each element costs O(1).
 *
 *   6. Inside the winner, prose is kept and boilerplate and link lists
 *      are dropped. A short block is kept when the nearest classed blocks
 *      before and after it are prose (list items, quotes and subheadings
 *      inside the article), or when it is a subheading followed by prose;
 *      not when it is a stock phrase of site furniture ("Advertisement",
 *      "Read more", "Share this"). The page's h1 and any block repeating
 *      the title are left out: the title is metadata.
 *
 *   7. When that leaves almost nothing but the page has prose (a site
 *      whose names for its article wrapper look like furniture), the walk
 *      is redone without step 3; when even that finds nothing and JSON-LD
 *      carries the articleBody, that is the text.
 */
#include "corpus/html_internal.h"
#include "corpus/internal.h"
#include "base/error.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- tuning: block classes and element scores ---------------------------
 * Lengths are in units (code points; CJK and Hangul count two). */
#define PROSE_MIN 80     /* a punctuated block this long is prose */
#define PROSE_LONG 200   /* this long, prose even without punctuation */
#define PROSE_MAX_LD 0.3 /* at most this share of its text in links */
#define NEAR_MIN 30      /* shorter: prose when it ends as sentences do */
#define LINKS_MIN_LD 0.5 /* more than this share in links: a link list */
/* what a short block's text costs its element */
#define SHORT_WEIGHT 0.25
/* a share of the prose that no furniture holds */
#define WRAPPER_SHARE 0.5
/* a sibling scoring this share of the winner's score joins it */
#define SIBLING_SHARE 0.2
/* retry without names when less of the page's prose came out */
#define RETRY_BELOW 0.25

/* ---- the tags ------------------------------------------------------------ */

enum {
    K_INLINE = 0, /* text flows through it */
    K_LINK,       /* <a>: its text is link text */
    K_BR,
    K_SKIP,   /* never text */
    K_BLOCK,  /* starts and ends blocks */
    K_BOILER, /* a block-level element that is furniture by its tag */
    K_LAYOUT, /* furniture by its tag unless it wraps the page's prose:
               * header, footer, figure (sites misuse them as wrappers) */
};

static const struct tag_kind {
    const char *name;
    unsigned char kind;
} tags[] = {
    /* sorted by name (strcmp order) for bsearch */
    {"a", K_LINK},
    {"address", K_LAYOUT},
    {"applet", K_SKIP},
    {"area", K_SKIP},
    {"article", K_BLOCK},
    {"aside", K_BOILER},
    {"audio", K_SKIP},
    {"base", K_SKIP},
    {"blockquote", K_BLOCK},
    {"body", K_BLOCK},
    {"br", K_BR},
    {"button", K_SKIP},
    {"canvas", K_SKIP},
    {"caption", K_BLOCK},
    {"center", K_BLOCK},
    {"datalist", K_SKIP},
    {"dd", K_BLOCK},
    {"details", K_BLOCK},
    {"dialog", K_LAYOUT},
    {"dir", K_BLOCK},
    {"div", K_BLOCK},
    {"dl", K_BLOCK},
    {"dt", K_BLOCK},
    {"embed", K_SKIP},
    {"fieldset", K_BLOCK},
    {"figcaption", K_LAYOUT},
    {"figure", K_LAYOUT},
    {"footer", K_LAYOUT},
    {"form", K_BLOCK},
    {"frame", K_SKIP},
    {"frameset", K_SKIP},
    {"h1", K_BLOCK},
    {"h2", K_BLOCK},
    {"h3", K_BLOCK},
    {"h4", K_BLOCK},
    {"h5", K_BLOCK},
    {"h6", K_BLOCK},
    {"head", K_SKIP},
    {"header", K_LAYOUT},
    {"hgroup", K_BLOCK},
    {"hr", K_BLOCK},
    {"html", K_BLOCK},
    {"iframe", K_SKIP},
    {"img", K_SKIP},
    {"input", K_SKIP},
    {"label", K_SKIP},
    {"legend", K_BLOCK},
    {"li", K_BLOCK},
    {"link", K_SKIP},
    {"main", K_BLOCK},
    {"map", K_SKIP},
    {"math", K_SKIP},
    {"menu", K_BOILER},
    {"meta", K_SKIP},
    {"meter", K_SKIP},
    {"nav", K_BOILER},
    {"noembed", K_SKIP},
    {"noframes", K_SKIP},
    {"noscript", K_SKIP},
    {"object", K_SKIP},
    {"ol", K_BLOCK},
    {"optgroup", K_SKIP},
    {"option", K_SKIP},
    {"output", K_SKIP},
    {"p", K_BLOCK},
    {"param", K_SKIP},
    {"picture", K_SKIP},
    {"pre", K_BLOCK},
    {"progress", K_SKIP},
    {"script", K_SKIP},
    {"section", K_BLOCK},
    {"select", K_SKIP},
    {"source", K_SKIP},
    {"style", K_SKIP},
    {"summary", K_BLOCK},
    {"svg", K_SKIP},
    {"table", K_BLOCK},
    {"tbody", K_BLOCK},
    {"td", K_BLOCK},
    {"template", K_SKIP},
    {"textarea", K_SKIP},
    {"tfoot", K_BLOCK},
    {"th", K_BLOCK},
    {"thead", K_BLOCK},
    {"title", K_SKIP},
    {"tr", K_BLOCK},
    {"track", K_SKIP},
    {"ul", K_BLOCK},
    {"video", K_SKIP},
};

static int tag_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct tag_kind *)elem)->name);
}

static int tag_kind(const char *name)
{
    const struct tag_kind *t = bsearch(name, tags, sizeof(tags) / sizeof(*tags),
                                       sizeof(*tags), tag_cmp);

    if (t)
        return t->kind;
    /* custom elements (<amp-img>, <my-story-body>) wrap blocks */
    return strchr(name, '-') ? K_BLOCK : K_INLINE;
}

/* ---- furniture by name ---------------------------------------------------
 * Words of class and id attributes. "exact" words must be a whole word;
 * "stems" may appear anywhere in a word ("relatedArticles",
 * "sharebar", "socialLinks"). */
static const char *const furniture_exact[] = {
    "ad",
    "ads",
    "adv",
    "advert",
    "aside",
    "author",
    "authors",
    "banner",
    "bio",
    "byline",
    "bylines",
    "caption",
    "captions",
    "credit",
    "credits",
    "dateline",
    "dropdown",
    "follow",
    "hidden",
    "hide",
    "login",
    "masthead",
    "menu",
    "menus",
    "meta",
    "modal",
    "more",
    "nav",
    "navi",
    "overlay",
    "pager",
    "pagination",
    "popup",
    "print",
    "rail",
    "register",
    "rss",
    "search",
    "signin",
    "signup",
    "skip",
    "tag",
    "tags",
    "teaser",
    "teasers",
    "toolbar",
    "tools",
    "topics",
    "trending",
    "widget",
    "widgets",
    "popular",
    "mostread",
    "newsletter",
    "timestamp",
    "breaking",
    "subscribe",
    "paywall",
    "disclaimer",
    "copyright",
    /* media: the text beside a picture or a player is its caption */
    "photo",
    "photos",
    "image",
    "img",
    "gallery",
    "video",
    "player",
    "thumbnail",
    "thumb",
    "figure",
    /* comment threads, and text for screen readers only */
    "replies",
    "reply",
    "respond",
    "remark",
    "remarks",
    "shoutbox",
    "sr",
};
static const char *const furniture_stems[] = {
    "advert",     "breadcrumb", "comment",  "consent", "cookie",
    "disqus",     "footer",     "gdpr",     "header",  "navbar",
    "navigation", "newsletter", "outbrain", "promo",   "recommend",
    "related",    "share",      "sharing",  "sidebar", "sponsor",
    "subscri",    "taboola",    "lightbox", "sidenav",
};

/* Does the word w[0..n) (lowercase) name furniture? */
static int furniture_word(const char *w, size_t n)
{
    size_t i, k;

    for (i = 0; i < sizeof(furniture_exact) / sizeof(*furniture_exact); i++)
        if (furniture_exact[i][0] == w[0] && strlen(furniture_exact[i]) == n &&
            memcmp(furniture_exact[i], w, n) == 0)
            return 1;
    if (n < 4) /* no stem is shorter */
        return 0;
    for (i = 0; i < sizeof(furniture_stems) / sizeof(*furniture_stems); i++) {
        const char *s = furniture_stems[i];
        size_t sl = strlen(s);

        for (k = 0; k + sl <= n; k++)
            if (w[k] == s[0] && memcmp(w + k, s, sl) == 0) {
                /* "commentary" is an opinion section, not comments */
                if (strcmp(s, "comment") == 0 && k + sl + 2 <= n &&
                    memcmp(w + k + sl, "ar", 2) == 0)
                    continue;
                return 1;
            }
    }
    return 0;
}

/* Does a class or id value name furniture? Cut into words at anything but
 * letters and digits, and before an upper-case letter that follows a
 * lower-case one. Only the first NAME_SCAN bytes are read: generated
 * class lists can be long, and what names furniture comes first. */
#define NAME_SCAN 512
static int furniture_name(const char *v)
{
    char w[48];
    size_t n = 0;
    const char *p;

    if (!v)
        return 0;
    for (p = v;; p++) {
        if (p - v == NAME_SCAN)
            return n > 0 && n < sizeof(w) && furniture_word(w, n);
        unsigned char c = (unsigned char)*p;
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9');
        int camel =
            c >= 'A' && c <= 'Z' && p > v && p[-1] >= 'a' && p[-1] <= 'z';

        if ((!alnum || camel) && n > 0) {
            if (n < sizeof(w) && furniture_word(w, n))
                return 1;
            n = 0;
        }
        if (!c)
            return 0;
        if (alnum) {
            if (n < sizeof(w))
                w[n] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            n++;
        }
    }
}

static const char *attr(xmlNodePtr n, const char *name)
{
    xmlAttrPtr a;

    for (a = n->properties; a; a = a->next)
        if (a->name && strcmp((const char *)a->name, name) == 0)
            return a->children && a->children->type == XML_TEXT_NODE
                       ? (const char *)a->children->content
                       : "";
    return NULL;
}

static int is_hidden(xmlNodePtr n)
{
    const char *s;

    if (!n->properties)
        return 0;
    if (attr(n, "hidden"))
        return 1;
    s = attr(n, "style");
    if (s) {
        char c[128];
        size_t k = 0;

        /* "display : none" -> "display:none" */
        for (; *s && k + 1 < sizeof(c); s++)
            if (*s != ' ' && *s != '\t')
                c[k++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
        c[k] = '\0';
        if (strstr(c, "display:none") || strstr(c, "visibility:hidden"))
            return 1;
    }
    return 0;
}

static int furniture_role(xmlNodePtr n)
{
    static const char *const roles[] = {
        "navigation",  "banner", "contentinfo", "complementary",
        "search",      "menu",   "menubar",     "dialog",
        "alertdialog", "alert",  "toolbar",     "tablist"};
    const char *r = attr(n, "role");
    size_t i;

    if (!r)
        return 0;
    for (i = 0; i < sizeof(roles) / sizeof(*roles); i++)
        if (strcasecmp(r, roles[i]) == 0)
            return 1;
    return 0;
}

/* ---- blocks and elements ------------------------------------------------- */

enum { C_SHORT, C_PROSE, C_LINKS, C_BOILER };

struct block {
    size_t off, len; /* text in the arena */
    uint32_t units, link_units, punct;
    int32_t owner;      /* element index */
    unsigned char ends; /* ends as a sentence does */
    unsigned char cls;
};

enum {
    E_BOILER_TAG = 1,  /* furniture by tag or role */
    E_BOILER_NAME = 2, /* furniture by class/id, or a layout tag: unless
                        * it wraps most of the page's prose */
    E_BOILER = 4,      /* decided: this or an ancestor is furniture */
    E_H1 = 8,
    E_HEADING = 16, /* h2..h6 */
    E_PRE = 32,
    E_CELL = 64, /* td, th: a table's data */
};

struct elem {
    xmlNodePtr node;
    int32_t parent;
    uint32_t first, end; /* its blocks: [first, end) */
    unsigned char flags;
};

struct walk {
    char *arena;
    size_t alen, acap;
    struct block *blocks;
    size_t nblocks, cap_blocks;
    struct elem *elems;
    size_t nelems, cap_elems;
    int32_t *stack; /* open block-level elements */
    size_t depth, cap_stack;

    /* the block being built */
    size_t bstart;
    uint32_t units, link_units, punct;
    int space;   /* a blank is pending */
    int newline; /* a <br> is pending */
    int brs;     /* <br>s since the last text */
    int links;   /* open <a> elements */
    int pre;     /* open <pre> elements */
    int nomem;
    double prose; /* the page's prose units (classify()) */
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : 64;
    void *q;

    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    q = realloc(*p, c * size);
    if (!q)
        return OPINE_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

static void arena_add(struct walk *w, const char *s, size_t n)
{
    if (w->nomem || grow((void **)&w->arena, &w->acap, w->alen + n + 1, 1)) {
        w->nomem = 1;
        return;
    }
    memcpy(w->arena + w->alen, s, n);
    w->alen += n;
}

/* Does s[0..n) end as a sentence does: with . ! ? or an ellipsis (also
 * CJK 。！？), maybe followed by closing quotes and brackets? */
static int ends_sentence(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    while (n > 0) {
        unsigned char c = u[n - 1];
        if (c == '"' || c == '\'' || c == ')' || c == ']' || c == ' ') {
            n--;
        } else if (n >= 3 && u[n - 3] == 0xE2 && u[n - 2] == 0x80 &&
                   (c == 0x99 || c == 0x9D)) {
            n -= 3; /* ’ ” */
        } else if (n >= 2 && u[n - 2] == 0xC2 && c == 0xBB) {
            n -= 2; /* » */
        } else {
            break;
        }
    }
    if (n == 0)
        return 0;
    if (u[n - 1] == '.' || u[n - 1] == '!' || u[n - 1] == '?')
        return 1;
    return n >= 3 && ((u[n - 3] == 0xE2 && u[n - 2] == 0x80 &&
                       u[n - 1] == 0xA6) || /* … */
                      (u[n - 3] == 0xE3 && u[n - 2] == 0x80 &&
                       u[n - 1] == 0x82) || /* 。 */
                      (u[n - 3] == 0xEF && u[n - 2] == 0xBC &&
                       (u[n - 1] == 0x81 || u[n - 1] == 0x9F)));
}

static void flush(struct walk *w)
{
    struct block *b;

    w->space = w->newline = 0;
    w->brs = 0;
    if (w->alen == w->bstart)
        return;
    if (w->depth == 0 || w->nomem ||
        grow((void **)&w->blocks, &w->cap_blocks, w->nblocks + 1,
             sizeof(*w->blocks))) {
        w->nomem = w->nomem || w->depth > 0;
        w->alen = w->bstart;
        return;
    }
    b = &w->blocks[w->nblocks++];
    b->off = w->bstart;
    b->len = w->alen - w->bstart;
    b->units = w->units;
    b->link_units = w->link_units;
    b->punct = w->punct;
    b->owner = w->stack[w->depth - 1];
    b->ends = ends_sentence(w->arena + b->off, b->len);
    b->cls = C_SHORT;
    w->bstart = w->alen;
    w->units = w->link_units = w->punct = 0;
}

static int lower_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Append a text node's content to the block: blanks collapse (outside
 * <pre>), units and punctuation are counted. */
static void add_text(struct walk *w, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (u[i]) {
        unsigned char c = u[i];
        size_t run;

        if (w->pre && (c == '\n' || c == '\r')) {
            if (w->alen > w->bstart)
                w->newline = 1;
            i++;
            continue;
        }
        if (is_blank(c) || (c == 0xC2 && u[i + 1] == 0xA0)) {
            if (w->alen > w->bstart)
                w->space = 1;
            i += c == 0xC2 ? 2 : 1;
            continue;
        }
        /* zero-width space and joiners, soft hyphen: no text */
        if ((c == 0xE2 && u[i + 1] == 0x80 &&
             (u[i + 2] == 0x8B || u[i + 2] == 0x8C || u[i + 2] == 0x8D)) ||
            (c == 0xC2 && u[i + 1] == 0xAD)) {
            i += c == 0xE2 ? 3 : 2;
            continue;
        }
        if (w->newline)
            arena_add(w, "\n", 1);
        else if (w->space)
            arena_add(w, " ", 1);
        w->space = w->newline = 0;
        w->brs = 0;
        /* a run of ordinary bytes up to the next blank */
        for (run = i;
             u[run] && !is_blank(u[run]) &&
             !(u[run] == 0xC2 && (u[run + 1] == 0xA0 || u[run + 1] == 0xAD)) &&
             !(u[run] == 0xE2 && u[run + 1] == 0x80 && u[run + 2] >= 0x8B &&
               u[run + 2] <= 0x8D);
             run++) {
            unsigned char d = u[run];
            uint32_t units = (d & 0xC0) == 0x80 ? 0 : d >= 0xE3 ? 2 : 1;

            w->units += units;
            if (w->links)
                w->link_units += units;
            if (d == '.' || d == ',' || d == '!' || d == '?' || d == ';' ||
                d == ':')
                w->punct++;
            /* 、。 and fullwidth ，！？ */
            else if ((d == 0xE3 && u[run + 1] == 0x80 &&
                      (u[run + 2] == 0x81 || u[run + 2] == 0x82)) ||
                     (d == 0xEF && u[run + 1] == 0xBC &&
                      (u[run + 2] == 0x8C || u[run + 2] == 0x81 ||
                       u[run + 2] == 0x9F)))
                w->punct++;
        }
        arena_add(w, s + i, run - i);
        i = run;
    }
}

/* Start a block-level element: a new element record on the stack. */
static void open_elem(struct walk *w, xmlNodePtr n, unsigned char flags)
{
    struct elem *e;

    flush(w);
    if (w->nomem ||
        grow((void **)&w->elems, &w->cap_elems, w->nelems + 1,
             sizeof(*w->elems)) ||
        grow((void **)&w->stack, &w->cap_stack, w->depth + 1,
             sizeof(*w->stack))) {
        w->nomem = 1;
        return;
    }
    e = &w->elems[w->nelems];
    e->node = n;
    e->parent = w->depth ? w->stack[w->depth - 1] : -1;
    e->first = e->end = (uint32_t)w->nblocks;
    e->flags = flags;
    w->stack[w->depth++] = (int32_t)w->nelems++;
    if (flags & E_PRE)
        w->pre++;
}

static void close_elem(struct walk *w)
{
    struct elem *e;

    flush(w);
    e = &w->elems[w->stack[w->depth - 1]];
    e->end = (uint32_t)w->nblocks;
    if (e->flags & E_PRE)
        w->pre--;
    w->depth--;
}

/* Does the inline element n hold what only blocks hold: a block-level
 * element, or a picture with links (a hover card: a name in a sentence
 * whose hidden pop-up lists the person's other articles)? Such an
 * element is taken as a block, so that its text is classed apart from the
 * sentence around it. Looks at most LOOKAHEAD nodes. */
#define LOOKAHEAD 256
static int holds_blocks(xmlNodePtr top)
{
    xmlNodePtr n = top->children;
    int seen = 0, links = 0, imgs = 0;

    while (n && n != top) {
        int down = 0;

        if (++seen > LOOKAHEAD)
            return 0;
        if (n->type == XML_ELEMENT_NODE && n->name) {
            int k = tag_kind((const char *)n->name);

            if (k == K_BLOCK || k == K_BOILER || k == K_LAYOUT)
                return 1;
            links += k == K_LINK;
            imgs += strcmp((const char *)n->name, "img") == 0;
            if (imgs && links >= 2)
                return 1;
            down = k != K_SKIP;
        }
        if (down && n->children) {
            n = n->children;
            continue;
        }
        while (n != top && !n->next)
            n = n->parent;
        if (n != top)
            n = n->next;
    }
    return 0;
}

/* Visit n on the way down; 1 when its children are to be walked (and
 * leave() called after them). */
static int enter(struct walk *w, xmlNodePtr n, int use_names)
{
    const char *name;
    int kind;

    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content)
            add_text(w, (const char *)n->content);
        return 0;
    }
    if (n->type != XML_ELEMENT_NODE || !n->name)
        return 0;
    name = (const char *)n->name;
    kind = tag_kind(name);
    if (kind == K_SKIP || is_hidden(n))
        return 0;
    if (kind == K_BR) {
        /* one <br>: a line break; two in a row: a paragraph break */
        if (++w->brs >= 2)
            flush(w);
        else if (w->alen > w->bstart)
            w->newline = 1;
        return 0;
    }
    if (kind == K_LINK) {
        w->links++;
        return 1;
    }
    if (kind == K_INLINE && !holds_blocks(n)) {
        /* an inline caption, credit or ad label: no text */
        if (use_names && n->properties &&
            (furniture_name(attr(n, "class")) || furniture_name(attr(n, "id"))))
            return 0;
        return 1;
    }
    {
        unsigned char flags = 0;
        int outer = strcmp(name, "html") == 0 || strcmp(name, "body") == 0;

        if (kind == K_BOILER || (!outer && furniture_role(n)))
            flags |= E_BOILER_TAG;
        if (kind == K_LAYOUT)
            flags |= E_BOILER_NAME;
        if (!outer && use_names &&
            (furniture_name(attr(n, "class")) || furniture_name(attr(n, "id"))))
            flags |= E_BOILER_NAME;
        if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2])
            flags |= name[1] == '1' ? E_H1 : E_HEADING;
        if (strcmp(name, "pre") == 0)
            flags |= E_PRE;
        if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
            flags |= E_CELL;
        open_elem(w, n, flags);
        return !w->nomem;
    }
}

static void leave(struct walk *w, xmlNodePtr n)
{
    if (n->type != XML_ELEMENT_NODE || !n->name)
        return;
    if (w->depth > 0 && w->elems[w->stack[w->depth - 1]].node == n)
        close_elem(w);
    else if (tag_kind((const char *)n->name) == K_LINK && w->links > 0)
        w->links--;
}

static void walk_tree(struct walk *w, xmlNodePtr top, int use_names)
{
    xmlNodePtr n = top;

    while (n && !w->nomem) {
        int down = enter(w, n, use_names);

        if (down && n->children) {
            n = n->children;
            continue;
        }
        if (down)
            leave(w, n);
        for (;;) {
            if (n == top) {
                n = NULL;
                break;
            }
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            leave(w, n);
        }
    }
    flush(w);
}

static void walk_release(struct walk *w)
{
    free(w->arena);
    free(w->blocks);
    free(w->elems);
    free(w->stack);
    memset(w, 0, sizeof(*w));
}

/* ---- classing and choosing -------------------------------------------- */

static double link_density(const struct block *b)
{
    return b->units ? (double)b->link_units / b->units : 0;
}

static int is_prose(const struct block *b)
{
    double ld = link_density(b);

    if (b->units >= PROSE_MIN && ld <= PROSE_MAX_LD && b->punct > 0)
        return 1;
    if (b->units >= PROSE_LONG && ld <= PROSE_MAX_LD)
        return 1;
    return b->units >= NEAR_MIN && ld <= PROSE_MAX_LD && b->ends;
}

/* Class every block, deciding first which elements are furniture. */
static void classify(struct walk *w)
{
    double *cum = malloc((w->nblocks + 1) * sizeof(*cum));
    size_t i;

    if (!cum) {
        w->nomem = 1;
        return;
    }
    /* cum[i]: the prose units of blocks [0, i) */
    cum[0] = 0;
    for (i = 0; i < w->nblocks; i++)
        cum[i + 1] =
            cum[i] + (is_prose(&w->blocks[i]) ? w->blocks[i].units : 0);
    w->prose = cum[w->nblocks];
    for (i = 0; i < w->nelems; i++) {
        struct elem *e = &w->elems[i];

        if ((e->flags & E_BOILER_NAME) && !(e->flags & E_BOILER_TAG) &&
            cum[e->end] - cum[e->first] > WRAPPER_SHARE * w->prose)
            e->flags &= (unsigned char)~E_BOILER_NAME;
        if ((e->flags & (E_BOILER_TAG | E_BOILER_NAME)) ||
            (e->parent >= 0 && (w->elems[e->parent].flags & E_BOILER)))
            e->flags |= E_BOILER;
    }
    free(cum);
    for (i = 0; i < w->nblocks; i++) {
        struct block *b = &w->blocks[i];

        if (w->elems[b->owner].flags & E_BOILER)
            b->cls = C_BOILER;
        else if (link_density(b) > LINKS_MIN_LD)
            b->cls = C_LINKS;
        else if (is_prose(b) &&
                 !(w->elems[b->owner].flags & (E_H1 | E_HEADING)))
            b->cls = C_PROSE;
        else
            b->cls = C_SHORT;
    }
}

static double block_score(const struct walk *w, const struct block *b)
{
    switch (b->cls) {
    case C_PROSE:
        return (double)b->units - 2.0 * b->link_units;
    case C_SHORT:
        /* the cells of a table are short by nature, not furniture */
        if (w->elems[b->owner].flags & E_CELL)
            return -(double)b->link_units;
        return -SHORT_WEIGHT * b->units - (double)b->link_units;
    default:
        return -(double)b->units;
    }
}

/* The element whose blocks score best; -1 when no block is prose. */
static int32_t choose(const struct walk *w, double **prefix_out)
{
    double *prefix = malloc((w->nblocks + 1) * sizeof(*prefix));
    double best = 0;
    int32_t winner = -1;
    size_t i;

    *prefix_out = prefix;
    if (!prefix)
        return -1;
    prefix[0] = 0;
    for (i = 0; i < w->nblocks; i++)
        prefix[i + 1] = prefix[i] + block_score(w, &w->blocks[i]);
    for (i = 0; i < w->nelems; i++) {
        const struct elem *e = &w->elems[i];
        double s = prefix[e->end] - prefix[e->first];

        /* ties go to the deeper element: elements are in document
         * order, parents first */
        if (s > 0 && s >= best) {
            best = s;
            winner = (int32_t)i;
        }
    }
    return winner;
}

/* ---- the text ------------------------------------------------------------ */

/* Stock phrases of site furniture, compared with a whole short block
 * (case folded for ASCII, trailing punctuation and blanks ignored). */
static const char *const stock_phrases[] = {
    "advertisement",
    "advert",
    "adverts",
    "advertisements",
    "advertising",
    "ad",
    "ads",
    "sponsored",
    "sponsored content",
    "paid content",
    "continue reading",
    "read more",
    "read more below",
    "story continues below advertisement",
    "story continues below",
    "article continues below",
    "show more",
    "load more",
    "see more",
    "more",
    "share",
    "share this",
    "share this story",
    "share this article",
    "share on facebook",
    "share on twitter",
    "tweet",
    "email",
    "print",
    "comments",
    "comment",
    "related",
    "related articles",
    "related stories",
    "related content",
    "recommended",
    "recommended for you",
    "you may also like",
    "more from",
    "click here",
    "subscribe",
    "sign up",
    "follow us",
    "back to top",
    "skip to content",
    "anzeige",
    "werbung",
    "publicité",
    "publicidad",
    "pubblicità",
    "реклама",
    "广告",
    "광고",
    "スポンサーリンク",
};

static int stock_phrase(const char *s, size_t n)
{
    char buf[64];
    size_t i, k = 0;

    while (n > 0 && (is_blank((unsigned char)s[n - 1]) || s[n - 1] == ':' ||
                     s[n - 1] == '.' || s[n - 1] == '!' || s[n - 1] == '>' ||
                     s[n - 1] == ')' || s[n - 1] == '('))
        n--;
    if (n == 0 || n >= sizeof(buf))
        return n == 0;
    for (i = 0; i < n; i++)
        buf[k++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    buf[k] = '\0';
    for (i = 0; i < sizeof(stock_phrases) / sizeof(*stock_phrases); i++)
        if (strcmp(buf, stock_phrases[i]) == 0)
            return 1;
    return 0;
}

/* Same text, ignoring case (ASCII) and blanks? */
static int same_text(const char *a, size_t an, const char *b)
{
    size_t i = 0, j = 0, bn = strlen(b);

    while (i < an || j < bn) {
        while (i < an && is_blank((unsigned char)a[i]))
            i++;
        while (j < bn && is_blank((unsigned char)b[j]))
            j++;
        if (i == an || j == bn)
            return i == an && j == bn;
        if (lower_ascii(a[i]) != lower_ascii(b[j]))
            return 0;
        i++;
        j++;
    }
    return 1;
}

/* Is block i decisive for the short blocks around it: prose or a link
 * list? Furniture (a caption, an ad box) stands beside the text, not in
 * its flow, and is passed over. */
static int decisive(const struct walk *w, uint32_t i)
{
    return w->blocks[i].cls == C_PROSE || w->blocks[i].cls == C_LINKS;
}

static double elem_score(const struct walk *w, const double *prefix, int32_t e)
{
    return prefix[w->elems[e].end] - prefix[w->elems[e].first];
}

/* The blocks of the article, in document order, into *list: those of the
 * winner, and of its siblings that score well on their own. An article is
 * often cut in two by a box of links or an ad wider than either half;
 * the winner is then one half, and its sibling the other. Wrappers that
 * add no text (a div around the winner alone) are climbed first. Returns
 * the count, or (size_t)-1 when out of memory. */
static size_t gather(const struct walk *w, const double *prefix, int32_t best,
                     uint32_t **list)
{
    const struct elem *b = &w->elems[best];
    int32_t top = best, parent;
    double bar = SIBLING_SHARE * elem_score(w, prefix, best);
    uint32_t first, end, i;
    unsigned char *take;
    size_t n = 0;
    int32_t k;

    while (w->elems[top].parent >= 0 &&
           w->elems[w->elems[top].parent].first == b->first &&
           w->elems[w->elems[top].parent].end == b->end)
        top = w->elems[top].parent;
    parent = w->elems[top].parent;
    first = parent >= 0 ? w->elems[parent].first : b->first;
    end = parent >= 0 ? w->elems[parent].end : b->end;
    take = calloc(end - first + 1, 1);
    *list = malloc((end - first + 1) * sizeof(**list));
    if (!take || !*list) {
        free(take);
        free(*list);
        *list = NULL;
        return (size_t)-1;
    }
    memset(take + (b->first - first), 1, b->end - b->first);
    if (bar < PROSE_MIN)
        bar = PROSE_MIN;
    for (k = top + 1;
         parent >= 0 && (size_t)k < w->nelems && w->elems[k].first < end; k++)
        if (w->elems[k].parent == parent && k != top &&
            elem_score(w, prefix, k) >= bar)
            memset(take + (w->elems[k].first - first), 1,
                   w->elems[k].end - w->elems[k].first);
    /* siblings before the winner too */
    for (k = parent + 1; parent >= 0 && k < top; k++)
        if (w->elems[k].parent == parent && elem_score(w, prefix, k) >= bar)
            memset(take + (w->elems[k].first - first), 1,
                   w->elems[k].end - w->elems[k].first);
    for (i = first; i < end; i++)
        if (take[i - first])
            (*list)[n++] = i;
    free(take);
    return n;
}

/* The kept blocks of list[0..n), "\n\n"-separated, into *text. A short
 * block takes its class from its neighbours: the nearest decisive blocks
 * before and after it (found for all in two passes, not by a search per
 * block, which a table of a million cells would make quadratic). */
static int emit(const struct walk *w, const uint32_t *list, size_t n,
                const char *title, char **text, size_t *text_len)
{
    unsigned char *before = malloc(n + 1), *after = malloc(n + 1);
    size_t cap = 0, len = 0, k;
    char *out = NULL;
    int rc = 0;

    if (!before || !after) {
        rc = OPINE_ENOMEM;
        goto done;
    }
    /* before[k]: is the nearest decisive block before list[k] prose?
     * after[k]: the same after it */
    before[0] = 0;
    for (k = 0; k < n; k++)
        before[k + 1] = decisive(w, list[k]) ? w->blocks[list[k]].cls == C_PROSE
                                             : before[k];
    after[n] = 0;
    for (k = n; k > 0; k--)
        after[k - 1] = decisive(w, list[k - 1])
                           ? w->blocks[list[k - 1]].cls == C_PROSE
                           : after[k];
    for (k = 0; k < n; k++) {
        const struct block *b = &w->blocks[list[k]];
        const struct elem *e = &w->elems[b->owner];
        const char *s = w->arena + b->off;
        int keep = 0;

        if (b->cls == C_PROSE) {
            keep = 1;
        } else if (b->cls == C_SHORT && !(e->flags & E_H1)) {
            int next_prose = after[k + 1];
            /* a table inside the article is kept whole */
            keep = ((before[k] && next_prose) || (e->flags & E_CELL) ||
                    ((e->flags & E_HEADING) && next_prose)) &&
                   !stock_phrase(s, b->len);
        }
        if (keep && title && b->units < 400 && same_text(s, b->len, title))
            keep = 0;
        if (!keep)
            continue;
        if (grow((void **)&out, &cap, len + b->len + 3, 1)) {
            rc = OPINE_ENOMEM;
            goto done;
        }
        if (len > 0) {
            memcpy(out + len, "\n\n", 2);
            len += 2;
        }
        memcpy(out + len, s, b->len);
        len += b->len;
        out[len] = '\0';
    }
done:
    free(before);
    free(after);
    if (rc != 0) {
        free(out);
        return rc;
    }
    *text = out;
    *text_len = len;
    return 0;
}

/* Walk the body, choose and emit. Returns 0 (with *text NULL when nothing
 * was found) or OPINE_ENOMEM; *prose gets the page's prose units. */
static int extract_text(xmlNodePtr body, int use_names, const char *title,
                        char **text, size_t *text_len, double *prose)
{
    struct walk w;
    double *prefix = NULL;
    int32_t best;
    int rc = 0;

    memset(&w, 0, sizeof(w));
    *text = NULL;
    *text_len = 0;
    walk_tree(&w, body, use_names);
    if (w.nomem) {
        walk_release(&w);
        return OPINE_ENOMEM;
    }
    classify(&w);
    if (w.nomem) {
        walk_release(&w);
        return OPINE_ENOMEM;
    }
    *prose = w.prose;
    best = choose(&w, &prefix);
    if (!prefix)
        rc = OPINE_ENOMEM;
    else if (best >= 0) {
        uint32_t *list;
        size_t n = gather(&w, prefix, best, &list);

        rc = n == (size_t)-1 ? OPINE_ENOMEM
                             : emit(&w, list, n, title, text, text_len);
        free(list);
    }
    free(prefix);
    walk_release(&w);
    return rc;
}

/* ---- public API ------------------------------------------------------------
 */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

static void set_detail(char *detail, size_t size, const char *what)
{
    if (detail && size > 0)
        snprintf(detail, size, "%s", what);
}

static xmlNodePtr find_body(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), n;

    if (!root)
        return NULL;
    for (n = root->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && n->name &&
            strcmp((const char *)n->name, "body") == 0)
            return n;
    return NULL;
}

/* Units of s, as blocks count them. */
static size_t units_of(const char *s)
{
    size_t u = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        u += (c & 0xC0) == 0x80 ? 0 : c >= 0xE3 ? 2 : 1;
    }
    return u;
}

int opine_html_extract(const char *html, size_t len, const char *charset,
                       opine_html_page *page, char *detail, size_t detail_size)
{
    char cs[64], *owned = NULL, *jsonld_body = NULL;
    const char *utf8;
    size_t utf8_len, repairs;
    htmlParserCtxtPtr ctxt;
    htmlDocPtr doc;
    xmlNodePtr body;
    double prose = 0;
    int rc;

    set_detail(detail, detail_size, "");
    if (!page || (!html && len > 0))
        return OPINE_EUSAGE;
    memset(page, 0, sizeof(*page));
    pthread_once(&xml_once, xml_init);
    rc = opine__html_decode(html ? html : "", len, charset, &utf8, &utf8_len,
                            &owned, cs, sizeof(cs), &repairs);
    if (rc == OPINE_EUSAGE) {
        set_detail(detail, detail_size, "unknown charset");
        return rc;
    }
    if (rc != 0)
        return rc;
    page->repairs = repairs;
    page->charset = strdup(cs);
    if (!page->charset) {
        free(owned);
        return OPINE_ENOMEM;
    }
    if (utf8_len > INT32_MAX) {
        free(owned);
        set_detail(detail, detail_size, "page larger than 2 GB");
        return OPINE_ETOOBIG;
    }
    ctxt = htmlNewParserCtxt();
    if (!ctxt) {
        free(owned);
        return OPINE_ENOMEM;
    }
    /* XML_PARSE_HUGE: old pages leave tags unclosed, and libxml2 would
     * drop everything nested deeper than 256 levels */
    doc = htmlCtxtReadMemory(ctxt, utf8, (int)utf8_len, NULL, "UTF-8",
                             HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                 HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                                 HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC |
                                 XML_PARSE_HUGE);
    htmlFreeParserCtxt(ctxt);
    free(owned);
    if (!doc) {
        set_detail(detail, detail_size, "not parseable as HTML");
        return OPINE_EFORMAT;
    }
    rc = opine__html_meta(doc, page, &jsonld_body);
    body = find_body(doc);
    if (rc == 0 && !body) {
        set_detail(detail, detail_size, "no <body> in the page");
        rc = OPINE_EEMPTY;
    }
    if (rc == 0)
        rc = extract_text(body, 1, page->title, &page->text, &page->text_len,
                          &prose);
    /* names hid the article: try again without them */
    if (rc == 0 && prose > 0 &&
        (double)units_of(page->text ? page->text : "") < RETRY_BELOW * prose) {
        char *again;
        size_t again_len;
        double p2;

        rc = extract_text(body, 0, page->title, &again, &again_len, &p2);
        if (rc == 0 && again && again_len > page->text_len) {
            free(page->text);
            page->text = again;
            page->text_len = again_len;
        } else {
            free(again);
        }
    }
    if (rc == 0 && page->text_len == 0 && jsonld_body) {
        free(page->text);
        page->text = opine__html_clean(jsonld_body, &rc);
        rc = rc ? OPINE_ENOMEM : 0;
        page->text_len = page->text ? strlen(page->text) : 0;
    }
    if (rc == 0 && page->text_len == 0) {
        set_detail(detail, detail_size, "no article text found in the page");
        rc = OPINE_EEMPTY;
    }
    free(jsonld_body);
    xmlFreeDoc(doc);
    return rc;
}

void opine_html_page_release(opine_html_page *page)
{
    if (!page)
        return;
    free(page->text);
    free(page->title);
    free(page->author);
    free(page->outlet);
    free(page->published);
    free(page->url);
    free(page->description);
    free(page->lang);
    free(page->charset);
    memset(page, 0, sizeof(*page));
}

/* ---- sniffing --------------------------------------------------------------
 */

static int starts_ci(const char *s, size_t n, const char *w)
{
    size_t wl = strlen(w), i;

    if (n < wl)
        return 0;
    for (i = 0; i < wl; i++)
        if (lower_ascii(s[i]) != w[i])
            return 0;
    return 1;
}

int opine_html_sniff(const char *buf, size_t len)
{
    size_t i = 0;

    if (len >= 3 && (unsigned char)buf[0] == 0xEF &&
        (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF)
        i = 3;
    for (;;) {
        while (i < len && is_blank((unsigned char)buf[i]))
            i++;
        if (starts_ci(buf + i, len - i, "<!--")) {
            const char *end = NULL;
            size_t k;
            for (k = i + 4; k + 3 <= len; k++)
                if (memcmp(buf + k, "-->", 3) == 0) {
                    end = buf + k;
                    break;
                }
            if (!end)
                return 0;
            i = (size_t)(end - buf) + 3;
            continue;
        }
        if (starts_ci(buf + i, len - i, "<?xml")) {
            const char *end = memchr(buf + i, '>', len - i);
            if (!end)
                return 0;
            i = (size_t)(end - buf) + 1;
            continue;
        }
        break;
    }
    return starts_ci(buf + i, len - i, "<!doctype html") ||
           starts_ci(buf + i, len - i, "<html") ||
           starts_ci(buf + i, len - i, "<head") ||
           starts_ci(buf + i, len - i, "<body");
}
