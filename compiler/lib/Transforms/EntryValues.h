//===- EntryValues.h - Values a kernel can compute at its start -*- C++ -*-===//
//
// A kernel checks its arguments (fac-kernel-status) and sizes its workspace
// (fac-plan-memory) before doing any work, from values it can compute
// there: its arguments, constants, the sizes of its argument buffers and of
// the buffers it allocates from them, and pure arithmetic on those. This
// class rebuilds such a value at the kernel's start, or into another
// function with the same arguments (the workspace-size function).
//
//===----------------------------------------------------------------------===//

#ifndef FAC_TRANSFORMS_ENTRYVALUES_H
#define FAC_TRANSFORMS_ENTRYVALUES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace fac {

class EntryValues {
public:
  /// Rebuilds values of the function whose entry block is \p entry with
  /// \p builder; \p arguments maps that block's arguments to what stands
  /// for them where the builder builds (they map to themselves when it
  /// builds in \p entry).
  EntryValues(mlir::OpBuilder &builder, mlir::Location loc, mlir::Block &entry,
              mlir::IRMapping arguments = {})
      : builder(builder), loc(loc), entry(entry),
        arguments(std::move(arguments)) {}

  /// \p value rebuilt where the builder is; null when it depends on
  /// anything else (a loop's result, a loaded value).
  mlir::Value atEntry(mlir::Value value, int depth = 256) {
    if (!value || depth == 0)
      return nullptr;
    if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(value))
      return arg.getParentBlock() == &entry ? arguments.lookupOrDefault(value)
                                            : nullptr;
    auto it = remat.find(value);
    if (it != remat.end())
      return it->second;
    mlir::Operation *def = value.getDefiningOp();
    mlir::Value result;
    if (auto dim = llvm::dyn_cast<mlir::memref::DimOp>(def)) {
      if (std::optional<int64_t> index = dim.getConstantIndex())
        result = size(dim.getSource(), *index, depth - 1);
    } else if (def->getNumRegions() == 0 &&
               (mlir::isPure(def) || isSafeDivision(def)) &&
               def->getNumResults() == 1 &&
               llvm::isa<mlir::arith::ArithDialect>(def->getDialect())) {
      mlir::IRMapping mapping;
      bool ok = true;
      for (mlir::Value operand : def->getOperands()) {
        mlir::Value v = atEntry(operand, depth - 1);
        ok &= bool(v);
        if (v)
          mapping.map(operand, v);
      }
      if (ok)
        result = builder.clone(*def, mapping)->getResult(0);
    } else if (auto branch = llvm::dyn_cast<mlir::scf::IfOp>(def);
               branch && value.getType().isIntOrIndexOrFloat()) {
      // A scalar branch (a strategy a handler chose): the side that runs,
      // when both sides' values can be computed at the start.
      unsigned index = llvm::cast<mlir::OpResult>(value).getResultNumber();
      mlir::Value condition = atEntry(branch.getCondition(), depth - 1);
      mlir::Value a =
          condition ? atEntry(branch.thenYield().getOperand(index), depth - 1)
                    : nullptr;
      mlir::Value b =
          a ? atEntry(branch.elseYield().getOperand(index), depth - 1)
            : nullptr;
      if (b)
        result = builder.create<mlir::arith::SelectOp>(loc, condition, a, b);
    }
    remat[value] = result;
    return result;
  }

  /// An upper bound of \p value (an index, a size) at the start: the
  /// value itself when it is known there; else, through the operations
  /// that grow with their operands, from bounds of those. A size the
  /// kernel computes later is bounded where it is written `min(size, b)`
  /// with b known at the start (the tree lowering's form: a leaf count is
  /// at most the tokens), and so is what is computed from such sizes.
  mlir::Value upperBound(mlir::Value value, int depth = 256) {
    if (mlir::Value v = atEntry(value, depth))
      return v;
    if (!value || depth == 0 || llvm::isa<mlir::BlockArgument>(value))
      return nullptr;
    auto it = bounds.find(value);
    if (it != bounds.end())
      return it->second;
    mlir::Operation *def = value.getDefiningOp();
    mlir::Value result;
    auto bound = [&](mlir::Value v) { return upperBound(v, depth - 1); };
    if (auto dim = llvm::dyn_cast<mlir::memref::DimOp>(def)) {
      std::optional<int64_t> index = dim.getConstantIndex();
      auto alloc = dim.getSource().getDefiningOp<mlir::memref::AllocOp>();
      if (index && alloc)
        result = sizeOf(alloc, *index, [&](mlir::Value v) { return bound(v); });
    } else if (llvm::isa<mlir::arith::MinUIOp, mlir::arith::MinSIOp>(def)) {
      // Either side bounds a minimum.
      mlir::Value a = bound(def->getOperand(0)), b = bound(def->getOperand(1));
      if (a && b)
        result = builder.create<mlir::arith::MinUIOp>(loc, a, b);
      else
        result = a ? a : b;
    } else if (auto select = llvm::dyn_cast<mlir::arith::SelectOp>(def)) {
      mlir::Value a = bound(select.getTrueValue()),
                  b = bound(select.getFalseValue());
      if (a && b)
        result = builder.create<mlir::arith::MaxSIOp>(loc, a, b);
    } else if (llvm::isa<mlir::arith::DivUIOp, mlir::arith::CeilDivUIOp>(def)) {
      // Grows with the dividend; the divisor must be known (and is taken
      // as at least 1: at the start, nothing has checked it yet).
      mlir::Value a = bound(def->getOperand(0));
      mlir::Value b = atEntry(def->getOperand(1), depth - 1);
      if (a && b) {
        b = builder.create<mlir::arith::MaxUIOp>(
            loc, b,
            builder.create<mlir::arith::ConstantOp>(
                loc, builder.getIntegerAttr(b.getType(), 1)));
        mlir::IRMapping mapping;
        mapping.map(def->getOperand(0), a);
        mapping.map(def->getOperand(1), b);
        result = builder.clone(*def, mapping)->getResult(0);
      }
    } else if (llvm::isa<mlir::arith::AddIOp, mlir::arith::MulIOp,
                         mlir::arith::MaxUIOp, mlir::arith::MaxSIOp,
                         mlir::arith::IndexCastOp>(def)) {
      mlir::IRMapping mapping;
      bool ok = true;
      for (mlir::Value operand : def->getOperands()) {
        mlir::Value v = bound(operand);
        ok &= bool(v);
        if (v)
          mapping.map(operand, v);
      }
      if (ok)
        result = builder.clone(*def, mapping)->getResult(0);
    }
    bounds[value] = result;
    return result;
  }

  /// Size \p dim of \p buffer at the start: of an argument, or of a
  /// buffer allocated with sizes known there; else null.
  mlir::Value size(mlir::Value buffer, int64_t dim, int depth = 256) {
    if (!buffer)
      return nullptr;
    if (auto arg = llvm::dyn_cast<mlir::BlockArgument>(buffer)) {
      if (arg.getParentBlock() != &entry)
        return nullptr;
      // One memref.dim per size, however many checks read it.
      mlir::Value &cached = argumentSizes[{buffer, dim}];
      if (!cached)
        cached = builder.create<mlir::memref::DimOp>(
            loc, arguments.lookupOrDefault(buffer), dim);
      return cached;
    }
    if (depth == 0)
      return nullptr;
    // A cast has its source's sizes; a branch's buffer, the side's that
    // runs (when the condition is known at the start).
    if (auto cast = buffer.getDefiningOp<mlir::memref::CastOp>())
      return size(cast.getSource(), dim, depth - 1);
    // A view (a tensor's rows) has the sizes it was made with.
    if (auto view = buffer.getDefiningOp<mlir::memref::SubViewOp>()) {
      mlir::OpFoldResult side = view.getMixedSizes()[dim];
      if (auto v = llvm::dyn_cast<mlir::Value>(side))
        return atEntry(v, depth - 1);
      return builder.create<mlir::arith::ConstantIndexOp>(
          loc, llvm::cast<mlir::IntegerAttr>(llvm::cast<mlir::Attribute>(side))
                   .getInt());
    }
    if (auto branch = buffer.getDefiningOp<mlir::scf::IfOp>()) {
      unsigned index = llvm::cast<mlir::OpResult>(buffer).getResultNumber();
      mlir::Value condition = atEntry(branch.getCondition(), depth - 1);
      mlir::Value a =
          condition ? size(branch.thenYield().getOperand(index), dim, depth - 1)
                    : nullptr;
      mlir::Value b =
          a ? size(branch.elseYield().getOperand(index), dim, depth - 1)
            : nullptr;
      if (!b)
        return nullptr;
      return builder.create<mlir::arith::SelectOp>(loc, condition, a, b);
    }
    auto alloc = buffer.getDefiningOp<mlir::memref::AllocOp>();
    if (!alloc)
      return nullptr;
    return sizeOf(alloc, dim, [&](mlir::Value v) { return atEntry(v, depth); });
  }

