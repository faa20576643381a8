/* corpus/warc.c — WARC files: one document per web page or text record.
 *
 * FORMAT (ISO 28500, WARC 1.0 and 1.1; 0.17 and 0.18 read alike)
 *   A WARC file is a sequence of records, each
 *       WARC/1.0 CRLF
 *       Name: value CRLF          (named fields; Content-Length required)
 *       ...
 *       CRLF
 *       block of Content-Length bytes
 *       CRLF CRLF
 *   usually gzip-compressed record by record (.warc.gz: source.c reads the
 *   members as one stream) or as a whole. A "response" record's block is
 *   the HTTP response as received: status line, headers, a blank line, the
 *   payload (possibly in chunked transfer coding); a "resource" record's
 *   block is the payload itself, its type in the record's Content-Type.
 *
 *   A response with a 2xx status or a resource whose payload is a web page
 *   (text/html, application/xhtml+xml) or text (text/plain), or carries no
 *   type and looks like either, becomes one document: ext_id the
 *   WARC-Record-ID, url the WARC-Target-URI, published the WARC-Date (the
 *   full timestamp in meta "date_raw", as for any date that is not a plain
 *   ISO day) unless a web page gives its own publication date (the crawl
 *   came later), position the record's number in the file (from 1). The
 *   payload is decoded from the HTTP charset (mapped as browsers map
 *   labels: "iso-8859-1" is windows-1252), else from --encoding, else read
 *   as UTF-8; HTML goes through opine__reader_page(), where the HTML
 *   extractor plugs in. Every other record (warcinfo, request, metadata,
 *   revisit, images, scripts, redirects) is counted as skipped, not
 *   rejected: a crawl holds many, and none is a document.
 *
 *   Why not libarchive's WARC reader: libarchive 3.6 drops every record
 *   whose URL ends in '/' (most news sites' article addresses), keeps the
 *   URL without its scheme and host, and has no way to read a record's
 *   other fields. The framing above is all there is to WARC; the HTTP
 *   header parsing is the few lines any WARC reader needs.
 *
 * DAMAGE
 *   A record whose header is not WARC, lacks a valid Content-Length, or
 *   whose block is not followed by CRLF CRLF (a wrong Content-Length) is
 *   rejected by its number; reading starts again at the next line that
 *   starts "WARC/", looking inside the rejected block too, so the records
 *   a wrong length swallowed come back. A file cut short ends with an
 *   error naming the record cut.
 */
#include "corpus/internal.h"
#include "base/error.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WARC_MAX_FIELDS 256

struct warc_head {
    char type[32];
    char *uri, *date, *id, *ctype;
    long long length; /* -1 until seen */
};

static void head_release(struct warc_head *h)
{
    free(h->uri);
    free(h->date);
    free(h->id);
    free(h->ctype);
    memset(h, 0, sizeof(*h));
}

/* The value of a "Name: value" line when its name is `name` (any case),
 * blanks around it trimmed, as a pointer into line and a length. */
