//===- TreeBuffers.cpp - Trees as buffers and loops -----------------------===//
//
// The loops fac-bufferize emits for the tree ops (TreeBuffers.h describes
// the layout). They follow the reference interpreter step for step: the
// pyramid's means are weighted means of the children in f32, the cut is a
// depth-first walk from the root (so its leaves come in token order), and
// a node's tensor counts for each token it stands for.
//
//===----------------------------------------------------------------------===//

#include "TreeBuffers.h"

#include "fac/Support/Intrinsics.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace fac;

/// Levels a pyramid has at most: 2^63 tokens.
static constexpr int64_t kMaxLevels = 64;

Value TreeLowering::index(Location loc, int64_t v) {
  return b.create<arith::ConstantIndexOp>(loc, v);
}

Value TreeLowering::alloc(Location loc, Type element, ArrayRef<Value> sizes,
                          StringRef what) {
  SmallVector<int64_t> shape(sizes.size(), ShapedType::kDynamic);
  auto buffer = b.create<memref::AllocOp>(loc, MemRefType::get(shape, element),
                                          ValueRange(sizes));
  buffer->setAttr("fac.buffer", b.getStringAttr(what));
  temporaries.push_back(buffer);
  return buffer;
}

static Value toIndex(OpBuilder &b, Location loc, Value i64) {
  return b.create<arith::IndexCastOp>(loc, b.getIndexType(), i64);
}

static Value toI64(OpBuilder &b, Location loc, Value index) {
  return b.create<arith::IndexCastOp>(loc, b.getI64Type(), index);
}

void TreeLowering::copyRow(Location loc, Value src, Value from, Value dst,
                           Value to) {
  Value d = b.create<memref::DimOp>(loc, src, 1);
  b.create<scf::ForOp>(
      loc, index(loc, 0), d, index(loc, 1), ValueRange{},
      [&](OpBuilder &nb, Location l, Value x, ValueRange) {
        Value v = nb.create<memref::LoadOp>(l, src, ValueRange{from, x});
        nb.create<memref::StoreOp>(l, v, dst, ValueRange{to, x});
        nb.create<scf::YieldOp>(l);
      });
}

