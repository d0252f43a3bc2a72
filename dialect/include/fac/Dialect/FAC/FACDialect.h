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
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "fac/Dialect/FAC/FACDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "fac/Dialect/FAC/FACTypes.h.inc"

#define GET_OP_CLASSES
#include "fac/Dialect/FAC/FACOps.h.inc"

#endif // FAC_DIALECT_FAC_FACDIALECT_H
