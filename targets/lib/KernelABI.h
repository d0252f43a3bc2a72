//===- KernelABI.h - The C entry point of a kernel --------------*- C++ -*-===//
//
// Describes how a kernel function (after fac-bufferize) is called from C:
// the symbol and each parameter's C type. The C header and the C++ emitter
// both read it, so that the header fits every target's objects.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TARGETS_KERNELABI_H
#define FAC_TARGETS_KERNELABI_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace fac {

struct KernelParam {
  std::string name;  ///< From the spec; `argN` when it has none.
  std::string cType; ///< `float`, `int64_t` or `fac_memref2d_f32 *`.
  bool isBuffer;
};

struct KernelABI {
  std::string name;   ///< The kernel function, `<Concept>_<slot>`.
  std::string symbol; ///< The C entry point, `_mlir_ciface_<name>`.
  std::vector<KernelParam> params;
};

/// The C interface of \p func, a kernel after fac-bufferize. Reports an
/// error on the function and fails when a parameter has no C type.
mlir::FailureOr<KernelABI> getKernelABI(mlir::func::FuncOp func);

/// The C type of a scalar, or an empty string.
std::string getScalarCType(mlir::Type type);

} // namespace fac

#endif // FAC_TARGETS_KERNELABI_H
