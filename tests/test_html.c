/* tests/test_html.c — web pages: the article without the site's furniture,
 * metadata from the standard places, charsets, bad markup, the reader.
 *
 * Every page is a small one written here. Cases are numbered, one topic
 * each.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/error.h"
#include "corpus/html_extract.h"
#include "corpus/reader.h"

/* Three paragraphs of an op-ed, each long enough to read as prose. */
#define PARA1                                                                  \
    "The alliance between Seoul and Washington has kept the peace on the "     \
    "peninsula for seventy years, and it should not be traded for a "          \
    "quick deal on cost-sharing."
#define PARA2                                                                  \
    "Critics say the burden falls unfairly on American taxpayers. Yet the "    \
    "numbers tell another story: Korea pays for most of the bases it hosts."
#define PARA3                                                                  \
    "A wiser course would treat the alliance as an investment, not an "        \
    "expense, and widen it to climate, health and supply chains."

static opine_html_page page;
static char detail[256];

static int extract(const char *html)
{
    opine_html_page_release(&page);
    return opine_html_extract(html, strlen(html), NULL, &page, detail,
                              sizeof(detail));
}

static int teardown(void **state)
{
    (void)state;
    opine_html_page_release(&page);
    return 0;
}

static void assert_has(const char *text, const char *what)
{
    if (!text || !strstr(text, what))
        fail_msg("expected \"%s\" in \"%s\"", what, text ? text : "(null)");
}

static void assert_lacks(const char *text, const char *what)
{
    if (text && strstr(text, what))
        fail_msg("did not expect \"%s\" in \"%s\"", what, text);
}

/* html = head, then item (a format with one %d, the item's number)
 * count times, then tail. */
static void build_page(char *html, size_t size, const char *head,
                       const char *item, int count, const char *tail)
{
    size_t n = (size_t)snprintf(html, size, "%s", head);
    int i;

    for (i = 0; i < count && n < size; i++)
        n += (size_t)snprintf(html + n, size - n, item, i);
    assert_true(n < size);
    n += (size_t)snprintf(html + n, size - n, "%s", tail);
    assert_true(n < size);
}

/* A news page with every kind of furniture around the article. */
static const char furnished[] =
    "<!DOCTYPE html><html lang=\"en\"><head><title>Alliance | Daily</title>"
    "</head><body>"
    "<div class=\"cookie-banner\"><p>We use cookies to improve your "
    "experience on our site. By continuing you accept our policy.</p></div>"
    "<header><a href=\"/\">The Daily</a><nav><ul><li><a href=\"/w\">World"
    "</a></li><li><a href=\"/p\">Politics</a></li><li><a href=\"/o\">"
    "Opinion</a></li></ul></nav></header>"
    "<div class=\"layout\"><main><article>"
    "<h1>Keep the alliance</h1><div class=\"byline\">By Kim Lee</div>"
    "<div class=\"share-buttons\"><a href=\"#\">Share on Facebook</a> "
    "<a href=\"#\">Share on Twitter</a></div>"
    "<p>" PARA1 "</p>"
    "<div class=\"ad-slot\"><p>Advertisement</p></div>"
    "<p>" PARA2 "</p><p>" PARA3 "</p>"
    "<div class=\"related-articles\"><h3>Related</h3><ul>"
    "<li><a href=\"/a\">Why the summit failed and what comes next for the "
    "region</a></li><li><a href=\"/b\">Ten things to know about the bases "
    "in Korea this year</a></li></ul></div>"
    "</article>"
    "<section id=\"comments\"><h2>Comments</h2><div class=\"comment\"><p>"
    "I completely disagree with this article, the alliance costs far too "
    "much money and we should bring the troops home now.</p></div></section>"
    "</main><aside><p>Most read: a story about something else entirely, "
    "with enough words to look like a paragraph of prose.</p></aside></div>"
    "<footer><p>Copyright 2024 The Daily. All rights reserved. Terms of "
    "use and privacy policy apply to every page of this site.</p></footer>"
    "</body></html>";

