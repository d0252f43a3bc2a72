//===- v1_check.cpp - The compiled seed V1 against its meaning in fp64 ----===//
//
// Runs the kernel facc compiles from examples/seed/v1-rule-compression.fac
// (with empty rule lists: `-D compressionRules= -D decompressionRules=`;
// linked in, header -include'd) and checks it against an fp64 model of what
// the reference interpreter computes for `model.attention`: the pyramids of
// q, k and v (f32 weighted means of the children, as the interpreter builds
// them), each cut top-down where a node's magnitude (the norm of the tokens
// it stands for, sqrt(count) |mean|) is under the threshold, attention of
// each query leaf over the key and value tokens the cut trees stand for,
// and each output row repeated for the query tokens its leaf stands for.
// With threshold 0 nothing is cut: that is dense attention.
// Usage: v1_check <relative tolerance>
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

/// A pyramid as the interpreter builds it.
struct Pyramid {
  int64_t d;
  std::vector<std::vector<float>> means;    ///< per level, nodes x d
  std::vector<std::vector<int64_t>> counts; ///< per level

  Pyramid(const std::vector<float> &tokens, int64_t n, int64_t d) : d(d) {
    means.push_back(tokens);
    counts.emplace_back(static_cast<size_t>(n), 1);
    while (counts.back().size() > 1) {
      const std::vector<float> &below = means.back();
      const std::vector<int64_t> &belowCounts = counts.back();
      size_t size = (belowCounts.size() + 1) / 2;
      std::vector<float> up(size * d);
      std::vector<int64_t> upCounts(size);
      for (size_t j = 0; j < size; ++j) {
        int64_t count = 0;
        for (size_t c = 2 * j; c < std::min(2 * j + 2, belowCounts.size());
             ++c) {
          count += belowCounts[c];
          for (int64_t x = 0; x < d; ++x)
            up[j * d + x] += below[c * d + x] * float(belowCounts[c]);
        }
        for (int64_t x = 0; x < d; ++x)
          up[j * d + x] /= float(count);
        upCounts[j] = count;
      }
      means.push_back(std::move(up));
      counts.push_back(std::move(upCounts));
    }
  }

  /// The cut's leaves in token order: (level, node).
  std::vector<std::pair<int, int64_t>> cut(double threshold) const {
    std::vector<std::pair<int, int64_t>> leaves, stack;
    stack.push_back({int(counts.size()) - 1, 0});
    while (!stack.empty()) {
      auto [k, j] = stack.back();
      stack.pop_back();
      double s = 0;
      for (int64_t x = 0; x < d; ++x) {
        double v = means[k][j * d + x];
        s += double(counts[k][j]) * v * v;
      }
      if (k == 0 || std::sqrt(s) < threshold) {
        leaves.push_back({k, j});
        continue;
      }
      if (size_t(2 * j + 1) < counts[k - 1].size())
        stack.push_back({k - 1, 2 * j + 1});
      stack.push_back({k - 1, 2 * j});
    }
    return leaves;
  }

  /// Each token's row: the mean of the leaf that stands for it.
  std::vector<double> tokens(const std::vector<std::pair<int, int64_t>> &cut,
                             int64_t n) const {
    std::vector<double> out(static_cast<size_t>(n * d));
    int64_t t = 0;
    for (auto [k, j] : cut)
      for (int64_t c = 0; c < counts[k][j]; ++c, ++t)
        for (int64_t x = 0; x < d; ++x)
          out[t * d + x] = means[k][j * d + x];
    return out;
  }
};

int failures = 0, passes = 0;
facrt_workspace workspace = {nullptr, 0};

