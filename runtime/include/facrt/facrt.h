/*===- facrt.h - The FAC runtime C ABI -----------------------------*- C -*-===*
 *
 * The public C interface of libfacrt, the small runtime that kernels
 * compiled by facc link against. Plain C types only; the library itself is
 * plain C++ with no LLVM inside. The layout of every struct here is part of
 * the ABI and is documented in docs/RuntimeABI.md.
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_FACRT_H
#define FACRT_FACRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===-- Status ------------------------------------------------------------===*/

/* No C++ exception crosses this interface: an allocation that fails inside
 * any call is FACRT_ERR_NOMEM (or the call's documented error value), and
 * no call aborts. */

/// Every fallible runtime call returns one of these.
typedef enum facrt_status {
  FACRT_OK = 0,
  FACRT_ERR_IO = 1,       ///< A file could not be opened or read.
  FACRT_ERR_FORMAT = 2,   ///< A file's contents do not match its format.
  FACRT_ERR_CHECKSUM = 3, ///< A file's sha256 is not the expected one.
  FACRT_ERR_ARG = 4,      ///< An argument is out of range.
  FACRT_ERR_NOMEM = 5,    ///< An allocation failed.
  FACRT_ERR_LIMIT = 6     ///< A memory arena's byte limit would be exceeded.
} facrt_status;

/// A static, human-readable name for \p status.
const char *facrt_status_str(facrt_status status);

/*===-- Tensors -----------------------------------------------------------===*/

/// A strided view of a 2-d f32 array. Same layout as MLIR's
/// StridedMemRefType<float, 2>: this is how kernels receive tensors.
typedef struct fac_memref2d_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} fac_memref2d_f32;

/// The same for 3-d f32 arrays (StridedMemRefType<float, 3>): a whole
/// layer, heads first, e.g. the view {heads, tokens, d} with strides
/// {d, heads * d, 1} of a [tokens][heads * d] matrix.
typedef struct fac_memref3d_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} fac_memref3d_f32;

/// 1-d f32 and int64 arrays (a bias per key, a list of key rows).
typedef struct fac_memref1d_f32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} fac_memref1d_f32;
typedef struct fac_memref1d_i64 {
  int64_t *allocated;
  int64_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} fac_memref1d_i64;

/// A kernel's workspace, bytes (StridedMemRefType<int8_t, 1>). The C header
/// facc writes builds it from `void *workspace, int64_t workspace_bytes`;
/// `fac_<kernel>_workspace_size` says how many bytes a call needs.
typedef struct fac_memref1d_i8 {
  int8_t *allocated;
  int8_t *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
} fac_memref1d_i8;

/// An owning, row-major, 64-byte aligned 2-d f32 tensor.
typedef struct facrt_tensor {
  float *data;
  int64_t rows;
  int64_t cols;
} facrt_tensor;

/// Allocates a zero-filled rows x cols tensor: FACRT_ERR_ARG for a negative
/// size, FACRT_ERR_NOMEM when rows * cols * 4 bytes does not fit in size_t
/// or the allocation fails.
facrt_status facrt_tensor_alloc(facrt_tensor *t, int64_t rows, int64_t cols);
/// Frees \p t's storage and zeroes it; safe on a zeroed tensor.
void facrt_tensor_free(facrt_tensor *t);
/// A kernel's workspace, kept by its caller and reused across calls: what
/// `fac_<kernel>(..., workspace.data, workspace.bytes)` takes.
typedef struct facrt_workspace {
  void *data;
  int64_t bytes;
} facrt_workspace;
/// Makes \p w hold at least \p bytes (64-byte aligned), keeping its
/// storage when it already does: FACRT_ERR_ARG for a negative size,
/// FACRT_ERR_NOMEM over 2^62 bytes or when the allocation fails (then \p w
/// is as it was).
facrt_status facrt_workspace_reserve(facrt_workspace *w, int64_t bytes);
/// Frees \p w's storage and zeroes it; safe on a zeroed workspace.
void facrt_workspace_free(facrt_workspace *w);
/// A view of columns [col, col + cols) of every row of \p base, a
/// rows x ld row-major array: how a head is cut out of a [n][dim] matrix.
fac_memref2d_f32 facrt_view2d(float *base, int64_t rows, int64_t cols,
                              int64_t ld, int64_t col);

