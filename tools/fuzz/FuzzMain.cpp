//===- FuzzMain.cpp - One libFuzzer entry point per fuzz target -----------===//
//
// Compiled once per target with FAC_FUZZ_TARGET naming its function in
// FuzzTargets.h.
//
//===----------------------------------------------------------------------===//

#include "FuzzTargets.h"

#ifndef FAC_FUZZ_TARGET
#error "define FAC_FUZZ_TARGET to a function of FuzzTargets.h"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fac::fuzz::FAC_FUZZ_TARGET(data, size);
}

/// LLVM's BumpPtrAllocator poisons and unpoisons its slabs by hand when it
/// is compiled with AddressSanitizer. Ours is (inlined from the headers),
/// Debian's libMLIR.so is not: memory libMLIR hands out from a slab our
/// code poisoned reads as "use-after-poison" (the facMLIR target's first
/// run reported it in MLIR's type parser). Manual poisoning is off; ASan's
/// own checks are not affected.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}
