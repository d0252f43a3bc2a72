//===- LlamaForward.cpp - The forward pass of a llama2.c model ------------===//
//
// The transformer of llama2.c's run.c (RMSNorm, RoPE, grouped-query
// attention, SwiGLU) over a KV cache, with attention behind a function
// pointer so that a kernel compiled from a spec can replace it. Greedy
// generation and perplexity are built on it.
//
//===----------------------------------------------------------------------===//

#include "Guard.h"
#include "LlamaMath.h"

#include "facrt/host.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

struct facrt_llama_state {
  const facrt_llama_model *model;
  int32_t maxSeq;
  /// Positions 0..filled-1 of the KV cache hold keys and values: the next
  /// forward call may be at any position up to `filled`, never past it.
  int32_t filled = 0;
  std::vector<float> x, xb, xb2, hb, hb2, q, att;
  std::vector<float> keyCache, valueCache; ///< [layer][seq][kv_dim]
  facrt_attention_fn attention = nullptr;
  void *user = nullptr;
  /// When set, replaces `attention`: one call per layer.
  facrt_layer_attention_fn layerAttention = nullptr;
  void *layerUser = nullptr;
};

namespace {

/// The built-in attention: dense, fp32, two-pass softmax.
int denseAttention(void *, const fac_memref2d_f32 *q, const fac_memref2d_f32 *k,
                   const fac_memref2d_f32 *v, fac_memref2d_f32 *out) {
  int64_t n = k->sizes[0], d = q->sizes[1];
  auto at = [](const fac_memref2d_f32 *m, int64_t i, int64_t j) -> float & {
    return m->aligned[m->offset + i * m->strides[0] + j * m->strides[1]];
  };
  std::vector<float> scores(static_cast<size_t>(n));
  float scale = 1.0f / std::sqrt(static_cast<float>(d));
  float maxScore = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) {
    float s = 0;
    for (int64_t t = 0; t < d; ++t)
      s += at(q, 0, t) * at(k, j, t);
    scores[j] = s * scale;
    maxScore = std::max(maxScore, scores[j]);
  }
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    scores[j] = std::exp(scores[j] - maxScore);
    sum += scores[j];
  }
  for (int64_t t = 0; t < v->sizes[1]; ++t) {
    float acc = 0;
    for (int64_t j = 0; j < n; ++j)
      acc += scores[j] * at(v, j, t);
    at(out, 0, t) = acc / sum;
  }
  return 0;
}

facrt_status newState(const facrt_llama_model *model, int32_t max_seq,
                      facrt_llama_state **out) {
  if (!model || !model->storage || !out || max_seq <= 0 ||
      max_seq > model->config.seq_len)
    return FACRT_ERR_ARG;
  const facrt_llama_config &c = model->config;
  size_t kvDim = size_t(c.dim) * c.n_kv_heads / c.n_heads;
  auto s = std::make_unique<facrt_llama_state>();
  s->model = model;
  s->maxSeq = max_seq;
  s->x.resize(c.dim);
  s->xb.resize(c.dim);
  s->xb2.resize(c.dim);
  s->q.resize(c.dim);
  s->hb.resize(c.hidden_dim);
  s->hb2.resize(c.hidden_dim);
  s->keyCache.resize(size_t(c.n_layers) * max_seq * kvDim);
  s->valueCache.resize(s->keyCache.size());
  s->attention = denseAttention;
  *out = s.release();
  return FACRT_OK;
}

} // namespace

extern "C" facrt_status facrt_llama_state_new(const facrt_llama_model *model,
                                              int32_t max_seq,
                                              facrt_llama_state **out) {
  return facrt::guard([&] { return newState(model, max_seq, out); });
}

extern "C" void facrt_llama_state_free(facrt_llama_state *state) {
  delete state;
}

extern "C" void facrt_llama_set_layer_attention(facrt_llama_state *state,
                                                facrt_layer_attention_fn fn,
                                                void *user) {
  if (!state)
    return;
  state->layerAttention = fn;
  state->layerUser = user;
}

