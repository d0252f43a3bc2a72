//===- RuntimeTargets.cpp - Fuzz targets over libfacrt's loaders ----------===//
//
// The checkpoint loader (and the forward pass on what it loads), the
// tokenizer loader, encoder and decoder, and the fractal-code import: the
// runtime's entry points for bytes that come from files.
//
//===----------------------------------------------------------------------===//

#include "FuzzTargets.h"

#include "facrt/host.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

/// The loaders read files: \p size bytes of \p data in a temporary file of
/// this process, rewritten for every input and removed at exit.
const char *asFile(const uint8_t *data, size_t size) {
  static const std::string path = [] {
    char name[] = "/tmp/fac-fuzz-XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0)
      std::abort();
    close(fd);
    std::atexit([] { std::remove(path.c_str()); });
    return std::string(name);
  }();
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file || std::fwrite(data, 1, size, file) != size)
    std::abort();
  std::fclose(file);
  return path.c_str();
}

/// A broken promise of the runtime: the fuzzer reports it as a crash.
void check(bool ok) {
  if (!ok)
    __builtin_trap();
}

} // namespace

int fac::fuzz::checkpoint(const uint8_t *data, size_t size) {
  facrt_llama_model model;
  if (facrt_llama_load(asFile(data, size), nullptr, &model) != FACRT_OK)
    return 0;
  const facrt_llama_config &c = model.config;
  check(c.dim > 0 && c.vocab_size > 0 && c.seq_len > 0 && model.storage);
  // Two tokens through the model: the work is bounded by the weights,
  // which the file holds, and the cache, by two positions.
  facrt_llama_state *state = nullptr;
  int32_t positions = std::min(c.seq_len, 2);
  if (facrt_llama_state_new(&model, positions, &state) == FACRT_OK) {
    std::vector<float> logits(size_t(c.vocab_size));
    int32_t tokens[2] = {0, c.vocab_size - 1};
    for (int32_t pos = 0; pos < positions; ++pos)
      check(facrt_llama_forward(state, tokens[pos], pos, logits.data()) ==
            FACRT_OK);
    facrt_llama_state_free(state);
  }
  facrt_llama_free(&model);
  return 0;
}

int fac::fuzz::tokenizer(const uint8_t *data, size_t size) {
  if (size < 4)
    return 0;
  int32_t vocab = int32_t(data[0] | data[1] << 8);
  size_t textLength = std::min<size_t>(data[2] | data[3] << 8, size - 4);
  std::string text(reinterpret_cast<const char *>(data + 4), textLength);
  const uint8_t *file = data + 4 + textLength;
  facrt_tokenizer *tok = nullptr;
  if (facrt_tokenizer_load(asFile(file, size - 4 - textLength), vocab, nullptr,
                           &tok) != FACRT_OK) {
    check(tok == nullptr);
    return 0;
  }
  // BOS, the leading space, one token per byte at most, EOS.
  std::vector<int32_t> ids(text.size() + 3);
  int32_t n = facrt_tokenizer_encode(tok, text.c_str(), 1, 1, ids.data(),
                                     int32_t(ids.size()));
  check(n >= 2 && size_t(n) <= ids.size());
  for (int32_t i = 1; i < n; ++i)
    check(facrt_tokenizer_decode(tok, ids[i - 1], ids[i]) != nullptr);
  facrt_tokenizer_free(tok);
  return 0;
}

int fac::fuzz::fractalCode(const uint8_t *data, size_t size) {
  std::vector<int64_t> ints(size / sizeof(int64_t));
  if (!ints.empty())
    std::memcpy(ints.data(), data, ints.size() * sizeof(int64_t));
  facrt_fractal_code *code = nullptr;
  if (facrt_fractal_import(ints.data(), int64_t(ints.size()), &code) !=
      FACRT_OK)
    return 0;
  // What imports exports as the same integers.
  std::vector<int64_t> again(ints.size());
  check(facrt_fractal_export(code, again.data(), int64_t(again.size())) ==
            int64_t(ints.size()) &&
        again == ints);
  // Decoding costs rows x cols x iterations: small codes only.
  int64_t rows = ints[0], cols = ints[1], iterations = ints[5];
  if (rows * cols * iterations <= (int64_t(1) << 20)) {
    std::vector<float> w(size_t(rows * cols));
    check(facrt_fractal_decode(code, w.data()) == FACRT_OK);
  }
  facrt_fractal_free(code);
  return 0;
}
