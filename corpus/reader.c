/* corpus/reader.c — walks the inputs and splits them into records.
 *
 * FORMAT (see reader.h for the whole contract)
 *   An input is a file, a directory (walked recursively, entries in strcmp
 *   order, dot-names skipped, symlink loops cut) or "-" for standard input.
 *   Its bytes, inflated by source.c when gzip, are looked at in order:
 *     - "WARC/" first: WARC records (warc.c), read as raw bytes;
 *     - a byte-order mark: UTF-8 (dropped), UTF-16 or UTF-32 (decoded);
 *     - the magic number of a format libarchive reads, or a NUL byte in
 *       the first PEEK_SIZE bytes: an archive or compressed stream
 *       (archive.c), whose members are inputs of their own, up to
 *       OPINE__MAX_LEVELS deep; what libarchive does not know is binary
 *       (OPINE_EBINARY);
 *     - with opts.encoding, the bytes are decoded to UTF-8 from here on;
 *     - nothing but blanks: an empty file (OPINE_EEMPTY);
 *     - more than one byte in ten that is a control character or not
 *       valid UTF-8: binary (OPINE_EBINARY). A few bad bytes in otherwise
 *       good text are repaired or rejected by record instead;
 *     - first non-blank byte '{': JSON lines; a CSV header line: CSV; an
 *       HTML start: a web page; otherwise one text document (unless the
 *       options force a format).
 *   Lines end in "\n" or "\r\n" and are numbered from 1 in the decoded
 *   stream.
 *
 * HOW IT WORKS
 *   Decoded bytes arrive in the chunk buffer; the current record is copied
 *   into a second buffer that grows up to max_record (+1 byte for a "\r"
 *   and one for the NUL) and no further: once a line outgrows it, the rest
 *   of the line is scanned for its newline and dropped, so a huge line
 *   costs time but no memory. A text file is one record and is handed to
 *   the document without a copy.
 *
 *   The input is a stack of levels: the file, and when its bytes are an
 *   archive, the member being read (a source over the archive's data),
 *   and so on. Records come from the last level; when it ends, the archive
 *   below moves to its next member, and when that is exhausted it is
 *   closed in turn. The bomb guard compares the decoded bytes (and the
 *   archive's unpacked bytes) with the raw bytes read from the file.
 *
 *   A stream error from the source (truncated or corrupt gzip, a damaged
 *   member, a read error) is held back as "pending" until every byte
 *   before it has been used, so the complete lines before the damage come
 *   out as documents and the error names the line the damage cut.
 */
#include "corpus/internal.h"
#include "corpus/html_extract.h"
#include "corpus/archive.h"
#include "corpus/source.h"
#include "base/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)256 * 1024)
#define PEEK_SIZE ((size_t)8 * 1024)

#define reader_error opine__reader_error

enum { ENTRY_FILE, ENTRY_DIR };

struct dir_entry {
    char *name;
    int kind;
};

/* One directory being walked: its sorted entries and where we are. */
struct opine__dir_frame {
    char *path;
    struct dir_entry *entries;
    size_t n, next;
    dev_t dev;
    ino_t ino;
};

static const char *const format_names[] = {"auto", "text", "jsonl", "csv",
                                           "tsv",  "html", "warc"};

int opine_format_parse(const char *name, opine_format *out)
{
    size_t i;

    for (i = 0; name && i < sizeof(format_names) / sizeof(*format_names); i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (opine_format)i;
            return 0;
        }
    return OPINE_EUSAGE;
}

const char *opine_format_name(opine_format f)
{
    return (unsigned)f < sizeof(format_names) / sizeof(*format_names)
               ? format_names[f]
               : "auto";
}

int opine_invalid_utf8_parse(const char *name, opine_invalid_utf8 *out)
{
    if (name && strcmp(name, "replace") == 0)
        *out = OPINE_INVALID_REPLACE;
    else if (name && strcmp(name, "reject") == 0)
        *out = OPINE_INVALID_REJECT;
    else
        return OPINE_EUSAGE;
    return 0;
}

void opine_doc_release_text(opine_doc *doc)
{
    if (doc->text_owner)
        json_object_put(doc->text_owner);
    else
        free(doc->text);
    doc->text = NULL;
    doc->text_owner = NULL;
}

void opine_doc_release(opine_doc *doc)
{
    size_t i;

    if (!doc)
        return;
    opine_doc_release_text(doc);
    free(doc->ext_id);
    free(doc->title);
    free(doc->author);
    free(doc->outlet);
    free(doc->published);
    free(doc->url);
    for (i = 0; i < doc->nmeta; i++) {
        free(doc->meta[i].key);
        free(doc->meta[i].value);
    }
    free(doc->meta);
    free(doc->source);
    memset(doc, 0, sizeof(*doc));
}

/* ---- errors ---------------------------------------------------------- */

