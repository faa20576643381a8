/* corpus/html_extract.h — the article in a web page: its main text and
 * metadata, with the site's furniture (navigation, ads, comments, related
 * links, share widgets, footers, cookie banners) left out.
 *
 * A page is parsed with libxml2's HTML parser (a real, error-tolerant
 * parser: malformed markup never stops it). The text comes from the part
 * of the page that holds the most prose and the least boilerplate, found
 * by scoring blocks of text on their length, link density and the hints
 * the markup gives (see "HOW IT WORKS" in html_extract.c). Metadata comes
 * from the standard places: <title>, <meta> (og:, article:, twitter:,
 * name=author/date/description), JSON-LD (NewsArticle, Article, BlogPosting
 * and the like: headline, datePublished, author, publisher.name, url) and
 * <link rel=canonical>.
 *
 * Bytes are turned into UTF-8 first: a charset the caller names (from an
 * HTTP header, say) wins over the page's own <meta charset> or http-equiv
 * declaration, and a page that is valid UTF-8 and holds non-ASCII text is
 * read as UTF-8 whatever it declares (legacy text almost never happens to
 * be valid UTF-8; mislabelled pages are common). Without a usable
 * declaration, text that is not UTF-8 is read as Windows-1252, as browsers
 * do. Bytes that are invalid in the chosen charset become U+FFFD and are
 * counted in `repairs`.
 *
 * Re-entrant: no global state is kept, so threads may extract pages at the
 * same time (libxml2's parser is thread-safe once initialised; the first
 * call initialises it).
 */
#ifndef OPINE_CORPUS_HTML_EXTRACT_H
#define OPINE_CORPUS_HTML_EXTRACT_H

#include "corpus/reader.h"

#include <stddef.h>

/* What one page gave. Every string is malloc'd, NUL-terminated UTF-8 and
 * owned by the struct (opine_html_page_release() frees them); absent
 * fields are NULL. */
typedef struct opine_html_page {
    char *text; /* the article: paragraphs separated by a blank line */
    size_t text_len;
    char *title;       /* JSON-LD headline, og:title, twitter:title, <title> */
    char *author;      /* people, "; "-separated: JSON-LD author, meta author,
                        * article:author (when it is a name, not a URL) */
    char *outlet;      /* JSON-LD publisher.name, og:site_name */
    char *published;   /* as the page gives it: JSON-LD datePublished,
                        * article:published_time, meta date, <time> */
    char *url;         /* <link rel=canonical>, og:url, JSON-LD url */
    char *description; /* og:description, meta description */
    char *lang;        /* <html lang>, og:locale */
    char *charset;     /* the charset the bytes were read in */
    size_t repairs;    /* invalid byte sequences replaced by U+FFFD */
} opine_html_page;

#define OPINE_HTML_PAGE_INIT                                                   \
    {                                                                          \
        0                                                                      \
    }

/* Extract the article and metadata of html[0..len) into *page (which must
 * be OPINE_HTML_PAGE_INIT or released). charset may be NULL (detect) or a
 * name iconv knows ("windows-1252", "ISO-8859-1", "Shift_JIS"...).
 *
 * Returns 0; OPINE_EEMPTY when the page has no body or no text that could
 * be an article ("no <body>", "no article text": written into detail);
 * OPINE_EFORMAT when the bytes cannot be parsed as HTML at all;
 * OPINE_EUSAGE for an unknown charset; OPINE_ENOMEM. On error, the
 * metadata found so far is kept in *page (release it either way) and
 * detail[detail_size] says what happened in a few words. */
int opine_html_extract(const char *html, size_t len, const char *charset,
                       opine_html_page *page, char *detail, size_t detail_size);

/* Free what the page owns and reset it to OPINE_HTML_PAGE_INIT. NULL is
 * ok. */
void opine_html_page_release(opine_html_page *page);

/* Nonzero when buf[0..len) (the first bytes of an input, after a BOM)
 * looks like HTML: after blanks and comments, "<!doctype html", "<html",
 * "<head", or "<?xml" followed by an XHTML root; case-insensitive. */
int opine_html_sniff(const char *buf, size_t len);

/* For readers: extract html[0..len) onto *doc (which must be
 * OPINE_DOC_INIT) as one document: the article as text; title, author,
 * outlet and url from the page; published normalised to YYYY-MM-DD with
 * the page's own form in meta "date_raw" when it differs; meta
 * "description", "lang", "charset" (when not UTF-8) and
 * "invalid_bytes_replaced" (when some were). ext_id, source and position
 * are the caller's. Returns 1, or a negative error as
 * opine_html_extract() does, with detail[detail_size] saying what
 * happened; *doc is left OPINE_DOC_INIT on error. */
int opine__html_doc(const char *html, size_t len, const char *charset,
                    opine_doc *doc, char *detail, size_t detail_size);

#endif
