//===- Tokenizer.cpp - llama2.c BPE tokenizer -----------------------------===//
//
// Loads a llama2.c tokenizer file and encodes text with its merge-by-score
// BPE. The result is the same as llama2.c's quadratic loop (highest score
// first, leftmost on ties) but uses a heap of candidate pairs, so encoding a
// whole book stays fast.
//
//===----------------------------------------------------------------------===//

#include "Guard.h"

#include "facrt/host.h"

#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

struct facrt_tokenizer {
  std::vector<std::string> pieces;
  std::string decoded; ///< The text facrt_tokenizer_decode last returned.
  std::vector<float> scores;
  std::unordered_map<std::string, int32_t> ids;

  int32_t lookup(const std::string &s) const {
    auto it = ids.find(s);
    return it == ids.end() ? -1 : it->second;
  }
};

namespace {
constexpr int32_t kBos = 1;
constexpr int32_t kEos = 2;
/// Token ids 3..258 stand for the raw bytes 0..255.
constexpr int32_t kByteFallbackBase = 3;
constexpr int32_t kMaxPieceLength = 1 << 16;

struct Candidate {
  float score;
  int32_t left;
  int32_t leftId, rightId, mergedId;
  bool operator<(const Candidate &o) const {
    // std::priority_queue pops the largest: highest score, then leftmost.
    if (score != o.score)
      return score < o.score;
    return left > o.left;
  }
};
} // namespace

namespace {
/// The smallest file entry: a float score and an int32 length.
constexpr long kEntryBytes = 8;

/// The byte-fallback piece of \p byte, as llama2.c's tokenizers spell it.
std::string bytePiece(unsigned byte) {
  char piece[8];
  std::snprintf(piece, sizeof(piece), "<0x%02X>", byte);
  return piece;
}

facrt_status loadTokenizer(const char *path, int32_t vocab_size,
                           const char *expected_sha256, facrt_tokenizer **out) {
  if (!path || !out || vocab_size <= 0)
    return FACRT_ERR_ARG;
  *out = nullptr;
  if (facrt_status s = facrt_verify_sha256(path, expected_sha256))
    return s;
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path, "rb"),
                                              &std::fclose);
  if (!file)
    return FACRT_ERR_IO;
  // The file bounds the vocabulary before anything is allocated for it:
  // every token takes at least kEntryBytes after the 4-byte header.
  if (std::fseek(file.get(), 0, SEEK_END) != 0)
    return FACRT_ERR_IO;
  long fileSize = std::ftell(file.get());
  if (fileSize < 0 || std::fseek(file.get(), 0, SEEK_SET) != 0)
    return FACRT_ERR_IO;
  if ((fileSize - 4) / kEntryBytes < long(vocab_size))
    return FACRT_ERR_FORMAT;
  // Encoding falls back to the byte tokens 3..258 for text no piece
  // covers, so a vocabulary without them cannot encode arbitrary text.
  if (vocab_size < kByteFallbackBase + 256)
    return FACRT_ERR_FORMAT;
  int32_t maxLen;
  if (std::fread(&maxLen, sizeof(maxLen), 1, file.get()) != 1 || maxLen <= 0 ||
      maxLen > kMaxPieceLength)
    return FACRT_ERR_FORMAT;
  auto tok = std::make_unique<facrt_tokenizer>();
  tok->pieces.resize(vocab_size);
  tok->scores.resize(vocab_size);
  for (int32_t i = 0; i < vocab_size; ++i) {
    int32_t len;
    if (std::fread(&tok->scores[i], sizeof(float), 1, file.get()) != 1 ||
        std::fread(&len, sizeof(len), 1, file.get()) != 1 || len < 0 ||
        len > maxLen)
      return FACRT_ERR_FORMAT;
    tok->pieces[i].resize(len);
    if (len &&
        std::fread(&tok->pieces[i][0], 1, len, file.get()) != size_t(len))
      return FACRT_ERR_FORMAT;
    tok->ids.emplace(tok->pieces[i], i);
  }
  // Trailing bytes mean the vocabulary size is not the file's.
  if (std::fgetc(file.get()) != EOF)
    return FACRT_ERR_FORMAT;
  for (unsigned b = 0; b < 256; ++b)
    if (tok->pieces[kByteFallbackBase + b] != bytePiece(b))
      return FACRT_ERR_FORMAT;
  *out = tok.release();
  return FACRT_OK;
}
} // namespace

extern "C" facrt_status facrt_tokenizer_load(const char *path,
                                             int32_t vocab_size,
                                             const char *expected_sha256,
                                             facrt_tokenizer **out) {
  return facrt::guard(
      [&] { return loadTokenizer(path, vocab_size, expected_sha256, out); });
}

extern "C" void facrt_tokenizer_free(facrt_tokenizer *tok) { delete tok; }

