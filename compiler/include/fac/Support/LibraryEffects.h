//===- LibraryEffects.h - The prelude's library effects ---------*- C++ -*-===//
//
// fac::LibraryEffect: one enumerator per row of LibraryEffects.def (an
// effect overload the library handles), so that Sema, the interpreter and
// fac-bind-prelude name the overload a perform resolved to instead of
// comparing effect names and argument counts. (The passes that lower
// effects before fac-bind-prelude, fac-specialize, fac-lower-trees and
// fac-lower-weights, still match performs by name and operand types.)
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SUPPORT_LIBRARYEFFECTS_H
#define FAC_SUPPORT_LIBRARYEFFECTS_H

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace fac {

enum class LibraryEffect {
#define FAC_LIBRARY_EFFECT(Enum, name, type, lowering) Enum,
#include "fac/Support/LibraryEffects.def"
};

/// Where kernels get a library effect (LibraryEffects.def's last column).
enum class EffectLowering { Attention, Trees, Weights, Specialize };

struct LibraryEffectInfo {
  LibraryEffect effect;
  const char *id; ///< The enumerator's name: `AttendHooks`.
  const char *name;
  const char *type;
  EffectLowering lowering;
};

/// The table's rows, in order.
inline constexpr LibraryEffectInfo kLibraryEffects[] = {
#define FAC_LIBRARY_EFFECT(Enum, name, type, lowering)                         \
  {LibraryEffect::Enum, #Enum, name, type, EffectLowering::lowering},
#include "fac/Support/LibraryEffects.def"
};

/// The row of effect \p name at \p type (as Sema prints types), if any.
inline const LibraryEffectInfo *lookupLibraryEffect(llvm::StringRef name,
                                                    llvm::StringRef type) {
  for (const LibraryEffectInfo &info : kLibraryEffects)
    if (name == info.name && type == info.type)
      return &info;
  return nullptr;
}

/// The row of \p effect.
inline const LibraryEffectInfo &getLibraryEffect(LibraryEffect effect) {
  return kLibraryEffects[static_cast<size_t>(effect)];
}

/// The passes that give kernels the effects of \p lowering.
inline const char *getEffectLoweringPasses(EffectLowering lowering) {
  switch (lowering) {
  case EffectLowering::Attention:
    return "fac-bind-prelude";
  case EffectLowering::Trees:
    return "fac-lower-trees";
  case EffectLowering::Weights:
    return "fac-make-weights and fac-lower-weights";
  case EffectLowering::Specialize:
    return "fac-specialize";
  }
  return "";
}

} // namespace fac

#endif // FAC_SUPPORT_LIBRARYEFFECTS_H