static void error_clear(opine_reader *r)
{
    free(r->err);
    free(r->err_source);
    r->err = NULL;
    r->err_source = NULL;
    r->err_code = 0;
    r->err_pos = 0;
}

/* Record "FILE: line N: what" (or "FILE: what" when line is 0) and return
 * rc. When even that cannot be allocated, opine_reader_error() falls back
 * to the generic message for rc. */
int opine__reader_error(opine_reader *r, int rc, const char *file,
                        uint64_t line, const char *fmt, ...)
{
    const char *unit = r->format == OPINE_FORMAT_WARC ? "record" : "line";
    char what[512];
    va_list ap;

    error_clear(r);
    r->err_code = rc;
    r->err_pos = line;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    /* What libraries say (libarchive's errors end in a newline, and may
     * quote a member's bytes) joins the message on its one line: control
     * characters become spaces, trailing ones go, and bytes that are not
     * UTF-8 (or a sequence the 512 bytes cut) are shown as \xHH. */
    size_t n = strlen(what);
    while (n > 0 && ((unsigned char)what[n - 1] < 0x20 || what[n - 1] == 0x7f))
        what[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)what[i] < 0x20 || what[i] == 0x7f)
            what[i] = ' ';
    /* A file name is bytes: the message shows it as text on one line,
     * the source is stored as documents' sources are. */
    char *shown = opine__utf8_escape(file, OPINE_UTF8_ESCAPE_CONTROLS);
    char *said = opine__utf8_escape(what, 0);
    if (shown && said && line > 0)
        r->err = opine__format("%s: %s %llu: %s", shown, unit,
                               (unsigned long long)line, said);
    else if (shown && said)
        r->err = opine__format("%s: %s", shown, said);
    free(shown);
    free(said);
    r->err_source = opine__utf8_escape(file, 0);
    return rc;
}

const char *opine_reader_error(const opine_reader *r)
{
    if (!r || r->err_code == 0)
        return "";
    return r->err ? r->err : opine_strerror(r->err_code);
}

const char *opine_reader_error_source(const opine_reader *r)
{
    return r && r->err_source ? r->err_source : "";
}

uint64_t opine_reader_error_position(const opine_reader *r)
{
    return r ? r->err_pos : 0;
}

/* ---- directory walk -------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
    const struct dir_entry *x = a, *y = b;

    return strcmp(x->name, y->name);
}

static char *path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    int slash = dl > 0 && dir[dl - 1] != '/';
    char *p = malloc(dl + slash + nl + 1);

    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    if (slash)
        p[dl] = '/';
    memcpy(p + dl + slash, name, nl + 1);
    return p;
}

static void frame_free(struct opine__dir_frame *f)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        free(f->entries[i].name);
    free(f->entries);
    free(f->path);
}

/* List the directory at path (already stat'ed as st) and push it. Entries
 * are stat'ed now, so that the sizes of its files count in bytes_total as
 * soon as the walk reaches the directory; anything that is neither a
 * regular file nor a directory (sockets, fifos) is left out. */
static int dir_push(opine_reader *r, const char *path, const struct stat *st)
{
    struct opine__dir_frame f = {0};
    size_t cap = 0, i;
    struct dirent *de;
    DIR *d;

    for (i = 0; i < r->ndirs; i++)
        if (r->dirs[i].dev == st->st_dev && r->dirs[i].ino == st->st_ino)
            return 0; /* a symlink back up the tree: already being walked */
    d = opendir(path);
    if (!d)
        return reader_error(r, errno == ENOENT ? OPINE_ENOENT : OPINE_EIO, path,
                            0, "cannot read directory: %s", strerror(errno));
    f.dev = st->st_dev;
    f.ino = st->st_ino;
    f.path = strdup(path);
    if (!f.path)
        goto nomem;
    while ((errno = 0, de = readdir(d)) != NULL) {
        struct stat est;
        char *full;
        int kind;

        if (de->d_name[0] == '.')
            continue;
        full = path_join(path, de->d_name);
        if (!full)
            goto nomem;
        if (stat(full, &est) != 0) {
            /* A dangling symlink: keep it so that opening it reports it. */
            kind = ENTRY_FILE;
        } else if (S_ISDIR(est.st_mode)) {
            kind = ENTRY_DIR;
        } else if (S_ISREG(est.st_mode)) {
            kind = ENTRY_FILE;
            r->bytes_total += (uint64_t)est.st_size;
        } else {
            free(full);
            continue;
        }
        free(full);
        if (f.n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct dir_entry *e = realloc(f.entries, ncap * sizeof(*e));
            if (!e)
                goto nomem;
            f.entries = e;
            cap = ncap;
        }
        f.entries[f.n].name = strdup(de->d_name);
        if (!f.entries[f.n].name)
            goto nomem;
        f.entries[f.n].kind = kind;
        f.n++;
    }
    closedir(d);
    if (f.n > 1)
        qsort(f.entries, f.n, sizeof(*f.entries), entry_cmp);
    if (r->ndirs == r->cap_dirs) {
        size_t ncap = r->cap_dirs ? r->cap_dirs * 2 : 8;
        struct opine__dir_frame *nd = realloc(r->dirs, ncap * sizeof(*nd));
        if (!nd) {
            frame_free(&f);
            return reader_error(r, OPINE_ENOMEM, path, 0, "out of memory");
        }
        r->dirs = nd;
        r->cap_dirs = ncap;
    }
    r->dirs[r->ndirs++] = f;
    return 0;
nomem:
    closedir(d);
    frame_free(&f);
    return reader_error(r, OPINE_ENOMEM, path, 0, "out of memory");
}

