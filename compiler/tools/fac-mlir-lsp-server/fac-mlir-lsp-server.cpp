//===- fac-mlir-lsp-server.cpp - The language server for fac IR -----------===//
//
// MLIR's own language server for .mlir files (MlirLspServerMain), with the
// fac dialect and every dialect FAC's pipelines produce registered: what
// `facc -emit=mlir|lowered` writes and what fac-opt's tests read can be
// edited with diagnostics, hover and go-to-definition.
//
//===----------------------------------------------------------------------===//

#include "fac/InitFAC.h"

#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  fac::registerFACDialects(registry);
  return mlir::failed(mlir::MlirLspServerMain(argc, argv, registry)) ? 1 : 0;
}
