//===- Bufferize.cpp - Tensor kernels to a buffer ABI ---------------------===//
//
// Implements fac-bufferize: kernels on !fac.tensor values become kernels on
// caller-owned strided memrefs, with the result written into a trailing
// `out` argument (destination-passing style).
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "TreeBuffers.h"

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace fac {
#define GEN_PASS_DEF_FACBUFFERIZE
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// The ABI type of a tensor argument: any row stride and offset, unit
/// column stride, so that a head can be cut out of a [n][dim] matrix.
MemRefType abiBufferType(MLIRContext *ctx) {
  int64_t dyn = ShapedType::kDynamic;
  return MemRefType::get({dyn, dyn}, Float32Type::get(ctx),
                         StridedLayoutAttr::get(ctx, dyn, {dyn, 1}));
}

struct BufferizePass : public fac::impl::FacBufferizeBase<BufferizePass> {
  using FacBufferizeBase::FacBufferizeBase;

  void runOnOperation() override {
    if (keyTile < 0 || keyTile > kMaxKeyTile) {
      mlir::emitError(getOperation().getLoc())
          << "key-tile " << keyTile.getValue()
          << " is out of range: a kernel scores 1 to " << kMaxKeyTile
          << " keys per step (0: as many as fit the target's L1 cache)";
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func->hasAttr("fac.kernel"))
        continue;
      if (isBufferized(func))
        func->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
      else if (failed(bufferize(func)))
        return signalPassFailure();
    }
  }

  /// A kernel written on buffers already (facc's .mlir input): no
  /// results, no tensors.
  static bool isBufferized(func::FuncOp func) {
    return func.getNumResults() == 0 &&
           llvm::none_of(func.getArgumentTypes(),
                         [](Type t) { return isa<fac::TensorType>(t); });
  }

  LogicalResult bufferize(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    Type tensor = fac::TensorType::get(ctx);
    MemRefType bufferType = abiBufferType(ctx);
    FunctionType type = func.getFunctionType();
    if (type.getNumResults() != 1 || type.getResult(0) != tensor)
      return func.emitOpError("kernel must return one tensor, got ")
             << type.getResults();
    if (!func.getBody().hasOneBlock())
      return func.emitOpError("kernel must have a single block");

    Block &entry = func.getBody().front();
    for (BlockArgument arg : entry.getArguments())
      if (arg.getType() == tensor)
        arg.setType(bufferType);
    unsigned outIndex = entry.getNumArguments();
    func.insertArgument(
        outIndex, bufferType,
        DictionaryAttr::get(ctx,
                            {NamedAttribute(StringAttr::get(ctx, "fac.name"),
                                            StringAttr::get(ctx, "out"))}),
        func.getLoc());
    Value out = entry.getArgument(outIndex);
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    Value returned = ret.getOperand(0);

    OpBuilder builder(ctx);
    SmallVector<Value> temporaries;
    // Trees live in buffers (TreeBuffers.h); their ops go at the end.
    TreeLowering trees(builder, temporaries);
    llvm::DenseMap<Value, TreeBuffers> treeValues;
    // Joins in their leaf form, made once for their leaves and expansion.
    llvm::DenseMap<Value, TreeBuffers> flattened;
    SmallVector<Operation *> treeOps;
    std::optional<int64_t> tile;
    if (keyTile)
      tile = keyTile;
    // The buffer a tensor-valued op writes: `out` when it is the result.
    auto destination = [&](Operation *op, Value rows, Value cols) -> Value {
      if (op->getResult(0) == returned)
        return out;
      int64_t dyn = ShapedType::kDynamic;
      auto dest = builder.create<memref::AllocOp>(
          op->getLoc(), MemRefType::get({dyn, dyn}, builder.getF32Type()),
          ValueRange{rows, cols});
      dest->setAttr("fac.buffer", builder.getStringAttr("expanded rows"));
      temporaries.push_back(dest);
      return dest;
    };
    // `a == b` for the kernel's arguments, checked by fac-kernel-status.
    auto require = [&](Location loc, Value a, Value b, StringRef what) {
      Value same =
          builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, a, b);
      builder.create<RequireOp>(loc, same, what);
    };
    auto dim = [&](Location loc, Value buffer, int64_t i) -> Value {
      return builder.create<memref::DimOp>(loc, buffer, i);
    };
    for (Operation &op : llvm::make_early_inc_range(entry)) {
      if (isa<TreeBuildOp, TreeCutOp, TreeAttendOp, TreeLeavesOp, TreeExpandOp,
              TreeJoinOp, TreeLimitOp>(op)) {
        builder.setInsertionPoint(&op);
        Location loc = op.getLoc();
        treeOps.push_back(&op);
        // A tree whose leaves are needed: a join's are its tokens.
        auto leafForm = [&](Value tree) -> FailureOr<TreeBuffers> {
          auto it = flattened.find(tree);
          if (it != flattened.end())
            return it->second;
          FailureOr<TreeBuffers> t =
              trees.leafForm(loc, treeValues.lookup(tree));
          if (succeeded(t))
            flattened[tree] = *t;
          return t;
        };
        // Cuts and attention read a pyramid's levels.
        auto pyramid = [&](Value tree) -> FailureOr<TreeBuffers> {
          const TreeBuffers &t = treeValues.lookup(tree);
          if (t.join || t.flat)
            return op.emitOpError("on a joined or memory-limited tree does "
                                  "not compile yet: cuts and attention over "
                                  "trees compile on pyramids of tokens and "
                                  "their cuts"),
                   failure();
          return t;
        };
        if (auto build = dyn_cast<TreeBuildOp>(op)) {
          treeValues[build.getResult()] = trees.build(loc, build.getTokens());
        } else if (auto join = dyn_cast<TreeJoinOp>(op)) {
          // A join keeps the structure of pyramids and joins: a cut or a
          // limited tree has lost it.
          const TreeBuffers &left = treeValues.lookup(join.getLeft()),
                            &right = treeValues.lookup(join.getRight());
          for (const TreeBuffers *t : {&left, &right})
            if (t->flat || t->cutRows)
              return op.emitOpError(
                         "of a cut or memory-limited tree does not compile "
                         "yet: joins compile on pyramids of tokens and "
                         "joins of them"),
                     failure();
          treeValues[join.getResult()] = trees.join(loc, left, right);
        } else if (auto limit = dyn_cast<TreeLimitOp>(op)) {
          FailureOr<TreeBuffers> t = trees.limit(
              loc, treeValues.lookup(limit.getTree()), limit.getBytes());
          if (failed(t))
            return failure();
          treeValues[limit.getResult()] = *t;
        } else if (auto cut = dyn_cast<TreeCutOp>(op)) {
          FailureOr<TreeBuffers> source = pyramid(cut.getTree());
          if (failed(source))
            return failure();
          FailureOr<TreeBuffers> t =
              trees.cut(loc, *source, cut.getPredicate());
          if (failed(t))
            return failure();
          treeValues[cut.getResult()] = *t;
        } else if (auto attend = dyn_cast<TreeAttendOp>(op)) {
          FailureOr<TreeBuffers> qt = pyramid(attend.getQuery()),
                                 kt = pyramid(attend.getKey()),
                                 vt = pyramid(attend.getValue());
          if (failed(qt) || failed(kt) || failed(vt))
            return failure();
          const TreeBuffers &q = *qt, &k = *kt, &v = *vt;
          require(loc, dim(loc, q.source, 1), dim(loc, k.source, 1),
                  "query and key widths");
          require(loc, k.tokens, v.tokens, "key and value tokens");
          Value rows = trees.attend(loc, q, k, v, tile);
          attend.getResult().replaceAllUsesWith(rows);
        } else if (auto leaves = dyn_cast<TreeLeavesOp>(op)) {
          FailureOr<TreeBuffers> tree = leafForm(leaves.getTree());
          if (failed(tree))
            return failure();
          leaves.getResult().replaceAllUsesWith(trees.leaves(loc, *tree));
        } else if (auto expand = dyn_cast<TreeExpandOp>(op)) {
          FailureOr<TreeBuffers> leafTree = leafForm(expand.getTree());
          if (failed(leafTree))
            return failure();
          const TreeBuffers &tree = *leafTree;
          Value cols = builder.create<memref::DimOp>(loc, expand.getRows(), 1);
          Value dest = destination(&op, tree.tokens, cols);
          if (dest == out) {
            require(loc, dim(loc, out, 0), tree.tokens, "rows of out");
            require(loc, dim(loc, out, 1), cols, "columns of out");
          }
          trees.expand(loc, expand.getRows(), tree, dest);
          expand.getResult().replaceAllUsesWith(dest);
        }
        continue;
      }
      if (auto attend = dyn_cast<AttendOp>(op)) {
        builder.setInsertionPoint(attend);
        Value dest = out;
        if (attend.getResult() != returned) {
          Value rows = builder.create<memref::DimOp>(attend.getLoc(),
                                                     attend.getQuery(), 0);
          Value cols = builder.create<memref::DimOp>(attend.getLoc(),
                                                     attend.getValue(), 1);
          int64_t dyn = ShapedType::kDynamic;
          auto temp = builder.create<memref::AllocOp>(
              attend.getLoc(),
              MemRefType::get({dyn, dyn}, builder.getF32Type()),
              ValueRange{rows, cols});
          temp->setAttr("fac.buffer", builder.getStringAttr("attention rows"));
          dest = temp;
          temporaries.push_back(dest);
        }
        builder.create<AttentionOp>(
            attend.getLoc(), attend.getQuery(), attend.getKey(),
            attend.getValue(), dest, attend.getScale(),
            /*causal_offset=*/Value(), /*bias=*/Value(),
            /*key_indices=*/Value(), /*threads=*/Value(),
            attend.getRsqrtDAttr(),
            keyTile ? builder.getI64IntegerAttr(keyTile) : IntegerAttr());
        attend.getResult().replaceAllUsesWith(dest);
        attend.erase();
        continue;
      }
      for (Value result : op.getResults())
        if (result.getType() == tensor || isTensorTree(result.getType()))
          return op.emitOpError("has no buffer form yet: fac-bufferize "
                                "handles tensors made by fac.attend and the "
                                "tree ops only");
    }

    // The tree ops are done: their values live in buffers.
    for (Operation *op : llvm::reverse(treeOps))
      op->erase();

    // The result was computed into `out` unless it is an argument or a
    // temporary: then it is copied.
    builder.setInsertionPoint(ret);
    Value result = ret.getOperand(0);
    if (result != out) {
      // A loop, not memref.copy: no runtime library to link for it.
      Location loc = ret.getLoc();
      Value rows = dim(loc, result, 0), cols = dim(loc, result, 1);
      require(loc, dim(loc, out, 0), rows, "rows of out");
      require(loc, dim(loc, out, 1), cols, "columns of out");
      Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
      Value one = builder.create<arith::ConstantIndexOp>(loc, 1);
      builder.create<scf::ForOp>(
          loc, zero, rows, one, ValueRange{},
          [&](OpBuilder &rb, Location l, Value i, ValueRange) {
            rb.create<scf::ForOp>(
                l, zero, cols, one, ValueRange{},
                [&](OpBuilder &cb, Location cl, Value j, ValueRange) {
                  Value x =
                      cb.create<memref::LoadOp>(cl, result, ValueRange{i, j});
                  cb.create<memref::StoreOp>(cl, x, out, ValueRange{i, j});
                  cb.create<scf::YieldOp>(cl);
                });
            rb.create<scf::YieldOp>(l);
          });
    }
    for (Value temp : temporaries)
      builder.create<memref::DeallocOp>(ret.getLoc(), temp);
    builder.create<func::ReturnOp>(ret.getLoc());
    ret.erase();
    func.setFunctionType(
        FunctionType::get(ctx, entry.getArgumentTypes(), TypeRange{}));
    func->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
    return success();
  }
};

} // namespace
