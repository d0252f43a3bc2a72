//===- quality.cpp - What each seed variant does to a real model ----------===//
//
// Plugs each variant into stories260K and measures, against the dense
// model, on real text (Moby Dick) and on the model's own greedy story:
//   V1  the seed's attend: q, k, v pyramids cut by a threshold on each
//       node's magnitude, attention with multiplicities (facrt_v1_attention),
//   V2  hierarchical causal attention with a window (facrt_hierarchical_
//       attention; examples/variants/hierarchical.fac compiles to it),
//   V3  fractal-coded projection weights, against round-to-nearest int8,
//       int4 and int2 at their bits per weight,
// reporting compression, attention output error, next-token agreement and
// perplexity. Prints a Markdown report and a data file for the plot.
// Usage: quality <data dir> <report.md> <plot.dat>
//
//===----------------------------------------------------------------------===//

#include "facrt/host.h"

#include "LogitMetrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int32_t kTokens = 256;

/// What an attention variant did over a run.
struct Stats {
  double sumRatio = 0; ///< Sum over calls of scored keys / dense keys.
  double maxError = 0; ///< Largest relative error of one call's output.
  double sumError = 0;
  long calls = 0;
};

enum class Variant { Dense, V1, V2 };

struct Plug {
  Variant variant = Variant::Dense;
  float threshold = 0; ///< V1
  int64_t window = 0;  ///< V2
  Stats stats;
};

double relError(const float *got, const std::vector<double> &ref) {
  double err = 0, norm = 0;
  for (size_t t = 0; t < ref.size(); ++t) {
    err = std::max(err, std::fabs(got[t] - ref[t]));
    norm = std::max(norm, std::fabs(ref[t]));
  }
  return norm > 0 ? err / norm : err;
}

int attention(void *user, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
              const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  auto &plug = *static_cast<Plug *>(user);
  int64_t n = k->sizes[0], d = q->sizes[1];
  float scale = 1.0f / std::sqrt(float(d));
  std::vector<double> ref(static_cast<size_t>(d));
  facrt_attention_ref_f64(q, k, v, scale, 0, ref.data());
  float *o = out->aligned + out->offset;
  double ratio = 1;
  if (plug.variant == Variant::Dense) {
    for (int64_t t = 0; t < d; ++t)
      o[t] = float(ref[t]);
  } else {
    if (plug.variant == Variant::V1) {
      // The seed's `attend` as the interpreter runs it and facc compiles
      // it: q, k and v each compressed by the threshold.
      int64_t scored = n;
      facrt_v1_attention(q, k, v, plug.threshold, out, &scored);
      ratio = double(scored) / double(n);
    } else {
      facrt_pyramid *kp = nullptr, *vp = nullptr;
      facrt_pyramid_build(k, &kp);
      facrt_pyramid_build(v, &vp);
      int64_t pairs = 0;
      facrt_hierarchical_attention(q, kp, vp, plug.window, scale, out, &pairs);
      ratio = double(pairs) / double(n);
      facrt_pyramid_free(kp);
      facrt_pyramid_free(vp);
    }
  }
  double err = relError(o, ref);
  plug.stats.maxError = std::max(plug.stats.maxError, err);
  plug.stats.sumError += err;
  plug.stats.sumRatio += ratio;
  ++plug.stats.calls;
  return 0;
}

/// Logits at every position of \p tokens.
std::vector<std::vector<float>> run(const facrt_llama_model &model, Plug *plug,
                                    const std::vector<int32_t> &tokens) {
  facrt_llama_state *state = nullptr;
  facrt_llama_state_new(&model, kTokens, &state);
  if (plug)
    facrt_llama_set_attention(state, &attention, plug);
  std::vector<std::vector<float>> logits(
      tokens.size(), std::vector<float>(size_t(model.config.vocab_size)));
  for (size_t pos = 0; pos < tokens.size(); ++pos)
    facrt_llama_forward(state, tokens[pos], int32_t(pos), logits[pos].data());
  facrt_llama_state_free(state);
  return logits;
}

using fac::bench::agreement;
using fac::bench::perplexity;

