//===- numerics_check.cpp - The numeric contract of a compiled kernel -----===//
//
// Runs a kernel compiled by facc (any target) on the inputs at the edges of
// f32 and checks what docs/RuntimeABI.md ("Numeric contract") promises for
// each: no keys, d = 0, NaN and infinite inputs, scores and values that
// overflow f32, subnormals. Build with -include <generated header> and
// -DFAC_KERNEL=<entry point> (a kernel of `Attend(scale * q, k, v)`).
// Prints one line per case, "ok" or "FAIL", then a summary.
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#ifndef FAC_KERNEL
#error "define FAC_KERNEL to the kernel's entry point"
#endif

namespace {

facrt_workspace workspace = {nullptr, 0};
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

/// n queries, m keys of width d, values of width dv, row-major.
struct Problem {
  int64_t n, m, d, dv;
  std::vector<float> q, k, v, out;
  Problem(int64_t n, int64_t m, int64_t d, int64_t dv, float fill = 0.5f)
      : n(n), m(m), d(d), dv(dv), q(n * d + 1, fill), k(m * d + 1, fill),
        v(m * dv + 1, fill), out(n * dv + 1, -7.0f) {
    // Distinct values, so that a mean is not any one of them.
    for (int64_t j = 0; j < m * dv; ++j)
      v[j] = float(j % 5) - 2.0f;
  }
  fac_memref2d_f32 view(std::vector<float> &x, int64_t rows, int64_t cols) {
    return facrt_view2d(x.data(), rows, cols, cols > 0 ? cols : 1, 0);
  }
  /// Runs the kernel with scale 1 (scores are q.k / sqrt(d)).
  void run() {
    fac_memref2d_f32 qv = view(q, n, d), kv = view(k, m, d),
                     vv = view(v, m, dv), ov = view(out, n, dv);
    if (FACRT_CALL(&workspace, FAC_KERNEL, 1.0f, &qv, &kv, &vv, &ov) !=
        FACRT_OK) {
      std::printf("FAIL: the kernel refused a %lld x %lld x %lld case\n",
                  (long long)n, (long long)m, (long long)d);
      std::exit(1);
    }
  }
  /// The fp64 reference's relative error of the kernel's output.
  double error() {
    fac_memref2d_f32 qv = view(q, n, d), kv = view(k, m, d),
                     vv = view(v, m, dv), ov = view(out, n, dv);
    std::vector<double> ref(size_t(n * dv) + 1);
    double scale = d > 0 ? 1.0 / std::sqrt(double(d)) : 1.0;
    if (facrt_attention_ref_f64(&qv, &kv, &vv, scale, 0, ref.data()))
      return std::numeric_limits<double>::infinity();
    return facrt_max_rel_error(&ov, ref.data());
  }
  bool all(const std::function<bool(float)> &pred, int64_t row) const {
    for (int64_t t = 0; t < dv; ++t)
      if (!pred(out[row * dv + t]))
        return false;
    return true;
  }
};

int failures = 0, passes = 0;

void expect(const char *name, bool ok, const std::string &detail = "") {
  std::printf("%s: %s%s%s\n", name, ok ? "ok" : "FAIL",
              detail.empty() ? "" : " ", detail.c_str());
  (ok ? passes : failures)++;
}

bool isNaN(float x) { return std::isnan(x); }

} // namespace

