/* corpus/internal.h — helpers shared by the files of corpus/; not public.
 *
 * The reader (reader.c) walks the inputs, opens archives (archive.c) and
 * decodes other encodings (encoding.c) into a stream of UTF-8 bytes, and
 * splits them into records: jsonl.c turns one JSON line (or a CSV row,
 * csv.c) into a document, warc.c reads WARC records; records.c validates
 * and repairs UTF-8 with base/utf8.h; date.c (public through reader.h)
 * normalises dates.
 */
#ifndef OPINE_CORPUS_INTERNAL_H
#define OPINE_CORPUS_INTERNAL_H

#include "base/utf8.h"
#include "corpus/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct opine__source;
struct opine__archive;
struct opine__conv;
struct opine__csv;

/* One level of the input being read: a file (level 0) or a member of the
 * archive one level down. */
struct opine__level {
    struct opine__source *src;
    struct opine__archive *ar; /* set when src's bytes are an archive */
    char *name;                /* "a.tar.gz", "a.tar.gz:dir/x.jsonl" */
    char *text;                /* name as valid UTF-8, for documents (a
                                * byte that is not UTF-8 as \xHH) */
    char *member;              /* the member's path in its archive */
};

#define OPINE__MAX_LEVELS 4

struct opine__dir_frame;

/* The reader's state, shared by reader.c, csv.c and warc.c. */
struct opine_reader {
    /* Options, with private copies of every string. */
    opine_reader_opts opts;
    opine_meta_map *meta;
    size_t max_record;

    char **paths;
    size_t npaths, next_path;
    struct opine__dir_frame *dirs;
    size_t ndirs, cap_dirs;

    /* The input being read: levels[0] the file, the last one the bytes
     * records come from (src). nlevels is 0 between inputs. */
    struct opine__level levels[OPINE__MAX_LEVELS];
    int nlevels;
    struct opine__source *src;
    char *cur;      /* the name of the last level, for messages */
    char *cur_text; /* its text (opine__level.text), for documents */
    opine_format format;
    int input_done; /* the last level is finished: pop it first */
    int abandon;    /* the whole input is finished (damage, a bomb) */
    uint64_t cur_size;
    unsigned char *chunk; /* decoded bytes; chunk[pos..len) unread */
    size_t pos, len, chunk_cap;
    int eof;
    int pending;           /* source error not yet reported */
    char pending_msg[320]; /* its message, when not the source's */
    uint64_t line;         /* number of the next line to start */
    uint64_t unpacked;     /* decoded bytes of this input (bomb guard) */

    /* Decoding from another encoding (encoding.c): raw bytes wait in
     * raw[raw_pos..raw_len) to be converted into chunk. */
    struct opine__conv *conv;
    const char *conv_name;
    unsigned char *raw;
    size_t raw_pos, raw_len;
    int raw_eof, raw_pending;

    char *rec; /* current record */
    size_t rec_len, rec_cap;
    char *fix; /* a repaired copy of the record (invalid UTF-8 replaced) */
    size_t fix_cap;

    struct opine__csv *csv;    /* the CSV state of the current input */
    int csv_delim;             /* its delimiter, from the sniff or options */
    uint64_t records_in_input; /* WARC record count */

    int err_code;
    char *err;
    char *err_source;
    uint64_t err_pos;

    uint64_t bytes_done; /* raw bytes of the inputs already closed */
    uint64_t bytes_total;
    opine_reader_counts counts;
};

/* Record "FILE: line N: what" (or "FILE: what" when line is 0) as the
 * reader's error and return rc. */
