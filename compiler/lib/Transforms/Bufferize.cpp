//===- Bufferize.cpp - Tensor kernels to a buffer ABI ---------------------===//
//
// Implements fac-bufferize: kernels on !fac.tensor values become kernels on
// caller-owned strided memrefs, with the result written into a trailing
// `out` argument (destination-passing style).
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "TensorBuffers.h"
#include "TreeBuffers.h"

#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Support/Intrinsics.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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

  /// `dest = a · b`, each element summed in k order from 0 as libfacrt's
  /// and the interpreter's products are (i, k, j loops: j is contiguous).
  static void emitMatmul(OpBuilder &builder, Location loc, Value a, Value b,
                         Value dest) {
    Value rows = builder.create<memref::DimOp>(loc, a, 0);
    Value inner = builder.create<memref::DimOp>(loc, a, 1);
    Value cols = builder.create<memref::DimOp>(loc, b, 1);
    Value fzero =
        builder.create<arith::ConstantOp>(loc, builder.getF32FloatAttr(0));
    buildLoops(builder, loc, {rows, cols},
               [&](OpBuilder &nb, Location l, ValueRange ij) {
                 nb.create<memref::StoreOp>(l, fzero, dest, ij);
               });
    buildLoops(
        builder, loc, {rows, inner, cols},
        [&](OpBuilder &nb, Location l, ValueRange ikj) {
          Value i = ikj[0], k = ikj[1], j = ikj[2];
          Value x = nb.create<memref::LoadOp>(l, a, ValueRange{i, k});
          Value y = nb.create<memref::LoadOp>(l, b, ValueRange{k, j});
          Value acc = nb.create<memref::LoadOp>(l, dest, ValueRange{i, j});
          Value p = nb.create<arith::MulFOp>(l, x, y);
          nb.create<memref::StoreOp>(l, nb.create<arith::AddFOp>(l, acc, p),
                                     dest, ValueRange{i, j});
        });
  }

  /// A private constant global holding \p value, named after \p stem.
  memref::GlobalOp constantGlobal(OpBuilder &builder, Location loc,
                                  DenseElementsAttr value, StringRef stem) {
    // One global per value, whichever kernels read it.
    memref::GlobalOp &known = globals[value];
    if (known)
      return known;
    ModuleOp module = getOperation();
    auto type = cast<ShapedType>(value.getType());
    auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
    // Made outside the module, then inserted under a unique name.
    OpBuilder detached(builder.getContext());
    auto global = detached.create<memref::GlobalOp>(
        loc, stem, detached.getStringAttr("private"), memrefType, value,
        /*constant=*/true, /*alignment=*/IntegerAttr());
    SymbolTable(module).insert(global, module.getBody()->begin());
    known = global;
    return global;
  }

  llvm::DenseMap<Attribute, memref::GlobalOp> globals;

  /// A constant matrix as a dynamically shaped buffer.
  Value constantBuffer(OpBuilder &builder, Location loc, ElementsAttr value) {
    auto dense = cast<DenseElementsAttr>(value);
    memref::GlobalOp global =
        constantGlobal(builder, loc, dense, "fac_constant");
    Value data = builder.create<memref::GetGlobalOp>(loc, global.getType(),
                                                     global.getSymName());
    int64_t dyn = ShapedType::kDynamic;
    return builder.create<memref::CastOp>(
        loc, MemRefType::get({dyn, dyn}, builder.getF32Type()), data);
  }

  /// fac.fractal_decode as libfacrt's facrt_fractal_decode computes it:
  /// `iterations` passes of the block maps from the zero matrix, between
  /// two buffers. The maps are constant tables.
  Value emitFractalDecode(OpBuilder &builder, FractalDecodeOp op,
                          SmallVector<Value> &temporaries) {
    Location loc = op.getLoc();
    MLIRContext *ctx = builder.getContext();
    int64_t rows = op.getRows(), cols = op.getCols(), b = op.getRange();
    int64_t blocks = (rows / b) * (cols / b);
    SmallVector<int64_t> maps;
    SmallVector<float> affine;
    for (int64_t k = 0; k < blocks; ++k) {
      maps.append({op.getDomains()[2 * k], op.getDomains()[2 * k + 1],
                   op.getIsometries()[k]});
      affine.append({op.getScales()[k], op.getOffsets()[k]});
    }
    Type i64 = builder.getI64Type(), f32 = builder.getF32Type();
    auto mapsGlobal = constantGlobal(
        builder, loc,
        DenseElementsAttr::get(RankedTensorType::get({blocks, 3}, i64),
                               llvm::ArrayRef(maps)),
        "fac_fractal_maps");
    auto affineGlobal = constantGlobal(
        builder, loc,
        DenseElementsAttr::get(RankedTensorType::get({blocks, 2}, f32),
                               llvm::ArrayRef(affine)),
        "fac_fractal_affine");
    Value mapTable = builder.create<memref::GetGlobalOp>(
        loc, mapsGlobal.getType(), mapsGlobal.getSymName());
    Value affineTable = builder.create<memref::GetGlobalOp>(
        loc, affineGlobal.getType(), affineGlobal.getSymName());
    auto index = [&](int64_t v) -> Value {
      return builder.create<arith::ConstantIndexOp>(loc, v);
    };
    int64_t dyn = ShapedType::kDynamic;
    auto bufferType = MemRefType::get({dyn, dyn}, f32);
    Value r = index(rows), c = index(cols);
    auto current =
        builder.create<memref::AllocOp>(loc, bufferType, ValueRange{r, c});
    auto next =
        builder.create<memref::AllocOp>(loc, bufferType, ValueRange{r, c});
    current->setAttr("fac.buffer", StringAttr::get(ctx, "decoded weight"));
    next->setAttr("fac.buffer", StringAttr::get(ctx, "decoding scratch"));
    temporaries.append({current, next});
    Value fzero =
        builder.create<arith::ConstantOp>(loc, builder.getF32FloatAttr(0));
    buildLoops(builder, loc, {r, c},
               [&](OpBuilder &nb, Location l, ValueRange ij) {
                 nb.create<memref::StoreOp>(l, fzero, current, ij);
               });
    // One application of the maps: dst = map(src).
    auto apply = [&](OpBuilder &ob, Location l, Value src, Value dst) {
      auto cst = [&](OpBuilder &cb, int64_t v) -> Value {
        return cb.create<arith::ConstantIndexOp>(l, v);
      };
      Value count = ob.create<arith::ConstantIndexOp>(l, blocks);
      buildLoops(ob, l, count, [&](OpBuilder &kb, Location kl, ValueRange ks) {
        Value k = ks[0];
        Value bpr = cst(kb, cols / b), side = cst(kb, b);
        Value r0 = kb.create<arith::MulIOp>(
            kl, kb.create<arith::DivUIOp>(kl, k, bpr), side);
        Value c0 = kb.create<arith::MulIOp>(
            kl, kb.create<arith::RemUIOp>(kl, k, bpr), side);
        auto entry = [&](Value table, int64_t col) -> Value {
          return kb.create<memref::LoadOp>(kl, table,
                                           ValueRange{k, cst(kb, col)});
        };
        auto asIndex = [&](Value v) -> Value {
          return kb.create<arith::IndexCastOp>(kl, kb.getIndexType(), v);
        };
        Value dr = asIndex(entry(mapTable, 0)),
              dc = asIndex(entry(mapTable, 1));
        Value t = asIndex(entry(mapTable, 2));
        Value s = entry(affineTable, 0), o = entry(affineTable, 1);
        auto flag = [&](OpBuilder &bb, int64_t mask) -> Value {
          Value m = bb.create<arith::AndIOp>(kl, t, cst(bb, mask));
          return bb.create<arith::CmpIOp>(kl, arith::CmpIPredicate::ne, m,
                                          cst(bb, 0));
        };
        buildLoops(
            kb, kl, {side, side},
            [&](OpBuilder &jb, Location jl, ValueRange ij) {
              Value i = ij[0], j = ij[1];
              Value last = cst(jb, b - 1);
              Value transpose = flag(jb, 4);
              Value rr = jb.create<arith::SelectOp>(jl, transpose, j, i);
              Value cc = jb.create<arith::SelectOp>(jl, transpose, i, j);
              rr = jb.create<arith::SelectOp>(
                  jl, flag(jb, 1), jb.create<arith::SubIOp>(jl, last, rr), rr);
              cc = jb.create<arith::SelectOp>(
                  jl, flag(jb, 2), jb.create<arith::SubIOp>(jl, last, cc), cc);
              Value two = cst(jb, 2);
              Value pr = jb.create<arith::AddIOp>(
                  jl, dr, jb.create<arith::MulIOp>(jl, two, rr));
              Value pc = jb.create<arith::AddIOp>(
                  jl, dc, jb.create<arith::MulIOp>(jl, two, cc));
              Value pr1 = jb.create<arith::AddIOp>(jl, pr, cst(jb, 1));
              Value pc1 = jb.create<arith::AddIOp>(jl, pc, cst(jb, 1));
              auto at = [&](Value y, Value x) -> Value {
                return jb.create<memref::LoadOp>(jl, src, ValueRange{y, x});
              };
              Value sum = jb.create<arith::AddFOp>(jl, at(pr, pc), at(pr, pc1));
              sum = jb.create<arith::AddFOp>(jl, sum, at(pr1, pc));
              sum = jb.create<arith::AddFOp>(jl, sum, at(pr1, pc1));
              Value quarter =
                  jb.create<arith::ConstantOp>(jl, jb.getF32FloatAttr(0.25f));
              Value d = jb.create<arith::MulFOp>(jl, quarter, sum);
              Value y = jb.create<arith::AddFOp>(
                  jl, jb.create<arith::MulFOp>(jl, s, d), o);
              jb.create<memref::StoreOp>(
                  jl, y, dst,
                  ValueRange{jb.create<arith::AddIOp>(jl, r0, i),
                             jb.create<arith::AddIOp>(jl, c0, j)});
            });
      });
    };
    int64_t iterations = op.getIterations();
    buildLoops(builder, loc, index(iterations / 2),
               [&](OpBuilder &pb, Location l, ValueRange) {
                 apply(pb, l, current, next);
                 apply(pb, l, next, current);
               });
    if (iterations % 2 == 0)
      return current;
    apply(builder, loc, current, next);
    return next;
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
    // A rule table: rule r's query, key and value pattern rows and its
    // substitute, d wide (docs/RuntimeABI.md).
    int64_t dyn = ShapedType::kDynamic;
    auto tableType =
        MemRefType::get({dyn, dyn, dyn}, Float32Type::get(ctx),
                        StridedLayoutAttr::get(ctx, dyn, {dyn, dyn, 1}));
    SmallVector<Value> tables;
    for (BlockArgument arg : entry.getArguments()) {
      if (isa<fac::Int8TensorType>(arg.getType()))
        return mlir::emitError(arg.getLoc())
               << "a kernel parameter of type Int8Tensor does not compile "
                  "yet: kernels take f32 tensors (pass them, and quantize "
                  "in the spec)";
      if (arg.getType() == tensor)
        arg.setType(bufferType);
      if (isRuleList(arg.getType())) {
        arg.setType(tableType);
        tables.push_back(arg);
      }
    }
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
    // Every rule table is R x 4 x d, used or not (an empty one may say
    // 0 x 0 x 0).
    for (Value table : tables) {
      builder.setInsertionPointToStart(&entry);
      Location loc = table.getLoc();
      Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
      Value four = builder.create<arith::ConstantIndexOp>(loc, 4);
      Value rules = builder.create<memref::DimOp>(loc, table, 0);
      Value rows = builder.create<memref::DimOp>(loc, table, 1);
      Value empty = builder.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                                  rules, zero);
      Value same = builder.create<arith::CmpIOp>(
          loc, arith::CmpIPredicate::eq,
          builder.create<arith::SelectOp>(loc, empty, four, rows), four);
      builder.create<RequireOp>(loc, same, "rows per rule of a rule table (4)");
    }
    SmallVector<Value> temporaries;
    // Trees live in buffers (TreeBuffers.h); their ops go at the end.
    TreeLowering trees(builder, temporaries);
    llvm::DenseMap<Value, TreeBuffers> treeValues;
    // Joins in their leaf form, made once for their leaves and expansion.
    llvm::DenseMap<Value, TreeBuffers> flattened;
    SmallVector<Operation *> treeOps;
    llvm::DenseMap<Attribute, Value> decodedCodes;
    std::optional<int64_t> tile;
    if (keyTile)
      tile = keyTile;
    // The buffer a tensor-valued op writes: `out` when it is the result.
    auto destination = [&](Operation *op, Value rows, Value cols,
                           Type element = {}) -> Value {
      if (op->getResult(0) == returned)
        return out;
      int64_t dyn = ShapedType::kDynamic;
      auto dest = builder.create<memref::AllocOp>(
          op->getLoc(),
          MemRefType::get({dyn, dyn}, element ? element : builder.getF32Type()),
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
    // The buffer a product or the tensor algebra writes: named \p what in
    // the memory plan, or `out`, whose sides are then checked.
    auto namedDestination = [&](Operation *op, Value rows, Value cols,
                                StringRef what, Type element) -> Value {
      Value dest = destination(op, rows, cols, element);
      if (dest == out) {
        Location loc = op->getLoc();
        require(loc, builder.create<memref::DimOp>(loc, out, 0), rows,
                "rows of out");
        require(loc, builder.create<memref::DimOp>(loc, out, 1), cols,
                "columns of out");
      } else {
        dest.getDefiningOp()->setAttr("fac.buffer",
                                      builder.getStringAttr(what));
      }
      return dest;
    };
    TensorLowering algebra(
        builder, namedDestination,
        [&](Location loc, Value holds, StringRef what) {
          builder.create<RequireOp>(loc, holds, what);
        },
        temporaries);
    auto dim = [&](Location loc, Value buffer, int64_t i) -> Value {
      // A constant's sides are known: checks on them need no run-time value.
      if (auto view = buffer.getDefiningOp<memref::CastOp>()) {
        auto type = cast<MemRefType>(view.getSource().getType());
        if (!type.isDynamicDim(i))
          return builder.create<arith::ConstantIndexOp>(loc,
                                                        type.getDimSize(i));
      }
      return builder.create<memref::DimOp>(loc, buffer, i);
    };
    // The ops of \p block, in order (the kernel's body, or a branch).
    std::function<LogicalResult(Block &)> process;
    process = [&](Block &block) -> LogicalResult {
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (isa<TreeBuildOp, TreeCutOp, TreeAttendOp, TreeLeavesOp,
                TreeExpandOp, TreeJoinOp, TreeLimitOp>(op)) {
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
            Value rules = cut.getRules();
            if (rules && !llvm::is_contained(tables, rules))
              return op.emitOpError(
                         "with rules that are not a kernel parameter does "
                         "not compile yet: rule lists compile as tables "
                         "given at run time"),
                     failure();
            FailureOr<TreeBuffers> t =
                trees.cut(loc, *source, cut.getPredicate(), rules,
                          /*inPlace=*/cut.getTree().hasOneUse());
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
            Value cols =
                builder.create<memref::DimOp>(loc, expand.getRows(), 1);
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
        if (auto call = dyn_cast<IntrinsicOp>(op);
            call && lookupIntrinsic(call.getCallee()) == Intrinsic::Matmul &&
            call.getArgs().size() == 2) {
          builder.setInsertionPoint(call);
          Location loc = call.getLoc();
          Value a = call.getArgs()[0], b = call.getArgs()[1];
          if (!isa<MemRefType>(a.getType()) || !isa<MemRefType>(b.getType()))
            return call.emitOpError("of tensors with no buffer yet");
          require(loc, dim(loc, a, 1), dim(loc, b, 0),
                  "inner dimensions of a product");
          Value rows = dim(loc, a, 0), cols = dim(loc, b, 1);
          Value dest = namedDestination(&op, rows, cols, "product",
                                        builder.getF32Type());
          emitMatmul(builder, loc, a, b, dest);
          call.getResult().replaceAllUsesWith(dest);
          call.erase();
          continue;
        }
        if (TensorLowering::handles(op)) {
          if (failed(algebra.lower(op)))
            return failure();
          continue;
        }
        if (auto fits = dyn_cast<MemoryFitsOp>(op)) {
          // Each tensor's rows x cols x 4 bytes within the limit, without
          // the product: rows <= (limit / 4) / cols.
          builder.setInsertionPoint(fits);
          Location loc = fits.getLoc();
          Type i64 = builder.getI64Type();
          auto c64 = [&](int64_t v) -> Value {
            return builder.create<arith::ConstantIntOp>(loc, v, 64);
          };
          Value limit = fits.getLimit();
          Value all = builder.create<arith::CmpIOp>(
              loc, arith::CmpIPredicate::sge, limit, c64(0));
          Value quarter = builder.create<arith::DivSIOp>(loc, limit, c64(4));
          for (Value t : fits.getTensors()) {
            if (!isa<MemRefType>(t.getType()))
              return fits.emitOpError("of a value with no buffer");
            auto side = [&](int64_t i) -> Value {
              return builder.create<arith::IndexCastOp>(loc, i64,
                                                        dim(loc, t, i));
            };
            Value rows = side(0), cols = side(1);
            Value per = builder.create<arith::DivSIOp>(
                loc, quarter,
                builder.create<arith::MaxSIOp>(loc, cols, c64(1)));
            Value fitsRows = builder.create<arith::CmpIOp>(
                loc, arith::CmpIPredicate::sle, rows, per);
            Value empty = builder.create<arith::CmpIOp>(
                loc, arith::CmpIPredicate::eq, cols, c64(0));
            all = builder.create<arith::AndIOp>(
                loc, all, builder.create<arith::OrIOp>(loc, empty, fitsRows));
          }
          fits.getResult().replaceAllUsesWith(all);
          fits.erase();
          continue;
        }
        if (auto decode = dyn_cast<FractalDecodeOp>(op)) {
          builder.setInsertionPoint(decode);
          // Equal codes (a weight used twice) are decoded once.
          Value &decoded = decodedCodes[decode->getAttrDictionary()];
          if (!decoded)
            decoded = emitFractalDecode(builder, decode, temporaries);
          decode.getResult().replaceAllUsesWith(decoded);
          decode.erase();
          continue;
        }
        if (auto literal = dyn_cast<LiteralOp>(op);
            literal && literal.getType() == tensor) {
          builder.setInsertionPoint(literal);
          literal.getResult().replaceAllUsesWith(
              constantBuffer(builder, literal.getLoc(), literal.getValue()));
          literal.erase();
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
            temp->setAttr("fac.buffer",
                          builder.getStringAttr("attention rows"));
            dest = temp;
            temporaries.push_back(dest);
          }
          auto attention = builder.create<AttentionOp>(
              attend.getLoc(), attend.getQuery(), attend.getKey(),
              attend.getValue(), dest, attend.getScale(),
              /*causal_offset=*/Value(), /*bias=*/Value(),
              /*key_indices=*/Value(), /*threads=*/Value(), attend.getHead(),
              attend.getRsqrtDAttr(),
              keyTile ? builder.getI64IntegerAttr(keyTile) : IntegerAttr());
          // The hooks, as they are: scalar code on positions.
          attention.getScore().takeBody(attend.getScore());
          attention.getMask().takeBody(attend.getMask());
          attend.getResult().replaceAllUsesWith(dest);
          attend.erase();
          continue;
        }
        if (auto branch = dyn_cast<IfOp>(op)) {
          // A branch on a run-time value: scf.if, each side's ops in buffer
          // form; a tensor result is yielded as a buffer of the ABI's type.
          Type type = branch.getType();
          if (type != tensor && !type.isIntOrIndexOrFloat())
            return op.emitOpError("has no buffer form yet: a branch on a "
                                  "value known only at run time compiles when "
                                  "it gives a tensor or a scalar, not ")
                   << type;
          builder.setInsertionPoint(branch);
          Type resultType = type == tensor ? Type(bufferType) : type;
          auto lowered = builder.create<scf::IfOp>(
              branch.getLoc(), TypeRange{resultType}, branch.getCondition(),
              /*addThenBlock=*/true, /*addElseBlock=*/true);
          for (auto [from, to] :
               {std::pair{&branch.getThenRegion(), lowered.thenBlock()},
                std::pair{&branch.getElseRegion(), lowered.elseBlock()}}) {
            to->getOperations().splice(to->end(),
                                       from->front().getOperations());
            // A side's buffers are the plan's (fac-plan-memory): they are
            // not freed at the end, which their allocation does not
            // dominate.
            size_t before = temporaries.size();
            if (failed(process(*to)))
              return failure();
            temporaries.resize(before);
            auto yield = cast<YieldOp>(to->getTerminator());
            builder.setInsertionPoint(yield);
            Value v = yield.getOperand(0);
            if (v.getType() != resultType)
              v = builder.create<memref::CastOp>(yield.getLoc(), resultType, v);
            builder.create<scf::YieldOp>(yield.getLoc(), v);
            yield.erase();
          }
          branch.getResult().replaceAllUsesWith(lowered.getResult(0));
          branch.erase();
          continue;
        }
        // A list fac-specialize did not unroll: its length is a run-time
        // value (`range(n)` of a parameter, say).
        if (isa<IntrinsicOp, ComprehensionOp>(op) && op.getNumResults() == 1 &&
            isa<ListType>(op.getResult(0).getType()))
          return op.emitOpError(
              "makes a list whose length is known only at run time: kernels "
              "hold lists as values known at compile time (bind the "
              "parameters it depends on with -D)");
        for (Value result : op.getResults())
          if (isa<fac::Int8TensorType>(result.getType()))
            return op.emitOpError(
                "makes an Int8Tensor a kernel cannot hold: kernels make "
                "int8 codes with `quantize` only");
        for (Value result : op.getResults())
          if (result.getType() == tensor || isTensorTree(result.getType()))
            return op.emitOpError("has no buffer form yet: fac-bufferize "
                                  "handles tensors made by fac.attend, "
                                  "products, the tensor algebra, fractal "
                                  "decoding, literals, branches and the "
                                  "tree ops only");
      }
      return success();
    };
    if (failed(process(entry)))
      return failure();

    // The tree ops are done: their values live in buffers. A tree read by
    // anything else (`magnitude` of a whole tree, say) has no buffer form.
    llvm::SmallPtrSet<Operation *, 16> lowered(treeOps.begin(), treeOps.end());
    for (Operation *op : treeOps)
      for (Value v : op->getResults())
        for (Operation *user : v.getUsers())
          if (!lowered.contains(user))
            return user->emitOpError("on a tree does not compile yet: a "
                                     "kernel reads trees with cuts, "
                                     "attention, `Decompress`, joins and "
                                     "limits (`magnitude` of a node's "
                                     "tensor compiles in a cut)");
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
      buildLoops(builder, loc, {rows, cols},
                 [&](OpBuilder &nb, Location l, ValueRange ij) {
                   Value x = nb.create<memref::LoadOp>(l, result, ij);
                   nb.create<memref::StoreOp>(l, x, out, ij);
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
