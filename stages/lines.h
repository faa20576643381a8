/* stages/lines.h — the lines of a text, each with a hash of its
 * normalised form, for finding the lines a site repeats in many of its
 * pages (pipeline/boilerplate.c).
 *
 * A LINE is what lies between line breaks ('\n'; a '\r' before it is
 * part of the break). Its normalised form (for lines of up to
 * OPINE_LINE_NORMALISED bytes), as CCNet normalises paragraphs
 * for deduplication (Wenzek et al. 2020): ASCII letters lowercased,
 * every number made one '0' (digits, with punctuation among them: "23",
 * "1,000", "5:56"), punctuation (ASCII, and U+2010-U+205E: dashes, curly
 * quotes, bullets, ellipses) dropped, blanks (and U+00A0, U+2000-U+200B)
 * collapsed to one space and trimmed. So "Slideshow (23 images)" and
 * "SLIDESHOW (2 images)" are one line, and a line of only punctuation or
 * blanks is no line at all. The hash is XXH3-64 of the normalised form
 * seeded with a group's hash (the outlet's), so equal lines of different
 * outlets differ. A line's hash is never 0.
 *
 * Pure functions; any number of threads.
 */
#ifndef OPINE_STAGES_LINES_H
#define OPINE_STAGES_LINES_H

#include <stddef.h>
#include <stdint.h>

typedef struct opine_line {
    uint64_t hash;  /* of the normalised form, seeded with the group */
    uint32_t start; /* byte offset of the line in the text */
    uint32_t len;   /* its bytes, without the line break */
} opine_line;

/* Whether a token starting at byte s is in a line, and which: walking on
 * from *l over lines[0..n) (ascending; tokens met in text order), *l is
 * left at the first line that does not end at or before s. A token is
 * its line's when it starts in it (the stem stage's rule for lines left
 * out, which readers of token streams follow too). */
static inline int opine_line_at(const opine_line *lines, size_t n, size_t *l,
                                uint32_t s)
{
    while (*l < n && lines[*l].start + lines[*l].len <= s)
        (*l)++;
    return *l < n && lines[*l].start <= s;
}

/* Lines longer than this many bytes are hashed as they are (blanks at
 * their ends aside), not normalised: boilerplate is short lines, and
 * normalising is most of the cost (a long line repeated word for word is
 * still one line). */
#define OPINE_LINE_NORMALISED 256

/* The seed for a group's lines: a hash of its name (NULL or "" for
 * none). */
uint64_t opine_lines_seed(const char *group);

/* The lines of text[0..len) with content, in order, in *out (malloc'd,
 * the caller frees it; NULL when there is none) and their number in *n.
 * Returns 0 or OPINE_ENOMEM. */
int opine_lines(const char *text, size_t len, uint64_t seed, opine_line **out,
                size_t *n);

/* Lines as stored (doc_lines.data): a varint count, then per line its
 * hash (8 bytes, little-endian), the varint gap from the previous line's
 * end to its start, and its varint length. *out is malloc'd. */
int opine_lines_encode(const opine_line *v, size_t n, unsigned char **out,
                       size_t *out_len);
/* ... and back; OPINE_ECORRUPT when the bytes are not such a list. */
int opine_lines_decode(const void *data, size_t len, opine_line **out,
                       size_t *n);

#endif