TreeBuffers TreeLowering::build(Location loc, Value tokens) {
  Type i64 = b.getI64Type();
  TreeBuffers t;
  t.source = tokens;
  t.tokens = b.create<memref::DimOp>(loc, tokens, 0);
  Value d = b.create<memref::DimOp>(loc, tokens, 1);
  auto levelsType = MemRefType::get({kMaxLevels}, i64);
  t.offsets = b.create<memref::AllocaOp>(loc, levelsType);
  t.sizes = b.create<memref::AllocaOp>(loc, levelsType);
  Value c0 = index(loc, 0), c1 = index(loc, 1), c2 = index(loc, 2);
  b.create<memref::StoreOp>(loc, b.create<arith::ConstantIntOp>(loc, 0, 64),
                            t.offsets, c0);
  b.create<memref::StoreOp>(loc, toI64(b, loc, t.tokens), t.sizes, c0);
  // Level k + 1 has ceil(size_k / 2) nodes, up to the one root.
  auto levels = b.create<scf::WhileOp>(
      loc, TypeRange{b.getIndexType(), b.getIndexType(), b.getIndexType()},
      ValueRange{t.tokens, c0, c0},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value more =
            nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ugt, args[0], c1);
        nb.create<scf::ConditionOp>(l, more, args);
      },
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value off = nb.create<arith::AddIOp>(l, args[1], args[0]);
        Value size = nb.create<arith::DivUIOp>(
            l, nb.create<arith::AddIOp>(l, args[0], c1), c2);
        Value k = nb.create<arith::AddIOp>(l, args[2], c1);
        nb.create<memref::StoreOp>(l, toI64(nb, l, off), t.offsets, k);
        nb.create<memref::StoreOp>(l, toI64(nb, l, size), t.sizes, k);
        nb.create<scf::YieldOp>(l, ValueRange{size, off, k});
      });
  t.levels = b.create<arith::AddIOp>(loc, levels.getResult(2), c1);
  Value rows =
      b.create<arith::AddIOp>(loc, levels.getResult(1), levels.getResult(0));
  // The levels hold at most 2n + 64 nodes (ceil(n / 2^k) <= n / 2^k + 1
  // on each of at most 64 levels): the bound the memory plan reserves.
  rows = b.create<arith::MinUIOp>(
      loc, rows,
      b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, t.tokens, c2),
                              index(loc, 64)));
  t.means = alloc(loc, b.getF32Type(), {rows, d}, "pyramid means");
  t.counts = alloc(loc, i64, {rows}, "pyramid counts");

  // Level 0: the tokens, one each.
  Value one = b.create<arith::ConstantIntOp>(loc, 1, 64);
  b.create<scf::ForOp>(loc, c0, t.tokens, c1, ValueRange{},
                       [&](OpBuilder &nb, Location l, Value i, ValueRange) {
                         OpBuilder::InsertionGuard guard(b);
                         b.setInsertionPoint(
                             nb.create<scf::YieldOp>(l).getOperation());
                         copyRow(l, tokens, i, t.means, i);
                         b.create<memref::StoreOp>(l, one, t.counts, i);
                       });
  // Each node above: the weighted mean of its one or two children.
  b.create<scf::ForOp>(
      loc, c1, t.levels, c1, ValueRange{},
      [&](OpBuilder &nb, Location l, Value k, ValueRange) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.create<scf::YieldOp>(l).getOperation());
        Value below = b.create<arith::SubIOp>(l, k, c1);
        Value off = toIndex(b, l, b.create<memref::LoadOp>(l, t.offsets, k));
        Value size = toIndex(b, l, b.create<memref::LoadOp>(l, t.sizes, k));
        Value childOff =
            toIndex(b, l, b.create<memref::LoadOp>(l, t.offsets, below));
        Value childSize =
            toIndex(b, l, b.create<memref::LoadOp>(l, t.sizes, below));
        b.create<scf::ForOp>(
            l, c0, size, c1, ValueRange{},
            [&](OpBuilder &jb, Location jl, Value j, ValueRange) {
              OpBuilder::InsertionGuard inner(b);
              b.setInsertionPoint(jb.create<scf::YieldOp>(jl).getOperation());
              Value first = b.create<arith::MulIOp>(jl, j, c2);
              Value second = b.create<arith::AddIOp>(jl, first, c1);
              Value hasSecond = b.create<arith::CmpIOp>(
                  jl, arith::CmpIPredicate::ult, second, childSize);
              Value r0 = b.create<arith::AddIOp>(jl, childOff, first);
              // Row r0 + 1 exists even without a second child (it is this
              // level's first row): it is read and then not used.
              Value r1 = b.create<arith::AddIOp>(jl, r0, c1);
              Value w0 = b.create<memref::LoadOp>(jl, t.counts, r0);
              Value w1 = b.create<arith::SelectOp>(
                  jl, hasSecond, b.create<memref::LoadOp>(jl, t.counts, r1),
                  b.create<arith::ConstantIntOp>(jl, 0, 64));
              Value count = b.create<arith::AddIOp>(jl, w0, w1);
              Value row = b.create<arith::AddIOp>(jl, off, j);
              b.create<memref::StoreOp>(jl, count, t.counts, row);
              Type f32 = b.getF32Type();
              Value fw0 = b.create<arith::SIToFPOp>(jl, f32, w0);
              Value fw1 = b.create<arith::SIToFPOp>(jl, f32, w1);
              Value fcount = b.create<arith::SIToFPOp>(jl, f32, count);
              Value zero =
                  b.create<arith::ConstantOp>(jl, b.getF32FloatAttr(0));
              b.create<scf::ForOp>(
                  jl, c0, d, c1, ValueRange{},
                  [&](OpBuilder &xb, Location xl, Value x, ValueRange) {
                    Value m0 = xb.create<memref::LoadOp>(xl, t.means,
                                                         ValueRange{r0, x});
                    Value m1 = xb.create<memref::LoadOp>(xl, t.means,
                                                         ValueRange{r1, x});
                    Value acc = xb.create<arith::MulFOp>(xl, m0, fw0);
                    Value second = xb.create<arith::SelectOp>(
                        xl, hasSecond, xb.create<arith::MulFOp>(xl, m1, fw1),
                        zero);
                    acc = xb.create<arith::AddFOp>(xl, acc, second);
                    Value mean = xb.create<arith::DivFOp>(xl, acc, fcount);
                    xb.create<memref::StoreOp>(xl, mean, t.means,
                                               ValueRange{row, x});
                    xb.create<scf::YieldOp>(xl);
                  });
            });
      });
  return t;
}

FailureOr<Value> TreeLowering::predicate(Location loc, const TreeBuffers &tree,
                                         Region &region, Value row) {
  Block &body = region.front();
  Value node = body.getArgument(0);
  IRMapping mapping;
  for (Operation &op : body.without_terminator()) {
    auto intrinsic = dyn_cast<IntrinsicOp>(op);
    if (intrinsic &&
        lookupIntrinsic(intrinsic.getCallee()) == Intrinsic::Magnitude &&
        intrinsic.getArgs()[0] == node) {
      // The norm of the tokens the node stands for: sqrt(count * |mean|^2).
      Value d = b.create<memref::DimOp>(loc, tree.means, 1);
      Value zero = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(0));
      auto sum = b.create<scf::ForOp>(
          loc, index(loc, 0), d, index(loc, 1), ValueRange{zero},
          [&](OpBuilder &nb, Location l, Value x, ValueRange acc) {
            Value v =
                nb.create<memref::LoadOp>(l, tree.means, ValueRange{row, x});
            Value sq = nb.create<arith::MulFOp>(l, v, v);
            nb.create<scf::YieldOp>(
                l, nb.create<arith::AddFOp>(l, acc[0], sq).getResult());
          });
      Value count = b.create<arith::SIToFPOp>(
          loc, b.getF32Type(), b.create<memref::LoadOp>(loc, tree.counts, row));
      Value norm = b.create<math::SqrtOp>(
          loc, b.create<arith::MulFOp>(loc, sum.getResult(0), count));
      mapping.map(intrinsic.getResult(), norm);
      continue;
    }
    if (llvm::is_contained(op.getOperands(), node) ||
        !isa<arith::ArithDialect, math::MathDialect>(op.getDialect()))
      return op.emitError("the predicate of a tree cut uses '")
                 << op.getName()
                 << "', which does not compile yet (a node's tensor compiles "
                    "as magnitude(t), with scalar arithmetic on it)",
             failure();
    b.clone(op, mapping);
  }
  return mapping.lookupOrDefault(
      cast<YieldOp>(body.getTerminator()).getValues()[0]);
}

