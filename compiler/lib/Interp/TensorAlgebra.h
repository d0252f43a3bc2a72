//===- TensorAlgebra.h - The interpreter's tensor intrinsics ----*- C++ -*-===//
//
// The rules of the prelude's tensor algebra (Prelude.fac, "Tensor
// algebra"; docs/LanguageReference.md): elementwise functions, broadcasting
// arithmetic, reductions, softmax, transpose, reshape, row slices, gathers,
// concatenation, top-k and int8 codes. Each is a function of values that
// either gives a value or says why it cannot; the interpreter reports that
// at the call.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_LIB_INTERP_TENSORALGEBRA_H
#define FAC_LIB_INTERP_TENSORALGEBRA_H

#include "fac/Interp/Interpreter.h"

#include "llvm/ADT/StringRef.h"

#include <initializer_list>
#include <string>
#include <vector>

namespace fac::interp {

/// "'what' of x, y is not a number": the error where a rule (an operator,
/// a function of Floats, the algebra) makes a NaN of numbers.
std::string notANumber(llvm::StringRef what, std::initializer_list<double> in);

/// A value, or the reason there is none.
struct TensorResult {
  ValuePtr value;
  std::string error;
  static TensorResult fail(std::string why) {
    return {nullptr, std::move(why)};
  }
};

/// Whether \p v is an Int8Tensor: a record of its shape and its codes
/// (`quantize`'s result), which the interpreter holds as any record.
bool isInt8Tensor(const ValuePtr &v);

/// Whether \p name with \p args is a tensor intrinsic (some names are also
/// functions of Floats: `exp(x)` is not, `exp(t)` is).
bool isTensorIntrinsic(llvm::StringRef name, const std::vector<ValuePtr> &args);

/// Evaluates tensor intrinsic \p name (isTensorIntrinsic) on \p args.
TensorResult tensorIntrinsic(llvm::StringRef name,
                             const std::vector<ValuePtr> &args);

/// `a op b` for op in + - * /, with at least one tensor: two tensors of one
/// rank broadcast (each dimension equal, or 1 on one side); a number
/// applies to every element.
TensorResult tensorArithmetic(llvm::StringRef op, const ValuePtr &a,
                              const ValuePtr &b);

/// `t[lo:hi]`: the rows from lo to hi, clamped as list slices are.
TensorResult tensorRows(const Value &t, int64_t lo, int64_t hi);

} // namespace fac::interp

#endif // FAC_LIB_INTERP_TENSORALGEBRA_H
