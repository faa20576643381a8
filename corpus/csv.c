/* corpus/csv.c — CSV and TSV rows as documents, parsed by libcsv.
 *
 * FORMAT
 *   RFC 4180 as spreadsheets and databases write it: fields separated by a
 *   delimiter (',' by default, '\t' for TSV, ';' as some locales' Excel
 *   writes it, or --delimiter), quoted with '"' when they hold a
 *   delimiter, a quote (doubled: "") or a line break; rows end in "\n" or
 *   "\r\n". Fields are kept exactly as written (no trimming of unquoted
 *   fields); a "\r\n" inside a quoted field becomes "\n". Blank lines are
 *   skipped.
 *
 *   The first row is the header. Its names map to document fields as JSON
 *   keys do (reader.h: text/body/content, id, title, ..., --text-field,
 *   --id-field, --meta), every other column goes to meta, empty cells as
 *   empty strings: a CSV export and the JSON lines of the same records give
 *   the same documents. A document's position is the line its row starts
 *   on.
 *
 *   Detection (reader.c asks opine__csv_sniff() about the first line): a
 *   header of two or more names, none empty or longer than 64 bytes, split
 *   by ',', '\t' or ';', one of which is the text field ("text", "body",
 *   "content" or --text-field). That is deliberately strict: a text whose
 *   first line happens to hold commas stays a text. --format csv or tsv
 *   reads any file as CSV.
 *
 * HOW IT WORKS
 *   Lines come from the reader one at a time (so line numbers are exact
 *   and invalid UTF-8 is repaired or rejected by line, as in JSON lines)
 *   and are fed to libcsv in strict mode; its row callback ends a row. A
 *   row in progress keeps its lines (bounded by max_record) so that, when
 *   it turns out bad — a quote where none may be, an unbalanced quote that
 *   would run on to the end of the file, a row longer than max_record, a
 *   field count other than the header's — the row is rejected by the line
 *   it started on and parsing starts again on the line after it: the rows
 *   an unbalanced quote swallowed come back.
 */
#include "corpus/internal.h"
#include "base/error.h"
#include "base/mem.h"

#include <csv.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_NAME 64

struct opine__csv {
    struct csv_parser p;
    int ready;   /* p initialised */
    char **cols; /* header names */
    size_t ncols;
    int have_header;
    /* the row being parsed: its fields one after another */
    char *buf;
    size_t len, cap;
    size_t *start, *flen;
    size_t nf, fcap;
    int done; /* libcsv ended the row */
    int nomem;
    /* the lines of the row in progress, for starting again after it */
    char *lines;
    size_t llen, lcap;
    uint64_t row_line; /* the line the row starts on */
    int resync;        /* after a bad row: until a good one parses */
    uint64_t repairs;  /* U+FFFD put into the row */
};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static int is_lf(unsigned char c)
{
    return c == '\n';
}

static int grow(char **buf, size_t *cap, size_t need)
{
    size_t ncap = *cap ? *cap : 4096;
    char *p;

    if (need <= *cap)
        return 0;
    while (ncap < need)
        ncap *= 2;
    p = realloc(*buf, ncap);
    if (!p)
        return OPINE_ENOMEM;
    *buf = p;
    *cap = ncap;
    return 0;
}

static void on_field(void *s, size_t n, void *data)
{
    struct opine__csv *c = data;

    if (c->done)
        return; /* the sniff parses on past its row */
    if (c->nf == c->fcap) {
        size_t ncap = c->fcap ? c->fcap * 2 : 16;
        size_t *a = realloc(c->start, ncap * sizeof(*a));
        size_t *b = a ? realloc(c->flen, ncap * sizeof(*b)) : NULL;
        if (a)
            c->start = a;
        if (!a || !b) {
            c->nomem = 1;
            return;
        }
        c->flen = b;
        c->fcap = ncap;
    }
    if (grow(&c->buf, &c->cap, c->len + n + 1) != 0) {
        c->nomem = 1;
        return;
    }
    if (n > 0)
        memcpy(c->buf + c->len, s, n);
    c->start[c->nf] = c->len;
    c->flen[c->nf] = n;
    c->len += n;
    c->buf[c->len++] = '\0';
    c->nf++;
}

static void on_row(int term, void *data)
{
    struct opine__csv *c = data;

    (void)term;
    c->done = 1;
}