/* The next file to read, in *path (caller frees). Returns 1, 0 when the
 * inputs are exhausted, or an error about a path that cannot be read. */
static int walk_next(opine_reader *r, char **path)
{
    struct stat st;
    int rc;

    for (;;) {
        if (r->ndirs > 0) {
            struct opine__dir_frame *f = &r->dirs[r->ndirs - 1];
            struct dir_entry *e;
            char *full;

            if (f->next == f->n) {
                frame_free(f);
                r->ndirs--;
                continue;
            }
            e = &f->entries[f->next++];
            full = path_join(f->path, e->name);
            if (!full)
                return reader_error(r, OPINE_ENOMEM, f->path, 0,
                                    "out of memory");
            if (e->kind == ENTRY_FILE) {
                *path = full;
                return 1;
            }
            rc = stat(full, &st) == 0 && S_ISDIR(st.st_mode)
                     ? dir_push(r, full, &st)
                     : 0;
            free(full);
            if (rc != 0)
                return rc;
            continue;
        }
        if (r->next_path == r->npaths)
            return 0;
        {
            const char *p = r->paths[r->next_path++];

            if (strcmp(p, "-") != 0 && stat(p, &st) == 0 &&
                S_ISDIR(st.st_mode)) {
                rc = dir_push(r, p, &st);
                if (rc != 0)
                    return rc;
                continue;
            }
            *path = strdup(p);
            if (!*path)
                return reader_error(r, OPINE_ENOMEM, p, 0, "out of memory");
            return 1;
        }
    }
}

/* ---- levels of the current input ------------------------------------- */

/* Forget the byte stream of the last level: a new one starts. */
static void stream_reset(opine_reader *r)
{
    r->pos = r->len = 0;
    r->eof = 0;
    r->pending = 0;
    r->pending_msg[0] = '\0';
    r->rec_len = 0;
    r->line = 1;
    r->format = OPINE_FORMAT_AUTO;
    r->input_done = 0;
    r->records_in_input = 0;
    opine__conv_free(r->conv);
    r->conv = NULL;
    r->conv_name = NULL;
    r->raw_pos = r->raw_len = 0;
    r->raw_eof = 0;
    r->raw_pending = 0;
    opine__csv_free(r->csv);
    r->csv = NULL;
}

static void set_top(opine_reader *r)
{
    struct opine__level *l = r->nlevels ? &r->levels[r->nlevels - 1] : NULL;

    r->src = l ? l->src : NULL;
    r->cur = l ? l->name : NULL;
    r->cur_text = l ? l->text : NULL;
}

/* Close the last level (and with level 0, the input). */
static void level_pop(opine_reader *r)
{
    struct opine__level *l = &r->levels[--r->nlevels];

    if (r->nlevels == 0 && l->src) {
        uint64_t raw = opine__source_raw_bytes(l->src);
        /* A skipped tail counts as consumed, so progress reaches the
         * total; a zip that seeks may read some bytes twice. */
        r->bytes_done += r->cur_size ? r->cur_size : raw;
    }
    opine__archive_close(l->ar);
    opine__source_close(l->src);
    free(l->name);
    free(l->text);
    free(l->member);
    memset(l, 0, sizeof(*l));
    set_top(r);
    stream_reset(r);
}

static void input_close(opine_reader *r)
{
    while (r->nlevels > 0)
        level_pop(r);
    r->abandon = 0;
    r->input_done = 0;
}

/* Make src (named name, taken over with member) the last level. Returns 0,
 * or OPINE_ENOMEM (recorded) with all three freed. */
static int level_push(opine_reader *r, opine__source *src, char *name,
                      char *member)
{
    char *text = opine__utf8_escape(name, 0);
    struct opine__level *l;

    if (!text) {
        int rc = reader_error(r, OPINE_ENOMEM, name, 0, "out of memory");
        opine__source_close(src);
        free(name);
        free(member);
        return rc;
    }
    l = &r->levels[r->nlevels++];
    l->src = src;
    l->name = name;
    l->text = text;
    l->member = member;
    set_top(r);
    stream_reset(r);
    return 0;
}

/* ---- the bomb guard --------------------------------------------------- */

