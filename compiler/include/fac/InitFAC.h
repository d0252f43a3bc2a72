//===- InitFAC.h - The dialects every FAC tool registers ------------------===//
//
// One list of the dialects FAC's IR uses at some stage (the fac dialect and
// the upstream dialects its pipelines lower to), for facc, fac-opt and the
// fuzzer of fac MLIR, instead of one list per tool.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_INITFAC_H
#define FAC_INITFAC_H

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"

namespace fac {

/// Adds the fac dialect and every dialect its pipelines produce.
inline void registerFACDialects(mlir::DialectRegistry &registry) {
  registry.insert<FACDialect, mlir::arith::ArithDialect,
                  mlir::cf::ControlFlowDialect, mlir::func::FuncDialect,
                  mlir::LLVM::LLVMDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
                  mlir::vector::VectorDialect, mlir::omp::OpenMPDialect>();
}

} // namespace fac

#endif // FAC_INITFAC_H
