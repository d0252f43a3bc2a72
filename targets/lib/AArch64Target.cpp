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
  // 128-bit NEON, 32 registers; the caches of a Neoverse-N1 core (64 KB
  // L1 data, 1 MB L2).
  return std::make_unique<LLVMTarget>(NativeConfig{name.str(),
                                                   "aarch64-unknown-linux-gnu",
                                                   "generic",
                                                   "+neon",
                                                   0,
                                                   {4, 32, 64 << 10, 1 << 20}});
}
