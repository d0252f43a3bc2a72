//===- memory_constraint_check.cpp - V2's attendAndCompress, compiled -----===//
//
// Runs fac_FractalAttentionCompression_attendAndCompress, compiled from
// examples/seed/v2-hierarchical.fac with --entry=attendAndCompress, against
// what the interpreter computes, written here without the compiler's code:
// `MemoryConstraint(memoryLimit)` is Satisfy when every tensor the call has
// made or read (query, key, value, the attention rows) holds at most
// memoryLimit bytes; then the result is the pyramid of the dense attention
// rows, whose leaves are those rows. Violate calls attendAndCompress again
// on the same arguments, which never ends (the interpreter stops at its
// recursion limit): the kernel returns FACRT_ERR_LIMIT and writes nothing.
// Usage: memory_constraint_check <relative tolerance>
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

int failures = 0, passes = 0;
facrt_workspace workspace = {nullptr, 0};

void check(int64_t nq, int64_t nk, int64_t d, int64_t limit, double tolerance) {
  std::mt19937 rng(unsigned(nq * 131 + nk * 7 + d));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto rows = [&](int64_t n) {
    std::vector<float> x(size_t(n * d) + 1);
    for (float &e : x)
      e = normal(rng);
    return x;
  };
  std::vector<float> q = rows(nq), k = rows(nk), v = rows(nk);
  std::vector<float> out(size_t(nq * d) + 1, NAN);
  fac_memref2d_f32 qv = facrt_view2d(q.data(), nq, d, d, 0);
  fac_memref2d_f32 kv = facrt_view2d(k.data(), nk, d, d, 0);
  fac_memref2d_f32 vv = facrt_view2d(v.data(), nk, d, d, 0);
  fac_memref2d_f32 ov = facrt_view2d(out.data(), nq, d, d, 0);
  facrt_status status =
      FACRT_CALL(&workspace, fac_FractalAttentionCompression_attendAndCompress,
                 limit, &qv, &kv, &vv, &ov);
  int64_t largest = 4 * std::max(nq, nk) * d;
  bool satisfy = largest <= limit;
  char detail[200];
  if (!satisfy) {
    bool untouched = std::all_of(out.begin(), out.end(),
                                 [](float x) { return std::isnan(x); });
    std::snprintf(detail, sizeof detail,
                  "nq=%lld nk=%lld d=%lld limit=%lld: Violate, %s, out %s",
                  (long long)nq, (long long)nk, (long long)d, (long long)limit,
                  facrt_status_str(status),
                  untouched ? "untouched" : "WRITTEN");
    bool ok = status == FACRT_ERR_LIMIT && untouched;
    std::printf("%s %s\n", ok ? "ok" : "FAIL", detail);
    (ok ? passes : failures)++;
    return;
  }
  std::vector<double> ref(size_t(nq * d));
  facrt_attention_ref_f64(&qv, &kv, &vv, 1.0 / std::sqrt(double(d)), 0,
                          ref.data());
  double err = facrt_max_rel_error(&ov, ref.data());
  std::snprintf(detail, sizeof detail,
                "nq=%lld nk=%lld d=%lld limit=%lld: Satisfy, %s, max relative "
                "error %.1e",
                (long long)nq, (long long)nk, (long long)d, (long long)limit,
                facrt_status_str(status), err);
  bool ok = status == FACRT_OK && err <= tolerance;
  std::printf("%s %s\n", ok ? "ok" : "FAIL", detail);
  (ok ? passes : failures)++;
}

} // namespace

int main(int argc, char **argv) {
  double tolerance = argc > 1 ? std::atof(argv[1]) : 1e-5;
  // The largest tensor of (37, 200, 64) is 200 x 64 x 4 = 51200 bytes.
  check(37, 200, 64, 51200, tolerance);
  check(37, 200, 64, 51199, tolerance);
  check(1, 40, 8, 1280, tolerance);
  check(1, 40, 8, 1279, tolerance);
  check(64, 64, 64, 1 << 30, tolerance);
  check(5, 5, 16, -1, tolerance);
  check(5, 5, 16, 0, tolerance);
  facrt_workspace_free(&workspace);
  std::printf("%d passed, %d failed\n", passes, failures);
  return failures ? 1 : 0;
}
