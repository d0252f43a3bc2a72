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
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

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
  // As fac-opt reads a file: MLIR's lexer needs the NUL after the text
  // that a file's MemoryBuffer has (parseSourceString over the fuzzer's
  // bytes read past them: the target's first finding).
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.mlir"),
      llvm::SMLoc());
  mlir::ParserConfig config(context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, config);
  return 0;
}
