//===- Values.h - What the evaluator uses of Values.cpp ---------*- C++ -*-===//
//
// Helpers on the interpreter's values that Values.cpp defines for the
// evaluator besides the public ones of fac/Interp/Interpreter.h.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_LIB_INTERP_VALUES_H
#define FAC_LIB_INTERP_VALUES_H

#include "fac/Interp/Interpreter.h"

#include <cstdint>
#include <vector>

namespace fac::interp {

/// The leaves of a tree in order: their tensors' rows (appended to
/// \p rows) and each row's multiplicity. Returns the rows' width, or -1
/// when the leaves' tensors have different widths.
int64_t collectLeaves(const ValuePtr &tree, std::vector<float> &rows,
                      std::vector<int64_t> &weights);

} // namespace fac::interp

#endif // FAC_LIB_INTERP_VALUES_H
