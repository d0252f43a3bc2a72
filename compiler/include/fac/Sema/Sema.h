//===- Sema.h - Name resolution, types and effects ------------------------===//
//
// Checks a parsed module against the standard prelude
// (compiler/lib/Sema/Prelude.fac): resolves names through nested scopes,
// infers a type for every expression (Hindley-Milner with let-polymorphism
// and checked generics), checks patterns and their exhaustiveness, binds
// bodiless effects and operators to the prelude, and checks that every
// performed effect is handled in the spec or by the library.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SEMA_SEMA_H
#define FAC_SEMA_SEMA_H

#include "fac/AST/AST.h"

#include "llvm/ADT/ArrayRef.h"

#include <string>

namespace fac {

/// The text of the standard prelude.
llvm::StringRef getPreludeText();

/// Checks \p module, reporting errors and warnings through \p source.
/// \p entries are functions of its concepts compiled as kernels (facc
/// --entry): never reported as unused. Returns true when there were no
/// errors.
bool checkModule(ast::Module &module, SourceFile &source,
                 llvm::ArrayRef<std::string> entries = {});

} // namespace fac

#endif // FAC_SEMA_SEMA_H