static void human(uint64_t n, char *buf, size_t size)
{
    if (n >= (uint64_t)1 << 30)
        snprintf(buf, size, "%.1f GiB", (double)n / (1 << 30));
    else if (n >= (uint64_t)1 << 20)
        snprintf(buf, size, "%.1f MiB", (double)n / (1 << 20));
    else
        snprintf(buf, size, "%.1f KiB", (double)n / 1024);
}

/* Whether the input has expanded past the limits; if so the message goes
 * to pending_msg. */
static int guard_tripped(opine_reader *r)
{
    uint64_t out = r->unpacked, raw, ratio = r->opts.max_ratio;
    char a[32], b[32];
    int i;

    if (r->nlevels == 0)
        return 0;
    for (i = 0; i < r->nlevels; i++)
        if (r->levels[i].ar && opine__archive_unpacked(r->levels[i].ar) > out)
            out = opine__archive_unpacked(r->levels[i].ar);
    raw = opine__source_raw_bytes(r->levels[0].src);
    if (out > r->opts.max_unpacked) {
        human(out, a, sizeof a);
        snprintf(r->pending_msg, sizeof(r->pending_msg),
                 "unpacks to more than %s (--max-unpacked); the rest of '%s'"
                 " is skipped",
                 a, r->levels[0].name);
        return 1;
    }
    if (out > OPINE_RATIO_FLOOR && raw > 0 && out / ratio > raw) {
        human(out, a, sizeof a);
        human(raw, b, sizeof b);
        snprintf(r->pending_msg, sizeof(r->pending_msg),
                 "expands more than %llu times (%s from %s so far): a"
                 " decompression bomb? the rest of '%s' is skipped"
                 " (--max-ratio raises the limit)",
                 (unsigned long long)ratio, a, b, r->levels[0].name);
        return 1;
    }
    return 0;
}

/* ---- decoded bytes ---------------------------------------------------- */

/* Append more decoded bytes to the chunk (after dropping the used ones,
 * or moving the unused ones to the front when the chunk is full). A source
 * error, or the bomb guard, becomes pending. */
