//===- FractalCodec.cpp - Fractal (PIFS) codes for weight matrices --------===//
//
// The seed's third variant codes each projection matrix as a partitioned
// iterated function system, as in fractal image compression: every range
// block is an affine image s·T(D) + o of a down-sampled domain block D
// under one of 8 isometries T. Decoding iterates the map from zero to its
// fixed point, which exists because |s| < 1. Plain round-to-nearest
// quantisation is here too, as the peer at equal bits per weight.
//
//===----------------------------------------------------------------------===//

#include "Guard.h"

#include "facrt/facrt.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

namespace {
/// The largest |s|: a contraction, so that decoding converges.
constexpr float kMaxScale = 0.95f;
/// The largest side of a coded matrix, and the most weights it may have:
/// bounds what an imported code can make decoding allocate.
constexpr int64_t kMaxSide = int64_t(1) << 16;
constexpr int64_t kMaxWeights = int64_t(1) << 26;

struct BlockCode {
  int32_t domain;
  int8_t isometry;
  int32_t scale;  ///< Quantised level.
  int32_t offset; ///< Quantised level.
};

/// Element (i, j) of a b x b block after isometry t (the 8 symmetries of
/// the square).
inline int64_t isoIndex(int t, int64_t i, int64_t j, int64_t b) {
  int64_t r = i, c = j;
  if (t & 4)
    std::swap(r, c);
  if (t & 1)
    r = b - 1 - r;
  if (t & 2)
    c = b - 1 - c;
  return r * b + c;
}

float dequantize(int32_t level, int32_t bits, float lo, float hi) {
  int32_t levels = (1 << bits) - 1;
  return lo + (hi - lo) * float(level) / float(levels);
}

int32_t quantize(float x, int32_t bits, float lo, float hi) {
  int32_t levels = (1 << bits) - 1;
  float t = hi > lo ? (x - lo) / (hi - lo) : 0.0f;
  return std::clamp(int32_t(std::lround(t * levels)), 0, levels);
}
} // namespace

struct facrt_fractal_code {
  int64_t rows = 0, cols = 0;
  facrt_fractal_params params{};
  float offsetLo = 0, offsetHi = 0;
  int64_t domainsPerRow = 0, domainCount = 0;
  std::vector<BlockCode> blocks;

  /// The averaged-down domain block `domain` of image \p w (b x b).
  void domainBlock(const float *w, int32_t domain, float *out) const {
    int64_t b = params.range;
    int64_t r0 = (domain / domainsPerRow) * b;
    int64_t c0 = (domain % domainsPerRow) * b;
    for (int64_t i = 0; i < b; ++i)
      for (int64_t j = 0; j < b; ++j) {
        const float *p = w + (r0 + 2 * i) * cols + (c0 + 2 * j);
        out[i * b + j] = 0.25f * (p[0] + p[1] + p[cols] + p[cols + 1]);
      }
  }
};

