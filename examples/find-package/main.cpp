// Runs the two kernels fac_add_kernels compiled on one random prompt and
// compares each with attention computed here in double precision.
#include "dense.h"
#include "window.h"

#include "facrt/facrt.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr int64_t kTokens = 37, kDim = 16, kWindow = 4;

/// Attention of each row i over keys j in [i - window + 1, i] (every key
/// when window is 0), in double precision; scores scaled by 1/sqrt(d).
std::vector<double> reference(const std::vector<float> &q,
                              const std::vector<float> &k,
                              const std::vector<float> &v, int64_t window) {
  std::vector<double> out(kTokens * kDim, 0.0);
  for (int64_t i = 0; i < kTokens; ++i) {
    int64_t first = window ? std::max<int64_t>(0, i - window + 1) : 0;
    int64_t last = window ? i : kTokens - 1;
    std::vector<double> scores;
    double best = -INFINITY, sum = 0;
    for (int64_t j = first; j <= last; ++j) {
      double s = 0;
      for (int64_t c = 0; c < kDim; ++c)
        s += double(q[i * kDim + c]) * k[j * kDim + c];
      scores.push_back(s / std::sqrt(double(kDim)));
      best = std::max(best, scores.back());
    }
    for (double &s : scores)
      sum += (s = std::exp(s - best));
    for (int64_t j = first; j <= last; ++j)
      for (int64_t c = 0; c < kDim; ++c)
        out[i * kDim + c] += scores[j - first] / sum * v[j * kDim + c];
  }
  return out;
}

/// Prints the kernel's largest error relative to the largest reference
/// value; true when it is within f32 rounding.
bool report(const char *name, facrt_status status,
            const std::vector<float> &got, const std::vector<double> &want) {
  double error = 0, largest = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    error = std::max(error, std::fabs(got[i] - want[i]));
    largest = std::max(largest, std::fabs(want[i]));
  }
  bool ok = status == FACRT_OK && error <= 1e-5 * largest;
  std::printf("%s: status %s, max relative error %.2e: %s\n", name,
              facrt_status_str(status), error / largest, ok ? "pass" : "FAIL");
  return ok;
}

} // namespace

int main() {
  std::mt19937 rng(7);
  std::normal_distribution<float> gauss;
  std::vector<float> q(kTokens * kDim), k(q.size()), v(q.size());
  for (std::vector<float> *t : {&q, &k, &v})
    for (float &x : *t)
      x = gauss(rng);
  std::vector<float> out(q.size());
  fac_memref2d_f32 query = facrt_view2d(q.data(), kTokens, kDim, kDim, 0);
  fac_memref2d_f32 key = facrt_view2d(k.data(), kTokens, kDim, kDim, 0);
  fac_memref2d_f32 value = facrt_view2d(v.data(), kTokens, kDim, kDim, 0);
  fac_memref2d_f32 result = facrt_view2d(out.data(), kTokens, kDim, kDim, 0);
  facrt_workspace workspace = {nullptr, 0};

  // Dense's `scale` multiplies the scores on top of Attend's 1/sqrt(d).
  facrt_status status = FACRT_CALL(&workspace, fac_Dense_attention, 1.0f,
                                   &query, &key, &value, &result);
  bool ok = report("dense", status, out, reference(q, k, v, 0));
  status = FACRT_CALL(&workspace, fac_Window_attention, &query, &key, &value,
                      &result);
  ok &= report("window=4", status, out, reference(q, k, v, kWindow));
  facrt_workspace_free(&workspace);
  return ok ? 0 : 1;
}
