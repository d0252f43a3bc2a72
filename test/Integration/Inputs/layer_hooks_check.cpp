//===- layer_hooks_check.cpp - A hooked kernel's layer entry per head -----===//
//
// The whole-layer entry of a kernel with attention hooks (fac-layer-entry)
// against its one-head entry called once per query head with that head's
// index: the hooks must see the same positions and the same head in both.
// Built with -DFAC_SCALARS="..." (the kernel's own scalars),
// -DFAC_HEAD_KERNEL and -DFAC_LAYER_KERNEL, the header -include'd. Layers
// of 4 query heads over 2 key/value heads in the model's [tokens][heads *
// d] layout, d = 8: a prompt (n = m = 37, the block path) and one query
// against 50 keys (the decode path). Prints one line per case.
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr int64_t kHeads = 4, kKvHeads = 2, kD = 8;

fac_memref3d_f32 layerView(std::vector<float> &data, int64_t heads,
                           int64_t rows) {
  return {data.data(), data.data(), 0, {heads, rows, kD}, {kD, heads * kD, 1}};
}

bool check(int64_t n, int64_t m, std::mt19937 &gen) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(size_t(n * kHeads * kD)), k(size_t(m * kKvHeads * kD)),
      v(k.size());
  for (std::vector<float> *x : {&q, &k, &v})
    for (float &e : *x)
      e = normal(gen);
  std::vector<float> perHead(q.size(), NAN), layer(q.size(), NAN);
  facrt_workspace ws = {nullptr, 0};
  for (int64_t h = 0; h < kHeads; ++h) {
    int64_t kv = h / (kHeads / kKvHeads);
    fac_memref2d_f32 qv = facrt_view2d(q.data(), n, kD, kHeads * kD, h * kD);
    fac_memref2d_f32 kview =
        facrt_view2d(k.data(), m, kD, kKvHeads * kD, kv * kD);
    fac_memref2d_f32 vv = facrt_view2d(v.data(), m, kD, kKvHeads * kD, kv * kD);
    fac_memref2d_f32 ov =
        facrt_view2d(perHead.data(), n, kD, kHeads * kD, h * kD);
    if (FACRT_CALL(&ws, FAC_HEAD_KERNEL, FAC_SCALARS, int64_t(h), &qv, &kview,
                   &vv, &ov) != FACRT_OK) {
      std::printf("FAIL n=%lld m=%lld: head %lld refused\n", (long long)n,
                  (long long)m, (long long)h);
      return false;
    }
  }
  fac_memref3d_f32 q3 = layerView(q, kHeads, n), k3 = layerView(k, kKvHeads, m),
                   v3 = layerView(v, kKvHeads, m),
                   o3 = layerView(layer, kHeads, n);
  // No causal offset: the hooks alone mask.
  facrt_status status = FACRT_CALL(&ws, FAC_LAYER_KERNEL, FAC_SCALARS,
                                   int64_t(-1), 1, &q3, &k3, &v3, &o3);
  facrt_workspace_free(&ws);
  double diff = 0, scale = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    diff = std::fmax(diff, std::fabs(double(layer[i]) - perHead[i]));
    if (std::isnan(layer[i]) || std::isnan(perHead[i]))
      diff = INFINITY;
    scale = std::fmax(scale, std::fabs(double(perHead[i])));
  }
  double err = scale > 0 ? diff / scale : diff;
  bool ok = status == FACRT_OK && err <= 1e-6;
  std::printf("%s n=%lld m=%lld: layer vs per head, relative difference "
              "%.1e\n",
              ok ? "ok" : "FAIL", (long long)n, (long long)m, err);
  return ok;
}

} // namespace

int main() {
  std::mt19937 gen(7);
  bool ok = check(37, 37, gen);
  ok = check(1, 50, gen) && ok;
  return ok ? 0 : 1;
}