static facrt_status fractalEncodeImpl(const float *w, int64_t rows,
                                      int64_t cols,
                                      const facrt_fractal_params *params,
                                      facrt_fractal_code **out) {
  if (!w || !params || !out || params->range <= 0 || params->scale_bits < 1 ||
      params->scale_bits > 16 || params->offset_bits < 1 ||
      params->offset_bits > 16 || params->iterations < 1)
    return FACRT_ERR_ARG;
  int64_t b = params->range;
  if (rows % b || cols % b || rows < 2 * b || cols < 2 * b || rows > kMaxSide ||
      cols > kMaxSide)
    return FACRT_ERR_ARG;
  // A non-finite weight has no code: its offset range would be NaN.
  if (!std::all_of(w, w + rows * cols,
                   [](float x) { return std::isfinite(x); }))
    return FACRT_ERR_ARG;
  auto code = std::make_unique<facrt_fractal_code>();
  code->rows = rows;
  code->cols = cols;
  code->params = *params;
  // Domain blocks: 2b x 2b squares at a stride of b.
  code->domainsPerRow = cols / b - 1;
  code->domainCount = (rows / b - 1) * code->domainsPerRow;
  auto [lo, hi] = std::minmax_element(w, w + rows * cols);
  // o ranges over what s·D + o must reach: the values, widened by what a
  // contraction of the values can subtract.
  code->offsetLo = *lo - kMaxScale * std::max(std::fabs(*lo), std::fabs(*hi));
  code->offsetHi = *hi + kMaxScale * std::max(std::fabs(*lo), std::fabs(*hi));

  int64_t n = b * b;
  std::vector<float> domains(size_t(code->domainCount * n));
  for (int32_t d = 0; d < code->domainCount; ++d)
    code->domainBlock(w, d, domains.data() + d * n);
  std::vector<float> range(static_cast<size_t>(n));
  for (int64_t r0 = 0; r0 < rows; r0 += b)
    for (int64_t c0 = 0; c0 < cols; c0 += b) {
      double sumR = 0;
      for (int64_t i = 0; i < b; ++i)
        for (int64_t j = 0; j < b; ++j) {
          range[i * b + j] = w[(r0 + i) * cols + c0 + j];
          sumR += range[i * b + j];
        }
      BlockCode best{0, 0, 0, 0};
      double bestErr = std::numeric_limits<double>::infinity();
      for (int32_t d = 0; d < code->domainCount; ++d) {
        const float *dom = domains.data() + d * n;
        for (int t = 0; t < 8; ++t) {
          double sumD = 0, sumDD = 0, sumDR = 0;
          for (int64_t i = 0; i < b; ++i)
            for (int64_t j = 0; j < b; ++j) {
              double x = dom[isoIndex(t, i, j, b)];
              double y = range[i * b + j];
              sumD += x;
              sumDD += x * x;
              sumDR += x * y;
            }
          // Least squares for s, then quantise s and fit o to it.
          double den = n * sumDD - sumD * sumD;
          double s = den > 1e-12 ? (n * sumDR - sumD * sumR) / den : 0.0;
          int32_t sq =
              quantize(float(s), params->scale_bits, -kMaxScale, kMaxScale);
          double sd = dequantize(sq, params->scale_bits, -kMaxScale, kMaxScale);
          double o = (sumR - sd * sumD) / n;
          int32_t oq = quantize(float(o), params->offset_bits, code->offsetLo,
                                code->offsetHi);
          double od = dequantize(oq, params->offset_bits, code->offsetLo,
                                 code->offsetHi);
          double err = 0;
          for (int64_t i = 0; i < b && err < bestErr; ++i)
            for (int64_t j = 0; j < b; ++j) {
              double e = sd * dom[isoIndex(t, i, j, b)] + od - range[i * b + j];
              err += e * e;
            }
          if (err < bestErr) {
            bestErr = err;
            best = {d, int8_t(t), sq, oq};
          }
        }
      }
      code->blocks.push_back(best);
    }
  *out = code.release();
  return FACRT_OK;
}

static facrt_status fractalDecodeImpl(const facrt_fractal_code *code,
                                      float *w) {
  if (!code || !w)
    return FACRT_ERR_ARG;
  int64_t b = code->params.range, rows = code->rows, cols = code->cols;
  int64_t n = b * b;
  std::vector<float> current(size_t(rows * cols), 0.0f), next(current.size());
  std::vector<float> dom(static_cast<size_t>(n));
  const facrt_fractal_params &p = code->params;
  for (int32_t it = 0; it < p.iterations; ++it) {
    size_t k = 0;
    for (int64_t r0 = 0; r0 < rows; r0 += b)
      for (int64_t c0 = 0; c0 < cols; c0 += b) {
        const BlockCode &bc = code->blocks[k++];
        code->domainBlock(current.data(), bc.domain, dom.data());
        float s = dequantize(bc.scale, p.scale_bits, -kMaxScale, kMaxScale);
        float o = dequantize(bc.offset, p.offset_bits, code->offsetLo,
                             code->offsetHi);
        for (int64_t i = 0; i < b; ++i)
          for (int64_t j = 0; j < b; ++j)
            next[(r0 + i) * cols + c0 + j] =
                s * dom[isoIndex(bc.isometry, i, j, b)] + o;
      }
    std::swap(current, next);
  }
  std::copy(current.begin(), current.end(), w);
  return FACRT_OK;
}

