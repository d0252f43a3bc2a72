//===- attention_speed.cpp - The compiled kernel against its peers --------===//
//
// Times dense attention (8 heads, [head][n][d], no mask) in one run, on one
// core, with one harness and the same inputs: the kernel facc compiled from
// examples/dense_attention.fac for this machine; OpenBLAS (two SGEMMs
// around a softmax vectorised by the compiler: this file is built with
// -O3 -march=native -ffast-math -fno-finite-math-only); oneDNN's matmul
// and softmax primitives (when libdnnl is installed); and a naive C++ loop
// nest (n <= 2048). The machine's FMA peak and its triad bandwidth are
// measured by the bench itself, and each library's plain SGEMM rate is
// printed beside its attention rate, so that a weak peer shows. Every
// result is checked against OpenBLAS first. Writes a Markdown report and,
// for bench/speed.gp, a data file: n, d, then GFLOP/s of facc, OpenBLAS,
// oneDNN and naive ("?" where not measured), then the peak.
// Usage: attention_speed <report.md> <plot.dat>   (with OMP_NUM_THREADS=1)
//
//===----------------------------------------------------------------------===//

#include "dense_attention.h"
#include "facrt/facrt.h"

#include <cblas.h>
#ifdef FAC_HAVE_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

constexpr int kHeads = 8;

/// The fastest of a few timed repetitions, after a warm-up.
template <typename Fn> double best(Fn fn) {
  fn();
  double bestTime = std::numeric_limits<double>::infinity();
  double spent = 0;
  for (int rep = 0; rep < 20 && (rep < 3 || spent < 1.0); ++rep) {
    double t0 = facrt_now_seconds();
    fn();
    double t = facrt_now_seconds() - t0;
    spent += t;
    bestTime = std::min(bestTime, t);
  }
  return bestTime;
}

/// One core's fp32 FMA peak in GFLOP/s: independent FMA chains, enough of
/// them to cover the FMA latency on both ports.
double measurePeak() {
  constexpr int kChains = 12;
  constexpr long kIterations = 20000000;
#if defined(__AVX512F__)
  using Vec = __m512;
  constexpr int kLanes = 16;
  auto splat = [](float x) { return _mm512_set1_ps(x); };
  auto fma = [](Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); };
#else
  using Vec = __m256;
  constexpr int kLanes = 8;
  auto splat = [](float x) { return _mm256_set1_ps(x); };
  auto fma = [](Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); };
#endif
  float sink = 0;
  double seconds = best([&] {
    Vec acc[kChains];
    for (int k = 0; k < kChains; ++k)
      acc[k] = splat(0.001f * float(k));
    Vec a = splat(0.999999f), b = splat(1e-7f);
    for (long i = 0; i < kIterations; ++i)
      for (int k = 0; k < kChains; ++k) {
        acc[k] = fma(acc[k], a, b);
        // An empty asm the compiler cannot see through: no fast-math
        // rewriting of the chain, one FMA per step.
        asm volatile("" : "+v"(acc[k]));
      }
    float lanes[kLanes];
    std::memcpy(lanes, &acc[kChains - 1], sizeof(lanes));
    sink += lanes[0];
  });
  if (sink == 42.0f)
    std::printf(" "); // Keeps the chains alive.
  return 2.0 * kLanes * kChains * double(kIterations) / seconds * 1e-9;
}

/// STREAM's triad a = b + s c over arrays far larger than the caches, in
/// GB/s (three arrays' bytes per pass).
double measureTriad() {
  size_t n = size_t(1) << 25;
  std::vector<float> a(n, 0.0f), b(n, 1.0f), c(n, 2.0f);
  float scalar = 0.5f, sink = 0;
  double seconds = best([&] {
    for (size_t i = 0; i < n; ++i)
      a[i] = b[i] + scalar * c[i];
    // Each pass differs and is read: none can be skipped.
    scalar += 1e-3f;
    sink += a[n / 2];
    asm volatile("" : : "r"(a.data()) : "memory");
  });
  if (sink == 42.0f)
    std::printf(" ");
  return 3.0 * sizeof(float) * double(n) / seconds * 1e-9;
}

