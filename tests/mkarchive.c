/* tests/mkarchive.c — writes test archives with libarchive.
 *
 *   mkarchive OUT FORMAT FILTER NAME=FILE...
 *
 * FORMAT is tar, zip, 7z, cpio or raw (one file, compressed by FILTER
 * alone); FILTER is none, gzip, bzip2, xz, zstd or lz4. Each NAME=FILE
 * puts FILE's bytes in the archive as member NAME; a lone "-" reads the
 * NAME=FILE pairs from standard input, one a line (for more members than
 * a command line holds). The end-to-end tests
 * (e2e_formats.sh) and bench/formats.sh use it, so that every archive is
 * written by the same library opine reads them with, on any machine that
 * builds opine.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int die(struct archive *a, const char *what)
{
    fprintf(stderr, "mkarchive: %s: %s\n", what,
            a ? archive_error_string(a) : "");
    return 1;
}

int main(int argc, char **argv)
{
    struct archive *a;
    static char buf[1 << 16];
    int i, rc = 0;

    if (argc < 5) {
        fprintf(stderr, "usage: mkarchive OUT FORMAT FILTER NAME=FILE...\n");
        return 2;
    }
    a = archive_write_new();
    if (strcmp(argv[2], "tar") == 0)
        rc = archive_write_set_format_pax_restricted(a);
    else if (strcmp(argv[2], "zip") == 0)
        rc = archive_write_set_format_zip(a);
    else if (strcmp(argv[2], "7z") == 0)
        rc = archive_write_set_format_7zip(a);
    else if (strcmp(argv[2], "cpio") == 0)
        rc = archive_write_set_format_cpio_newc(a);
    else if (strcmp(argv[2], "raw") == 0)
        rc = archive_write_set_format_raw(a);
    else
        return die(NULL, "unknown format");
    if (rc != ARCHIVE_OK)
        return die(a, "format");
    if (strcmp(argv[3], "none") != 0 &&
        archive_write_add_filter_by_name(a, argv[3]) != ARCHIVE_OK)
        return die(a, "filter");
    if (archive_write_open_filename(a, argv[1]) != ARCHIVE_OK)
        return die(a, argv[1]);
    for (i = 4; i < argc; i++) {
        static char line[8192];
        char *arg = argv[i], *eq;
        struct archive_entry *e;
        struct stat st;
        FILE *f;
        size_t n;

        if (strcmp(arg, "-") == 0) {
            if (!fgets(line, sizeof(line), stdin))
                continue;
            line[strcspn(line, "\n")] = '\0';
            arg = line;
            i--; /* "-" again until standard input ends */
        }
        eq = strchr(arg, '=');
        if (!eq)
            return die(NULL, "want NAME=FILE");
        *eq = '\0';
        f = fopen(eq + 1, "rb");
        if (!f || fstat(fileno(f), &st) != 0)
            return die(NULL, eq + 1);
        e = archive_entry_new();
        archive_entry_set_pathname(e, arg);
        archive_entry_set_size(e, st.st_size);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, 1600000000, 0);
        if (archive_write_header(a, e) != ARCHIVE_OK)
            return die(a, arg);
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            if (archive_write_data(a, buf, n) != (la_ssize_t)n)
                return die(a, arg);
        fclose(f);
        archive_entry_free(e);
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        return die(a, "close");
    archive_write_free(a);
    return 0;
}
