/* tests/test_corpus.c — the corpus reader: formats, field mapping, errors.
 *
 * Every fixture is written by the test into a fresh mkdtemp() directory
 * (gzip ones with zlib's gzopen/gzwrite) and removed afterwards. Cases are
 * numbered, one topic each.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "corpus/reader.h"
#include "base/error.h"

static char tmpdir[256];

/* ---- fixtures ------------------------------------------------------- */

static char *fixture_path(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *p = buf[slot++ % 8];

    snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
    return p;
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *path = fixture_path(name);
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    if (n > 0)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char *write_str(const char *name, const char *s)
{
    return write_file(name, s, strlen(s));
}

/* Write s as one gzip member; mode "wb" starts the file, "ab" appends a
 * further member. */
static const char *write_gz(const char *name, const char *s, const char *mode)
{
    const char *path = fixture_path(name);
    gzFile gz = gzopen(path, mode);

    assert_non_null(gz);
    if (*s)
        assert_int_equal(gzwrite(gz, s, (unsigned)strlen(s)), (int)strlen(s));
    assert_int_equal(gzclose(gz), Z_OK);
    return path;
}

static long file_size(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

static void make_dir(const char *name)
{
    assert_int_equal(mkdir(fixture_path(name), 0700), 0);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/opine-corpus-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- helpers -------------------------------------------------------- */

static opine_reader *open1(const char *path, const opine_reader_opts *opts)
{
    opine_reader *r = NULL;
    const char *paths[1] = {path};

    assert_int_equal(opine_reader_open(&r, paths, 1, opts), 0);
    return r;
}

/* Expect a document whose text is text. */
static void expect_doc(opine_reader *r, opine_doc *doc, const char *text)
{
    int rc = opine_reader_next(r, doc);

    if (rc != 1)
        fail_msg("expected a document, got %d: %s", rc, opine_reader_error(r));
    assert_string_equal(doc->text, text);
    assert_int_equal(doc->text_len, strlen(text));
}

/* Expect error rc whose message contains part. */
static void expect_err(opine_reader *r, int rc, const char *part)
{
    opine_doc doc = OPINE_DOC_INIT;
    int got = opine_reader_next(r, &doc);

    if (got != rc)
        fail_msg("expected %d, got %d (%s)", rc, got,
                 got < 0 ? opine_reader_error(r) : doc.text);
    if (!strstr(opine_reader_error(r), part))
        fail_msg("message '%s' lacks '%s'", opine_reader_error(r), part);
    assert_null(doc.text);
}

static void expect_end(opine_reader *r)
{
    opine_doc doc = OPINE_DOC_INIT;

    assert_int_equal(opine_reader_next(r, &doc), 0);
}

static const char *meta_get(const opine_doc *doc, const char *key)
{
    size_t i;

    for (i = 0; i < doc->nmeta; i++)
        if (strcmp(doc->meta[i].key, key) == 0)
            return doc->meta[i].value;
    return NULL;
}

static const char jsonl3[] = "{\"id\":\"a\",\"text\":\"first\"}\n"
                             "{\"id\":\"b\",\"text\":\"second\"}\n"
                             "{\"id\":\"c\",\"text\":\"third\"}\n";

/* ---- cases ---------------------------------------------------------- */

/* 01: plain JSON lines, one document per line with its line number. */
static void test01_plain_jsonl(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    const char *path = write_str("t01.jsonl", jsonl3);
    opine_reader *r = open1(path, NULL);
    (void)state;

    expect_doc(r, &doc, "first");
    assert_string_equal(doc.ext_id, "a");
    assert_string_equal(doc.source, path);
    assert_int_equal(doc.position, 1);
    opine_doc_release(&doc);
    expect_doc(r, &doc, "second");
    assert_int_equal(doc.position, 2);
    opine_doc_release(&doc);
    expect_doc(r, &doc, "third");
    assert_int_equal(doc.position, 3);
    opine_doc_release(&doc);
    expect_end(r);
    expect_end(r);
    opine_reader_free(r);
}

/* 02: gzip of JSON lines is inflated and detected again. */
static void test02_gzip_jsonl(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    const char *path = write_gz("t02.data", jsonl3, "wb");
    opine_reader *r = open1(path, NULL);
    (void)state;

    expect_doc(r, &doc, "first");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "second");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "third");
    assert_int_equal(doc.position, 3);
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* 03: two gzip members back to back read as one stream; the line numbers
 * run on across the member boundary. */
static void test03_multi_member_gzip(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    const char *path;
    opine_reader *r;
    (void)state;

    write_gz("t03.jsonl.gz", "{\"text\":\"one\"}\n{\"text\":\"two\"}\n", "wb");
    path = write_gz("t03.jsonl.gz", "{\"text\":\"three\"}\n", "ab");
    r = open1(path, NULL);
    expect_doc(r, &doc, "one");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "two");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "three");
    assert_int_equal(doc.position, 3);
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* 04: gzip of plain text is one document named by its path. */
static void test04_gzip_text(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    const char *path =
        write_gz("t04.txt.gz", "Hello, world.\nSecond line.\n", "wb");
    opine_reader *r = open1(path, NULL);
    (void)state;

    expect_doc(r, &doc, "Hello, world.\nSecond line.\n");
    assert_string_equal(doc.ext_id, path);
    assert_string_equal(doc.source, path);
    assert_null(doc.title);
    assert_int_equal(doc.position, 0);
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* 05: a directory is walked recursively in byte order; dot-names are
 * skipped. */
static void test05_directory(void **state)
{
    static const char *const order[] = {"B", "a", "b1", "b2", "c"};
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    size_t i;
    (void)state;

    make_dir("t05");
    make_dir("t05/b");
    make_dir("t05/b/deeper");
    make_dir("t05/.hidden");
    write_str("t05/c.txt", "c");
    write_str("t05/a.txt", "a");
    write_str("t05/B.txt", "B");
    write_str("t05/b/e.txt", "b2");
    write_str("t05/b/deeper/1.txt", "b1"); /* "deeper" < "e.txt" */
    write_str("t05/.dot.txt", "hidden");
    write_str("t05/.hidden/x.txt", "hidden");
    /* A symlink back up the tree must not send the walk round forever. */
    assert_int_equal(symlink("..", fixture_path("t05/b/loop")), 0);

    r = open1(fixture_path("t05"), NULL);
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        expect_doc(r, &doc, order[i]);
        opine_doc_release(&doc);
    }
    expect_end(r);
    opine_reader_free(r);

    /* With a trailing slash the paths do not double it. */
    r = open1(fixture_path("t05/b/"), NULL);
    expect_doc(r, &doc, "b1");
    assert_string_equal(doc.ext_id, fixture_path("t05/b/deeper/1.txt"));
    opine_doc_release(&doc);
    opine_reader_free(r);
}

/* 06: "-" reads standard input, here a pipe holding gzip'd JSON lines. */
static void test06_stdin(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    unsigned char gz[512];
    uLongf gzlen = sizeof(gz);
    int fds[2], saved;
    opine_reader *r;
    FILE *f;
    (void)state;

    /* Make the gzip bytes with gzopen, then feed them through a pipe so
     * that the reader cannot seek. */
    f = fopen(write_gz("t06.gz", jsonl3, "wb"), "rb");
    assert_non_null(f);
    gzlen = fread(gz, 1, sizeof(gz), f);
    fclose(f);
    assert_true(gzlen > 0 && gzlen < sizeof(gz));

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], gz, gzlen), (ssize_t)gzlen);
    close(fds[1]);
    saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fds[0], 0), 0);
    close(fds[0]);

    r = open1("-", NULL);
    expect_doc(r, &doc, "first");
    assert_string_equal(doc.source, "-");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "second");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "third");
    opine_doc_release(&doc);
    expect_end(r);
    assert_int_equal(opine_reader_bytes_read(r), gzlen);
    assert_int_equal(opine_reader_bytes_total(r), 0);
    opine_reader_free(r);

    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
}

