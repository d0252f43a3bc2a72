//===- ModelHostTest.cpp - The forward pass on the real model -------------===//
//
// The known behaviour of stories260K: greedy generation from BOS writes a
// story that begins "Once upon a time, there was a little girl named Lily."
// A correct forward pass reproduces it exactly.
//
//===----------------------------------------------------------------------===//

#include "DataPath.h"

#include "SyntheticFiles.h"
#include "facrt/host.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

class ModelHostTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string modelPath = dataPath("stories260K/stories260K.bin");
    std::string tokPath = dataPath("stories260K/tok512.bin");
    REQUIRE_DATA(modelPath);
    ASSERT_EQ(
        facrt_llama_load(modelPath.c_str(), FACRT_STORIES260K_SHA256, &model),
        FACRT_OK);
    ASSERT_EQ(
        facrt_tokenizer_load(tokPath.c_str(), 512, FACRT_TOK512_SHA256, &tok),
        FACRT_OK);
    ASSERT_EQ(facrt_llama_state_new(&model, 256, &state), FACRT_OK);
  }
  void TearDown() override {
    facrt_llama_state_free(state);
    facrt_tokenizer_free(tok);
    facrt_llama_free(&model);
  }

  std::string generate(int32_t maxTokens) {
    int32_t bos = 1;
    std::vector<int32_t> tokens(maxTokens);
    int32_t n =
        facrt_llama_generate_greedy(state, &bos, 1, maxTokens, tokens.data());
    EXPECT_GT(n, 1);
    std::string text;
    for (int32_t i = 1; i < n; ++i)
      text += facrt_tokenizer_decode(tok, tokens[i - 1], tokens[i]);
    return text;
  }

  facrt_llama_model model{};
  facrt_tokenizer *tok = nullptr;
  facrt_llama_state *state = nullptr;
};

/// An attention that forwards to the built-in one through a fresh state's
/// default and counts its calls.
struct Counting {
  int calls = 0;
  static int call(void *user, const fac_memref2d_f32 *q,
                  const fac_memref2d_f32 *k, const fac_memref2d_f32 *v,
                  fac_memref2d_f32 *out) {
    auto *self = static_cast<Counting *>(user);
    ++self->calls;
    // Reference attention in fp64, written into out.
    std::vector<double> ref(static_cast<size_t>(q->sizes[1]));
    double scale = 1.0 / std::sqrt(double(q->sizes[1]));
    if (facrt_attention_ref_f64(q, k, v, scale, 0, ref.data()) != FACRT_OK)
      return 1;
    for (int64_t t = 0; t < q->sizes[1]; ++t)
      out->aligned[out->offset + t] = static_cast<float>(ref[t]);
    return 0;
  }
};

int failing(void *, const fac_memref2d_f32 *, const fac_memref2d_f32 *,
            const fac_memref2d_f32 *, fac_memref2d_f32 *) {
  return 1;
}

} // namespace

TEST_F(ModelHostTest, GreedyFromBosWritesTheKnownOpening) {
  std::string text = generate(40);
  EXPECT_EQ(
      text.rfind("Once upon a time, there was a little girl named Lily.", 0),
      0u)
      << text;
}

TEST_F(ModelHostTest, PluggedAttentionIsCalledPerHeadAndLayer) {
  Counting counting;
  facrt_llama_set_attention(state, &Counting::call, &counting);
  std::string text = generate(20);
  // The fp64 attention writes the same opening.
  EXPECT_EQ(text.rfind("Once upon a time", 0), 0u) << text;
  int32_t positions = 19; // 20 tokens: BOS plus 19 forward passes.
  EXPECT_EQ(counting.calls, positions * 5 * 8);
}

TEST_F(ModelHostTest, FailingAttentionFailsTheForwardPass) {
  facrt_llama_set_attention(state, &failing, nullptr);
  std::vector<float> logits(512);
  EXPECT_EQ(facrt_llama_forward(state, 1, 0, logits.data()), FACRT_ERR_ARG);
  facrt_llama_set_attention(state, nullptr, nullptr);
  EXPECT_EQ(facrt_llama_forward(state, 1, 0, logits.data()), FACRT_OK);
}