void opine__reader_more(opine_reader *r)
{
    size_t n = 0;
    int rc;

    if (r->pos == r->len)
        r->pos = r->len = 0;
    else if (r->len == r->chunk_cap && r->pos > 0) {
        memmove(r->chunk, r->chunk + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (!r->conv) {
        rc = opine__source_read(r->src, r->chunk + r->len,
                                r->chunk_cap - r->len, &n);
        if (rc != 0)
            r->pending = rc;
        else if (n == 0)
            r->eof = 1;
    } else {
        int at_end;

        if (r->raw_len - r->raw_pos < 16 && !r->raw_eof && !r->raw_pending) {
            size_t got = 0;
            memmove(r->raw, r->raw + r->raw_pos, r->raw_len - r->raw_pos);
            r->raw_len -= r->raw_pos;
            r->raw_pos = 0;
            rc = opine__source_read(r->src, r->raw + r->raw_len,
                                    READ_CHUNK - r->raw_len, &got);
            if (rc != 0)
                r->raw_pending = rc;
            else if (got == 0)
                r->raw_eof = 1;
            r->raw_len += got;
        }
        at_end = r->raw_eof || r->raw_pending;
        n = opine__conv_run(r->conv, r->raw, &r->raw_pos, r->raw_len,
                            r->chunk + r->len, r->chunk_cap - r->len, at_end);
        if (n == 0 && at_end && r->raw_pos == r->raw_len) {
            if (r->raw_pending)
                r->pending = r->raw_pending;
            else
                r->eof = 1;
        }
    }
    r->len += n;
    r->unpacked += n;
    if (n > 0 && !r->pending && guard_tripped(r)) {
        r->pending = OPINE_ETOOBIG;
        r->abandon = 1;
    }
}

void opine__reader_fill(opine_reader *r, size_t n)
{
    while (r->len - r->pos < n && !r->eof && !r->pending) {
        if (r->pos > 0 && r->chunk_cap - r->pos < n) {
            memmove(r->chunk, r->chunk + r->pos, r->len - r->pos);
            r->len -= r->pos;
            r->pos = 0;
        }
        opine__reader_more(r);
    }
}

int opine__reader_unread(opine_reader *r, const char *s, size_t n)
{
    size_t keep = r->len - r->pos;

    if (n == 0)
        return 0;
    if (keep + n > r->chunk_cap) {
        size_t cap = keep + n;
        unsigned char *p = malloc(cap);
        if (!p)
            return OPINE_ENOMEM;
        memcpy(p, s, n);
        memcpy(p + n, r->chunk + r->pos, keep);
        free(r->chunk);
        r->chunk = p;
        r->chunk_cap = cap;
    } else {
        memmove(r->chunk + n, r->chunk + r->pos, keep);
        memcpy(r->chunk, s, n);
    }
    r->pos = 0;
    r->len = keep + n;
    return 0;
}

int opine__reader_stream_error(opine_reader *r, uint64_t line)
{
    int rc = r->pending;
    const char *rest = "; the rest of the file is lost";
    const char *detail;

    r->input_done = 1;
    if (rc == OPINE_ENOMEM)
        return reader_error(r, rc, r->cur, line, "out of memory");
    if (r->pending_msg[0]) /* the bomb guard: about the file, not a line */
        return reader_error(r, rc, r->cur, 0, "%s", r->pending_msg);
    detail = opine__source_detail(r->src);
    if (r->nlevels > 1) {
        opine__archive *below = r->levels[r->nlevels - 2].ar;
        if (below && !opine__archive_is_stream(below))
            rest = opine__archive_fatal(below)
                       ? "; the rest of the archive is lost"
                       : "; the rest of the member is lost";
    }
    return reader_error(r, rc, r->cur, line, "%s%s", detail, rest);
}

#define stream_error opine__reader_stream_error

/* Bytes in s[0..n) that text would not contain: invalid UTF-8 and control
 * characters other than blanks, backspace and escape. A sequence cut by the
 * end of the window is not held against it when more follows. */
static size_t bad_bytes(const unsigned char *s, size_t n, int more,
                        size_t *controls)
{
    size_t bad = 0, i = 0;

    *controls = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k;

        if (c < 0x80) {
            if ((c < 0x20 && !opine__is_blank(c) && c != '\b' && c != 0x1b) ||
                c == 0x7f)
                bad++, (*controls)++;
            i++;
            continue;
        }
        k = opine__utf8_seq(s + i, n - i);
        if (k == 0) {
            if (more && n - i < 4)
                break;
            bad++;
            k = 1;
        }
        i += k;
    }
    return bad;
}

int opine__is_html(const unsigned char *s, size_t n)
{
    return opine_html_sniff((const char *)s, n);
}

/* Decode the rest of the current level from `name`: the bytes already in
 * the chunk go back through the converter. */
static int conv_start(opine_reader *r, const char *name)
{
    int rc = opine__conv_open(&r->conv, name);
    size_t keep = r->len - r->pos;

    if (rc != 0)
        return rc;
    if (!r->raw) {
        r->raw = malloc(READ_CHUNK);
        if (!r->raw)
            return OPINE_ENOMEM;
    }
    memcpy(r->raw, r->chunk + r->pos, keep); /* keep <= PEEK_SIZE + chunk */
    r->raw_pos = 0;
    r->raw_len = keep;
    r->raw_eof = r->eof;
    r->raw_pending = r->pending;
    r->pos = r->len = 0;
    r->eof = 0;
    r->pending = 0;
    r->unpacked -= keep; /* counted again as they are decoded */
    r->conv_name = name;
    return 0;
}

/* Look at the start of the last level and decide how to read it. Returns
 * 1 when records follow, 2 when it is an archive (members follow), or an
 * error for a level rejected whole (input_done is then set). */
static int content_open(opine_reader *r)
{
    struct opine__level *l = &r->levels[r->nlevels - 1];
    const char *enc = NULL, *detail = NULL;
    opine_format forced = r->opts.format;
    size_t i, window, bad, controls, skip = 0;
    const unsigned char *c;
    int rc, delim;

    opine__reader_fill(r, PEEK_SIZE);
    c = r->chunk;
    if (r->len >= 5 && memcmp(c, "WARC/", 5) == 0 &&
        (forced == OPINE_FORMAT_AUTO || forced == OPINE_FORMAT_WARC)) {
        r->format = OPINE_FORMAT_WARC;
        return 1;
    }
    if (r->len >= 3 && c[0] == 0xEF && c[1] == 0xBB && c[2] == 0xBF)
        skip = 3, enc = "UTF-8";
    else if (r->len >= 4 && memcmp(c, "\xFF\xFE\0\0", 4) == 0)
        skip = 4, enc = "UTF-32LE";
    else if (r->len >= 4 && memcmp(c, "\0\0\xFE\xFF", 4) == 0)
        skip = 4, enc = "UTF-32BE";
    else if (r->len >= 2 && c[0] == 0xFF && c[1] == 0xFE)
        skip = 2, enc = "UTF-16LE";
    else if (r->len >= 2 && c[0] == 0xFE && c[1] == 0xFF)
        skip = 2, enc = "UTF-16BE";
    window = r->len < PEEK_SIZE ? r->len : PEEK_SIZE;
    if (!enc && r->len > 0 &&
        (opine__archive_magic(c, r->len) || memchr(c, 0, window))) {
        if (r->nlevels == OPINE__MAX_LEVELS) {
            r->input_done = 1;
            return reader_error(r, OPINE_EFORMAT, r->cur, 0,
                                "archive nested %d deep; unpack the outer"
                                " ones first",
                                OPINE__MAX_LEVELS);
        }
        rc = opine__archive_open(&l->ar, l->src, r->chunk, r->len, &detail);
        if (rc == OPINE_EBINARY) {
            r->input_done = 1;
            return reader_error(r, rc, r->cur, 0, "binary file (%s); skipped",
                                memchr(c, 0, window) ? "NUL bytes"
                                                     : "not text");
        }
        if (rc != 0) {
            r->input_done = 1;
            if (!opine__source_can_seek(l->src) && strstr(detail, "seek"))
                return reader_error(r, rc, r->cur, 0,
                                    "this archive (7z) must be read from a"
                                    " file opine can seek in: give its"
                                    " path rather than a pipe; skipped");
            return reader_error(r, rc, r->cur, 0, "%s; skipped", detail);
        }
        return 2;
    }
    /* HTML names its own encoding in <meta charset> (the HTML extractor's
     * prescan belongs here, before --encoding: a page's own word about
     * itself is worth more than a default for all inputs). */
    if (!enc && r->opts.encoding)
        enc = r->opts.encoding;
    r->pos = skip;
    if (enc && !opine__is_utf8_name(enc)) {
        rc = conv_start(r, enc);
        if (rc != 0) {
            r->input_done = 1;
            if (rc == OPINE_ENOMEM)
                return reader_error(r, rc, r->cur, 0, "out of memory");
            return reader_error(r, rc, r->cur, 0,
                                "iconv cannot decode '%s'; skipped", enc);
        }
        opine__reader_fill(r, PEEK_SIZE);
    }

    for (i = r->pos; i < r->len && opine__is_blank(r->chunk[i]); i++)
        ;
    if (i == r->len && (r->eof || r->pending)) {
        if (r->pending)
            return stream_error(r, 1 + opine__count_lines(r->chunk, r->len));
        r->input_done = 1;
        return reader_error(r, OPINE_EEMPTY, r->cur, 0, "empty file");
    }
    window = r->len - r->pos < PEEK_SIZE ? r->len - r->pos : PEEK_SIZE;
    if (memchr(r->chunk + r->pos, 0, window)) {
        r->input_done = 1;
        return reader_error(r, OPINE_EBINARY, r->cur, 0,
                            "binary file (NUL bytes); skipped");
    }
    bad = bad_bytes(r->chunk + r->pos, window,
                    window < r->len - r->pos || !r->eof, &controls);
    if (bad * 10 > window) {
        r->input_done = 1;
        if (!r->conv_name && controls * 100 <= window)
            /* Bytes above 0x7F that are not UTF-8, in what is otherwise
             * text: an 8-bit encoding. */
            return reader_error(r, OPINE_EBINARY, r->cur, 0,
                                "not UTF-8 text (%zu bad bytes in the first"
                                " %zu): Latin-1 or Windows-1252? give"
                                " --encoding windows-1252; skipped",
                                bad, window);
        return reader_error(r, OPINE_EBINARY, r->cur, 0,
                            "binary file (not %s text); skipped",
                            r->conv_name ? r->conv_name : "UTF-8");
    }

    c = r->chunk + i;
    r->format = forced;
    if (forced == OPINE_FORMAT_AUTO) {
        if (c[0] == '{')
            r->format = OPINE_FORMAT_JSONL;
        else if ((delim = opine__csv_sniff(r->chunk + r->pos, r->len - r->pos,
                                           &r->opts, 0)) != 0) {
            r->format = OPINE_FORMAT_CSV;
            r->csv_delim = delim;
        } else if (opine__is_html(c, r->len - i))
            r->format = OPINE_FORMAT_HTML;
        else
            r->format = OPINE_FORMAT_TEXT;
    } else if (forced == OPINE_FORMAT_CSV || forced == OPINE_FORMAT_TSV) {
        r->csv_delim = forced == OPINE_FORMAT_TSV ? '\t'
                       : r->opts.delimiter
                           ? r->opts.delimiter
                           : opine__csv_sniff(r->chunk + r->pos,
                                              r->len - r->pos, &r->opts, 1);
    }
    return 1;
}

/* Open the next input. Returns 1 when the state changed (records or
 * members follow, or an error was recorded), 0 when there are no more
 * inputs, or an error for an input that is rejected whole. */
static int input_open(opine_reader *r)
{
    struct stat st;
    opine__source *src;
    char *path = NULL;
    int fd, rc;

    rc = walk_next(r, &path);
    if (rc <= 0)
        return rc;
    r->cur_size = 0;
    r->unpacked = 0;
    if (strcmp(path, "-") == 0) {
        fd = 0;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            rc = reader_error(
                r, e == ENOENT ? OPINE_ENOENT : OPINE_EIO, path, 0, "%s",
                e == ENOENT ? "no such file or directory" : strerror(e));
            free(path);
            return rc;
        }
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            r->cur_size = (uint64_t)st.st_size;
    }
    rc = opine__source_open(&src, fd);
    if (rc != 0) {
        int e = errno; /* the source closed fd */
        if (rc == OPINE_ENOMEM)
            rc = reader_error(r, rc, path, 0, "out of memory");
        else
            rc = reader_error(r, rc, path, 0, "read error: %s", strerror(e));
        free(path);
        return rc;
    }
    rc = level_push(r, src, path, NULL);
    if (rc < 0)
        return rc;
    rc = content_open(r);
    return rc < 0 ? rc : 1;
}

