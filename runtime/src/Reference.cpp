//===- Reference.cpp - Dense fp64 reference attention ---------------------===//
//
// The oracle every compiled attention kernel is checked against: textbook
// two-pass softmax attention accumulated in double precision.
//
//===----------------------------------------------------------------------===//

#include "Guard.h"

#include "facrt/facrt.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace {
inline double at(const fac_memref2d_f32 *m, int64_t i, int64_t j) {
  return m->aligned[m->offset + i * m->strides[0] + j * m->strides[1]];
}
} // namespace

namespace {
facrt_status attentionRef(const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
                          const fac_memref2d_f32 *v, double scale,
                          const facrt_attention_hooks &hooks, double *out) {
  if (!q || !k || !v || !out)
    return FACRT_ERR_ARG;
  int64_t n = q->sizes[0], d = q->sizes[1];
  int64_t rows = k->sizes[0], dv = v->sizes[1];
  int64_t m = hooks.key_indices ? hooks.num_keys : rows;
  if (k->sizes[1] != d || v->sizes[0] != rows || n < 0 || m < 0)
    return FACRT_ERR_ARG;
  // Key j of the list is row `row(j)` of k and v.
  auto row = [&](int64_t j) {
    return hooks.key_indices ? hooks.key_indices[j] : j;
  };
  for (int64_t j = 0; j < m; ++j)
    if (row(j) < 0 || row(j) >= rows)
      return FACRT_ERR_ARG;
  std::vector<double> scores(static_cast<size_t>(m));
  for (int64_t i = 0; i < n; ++i) {
    int64_t end =
        hooks.causal_offset >= 0 ? std::min(m, i + hooks.causal_offset + 1) : m;
    double maxScore = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < end; ++j) {
      double s = 0;
      for (int64_t t = 0; t < d; ++t)
        s += at(q, i, t) * at(k, row(j), t);
      // An empty dot product (d = 0) is a score of 0 whatever the scale
      // (a caller's 1/sqrt(0) is infinite).
      scores[j] = d > 0 ? scale * s : 0.0;
      if (hooks.bias)
        scores[j] += hooks.bias[j];
      maxScore = std::max(maxScore, scores[j]);
    }
    double sum = 0;
    for (int64_t j = 0; j < end; ++j) {
      scores[j] = std::exp(scores[j] - maxScore);
      sum += scores[j];
    }
    for (int64_t t = 0; t < dv; ++t) {
      double acc = 0;
      for (int64_t j = 0; j < end; ++j)
        acc += scores[j] * at(v, row(j), t);
      // A row with no keys (m == 0) attends to nothing: zero output.
      out[i * dv + t] = end > 0 ? acc / sum : 0.0;
    }
  }
  return FACRT_OK;
}
} // namespace

extern "C" facrt_status facrt_attention_ref_f64(const fac_memref2d_f32 *q,
                                                const fac_memref2d_f32 *k,
                                                const fac_memref2d_f32 *v,
                                                double scale, int causal,
                                                double *out) {
  facrt_attention_hooks hooks = {causal ? 0 : -1, nullptr, nullptr, 0};
  return facrt::guard([&] { return attentionRef(q, k, v, scale, hooks, out); });
}

extern "C" facrt_status
facrt_attention_ref_f64_hooks(const fac_memref2d_f32 *q,
                              const fac_memref2d_f32 *k,
                              const fac_memref2d_f32 *v, double scale,
                              const facrt_attention_hooks *hooks, double *out) {
  if (!hooks || (hooks->key_indices && hooks->num_keys < 0))
    return FACRT_ERR_ARG;
  return facrt::guard(
      [&] { return attentionRef(q, k, v, scale, *hooks, out); });
}

extern "C" double facrt_max_rel_error(const fac_memref2d_f32 *got,
                                      const double *ref) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (!got || !ref || got->sizes[0] < 0 || got->sizes[1] < 0)
    return kInf;
  int64_t rows = got->sizes[0], cols = got->sizes[1];
  double maxErr = 0, maxRef = 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      double r = ref[i * cols + j];
      double g = at(got, i, j);
      // A NaN on either side, or an infinity the other side does not
      // match, is no agreement at all: an oracle that holds NaN must not
      // pass a check.
      if (std::isnan(g) || std::isnan(r))
        return kInf;
      if (std::isinf(g) || std::isinf(r)) {
        if (g != r)
          return kInf;
        continue;
      }
      maxErr = std::max(maxErr, std::fabs(g - r));
      maxRef = std::max(maxRef, std::fabs(r));
    }
  return maxRef > 0 ? maxErr / maxRef : maxErr;
}
