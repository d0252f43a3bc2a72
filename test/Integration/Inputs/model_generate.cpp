//===- model_generate.cpp - A compiled kernel as the model's attention ----===//
//
// Test harness: plugs the attention kernel facc compiled (FAC_KERNEL, with
// the generated header -include'd; or, with FAC_LAYER_KERNEL, its
// whole-layer entry, one call per layer) into stories260K's forward pass,
// writes the greedy story from BOS with it and with the built-in
// attention, and reports whether the two agree token for token, and the
// perplexity of both on real text. With FAC_V1_KERNEL (the seed's V1
// compiled: its first argument is the threshold), the reference is the
// runtime's V1 (facrt_v1_attention) at the same threshold and dense
// attention is reported beside them. With FAC_V2_KERNEL (the hierarchical
// variant: its first argument is the window), the reference is the
// runtime's V2 (facrt_v2_attention) at the same window.
// Usage: model_generate <data dir> <tokens> [threshold or window]
//
//===----------------------------------------------------------------------===//

#include "facrt/host.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#if defined(FAC_V1_KERNEL)
#define FAC_KERNEL FAC_V1_KERNEL
#endif
#if defined(FAC_V2_KERNEL)
#define FAC_KERNEL FAC_V2_KERNEL
#endif
#if !defined(FAC_KERNEL) && !defined(FAC_LAYER_KERNEL)
#error "define FAC_KERNEL or FAC_LAYER_KERNEL to the kernel's entry point"
#endif

namespace {
facrt_workspace workspace = {nullptr, 0};
#ifdef FAC_LAYER_KERNEL
int compiledAttention(void *, const fac_memref3d_f32 *q,
                      const fac_memref3d_f32 *k, const fac_memref3d_f32 *v,
                      fac_memref3d_f32 *out, int64_t causalOffset) {
  // Scale 1 (times Attend's 1/sqrt(d)), the query at the cache's last
  // position, one thread.
  return FACRT_CALL(&workspace, FAC_LAYER_KERNEL, 1.0f, causalOffset, 1,
                    const_cast<fac_memref3d_f32 *>(q),
                    const_cast<fac_memref3d_f32 *>(k),
                    const_cast<fac_memref3d_f32 *>(v), out);
}
#else
/// The kernel's first argument: the scale that multiplies Attend's
/// 1/sqrt(d), or V1's threshold.
float firstArgument = 1.0f;
int compiledAttention(void *, const fac_memref2d_f32 *q,
                      const fac_memref2d_f32 *k, const fac_memref2d_f32 *v,
                      fac_memref2d_f32 *out) {
#ifdef FAC_V2_KERNEL
  // V2's first argument is its window.
  return FACRT_CALL(&workspace, FAC_KERNEL, int64_t(firstArgument),
                    const_cast<fac_memref2d_f32 *>(q),
                    const_cast<fac_memref2d_f32 *>(k),
                    const_cast<fac_memref2d_f32 *>(v), out);
#else
  return FACRT_CALL(&workspace, FAC_KERNEL, firstArgument,
                    const_cast<fac_memref2d_f32 *>(q),
                    const_cast<fac_memref2d_f32 *>(k),
                    const_cast<fac_memref2d_f32 *>(v), out);
#endif
}
#endif

#ifdef FAC_V2_KERNEL
int runtimeV2(void *, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
              const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  return facrt_v2_attention(q, k, v, int64_t(firstArgument), out, nullptr);
}
#endif

#ifdef FAC_V1_KERNEL
int runtimeV1(void *, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
              const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  return facrt_v1_attention(q, k, v, firstArgument, out, nullptr);
}
#endif

std::vector<int32_t> generate(facrt_llama_state *state, int32_t count) {
  int32_t bos = 1;
  std::vector<int32_t> tokens(count);
  int32_t n = facrt_llama_generate_greedy(state, &bos, 1, count, tokens.data());
  tokens.resize(n > 0 ? n : 0);
  return tokens;
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: %s <data dir> <tokens> [threshold]\n",
                 argv[0]);
    return 2;
  }
#ifndef FAC_LAYER_KERNEL
  if (argc == 4)
    firstArgument = float(std::atof(argv[3]));
#endif
  std::string dir = argv[1];
  int32_t count = std::atoi(argv[2]);
  facrt_llama_model model;
  facrt_tokenizer *tok;
  if (facrt_stories260k_load(dir.c_str(), &model, &tok) != FACRT_OK) {
    std::fprintf(stderr, "cannot load the model from %s\n", dir.c_str());
    return 2;
  }
  facrt_llama_state *builtin, *compiled, *dense;
  facrt_llama_state_new(&model, count, &builtin);
  facrt_llama_state_new(&model, count, &compiled);
  facrt_llama_state_new(&model, count, &dense);
#if defined(FAC_V1_KERNEL)
  facrt_llama_set_attention(builtin, &runtimeV1, nullptr);
  const char *reference = "runtime V1";
#elif defined(FAC_V2_KERNEL)
  facrt_llama_set_attention(builtin, &runtimeV2, nullptr);
  const char *reference = "runtime V2";
#else
  const char *reference = "built-in";
#endif
#ifdef FAC_LAYER_KERNEL
  facrt_llama_set_layer_attention(compiled, &compiledAttention, nullptr);
#else
  facrt_llama_set_attention(compiled, &compiledAttention, nullptr);
#endif

  std::vector<int32_t> a = generate(builtin, count);
  std::vector<int32_t> b = generate(compiled, count);
  std::string text;
  for (size_t i = 1; i < b.size(); ++i)
    text += facrt_tokenizer_decode(tok, b[i - 1], b[i]);
  std::printf("story: %s\n", text.c_str());
  size_t same = 0;
  while (same < a.size() && same < b.size() && a[same] == b[same])
    ++same;
  std::printf("tokens: %zu %s, %zu compiled, %zu agree\n", a.size(), reference,
              b.size(), same);

  std::ifstream in(dir + "/text/moby-dick-ch1-3.txt", std::ios::binary);
  std::string moby((std::istreambuf_iterator<char>(in)), {});
  std::vector<int32_t> tokens(count);
  int32_t n =
      facrt_tokenizer_encode(tok, moby.c_str(), 1, 0, tokens.data(), count);
  n = n < count ? n : count;
  std::printf("perplexity on Moby Dick (%d tokens): %s %.4f, "
              "compiled %.4f (dense %.4f)\n",
              n, reference, facrt_llama_perplexity(builtin, tokens.data(), n),
              facrt_llama_perplexity(compiled, tokens.data(), n),
              facrt_llama_perplexity(dense, tokens.data(), n));
  facrt_llama_state_free(dense);
  facrt_llama_state_free(builtin);
  facrt_llama_state_free(compiled);
  facrt_tokenizer_free(tok);
  facrt_llama_free(&model);
  return a == b ? 0 : 1;
}
