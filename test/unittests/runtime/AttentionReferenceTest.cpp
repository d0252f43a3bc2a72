//===- AttentionReferenceTest.cpp - The fp64 reference attention ----------===//
//
// The reference is the oracle of every kernel test, so it is checked here
// against values worked out by hand and against properties of softmax.
//
//===----------------------------------------------------------------------===//

#include "TestTensors.h"

#include "facrt/facrt.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {} // namespace

TEST(AttentionReference, TwoKeysByHand) {
  // q = [1, 0]; k0 = [0, 0], k1 = [1, 0]; scores 0 and 1 (scale 1).
  std::vector<float> q = {1, 0}, k = {0, 0, 1, 0}, v = {10, 0, 0, 10};
  auto qv = view(q, 1, 2), kv = view(k, 2, 2), vv = view(v, 2, 2);
  double out[2];
  ASSERT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, 1.0, 0, out), FACRT_OK);
  double p1 = std::exp(1.0) / (1.0 + std::exp(1.0));
  EXPECT_NEAR(out[0], 10 * (1 - p1), 1e-12);
  EXPECT_NEAR(out[1], 10 * p1, 1e-12);
}

TEST(AttentionReference, IdenticalKeysAverageTheValues) {
  std::vector<float> q = gaussian(3 * 4, 1), v = gaussian(5 * 2, 2);
  std::vector<float> k(5 * 4, 0.5f);
  auto qv = view(q, 3, 4), kv = view(k, 5, 4), vv = view(v, 5, 2);
  std::vector<double> out(3 * 2);
  ASSERT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, 0.7, 0, out.data()),
            FACRT_OK);
  for (int i = 0; i < 3; ++i)
    for (int t = 0; t < 2; ++t) {
      double mean = 0;
      for (int j = 0; j < 5; ++j)
        mean += v[j * 2 + t] / 5.0;
      EXPECT_NEAR(out[i * 2 + t], mean, 1e-6);
    }
}

TEST(AttentionReference, CausalFirstRowIsTheFirstValue) {
  std::vector<float> q = gaussian(4 * 3, 3), k = gaussian(4 * 3, 4),
                     v = gaussian(4 * 3, 5);
  auto qv = view(q, 4, 3), kv = view(k, 4, 3), vv = view(v, 4, 3);
  std::vector<double> causal(12), full(12);
  ASSERT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, 1.0, 1, causal.data()),
            FACRT_OK);
  ASSERT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, 1.0, 0, full.data()),
            FACRT_OK);
  for (int t = 0; t < 3; ++t)
    EXPECT_NEAR(causal[t], v[t], 1e-6);
  // The last row sees every key either way.
  for (int t = 0; t < 3; ++t)
    EXPECT_NEAR(causal[9 + t], full[9 + t], 1e-12);
  // A middle row does not (with these random inputs).
  EXPECT_GT(std::fabs(causal[3] - full[3]), 1e-6);
}

TEST(AttentionReference, StridedViewEqualsContiguousCopy) {
  const int n = 6, dim = 16, d = 4, col = 8;
  std::vector<float> wide = gaussian(n * dim, 6);
  std::vector<float> narrow(n * d);
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < d; ++t)
      narrow[i * d + t] = wide[i * dim + col + t];
  fac_memref2d_f32 head = facrt_view2d(wide.data(), n, d, dim, col);
  fac_memref2d_f32 copy = view(narrow, n, d);
  std::vector<double> a(n * d), b(n * d);
  ASSERT_EQ(facrt_attention_ref_f64(&head, &head, &head, 0.5, 0, a.data()),
            FACRT_OK);
  ASSERT_EQ(facrt_attention_ref_f64(&copy, &copy, &copy, 0.5, 0, b.data()),
            FACRT_OK);
  EXPECT_EQ(a, b);
}

TEST(AttentionReference, NoKeysGiveZeros) {
  std::vector<float> q = gaussian(2 * 3, 7), k, v;
  auto qv = view(q, 2, 3), kv = view(k, 0, 3), vv = view(v, 0, 5);
  std::vector<double> out(2 * 5, 42.0);
  ASSERT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, 1.0, 0, out.data()),
            FACRT_OK);
  for (double x : out)
    EXPECT_EQ(x, 0.0);
}

TEST(AttentionReference, RejectsMismatchedShapes) {
  std::vector<float> q = gaussian(2 * 3, 8), k = gaussian(4 * 2, 9),
                     v = gaussian(4 * 2, 10);
  auto qv = view(q, 2, 3), kv = view(k, 4, 2), vv = view(v, 4, 2);
  double out[4];
  EXPECT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, 1.0, 0, out), FACRT_ERR_ARG);
  EXPECT_EQ(facrt_attention_ref_f64(nullptr, &kv, &vv, 1.0, 0, out),
            FACRT_ERR_ARG);
}

TEST(MaxRelError, RelativeToTheLargestReference) {
  std::vector<float> got = {1.0f, 2.5f};
  auto g = view(got, 1, 2);
  double ref[2] = {1.0, 2.0};
  EXPECT_DOUBLE_EQ(facrt_max_rel_error(&g, ref), 0.25);
  got[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isinf(facrt_max_rel_error(&g, ref)));
}

