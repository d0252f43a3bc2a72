//===- Pipelines.cpp - The named lowering pipelines -----------------------===//
//
// The pipelines facc runs and fac-opt exposes as `fac-lower-to-loops` and
// `fac-lower-to-llvm`, so that every lit test can replay what facc does.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void fac::buildLowerToLoopsPipeline(OpPassManager &pm,
                                    const LoweringOptions &options) {
  pm.addPass(createFacOutlineKernels());
  pm.addPass(createFacBindPrelude());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createFacBufferize(FacBufferizeOptions{options.keyTile}));
  pm.addPass(createConvertFACToSCF());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void fac::buildLoopsToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

namespace {
struct PipelineOptions : public PassPipelineOptions<PipelineOptions> {
  Option<int64_t> keyTile{*this, "key-tile",
                          llvm::cl::desc("Keys per online-softmax step"),
                          llvm::cl::init(64)};
  fac::LoweringOptions get() const { return {keyTile}; }
};
} // namespace

void fac::registerPipelines() {
  PassPipelineRegistration<PipelineOptions>(
      "fac-lower-to-loops",
      "Lower the fac dialect to scf/arith/math/memref loops over buffers",
      [](OpPassManager &pm, const PipelineOptions &options) {
        buildLowerToLoopsPipeline(pm, options.get());
      });
  PassPipelineRegistration<PipelineOptions>(
      "fac-lower-to-llvm", "Lower the fac dialect to the LLVM dialect",
      [](OpPassManager &pm, const PipelineOptions &options) {
        buildLowerToLoopsPipeline(pm, options.get());
        buildLoopsToLLVMPipeline(pm);
      });
}