/* 07: --text-field, --id-field and --meta override the defaults. */
static void test07_field_options(void **state)
{
    static const opine_meta_map maps[] = {{"section", "topic"},
                                          {"head", "headline"}};
    opine_reader_opts opts = {0};
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    opts.text_field = "article";
    opts.id_field = "uid";
    opts.meta = maps;
    opts.nmeta = 2;
    r = open1(write_str("t07.jsonl",
                        "{\"uid\":17,\"id\":\"old\",\"article\":\"body text\","
                        "\"text\":\"not this\",\"topic\":\"politics\","
                        "\"headline\":\"H\",\"title\":\"T\"}\n"
                        "{\"text\":\"no article here\"}\n"),
              &opts);
    expect_doc(r, &doc, "body text");
    assert_string_equal(doc.ext_id, "17");
    assert_string_equal(doc.title, "T");
    /* "id" and "text" are no longer the mapped fields: plain meta now. */
    assert_string_equal(meta_get(&doc, "id"), "old");
    assert_string_equal(meta_get(&doc, "text"), "not this");
    assert_string_equal(meta_get(&doc, "section"), "politics");
    assert_string_equal(meta_get(&doc, "head"), "H");
    assert_null(meta_get(&doc, "topic"));
    opine_doc_release(&doc);
    expect_err(r, OPINE_EFORMAT,
               "line 2: no text field 'article' "
               "(use --text-field)");
    expect_end(r);
    opine_reader_free(r);
}

/* 08: the default mapping of a typical scraped record. */
static void test08_default_mapping(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    r = open1(
        write_str("t08.jsonl",
                  "{\"id\":\"x1\",\"title\":\"A title\",\"outlet\":\"Daily\","
                  "\"source_url\":\"http://d.example/\",\"date\":\"Sept. 20, "
                  "2016\",\"authors\":[\"Ann Lee\",\"Bo Chan\"],\"topic\":"
                  "\"economy\",\"url\":\"http://d.example/a\",\"text\":"
                  "\"Some words.\",\"score\":0.1,\"rank\":3,\"paid\":false,"
                  "\"tags\":[\"x\"],\"extra\":{\"k\":1},\"none\":null}\n"
                  "{\"body\":\"B\",\"headline\":\"HL\",\"author\":\"Solo\","
                  "\"source\":\"Wire\",\"published\":\"2016-09-20\","
                  "\"link\":\"L\",\"id\":5}\n"
                  "{\"text\":\"t\",\"date\":\"yesterday\",\"byline\":"
                  "[{\"name\":\"N1\"},{\"name\":\"N2\"}]}\n"),
        NULL);
    expect_doc(r, &doc, "Some words.");
    assert_string_equal(doc.ext_id, "x1");
    assert_string_equal(doc.title, "A title");
    assert_string_equal(doc.outlet, "Daily");
    assert_string_equal(doc.author, "Ann Lee; Bo Chan");
    assert_string_equal(doc.published, "2016-09-20");
    assert_string_equal(doc.url, "http://d.example/a");
    assert_int_equal(doc.nmeta, 6);
    /* Meta in field order, date_raw at the date's place. */
    assert_string_equal(doc.meta[0].key, "source_url");
    assert_string_equal(doc.meta[0].value, "http://d.example/");
    assert_string_equal(doc.meta[1].key, "date_raw");
    assert_string_equal(doc.meta[1].value, "Sept. 20, 2016");
    assert_string_equal(doc.meta[2].key, "topic");
    assert_string_equal(doc.meta[2].value, "economy");
    assert_string_equal(meta_get(&doc, "score"), "0.1");
    assert_string_equal(meta_get(&doc, "rank"), "3");
    assert_string_equal(meta_get(&doc, "paid"), "false");
    assert_null(meta_get(&doc, "tags"));
    assert_null(meta_get(&doc, "extra"));
    assert_null(meta_get(&doc, "none"));
    opine_doc_release(&doc);

    expect_doc(r, &doc, "B");
    assert_string_equal(doc.title, "HL");
    assert_string_equal(doc.author, "Solo");
    assert_string_equal(doc.outlet, "Wire");
    assert_string_equal(doc.published, "2016-09-20");
    assert_string_equal(doc.url, "L");
    assert_string_equal(doc.ext_id, "5");
    assert_int_equal(doc.nmeta, 0); /* ISO already: no date_raw */
    opine_doc_release(&doc);

    expect_doc(r, &doc, "t");
    assert_null(doc.published);
    assert_string_equal(meta_get(&doc, "date_raw"), "yesterday");
    assert_string_equal(doc.author, "N1; N2");
    assert_null(doc.ext_id);
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* 09: a malformed line in the middle is reported with its line number and
 * the lines around it are kept. */
static void test09_malformed_json(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    r = open1(write_gz("t09.jsonl.gz",
                       "{\"text\":\"1\"}\n{\"text\":\"2\"}\n\n"
                       "{\"text\":\"3\"}\n{\"text\":\"4\"}\n{\"text\":\"5\"}\n"
                       "{\"text\":\"6\"}\n{\"text\": \"7\",,}\n"
                       "{\"text\":\"8\"}\n[1,2]\n",
                       "wb"),
              NULL);
    for (int i = 1; i <= 6; i++) {
        char want[2] = {(char)('0' + i), 0};
        expect_doc(r, &doc, want);
        opine_doc_release(&doc);
    }
    expect_err(r, OPINE_EFORMAT, "t09.jsonl.gz: line 8: malformed JSON: ");
    assert_int_equal(opine_reader_error_position(r), 8);
    assert_non_null(strstr(opine_reader_error_source(r), "t09.jsonl.gz"));
    expect_doc(r, &doc, "8");
    assert_int_equal(doc.position, 9);
    opine_doc_release(&doc);
    expect_err(r, OPINE_EFORMAT, "line 10: not a JSON object");
    expect_end(r);
    opine_reader_free(r);
}

/* Build a gzip file of n numbered JSON lines, padded so that the
 * compressed stream is long enough to cut. */
static const char *write_numbered_gz(const char *name, int n)
{
    char *buf = malloc((size_t)n * 128);
    size_t len = 0;
    const char *path;
    int i;

    assert_non_null(buf);
    for (i = 1; i <= n; i++)
        len += (size_t)sprintf(buf + len,
                               "{\"id\":%d,\"text\":\"line %d %08x\"}\n", i, i,
                               (unsigned)(i * 2654435761u));
    path = write_gz(name, buf, "wb");
    free(buf);
    return path;
}

/* 10: a gzip file cut short: the complete documents before the cut come
 * out, then ECORRUPT naming the file and the cut line, then the next
 * input. */
static void test10_truncated_gzip(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    const char *paths[2];
    opine_reader *r = NULL;
    const char *path = write_numbered_gz("t10.jsonl.gz", 2000);
    long size = file_size(path);
    int rc, docs = 0;
    uint64_t last = 0;
    (void)state;

    assert_int_equal(truncate(path, size / 2), 0);
    paths[0] = path;
    paths[1] = write_str("t10.txt", "after");
    assert_int_equal(opine_reader_open(&r, paths, 2, NULL), 0);
    while ((rc = opine_reader_next(r, &doc)) == 1) {
        docs++;
        assert_int_equal(doc.position, (uint64_t)docs);
        last = doc.position;
        opine_doc_release(&doc);
    }
    assert_true(docs > 100 && docs < 2000);
    assert_int_equal(rc, OPINE_ECORRUPT);
    assert_non_null(strstr(opine_reader_error(r), "t10.jsonl.gz: line "));
    assert_non_null(strstr(opine_reader_error(r),
                           "truncated gzip stream; the rest of the file is "
                           "lost"));
    assert_int_equal(opine_reader_error_position(r), last + 1);
    expect_doc(r, &doc, "after");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* XOR the byte of path at offset with mask (twice restores it). */
static void flip_byte(const char *path, long offset, unsigned char mask)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, offset, SEEK_SET);
    int b = fgetc(f);
    assert_true(b != EOF);
    fseek(f, offset, SEEK_SET);
    fputc((unsigned char)b ^ mask, f);
    fclose(f);
}