Value TreeLowering::firstMatch(Location loc, Value rules, Value means,
                               Value row) {
  Type f64 = b.getF64Type();
  Value c0 = index(loc, 0), c1 = index(loc, 1);
  Value d = b.create<memref::DimOp>(loc, means, 1);
  // A pattern of another width matches nothing (the sizes differ).
  Value sameWidth = b.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::eq, b.create<memref::DimOp>(loc, rules, 2), d);
  Value count = b.create<arith::SelectOp>(
      loc, sameWidth, b.create<memref::DimOp>(loc, rules, 0), c0);
  Value none = b.create<arith::ConstantIntOp>(loc, -1, 64);
  Value tolerance = b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(1e-5));
  Value tiny = b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(1e-30));
  Value zero = b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(0));
  auto rulesLoop = b.create<scf::ForOp>(
      loc, c0, count, c1, ValueRange{none},
      [&](OpBuilder &rb, Location l, Value r, ValueRange found) {
        Value unset = rb.create<arith::CmpIOp>(
            l, arith::CmpIPredicate::eq, found[0],
            rb.create<arith::ConstantIntOp>(l, -1, 64));
        auto check = rb.create<scf::IfOp>(l, rb.getI64Type(), unset,
                                          /*withElseRegion=*/true);
        {
          OpBuilder::InsertionGuard g(rb);
          rb.setInsertionPointToStart(check.thenBlock());
          // Any of the three pattern rows.
          Value any = rb.create<arith::ConstantIntOp>(l, 0, 1);
          for (int64_t p = 0; p < 3; ++p) {
            Value which = rb.create<arith::ConstantIndexOp>(l, p);
            auto sums = rb.create<scf::ForOp>(
                l, c0, d, c1, ValueRange{zero, zero},
                [&](OpBuilder &xb, Location xl, Value x, ValueRange acc) {
                  Value v = xb.create<arith::ExtFOp>(
                      xl, f64,
                      xb.create<memref::LoadOp>(xl, means, ValueRange{row, x})
                          .getResult());
                  Value w = xb.create<arith::ExtFOp>(
                      xl, f64,
                      xb.create<memref::LoadOp>(xl, rules,
                                                ValueRange{r, which, x})
                          .getResult());
                  Value num = xb.create<arith::AddFOp>(
                      xl, acc[0],
                      xb.create<math::AbsFOp>(
                          xl, xb.create<arith::SubFOp>(xl, v, w)));
                  Value den = xb.create<arith::AddFOp>(
                      xl, acc[1], xb.create<math::AbsFOp>(xl, w));
                  xb.create<scf::YieldOp>(xl, ValueRange{num, den});
                });
            // num <= 1e-5 * max(den, 1e-30)
            Value bound = rb.create<arith::MulFOp>(
                l, tolerance,
                rb.create<arith::MaximumFOp>(l, sums.getResult(1), tiny));
            Value match = rb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLE,
                                                   sums.getResult(0), bound);
            any = rb.create<arith::OrIOp>(l, any, match);
          }
          Value r64 = rb.create<arith::IndexCastOp>(l, rb.getI64Type(), r);
          rb.create<scf::YieldOp>(
              l, rb.create<arith::SelectOp>(l, any, r64, found[0]).getResult());
          rb.setInsertionPointToStart(check.elseBlock());
          rb.create<scf::YieldOp>(l, found[0]);
        }
        rb.create<scf::YieldOp>(l, check.getResults());
      });
  return rulesLoop.getResult(0);
}

