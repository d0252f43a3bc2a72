//===- TensorBuffers.cpp - The tensor algebra as loops on buffers ---------===//
//
// Each op computes what the interpreter's rule does (TensorAlgebra.cpp),
// element by element in f32, summing in the interpreter's order (which
// adds in f64 and rounds once: sums, means and softmax differ by f32's
// accumulated rounding). Where the interpreter stops with an error on
// shapes or indices, a kernel checks them before it runs (FACRT_ERR_ARG);
// on values it computes as IEEE f32 does (a NaN is not checked).
//
//===----------------------------------------------------------------------===//

#include "TensorBuffers.h"

#include "fac/Support/Intrinsics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace fac;

void fac::buildLoops(
    OpBuilder &builder, Location loc, ValueRange ends,
    function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  Value zero = builder.create<arith::ConstantIndexOp>(loc, 0);
  Value one = builder.create<arith::ConstantIndexOp>(loc, 1);
  SmallVector<Value> starts(ends.size(), zero), steps(ends.size(), one);
  scf::buildLoopNest(builder, loc, starts, ends, steps, body);
}

namespace {

/// The unary and binary functions of values by name (ScalarIntrinsics.def),
/// on f32 scalars; null for another name.
Value scalarFunction(OpBuilder &b, Location loc, StringRef name,
                     ValueRange xs) {
#define FAC_UNARY(fn, expr, mlirOp)                                            \
  if (name == #fn && xs.size() == 1)                                           \
    return b.create<mlirOp>(loc, xs[0]);
#define FAC_BINARY(fn, expr, mlirOp)                                           \
  if (name == #fn && xs.size() == 2)                                           \
    return b.create<mlirOp>(loc, xs[0], xs[1]);
#include "fac/Support/ScalarIntrinsics.def"
  return nullptr;
}

/// Whether \p name is a function of one (or two) Floats of
/// ScalarIntrinsics.def: elementwise on tensors.
bool isScalarFunction(StringRef name, size_t arity) {
#define FAC_UNARY(fn, expr, mlirOp)                                            \
  if (name == #fn)                                                             \
    return arity == 1;
#define FAC_BINARY(fn, expr, mlirOp)                                           \
  if (name == #fn)                                                             \
    return arity == 2;
#include "fac/Support/ScalarIntrinsics.def"
  return false;
}

/// A loop from 0 to \p count carrying one value from \p init: \p step
/// gives the next from the index and the value so far.
Value foldLoop(OpBuilder &b, Location loc, Value count, Value init,
               function_ref<Value(OpBuilder &, Location, Value, Value)> step) {
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  return b
      .create<scf::ForOp>(
          loc, zero, count, one, ValueRange{init},
          [&](OpBuilder &fb, Location fl, Value k, ValueRange acc) {
            fb.create<scf::YieldOp>(fl, step(fb, fl, k, acc[0]));
          })
      .getResult(0);
}

bool isBuffer(Value v) { return isa<MemRefType>(v.getType()); }

/// Elementwise ops: an arithmetic kind or an intrinsic name.
StringRef elementwiseName(Operation &op) {
  if (auto arith = dyn_cast<ArithOp>(op))
    return arith.getKind();
  if (isa<MulOp>(op))
    return "mul";
  if (isa<NegOp>(op))
    return "neg";
  auto call = dyn_cast<IntrinsicOp>(op);
  if (!call || call.getArgs().empty() || !isBuffer(call.getArgs()[0]))
    return "";
  StringRef name = call.getCallee();
  // `max(t, axis)` is a reduction: both of a binary function are tensors.
  bool tensors = llvm::all_of(call.getArgs(), isBuffer);
  return tensors && isScalarFunction(name, call.getArgs().size()) ? name : "";
}

/// `t.shape[k]` or `len(t.shape)` of a tensor's buffer: the field read.
FieldOp shapeRead(Operation &op) {
  Value list;
  if (auto read = dyn_cast<IndexOp>(op))
    list = read.getList();
  else if (auto len = dyn_cast<IntrinsicOp>(op);
           len && lookupIntrinsic(len.getCallee()) == Intrinsic::Len &&
           len.getArgs().size() == 1)
    list = len.getArgs()[0];
  auto field = list ? list.getDefiningOp<FieldOp>() : FieldOp();
  if (field && field.getField() == "shape" && isBuffer(field.getValue()))
    return field;
  return FieldOp();
}

} // namespace

bool TensorLowering::handles(Operation &op) {
  if (!elementwiseName(op).empty() || shapeRead(op))
    return true;
  if (auto field = dyn_cast<FieldOp>(op))
    return isBuffer(field.getValue());
  auto call = dyn_cast<IntrinsicOp>(op);
  if (!call)
    return false;
  bool tensorFirst =
      !call.getArgs().empty() &&
      (isBuffer(call.getArgs()[0]) ||
       isa<fac::TensorType, fac::Int8TensorType>(call.getArgs()[0].getType()));
  // `max(t, axis)` is the algebra's (`max` of Floats is the table's
  // Scalar row).
  return tensorFirst && (isLoweredBy(call.getCallee(), Lowering::Algebra) ||
                         lookupIntrinsic(call.getCallee()) == Intrinsic::Max);
}

LogicalResult TensorLowering::lower(Operation &op) {
  b.setInsertionPoint(&op);
  Location loc = op.getLoc();
  auto index = [&](int64_t v) -> Value {
    return b.create<arith::ConstantIndexOp>(loc, v);
  };
  auto dim = [&](Value buffer, int64_t i) -> Value {
    return b.create<memref::DimOp>(loc, buffer, i);
  };
  auto asIndex = [&](Value i64) -> Value {
    return b.create<arith::IndexCastOp>(loc, b.getIndexType(), i64);
  };
  auto eq = [&](Value x, Value y) -> Value {
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, y);
  };
  // Replaces the op by \p result; a list only it read (a shape, indices)
  // goes with it.
  auto erase = [](Operation *dead) {
    SmallVector<Value> operands(dead->getOperands());
    dead->erase();
    for (Value v : operands)
      if (auto list = v.getDefiningOp<ListOp>(); list && list->use_empty())
        list->erase();
  };
  auto finish = [&](Value result) {
    op.getResult(0).replaceAllUsesWith(result);
    erase(&op);
    return success();
  };
  // A grouped or reduced-groups tensor read by anything but its one reader.
  auto call = dyn_cast<IntrinsicOp>(op);
  StringRef callee = call ? call.getCallee() : "";
  for (auto [k, operand] : llvm::enumerate(op.getOperands())) {
    bool reader =
        k == 0 &&
        ((groups.count(operand) &&
          llvm::is_contained({Intrinsic::Sum, Intrinsic::Mean, Intrinsic::Max},
                             lookupIntrinsic(callee))) ||
         (reducedGroups.count(operand) &&
          lookupIntrinsic(callee) == Intrinsic::Reshape));
    if ((groups.count(operand) || reducedGroups.count(operand)) && !reader)
      return op.emitOpError("reads a tensor of rank 3, which kernels hold only "
                            "between reshape(t, [g, b, d]), a reduction along "
                            "axis 1 and a reshape back to a matrix");
  }

  // Shapes: t.shape[0] and t.shape[1] are the buffer's sides, len is 2.
  if (auto field = dyn_cast<FieldOp>(op)) {
    if (field.getField() != "shape")
      return op.emitOpError("reads a tensor's '")
             << field.getField()
             << "', which has no kernel form: kernels compute on tensors "
                "with the tensor algebra, not on their lists of values";
    for (Operation *user : field->getUsers()) {
      APInt side;
      auto read = dyn_cast<IndexOp>(user);
      auto len = dyn_cast<IntrinsicOp>(user);
      if (!(read && matchPattern(read.getIndex(), m_ConstantInt(&side)) &&
            side.getSExtValue() >= 0 && side.getSExtValue() < 2) &&
          !(len && lookupIntrinsic(len.getCallee()) == Intrinsic::Len))
        return user->emitOpError(
            "reads a tensor's shape in a way no kernel computes: a kernel's "
            "tensors are matrices, and t.shape[0], t.shape[1] (with constant "
            "indices) and len(t.shape) are what it knows of their shapes");
    }
    return success();
  }
  if (FieldOp field = shapeRead(op)) {
    Value side;
    if (auto read = dyn_cast<IndexOp>(op)) {
      APInt k;
      matchPattern(read.getIndex(), m_ConstantInt(&k));
      side = b.create<arith::IndexCastOp>(
          loc, b.getI64Type(), dim(field.getValue(), k.getSExtValue()));
    } else {
      side = b.create<arith::ConstantIntOp>(loc, 2, 64);
    }
    LogicalResult done = finish(side);
    if (field->use_empty())
      field->erase();
    return done;
  }

  // Elementwise, with broadcasting: a side of 1 repeats. \p fn gives an
  // element of \p element from the operands' (a Float operand is itself).
  auto mapElements =
      [&](ValueRange operands, Type element, StringRef what,
          function_ref<Value(OpBuilder &, Location, ValueRange)> fn)
      -> LogicalResult {
    SmallVector<Value> buffers;
    for (Value v : operands)
      if (isBuffer(v))
        buffers.push_back(v);
      else if (!v.getType().isF32())
        return op.emitOpError("of a tensor and a ")
               << v.getType() << ": kernels scale tensors by Floats";
    Value rows = dim(buffers[0], 0), cols = dim(buffers[0], 1);
    if (buffers.size() == 2) {
      // Each side: equal, or 1 on one side (which repeats).
      auto broadcast = [&](Value x, Value y, StringRef side) -> Value {
        Value one = index(1);
        require(loc,
                b.create<arith::OrIOp>(
                    loc, eq(x, y),
                    b.create<arith::OrIOp>(loc, eq(x, one), eq(y, one))),
                (side + " of an elementwise operation's tensors (equal, or "
                        "1 on one side)")
                    .str());
        return b.create<arith::SelectOp>(loc, eq(x, one), y, x);
      };
      rows = broadcast(rows, dim(buffers[1], 0), "rows");
      cols = broadcast(cols, dim(buffers[1], 1), "columns");
    }
    // Per buffer operand: the steps of its rows and columns.
    llvm::DenseMap<Value, std::pair<Value, Value>> repeats;
    for (Value buffer : buffers)
      // A step of 0 along a side of 1, else 1: an index times a step the
      // loop does not change, which LLVM's vectoriser versions on.
      repeats[buffer] = {
          b.create<arith::SelectOp>(loc, eq(dim(buffer, 0), index(1)), index(0),
                                    index(1)),
          b.create<arith::SelectOp>(loc, eq(dim(buffer, 1), index(1)), index(0),
                                    index(1))};
    Value dest = makeDestination(&op, rows, cols, what, element);
    buildLoops(
        b, loc, {rows, cols}, [&](OpBuilder &nb, Location l, ValueRange ij) {
          SmallVector<Value> xs;
          for (Value v : operands) {
            if (!isBuffer(v)) {
              xs.push_back(v);
              continue;
            }
            auto [rowStep, colStep] = repeats.lookup(v);
            Value i = nb.create<arith::MulIOp>(l, ij[0], rowStep);
            Value j = nb.create<arith::MulIOp>(l, ij[1], colStep);
            xs.push_back(nb.create<memref::LoadOp>(l, v, ValueRange{i, j}));
          }
          nb.create<memref::StoreOp>(l, fn(nb, l, xs), dest, ij);
        });
    return finish(dest);
  };
  if (StringRef name = elementwiseName(op); !name.empty()) {
    std::string kind = name.str();
    return mapElements(op.getOperands(), b.getF32Type(), "elementwise result",
                       [&](OpBuilder &nb, Location l, ValueRange xs) -> Value {
                         if (kind == "add")
                           return nb.create<arith::AddFOp>(l, xs[0], xs[1]);
                         if (kind == "sub")
                           return nb.create<arith::SubFOp>(l, xs[0], xs[1]);
                         if (kind == "mul")
                           return nb.create<arith::MulFOp>(l, xs[0], xs[1]);
                         if (kind == "div")
                           return nb.create<arith::DivFOp>(l, xs[0], xs[1]);
                         if (kind == "neg")
                           return nb.create<arith::NegFOp>(l, xs[0]);
                         return scalarFunction(nb, l, kind, xs);
                       });
  }

  // int8 codes: round(t / s) clamped to [-127, 127] (a NaN, where the
  // interpreter stops, codes as 0); and back, codes * s.
  std::optional<Intrinsic> which = lookupIntrinsic(callee);
  if (which == Intrinsic::Dequantize)
    return mapElements(call.getArgs(), b.getF32Type(), "dequantized values",
                       [&](OpBuilder &nb, Location l, ValueRange xs) -> Value {
                         Value code = nb.create<arith::SIToFPOp>(
                             l, nb.getF32Type(), xs[0]);
                         return nb.create<arith::MulFOp>(l, code, xs[1]);
                       });
  if (which == Intrinsic::Quantize)
    return mapElements(
        call.getArgs(), b.getI8Type(), "int8 codes",
        [&](OpBuilder &nb, Location l, ValueRange xs) -> Value {
          auto f32 = [&](float v) -> Value {
            return nb.create<arith::ConstantOp>(l, nb.getF32FloatAttr(v));
          };
          Value r = nb.create<math::RoundOp>(
              l, nb.create<arith::DivFOp>(l, xs[0], xs[1]));
          Value number =
              nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::ORD, r, r);
          r = nb.create<arith::SelectOp>(l, number, r, f32(0));
          r = nb.create<arith::MinimumFOp>(
              l, nb.create<arith::MaximumFOp>(l, r, f32(-127)), f32(127));
          return nb.create<arith::FPToSIOp>(l, nb.getI8Type(), r);
        });

  StringRef name = callee;
  ValueRange args = call.getArgs();
  Type f32 = b.getF32Type();
  auto constantF32 = [&](OpBuilder &nb, Location l, float v) -> Value {
    return nb.create<arith::ConstantOp>(l, nb.getF32FloatAttr(v));
  };
  // The i64 elements of a list the spec wrote out (a shape, indices).
  auto listElements = [&](Value list) -> std::optional<SmallVector<Value>> {
    auto literal = list.getDefiningOp<ListOp>();
    if (!literal)
      return std::nullopt;
    return SmallVector<Value>(literal.getElements());
  };
  // Groups of b rows: the reduction along axis 1 reads the rows' buffer.
  auto grouped = groups.find(args[0]);
  Value source =
      grouped != groups.end() ? std::get<0>(grouped->second) : args[0];
  if (!isBuffer(source))
    return op.emitOpError("of a tensor with no buffer");
  Value rows = dim(source, 0), cols = dim(source, 1);

  if (which == Intrinsic::Sum || which == Intrinsic::Mean ||
      which == Intrinsic::Max) {
    APInt axisValue;
    if (!matchPattern(args[1], m_ConstantInt(&axisValue)))
      return op.emitOpError("along an axis known only at run time: a "
                            "kernel reduces along an axis given as a number");
    int64_t axis = axisValue.getSExtValue();
    bool groupwise = grouped != groups.end();
    if (groupwise && axis != 1)
      return op.emitOpError("along axis ")
             << axis
             << " of reshape(t, [g, b, d]): kernels reduce such groups "
                "along axis 1 only";
    if (!groupwise && axis != 0 && axis != 1)
      return op.emitOpError("along axis ")
             << axis << " of a matrix (kernels' tensors are matrices)";
    bool isMax = which == Intrinsic::Max;
    // One reduction of `count` values at(k), in the interpreter's order.
    auto reduce = [&](OpBuilder &nb, Location l, Value count,
                      function_ref<Value(OpBuilder &, Location, Value)> at) {
      Value init = constantF32(nb, l, isMax ? -INFINITY : 0.0f);
      Value total = foldLoop(
          nb, l, count, init,
          [&](OpBuilder &fb, Location fl, Value k, Value acc) -> Value {
            Value x = at(fb, fl, k);
            if (isMax)
              return fb.create<arith::MaxNumFOp>(fl, acc, x);
            return fb.create<arith::AddFOp>(fl, acc, x);
          });
      if (which == Intrinsic::Mean) {
        Value n = nb.create<arith::SIToFPOp>(
            l, f32, nb.create<arith::IndexCastOp>(l, nb.getI64Type(), count));
        total = nb.create<arith::DivFOp>(l, total, n);
      }
      return total;
    };
    Value one = index(1);
    Value outRows, outCols, count;
    if (groupwise) {
      // [g, b, d] to [g, 1, d], held as g x d.
      count = std::get<1>(grouped->second);
      outRows = std::get<2>(grouped->second);
      outCols = cols;
    } else {
      outRows = axis == 0 ? one : rows;
      outCols = axis == 0 ? cols : one;
      count = axis == 0 ? rows : cols;
    }
    Value dest = destination(&op, outRows, outCols, "reduction");
    buildLoops(
        b, loc, {outRows, outCols},
        [&](OpBuilder &nb, Location l, ValueRange ij) {
          Value total =
              reduce(nb, l, count, [&](OpBuilder &fb, Location fl, Value k) {
                Value i = ij[0], j = ij[1];
                if (groupwise)
                  i = fb.create<arith::AddIOp>(
                      fl, fb.create<arith::MulIOp>(fl, ij[0], count), k);
                else if (axis == 0)
                  i = k;
                else
                  j = k;
                return fb.create<memref::LoadOp>(fl, source, ValueRange{i, j});
              });
          nb.create<memref::StoreOp>(l, total, dest, ij);
        });
    if (groupwise) {
      for (Operation *user : op.getResult(0).getUsers()) {
        auto back = dyn_cast<IntrinsicOp>(user);
        if (!back || lookupIntrinsic(back.getCallee()) != Intrinsic::Reshape ||
            back.getArgs()[0] != op.getResult(0))
          return user->emitOpError(
              "reads a tensor of rank 3 ([g, 1, d], a reduction of groups), "
              "which kernels hold only until a reshape back to a matrix");
      }
      reducedGroups.insert(dest);
      Value groupsValue = args[0];
      LogicalResult done = finish(dest);
      if (groupsValue.use_empty()) {
        groups.erase(groupsValue);
        erase(groupsValue.getDefiningOp());
      }
      return done;
    }
    return finish(dest);
  }

  if (which == Intrinsic::Softmax) {
    Value dest = destination(&op, rows, cols, "softmax");
    buildLoops(b, loc, rows, [&](OpBuilder &nb, Location l, ValueRange is) {
      Value i = is[0];
      Value top = foldLoop(
          nb, l, cols, constantF32(nb, l, -INFINITY),
          [&](OpBuilder &fb, Location fl, Value j, Value acc) -> Value {
            Value x = fb.create<memref::LoadOp>(fl, source, ValueRange{i, j});
            return fb.create<arith::MaxNumFOp>(fl, acc, x);
          });
      Value total = foldLoop(
          nb, l, cols, constantF32(nb, l, 0.0f),
          [&](OpBuilder &fb, Location fl, Value j, Value acc) -> Value {
            Value x = fb.create<memref::LoadOp>(fl, source, ValueRange{i, j});
            Value e = fb.create<math::ExpOp>(
                fl, fb.create<arith::SubFOp>(fl, x, top));
            fb.create<memref::StoreOp>(fl, e, dest, ValueRange{i, j});
            return fb.create<arith::AddFOp>(fl, acc, e);
          });
      buildLoops(nb, l, cols, [&](OpBuilder &fb, Location fl, ValueRange js) {
        Value e = fb.create<memref::LoadOp>(fl, dest, ValueRange{i, js[0]});
        fb.create<memref::StoreOp>(fl, fb.create<arith::DivFOp>(fl, e, total),
                                   dest, ValueRange{i, js[0]});
      });
    });
    return finish(dest);
  }

  if (which == Intrinsic::Transpose) {
    Value dest = destination(&op, cols, rows, "transpose");
    buildLoops(
        b, loc, {rows, cols}, [&](OpBuilder &nb, Location l, ValueRange ij) {
          Value x = nb.create<memref::LoadOp>(l, source, ij);
          nb.create<memref::StoreOp>(l, x, dest, ValueRange{ij[1], ij[0]});
        });
    return finish(dest);
  }

  if (which == Intrinsic::Reshape) {
    std::optional<SmallVector<Value>> shape = listElements(args[1]);
    if (!shape || (shape->size() != 2 && shape->size() != 3))
      return op.emitOpError(
          "to a shape a kernel cannot hold: kernels' tensors are matrices "
          "(reshape(t, [r, c]), with the shape written as a list), and "
          "reshape(t, [g, b, d]) groups rows for a reduction along axis 1");
    // x * y is \p total exactly: both at least 0, and no wrap-around.
    Type i64 = b.getI64Type();
    auto exactProduct = [&](Value x, Value y, Value total, StringRef what) {
      Value zero = b.create<arith::ConstantIntOp>(loc, 0, 64);
      Value oneI64 = b.create<arith::ConstantIntOp>(loc, 1, 64);
      auto sge = [&](Value p, Value q) -> Value {
        return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, p, q);
      };
      Value bound = b.create<arith::DivSIOp>(
          loc, total, b.create<arith::MaxSIOp>(loc, x, oneI64));
      Value fits = b.create<arith::OrIOp>(
          loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, zero),
          sge(bound, y));
      Value same =
          b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                  b.create<arith::MulIOp>(loc, x, y), total);
      Value ok = b.create<arith::AndIOp>(
          loc, b.create<arith::AndIOp>(loc, sge(x, zero), sge(y, zero)),
          b.create<arith::AndIOp>(loc, fits, same));
      require(loc, ok, what);
    };
    if (shape->size() == 3) {
      // Rows in groups of b: a view the reduction reads.
      Value g = asIndex((*shape)[0]), group = asIndex((*shape)[1]),
            width = asIndex((*shape)[2]);
      exactProduct((*shape)[0], (*shape)[1],
                   b.create<arith::IndexCastOp>(loc, i64, rows),
                   "rows of reshape(t, [g, b, d]) (g x b, each at least 0)");
      require(loc, eq(width, cols), "columns of reshape(t, [g, b, d]) (d)");
      for (Operation *user : op.getResult(0).getUsers()) {
        auto reduction = dyn_cast<IntrinsicOp>(user);
        if (!reduction ||
            !llvm::is_contained(
                {Intrinsic::Sum, Intrinsic::Mean, Intrinsic::Max},
                lookupIntrinsic(reduction.getCallee())) ||
            reduction.getArgs()[0] != op.getResult(0))
          return user->emitOpError(
              "reads reshape(t, [g, b, d]), which kernels hold only as the "
              "groups of a reduction along axis 1");
      }
      groups[op.getResult(0)] = {source, group, g};
      return success();
    }
    Value newRows = asIndex((*shape)[0]), newCols = asIndex((*shape)[1]);
    exactProduct((*shape)[0], (*shape)[1],
                 b.create<arith::IndexCastOp>(
                     loc, i64, b.create<arith::MulIOp>(loc, rows, cols)),
                 "values of a reshape (the same count, each side at least 0)");
    reducedGroups.erase(source);
    Value dest = destination(&op, newRows, newCols, "reshape");
    buildLoops(
        b, loc, {newRows, newCols},
        [&](OpBuilder &nb, Location l, ValueRange ij) {
          Value flat = nb.create<arith::AddIOp>(
              l, nb.create<arith::MulIOp>(l, ij[0], newCols), ij[1]);
          Value i = nb.create<arith::DivUIOp>(l, flat, cols);
          Value j = nb.create<arith::RemUIOp>(l, flat, cols);
          Value x = nb.create<memref::LoadOp>(l, source, ValueRange{i, j});
          nb.create<memref::StoreOp>(l, x, dest, ij);
        });
    return finish(dest);
  }

  if (which == Intrinsic::Rows) {
    // t[lo:hi], clamped as a list slice is: a view of t's rows.
    Type i64 = b.getI64Type();
    Value zero = b.create<arith::ConstantIntOp>(loc, 0, 64);
    Value n = b.create<arith::IndexCastOp>(loc, i64, rows);
    Value lo = b.create<arith::MinSIOp>(
        loc, b.create<arith::MaxSIOp>(loc, args[1], zero), n);
    Value hi = b.create<arith::MinSIOp>(
        loc, b.create<arith::MaxSIOp>(loc, args[2], lo), n);
    Value first = asIndex(lo);
    Value count = asIndex(b.create<arith::SubIOp>(loc, hi, lo));
    Value view = b.create<memref::SubViewOp>(
        loc, source, ArrayRef<OpFoldResult>{first, b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{count, cols},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    int64_t dyn = ShapedType::kDynamic;
    auto abi = MemRefType::get(
        {dyn, dyn}, f32, StridedLayoutAttr::get(b.getContext(), dyn, {dyn, 1}));
    if (view.getType() != abi)
      view = b.create<memref::CastOp>(loc, abi, view);
    return finish(view);
  }

  if (which == Intrinsic::Concat) {
    Value other = args[1];
    if (!isBuffer(other))
      return op.emitOpError("of a tensor with no buffer");
    Value otherRows = dim(other, 0);
    require(loc, eq(cols, dim(other, 1)), "columns of the tensors ++ joins");
    Value total = b.create<arith::AddIOp>(loc, rows, otherRows);
    Value dest = destination(&op, total, cols, "concatenation");
    buildLoops(b, loc, {rows, cols},
               [&](OpBuilder &nb, Location l, ValueRange ij) {
                 nb.create<memref::StoreOp>(
                     l, nb.create<memref::LoadOp>(l, source, ij), dest, ij);
               });
    buildLoops(b, loc, {otherRows, cols},
               [&](OpBuilder &nb, Location l, ValueRange ij) {
                 Value x = nb.create<memref::LoadOp>(l, other, ij);
                 Value i = nb.create<arith::AddIOp>(l, ij[0], rows);
                 nb.create<memref::StoreOp>(l, x, dest, ValueRange{i, ij[1]});
               });
    return finish(dest);
  }

  if (which == Intrinsic::Gather && topIndices.count(args[1])) {
    // Rows at indices top-k computed: each is below the count of values it
    // ranked, which must be at most the rows gathered from.
    Value indices, ranked;
    std::tie(indices, ranked) = topIndices.lookup(args[1]);
    require(
        loc,
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ule, ranked, rows),
        "values top-k ranks (at most the rows gathered by its indices)");
    Value count = dim(indices, 0);
    Value dest = destination(&op, count, cols, "gathered rows");
    buildLoops(
        b, loc, {count, cols}, [&](OpBuilder &nb, Location l, ValueRange pj) {
          Value at = nb.create<memref::LoadOp>(l, indices, pj[0]);
          Value row = nb.create<arith::IndexCastOp>(l, nb.getIndexType(), at);
          Value x =
              nb.create<memref::LoadOp>(l, source, ValueRange{row, pj[1]});
          nb.create<memref::StoreOp>(l, x, dest, pj);
        });
    Value list = args[1];
    LogicalResult done = finish(dest);
    if (list.use_empty()) {
      topIndices.erase(list);
      list.getDefiningOp()->erase();
    }
    return done;
  }

  if (which == Intrinsic::Topk) {
    // The k largest of t's n values, largest first, the lower index first
    // among equals: k passes over a copy, each taking the first largest
    // value not yet taken (taken ones become NaN).
    for (Operation *user : op.getResult(0).getUsers()) {
      auto reader = dyn_cast<IntrinsicOp>(user);
      if (!reader || lookupIntrinsic(reader.getCallee()) != Intrinsic::Gather ||
          reader.getArgs()[1] != op.getResult(0))
        return user->emitOpError(
            "reads top-k's indices, which kernels hold only for `gather`");
    }
    Type i64 = b.getI64Type();
    Value n = b.create<arith::MulIOp>(loc, rows, cols);
    Value nI64 = b.create<arith::IndexCastOp>(loc, i64, n);
    Value zero64 = b.create<arith::ConstantIntOp>(loc, 0, 64);
    require(loc,
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, args[1],
                                    zero64),
            "k of top-k (at least 0)");
    Value keep = b.create<arith::MinSIOp>(loc, args[1], nI64);
    Value count = asIndex(keep);
    int64_t dyn = ShapedType::kDynamic;
    auto indices = b.create<memref::AllocOp>(loc, MemRefType::get({dyn}, i64),
                                             ValueRange{count});
    indices->setAttr("fac.buffer", b.getStringAttr("top-k indices"));
    auto scratch = b.create<memref::AllocOp>(loc, MemRefType::get({dyn}, f32),
                                             ValueRange{n});
    scratch->setAttr("fac.buffer", b.getStringAttr("top-k scratch"));
    temporaries.append({indices, scratch});
    buildLoops(b, loc, {rows, cols},
               [&](OpBuilder &nb, Location l, ValueRange ij) {
                 Value x = nb.create<memref::LoadOp>(l, source, ij);
                 Value flat = nb.create<arith::AddIOp>(
                     l, nb.create<arith::MulIOp>(l, ij[0], cols), ij[1]);
                 nb.create<memref::StoreOp>(l, x, scratch, flat);
               });
    buildLoops(b, loc, count, [&](OpBuilder &nb, Location l, ValueRange ps) {
      Value zero = nb.create<arith::ConstantIndexOp>(l, 0);
      Value one = nb.create<arith::ConstantIndexOp>(l, 1);
      Value none = nb.create<arith::ConstantIndexOp>(l, -1);
      Value lowest = constantF32(nb, l, -INFINITY);
      auto scan = nb.create<scf::ForOp>(
          l, zero, n, one, ValueRange{none, lowest},
          [&](OpBuilder &fb, Location fl, Value i, ValueRange best) {
            Value x = fb.create<memref::LoadOp>(fl, scratch, i);
            Value taken =
                fb.create<arith::CmpFOp>(fl, arith::CmpFPredicate::UNO, x, x);
            Value first = fb.create<arith::CmpIOp>(fl, arith::CmpIPredicate::eq,
                                                   best[0], none);
            Value larger = fb.create<arith::CmpFOp>(
                fl, arith::CmpFPredicate::OGT, x, best[1]);
            Value better = fb.create<arith::AndIOp>(
                fl,
                fb.create<arith::XOrIOp>(
                    fl, taken,
                    fb.create<arith::ConstantOp>(fl, fb.getBoolAttr(true))),
                fb.create<arith::OrIOp>(fl, first, larger));
            Value at = fb.create<arith::SelectOp>(fl, better, i, best[0]);
            Value value = fb.create<arith::SelectOp>(fl, better, x, best[1]);
            fb.create<scf::YieldOp>(fl, ValueRange{at, value});
          });
      // Every value taken already cannot happen (p < n); 0 keeps it safe.
      Value found = scan.getResult(0);
      Value at = nb.create<arith::SelectOp>(
          l, nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, found, none),
          zero, found);
      Value nan = constantF32(nb, l, NAN);
      nb.create<memref::StoreOp>(l, nan, scratch, at);
      nb.create<memref::StoreOp>(
          l, nb.create<arith::IndexCastOp>(l, nb.getI64Type(), at), indices,
          ps[0]);
    });
    topIndices[op.getResult(0)] = {indices, n};
    return success();
  }

  if (which == Intrinsic::Gather) {
    std::optional<SmallVector<Value>> picked = listElements(args[1]);
    if (!picked)
      return op.emitOpError(
          "by indices known only at run time does not compile yet: a "
          "kernel gathers the rows of a list written out, or top-k's");
    Value count = index(int64_t(picked->size()));
    Value dest = destination(&op, count, cols, "gathered rows");
    Type i64 = b.getI64Type();
    Value n = b.create<arith::IndexCastOp>(loc, i64, rows);
    Value zero = b.create<arith::ConstantIntOp>(loc, 0, 64);
    for (auto [k, row] : llvm::enumerate(*picked)) {
      require(
          loc,
          b.create<arith::AndIOp>(
              loc,
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, row,
                                      zero),
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, row, n)),
          "a gathered row index (0 to rows - 1)");
      Value from = asIndex(row), to = index(int64_t(k));
      buildLoops(b, loc, cols, [&](OpBuilder &nb, Location l, ValueRange js) {
        Value x = nb.create<memref::LoadOp>(l, source, ValueRange{from, js[0]});
        nb.create<memref::StoreOp>(l, x, dest, ValueRange{to, js[0]});
      });
    }
    return finish(dest);
  }

  return op.emitOpError("has no kernel form");
}
