//===- MLIRTarget.cpp - Fuzz target over fac MLIR as fac-opt reads it -----===//
//
// Parses arbitrary text as a module with every dialect fac-opt registers,
// which runs the fac verifiers on what parses: errors are expected,
// crashes are not.
//
//===----------------------------------------------------------------------===//

#include "FuzzTargets.h"

#include "fac/InitFAC.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

int fac::fuzz::facMLIR(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    registerFACDialects(registry);
    auto *ctx = new mlir::MLIRContext(registry);
    ctx->loadAllAvailableDialects();
    return ctx;
  }();
  mlir::ScopedDiagnosticHandler silence(
      context, [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::ParserConfig config(context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), config,
          "fuzz.mlir");
  return 0;
}
