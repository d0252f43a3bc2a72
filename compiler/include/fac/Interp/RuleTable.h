//===- RuleTable.h - The seed's compression rules, read from a file -------===//
//
// A `List<CompressionRule>` concept parameter is given at run time as a
// rule table: fac-interp and fac-check read it from a file (`-p
// compressionRules=rules.txt`), and a compiled kernel takes it as an
// R x 4 x d buffer (docs/RuntimeABI.md). Each rule's pattern is three
// leaves, the one-row tensors of its query, key and value trees, and its
// substitute is one row. Two formats (docs/LanguageReference.md):
//
//   fac-rules 1            what fac-learn-rules writes: each centroid is
//   R d tolerance          a rule whose three pattern rows and substitute
//   <R lines of d>         are the centroid (the tolerance is not used:
//                          the prelude's `matches` is within 1e-5)
//
//   fac-rules 2            each rule's query, key and value pattern rows
//   R d                    and its substitute, one line each
//   <4R lines of d>
//
//===----------------------------------------------------------------------===//

#ifndef FAC_INTERP_RULETABLE_H
#define FAC_INTERP_RULETABLE_H

#include "fac/Interp/Interpreter.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace fac::interp {

/// The most rules, and the widest row, a table may have.
inline constexpr int64_t kMaxTableRules = 4096;
inline constexpr int64_t kMaxTableWidth = 4096;

struct RuleTable {
  int64_t rules = 0;
  int64_t width = 0;
  /// rules x 4 x width, row-major: query, key and value pattern rows, then
  /// the substitute.
  std::vector<float> rows;
};

/// Whether \p type is List<CompressionRule>: a parameter given a table.
inline bool isRuleListType(const sema::TypePtr &type) {
  sema::TypePtr t = sema::prune(type);
  return t->isCon("List") &&
         sema::prune(t->getArgs()[0])->isCon("CompressionRule");
}

/// The table in file \p path, or why it is not one.
llvm::Expected<RuleTable> readRuleTable(llvm::StringRef path);

/// \p table as the interpreter's `List<CompressionRule>`: rule r is
/// `CompressionRule(AttentionPattern(Node(q, []), Node(k, []), Node(v,
/// [])), s)`, each a 1 x width tensor.
ValuePtr ruleListValue(const RuleTable &table);

} // namespace fac::interp

#endif // FAC_INTERP_RULETABLE_H
