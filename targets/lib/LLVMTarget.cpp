//===- LLVMTarget.cpp - Shared code of the native targets -----------------===//

#include "LLVMTarget.h"
#include "KernelABI.h"

#include "fac/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <mutex>

using namespace mlir;
using namespace fac;

TargetInfo::~TargetInfo() = default;

void fac::registerTargetTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

namespace {

void initializeLLVMTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64Target();
    LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64AsmPrinter();
  });
}

/// Runs LLVM's default -O<level> pipeline, which vectorises for \p tm.
void optimize(llvm::Module &module, llvm::TargetMachine &tm,
              unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  static const llvm::OptimizationLevel levels[] = {
      llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1,
      llvm::OptimizationLevel::O2, llvm::OptimizationLevel::O3};
  llvm::OptimizationLevel level = levels[std::min(optLevel, 3u)];
  llvm::ModulePassManager mpm = optLevel == 0
                                    ? pb.buildO0DefaultPipeline(level)
                                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

} // namespace

namespace {

/// Checks that every kernel fits the one C header (every target's objects
/// do: a kernel whose parameters have no C type is refused here as by the
/// header), then drops the argument attributes only the C header, the C++
/// emitter and FAC's tools read.
struct PrepareKernelsForLLVM
    : public PassWrapper<PrepareKernelsForLLVM, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PrepareKernelsForLLVM)
  StringRef getName() const override { return "PrepareKernelsForLLVM"; }
  StringRef getArgument() const override {
    return "fac-prepare-kernels-for-llvm";
  }
  StringRef getDescription() const override {
    return "Check the kernels' C ABI and drop FAC's argument attributes";
  }
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func->hasAttr("fac.kernel") && failed(getKernelABI(func)))
        return signalPassFailure();
    getOperation()->walk([](func::FuncOp func) {
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
        func.removeArgAttr(i, "fac.name");
        func.removeArgAttr(i, "fac.head");
      }
    });
  }
};

/// Drops `fac.threads`, which marked the thread argument for
/// fac-set-num-threads and means nothing to LLVM.
struct DropThreadMarkers
    : public PassWrapper<DropThreadMarkers, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(DropThreadMarkers)
  StringRef getName() const override { return "DropThreadMarkers"; }
  StringRef getArgument() const override { return "fac-drop-thread-markers"; }
  StringRef getDescription() const override {
    return "Drop the fac.threads argument attribute";
  }
  void runOnOperation() override {
    auto name = StringAttr::get(&getContext(), "fac.threads");
    getOperation()->walk([&](LLVM::LLVMFuncOp func) {
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        func.removeArgAttr(i, name);
    });
  }
};

} // namespace

void fac::buildLoopsToLLVMDialectPipeline(OpPassManager &pm) {
  pm.addPass(std::make_unique<PrepareKernelsForLLVM>());
  buildLoopsToLLVMPipeline(pm);
  pm.addPass(std::make_unique<DropThreadMarkers>());
}

LogicalResult fac::lowerLoopsToLLVMDialect(ModuleOp loops) {
  PassManager pm(loops.getContext());
  buildLoopsToLLVMDialectPipeline(pm);
  return pm.run(loops);
}

LogicalResult LLVMTarget::emit(ModuleOp module, EmitKind kind,
                               unsigned optLevel,
                               llvm::raw_pwrite_stream &os) const {
  Location loc = module.getLoc();
  if (!supports(kind))
    return emitError(loc, "target '")
           << config.name << "' cannot emit C++ source";
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "fac");
  if (!llvmModule)
    return emitError(loc, "cannot translate the module to LLVM IR");

  initializeLLVMTargets();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(config.triple, error);
  if (!target)
    return emitError(loc, "no LLVM target for '")
           << config.triple << "': " << error;
  static const llvm::CodeGenOptLevel codegenLevels[] = {
      llvm::CodeGenOptLevel::None, llvm::CodeGenOptLevel::Less,
      llvm::CodeGenOptLevel::Default, llvm::CodeGenOptLevel::Aggressive};
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      config.triple, config.cpu, config.features, llvm::TargetOptions(),
      llvm::Reloc::PIC_, std::nullopt, codegenLevels[std::min(optLevel, 3u)]));
  if (!tm)
    return emitError(loc, "cannot create a target machine for '")
           << config.triple << "'";
  llvmModule->setDataLayout(tm->createDataLayout());
  llvmModule->setTargetTriple(config.triple);
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", config.cpu);
    f.addFnAttr("target-features", config.features);
    if (config.preferVectorWidth)
      f.addFnAttr("prefer-vector-width",
                  std::to_string(config.preferVectorWidth));
  }
  optimize(*llvmModule, *tm, optLevel);

  if (kind == EmitKind::LLVMIR) {
    llvmModule->print(os, nullptr);
    return success();
  }
  llvm::legacy::PassManager codegen;
  auto fileType = kind == EmitKind::Object
                      ? llvm::CodeGenFileType::ObjectFile
                      : llvm::CodeGenFileType::AssemblyFile;
  if (tm->addPassesToEmitFile(codegen, os, nullptr, fileType))
    return emitError(loc, "target '")
           << config.name << "' cannot emit this file type";
  codegen.run(*llvmModule);
  return success();
}
