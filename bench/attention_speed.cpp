//===- attention_speed.cpp - The compiled kernel against its peers --------===//
//
// Times attention in one run, with one harness and the same inputs, on
// <threads> cores: the kernel facc compiled from examples/dense_attention.fac
// for this machine, through its whole-layer entry (all heads in one call,
// OpenMP threads); OpenBLAS (two SGEMMs per head around a softmax
// vectorised by the compiler: this file is built -O3 -march=native
// -ffast-math -fno-finite-math-only); oneDNN's matmul and softmax
// primitives (when libdnnl is installed); and a naive C++ loop nest (one
// core, n <= 2048). Shapes: d = 64 and 128, n = 512 to 8192, causal and
// not (GFLOP/s counts useful work: a causal row i scores i + 1 keys; the
// peers compute the whole product and mask it, as a GEMM must), then
// decoding (one query row per head against 512 to 32k cached keys, in GB/s
// of K and V read). The FMA peak and the triad bandwidth of <threads>
// cores are measured by the bench itself, and each library's plain SGEMM
// rate is printed beside its attention rate, so that a weak peer shows.
// Every result is checked against the fp64 reference (head 0). Writes a
// Markdown section and, for bench/speed.gp, a data file.
// Usage: attention_speed <threads> <report.md> <plot.dat>
//        (with OMP_NUM_THREADS=<threads> for oneDNN)
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
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

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

/// Runs body(t) for t in [0, threads) on as many threads (the bench's own
/// measurements of the machine; the kernels use OpenMP).
template <typename Fn> void onThreads(int threads, Fn body) {
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back(body, t);
  body(0);
  for (std::thread &th : pool)
    th.join();
}

/// The fp32 FMA peak in GFLOP/s: independent FMA chains, enough of
/// them to cover the FMA latency on both ports; \p threads cores at once.
double measurePeak(int threads) {
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
  std::vector<float> sinks(size_t(threads), 0.0f);
  auto chains = [&](int t) {
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
    sinks[size_t(t)] += lanes[0];
  };
  double seconds = best([&] { onThreads(threads, chains); });
  if (sinks[0] == 42.0f)
    std::printf(" "); // Keeps the chains alive.
  return 2.0 * kLanes * kChains * double(kIterations) * threads / seconds *
         1e-9;
}