static void test01_furniture_removed(void **state)
{
    (void)state;
    assert_int_equal(extract(furnished), 0);
    assert_has(page.text, PARA1);
    assert_has(page.text, PARA2);
    assert_has(page.text, PARA3);
    /* paragraphs separated by a blank line, in order */
    assert_has(page.text, PARA1 "\n\n" PARA2 "\n\n" PARA3);
    assert_lacks(page.text, "cookies");
    assert_lacks(page.text, "Politics");
    assert_lacks(page.text, "Share on");
    assert_lacks(page.text, "Advertisement");
    assert_lacks(page.text, "summit failed");
    assert_lacks(page.text, "disagree");
    assert_lacks(page.text, "Most read");
    assert_lacks(page.text, "Copyright");
    assert_lacks(page.text, "Kim Lee");
    assert_lacks(page.text, "Keep the alliance"); /* the title: metadata */
    assert_string_equal(page.title, "Alliance | Daily");
    assert_string_equal(page.lang, "en");
}

/* Metadata from <meta> tags: og: and article: win over <title>; a
 * template's placeholder date is no date. */
static void test02_meta_tags(void **state)
{
    (void)state;
    assert_int_equal(
        extract("<html><head><title>Alliance | Daily</title>"
                "<meta property=\"og:title\" content=\"Keep the alliance\">"
                "<meta property=\"og:site_name\" content=\"The Daily\">"
                "<meta property=\"article:published_time\" "
                "content=\"2024-03-05T08:00:00+09:00\">"
                "<meta itemprop=\"datePublished\" "
                "content=\"0001-01-01T00:00:00Z\">"
                "<meta property=\"article:author\" "
                "content=\"https://facebook.com/kimlee\">"
                "<meta name=\"author\" content=\"By Kim Lee\">"
                "<meta name=\"description\" content=\"Why it matters.\">"
                "<link rel=\"canonical\" href=\"https://daily.example/a\">"
                "</head><body><p>" PARA1 "</p></body></html>"),
        0);
    assert_string_equal(page.title, "Keep the alliance");
    assert_string_equal(page.outlet, "The Daily");
    assert_string_equal(page.published, "2024-03-05T08:00:00+09:00");
    /* a profile URL is no author's name; "By " is dropped */
    assert_string_equal(page.author, "Kim Lee");
    assert_string_equal(page.description, "Why it matters.");
    assert_string_equal(page.url, "https://daily.example/a");
    assert_string_equal(page.text, PARA1);
}

/* JSON-LD: a NewsArticle in a @graph, authors as an array of objects and
 * strings, publisher.name; it wins over the meta tags for author, date and
 * outlet. */
static void test03_json_ld(void **state)
{
    (void)state;
    assert_int_equal(
        extract("<html><head>"
                "<meta property=\"og:site_name\" content=\"daily.example\">"
                "<meta name=\"author\" content=\"Staff\">"
                "<script type=\"application/ld+json\">{\"@context\":"
                "\"https://schema.org\",\"@graph\":[{\"@type\":\"WebSite\","
                "\"name\":\"Site\"},{\"@type\":[\"NewsArticle\"],"
                "\"headline\":\"Keep the alliance\",\"datePublished\":"
                "\"2024-03-05\",\"author\":[{\"@type\":\"Person\",\"name\":"
                "\"Kim Lee\"},\"Park Min\"],\"publisher\":{\"@type\":"
                "\"Organization\",\"name\":\"The Daily\"},\"url\":"
                "\"https://daily.example/a\"}]}</script>"
                "<script type=\"application/ld+json\">{not json</script>"
                "</head><body><p>" PARA1 "</p></body></html>"),
        0);
    assert_string_equal(page.title, "Keep the alliance");
    assert_string_equal(page.author, "Kim Lee; Park Min");
    assert_string_equal(page.outlet, "The Daily");
    assert_string_equal(page.published, "2024-03-05");
    assert_string_equal(page.url, "https://daily.example/a");

    /* an author object on its own; a template's placeholder date gives
     * way to the meta tag's */
    assert_int_equal(
        extract("<html><head><meta property=\"article:published_time\" "
                "content=\"2024-03-06\"><script type=\"application/ld+json\">"
                "{\"@type\":\"OpinionNewsArticle\",\"author\":{\"name\":"
                "\"Kim Lee\"},\"datePublished\":\"0001-01-01T00:00:00Z\"}"
                "</script></head><body><p>" PARA2 "</p></body></html>"),
        0);
    assert_string_equal(page.author, "Kim Lee");
    assert_string_equal(page.published, "2024-03-06");
}