extern "C" void facrt_llama_set_attention(facrt_llama_state *state,
                                          facrt_attention_fn fn, void *user) {
  if (!state)
    return;
  state->attention = fn ? fn : denseAttention;
  state->user = fn ? user : nullptr;
}

namespace {
facrt_status forward(facrt_llama_state *s, int32_t token, int32_t pos,
                     float *logits) {
  // Attention reads the cache at 0..pos: every position before pos must
  // have been run.
  if (!s || !logits || pos < 0 || pos >= s->maxSeq || pos > s->filled)
    return FACRT_ERR_ARG;
  const facrt_llama_config &c = s->model->config;
  const facrt_llama_weights &w = s->model->weights;
  if (token < 0 || token >= c.vocab_size)
    return FACRT_ERR_ARG;
  int32_t dim = c.dim, hidden = c.hidden_dim;
  int32_t headSize = dim / c.n_heads;
  int32_t kvDim = dim * c.n_kv_heads / c.n_heads;
  int32_t kvMul = c.n_heads / c.n_kv_heads;
  float *x = s->x.data(), *xb = s->xb.data(), *xb2 = s->xb2.data();

  std::copy_n(w.token_embedding + size_t(token) * dim, dim, x);
  for (int32_t l = 0; l < c.n_layers; ++l) {
    facrt::rmsNorm(x, w.rms_att + size_t(l) * dim, dim, xb);
    size_t cacheBase = size_t(l) * s->maxSeq * kvDim;
    float *k = s->keyCache.data() + cacheBase + size_t(pos) * kvDim;
    float *v = s->valueCache.data() + cacheBase + size_t(pos) * kvDim;
    facrt::matVec(w.wq + size_t(l) * dim * dim, xb, dim, dim, s->q.data());
    facrt::matVec(w.wk + size_t(l) * kvDim * dim, xb, kvDim, dim, k);
    facrt::matVec(w.wv + size_t(l) * kvDim * dim, xb, kvDim, dim, v);
    facrt::rope(s->q.data(), dim, headSize, pos);
    facrt::rope(k, kvDim, headSize, pos);

    // Every query head attends over positions 0..pos of its K/V head: in
    // one call for the whole layer, or one per head.
    if (s->layerAttention) {
      float *keys = s->keyCache.data() + cacheBase;
      float *values = s->valueCache.data() + cacheBase;
      fac_memref3d_f32 qv{s->q.data(),
                          s->q.data(),
                          0,
                          {c.n_heads, 1, headSize},
                          {headSize, dim, 1}};
      fac_memref3d_f32 kv{keys,
                          keys,
                          0,
                          {c.n_kv_heads, pos + 1, headSize},
                          {headSize, kvDim, 1}};
      fac_memref3d_f32 vv{values,
                          values,
                          0,
                          {c.n_kv_heads, pos + 1, headSize},
                          {headSize, kvDim, 1}};
      fac_memref3d_f32 ov{
          xb, xb, 0, {c.n_heads, 1, headSize}, {headSize, dim, 1}};
      if (s->layerAttention(s->layerUser, &qv, &kv, &vv, &ov, pos) != 0)
        return FACRT_ERR_ARG;
    }
    for (int32_t h = 0; h < c.n_heads && !s->layerAttention; ++h) {
      int32_t kvHead = h / kvMul;
      fac_memref2d_f32 qv =
          facrt_view2d(s->q.data(), 1, headSize, dim, h * headSize);
      fac_memref2d_f32 kv =
          facrt_view2d(s->keyCache.data() + cacheBase, pos + 1, headSize, kvDim,
                       kvHead * headSize);
      fac_memref2d_f32 vv =
          facrt_view2d(s->valueCache.data() + cacheBase, pos + 1, headSize,
                       kvDim, kvHead * headSize);
      fac_memref2d_f32 ov = facrt_view2d(xb, 1, headSize, dim, h * headSize);
      if (s->attention(s->user, &qv, &kv, &vv, &ov) != 0)
        return FACRT_ERR_ARG;
    }
    facrt::matVec(w.wo + size_t(l) * dim * dim, xb, dim, dim, xb2);
    for (int32_t i = 0; i < dim; ++i)
      x[i] += xb2[i];

    // SwiGLU feed-forward.
    facrt::rmsNorm(x, w.rms_ffn + size_t(l) * dim, dim, xb);
    facrt::matVec(w.w1 + size_t(l) * hidden * dim, xb, hidden, dim,
                  s->hb.data());
    facrt::matVec(w.w3 + size_t(l) * hidden * dim, xb, hidden, dim,
                  s->hb2.data());
    for (int32_t i = 0; i < hidden; ++i) {
      float a = s->hb[i];
      s->hb[i] = a / (1.0f + std::exp(-a)) * s->hb2[i];
    }
    facrt::matVec(w.w2 + size_t(l) * dim * hidden, s->hb.data(), dim, hidden,
                  xb);
    for (int32_t i = 0; i < dim; ++i)
      x[i] += xb[i];
  }
  facrt::rmsNorm(x, w.rms_final, dim, x);
  facrt::matVec(w.wcls, x, c.vocab_size, dim, logits);
  s->filled = pos + 1;
  return FACRT_OK;
}
} // namespace