/* Open the next member of the archive at the last level, or close the
 * archive when it has no more. Returns 0 when the state changed, or an
 * error (recorded) for a member rejected whole or a damaged archive. */
static int next_member(opine_reader *r)
{
    struct opine__level *l = &r->levels[r->nlevels - 1];
    const char *name = NULL, *detail = NULL;
    opine__source *src;
    char *full, *member = NULL;
    int rc;

    rc = opine__archive_next(l->ar, &name);
    if (rc == 0) {
        level_pop(r);
        return 0;
    }
    if (rc < 0) {
        rc = reader_error(
            r, rc, l->name, 0, "%s (%s); the rest of the archive is lost",
            opine__archive_detail(l->ar), opine__archive_kind(l->ar));
        level_pop(r);
        return rc;
    }
    if (opine__archive_is_stream(l->ar)) {
        full = strdup(l->name);
    } else {
        size_t a = strlen(l->name), b = strlen(name);
        full = malloc(a + b + 2);
        member = strdup(name);
        if (full) {
            memcpy(full, l->name, a);
            full[a] = ':';
            memcpy(full + a + 1, name, b + 1);
        }
        r->counts.members++;
    }
    if (!full || (!member && !opine__archive_is_stream(l->ar))) {
        free(full);
        free(member);
        return reader_error(r, OPINE_ENOMEM, l->name, 0, "out of memory");
    }
    rc = opine__source_open_pull(&src, opine__archive_pull, l->ar, &detail);
    if (rc != 0) {
        rc = reader_error(r, rc, full, 0, "%s%s", detail ? detail : "",
                          opine__archive_fatal(l->ar)
                              ? "; the rest of the archive is lost"
                              : "; skipped");
        free(full);
        free(member);
        return rc;
    }
    rc = level_push(r, src, full, member);
    if (rc < 0)
        return rc;
    rc = content_open(r);
    return rc < 0 ? rc : 0;
}