static void test04_no_body(void **state)
{
    (void)state;
    assert_int_equal(extract("<html><head><title>Only a head</title>"
                             "</head></html>"),
                     OPINE_EEMPTY);
    assert_has(detail, "no <body>");
    /* the metadata found is still there */
    assert_string_equal(page.title, "Only a head");

    /* a body of nothing but furniture */
    assert_int_equal(extract("<html><body><nav><a href=\"/\">Home</a></nav>"
                             "</body></html>"),
                     OPINE_EEMPTY);
    assert_has(detail, "no article text");
}

/* Broken markup never crashes: unclosed and misnested tags are recovered
 * from, and random bytes are survived. */
static void test05_malformed(void **state)
{
    static const char *const broken[] = {
        "<html><body><div><p>" PARA1 "<div><p>" PARA2,
        "<html><body><p>" PARA1 "</b></i></div></span><p>" PARA2
        "</td></tr></table>",
        "<html><body><table><tr><td><p>" PARA1 "</table></p></td>",
        "<!doctype html><html><body><p>" PARA1 "<script>if (a < b) {",
        "<!doctype html><html><body><p class=\"x y\" id=>" PARA1
        "<p <p <<<>>> &bogus; &#xD800; &#99999999;</p>",
        "<html><body><p>" PARA1 "\0 after a NUL</p></body></html>",
        "<html",
        "<",
        "",
    };
    char buf[4096];
    uint32_t seed = 12345;
    size_t i, k;
    int rc;

    (void)state;
    for (i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
        opine_html_page_release(&page);
        rc = opine_html_extract(broken[i], strlen(broken[i]), NULL, &page,
                                detail, sizeof(detail));
        assert_true(rc == 0 || rc == OPINE_EEMPTY);
        if (i < 5) {
            assert_int_equal(rc, 0);
            assert_has(page.text, PARA1);
        }
    }
    /* a NUL byte inside the page: replaced, counted, the text kept */
    {
        static const char nul[] =
            "<html><body><p>" PARA1 "\0 and " PARA2 "</p></body></html>";
        opine_html_page_release(&page);
        assert_int_equal(opine_html_extract(nul, sizeof(nul) - 1, NULL, &page,
                                            detail, sizeof(detail)),
                         0);
        assert_int_equal(page.repairs, 1);
        assert_has(page.text, PARA2);
    }
    /* deep nesting (unclosed tags on old pages): past libxml2's default
     * limit of 256 levels, the text is still there */
    {
        size_t n = 0;
        for (k = 0; k < 600; k++)
            n += (size_t)snprintf(buf + n, sizeof(buf) - n, "<div>");
        snprintf(buf + n, sizeof(buf) - n, "<p>%s</p>", PARA1);
        opine_html_page_release(&page);
        rc = opine_html_extract(buf, strlen(buf), NULL, &page, detail,
                                sizeof(detail));
        assert_int_equal(rc, 0);
        assert_string_equal(page.text, PARA1);
    }
    /* pages of random bytes, and the furnished page with bytes flipped */
    for (i = 0; i < 300; i++) {
        size_t n = sizeof(furnished) - 1;

        memcpy(buf, furnished, n);
        for (k = 0; k < 1 + i % 40; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % n] = (char)(seed >> 24);
        }
        if (i % 3 == 0)
            for (k = 0; k < n; k++) {
                seed = seed * 1103515245u + 12345u;
                buf[k] = (char)(seed >> 24);
            }
        opine_html_page_release(&page);
        rc = opine_html_extract(buf, n, NULL, &page, detail, sizeof(detail));
        assert_true(rc == 0 || rc == OPINE_EEMPTY);
        if (rc == 0)
            assert_int_equal(strlen(page.text), page.text_len);
    }
}