/// The projection matrices of every layer: wq, wk, wv, wo.
std::vector<std::pair<float *, std::pair<int64_t, int64_t>>>
projections(facrt_llama_model &m) {
  const facrt_llama_config &c = m.config;
  int64_t dim = c.dim, kv = int64_t(c.dim) * c.n_kv_heads / c.n_heads;
  std::vector<std::pair<float *, std::pair<int64_t, int64_t>>> out;
  for (int32_t l = 0; l < c.n_layers; ++l) {
    out.push_back(
        {const_cast<float *>(m.weights.wq) + l * dim * dim, {dim, dim}});
    out.push_back(
        {const_cast<float *>(m.weights.wk) + l * kv * dim, {kv, dim}});
    out.push_back(
        {const_cast<float *>(m.weights.wv) + l * kv * dim, {kv, dim}});
    out.push_back(
        {const_cast<float *>(m.weights.wo) + l * dim * dim, {dim, dim}});
  }
  return out;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <data dir> <report.md> <plot.dat>\n",
                 argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  if (facrt_stories260k_load(dir.c_str(), &model, &tok) != FACRT_OK) {
    std::fprintf(stderr, "quality: cannot load the model from %s\n",
                 dir.c_str());
    return 2;
  }
  std::ifstream in(dir + "/text/moby-dick-ch1-3.txt", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::vector<int32_t> moby(kTokens);
  facrt_tokenizer_encode(tok, text.c_str(), 1, 0, moby.data(), kTokens);
  std::vector<int32_t> story(kTokens);
  {
    facrt_llama_state *s = nullptr;
    facrt_llama_state_new(&model, kTokens, &s);
    int32_t bos = 1;
    story.resize(
        size_t(facrt_llama_generate_greedy(s, &bos, 1, kTokens, story.data())));
    facrt_llama_state_free(s);
  }
  struct Corpus {
    const char *name;
    std::vector<int32_t> *tokens;
    std::vector<std::vector<float>> dense;
  } corpora[] = {{"Moby Dick", &moby, {}}, {"own story", &story, {}}};
  for (Corpus &c : corpora)
    c.dense = run(model, nullptr, *c.tokens);

  FILE *report = std::fopen(argv[2], "w");
  FILE *plot = std::fopen(argv[3], "w");
  std::fprintf(report,
               "# What each variant does to stories260K\n\n"
               "Generated by `bench/run-quality` (do not edit). %d tokens of "
               "Moby Dick ch. 1-3 and %zu tokens of the model's own greedy "
               "story from BOS; every figure is against the dense model on "
               "the same tokens.\n\n",
               kTokens, story.size());
  std::fprintf(report,
               "## Attention variants (V1, V2)\n\n"
               "`keys scored / dense` is the mean number of keys (V1: "
               "pieces of the common refinement of the key and value cuts) "
               "or (query, node) pairs (V2) a query scores, over dense's "
               "`pos + 1`; attention error is the relative error of one "
               "head's output against dense attention (mean and worst). "
               "V1 is the seed's `attend` as the interpreter runs it and "
               "facc compiles it (facrt_v1_attention; the compiled kernel "
               "agrees token for token, Integration/model-attention.test): "
               "q, k and v are each cut where a node's magnitude, the norm "
               "of the tokens it stands for, is under the threshold. V2 is "
               "the seed's second variant as attention over the key "
               "pyramid (facrt_hierarchical_attention), which "
               "`examples/variants/hierarchical.fac` writes in the "
               "language; compiled, it agrees token for token and gives "
               "these perplexities (Integration/model-attention.test, and "
               "the main job beside dense).\n\n"
               "| variant | knob | corpus | keys scored / dense | attention "
               "error mean (max) | next-token agreement | perplexity "
               "(dense) |\n|---|---|---|---|---|---|---|\n");
  std::fprintf(plot, "# variant knob corpus ratio meanErr agreement ppl "
                     "densePpl\n");
  auto row = [&](const char *name, Plug &plug, const std::string &knob) {
    for (Corpus &c : corpora) {
      plug.stats = Stats();
      std::vector<std::vector<float>> logits = run(model, &plug, *c.tokens);
      double ppl = perplexity(logits, *c.tokens);
      double densePpl = perplexity(c.dense, *c.tokens);
      double agree = agreement(logits, c.dense);
      double ratio = plug.stats.sumRatio / double(plug.stats.calls);
      double meanErr = plug.stats.sumError / double(plug.stats.calls);
      std::fprintf(report,
                   "| %s | %s | %s | %.3f | %.2e (%.2e) | %.1f%% | %.3f "
                   "(%.3f) |\n",
                   name, knob.c_str(), c.name, ratio, meanErr,
                   plug.stats.maxError, 100 * agree, ppl, densePpl);
      std::fprintf(plot, "%s %s \"%s\" %.5f %.5e %.5f %.5f %.5f\n", name,
                   knob.c_str(), c.name, ratio, meanErr, agree, ppl, densePpl);
    }
  };
  for (float threshold : {0.0f, 0.5f, 1.0f, 2.0f, 4.0f, 8.0f}) {
    Plug plug;
    plug.variant = Variant::V1;
    plug.threshold = threshold;
    char knob[32];
    std::snprintf(knob, sizeof knob, "threshold=%g", threshold);
    row("V1", plug, knob);
  }
  for (int64_t window : {1, 2, 4, 8, 16, 32, 256}) {
    Plug plug;
    plug.variant = Variant::V2;
    plug.window = window;
    char knob[32];
    std::snprintf(knob, sizeof knob, "window=%lld", (long long)window);
    row("V2", plug, knob);
  }

  // V3: the projections of every layer, fractal-coded or quantised.
  std::fprintf(report,
               "\n## Weight codes (V3)\n\n"
               "wq, wk, wv and wo of all 5 layers coded, then decoded into "
               "the model. Bits per weight include each code's header "
               "(fractal: offset range; round-to-nearest: one 16-bit scale "
               "per 64 weights). int7 is the round-to-nearest code nearest "
               "the 2x2 fractal code's 7.19 bits/weight; below 2 bits, "
               "round-to-nearest has no equal point (int2 is 2.25).\n\n"
               "| code | bits/weight | weight error (relative, Frobenius) "
               "| corpus | next-token agreement | perplexity (dense) "
               "|\n|---|---|---|---|---|---|\n");
  std::vector<float> original(model.storage,
                              model.storage + (1056540 - 28) / 4);
  struct Code {
    std::string name;
    int bits; // 0: fractal
    facrt_fractal_params params;
  } codes[] = {{"fractal 4x4, s5 o7", 0, {4, 5, 7, 16}},
               {"fractal 4x4, s8 o8", 0, {4, 8, 8, 16}},
               {"fractal 2x2, s8 o8", 0, {2, 8, 8, 16}},
               {"int2 round-to-nearest", 2, {}},
               {"int4 round-to-nearest", 4, {}},
               {"int7 round-to-nearest", 7, {}},
               {"int8 round-to-nearest", 8, {}}};
  for (const Code &code : codes) {
    double bits = 0, errNum = 0, errDen = 0;
    int64_t weights = 0;
    for (auto &[w, shape] : projections(model)) {
      int64_t count = shape.first * shape.second;
      std::vector<float> decoded(static_cast<size_t>(count));
      double bpw = 0;
      if (code.bits) {
        facrt_quantize_rtn(w, count, code.bits, 64, decoded.data(), &bpw);
      } else {
        facrt_fractal_code *fc = nullptr;
        facrt_fractal_encode(w, shape.first, shape.second, &code.params, &fc);
        facrt_fractal_decode(fc, decoded.data());
        bpw = facrt_fractal_bits_per_weight(fc);
        facrt_fractal_free(fc);
      }
      for (int64_t k = 0; k < count; ++k) {
        errNum += (double(w[k]) - decoded[k]) * (double(w[k]) - decoded[k]);
        errDen += double(w[k]) * w[k];
      }
      bits += bpw * double(count);
      weights += count;
      std::copy(decoded.begin(), decoded.end(), w);
    }
    for (Corpus &c : corpora) {
      std::vector<std::vector<float>> logits = run(model, nullptr, *c.tokens);
      std::fprintf(
          report, "| %s | %.2f | %.3f | %s | %.1f%% | %.3f (%.3f) |\n",
          code.name.c_str(), bits / double(weights), std::sqrt(errNum / errDen),
          c.name, 100 * agreement(logits, c.dense),
          perplexity(logits, *c.tokens), perplexity(c.dense, *c.tokens));
      std::fprintf(plot, "V3 \"%s\" \"%s\" %.5f %.5e %.5f %.5f %.5f\n",
                   code.name.c_str(), c.name, bits / double(weights),
                   std::sqrt(errNum / errDen), agreement(logits, c.dense),
                   perplexity(logits, *c.tokens),
                   perplexity(c.dense, *c.tokens));
    }
    std::copy(original.begin(), original.end(), model.storage);
  }
  // V4: the unrolled recursive forward over the embeddings of 64 real
  // tokens, with weights drawn as the spec draws them, exact or coded.
  std::fprintf(report,
               "\n## The recursive fractal forward (V4)\n\n"
               "Input: the embeddings of the first 64 tokens of Moby Dick "
               "(64 x 64, as the variant's products need square matrices); "
               "weights: 2^level triples drawn N(0, 1/sqrt(64)) like the "
               "spec's `initializeWeights`, then coded. Error: relative "
               "(Frobenius) error of the output against exact weights.\n\n"
               "| level | attentions (2^level - 1) | code | bits/weight | "
               "output error |\n|---|---|---|---|---|\n");
  {
    const int64_t n = 64;
    std::vector<float> x(static_cast<size_t>(n * n));
    facrt_llama_embed(&model, moby.data(), int32_t(n), x.data());
    std::mt19937 gen(5);
    std::normal_distribution<float> dist(0.0f, 1.0f / 8.0f);
    for (int32_t level = 1; level <= 4; ++level) {
      int64_t count = int64_t(1) << level;
      std::vector<std::vector<float>> w(static_cast<size_t>(3 * count));
      for (auto &m : w) {
        m.resize(static_cast<size_t>(n * n));
        for (float &e : m)
          e = dist(gen);
      }
      auto forward = [&](const std::vector<std::vector<float>> &ws) {
        std::vector<const float *> ptrs;
        for (const auto &m : ws)
          ptrs.push_back(m.data());
        std::vector<float> out(static_cast<size_t>(n * n));
        int64_t calls = 0;
        facrt_v4_forward(x.data(), n, level, ptrs.data(), count, out.data(),
                         &calls);
        return std::make_pair(out, calls);
      };
      auto [exact, calls] = forward(w);
      for (const Code &code : codes) {
        std::vector<std::vector<float>> coded = w;
        double bits = 0;
        for (auto &m : coded) {
          std::vector<float> d(m.size());
          double bpw = 0;
          if (code.bits) {
            facrt_quantize_rtn(m.data(), int64_t(m.size()), code.bits, 64,
                               d.data(), &bpw);
          } else {
            facrt_fractal_code *fc = nullptr;
            facrt_fractal_encode(m.data(), n, n, &code.params, &fc);
            facrt_fractal_decode(fc, d.data());
            bpw = facrt_fractal_bits_per_weight(fc);
            facrt_fractal_free(fc);
          }
          bits += bpw;
          m = d;
        }
        std::vector<float> got = forward(coded).first;
        double num = 0, den = 0;
        for (size_t k = 0; k < got.size(); ++k) {
          num += (double(got[k]) - exact[k]) * (double(got[k]) - exact[k]);
          den += double(exact[k]) * exact[k];
        }
        std::fprintf(report, "| %d | %lld | %s | %.2f | %.3f |\n", level,
                     (long long)calls, code.name.c_str(),
                     bits / double(coded.size()), std::sqrt(num / den));
      }
    }
  }
  std::fclose(report);
  std::fclose(plot);
  facrt_tokenizer_free(tok);
  facrt_llama_free(&model);
  return 0;
}
