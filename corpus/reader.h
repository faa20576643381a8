/* corpus/reader.h — turns input paths into a stream of documents.
 *
 * A reader walks a list of inputs (files, directories, "-" for standard
 * input) and yields one document at a time with its metadata. It never holds
 * a whole file in memory: only the current record (bounded by max_record).
 *
 * Formats are detected by content, not by file name, at every level:
 *   - gzip (1f 8b): inflated with zlib as a stream, multi-member; the inner
 *     bytes are then detected again (gzip of JSON lines, of a tar, ...).
 *   - archives and other compressors, through libarchive: tar (plain or
 *     compressed any way), zip, 7z, cpio, ar, rar, ISO 9660, and a single
 *     xz, bzip2, zstd, lz4, lzip, lzma or compress stream. Each regular file
 *     in an archive is read as an input of its own (detected again: JSON
 *     lines, CSV, text, a nested archive), streamed, never extracted to
 *     disk, in the archive's order. Its documents' source is
 *     "ARCHIVE:MEMBER" ("a.tar.gz:dir/x.txt"); a single compressed stream
 *     keeps the file's name. Members whose path has a component starting
 *     with '.' (or under __MACOSX/) are skipped, as in directories.
 *   - WARC (starts "WARC/1."): one document per response or resource
 *     record holding a web page or text (warc.c).
 *   - a byte-order mark picks UTF-8, UTF-16 or UTF-32 (decoded to UTF-8);
 *     opts.encoding decodes anything else iconv knows (see below).
 *   - JSON lines: first non-blank byte is '{'. One object per line, parsed
 *     with json-c. Blank lines are skipped.
 *   - CSV/TSV: the first line is a header naming a text column (see
 *     csv.c); one document per row.
 *   - HTML: "<!doctype html" or "<html" first (today kept as text; the HTML
 *     extractor plugs in at opine__reader_page()).
 *   - plain text: anything else that is valid UTF-8 without NUL bytes; one
 *     file is one document.
 *   - directories are walked recursively in byte-wise sorted name order (so
 *     runs are reproducible); names starting with '.' are skipped.
 *
 * Field mapping, for JSON keys and CSV header columns alike (first field
 * present wins; all overridable):
 *   text      --text-field F, else "text", "body", "content"
 *   ext_id    --id-field F,   else "id" (for a text file, its path; for a
 *             member, its path in the archive)
 *   title     "title", "headline"
 *   author    "authors", "author", "byline" (an array is joined with "; ")
 *   outlet    "outlet", "source", "publication"
 *   published "date", "published", "published_at", "Date" — normalised to
 *             ISO-8601 (YYYY-MM-DD) when recognisable; the raw value is kept
 *             in meta as "date_raw" whenever it differs from the ISO form
 *   url       "url", "link"
 * Every other top-level string, number or boolean field goes to meta under
 * its own name (numbers and booleans as their JSON text); explicit
 * --meta KEY=FIELD mappings are added as meta KEY.
 *
 * Invalid UTF-8 (and, with an encoding, bytes that encoding does not
 * define): with OPINE_INVALID_REPLACE (the default) each maximal invalid
 * sequence becomes U+FFFD, the document gets meta "utf8_repairs" = how
 * many, and the reader counts them (opine_reader_counts()); with
 * OPINE_INVALID_REJECT the record is rejected.
 *
 * Errors are per record: a malformed JSON line or CSV row, a line longer
 * than max_record, invalid UTF-8 (when rejected), a record without text,
 * an empty or binary file, a truncated or corrupt gzip stream, a damaged
 * archive or member, an input that expands beyond the bomb guard's
 * limits. opine_reader_next() then returns a negative code,
 * opine_reader_error() says what happened and where ("FILE: line N: ..."),
 * and the next call continues with the next record (or, after a stream
 * error, with the next member or input). Only OPINE_ENOMEM is fatal.
 */
#ifndef OPINE_CORPUS_READER_H
#define OPINE_CORPUS_READER_H

#include <stddef.h>
#include <stdint.h>

typedef enum opine_format {
    OPINE_FORMAT_AUTO = 0,
    OPINE_FORMAT_TEXT,
    OPINE_FORMAT_JSONL,
    OPINE_FORMAT_CSV,
    OPINE_FORMAT_TSV,
    OPINE_FORMAT_HTML,
    OPINE_FORMAT_WARC,
} opine_format;

/* Parse "auto", "text", "jsonl", "csv", "tsv", "html", "warc"; returns
 * OPINE_EUSAGE for anything else. */
int opine_format_parse(const char *name, opine_format *out);

/* The name opine_format_parse() takes for f. */
const char *opine_format_name(opine_format f);

typedef enum opine_invalid_utf8 {
    OPINE_INVALID_REPLACE = 0, /* U+FFFD for each bad sequence, counted */
    OPINE_INVALID_REJECT,      /* the record is rejected */
} opine_invalid_utf8;

/* 0 when iconv can decode `name` (or it is UTF-8), else OPINE_EUSAGE. */
int opine_encoding_check(const char *name);

/* Parse "replace" or "reject"; OPINE_EUSAGE for anything else. */
int opine_invalid_utf8_parse(const char *name, opine_invalid_utf8 *out);

typedef struct opine_meta_map {
    const char *key;   /* name stored in doc meta */
    const char *field; /* JSON field to read it from */
} opine_meta_map;