/// STREAM's triad a = b + s c over arrays far larger than the caches, in
/// GB/s (three arrays' bytes per pass), each of \p threads threads on its
/// own slice.
double measureTriad(int threads) {
  size_t n = size_t(1) << 25;
  std::vector<float> a(n, 0.0f), b(n, 1.0f), c(n, 2.0f);
  float scalar = 0.5f, sink = 0;
  double seconds = best([&] {
    onThreads(threads, [&](int t) {
      size_t begin = n * size_t(t) / size_t(threads);
      size_t end = n * size_t(t + 1) / size_t(threads);
      for (size_t i = begin; i < end; ++i)
        a[i] = b[i] + scalar * c[i];
    });
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
      : n(n), engine(dnnl::engine::kind::cpu, 0), stream(engine) {
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

  void run(float *q, float *k, float *v, float *out, float *scratch,
           bool causal) {
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
    if (causal) {
      stream.wait();
      for (int64_t i = 0; i < n; ++i)
        std::fill(scratch + i * n + i + 1, scratch + (i + 1) * n,
                  -std::numeric_limits<float>::infinity());
    }
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
  int64_t n;
  dnnl::engine engine;
  dnnl::stream stream;
  dnnl::matmul::primitive_desc scores, values, plain;
  dnnl::softmax_forward::primitive_desc softmax;
};
#endif

/// Q, K, V and the outputs of one shape: heads x n x d, head-major.
struct Inputs {
  int64_t heads, n, d;
  std::vector<float> q, k, v;

  Inputs(int64_t heads, int64_t n, int64_t d)
      : heads(heads), n(n), d(d), q(size()), k(size()), v(size()) {
    std::mt19937 gen(unsigned(n + d));
    std::normal_distribution<float> dist;
    for (auto *m : {&q, &k, &v})
      for (float &x : *m)
        x = dist(gen);
  }
  size_t size() const { return size_t(heads * n * d); }
  size_t offset(int64_t h) const { return size_t(h * n * d); }
  fac_memref3d_f32 layer(std::vector<float> &data) const {
    return {data.data(), data.data(), 0, {heads, n, d}, {n * d, d, 1}};
  }
};

/// The compiled kernels' workspace, grown once and kept (not timed after
/// the first call).
facrt_workspace workspace = {nullptr, 0};

/// The compiled kernel's whole-layer entry: all heads in one call.
void faccLayer(Inputs &in, std::vector<float> &out, bool causal, int threads) {
  fac_memref3d_f32 q = in.layer(in.q), k = in.layer(in.k), v = in.layer(in.v),
                   o = in.layer(out);
  if (FACRT_CALL(&workspace, fac_DenseAttention_attention_layer, 1.0f,
                 causal ? 0 : in.n, threads, &q, &k, &v, &o) != FACRT_OK) {
    std::fprintf(stderr, "attention_speed: the kernel refused the shapes\n");
    std::exit(1);
  }
}

/// The OpenBLAS peer for all heads; causal masks the scores (a GEMM has no
/// triangular form: the library computes the whole product).
void blasLayer(Inputs &in, std::vector<float> &out, bool causal,
               std::vector<float> &scores) {
  for (int64_t h = 0; h < in.heads; ++h) {
    size_t off = in.offset(h);
    int64_t n = in.n, d = in.d;
    float scale = 1.0f / std::sqrt(float(d));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(n), int(d),
                scale, in.q.data() + off, int(d), in.k.data() + off, int(d),
                0.0f, scores.data(), int(n));
    if (causal)
      for (int64_t i = 0; i < n; ++i)
        std::fill(scores.begin() + i * n + i + 1, scores.begin() + (i + 1) * n,
                  -std::numeric_limits<float>::infinity());
    softmaxRows(scores.data(), n, n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(d),
                int(n), 1.0f, scores.data(), int(n), in.v.data() + off, int(d),
                0.0f, out.data() + off, int(d));
  }
}

/// Decoding: one query row per head against a cache of m keys, as two
/// matrix-vector products per head around a softmax (OpenBLAS SGEMV).
void blasDecode(Inputs &cache, const std::vector<float> &q,
                std::vector<float> &out, std::vector<float> &scores) {
  int64_t m = cache.n, d = cache.d;
  for (int64_t h = 0; h < cache.heads; ++h) {
    size_t off = cache.offset(h);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, int(m), int(d),
                1.0f / std::sqrt(float(d)), cache.k.data() + off, int(d),
                q.data() + h * d, 1, 0.0f, scores.data(), 1);
    softmaxRows(scores.data(), 1, m);
    cblas_sgemv(CblasRowMajor, CblasTrans, int(m), int(d), 1.0f,
                cache.v.data() + off, int(d), scores.data(), 1, 0.0f,
                out.data() + h * d, 1);
  }
}

/// The fp64 reference of head 0, the oracle of every implementation.
double checkHead0(Inputs &in, std::vector<float> &out, bool causal) {
  fac_memref2d_f32 q = facrt_view2d(in.q.data(), in.n, in.d, in.d, 0);
  fac_memref2d_f32 k = facrt_view2d(in.k.data(), in.n, in.d, in.d, 0);
  fac_memref2d_f32 v = facrt_view2d(in.v.data(), in.n, in.d, in.d, 0);
  fac_memref2d_f32 o = facrt_view2d(out.data(), in.n, in.d, in.d, 0);
  std::vector<double> ref(size_t(in.n * in.d));
  facrt_attention_ref_f64(&q, &k, &v, 1.0 / std::sqrt(double(in.d)), causal,
                          ref.data());
  return facrt_max_rel_error(&o, ref.data());
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <threads> <report.md> <plot.dat>\n",
                 argv[0]);
    return 2;
  }
  int threads = std::atoi(argv[1]);
  if (threads < 1 || threads > 64) {
    std::fprintf(stderr, "attention_speed: threads must be 1-64\n");
    return 2;
  }
  // The machine first, before any library's threads exist: OpenBLAS's
  // workers spin for a while after openblas_set_num_threads and would take
  // a core from the peak measurement.
  double peak = measurePeak(threads), triad = measureTriad(threads);
  openblas_set_num_threads(threads);
  FILE *report = std::fopen(argv[2], "w");
  FILE *plot = std::fopen(argv[3], "w");
  if (!report || !plot) {
    std::fprintf(stderr, "attention_speed: cannot write %s or %s\n", argv[2],
                 argv[3]);
    return 3;
  }
  std::printf("%d thread(s): peak %.1f GFLOP/s, triad %.1f GB/s\n", threads,
              peak, triad);
  std::fprintf(plot, "# threads n d causal facc openblas onednn naive peak\n");
#ifdef FAC_HAVE_DNNL
  const char *dnnlColumns = " oneDNN GFLOP/s | its SGEMM |";
  const char *dnnlRule = "---|---|";
#else
  const char *dnnlColumns = "";
  const char *dnnlRule = "";
#endif
  std::fprintf(report,
               "## %d core%s: FMA peak %.0f GFLOP/s (%s), triad %.1f GB/s "
               "(measured in this run)\n\n"
               "| n | d | mask | heads | facc ms | facc GFLOP/s | %% of peak | "
               "OpenBLAS GFLOP/s | its SGEMM |%s naive GFLOP/s | facc / best "
               "peer | facc err | peers' worst err |\n"
               "|---|---|---|---|---|---|---|---|---|%s---|---|---|---|\n",
               threads, threads > 1 ? "s" : "", peak,
#if defined(__AVX512F__)
               "AVX-512",
#else
               "AVX2",
#endif
               triad, dnnlColumns, dnnlRule);
  for (int64_t d : {64, 128}) {
    for (int64_t n : {512, 1024, 2048, 4096, 8192}) {
      // Fewer heads past n = 2048 (heads x n stays 16384), so that the
      // largest shapes take seconds, not minutes.
      int64_t heads =
          std::max<int64_t>(1, 8 * 2048 / std::max<int64_t>(n, 2048));
      Inputs in(heads, n, d);
      std::vector<float> scores(size_t(n * n));
      double gemmFlops = 2.0 * double(n) * double(n) * double(d);
      double tbGemm = best([&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(n), int(n),
                    int(d), 1.0f, in.q.data(), int(d), in.k.data(), int(d),
                    0.0f, scores.data(), int(n));
      });
#ifdef FAC_HAVE_DNNL
      DnnlAttention dnnl(n, d);
      double tdGemm =
          best([&] { dnnl.gemm(in.q.data(), in.k.data(), scores.data()); });
#endif
      for (bool causal : {false, true}) {
        // Useful work: a causal row i scores i + 1 keys.
        double pairs = causal ? n * (n + 1.0) / 2 : double(n) * n;
        double flops = 4.0 * pairs * double(d) * double(heads);
        std::vector<float> outKernel(in.size()), outPeer(in.size());
        double tk = best([&] { faccLayer(in, outKernel, causal, threads); });
        double kernelErr = checkHead0(in, outKernel, causal);
        double tb = best([&] { blasLayer(in, outPeer, causal, scores); });
        double peerErr = checkHead0(in, outPeer, causal);
        double bestPeer = tb;
        std::string dnnlCells, dnnlRate = "?", naiveRate = "?";
#ifdef FAC_HAVE_DNNL
        double td = best([&] {
          for (int64_t h = 0; h < heads; ++h) {
            size_t off = in.offset(h);
            dnnl.run(in.q.data() + off, in.k.data() + off, in.v.data() + off,
                     outPeer.data() + off, scores.data(), causal);
          }
        });
        peerErr = std::max(peerErr, checkHead0(in, outPeer, causal));
        bestPeer = std::min(bestPeer, td);
        char cells[96];
        std::snprintf(cells, sizeof(cells), " %.1f | %.1f |", flops / td * 1e-9,
                      gemmFlops / tdGemm * 1e-9);
        dnnlCells = cells;
        dnnlRate = std::to_string(flops / td * 1e-9);
#endif
        std::string naiveCells = " - |";
        if (n <= 2048 && threads == 1 && !causal) {
          double tn = best([&] {
            for (int64_t h = 0; h < heads; ++h) {
              size_t off = in.offset(h);
              naiveHead(in.q.data() + off, in.k.data() + off, in.v.data() + off,
                        outPeer.data() + off, n, d, scores.data());
            }
          });
          peerErr = std::max(peerErr, checkHead0(in, outPeer, causal));
          char cells[48];
          std::snprintf(cells, sizeof(cells), " %.1f |", flops / tn * 1e-9);
          naiveCells = cells;
          naiveRate = std::to_string(flops / tn * 1e-9);
        }
        std::fprintf(report,
                     "| %lld | %lld | %s | %lld | %.2f | **%.1f** | %.0f%% | "
                     "%.1f | %.1f |%s%s %.2fx | %.1e | %.1e |\n",
                     (long long)n, (long long)d, causal ? "causal" : "none",
                     (long long)heads, tk * 1e3, flops / tk * 1e-9,
                     100 * flops / tk * 1e-9 / peak, flops / tb * 1e-9,
                     gemmFlops / tbGemm * 1e-9, dnnlCells.c_str(),
                     naiveCells.c_str(), bestPeer / tk, kernelErr, peerErr);
        std::fprintf(plot, "%d %lld %lld %d %.2f %.2f %s %s %.2f\n", threads,
                     (long long)n, (long long)d, causal ? 1 : 0,
                     flops / tk * 1e-9, flops / tb * 1e-9, dnnlRate.c_str(),
                     naiveRate.c_str(), peak);
        std::fflush(report);
        std::printf("n=%lld d=%lld %s done\n", (long long)n, (long long)d,
                    causal ? "causal" : "");
      }
    }
  }

  // Decoding: one query row per head against a KV cache.
  std::fprintf(report,
               "\n### Decoding, %d core%s: one query row per head, 8 heads, "
               "d = 128, against a cache of m keys\n\n"
               "GB/s counts the K and V bytes read once (2·8·m·d·4 per "
               "call); triad (this run): %.1f GB/s. Best of repeated calls: "
               "up to m = 2048 the cache (8 MB) holds K and V, so those rows "
               "measure the caches, not memory.\n\n"
               "| m | facc µs | facc GB/s | %% of triad | OpenBLAS SGEMV µs | "
               "OpenBLAS GB/s | facc err |\n|---|---|---|---|---|---|---|\n",
               threads, threads > 1 ? "s" : "", triad);
  for (int64_t m : {512, 2048, 8192, 32768}) {
    const int64_t heads = 8, d = 128;
    Inputs cache(heads, m, d);
    std::vector<float> q(size_t(heads * d)), outKernel(q.size()),
        outPeer(q.size()), scores(static_cast<size_t>(m));
    std::mt19937 gen(7);
    std::normal_distribution<float> dist;
    for (float &x : q)
      x = dist(gen);
    fac_memref3d_f32 qv{q.data(), q.data(), 0, {heads, 1, d}, {d, d, 1}};
    fac_memref3d_f32 ov{
        outKernel.data(), outKernel.data(), 0, {heads, 1, d}, {d, d, 1}};
    fac_memref3d_f32 kv = cache.layer(cache.k), vv = cache.layer(cache.v);
    double tk = best([&] {
      if (FACRT_CALL(&workspace, fac_DenseAttention_attention_layer, 1.0f,
                     m - 1, threads, &qv, &kv, &vv, &ov) != FACRT_OK)
        std::exit(1);
    });
    double tb = best([&] { blasDecode(cache, q, outPeer, scores); });
    fac_memref2d_f32 q0 = facrt_view2d(q.data(), 1, d, d, 0);
    fac_memref2d_f32 k0 = facrt_view2d(cache.k.data(), m, d, d, 0);
    fac_memref2d_f32 v0 = facrt_view2d(cache.v.data(), m, d, d, 0);
    fac_memref2d_f32 o0 = facrt_view2d(outKernel.data(), 1, d, d, 0);
    std::vector<double> ref(static_cast<size_t>(d));
    facrt_attention_ref_f64(&q0, &k0, &v0, 1.0 / std::sqrt(double(d)), 0,
                            ref.data());
    double bytes = 2.0 * heads * double(m) * double(d) * sizeof(float);
    std::fprintf(report,
                 "| %lld | %.1f | **%.1f** | %.0f%% | %.1f | %.1f | "
                 "%.1e |\n",
                 (long long)m, tk * 1e6, bytes / tk * 1e-9,
                 100 * bytes / tk * 1e-9 / triad, tb * 1e6, bytes / tb * 1e-9,
                 facrt_max_rel_error(&o0, ref.data()));
    std::fflush(report);
  }
  std::fprintf(report, "\n");
  std::fclose(report);
  std::fclose(plot);
  return 0;
}
