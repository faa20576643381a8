/* bench/html_extract_bench.c — web-page extraction over a folder of pages:
 * the texts, for the benchmark's metric, and the speed on one core.
 *
 * usage: html_extract_bench DIR OUT.jsonl [SECONDS]
 *
 * Reads every DIR/<key>.html or DIR/<key>.html.gz into memory (inflated),
 * extracts each once and writes {"key": ..., "text": ...} lines to
 * OUT.jsonl (bench/html_extract_score.py scores them), then extracts the
 * whole set again and again for at least SECONDS (default 3) on this one
 * thread and prints the pages, the MB of HTML and the MB/s (per CPU
 * second: the speed on one core, whatever else the machine runs; and per
 * wall second). Only
 * opine_html_extract() is timed: not reading, not inflating, not writing.
 * The reference: libxml2's parser alone over the same pages (building and
 * freeing the tree, as the extractor has it parse), the floor of any
 * extraction that uses it; the ratio says what the rest costs.
 */
#include "corpus/html_extract.h"

#include <dirent.h>
#include <libxml/HTMLparser.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

struct page {
    char *key;
    char *html;
    size_t len;
};

static double clock_of(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_of(CLOCK_MONOTONIC);
}

/* CPU seconds of this process: on a machine shared with other work, the
 * speed on one core is the bytes over the CPU time, not the wall time. */
static double cpu(void)
{
    return clock_of(CLOCK_PROCESS_CPUTIME_ID);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct page *)a)->key, ((const struct page *)b)->key);
}

/* The whole (inflated) file; gzread reads plain files as they are. */
static char *slurp(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int got;

    if (!f || !buf) {
        free(buf);
        if (f)
            gzclose(f);
        return NULL;
    }
    while ((got = gzread(f, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                gzclose(f);
                return NULL;
            }
            buf = b;
        }
    }
    gzclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    struct page *pages = NULL;
    size_t npages = 0, cap = 0, total = 0, i, rounds = 0;
    double seconds = argc > 3 ? atof(argv[3]) : 3.0, t0, t;
    struct dirent *de;
    FILE *out;
    DIR *d;

    if (argc < 3) {
        fprintf(stderr, "usage: html_extract_bench DIR OUT.jsonl [SECONDS]\n");
        return 2;
    }
    d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 2;
    }
    while ((de = readdir(d)) != NULL) {
        char path[4096], *dot;

        if (de->d_name[0] == '.' || !strstr(de->d_name, ".htm"))
            continue;
        if (npages == cap) {
            cap = cap ? cap * 2 : 128;
            pages = realloc(pages, cap * sizeof(*pages));
            if (!pages)
                return 2;
        }
        snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
        pages[npages].html = slurp(path, &pages[npages].len);
        if (!pages[npages].html) {
            fprintf(stderr, "cannot read %s\n", path);
            return 2;
        }
        pages[npages].key = strdup(de->d_name);
        dot = strstr(pages[npages].key, ".htm");
        *dot = '\0';
        total += pages[npages].len;
        npages++;
    }
    closedir(d);
    qsort(pages, npages, sizeof(*pages), by_key);

    out = fopen(argv[2], "w");
    if (!out) {
        perror(argv[2]);
        return 2;
    }
    for (i = 0; i < npages; i++) {
        opine_html_page p = OPINE_HTML_PAGE_INIT;
        char detail[128];
        int rc = opine_html_extract(pages[i].html, pages[i].len, NULL, &p,
                                    detail, sizeof(detail));
        json_object *o = json_object_new_object();

        if (rc != 0)
            fprintf(stderr, "%s: %s (%d)\n", pages[i].key, detail, rc);
        json_object_object_add(o, "key", json_object_new_string(pages[i].key));
        json_object_object_add(o, "text",
                               json_object_new_string(p.text ? p.text : ""));
        json_object_object_add(
            o, "title", p.title ? json_object_new_string(p.title) : NULL);
        json_object_object_add(
            o, "author", p.author ? json_object_new_string(p.author) : NULL);
        json_object_object_add(
            o, "outlet", p.outlet ? json_object_new_string(p.outlet) : NULL);
        json_object_object_add(o, "published",
                               p.published ? json_object_new_string(p.published)
                                           : NULL);
        json_object_object_add(o, "url",
                               p.url ? json_object_new_string(p.url) : NULL);
        fprintf(
            out, "%s\n",
            json_object_to_json_string_ext(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        opine_html_page_release(&p);
    }
    fclose(out);

    {
        double c0 = cpu(), c, floor_cpu, mbs;
        size_t prounds = 0;

        t0 = now();
        do {
            for (i = 0; i < npages; i++) {
                opine_html_page p = OPINE_HTML_PAGE_INIT;
                opine_html_extract(pages[i].html, pages[i].len, NULL, &p, NULL,
                                   0);
                opine_html_page_release(&p);
            }
            rounds++;
            t = now() - t0;
        } while (t < seconds);
        c = cpu() - c0;
        mbs = total * (double)rounds / 1e6 / c;
        printf("extract: pages %zu  html %.1f MB  rounds %zu  %.1f MB/s "
               "per CPU second (%.1f per wall second)  %.0f pages/s\n",
               npages, total / 1e6, rounds, mbs,
               total * (double)rounds / 1e6 / t, npages * (double)rounds / c);
        t0 = now();
        c0 = cpu();
        do {
            for (i = 0; i < npages; i++) {
                htmlDocPtr doc = htmlReadMemory(
                    pages[i].html, (int)pages[i].len, NULL, "UTF-8",
                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                        HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                        HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC |
                        XML_PARSE_HUGE);
                xmlFreeDoc(doc);
            }
            prounds++;
            t = now() - t0;
        } while (t < seconds);
        floor_cpu = total * (double)prounds / 1e6 / (cpu() - c0);
        printf("parse only (libxml2, the reference): %.1f MB/s per CPU "
               "second; extract runs at %.2f of it\n",
               floor_cpu, mbs / floor_cpu);
    }
    for (i = 0; i < npages; i++) {
        free(pages[i].key);
        free(pages[i].html);
    }
    free(pages);
    return 0;
}