static int parser_start(struct opine__csv *c, int delim)
{
    if (c->ready)
        csv_free(&c->p);
    c->ready = 0;
    if (csv_init(&c->p, CSV_STRICT) != 0)
        return OPINE_ENOMEM;
    c->ready = 1;
    csv_set_delim(&c->p, (unsigned char)delim);
    csv_set_space_func(&c->p, no_space);
    csv_set_term_func(&c->p, is_lf);
    return 0;
}

static void row_clear(struct opine__csv *c)
{
    c->len = c->nf = 0;
    c->done = 0;
    c->llen = 0;
    c->repairs = 0;
}

static void csv_release(struct opine__csv *c)
{
    size_t i;

    if (c->ready)
        csv_free(&c->p);
    for (i = 0; i < c->ncols; i++)
        free(c->cols[i]);
    free(c->cols);
    free(c->buf);
    free(c->start);
    free(c->flen);
    free(c->lines);
}

void opine__csv_free(struct opine__csv *c)
{
    if (!c)
        return;
    csv_release(c);
    free(c);
}

/* A column name as exports write them: "id", "Article Text", "pub_date",
 * "Überschrift": letters, digits, blanks and _-./()# only, six words at
 * most. A sentence ("When it's safe, text, ...") is not a header. */
static int name_ok(const char *s, size_t n)
{
    size_t i, blanks = 0;

    if (n == 0 || n > CSV_MAX_NAME)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ')
            blanks++;
        else if (!(c >= 0x80 || (c >= '0' && c <= '9') ||
                   (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   strchr("_-./()#", c)))
            return 0;
    }
    return blanks < 6;
}

/* Trim blanks around a header name in place; returns its length. */
static size_t trim(char *s, size_t n)
{
    size_t a = 0;

    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
    return n - a;
}

/* Parse one line (without its "\n") into c's fields; returns the number
 * of fields, or -1 when it is not one complete row. */
static long split_line(struct opine__csv *c, const char *s, size_t n, int delim)
{
    row_clear(c);
    if (parser_start(c, delim) != 0)
        return -1;
    if (csv_parse(&c->p, s, n, on_field, on_row, c) != n ||
        csv_parse(&c->p, "\n", 1, on_field, on_row, c) != 1 || !c->done ||
        c->nomem)
        return -1;
    return (long)c->nf;
}

int opine__csv_sniff(const unsigned char *s, size_t n,
                     const opine_reader_opts *opts, int want)
{
    static const char *const texts[] = {"text", "body", "content", NULL};
    static const char delims[] = {',', '\t', ';'};
    const unsigned char *nl = memchr(s, '\n', n);
    struct opine__csv c = {0};
    size_t line = nl ? (size_t)(nl - s) : n, d, i;
    int best = 0;
    long most = 0;

    for (d = 0; d < sizeof(delims); d++) {
        int delim = opts->delimiter ? opts->delimiter : delims[d];
        int names = 1, has_text = 0;
        long nf = split_line(&c, (const char *)s, line, delim);

        for (i = 0; nf > 0 && i < (size_t)nf; i++) {
            char *f = c.buf + c.start[i];
            size_t fl = trim(f, c.flen[i]);
            const char *const *t;
            if (!name_ok(f, fl))
                names = 0;
            if (opts->text_field) {
                if (strcmp(f, opts->text_field) == 0)
                    has_text = 1;
            } else {
                for (t = texts; *t; t++)
                    if (strcmp(f, *t) == 0)
                        has_text = 1;
            }
        }
        if (nf >= 2 && names && has_text) {
            /* The first row after the header, when the peek holds all of
             * it, must be as wide. */
            size_t from = nl ? line + 1 : n, width = (size_t)nf;
            row_clear(&c);
            if (from < n)
                csv_parse(&c.p, s + from, n - from, on_field, on_row, &c);
            if (c.nomem ||
                (c.done ? c.nf != width : csv_error(&c.p) == CSV_EPARSE)) {
                if (want && nf > most)
                    most = nf, best = delim;
                if (opts->delimiter)
                    break;
                continue;
            }
            best = delim;
            break;
        }
        if (want && nf > most) {
            most = nf;
            best = delim;
        }
        if (opts->delimiter)
            break;
    }
    csv_release(&c);
    return best ? best : want ? ',' : 0;
}

