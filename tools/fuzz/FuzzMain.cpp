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
