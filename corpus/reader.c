/* corpus/reader.c — walks the inputs and splits them into records.
 *
 * FORMAT (see reader.h for the whole contract)
 *   An input is a file, a directory (walked recursively, entries in strcmp
 *   order, dot-names skipped, symlink loops cut) or "-" for standard input.
 *   Its bytes, inflated by source.c when gzip, may start with a UTF-8 BOM,
 *   which is dropped. The first PEEK_SIZE bytes decide the rest:
 *     - nothing but blanks: an empty file (OPINE_EEMPTY);
 *     - a NUL byte, or more than one byte in ten that is a control
 *       character or not valid UTF-8: binary (OPINE_EBINARY). A few bad
 *       bytes in otherwise good text are reported as invalid UTF-8 with
 *       their line instead, which is what a Latin-1 file needs to hear;
 *     - first non-blank byte '{': JSON lines; otherwise one text document
 *       (unless the options force a format).
 *   Lines end in "\n" or "\r\n" and are numbered from 1 in the decompressed
 *   stream.
 *
 * HOW IT WORKS
 *   Decompressed bytes arrive in a READ_CHUNK buffer; the current record is
 *   copied into a second buffer that grows up to max_record (+1 byte for a
 *   "\r" and one for the NUL) and no further: once a line outgrows it, the
 *   rest of the line is scanned for its newline and dropped, so a huge line
 *   costs time but no memory. A text file is one record and is handed to
 *   the document without a copy.
 *
 *   A stream error from the source (truncated or corrupt gzip, a read
 *   error) is held back as "pending" until every byte before it has been
 *   used, so the complete lines before the damage come out as documents
 *   and the error names the line the damage cut.
 */
#include "corpus/internal.h"
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
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)256 * 1024)
#define PEEK_SIZE ((size_t)8 * 1024)
#define REC_INITIAL ((size_t)64 * 1024)

enum { ENTRY_FILE, ENTRY_DIR };

struct dir_entry {
    char *name;
    int kind;
};

/* One directory being walked: its sorted entries and where we are. */
struct dir_frame {
    char *path;
    struct dir_entry *entries;
    size_t n, next;
    dev_t dev;
    ino_t ino;
};

struct opine_reader {
    /* Options, with private copies of every string. */
    opine_reader_opts opts;
    opine_meta_map *meta;
    size_t max_record;

    char **paths;
    size_t npaths, next_path;
    struct dir_frame *dirs;
    size_t ndirs, cap_dirs;

    /* The input being read; src is NULL between inputs. */
    opine__source *src;
    char *cur;
    char *cur_text; /* cur as valid UTF-8, for documents (base/utf8.h) */
    opine_format format;
    int input_done; /* finished: close it before the next call reads */
    uint64_t cur_size;
    unsigned char *chunk;
    size_t pos, len;
    int eof;
    int pending;   /* source error not yet reported */
    uint64_t line; /* number of the next line to start */

    char *rec; /* current record */
    size_t rec_len, rec_cap;

    int err_code;
    char *err;
    char *err_source;
    uint64_t err_pos;

    uint64_t bytes_done; /* raw bytes of the inputs already closed */
    uint64_t bytes_total;
};

