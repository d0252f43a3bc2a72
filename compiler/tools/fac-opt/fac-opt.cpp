//===- fac-opt.cpp - The FAC optimizer driver -----------------------------===//
//
// MlirOptMain with the fac dialect, the FAC passes and pipelines, and the
// upstream dialects and passes the pipelines use, for lit tests of every
// pass in isolation.
//
//===----------------------------------------------------------------------===//

#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  mlir::registerConversionPasses();
  fac::registerFACPasses();
  fac::registerPipelines();

  mlir::DialectRegistry registry;
  registry.insert<fac::FACDialect, mlir::arith::ArithDialect,
                  mlir::cf::ControlFlowDialect, mlir::func::FuncDialect,
                  mlir::LLVM::LLVMDialect, mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "FAC optimizer driver\n", registry));
}
