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
  std::string name; ///< From the spec; `argN` when it has none.
  /// `float`, `int32_t`, `int64_t` or a descriptor pointer
  /// (`fac_memref2d_f32 *`, ...).
  std::string cType;
  bool isBuffer;
  int64_t rank = 0; ///< Of a buffer.
  /// The trailing workspace (fac-plan-memory): the C wrapper takes it as
  /// `void *workspace, int64_t workspace_bytes`.
  bool isWorkspace = false;
};

struct KernelABI {
  std::string name;   ///< The kernel function, `<Concept>_<slot>`.
  std::string symbol; ///< The C entry point, `_mlir_ciface_<name>`.
  std::vector<KernelParam> params;
  /// Whether it returns a `facrt_status` (after fac-kernel-status); else
  /// `void`.
  bool returnsStatus = false;
  /// Whether it is a kernel's workspace-size function (returns int64_t).
  bool returnsSize = false;
  /// The C type of the result.
  const char *returnCType() const {
    return returnsStatus ? "facrt_status" : (returnsSize ? "int64_t" : "void");
  }
};

/// The C interface of \p func, a kernel after fac-bufferize. Reports an
/// error on the function and fails when a parameter has no C type.
mlir::FailureOr<KernelABI> getKernelABI(mlir::func::FuncOp func);

/// The C type of a scalar, or an empty string.
std::string getScalarCType(mlir::Type type);

/// The descriptor pointer type of a buffer (`fac_memref<R>d_f32 *` for
/// R = 1-3, `fac_memref1d_i64 *`), or an empty string.
std::string getBufferCType(mlir::MemRefType type);

} // namespace fac

#endif // FAC_TARGETS_KERNELABI_H
