//===- FractalForward.cpp - The seed's fourth variant, unrolled -----------===//
//
// The recursion over `level` of the seed's fourth variant, unrolled into
// the fixed tree of 2^level - 1 attentions it computes, each over its own
// half of the weights, and evaluated bottom-up.
//
//===----------------------------------------------------------------------===//

#include "Guard.h"

#include "facrt/facrt.h"

#include <cmath>
#include <vector>

namespace {

using Matrix = std::vector<float>;

/// a (n x n) times b (n x n).
Matrix product(const float *a, const float *b, int64_t n) {
  Matrix c(static_cast<size_t>(n * n), 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < n; ++j)
        c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

/// softmax(y wq (y wk)^T / sqrt(n)) y wv.
Matrix attend(const Matrix &y, const float *const *w, int64_t n) {
  Matrix q = product(y.data(), w[0], n), k = product(y.data(), w[1], n),
         v = product(y.data(), w[2], n);
  fac_memref2d_f32 qv = facrt_view2d(q.data(), n, n, n, 0);
  fac_memref2d_f32 kv = facrt_view2d(k.data(), n, n, n, 0);
  fac_memref2d_f32 vv = facrt_view2d(v.data(), n, n, n, 0);
  std::vector<double> out(static_cast<size_t>(n * n));
  facrt_attention_ref_f64(&qv, &kv, &vv, 1.0 / std::sqrt(double(n)), 0,
                          out.data());
  return Matrix(out.begin(), out.end());
}

} // namespace

static facrt_status v4ForwardImpl(const float *x, int64_t n, int32_t level,
                                  const float *const *weights, int64_t count,
                                  float *out, int64_t *attention_calls) {
  if (!x || !out || n <= 0 || level < 0 || level > 20 || count < 0 ||
      (count > 0 && !weights))
    return FACRT_ERR_ARG;
  // Slices of W, top down: node j of level l covers [lo, hi).
  std::vector<std::vector<std::pair<int64_t, int64_t>>> slices(
      static_cast<size_t>(level + 1));
  slices[level] = {{0, count}};
  for (int32_t l = level; l > 0; --l)
    for (auto [lo, hi] : slices[l]) {
      int64_t mid = lo + (hi - lo) / 2;
      slices[l - 1].push_back({lo, mid});
      slices[l - 1].push_back({mid, hi});
    }
  // Values, bottom up: every leaf is x.
  int64_t calls = 0;
  std::vector<Matrix> below(slices[0].size(),
                            Matrix(x, x + static_cast<size_t>(n * n)));
  for (int32_t l = 1; l <= level; ++l) {
    std::vector<Matrix> current;
    for (size_t j = 0; j < slices[l].size(); ++j) {
      auto [lo, hi] = slices[l][j];
      int64_t index = lo + (l - 1);
      if (index >= hi)
        return FACRT_ERR_ARG;
      Matrix combined =
          product(below[2 * j].data(), below[2 * j + 1].data(), n);
      current.push_back(attend(combined, weights + 3 * index, n));
      ++calls;
    }
    below = std::move(current);
  }
  std::copy(below.front().begin(), below.front().end(), out);
  if (attention_calls)
    *attention_calls = calls;
  return FACRT_OK;
}

//===----------------------------------------------------------------------===//
// The C ABI: no exception crosses it (Guard.h).
//===----------------------------------------------------------------------===//

extern "C" facrt_status facrt_v4_forward(const float *x, int64_t n,
                                         int32_t level,
                                         const float *const *weights,
                                         int64_t count, float *out,
                                         int64_t *attention_calls) {
  return facrt::guard([&] {
    return v4ForwardImpl(x, n, level, weights, count, out, attention_calls);
  });
}
