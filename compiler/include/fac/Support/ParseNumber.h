//===- ParseNumber.h - Strict parsing of numbers given on command lines ---===//
//
// Every number a user types into a FAC tool is parsed here: the whole text
// must be the number (no trailing "x", no "1e3" for an integer, no leading
// space or '+'), it must be in the range the caller allows, and a real
// must be finite. Plain C++, so that the runtime-only tools use it too.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SUPPORT_PARSENUMBER_H
#define FAC_SUPPORT_PARSENUMBER_H

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace fac {

/// All of \p text as a base-10 integer in [lo, hi], or nothing.
inline std::optional<int64_t> parseInteger(std::string_view text, int64_t lo,
                                           int64_t hi) {
  int64_t value = 0;
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < lo ||
      value > hi)
    return std::nullopt;
  return value;
}

/// All of \p text as a finite real in [lo, hi] (decimal or exponent
/// notation), or nothing.
inline std::optional<double> parseReal(std::string_view text, double lo,
                                       double hi) {
  double value = 0;
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end ||
      !std::isfinite(value) || value < lo || value > hi)
    return std::nullopt;
  return value;
}

/// "an integer from lo to hi", for error messages.
inline std::string describeRange(int64_t lo, int64_t hi) {
  return "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
}

/// The value of option \p flag of \p tool, given as \p text, in [lo, hi];
/// reports "<tool>: error: <flag>=<text> is not an integer from lo to hi"
/// otherwise. (LLVM's option parser would also take 010 as 8 and 0x10.)
inline std::optional<int64_t> parseIntegerOption(const char *tool,
                                                 const char *flag,
                                                 const std::string &text,
                                                 int64_t lo, int64_t hi) {
  if (std::optional<int64_t> value = parseInteger(text, lo, hi))
    return value;
  std::fprintf(stderr, "%s: error: %s=%s is not %s\n", tool, flag, text.c_str(),
               describeRange(lo, hi).c_str());
  return std::nullopt;
}

} // namespace fac

#endif // FAC_SUPPORT_PARSENUMBER_H