/* Take the parsed row as the header. */
static int take_header(opine_reader *r, struct opine__csv *c, uint64_t line)
{
    size_t i, j;

    c->cols = calloc(c->nf ? c->nf : 1, sizeof(*c->cols));
    if (!c->cols)
        return opine__reader_error(r, OPINE_ENOMEM, r->cur, line,
                                   "out of memory");
    for (i = 0; i < c->nf; i++) {
        char *f = c->buf + c->start[i];
        size_t fl = trim(f, c->flen[i]);
        c->cols[i] = opine__strndup(f, fl);
        c->ncols = i + 1;
        if (!c->cols[i])
            return opine__reader_error(r, OPINE_ENOMEM, r->cur, line,
                                       "out of memory");
        for (j = 0; fl > 0 && j < i; j++)
            if (strcmp(c->cols[j], c->cols[i]) == 0)
                return opine__reader_error(
                    r, OPINE_EFORMAT, r->cur, line,
                    "CSV header names column '%s' twice; the file is"
                    " skipped",
                    c->cols[i]);
    }
    for (i = 0; i < c->ncols; i++) {
        static const char *const texts[] = {"text", "body", "content", NULL};
        const char *const *t;
        if (r->opts.text_field) {
            if (strcmp(c->cols[i], r->opts.text_field) == 0)
                break;
            continue;
        }
        for (t = texts; *t; t++)
            if (strcmp(c->cols[i], *t) == 0)
                break;
        if (*t)
            break;
    }
    if (i == c->ncols)
        return opine__reader_error(
            r, OPINE_EFORMAT, r->cur, line,
            "CSV header has no text column%s%s (columns: %s%s%s); use"
            " --text-field; the file is skipped",
            r->opts.text_field ? " " : "",
            r->opts.text_field ? r->opts.text_field : "",
            c->ncols > 0 ? c->cols[0] : "", c->ncols > 1 ? ", " : "",
            c->ncols > 1 ? c->cols[1] : "");
    c->have_header = 1;
    return 0;
}

/* The parsed row as a document. */
static int row_doc(opine_reader *r, struct opine__csv *c, opine_doc *doc)
{
    char detail[256];
    json_object *obj;
    size_t i;
    int rc;

    if (c->nf != c->ncols)
        return opine__reader_error(r, OPINE_EFORMAT, r->cur, c->row_line,
                                   "CSV row has %zu fields, the header %zu;"
                                   " skipped",
                                   c->nf, c->ncols);
    obj = json_object_new_object();
    if (!obj)
        return opine__reader_error(r, OPINE_ENOMEM, r->cur, c->row_line,
                                   "out of memory");
    for (i = 0; i < c->nf; i++) {
        json_object *v;
        if (c->cols[i][0] == '\0')
            continue; /* a column without a name */
        v = json_object_new_string_len(c->buf + c->start[i], (int)c->flen[i]);
        if (!v || json_object_object_add(obj, c->cols[i], v) != 0) {
            json_object_put(v);
            json_object_put(obj);
            return opine__reader_error(r, OPINE_ENOMEM, r->cur, c->row_line,
                                       "out of memory");
        }
    }
    rc = opine__object_doc(obj, &r->opts, doc, detail, sizeof(detail));
    json_object_put(obj);
    if (rc < 0)
        return opine__reader_error(r, rc, r->cur, c->row_line, "%s", detail);
    if (opine__reader_note_repairs(r, doc, c->repairs) != 0) {
        opine_doc_release(doc);
        return opine__reader_error(r, OPINE_ENOMEM, r->cur, c->row_line,
                                   "out of memory");
    }
    return opine__reader_origin(r, doc, c->row_line);
}

/* Reject the row in progress and start again on the line after its
 * first: its other lines go back to the reader. */
static int row_reject(opine_reader *r, struct opine__csv *c, const char *why)
{
    const char *nl = c->llen ? memchr(c->lines, '\n', c->llen) : NULL;
    uint64_t line = c->row_line;
    int rc;

    if (nl && (size_t)(nl - c->lines) + 1 < c->llen) {
        size_t from = (size_t)(nl - c->lines) + 1;
        if (opine__reader_unread(r, c->lines + from, c->llen - from) != 0)
            return opine__reader_error(r, OPINE_ENOMEM, r->cur, line,
                                       "out of memory");
        r->line = line + 1;
    }
    row_clear(c);
    rc = parser_start(c, r->csv_delim);
    if (rc != 0)
        return opine__reader_error(r, rc, r->cur, line, "out of memory");
    if (c->resync)
        return 0; /* part of the damage already reported */
    c->resync = 1;
    return opine__reader_error(r, OPINE_EFORMAT, r->cur, line,
                               "malformed CSV row (%s); skipped, with the"
                               " lines after it up to the next row that"
                               " parses",
                               why);
}

