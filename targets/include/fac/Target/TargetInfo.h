//===- TargetInfo.h - The one interface every target implements -*- C++ -*-===//
//
// A target turns a module lowered to loops (the output of the
// fac-lower-to-loops pipeline) into code: LLVM IR, assembly and objects for
// the native targets, C++ source for the portable one. It does so in two
// steps: passes the driver adds to its one pass manager (so that
// --mlir-print-ir-* and --mlir-timing see every pass from the spec down to
// the LLVM dialect), then a writer of what those passes produced. Drivers
// only talk to this interface, so shared code never branches on the target.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TARGET_TARGETINFO_H
#define FAC_TARGET_TARGETINFO_H

#include "fac/Transforms/KernelTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace fac {

/// What a target is asked to write.
enum class EmitKind { LLVMIR, Assembly, Object, CppSource };

class TargetInfo {
public:
  virtual ~TargetInfo();

  /// The name given to --target.
  virtual llvm::StringRef getName() const = 0;

  /// Whether the target can write \p kind.
  virtual bool supports(EmitKind kind) const = 0;

  /// The vector lanes, registers and caches the lowering tiles the
  /// kernels for (the pipeline's LoweringOptions::target).
  virtual KernelTarget getKernelTarget() const = 0;

  /// Adds the passes that take a module at the loop level to the module
  /// emit() writes (for the native targets, the LLVM dialect). None for
  /// C++ source, which is written from the loops.
  virtual void buildCodegenPipeline(mlir::OpPassManager &pm) const {}

  /// Writes the kernels of \p module, the output of buildCodegenPipeline,
  /// as \p kind. \p optLevel is 0-3. The module is not modified. Errors are
  /// reported through the module's context.
  virtual mlir::LogicalResult emit(mlir::ModuleOp module, EmitKind kind,
                                   unsigned optLevel,
                                   llvm::raw_pwrite_stream &os) const = 0;
};

/// The target called \p name, or null when there is none.
std::unique_ptr<TargetInfo> createTarget(llvm::StringRef name);

/// The names createTarget accepts.
std::vector<std::string> getTargetNames();

/// Writes the C header declaring the entry points of the kernels of
/// \p loops; the same header serves every target.
mlir::LogicalResult emitCHeader(mlir::ModuleOp loops, llvm::StringRef guardName,
                                llvm::raw_ostream &os);

/// Registers the MLIR-to-LLVM-IR translations the native targets need.
void registerTargetTranslations(mlir::DialectRegistry &registry);

/// Adds the passes every native target runs from the loop level to the LLVM
/// dialect a translation to LLVM IR takes: a check that every kernel has a
/// C type for each parameter, the loops-to-LLVM pipeline, and the removal
/// of the attributes only FAC reads.
void buildLoopsToLLVMDialectPipeline(mlir::OpPassManager &pm);

/// Runs buildLoopsToLLVMDialectPipeline on \p loops in place (for a JIT).
mlir::LogicalResult lowerLoopsToLLVMDialect(mlir::ModuleOp loops);

} // namespace fac

#endif // FAC_TARGET_TARGETINFO_H
