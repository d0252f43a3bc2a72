//===- FuzzRegressionTest.cpp - Replays what the fuzzers found ------------===//
//
// Every input a fuzz target (tools/fuzz/FuzzTargets.h) once crashed, hung
// or leaked on is kept in Inputs/<target>/ and replayed here through the
// same function, in the normal build and in the sanitized suite (where a
// finding that was only a sanitizer report fails again if it comes back).
// The real files the fuzzers start from are replayed too when present.
//
//===----------------------------------------------------------------------===//

#include "FuzzTargets.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using Target = int (*)(const uint8_t *, size_t);

std::vector<uint8_t> readFile(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

/// Runs \p target on every file of Inputs/<name>; returns how many.
int replay(const std::string &name, Target target) {
  std::filesystem::path dir = std::filesystem::path(FAC_FUZZ_INPUTS_DIR) / name;
  int count = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README.md")
      continue;
    SCOPED_TRACE(entry.path().string());
    std::vector<uint8_t> bytes = readFile(entry.path());
    EXPECT_EQ(target(bytes.data(), bytes.size()), 0);
    ++count;
  }
  return count;
}

std::string dataFile(const std::string &relative) {
  const char *env = std::getenv("FAC_DATA_DIR");
  return std::string(env ? env : FAC_DATA_DIR) + "/" + relative;
}

} // namespace

TEST(FuzzRegressions, Frontend) {
  EXPECT_GT(replay("frontend", fac::fuzz::frontend), 0);
}

TEST(FuzzRegressions, Checkpoint) {
  EXPECT_GT(replay("checkpoint", fac::fuzz::checkpoint), 0);
  std::vector<uint8_t> real = readFile(dataFile("stories260K/stories260K.bin"));
  if (!real.empty())
    EXPECT_EQ(fac::fuzz::checkpoint(real.data(), real.size()), 0);
}

TEST(FuzzRegressions, Tokenizer) {
  EXPECT_GT(replay("tokenizer", fac::fuzz::tokenizer), 0);
}

TEST(FuzzRegressions, FractalCode) {
  EXPECT_GT(replay("fractalCode", fac::fuzz::fractalCode), 0);
}

TEST(FuzzRegressions, FacMLIR) {
  EXPECT_GT(replay("facMLIR", fac::fuzz::facMLIR), 0);
}