static int field(const char *line, size_t n, const char *name, const char **val,
                 size_t *vlen)
{
    size_t k = strlen(name);

    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return 0;
    line += k + 1;
    n -= k + 1;
    while (n > 0 && (*line == ' ' || *line == '\t'))
        line++, n--;
    while (n > 0 &&
           (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
        n--;
    *val = line;
    *vlen = n;
    return 1;
}

/* A header field's value v[0..n) as text: WARC 1.1 says UTF-8, but
 * crawlers copy what servers send (a Latin-1 URL, say), so bytes that are
 * not UTF-8 are kept as \xHH, as in file names (base/utf8.h), rather than
 * stored as TEXT no client could read. */
static int dup_field(char **out, const char *v, size_t n)
{
    free(*out);
    *out = opine__strndup(v, n);
    if (*out && opine__utf8_check((const unsigned char *)v, n) < n) {
        char *text = opine__utf8_escape(*out, 0);
        free(*out);
        *out = text;
    }
    return *out ? 0 : OPINE_ENOMEM;
}

/* Skip lines up to the next that starts "WARC/", which stays unread.
 * Returns 1 when one was found, 0 at the end, or a stream error. */
static int resync(opine_reader *r)
{
    uint64_t lineno;
    int rc;

    for (;;) {
        opine__reader_fill(r, 5);
        if (r->len - r->pos >= 5 && memcmp(r->chunk + r->pos, "WARC/", 5) == 0)
            return 1;
        rc = opine__reader_line(r, &lineno);
        if (rc == 0)
            return 0;
        if (rc < 0 && rc != OPINE_ETOOBIG)
            return rc;
    }
}

/* Move the next n bytes of the input into dst, or drop them when dst is
 * NULL; *got is how many there were. Returns 1, or 0 when the input ends
 * first. */
static int take_bytes(opine_reader *r, char *dst, uint64_t n, uint64_t *got)
{
    *got = 0;
    while (*got < n) {
        size_t take;
        if (r->pos == r->len) {
            opine__reader_fill(r, 1);
            if (r->pos == r->len)
                return 0;
        }
        take = r->len - r->pos;
        if (take > n - *got)
            take = (size_t)(n - *got);
        if (dst)
            memcpy(dst + *got, r->chunk + r->pos, take);
        *got += take;
        r->pos += take;
    }
    return 1;
}

/* Read the block: n bytes into r->rec. Returns 1, or 0 when the input ends
 * first (after reading what there was), or OPINE_ENOMEM. */
static int read_block(opine_reader *r, size_t n)
{
    uint64_t got;
    char *p;
    int rc;

    if (n + 1 > r->rec_cap) {
        p = realloc(r->rec, n + 1);
        if (!p)
            return OPINE_ENOMEM;
        r->rec = p;
        r->rec_cap = n + 1;
    }
    rc = take_bytes(r, r->rec, n, &got);
    r->rec_len = (size_t)got;
    r->rec[r->rec_len] = '\0';
    return rc;
}

/* Undo chunked transfer coding in place: "SIZE-HEX[;ext] CRLF data CRLF",
 * ..., "0 CRLF" and trailers. Returns the payload's length, or (size_t)-1
 * when the coding is broken. */
static size_t dechunk(char *s, size_t n)
{
    size_t in = 0, out = 0;

    for (;;) {
        char *end;
        unsigned long long k;
        const char *nl = memchr(s + in, '\n', n - in);
        if (!nl)
            return (size_t)-1;
        k = strtoull(s + in, &end, 16);
        if (end == s + in)
            return (size_t)-1;
        in = (size_t)(nl - s) + 1;
        if (k == 0)
            return out;
        if (k > n - in)
            return (size_t)-1;
        memmove(s + out, s + in, (size_t)k);
        out += (size_t)k;
        in += (size_t)k;
        if (in < n && s[in] == '\r')
            in++;
        if (in < n && s[in] == '\n')
            in++;
    }
}

/* The media type and charset of a Content-Type value: lowercased type in
 * mime[], charset (if any) in cs[]. */
static void media_type(const char *v, size_t n, char *mime, size_t msize,
                       char *cs, size_t csize)
{
    size_t i = 0, o = 0;
    const char *p;

    mime[0] = cs[0] = '\0';
    while (i < n && v[i] != ';' && v[i] != ' ' && o + 1 < msize) {
        char c = v[i++];
        mime[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    mime[o] = '\0';
    for (p = v; p + 8 <= v + n; p++)
        if (strncasecmp(p, "charset=", 8) == 0) {
            p += 8;
            if (p < v + n && (*p == '"' || *p == '\''))
                p++;
            for (o = 0; p < v + n && o + 1 < csize && *p != '"' && *p != '\'' &&
                        *p != ';' && *p != ' ';
                 p++)
                cs[o++] = *p;
            cs[o] = '\0';
            break;
        }
}

/* What the payload is: 2 a web page, 1 text, 0 neither. */
static int payload_kind(const char *mime, const char *s, size_t n)
{
    if (strcmp(mime, "text/html") == 0 ||
        strcmp(mime, "application/xhtml+xml") == 0)
        return 2;
    if (strcmp(mime, "text/plain") == 0)
        return 1;
    if (mime[0] == '\0' && !memchr(s, 0, n))
        return opine__is_html((const unsigned char *)s, n) ? 2 : 1;
    return 0;
}

/* Split the HTTP response at the start of r->rec[0..rec_len): the status,
 * the Content-Type and Transfer-Encoding values, and the payload's
 * offset. Returns 0, or -1 when it is not an HTTP response. */
static int http_head(opine_reader *r, int *status, char *mime, size_t msize,
                     char *cs, size_t csize, int *chunked, int *encoded,
                     size_t *body)
{
    const char *s = r->rec, *end = r->rec + r->rec_len, *p = s;
    int first = 1;

    *status = 0;
    *chunked = *encoded = 0;
    mime[0] = cs[0] = '\0';
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *v;
        size_t vn;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (first) {
            if (n < 12 || strncmp(p, "HTTP/", 5) != 0)
                return -1;
            v = memchr(p, ' ', n);
            if (!v)
                return -1;
            *status = atoi(v + 1);
            first = 0;
        } else if (n == 0) {
            *body = nl ? (size_t)(nl - s) + 1 : r->rec_len;
            return 0;
        } else if (field(p, n, "Content-Type", &v, &vn)) {
            media_type(v, vn, mime, msize, cs, csize);
        } else if (field(p, n, "Transfer-Encoding", &v, &vn)) {
            *chunked = vn >= 7 && strncasecmp(v, "chunked", 7) == 0;
        } else if (field(p, n, "Content-Encoding", &v, &vn)) {
            *encoded = !(vn == 8 && strncasecmp(v, "identity", 8) == 0);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    *body = r->rec_len; /* headers without a blank line: no payload */
    return 0;
}

/* Set doc's meta key to value (taken over, freed on failure), replacing
 * an entry of that key. Returns 0 or OPINE_ENOMEM. */
static int meta_set(opine_doc *doc, const char *key, char *value)
{
    opine_kv *kv;
    size_t i;

    for (i = 0; i < doc->nmeta; i++)
        if (strcmp(doc->meta[i].key, key) == 0) {
            free(doc->meta[i].value);
            doc->meta[i].value = value;
            return 0;
        }
    kv = realloc(doc->meta, (doc->nmeta + 1) * sizeof(*kv));
    if (kv)
        doc->meta = kv;
    if (!kv || !(kv[doc->nmeta].key = strdup(key))) {
        free(value);
        return OPINE_ENOMEM;
    }
    kv[doc->nmeta++].value = value;
    return 0;
}

/* Make the document of one page or text record whose payload is
 * r->rec[body..rec_len). Returns 1, 0 when it is no document (counted),
 * or an error. */
static int record_doc(opine_reader *r, opine_doc *doc, struct warc_head *h,
                      uint64_t num, size_t body, int kind, const char *cs)
{
    const char *enc = cs[0] ? opine__web_charset(cs) : r->opts.encoding;
    const char *text;
    char *owned = NULL, iso[11];
    size_t len = r->rec_len - body, bad;
    uint64_t repairs;
    int rc;

    if (enc && !opine__is_utf8_name(enc)) {
        rc = opine__conv_buffer(enc, r->rec + body, len, &owned, &len);
        if (rc == OPINE_ENOMEM)
            return opine__reader_error(r, rc, r->cur, num, "out of memory");
        if (rc != 0) /* an unknown charset label: read it as UTF-8 */
            enc = NULL;
    }
    if (!owned) {
        owned = opine__strndup(r->rec + body, len);
        if (!owned)
            return opine__reader_error(r, OPINE_ENOMEM, r->cur, num,
                                       "out of memory");
    }
    if (memchr(owned, 0, len)) {
        free(owned);
        r->counts.skipped_records++;
        return 0;
    }
    text = owned;
    rc = opine__reader_utf8(r, &text, &len, &repairs, &bad);
    if (rc != 0) {
        free(owned);
        if (rc == OPINE_ENOMEM)
            return opine__reader_error(r, rc, r->cur, num, "out of memory");
        if (enc && !opine__is_utf8_name(enc))
            return opine__reader_error(r, OPINE_EUTF8, r->cur, num,
                                       "bytes not valid in %s", enc);
        return opine__reader_error(r, OPINE_EUTF8, r->cur, num,
                                   "invalid UTF-8 (byte %zu of the payload)",
                                   bad + 1);
    }
    if (text != owned) { /* repaired: keep the repaired copy */
        free(owned);
        owned = r->fix;
        r->fix = NULL;
        r->fix_cap = 0;
    }
    {
        size_t i;
        for (i = 0; i < len && strchr(" \t\r\n\f\v", owned[i]); i++)
            ;
        if (i == len) {
            free(owned);
            r->counts.skipped_records++;
            return 0;
        }
    }
    rc = opine__reader_page(r, doc, owned, len, kind == 2);
    if (rc < 0) {
        opine_doc_release(doc);
        return rc;
    }
    /* A web page brings its own metadata (opine__html_doc): the record's
     * id and address take the place of the page's; the page's own date is
     * when it was published, the WARC-Date only when it was fetched, so
     * that stands in only for a page without one. */
    free(doc->ext_id);
    doc->ext_id = h->id;
    h->id = NULL;
    if (h->uri) {
        free(doc->url);
        doc->url = h->uri;
        h->uri = NULL;
    }
    if (!doc->published && h->date && opine_date_normalize(h->date, iso) == 0) {
        doc->published = strdup(iso);
        if (!doc->published)
            goto nomem;
        if (strcmp(iso, h->date) != 0) {
            rc = meta_set(doc, "date_raw", h->date);
            h->date = NULL;
            if (rc != 0)
                goto nomem;
        }
    }
    if (opine__reader_note_repairs(r, doc, repairs) != 0)
        goto nomem;
    return opine__reader_origin(r, doc, num);
nomem:
    opine_doc_release(doc);
    return opine__reader_error(r, OPINE_ENOMEM, r->cur, num, "out of memory");
}

/* Reject record num for `why`, putting its block back so that resync()
 * looks for the next header inside it too. */
static int reject_block(opine_reader *r, uint64_t num, const char *why)
{
    if (r->rec_len > 0 &&
        opine__reader_unread(r, r->rec + 1, r->rec_len - 1) != 0)
        return opine__reader_error(r, OPINE_ENOMEM, r->cur, num,
                                   "out of memory");
    r->rec_len = 0;
    return opine__reader_error(r, OPINE_EFORMAT, r->cur, num,
                               "broken WARC record (%s); skipped to the next"
                               " record",
                               why);
}

int opine__warc_next(opine_reader *r, opine_doc *doc)
{
    for (;;) {
        struct warc_head h = {.length = -1};
        uint64_t lineno, num;
        int rc, nfields = 0, kind, status = 200, chunked = 0, encoded = 0;
        char mime[64] = "", cs[40] = "";
        size_t body = 0;

        rc = resync(r);
        if (rc <= 0) {
            if (rc < 0)
                return rc;
            if (r->pending)
                return opine__reader_stream_error(r, r->records_in_input + 1);
            return 0;
        }
        num = ++r->records_in_input;
        rc = opine__reader_line(r, &lineno); /* "WARC/1.0" */
        if (rc <= 0)
            return rc;
        /* the named fields, up to a blank line */
        for (;;) {
            const char *v;
            size_t vn;
            rc = opine__reader_line(r, &lineno);
            if (rc == 0 || (rc < 0 && r->input_done)) {
                head_release(&h);
                if (rc == 0)
                    return opine__reader_error(
                        r, OPINE_ECORRUPT, r->cur, num,
                        "truncated WARC record (the file ends in its"
                        " header)");
                return rc;
            }
            if (rc < 0 || ++nfields > WARC_MAX_FIELDS) {
                head_release(&h);
                return opine__reader_error(r, OPINE_EFORMAT, r->cur, num,
                                           "broken WARC record (header too"
                                           " long); skipped to the next"
                                           " record");
            }
            if (r->rec_len == 0)
                break;
            rc = 0;
            if (field(r->rec, r->rec_len, "WARC-Type", &v, &vn))
                snprintf(h.type, sizeof(h.type), "%.*s", (int)vn, v);
            else if (field(r->rec, r->rec_len, "WARC-Target-URI", &v, &vn)) {
                if (vn >= 2 && v[0] == '<' && v[vn - 1] == '>')
                    v++, vn -= 2; /* WARC 1.0's own example has <...> */
                rc = dup_field(&h.uri, v, vn);
            } else if (field(r->rec, r->rec_len, "WARC-Date", &v, &vn))
                rc = dup_field(&h.date, v, vn);
            else if (field(r->rec, r->rec_len, "WARC-Record-ID", &v, &vn))
                rc = dup_field(&h.id, v, vn);
            else if (field(r->rec, r->rec_len, "Content-Type", &v, &vn))
                rc = dup_field(&h.ctype, v, vn);
            else if (field(r->rec, r->rec_len, "Content-Length", &v, &vn)) {
                char *end;
                h.length = vn > 0 && vn < 19 ? strtoll(v, &end, 10) : -1;
                if (vn == 0 || vn >= 19 || end != v + vn)
                    h.length = -2;
            }
            if (rc != 0) {
                head_release(&h);
                return opine__reader_error(r, OPINE_ENOMEM, r->cur, num,
                                           "out of memory");
            }
        }
        if (h.length < 0) {
            head_release(&h);
            return opine__reader_error(r, OPINE_EFORMAT, r->cur, num,
                                       "broken WARC record (no valid"
                                       " Content-Length); skipped to the"
                                       " next record");
        }
        if ((uint64_t)h.length > r->max_record) {
            uint64_t got;
            rc = take_bytes(r, NULL, (uint64_t)h.length, &got);
            head_release(&h);
            if (rc == 0)
                return opine__reader_error(r, OPINE_ECORRUPT, r->cur, num,
                                           "truncated WARC record");
            return opine__reader_error(r, OPINE_ETOOBIG, r->cur, num,
                                       "record of more than %zu bytes;"
                                       " skipped",
                                       r->max_record);
        }
        rc = read_block(r, (size_t)h.length);
        if (rc <= 0) {
            head_release(&h);
            if (rc < 0)
                return opine__reader_error(r, rc, r->cur, num, "out of memory");
            if (r->pending)
                return opine__reader_stream_error(r, num);
            r->input_done = 1;
            return opine__reader_error(r, OPINE_ECORRUPT, r->cur, num,
                                       "truncated WARC record (%zu of %lld"
                                       " bytes)",
                                       r->rec_len, h.length);
        }
        opine__reader_fill(r, 4);
        if (r->len - r->pos >= 4 &&
            memcmp(r->chunk + r->pos, "\r\n\r\n", 4) == 0) {
            r->pos += 4;
        } else if (r->len - r->pos > 0 || r->pending) {
            head_release(&h);
            return reject_block(r, num,
                                "its block does not end where its"
                                " Content-Length says");
        }
        if (strcmp(h.type, "response") == 0) {
            if (http_head(r, &status, mime, sizeof(mime), cs, sizeof(cs),
                          &chunked, &encoded, &body) != 0) {
                head_release(&h);
                r->counts.skipped_records++;
                continue; /* a response that is not HTTP (dns:, ftp:) */
            }
        } else if (strcmp(h.type, "resource") == 0) {
            if (h.ctype)
                media_type(h.ctype, strlen(h.ctype), mime, sizeof(mime), cs,
                           sizeof(cs));
        } else {
            head_release(&h);
            r->counts.skipped_records++;
            continue;
        }
        kind = payload_kind(mime, r->rec + body, r->rec_len - body);
        if (kind == 0 || status < 200 || status > 299 || encoded) {
            head_release(&h);
            r->counts.skipped_records++;
            continue;
        }
        if (chunked) {
            size_t n = dechunk(r->rec + body, r->rec_len - body);
            if (n == (size_t)-1) {
                head_release(&h);
                return opine__reader_error(r, OPINE_EFORMAT, r->cur, num,
                                           "broken chunked HTTP payload;"
                                           " skipped");
            }
            r->rec_len = body + n;
        }
        rc = record_doc(r, doc, &h, num, body, kind, cs);
        head_release(&h);
        if (rc != 0)
            return rc;
    }
}
