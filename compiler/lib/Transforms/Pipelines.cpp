//===- Pipelines.cpp - The named lowering pipelines -----------------------===//
//
// The pipelines facc runs and fac-opt exposes as `fac-lower-to-loops` and
// `fac-lower-to-llvm`, so that every lit test can replay what facc does.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void fac::buildLowerToLoopsPipeline(OpPassManager &pm,
                                    const LoweringOptions &options) {
  FacSpecializeOptions specialize;
  specialize.defines = options.defines;
  pm.addPass(createFacSpecialize(specialize));
  pm.addPass(createFacMakeWeights());
  FacOutlineKernelsOptions outline;
  outline.entries = options.entries;
  pm.addPass(createFacOutlineKernels(outline));
  pm.addPass(createFacLowerWeights());
  pm.addPass(createFacLowerTrees());
  pm.addPass(createFacBindPrelude());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createFacBufferize(FacBufferizeOptions{options.keyTile}));
  pm.addPass(createFacLayerEntry());
  pm.addPass(createFacKernelStatus());
  const KernelTarget &target = options.target;
  pm.addPass(createConvertFACToVector(
      ConvertFACToVectorOptions{target.vectorLanes, target.vectorRegisters,
                                target.l1Bytes, target.l2Bytes}));
  pm.addPass(createFacApproximateMath());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  FacPlanMemoryOptions memory;
  memory.limit = options.memoryLimit;
  memory.print = options.printMemoryPlan;
  memory.bounds = options.bounds;
  pm.addPass(createFacPlanMemory(memory));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void fac::buildLoopsToLLVMPipeline(OpPassManager &pm) {
  // Parallel loops become OpenMP work-sharing loops (LLVM's OpenMP
  // runtime, libomp), their teams sized by the kernel's thread argument.
  pm.addPass(createConvertSCFToOpenMPPass());
  pm.addPass(createFacSetNumThreads());
  // The conversion wraps each loop body in a memref.alloca_scope; the
  // kernels allocate no stack there, so the canonicalizer inlines it
  // (SCF-to-CF could not lower its multi-block body otherwise).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertMathToLLVMPass());
  // Horizontal sums (the decode path's dot products) as a tree of adds.
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  // Views (a tensor's rows) as offsets and strides of their buffer.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

namespace {
struct PipelineOptions : public PassPipelineOptions<PipelineOptions> {
  Option<int64_t> keyTile{
      *this, "key-tile",
      llvm::cl::desc("Keys per online-softmax step (0: from the L1 size)"),
      llvm::cl::init(0)};
  Option<int64_t> lanes{*this, "lanes",
                        llvm::cl::desc("f32 lanes per vector register"),
                        llvm::cl::init(8)};
  Option<int64_t> registers{*this, "registers",
                            llvm::cl::desc("Vector registers"),
                            llvm::cl::init(16)};
  Option<int64_t> l1Bytes{*this, "l1-bytes",
                          llvm::cl::desc("L1 data cache per core, in bytes"),
                          llvm::cl::init(32 * 1024)};
  Option<int64_t> l2Bytes{*this, "l2-bytes",
                          llvm::cl::desc("L2 cache per core, in bytes"),
                          llvm::cl::init(1024 * 1024)};
  ListOption<std::string> defines{
      *this, "defines",
      llvm::cl::desc("Concept parameters bound at compile time (name=value)")};
  ListOption<std::string> entries{
      *this, "entries",
      llvm::cl::desc("Functions compiled as kernels besides the exports")};
  Option<int64_t> memoryLimit{
      *this, "memory-limit",
      llvm::cl::desc("Bytes a kernel's workspace may hold (0: no limit)"),
      llvm::cl::init(0)};
  Option<bool> printMemoryPlan{
      *this, "print-memory-plan",
      llvm::cl::desc("Print each kernel's memory plan to stdout"),
      llvm::cl::init(false)};
  ListOption<std::string> bounds{
      *this, "bounds",
      llvm::cl::desc("Largest shapes of kernel parameters (name=RxC)")};
  fac::LoweringOptions get() const {
    return {keyTile,
            {lanes, registers, l1Bytes, l2Bytes},
            {defines.begin(), defines.end()},
            {entries.begin(), entries.end()},
            memoryLimit,
            printMemoryPlan,
            {bounds.begin(), bounds.end()}};
  }
};
} // namespace

void fac::registerPipelines() {
  PassPipelineRegistration<PipelineOptions>(
      "fac-lower-to-loops",
      "Lower the fac dialect to scf/vector/arith/math/memref loops over "
      "buffers",
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
