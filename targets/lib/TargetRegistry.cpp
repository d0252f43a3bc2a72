//===- TargetRegistry.cpp - Targets by name -------------------------------===//

#include "LLVMTarget.h"

#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace fac;

/// The best target this machine can run: the widest x86-64 feature level
/// it has, or AArch64.
static std::string hostTargetName() {
  llvm::Triple host(llvm::sys::getProcessTriple());
  if (host.isAArch64())
    return "aarch64";
  auto features = llvm::sys::getHostCPUFeatures();
  auto has = [&](llvm::StringRef f) { return features.lookup(f); };
  if (has("avx512f") && has("avx512vl") && has("avx512bw") && has("avx512dq"))
    return "x86-64-avx512";
  if (has("avx2") && has("fma"))
    return "x86-64-avx2";
  return "x86-64";
}

std::unique_ptr<TargetInfo> fac::createTarget(llvm::StringRef name) {
  std::string resolved = name == "native" ? hostTargetName() : name.str();
  for (auto *factory :
       {&createX86Target, &createAArch64Target, &createCppTarget})
    if (std::unique_ptr<TargetInfo> target = factory(resolved))
      return target;
  return nullptr;
}

std::vector<std::string> fac::getTargetNames() {
  return {"native", "x86-64", "x86-64-avx2", "x86-64-avx512", "aarch64", "cpp"};
}
