/* corpus/authors.h — an author string as scraped, split into people.
 *
 * Scrapes carry one string for a document's authors: "By Ann Lee and Bo
 * Park", "Ann Lee, Bo Park and Cy Moon", "Ann Lee and Bo Park, Special to
 * The Times", or what a JSON array of names became ("Ann Lee; Bo Park").
 * opine_authors_split() makes the list of people, each with the role or
 * affiliation the string gave them; the raw string stays the document's
 * author (documents.author), the people go to doc_authors.
 *
 * RULES (corpus/authors.c, tests/test_authors.c):
 *   - "By", "Written by", "Reporting by" in front are dropped; quotes
 *     around a name too.
 *   - Segments are separated by ';', '|', ',' and newlines; a segment is
 *     split into people at " and " and " & " (an Oxford comma's "and" is
 *     dropped).
 *   - A segment naming a job ("Staff Writer", "CNN Political Reporter",
 *     "Special to The Times") or an organisation ("Associated Press",
 *     "Fox News") after people is the role of every person of the segment
 *     before it; an organisation alone is an author.
 *   - A suffix segment (Jr., Sr., III, Ph.D., M.D.) belongs to the name
 *     before it: "Martin Luther King, Jr." is one person.
 *   - What cannot be a name is left out: addresses and URLs, text with
 *     digits, "Follow X On", and scraper debris such as "Story Count" or
 *     "In July Of" (words no name has: of, in, on, since, count, tags...).
 *   - A name given twice is listed once.
 */
#ifndef OPINE_CORPUS_AUTHORS_H
#define OPINE_CORPUS_AUTHORS_H

#include <stddef.h>

typedef struct opine_author {
    char *name; /* as written, blanks collapsed */
    char *role; /* the job or affiliation given, or NULL */
} opine_author;

/* Split raw (may be NULL) into *out, an array of *n people in the order
 * written (NULL and 0 when there is none); the caller frees it with
 * opine_authors_free(). Returns 0 or OPINE_ENOMEM. */
int opine_authors_split(const char *raw, opine_author **out, size_t *n);

/* Free what opine_authors_split() returned. NULL is fine. */
void opine_authors_free(opine_author *a, size_t n);

#endif
