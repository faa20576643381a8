/* pipeline/tokstream.h — the doc_tokens.stream blob: a document's tokens.
 *
 * Offsets are bytes into the document's text (documents.body inflated), so
 * evidence can point at the text without tokenizing again. Sentence numbers
 * are dense from 0: a token either starts a new sentence (the next number)
 * or continues the previous token's. Three formats exist; the first byte
 * tells them apart. opine writes format 3 and reads all three.
 *
 * VARINT: unsigned LEB128, seven bits a byte, least significant group first,
 * the high bit set on every byte but the last. In format 2 a varint holds a
 * 32-bit value: at most 5 bytes and below 2^32 (so a fifth byte is at most
 * 0x0f); overlong forms ("0x80 0x00" for 0) are allowed but never written.
 *
 * FORMAT 2 (uncompressed): the bytes
 *     0x02                       format tag
 *     n                          varint: number of tokens
 *     n times:
 *         type                   varint: types.id of the normalised form
 *         shape                  one byte, below
 *         [gap]  [len]  [kind]   varints, only in the long form, below
 * where gap = start - end of the previous token (the first token's gap is
 * its start), len is the byte length of the token in the text, and kind an
 * opine_token_kind. The shape byte, bit 7 the highest:
 *     bit 7      S: the token starts a new sentence (always 1 on the first)
 *     bit 6      0: short form, 1: long form
 *   short form, for the common word (one byte a token beyond its type):
 *     bits 5-4   gap, 0..3
 *     bits 3-0   len - 1, so len 1..16
 *                kind is OPINE_TOKEN_WORD; no varints follow
 *   long form, for everything else:
 *     bits 5-3   K: kind 0..6, or 7 when a kind varint follows
 *     bits 2-0   G: gap 0..6, or 7 when a gap varint follows
 *     then the varints gap (if G == 7), len (always), kind (if K == 7),
 *     in that order; kind must be below 256.
 * So 0x82 is a word of 3 bytes right at the previous token's end that
 * starts a sentence, 0x1b a word of 12 bytes after a gap of 1 in the same
 * sentence, and 0x51 0x04 a NUMBER (K = 2) of 4 bytes after a gap of 1.
 * The encoder uses the short form whenever it fits and a varint only for a
 * gap or kind of 7 or more; the decoder accepts any form that gives valid
 * values. It rejects as corrupt a blob that ends inside the count or a
 * token, has bytes after the n-th token, a varint beyond 32 bits, a kind
 * over 255, a first token with S = 0, or a token whose end (start + len)
 * is beyond 2^32 - 1. There is no checksum: damage that keeps the
 * structure intact decodes to other tokens. Types are ids in order of
 * first appearance, so common words take one or two bytes. On the ABP
 * news corpus (36 M tokens) a token takes 2.80 bytes (1.75 of them the
 * type), against 2.58 in format 1, but format 2 encodes about 14 times
 * and decodes about 3 times faster.
 *
 * FORMAT 3 (written since December 2026): format 2 with the tag 0x03 and
 * each token's quote flag (opine_token.quote: a double quotation mark
 * before it). A token with the flag always takes the long form with K = 7,
 * and its kind varint holds kind | 1 << 8; so the varint is below 512, and
 * the flag is bit 8. Without the flag a token is written exactly as in
 * format 2. Format 2 streams (older databases) are read with every flag 0.
 *
 * FORMAT 1 (older databases; read, never written): zlib (RFC 1950) of
 *     n                          varint: number of tokens
 *     n times, each a varint:
 *         type, gap, len         as in format 2
 *         kind << 1 | newsent    token kind; 1 when a new sentence starts
 * A zlib stream's first byte has low nibble 8 (CM = 8, deflate; 0x78 in
 * practice), so it is never the format 2 tag. Its varints may be up to 64
 * bits (a type, gap or len over 32 bits is corrupt); bytes after the n-th
 * token inside the zlib data are ignored, bytes after the zlib stream are
 * corrupt. The first token's newsent is ignored.
 */
#ifndef OPINE_PIPELINE_TOKSTREAM_H
#define OPINE_PIPELINE_TOKSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "stages/tokenize.h"

/* One decoded token. */
typedef struct opine_stream_token {
    uint32_t type, start, len, sentence;
    uint8_t kind;
    uint8_t quote; /* opine_token.quote (format 3; 0 in older formats) */
} opine_stream_token;

/* Encode tokens with their type ids (types[i] for toks->v[i]; types may be
 * NULL when toks->n is 0) into a format 2 blob, malloc'd, that the caller
 * frees. A token starts a new sentence when its sentence differs from the
 * previous token's. Returns 0, OPINE_ENOMEM, or OPINE_EFORMAT when a token
 * starts before the previous one ends, one ends beyond 2^32 - 1 or there
 * are 2^32 tokens or more (no stream holds such a list; opine_tokenize()
 * never makes one). */
int opine_tokstream_encode(const opine_tokens *toks, const uint32_t *types,
                           unsigned char **blob, size_t *blob_len);

/* Decode a blob of either format into a malloc'd array of *n tokens the
 * caller frees (*out is NULL and *n is 0 on failure). Returns 0,
 * OPINE_ENOMEM or OPINE_ECORRUPT. */
int opine_tokstream_decode(const void *blob, size_t blob_len,
                           opine_stream_token **out, size_t *n);

/* The type ids alone of a blob's tokens, in order, into *types (grown as
 * needed; *cap its capacity in elements), *n of them: for scanning many
 * streams for words, without the rest of each token. The same checks as
 * opine_tokstream_decode() for formats 2 and 3, except that a kind or
 * an end position out of range is not looked at. 0, OPINE_ENOMEM or
 * OPINE_ECORRUPT. */
int opine_tokstream_types(const void *blob, size_t blob_len, uint32_t **types,
                          size_t *cap, size_t *n);

/* opine_tokstream_types(), and each token's sentence number (as
 * opine_tokstream_decode() gives it) after the *n types: (*buf)[*n + i]
 * is token i's. */
int opine_tokstream_types_sentences(const void *blob, size_t blob_len,
                                    uint32_t **buf, size_t *cap, size_t *n);

/* Whether a blob is of a format that keeps quotation marks (3). */
int opine_tokstream_has_quotes(const void *blob, size_t blob_len);

#endif