extern "C" facrt_status facrt_llama_forward(facrt_llama_state *s, int32_t token,
                                            int32_t pos, float *logits) {
  return facrt::guard([&] { return forward(s, token, pos, logits); });
}

namespace {
int32_t generateGreedy(facrt_llama_state *s, const int32_t *prompt,
                       int32_t n_prompt, int32_t max_tokens, int32_t *tokens) {
  if (!s || !prompt || !tokens || n_prompt <= 0 || max_tokens < n_prompt ||
      max_tokens > s->maxSeq)
    return -1;
  constexpr int32_t kBos = 1, kEos = 2;
  std::vector<float> logits(s->model->config.vocab_size);
  std::copy_n(prompt, n_prompt, tokens);
  int32_t n = n_prompt;
  for (int32_t pos = 0; n < max_tokens; ++pos) {
    if (facrt_llama_forward(s, tokens[pos], pos, logits.data()) != FACRT_OK)
      return -1;
    if (pos + 1 < n)
      continue; // Still reading the prompt.
    int32_t next = static_cast<int32_t>(
        std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (next == kBos || next == kEos)
      break;
    tokens[n++] = next;
  }
  return n;
}

double perplexity(facrt_llama_state *s, const int32_t *tokens, int32_t n) {
  if (!s || !tokens || n < 2 || n > s->maxSeq)
    return -1;
  // Every token is checked before any is read: the last one is only ever
  // used as an index into the logits.
  for (int32_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= s->model->config.vocab_size)
      return -1;
  std::vector<float> logits(s->model->config.vocab_size);
  double nll = 0;
  for (int32_t pos = 0; pos + 1 < n; ++pos) {
    if (facrt_llama_forward(s, tokens[pos], pos, logits.data()) != FACRT_OK)
      return -1;
    nll += facrt_token_nll(logits.data(), s->model->config.vocab_size,
                           tokens[pos + 1]);
  }
  return std::exp(nll / (n - 1));
}
} // namespace

extern "C" double facrt_token_nll(const float *logits, int32_t vocab,
                                  int32_t token) {
  if (!logits || token < 0 || token >= vocab)
    return -1;
  float maxLogit = *std::max_element(logits, logits + vocab);
  double sum = 0;
  for (int32_t i = 0; i < vocab; ++i)
    sum += std::exp(double(logits[i]) - maxLogit);
  return -(double(logits[token]) - maxLogit - std::log(sum));
}

extern "C" int32_t facrt_llama_generate_greedy(facrt_llama_state *s,
                                               const int32_t *prompt,
                                               int32_t n_prompt,
                                               int32_t max_tokens,
                                               int32_t *tokens) {
  return facrt::guardOr<int32_t>(-1, [&] {
    return generateGreedy(s, prompt, n_prompt, max_tokens, tokens);
  });
}

extern "C" double facrt_llama_perplexity(facrt_llama_state *s,
                                         const int32_t *tokens, int32_t n) {
  return facrt::guardOr<double>(-1, [&] { return perplexity(s, tokens, n); });
}
