//===- CommandLine.h - The options FAC's tools show ---------*- C++ -*-===//
//
// FAC's tools link libLLVM and libMLIR, which register hundreds of options
// (every back end's among them). A tool shows its own category, the
// `--mlir-print-ir-*`, `--mlir-timing*` and `--mlir-pass-statistics*`
// options that let a user watch its passes, and LLVM's generic options
// (--help, --version), as clang does; the others still parse.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SUPPORT_COMMANDLINE_H
#define FAC_SUPPORT_COMMANDLINE_H

#include "fac/Config.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace fac {

/// The category of MLIR's options for watching passes, shown beside a
/// tool's own.
inline llvm::cl::OptionCategory &getPassWatchingCategory() {
  static llvm::cl::OptionCategory category(
      "Watching the passes (MLIR's options)");
  return category;
}

// libLLVM.so is built without RTTI, so its options have no type info for
// UBSan's vptr check (the sanitized suite) to find: calls on them here are
// not checked, and only out-of-line members of cl::Option are called (an
// inline member would be instrumented in its own right).
#if defined(__clang__)
#define FAC_NO_SANITIZE_VPTR __attribute__((no_sanitize("vptr")))
#else
#define FAC_NO_SANITIZE_VPTR
#endif

/// Hides every registered option outside \p toolCategory but MLIR's
/// options for watching passes (registered before this call) and the
/// generic ones, and sets the version printer for \p toolName.
FAC_NO_SANITIZE_VPTR inline void
showOnlyToolOptions(llvm::cl::OptionCategory &toolCategory,
                    llvm::StringRef toolName) {
  llvm::cl::OptionCategory &watching = getPassWatchingCategory();
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::StringRef name = entry.getKey();
    if (name.starts_with("mlir-print-ir") || name.starts_with("mlir-timing") ||
        name.starts_with("mlir-pass-statistics"))
      entry.getValue()->addCategory(watching);
  }
  llvm::cl::HideUnrelatedOptions({&toolCategory, &watching});
  static std::string tool;
  tool = toolName.str();
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << tool << " (FAC) " << FAC_VERSION << "\n  built with LLVM and MLIR "
       << LLVM_VERSION_STRING << "\n";
  });
}

} // namespace fac

#endif // FAC_SUPPORT_COMMANDLINE_H
