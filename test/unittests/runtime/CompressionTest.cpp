//===- CompressionTest.cpp - Arena, pyramids, V1 and V2 algorithms --------===//
//
// Every algorithm against a naive fp64 reference, and the seed's theorems
// as properties: Compression_Bound (replacing subtrees by their means never
// increases the norm) and Attention_Preservation (attention over a lossless
// compression, with multiplicities, equals dense attention).
//
//===----------------------------------------------------------------------===//

#include "DataPath.h"
#include "TestTensors.h"

#include "facrt/host.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

double frobenius(const std::vector<float> &x) {
  double s = 0;
  for (float v : x)
    s += double(v) * v;
  return std::sqrt(s);
}

/// The tokens a cut stands for: each node's vector repeated count times.
std::vector<float> expand(const std::vector<facrt_cut_node> &nodes,
                          const std::vector<float> &vectors, int64_t n,
                          int64_t d) {
  std::vector<float> out(size_t(n * d));
  for (size_t j = 0; j < nodes.size(); ++j)
    for (int64_t i = nodes[j].start; i < nodes[j].start + nodes[j].count; ++i)
      for (int64_t t = 0; t < d; ++t)
        out[i * d + t] = vectors[j * d + t];
  return out;
}

struct Cut {
  std::vector<facrt_cut_node> nodes;
  std::vector<float> vectors;
};

Cut compress(const facrt_pyramid *p, int64_t n, int64_t d, float threshold,
             const std::vector<facrt_rule> &rules = {},
             float tolerance = 0.0f) {
  Cut cut;
  cut.nodes.resize(size_t(n));
  cut.vectors.resize(size_t(n * d));
  int64_t c =
      facrt_v1_compress(p, threshold, rules.data(), int32_t(rules.size()),
                        tolerance, cut.nodes.data(), cut.vectors.data(), n);
  EXPECT_GT(c, 0);
  cut.nodes.resize(size_t(std::max<int64_t>(c, 0)));
  cut.vectors.resize(size_t(std::max<int64_t>(c, 0) * d));
  return cut;
}

} // namespace

TEST(Arena, RefusesToExceedItsLimit) {
  facrt_arena *arena = nullptr;
  ASSERT_EQ(facrt_arena_new(1000, &arena), FACRT_OK);
  facrt_status s;
  void *a = facrt_arena_alloc(arena, 600, 64, &s);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  EXPECT_EQ(facrt_arena_alloc(arena, 500, 8, &s), nullptr);
  EXPECT_EQ(s, FACRT_ERR_LIMIT);
  void *b = facrt_arena_alloc(arena, 300, 8, &s);
  ASSERT_NE(b, nullptr);
  EXPECT_LE(facrt_arena_used(arena), 1000u);
  EXPECT_EQ(facrt_arena_alloc(arena, 1, 3, &s), nullptr);
  EXPECT_EQ(s, FACRT_ERR_ARG);
  size_t peak = facrt_arena_peak(arena);
  facrt_arena_reset(arena);
  EXPECT_EQ(facrt_arena_used(arena), 0u);
  EXPECT_EQ(facrt_arena_peak(arena), peak);
  EXPECT_NE(facrt_arena_alloc(arena, 1000, 1, &s), nullptr);
  EXPECT_EQ(facrt_arena_alloc(arena, 1, 1, &s), nullptr);
  facrt_arena_free(arena);
}

TEST(Pyramid, MeansAreExactForAnyLength) {
  for (int64_t n : {1, 2, 7, 8, 13, 100}) {
    const int64_t d = 3;
    std::vector<float> x = gaussian(size_t(n * d), unsigned(n));
    fac_memref2d_f32 xv = view(x, n, d);
    facrt_pyramid *p = nullptr;
    ASSERT_EQ(facrt_pyramid_build(&xv, &p), FACRT_OK);
    int32_t levels = facrt_pyramid_levels(p);
    EXPECT_EQ(facrt_pyramid_nodes(p, levels - 1), 1);
    for (int32_t l = 0; l < levels; ++l) {
      int64_t total = 0;
      for (int64_t j = 0; j < facrt_pyramid_nodes(p, l); ++j) {
        int64_t start = j << l, count = facrt_pyramid_count(p, l, j);
        EXPECT_EQ(count, std::min<int64_t>(int64_t(1) << l, n - start));
        total += count;
        for (int64_t t = 0; t < d; ++t) {
          double mean = 0;
          for (int64_t i = start; i < start + count; ++i)
            mean += x[i * d + t];
          EXPECT_NEAR(facrt_pyramid_mean(p, l, j)[t], mean / count, 1e-5);
        }
      }
      EXPECT_EQ(total, n);
    }
    facrt_pyramid_free(p);
  }
}

