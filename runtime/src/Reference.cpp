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
                          const fac_memref2d_f32 *v, double scale, int causal,
                          double *out) {
  if (!q || !k || !v || !out)
    return FACRT_ERR_ARG;
  int64_t n = q->sizes[0], d = q->sizes[1];
  int64_t m = k->sizes[0], dv = v->sizes[1];
  if (k->sizes[1] != d || v->sizes[0] != m || n < 0 || m < 0)
    return FACRT_ERR_ARG;
  std::vector<double> scores(static_cast<size_t>(m));
  for (int64_t i = 0; i < n; ++i) {
    int64_t end = causal ? std::min(m, i + 1) : m;
    double maxScore = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < end; ++j) {
      double s = 0;
      for (int64_t t = 0; t < d; ++t)
        s += at(q, i, t) * at(k, j, t);
      // An empty dot product (d = 0) is a score of 0 whatever the scale
      // (a caller's 1/sqrt(0) is infinite).
      scores[j] = d > 0 ? scale * s : 0.0;
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
        acc += scores[j] * at(v, j, t);
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
  return facrt::guard(
      [&] { return attentionRef(q, k, v, scale, causal, out); });
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
