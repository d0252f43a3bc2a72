//===- hooks_check.cpp - Every hook of the attention kernel vs fp64 -------===//
//
// Runs the kernels of hooks.mlir (compiled by facc for one target and
// linked in) on shapes and hooks chosen to reach every path of the fused
// kernel: n = 1, partial query and key blocks, every head size the issue
// lists, whole layers in both layouts ([heads][tokens][d] and
// [tokens][heads * d], through strides), grouped-query heads, causal
// masking with offsets, a bias per key, gathered keys with repeats, and
// 1, 2 and 3 threads. Each head is checked against the fp64 reference
// (facrt_attention_ref_f64_hooks); the layer's result must be bit-identical
// for every thread count. Every kernel returns FACRT_OK on these, and
// FACRT_ERR_ARG, writing nothing, on buffers whose shapes do not fit
// together or on a gathered row out of range. Prints one line per case and
// a summary.
// Usage: hooks_check <relative tolerance> [max threads]
//
//===----------------------------------------------------------------------===//

#include "facrt/facrt.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

facrt_workspace workspace = {nullptr, 0};

struct Case {
  const char *what;
  int64_t heads, kvHeads, n, rows, d;
  bool tokenMajor; ///< [tokens][heads * d], else [heads][tokens][d]
  int64_t offset;  ///< causal offset; < 0: no mask
  bool bias, gather;
};

/// A layer of `heads` x `tokens` x `d` in one of the two layouts.
struct Layer {
  std::vector<float> data;
  int64_t heads, tokens, d;
  bool tokenMajor;

  Layer(int64_t heads, int64_t tokens, int64_t d, bool tokenMajor)
      : data(static_cast<size_t>(heads * tokens * d) + 1), heads(heads),
        tokens(tokens), d(d), tokenMajor(tokenMajor) {}

  fac_memref3d_f32 view() {
    fac_memref3d_f32 m{data.data(), data.data(), 0, {heads, tokens, d}, {}};
    if (tokenMajor) {
      m.strides[0] = d;
      m.strides[1] = heads * d;
    } else {
      m.strides[0] = tokens * d;
      m.strides[1] = d;
    }
    m.strides[2] = 1;
    return m;
  }
  fac_memref2d_f32 head(int64_t h) {
    fac_memref3d_f32 m = view();
    return {data.data(),
            data.data(),
            h * m.strides[0],
            {tokens, d},
            {m.strides[1], 1}};
  }
};

int failures = 0, passes = 0;

void report(const std::string &name, bool ok, const char *detail) {
  std::printf("%s %s%s\n", ok ? "ok" : "FAIL", name.c_str(), detail);
  (ok ? passes : failures)++;
}

