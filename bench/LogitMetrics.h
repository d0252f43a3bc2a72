//===- LogitMetrics.h - Perplexity and agreement from stored logits -------===//
//
// For the quality benchmarks, which keep every position's logits of a run
// to compare two runs position by position (facrt_llama_perplexity runs
// the model itself instead).
//
//===----------------------------------------------------------------------===//

#ifndef FAC_BENCH_LOGITMETRICS_H
#define FAC_BENCH_LOGITMETRICS_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace fac::bench {

/// exp of the mean negative log-likelihood of tokens[1..) under the logits
/// of the positions before each.
inline double perplexity(const std::vector<std::vector<float>> &logits,
                         const std::vector<int32_t> &tokens) {
  double nll = 0;
  for (size_t pos = 0; pos + 1 < tokens.size(); ++pos) {
    const std::vector<float> &l = logits[pos];
    float m = *std::max_element(l.begin(), l.end());
    double sum = 0;
    for (float x : l)
      sum += std::exp(double(x) - m);
    nll += -(double(l[size_t(tokens[pos + 1])]) - m - std::log(sum));
  }
  return std::exp(nll / double(tokens.size() - 1));
}

/// The fraction of positions whose most likely next token is the same in
/// \p a and \p b.
inline double agreement(const std::vector<std::vector<float>> &a,
                        const std::vector<std::vector<float>> &b) {
  int same = 0;
  for (size_t pos = 0; pos < a.size(); ++pos)
    same += std::max_element(a[pos].begin(), a[pos].end()) - a[pos].begin() ==
            std::max_element(b[pos].begin(), b[pos].end()) - b[pos].begin();
  return double(same) / double(a.size());
}

} // namespace fac::bench

#endif // FAC_BENCH_LOGITMETRICS_H