/* The last level is done: drop it (reading what is left of a member of a
 * stream-compressed archive through the bomb guard, rather than letting
 * libarchive skip it unchecked). Returns 0 or the guard's error. */
static int finish_level(opine_reader *r)
{
    if (r->abandon) {
        input_close(r);
        return 0;
    }
    if (r->nlevels >= 2) {
        opine__archive *below = r->levels[r->nlevels - 2].ar;
        opine__source *under = r->levels[r->nlevels - 2].src;
        int drained = 0;
        while (below && !opine__archive_fatal(below) &&
               !opine__source_can_seek(under)) {
            const char *detail;
            size_t n = 0;
            if (opine__archive_pull(below, r->chunk, r->chunk_cap, &n,
                                    &detail) != 0 ||
                n == 0)
                break;
            if ((++drained & 63) == 0 && guard_tripped(r)) {
                int rc = reader_error(r, OPINE_ETOOBIG, r->cur, 0, "%s",
                                      r->pending_msg);
                input_close(r);
                return rc;
            }
        }
    }
    level_pop(r);
    r->input_done = 0;
    return 0;
}

/* ---- public API ------------------------------------------------------ */

int opine_reader_open(opine_reader **out, const char *const *paths,
                      size_t npaths, const opine_reader_opts *opts)
{
    opine_reader *r;
    size_t i;

    if (!out)
        return OPINE_EUSAGE;
    *out = NULL;
    if (npaths > 0 && !paths)
        return OPINE_EUSAGE;
    if (opts) {
        if ((unsigned)opts->format > OPINE_FORMAT_WARC)
            return OPINE_EUSAGE;
        if (opts->invalid_utf8 != OPINE_INVALID_REPLACE &&
            opts->invalid_utf8 != OPINE_INVALID_REJECT)
            return OPINE_EUSAGE;
        if (opts->nmeta > 0 && !opts->meta)
            return OPINE_EUSAGE;
        for (i = 0; i < opts->nmeta; i++)
            if (!opts->meta[i].key || !opts->meta[i].field)
                return OPINE_EUSAGE;
        if (opts->encoding && !opine__is_utf8_name(opts->encoding)) {
            struct opine__conv *c = NULL;
            int rc = opine__conv_open(&c, opts->encoding);
            opine__conv_free(c);
            if (rc != 0)
                return rc;
        }
    }
    for (i = 0; i < npaths; i++)
        if (!paths[i])
            return OPINE_EUSAGE;

    r = calloc(1, sizeof(*r));
    if (!r)
        return OPINE_ENOMEM;
    if (opts)
        r->opts = *opts;
    r->opts.text_field = NULL;
    r->opts.id_field = NULL;
    r->opts.encoding = NULL;
    r->opts.meta = NULL;
    r->opts.nmeta = 0;
    r->max_record =
        r->opts.max_record ? r->opts.max_record : OPINE_MAX_RECORD_DEFAULT;
    if (r->max_record > SIZE_MAX / 4)
        r->max_record = SIZE_MAX / 4;
    r->opts.max_record = r->max_record;
    if (r->opts.max_ratio == 0)
        r->opts.max_ratio = OPINE_MAX_RATIO_DEFAULT;
    if (r->opts.max_unpacked == 0)
        r->opts.max_unpacked = OPINE_MAX_UNPACKED_DEFAULT;
    r->chunk = malloc(READ_CHUNK);
    r->chunk_cap = READ_CHUNK;
    r->paths = calloc(npaths ? npaths : 1, sizeof(*r->paths));
    if (!r->chunk || !r->paths)
        goto nomem;
    if (opts && opts->text_field &&
        !(r->opts.text_field = strdup(opts->text_field)))
        goto nomem;
    if (opts && opts->id_field && !(r->opts.id_field = strdup(opts->id_field)))
        goto nomem;
    if (opts && opts->encoding && !(r->opts.encoding = strdup(opts->encoding)))
        goto nomem;
    if (opts && opts->nmeta > 0) {
        r->meta = calloc(opts->nmeta, sizeof(*r->meta));
        if (!r->meta)
            goto nomem;
        r->opts.meta = r->meta;
        for (i = 0; i < opts->nmeta; i++) {
            r->meta[i].key = strdup(opts->meta[i].key);
            r->meta[i].field = strdup(opts->meta[i].field);
            r->opts.nmeta = i + 1;
            if (!r->meta[i].key || !r->meta[i].field)
                goto nomem;
        }
    }
    for (i = 0; i < npaths; i++) {
        struct stat st;

        r->paths[i] = strdup(paths[i]);
        r->npaths = i + 1;
        if (!r->paths[i])
            goto nomem;
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 &&
            S_ISREG(st.st_mode))
            r->bytes_total += (uint64_t)st.st_size;
    }
    *out = r;
    return 0;