FailureOr<TreeBuffers> TreeLowering::cut(Location loc, const TreeBuffers &tree,
                                         Region &region, Value rules,
                                         bool inPlace) {
  if (tree.cutRows)
    return emitError(loc, "a cut of a cut tree does not compile yet"),
           failure();
  Type i64 = b.getI64Type();
  TreeBuffers t = tree;
  if (rules && !inPlace) {
    // Substitutes go in a copy of the means: the pyramid has other uses.
    Value rows = b.create<memref::DimOp>(loc, tree.means, 0);
    Value d = b.create<memref::DimOp>(loc, tree.means, 1);
    t.means = alloc(loc, b.getF32Type(), {rows, d}, "pyramid means");
    b.create<scf::ForOp>(loc, index(loc, 0), rows, index(loc, 1), ValueRange{},
                         [&](OpBuilder &nb, Location l, Value i, ValueRange) {
                           OpBuilder::InsertionGuard guard(b);
                           b.setInsertionPoint(
                               nb.create<scf::YieldOp>(l).getOperation());
                           copyRow(l, tree.means, i, t.means, i);
                         });
  }
  t.cutRows = alloc(loc, i64, {tree.tokens}, "cut rows");
  t.cutStarts = alloc(loc, i64, {tree.tokens}, "cut first tokens");
  t.cutCounts = alloc(loc, i64, {tree.tokens}, "cut counts");
  // Depth first from the root, left child on top: at most one entry per
  // level plus one.
  auto stackType = MemRefType::get({kMaxLevels + 1}, i64);
  Value stackLevel = b.create<memref::AllocaOp>(loc, stackType);
  Value stackNode = b.create<memref::AllocaOp>(loc, stackType);
  Value c0 = index(loc, 0), c1 = index(loc, 1);
  Value top = b.create<arith::SubIOp>(loc, tree.levels, c1);
  b.create<memref::StoreOp>(loc, toI64(b, loc, top), stackLevel, c0);
  b.create<memref::StoreOp>(loc, b.create<arith::ConstantIntOp>(loc, 0, 64),
                            stackNode, c0);
  // An empty pyramid has nothing to walk.
  Value start = b.create<arith::SelectOp>(
      loc,
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ugt, tree.tokens, c0),
      c1, c0);
  Type indexType = b.getIndexType();
  LogicalResult status = success();
  auto walk = b.create<scf::WhileOp>(
      loc, TypeRange{indexType, indexType}, ValueRange{start, c0},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value more =
            nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ugt, args[0], c0);
        nb.create<scf::ConditionOp>(l, more, args);
      },
      [&](OpBuilder &nb, Location l, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToEnd(nb.getInsertionBlock());
        Value sp = b.create<arith::SubIOp>(l, args[0], c1);
        Value c = args[1];
        Value k = toIndex(b, l, b.create<memref::LoadOp>(l, stackLevel, sp));
        Value j64 = b.create<memref::LoadOp>(l, stackNode, sp);
        Value j = toIndex(b, l, j64);
        Value row = b.create<arith::AddIOp>(
            l, toIndex(b, l, b.create<memref::LoadOp>(l, tree.offsets, k)), j);
        Value isToken =
            b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, k, c0);
        auto leafIf = b.create<scf::IfOp>(l, b.getI1Type(), isToken,
                                          /*withElseRegion=*/true);
        {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPointToStart(leafIf.thenBlock());
          if (rules) {
            // A token the predicate keeps is a node of the cut with no
            // children: the rule step matches it.
            FailureOr<Value> p = predicate(l, t, region, row);
            if (failed(p)) {
              status = failure();
              p = b.create<arith::ConstantIntOp>(l, 1, 1).getResult();
            }
            Value kept = b.create<arith::XOrIOp>(
                l, *p, b.create<arith::ConstantIntOp>(l, 1, 1));
            auto step = b.create<scf::IfOp>(l, kept, /*withElseRegion=*/false);
            OpBuilder::InsertionGuard s(b);
            b.setInsertionPointToStart(step.thenBlock());
            Value r = firstMatch(l, rules, t.means, row);
            Value matched = b.create<arith::CmpIOp>(
                l, arith::CmpIPredicate::sge, r,
                b.create<arith::ConstantIntOp>(l, 0, 64));
            auto write =
                b.create<scf::IfOp>(l, matched, /*withElseRegion=*/false);
            b.setInsertionPointToStart(write.thenBlock());
            Value rule = toIndex(b, l, r);
            Value substitute = index(l, 3);
            Value d = b.create<memref::DimOp>(l, t.means, 1);
            b.create<scf::ForOp>(
                l, index(l, 0), d, index(l, 1), ValueRange{},
                [&](OpBuilder &xb, Location xl, Value x, ValueRange) {
                  Value v = xb.create<memref::LoadOp>(
                      xl, rules, ValueRange{rule, substitute, x});
                  xb.create<memref::StoreOp>(xl, v, t.means,
                                             ValueRange{row, x});
                  xb.create<scf::YieldOp>(xl);
                });
          }
          b.create<scf::YieldOp>(
              l, b.create<arith::ConstantIntOp>(l, 1, 1).getResult());
          b.setInsertionPointToStart(leafIf.elseBlock());
          FailureOr<Value> p = predicate(l, tree, region, row);
          if (failed(p)) {
            status = failure();
            p = b.create<arith::ConstantIntOp>(l, 1, 1).getResult();
          }
          b.create<scf::YieldOp>(l, *p);
        }
        auto step = b.create<scf::IfOp>(l, TypeRange{indexType, indexType},
                                        leafIf.getResult(0),
                                        /*withElseRegion=*/true);
        {
          // A leaf of the cut.
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPointToStart(step.thenBlock());
          b.create<memref::StoreOp>(l, toI64(b, l, row), t.cutRows, c);
          Value first = b.create<arith::ShLIOp>(l, j64, toI64(b, l, k));
          b.create<memref::StoreOp>(l, first, t.cutStarts, c);
          b.create<memref::StoreOp>(
              l, b.create<memref::LoadOp>(l, tree.counts, row), t.cutCounts, c);
          b.create<scf::YieldOp>(
              l, ValueRange{sp, b.create<arith::AddIOp>(l, c, c1)});
          // Its children, the left one on top.
          b.setInsertionPointToStart(step.elseBlock());
          Value below = b.create<arith::SubIOp>(l, k, c1);
          Value below64 = toI64(b, l, below);
          Value childSize =
              toIndex(b, l, b.create<memref::LoadOp>(l, tree.sizes, below));
          Value left = b.create<arith::MulIOp>(l, j, index(l, 2));
          Value right = b.create<arith::AddIOp>(l, left, c1);
          Value hasRight = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult,
                                                   right, childSize);
          auto push = b.create<scf::IfOp>(l, indexType, hasRight,
                                          /*withElseRegion=*/true);
          {
            OpBuilder::InsertionGuard p(b);
            b.setInsertionPointToStart(push.thenBlock());
            b.create<memref::StoreOp>(l, below64, stackLevel, sp);
            b.create<memref::StoreOp>(l, toI64(b, l, right), stackNode, sp);
            b.create<scf::YieldOp>(
                l, b.create<arith::AddIOp>(l, sp, c1).getResult());
            b.setInsertionPointToStart(push.elseBlock());
            b.create<scf::YieldOp>(l, sp);
          }
          Value sp2 = push.getResult(0);
          b.create<memref::StoreOp>(l, below64, stackLevel, sp2);
          b.create<memref::StoreOp>(l, toI64(b, l, left), stackNode, sp2);
          b.create<scf::YieldOp>(
              l, ValueRange{b.create<arith::AddIOp>(l, sp2, c1), c});
        }
        b.create<scf::YieldOp>(l, step.getResults());
      });
  if (failed(status))
    return failure();
  t.cutSize = walk.getResult(1);
  return t;
}