void run(const Case &c, double tolerance, int maxThreads) {
  std::mt19937 rng(static_cast<unsigned>(c.n * 131 + c.d * 7 + c.rows));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Layer q(c.heads, c.n, c.d, c.tokenMajor);
  Layer k(c.kvHeads, c.rows, c.d, c.tokenMajor);
  Layer v(c.kvHeads, c.rows, c.d, c.tokenMajor);
  for (Layer *l : {&q, &k, &v})
    for (float &x : l->data)
      x = normal(rng);
  // The key list: every row, or 1.5x as many entries drawn with repeats.
  int64_t m = c.gather ? c.rows + c.rows / 2 : c.rows;
  std::vector<int64_t> rows(static_cast<size_t>(m) + 1);
  std::vector<float> bias(static_cast<size_t>(m) + 1, 0.0f);
  for (int64_t j = 0; j < m; ++j) {
    rows[j] = c.gather ? static_cast<int64_t>(rng() % c.rows) : j;
    if (c.bias)
      bias[j] = std::log(1.0f + static_cast<float>(rng() % 8));
  }
  fac_memref1d_f32 biasView{bias.data(), bias.data(), 0, {m}, {1}};
  fac_memref1d_i64 rowsView{rows.data(), rows.data(), 0, {m}, {1}};
  // No mask: a negative offset, as in the reference's hooks.
  int64_t offset = c.offset;
  facrt_attention_hooks hooks{c.offset, c.bias ? bias.data() : nullptr,
                              c.gather ? rows.data() : nullptr, m};
  double scale = 1.0 / std::sqrt(static_cast<double>(c.d > 0 ? c.d : 1));
  std::string name = std::string(c.what) + " H=" + std::to_string(c.heads) +
                     "/" + std::to_string(c.kvHeads) +
                     " n=" + std::to_string(c.n) + " m=" + std::to_string(m) +
                     " d=" + std::to_string(c.d);

  // The whole layer, at every thread count; bit-identical results.
  std::vector<float> first;
  for (int threads = 1; threads <= maxThreads; ++threads) {
    Layer out(c.heads, c.n, c.d, c.tokenMajor);
    std::fill(out.data.begin(), out.data.end(), NAN);
    fac_memref3d_f32 qv = q.view(), kv = k.view(), vv = v.view(),
                     ov = out.view();
    if (FACRT_CALL(&workspace, fac_hooks_layer, offset, threads, &biasView,
                   &rowsView, &qv, &kv, &vv, &ov) != FACRT_OK) {
      report(name, false, " (the layer kernel refused the case)");
      return;
    }
    if (threads == 1) {
      double worst = 0;
      for (int64_t h = 0; h < c.heads; ++h) {
        int64_t kvh = h / (c.heads / c.kvHeads);
        fac_memref2d_f32 qh = q.head(h), kh = k.head(kvh), vh = v.head(kvh),
                         oh = out.head(h);
        std::vector<double> ref(static_cast<size_t>(c.n * c.d) + 1);
        if (facrt_attention_ref_f64_hooks(&qh, &kh, &vh, scale, &hooks,
                                          ref.data()) != FACRT_OK) {
          report(name, false, " (reference refused the case)");
          return;
        }
        worst = std::max(worst, facrt_max_rel_error(&oh, ref.data()));
      }
      char detail[64];
      std::snprintf(detail, sizeof detail, " layer err %.1e", worst);
      report(name, worst <= tolerance, detail);
      first = out.data;
    } else {
      bool same = std::memcmp(first.data(), out.data.data(),
                              first.size() * sizeof(float)) == 0;
      report(name + " threads=" + std::to_string(threads), same,
             same ? " identical" : " differs from 1 thread");
    }
  }

  // One head at a time through the single-head kernel.
  double worst = 0;
  for (int64_t h = 0; h < c.heads; ++h) {
    int64_t kvh = h / (c.heads / c.kvHeads);
    Layer out(1, c.n, c.d, false);
    fac_memref2d_f32 qh = q.head(h), kh = k.head(kvh), vh = v.head(kvh),
                     oh = out.head(0);
    if (FACRT_CALL(&workspace, fac_hooks_head, offset, &biasView, &rowsView,
                   &qh, &kh, &vh, &oh) != FACRT_OK) {
      report(name + " per head", false, " (the kernel refused the case)");
      return;
    }
    std::vector<double> ref(static_cast<size_t>(c.n * c.d) + 1);
    facrt_attention_ref_f64_hooks(&qh, &kh, &vh, scale, &hooks, ref.data());
    worst = std::max(worst, facrt_max_rel_error(&oh, ref.data()));
  }
  char detail[64];
  std::snprintf(detail, sizeof detail, " head err %.1e", worst);
  report(name + " per head", worst <= tolerance, detail);
}