TEST(V1, CompressionBoundHoldsOnRandomTrees) {
  // Theorem Compression_Bound: magnitude(compress(tree)) <= magnitude(tree).
  for (unsigned seed = 0; seed < 20; ++seed) {
    const int64_t n = 37, d = 4;
    std::vector<float> x = gaussian(size_t(n * d), seed);
    fac_memref2d_f32 xv = view(x, n, d);
    facrt_pyramid *p = nullptr;
    ASSERT_EQ(facrt_pyramid_build(&xv, &p), FACRT_OK);
    for (float threshold : {0.0f, 0.5f, 1.0f, 2.0f, 100.0f}) {
      Cut cut = compress(p, n, d, threshold);
      std::vector<float> back = expand(cut.nodes, cut.vectors, n, d);
      EXPECT_LE(frobenius(back), frobenius(x) * (1 + 1e-6))
          << "seed " << seed << " threshold " << threshold;
    }
    facrt_pyramid_free(p);
  }
}

TEST(V1, CutCoversEveryTokenOnceInOrder) {
  const int64_t n = 50, d = 2;
  std::vector<float> x = gaussian(size_t(n * d), 3, 0.5f);
  fac_memref2d_f32 xv = view(x, n, d);
  facrt_pyramid *p = nullptr;
  ASSERT_EQ(facrt_pyramid_build(&xv, &p), FACRT_OK);
  Cut cut = compress(p, n, d, 0.6f);
  int64_t next = 0;
  for (const facrt_cut_node &node : cut.nodes) {
    EXPECT_EQ(node.start, next);
    next += node.count;
  }
  EXPECT_EQ(next, n);
  EXPECT_LT(int64_t(cut.nodes.size()), n); // Something was pruned.
  // Too small a capacity is refused, not overrun.
  std::vector<facrt_cut_node> one(1);
  std::vector<float> vec(d);
  EXPECT_EQ(
      facrt_v1_compress(p, 0.0f, nullptr, 0, 0, one.data(), vec.data(), 1), -1);
  facrt_pyramid_free(p);
}

TEST(V1, AttentionPreservationForLosslessCompression) {
  // Theorem Attention_Preservation: with blocks of identical tokens, the
  // cut loses nothing and attention with multiplicities is exact.
  const int64_t n = 64, d = 8;
  std::vector<float> k(size_t(n * d)), v(size_t(n * d)), q(size_t(n * d));
  std::vector<float> blocks = gaussian(size_t(8 * 3 * d), 7);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < d; ++t) {
      int64_t b = i / 8; // 8 blocks of 8 equal tokens: pyramid level 3.
      k[i * d + t] = blocks[(b * 3 + 0) * d + t];
      v[i * d + t] = blocks[(b * 3 + 1) * d + t];
      q[i * d + t] = blocks[(b * 3 + 2) * d + t];
    }
  fac_memref2d_f32 kv = view(k, n, d), vv = view(v, n, d), qv = view(q, n, d);
  facrt_pyramid *kp, *vp, *qp;
  ASSERT_EQ(facrt_pyramid_build(&kv, &kp), FACRT_OK);
  ASSERT_EQ(facrt_pyramid_build(&vv, &vp), FACRT_OK);
  ASSERT_EQ(facrt_pyramid_build(&qv, &qp), FACRT_OK);
  // Rules whose patterns are the blocks themselves keep each block whole.
  std::vector<facrt_rule> kRules, vRules, qRules;
  for (int64_t b = 0; b < 8; ++b) {
    kRules.push_back({&k[b * 8 * d], &k[b * 8 * d]});
    vRules.push_back({&v[b * 8 * d], &v[b * 8 * d]});
    qRules.push_back({&q[b * 8 * d], &q[b * 8 * d]});
  }
  Cut kc = compress(kp, n, d, 0.0f, kRules, 1e-5f);
  Cut vc = compress(vp, n, d, 0.0f, vRules, 1e-5f);
  Cut qc = compress(qp, n, d, 0.0f, qRules, 1e-5f);
  ASSERT_EQ(kc.nodes.size(), 8u);
  ASSERT_EQ(vc.nodes.size(), 8u);
  ASSERT_EQ(qc.nodes.size(), 8u);
  EXPECT_EQ(kc.nodes[3].rule, 3);
  std::vector<int64_t> counts;
  for (const facrt_cut_node &node : kc.nodes)
    counts.push_back(node.count);

  float scale = 1.0f / std::sqrt(float(d));
  std::vector<float> compressedOut(8 * d), out(size_t(n * d));
  fac_memref2d_f32 cq = view(qc.vectors, 8, d), ck = view(kc.vectors, 8, d);
  fac_memref2d_f32 cv = view(vc.vectors, 8, d);
  fac_memref2d_f32 co = view(compressedOut, 8, d), ov = view(out, n, d);
  ASSERT_EQ(
      facrt_multiplicity_attention(&cq, &ck, &cv, counts.data(), scale, &co),
      FACRT_OK);
  ASSERT_EQ(facrt_v1_decompress(qc.nodes.data(), 8, &co, &ov), FACRT_OK);

  std::vector<double> ref(size_t(n * d));
  ASSERT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, scale, 0, ref.data()),
            FACRT_OK);
  EXPECT_LT(facrt_max_rel_error(&ov, ref.data()), 1e-5);
  facrt_pyramid_free(kp);
  facrt_pyramid_free(vp);
  facrt_pyramid_free(qp);
}

