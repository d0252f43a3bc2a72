//===- SpecContext.h - The context a tool compiles a spec in ----*- C++ -*-===//
//
// facc, fac-check and fac-run compile specs in the same MLIR context: every
// dialect FAC's IR uses, the translations to LLVM IR, and diagnostics that
// point into the spec (never at IR, which is for --mlir-print-ir-*).
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TARGET_SPECCONTEXT_H
#define FAC_TARGET_SPECCONTEXT_H

#include "fac/InitFAC.h"
#include "fac/Support/Diagnostics.h"
#include "fac/Target/TargetInfo.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

namespace fac {

class SpecContext {
public:
  /// Diagnostics go to \p source, which must outlive this.
  explicit SpecContext(SourceFile &source)
      : context(getRegistry()), diagnostics(source.getSourceMgr(), &context) {
    context.loadAllAvailableDialects();
    context.printOpOnDiagnostic(false);
  }

  mlir::MLIRContext &get() { return context; }

private:
  static mlir::DialectRegistry getRegistry() {
    mlir::DialectRegistry registry;
    registerFACDialects(registry);
    registerTargetTranslations(registry);
    return registry;
  }

  mlir::MLIRContext context;
  mlir::SourceMgrDiagnosticHandler diagnostics;
};

} // namespace fac

#endif // FAC_TARGET_SPECCONTEXT_H
