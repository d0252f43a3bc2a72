//===- LLVMTarget.h - Shared code of the native targets ---------*- C++ -*-===//
//
// The native targets differ only in triple, CPU, features and preferred
// vector width; the path loops -> LLVM dialect -> LLVM IR -> optimized
// LLVM IR -> assembly or object is this one class.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TARGETS_LLVMTARGET_H
#define FAC_TARGETS_LLVMTARGET_H

#include "fac/Target/TargetInfo.h"

namespace fac {

/// How LLVM is told to generate code for a native target.
struct NativeConfig {
  std::string name;
  std::string triple;
  std::string cpu;
  std::string features;
  /// When non-zero, the `prefer-vector-width` given to every function.
  unsigned preferVectorWidth = 0;
  /// What the kernels are tiled for.
  KernelTarget kernel;
};

class LLVMTarget : public TargetInfo {
public:
  explicit LLVMTarget(NativeConfig config) : config(std::move(config)) {}

  llvm::StringRef getName() const override { return config.name; }
  bool supports(EmitKind kind) const override {
    return kind != EmitKind::CppSource;
  }
  KernelTarget getKernelTarget() const override { return config.kernel; }
  void buildCodegenPipeline(mlir::OpPassManager &pm) const override {
    buildLoopsToLLVMDialectPipeline(pm);
  }
  mlir::LogicalResult emit(mlir::ModuleOp module, EmitKind kind,
                           unsigned optLevel,
                           llvm::raw_pwrite_stream &os) const override;

private:
  NativeConfig config;
};

/// The x86-64 targets: baseline, AVX2 and AVX-512.
std::unique_ptr<TargetInfo> createX86Target(llvm::StringRef name);
/// The AArch64 target with NEON.
std::unique_ptr<TargetInfo> createAArch64Target(llvm::StringRef name);
/// The portable C++ source target.
std::unique_ptr<TargetInfo> createCppTarget(llvm::StringRef name);

} // namespace fac

#endif // FAC_TARGETS_LLVMTARGET_H
