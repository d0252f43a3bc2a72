//===- FACDialect.h - The fac dialect ---------------------------*- C++ -*-===//
//
// Declares the fac dialect, its types and its ops (see FACOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef FAC_DIALECT_FAC_FACDIALECT_H
#define FAC_DIALECT_FAC_FACDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace fac {
/// The most keys fac.attention scores per online-softmax step: the kernel
/// keeps a block of scores for each lane of a query block in scratch.
/// FACOps.td's key_tile constraint and every key-tile option check
/// against it.
inline constexpr int64_t kMaxKeyTile = 4096;
} // namespace fac

#include "fac/Dialect/FAC/FACDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "fac/Dialect/FAC/FACTypes.h.inc"

namespace fac {
/// Whether \p type is the prelude's TensorTree.
inline bool isTensorTree(mlir::Type type) {
  auto data = llvm::dyn_cast<DataType>(type);
  return data && data.getName() == "TensorTree" && data.getArgs().empty();
}
/// Whether \p type is List<CompressionRule> (a rule table in kernels).
inline bool isRuleList(mlir::Type type) {
  auto list = llvm::dyn_cast<ListType>(type);
  auto rule = list ? llvm::dyn_cast<DataType>(list.getElementType()) : nullptr;
  return rule && rule.getName() == "CompressionRule";
}
} // namespace fac

#define GET_OP_CLASSES
#include "fac/Dialect/FAC/FACOps.h.inc"

#endif // FAC_DIALECT_FAC_FACDIALECT_H
