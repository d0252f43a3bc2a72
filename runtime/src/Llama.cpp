//===- Llama.cpp - llama2.c checkpoint reader and attention inputs --------===//
//
// Reads the llama2.c legacy checkpoint format (see ../shared/data/README.md)
// into one buffer, validating the header and the file size against it, and
// computes the real Q/K/V activations that attention kernels are fed with.
//
//===----------------------------------------------------------------------===//

#include "Guard.h"
#include "LlamaMath.h"

#include "facrt/host.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {
constexpr int32_t kMaxDim = 1 << 16;

using FilePtr = std::unique_ptr<FILE, int (*)(FILE *)>;

bool validConfig(const facrt_llama_config &c) {
  auto inRange = [](int32_t v) { return v > 0 && v <= kMaxDim; };
  return inRange(c.dim) && inRange(c.hidden_dim) && inRange(c.n_layers) &&
         inRange(c.n_heads) && inRange(c.n_kv_heads) && inRange(c.vocab_size) &&
         inRange(c.seq_len) && c.dim % c.n_heads == 0 &&
         c.n_heads % c.n_kv_heads == 0 && (c.dim / c.n_heads) % 2 == 0;
}

} // namespace

extern "C" facrt_status facrt_llama_load(const char *path,
                                         const char *expected_sha256,
                                         facrt_llama_model *model) {
  if (!path || !model)
    return FACRT_ERR_ARG;
  std::memset(model, 0, sizeof(*model));
  if (facrt_status s = facrt_verify_sha256(path, expected_sha256))
    return s;
  FilePtr file(std::fopen(path, "rb"), &std::fclose);
  if (!file)
    return FACRT_ERR_IO;
  int32_t header[7];
  // A read error (a directory, say) is I/O; a short file is malformed.
  if (std::fread(header, sizeof(int32_t), 7, file.get()) != 7)
    return std::ferror(file.get()) ? FACRT_ERR_IO : FACRT_ERR_FORMAT;
  facrt_llama_config c;
  c.dim = header[0];
  c.hidden_dim = header[1];
  c.n_layers = header[2];
  c.n_heads = header[3];
  c.n_kv_heads = header[4];
  // A negative vocabulary size means a separate classifier; INT32_MIN has
  // no positive counterpart.
  if (header[5] == INT32_MIN)
    return FACRT_ERR_FORMAT;
  c.shared_classifier = header[5] > 0 ? 1 : 0;
  c.vocab_size = header[5] > 0 ? header[5] : -header[5];
  c.seq_len = header[6];
  if (!validConfig(c))
    return FACRT_ERR_FORMAT;

  uint64_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers;
  uint64_t kvDim = dim * c.n_kv_heads / c.n_heads;
  uint64_t headSize = dim / c.n_heads;
  uint64_t vocab = c.vocab_size;
  uint64_t sizes[] = {vocab * dim,
                      layers * dim,
                      layers * dim * dim,
                      layers * kvDim * dim,
                      layers * kvDim * dim,
                      layers * dim * dim,
                      layers * dim,
                      layers * hidden * dim,
                      layers * dim * hidden,
                      layers * hidden * dim,
                      dim,
                      uint64_t(c.seq_len) * headSize,
                      c.shared_classifier ? 0 : vocab * dim};
  uint64_t total = 0;
  for (uint64_t s : sizes)
    total += s;

  // The file must hold exactly the header and these arrays.
  if (std::fseek(file.get(), 0, SEEK_END) != 0)
    return FACRT_ERR_IO;
  long fileSize = std::ftell(file.get());
  if (fileSize < 0 ||
      uint64_t(fileSize) != 7 * sizeof(int32_t) + total * sizeof(float))
    return FACRT_ERR_FORMAT;
  std::fseek(file.get(), 7 * sizeof(int32_t), SEEK_SET);

  auto *storage = static_cast<float *>(std::malloc(total * sizeof(float)));
  if (!storage)
    return FACRT_ERR_NOMEM;
  if (std::fread(storage, sizeof(float), total, file.get()) != total) {
    std::free(storage);
    return FACRT_ERR_IO;
  }
  // A NaN or infinite weight makes every activation after it meaningless:
  // such a file is refused here rather than producing NaN logits later.
  if (!std::all_of(storage, storage + total,
                   [](float x) { return std::isfinite(x); })) {
    std::free(storage);
    return FACRT_ERR_FORMAT;
  }

  const float *p = storage;
  auto take = [&p](uint64_t n) {
    const float *at = p;
    p += n;
    return at;
  };
  facrt_llama_weights &w = model->weights;
  w.token_embedding = take(sizes[0]);
  w.rms_att = take(sizes[1]);
  w.wq = take(sizes[2]);
  w.wk = take(sizes[3]);
  w.wv = take(sizes[4]);
  w.wo = take(sizes[5]);
  w.rms_ffn = take(sizes[6]);
  w.w1 = take(sizes[7]);
  w.w2 = take(sizes[8]);
  w.w3 = take(sizes[9]);
  w.rms_final = take(sizes[10]);
  take(sizes[11]); // freq_cis_real and freq_cis_imag: recomputed in rope().
  w.wcls = c.shared_classifier ? w.token_embedding : take(sizes[12]);
  model->config = c;
  model->storage = storage;
  return FACRT_OK;
}

