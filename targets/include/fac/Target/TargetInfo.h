//===- TargetInfo.h - The one interface every target implements -*- C++ -*-===//
//
// A target turns a module lowered to loops (the output of the
// fac-lower-to-loops pipeline) into code: LLVM IR, assembly and objects for
// the native targets, C++ source for the portable one. Drivers only talk to
// this interface, so shared code never branches on the target.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TARGET_TARGETINFO_H
#define FAC_TARGET_TARGETINFO_H

#include "fac/Transforms/KernelTarget.h"

#include "mlir/IR/BuiltinOps.h"
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

  /// Writes the kernels of \p loops, a module at the loop level, as \p kind.
  /// \p optLevel is 0-3. The module is not modified. Errors are reported
  /// through the module's context.
  virtual mlir::LogicalResult emit(mlir::ModuleOp loops, EmitKind kind,
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

/// Lowers \p loops (kernels at the loop level) in place to the LLVM dialect
/// a translation to LLVM IR takes, as every native target does: the
/// loops-to-LLVM pipeline, without the attributes only FAC reads.
mlir::LogicalResult lowerLoopsToLLVMDialect(mlir::ModuleOp loops);

} // namespace fac

#endif // FAC_TARGET_TARGETINFO_H