void check(const char *what, int64_t n, int64_t d, double threshold,
           const std::vector<float> &q, const std::vector<float> &k,
           const std::vector<float> &v, double tolerance) {
  std::vector<float> out(static_cast<size_t>(n * d) + 1, NAN);
  std::vector<float> qc = q, kc = k, vc = v;
  fac_memref2d_f32 qv = facrt_view2d(qc.data(), n, d, d, 0);
  fac_memref2d_f32 kv = facrt_view2d(kc.data(), n, d, d, 0);
  fac_memref2d_f32 vv = facrt_view2d(vc.data(), n, d, d, 0);
  fac_memref2d_f32 ov = facrt_view2d(out.data(), n, d, d, 0);
  facrt_status status =
      FACRT_CALL(&workspace, fac_FractalAttentionCompression_attention,
                 float(threshold), &qv, &kv, &vv, &ov);

  Pyramid pq(q, n, d), pk(k, n, d), pv(v, n, d);
  auto cq = pq.cut(threshold), ck = pk.cut(threshold), cv = pv.cut(threshold);
  std::vector<double> keys = pk.tokens(ck, n), values = pv.tokens(cv, n);
  std::vector<double> ref(static_cast<size_t>(n * d) + 1);
  int64_t t = 0;
  double scale = 1.0 / std::sqrt(double(d));
  for (auto [lk, j] : cq) {
    const float *row = &pq.means[lk][j * d];
    std::vector<double> s(static_cast<size_t>(n));
    double top = -INFINITY;
    for (int64_t i = 0; i < n; ++i) {
      double dot = 0;
      for (int64_t x = 0; x < d; ++x)
        dot += double(row[x]) * keys[i * d + x];
      s[i] = dot * scale;
      top = std::max(top, s[i]);
    }
    double sum = 0;
    std::vector<double> acc(static_cast<size_t>(d));
    for (int64_t i = 0; i < n; ++i) {
      double w = std::exp(s[i] - top);
      sum += w;
      for (int64_t x = 0; x < d; ++x)
        acc[x] += w * values[i * d + x];
    }
    for (int64_t c = 0; c < pq.counts[lk][j]; ++c, ++t)
      for (int64_t x = 0; x < d; ++x)
        ref[t * d + x] = acc[x] / sum;
  }
  double err = facrt_max_rel_error(&ov, ref.data());
  bool ok = status == FACRT_OK && err <= tolerance;
  std::printf("%s %s n=%lld d=%lld threshold=%g: %zu/%zu/%zu leaves, max "
              "relative error %.1e\n",
              ok ? "ok" : "FAIL", what, (long long)n, (long long)d, threshold,
              cq.size(), ck.size(), cv.size(), err);
  (ok ? passes : failures)++;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <relative tolerance>\n", argv[0]);
    return 2;
  }
  double tolerance = std::atof(argv[1]);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t d : {8, 64})
    for (int64_t n : {1, 2, 3, 7, 64, 100, 257}) {
      std::vector<float> q(n * d), k(n * d), v(n * d);
      for (std::vector<float> *x : {&q, &k, &v})
        for (float &e : *x)
          e = normal(rng);
      // A node of random tokens has a magnitude near sqrt(d): thresholds
      // around it cut some nodes and keep others.
      double r = std::sqrt(double(d));
      for (double threshold : {0.0, 0.9 * r, 1.1 * r, 1e30})
        check("random", n, d, threshold, q, k, v, tolerance);
    }
  // Repeated tokens: the cut keeps whole runs, and attention over them
  // with multiplicities is still exact.
  int64_t n = 96, d = 16;
  std::vector<float> q(n * d), k(n * d), v(n * d);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t x = 0; x < d; ++x) {
      q[t * d + x] = normal(rng);
      k[t * d + x] = float((t / 32 + 1) * (x % 3));
      v[t * d + x] = float(t / 32) - float(x) / 8;
    }
  check("runs", n, d, 100.0, q, k, v, tolerance);

  // Shapes that do not fit: FACRT_ERR_ARG, and `out` untouched.
  struct Bad {
    const char *what;
    int64_t n, d, m, dk, mv, outRows, outCols;
  };
  const Bad bad[] = {{"out has a row less", 5, 8, 7, 8, 7, 4, 8},
                     {"out has a column more", 5, 8, 7, 8, 7, 5, 9},
                     {"keys narrower than queries", 5, 8, 7, 4, 7, 5, 8},
                     {"more keys than values", 5, 8, 9, 8, 7, 5, 8}};
  for (const Bad &b : bad) {
    std::vector<float> qb(size_t(b.n * b.d), 0.5f),
        kb(size_t(b.m * b.dk), 0.5f), vb(size_t(b.mv * b.d), 0.5f),
        ob(size_t(b.outRows * b.outCols) + 16, 7.0f);
    fac_memref2d_f32 qv = facrt_view2d(qb.data(), b.n, b.d, b.d, 0);
    fac_memref2d_f32 kv = facrt_view2d(kb.data(), b.m, b.dk, b.dk, 0);
    fac_memref2d_f32 vv = facrt_view2d(vb.data(), b.mv, b.d, b.d, 0);
    fac_memref2d_f32 ov =
        facrt_view2d(ob.data(), b.outRows, b.outCols, b.outCols, 0);
    facrt_status status =
        FACRT_CALL(&workspace, fac_FractalAttentionCompression_attention, 1.0f,
                   &qv, &kv, &vv, &ov);
    bool untouched =
        std::all_of(ob.begin(), ob.end(), [](float x) { return x == 7.0f; });
    bool ok = status == FACRT_ERR_ARG && untouched;
    std::printf("%s refused: %s (%s, out %s)\n", ok ? "ok" : "FAIL", b.what,
                facrt_status_str(status), untouched ? "untouched" : "written");
    (ok ? passes : failures)++;
  }
  std::printf("%d passed, %d failed\n", passes, failures);
  return failures ? 1 : 0;
}
