/* tests/fuzz/fuzz_html.c — the HTML extractor (corpus/html_extract.c,
 * html_meta.c, html_charset.c over libxml2's HTML parser; what opine
 * extract and the reader's web pages use) on any bytes. The first input
 * byte chooses the charset the caller names (none, a few iconv knows, one
 * it does not); the rest is the page. The promises: no refusal but "no
 * body"/"no article text" (EEMPTY), unparsable (EFORMAT) or an unknown
 * charset (EUSAGE, only for one), with a detail in valid text; an
 * article is non-blank valid UTF-8 without NUL, text_len long; every
 * field is valid UTF-8; the same page gives the same result again; and
 * the reader's document of it (opine__html_doc) keeps reader.h's promises
 * (doc_check.h) with the same text. */
#include "doc_check.h"
#include "fuzz.h"

#include <string.h>

#include "base/error.h"
#include "corpus/html_extract.h"

static void check_str(const char *s)
{
    if (s)
        FUZZ_CHECK(fuzz_utf8_valid(s, strlen(s)));
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const charsets[] = {
        NULL,           NULL,    NULL,        NULL,
        "windows-1252", "UTF-8", "Shift_JIS", "no-such-charset"};
    if (size == 0)
        return 0;
    const char *cs = charsets[data[0] & 7];
    const char *html = (const char *)data + 1;
    size--;

    opine_html_page p = OPINE_HTML_PAGE_INIT, q = OPINE_HTML_PAGE_INIT;
    char detail[256] = "", detail2[256] = "";
    int rc = opine_html_extract(html, size, cs, &p, detail, sizeof(detail));
    FUZZ_CHECK(rc == 0 || rc == OPINE_EEMPTY || rc == OPINE_EFORMAT ||
               rc == OPINE_EUSAGE);
    /* (an unknown charset may go unused: a page that is valid UTF-8 with
     * non-ASCII text is read as UTF-8 whatever anyone declares) */
    if (rc == OPINE_EUSAGE)
        FUZZ_CHECK(cs && strcmp(cs, "no-such-charset") == 0);
    if (rc != 0)
        FUZZ_CHECK(detail[0] != '\0' &&
                   fuzz_utf8_valid(detail, strlen(detail)));
    if (rc == 0) {
        FUZZ_CHECK(p.text != NULL && strlen(p.text) == p.text_len);
        FUZZ_CHECK(fuzz_utf8_valid(p.text, p.text_len));
        FUZZ_CHECK(strspn(p.text, " \t\r\n\f\v") < p.text_len);
    }
    check_str(p.title);
    check_str(p.author);
    check_str(p.outlet);
    check_str(p.published);
    check_str(p.url);
    check_str(p.description);
    check_str(p.lang);
    check_str(p.charset);

    int rc2 = opine_html_extract(html, size, cs, &q, detail2, sizeof(detail2));
    FUZZ_CHECK(rc2 == rc && strcmp(detail, detail2) == 0);
    FUZZ_CHECK(same(p.text, q.text) && same(p.title, q.title) &&
               same(p.author, q.author) && same(p.outlet, q.outlet) &&
               same(p.published, q.published) && same(p.url, q.url) &&
               same(p.description, q.description) && same(p.lang, q.lang) &&
               same(p.charset, q.charset) && p.repairs == q.repairs);
    opine_html_page_release(&q);

    opine_doc doc = OPINE_DOC_INIT;
    int drc = opine__html_doc(html, size, cs, &doc, detail2, sizeof(detail2));
    FUZZ_CHECK(drc == (rc == 0 ? 1 : rc));
    if (drc == 1) {
        fuzz_check_doc(&doc);
        FUZZ_CHECK(doc.text_len == p.text_len &&
                   memcmp(doc.text, p.text, p.text_len) == 0);
    } else {
        FUZZ_CHECK(doc.text == NULL && doc.nmeta == 0);
    }
    opine_doc_release(&doc);
    opine_html_page_release(&p);
    (void)opine_html_sniff(html, size);
    return 0;
}