TEST(V1, LossyCompressionErrorGrowsWithThreshold) {
  const int64_t n = 64, d = 8;
  std::vector<float> q = gaussian(size_t(n * d), 1), k = gaussian(n * d, 2),
                     v = gaussian(size_t(n * d), 3);
  fac_memref2d_f32 qv = view(q, n, d), kv = view(k, n, d), vv = view(v, n, d);
  facrt_pyramid *kp, *vp;
  ASSERT_EQ(facrt_pyramid_build(&kv, &kp), FACRT_OK);
  ASSERT_EQ(facrt_pyramid_build(&vv, &vp), FACRT_OK);
  std::vector<double> ref(size_t(n * d));
  float scale = 1.0f / std::sqrt(float(d));
  facrt_attention_ref_f64(&qv, &kv, &vv, scale, 0, ref.data());
  double previous = -1;
  for (float threshold : {0.0f, 1.5f, 100.0f}) {
    // Keys and values share the cut of the keys.
    Cut kc = compress(kp, n, d, threshold);
    std::vector<int64_t> counts;
    std::vector<float> values;
    for (const facrt_cut_node &node : kc.nodes) {
      counts.push_back(node.count);
      const float *mean =
          facrt_pyramid_mean(vp, node.level, node.start >> node.level);
      values.insert(values.end(), mean, mean + d);
    }
    int64_t c = int64_t(counts.size());
    std::vector<float> out(size_t(n * d));
    fac_memref2d_f32 ck = view(kc.vectors, c, d), cv = view(values, c, d);
    fac_memref2d_f32 ov = view(out, n, d);
    ASSERT_EQ(
        facrt_multiplicity_attention(&qv, &ck, &cv, counts.data(), scale, &ov),
        FACRT_OK);
    double err = facrt_max_rel_error(&ov, ref.data());
    if (threshold == 0.0f)
      EXPECT_LT(err, 1e-5); // Nothing pruned: exact.
    EXPECT_GE(err, previous - 1e-9);
    previous = err;
  }
  EXPECT_GT(previous, 1e-3); // Everything pruned to the root: lossy.
  facrt_pyramid_free(kp);
  facrt_pyramid_free(vp);
}

