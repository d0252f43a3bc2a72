//===- FractalCodecTest.cpp - PIFS codes and round-to-nearest -------------===//

#include "DataPath.h"
#include "TestTensors.h"

#include "facrt/host.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

namespace {

double relativeError(const std::vector<float> &a, const std::vector<float> &b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(a[i]) * a[i];
  }
  return std::sqrt(num / den);
}

std::vector<float> codeAndDecode(const std::vector<float> &w, int64_t rows,
                                 int64_t cols, facrt_fractal_params params,
                                 double *bpw) {
  facrt_fractal_code *code = nullptr;
  EXPECT_EQ(facrt_fractal_encode(w.data(), rows, cols, &params, &code),
            FACRT_OK);
  std::vector<float> out(w.size());
  EXPECT_EQ(facrt_fractal_decode(code, out.data()), FACRT_OK);
  *bpw = facrt_fractal_bits_per_weight(code);
  facrt_fractal_free(code);
  return out;
}

} // namespace

TEST(FractalCodec, ConstantMatrixWithinOneOffsetStep) {
  std::vector<float> w(16 * 16, 0.375f);
  double bpw;
  std::vector<float> out = codeAndDecode(w, 16, 16, {4, 5, 8, 16}, &bpw);
  for (float x : out)
    EXPECT_NEAR(x, 0.375f, 0.375 * 4 / 255.0);
  // 9 domain blocks: (domain index 4 bits + isometry 3 + 5 + 8) per 16
  // weights, plus the 64-bit header.
  EXPECT_NEAR(bpw, (20.0 * 16 + 64) / 256.0, 1e-12);
}

TEST(FractalCodec, DecodingConvergesToAFixedPoint) {
  std::vector<float> w = gaussian(32 * 32, 5);
  facrt_fractal_params params{4, 6, 8, 12};
  facrt_fractal_code *code = nullptr;
  ASSERT_EQ(facrt_fractal_encode(w.data(), 32, 32, &params, &code), FACRT_OK);
  std::vector<float> a(w.size()), b(w.size());
  facrt_fractal_decode(code, a.data());
  facrt_fractal_free(code);
  params.iterations = 40;
  ASSERT_EQ(facrt_fractal_encode(w.data(), 32, 32, &params, &code), FACRT_OK);
  facrt_fractal_decode(code, b.data());
  facrt_fractal_free(code);
  EXPECT_LT(relativeError(b, a), 0.05);
}

TEST(FractalCodec, RejectsBadShapes) {
  std::vector<float> w(30 * 30);
  facrt_fractal_params params{4, 5, 7, 8};
  facrt_fractal_code *code = nullptr;
  EXPECT_EQ(facrt_fractal_encode(w.data(), 30, 30, &params, &code),
            FACRT_ERR_ARG);
  EXPECT_EQ(facrt_fractal_encode(w.data(), 4, 8, &params, &code),
            FACRT_ERR_ARG);
  params.scale_bits = 0;
  EXPECT_EQ(facrt_fractal_encode(w.data(), 16, 16, &params, &code),
            FACRT_ERR_ARG);
}

TEST(Quantize, RoundToNearestErrorShrinksWithBits) {
  std::vector<float> w = gaussian(4096, 9), out(w.size());
  double previous = 1e9, bpw;
  for (int bits : {2, 4, 8}) {
    ASSERT_EQ(facrt_quantize_rtn(w.data(), int64_t(w.size()), bits, 64,
                                 out.data(), &bpw),
              FACRT_OK);
    EXPECT_DOUBLE_EQ(bpw, bits + 16.0 / 64);
    double err = relativeError(w, out);
    EXPECT_LT(err, previous);
    previous = err;
  }
  EXPECT_LT(previous, 0.01);
  EXPECT_EQ(facrt_quantize_rtn(w.data(), 4, 1, 64, out.data(), &bpw),
            FACRT_ERR_ARG);
}

TEST(FractalCodec, RealWeightsAgainstRoundToNearest) {
  std::string path = dataPath("stories260K/stories260K.bin");
  REQUIRE_DATA(path);
  facrt_llama_model model;
  ASSERT_EQ(facrt_llama_load(path.c_str(), FACRT_STORIES260K_SHA256, &model),
            FACRT_OK);
  std::vector<float> wq(model.weights.wq, model.weights.wq + 64 * 64);
  double fractalBpw;
  std::vector<float> fractal =
      codeAndDecode(wq, 64, 64, {4, 5, 7, 16}, &fractalBpw);
  double fractalErr = relativeError(wq, fractal);
  std::vector<float> rtn(wq.size());
  double rtnBpw;
  facrt_quantize_rtn(wq.data(), int64_t(wq.size()), 2, 64, rtn.data(), &rtnBpw);
  double rtnErr = relativeError(wq, rtn);
  std::printf("wq[0] 64x64: fractal %.2f bits/weight, relative error %.3f; "
              "int2 round-to-nearest %.2f bits/weight, error %.3f\n",
              fractalBpw, fractalErr, rtnBpw, rtnErr);
  // A real code: well under 2 bits per weight and below the matrix's own
  // norm in error. Whether it beats round-to-nearest is for the report.
  EXPECT_LT(fractalBpw, 2.0);
  EXPECT_LT(fractalErr, 1.0);
  facrt_llama_free(&model);
}

