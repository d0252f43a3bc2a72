//===- attention_main.cpp - The main job: kernels on a real model ---------===//
//
// Runs the dense-attention kernel that facc compiled from
// examples/dense_attention.fac for this machine on the real activations of
// stories260K: the first layer's Q/K/V for tokens of real English text,
// through the kernel's whole-layer entry (all heads in one call, on all
// cores; grouped-query attention: two query heads per K/V head), with the
// [tokens][dim] matrices seen as [heads][tokens][head size] through
// strides, causal and not. Every head is checked against the dense fp64
// reference and timed against it. The model host then runs stories260K
// with the layer entry as its attention. Then the seed's first variant
// (examples/seed/v1-rule-compression.fac, compiled with empty rule lists)
// runs beside dense: on the activations against the runtime's V1 and the
// fp64 reference, and as stories260K's attention (story, next-token
// agreement and perplexity at several thresholds). The seed's second
// variant (examples/seed/v2-hierarchical.fac, `forward`, compiled as
// written: not an attention) runs on each head's query rows: exact with
// room for every row, and its compression error under smaller memory
// limits; the same variant as attention over the key pyramid
// (examples/variants/hierarchical.fac) runs as stories260K's attention
// beside dense and the runtime's V2, at several windows. Without
// ../shared/data it runs a clearly labelled synthetic workload instead.
//
// Usage: fac-attention-demo [data dir]  (default: $FAC_DATA_DIR, then the
// directory configured at build time).
//
//===----------------------------------------------------------------------===//

#include "dense_attention.h"
#include "facrt/host.h"
#include "hierarchical.h"
#include "v1_rule_compression.h"
#include "v2_hierarchical.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Exit codes of the demo.
enum ExitCode : int {
  kExitSuccess = 0,
  kExitWrongResult = 1, ///< A kernel disagreed with the reference.
  kExitBadData = 2      ///< Data present but unreadable or not the expected.
};

/// The largest relative error tolerated between a kernel and the fp64
/// reference: fp32 scores, exponentials and sums over a few thousand keys
/// (measured: about 5e-6 on stories260K, 1e-6 on Gaussian inputs).
constexpr double kTolerance = 1e-4;
/// The kernels' workspace, grown to what each call needs and kept.
facrt_workspace workspace = {nullptr, 0};

/// Attention inputs: q is n x (heads * d), k and v are n x (kvHeads * d).
struct Workload {
  std::string label;
  int n = 0, heads = 0, kvHeads = 0, d = 0;
  std::vector<float> q, k, v;
};

/// Query head \p h of \p w and the K/V head it reads (grouped-query
/// attention), as [tokens][d] views of the [tokens][heads * d] matrices.
struct HeadViews {
  fac_memref2d_f32 q, k, v;
};
HeadViews headViews(Workload &w, int h) {
  int kvHead = h / (w.heads / w.kvHeads);
  int qWidth = w.heads * w.d, kvWidth = w.kvHeads * w.d;
  return {facrt_view2d(w.q.data(), w.n, w.d, qWidth, h * w.d),
          facrt_view2d(w.k.data(), w.n, w.d, kvWidth, kvHead * w.d),
          facrt_view2d(w.v.data(), w.n, w.d, kvWidth, kvHead * w.d)};
}

/// Seconds per call of \p fn, repeated for at least \p minSeconds.
template <typename Fn> double timePerCall(Fn fn, double minSeconds = 0.2) {
  fn(); // Warm up.
  int calls = 0;
  double start = facrt_now_seconds(), now;
  do {
    fn();
    ++calls;
    now = facrt_now_seconds();
  } while (now - start < minSeconds);
  return (now - start) / calls;
}