extern "C" void facrt_llama_free(facrt_llama_model *model) {
  if (!model)
    return;
  std::free(model->storage);
  std::memset(model, 0, sizeof(*model));
}

extern "C" facrt_status facrt_llama_embed(const facrt_llama_model *model,
                                          const int32_t *tokens, int32_t n,
                                          float *x) {
  if (!model || !model->storage || !tokens || !x || n < 0)
    return FACRT_ERR_ARG;
  const facrt_llama_config &c = model->config;
  for (int32_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size)
      return FACRT_ERR_ARG;
    std::memcpy(x + size_t(i) * c.dim,
                model->weights.token_embedding + size_t(tokens[i]) * c.dim,
                sizeof(float) * c.dim);
  }
  return FACRT_OK;
}

namespace {
facrt_status qkv(const facrt_llama_model *model, int32_t layer, const float *x,
                 int32_t n, float *q, float *k, float *v) {
  if (!model || !model->storage || !x || !q || !k || !v || n < 0)
    return FACRT_ERR_ARG;
  const facrt_llama_config &c = model->config;
  if (layer < 0 || layer >= c.n_layers)
    return FACRT_ERR_ARG;
  int32_t dim = c.dim;
  int32_t kvDim = dim * c.n_kv_heads / c.n_heads;
  int32_t headSize = dim / c.n_heads;
  const facrt_llama_weights &w = model->weights;
  const float *wq = w.wq + size_t(layer) * dim * dim;
  const float *wk = w.wk + size_t(layer) * kvDim * dim;
  const float *wv = w.wv + size_t(layer) * kvDim * dim;
  std::vector<float> xb(dim);
  for (int32_t i = 0; i < n; ++i) {
    facrt::rmsNorm(x + size_t(i) * dim, w.rms_att + size_t(layer) * dim, dim,
                   xb.data());
    float *qi = q + size_t(i) * dim;
    float *ki = k + size_t(i) * kvDim;
    facrt::matVec(wq, xb.data(), dim, dim, qi);
    facrt::matVec(wk, xb.data(), kvDim, dim, ki);
    facrt::matVec(wv, xb.data(), kvDim, dim, v + size_t(i) * kvDim);
    facrt::rope(qi, dim, headSize, i);
    facrt::rope(ki, kvDim, headSize, i);
  }
  return FACRT_OK;
}
} // namespace

extern "C" facrt_status facrt_llama_qkv(const facrt_llama_model *model,
                                        int32_t layer, const float *x,
                                        int32_t n, float *q, float *k,
                                        float *v) {
  return facrt::guard([&] { return qkv(model, layer, x, n, q, k, v); });
}
