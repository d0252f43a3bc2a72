//===- KernelStatus.cpp - Kernels check their arguments -------------------===//
//
// Implements fac-kernel-status: a kernel on buffers returns a status. It
// checks, before doing anything, that the shapes its caller passed fit
// together (and that gathered key rows are in range), and does nothing but
// return FACRT_ERR_ARG when they do not.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "EntryValues.h"

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace fac {
#define GEN_PASS_DEF_FACKERNELSTATUS
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// The statuses of libfacrt's facrt_status that kernels return.
constexpr int32_t kStatusOk = 0;
constexpr int32_t kStatusBadArgument = 4;
/// FACRT_ERR_LIMIT: a memory requirement does not hold.
constexpr int32_t kStatusLimit = 6;
/// The largest size of a buffer a kernel takes: 2^40 (rows, columns or
/// heads).
constexpr int64_t kMaxSize = int64_t(1) << 40;

/// Builds the conjunction of a kernel's checks at the start of its body.
class Checks {
public:
  Checks(OpBuilder &builder, Location loc, Block &entry)
      : builder(builder), loc(loc), values(builder, loc, entry) {
    ok = builder.create<arith::ConstantIntOp>(loc, 1, 1);
  }

  Value atEntry(Value value) { return values.atEntry(value); }
  Value size(Value buffer, int64_t dim) { return values.size(buffer, dim); }

  void require(Value condition) {
    ok = builder.create<arith::AndIOp>(loc, ok, condition);
  }

  /// A buffer size from 0 to 2^40: sizes a plan can sum without
  /// wrapping, however many buffers it makes from them.
  void plausible(Value size) {
    Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
    Value most = builder.create<arith::ConstantIndexOp>(loc, kMaxSize);
    require(builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, size,
                                          zero));
    require(builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, size,
                                          most));
  }

  void equal(Value a, Value b) {
    if (a && b)
      require(
          builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, a, b));
  }

  /// The shapes of one fac.attention (FACOps.td describes them).
  void attention(AttentionOp op) {
    int64_t r = op.getRank();
    // 2-d: [n, d]; 3-d: [heads, n, d].
    int64_t rows = r - 2, cols = r - 1;
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue(),
          out = op.getOut();
    equal(size(q, cols), size(k, cols));
    equal(size(k, rows), size(v, rows));
    equal(size(out, rows), size(q, rows));
    equal(size(out, cols), size(v, cols));
    if (r == 3) {
      equal(size(out, 0), size(q, 0));
      equal(size(k, 0), size(v, 0));
      // Grouped-query heads: Hkv divides H (no query heads: nothing to
      // do).
      Value h = size(q, 0), hkv = size(k, 0);
      if (h && hkv) {
        Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
        Value noHeads = builder.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::eq, h, zero);
        Value someKv = builder.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::ne, hkv, zero);
        Value one = builder.create<arith::ConstantIndexOp>(loc, 1);
        Value divisor = builder.create<arith::MaxUIOp>(loc, hkv, one);
        Value rem = builder.create<arith::RemUIOp>(loc, h, divisor);
        Value divides = builder.create<arith::AndIOp>(
            loc, someKv,
            builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rem,
                                          zero));
        require(builder.create<arith::OrIOp>(loc, noHeads, divides));
      }
    }
    // The keys scored: the gathered rows, or every row of `key`.
    Value indices = op.getKeyIndices();
    if (op.getBias())
      equal(size(op.getBias(), 0), indices ? size(indices, 0) : size(k, rows));
    if (indices && isa<BlockArgument>(indices))
      inRange(indices, size(k, rows));
  }

  /// A fac.require: its condition, computed at the start. A memory
  /// requirement goes to \p memory (its own status) instead.
  LogicalResult requirement(RequireOp op, Value &memory) {
    Value condition = atEntry(op.getCondition());
    if (!condition)
      return op.emitOpError("requirement '")
             << op.getWhat()
             << "' depends on values the kernel computes, so it cannot be "
                "checked before the kernel runs";
    if (!op.getMemory())
      require(condition);
    else if (memory)
      memory = builder.create<arith::AndIOp>(loc, memory, condition);
    else
      memory = condition;
    return success();
  }

  /// Every element of \p indices is a row of a buffer of \p rows rows.
  void inRange(Value indices, Value rows) {
    if (!rows)
      return;
    Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
    Value one = builder.create<arith::ConstantIndexOp>(loc, 1);
    Value n = builder.create<memref::DimOp>(loc, indices, 0);
    Value limit =
        builder.create<arith::IndexCastOp>(loc, builder.getI64Type(), rows);
    Value yes = builder.create<arith::ConstantIntOp>(loc, 1, 1);
    auto loop = builder.create<scf::ForOp>(
        loc, zero, n, one, ValueRange{yes},
        [&](OpBuilder &b, Location l, Value i, ValueRange acc) {
          Value row = b.create<memref::LoadOp>(l, indices, i);
          Value c0 = b.create<arith::ConstantIntOp>(l, 0, 64);
          Value low =
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, row, c0);
          Value high =
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, row, limit);
          Value both = b.create<arith::AndIOp>(l, low, high);
          b.create<scf::YieldOp>(
              l, b.create<arith::AndIOp>(l, acc[0], both).getResult());
        });
    require(loop.getResult(0));
  }

  Value get() const { return ok; }

