/* corpus/records.c — records out of the decoded byte stream: lines, JSON
 * lines, whole text files and pages, and the UTF-8 rule every record
 * passes (valid, repaired with U+FFFD, or rejected).
 *
 * The byte stream itself (levels, decoding, the bomb guard) is reader.c's;
 * CSV rows are csv.c's and WARC records warc.c's, both built on the line
 * reader here.
 */
#include "corpus/internal.h"
#include "corpus/html_extract.h"
#include "base/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_INITIAL ((size_t)64 * 1024)
#define reader_error opine__reader_error
#define stream_error opine__reader_stream_error

uint64_t opine__count_lines(const unsigned char *s, size_t n)
{
    uint64_t lines = 0;
    const unsigned char *nl;

    while (n > 0 && (nl = memchr(s, '\n', n)) != NULL) {
        lines++;
        n -= (size_t)(nl - s) + 1;
        s = nl + 1;
    }
    return lines;
}

/* ---- records ---------------------------------------------------------- */

/* Make room for n more bytes (plus a NUL) in the record buffer; the caller
 * has checked that the total stays within max_record + 2. */
static int rec_reserve(opine_reader *r, size_t n)
{
    size_t need = r->rec_len + n + 1, cap = r->rec_cap;
    char *p;

    if (need <= cap)
        return 0;
    if (cap == 0)
        cap = REC_INITIAL;
    while (cap < need)
        cap *= 2;
    if (cap > r->max_record + 2)
        cap = r->max_record + 2;
    p = realloc(r->rec, cap);
    if (!p)
        return OPINE_ENOMEM;
    r->rec = p;
    r->rec_cap = cap;
    return 0;
}

/* The next line into rec[0..rec_len), NUL-terminated, without its "\n" or
 * "\r\n"; *lineno is its number. Returns 1, 0 at the end of the input,
 * OPINE_ETOOBIG for a line longer than max_record (already skipped), or a
 * stream error. */
int opine__reader_line(opine_reader *r, uint64_t *lineno)
{
    size_t limit = r->max_record + 1; /* room for a "\r" */
    int too_long = 0, got = 0;

    r->rec_len = 0;
    *lineno = r->line;
    for (;;) {
        unsigned char *start, *nl;
        size_t seg;

        if (r->pos == r->len) {
            if (r->pending)
                return stream_error(r, *lineno);
            if (r->eof) {
                if (!got)
                    return 0;
                r->line++;
                break;
            }
            opine__reader_more(r);
            continue;
        }
        start = r->chunk + r->pos;
        nl = memchr(start, '\n', r->len - r->pos);
        seg = nl ? (size_t)(nl - start) : r->len - r->pos;
        got = 1;
        if (!too_long && r->rec_len + seg > limit)
            too_long = 1;
        if (!too_long) {
            if (rec_reserve(r, seg) != 0)
                return reader_error(r, OPINE_ENOMEM, r->cur, *lineno,
                                    "out of memory");
            memcpy(r->rec + r->rec_len, start, seg);
            r->rec_len += seg;
        }
        r->pos += seg + (nl != NULL);
        if (nl) {
            r->line++;
            break;
        }
    }
    if (!too_long && r->rec_len > 0 && r->rec[r->rec_len - 1] == '\r')
        r->rec_len--;
    if (too_long || r->rec_len > r->max_record)
        return reader_error(r, OPINE_ETOOBIG, r->cur, *lineno,
                            "record of more than %zu bytes; skipped",
                            r->max_record);
    if (rec_reserve(r, 0) != 0)
        return reader_error(r, OPINE_ENOMEM, r->cur, *lineno, "out of memory");
    r->rec[r->rec_len] = '\0';
    return 1;
}

/* The id of a document that is a whole file or member: a member's own
 * name within its archive, a file's the path it was given by, as text
 * (bytes that are not UTF-8 as \xHH). NULL when out of memory. */
static char *file_id(opine_reader *r)
{
    const char *member = r->levels[r->nlevels - 1].member;

    return member ? opine__utf8_escape(member, 0) : strdup(r->cur_text);
}

int opine__reader_origin(opine_reader *r, opine_doc *doc, uint64_t position)
{
    doc->source = strdup(r->cur_text);
    doc->position = position;
    if (!doc->source) {
        opine_doc_release(doc);
        return reader_error(r, OPINE_ENOMEM, r->cur, position, "out of memory");
    }
    return 1;
}

