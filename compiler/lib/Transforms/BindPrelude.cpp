//===- BindPrelude.cpp - Prelude effects to intrinsic ops -----------------===//
//
// Implements fac-bind-prelude: a performed effect of the standard prelude
// becomes the op that implements it on every target.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/IR/Builders.h"

namespace fac {
#define GEN_PASS_DEF_FACBINDPRELUDE
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// `Attend(q, k, v)`: scaled dot-product attention.
LogicalResult bindAttend(PerformOp op) {
  Type tensor = fac::TensorType::get(op.getContext());
  if (op.getArgs().size() != 3 ||
      !llvm::all_of(op.getArgs().getTypes(),
                    [&](Type t) { return t == tensor; }) ||
      op.getType() != tensor)
    return op.emitOpError("'Attend' takes three tensors and returns a "
                          "tensor");
  OpBuilder builder(op);
  auto attend = builder.create<AttendOp>(
      op.getLoc(), tensor, op.getArgs()[0], op.getArgs()[1], op.getArgs()[2],
      /*scale=*/Value(), builder.getUnitAttr());
  op.replaceAllUsesWith(attend.getResult());
  op.erase();
  return success();
}

struct BindPreludePass : public fac::impl::FacBindPreludeBase<BindPreludePass> {
  void runOnOperation() override {
    SmallVector<PerformOp> performs;
    getOperation().walk([&](PerformOp op) { performs.push_back(op); });
    for (PerformOp op : performs) {
      LogicalResult bound =
          op.getEffect() == "Attend"
              ? bindAttend(op)
              : op.emitOpError("effect '")
                    << op.getEffect()
                    << "' is not handled and has no library handler";
      if (failed(bound))
        return signalPassFailure();
    }
  }
};

} // namespace
