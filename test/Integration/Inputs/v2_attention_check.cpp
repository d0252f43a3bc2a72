//===- v2_attention_check.cpp - hierarchical.fac against libfacrt's V2 ----===//
//
// Runs the kernel facc compiled from examples/variants/hierarchical.fac
// (its header -include'd, FAC_KERNEL its entry, the window its first
// argument) against libfacrt's facrt_v2_attention on Gaussian rows: one
// query against m keys (decoding) and a whole prompt, at windows 1 to 3,
// for m that reach the pyramid's upper levels. Prints one line per case;
// exits 1 when one is off by more than the relative tolerance.
// Usage: v2_attention_check <relative tolerance>
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <relative tolerance>\n", argv[0]);
    return 2;
  }
  double tolerance = std::atof(argv[1]);
  facrt_workspace workspace = {nullptr, 0};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t d = 8;
  int failures = 0;
  for (int64_t m : {1, 5, 40, 77, 200})
    for (int64_t n : {int64_t(1), m})
      for (int64_t window : {1, 2, 3}) {
        std::vector<float> q(size_t(n * d)), k(size_t(m * d)), v(k.size()),
            got(q.size()), want(q.size());
        for (std::vector<float> *x : {&q, &k, &v})
          for (float &e : *x)
            e = normal(rng);
        fac_memref2d_f32 qv = facrt_view2d(q.data(), n, d, d, 0);
        fac_memref2d_f32 kv = facrt_view2d(k.data(), m, d, d, 0);
        fac_memref2d_f32 vv = facrt_view2d(v.data(), m, d, d, 0);
        fac_memref2d_f32 gv = facrt_view2d(got.data(), n, d, d, 0);
        fac_memref2d_f32 wv = facrt_view2d(want.data(), n, d, d, 0);
        if (FACRT_CALL(&workspace, FAC_KERNEL, window, &qv, &kv, &vv, &gv) !=
                FACRT_OK ||
            facrt_v2_attention(&qv, &kv, &vv, window, &wv, nullptr) !=
                FACRT_OK) {
          std::printf("FAIL m=%lld n=%lld window=%lld: refused\n", (long long)m,
                      (long long)n, (long long)window);
          ++failures;
          continue;
        }
        std::vector<double> reference(want.begin(), want.end());
        double err = facrt_max_rel_error(&gv, reference.data());
        bool ok = err <= tolerance;
        failures += !ok;
        std::printf("%s m=%lld n=%lld window=%lld: relative difference %.2e\n",
                    ok ? "ok" : "FAIL", (long long)m, (long long)n,
                    (long long)window, err);
      }
  facrt_workspace_free(&workspace);
  return failures ? 1 : 0;
}
