//===- variants_quality.cpp - Hooked variants as stories260K's attention --===//
//
// Writes docs/results/variants-quality.md (bench/run-variants-quality): the
// attention variants of examples/variants/, as facc compiles them, plugged
// into stories260K as every layer's attention (their whole-layer entries,
// one call per layer and position: one query against the KV cache, at
// position pos), against the dense model on the same tokens: next-token
// agreement and perplexity on 256 tokens of Moby Dick and on the model's
// own greedy story. The model was trained with dense causal attention:
// the table says what each variant costs it, not how it would do if
// trained for it.
// Usage: fac-variants-quality <data dir> <report.md>
//
//===----------------------------------------------------------------------===//

#include "alibi.h"
#include "int8_kv.h"
#include "pooled.h"
#include "sinks_window.h"
#include "sliding_window.h"
#include "softcap.h"
#include "topk.h"

#include "LogitMetrics.h"
#include "facrt/host.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

namespace {

constexpr int32_t kTokens = 256;

facrt_workspace workspace = {nullptr, 0};

/// A compiled variant's layer entry with its parameters bound.
using Layer = std::function<facrt_status(fac_memref3d_f32 *, fac_memref3d_f32 *,
                                         fac_memref3d_f32 *, fac_memref3d_f32 *,
                                         int64_t)>;

int callLayer(void *user, const fac_memref3d_f32 *q, const fac_memref3d_f32 *k,
              const fac_memref3d_f32 *v, fac_memref3d_f32 *out,
              int64_t causalOffset) {
  // The kernels take non-const views; they only read q, k and v.
  fac_memref3d_f32 qv = *q, kv = *k, vv = *v;
  facrt_status s =
      (*static_cast<Layer *>(user))(&qv, &kv, &vv, out, causalOffset);
  if (s != FACRT_OK)
    std::fprintf(stderr, "fac-variants-quality: the kernel refused: %s\n",
                 facrt_status_str(s));
  return s == FACRT_OK ? 0 : 1;
}

/// A compiled variant's one-head entry with its parameters bound (a
/// kernel with no layer entry: one that computes on K and V before
/// attending).
using Head =
    std::function<facrt_status(fac_memref2d_f32 *, fac_memref2d_f32 *,
                               fac_memref2d_f32 *, fac_memref2d_f32 *)>;

int callHead(void *user, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
             const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  fac_memref2d_f32 qv = *q, kv = *k, vv = *v;
  facrt_status s = (*static_cast<Head *>(user))(&qv, &kv, &vv, out);
  if (s != FACRT_OK)
    std::fprintf(stderr, "fac-variants-quality: the kernel refused: %s\n",
                 facrt_status_str(s));
  return s == FACRT_OK ? 0 : 1;
}

/// Logits at every position of \p tokens, with \p layer (or \p head) as
/// the attention (the built-in dense one when both are null).
std::vector<std::vector<float>> run(const facrt_llama_model &model,
                                    Layer *layer, Head *head,
                                    const std::vector<int32_t> &tokens) {
  facrt_llama_state *state = nullptr;
  facrt_llama_state_new(&model, kTokens, &state);
  if (layer && *layer)
    facrt_llama_set_layer_attention(state, &callLayer, layer);
  else if (head && *head)
    facrt_llama_set_attention(state, &callHead, head);
  std::vector<std::vector<float>> logits(
      tokens.size(), std::vector<float>(size_t(model.config.vocab_size)));
  for (size_t pos = 0; pos < tokens.size(); ++pos)
    if (facrt_status s = facrt_llama_forward(state, tokens[pos], int32_t(pos),
                                             logits[pos].data());
        s != FACRT_OK) {
      std::fprintf(stderr,
                   "fac-variants-quality: the forward pass failed at position "
                   "%zu (token %d): %s\n",
                   pos, tokens[pos], facrt_status_str(s));
      std::exit(1);
    }
  facrt_llama_state_free(state);
  return logits;
}

using fac::bench::agreement;
using fac::bench::perplexity;

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <data dir> <report.md>\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  facrt_llama_model model;
  facrt_tokenizer *tok = nullptr;
  if (facrt_stories260k_load(dir.c_str(), &model, &tok) != FACRT_OK) {
    std::fprintf(stderr,
                 "fac-variants-quality: cannot load the model from "
                 "%s\n",
                 dir.c_str());
    return 2;
  }
  std::ifstream in(dir + "/text/moby-dick-ch1-3.txt", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  std::vector<int32_t> moby(kTokens);
  moby.resize(size_t(std::min<int32_t>(
      kTokens,
      facrt_tokenizer_encode(tok, text.c_str(), 1, 0, moby.data(), kTokens))));
  std::vector<int32_t> story(kTokens);
  {
    facrt_llama_state *s = nullptr;
    facrt_llama_state_new(&model, kTokens, &s);
    int32_t bos = 1;
    story.resize(
        size_t(facrt_llama_generate_greedy(s, &bos, 1, kTokens, story.data())));
    facrt_llama_state_free(s);
  }
  int64_t heads = model.config.n_heads;
  struct Variant {
    std::string name, knob;
    Layer layer;
    Head head;
  };
  std::vector<Variant> variants;
  for (int64_t w : {8, 32, 128, 256})
    variants.push_back({"sliding window", "window=" + std::to_string(w),
                        [w](auto *q, auto *k, auto *v, auto *o, int64_t off) {
                          return FACRT_CALL(&workspace,
                                            fac_SlidingWindow_attention_layer,
                                            w, off, 1, q, k, v, o);
                        },
                        nullptr});
  for (int64_t w : {8, 32})
    variants.push_back({"sinks + window", "sinks=4 window=" + std::to_string(w),
                        [w](auto *q, auto *k, auto *v, auto *o, int64_t off) {
                          return FACRT_CALL(&workspace,
                                            fac_SinksWindow_attention_layer,
                                            int64_t(4), w, off, 1, q, k, v, o);
                        },
                        nullptr});
  variants.push_back({"ALiBi", "heads=" + std::to_string(heads),
                      [heads](auto *q, auto *k, auto *v, auto *o, int64_t off) {
                        return FACRT_CALL(&workspace, fac_Alibi_attention_layer,
                                          heads, off, 1, q, k, v, o);
                      },
                      nullptr});
  for (float cap : {1.0f, 5.0f, 50.0f})
    variants.push_back({"softcap", "cap=" + std::to_string(int(cap)),
                        [cap](auto *q, auto *k, auto *v, auto *o, int64_t off) {
                          return FACRT_CALL(&workspace,
                                            fac_Softcap_attention_layer, cap,
                                            off, 1, q, k, v, o);
                        },
                        nullptr});

  for (int64_t block : {4, 16})
    for (int64_t w : {32, 64})
      variants.push_back(
          {"pooled (log b bias)",
           "block=" + std::to_string(block) + " window=" + std::to_string(w),
           nullptr, [block, w](auto *q, auto *k, auto *v, auto *o) {
             return FACRT_CALL(&workspace, fac_Pooled_attention, block, w, q, k,
                               v, o);
           }});
  for (int64_t keep : {8, 32, 128})
    variants.push_back({"top-k keys", "keep=" + std::to_string(keep), nullptr,
                        [keep](auto *q, auto *k, auto *v, auto *o) {
                          return FACRT_CALL(&workspace, fac_TopK_attention,
                                            keep, q, k, v, o);
                        }});
  variants.push_back({"int8 K/V", "per-row scales", nullptr,
                      [](auto *q, auto *k, auto *v, auto *o) {
                        return FACRT_CALL(&workspace, fac_Int8KV_attention, q,
                                          k, v, o);
                      }});

  std::ofstream md(argv[2]);
  md << "# Attention variants with hooks as stories260K's attention\n\n"
        "Generated by `bench/run-variants-quality` (do not edit). Each "
        "variant of `examples/variants/` as facc compiles it for this "
        "machine, plugged into stories260K as every layer's attention (its "
        "whole-layer entry, or its one-head entry for the variants that "
        "compute on K and V first; one query against the KV cache at each "
        "position), against the dense model on the same tokens: "
     << moby.size() << " tokens of Moby Dick ch. 1-3 and " << story.size()
     << " tokens of the model's own greedy story from BOS. The model was "
        "trained with dense causal attention (and a context of "
     << model.config.seq_len
     << " tokens): this is what each variant costs it, untrained.\n\n"
        "| variant | knob | corpus | next-token agreement | perplexity "
        "(dense) |\n|---|---|---|---|---|\n";
  struct Corpus {
    const char *name;
    std::vector<int32_t> *tokens;
    std::vector<std::vector<float>> dense;
  } corpora[] = {{"Moby Dick", &moby, {}}, {"own story", &story, {}}};
  for (Corpus &c : corpora)
    c.dense = run(model, nullptr, nullptr, *c.tokens);
  for (Variant &v : variants)
    for (Corpus &c : corpora) {
      std::vector<std::vector<float>> logits =
          run(model, &v.layer, &v.head, *c.tokens);
      char line[256];
      std::snprintf(line, sizeof line,
                    "| %s | %s | %s | %.1f%% | %.3f (%.3f) |\n", v.name.c_str(),
                    v.knob.c_str(), c.name, 100 * agreement(logits, c.dense),
                    perplexity(logits, *c.tokens),
                    perplexity(c.dense, *c.tokens));
      md << line;
      std::printf("%s", line);
    }
  facrt_workspace_free(&workspace);
  facrt_tokenizer_free(tok);
  facrt_llama_free(&model);
  md.close();
  if (!md) {
    std::fprintf(stderr, "fac-variants-quality: cannot write %s\n", argv[2]);
    return 3;
  }
  return 0;
}