/*===-- References --------------------------------------------------------===*/

/// Dense attention in fp64: out[i] = sum_j softmax_j(scale * q_i . k_j) v_j,
/// over all j < m, or j <= i when \p causal. q is n x d, k is m x d, v is
/// m x dv, out is n x dv; each given as a strided view.
facrt_status facrt_attention_ref_f64(const fac_memref2d_f32 *q,
                                     const fac_memref2d_f32 *k,
                                     const fac_memref2d_f32 *v, double scale,
                                     int causal, double *out);

/// The hooks of the compiled attention kernel (fac.attention), for the
/// reference: key j of the list is visible to query row i iff
/// causal_offset < 0 or j <= i + causal_offset; its score gains bias[j]
/// when bias is not NULL; it is row key_indices[j] of k and v when
/// key_indices is not NULL (then the list has num_keys entries, each a
/// row of k, else it is every row of k).
typedef struct facrt_attention_hooks {
  int64_t causal_offset;
  const float *bias;
  const int64_t *key_indices;
  int64_t num_keys;
} facrt_attention_hooks;

/// facrt_attention_ref_f64 with the kernel's hooks; FACRT_ERR_ARG when an
/// index is not a row of k.
facrt_status facrt_attention_ref_f64_hooks(const fac_memref2d_f32 *q,
                                           const fac_memref2d_f32 *k,
                                           const fac_memref2d_f32 *v,
                                           double scale,
                                           const facrt_attention_hooks *hooks,
                                           double *out);

/// The largest |got - ref| over the view, divided by the largest |ref|
/// (so a relative error that does not blow up near zero entries).
double facrt_max_rel_error(const fac_memref2d_f32 *got, const double *ref);

/*===-- Utilities ---------------------------------------------------------===*/

/// Monotonic wall-clock time in seconds.
double facrt_now_seconds(void);

/// The sha256 of a file as 64 lowercase hex digits plus a NUL.
facrt_status facrt_sha256_file(const char *path, char hex[65]);

/// FACRT_OK when \p expected_sha256 is NULL or is the file's sha256,
/// FACRT_ERR_CHECKSUM when it is not, FACRT_ERR_IO when the file is
/// unreadable.
facrt_status facrt_verify_sha256(const char *path, const char *expected_sha256);

/*===-- Memory arena ------------------------------------------------------===*/

/// A bump allocator with a hard byte limit: it refuses, with
/// FACRT_ERR_LIMIT, any allocation that would take it past the limit.
typedef struct facrt_arena facrt_arena;

facrt_status facrt_arena_new(size_t limit_bytes, facrt_arena **out);
void facrt_arena_free(facrt_arena *arena);
/// \p bytes aligned to \p align (a power of two), or NULL with *status set.
void *facrt_arena_alloc(facrt_arena *arena, size_t bytes, size_t align,
                        facrt_status *status);
/// Bytes handed out so far, alignment padding included.
size_t facrt_arena_used(const facrt_arena *arena);
/// The most bytes ever in use at once.
size_t facrt_arena_peak(const facrt_arena *arena);
/// Forgets every allocation (the memory is reused).
void facrt_arena_reset(facrt_arena *arena);

/*===-- Tensor trees (pyramids) -------------------------------------------===*/

/// A pyramid over n token vectors of width d: level 0 holds the tokens;
/// node j of level k stands for tokens [j * 2^k, min((j + 1) * 2^k, n)) and
/// holds their mean. Any n works; the last node of a level may be partial.
typedef struct facrt_pyramid facrt_pyramid;