extern "C" double facrt_fractal_bits_per_weight(const facrt_fractal_code *c) {
  if (!c)
    return 0;
  double domainBits =
      std::ceil(std::log2(double(std::max<int64_t>(c->domainCount, 2))));
  double perBlock =
      domainBits + 3 + c->params.scale_bits + c->params.offset_bits;
  double header = 2 * 32; // The offset range.
  return (perBlock * double(c->blocks.size()) + header) /
         double(c->rows * c->cols);
}

extern "C" void facrt_fractal_free(facrt_fractal_code *code) { delete code; }

extern "C" facrt_status facrt_quantize_rtn(const float *w, int64_t n,
                                           int32_t bits, int64_t group,
                                           float *out,
                                           double *bits_per_weight) {
  if (!w || !out || bits < 2 || bits > 8 || group <= 0 || n < 0)
    return FACRT_ERR_ARG;
  int32_t qmax = (1 << (bits - 1)) - 1; // Symmetric: [-qmax, qmax].
  for (int64_t g = 0; g < n; g += group) {
    int64_t end = std::min(n, g + group);
    float absmax = 0;
    for (int64_t i = g; i < end; ++i)
      absmax = std::max(absmax, std::fabs(w[i]));
    float scale = absmax > 0 ? absmax / float(qmax) : 1.0f;
    for (int64_t i = g; i < end; ++i)
      out[i] = scale * float(std::clamp(int32_t(std::lround(w[i] / scale)),
                                        -qmax, qmax));
  }
  if (bits_per_weight)
    *bits_per_weight =
        n ? (double(bits) * n + 16.0 * double((n + group - 1) / group)) / n : 0;
  return FACRT_OK;
}

namespace {
constexpr int64_t kHeader = 8;

int64_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return int64_t(u);
}
float bitsFloat(int64_t b) {
  uint32_t u = uint32_t(b);
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}
} // namespace

static int64_t fractalExportImpl(const facrt_fractal_code *code, int64_t *out,
                                 int64_t capacity) {
  if (!code)
    return -1;
  std::vector<int64_t> ints = {code->rows,
                               code->cols,
                               code->params.range,
                               code->params.scale_bits,
                               code->params.offset_bits,
                               code->params.iterations,
                               floatBits(code->offsetLo),
                               floatBits(code->offsetHi)};
  for (const BlockCode &b : code->blocks)
    ints.insert(ints.end(), {b.domain, b.isometry, b.scale, b.offset});
  for (int64_t k = 0; k < std::min<int64_t>(capacity, ints.size()); ++k)
    out[k] = ints[size_t(k)];
  return int64_t(ints.size());
}

