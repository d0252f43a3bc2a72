//===- AArch64Target.cpp - The AArch64 target -----------------------------===//
//
// AArch64 Linux with NEON (Advanced SIMD), the baseline of every ARMv8-A
// core: objects link with the aarch64-linux-gnu toolchain.
//
//===----------------------------------------------------------------------===//

#include "LLVMTarget.h"

using namespace fac;

std::unique_ptr<TargetInfo> fac::createAArch64Target(llvm::StringRef name) {
  if (name != "aarch64")
    return nullptr;
  return std::make_unique<LLVMTarget>(NativeConfig{
      name.str(), "aarch64-unknown-linux-gnu", "generic", "+neon", 0});
}