int opine__reader_utf8(opine_reader *r, const char **text, size_t *len,
                       uint64_t *repairs, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)*text;
    size_t n = *len, b = opine__utf8_check(s, n), i, o, need;

    *repairs = 0;
    *bad = b;
    if (b == n)
        return 0;
    if (r->opts.invalid_utf8 == OPINE_INVALID_REJECT)
        return OPINE_EUTF8;
    need = b + (n - b) * 3 + 1; /* each bad byte may become three */
    if (need > r->fix_cap) {
        char *p = realloc(r->fix, need);
        if (!p)
            return OPINE_ENOMEM;
        r->fix = p;
        r->fix_cap = need;
    }
    memcpy(r->fix, s, b);
    for (i = b, o = b; i < n;) {
        size_t k = s[i] < 0x80 ? 1 : opine__utf8_seq(s + i, n - i);
        if (k == 0) {
            k = opine__utf8_bad_len(s + i, n - i);
            memcpy(r->fix + o, "\xEF\xBF\xBD", 3);
            o += 3;
            (*repairs)++;
        } else {
            memcpy(r->fix + o, s + i, k);
            o += k;
        }
        i += k;
    }
    r->fix[o] = '\0';
    *text = r->fix;
    *len = o;
    return 0;
}

int opine__reader_note_repairs(opine_reader *r, opine_doc *doc, uint64_t n)
{
    char buf[24];
    opine_kv *kv;

    if (n == 0)
        return 0;
    r->counts.utf8_repairs += n;
    r->counts.repaired_records++;
    /* A record with a field of that name keeps it (as with date_raw): the
     * run's counts still have the repairs, and no two meta entries share a
     * key. */
    for (size_t i = 0; i < doc->nmeta; i++)
        if (strcmp(doc->meta[i].key, "utf8_repairs") == 0)
            return 0;
    kv = realloc(doc->meta, (doc->nmeta + 1) * sizeof(*kv));
    if (!kv)
        return OPINE_ENOMEM;
    doc->meta = kv;
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n);
    kv[doc->nmeta].key = strdup("utf8_repairs");
    kv[doc->nmeta].value = strdup(buf);
    if (!kv[doc->nmeta].key || !kv[doc->nmeta].value) {
        free(kv[doc->nmeta].key);
        free(kv[doc->nmeta].value);
        return OPINE_ENOMEM;
    }
    doc->nmeta++;
    return 0;
}

/* The message for a record refused as invalid: in the stream's own
 * encoding when it was decoded. */
static int invalid_error(opine_reader *r, uint64_t line, size_t bad,
                         int of_line)
{
    if (r->conv_name)
        return reader_error(r, OPINE_EUTF8, r->cur, line,
                            "bytes not valid in %s%s", r->conv_name,
                            of_line ? "" : "");
    if (of_line)
        return reader_error(r, OPINE_EUTF8, r->cur, line,
                            "invalid UTF-8 (byte %zu of the line)", bad + 1);
    return reader_error(r, OPINE_EUTF8, r->cur, line, "invalid UTF-8");
}

int opine__jsonl_next(opine_reader *r, opine_doc *doc)
{
    char detail[256];
    const char *line;
    uint64_t lineno, repairs;
    size_t bad, len;
    int rc;

    for (;;) {
        size_t i;

        rc = opine__reader_line(r, &lineno);
        if (rc <= 0)
            return rc;
        for (i = 0; i < r->rec_len && opine__is_blank((unsigned char)r->rec[i]);
             i++)
            ;
        if (i < r->rec_len)
            break;
    }
    line = r->rec;
    len = r->rec_len;
    rc = opine__reader_utf8(r, &line, &len, &repairs, &bad);
    if (rc == OPINE_ENOMEM)
        return reader_error(r, rc, r->cur, lineno, "out of memory");
    if (rc != 0)
        return invalid_error(r, lineno, bad, 1);
    rc = opine__jsonl_doc(line, len, &r->opts, doc, detail, sizeof(detail));
    if (rc < 0)
        return reader_error(r, rc, r->cur, lineno, "%s", detail);
    if (opine__reader_note_repairs(r, doc, repairs) != 0) {
        opine_doc_release(doc);
        return reader_error(r, OPINE_ENOMEM, r->cur, lineno, "out of memory");
    }
    return opine__reader_origin(r, doc, lineno);
}

int opine__reader_page(opine_reader *r, opine_doc *doc, char *text, size_t len,
                       int is_html)
{
    /* HTML: corpus/html_extract.h turns the page into its article text
     * and metadata; the page's bytes are freed here either way. */
    if (is_html) {
        char detail[256];
        int rc = opine__html_doc(text, len, r->opts.encoding, doc, detail,
                                 sizeof(detail));
        free(text);
        if (rc < 0)
            return reader_error(r, rc, r->cur, 0, "%s", detail);
        return 1;
    }
    doc->text = text;
    doc->text_len = len;
    return 1;
}

