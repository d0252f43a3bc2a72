//===- HostJIT.cpp - Kernels compiled in process for this machine ---------===//

#include "fac/Target/HostJIT.h"
#include "fac/Target/TargetInfo.h"
#include "fac/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/TargetSelect.h"

using namespace mlir;
using namespace fac;

LogicalResult
fac::lowerToLoopsForHost(ModuleOp module,
                         const std::vector<std::string> &defines,
                         const std::vector<std::string> &entries) {
  std::unique_ptr<TargetInfo> target = createTarget("native");
  PassManager pm(module.getContext());
  buildLowerToLoopsPipeline(pm, LoweringOptions{0, target->getKernelTarget(),
                                                defines, entries,
                                                /*memoryLimit=*/0,
                                                /*printMemoryPlan=*/false,
                                                /*bounds=*/{}});
  return pm.run(module);
}

std::unique_ptr<ExecutionEngine> fac::compileForHost(ModuleOp loops,
                                                     llvm::StringRef tool) {
  if (failed(lowerLoopsToLLVMDialect(loops)))
    return nullptr;
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  ExecutionEngineOptions options;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(loops, options);
  if (!engine) {
    llvm::errs() << tool << ": error: cannot compile the kernels: "
                 << llvm::toString(engine.takeError()) << "\n";
    return nullptr;
  }
  return std::move(*engine);
}