facrt_status facrt_pyramid_build(const fac_memref2d_f32 *tokens,
                                 facrt_pyramid **out);
void facrt_pyramid_free(facrt_pyramid *pyramid);
int32_t facrt_pyramid_levels(const facrt_pyramid *pyramid);
int64_t facrt_pyramid_nodes(const facrt_pyramid *pyramid, int32_t level);
/// The mean of node \p node of \p level (width d), or NULL.
const float *facrt_pyramid_mean(const facrt_pyramid *pyramid, int32_t level,
                                int64_t node);
/// How many tokens the node stands for.
int64_t facrt_pyramid_count(const facrt_pyramid *pyramid, int32_t level,
                            int64_t node);

/// One node of a cut through a pyramid: it stands for tokens
/// [start, start + count) with one vector, which attention weighs `count`
/// times (a log(count) bias on its score).
typedef struct facrt_cut_node {
  int64_t start;
  int64_t count;
  int32_t level;
  int32_t rule; ///< The compression rule that replaced it, or -1.
} facrt_cut_node;

/*===-- V1: rule-based tree compression -----------------------------------===*/

/// A compression rule: a subtree whose summary lies within `tolerance`
/// (L2) of `pattern` is replaced by `substitute` (both of width d).
typedef struct facrt_rule {
  const float *pattern;
  const float *substitute;
} facrt_rule;

/// Compresses \p pyramid top-down as the seed's `compress` does: a node whose
/// magnitude (the L2 norm of the tokens it stands for: sqrt(count) times
/// the norm of its mean, as the interpreter reads `magnitude` of a node's
/// tensor) is below \p threshold, or that matches a rule, is kept whole (as
/// one cut node); otherwise its children are compressed. Writes
/// at most \p capacity nodes in token order, the vectors they carry (c x d,
/// row-major) to \p vectors, and returns the number c, or -1 on bad
/// arguments or too small a capacity.
int64_t facrt_v1_compress(const facrt_pyramid *pyramid, float threshold,
                          const facrt_rule *rules, int32_t n_rules,
                          float tolerance, facrt_cut_node *nodes,
                          float *vectors, int64_t capacity);

/// Writes the mean of \p pyramid over each cut node's span (c x d): the
/// values that go with a cut made of the keys' pyramid.
facrt_status facrt_pyramid_gather(const facrt_pyramid *pyramid,
                                  const facrt_cut_node *nodes, int64_t c,
                                  float *out);

/// Attention of every query over the cut keys/values with multiplicities:
/// out[i] = sum_j count_j exp(s_ij) v_j / sum_j count_j exp(s_ij) with
/// s_ij = scale * q_i . k_j. Equals dense attention over the tokens when
/// each cut node's tokens are all equal to its vector. O(n c).
facrt_status facrt_multiplicity_attention(const fac_memref2d_f32 *q,
                                          const fac_memref2d_f32 *k,
                                          const fac_memref2d_f32 *v,
                                          const int64_t *counts, float scale,
                                          fac_memref2d_f32 *out);

/// Decompression: writes each cut node's row of \p compressed (c x dv) to
/// every token it stands for in \p out (n x dv).
facrt_status facrt_v1_decompress(const facrt_cut_node *nodes, int64_t c,
                                 const fac_memref2d_f32 *compressed,
                                 fac_memref2d_f32 *out);

/// The seed's V1 `attend` with no compression rules, as the interpreter
/// runs it and as facc compiles it: the pyramids of q (n x d), k and v
/// (m x d, m x dv) each compressed by \p threshold, every query leaf
/// attending over the key and value tokens the cut trees stand for (the
/// common refinement of their cuts, with multiplicities), each output row
/// repeated for the query tokens its leaf stands for (out: n x dv).
/// Writes the number of key pieces scored to \p scored when not NULL.
facrt_status facrt_v1_attention(const fac_memref2d_f32 *q,
                                const fac_memref2d_f32 *k,
                                const fac_memref2d_f32 *v, float threshold,
                                fac_memref2d_f32 *out, int64_t *scored);

