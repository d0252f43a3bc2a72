//===- RuleTable.cpp - The seed's compression rules, read from a file -----===//

#include "fac/Interp/RuleTable.h"

#include "fac/Support/ParseNumber.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cfloat>

using namespace fac;
using namespace fac::interp;

llvm::Expected<RuleTable> interp::readRuleTable(llvm::StringRef path) {
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "rule table '" + path + "': " + why);
  };
  // A regular file of at most 1 GiB: the largest table (4096 rules of
  // 4096 numbers, four rows each) is about 1 GiB of text; a device such as
  // /dev/zero never ends.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return fail(ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return fail("is not a regular file");
  if (status.getSize() > (uint64_t(1) << 30))
    return fail("is over 1 GiB");
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!file)
    return fail(file.getError().message());
  llvm::SmallVector<llvm::StringRef> tokens;
  llvm::SplitString((*file)->getBuffer(), tokens);
  size_t next = 0;
  auto word = [&]() -> std::optional<llvm::StringRef> {
    if (next == tokens.size())
      return std::nullopt;
    return tokens[next++];
  };
  std::optional<llvm::StringRef> magic = word(), version = word();
  if (!magic || *magic != "fac-rules" || !version ||
      (*version != "1" && *version != "2"))
    return fail("does not start with 'fac-rules 1' or 'fac-rules 2'");
  bool learned = *version == "1";
  RuleTable t;
  std::optional<llvm::StringRef> r = word(), d = word();
  std::optional<int64_t> rules =
      r ? parseInteger(r->str(), 0, kMaxTableRules) : std::nullopt;
  std::optional<int64_t> width =
      d ? parseInteger(d->str(), 1, kMaxTableWidth) : std::nullopt;
  if (!rules || !width)
    return fail("the rule count is not an integer from 0 to " +
                llvm::Twine(kMaxTableRules) +
                " followed by a row width from 1 to " +
                llvm::Twine(kMaxTableWidth));
  if (learned) {
    std::optional<llvm::StringRef> tolerance = word();
    if (!tolerance || !parseReal(tolerance->str(), 0, DBL_MAX))
      return fail("the tolerance after the width is not a number >= 0");
  }
  t.rules = *rules;
  t.width = *width;
  int64_t rowsPerRule = learned ? 1 : 4;
  std::vector<float> values;
  for (int64_t i = 0; i < t.rules * rowsPerRule * t.width; ++i) {
    std::optional<llvm::StringRef> w = word();
    if (!w)
      return fail("has " + llvm::Twine(i) + " numbers where its header says " +
                  llvm::Twine(t.rules * rowsPerRule * t.width));
    std::optional<double> x = parseReal(w->str(), -FLT_MAX, FLT_MAX);
    if (!x)
      return fail("'" + *w + "' is not a finite float");
    values.push_back(float(*x));
  }
  if (next != tokens.size())
    return fail("has more numbers than its header says");
  if (!learned) {
    t.rows = std::move(values);
    return t;
  }
  // A centroid is its rule's three patterns and its substitute.
  for (int64_t i = 0; i < t.rules; ++i)
    for (int k = 0; k < 4; ++k)
      t.rows.insert(t.rows.end(), values.begin() + i * t.width,
                    values.begin() + (i + 1) * t.width);
  return t;
}

ValuePtr interp::ruleListValue(const RuleTable &table) {
  std::vector<ValuePtr> rules;
  auto row = [&](int64_t r, int k) {
    auto first = table.rows.begin() + (r * 4 + k) * table.width;
    return Value::tensor({1, table.width},
                         std::vector<float>(first, first + table.width));
  };
  for (int64_t r = 0; r < table.rules; ++r) {
    std::vector<ValuePtr> trees;
    for (int k = 0; k < 3; ++k)
      trees.push_back(Value::record("Node", {row(r, k), Value::list({})}));
    rules.push_back(Value::record(
        "CompressionRule",
        {Value::record("AttentionPattern", std::move(trees)), row(r, 3)}));
  }
  return Value::list(std::move(rules));
}
