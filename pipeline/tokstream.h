/* pipeline/tokstream.h — the doc_tokens.stream blob: a document's tokens.
 *
 * FORMAT: zlib (RFC 1950) of a sequence of unsigned LEB128 varints:
 *     n                          number of tokens
 *     n times:
 *         type                   types.id of the token's normalised form
 *         gap                    start - end of the previous token (bytes)
 *         len                    byte length of the token in the text
 *         kind << 1 | newsent    token kind; 1 when a new sentence starts
 * Offsets are bytes into the document's text (documents.body inflated), so
 * evidence can point at the text without tokenizing again. The first token
 * always has newsent = 1; sentence numbers are dense from 0.
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
} opine_stream_token;

/* Encode tokens with their type ids (types[i] for toks->v[i]) into a
 * malloc'd blob the caller frees. Returns 0 or OPINE_ENOMEM. */
int opine_tokstream_encode(const opine_tokens *toks, const uint32_t *types,
                           unsigned char **blob, size_t *blob_len);

/* Decode a blob into a malloc'd array of *n tokens the caller frees.
 * Returns 0, OPINE_ENOMEM or OPINE_ECORRUPT. */
int opine_tokstream_decode(const void *blob, size_t blob_len,
                           opine_stream_token **out, size_t *n);

#endif