Value TreeLowering::leafCount(Location loc, const TreeBuffers &tree) {
  // A cut has at most as many leaves as tokens.
  return tree.cutRows ? b.create<arith::MinUIOp>(loc, tree.cutSize, tree.tokens)
                      : tree.tokens;
}

std::tuple<Value, Value, Value>
TreeLowering::leaf(Location loc, const TreeBuffers &tree, Value i) {
  if (!tree.cutRows) {
    Value one = b.create<arith::ConstantIntOp>(loc, 1, 64);
    return {i, toI64(b, loc, i), one};
  }
  Value row = toIndex(b, loc, b.create<memref::LoadOp>(loc, tree.cutRows, i));
  return {row, b.create<memref::LoadOp>(loc, tree.cutStarts, i),
          b.create<memref::LoadOp>(loc, tree.cutCounts, i)};
}

Value TreeLowering::leaves(Location loc, const TreeBuffers &tree) {
  Value c = leafCount(loc, tree);
  Value d = b.create<memref::DimOp>(loc, tree.means, 1);
  Value out = alloc(loc, b.getF32Type(), {c, d}, "tree leaves");
  b.create<scf::ForOp>(loc, index(loc, 0), c, index(loc, 1), ValueRange{},
                       [&](OpBuilder &nb, Location l, Value i, ValueRange) {
                         OpBuilder::InsertionGuard guard(b);
                         b.setInsertionPoint(
                             nb.create<scf::YieldOp>(l).getOperation());
                         Value row = std::get<0>(leaf(l, tree, i));
                         copyRow(l, tree.means, row, out, i);
                       });
  return out;
}

Value TreeLowering::attend(Location loc, const TreeBuffers &query,
                           const TreeBuffers &key, const TreeBuffers &value,
                           std::optional<int64_t> keyTile) {
  Value q = leaves(loc, query);
  Value m = key.tokens;
  Value d = b.create<memref::DimOp>(loc, key.means, 1);
  Value dv = b.create<memref::DimOp>(loc, value.means, 1);
  Value c0 = index(loc, 0), c1 = index(loc, 1);
  Type indexType = b.getIndexType();
  // The common refinement of the two cuts: the next piece ends where the
  // first of the current key leaf and value leaf ends. Walked twice: to
  // count the pieces, then to gather them.
  Value keys, values, bias;
  auto merge = [&](bool gather) {
    return b.create<scf::WhileOp>(
        loc, TypeRange{indexType, indexType, b.getI64Type(), indexType},
        ValueRange{c0, c0, b.create<arith::ConstantIntOp>(loc, 0, 64), c0},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value more = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt,
                                                args[2], toI64(nb, l, m));
          nb.create<scf::ConditionOp>(l, more, args);
        },
        [&](OpBuilder &nb, Location l, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToEnd(nb.getInsertionBlock());
          auto [kRow, kFirst, kCount] = leaf(l, key, args[0]);
          auto [vRow, vFirst, vCount] = leaf(l, value, args[1]);
          Value kEnd = b.create<arith::AddIOp>(l, kFirst, kCount);
          Value vEnd = b.create<arith::AddIOp>(l, vFirst, vCount);
          Value end = b.create<arith::MinSIOp>(l, kEnd, vEnd);
          Value c = args[3];
          if (gather) {
            Value length = b.create<arith::SubIOp>(l, end, args[2]);
            copyRow(l, key.means, kRow, keys, c);
            copyRow(l, value.means, vRow, values, c);
            Value weight = b.create<math::LogOp>(
                l, b.create<arith::SIToFPOp>(l, b.getF32Type(), length));
            b.create<memref::StoreOp>(l, weight, bias, c);
          }
          Value nextK = b.create<arith::SelectOp>(
              l,
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, kEnd, end),
              b.create<arith::AddIOp>(l, args[0], c1), args[0]);
          Value nextV = b.create<arith::SelectOp>(
              l,
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, vEnd, end),
              b.create<arith::AddIOp>(l, args[1], c1), args[1]);
          b.create<scf::YieldOp>(
              l,
              ValueRange{nextK, nextV, end, b.create<arith::AddIOp>(l, c, c1)});
        });
  };
  Value pieces = merge(/*gather=*/false).getResult(3);
  // The pieces split the m key tokens: at most m of them.
  pieces = b.create<arith::MinUIOp>(loc, pieces, m);
  keys = alloc(loc, b.getF32Type(), {pieces, d}, "tree attention keys");
  values = alloc(loc, b.getF32Type(), {pieces, dv}, "tree attention values");
  bias = alloc(loc, b.getF32Type(), {pieces}, "tree attention log counts");
  merge(/*gather=*/true);
  Value out = alloc(loc, b.getF32Type(), {leafCount(loc, query), dv},
                    "tree attention rows");
  b.create<AttentionOp>(
      loc, q, keys, values, out, /*scale=*/Value(),
      /*causal_offset=*/Value(), bias,
      /*key_indices=*/Value(), /*threads=*/Value(), /*head=*/Value(),
      b.getUnitAttr(), keyTile ? b.getI64IntegerAttr(*keyTile) : IntegerAttr());
  return out;
}

