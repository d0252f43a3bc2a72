//===- HostJIT.h - Kernels compiled in process for this machine -*- C++ -*-===//
//
// What fac-check and fac-run share: a spec's kernels lowered to loops for
// this machine as `facc --target=native` lowers them (the same pipeline,
// -D and --entry), then lowered to the LLVM dialect and JIT-compiled with
// MLIR's ExecutionEngine. The module's context is a SpecContext.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TARGET_HOSTJIT_H
#define FAC_TARGET_HOSTJIT_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>
#include <vector>

namespace fac {

/// Lowers \p module (the fac dialect) in place to loops for this machine,
/// with \p defines bound and \p entries compiled; errors go to the
/// module's context.
mlir::LogicalResult
lowerToLoopsForHost(mlir::ModuleOp module,
                    const std::vector<std::string> &defines,
                    const std::vector<std::string> &entries);

/// Lowers \p loops in place to the LLVM dialect and JIT-compiles it; on
/// failure reports "<tool>: error: ..." and returns null.
std::unique_ptr<mlir::ExecutionEngine> compileForHost(mlir::ModuleOp loops,
                                                      llvm::StringRef tool);

} // namespace fac

#endif // FAC_TARGET_HOSTJIT_H
