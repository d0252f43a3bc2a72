//===- TargetRegistry.cpp - Targets by name --------------------------------===//

#include "LLVMTarget.h"

using namespace fac;

std::unique_ptr<TargetInfo> fac::createTarget(llvm::StringRef name) {
  for (auto *factory : {&createX86Target, &createAArch64Target,
                        &createCppTarget})
    if (std::unique_ptr<TargetInfo> target = factory(name))
      return target;
  return nullptr;
}

std::vector<std::string> fac::getTargetNames() {
  return {"x86-64", "x86-64-avx2", "x86-64-avx512", "aarch64", "cpp"};
}