void TreeLowering::expand(Location loc, Value rows, const TreeBuffers &tree,
                          Value out) {
  Value c = leafCount(loc, tree);
  b.create<scf::ForOp>(
      loc, index(loc, 0), c, index(loc, 1), ValueRange{},
      [&](OpBuilder &nb, Location l, Value i, ValueRange) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.create<scf::YieldOp>(l).getOperation());
        auto span = leaf(l, tree, i);
        Value first = std::get<1>(span), count = std::get<2>(span);
        Value begin = toIndex(b, l, first);
        Value end = toIndex(b, l, b.create<arith::AddIOp>(l, first, count));
        b.create<scf::ForOp>(
            l, begin, end, index(l, 1), ValueRange{},
            [&](OpBuilder &tb, Location tl, Value token, ValueRange) {
              OpBuilder::InsertionGuard inner(b);
              b.setInsertionPoint(tb.create<scf::YieldOp>(tl).getOperation());
              copyRow(tl, rows, i, out, token);
            });
      });
}

//===----------------------------------------------------------------------===//
// Joins and limits
//===----------------------------------------------------------------------===//

void TreeLowering::require(Location loc, Value condition, StringRef what) {
  b.create<RequireOp>(loc, condition, what);
}

void TreeLowering::parts(const TreeBuffers &tree, int64_t depth,
                         SmallVectorImpl<Part> &out) {
  out.push_back({&tree, depth});
  if (tree.join) {
    parts(tree.join->first, depth + 1, out);
    parts(tree.join->second, depth + 1, out);
  }
}

Value TreeLowering::width(Location loc, const TreeBuffers &tree) {
  if (tree.join)
    return width(loc, tree.join->first);
  return b.create<memref::DimOp>(loc, tree.source ? tree.source : tree.means,
                                 1);
}

TreeBuffers TreeLowering::join(Location loc, const TreeBuffers &left,
                               const TreeBuffers &right) {
  Value d = width(loc, left);
  // The first tokens each tree was built from: a tree joined with itself
  // (or with a tree of the same tokens) needs no check.
  auto tokensOf = [](const TreeBuffers *t) {
    while (t->join)
      t = &t->join->first;
    return t->source;
  };
  if (tokensOf(&left) != tokensOf(&right) || !tokensOf(&left))
    require(loc,
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, d,
                                    width(loc, right)),
            "widths of joined trees");
  for (const TreeBuffers *t : {&left, &right})
    if (!t->join)
      require(loc,
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, t->tokens,
                                      index(loc, 1)),
              "tokens of a tree (at least one)");
  TreeBuffers t;
  t.tokens = b.create<arith::AddIOp>(loc, left.tokens, right.tokens);
  // One row, as a static size (the canonicalizer would rebuild the
  // buffer without its name otherwise).
  auto mean = b.create<memref::AllocOp>(
      loc, MemRefType::get({1, ShapedType::kDynamic}, b.getF32Type()),
      ValueRange{d});
  mean->setAttr("fac.buffer", b.getStringAttr("join mean"));
  temporaries.push_back(mean);
  t.means = mean;
  t.join =
      std::make_shared<const std::pair<TreeBuffers, TreeBuffers>>(left, right);
  // The mean of the two roots (each the last row of its means), weighted
  // by their tokens, as the interpreter computes it in f32.
  Type f32 = b.getF32Type();
  auto rootRow = [&](const TreeBuffers &x) {
    return b.create<arith::SubIOp>(
        loc, b.create<memref::DimOp>(loc, x.means, 0), index(loc, 1));
  };
  Value leftRow = rootRow(left), rightRow = rootRow(right);
  Value wl = b.create<arith::SIToFPOp>(loc, f32, toI64(b, loc, left.tokens));
  Value wr = b.create<arith::SIToFPOp>(loc, f32, toI64(b, loc, right.tokens));
  Value w = b.create<arith::SIToFPOp>(loc, f32, toI64(b, loc, t.tokens));
  b.create<scf::ForOp>(
      loc, index(loc, 0), d, index(loc, 1), ValueRange{},
      [&](OpBuilder &nb, Location l, Value x, ValueRange) {
        Value a =
            nb.create<memref::LoadOp>(l, left.means, ValueRange{leftRow, x});
        Value c =
            nb.create<memref::LoadOp>(l, right.means, ValueRange{rightRow, x});
        Value sum =
            nb.create<arith::AddFOp>(l, nb.create<arith::MulFOp>(l, a, wl),
                                     nb.create<arith::MulFOp>(l, c, wr));
        nb.create<memref::StoreOp>(l, nb.create<arith::DivFOp>(l, sum, w),
                                   t.means, ValueRange{index(l, 0), x});
        nb.create<scf::YieldOp>(l);
      });
  return t;
}

