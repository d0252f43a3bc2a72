/*===- host/llama.h - llama2.c models ------------------------------*- C -*-===*
 *
 * Loading a llama2.c checkpoint and running it with any attention:
 * a compiled kernel plugs into the forward pass. Part of libfacrt_host.
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_HOST_LLAMA_H
#define FACRT_HOST_LLAMA_H

#include "facrt/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/*===-- llama2.c checkpoints ----------------------------------------------===*/

/// The sha256 of the real model files the project is tested against
/// (../shared/data/README.md).
#define FACRT_STORIES260K_SHA256                                               \
  "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696"
#define FACRT_TOK512_SHA256                                                    \
  "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312"

/// The header of a llama2.c legacy checkpoint.
typedef struct facrt_llama_config {
  int32_t dim;
  int32_t hidden_dim;
  int32_t n_layers;
  int32_t n_heads;
  int32_t n_kv_heads;
  int32_t vocab_size;
  int32_t seq_len;
  int32_t shared_classifier; ///< 1 when the classifier is the embedding.
} facrt_llama_config;

/// Pointers into the model's single weight buffer, each matrix [out][in].
typedef struct facrt_llama_weights {
  const float *token_embedding; ///< [vocab][dim]
  const float *rms_att;         ///< [layer][dim]
  const float *wq;              ///< [layer][dim][dim]
  const float *wk;              ///< [layer][kv_dim][dim]
  const float *wv;              ///< [layer][kv_dim][dim]
  const float *wo;              ///< [layer][dim][dim]
  const float *rms_ffn;         ///< [layer][dim]
  const float *w1;              ///< [layer][hidden][dim]
  const float *w2;              ///< [layer][dim][hidden]
  const float *w3;              ///< [layer][hidden][dim]
  const float *rms_final;       ///< [dim]
  const float *wcls;            ///< [vocab][dim]
} facrt_llama_weights;

typedef struct facrt_llama_model {
  facrt_llama_config config;
  facrt_llama_weights weights;
  float *storage; ///< Owns every weight.
} facrt_llama_model;

/// Loads a llama2.c checkpoint. When \p expected_sha256 is not NULL the
/// file's sha256 must equal it (64 hex digits), else FACRT_ERR_CHECKSUM.
/// FACRT_ERR_FORMAT when the header is out of range, the file's size is not
/// the one the header implies, or a weight is NaN or infinite.
facrt_status facrt_llama_load(const char *path, const char *expected_sha256,
                              facrt_llama_model *model);
void facrt_llama_free(facrt_llama_model *model);

/// Writes the embeddings of \p n tokens into x, an n x dim array.
facrt_status facrt_llama_embed(const facrt_llama_model *model,
                               const int32_t *tokens, int32_t n, float *x);

/// The attention inputs of \p layer for hidden states x (n x dim) at
/// positions 0..n-1: RMSNorm with rms_att, the wq/wk/wv projections and
/// RoPE (theta 10000) on q and k. q is n x dim, k and v are n x kv_dim.
facrt_status facrt_llama_qkv(const facrt_llama_model *model, int32_t layer,
                             const float *x, int32_t n, float *q, float *k,
                             float *v);

/*===-- Model host: forward pass, generation, perplexity -----------------===*/

/// An attention implementation the forward pass calls once per head and
/// position: q is 1 x head_size, k and v are (pos + 1) x head_size views of
/// the KV cache (causal by construction), out is 1 x head_size. Scores are
/// scaled by 1/sqrt(head_size). Returns 0 on success. A kernel compiled by
/// facc from a spec exporting `model.attention` fits it through a
/// two-line wrapper.
typedef int (*facrt_attention_fn)(void *user, const fac_memref2d_f32 *q,
                                  const fac_memref2d_f32 *k,
                                  const fac_memref2d_f32 *v,
                                  fac_memref2d_f32 *out);

/// A whole-layer attention the forward pass calls once per layer and
/// position: q is heads x 1 x head_size (the position's query, one row per
/// head), k and v are kv_heads x (pos + 1) x head_size views of the KV
/// cache (query head h reads K/V head h / (heads / kv_heads)), out is
/// heads x 1 x head_size; all are views of [tokens][heads * head_size]
/// matrices. causal_offset is pos: the query row sees keys 0..pos. Scores
/// are scaled by 1/sqrt(head_size). Returns 0 on success. A kernel's
/// `<kernel>_layer` entry (fac-layer-entry) fits it through a wrapper.
typedef int (*facrt_layer_attention_fn)(void *user, const fac_memref3d_f32 *q,
                                        const fac_memref3d_f32 *k,
                                        const fac_memref3d_f32 *v,
                                        fac_memref3d_f32 *out,
                                        int64_t causal_offset);

/// Activations and the KV cache of one sequence.
typedef struct facrt_llama_state facrt_llama_state;

/// A state for sequences of up to \p max_seq tokens (at most the model's
/// seq_len), using the built-in fp32 dense attention until
/// facrt_llama_set_attention replaces it.
facrt_status facrt_llama_state_new(const facrt_llama_model *model,
                                   int32_t max_seq, facrt_llama_state **out);
void facrt_llama_state_free(facrt_llama_state *state);

/// Plugs \p fn (NULL: the built-in attention) into the forward pass:
/// `model.attention := attend`.
void facrt_llama_set_attention(facrt_llama_state *state, facrt_attention_fn fn,
                               void *user);

/// Plugs \p fn into the forward pass as every layer's attention, all heads
/// in one call; NULL returns to the per-head function
/// (facrt_llama_set_attention).
void facrt_llama_set_layer_attention(facrt_llama_state *state,
                                     facrt_layer_attention_fn fn, void *user);

/// Runs the model on \p token at position \p pos and writes vocab_size
/// logits. Positions come in order from 0: \p pos may be any position up to
/// the first one not yet run (a smaller one starts over from there), never
/// past it (FACRT_ERR_ARG), since attention reads the cache at 0..pos.
facrt_status facrt_llama_forward(facrt_llama_state *state, int32_t token,
                                 int32_t pos, float *logits);

/// Greedy (temperature 0) generation: feeds the prompt, then appends the
/// most likely token until \p max_tokens tokens in all, or until the model
/// produces BOS (1) or EOS (2). Writes the sequence, prompt included, to
/// \p tokens and returns its length, or -1 on error.
int32_t facrt_llama_generate_greedy(facrt_llama_state *state,
                                    const int32_t *prompt, int32_t n_prompt,
                                    int32_t max_tokens, int32_t *tokens);

/// -log of the softmax probability of \p token under \p logits (vocab
/// values), computed stably in double; negative (-1) for a token outside
/// the vocabulary. Perplexity is exp of its mean over a text.
double facrt_token_nll(const float *logits, int32_t vocab, int32_t token);

/// exp of the mean negative log-likelihood of tokens[1..n) given the
/// tokens before each, or a negative value on error (a token outside the
/// vocabulary among them, say).
double facrt_llama_perplexity(facrt_llama_state *state, const int32_t *tokens,
                              int32_t n);

#ifdef __cplusplus
}
#endif

#endif /* FACRT_HOST_LLAMA_H */