/* Every line of path is read, then the reader ends with ECORRUPT and a
 * message holding what. */
static void expect_corrupt_gz(const char *path, const char *what)
{
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r = open1(path, NULL);
    int rc;
    while ((rc = opine_reader_next(r, &doc)) == 1)
        opine_doc_release(&doc);
    assert_int_equal(rc, OPINE_ECORRUPT);
    assert_non_null(strstr(opine_reader_error(r), what));
    expect_end(r);
    opine_reader_free(r);
}

/* 11: damaged deflate data (and a bad CRC) are ECORRUPT too. */
static void test11_corrupt_gzip(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    const char *path = write_numbered_gz("t11.jsonl.gz", 500);
    long size = file_size(path);
    opine_reader *r;
    FILE *f;
    (void)state;

    /* Flip the stored CRC: every line inflates, the trailer is wrong. */
    flip_byte(path, size - 8, 0xff);
    expect_corrupt_gz(path, "corrupt gzip stream");
    /* Restore the CRC and flip the stored length (ISIZE) instead: the
     * inflater checks both halves of the trailer. */
    flip_byte(path, size - 8, 0xff);
    flip_byte(path, size - 1, 0x01);
    expect_corrupt_gz(path, "incorrect data check");

    /* A truncated gzip of plain text: the one document is lost. */
    {
        char text[20000];
        memset(text, 'a', sizeof(text) - 1);
        text[sizeof(text) - 1] = '\0';
        for (size_t i = 80; i < sizeof(text) - 1; i += 81)
            text[i] = '\n';
        for (size_t i = 0; i < sizeof(text) - 1; i += 7) /* less squeezable */
            text[i] = (char)('a' + (i * 31) % 26);
        path = write_gz("t11.txt.gz", text, "wb");
        assert_int_equal(truncate(path, file_size(path) - 40), 0);
    }
    r = open1(path, NULL);
    /* The error names the line the cut fell in. */
    expect_err(r, OPINE_ECORRUPT, "t11.txt.gz: line ");
    assert_non_null(strstr(opine_reader_error(r),
                           "truncated gzip stream; the rest of the file is "
                           "lost"));
    assert_in_range(opine_reader_error_position(r), 2, 247);
    expect_end(r);
    opine_reader_free(r);

    /* Garbage after a member. */
    path = write_gz("t11b.gz", "{\"text\":\"ok\"}\n", "wb");
    f = fopen(path, "ab");
    fputs("garbage", f);
    fclose(f);
    r = open1(path, NULL);
    expect_doc(r, &doc, "ok");
    opine_doc_release(&doc);
    expect_err(r, OPINE_ECORRUPT, "trailing garbage");
    expect_end(r);
    opine_reader_free(r);
}

/* 12: under --invalid-utf8 reject, invalid UTF-8 is rejected with its
 * line, in JSON lines and text. */