/*===-- V2: hierarchical attention ----------------------------------------===*/

/// Causal multi-resolution attention: the queries are the last
/// q->sizes[0] positions of the n keys; the query at position p attends to
/// the `window` tokens up to p (itself included) at full resolution, then
/// to `window` nodes of each coarser level of the key/value pyramids,
/// moving a level up whenever the next node would be aligned to it, until
/// position 0: O(n window log n). Each node is weighted by its token count.
/// With window >= n it is dense causal attention. Writes the number of
/// (query, node) pairs scored to \p pairs when not NULL.
facrt_status facrt_hierarchical_attention(const fac_memref2d_f32 *q,
                                          const facrt_pyramid *keys,
                                          const facrt_pyramid *values,
                                          int64_t window, float scale,
                                          fac_memref2d_f32 *out,
                                          int64_t *pairs);

/// facrt_hierarchical_attention on the pyramids of \p k and \p v, built
/// for the call and freed (scale 1/sqrt(d)): the seed's V2 as attention
/// the way a model host calls it with a KV cache, and what
/// examples/variants/hierarchical.fac compiles to.
facrt_status facrt_v2_attention(const fac_memref2d_f32 *q,
                                const fac_memref2d_f32 *k,
                                const fac_memref2d_f32 *v, int64_t window,
                                fac_memref2d_f32 *out, int64_t *pairs);

/*===-- V3: fractal codes for weight matrices -----------------------------===*/

/// How a matrix is fractal-coded: a partitioned iterated function system.
typedef struct facrt_fractal_params {
  int32_t range;       ///< Range blocks are range x range (rows and columns
                       ///< must be multiples of it, and at least twice it).
  int32_t scale_bits;  ///< Bits of each block's contrast scale s.
  int32_t offset_bits; ///< Bits of each block's brightness offset o.
  int32_t iterations;  ///< Decoding iterations from a zero matrix.
} facrt_fractal_params;

/// The code of one matrix: per range block, the domain block (2·range
/// square, averaged down to range), one of the 8 square isometries, and
/// the quantised s and o of R ≈ s·T(D) + o.
typedef struct facrt_fractal_code facrt_fractal_code;

/// Codes the rows x cols matrix \p w: FACRT_ERR_ARG when the sides are not
/// multiples of the range block, at least twice it and at most 2^16, or
/// when a weight is NaN or infinite.
facrt_status facrt_fractal_encode(const float *w, int64_t rows, int64_t cols,
                                  const facrt_fractal_params *params,
                                  facrt_fractal_code **out);
/// Decodes by iterating the map from zero; writes rows x cols values.
facrt_status facrt_fractal_decode(const facrt_fractal_code *code, float *w);
/// The code's size in bits per weight, header included.
double facrt_fractal_bits_per_weight(const facrt_fractal_code *code);

/// The code as integers, as the language's FractalCode holds it: rows,
/// cols, range, scale_bits, offset_bits, iterations, the offset range as
/// two IEEE bit patterns, then domain, isometry, scale and offset per
/// range block. Writes at most \p capacity and returns how many there are.
int64_t facrt_fractal_export(const facrt_fractal_code *code, int64_t *out,
                             int64_t capacity);
/// The code from facrt_fractal_export's integers; FACRT_ERR_FORMAT when
/// they do not form one (a field out of range, a non-finite offset range,
/// more than 2^16 rows or columns or 2^26 weights, or the wrong count).
facrt_status facrt_fractal_import(const int64_t *in, int64_t count,
                                  facrt_fractal_code **out);
void facrt_fractal_free(facrt_fractal_code *code);

