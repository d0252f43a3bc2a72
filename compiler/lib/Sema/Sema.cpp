//===- Sema.cpp - Name resolution, types and effects ----------------------===//
//
// The prelude, parsed and checked once per process, and the entry point.
// The checker itself is declared in Checker.h.
//
//===----------------------------------------------------------------------===//

#include "fac/Sema/Sema.h"

#include "Checker.h"

#include "fac/AST/ASTBuilder.h"

#include "llvm/Support/MemoryBuffer.h"

using namespace fac;
using namespace fac::ast;
using namespace fac::sema;

llvm::StringRef fac::getPreludeText() {
  static const char text[] = {
#include "PreludeText.inc"
  };
  return llvm::StringRef(text, sizeof(text) - 1);
}

namespace {

/// The prelude, parsed and checked once per process.
struct Prelude {
  std::unique_ptr<SourceFile> source;
  std::unique_ptr<Module> module;
  Tables tables;
  bool ok = false;
};

const Prelude &getPrelude() {
  static Prelude prelude = [] {
    Prelude p;
    p.source = std::make_unique<SourceFile>(llvm::MemoryBuffer::getMemBuffer(
        getPreludeText(), "<prelude>", /*RequiresNullTerminator=*/false));
    p.module = parseModule(*p.source);
    if (!p.module)
      return p;
    Checker checker(*p.source, Tables(), /*isPrelude=*/true);
    p.ok = checker.run(*p.module);
    p.tables = std::move(checker.getTables());
    return p;
  }();
  return prelude;
}

} // namespace

bool fac::checkModule(Module &module, SourceFile &source,
                      llvm::ArrayRef<std::string> entries) {
  const Prelude &prelude = getPrelude();
  if (!prelude.ok) {
    source.error({1, 1}, "internal error: the prelude does not check");
    return false;
  }
  return Checker(source, prelude.tables, /*isPrelude=*/false, entries)
      .run(module);
}
