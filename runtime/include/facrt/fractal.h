/*===- fractal.h - The seed's V3 and V4 ----------------------------*- C -*-===*
 *
 * Fractal codes of weight matrices (V3), round-to-nearest quantisation to
 * compare them with, and the unrolled fractal forward (V4).
 *
 *===----------------------------------------------------------------------===*/
#ifndef FACRT_FRACTAL_H
#define FACRT_FRACTAL_H

#include "facrt/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* FACRT_FRACTAL_H */
