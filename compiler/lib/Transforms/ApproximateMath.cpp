//===- ApproximateMath.cpp - math.exp to MLIR's polynomial ---------------===//
//
// Implements fac-approximate-math with the upstream approximation patterns.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace fac {
#define GEN_PASS_DEF_FACAPPROXIMATEMATH
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;

namespace {
struct ApproximateMathPass
    : public fac::impl::FacApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