static void test12_invalid_utf8(void **state)
{
    opine_reader_opts opts = {.invalid_utf8 = OPINE_INVALID_REJECT};
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    r = open1(write_str("t12.jsonl", "{\"text\":\"ok\"}\n"
                                     "{\"text\":\"caf\xe9\"}\n"
                                     "{\"text\":\"\xed\xa0\x80\"}\n"
                                     "{\"text\":\"fine \xc3\xa9\"}\n"),
              &opts);
    expect_doc(r, &doc, "ok");
    opine_doc_release(&doc);
    expect_err(r, OPINE_EUTF8, "t12.jsonl: line 2: invalid UTF-8");
    expect_err(r, OPINE_EUTF8, "line 3: invalid UTF-8"); /* a surrogate */
    expect_doc(r, &doc, "fine \xc3\xa9");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);

    /* The byte named is exact wherever the bad byte falls against the
     * eight-byte steps of the ASCII fast path, and a bad byte after long
     * ASCII still counts. */
    {
        char buf[2048], want[80];
        size_t n = 0;
        for (int k = 0; k < 20; k++) {
            n += (size_t)sprintf(buf + n, "{\"text\":\"");
            for (int i = 0; i < k; i++)
                buf[n++] = 'a';
            n += (size_t)sprintf(buf + n, "\xff\"}\n");
        }
        buf[n] = '\0';
        r = open1(write_str("t12b.jsonl", buf), &opts);
        for (int k = 0; k < 20; k++) {
            snprintf(want, sizeof want,
                     "line %d: invalid UTF-8 (byte %d of the line)", k + 1,
                     9 + k + 1);
            expect_err(r, OPINE_EUTF8, want);
        }
        expect_end(r);
        opine_reader_free(r);
    }

    r = open1(write_str("t12.txt", "Line one is fine.\nAnd line two.\n"
                                   "Line three has a Latin-1 caf\xe9.\n"),
              &opts);
    expect_err(r, OPINE_EUTF8, "t12.txt: line 3: invalid UTF-8");
    assert_int_equal(opine_reader_error_position(r), 3);
    expect_end(r);
    opine_reader_free(r);
}

/* 13: a line longer than max_record is skipped without being kept, and
 * reading goes on with the next line. */
static void test13_too_long(void **state)
{
    opine_reader_opts opts = {0};
    opine_doc doc = OPINE_DOC_INIT;
    size_t n = 100000, i;
    char *buf = malloc(n + 64);
    opine_reader *r;
    (void)state;

    assert_non_null(buf);
    strcpy(buf, "{\"text\":\"short\"}\n{\"text\":\"");
    for (i = strlen(buf); i < n; i++)
        buf[i] = 'x';
    strcpy(buf + n, "\"}\n{\"text\":\"next\"}\n");
    opts.max_record = 1000;
    r = open1(write_str("t13.jsonl", buf), &opts);
    expect_doc(r, &doc, "short");
    opine_doc_release(&doc);
    expect_err(r, OPINE_ETOOBIG,
               "t13.jsonl: line 2: record of more than 1000 bytes; skipped");
    expect_doc(r, &doc, "next");
    assert_int_equal(doc.position, 3);
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);

    /* A text file over the limit is skipped whole. */
    r = open1(write_file("t13.txt", buf + 30, n - 30), &opts);
    expect_err(r, OPINE_ETOOBIG, "t13.txt: record of more than 1000 bytes");
    expect_end(r);
    opine_reader_free(r);
    free(buf);
}

/* 14: empty files, blank files and an empty gzip are EEMPTY. */
static void test14_empty(void **state)
{
    opine_reader *r;
    const char *paths[3];
    (void)state;

    paths[0] = write_str("t14.jsonl", "");
    paths[1] = write_str("t14-blank.txt", "\n  \r\n\t\n");
    paths[2] = write_gz("t14.gz", "", "wb");
    assert_int_equal(opine_reader_open(&r, paths, 3, NULL), 0);
    expect_err(r, OPINE_EEMPTY, "t14.jsonl: empty file");
    assert_int_equal(opine_reader_error_position(r), 0);
    expect_err(r, OPINE_EEMPTY, "t14-blank.txt: empty file");
    expect_err(r, OPINE_EEMPTY, "t14.gz: empty file");
    expect_end(r);
    opine_reader_free(r);
}

/* 15: binary files are rejected whole. */
static void test15_binary(void **state)
{
    unsigned char bin[4096];
    opine_reader *r;
    const char *paths[2];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(bin); i++)
        bin[i] = (unsigned char)(i * 7 + 1);
    bin[100] = 0;
    paths[0] = write_file("t15.bin", bin, sizeof(bin));
    for (i = 0; i < sizeof(bin); i++) /* no NUL now, but nothing like text */
        if (bin[i] == 0)
            bin[i] = 1;
    paths[1] = write_file("t15b.bin", bin, sizeof(bin));
    assert_int_equal(opine_reader_open(&r, paths, 2, NULL), 0);
    expect_err(r, OPINE_EBINARY, "t15.bin: binary file");
    expect_err(r, OPINE_EBINARY, "t15b.bin: binary file");
    expect_end(r);
    opine_reader_free(r);
}

/* 16: a missing path is an error in turn; the other inputs are read. */
static void test16_missing(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    const char *paths[3];
    char missing[512];
    (void)state;

    snprintf(missing, sizeof(missing), "%s", fixture_path("t16-nope.jsonl"));
    paths[0] = write_str("t16a.txt", "before");
    paths[1] = missing;
    paths[2] = write_str("t16b.txt", "after");
    assert_int_equal(opine_reader_open(&r, paths, 3, NULL), 0);
    expect_doc(r, &doc, "before");
    opine_doc_release(&doc);
    expect_err(r, OPINE_ENOENT, "t16-nope.jsonl: no such file or directory");
    assert_string_equal(opine_reader_error_source(r), missing);
    expect_doc(r, &doc, "after");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* 17: dates: tests/test_date.c. */

/* 18: record-level rules: blank lines, CRLF, BOM, non-string and empty
 * text, missing text field. */
static void test18_records(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    r = open1(write_str("t18.jsonl", "\xef\xbb\xbf{\"text\":\"crlf\"}\r\n"
                                     "   \r\n"
                                     "{\"title\":\"no text\"}\n"
                                     "{\"text\":\"\"}\n"
                                     "{\"text\":42}\n"
                                     "{\"content\":\"from content\"}\n"
                                     "{\"text\":\"no newline at end\"}"),
              NULL);
    expect_doc(r, &doc, "crlf");
    assert_int_equal(doc.position, 1);
    opine_doc_release(&doc);
    expect_err(r, OPINE_EFORMAT,
               "line 3: no text field 'text' (use --text-field)");
    expect_err(r, OPINE_EEMPTY, "line 4: empty text");
    expect_err(r, OPINE_EFORMAT, "line 5: text field 'text' is not a string");
    expect_doc(r, &doc, "from content");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "no newline at end");
    assert_int_equal(doc.position, 7);
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);

    /* A text file with a BOM loses the BOM and keeps the rest. */
    r = open1(write_str("t18.txt", "\xef\xbb\xbfPlain text, BOM gone."), NULL);
    expect_doc(r, &doc, "Plain text, BOM gone.");
    opine_doc_release(&doc);
    opine_reader_free(r);
}

