/* corpus/html_internal.h — what the files of the HTML extractor share:
 * html_charset.c (bytes to UTF-8), html_meta.c (metadata) and
 * html_extract.c (the article text, the public entry point). Not public.
 */
#ifndef OPINE_CORPUS_HTML_INTERNAL_H
#define OPINE_CORPUS_HTML_INTERNAL_H

#include "corpus/html_extract.h"

#include <libxml/HTMLparser.h>
#include <stddef.h>

/* The bytes html[0..len) as NUL-terminated UTF-8 in *out (*out_len bytes):
 * either html itself (*owned = NULL, when it is valid UTF-8 without NUL
 * bytes) or a converted copy (*owned = the copy, which the caller frees).
 * The charset rules are those of html_extract.h; *charset gets the name
 * used (static storage or a pointer into html; copy it). Returns 0,
 * OPINE_EUSAGE for a caller's charset iconv does not know, or
 * OPINE_ENOMEM. */
int opine__html_decode(const char *html, size_t len, const char *hint,
                       const char **out, size_t *out_len, char **owned,
                       char *charset, size_t charset_size, size_t *repairs);

/* Fill the metadata fields of *page from the parsed document: see
 * html_extract.h for the sources and their order. When a JSON-LD article
 * carries an articleBody, *jsonld_body gets a malloc'd copy (else NULL):
 * the extractor's fallback when the markup holds no article. Returns 0 or
 * OPINE_ENOMEM. */
int opine__html_meta(htmlDocPtr doc, opine_html_page *page, char **jsonld_body);

/* s with runs of blanks collapsed to one space and no blanks at either
 * end, in a malloc'd copy; NULL for NULL, for an empty result or when out
 * of memory (*nomem says which). */
char *opine__html_clean(const char *s, int *nomem);

#endif