TEST(V2, WideWindowIsDenseCausalAttention) {
  for (int64_t n : {1, 5, 33, 100}) {
    const int64_t d = 8;
    std::vector<float> q = gaussian(size_t(n * d), 11), k = gaussian(n * d, 12),
                       v = gaussian(size_t(n * d), 13);
    fac_memref2d_f32 qv = view(q, n, d), kv = view(k, n, d), vv = view(v, n, d);
    facrt_pyramid *kp, *vp;
    ASSERT_EQ(facrt_pyramid_build(&kv, &kp), FACRT_OK);
    ASSERT_EQ(facrt_pyramid_build(&vv, &vp), FACRT_OK);
    std::vector<float> out(size_t(n * d));
    fac_memref2d_f32 ov = view(out, n, d);
    float scale = 1.0f / std::sqrt(float(d));
    int64_t pairs = 0;
    ASSERT_EQ(facrt_hierarchical_attention(&qv, kp, vp, n, scale, &ov, &pairs),
              FACRT_OK);
    EXPECT_EQ(pairs, n * (n + 1) / 2);
    std::vector<double> ref(size_t(n * d));
    facrt_attention_ref_f64(&qv, &kv, &vv, scale, 1, ref.data());
    EXPECT_LT(facrt_max_rel_error(&ov, ref.data()), 1e-5) << "n = " << n;
    facrt_pyramid_free(kp);
    facrt_pyramid_free(vp);
  }
}

TEST(V2, NarrowWindowScoresNLogNPairs) {
  const int64_t n = 1024, d = 8, window = 4;
  std::vector<float> q = gaussian(size_t(n * d), 21, 0.3f),
                     k = gaussian(size_t(n * d), 22, 0.3f),
                     v = gaussian(size_t(n * d), 23);
  fac_memref2d_f32 qv = view(q, n, d), kv = view(k, n, d), vv = view(v, n, d);
  facrt_pyramid *kp, *vp;
  ASSERT_EQ(facrt_pyramid_build(&kv, &kp), FACRT_OK);
  ASSERT_EQ(facrt_pyramid_build(&vv, &vp), FACRT_OK);
  std::vector<float> out(size_t(n * d));
  fac_memref2d_f32 ov = view(out, n, d);
  int64_t pairs = 0;
  ASSERT_EQ(facrt_hierarchical_attention(
                &qv, kp, vp, window, 1.0f / std::sqrt(float(d)), &ov, &pairs),
            FACRT_OK);
  // At most about 2 * window nodes per level, and 11 levels.
  EXPECT_LE(pairs, n * 2 * window * 11);
  EXPECT_LT(pairs, n * (n + 1) / 2 / 10);
  // The coarse far field changes the result, but boundedly.
  std::vector<double> ref(size_t(n * d));
  facrt_attention_ref_f64(&qv, &kv, &vv, 1.0 / std::sqrt(double(d)), 1,
                          ref.data());
  double err = facrt_max_rel_error(&ov, ref.data());
  EXPECT_GT(err, 0.0);
  EXPECT_LT(err, 1.0);
  facrt_pyramid_free(kp);
  facrt_pyramid_free(vp);
}

TEST(V1, CompressionBoundOnRealActivations) {
  std::string path = dataPath("stories260K/stories260K.bin");
  REQUIRE_DATA(path);
  facrt_llama_model model;
  ASSERT_EQ(facrt_llama_load(path.c_str(), FACRT_STORIES260K_SHA256, &model),
            FACRT_OK);
  const int32_t n = 100;
  std::vector<int32_t> tokens(n);
  for (int32_t i = 0; i < n; ++i)
    tokens[i] = 3 + (i * 37) % 500; // A fixed, varied token sequence.
  std::vector<float> x(size_t(n) * 64), q(size_t(n) * 64), k(size_t(n) * 32),
      v(size_t(n) * 32);
  facrt_llama_embed(&model, tokens.data(), n, x.data());
  facrt_llama_qkv(&model, 0, x.data(), n, q.data(), k.data(), v.data());
  fac_memref2d_f32 kv = view(k, n, 32);
  facrt_pyramid *p;
  ASSERT_EQ(facrt_pyramid_build(&kv, &p), FACRT_OK);
  for (float threshold : {0.5f, 1.0f, 2.0f, 4.0f}) {
    Cut cut = compress(p, n, 32, threshold);
    EXPECT_LE(frobenius(expand(cut.nodes, cut.vectors, n, 32)),
              frobenius(k) * (1 + 1e-6));
  }
  facrt_pyramid_free(p);
  facrt_llama_free(&model);
}