namespace {
/// The exported integers of a rows x cols Gaussian matrix's code.
std::vector<int64_t> exportedCode(int64_t rows, int64_t cols, unsigned seed,
                                  const facrt_fractal_params &params) {
  std::vector<float> w = gaussian(size_t(rows * cols), seed);
  facrt_fractal_code *code = nullptr;
  EXPECT_EQ(facrt_fractal_encode(w.data(), rows, cols, &params, &code),
            FACRT_OK);
  int64_t n = facrt_fractal_export(code, nullptr, 0);
  std::vector<int64_t> ints(static_cast<size_t>(n));
  facrt_fractal_export(code, ints.data(), n);
  facrt_fractal_free(code);
  return ints;
}
} // namespace

TEST(FractalCodec, ExportImportRoundTrip) {
  std::vector<float> w = gaussian(16 * 24, 11);
  facrt_fractal_params params{4, 5, 7, 10};
  facrt_fractal_code *code = nullptr;
  ASSERT_EQ(facrt_fractal_encode(w.data(), 16, 24, &params, &code), FACRT_OK);
  int64_t n = facrt_fractal_export(code, nullptr, 0);
  EXPECT_EQ(n, 8 + 4 * (16 / 4) * (24 / 4));
  std::vector<int64_t> ints(static_cast<size_t>(n));
  facrt_fractal_export(code, ints.data(), n);
  facrt_fractal_code *back = nullptr;
  ASSERT_EQ(facrt_fractal_import(ints.data(), n, &back), FACRT_OK);
  std::vector<float> a(w.size()), b(w.size());
  facrt_fractal_decode(code, a.data());
  facrt_fractal_decode(back, b.data());
  EXPECT_EQ(a, b);
  // A corrupted code is refused.
  ints[8] = 1 << 20;
  facrt_fractal_code *bad = nullptr;
  EXPECT_EQ(facrt_fractal_import(ints.data(), n, &bad), FACRT_ERR_FORMAT);
  EXPECT_EQ(facrt_fractal_import(ints.data(), n - 1, &bad), FACRT_ERR_FORMAT);
  facrt_fractal_free(code);
  facrt_fractal_free(back);
}

// The maps are what compiled kernels decode with (fac.fractal_decode):
// iterating them by hand gives facrt_fractal_decode's matrix bit for bit.
TEST(FractalCodec, MapsDecodeLikeTheCodec) {
  const int64_t rows = 16, cols = 24, b = 4;
  std::vector<float> w = gaussian(rows * cols, 12);
  facrt_fractal_params params{int32_t(b), 5, 7, 9};
  facrt_fractal_code *code = nullptr;
  ASSERT_EQ(facrt_fractal_encode(w.data(), rows, cols, &params, &code),
            FACRT_OK);
  int64_t count = facrt_fractal_maps(code, nullptr, 0);
  ASSERT_EQ(count, (rows / b) * (cols / b));
  std::vector<facrt_fractal_map> maps(static_cast<size_t>(count));
  ASSERT_EQ(facrt_fractal_maps(code, maps.data(), count), count);
  std::vector<float> current(w.size(), 0.0f), next(w.size());
  for (int it = 0; it < params.iterations; ++it) {
    size_t k = 0;
    for (int64_t r0 = 0; r0 < rows; r0 += b)
      for (int64_t c0 = 0; c0 < cols; c0 += b) {
        const facrt_fractal_map &m = maps[k++];
        ASSERT_GE(m.domain_row, 0);
        ASSERT_LE(m.domain_row, rows - 2 * b);
        ASSERT_LE(m.domain_col, cols - 2 * b);
        for (int64_t i = 0; i < b; ++i)
          for (int64_t j = 0; j < b; ++j) {
            int64_t r = i, c = j;
            if (m.isometry & 4)
              std::swap(r, c);
            if (m.isometry & 1)
              r = b - 1 - r;
            if (m.isometry & 2)
              c = b - 1 - c;
            const float *p = current.data() + (m.domain_row + 2 * r) * cols +
                             m.domain_col + 2 * c;
            float d = 0.25f * (p[0] + p[1] + p[cols] + p[cols + 1]);
            next[(r0 + i) * cols + c0 + j] = m.scale * d + m.offset;
          }
      }
    std::swap(current, next);
  }
  std::vector<float> decoded(w.size());
  ASSERT_EQ(facrt_fractal_decode(code, decoded.data()), FACRT_OK);
  EXPECT_EQ(current, decoded);
  EXPECT_EQ(facrt_fractal_maps(nullptr, nullptr, 0), -1);
  facrt_fractal_free(code);
}