TEST(MaxRelError, NaNInTheReferenceIsInfinitelyWrong) {
  // A NaN oracle used to pass every check with error 0.
  std::vector<float> got = {1, 2, 3, 4};
  auto gv = view(got, 2, 2);
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  double ref[4] = {1, 2, nan, 4};
  EXPECT_EQ(facrt_max_rel_error(&gv, ref), inf);
  double exact[4] = {1, 2, 3, 4};
  EXPECT_EQ(facrt_max_rel_error(&gv, exact), 0.0);
  got[1] = float(nan);
  EXPECT_EQ(facrt_max_rel_error(&gv, exact), inf);
  // An infinity agrees only with the same infinity.
  got[1] = float(inf);
  double withInf[4] = {1, inf, 3, 4};
  EXPECT_EQ(facrt_max_rel_error(&gv, withInf), 0.0);
  withInf[1] = -inf;
  EXPECT_EQ(facrt_max_rel_error(&gv, withInf), inf);
  EXPECT_EQ(facrt_max_rel_error(nullptr, exact), inf);
}

TEST(AttentionReference, ScratchTooLargeIsAStatusNotAnException) {
  // A view claiming 2^61 keys (and no query rows) asks for 2^64 bytes of
  // scores: std::length_error must not cross the C ABI.
  std::vector<float> x(4);
  fac_memref2d_f32 q = view(x, 0, 2);
  fac_memref2d_f32 k = view(x, 1, 2), v = view(x, 1, 2);
  k.sizes[0] = v.sizes[0] = int64_t(1) << 61;
  double out[1];
  EXPECT_EQ(facrt_attention_ref_f64(&q, &k, &v, 1.0, 0, out), FACRT_ERR_NOMEM);
}

// The numeric contract of the runtime's attention functions
// (docs/RuntimeABI.md), on the same edge inputs as the kernels'.

TEST(AttentionNumerics, ZeroWidthScoresAreZeroWhateverTheScale) {
  // d = 0: q.k is an empty sum; 1/sqrt(0) as the scale must not make it
  // 0 * inf = NaN. The output is the mean of the values.
  std::vector<float> none(1), v = {1, 2, 3, 6};
  fac_memref2d_f32 q = view(none, 2, 0), k = view(none, 2, 0),
                   vv = view(v, 2, 2);
  double out[4];
  ASSERT_EQ(facrt_attention_ref_f64(
                &q, &k, &vv, std::numeric_limits<double>::infinity(), 0, out),
            FACRT_OK);
  EXPECT_EQ(out[0], 2.0);
  EXPECT_EQ(out[1], 4.0);
  std::vector<float> got(4);
  fac_memref2d_f32 gv = view(got, 2, 2);
  int64_t counts[2] = {1, 1};
  ASSERT_EQ(facrt_multiplicity_attention(&q, &k, &vv, counts,
                                         std::numeric_limits<float>::infinity(),
                                         &gv),
            FACRT_OK);
  EXPECT_EQ(got[0], 2.0f);
  EXPECT_EQ(got[3], 4.0f);
}

TEST(AttentionNumerics, MultiplicityAttentionWithNoKeysGivesZeros) {
  // As the reference does (AttentionReference.NoKeysGiveZeros).
  std::vector<float> q = gaussian(2 * 4, 1), none(1), got(6, 7.0f);
  fac_memref2d_f32 qv = view(q, 2, 4), k = view(none, 0, 4),
                   v = view(none, 0, 3), gv = view(got, 2, 3);
  int64_t counts[1] = {1};
  ASSERT_EQ(facrt_multiplicity_attention(&qv, &k, &v, counts, 0.5f, &gv),
            FACRT_OK);
  for (float x : got)
    EXPECT_EQ(x, 0.0f);
}

TEST(AttentionNumerics, NaNInputsReachTheOutput) {
  std::vector<float> q = gaussian(2 * 4, 2), k = gaussian(3 * 4, 3),
                     v = gaussian(3 * 2, 4);
  k[5] = std::numeric_limits<float>::quiet_NaN(); // Key 1.
  fac_memref2d_f32 qv = view(q, 2, 4), kv = view(k, 3, 4), vv = view(v, 3, 2);
  double out[4];
  ASSERT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, 0.5, 0, out), FACRT_OK);
  for (double x : out)
    EXPECT_TRUE(std::isnan(x));
  std::vector<float> got(4);
  fac_memref2d_f32 gv = view(got, 2, 2);
  int64_t counts[3] = {1, 2, 1};
  ASSERT_EQ(facrt_multiplicity_attention(&qv, &kv, &vv, counts, 0.5f, &gv),
            FACRT_OK);
  for (float x : got)
    EXPECT_TRUE(std::isnan(x));
}

TEST(AttentionNumerics, ReferenceDoesNotOverflowOnF32Inputs) {
  // Dot products and sums in double: q = k = 1e30 and values near FLT_MAX
  // give the exact answer (the f32 kernels give NaN and inf there).
  std::vector<float> q(4, 1e30f), k(2 * 4, 1e30f), v = {3e38f, 3e38f};
  fac_memref2d_f32 qv = view(q, 1, 4), kv = view(k, 2, 4), vv = view(v, 2, 1);
  double out[1];
  ASSERT_EQ(facrt_attention_ref_f64(&qv, &kv, &vv, 0.5, 0, out), FACRT_OK);
  EXPECT_DOUBLE_EQ(out[0], double(3e38f));
}