/// e^x for x <= 0 in straight-line arithmetic the compiler vectorises:
/// 2^(x log2 e) as 2^integer (the exponent bits) times a degree-5
/// polynomial for 2^fraction; relative error about 2e-7.
inline float vectorExp(float x) {
  float t = std::max(x, -87.0f) * 1.44269504f;
  float whole = std::floor(t), f = t - whole;
  float p = 1.8775767e-3f;
  p = p * f + 8.9893397e-3f;
  p = p * f + 5.5826318e-2f;
  p = p * f + 2.4015361e-1f;
  p = p * f + 6.9315308e-1f;
  p = p * f + 9.9999994e-1f;
  int32_t bits = (int32_t(whole) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

/// A row softmax in place, vectorised.
void softmaxRows(float *s, int64_t rows, int64_t cols) {
  for (int64_t i = 0; i < rows; ++i) {
    float *row = s + i * cols;
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < cols; ++j)
      m = std::max(m, row[j]);
    float sum = 0;
    for (int64_t j = 0; j < cols; ++j)
      sum += row[j] = vectorExp(row[j] - m);
    float inv = 1.0f / sum;
    for (int64_t j = 0; j < cols; ++j)
      row[j] *= inv;
  }
}

/// OpenBLAS attention of one head: S = QK^T * scale, softmax, O = SV.
void blasHead(const float *q, const float *k, const float *v, float *out,
              int64_t n, int64_t d, float *scores) {
  float scale = 1.0f / std::sqrt(float(d));
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(n), int(d),
              scale, q, int(d), k, int(d), 0.0f, scores, int(n));
  softmaxRows(scores, n, n);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(d), int(n),
              1.0f, scores, int(n), v, int(d), 0.0f, out, int(d));
}

/// The textbook loop nest, for one head.
void naiveHead(const float *q, const float *k, const float *v, float *out,
               int64_t n, int64_t d, float *scores) {
  float scale = 1.0f / std::sqrt(float(d));
  for (int64_t i = 0; i < n; ++i) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < n; ++j) {
      float s = 0;
      for (int64_t t = 0; t < d; ++t)
        s += q[i * d + t] * k[j * d + t];
      scores[j] = s * scale;
      m = std::max(m, scores[j]);
    }
    float sum = 0;
    for (int64_t j = 0; j < n; ++j)
      sum += scores[j] = std::exp(scores[j] - m);
    for (int64_t t = 0; t < d; ++t) {
      float acc = 0;
      for (int64_t j = 0; j < n; ++j)
        acc += scores[j] * v[j * d + t];
      out[i * d + t] = acc / sum;
    }
  }
}

#ifdef FAC_HAVE_DNNL
/// oneDNN attention of one head shape: matmul (Q by K^T, scaled), softmax
/// in place, matmul (P by V), as primitives made once per shape.
class DnnlAttention {
public:
  DnnlAttention(int64_t n, int64_t d)
      : engine(dnnl::engine::kind::cpu, 0), stream(engine) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    dnnl::memory::desc q({n, d}, dt::f32, tag::ab);
    dnnl::memory::desc kT({d, n}, dt::f32, tag::ba); // K, read transposed.
    dnnl::memory::desc s({n, n}, dt::f32, tag::ab);
    dnnl::memory::desc v({n, d}, dt::f32, tag::ab);
    dnnl::primitive_attr scaled;
    scaled.set_output_scales(0, {1.0f / std::sqrt(float(d))});
    scores = dnnl::matmul::primitive_desc(dnnl::matmul::desc(q, kT, s), scaled,
                                          engine);
    softmax = dnnl::softmax_forward::primitive_desc(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, s, 1),
        engine);
    values = dnnl::matmul::primitive_desc(dnnl::matmul::desc(s, v, q), engine);
    plain = dnnl::matmul::primitive_desc(dnnl::matmul::desc(q, kT, s), engine);
  }

  void run(float *q, float *k, float *v, float *out, float *scratch) {
    auto mem = [&](const dnnl::memory::desc &md, float *p) {
      return dnnl::memory(md, engine, p);
    };
    dnnl::memory qm = mem(scores.src_desc(), q),
                 km = mem(scores.weights_desc(), k),
                 sm = mem(scores.dst_desc(), scratch),
                 vm = mem(values.weights_desc(), v),
                 om = mem(values.dst_desc(), out);
    dnnl::matmul(scores).execute(
        stream,
        {{DNNL_ARG_SRC, qm}, {DNNL_ARG_WEIGHTS, km}, {DNNL_ARG_DST, sm}});
    dnnl::softmax_forward(softmax).execute(
        stream, {{DNNL_ARG_SRC, sm}, {DNNL_ARG_DST, sm}});
    dnnl::matmul(values).execute(
        stream,
        {{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, vm}, {DNNL_ARG_DST, om}});
    stream.wait();
  }

  /// The plain n x n x d product Q K^T, for the library's SGEMM rate.
  void gemm(float *q, float *k, float *scratch) {
    dnnl::matmul(plain).execute(
        stream,
        {{DNNL_ARG_SRC, dnnl::memory(plain.src_desc(), engine, q)},
         {DNNL_ARG_WEIGHTS, dnnl::memory(plain.weights_desc(), engine, k)},
         {DNNL_ARG_DST, dnnl::memory(plain.dst_desc(), engine, scratch)}});
    stream.wait();
  }

