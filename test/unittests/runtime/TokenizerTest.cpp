//===- TokenizerTest.cpp - The BPE tokenizer on the real vocabulary -------===//
//
// The runtime's heap-based merge must give exactly what llama2.c's
// quadratic loop gives; that loop is re-implemented here as the reference.
//
//===----------------------------------------------------------------------===//

#include "DataPath.h"

#include "SyntheticFiles.h"
#include "facrt/host.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

class TokenizerTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string path = dataPath("stories260K/tok512.bin");
    REQUIRE_DATA(path);
    ASSERT_EQ(
        facrt_tokenizer_load(path.c_str(), 512, FACRT_TOK512_SHA256, &tok),
        FACRT_OK);
    std::ifstream in(path, std::ios::binary);
    int32_t maxLen;
    in.read(reinterpret_cast<char *>(&maxLen), 4);
    for (int i = 0; i < 512; ++i) {
      float score;
      int32_t len;
      in.read(reinterpret_cast<char *>(&score), 4);
      in.read(reinterpret_cast<char *>(&len), 4);
      std::string piece(len, '\0');
      in.read(&piece[0], len);
      scores.push_back(score);
      pieces.push_back(piece);
      ids.emplace(piece, i);
    }
  }
  void TearDown() override { facrt_tokenizer_free(tok); }

  int lookup(const std::string &s) const {
    auto it = ids.find(s);
    return it == ids.end() ? -1 : it->second;
  }

  /// llama2.c's encode(), transcribed.
  std::vector<int32_t> reference(const std::string &text, bool bos) const {
    std::vector<int32_t> t;
    if (bos)
      t.push_back(1);
    if (!text.empty())
      t.push_back(lookup(" "));
    std::string buf;
    for (size_t i = 0; i < text.size(); ++i) {
      if ((text[i] & 0xC0) != 0x80)
        buf.clear();
      buf += text[i];
      if (i + 1 < text.size() && (text[i + 1] & 0xC0) == 0x80 && buf.size() < 4)
        continue;
      int id = lookup(buf);
      if (id != -1)
        t.push_back(id);
      else
        for (unsigned char c : buf)
          t.push_back(c + 3);
      buf.clear();
    }
    while (true) {
      float best = -1e10f;
      int bestId = -1, bestIdx = -1;
      for (size_t i = 0; i + 1 < t.size(); ++i) {
        int id = lookup(pieces[t[i]] + pieces[t[i + 1]]);
        if (id != -1 && scores[id] > best) {
          best = scores[id];
          bestId = id;
          bestIdx = static_cast<int>(i);
        }
      }
      if (bestIdx == -1)
        break;
      t[bestIdx] = bestId;
      t.erase(t.begin() + bestIdx + 1);
    }
    return t;
  }

  std::vector<int32_t> encode(const std::string &text, bool bos, bool eos) {
    int32_t count =
        facrt_tokenizer_encode(tok, text.c_str(), bos, eos, nullptr, 0);
    EXPECT_GE(count, 0);
    std::vector<int32_t> out(count);
    EXPECT_EQ(
        facrt_tokenizer_encode(tok, text.c_str(), bos, eos, out.data(), count),
        count);
    return out;
  }

  facrt_tokenizer *tok = nullptr;
  std::vector<float> scores;
  std::vector<std::string> pieces;
  std::map<std::string, int> ids;
};

} // namespace

TEST_F(TokenizerTest, MatchesLlama2cOnAStoryOpening) {
  std::string text = "Once upon a time, there was a little girl named Lily.";
  std::vector<int32_t> got = encode(text, true, false);
  EXPECT_EQ(got, reference(text, true));
  EXPECT_EQ(got.front(), 1);
  // BPE merges: far fewer tokens than bytes.
  EXPECT_LT(got.size(), text.size() / 2);
}

TEST_F(TokenizerTest, MatchesLlama2cOnRealText) {
  std::string path = dataPath("text/moby-dick-ch1-3.txt");
  REQUIRE_DATA(path);
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  text.resize(3000); // The reference is quadratic.
  while (!text.empty() && (text.back() & 0xC0) == 0x80)
    text.pop_back(); // Do not cut a code point in half.
  EXPECT_EQ(encode(text, false, false), reference(text, false));
}

