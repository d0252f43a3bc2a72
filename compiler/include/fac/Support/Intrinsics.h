//===- Intrinsics.h - The prelude's intrinsics by name ----------*- C++ -*-===//
//-*-===//
//
// fac::Intrinsic: one enumerator per row of Intrinsics.def, so that Sema,
// the interpreter and the passes name intrinsics the compiler checks
// instead of strings. `rows` and `concat` are also the forms MLIR
// generation gives `t[a:b]` and `++`.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SUPPORT_INTRINSICS_H
#define FAC_SUPPORT_INTRINSICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSwitch.h"

#include <optional>

namespace fac {

enum class Intrinsic {
#define FAC_INTRINSIC(Enum, name, lowering) Enum,
#include "fac/Support/Intrinsics.def"
  /// `t[a:b]` of a tensor (MLIR generation's form; not in the prelude).
  Rows,
};

/// The intrinsic called \p name, if it is one.
inline std::optional<Intrinsic> lookupIntrinsic(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Intrinsic>>(name)
#define FAC_INTRINSIC(Enum, text, lowering) .Case(text, Intrinsic::Enum)
#include "fac/Support/Intrinsics.def"
      .Case("rows", Intrinsic::Rows)
      .Default(std::nullopt);
}

/// Where kernels get an intrinsic (Intrinsics.def's third column).
enum class Lowering {
  Scalar,
  Lists,
  Algebra,
  Product,
  Trees,
  Weights,
  Draws,
  Interpreter
};

/// Where kernels get \p intrinsic.
inline Lowering loweringOf(Intrinsic intrinsic) {
  switch (intrinsic) {
#define FAC_INTRINSIC(Enum, name, lowering)                                    \
  case Intrinsic::Enum:                                                        \
    return Lowering::lowering;
#include "fac/Support/Intrinsics.def"
  case Intrinsic::Rows:
    return Lowering::Algebra;
  }
  return Lowering::Interpreter;
}

/// Whether \p name is an intrinsic kernels get from \p lowering.
inline bool isLoweredBy(llvm::StringRef name, Lowering lowering) {
  std::optional<Intrinsic> intrinsic = lookupIntrinsic(name);
  return intrinsic && loweringOf(*intrinsic) == lowering;
}

/// The prelude's names of the intrinsics, in the table's order.
inline constexpr const char *kIntrinsicNames[] = {
#define FAC_INTRINSIC(Enum, name, lowering) name,
#include "fac/Support/Intrinsics.def"
};

} // namespace fac

#endif // FAC_SUPPORT_INTRINSICS_H
