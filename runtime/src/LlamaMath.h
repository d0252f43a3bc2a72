//===- LlamaMath.h - The arithmetic of a Llama layer ------------*- C++ -*-===//
//
// RMSNorm, matrix-vector products and RoPE as llama2.c computes them,
// shared by the Q/K/V extraction and the forward pass. Internal to libfacrt.
//
//===----------------------------------------------------------------------===//

#ifndef FACRT_LLAMAMATH_H
#define FACRT_LLAMAMATH_H

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace facrt {

/// out = w * x / rms(x), with eps 1e-5.
inline void rmsNorm(const float *x, const float *w, int32_t dim, float *out) {
  double ss = 0;
  for (int32_t i = 0; i < dim; ++i)
    ss += double(x[i]) * x[i];
  float inv = 1.0f / std::sqrt(float(ss / dim) + 1e-5f);
  for (int32_t i = 0; i < dim; ++i)
    out[i] = w[i] * (x[i] * inv);
}

/// out[i] = sum_j w[i][j] * x[j], w is rows x cols.
inline void matVec(const float *w, const float *x, int32_t rows, int32_t cols,
                   float *out) {
  for (int32_t i = 0; i < rows; ++i) {
    float acc = 0;
    for (int32_t j = 0; j < cols; ++j)
      acc += w[size_t(i) * cols + j] * x[j];
    out[i] = acc;
  }
}

/// Rotates pairs (v[i], v[i+1]) of every head of v by pos * theta^(-i/hs).
inline void rope(float *v, int32_t width, int32_t headSize, int32_t pos) {
  for (int32_t i = 0; i < width; i += 2) {
    int32_t headDim = i % headSize;
    float freq = 1.0f / std::pow(10000.0f, headDim / float(headSize));
    float val = pos * freq;
    float c = std::cos(val), s = std::sin(val);
    float v0 = v[i], v1 = v[i + 1];
    v[i] = v0 * c - v1 * s;
    v[i + 1] = v0 * s + v1 * c;
  }
}

} // namespace facrt

#endif // FACRT_LLAMAMATH_H