TEST_F(TokenizerTest, PiecesSpellTheText) {
  std::string text = "The cat sat on the mat.\nIt was happy!";
  std::string spelled;
  for (int32_t id : encode(text, false, false)) {
    std::string piece = facrt_tokenizer_piece(tok, id);
    if (piece.size() == 6 && piece.rfind("<0x", 0) == 0)
      piece = std::string(1, char(std::stoi(piece.substr(3, 2), nullptr, 16)));
    spelled += piece;
  }
  EXPECT_EQ(spelled, " " + text);
}

TEST_F(TokenizerTest, BosEosAndTruncation) {
  std::vector<int32_t> all = encode("hello", true, true);
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all.front(), 1);
  EXPECT_EQ(all.back(), 2);
  int32_t two[2];
  EXPECT_EQ(facrt_tokenizer_encode(tok, "hello", 1, 1, two, 2),
            static_cast<int32_t>(all.size()));
  EXPECT_EQ(two[0], 1);
  EXPECT_EQ(facrt_tokenizer_encode(tok, nullptr, 0, 0, two, 2), -1);
  EXPECT_EQ(encode("", false, false).size(), 0u);
  EXPECT_EQ(facrt_tokenizer_piece(tok, 512), nullptr);
}

TEST(Tokenizer, RejectsMissingAndWrongFiles) {
  facrt_tokenizer *tok = nullptr;
  EXPECT_EQ(facrt_tokenizer_load("/nonexistent", 512, nullptr, &tok),
            FACRT_ERR_IO);
  std::string path = dataPath("stories260K/tok512.bin");
  if (!haveFile(path))
    GTEST_SKIP() << "real data not found at " << path;
  // The file holds 512 tokens; reading 511 leaves bytes over.
  EXPECT_EQ(facrt_tokenizer_load(path.c_str(), 511, nullptr, &tok),
            FACRT_ERR_FORMAT);
  EXPECT_EQ(facrt_tokenizer_load(path.c_str(), 512, "00", &tok),
            FACRT_ERR_CHECKSUM);
  EXPECT_EQ(tok, nullptr);
}

TEST(Tokenizer, LoadsASyntheticVocabularyAndEncodesAnyBytes) {
  facrt_tokenizer *tok = nullptr;
  ASSERT_EQ(facrt_tokenizer_load(writeTokenizer("tok300.bin", 300).c_str(), 300,
                                 nullptr, &tok),
            FACRT_OK);
  int32_t ids[16];
  // No piece covers these bytes: each becomes its byte token 3 + b.
  int32_t n = facrt_tokenizer_encode(tok, "\x7f\xff", 0, 0, ids, 16);
  ASSERT_EQ(n, 2);
  EXPECT_EQ(ids[0], 3 + 0x7f);
  EXPECT_EQ(ids[1], 3 + 0xff);
  facrt_tokenizer_free(tok);
}

TEST(Tokenizer, RejectsAVocabularyWithoutTheByteFallbackPieces) {
  // Byte fallback encodes an unknown byte b as token 3 + b: with fewer than
  // 259 tokens that indexed past the pieces.
  facrt_tokenizer *tok = nullptr;
  EXPECT_EQ(facrt_tokenizer_load(writeTokenizer("tok100.bin", 100).c_str(), 100,
                                 nullptr, &tok),
            FACRT_ERR_FORMAT);
  EXPECT_EQ(tok, nullptr);
  // 300 tokens whose ids 3..258 are not the byte pieces: refused too.
  std::string path = writeTokenizer("tok300-renamed.bin", 300);
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  // Token 3 starts after the header (4 bytes) and tokens 0..2 (8 + 5, 8 + 5,
  // 8 + 6 bytes); its piece follows its score and length.
  f.seekp(4 + 13 + 13 + 14 + 8);
  f.write("<0x7F>", 6);
  f.close();
  EXPECT_EQ(facrt_tokenizer_load(path.c_str(), 300, nullptr, &tok),
            FACRT_ERR_FORMAT);
}

TEST(Tokenizer, RejectsAVocabularySizeTheFileCannotHold) {
  // INT_MAX tokens used to be allocated (~64 GB) before reading, and the
  // std::bad_alloc escaped through the C ABI.
  facrt_tokenizer *tok = nullptr;
  std::string path = writeTokenizer("tok-small.bin", 300);
  EXPECT_EQ(facrt_tokenizer_load(path.c_str(), INT32_MAX, nullptr, &tok),
            FACRT_ERR_FORMAT);
  EXPECT_EQ(facrt_tokenizer_load(path.c_str(), 301, nullptr, &tok),
            FACRT_ERR_FORMAT);
  EXPECT_EQ(tok, nullptr);
}