static facrt_status fractalImportImpl(const int64_t *in, int64_t count,
                                      facrt_fractal_code **out) {
  if (!in || !out || count < kHeader)
    return FACRT_ERR_ARG;
  // Every header field is range-checked before it is narrowed or used.
  auto within = [](int64_t x, int64_t lo, int64_t hi) {
    return x >= lo && x <= hi;
  };
  if (!within(in[0], 1, kMaxSide) || !within(in[1], 1, kMaxSide) ||
      in[0] * in[1] > kMaxWeights || !within(in[2], 1, kMaxSide) ||
      !within(in[3], 1, 16) || !within(in[4], 1, 16) ||
      !within(in[5], 1, 1000) || !within(in[6], 0, UINT32_MAX) ||
      !within(in[7], 0, UINT32_MAX))
    return FACRT_ERR_FORMAT;
  auto code = std::make_unique<facrt_fractal_code>();
  code->rows = in[0];
  code->cols = in[1];
  code->params = {int32_t(in[2]), int32_t(in[3]), int32_t(in[4]),
                  int32_t(in[5])};
  code->offsetLo = bitsFloat(in[6]);
  code->offsetHi = bitsFloat(in[7]);
  int64_t b = code->params.range;
  if (code->rows % b || code->cols % b || code->rows < 2 * b ||
      code->cols < 2 * b || !std::isfinite(code->offsetLo) ||
      !std::isfinite(code->offsetHi) || code->offsetLo > code->offsetHi)
    return FACRT_ERR_FORMAT;
  code->domainsPerRow = code->cols / b - 1;
  code->domainCount = (code->rows / b - 1) * code->domainsPerRow;
  int64_t blocks = (code->rows / b) * (code->cols / b);
  if (count != kHeader + 4 * blocks)
    return FACRT_ERR_FORMAT;
  for (int64_t k = 0; k < blocks; ++k) {
    const int64_t *p = in + kHeader + 4 * k;
    if (p[0] < 0 || p[0] >= code->domainCount || p[1] < 0 || p[1] > 7 ||
        p[2] < 0 || p[2] >= (int64_t(1) << code->params.scale_bits) ||
        p[3] < 0 || p[3] >= (int64_t(1) << code->params.offset_bits))
      return FACRT_ERR_FORMAT;
    code->blocks.push_back(
        {int32_t(p[0]), int8_t(p[1]), int32_t(p[2]), int32_t(p[3])});
  }
  *out = code.release();
  return FACRT_OK;
}

//===----------------------------------------------------------------------===//
// The C ABI: no exception crosses it (Guard.h).
//===----------------------------------------------------------------------===//

extern "C" facrt_status facrt_fractal_encode(const float *w, int64_t rows,
                                             int64_t cols,
                                             const facrt_fractal_params *params,
                                             facrt_fractal_code **out) {
  return facrt::guard(
      [&] { return fractalEncodeImpl(w, rows, cols, params, out); });
}

extern "C" facrt_status facrt_fractal_decode(const facrt_fractal_code *code,
                                             float *w) {
  return facrt::guard([&] { return fractalDecodeImpl(code, w); });
}

extern "C" int64_t facrt_fractal_export(const facrt_fractal_code *code,
                                        int64_t *out, int64_t capacity) {
  return facrt::guardOr<int64_t>(
      -1, [&] { return fractalExportImpl(code, out, capacity); });
}

extern "C" facrt_status facrt_fractal_import(const int64_t *in, int64_t count,
                                             facrt_fractal_code **out) {
  return facrt::guard([&] { return fractalImportImpl(in, count, out); });
}

static int64_t fractalMapsImpl(const facrt_fractal_code *code,
                               facrt_fractal_map *maps, int64_t capacity) {
  if (!code)
    return -1;
  const facrt_fractal_params &p = code->params;
  int64_t b = p.range;
  int64_t count = int64_t(code->blocks.size());
  for (int64_t k = 0; k < std::min(count, capacity); ++k) {
    const BlockCode &bc = code->blocks[size_t(k)];
    maps[k] = {
        (bc.domain / code->domainsPerRow) * b,
        (bc.domain % code->domainsPerRow) * b, bc.isometry,
        dequantize(bc.scale, p.scale_bits, -kMaxScale, kMaxScale),
        dequantize(bc.offset, p.offset_bits, code->offsetLo, code->offsetHi)};
  }
  return count;
}

extern "C" int64_t facrt_fractal_maps(const facrt_fractal_code *code,
                                      facrt_fractal_map *maps,
                                      int64_t capacity) {
  return facrt::guardOr<int64_t>(
      -1, [&] { return fractalMapsImpl(code, maps, capacity); });
}