private:
  OpBuilder &builder;
  Location loc;
  EntryValues values;
  Value ok;
};

struct KernelStatusPass
    : public fac::impl::FacKernelStatusBase<KernelStatusPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func->hasAttr("fac.kernel") || func.getNumResults() != 0)
        continue;
      if (!func.getBody().hasOneBlock()) {
        func.emitOpError("kernel must have a single block");
        return signalPassFailure();
      }
      if (failed(addStatus(func)))
        return signalPassFailure();
    }
  }

  LogicalResult addStatus(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    Block &entry = func.getBody().front();
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    Location loc = func.getLoc();

    // The kernel's work, to be moved under the check.
    SmallVector<Operation *> work;
    SmallVector<RequireOp> requirements;
    for (Operation &op : entry.without_terminator())
      if (!isa<RequireOp>(op))
        work.push_back(&op);
    // A requirement in a branch is checked at the start too: it needs the
    // shapes to fit whichever side runs.
    func.walk([&](RequireOp r) { requirements.push_back(r); });

    OpBuilder builder(ctx);
    builder.setInsertionPointToStart(&entry);
    Checks checks(builder, loc, entry);
    // No buffer has a negative or absurd size (the descriptors are the
    // caller's).
    for (BlockArgument arg : entry.getArguments())
      if (auto type = dyn_cast<MemRefType>(arg.getType()))
        for (int64_t i = 0; i < type.getRank(); ++i)
          checks.plausible(checks.size(arg, i));
    Value memory;
    for (RequireOp r : requirements) {
      if (failed(checks.requirement(r, memory)))
        return failure();
      r.erase();
    }
    func.walk([&](AttentionOp op) { checks.attention(op); });
    // The work runs when the arguments are good and, then, the memory
    // requirements hold.
    Value run = checks.get();
    if (memory)
      run = builder.create<arith::AndIOp>(loc, run, memory);
    auto ifOp = builder.create<scf::IfOp>(loc, run,
                                          /*withElseRegion=*/false);
    Block *then = ifOp.thenBlock();
    for (Operation *op : work)
      op->moveBefore(then->getTerminator());

    builder.setInsertionPoint(ret);
    Value ok = builder.create<arith::ConstantIntOp>(loc, kStatusOk, 32);
    Value bad =
        builder.create<arith::ConstantIntOp>(loc, kStatusBadArgument, 32);
    if (memory)
      ok = builder.create<arith::SelectOp>(
          loc, memory, ok,
          builder.create<arith::ConstantIntOp>(loc, kStatusLimit, 32));
    Value status = builder.create<arith::SelectOp>(loc, checks.get(), ok, bad);
    builder.create<func::ReturnOp>(ret.getLoc(), status);
    ret.erase();
    func.setFunctionType(
        FunctionType::get(ctx, entry.getArgumentTypes(), builder.getI32Type()));
    return success();
  }
};

} // namespace