/// Shapes that do not fit together, and gathered rows out of range: each
/// kernel returns FACRT_ERR_ARG and leaves `out` as it was.
void badArguments() {
  struct Bad {
    const char *what;
    int64_t heads, kvHeads, n, rows, dq, dk, vRows, outRows, biasLength;
    int64_t badRow; ///< A gathered row to put first, or 0.
  };
  const Bad cases[] = {
      {"query and key widths differ", 2, 2, 4, 8, 16, 8, 8, 4, 8, 0},
      {"key and value rows differ", 2, 2, 4, 8, 16, 16, 7, 4, 8, 0},
      {"out has other rows", 2, 2, 4, 8, 16, 16, 8, 5, 8, 0},
      {"key heads do not divide query heads", 4, 3, 4, 8, 16, 16, 8, 4, 8, 0},
      {"bias of another length", 2, 2, 4, 8, 16, 16, 8, 4, 7, 0},
      {"gathered row past the keys", 2, 2, 4, 8, 16, 16, 8, 4, 8, 8},
      {"gathered row negative", 2, 2, 4, 8, 16, 16, 8, 4, 8, -1},
  };
  for (const Bad &b : cases) {
    Layer q(b.heads, b.n, b.dq, false), k(b.kvHeads, b.rows, b.dk, false),
        v(b.kvHeads, b.vRows, b.dq, false),
        out(b.heads, b.outRows, b.dq, false);
    for (Layer *l : {&q, &k, &v})
      std::fill(l->data.begin(), l->data.end(), 0.5f);
    std::fill(out.data.begin(), out.data.end(), 7.0f);
    // Every key row gathered once (a bad row first, for those cases).
    std::vector<int64_t> rows(static_cast<size_t>(b.rows) + 1);
    for (int64_t j = 0; j < b.rows; ++j)
      rows[j] = j;
    if (b.badRow)
      rows[0] = b.badRow;
    std::vector<float> bias(static_cast<size_t>(b.biasLength) + 1, 0.0f);
    fac_memref1d_f32 biasView{bias.data(), bias.data(), 0, {b.biasLength}, {1}};
    fac_memref1d_i64 rowsView{rows.data(), rows.data(), 0, {b.rows}, {1}};
    fac_memref3d_f32 qv = q.view(), kv = k.view(), vv = v.view(),
                     ov = out.view();
    facrt_status layer = FACRT_CALL(&workspace, fac_hooks_layer, -1, 1,
                                    &biasView, &rowsView, &qv, &kv, &vv, &ov);
    bool untouched = std::all_of(out.data.begin(), out.data.end(),
                                 [](float x) { return x == 7.0f; });
    fac_memref2d_f32 qh = q.head(0), kh = k.head(0), vh = v.head(0),
                     oh = out.head(0);
    facrt_status head = FACRT_CALL(&workspace, fac_hooks_head, -1, &biasView,
                                   &rowsView, &qh, &kh, &vh, &oh);
    // One head alone fits when only the head counts do not.
    bool headFits = b.heads != b.kvHeads && b.heads % b.kvHeads != 0;
    if (!headFits)
      untouched = untouched && std::all_of(out.data.begin(), out.data.end(),
                                           [](float x) { return x == 7.0f; });
    bool ok = layer == FACRT_ERR_ARG && untouched &&
              (headFits ? head == FACRT_OK : head == FACRT_ERR_ARG);
    char detail[96];
    std::snprintf(detail, sizeof detail, " (layer: %s; head: %s; out %s)",
                  facrt_status_str(layer), facrt_status_str(head),
                  untouched ? "untouched" : "written");
    report(std::string("refused: ") + b.what, ok, detail);
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <tolerance> [max threads]\n", argv[0]);
    return 2;
  }
  double tolerance = std::atof(argv[1]);
  int maxThreads = argc > 2 ? std::atoi(argv[2]) : 3;
  std::vector<Case> cases;
  // Every head size, a partial query block and a partial key block.
  for (int64_t d : {8, 40, 64, 72, 80, 96, 120, 128, 256})
    cases.push_back({"head size", 2, 1, 37, 45, d, false, -1, false, false});
  // n = 1 (decoding), block edges, one key.
  cases.push_back({"decode", 4, 2, 1, 300, 64, true, 299, false, false});
  cases.push_back(
      {"decode past a prefix", 4, 2, 1, 300, 64, true, 120, false, false});
  // The decode path (n <= 4): several key chunks, tails of d, every hook.
  cases.push_back(
      {"decode chunks", 8, 2, 1, 1100, 64, true, 1099, false, false});
  cases.push_back({"decode rows", 4, 2, 3, 700, 40, false, 697, true, true});
  cases.push_back({"decode d=72", 2, 1, 4, 530, 72, true, 100, false, false});
  cases.push_back(
      {"decode threads", 4, 4, 2, 2000, 128, false, -1, false, false});
  for (int64_t n : {63, 64, 65, 129})
    cases.push_back({"causal blocks", 2, 2, n, n, 64, false, 0, false, false});
  cases.push_back({"one key", 2, 2, 3, 1, 16, false, -1, false, false});
  cases.push_back({"no keys", 2, 2, 5, 0, 16, false, -1, false, false});
  // The model's layout with GQA and a causal offset (queries after a
  // prefix of 9 positions).
  cases.push_back(
      {"token-major GQA causal", 8, 4, 70, 79, 64, true, 9, false, false});
  cases.push_back(
      {"token-major d=128", 4, 1, 100, 100, 128, true, 0, false, false});
  // Bias, gathered keys, both, with and without the mask.
  cases.push_back({"bias", 4, 2, 50, 90, 64, false, -1, true, false});
  cases.push_back({"gathered", 4, 2, 50, 90, 64, true, -1, false, true});
  cases.push_back(
      {"bias+gathered+causal", 4, 2, 66, 80, 40, true, 14, true, true});
  // Enough query blocks for every thread to get some.
  cases.push_back({"threads", 3, 3, 200, 260, 64, false, 60, true, false});
  for (const Case &c : cases)
    run(c, tolerance, maxThreads);
  badArguments();
  std::printf("%d passed, %d failed\n", passes, failures);
  return failures ? 1 : 0;
}
