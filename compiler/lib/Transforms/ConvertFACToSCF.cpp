//===- ConvertFACToSCF.cpp - fac buffer ops to scf loops ------------------===//
//
// Implements convert-fac-to-scf: fac.attention becomes a tiled
// online-softmax loop nest over memrefs (see Passes.td for the schedule).
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <limits>

namespace fac {
#define GEN_PASS_DEF_CONVERTFACTOSCF
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// Moves a builder into the body a loop's body callback is building, and
/// back out at the end of the callback.
struct Nest {
  Nest(OpBuilder &b, OpBuilder &nested) : guard(b) {
    b.setInsertionPointToEnd(nested.getInsertionBlock());
  }
  OpBuilder::InsertionGuard guard;
};

/// Builds the loop nest of one fac.attention.
class AttentionLowering {
public:
  AttentionLowering(AttentionOp op)
      : op(op), b(op.getLoc(), op),
        fmf(arith::FastMathFlagsAttr::get(
            op.getContext(),
            arith::FastMathFlags::reassoc | arith::FastMathFlags::contract)) {}

  void run() {
    Value zeroIdx = idx(0), oneIdx = idx(1);
    Value n = b.create<memref::DimOp>(op.getQuery(), 0);
    Value d = b.create<memref::DimOp>(op.getQuery(), 1);
    Value m = b.create<memref::DimOp>(op.getKey(), 0);
    Value dv = b.create<memref::DimOp>(op.getValue(), 1);
    int64_t tile = op.getKeyTile();
    Value tileSize = idx(tile);
    Value scale = scoreScale(d);
    Value scratch =
        b.create<memref::AllocaOp>(MemRefType::get({tile}, b.getF32Type()));
    Value zero = f32(0.0f);
    Value negInf = f32(-std::numeric_limits<float>::infinity());
    Value out = op.getOut();

    b.create<scf::ForOp>(
        zeroIdx, n, oneIdx, ValueRange{},
        [&](OpBuilder &nested, Location, Value i, ValueRange) {
          Nest nest(b, nested);
          // The output row is the accumulator: start it at zero.
          forEach(dv, [&](Value t) {
            b.create<memref::StoreOp>(zero, out, ValueRange{i, t});
          });
          auto tiles = b.create<scf::ForOp>(
              zeroIdx, m, tileSize, ValueRange{negInf, zero},
              [&](OpBuilder &nested, Location, Value j0, ValueRange carried) {
                Nest nest(b, nested);
                Value runMax = carried[0], runSum = carried[1];
                Value end = b.create<arith::MinSIOp>(
                    b.create<arith::AddIOp>(j0, tileSize), m);
                Value count = b.create<arith::SubIOp>(end, j0);
                // Scores of this tile, and their maximum.
                Value tileMax = reduce(count, negInf, [&](Value jj, Value acc) {
                  Value j = b.create<arith::AddIOp>(j0, jj);
                  Value dot = reduce(d, zero, [&](Value t, Value sum) {
                    Value q = b.create<memref::LoadOp>(op.getQuery(),
                                                       ValueRange{i, t});
                    Value k =
                        b.create<memref::LoadOp>(op.getKey(), ValueRange{j, t});
                    return b.create<arith::AddFOp>(
                        sum, b.create<arith::MulFOp>(q, k, fmf), fmf);
                  });
                  Value score = b.create<arith::MulFOp>(dot, scale, fmf);
                  b.create<memref::StoreOp>(score, scratch, jj);
                  return b.create<arith::MaxNumFOp>(acc, score);
                });
                Value newMax = b.create<arith::MaxNumFOp>(runMax, tileMax);
                Value correction = b.create<math::ExpOp>(
                    b.create<arith::SubFOp>(runMax, newMax));
                // Probabilities (unnormalised) and their sum.
                Value tileSum = reduce(count, zero, [&](Value jj, Value acc) {
                  Value s = b.create<memref::LoadOp>(scratch, jj);
                  Value p =
                      b.create<math::ExpOp>(b.create<arith::SubFOp>(s, newMax));
                  b.create<memref::StoreOp>(p, scratch, jj);
                  return b.create<arith::AddFOp>(acc, p, fmf);
                });
                Value newSum = b.create<arith::AddFOp>(
                    b.create<arith::MulFOp>(runSum, correction, fmf), tileSum,
                    fmf);
                // Rescale the row once, then accumulate p_j * v_j.
                forEach(dv, [&](Value t) {
                  Value o = b.create<memref::LoadOp>(out, ValueRange{i, t});
                  b.create<memref::StoreOp>(
                      b.create<arith::MulFOp>(o, correction, fmf), out,
                      ValueRange{i, t});
                });
                forEach(count, [&](Value jj) {
                  Value j = b.create<arith::AddIOp>(j0, jj);
                  Value p = b.create<memref::LoadOp>(scratch, jj);
                  forEach(dv, [&](Value t) {
                    Value v = b.create<memref::LoadOp>(op.getValue(),
                                                       ValueRange{j, t});
                    Value o = b.create<memref::LoadOp>(out, ValueRange{i, t});
                    Value acc = b.create<arith::AddFOp>(
                        o, b.create<arith::MulFOp>(p, v, fmf), fmf);
                    b.create<memref::StoreOp>(acc, out, ValueRange{i, t});
                  });
                });
                b.create<scf::YieldOp>(ValueRange{newMax, newSum});
              });
          // Normalise; a row with no keys stays zero.
          Value sum = tiles.getResult(1);
          Value positive =
              b.create<arith::CmpFOp>(arith::CmpFPredicate::OGT, sum, zero);
          Value inv = b.create<arith::SelectOp>(
              positive, b.create<arith::DivFOp>(f32(1.0f), sum), zero);
          forEach(dv, [&](Value t) {
            Value o = b.create<memref::LoadOp>(out, ValueRange{i, t});
            b.create<memref::StoreOp>(b.create<arith::MulFOp>(o, inv, fmf), out,
                                      ValueRange{i, t});
          });
          b.create<scf::YieldOp>();
        });
    op.erase();
  }

private:
  Value idx(int64_t v) { return b.create<arith::ConstantIndexOp>(v); }
  Value f32(float v) {
    return b.create<arith::ConstantOp>(b.getF32FloatAttr(v));
  }