private:
  dnnl::engine engine;
  dnnl::stream stream;
  dnnl::matmul::primitive_desc scores, values, plain;
  dnnl::softmax_forward::primitive_desc softmax;
};
#endif

double maxRel(const std::vector<float> &a, const std::vector<float> &b) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    err = std::max(err, std::fabs(double(a[i]) - b[i]));
    norm = std::max(norm, std::fabs(double(b[i])));
  }
  return err / norm;
}

struct Shape {
  int64_t n, d;
};

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <report.md> <plot.dat>\n", argv[0]);
    return 2;
  }
  openblas_set_num_threads(1);
  FILE *report = std::fopen(argv[1], "w");
  FILE *plot = std::fopen(argv[2], "w");
  if (!report || !plot) {
    std::fprintf(stderr, "attention_speed: cannot write %s or %s\n", argv[1],
                 argv[2]);
    return 3;
  }
  std::fprintf(plot, "# n d facc openblas onednn naive peak (GFLOP/s)\n");
  double peak = measurePeak(), triad = measureTriad();
#ifdef FAC_HAVE_DNNL
  const char *dnnlColumns = " oneDNN ms | GFLOP/s | its SGEMM |";
  const char *dnnlRule = "---|---|---|";
#else
  const char *dnnlColumns = "";
  const char *dnnlRule = "";
#endif
  std::fprintf(
      report,
      "# Dense attention: the compiled kernel against its peers\n\n"
      "Generated by `bench/run-speed` (do not edit). One core, %d heads laid "
      "out [head][n][d], fp32, no mask; best of up to 20 runs. GFLOP/s "
      "counts 4·n²·d per head. Measured in the same run: this core's fp32 "
      "FMA peak **%.0f GFLOP/s** (%s) and triad bandwidth **%.1f GB/s**. "
      "OpenBLAS computes the softmax with a vectorised exp (this file is "
      "built -O3 -march=native -ffast-math -fno-finite-math-only); \"its "
      "SGEMM\" "
      "is the library's "
      "plain n×n×d product, the rate its attention can at best approach. "
      "Every result was checked against OpenBLAS's (max relative "
      "difference in the last column).\n\n![GFLOP/s against n](speed.png)"
      "\n\n"
      "| n | d | facc ms | GFLOP/s | %% of peak | OpenBLAS ms | GFLOP/s | "
      "its SGEMM |%s naive ms | GFLOP/s | facc / best peer time | max rel. "
      "diff |\n"
      "|---|---|---|---|---|---|---|---|%s---|---|---|---|\n",
      kHeads, peak,
#if defined(__AVX512F__)
      "AVX-512",
#else
      "AVX2",
#endif
      triad, dnnlColumns, dnnlRule);
  std::printf("peak %.1f GFLOP/s, triad %.1f GB/s\n", peak, triad);
  const Shape shapes[] = {{512, 64},  {1024, 64},  {2048, 64},  {4096, 64},
                          {512, 128}, {1024, 128}, {2048, 128}, {4096, 128}};
  for (const Shape &s : shapes) {
    int64_t n = s.n, d = s.d;
    size_t size = size_t(kHeads * n * d);
    std::mt19937 gen(unsigned(n + d));
    std::normal_distribution<float> dist;
    std::vector<float> q(size), k(size), v(size);
    for (auto *m : {&q, &k, &v})
      for (float &x : *m)
        x = dist(gen);
    std::vector<float> outKernel(size), outBlas(size), outNaive(size),
        outDnnl(size);
    std::vector<float> scores(size_t(n * n));
    auto perHead = [&](auto body) {
      for (int h = 0; h < kHeads; ++h)
        body(size_t(h) * size_t(n * d));
    };

    double tk = best([&] {
      perHead([&](size_t off) {
        fac_memref2d_f32 qv = facrt_view2d(q.data() + off, n, d, d, 0);
        fac_memref2d_f32 kv = facrt_view2d(k.data() + off, n, d, d, 0);
        fac_memref2d_f32 vv = facrt_view2d(v.data() + off, n, d, d, 0);
        fac_memref2d_f32 ov = facrt_view2d(outKernel.data() + off, n, d, d, 0);
        fac_DenseAttention_attention(1.0f, &qv, &kv, &vv, &ov);
      });
    });
    double tb = best([&] {
      perHead([&](size_t off) {
        blasHead(q.data() + off, k.data() + off, v.data() + off,
                 outBlas.data() + off, n, d, scores.data());
      });
    });
    double tbGemm = best([&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(n),
                  int(d), 1.0f, q.data(), int(d), k.data(), int(d), 0.0f,
                  scores.data(), int(n));
    });
    double gemmFlops = 2.0 * double(n) * double(n) * double(d);
    double flops = 4.0 * double(n) * double(n) * double(d) * kHeads;
    double bestPeer = tb;
    double diff = maxRel(outKernel, outBlas);
    std::string dnnlCells, dnnlRate = "?", naiveRate = "?";