/* Charsets: a declared legacy charset, an undeclared one, a page that
 * declares one charset but is valid UTF-8, invalid bytes in UTF-8. */
static void test06_charsets(void **state)
{
    /* "café" in Windows-1252; 0x93/0x94 are curly quotes there */
    static const char w1252[] =
        "<html><head><meta charset=\"iso-8859-1\"></head><body><p>The "
        "caf\xe9 owners said \x93no\x94 to the plan, and the city council "
        "will vote on it again next week.</p></body></html>";
    static const char undeclared[] =
        "<html><body><p>The caf\xe9 owners said no to the plan, and the "
        "city council will vote on it again next week.</p></body></html>";
    static const char mislabelled[] =
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; "
        "charset=windows-1252\"></head><body><p>The caf\xc3\xa9 owners "
        "said no to the plan, and the city council will vote on it again "
        "next week.</p></body></html>";
    static const char bad_utf8[] =
        "<html><head><meta charset=\"utf-8\"></head><body><p>The caf\xc3 "
        "owners said no to the plan, and the city council will vote on it "
        "again next week.</p></body></html>";

    (void)state;
    assert_int_equal(extract(w1252), 0);
    assert_has(page.text,
               "The caf\xc3\xa9 owners said \xe2\x80\x9cno\xe2\x80\x9d");
    assert_string_equal(page.charset, "iso-8859-1");
    assert_int_equal(page.repairs, 0);

    assert_int_equal(extract(undeclared), 0);
    assert_has(page.text, "The caf\xc3\xa9 owners");
    assert_string_equal(page.charset, "WINDOWS-1252");

    assert_int_equal(extract(mislabelled), 0);
    assert_has(page.text, "The caf\xc3\xa9 owners");
    assert_string_equal(page.charset, "UTF-8");

    assert_int_equal(extract(bad_utf8), 0);
    assert_has(page.text, "The caf\xef\xbf\xbd owners");
    assert_int_equal(page.repairs, 1);

    /* the caller's charset wins over the page's declaration */
    opine_html_page_release(&page);
    assert_int_equal(opine_html_extract(undeclared, strlen(undeclared),
                                        "ISO-8859-15", &page, detail,
                                        sizeof(detail)),
                     0);
    assert_string_equal(page.charset, "ISO-8859-15");
    assert_has(page.text, "The caf\xc3\xa9 owners");
    opine_html_page_release(&page);
    assert_int_equal(opine_html_extract(undeclared, strlen(undeclared),
                                        "no-such-charset", &page, detail,
                                        sizeof(detail)),
                     OPINE_EUSAGE);
}

static void test07_sniff(void **state)
{
    static const char *const yes[] = {
        "<!DOCTYPE html><html>",
        "  \n<html lang=en>",
        "<HTML>",
        "\xef\xbb\xbf<!doctype html>",
        "<!-- a comment --><html>",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE html PUBLIC>",
        "<head><title>",
        "<body><p>x"};
    static const char *const no[] = {
        "{\"id\": 1}",   "plain text with <html> later",
        "<p>a fragment", "<!-- unterminated comment",
        "<xml>",         ""};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(yes) / sizeof(*yes); i++)
        if (!opine_html_sniff(yes[i], strlen(yes[i])))
            fail_msg("not taken for HTML: %s", yes[i]);
    for (i = 0; i < sizeof(no) / sizeof(*no); i++)
        if (opine_html_sniff(no[i], strlen(no[i])))
            fail_msg("taken for HTML: %s", no[i]);
}