Value TreeLowering::deepestDepth(Location loc, ArrayRef<Part> all) {
  // Where every pyramid is on its tokens: nothing is left to expand.
  Value deepest = index(loc, 0);
  for (const Part &part : all)
    if (!part.tree->join)
      deepest = b.create<arith::MaxSIOp>(
          loc, deepest,
          b.create<arith::AddIOp>(
              loc,
              b.create<arith::SubIOp>(loc, part.tree->levels, index(loc, 1)),
              index(loc, part.depth)));
  return deepest;
}

Value TreeLowering::partLevel(Location loc, const Part &part, Value depth) {
  // A pyramid whose root is at depth e is cut at depth D on level
  // top - (D - e), or on its tokens below that.
  const TreeBuffers &t = *part.tree;
  Value top = b.create<arith::SubIOp>(loc, t.levels, index(loc, 1));
  Value level = b.create<arith::SubIOp>(
      loc, b.create<arith::AddIOp>(loc, top, index(loc, part.depth)), depth);
  level = b.create<arith::MaxSIOp>(loc, level, index(loc, 0));
  return b.create<arith::MinSIOp>(loc, level, top);
}

Value TreeLowering::frontierSize(Location loc, ArrayRef<Part> all,
                                 Value depth) {
  Value total = index(loc, 0);
  for (const Part &part : all) {
    Value here;
    if (part.tree->join) {
      // A join is a node of the cut at its own depth only.
      here = b.create<arith::SelectOp>(
          loc,
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, depth,
                                  index(loc, part.depth)),
          index(loc, 1), index(loc, 0));
    } else {
      Value size =
          toIndex(b, loc,
                  b.create<memref::LoadOp>(loc, part.tree->sizes,
                                           partLevel(loc, part, depth)));
      here = b.create<arith::SelectOp>(
          loc,
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, depth,
                                  index(loc, part.depth)),
          size, index(loc, 0));
    }
    total = b.create<arith::AddIOp>(loc, total, here);
  }
  return total;
}

TreeBuffers TreeLowering::frontier(Location loc, const TreeBuffers &tree,
                                   ArrayRef<Part> all, Value depth,
                                   Value maxNodes) {
  Type i64 = b.getI64Type();
  // Each node stands for tokens of its own: at most as many as tokens
  // (and, under a limit, as many as the limit holds).
  Value c =
      b.create<arith::MinUIOp>(loc, frontierSize(loc, all, depth), tree.tokens);
  if (maxNodes)
    c = b.create<arith::MinUIOp>(loc, c, maxNodes);
  TreeBuffers t;
  t.flat = true;
  t.tokens = tree.tokens;
  t.means = alloc(loc, b.getF32Type(), {c, width(loc, tree)}, "cut means");
  t.counts = alloc(loc, i64, {c}, "cut counts");
  t.cutRows = alloc(loc, i64, {c}, "cut rows");
  t.cutStarts = alloc(loc, i64, {c}, "cut first tokens");
  t.cutCounts = t.counts;
  t.cutSize = c;
  // The next leaf and its first token.
  Value cursor = b.create<memref::AllocaOp>(loc, MemRefType::get({2}, i64));
  Value c0 = index(loc, 0), c1 = index(loc, 1);
  Value zero = b.create<arith::ConstantIntOp>(loc, 0, 64);
  b.create<memref::StoreOp>(loc, zero, cursor, c0);
  b.create<memref::StoreOp>(loc, zero, cursor, c1);
  auto leaf = [&](Location l, Value src, Value row, Value count, Value first) {
    Value i = toIndex(b, l, b.create<memref::LoadOp>(l, cursor, c0));
    copyRow(l, src, row, t.means, i);
    b.create<memref::StoreOp>(l, toI64(b, l, i), t.cutRows, i);
    b.create<memref::StoreOp>(l, first, t.cutStarts, i);
    b.create<memref::StoreOp>(l, count, t.counts, i);
    b.create<memref::StoreOp>(l, toI64(b, l, b.create<arith::AddIOp>(l, i, c1)),
                              cursor, c0);
  };
  std::function<void(const TreeBuffers &, int64_t)> emit =
      [&](const TreeBuffers &x, int64_t at) {
        Value first = b.create<memref::LoadOp>(loc, cursor, c1);
        Value tokens = toI64(b, loc, x.tokens);
        if (x.join) {
          auto here = b.create<scf::IfOp>(
              loc,
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, depth,
                                      index(loc, at)),
              /*withElseRegion=*/true);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(here.thenBlock()->getTerminator());
          leaf(loc, x.means, c0, tokens, first);
          b.create<memref::StoreOp>(
              loc, b.create<arith::AddIOp>(loc, first, tokens), cursor, c1);
          b.setInsertionPoint(here.elseBlock()->getTerminator());
          emit(x.join->first, at + 1);
          emit(x.join->second, at + 1);
          return;
        }
        Value level = partLevel(loc, Part{&x, at}, depth);
        Value off =
            toIndex(b, loc, b.create<memref::LoadOp>(loc, x.offsets, level));
        Value size =
            toIndex(b, loc, b.create<memref::LoadOp>(loc, x.sizes, level));
        Value level64 = toI64(b, loc, level);
        b.create<scf::ForOp>(
            loc, c0, size, c1, ValueRange{},
            [&](OpBuilder &nb, Location l, Value j, ValueRange) {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPoint(nb.create<scf::YieldOp>(l).getOperation());
              Value row = b.create<arith::AddIOp>(l, off, j);
              Value start = b.create<arith::AddIOp>(
                  l, first,
                  b.create<arith::ShLIOp>(l, toI64(b, l, j), level64));
              leaf(l, x.means, row, b.create<memref::LoadOp>(l, x.counts, row),
                   start);
            });
        b.create<memref::StoreOp>(
            loc, b.create<arith::AddIOp>(loc, first, tokens), cursor, c1);
      };
  emit(tree, 0);
  return t;
}