  /// The factor applied to every q.k: `scale` (or 1), times 1/sqrt(d)
  /// when `rsqrt_d` is set. With d = 0 every q.k is an empty sum, 0, and
  /// so is every score (1/sqrt(0) would make it 0 * inf = NaN): the
  /// factor then uses 1 for d.
  Value scoreScale(Value d) {
    Value scale = op.getScale() ? op.getScale() : f32(1.0f);
    if (!op.getRsqrtD())
      return scale;
    Value atLeastOne = b.create<arith::MaxSIOp>(d, idx(1));
    Value width = b.create<arith::SIToFPOp>(
        b.getF32Type(),
        b.create<arith::IndexCastOp>(b.getI64Type(), atLeastOne));
    return b.create<arith::MulFOp>(scale, b.create<math::RsqrtOp>(width));
  }

  /// for (iv = 0; iv < upper; ++iv) body(iv);
  void forEach(Value upper, llvm::function_ref<void(Value)> body) {
    b.create<scf::ForOp>(
        idx(0), upper, idx(1), ValueRange{},
        [&](OpBuilder &nested, Location, Value iv, ValueRange) {
          Nest nest(b, nested);
          body(iv);
          b.create<scf::YieldOp>();
        });
  }

  /// acc = init; for (iv = 0; iv < upper; ++iv) acc = body(iv, acc);
  Value reduce(Value upper, Value init,
               llvm::function_ref<Value(Value, Value)> body) {
    auto loop = b.create<scf::ForOp>(
        idx(0), upper, idx(1), ValueRange{init},
        [&](OpBuilder &nested, Location, Value iv, ValueRange acc) {
          Nest nest(b, nested);
          b.create<scf::YieldOp>(body(iv, acc[0]));
        });
    return loop.getResult(0);
  }

  AttentionOp op;
  ImplicitLocOpBuilder b;
  arith::FastMathFlagsAttr fmf;
};

struct ConvertFACToSCFPass
    : public fac::impl::ConvertFACToSCFBase<ConvertFACToSCFPass> {
  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation().walk([&](AttentionOp op) { ops.push_back(op); });
    for (AttentionOp op : ops)
      AttentionLowering(op).run();
    // Anything left of the fac dialect has no loop form.
    WalkResult left = getOperation().walk([](Operation *op) {
      if (isa<FACDialect>(op->getDialect())) {
        op->emitOpError("has no lowering to loops");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