nomem:
    opine_reader_free(r);
    return OPINE_ENOMEM;
}

int opine_reader_next(opine_reader *r, opine_doc *doc)
{
    int rc;

    if (!r || !doc)
        return OPINE_EUSAGE;
    error_clear(r);
    for (;;) {
        if (r->nlevels > 0 && (r->input_done || r->abandon)) {
            rc = finish_level(r);
            if (rc != 0)
                return rc;
            continue;
        }
        if (r->nlevels > 0 && r->levels[r->nlevels - 1].ar) {
            rc = next_member(r);
            if (rc != 0)
                return rc;
            continue;
        }
        if (r->nlevels == 0) {
            rc = input_open(r);
            if (rc <= 0)
                return rc;
            continue;
        }
        switch (r->format) {
        case OPINE_FORMAT_JSONL:
            rc = opine__jsonl_next(r, doc);
            break;
        case OPINE_FORMAT_CSV:
        case OPINE_FORMAT_TSV:
            rc = opine__csv_next(r, doc);
            break;
        case OPINE_FORMAT_WARC:
            rc = opine__warc_next(r, doc);
            break;
        default:
            rc = opine__text_next(r, doc);
            break;
        }
        if (rc != 0)
            return rc;
        r->input_done = 1;
    }
}

uint64_t opine_reader_bytes_read(const opine_reader *r)
{
    uint64_t raw;

    if (!r)
        return 0;
    raw = r->nlevels ? opine__source_raw_bytes(r->levels[0].src) : 0;
    if (r->cur_size && raw > r->cur_size)
        raw = r->cur_size;
    return r->bytes_done + raw;
}

uint64_t opine_reader_bytes_total(const opine_reader *r)
{
    return r ? r->bytes_total : 0;
}

void opine_reader_get_counts(const opine_reader *r, opine_reader_counts *out)
{
    if (r)
        *out = r->counts;
    else
        memset(out, 0, sizeof(*out));
}

void opine_reader_free(opine_reader *r)
{
    size_t i;

    if (!r)
        return;
    input_close(r);
    while (r->ndirs > 0)
        frame_free(&r->dirs[--r->ndirs]);
    free(r->dirs);
    for (i = 0; i < r->npaths; i++)
        free(r->paths[i]);
    free(r->paths);
    for (i = 0; i < r->opts.nmeta; i++) {
        free((char *)r->meta[i].key);
        free((char *)r->meta[i].field);
    }
    free(r->meta);
    free((char *)r->opts.text_field);
    free((char *)r->opts.id_field);
    free((char *)r->opts.encoding);
    free(r->rec);
    free(r->fix);
    free(r->raw);
    free(r->chunk);
    error_clear(r);
    free(r);
}