private:
  /// An integer division whose divisor is at least 1 whatever the
  /// arguments (atLeastOne): it cannot divide by zero (or overflow), so it
  /// may run at the start.
  static bool isSafeDivision(mlir::Operation *def) {
    return llvm::isa<mlir::arith::DivSIOp, mlir::arith::DivUIOp,
                     mlir::arith::CeilDivUIOp>(def) &&
           atLeastOne(def->getOperand(1));
  }

  /// Whether \p v is at least 1 (signed) for any arguments: a constant, a
  /// maximum with such a value, a choice between two such values, or the
  /// idiom `if x < 1 then 1 else x` (any bound c >= 1 for `<`, c >= 0 for
  /// `<=`, either way round).
  static bool atLeastOne(mlir::Value v, int depth = 8) {
    llvm::APInt c;
    if (mlir::matchPattern(v, mlir::m_ConstantInt(&c)))
      return c.getSExtValue() >= 1;
    mlir::Operation *def = v.getDefiningOp();
    if (!def || depth == 0)
      return false;
    if (llvm::isa<mlir::arith::IndexCastOp, mlir::arith::ExtSIOp>(def))
      return atLeastOne(def->getOperand(0), depth - 1);
    if (llvm::isa<mlir::arith::MaxSIOp>(def))
      return atLeastOne(def->getOperand(0), depth - 1) ||
             atLeastOne(def->getOperand(1), depth - 1);
    // A choice: its condition and its two sides.
    mlir::Value condition, a, b;
    if (auto select = llvm::dyn_cast<mlir::arith::SelectOp>(def)) {
      condition = select.getCondition();
      a = select.getTrueValue();
      b = select.getFalseValue();
    } else if (auto branch = llvm::dyn_cast<mlir::scf::IfOp>(def);
               branch && branch.getNumResults() > 0 &&
               branch.getElseRegion().hasOneBlock()) {
      unsigned index = llvm::cast<mlir::OpResult>(v).getResultNumber();
      condition = branch.getCondition();
      a = branch.thenYield().getOperand(index);
      b = branch.elseYield().getOperand(index);
    } else {
      return false;
    }
    bool sureA = atLeastOne(a, depth - 1), sureB = atLeastOne(b, depth - 1);
    if (sureA && sureB)
      return true;
    auto cmp = condition.getDefiningOp<mlir::arith::CmpIOp>();
    llvm::APInt bound;
    if (!cmp || !mlir::matchPattern(cmp.getRhs(), mlir::m_ConstantInt(&bound)))
      return false;
    int64_t k = bound.getSExtValue();
    mlir::Value x = cmp.getLhs();
    using P = mlir::arith::CmpIPredicate;
    switch (cmp.getPredicate()) {
    case P::slt: // x < k ? (>= 1) : x, and x >= k >= 1 there.
      return sureA && b == x && k >= 1;
    case P::sle:
      return sureA && b == x && k >= 0;
    case P::sgt: // x > k ? x : (>= 1)
      return sureB && a == x && k >= 0;
    case P::sge:
      return sureB && a == x && k >= 1;
    default:
      return false;
    }
  }

  /// Size \p dim of \p alloc: a constant, or \p rebuild of the value.
  template <class Rebuild>
  mlir::Value sizeOf(mlir::memref::AllocOp alloc, int64_t dim,
                     Rebuild rebuild) {
    mlir::OpFoldResult size = alloc.getMixedSizes()[dim];
    if (auto v = llvm::dyn_cast<mlir::Value>(size))
      return rebuild(v);
    return builder.create<mlir::arith::ConstantIndexOp>(
        loc, llvm::cast<mlir::IntegerAttr>(llvm::cast<mlir::Attribute>(size))
                 .getInt());
  }

  mlir::OpBuilder &builder;
  mlir::Location loc;
  mlir::Block &entry;
  mlir::IRMapping arguments;
  llvm::DenseMap<mlir::Value, mlir::Value> remat, bounds;
  llvm::DenseMap<std::pair<mlir::Value, int64_t>, mlir::Value> argumentSizes;
};

} // namespace fac

#endif // FAC_TRANSFORMS_ENTRYVALUES_H
