/*===- host/tokenizer.h - The llama2.c tokenizer -------------------*- C -*-===*
 *
 * Text to token ids and back, as llama2.c does, and the project's real
 * model with its tokenizer in one call. Part of libfacrt_host.
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_HOST_TOKENIZER_H
#define FACRT_HOST_TOKENIZER_H

#include "facrt/host/llama.h"

#ifdef __cplusplus
extern "C" {
#endif

/*===-- Tokenizer ---------------------------------------------------------===*/

typedef struct facrt_tokenizer facrt_tokenizer;

/// Loads a llama2.c tokenizer file for \p vocab_size tokens, checking its
/// sha256 when \p expected_sha256 is not NULL. FACRT_ERR_FORMAT when the
/// file cannot hold \p vocab_size tokens, has bytes over, or lacks the 256
/// byte-fallback pieces `<0x00>`..`<0xFF>` at ids 3..258 that encoding
/// needs.
facrt_status facrt_tokenizer_load(const char *path, int32_t vocab_size,
                                  const char *expected_sha256,
                                  facrt_tokenizer **out);
void facrt_tokenizer_free(facrt_tokenizer *tok);

/// Encodes UTF-8 \p text with the llama2.c BPE merge by score, optionally
/// with BOS (1) first and EOS (2) last. Writes at most \p max_tokens ids and
/// returns how many the full encoding has (may exceed max_tokens), or -1 on
/// bad arguments.
int32_t facrt_tokenizer_encode(const facrt_tokenizer *tok, const char *text,
                               int bos, int eos, int32_t *tokens,
                               int32_t max_tokens);

/// The text of token \p id, or NULL when out of range.
const char *facrt_tokenizer_piece(const facrt_tokenizer *tok, int32_t id);

/// The text token \p id adds after token \p prev, as llama2.c prints it:
/// byte tokens `<0xXX>` become their byte, and the space that starts the
/// first piece after BOS is dropped. Valid until the next call; NULL when
/// out of range.
const char *facrt_tokenizer_decode(facrt_tokenizer *tok, int32_t prev,
                                   int32_t id);

/// Loads the project's real model and its tokenizer from a data directory
/// laid out as ../shared/data (stories260K/stories260K.bin and tok512.bin),
/// checking both against FACRT_STORIES260K_SHA256 and FACRT_TOK512_SHA256.
/// On failure nothing stays allocated.
facrt_status facrt_stories260k_load(const char *data_dir,
                                    facrt_llama_model *model,
                                    facrt_tokenizer **tok);

#ifdef __cplusplus
}
#endif

#endif /* FACRT_HOST_TOKENIZER_H */