TEST_F(ModelHostTest, PerplexityOnStoriesBeatsRealTextBeatsUniform) {
  // The model's own story is easy for it; Moby Dick is hard; neither is
  // worse than guessing uniformly among 512 tokens.
  auto perplexity = [&](const std::string &text) {
    std::vector<int32_t> tokens(256);
    int32_t n =
        facrt_tokenizer_encode(tok, text.c_str(), 1, 0, tokens.data(), 256);
    return facrt_llama_perplexity(state, tokens.data(), std::min(n, 256));
  };
  double story = perplexity("Once upon a time, there was a little girl "
                            "named Lily. She loved to play outside.");
  std::ifstream in(dataPath("text/moby-dick-ch1-3.txt"), std::ios::binary);
  std::string moby((std::istreambuf_iterator<char>(in)), {});
  moby.resize(1500);
  double real = perplexity(moby);
  EXPECT_GT(story, 1.0);
  EXPECT_LT(story, real);
  EXPECT_LT(real, 512.0);
}

TEST_F(ModelHostTest, RejectsBadArguments) {
  std::vector<float> logits(512);
  EXPECT_EQ(facrt_llama_forward(state, 512, 0, logits.data()), FACRT_ERR_ARG);
  EXPECT_EQ(facrt_llama_forward(state, 1, 256, logits.data()), FACRT_ERR_ARG);
  facrt_llama_state *other = nullptr;
  EXPECT_EQ(facrt_llama_state_new(&model, 513, &other), FACRT_ERR_ARG);
  int32_t bos = 1, out[4];
  EXPECT_EQ(facrt_llama_generate_greedy(state, &bos, 1, 300, out), -1);
}

namespace {
/// The model host on a small synthetic checkpoint (runs without the data).
class SyntheticModelTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(facrt_llama_load(
                  writeCheckpoint("host.bin", CheckpointHeader()).c_str(),
                  nullptr, &model),
              FACRT_OK);
    ASSERT_EQ(facrt_llama_state_new(&model, 16, &state), FACRT_OK);
    logits.resize(300);
  }
  void TearDown() override {
    facrt_llama_state_free(state);
    facrt_llama_free(&model);
  }
  facrt_llama_model model{};
  facrt_llama_state *state = nullptr;
  std::vector<float> logits;
};
} // namespace

TEST_F(SyntheticModelTest, PerplexityRejectsALastTokenOutsideTheVocabulary) {
  // The last token is only an index into the logits: it used to be read out
  // of bounds and a number returned.
  int32_t tokens[4] = {1, 5, 7, 300};
  EXPECT_LT(facrt_llama_perplexity(state, tokens, 4), 0);
  tokens[3] = -1;
  EXPECT_LT(facrt_llama_perplexity(state, tokens, 4), 0);
  tokens[3] = 299;
  EXPECT_GT(facrt_llama_perplexity(state, tokens, 4), 1.0);
}

TEST_F(SyntheticModelTest, ForwardRejectsAPositionPastTheFirstNotRun) {
  // Position 5 first would attend over cache rows 0..4 that hold zeros.
  EXPECT_EQ(facrt_llama_forward(state, 1, 5, logits.data()), FACRT_ERR_ARG);
  EXPECT_EQ(facrt_llama_forward(state, 1, 0, logits.data()), FACRT_OK);
  EXPECT_EQ(facrt_llama_forward(state, 7, 1, logits.data()), FACRT_OK);
  EXPECT_EQ(facrt_llama_forward(state, 7, 3, logits.data()), FACRT_ERR_ARG);
  // Going back starts over from there; then only the next one is allowed.
  EXPECT_EQ(facrt_llama_forward(state, 1, 0, logits.data()), FACRT_OK);
  EXPECT_EQ(facrt_llama_forward(state, 7, 2, logits.data()), FACRT_ERR_ARG);
  EXPECT_EQ(facrt_llama_forward(state, 7, 1, logits.data()), FACRT_OK);
}

// The negative log-likelihood perplexity is built on: log(vocab) under
// equal logits, stable for large ones, and -1 for a token outside.
TEST(TokenNLL, SoftmaxOfTheToken) {
  std::vector<float> equal(512, 3.0f);
  EXPECT_NEAR(facrt_token_nll(equal.data(), 512, 7), std::log(512.0), 1e-12);
  std::vector<float> large = {1000.0f, 0.0f};
  EXPECT_NEAR(facrt_token_nll(large.data(), 2, 0),
              std::log1p(std::exp(-1000.0)), 1e-12);
  EXPECT_NEAR(facrt_token_nll(large.data(), 2, 1), 1000.0, 1e-9);
  EXPECT_EQ(facrt_token_nll(large.data(), 2, 2), -1);
  EXPECT_EQ(facrt_token_nll(large.data(), 2, -1), -1);
}
