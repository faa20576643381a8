/* corpus/html_doc.c — a web page as one document for the reader: the
 * extracted article and the page's metadata mapped onto an opine_doc.
 */
#include "corpus/html_extract.h"
#include "base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Append (key, value) to doc->meta, taking value (freed on failure). */
static int meta_take(opine_doc *doc, const char *key, char *value)
{
    opine_kv *m;
    char *k;

    if (!value)
        return 0;
    m = realloc(doc->meta, (doc->nmeta + 1) * sizeof(*m));
    k = m ? strdup(key) : NULL;
    if (m)
        doc->meta = m;
    if (!k) {
        free(value);
        return OPINE_ENOMEM;
    }
    m[doc->nmeta].key = k;
    m[doc->nmeta].value = value;
    doc->nmeta++;
    return 0;
}

int opine__html_doc(const char *html, size_t len, const char *charset,
                    opine_doc *doc, char *detail, size_t detail_size)
{
    opine_html_page page = OPINE_HTML_PAGE_INIT;
    char iso[11];
    int rc;

    rc = opine_html_extract(html, len, charset, &page, detail, detail_size);
    if (rc != 0) {
        opine_html_page_release(&page);
        return rc;
    }
    doc->text = page.text;
    doc->text_len = page.text_len;
    doc->title = page.title;
    doc->author = page.author;
    doc->outlet = page.outlet;
    doc->url = page.url;
    page.text = page.title = page.author = page.outlet = page.url = NULL;
    if (page.published && opine_date_normalize(page.published, iso) == 0) {
        doc->published = strdup(iso);
        if (!doc->published)
            rc = OPINE_ENOMEM;
    }
    if (rc == 0 && page.published &&
        (!doc->published || strcmp(page.published, iso) != 0)) {
        rc = meta_take(doc, "date_raw", page.published);
        page.published = NULL;
    }
    if (rc == 0) {
        rc = meta_take(doc, "description", page.description);
        page.description = NULL;
    }
    if (rc == 0) {
        rc = meta_take(doc, "lang", page.lang);
        page.lang = NULL;
    }
    if (rc == 0 && page.charset && strcasecmp(page.charset, "UTF-8") != 0) {
        rc = meta_take(doc, "charset", page.charset);
        page.charset = NULL;
    }
    if (rc == 0 && page.repairs > 0) {
        char n[32], *v;
        snprintf(n, sizeof(n), "%zu", page.repairs);
        v = strdup(n);
        rc = v ? meta_take(doc, "invalid_bytes_replaced", v) : OPINE_ENOMEM;
    }
    opine_html_page_release(&page);
    if (rc != 0) {
        opine_doc_release(doc);
        snprintf(detail, detail_size, "out of memory");
        return rc;
    }
    return 1;
}