bool loadRealWorkload(const std::string &dir, int tokensWanted, Workload &w,
                      int &status) {
  std::string textPath = dir + "/text/moby-dick-ch1-3.txt";
  if (!std::ifstream(dir + "/stories260K/stories260K.bin").good())
    return false;
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  facrt_status s = facrt_stories260k_load(dir.c_str(), &model, &tok);
  if (s != FACRT_OK) {
    fmt::print(stderr, "error: {}/stories260K: {}\n", dir, facrt_status_str(s));
    status = kExitBadData;
    return false;
  }
  std::ifstream textFile(textPath, std::ios::binary);
  if (!textFile) {
    fmt::print(stderr, "error: {}: cannot read the text\n", textPath);
    facrt_tokenizer_free(tok);
    facrt_llama_free(&model);
    status = kExitBadData;
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(textFile)), {});
  std::vector<int32_t> tokens(tokensWanted);
  int32_t count = facrt_tokenizer_encode(tok, text.c_str(), 1, 0, tokens.data(),
                                         tokensWanted);
  facrt_tokenizer_free(tok);
  const facrt_llama_config &c = model.config;
  w.n = std::min({count, tokensWanted, c.seq_len});
  w.heads = c.n_heads;
  w.kvHeads = c.n_kv_heads;
  w.d = c.dim / c.n_heads;
  std::vector<float> x(size_t(w.n) * c.dim);
  w.q.resize(size_t(w.n) * c.dim);
  w.k.resize(size_t(w.n) * w.kvHeads * w.d);
  w.v.resize(w.k.size());
  facrt_llama_embed(&model, tokens.data(), w.n, x.data());
  facrt_llama_qkv(&model, 0, x.data(), w.n, w.q.data(), w.k.data(), w.v.data());
  facrt_llama_free(&model);
  w.label = "REAL DATA: stories260K layer 0 Q/K/V for the first " +
            std::to_string(w.n) +
            " tokens of Moby Dick ch. 1-3 (sha256 verified)";
  return true;
}

Workload syntheticWorkload(int n, int heads, int kvHeads, int d,
                           const char *why) {
  Workload w;
  w.label =
      std::string("BUILT-IN WORKLOAD (synthetic Gaussian Q/K/V; ") + why + ")";
  w.n = n;
  w.heads = heads;
  w.kvHeads = kvHeads;
  w.d = d;
  std::mt19937 gen(1234);
  std::normal_distribution<float> dist;
  for (auto *m : {&w.q, &w.k, &w.v}) {
    m->resize(size_t(n) * (m == &w.q ? heads : kvHeads) * d);
    for (float &x : *m)
      x = dist(gen);
  }
  return w;
}

/// [tokens][heads * d] seen as [heads][tokens][d].
fac_memref3d_f32 layerView(float *data, int tokens, int heads, int d) {
  return {data, data, 0, {heads, tokens, d}, {d, int64_t(heads) * d, 1}};
}

/// The threads the whole-layer entry runs on: every core.
int32_t layerThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return cores ? int32_t(cores) : 1;
}

/// Runs all heads of \p w through the kernel's whole-layer entry, causal
/// or not, and checks each head against the reference. Returns false when
/// a head is off by more than kTolerance.
bool run(Workload &w, bool causal) {
  int32_t threads = layerThreads();
  fmt::print("\n== {}\n", w.label);
  fmt::print("   {} tokens, {} query heads, {} K/V heads, head size {}, {}, "
             "one call for the layer on {} threads\n",
             w.n, w.heads, w.kvHeads, w.d, causal ? "causal" : "non-causal",
             threads);
  int qWidth = w.heads * w.d;
  std::vector<float> out(w.q.size());
  fac_memref3d_f32 q = layerView(w.q.data(), w.n, w.heads, w.d);
  fac_memref3d_f32 k = layerView(w.k.data(), w.n, w.kvHeads, w.d);
  fac_memref3d_f32 v = layerView(w.v.data(), w.n, w.kvHeads, w.d);
  fac_memref3d_f32 o = layerView(out.data(), w.n, w.heads, w.d);
  // Row i sees keys 0..i (causal), or every key (an offset of n).
  int64_t offset = causal ? 0 : w.n;
  if (FACRT_CALL(&workspace, fac_DenseAttention_attention_layer, 1.0f, offset,
                 threads, &q, &k, &v, &o) != FACRT_OK) {
    std::fprintf(stderr, "fac-attention-demo: the kernel refused the "
                         "workload's shapes\n");
    std::exit(1);
  }
  double kernelTime = timePerCall([&] {
    FACRT_CALL(&workspace, fac_DenseAttention_attention_layer, 1.0f, offset,
               threads, &q, &k, &v, &o);
  });
  std::vector<double> ref(size_t(w.n) * w.d);
  double worst = 0, refTime = 0;
  for (int h = 0; h < w.heads; ++h) {
    auto [qh, kh, vh] = headViews(w, h);
    fac_memref2d_f32 oh = facrt_view2d(out.data(), w.n, w.d, qWidth, h * w.d);
    double scale = 1.0 / std::sqrt(double(w.d));
    double start = facrt_now_seconds();
    facrt_attention_ref_f64(&qh, &kh, &vh, scale, causal, ref.data());
    refTime += facrt_now_seconds() - start;
    double err = facrt_max_rel_error(&oh, ref.data());
    worst = std::max(worst, err);
    fmt::print("   head {} (kv head {}): max relative error {:.2e}\n", h,
               h / (w.heads / w.kvHeads), err);
  }
  // Useful work: a causal row i scores i + 1 keys.
  double pairs = causal ? w.n * (w.n + 1.0) / 2 : w.n * double(w.n);
  double flops = 4.0 * pairs * w.d * w.heads;
  fmt::print("   all heads: max relative error {:.2e} (tolerance {:.0e}): "
             "{}\n",
             worst, kTolerance, worst <= kTolerance ? "OK" : "FAILED");
  fmt::print("   time: kernel {:.3f} ms, fp64 reference {:.3f} ms "
             "(kernel {:.1f}x faster), kernel {:.2f} GFLOP/s\n",
             kernelTime * 1e3, refTime * 1e3, refTime / kernelTime,
             flops / kernelTime * 1e-9);
  return worst <= kTolerance;
}