/* 19: progress counts raw bytes against the sizes of regular files. */
static void test19_progress(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    const char *path = write_numbered_gz("t19.jsonl.gz", 300);
    opine_reader *r = open1(path, NULL);
    uint64_t total = (uint64_t)file_size(path);
    (void)state;

    assert_int_equal(opine_reader_bytes_total(r), total);
    assert_int_equal(opine_reader_bytes_read(r), 0);
    expect_doc(r, &doc, "line 1 9e3779b1");
    opine_doc_release(&doc);
    assert_true(opine_reader_bytes_read(r) > 0);
    assert_true(opine_reader_bytes_read(r) <= total);
    while (opine_reader_next(r, &doc) == 1)
        opine_doc_release(&doc);
    assert_int_equal(opine_reader_bytes_read(r), total);
    opine_reader_free(r);
}

/* 20: forced formats and format names. */
static void test20_formats(void **state)
{
    opine_reader_opts opts = {0};
    opine_doc doc = OPINE_DOC_INIT;
    opine_format f;
    opine_reader *r;
    (void)state;

    assert_int_equal(opine_format_parse("auto", &f), 0);
    assert_int_equal(f, OPINE_FORMAT_AUTO);
    assert_int_equal(opine_format_parse("text", &f), 0);
    assert_int_equal(f, OPINE_FORMAT_TEXT);
    assert_int_equal(opine_format_parse("jsonl", &f), 0);
    assert_int_equal(f, OPINE_FORMAT_JSONL);
    assert_int_equal(opine_format_parse("csv", &f), 0);
    assert_int_equal(f, OPINE_FORMAT_CSV);
    assert_int_equal(opine_format_parse("tsv", &f), 0);
    assert_int_equal(f, OPINE_FORMAT_TSV);
    assert_int_equal(opine_format_parse("warc", &f), 0);
    assert_int_equal(f, OPINE_FORMAT_WARC);
    assert_int_equal(opine_format_parse("html", &f), 0);
    assert_int_equal(f, OPINE_FORMAT_HTML);
    assert_int_equal(opine_format_parse("xml", &f), OPINE_EUSAGE);
    assert_string_equal(opine_format_name(OPINE_FORMAT_TSV), "tsv");

    /* JSON lines read as text: one document holding every line. */
    opts.format = OPINE_FORMAT_TEXT;
    r = open1(write_str("t20.jsonl", jsonl3), &opts);
    expect_doc(r, &doc, jsonl3);
    opine_doc_release(&doc);
    opine_reader_free(r);

    /* Text read as JSON lines: each line is a malformed record. */
    opts.format = OPINE_FORMAT_JSONL;
    r = open1(write_str("t20.txt", "hello\nworld\n"), &opts);
    expect_err(r, OPINE_EFORMAT, "line 1: malformed JSON");
    expect_err(r, OPINE_EFORMAT, "line 2: malformed JSON");
    expect_end(r);
    opine_reader_free(r);

    opts.format = (opine_format)42;
    {
        const char *p = "x";
        assert_int_equal(opine_reader_open(&r, &p, 1, &opts), OPINE_EUSAGE);
    }
}

/* 21: a 64 MiB line over max_record is skipped in constant memory. */
static void test21_huge_line_memory(void **state)
{
    opine_reader_opts opts = {0};
    opine_doc doc = OPINE_DOC_INIT;
    const char *path = fixture_path("t21.jsonl");
    struct rusage before, after;
    char block[65536];
    opine_reader *r;
    FILE *f;
    int i;
    (void)state;

    memset(block, 'y', sizeof(block));
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("{\"text\":\"", f);
    for (i = 0; i < 1024; i++)
        assert_int_equal(fwrite(block, 1, sizeof(block), f), sizeof(block));
    fputs("\"}\n{\"text\":\"after\"}\n", f);
    assert_int_equal(fclose(f), 0);

    opts.max_record = 4096;
    getrusage(RUSAGE_SELF, &before);
    r = open1(path, &opts);
    expect_err(r, OPINE_ETOOBIG, "line 1: record of more than 4096 bytes");
    expect_doc(r, &doc, "after");
    assert_int_equal(doc.position, 2);
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
    getrusage(RUSAGE_SELF, &after);
    /* ru_maxrss is in KiB: the peak may not grow by anything near 64 MiB. */
    if (after.ru_maxrss - before.ru_maxrss > 16 * 1024)
        fail_msg("peak memory grew by %ld KiB",
                 after.ru_maxrss - before.ru_maxrss);
    assert_int_equal(unlink(path), 0);
}

/* A reader on a file of `{"text":"z"}` lines past the first 8 KiB (so the
 * file is detected as JSON lines, not as binary), then data[0..len). */
static opine_reader *open_after_padding(const char *name, const char *data,
                                        size_t len)
{
    size_t n = 9000, used = 0;
    char *big = malloc(n + len);
    assert_non_null(big);
    while (used + 16 < n)
        used += (size_t)sprintf(big + used, "{\"text\":\"z\"}\n");
    memcpy(big + used, data, len);
    opine_reader *r = open1(write_file(name, big, used + len), NULL);
    free(big);
    return r;
}