int opine__reader_error(opine_reader *r, int rc, const char *file,
                        uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static inline int opine__is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Newlines in s[0..n). */
uint64_t opine__count_lines(const unsigned char *s, size_t n);

/* Append more decoded bytes to the chunk (reader.c). */
void opine__reader_more(opine_reader *r);

/* The next JSON line, or the whole text file or page, of the current
 * input as a document (records.c): 1, 0 at the end, or an error. */
int opine__jsonl_next(opine_reader *r, opine_doc *doc);
int opine__text_next(opine_reader *r, opine_doc *doc);

/* The next line of the current input into r->rec (see records.c). */
int opine__reader_line(opine_reader *r, uint64_t *lineno);

/* Make chunk[pos..len) hold at least n bytes (fewer only at the end of the
 * input or before a pending error). */
void opine__reader_fill(opine_reader *r, size_t n);

/* Put n bytes back in front of the unread ones. Returns 0 or
 * OPINE_ENOMEM. */
int opine__reader_unread(opine_reader *r, const char *s, size_t n);

/* Report the pending stream error of the current input (see reader.c). */
int opine__reader_stream_error(opine_reader *r, uint64_t line);

/* Check text[0..*len) as UTF-8. Valid: returns 0 and leaves it alone.
 * Invalid, under --invalid-utf8 replace: *text and *len are set to a
 * repaired copy in r->fix, *repairs to how many sequences were replaced,
 * and 0 is returned. Invalid under reject: returns OPINE_EUTF8 with the
 * offset of the first bad byte in *bad. ENOMEM possible. */
int opine__reader_utf8(opine_reader *r, const char **text, size_t *len,
                       uint64_t *repairs, size_t *bad);

/* Count the record as repaired (n repairs) and add "utf8_repairs" = n to
 * doc's meta, unless the record has a field of that name, which it keeps.
 * Returns 0 or OPINE_ENOMEM. */
int opine__reader_note_repairs(opine_reader *r, opine_doc *doc, uint64_t n);

/* The document for one web page or plain text: text[0..len), valid
 * UTF-8, NUL-terminated, malloc'd and taken over. is_html says whether the
 * bytes are HTML: today the page is kept as it is; the extractor in
 * corpus/html_extract.h plugs in here. Returns 1 or a negative error. */
int opine__reader_page(opine_reader *r, opine_doc *doc, char *text, size_t len,
                       int is_html);

/* Set doc's source (the current name) and position. Returns 1, or
 * OPINE_ENOMEM with doc released. */
int opine__reader_origin(opine_reader *r, opine_doc *doc, uint64_t position);

/* Whether s[0..n) starts like an HTML page: "<!doctype html" or "<html"
 * after blanks and comments, in any case. */
int opine__is_html(const unsigned char *s, size_t n);

/* Map a JSON object onto *doc (which must be OPINE_DOC_INIT) following the
 * field rules in reader.h; the CSV reader builds one per row. Takes a
 * reference of its own where it keeps the text. Returns 1, or a negative
 * error with the reason in detail. */
int opine__object_doc(struct json_object *obj, const opine_reader_opts *opts,
                      opine_doc *doc, char *detail, size_t detail_size);

/* The CSV reader (csv.c): sniff whether a peeked first line is a CSV header
 * (returns the delimiter, or 0), and read the next row of the current
 * input as a document (1, 0 at the end, or a negative error). */
int opine__csv_sniff(const unsigned char *s, size_t n,
                     const opine_reader_opts *opts, int want);
int opine__csv_next(opine_reader *r, opine_doc *doc);
void opine__csv_free(struct opine__csv *c);

/* The WARC reader (warc.c): the next response or resource record of the
 * current input as a document. */
int opine__warc_next(opine_reader *r, opine_doc *doc);

/* Decoding (encoding.c). opine__conv_open: a converter from `name` to
 * UTF-8, or OPINE_EUSAGE when iconv does not know the name. Bytes that are
 * not valid in the source encoding come out as the byte 0xFF, which is
 * never UTF-8, so that the record they land in is repaired or rejected
 * like any invalid UTF-8. */
int opine__conv_open(struct opine__conv **out, const char *name);
/* Convert in[0..*used..inlen) into out[0..cap): advances *used, returns
 * the bytes written. at_end: the input ends here (an incomplete sequence
 * left over is bad). */
size_t opine__conv_run(struct opine__conv *c, const unsigned char *in,
                       size_t *used, size_t inlen, unsigned char *out,
                       size_t cap, int at_end);
void opine__conv_free(struct opine__conv *c);
/* Whether name means UTF-8 ("utf-8", "UTF8", ...). */
int opine__is_utf8_name(const char *name);
/* A label from HTTP or HTML mapped as browsers map it (WHATWG Encoding
 * Standard): "iso-8859-1", "latin1" and "us-ascii" mean windows-1252. */
const char *opine__web_charset(const char *label);
/* Convert buf[0..len) from `name` into a malloc'd, NUL-terminated UTF-8
 * copy (*out, *outlen). Returns 0, OPINE_EUSAGE for an unknown name, or
 * OPINE_ENOMEM. */
int opine__conv_buffer(const char *name, const char *buf, size_t len,
                       char **out, size_t *outlen);

/* Map one JSON line (line[0..len), valid UTF-8) onto *doc (which must be
 * OPINE_DOC_INIT) following the field rules in reader.h. Fills everything
 * but source and position. Returns 1, or a negative error with a short
 * explanation written into detail[detail_size] (without the "FILE: line N: "
 * prefix, which the caller adds); *doc is left OPINE_DOC_INIT on error. */
int opine__jsonl_doc(const char *line, size_t len,
                     const opine_reader_opts *opts, opine_doc *doc,
                     char *detail, size_t detail_size);

#endif
