/* tests/breaktest.h — runs a Unicode *BreakTest.txt file through a segmenter.
 *
 * Shared by tests/test_wordbreak.c and tests/test_sentencebreak.c (a header,
 * not a test_*.c, so CMake does not register it as a test of its own).
 *
 * FILE FORMAT (the Unicode Character Database's auxiliary test files): one
 * case per line, '#' starts a comment, e.g.
 *
 *     ÷ 0041 × 0308 ÷ 0020 ÷	#  ÷ [0.2] LATIN CAPITAL LETTER A ...
 *
 * Hex numbers are code points; between them "÷" (U+00F7) marks a boundary
 * and "×" (U+00D7) none; the line starts and ends with "÷". We encode the
 * code points as UTF-8, remember the byte offset at every "÷", segment the
 * encoded text and compare the two sets of offsets.
 *
 * Surrogate code points (D800..DFFF) have no UTF-8 form; a line holding one
 * is counted and reported as skipped rather than failed. The 15.0 files
 * have none.
 */
#ifndef OPINE_TESTS_BREAKTEST_H
#define OPINE_TESTS_BREAKTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>

#include "base/error.h"
#include "stages/segment.h"

#define BT_MAXCP 256
#define BT_SHOW 8

struct bt_case {
    char text[BT_MAXCP * 4];
    size_t len;
    uint32_t expect[BT_MAXCP + 1];
    size_t nexpect;
};

static size_t bt_utf8(unsigned long cp, char *d)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parse one line into *c. Returns 1 for a case, 0 for a blank or comment
 * line, -1 for a malformed line, -2 for a line with a surrogate. */
static int bt_parse(char *line, struct bt_case *c)
{
    char *p = line, *hash = strchr(line, '#');
    size_t ncp = 0;
    int any = 0;

    if (hash)
        *hash = '\0';
    c->len = 0;
    c->nexpect = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        any = 1;
        if (strncmp(p, "\xC3\xB7", 2) == 0) { /* ÷ */
            if (c->nexpect > BT_MAXCP)
                return -1;
            c->expect[c->nexpect++] = (uint32_t)c->len;
            p += 2;
        } else if (strncmp(p, "\xC3\x97", 2) == 0) { /* × */
            p += 2;
        } else {
            char *end;
            unsigned long cp = strtoul(p, &end, 16);
            if (end == p || cp > 0x10FFFF || ncp >= BT_MAXCP)
                return -1;
            if (cp >= 0xD800 && cp <= 0xDFFF)
                return -2;
            c->len += bt_utf8(cp, c->text + c->len);
            ncp++;
            p = end;
        }
    }
    if (!any)
        return 0;
    return ncp > 0 && c->nexpect >= 2 ? 1 : -1;
}

static void bt_print(const char *what, const uint32_t *v, size_t n)
{
    size_t i;

    fprintf(stderr, "    %s:", what);
    for (i = 0; i < n; i++)
        fprintf(stderr, " %u", (unsigned)v[i]);
    fprintf(stderr, "\n");
}

/* Run every case of path through a segmenter of the given kind. Returns
 * the process exit status: 0 all pass, 1 failures, 77 file missing. */
static int bt_run(const char *path, opine_segment_kind kind)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *f = fopen(path, "r");
    opine_segmenter *s = NULL;
    opine_segments seg = OPINE_SEGMENTS_INIT;
    static struct bt_case c;
    char line[8192];
    long lineno = 0, total = 0, pass = 0, skipped = 0, shown = 0;
    int rc, status;

    if (f == NULL) {
        printf("%s: cannot open '%s' (Debian package unicode-data); "
               "skipping\n",
               name, path);
        return 77;
    }
    rc = opine_segmenter_new(&s, kind);
    if (rc != 0) {
        fprintf(stderr, "cannot make a segmenter: %s\n", opine_strerror(rc));
        fclose(f);
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        int ok;
        lineno++;
        rc = bt_parse(line, &c);
        if (rc == 0)
            continue;
        if (rc == -2) {
            skipped++;
            fprintf(stderr, "%s:%ld: surrogate code point, skipped\n", name,
                    lineno);
            continue;
        }
        total++;
        if (rc < 0) {
            fprintf(stderr, "%s:%ld: cannot parse line\n", name, lineno);
            continue;
        }
        rc = opine_segment(s, c.text, c.len, &seg);
        ok = rc == 0 && seg.n == c.nexpect &&
             memcmp(seg.bounds, c.expect, seg.n * sizeof *seg.bounds) == 0;
        if (ok) {
            pass++;
        } else if (shown++ < BT_SHOW) {
            fprintf(stderr, "%s:%ld: mismatch (rc %d)\n", name, lineno, rc);
            bt_print("expected", c.expect, c.nexpect);
            bt_print("got     ", seg.bounds, seg.n);
        }
    }
    fclose(f);
    opine_segments_release(&seg);
    opine_segmenter_free(s);
    /* Free ICU's one-time caches (rule data, ...) so LeakSanitizer only
     * sees leaks of ours. */
    u_cleanup();

    printf("%s: %ld of %ld lines pass", name, pass, total);
    if (skipped)
        printf(" (%ld lines with surrogates skipped)", skipped);
    printf("\n");
    status = total > 0 && pass == total ? 0 : 1;
    if (status)
        fprintf(stderr, "%s: %ld lines fail\n", name, total - pass);
    return status;
}

#endif
