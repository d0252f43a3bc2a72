//===- MLIRGen.h - AST to fac dialect -------------------------------------===//
//
// Emits the fac dialect for a checked AST. Every op carries the
// file:line:col of the construct it comes from.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_MLIRGEN_MLIRGEN_H
#define FAC_MLIRGEN_MLIRGEN_H

#include "fac/AST/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace fac {

/// Emits \p module, which Sema has checked, into a new MLIR module. Returns
/// null after reporting an error through the context's diagnostics.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const ast::Module &module,
                                          llvm::StringRef filename);

} // namespace fac

#endif // FAC_MLIRGEN_MLIRGEN_H