/* 22: a NUL byte inside a later JSON line is a malformed record only. */
static void test22_nul_in_line(void **state)
{
    static const char data[] = "{\"text\":\"a\"}\n{\"text\":\"b\0c\"}\n"
                               "{\"text\":\"d\"}\n";
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    r = open1(write_file("t22.jsonl", data, sizeof(data) - 1), NULL);
    expect_err(r, OPINE_EBINARY, "t22.jsonl: binary file");
    expect_end(r);
    opine_reader_free(r);

    /* Past the first 8 KiB the file is taken as JSON lines, and the line
     * with the NUL alone is rejected. */
    r = open_after_padding("t22b.jsonl", data, sizeof(data) - 1);
    while (opine_reader_next(r, &doc) == 1) {
        assert_true(strcmp(doc.text, "z") == 0 || strcmp(doc.text, "a") == 0);
        opine_doc_release(&doc);
    }
    assert_non_null(strstr(opine_reader_error(r), "malformed JSON"));
    expect_doc(r, &doc, "d");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* 23: what strict JSON refuses is refused, though json-c alone would take
 * it: trailing garbage, a line that ends inside a value, \u0000 in the
 * text or in a field, an integer beyond 64 bits, a number too large for a
 * double. Each is one rejected line with its number; the lines around it
 * are kept, and numbers, booleans and escapes that are fine read as they
 * did. */
static void test23_strict_json(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    r = open1(write_str("t23.jsonl",
                        "{\"text\":\"a\"}\n"
                        "{\"text\":\"b\"} x\n"
                        "{\"text\":\"c\", \"n\": 1\n"
                        "{\"text\":\"d\\u0000e\"}\n"
                        "{\"text\":\"f\", \"title\": \"g\\u0000\"}\n"
                        "{\"text\":\"h\", \"n\": 18446744073709551616}\n"
                        "{\"text\":\"i\", \"n\": 1e400}\n"
                        "{\"text\":\"j \\u00e9\\ud83d\\ude00\", \"id\": "
                        "-9223372036854775807, \"r\": 0.1, \"b\": false, "
                        "\"u\": \"http://x/y\"}\n"),
              NULL);
    expect_doc(r, &doc, "a");
    opine_doc_release(&doc);
    expect_err(r, OPINE_EFORMAT, "t23.jsonl: line 2: malformed JSON: ");
    expect_err(r, OPINE_EFORMAT,
               "line 3: malformed JSON: the line ends inside a value");
    expect_err(r, OPINE_EFORMAT, "line 4: malformed JSON: \\u0000 in 'text'");
    expect_err(r, OPINE_EFORMAT,
               "line 5: malformed JSON: \\u0000 in a string in 'title'");
    expect_err(r, OPINE_EFORMAT,
               "line 6: malformed JSON: integer beyond 64 bits in 'n'");
    expect_err(r, OPINE_EFORMAT,
               "line 7: malformed JSON: number out of range in 'n'");
    expect_doc(r, &doc, "j \xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(doc.position, 8);
    assert_string_equal(doc.ext_id, "-9223372036854775807");
    assert_string_equal(meta_get(&doc, "r"), "0.1");
    assert_string_equal(meta_get(&doc, "b"), "false");
    assert_string_equal(meta_get(&doc, "u"), "http://x/y");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);

    /* Nesting: 100 levels read (a meta field that is not a scalar is
     * left out), 200 levels are refused with the line. */
    {
        static char buf[4096];
        size_t n = 0;
        for (int depth = 100; depth <= 200; depth += 100) {
            n += (size_t)sprintf(buf + n, "{\"text\":\"deep%d\",\"x\":", depth);
            for (int i = 0; i < depth; i++)
                buf[n++] = '[';
            for (int i = 0; i < depth; i++)
                buf[n++] = ']';
            n += (size_t)sprintf(buf + n, "}\n");
        }
        buf[n] = '\0';
        r = open1(write_str("t23c.jsonl", buf), NULL);
        expect_doc(r, &doc, "deep100");
        assert_null(meta_get(&doc, "x"));
        opine_doc_release(&doc);
        expect_err(r, OPINE_EFORMAT,
                   "line 2: malformed JSON: nesting too deep");
        expect_end(r);
        opine_reader_free(r);
    }

    /* json-c stops at a NUL byte as at the end of its input: a NUL after
     * the object must not hide what follows it. Past the first 8 KiB, so
     * that the file is not taken for a binary one. */
    {
        static const char data[] = "{\"text\":\"l\"}\0, \"x\"\n"
                                   "{\"text\":\"m\"}\n";
        r = open_after_padding("t23b.jsonl", data, sizeof(data) - 1);
    }
    while (opine_reader_next(r, &doc) == 1) {
        assert_string_equal(doc.text, "z");
        opine_doc_release(&doc);
    }
    assert_non_null(
        strstr(opine_reader_error(r), "malformed JSON: NUL byte at byte 13"));
    expect_doc(r, &doc, "m");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* 24: --invalid-utf8 replace (the default): each maximal invalid
 * subsequence becomes one U+FFFD, the document says how many in meta
 * utf8_repairs, and the reader counts them. */
static void test24_utf8_repair(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader_counts c;
    opine_reader *r;
    (void)state;

    r = open1(write_str("t24.jsonl",
                        "{\"id\":\"a\",\"text\":\"caf\xe9!\"}\n"
                        /* F0 9F 98 is a cut 4-byte sequence: one FFFD */
                        "{\"id\":\"b\",\"text\":\"x\xf0\x9f\x98y\"}\n"
                        /* C0 AF: two bytes that start nothing: two */
                        "{\"id\":\"c\",\"text\":\"\xc0\xafz\"}\n"
                        /* ED A0 80, a surrogate: three */
                        "{\"id\":\"d\",\"text\":\"\xed\xa0\x80w\"}\n"
                        "{\"id\":\"e\",\"text\":\"fine \xc3\xa9\"}\n"),
              NULL);
    expect_doc(r, &doc, "caf\xef\xbf\xbd!");
    assert_string_equal(meta_get(&doc, "utf8_repairs"), "1");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "x\xef\xbf\xbdy");
    assert_string_equal(meta_get(&doc, "utf8_repairs"), "1");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "\xef\xbf\xbd\xef\xbf\xbdz");
    assert_string_equal(meta_get(&doc, "utf8_repairs"), "2");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdw");
    assert_string_equal(meta_get(&doc, "utf8_repairs"), "3");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "fine \xc3\xa9");
    assert_null(meta_get(&doc, "utf8_repairs"));
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_get_counts(r, &c);
    assert_int_equal(c.utf8_repairs, 7);
    assert_int_equal(c.repaired_records, 4);
    opine_reader_free(r);

    /* A text file is repaired the same way. */
    r = open1(write_str("t24.txt", "Line one.\nA Latin-1 caf\xe9 here.\n"),
              NULL);
    expect_doc(r, &doc, "Line one.\nA Latin-1 caf\xef\xbf\xbd here.\n");
    assert_string_equal(meta_get(&doc, "utf8_repairs"), "1");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

/* 25: encodings: --encoding decodes through iconv; a byte-order mark
 * picks UTF-16 on its own, and lines are split after decoding; a byte the
 * encoding does not define is repaired or rejected like invalid UTF-8. */
