//===- SyntheticFiles.h - Small model and tokenizer files for tests -------===//
//
// Checkpoints and tokenizer files in the llama2.c formats, made up by the
// tests themselves, so that the loaders' and the model host's checks of
// bad input run whether or not the real data is present.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TEST_UNITTESTS_SYNTHETICFILES_H
#define FAC_TEST_UNITTESTS_SYNTHETICFILES_H

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

/// The seven header fields of a llama2.c checkpoint.
struct CheckpointHeader {
  int32_t dim = 8, hidden = 16, layers = 1, heads = 2, kvHeads = 1, vocab = 300,
          seqLen = 16;
};

/// How many floats follow \p h in a well-formed checkpoint (shared
/// classifier when vocab > 0).
inline size_t checkpointFloats(const CheckpointHeader &h) {
  size_t dim = h.dim, hidden = h.hidden, layers = h.layers;
  size_t kv = dim * h.kvHeads / h.heads, head = dim / h.heads;
  size_t vocab = h.vocab < 0 ? size_t(-int64_t(h.vocab)) : size_t(h.vocab);
  return vocab * dim +
         layers * (2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hidden * dim) +
         dim + size_t(h.seqLen) * head + (h.vocab < 0 ? vocab * dim : 0);
}

/// Writes a checkpoint named \p name in the test's temporary directory:
/// \p h, then \p floats Gaussian weights (all of them by default).
inline std::string writeCheckpoint(const std::string &name,
                                   const CheckpointHeader &h,
                                   size_t floats = SIZE_MAX) {
  if (floats == SIZE_MAX)
    floats = checkpointFloats(h);
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  int32_t fields[7] = {h.dim,     h.hidden, h.layers, h.heads,
                       h.kvHeads, h.vocab,  h.seqLen};
  out.write(reinterpret_cast<const char *>(fields), sizeof(fields));
  std::mt19937 gen(11);
  std::normal_distribution<float> dist(0.0f, 0.2f);
  for (size_t i = 0; i < floats; ++i) {
    float x = dist(gen);
    out.write(reinterpret_cast<const char *>(&x), sizeof(x));
  }
  return path;
}

/// Writes a llama2.c tokenizer of \p vocab tokens: <unk>, BOS, EOS, the
/// byte pieces <0x00>..<0xFF> (as many as fit), then two-letter pieces.
inline std::string writeTokenizer(const std::string &name, int32_t vocab) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  int32_t maxLen = 8;
  out.write(reinterpret_cast<const char *>(&maxLen), 4);
  for (int32_t i = 0; i < vocab; ++i) {
    std::string piece;
    if (i == 0)
      piece = "<unk>";
    else if (i < 3)
      piece = i == 1 ? "\n<s>\n" : "\n</s>\n";
    else if (i < 259) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "<0x%02X>", i - 3);
      piece = buf;
    } else {
      piece = {char('a' + (i - 259) % 26), char('a' + (i - 259) / 26 % 26)};
    }
    float score = -float(i);
    int32_t len = int32_t(piece.size());
    out.write(reinterpret_cast<const char *>(&score), 4);
    out.write(reinterpret_cast<const char *>(&len), 4);
    out.write(piece.data(), len);
  }
  return path;
}

#endif // FAC_TEST_UNITTESTS_SYNTHETICFILES_H