/* A comment thread longer than the article is not taken for it; names
 * of furniture on a wrapper of the whole page do not hide the article. */
static void test08_comments_and_wrappers(void **state)
{
    char html[8192];

    (void)state;
    build_page(html, sizeof(html),
               "<html><body><div class=\"page has-sidebar comments-open\">"
               "<div class=\"story\"><p>" PARA1 "</p><p>" PARA2 "</p></div>"
               "<ol class=\"commentlist\">",
               "<li class=\"comment\"><p>Reader %d wrote: I do not agree with "
               "any of this, and I have said so on this site for many "
               "years.</p></li>",
               8, "</ol></div></body></html>");
    assert_int_equal(extract(html), 0);
    assert_string_equal(page.text, PARA1 "\n\n" PARA2);

    /* a page that wraps its article in <header>: a misused layout tag */
    assert_int_equal(extract("<html><body><header><div><p>" PARA1
                             "</p><p>" PARA2
                             "</p></div></header><footer><p>Copyright 2024 "
                             "The Daily, all rights reserved.</p></footer>"
                             "</body></html>"),
                     0);
    assert_string_equal(page.text, PARA1 "\n\n" PARA2);
}

/* Inside the article: a table, a list, subheadings, quotes, line breaks
 * are kept; a link list and a caption are not. */
static void test09_article_structure(void **state)
{
    (void)state;
    assert_int_equal(
        extract("<html><body><div id=\"story-body\"><p>" PARA1 "</p>"
                "<h2>The costs</h2><p>" PARA2 "</p>"
                "<table><tr><th>Year</th><th>Share</th></tr>"
                "<tr><td>2019</td><td>1.0 trillion won</td></tr></table>"
                "<ul><li>Bases</li><li>Training</li></ul>"
                "<blockquote><p>We go together, said the general at the "
                "ceremony in Seoul last spring.</p></blockquote>"
                "<figure><img src=\"a.jpg\"><figcaption>Troops at a base "
                "near Seoul. Photo: the agency</figcaption></figure>"
                "<p>" PARA3 "<br>Kim Lee<br><br>Seoul</p>"
                "<ul class=\"links\"><li><a href=\"/1\">More on the "
                "alliance and its history</a></li><li><a href=\"/2\">Other "
                "opinion pieces from this week</a></li></ul>"
                "</div></body></html>"),
        0);
    assert_has(page.text, PARA1 "\n\nThe costs\n\n" PARA2);
    assert_has(page.text, "2019");
    assert_has(page.text, "1.0 trillion won");
    assert_has(page.text, "Training");
    assert_has(page.text, "We go together");
    assert_has(page.text, PARA3 "\nKim Lee");
    assert_lacks(page.text, "Troops at a base");
    assert_lacks(page.text, "opinion pieces");
}

/* Hidden elements, scripts and styles have no text. */
static void test10_hidden(void **state)
{
    (void)state;
    assert_int_equal(
        extract("<html><head><style>p { color: red }</style></head><body>"
                "<div style=\"display: none\"><p>A hidden paragraph that "
                "nobody sees, long enough to count as prose.</p></div>"
                "<div hidden><p>Another hidden one that is long enough to "
                "count as prose, in theory.</p></div>"
                "<p>" PARA1 "<script>var x = 'script text';</script></p>"
                "<noscript><p>Please enable JavaScript to view this page "
                "and its comments properly.</p></noscript>"
                "</body></html>"),
        0);
    assert_string_equal(page.text, PARA1);
}

/* An article cut in two by a box of links longer than either half: both
 * halves are the article, the box is not. */