TEST(V2, QueriesAreTheLastPositions) {
  // One query row is the last position: it equals the last row of the run
  // over every position.
  const int64_t n = 40, d = 8;
  std::vector<float> q = gaussian(size_t(n * d), 31), k = gaussian(n * d, 32),
                     v = gaussian(size_t(n * d), 33);
  fac_memref2d_f32 qv = view(q, n, d), kv = view(k, n, d), vv = view(v, n, d);
  facrt_pyramid *kp, *vp;
  ASSERT_EQ(facrt_pyramid_build(&kv, &kp), FACRT_OK);
  ASSERT_EQ(facrt_pyramid_build(&vv, &vp), FACRT_OK);
  std::vector<float> all(static_cast<size_t>(n * d));
  std::vector<float> last(static_cast<size_t>(d));
  fac_memref2d_f32 av = view(all, n, d);
  fac_memref2d_f32 lq = facrt_view2d(q.data(), 1, d, d, (n - 1) * d);
  fac_memref2d_f32 lv = view(last, 1, d);
  ASSERT_EQ(facrt_hierarchical_attention(&qv, kp, vp, 3, 0.35f, &av, nullptr),
            FACRT_OK);
  ASSERT_EQ(facrt_hierarchical_attention(&lq, kp, vp, 3, 0.35f, &lv, nullptr),
            FACRT_OK);
  for (int64_t t = 0; t < d; ++t)
    EXPECT_FLOAT_EQ(last[t], all[(n - 1) * d + t]);
  facrt_pyramid_free(kp);
  facrt_pyramid_free(vp);
}

TEST(Pyramid, V2AttentionBuildsThePyramids) {
  // facrt_v2_attention is the pyramids built, then hierarchical attention
  // at 1/sqrt(d); with the window over every key, dense causal attention.
  const int64_t n = 37, d = 8;
  std::vector<float> q = gaussian(size_t(n * d), 51), k = gaussian(n * d, 52),
                     v = gaussian(size_t(n * d), 53);
  fac_memref2d_f32 qv = view(q, n, d), kv = view(k, n, d), vv = view(v, n, d);
  facrt_pyramid *kp, *vp;
  ASSERT_EQ(facrt_pyramid_build(&kv, &kp), FACRT_OK);
  ASSERT_EQ(facrt_pyramid_build(&vv, &vp), FACRT_OK);
  std::vector<float> got(size_t(n * d)), want(got.size());
  fac_memref2d_f32 gv = view(got, n, d), wv = view(want, n, d);
  int64_t pairs = 0, wantPairs = 0;
  ASSERT_EQ(facrt_v2_attention(&qv, &kv, &vv, 3, &gv, &pairs), FACRT_OK);
  ASSERT_EQ(facrt_hierarchical_attention(
                &qv, kp, vp, 3, 1.0f / std::sqrt(float(d)), &wv, &wantPairs),
            FACRT_OK);
  EXPECT_EQ(got, want);
  EXPECT_EQ(pairs, wantPairs);
  ASSERT_EQ(facrt_v2_attention(&qv, &kv, &vv, n, &gv, nullptr), FACRT_OK);
  std::vector<double> dense(size_t(n * d));
  facrt_attention_ref_f64(&qv, &kv, &vv, 1.0f / std::sqrt(float(d)), 1,
                          dense.data());
  EXPECT_LT(facrt_max_rel_error(&gv, dense.data()), 1e-5);
  EXPECT_EQ(facrt_v2_attention(nullptr, &kv, &vv, 3, &gv, nullptr),
            FACRT_ERR_ARG);
  facrt_pyramid_free(kp);
  facrt_pyramid_free(vp);
}

TEST(Pyramid, GatherMatchesTheCut) {
  const int64_t n = 21, d = 3;
  std::vector<float> x = gaussian(size_t(n * d), 41);
  fac_memref2d_f32 xv = view(x, n, d);
  facrt_pyramid *p = nullptr;
  ASSERT_EQ(facrt_pyramid_build(&xv, &p), FACRT_OK);
  Cut cut = compress(p, n, d, 1.2f);
  std::vector<float> gathered(cut.vectors.size());
  ASSERT_EQ(facrt_pyramid_gather(p, cut.nodes.data(), int64_t(cut.nodes.size()),
                                 gathered.data()),
            FACRT_OK);
  // Without rules, a cut node's vector is its mean.
  EXPECT_EQ(gathered, cut.vectors);
  facrt_cut_node bogus{3, 5, 1, -1}; // Not a node of level 1.
  EXPECT_EQ(facrt_pyramid_gather(p, &bogus, 1, gathered.data()), FACRT_ERR_ARG);
  facrt_pyramid_free(p);
}
