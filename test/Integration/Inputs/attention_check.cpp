//===- attention_check.cpp - Runs a compiled attention kernel -------------===//
//
// Test harness linked with a kernel compiled by facc (any target) and with
// libfacrt: runs the kernel on random inputs of many shapes, including heads
// cut out of wider matrices, and compares each result with the fp64
// reference. Build with -include <generated header> and
// -DFAC_KERNEL=<entry point>. Usage: attention_check <max relative error>.
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#ifndef FAC_KERNEL
#error "define FAC_KERNEL to the kernel's entry point"
#endif

namespace {

facrt_workspace workspace = {nullptr, 0};

struct Case {
  int64_t n, m, d, dv;
  float scale;
  int64_t ld; ///< Row stride of the inputs; > d cuts a head out of a row.
};

int runCase(const Case &c, double tolerance) {
  int64_t ld = std::max({c.ld, c.d, c.dv});
  std::mt19937 gen(static_cast<unsigned>(c.n * 131 + c.m * 7 + c.d));
  std::normal_distribution<float> dist(0.0f, 1.0f);
  auto fill = [&](std::vector<float> &v) {
    for (float &x : v)
      x = dist(gen);
  };
  std::vector<float> q(c.n * ld + 1), k(c.m * ld + 1), v(c.m * ld + 1);
  fill(q);
  fill(k);
  fill(v);
  int64_t col = ld - std::max(c.d, c.dv); // Use the last columns.
  fac_memref2d_f32 qv = facrt_view2d(q.data(), c.n, c.d, ld, col);
  fac_memref2d_f32 kv = facrt_view2d(k.data(), c.m, c.d, ld, col);
  fac_memref2d_f32 vv = facrt_view2d(v.data(), c.m, c.dv, ld, col);
  std::vector<float> out(c.n * c.dv + 1, NAN);
  fac_memref2d_f32 ov = facrt_view2d(out.data(), c.n, c.dv, c.dv, 0);

  if (FACRT_CALL(&workspace, FAC_KERNEL, c.scale, &qv, &kv, &vv, &ov) !=
      FACRT_OK) {
    std::printf("the kernel refused the case\n");
    return 1;
  }

  std::vector<double> ref(c.n * c.dv + 1);
  double refScale = c.scale / std::sqrt(static_cast<double>(c.d));
  if (facrt_attention_ref_f64(&qv, &kv, &vv, refScale, 0, ref.data()) !=
      FACRT_OK) {
    std::printf("reference rejected the case\n");
    return 1;
  }
  double err = facrt_max_rel_error(&ov, ref.data());
  bool ok = err <= tolerance;
  std::printf("case n=%lld m=%lld d=%lld dv=%lld scale=%g ld=%lld: "
              "max_rel_error=%.3g %s\n",
              (long long)c.n, (long long)c.m, (long long)c.d, (long long)c.dv,
              c.scale, (long long)ld, err, ok ? "ok" : "FAIL");
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <max relative error>\n", argv[0]);
    return 2;
  }
  double tolerance = std::atof(argv[1]);
  const Case cases[] = {
      {1, 1, 8, 8, 1.0f, 8},       // One query, one key: out = v.
      {7, 5, 8, 8, 1.0f, 8},       // Fewer keys than a tile.
      {64, 64, 8, 8, 1.0f, 8},     // Exactly one tile.
      {65, 130, 16, 24, 0.5f, 24}, // Partial last tile, dv != d.
      {50, 200, 8, 8, 1.0f, 64},   // A head cut out of a 64-wide row.
      {33, 300, 64, 64, 2.0f, 64}, // Wide heads, large scores.
      {3, 0, 8, 8, 1.0f, 8},       // No keys: the output is zero.
  };
  int failed = 0, passed = 0;
  for (const Case &c : cases)
    (runCase(c, tolerance) ? failed : passed) += 1;
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