static void test12_split_article(void **state)
{
    char html[8192];

    (void)state;
    build_page(html, sizeof(html),
               "<html><body><div class=\"story\"><div><p>" PARA1 "</p><p>" PARA2
               "</p></div><ul>",
               "<li><a href=\"/%d\">Another story about the alliance, one "
               "in a long list</a></li>",
               12,
               "</ul><div><p>" PARA3 "</p><p>" PARA1 "</p></div></div>"
               "</body></html>");
    assert_int_equal(extract(html), 0);
    assert_string_equal(page.text,
                        PARA1 "\n\n" PARA2 "\n\n" PARA3 "\n\n" PARA1);
}

/* ---- the reader ----------------------------------------------------- */

static char tmpdir[256];

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* An .html and an .html.gz file, each one document with the page's
 * metadata; a page without a body is rejected with its name, and the page
 * after it is still read. */
static void test11_reader(void **state)
{
    char a[600], b[600], c[600], dir[512];
    const char *paths[1];
    opine_reader *r;
    opine_doc d = OPINE_DOC_INIT;
    gzFile gz;
    FILE *f;
    size_t i;
    int seen_date_raw = 0;

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/opine-html.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(dir, sizeof(dir), "%s/pages", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(a, sizeof(a), "%s/a.html", dir);
    snprintf(b, sizeof(b), "%s/b.html", dir);
    snprintf(c, sizeof(c), "%s/c.html.gz", dir);
    f = fopen(a, "w");
    assert_non_null(f);
    fputs(furnished, f);
    fclose(f);
    f = fopen(b, "w");
    assert_non_null(f);
    fputs("<html><head><title>Empty</title></head></html>", f);
    fclose(f);
    gz = gzopen(c, "wb");
    assert_non_null(gz);
    gzputs(gz, "<!doctype html><html><head><meta property=\"og:title\" "
               "content=\"Second\"><meta property=\"article:published_time\" "
               "content=\"2024-03-05T08:00:00Z\"></head><body><p>" PARA3
               "</p></body></html>");
    gzclose(gz);

    paths[0] = dir;
    assert_int_equal(opine_reader_open(&r, paths, 1, NULL), 0);
    assert_int_equal(opine_reader_next(r, &d), 1);
    assert_string_equal(d.source, a);
    assert_string_equal(d.ext_id, a);
    assert_string_equal(d.title, "Alliance | Daily");
    assert_has(d.text, PARA1 "\n\n" PARA2);
    assert_lacks(d.text, "cookies");
    opine_doc_release(&d);
    assert_int_equal(opine_reader_next(r, &d), OPINE_EEMPTY);
    assert_has(opine_reader_error(r), "b.html: no <body>");
    assert_int_equal(opine_reader_next(r, &d), 1);
    assert_string_equal(d.title, "Second");
    assert_string_equal(d.published, "2024-03-05");
    assert_string_equal(d.text, PARA3);
    for (i = 0; i < d.nmeta; i++)
        if (strcmp(d.meta[i].key, "date_raw") == 0) {
            assert_string_equal(d.meta[i].value, "2024-03-05T08:00:00Z");
            seen_date_raw = 1;
        }
    assert_true(seen_date_raw);
    opine_doc_release(&d);
    assert_int_equal(opine_reader_next(r, &d), 0);
    opine_reader_free(r);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test01_furniture_removed, teardown),
        cmocka_unit_test_teardown(test02_meta_tags, teardown),
        cmocka_unit_test_teardown(test03_json_ld, teardown),
        cmocka_unit_test_teardown(test04_no_body, teardown),
        cmocka_unit_test_teardown(test05_malformed, teardown),
        cmocka_unit_test_teardown(test06_charsets, teardown),
        cmocka_unit_test_teardown(test07_sniff, teardown),
        cmocka_unit_test_teardown(test08_comments_and_wrappers, teardown),
        cmocka_unit_test_teardown(test09_article_structure, teardown),
        cmocka_unit_test_teardown(test10_hidden, teardown),
        cmocka_unit_test_teardown(test11_reader, teardown),
        cmocka_unit_test_teardown(test12_split_article, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