static void test25_encodings(void **state)
{
    opine_reader_opts opts = {.encoding = "windows-1252"};
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    assert_int_equal(opine_encoding_check("latin1"), 0);
    assert_int_equal(opine_encoding_check("UTF-8"), 0);
    assert_int_equal(opine_encoding_check("no-such-encoding"), OPINE_EUSAGE);
    r = open1(write_str("t25.jsonl", "{\"text\":\"\x93"
                                     "caf\xe9\x94\"}\n"
                                     "{\"text\":\"und\x81"
                                     "efined\"}\n"),
              &opts);
    expect_doc(r, &doc,
               "\xe2\x80\x9c"
               "caf\xc3\xa9\xe2\x80\x9d");
    opine_doc_release(&doc);
    expect_doc(r, &doc,
               "und\xef\xbf\xbd"
               "efined");
    assert_string_equal(meta_get(&doc, "utf8_repairs"), "1");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);

    opts.invalid_utf8 = OPINE_INVALID_REJECT;
    r = open1(fixture_path("t25.jsonl"), &opts);
    expect_doc(r, &doc,
               "\xe2\x80\x9c"
               "caf\xc3\xa9\xe2\x80\x9d");
    opine_doc_release(&doc);
    expect_err(r, OPINE_EUTF8,
               "t25.jsonl: line 2: bytes not valid in"
               " windows-1252");
    expect_end(r);
    opine_reader_free(r);

    {
        /* {"text":"é"}\n{"text":"b"}\n in UTF-16LE with its BOM */
        const char *lines = "{\"text\":\"\xc3\xa9\"}\n{\"text\":\"b\"}\n";
        unsigned char u16[128];
        size_t n = 0, i;
        u16[n++] = 0xFF;
        u16[n++] = 0xFE;
        for (i = 0; lines[i]; i++) {
            if ((unsigned char)lines[i] == 0xc3) {
                u16[n++] = 0xE9; /* U+00E9 */
                u16[n++] = 0;
                i++;
                continue;
            }
            u16[n++] = (unsigned char)lines[i];
            u16[n++] = 0;
        }
        r = open1(write_file("t25.u16", u16, n), NULL);
        expect_doc(r, &doc, "\xc3\xa9");
        assert_int_equal(doc.position, 1);
        opine_doc_release(&doc);
        expect_doc(r, &doc, "b");
        assert_int_equal(doc.position, 2);
        opine_doc_release(&doc);
        expect_end(r);
        opine_reader_free(r);
    }
}

/* 26: CSV: the header maps columns as JSON keys; quoted newlines and
 * doubled quotes; a row of the wrong width is rejected by the line it
 * starts on and the rows around it kept; a first line that merely has
 * commas is still a text. */
static void test26_csv(void **state)
{
    opine_meta_map mm[] = {{"section", "desk"}};
    opine_reader_opts opts = {.meta = mm, .nmeta = 1};
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    r = open1(
        write_str("t26.csv",
                  "id,title,desk,date,text\n"
                  "1,First,world,2020-01-02,\"one\n\ntwo, \"\"three\"\"\"\n"
                  "2,Second,nation,01/03/2020,plain\n"
                  "3,Third,too,many,fields,here\n"
                  "\n"
                  "4,Fourth,,,last\n"),
        &opts);
    expect_doc(r, &doc, "one\n\ntwo, \"three\"");
    assert_string_equal(doc.ext_id, "1");
    assert_string_equal(doc.title, "First");
    assert_string_equal(doc.published, "2020-01-02");
    assert_string_equal(meta_get(&doc, "section"), "world");
    assert_int_equal(doc.position, 2);
    opine_doc_release(&doc);
    expect_doc(r, &doc, "plain");
    assert_string_equal(doc.published, "2020-01-03");
    assert_string_equal(meta_get(&doc, "date_raw"), "01/03/2020");
    assert_int_equal(doc.position, 5);
    opine_doc_release(&doc);
    expect_err(r, OPINE_EFORMAT,
               "t26.csv: line 6: CSV row has 6 fields, the header 5");
    expect_doc(r, &doc, "last");
    assert_int_equal(doc.position, 8);
    assert_null(doc.published);
    assert_null(meta_get(&doc, "section")); /* empty, as in JSON */
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);

    /* TSV, found by its header */
    r = open1(write_str("t26.tsv", "id\tbody\n7\ta text, with a comma\n"),
              NULL);
    expect_doc(r, &doc, "a text, with a comma");
    assert_string_equal(doc.ext_id, "7");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);

    /* Not a header: a text stays one document, even with a cell "text" (a
     * real article's first line), or a header-like line whose next row is
     * narrower. */
    r = open1(write_str("t26.txt", "Hello, world, again\nand more.\n"), NULL);
    expect_doc(r, &doc, "Hello, world, again\nand more.\n");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
    r = open1(write_str("t26b.txt", "Affected? When it's safe, text, email"
                                    " us\n\n(CNN) At least, five.\n"),
              NULL);
    expect_doc(r, &doc,
               "Affected? When it's safe, text, email us\n\n(CNN) At"
               " least, five.\n");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
    r = open1(write_str("t26c.txt", "Notes, text, more\nOne line only.\n"),
              NULL);
    expect_doc(r, &doc, "Notes, text, more\nOne line only.\n");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);

    /* --format csv without a text column: the file is refused once. */
    opts.format = OPINE_FORMAT_CSV;
    opts.nmeta = 0;
    r = open1(fixture_path("t26.txt"), &opts);
    expect_err(r, OPINE_EFORMAT, "CSV header has no text column");
    expect_end(r);
    opine_reader_free(r);
}

/* 27: file names are bytes. A name holding a newline and a byte that is
 * not UTF-8 becomes valid text in the documents (invalid bytes as \xHH,
 * the newline kept: it is text), and the messages show it on one line. */
static void test27_file_names(void **state)
{
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    make_dir("t27");
    write_str("t27/a\nb.txt", "Seoul.\n");
    write_str("t27/caf\xe9.jsonl", "{\"text\":\"x\"}\n{bad\n");
    write_str("t27/c\xff\x1b[31m.txt", "\xff\n");
    /* in strcmp order: "a\nb.txt", "caf\xe9.jsonl", "c\xff..." */
    r = open1(fixture_path("t27"), NULL);
    expect_doc(r, &doc, "Seoul.\n");
    assert_non_null(strstr(doc.source, "/t27/a\nb.txt"));
    assert_string_equal(doc.ext_id, doc.source);
    opine_doc_release(&doc);
    expect_doc(r, &doc, "x");
    assert_non_null(strstr(doc.source, "/t27/caf\\xE9.jsonl"));
    opine_doc_release(&doc);
    expect_err(r, OPINE_EFORMAT, "/t27/caf\\xE9.jsonl: line 2: malformed JSON");
    expect_err(r, OPINE_EBINARY, "/t27/c\\xFF\\x1B[31m.txt: not UTF-8 text");
    assert_non_null(
        strstr(opine_reader_error_source(r), "/t27/c\\xFF\x1b[31m.txt"));
    expect_end(r);
    opine_reader_free(r);
}

/* 28: no two meta entries share a key, whatever the field order: a field
 * named like a --meta KEY gives way to the mapping, and a record's own
 * "date_raw" field to the raw date opine would keep. */