/// The model host's attention: the kernel's whole-layer entry, one query
/// row per head against the KV cache (on the calling thread: one row per
/// head is too little work to share).
int compiledAttention(void *, const fac_memref3d_f32 *q,
                      const fac_memref3d_f32 *k, const fac_memref3d_f32 *v,
                      fac_memref3d_f32 *out, int64_t causalOffset) {
  return FACRT_CALL(&workspace, fac_DenseAttention_attention_layer, 1.0f,
                    causalOffset, 1, const_cast<fac_memref3d_f32 *>(q),
                    const_cast<fac_memref3d_f32 *>(k),
                    const_cast<fac_memref3d_f32 *>(v), out);
}

/// Plugs the compiled kernel into stories260K (`model.attention := attend`)
/// and compares greedy generation and perplexity with the built-in
/// attention. Returns false when they disagree.
bool runModel(const std::string &dir) {
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  if (facrt_stories260k_load(dir.c_str(), &model, &tok) != FACRT_OK)
    return false;
  constexpr int32_t kTokens = 256;
  facrt_llama_state *builtin = nullptr, *compiled = nullptr;
  facrt_llama_state_new(&model, kTokens, &builtin);
  facrt_llama_state_new(&model, kTokens, &compiled);
  facrt_llama_set_layer_attention(compiled, &compiledAttention, nullptr);
  int32_t bos = 1;
  std::vector<int32_t> a(kTokens), b(kTokens);
  double start = facrt_now_seconds();
  int32_t na = facrt_llama_generate_greedy(builtin, &bos, 1, kTokens, a.data());
  double builtinTime = facrt_now_seconds() - start;
  start = facrt_now_seconds();
  int32_t nb =
      facrt_llama_generate_greedy(compiled, &bos, 1, kTokens, b.data());
  double compiledTime = facrt_now_seconds() - start;
  std::string story;
  for (int32_t i = 1; i < nb && story.find('\n') == std::string::npos; ++i)
    story += facrt_tokenizer_decode(tok, b[i - 1], b[i]);
  bool same = na == nb && std::equal(a.begin(), a.begin() + na, b.begin());

  std::ifstream in(dir + "/text/moby-dick-ch1-3.txt", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::vector<int32_t> tokens(kTokens);
  int32_t n = std::min(kTokens, facrt_tokenizer_encode(tok, text.c_str(), 1, 0,
                                                       tokens.data(), kTokens));
  double pplBuiltin = facrt_llama_perplexity(builtin, tokens.data(), n);
  double pplCompiled = facrt_llama_perplexity(compiled, tokens.data(), n);

  fmt::print("\n== REAL MODEL: the compiled kernel as stories260K's attention "
             "(model.attention := attend)\n");
  fmt::print("   greedy story from BOS: {}", story);
  fmt::print("   {} tokens generated, {} identical to the built-in "
             "attention's; {:.1f} ms vs {:.1f} ms\n",
             nb, same ? "all" : "NOT all", compiledTime * 1e3,
             builtinTime * 1e3);
  fmt::print("   perplexity on Moby Dick ({} tokens): compiled {:.4f}, "
             "built-in {:.4f}\n",
             n, pplCompiled, pplBuiltin);
  facrt_llama_state_free(builtin);
  facrt_llama_state_free(compiled);
  facrt_tokenizer_free(tok);
  facrt_llama_free(&model);
  return same && std::fabs(pplBuiltin - pplCompiled) < 1e-3 * pplBuiltin;
}

/// The thresholds the main job runs V1 at.
constexpr float kV1Thresholds[] = {0.0f, 0.5f, 1.0f, 2.0f};

/// The compiled V1 on each head of \p w (non-causal), against the
/// runtime's V1 (the same algorithm in libfacrt) and dense fp64 attention.
bool runV1(Workload &w) {
  fmt::print("\n== {}: the seed's V1 compiled (pyramids cut by magnitude, "
             "attention with multiplicities)\n",
             w.label);
  bool ok = true;
  for (float threshold : kV1Thresholds) {
    double worstRuntime = 0, worstDense = 0;
    int64_t scored = 0;
    for (int h = 0; h < w.heads; ++h) {
      // Not a structured binding: FACRT_CALL's lambda captures them.
      auto views = headViews(w, h);
      fac_memref2d_f32 qh = views.q, kh = views.k, vh = views.v;
      std::vector<float> got(size_t(w.n) * w.d), runtime(got.size());
      fac_memref2d_f32 gv = facrt_view2d(got.data(), w.n, w.d, w.d, 0);
      fac_memref2d_f32 rv = facrt_view2d(runtime.data(), w.n, w.d, w.d, 0);
      int64_t pieces = 0;
      if (FACRT_CALL(&workspace, fac_FractalAttentionCompression_attention,
                     threshold, &qh, &kh, &vh, &gv) != FACRT_OK ||
          facrt_v1_attention(&qh, &kh, &vh, threshold, &rv, &pieces) !=
              FACRT_OK)
        return false;
      scored += pieces;
      std::vector<double> runtime64(runtime.begin(), runtime.end()),
          dense(got.size());
      facrt_attention_ref_f64(&qh, &kh, &vh, 1.0 / std::sqrt(double(w.d)), 0,
                              dense.data());
      worstRuntime =
          std::max(worstRuntime, facrt_max_rel_error(&gv, runtime64.data()));
      worstDense = std::max(worstDense, facrt_max_rel_error(&gv, dense.data()));
    }
    bool agrees = worstRuntime <= kTolerance;
    ok &= agrees;
    fmt::print("   threshold {:<4}: keys scored {:.3f} of dense; max relative "
               "error vs the runtime's V1 {:.2e} ({}), vs dense {:.2e}\n",
               threshold, double(scored) / (double(w.n) * w.heads),
               worstRuntime, agrees ? "OK" : "FAILED", worstDense);
  }
  return ok;
}

/// The seed's V2 as written: `forward` of each head's query rows joins
/// their pyramid with itself three times and cuts the join to the memory
/// limit. With room for every row it must return the rows three times,
/// exactly; under smaller limits its error is what the cut loses.
bool runV2(Workload &w) {
  fmt::print("\n== {}: the seed's V2 compiled as written (forward: the "
             "query rows' pyramid joined three times, cut to a memory limit; "
             "not an attention)\n",
             w.label);
  int64_t full = 3 * int64_t(w.n) * w.d * 4;
  bool ok = true;
  for (int64_t divisor : {1, 2, 8, 32}) {
    double worst = 0;
    int64_t asked = 0;
    for (int h = 0; h < w.heads; ++h) {
      fac_memref2d_f32 qh = headViews(w, h).q;
      std::vector<float> out(size_t(3 * w.n) * w.d);
      fac_memref2d_f32 ov = facrt_view2d(out.data(), 3 * w.n, w.d, w.d, 0);
      asked = fac_FractalAttentionCompression_forward_workspace_size(
          full / divisor, &qh, &ov);
      if (FACRT_CALL(&workspace, fac_FractalAttentionCompression_forward,
                     full / divisor, &qh, &ov) != FACRT_OK)
        return false;
      // Against the rows it stands for: the head's rows, three times.
      double err = 0, scale = 0;
      for (int64_t r = 0; r < 3 * int64_t(w.n); ++r)
        for (int x = 0; x < w.d; ++x) {
          double want = qh.aligned[qh.offset + (r % w.n) * qh.strides[0] + x];
          err = std::max(err, std::fabs(out[r * w.d + x] - want));
          scale = std::max(scale, std::fabs(want));
        }
      worst = std::max(worst, scale > 0 ? err / scale : err);
    }
    bool exact = divisor > 1 || worst == 0;
    ok &= exact;
    fmt::print("   memory limit {:>8} bytes (1/{:<2} of every row): max "
               "relative error against the rows {:.3f}{}; workspace {} "
               "bytes\n",
               full / divisor, divisor, worst,
               divisor == 1 ? (exact ? " (exact: OK)" : " (FAILED)") : "",
               asked);
  }
  return ok;
}

/// The knob of the variant the model host's callbacks run: V1's
/// threshold, V2's window.
double knob = 0;

int compiledV1(void *, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
               const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  return FACRT_CALL(&workspace, fac_FractalAttentionCompression_attention,
                    float(knob), const_cast<fac_memref2d_f32 *>(q),
                    const_cast<fac_memref2d_f32 *>(k),
                    const_cast<fac_memref2d_f32 *>(v), out);
}

int runtimeV1(void *, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
              const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  return facrt_v1_attention(q, k, v, float(knob), out, nullptr);
}

int compiledV2(void *, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
               const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  return FACRT_CALL(&workspace, fac_Hierarchical_attention, int64_t(knob),
                    const_cast<fac_memref2d_f32 *>(q),
                    const_cast<fac_memref2d_f32 *>(k),
                    const_cast<fac_memref2d_f32 *>(v), out);
}

int runtimeV2(void *, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
              const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  return facrt_v2_attention(q, k, v, int64_t(knob), out, nullptr);
}

/// A compiled variant as stories260K's attention, and the runtime's
/// version of the same algorithm it must equal.
struct ModelVariant {
  const char *title;
  const char *reference; ///< "runtime V1"
  const char *knobName;  ///< "threshold"
  std::vector<double> knobs;
  facrt_attention_fn compiled, runtime;
};

/// \p variant as stories260K's attention beside dense, at each knob: its
/// greedy story, next-token agreement with dense on Moby Dick, and
/// perplexity; each must equal the runtime's version.
bool runModelVariant(const std::string &dir, const ModelVariant &variant) {
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  if (facrt_stories260k_load(dir.c_str(), &model, &tok) != FACRT_OK)
    return false;
  constexpr int32_t kTokens = 256;
  std::ifstream in(dir + "/text/moby-dick-ch1-3.txt", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::vector<int32_t> tokens(kTokens);
  int32_t n = std::min(kTokens, facrt_tokenizer_encode(tok, text.c_str(), 1, 0,
                                                       tokens.data(), kTokens));
  // Every position's argmax: the next-token predictions.
  auto predictions = [&](facrt_llama_state *state) {
    std::vector<int32_t> best(static_cast<size_t>(n));
    std::vector<float> logits(size_t(model.config.vocab_size));
    for (int32_t pos = 0; pos < n; ++pos) {
      facrt_llama_forward(state, tokens[pos], pos, logits.data());
      best[pos] = int32_t(std::max_element(logits.begin(), logits.end()) -
                          logits.begin());
    }
    return best;
  };
  facrt_llama_state *dense = nullptr;
  facrt_llama_state_new(&model, kTokens, &dense);
  std::vector<int32_t> densePredictions = predictions(dense);
  double densePpl = facrt_llama_perplexity(dense, tokens.data(), n);
  fmt::print("\n== REAL MODEL: {} as stories260K's attention "
             "(model.attention := attend), beside dense\n",
             variant.title);
  fmt::print("   dense: perplexity on Moby Dick ({} tokens) {:.4f}\n", n,
             densePpl);
  bool ok = true;
  for (double value : variant.knobs) {
    knob = value;
    facrt_llama_state *compiled = nullptr, *runtime = nullptr;
    facrt_llama_state_new(&model, kTokens, &compiled);
    facrt_llama_state_new(&model, kTokens, &runtime);
    facrt_llama_set_attention(compiled, variant.compiled, nullptr);
    facrt_llama_set_attention(runtime, variant.runtime, nullptr);
    std::vector<int32_t> got = predictions(compiled);
    std::vector<int32_t> expected = predictions(runtime);
    size_t agree = 0;
    for (int32_t i = 0; i < n; ++i)
      agree += got[i] == densePredictions[i];
    double ppl = facrt_llama_perplexity(compiled, tokens.data(), n);
    double pplRuntime = facrt_llama_perplexity(runtime, tokens.data(), n);
    int32_t bos = 1;
    std::vector<int32_t> story(64);
    int32_t ns =
        facrt_llama_generate_greedy(compiled, &bos, 1, 64, story.data());
    std::string words;
    for (int32_t i = 1; i < ns && words.find('\n') == std::string::npos; ++i)
      words += facrt_tokenizer_decode(tok, story[i - 1], story[i]);
    if (!words.empty() && words.back() == '\n')
      words.pop_back();
    bool same =
        got == expected && std::fabs(ppl - pplRuntime) <= 1e-3 * pplRuntime;
    ok &= same;
    fmt::print("   {} {:<4}: next-token agreement with dense {:.1f}%, "
               "perplexity {:.4f} ({} {:.4f}: {})\n"
               "{:>20}story: {}\n",
               variant.knobName, value, 100.0 * double(agree) / n, ppl,
               variant.reference, pplRuntime, same ? "same" : "DIFFERENT", "",
               words);
    facrt_llama_state_free(compiled);
    facrt_llama_state_free(runtime);
  }
  facrt_llama_state_free(dense);
  facrt_tokenizer_free(tok);
  facrt_llama_free(&model);
  return ok;
}

} // namespace

int main(int argc, char **argv) {
  std::string dir = argc > 1                      ? argv[1]
                    : std::getenv("FAC_DATA_DIR") ? std::getenv("FAC_DATA_DIR")
                                                  : FAC_DATA_DIR;
  fmt::print("FAC main job: examples/dense_attention.fac compiled by facc "
             "for this machine\n");
  bool ok = true;
  Workload w;
  int status = kExitSuccess;
  if (loadRealWorkload(dir, 512, w, status)) {
    ok &= run(w, /*causal=*/false);
    ok &= run(w, /*causal=*/true);
    ok &= runModel(dir);
    ok &= runV1(w);
    ok &= runModelVariant(dir,
                          {"the seed's V1 compiled", "runtime V1", "threshold",
                           std::vector<double>(std::begin(kV1Thresholds),
                                               std::end(kV1Thresholds)),
                           &compiledV1, &runtimeV1});
    ok &= runV2(w);
    ok &=
        runModelVariant(dir, {"the seed's V2 as attention over the key pyramid "
                              "(examples/variants/hierarchical.fac) compiled",
                              "runtime V2",
                              "window",
                              {1, 4, 32, 256},
                              &compiledV2,
                              &runtimeV2});
  } else if (status != kExitSuccess) {
    return status;
  } else {
    fmt::print("note: no model at {}/stories260K: running the built-in "
               "workload only\n",
               dir);
    Workload small = syntheticWorkload(512, 8, 4, 8, "stories260K's shape");
    ok &= run(small, /*causal=*/false);
    ok &= run(small, /*causal=*/true);
    ok &= runV1(small);
    ok &= runV2(small);
  }
  // A larger synthetic shape shows the kernel where vectors are wide.
  Workload large =
      syntheticWorkload(1024, 8, 8, 64, "1024 tokens, head size 64");
  ok &= run(large, /*causal=*/false);
  ok &= run(large, /*causal=*/true);
  fmt::print("\n{}\n", ok ? "main job: all kernels agree with the fp64 "
                            "reference"
                          : "main job: FAILED");
  return ok ? kExitSuccess : kExitWrongResult;
}
