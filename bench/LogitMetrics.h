//===- LogitMetrics.h - Perplexity and agreement from stored logits -------===//
//
// For the quality benchmarks, which keep every position's logits of a run
// to compare two runs position by position (facrt_llama_perplexity runs
// the model itself instead).
//
//===----------------------------------------------------------------------===//

#ifndef FAC_BENCH_LOGITMETRICS_H
#define FAC_BENCH_LOGITMETRICS_H

#include "facrt/host/llama.h"

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
  for (size_t pos = 0; pos + 1 < tokens.size(); ++pos)
    nll += facrt_token_nll(logits[pos].data(), int32_t(logits[pos].size()),
                           tokens[pos + 1]);
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