/* A web page read whole into rec: its own charset rules (BOM, valid
 * UTF-8, <meta charset>, else Windows-1252) decode it, so no UTF-8 or
 * NUL check comes first. */
static int html_next(opine_reader *r, opine_doc *doc)
{
    char *page = r->rec;
    size_t len = r->rec_len;
    int rc;

    if (rec_reserve(r, 0) != 0)
        return reader_error(r, OPINE_ENOMEM, r->cur, 0, "out of memory");
    page = r->rec;
    r->rec = NULL;
    r->rec_len = r->rec_cap = 0;
    rc = opine__reader_page(r, doc, page ? page : strdup(""), len, 1);
    if (rc < 0)
        return rc;
    doc->ext_id = file_id(r);
    if (!doc->ext_id) {
        opine_doc_release(doc);
        return reader_error(r, OPINE_ENOMEM, r->cur, 0, "out of memory");
    }
    return opine__reader_origin(r, doc, 0);
}

/* A text file (or page) is one document: read it whole (up to max_record),
 * check it and hand the buffer over. */
int opine__text_next(opine_reader *r, opine_doc *doc)
{
    const unsigned char *t;
    const char *nul, *text;
    uint64_t repairs;
    size_t bad, i, len, cap;
    char *owned;
    int rc;

    r->input_done = 1;
    r->rec_len = 0;
    for (;;) {
        size_t n;

        if (r->pos == r->len) {
            if (r->pending)
                return stream_error(
                    r, 1 + opine__count_lines((unsigned char *)r->rec,
                                              r->rec_len));
            if (r->eof)
                break;
            opine__reader_more(r);
            continue;
        }
        n = r->len - r->pos;
        if (r->rec_len + n > r->max_record)
            return reader_error(r, OPINE_ETOOBIG, r->cur, 0,
                                "record of more than %zu bytes; skipped",
                                r->max_record);
        if (rec_reserve(r, n) != 0)
            return reader_error(r, OPINE_ENOMEM, r->cur, 0, "out of memory");
        memcpy(r->rec + r->rec_len, r->chunk + r->pos, n);
        r->rec_len += n;
        r->pos = r->len;
    }
    t = (const unsigned char *)r->rec;
    if (r->format == OPINE_FORMAT_HTML)
        return html_next(r, doc);
    nul = r->rec_len > 0 ? memchr(r->rec, 0, r->rec_len) : NULL;
    if (nul)
        return reader_error(r, OPINE_EBINARY, r->cur,
                            1 + opine__count_lines(t, (size_t)(nul - r->rec)),
                            "NUL byte in text; skipped");
    text = r->rec;
    len = r->rec_len;
    rc = opine__reader_utf8(r, &text, &len, &repairs, &bad);
    if (rc == OPINE_ENOMEM)
        return reader_error(r, rc, r->cur, 0, "out of memory");
    if (rc != 0)
        return invalid_error(r, 1 + opine__count_lines(t, bad), bad, 0);
    for (i = 0; i < len && opine__is_blank((unsigned char)text[i]); i++)
        ;
    if (i == len)
        return reader_error(r, OPINE_EEMPTY, r->cur, 0, "empty file");
    if (rec_reserve(r, 0) != 0)
        return reader_error(r, OPINE_ENOMEM, r->cur, 0, "out of memory");
    r->rec[r->rec_len] = '\0';
    doc->ext_id = file_id(r);
    if (!doc->ext_id)
        return reader_error(r, OPINE_ENOMEM, r->cur, 0, "out of memory");
    if (text == r->fix) {
        owned = r->fix;
        cap = r->fix_cap;
        r->fix = NULL;
        r->fix_cap = 0;
    } else {
        owned = r->rec;
        cap = r->rec_cap;
        r->rec = NULL;
        r->rec_len = r->rec_cap = 0;
    }
    /* The buffer grew in steps from REC_INITIAL; a batch holds hundreds
     * of documents, so give back what the text does not use (an archive
     * of short articles otherwise holds 64 KiB per document). */
    if (cap > len + 1 + 4096) {
        char *p = realloc(owned, len + 1);
        if (p)
            owned = p;
    }
    rc = opine__reader_page(r, doc, owned, len, r->format == OPINE_FORMAT_HTML);
    if (rc < 0) {
        opine_doc_release(doc);
        return rc;
    }
    if (opine__reader_note_repairs(r, doc, repairs) != 0) {
        opine_doc_release(doc);
        return reader_error(r, OPINE_ENOMEM, r->cur, 0, "out of memory");
    }
    return opine__reader_origin(r, doc, 0);
}
