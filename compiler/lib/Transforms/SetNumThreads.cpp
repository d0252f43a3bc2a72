//===- SetNumThreads.cpp - Size OpenMP teams by the kernel's argument -----===//
//
// Implements fac-set-num-threads (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/Builders.h"

namespace fac {
#define GEN_PASS_DEF_FACSETNUMTHREADS
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;

namespace {
struct SetNumThreadsPass
    : public fac::impl::FacSetNumThreadsBase<SetNumThreadsPass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp func) {
      if (func.isExternal())
        return;
      std::optional<BlockArgument> threads;
      for (BlockArgument arg : func.getArguments())
        if (func.getArgAttr(arg.getArgNumber(), "fac.threads"))
          threads = arg;
      if (!threads)
        return;
      func.walk([&](omp::ParallelOp parallel) {
        if (parallel.getNumThreadsVar())
          return;
        OpBuilder b(parallel);
        Location loc = parallel.getLoc();
        Value count = *threads;
        if (count.getType().isIndex())
          count = b.create<arith::IndexCastOp>(loc, b.getI32Type(), count);
        // A team has at least one thread.
        Value one = b.create<arith::ConstantIntOp>(loc, 1, 32);
        count = b.create<arith::MaxSIOp>(loc, count, one);
        parallel.getNumThreadsVarMutable().assign(count);
      });
    });
  }
};
} // namespace
