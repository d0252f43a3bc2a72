//===- FrontendFuzzer.cpp - libFuzzer target over the front end
//------------===//
//
// Feeds arbitrary bytes to the parser and, when they parse, to Sema: no
// input may crash, hang or leak. Built and run by tools/fuzz-frontend.
//
//===----------------------------------------------------------------------===//

#include "fac/AST/ASTBuilder.h"
#include "fac/Sema/Sema.h"

#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.fac");
  fac::SourceFile source(std::move(buffer));
  source.setQuiet(true);
  if (std::unique_ptr<fac::ast::Module> module = fac::parseModule(source))
    fac::checkModule(*module, source);
  return 0;
}
