//===- FuzzTargets.h - The bodies of FAC's libFuzzer targets --------------===//
//
// Each function takes one input and must return without crashing, hanging,
// leaking or hitting undefined behaviour, whatever the bytes. They are
// compiled into a libFuzzer binary each (FuzzMain.cpp, run by `tools/fac-fuzz`)
// and into the `fac-fuzz-regressions` unit test, which replays the seeds and
// every finding kept in test/unittests/fuzz/Inputs/<target>/ in the normal and
// the sanitized suites.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TOOLS_FUZZ_FUZZTARGETS_H
#define FAC_TOOLS_FUZZ_FUZZTARGETS_H

#include <cstddef>
#include <cstdint>

namespace fac::fuzz {

/// Source text through the parser, Sema, MLIRGen, the fac verifiers and
/// the reference interpreter.
int frontend(const uint8_t *data, size_t size);

/// A llama2.c checkpoint file: load it and, when it loads, run the model
/// on two tokens.
int checkpoint(const uint8_t *data, size_t size);

/// A tokenizer file: 2 bytes of vocabulary size (little endian), 2 bytes
/// of text length, the text, then the file. Load it and, when it loads,
/// encode the text and decode every token.
int tokenizer(const uint8_t *data, size_t size);

/// The integers of a fractal code (8 bytes each, little endian): import
/// them and, when they import, export them again (the same integers) and
/// decode small codes.
int fractalCode(const uint8_t *data, size_t size);

/// `fac` MLIR text as fac-opt reads it: parse and verify.
int facMLIR(const uint8_t *data, size_t size);

} // namespace fac::fuzz

#endif // FAC_TOOLS_FUZZ_FUZZTARGETS_H