static void test28_meta_keys(void **state)
{
    static const opine_meta_map maps[] = {{"x", "y"}};
    opine_reader_opts o = {.meta = maps, .nmeta = 1};
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;

    r = open1(write_str("t28.jsonl",
                        "{\"text\":\"a\",\"x\":\"1\",\"y\":\"2\"}\n"
                        "{\"text\":\"b\",\"y\":\"2\",\"x\":\"1\"}\n"
                        "{\"text\":\"c\",\"date\":\"Sept. 1, 2016\","
                        "\"date_raw\":\"mine\"}\n"
                        "{\"text\":\"d\",\"date_raw\":\"mine\","
                        "\"date\":\"Sept. 1, 2016\"}\n"
                        "{\"text\":\"e\",\"date_raw\":\"mine\","
                        "\"date\":\"6423-;Z\"}\n"),
              &o);
    for (int i = 0; i < 2; i++) {
        expect_doc(r, &doc, i ? "b" : "a");
        assert_int_equal(doc.nmeta, 1);
        assert_string_equal(meta_get(&doc, "x"), "2");
        opine_doc_release(&doc);
    }
    for (int i = 0; i < 3; i++) {
        expect_doc(r, &doc, i == 0 ? "c" : i == 1 ? "d" : "e");
        /* found by fuzz_jsonl: an unrecognised date kept its raw value
         * beside the record's own date_raw */
        if (i < 2)
            assert_string_equal(doc.published, "2016-09-01");
        else
            assert_null(doc.published);
        assert_int_equal(doc.nmeta, 1);
        assert_string_equal(meta_get(&doc, "date_raw"), "mine");
        opine_doc_release(&doc);
    }
    expect_end(r);
    opine_reader_free(r);
}

/* 29: a web page in a WARC record keeps the metadata the HTML extractor
 * found (found by fuzz_warc: the WARC fields were written over the page's,
 * leaking them and its meta): the record id and target URI win, the
 * page's publication date wins over the crawl's WARC-Date, which stands in
 * for a page without one, with its full form in date_raw. Header values
 * that are not UTF-8 are kept as \xHH (fuzz_warc: they went into TEXT
 * columns as they were). */
static void test29_warc_page_meta(void **state)
{
#define PAGE(head)                                                             \
    "<html><head>" head "<meta name=\"description\" content=\"About it\">"     \
    "</head><body><article><p>The alliance met in Seoul to discuss costs, "    \
    "troops and the years ahead, officials said.</p></article></body></html>"
    static const char page1[] =
        PAGE("<link rel=\"canonical\" href=\"https://example.org/canon\">"
             "<meta property=\"article:published_time\" "
             "content=\"2015-03-02\">");
    static const char page2[] = PAGE("");
    char warc[4096];
    int n = snprintf(warc, sizeof(warc),
                     "WARC/1.0\r\nWARC-Type: resource\r\n"
                     "WARC-Record-ID: <urn:x:1>\r\n"
                     "WARC-Target-URI: https://example.org/a\r\n"
                     "WARC-Date: 2016-09-01T10:00:00Z\r\n"
                     "Content-Type: text/html\r\nContent-Length: %zu\r\n\r\n"
                     "%s\r\n\r\n"
                     "WARC/1.0\r\nWARC-Type: resource\r\n"
                     "WARC-Record-ID: <urn:x:2>\r\n"
                     "WARC-Date: 2016-09-01T10:00:00Z\r\n"
                     "Content-Type: text/html\r\nContent-Length: %zu\r\n\r\n"
                     "%s\r\n\r\n"
                     /* a Latin-1 URL, as crawlers copy it */
                     "WARC/1.0\r\nWARC-Type: resource\r\n"
                     "WARC-Record-ID: <urn:x:3>\r\n"
                     "WARC-Target-URI: https://example.org/caf\xe9\r\n"
                     "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
                     "Text.\r\n\r\n",
                     strlen(page1), page1, strlen(page2), page2);
    opine_doc doc = OPINE_DOC_INIT;
    opine_reader *r;
    (void)state;
#undef PAGE

    assert_true(n > 0 && (size_t)n < sizeof(warc));
    r = open1(write_str("t29.warc", warc), NULL);
    assert_int_equal(opine_reader_next(r, &doc), 1);
    assert_string_equal(doc.ext_id, "<urn:x:1>");
    assert_string_equal(doc.url, "https://example.org/a");
    assert_string_equal(doc.published, "2015-03-02");
    assert_string_equal(meta_get(&doc, "description"), "About it");
    assert_null(meta_get(&doc, "date_raw"));
    opine_doc_release(&doc);
    assert_int_equal(opine_reader_next(r, &doc), 1);
    assert_string_equal(doc.ext_id, "<urn:x:2>");
    assert_null(doc.url);
    assert_string_equal(doc.published, "2016-09-01");
    assert_string_equal(meta_get(&doc, "date_raw"), "2016-09-01T10:00:00Z");
    assert_string_equal(meta_get(&doc, "description"), "About it");
    opine_doc_release(&doc);
    expect_doc(r, &doc, "Text.");
    assert_string_equal(doc.url, "https://example.org/caf\\xE9");
    opine_doc_release(&doc);
    expect_end(r);
    opine_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test01_plain_jsonl),
        cmocka_unit_test(test02_gzip_jsonl),
        cmocka_unit_test(test03_multi_member_gzip),
        cmocka_unit_test(test04_gzip_text),
        cmocka_unit_test(test05_directory),
        cmocka_unit_test(test06_stdin),
        cmocka_unit_test(test07_field_options),
        cmocka_unit_test(test08_default_mapping),
        cmocka_unit_test(test09_malformed_json),
        cmocka_unit_test(test10_truncated_gzip),
        cmocka_unit_test(test11_corrupt_gzip),
        cmocka_unit_test(test12_invalid_utf8),
        cmocka_unit_test(test13_too_long),
        cmocka_unit_test(test14_empty),
        cmocka_unit_test(test15_binary),
        cmocka_unit_test(test16_missing),
        cmocka_unit_test(test18_records),
        cmocka_unit_test(test19_progress),
        cmocka_unit_test(test20_formats),
        cmocka_unit_test(test21_huge_line_memory),
        cmocka_unit_test(test22_nul_in_line),
        cmocka_unit_test(test23_strict_json),
        cmocka_unit_test(test24_utf8_repair),
        cmocka_unit_test(test25_encodings),
        cmocka_unit_test(test26_csv),
        cmocka_unit_test(test27_file_names),
        cmocka_unit_test(test28_meta_keys),
        cmocka_unit_test(test29_warc_page_meta),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