typedef struct opine_reader_opts {
    opine_format format;        /* OPINE_FORMAT_AUTO: detect per input */
    const char *text_field;     /* NULL: defaults above */
    const char *id_field;       /* NULL: "id" */
    const opine_meta_map *meta; /* extra KEY=FIELD mappings, may be NULL */
    size_t nmeta;
    size_t max_record;    /* longest record (line or text file) in bytes;
                           * 0 means OPINE_MAX_RECORD_DEFAULT */
    const char *encoding; /* iconv name the inputs are in when no BOM says
                           * otherwise; NULL: UTF-8 */
    opine_invalid_utf8 invalid_utf8;
    char delimiter;        /* CSV field delimiter; 0: detect , \t or ; */
    unsigned max_ratio;    /* bomb guard: an input may expand to this many
                            * times its size; 0: OPINE_MAX_RATIO_DEFAULT */
    uint64_t max_unpacked; /* and to this many bytes in all; 0:
                            * OPINE_MAX_UNPACKED_DEFAULT */
} opine_reader_opts;

#define OPINE_MAX_RECORD_DEFAULT ((size_t)64 << 20)
#define OPINE_MAX_RATIO_DEFAULT 100u
#define OPINE_MAX_UNPACKED_DEFAULT ((uint64_t)256 << 30)
/* The ratio is checked only past this many decoded bytes, so that small,
 * very repetitive files pass. */
#define OPINE_RATIO_FLOOR ((uint64_t)8 << 20)

/* What the reader did besides yielding documents and errors, for the run
 * record. */
typedef struct opine_reader_counts {
    uint64_t utf8_repairs;     /* invalid sequences replaced by U+FFFD */
    uint64_t repaired_records; /* records with at least one repair */
    uint64_t members;          /* archive members read */
    uint64_t skipped_records;  /* WARC records that hold no document
                                * (requests, metadata, images, ...) */
} opine_reader_counts;

typedef struct opine_kv {
    char *key;
    char *value;
} opine_kv;

/* One document. Every pointer is owned by the document (malloc'd) and freed
 * by opine_doc_release(); strings are NUL-terminated; absent fields are
 * NULL. text is valid UTF-8 and text[text_len] == '\0'. */
typedef struct opine_doc {
    char *text;
    size_t text_len;
    void *text_owner; /* when not NULL, text lives in this parsed JSON
                       * string (no copy): opine_doc_release_text() */
    char *ext_id;     /* id from the record; for text files, the path
                       * (as source below) */
    char *title;
    char *author;
    char *outlet;
    char *published; /* "YYYY-MM-DD" or NULL */
    char *url;
    opine_kv *meta; /* other metadata, in field order */
    size_t nmeta;
    char *source;      /* the input file's path ("-" for standard input),
                        * as valid UTF-8: a byte of the name that is not
                        * UTF-8 is written \xHH (base/utf8.h) */
    uint64_t position; /* 1-based line for JSON lines and CSV (where the
                        * row starts), record number for WARC, 0 for a
                        * whole file */
} opine_doc;

#define OPINE_DOC_INIT                                                         \
    {                                                                          \
        0                                                                      \
    }

/* Free what the document owns and reset it to OPINE_DOC_INIT. NULL is ok. */
void opine_doc_release(opine_doc *doc);

/* Free only the text (the largest part), keeping the metadata. */
void opine_doc_release_text(opine_doc *doc);

typedef struct opine_reader opine_reader;

/* Open a reader over paths[0..npaths-1] (copied; "-" is standard input).
 * Paths that do not exist are reported as errors by opine_reader_next() in
 * turn, not here. Returns 0 or OPINE_ENOMEM / OPINE_EUSAGE. */
int opine_reader_open(opine_reader **out, const char *const *paths,
                      size_t npaths, const opine_reader_opts *opts);

/* Read the next document into *doc (which must be released or
 * OPINE_DOC_INIT; the caller owns the result and frees it with
 * opine_doc_release()). Returns 1 with a document, 0 when every input is
 * exhausted, or a negative error for a rejected record: see the top. */
int opine_reader_next(opine_reader *r, opine_doc *doc);

/* After a negative return: the message, "FILE: line N: what happened"
 * (or "FILE: what happened" for whole-file problems), and the file and
 * position it names. Valid until the next call on the reader. The
 * message shows FILE on one line (control characters and bytes that are
 * not UTF-8 as \xHH); the source is written as a document's source. */
const char *opine_reader_error(const opine_reader *r);
const char *opine_reader_error_source(const opine_reader *r);
uint64_t opine_reader_error_position(const opine_reader *r);

/* Progress: raw (possibly compressed) bytes consumed so far over all
 * inputs, and the sum of the sizes of the regular files among the inputs
 * known so far (0 when unknown, e.g. standard input). */
uint64_t opine_reader_bytes_read(const opine_reader *r);
uint64_t opine_reader_bytes_total(const opine_reader *r);

/* The counters so far (zeros for NULL). */
void opine_reader_get_counts(const opine_reader *r, opine_reader_counts *out);

void opine_reader_free(opine_reader *r);

/* Normalise a scraped date to "YYYY-MM-DD" in out[11]. Recognises ISO
 * dates and date-times with zones ("2016-09-20", "2016-09-20T10:00:00Z",
 * "2016-09-20T10:00:00-05:00"), U.S. numeric dates "M/D/YY" and "M/D/YYYY"
 * (day first when the first number cannot be a month, and "D.M.YYYY"),
 * "Month D, YYYY", "D Month YYYY", RFC 2822 ("Tue, 20 Sep 2016 10:00:00
 * +0000"), with labels ("Published:") and times before or after; the date
 * is the one written, in its own zone. A bare year is not a date. Returns
 * 0 or OPINE_EFORMAT. corpus/date.c lists the forms. */
int opine_date_normalize(const char *raw, char out[11]);

#endif