TEST(FractalCodec, ImportRangeChecksTheHeaderBeforeUsingIt) {
  std::vector<int64_t> good = exportedCode(8, 8, 12, {4, 5, 7, 4});
  ASSERT_EQ(good.size(), 8u + 4 * 4);
  int64_t n = int64_t(good.size());
  auto refused = [&](size_t field, int64_t value) {
    std::vector<int64_t> ints = good;
    ints[field] = value;
    facrt_fractal_code *bad = nullptr;
    return facrt_fractal_import(ints.data(), n, &bad) == FACRT_ERR_FORMAT &&
           bad == nullptr;
  };
  // A NaN offset range decoded to NaN weights.
  uint32_t nanBits = 0x7fc00000u, infBits = 0x7f800000u;
  EXPECT_TRUE(refused(6, nanBits));
  EXPECT_TRUE(refused(7, infBits));
  // Field 2 (the range block) of 2^32 + 4 was narrowed to 4 after the check.
  EXPECT_TRUE(refused(2, (int64_t(1) << 32) + 4));
  // 65536 x 65536 in few blocks: decoding would allocate 16 GB.
  std::vector<int64_t> huge = {65536, 65536, 16384, 5, 7, 4, 0, 0};
  for (int k = 0; k < 16; ++k)
    huge.insert(huge.end(), {0, 0, 0, 0});
  facrt_fractal_code *bad = nullptr;
  EXPECT_EQ(facrt_fractal_import(huge.data(), int64_t(huge.size()), &bad),
            FACRT_ERR_FORMAT);
}

TEST(FractalCodec, EncodeRefusesNonFiniteWeights) {
  std::vector<float> w = gaussian(8 * 8, 13);
  w[17] = std::numeric_limits<float>::quiet_NaN();
  facrt_fractal_params params{4, 5, 7, 4};
  facrt_fractal_code *code = nullptr;
  EXPECT_EQ(facrt_fractal_encode(w.data(), 8, 8, &params, &code),
            FACRT_ERR_ARG);
  w[17] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(facrt_fractal_encode(w.data(), 8, 8, &params, &code),
            FACRT_ERR_ARG);
  EXPECT_EQ(code, nullptr);
}

namespace {
using Matrix = std::vector<double>;

Matrix mul(const Matrix &a, const Matrix &b, int n) {
  Matrix c(size_t(n * n), 0.0);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k)
      for (int j = 0; j < n; ++j)
        c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

/// The seed's fractalForward, recursive, in fp64.
Matrix v4(const Matrix &x, int level, int lo, int hi,
          const std::vector<Matrix> &w, int n) {
  if (level == 0)
    return x;
  int mid = lo + (hi - lo) / 2;
  Matrix y =
      mul(v4(x, level - 1, lo, mid, w, n), v4(x, level - 1, mid, hi, w, n), n);
  int index = lo + level - 1;
  Matrix q = mul(y, w[3 * index], n), k = mul(y, w[3 * index + 1], n),
         v = mul(y, w[3 * index + 2], n);
  Matrix out(size_t(n * n), 0.0);
  for (int i = 0; i < n; ++i) {
    std::vector<double> s(static_cast<size_t>(n));
    double m = -1e300, sum = 0;
    for (int j = 0; j < n; ++j) {
      for (int t = 0; t < n; ++t)
        s[j] += q[i * n + t] * k[j * n + t];
      s[j] /= std::sqrt(double(n));
      m = std::max(m, s[j]);
    }
    for (double &e : s)
      sum += e = std::exp(e - m);
    for (int t = 0; t < n; ++t)
      for (int j = 0; j < n; ++j)
        out[i * n + t] += s[j] / sum * v[j * n + t];
  }
  return out;
}
} // namespace

TEST(V4, UnrolledForwardEqualsTheRecursion) {
  const int n = 6, count = 8;
  std::mt19937 gen(13);
  std::normal_distribution<float> dist(0.0f, 0.4f);
  std::vector<std::vector<float>> w(size_t(3 * count),
                                    std::vector<float>(size_t(n * n)));
  std::vector<Matrix> wd;
  std::vector<const float *> ptrs;
  for (auto &m : w) {
    for (float &x : m)
      x = dist(gen);
    wd.emplace_back(m.begin(), m.end());
    ptrs.push_back(m.data());
  }
  std::vector<float> x(static_cast<size_t>(n * n));
  for (float &e : x)
    e = dist(gen);
  for (int level = 0; level <= 4; ++level) {
    std::vector<float> out(static_cast<size_t>(n * n));
    int64_t calls = -1;
    ASSERT_EQ(facrt_v4_forward(x.data(), n, level, ptrs.data(), count,
                               out.data(), &calls),
              FACRT_OK);
    EXPECT_EQ(calls, (int64_t(1) << level) - 1);
    Matrix ref = v4(Matrix(x.begin(), x.end()), level, 0, count, wd, n);
    for (size_t k = 0; k < out.size(); ++k)
      EXPECT_NEAR(out[k], ref[k], 1e-4 * (1 + std::fabs(ref[k])));
  }
  // Level 5 needs the 3rd weight of a 2-weight slice: the spec would fail.
  std::vector<float> out(static_cast<size_t>(n * n));
  EXPECT_EQ(
      facrt_v4_forward(x.data(), n, 5, ptrs.data(), count, out.data(), nullptr),
      FACRT_ERR_ARG);
}