#ifdef FAC_HAVE_DNNL
    DnnlAttention dnnl(n, d);
    double td = best([&] {
      perHead([&](size_t off) {
        dnnl.run(q.data() + off, k.data() + off, v.data() + off,
                 outDnnl.data() + off, scores.data());
      });
    });
    double tdGemm = best([&] { dnnl.gemm(q.data(), k.data(), scores.data()); });
    bestPeer = std::min(bestPeer, td);
    diff = std::max(diff, maxRel(outDnnl, outBlas));
    char cells[128];
    std::snprintf(cells, sizeof(cells), " %.2f | %.1f | %.1f |", td * 1e3,
                  flops / td * 1e-9, gemmFlops / tdGemm * 1e-9);
    dnnlCells = cells;
    dnnlRate = std::to_string(flops / td * 1e-9);
#endif
    std::string naiveCells = " - | - |";
    if (n <= 2048) {
      double tn = best([&] {
        perHead([&](size_t off) {
          naiveHead(q.data() + off, k.data() + off, v.data() + off,
                    outNaive.data() + off, n, d, scores.data());
        });
      });
      diff = std::max(diff, maxRel(outNaive, outBlas));
      char cells[64];
      std::snprintf(cells, sizeof(cells), " %.2f | %.1f |", tn * 1e3,
                    flops / tn * 1e-9);
      naiveCells = cells;
      naiveRate = std::to_string(flops / tn * 1e-9);
    }
    std::fprintf(report,
                 "| %lld | %lld | %.2f | %.1f | %.0f%% | %.2f | %.1f | %.1f "
                 "|%s%s %.2f | %.1e |\n",
                 (long long)n, (long long)d, tk * 1e3, flops / tk * 1e-9,
                 100 * flops / tk * 1e-9 / peak, tb * 1e3, flops / tb * 1e-9,
                 gemmFlops / tbGemm * 1e-9, dnnlCells.c_str(),
                 naiveCells.c_str(), tk / bestPeer, diff);
    std::fprintf(plot, "%lld %lld %.2f %.2f %s %s %.2f\n", (long long)n,
                 (long long)d, flops / tk * 1e-9, flops / tb * 1e-9,
                 dnnlRate.c_str(), naiveRate.c_str(), peak);
    std::fflush(report);
    std::printf("n=%lld d=%lld done\n", (long long)n, (long long)d);
  }
  std::fclose(report);
  std::fclose(plot);
  return 0;
}