extern "C" const char *facrt_tokenizer_piece(const facrt_tokenizer *tok,
                                             int32_t id) {
  if (!tok || id < 0 || size_t(id) >= tok->pieces.size())
    return nullptr;
  return tok->pieces[id].c_str();
}

namespace {
int32_t encode(const facrt_tokenizer *tok, const char *text, int bos, int eos,
               int32_t *tokens, int32_t max_tokens) {
  if (!tok || !text || max_tokens < 0 || (max_tokens > 0 && !tokens))
    return -1;
  // Token counts are int32: longer text is refused, not wrapped.
  if (std::strlen(text) > size_t(INT32_MAX) - 3)
    return -1;
  std::vector<int32_t> ids;
  if (bos)
    ids.push_back(kBos);
  size_t textLen = std::strlen(text);
  if (textLen > 0) {
    int32_t space = tok->lookup(" ");
    if (space >= 0)
      ids.push_back(space);
  }
  // One token per UTF-8 code point, or one per byte when it has no piece.
  for (size_t i = 0; i < textLen;) {
    size_t len = 1;
    while (i + len < textLen && len < 4 &&
           (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80)
      ++len;
    int32_t id = tok->lookup(std::string(text + i, len));
    if (id >= 0) {
      ids.push_back(id);
    } else {
      for (size_t b = 0; b < len; ++b)
        ids.push_back(static_cast<unsigned char>(text[i + b]) +
                      kByteFallbackBase);
    }
    i += len;
  }

  // Merge the best-scoring adjacent pair until none is in the vocabulary.
  int32_t n = static_cast<int32_t>(ids.size());
  std::vector<int32_t> next(n), prev(n);
  std::vector<char> alive(n, 1);
  for (int32_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  std::priority_queue<Candidate> heap;
  auto consider = [&](int32_t left) {
    if (left < 0 || next[left] < 0)
      return;
    int32_t right = next[left];
    int32_t merged =
        tok->lookup(tok->pieces[ids[left]] + tok->pieces[ids[right]]);
    if (merged >= 0)
      heap.push({tok->scores[merged], left, ids[left], ids[right], merged});
  };
  for (int32_t i = 0; i + 1 < n; ++i)
    consider(i);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    int32_t right = alive[c.left] ? next[c.left] : -1;
    if (right < 0 || ids[c.left] != c.leftId || ids[right] != c.rightId)
      continue; // Stale: one side was merged since this was pushed.
    ids[c.left] = c.mergedId;
    alive[right] = 0;
    next[c.left] = next[right];
    if (next[right] >= 0)
      prev[next[right]] = c.left;
    consider(prev[c.left]);
    consider(c.left);
  }

  int32_t count = 0;
  for (int32_t i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
    if (count < max_tokens)
      tokens[count] = ids[i];
    ++count;
  }
  if (eos) {
    if (count < max_tokens)
      tokens[count] = kEos;
    ++count;
  }
  return count;
}
} // namespace

extern "C" int32_t facrt_tokenizer_encode(const facrt_tokenizer *tok,
                                          const char *text, int bos, int eos,
                                          int32_t *tokens, int32_t max_tokens) {
  return facrt::guardOr<int32_t>(
      -1, [&] { return encode(tok, text, bos, eos, tokens, max_tokens); });
}

extern "C" const char *facrt_tokenizer_decode(facrt_tokenizer *tok,
                                              int32_t prev, int32_t id) {
  const char *piece = facrt_tokenizer_piece(tok, id);
  if (!piece)
    return nullptr;
  if (prev == kBos && piece[0] == ' ')
    ++piece;
  return facrt::guardOr<const char *>(nullptr, [&] {
    unsigned byte;
    if (std::sscanf(piece, "<0x%02X>", &byte) == 1 && std::strlen(piece) == 6)
      tok->decoded.assign(1, static_cast<char>(byte));
    else
      tok->decoded = piece;
    return tok->decoded.c_str();
  });
}

extern "C" facrt_status facrt_stories260k_load(const char *data_dir,
                                               facrt_llama_model *model,
                                               facrt_tokenizer **tok) {
  if (!data_dir || !model || !tok)
    return FACRT_ERR_ARG;
  // Both paths first: nothing below can throw once the model is loaded.
  std::string modelPath, tokPath;
  if (facrt_status s = facrt::guard([&] {
        std::string dir = std::string(data_dir) + "/stories260K/";
        modelPath = dir + "stories260K.bin";
        tokPath = dir + "tok512.bin";
        return FACRT_OK;
      }))
    return s;
  facrt_status s =
      facrt_llama_load(modelPath.c_str(), FACRT_STORIES260K_SHA256, model);
  if (s != FACRT_OK)
    return s;
  s = facrt_tokenizer_load(tokPath.c_str(), model->config.vocab_size,
                           FACRT_TOK512_SHA256, tok);
  if (s != FACRT_OK)
    facrt_llama_free(model);
  return s;
}
