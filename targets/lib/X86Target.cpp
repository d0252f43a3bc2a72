//===- X86Target.cpp - The x86-64 targets ---------------------------------===//
//
// x86-64 (baseline SSE2), x86-64-avx2 (the x86-64-v3 level: AVX2 and FMA)
// and x86-64-avx512 (the x86-64-v4 level, with 512-bit vectors preferred:
// LLVM otherwise keeps to 256 bits on AVX-512 parts).
//
//===----------------------------------------------------------------------===//

#include "LLVMTarget.h"

using namespace fac;

std::unique_ptr<TargetInfo> fac::createX86Target(llvm::StringRef name) {
  const char *triple = "x86_64-unknown-linux-gnu";
  // Lanes and registers of each level's widest vectors; 32 KB L1 and
  // 1 MB L2 per core (Skylake-SP and later server cores).
  if (name == "x86-64")
    return std::make_unique<LLVMTarget>(NativeConfig{
        name.str(), triple, "x86-64", "", 0, {4, 16, 32 << 10, 1 << 20}});
  if (name == "x86-64-avx2")
    return std::make_unique<LLVMTarget>(NativeConfig{
        name.str(), triple, "x86-64-v3", "", 256, {8, 16, 32 << 10, 1 << 20}});
  if (name == "x86-64-avx512")
    return std::make_unique<LLVMTarget>(
        NativeConfig{name.str(),
                     triple,
                     "x86-64-v4",
                     "-prefer-256-bit",
                     512,
                     {16, 32, 32 << 10, 1 << 20}});
  return nullptr;
}
