//===- Passes.h - FAC passes and pipelines ----------------------*- C++ -*-===//
//
// Declarations of every FAC pass (generated from Passes.td) and of the named
// pipelines that facc and fac-opt share.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TRANSFORMS_PASSES_H
#define FAC_TRANSFORMS_PASSES_H

#include "fac/Transforms/KernelTarget.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
namespace arith {
class ArithDialect;
}
namespace func {
class FuncDialect;
}
namespace math {
class MathDialect;
}
namespace memref {
class MemRefDialect;
}
namespace scf {
class SCFDialect;
}
namespace vector {
class VectorDialect;
}
namespace omp {
class OpenMPDialect;
}
class RewritePatternSet;
} // namespace mlir

namespace fac {

#define GEN_PASS_DECL
#include "fac/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "fac/Transforms/Passes.h.inc"

/// The conversion of fac.attention to the fused vector kernel, tiled for
/// \p target (the patterns of convert-fac-to-vector).
void populateFACToVectorPatterns(mlir::RewritePatternSet &patterns,
                                 const KernelTarget &target);

/// fac-specialize's folds of values built in the IR: fields, matches and
/// destructurings of `fac.construct`, accesses to list literals.
void populateDataFoldPatterns(mlir::RewritePatternSet &patterns);

/// Parses a `--bound` value, `name=N` (an integer parameter's value,
/// |N| <= 2^40) or `name=RxC` / `name=HxRxC` (a buffer's sizes, 0 to 2^40
/// each): false with \p problem set when it is not one.
bool parseBound(llvm::StringRef text, std::string &name,
                llvm::SmallVectorImpl<int64_t> &sizes, std::string &problem);

/// Options of the lowering pipelines.
struct LoweringOptions {
  /// Keys scored per online-softmax step of fac.attention; 0: sized to
  /// the target's L1 cache.
  int64_t keyTile = 0;
  /// What the kernels are tiled for.
  KernelTarget target;
  /// Concept parameters bound at compile time, as `name=value`.
  std::vector<std::string> defines;
  /// Functions of a concept compiled as kernels besides its exports.
  std::vector<std::string> entries;
  /// Bytes a kernel's workspace may hold at most; 0: no limit.
  int64_t memoryLimit = 0;
  /// Print each kernel's memory plan to stdout.
  bool printMemoryPlan = false;
  /// Largest shapes of the kernels' parameters (`name=RxC`, `name=N`).
  std::vector<std::string> bounds;
};

/// fac dialect (as MLIRGen emits it) down to scf/arith/math/memref loops
/// over buffers: the level the C++ emitter and the C header read.
void buildLowerToLoopsPipeline(mlir::OpPassManager &pm,
                               const LoweringOptions &options);

/// Loops down to the LLVM dialect, ready for translation to LLVM IR.
void buildLoopsToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers the named pipelines `fac-lower-to-loops` and
/// `fac-lower-to-llvm` with the global pass registry.
void registerPipelines();

} // namespace fac

#endif // FAC_TRANSFORMS_PASSES_H
