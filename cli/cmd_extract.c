/* cli/cmd_extract.c — opine extract: the article text and metadata that
 * opine takes from web pages, printed (to check a page before ingesting a
 * crawl, or to turn pages into JSON lines).
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "base/error.h"
#include "corpus/reader.h"

static const char extract_usage[] =
    "usage: opine extract [--json] PAGE...\n"
    "\n"
    "Print the article of each web page PAGE (.html, .html.gz, a directory\n"
    "of them, - for standard input) as opine ingests it: the main text,\n"
    "paragraphs separated by blank lines, without the site's navigation,\n"
    "ads, comments, related links, share widgets and footers. With more\n"
    "than one page, each starts with a line '==> PAGE <=='.\n"
    "\n"
    "options:\n"
    "  --json   one JSON object per page and line instead: id (the path),\n"
    "           title, author, outlet, date (YYYY-MM-DD), url, the page's\n"
    "           other metadata (date_raw, description, lang, charset) and\n"
    "           text; opine ingest reads these lines as they are\n";

static void print_json(const opine_doc *d)
{
    json_object *o = json_object_new_object();
    size_t i;

#define ADD(key, v)                                                            \
    if (v)                                                                     \
    json_object_object_add(o, key, json_object_new_string(v))
    ADD("id", d->ext_id);
    ADD("title", d->title);
    ADD("author", d->author);
    ADD("outlet", d->outlet);
    ADD("date", d->published);
    ADD("url", d->url);
    for (i = 0; i < d->nmeta; i++)
        ADD(d->meta[i].key, d->meta[i].value);
    ADD("text", d->text);
#undef ADD
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

int cmd_extract(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opine_reader_opts ropts = {0};
    opine_reader *r = NULL;
    int json = 0, c, rc, status = CLI_OK, headers;
    int64_t pages = 0;
    struct stat st;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(extract_usage, stdout);
            return CLI_OK;
        default:
            fputs(extract_usage, stderr);
            return CLI_FATAL;
        }
    }
    if (optind == argc) {
        cli_error("extract: no page given");
        fputs(extract_usage, stderr);
        return CLI_FATAL;
    }
    headers = argc - optind > 1 ||
              (stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode));
    ropts.format = OPINE_FORMAT_HTML;
    rc = opine_reader_open(&r, (const char *const *)argv + optind,
                           (size_t)(argc - optind), &ropts);
    if (rc != 0) {
        cli_error("extract: %s", opine_strerror(rc));
        return CLI_FATAL;
    }
    for (;;) {
        opine_doc d = OPINE_DOC_INIT;

        rc = opine_reader_next(r, &d);
        if (rc == 0)
            break;
        if (rc < 0) {
            cli_error("%s", opine_reader_error(r));
            if (rc == OPINE_ENOMEM) {
                status = CLI_FATAL;
                break;
            }
            status = CLI_REJECTED;
            continue;
        }
        if (json) {
            print_json(&d);
        } else {
            if (headers)
                printf("%s==> %s <==\n", pages > 0 ? "\n" : "", d.source);
            fwrite(d.text, 1, d.text_len, stdout);
            putchar('\n');
        }
        pages++;
        opine_doc_release(&d);
    }
    opine_reader_free(r);
    if (fflush(stdout) != 0) {
        cli_error("extract: cannot write the output");
        return CLI_FATAL;
    }
    return status;
}