FailureOr<TreeBuffers>
TreeLowering::limit(Location loc, const TreeBuffers &tree, Value bytes) {
  if (tree.flat || tree.cutRows)
    return emitError(loc, "a memory limit on a tree that is already cut or "
                          "limited does not compile yet"),
           failure();
  if (!tree.join)
    require(loc,
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, tree.tokens,
                                    index(loc, 1)),
            "tokens of a tree (at least one)");
  SmallVector<Part> all;
  parts(tree, 0, all);
  // Bytes of n nodes: one row of d f32 each.
  Value d64 = toI64(b, loc, width(loc, tree));
  Value four = b.create<arith::ConstantIntOp>(loc, 4, 64);
  auto bytesOf = [&](Location l, Value nodes) {
    return b.create<arith::MulIOp>(
        l, b.create<arith::MulIOp>(l, toI64(b, l, nodes), d64), four);
  };
  require(loc,
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle,
                                  bytesOf(loc, index(loc, 1)), bytes),
          "memory limit (at least the root's bytes)");
  Value deepest = deepestDepth(loc, all);
  // Down a level while the next cut fits.
  Type indexType = b.getIndexType();
  auto walk = b.create<scf::WhileOp>(
      loc, TypeRange{indexType}, ValueRange{index(loc, 0)},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToEnd(nb.getInsertionBlock());
        Value next = b.create<arith::AddIOp>(l, args[0], index(l, 1));
        Value deeper = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt,
                                               args[0], deepest);
        // Only read the levels of a depth that exists.
        auto fits = b.create<scf::IfOp>(
            l, deeper,
            [&](OpBuilder &tb, Location tl) {
              OpBuilder::InsertionGuard inner(b);
              b.setInsertionPointToEnd(tb.getInsertionBlock());
              Value size = frontierSize(tl, all, next);
              Value ok = b.create<arith::CmpIOp>(tl, arith::CmpIPredicate::sle,
                                                 bytesOf(tl, size), bytes);
              b.create<scf::YieldOp>(tl, ok);
            },
            [&](OpBuilder &eb, Location el) {
              eb.create<scf::YieldOp>(
                  el, eb.create<arith::ConstantIntOp>(el, 0, 1).getResult());
            });
        b.create<scf::ConditionOp>(l, fits.getResult(0), ValueRange{next});
      },
      [&](OpBuilder &nb, Location l, ValueRange args) {
        nb.create<scf::YieldOp>(l, args);
      });
  // The condition passes depth + 1 on; when it fails, depth + 1 is one
  // past the answer.
  Value depth = b.create<arith::SubIOp>(loc, walk.getResult(0), index(loc, 1));
  // The frontier fits the limit: at most bytes / (4 d) nodes, which the
  // memory plan reserves rather than the tokens (the limit is the spec's
  // own bound on the cut; it holds the root, checked above). Rows of no
  // values (d = 0) take no bytes: then the tokens bound it.
  // In index arithmetic that only grows with the limit, so that the plan
  // can bound it: bytes / max(4d, 1), at least 1, plus every token when
  // d = 0.
  Value rowBytes =
      b.create<arith::MulIOp>(loc, width(loc, tree), index(loc, 4));
  Value empty = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rowBytes,
                                        index(loc, 0));
  Value perLimit = b.create<arith::DivUIOp>(
      loc, toIndex(b, loc, bytes),
      b.create<arith::MaxUIOp>(loc, rowBytes, index(loc, 1)));
  Value maxNodes = b.create<arith::AddIOp>(
      loc, b.create<arith::MaxUIOp>(loc, perLimit, index(loc, 1)),
      b.create<arith::MulIOp>(
          loc, tree.tokens,
          b.create<arith::IndexCastOp>(
              loc, b.getIndexType(),
              b.create<arith::ExtUIOp>(loc, b.getI64Type(), empty))));
  return frontier(loc, tree, all, depth, maxNodes);
}

FailureOr<TreeBuffers> TreeLowering::leafForm(Location loc,
                                              const TreeBuffers &tree) {
  if (!tree.join)
    return tree;
  SmallVector<Part> all;
  parts(tree, 0, all);
  Value deepest = deepestDepth(loc, all);
  return frontier(loc, tree, all, deepest);
}
