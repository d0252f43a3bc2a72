/*===- compression.h - The seed's V1 and V2 ------------------------*- C -*-===*
 *
 * Pyramids of token vectors, V1's rule-based cuts and multiplicity
 * attention, and V2's hierarchical attention: what the compiled V1 and
 * V2 call, and what the tests compare the compiled specs with.
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_COMPRESSION_H
#define FACRT_COMPRESSION_H

#include "facrt/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* FACRT_COMPRESSION_H */