int opine__csv_next(opine_reader *r, opine_doc *doc)
{
    struct opine__csv *c = r->csv;
    uint64_t lineno, repairs;
    const char *line;
    size_t len, bad;
    int rc;

    if (!c) {
        c = r->csv = calloc(1, sizeof(*c));
        if (!c || parser_start(c, r->csv_delim) != 0)
            return opine__reader_error(r, OPINE_ENOMEM, r->cur, 0,
                                       "out of memory");
    }
    for (;;) {
        rc = opine__reader_line(r, &lineno);
        if (rc == 0) {
            if (c->llen > 0) {
                rc = row_reject(r, c,
                                "a quoted field never ends: an unbalanced"
                                " quote");
                if (rc != 0)
                    return rc;
                continue;
            }
            return 0;
        }
        if (rc == OPINE_ETOOBIG && c->llen > 0) {
            /* a line too long inside a quoted field */
            rc = row_reject(r, c, "longer than --max-record");
            if (rc != 0)
                return rc;
            continue;
        }
        if (rc < 0)
            return rc;
        if (c->llen == 0) {
            if (r->rec_len == 0)
                continue; /* a blank line between rows */
            c->row_line = lineno;
        }
        line = r->rec;
        len = r->rec_len;
        rc = opine__reader_utf8(r, &line, &len, &repairs, &bad);
        if (rc == OPINE_ENOMEM)
            return opine__reader_error(r, rc, r->cur, lineno, "out of memory");
        if (rc != 0) {
            row_clear(c);
            parser_start(c, r->csv_delim);
            if (r->conv_name)
                return opine__reader_error(r, OPINE_EUTF8, r->cur, lineno,
                                           "bytes not valid in %s",
                                           r->conv_name);
            return opine__reader_error(r, OPINE_EUTF8, r->cur, lineno,
                                       "invalid UTF-8 (byte %zu of the"
                                       " line)",
                                       bad + 1);
        }
        c->repairs += repairs;
        if (c->llen + len + 1 > r->max_record) {
            rc = row_reject(r, c, "longer than --max-record");
            if (rc != 0)
                return rc;
            continue;
        }
        if (grow(&c->lines, &c->lcap, c->llen + len + 1) != 0)
            return opine__reader_error(r, OPINE_ENOMEM, r->cur, lineno,
                                       "out of memory");
        memcpy(c->lines + c->llen, line, len);
        c->lines[c->llen + len] = '\n';
        c->llen += len + 1;
        if (csv_parse(&c->p, line, len, on_field, on_row, c) != len ||
            csv_parse(&c->p, "\n", 1, on_field, on_row, c) != 1) {
            if (csv_error(&c->p) == CSV_ENOMEM)
                return opine__reader_error(r, OPINE_ENOMEM, r->cur, lineno,
                                           "out of memory");
            rc = row_reject(r, c,
                            "a quote inside a field that is not quoted, or"
                            " text after a closing quote");
            if (rc != 0)
                return rc;
            continue;
        }
        if (c->nomem)
            return opine__reader_error(r, OPINE_ENOMEM, r->cur, lineno,
                                       "out of memory");
        if (!c->done)
            continue; /* a line break inside a quoted field */
        if (!c->have_header) {
            rc = take_header(r, c, c->row_line);
            row_clear(c);
            if (rc != 0) {
                r->input_done = 1;
                return rc;
            }
            continue;
        }
        if (c->nf == 1 && c->flen[0] == 0 && c->ncols > 1) {
            row_clear(c);
            continue; /* a line of blanks only */
        }
        if (c->resync && c->nf != c->ncols) {
            /* still inside the damage: a piece of the bad row's text */
            rc = row_reject(r, c, "");
            if (rc != 0)
                return rc;
            continue;
        }
        c->resync = 0;
        rc = row_doc(r, c, doc);
        row_clear(c);
        return rc;
    }
}