int opine_format_parse(const char *name, opine_format *out)
{
    if (name && strcmp(name, "auto") == 0)
        *out = OPINE_FORMAT_AUTO;
    else if (name && strcmp(name, "text") == 0)
        *out = OPINE_FORMAT_TEXT;
    else if (name && strcmp(name, "jsonl") == 0)
        *out = OPINE_FORMAT_JSONL;
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
static int reader_error(opine_reader *r, int rc, const char *file,
                        uint64_t line, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    error_clear(r);
    r->err_code = rc;
    r->err_pos = line;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    /* A file name is bytes: the message shows it as text on one line,
     * the source is stored as documents' sources are. */
    char *shown = opine__utf8_escape(file, OPINE_UTF8_ESCAPE_CONTROLS);
    if (shown && line > 0)
        r->err = opine__format("%s: line %llu: %s", shown,
                               (unsigned long long)line, what);
    else if (shown)
        r->err = opine__format("%s: %s", shown, what);
    free(shown);
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

static void frame_free(struct dir_frame *f)
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
    struct dir_frame f = {0};
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
        struct dir_frame *nd = realloc(r->dirs, ncap * sizeof(*nd));
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
            struct dir_frame *f = &r->dirs[r->ndirs - 1];
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

/* ---- the current input ----------------------------------------------- */

static void input_close(opine_reader *r)
{
    if (r->src) {
        uint64_t raw = opine__source_raw_bytes(r->src);
        /* A skipped tail counts as consumed, so progress reaches the
         * total. */
        r->bytes_done += raw > r->cur_size ? raw : r->cur_size;
        opine__source_close(r->src);
        r->src = NULL;
    }
    free(r->cur);
    free(r->cur_text);
    r->cur = r->cur_text = NULL;
    r->input_done = 0;
    r->pos = r->len = 0;
    r->eof = 0;
    r->pending = 0;
    r->rec_len = 0;
}

/* Append more decompressed bytes to the chunk (after dropping the used
 * ones). A source error becomes pending. */
static void read_more(opine_reader *r)
{
    size_t n = 0;
    int rc;

    if (r->pos == r->len)
        r->pos = r->len = 0;
    rc = opine__source_read(r->src, r->chunk + r->len, READ_CHUNK - r->len, &n);
    if (rc != 0)
        r->pending = rc;
    else if (n == 0)
        r->eof = 1;
    r->len += n;
}

static int stream_error(opine_reader *r, uint64_t line)
{
    int rc = r->pending;

    r->input_done = 1;
    if (rc == OPINE_ENOMEM)
        return reader_error(r, rc, r->cur, line, "out of memory");
    return reader_error(r, rc, r->cur, line, "%s; the rest of the file is lost",
                        opine__source_detail(r->src));
}

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static uint64_t count_lines(const unsigned char *s, size_t n)
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

/* Bytes in s[0..n) that text would not contain: invalid UTF-8 and control
 * characters other than blanks, backspace and escape. A sequence cut by the
 * end of the window is not held against it when more follows. */
static size_t bad_bytes(const unsigned char *s, size_t n, int more)
{
    size_t bad = 0, i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t k;

        if (c < 0x80) {
            if ((c < 0x20 && !is_blank(c) && c != '\b' && c != 0x1b) ||
                c == 0x7f)
                bad++;
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

/* Open the next input, peek at it and decide its format. Returns 1 when
 * there is an input to read records from, 0 when there are no more inputs,
 * or an error for an input that is rejected whole. */
static int input_open(opine_reader *r)
{
    struct stat st;
    size_t i, window, bad;
    char *path = NULL;
    int fd, rc;

    rc = walk_next(r, &path);
    if (rc <= 0)
        return rc;
    r->cur = path;
    r->cur_text = opine__utf8_escape(path, 0);
    r->cur_size = 0;
    r->line = 1;
    if (!r->cur_text) {
        rc = reader_error(r, OPINE_ENOMEM, path, 0, "out of memory");
        input_close(r);
        return rc;
    }
    if (strcmp(path, "-") == 0) {
        fd = 0;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            rc = reader_error(
                r, e == ENOENT ? OPINE_ENOENT : OPINE_EIO, path, 0, "%s",
                e == ENOENT ? "no such file or directory" : strerror(e));
            input_close(r); /* frees path */
            return rc;
        }
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            r->cur_size = (uint64_t)st.st_size;
    }
    rc = opine__source_open(&r->src, fd);
    if (rc != 0) {
        int e = errno; /* the source closed fd */
        if (rc == OPINE_ENOMEM)
            return reader_error(r, rc, r->cur, 0, "out of memory");
        rc = reader_error(r, rc, r->cur, 0, "read error: %s", strerror(e));
        input_close(r);
        return rc;
    }

    while (r->len < PEEK_SIZE && !r->eof && !r->pending)
        read_more(r);
    if (r->len >= 3 && r->chunk[0] == 0xEF && r->chunk[1] == 0xBB &&
        r->chunk[2] == 0xBF)
        r->pos = 3;

    for (i = r->pos; i < r->len && is_blank(r->chunk[i]); i++)
        ;
    if (i == r->len && (r->eof || r->pending)) {
        if (r->pending)
            return stream_error(r, 1 + count_lines(r->chunk, r->len));
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
                    window < r->len - r->pos || !r->eof);
    if (bad * 10 > window) {
        r->input_done = 1;
        return reader_error(r, OPINE_EBINARY, r->cur, 0,
                            "binary file (not UTF-8 text); skipped");
    }

    r->format = r->opts.format;
    if (r->format == OPINE_FORMAT_AUTO)
        r->format = i < r->len && r->chunk[i] == '{' ? OPINE_FORMAT_JSONL
                                                     : OPINE_FORMAT_TEXT;
    return 1;
}

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
static int read_line(opine_reader *r, uint64_t *lineno)
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
            read_more(r);
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

static int set_origin(opine_reader *r, opine_doc *doc, uint64_t position)
{
    doc->source = strdup(r->cur_text);
    doc->position = position;
    if (!doc->source) {
        opine_doc_release(doc);
        return reader_error(r, OPINE_ENOMEM, r->cur, position, "out of memory");
    }
    return 1;
}

static int next_jsonl(opine_reader *r, opine_doc *doc)
{
    char detail[256];
    uint64_t lineno;
    size_t bad;
    int rc;

    for (;;) {
        size_t i;

        rc = read_line(r, &lineno);
        if (rc <= 0)
            return rc;
        for (i = 0; i < r->rec_len && is_blank((unsigned char)r->rec[i]); i++)
            ;
        if (i < r->rec_len)
            break;
    }
    bad = opine__utf8_check((const unsigned char *)r->rec, r->rec_len);
    if (bad < r->rec_len)
        return reader_error(r, OPINE_EUTF8, r->cur, lineno,
                            "invalid UTF-8 (byte %zu of the line)", bad + 1);
    rc = opine__jsonl_doc(r->rec, r->rec_len, &r->opts, doc, detail,
                          sizeof(detail));
    if (rc < 0)
        return reader_error(r, rc, r->cur, lineno, "%s", detail);
    return set_origin(r, doc, lineno);
}

/* A text file is one document: read it whole (up to max_record), check it
 * and hand the buffer over. */
static int next_text(opine_reader *r, opine_doc *doc)
{
    const unsigned char *t;
    const char *nul;
    size_t bad, i;

    r->input_done = 1;
    r->rec_len = 0;
    for (;;) {
        size_t n;

        if (r->pos == r->len) {
            if (r->pending)
                return stream_error(
                    r, 1 + count_lines((unsigned char *)r->rec, r->rec_len));
            if (r->eof)
                break;
            read_more(r);
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
    nul = r->rec_len > 0 ? memchr(r->rec, 0, r->rec_len) : NULL;
    if (nul)
        return reader_error(r, OPINE_EBINARY, r->cur,
                            1 + count_lines(t, (size_t)(nul - r->rec)),
                            "NUL byte in text; skipped");
    bad = opine__utf8_check(t, r->rec_len);
    if (bad < r->rec_len)
        return reader_error(r, OPINE_EUTF8, r->cur, 1 + count_lines(t, bad),
                            "invalid UTF-8");
    for (i = 0; i < r->rec_len && is_blank(t[i]); i++)
        ;
    if (i == r->rec_len)
        return reader_error(r, OPINE_EEMPTY, r->cur, 0, "empty file");
    if (rec_reserve(r, 0) != 0)
        return reader_error(r, OPINE_ENOMEM, r->cur, 0, "out of memory");
    r->rec[r->rec_len] = '\0';
    doc->ext_id = strdup(r->cur_text);
    if (!doc->ext_id)
        return reader_error(r, OPINE_ENOMEM, r->cur, 0, "out of memory");
    doc->text = r->rec;
    doc->text_len = r->rec_len;
    r->rec = NULL;
    r->rec_len = r->rec_cap = 0;
    return set_origin(r, doc, 0);
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
        if (opts->format != OPINE_FORMAT_AUTO &&
            opts->format != OPINE_FORMAT_TEXT &&
            opts->format != OPINE_FORMAT_JSONL)
            return OPINE_EUSAGE;
        if (opts->nmeta > 0 && !opts->meta)
            return OPINE_EUSAGE;
        for (i = 0; i < opts->nmeta; i++)
            if (!opts->meta[i].key || !opts->meta[i].field)
                return OPINE_EUSAGE;
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
    r->opts.meta = NULL;
    r->opts.nmeta = 0;
    r->max_record =
        r->opts.max_record ? r->opts.max_record : OPINE_MAX_RECORD_DEFAULT;
    if (r->max_record > SIZE_MAX / 4)
        r->max_record = SIZE_MAX / 4;
    r->opts.max_record = r->max_record;
    r->chunk = malloc(READ_CHUNK);
    r->paths = calloc(npaths ? npaths : 1, sizeof(*r->paths));
    if (!r->chunk || !r->paths)
        goto nomem;
    if (opts && opts->text_field &&
        !(r->opts.text_field = strdup(opts->text_field)))
        goto nomem;
    if (opts && opts->id_field && !(r->opts.id_field = strdup(opts->id_field)))
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
        if (r->src && r->input_done)
            input_close(r);
        if (!r->src) {
            input_close(r); /* forget a path left by a failed open */
            rc = input_open(r);
            if (rc <= 0)
                return rc;
        }
        if (r->format == OPINE_FORMAT_JSONL)
            rc = next_jsonl(r, doc);
        else
            rc = next_text(r, doc);
        if (rc != 0)
            return rc;
        input_close(r);
    }
}

uint64_t opine_reader_bytes_read(const opine_reader *r)
{
    if (!r)
        return 0;
    return r->bytes_done + (r->src ? opine__source_raw_bytes(r->src) : 0);
}

uint64_t opine_reader_bytes_total(const opine_reader *r)
{
    return r ? r->bytes_total : 0;
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
    free(r->rec);
    free(r->chunk);
    error_clear(r);
    free(r);
}
