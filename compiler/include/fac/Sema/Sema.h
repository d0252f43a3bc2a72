//===- Sema.h - Name resolution, types and effects
//-------------------------===//
//
// Checks a parsed module: resolves names through nested scopes, assigns a
// type to every expression, checks calls and operators, and checks that
// every performed effect is bound to a handler (for now, the prelude's).
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SEMA_SEMA_H
#define FAC_SEMA_SEMA_H

#include "fac/AST/AST.h"

namespace fac {

/// An effect of the standard prelude: declared by the library, handled by
/// an intrinsic of every target (docs/LanguageReference.md lists them).
struct PreludeEffect {
  const char *name;
  std::vector<sema::Type::Kind> params;
  sema::Type::Kind result;
};

/// The prelude's effects.
llvm::ArrayRef<PreludeEffect> getPreludeEffects();

/// Checks \p module, reporting errors and warnings through \p source.
/// Returns true when there were no errors.
bool checkModule(ast::Module &module, SourceFile &source);

} // namespace fac

#endif // FAC_SEMA_SEMA_H