int main() {
  {
    // No keys: every output row is zero.
    Problem p(3, 0, 8, 4);
    p.run();
    expect("zero keys give zeros",
           p.all([](float x) { return x == 0.0f; }, 0) &&
               p.all([](float x) { return x == 0.0f; }, 2));
  }
  {
    // d = 0: every score is 0, so the output is the mean of the values.
    Problem p(2, 4, 0, 3);
    p.run();
    double err = p.error();
    expect("d = 0 averages the values", err < 1e-6,
           "max_rel_error=" + std::to_string(err));
  }
  {
    // A NaN in a query, a key or a value reaches the output.
    Problem q(2, 5, 8, 4), k(2, 5, 8, 4), v(2, 5, 8, 4);
    q.q[3] = kNaN;         // Row 0 of q.
    k.k[2 * 8] = kNaN;     // Key 2.
    v.v[3 * 4 + 1] = kNaN; // Value 3, column 1.
    q.run();
    k.run();
    v.run();
    expect("NaN in a query makes its row NaN",
           q.all(isNaN, 0) && q.all([](float x) { return !isNaN(x); }, 1));
    expect("NaN in a key makes every row NaN",
           k.all(isNaN, 0) && k.all(isNaN, 1));
    expect("NaN in a value makes its column NaN",
           isNaN(v.out[1]) && isNaN(v.out[4 + 1]) && !isNaN(v.out[0]) &&
               !isNaN(v.out[2]));
  }
  {
    // A score of -inf (an overflowed negative dot product) weighs 0 when
    // another score is finite: the result is attention over the others.
    Problem p(1, 4, 2, 2, 0.25f);
    p.q = {1e30f, 1e30f, 0};
    p.k = {-1e30f, -1e30f, 0.1f, 0.2f, 0.3f, -0.1f, 0.0f, 0.5f, 0};
    p.run();
    Problem rest(1, 3, 2, 2);
    rest.q = {1e30f, 1e30f, 0};
    rest.k = {0.1f, 0.2f, 0.3f, -0.1f, 0.0f, 0.5f, 0};
    rest.v.assign(p.v.begin() + 2, p.v.end());
    rest.run();
    bool same = p.out[0] == rest.out[0] && p.out[1] == rest.out[1];
    expect("a -inf score weighs 0", same && std::isfinite(p.out[0]));
  }
  {
    // A score that overflows to +inf (q = k = 1e30): the row is NaN. The
    // fp64 reference, whose dot products do not overflow, is finite there,
    // so a check against it fails (max_rel_error is +inf), never passes.
    Problem p(1, 3, 4, 2, 1e30f);
    p.run();
    expect("a +inf score makes the row NaN",
           p.all(isNaN, 0) && std::isinf(p.error()));
  }
  {
    // Every score -inf: no key has a finite weight; the row is NaN.
    Problem p(1, 3, 4, 2, 1e30f);
    for (int64_t j = 0; j < 3 * 4; ++j)
      p.k[j] = -1e30f;
    p.run();
    expect("all scores -inf make the row NaN", p.all(isNaN, 0));
  }
  {
    // Values: the accumulator holds sum_j e^(s_j - max) v_j, at most
    // (keys x max |v|): finite while that is within FLT_MAX.
    Problem ok(1, 2, 4, 1), over(1, 2, 4, 1);
    ok.v = {1e38f, 1e38f, 0};
    over.v = {3e38f, 3e38f, 0};
    ok.run();
    over.run();
    expect("2 keys x 1e38 stay finite", ok.out[0] == 1e38f,
           "out=" + std::to_string(ok.out[0]));
    expect("2 keys x 3e38 overflow to inf", std::isinf(over.out[0]));
  }
  {
    // Infinite values follow IEEE arithmetic: +inf, or NaN where +inf and
    // -inf meet.
    Problem one(1, 3, 4, 1), both(1, 3, 4, 1);
    one.v = {kInf, 1, 2, 0};
    both.v = {kInf, -kInf, 2, 0};
    one.run();
    both.run();
    expect("an infinite value gives an infinite output",
           one.out[0] == kInf && isNaN(both.out[0]));
  }
  {
    // Subnormal inputs are computed as IEEE numbers (no flush to zero):
    // scores are ~0, so the output is the mean of subnormal values.
    Problem p(2, 6, 4, 3, 1e-40f);
    for (int64_t j = 0; j < 6 * 3; ++j)
      p.v[j] = float(j + 1) * 1e-41f;
    p.run();
    double err = p.error();
    expect("subnormals are not flushed",
           p.out[0] != 0.0f && std::fpclassify(p.out[0]) == FP_SUBNORMAL &&
               err < 1e-3,
           "max_rel_error=" + std::to_string(err));
  }
  {
    // The largest finite scores: softmax subtracts the maximum, so scores
    // near FLT_MAX / 2 do not overflow exp.
    Problem p(1, 3, 1, 2);
    p.q = {1.0f, 0};
    p.k = {1.5e38f, 1.6e38f, -1e38f, 0};
    p.run();
    double err = p.error();
    expect("huge finite scores are stable", err < 1e-6,
           "max_rel_error=" + std::to_string(err));
  }
  std::printf("%d passed, %d failed\n", passes, failures);
  return failures ? 1 : 0;
}