/// Range block k's map, dequantised as decoding uses it: the top-left
/// corner of its domain block in the matrix, its isometry (bit 2:
/// transpose, bit 0: flip rows, bit 1: flip columns) and s and o of
/// s·T(D) + o. What a compiler needs to emit the decoding loops.
typedef struct facrt_fractal_map {
  int64_t domain_row;
  int64_t domain_col;
  int32_t isometry;
  float scale;
  float offset;
} facrt_fractal_map;
/// Writes at most \p capacity maps, in row-major block order, and returns
/// how many blocks the code has (-1 for a null code).
int64_t facrt_fractal_maps(const facrt_fractal_code *code,
                           facrt_fractal_map *maps, int64_t capacity);

/// Plain round-to-nearest quantisation to \p bits (2-8) with one absmax
/// scale (counted as 16 bits) per \p group weights; writes the dequantised
/// values and the bits per weight.
facrt_status facrt_quantize_rtn(const float *w, int64_t n, int32_t bits,
                                int64_t group, float *out,
                                double *bits_per_weight);

/*===-- V4: the recursive fractal forward, unrolled -----------------------===*/

/// The seed's fourth variant, unrolled for \p level: f(x, 0, W) = x and
/// f(x, l, W) = attend_{W[l-1]}(f(x, l-1, W[:|W|/2]) · f(x, l-1, W[|W|/2:]))
/// where attend_w(y) = softmax(y·wq (y·wk)^T / sqrt(n)) y·wv and · is the
/// matrix product (the prelude's ⊗ on tensors), so x and every matrix are
/// n x n. \p weights holds `count` triples (wq, wk, wv), row-major. The
/// 2^level - 1 attentions of the unrolled tree are evaluated level by level
/// without recursion; FACRT_ERR_ARG when a node's slice of W has no
/// (l-1)-th weight, as the spec's indexing would fail.
facrt_status facrt_v4_forward(const float *x, int64_t n, int32_t level,
                              const float *const *weights, int64_t count,
                              float *out, int64_t *attention_calls);

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

/*===-- Model host: forward pass, generation, perplexity
 * ---------------------===*/

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

/// exp of the mean negative log-likelihood of tokens[1..n) given the
/// tokens before each, or a negative value on error (a token outside the
/// vocabulary among them, say).
double facrt_llama_perplexity(facrt_llama_state *state, const int32_t *tokens,
                              int32_t n);

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

/// Loads the project's real model and its tokenizer from a data directory
/// laid out as ../shared/data (stories260K/stories260K.bin and tok512.bin),
/// checking both against FACRT_STORIES260K_SHA256 and FACRT_TOK512_SHA256.
/// On failure nothing stays allocated.
facrt_status facrt_stories260k_load(const char *data_dir,
                                    facrt_llama_model *model,
                                    facrt_tokenizer **tok);

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

#ifdef __cplusplus
}

namespace facrt {
/// Grows \p w to \p need bytes, then makes \p call with its storage. A
/// size function's -1 (sizes too large to sum) is FACRT_ERR_LIMIT.
template <class Call>
facrt_status callWithWorkspace(facrt_workspace *w, int64_t need, Call call) {
  if (need < 0)
    return FACRT_ERR_LIMIT;
  if (facrt_status s = facrt_workspace_reserve(w, need))
    return s;
  return facrt_status(call(w->data, w->bytes));
}
} // namespace facrt

#define FACRT_CAT_(a, b) a##b
#define FACRT_CAT(a, b) FACRT_CAT_(a, b)
/// From C++: `kernel(args..., workspace)` of a facc kernel, with \p w
/// (a facrt_workspace *) grown first to `kernel_workspace_size(args...)`.
/// The arguments are evaluated twice: pass values, not calls.
#define FACRT_CALL(w, kernel, ...)                                             \
  facrt::callWithWorkspace((w),                                                \
                           FACRT_CAT(kernel, _workspace_size)(__VA_ARGS__),    \
                           [&](void *data_, int64_t bytes_) {                  \
                             return kernel(__VA_ARGS__, data_, bytes_);        \
                           })
#endif

#endif /* FACRT_FACRT_H */
