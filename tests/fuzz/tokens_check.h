/* tests/fuzz/tokens_check.h — the promises of an opine_tokens, checked
 * by both tokenizer harnesses. */
#ifndef OPINE_FUZZ_TOKENS_CHECK_H
#define OPINE_FUZZ_TOKENS_CHECK_H

#include "stages/tokenize.h"

/* Tokens of text[0..len): spans inside the text, in order, apart; kinds
 * known; normalised forms NUL-terminated, non-empty, valid UTF-8 and
 * inside norm; sentence numbers dense from 0 and counted by nsentences;
 * and the list survives a token-stream encode and decode. */
void fuzz_check_tokens(const opine_tokens *t, size_t len);

/* a and b hold the same tokens and normalised forms. */
void fuzz_check_same_tokens(const opine_tokens *a, const opine_tokens *b);

#endif
