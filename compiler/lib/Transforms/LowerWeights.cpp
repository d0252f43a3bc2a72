//===- LowerWeights.cpp - Weights made at compile time, decoded later ----===//
//
// Implements fac-make-weights and fac-lower-weights. The seed's third and
// fourth variants make their attention weights from random draws and
// fractal-code them with the library's `Compress`; neither depends on a
// kernel's arguments, so the compiler draws and codes them once, with the
// interpreter's own generator and codec (fac/Support/WeightCodes.h), and
// the kernel holds the codes. What runs per call is written in ops: each
// code's decoding (fac.fractal_decode), the products with the input and the
// attention.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Support/Intrinsics.h"
#include "fac/Support/WeightCodes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace fac {
#define GEN_PASS_DEF_FACMAKEWEIGHTS
#define GEN_PASS_DEF_FACLOWERWEIGHTS
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// The most values one kernel's draws may make (as the interpreter's
/// longest list).
constexpr int64_t kMaxDrawn = int64_t(1) << 24;

std::optional<int64_t> constantInt(Value v) {
  APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return std::nullopt;
}

/// \p v as the interpreter computes it: Float scalars in f64, so that a
/// draw's standard deviation (`1/sqrt(float(n))`) is the interpreter's.
std::optional<double> constantReal(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt;
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      return f.getValueAsDouble();
    if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
      return double(i.getValue().getSExtValue());
    return std::nullopt;
  }
  auto binary = [&](auto fn) -> std::optional<double> {
    std::optional<double> a = constantReal(op->getOperand(0)),
                          b = constantReal(op->getOperand(1));
    if (!a || !b)
      return std::nullopt;
    return fn(*a, *b);
  };
  if (isa<arith::AddFOp>(op))
    return binary([](double a, double b) { return a + b; });
  if (isa<arith::SubFOp>(op))
    return binary([](double a, double b) { return a - b; });
  if (isa<arith::MulFOp, MulOp>(op))
    return binary([](double a, double b) { return a * b; });
  if (isa<arith::DivFOp>(op))
    return binary([](double a, double b) { return a / b; });
  if (isa<arith::NegFOp, NegOp>(op))
    if (std::optional<double> a = constantReal(op->getOperand(0)))
      return -*a;
  if (isa<arith::SIToFPOp>(op))
    if (std::optional<int64_t> a = constantInt(op->getOperand(0)))
      return double(*a);
  if (auto call = dyn_cast<IntrinsicOp>(op)) {
    if (lookupIntrinsic(call.getCallee()) == Intrinsic::Float &&
        call.getArgs().size() == 1)
      if (std::optional<int64_t> a = constantInt(call.getArgs()[0]))
        return double(*a);
    if (lookupIntrinsic(call.getCallee()) == Intrinsic::Sqrt &&
        call.getArgs().size() == 1)
      if (std::optional<double> a = constantReal(call.getArgs()[0]))
        return std::sqrt(*a);
  }
  return std::nullopt;
}

/// The integers of a list known at compile time.
std::optional<SmallVector<int64_t>> constantInts(Value list) {
  if (auto literal = list.getDefiningOp<LiteralOp>()) {
    SmallVector<int64_t> out;
    for (APInt x :
         cast<DenseElementsAttr>(literal.getValue()).getValues<APInt>())
      out.push_back(x.getSExtValue());
    return out;
  }
  auto op = list.getDefiningOp<ListOp>();
  if (!op)
    return std::nullopt;
  SmallVector<int64_t> out;
  for (Value x : op.getElements()) {
    std::optional<int64_t> i = constantInt(x);
    if (!i)
      return std::nullopt;
    out.push_back(*i);
  }
  return out;
}

std::vector<fac::Matrix> constantWeight(Value weight, int depth);

/// The multiply-adds one product may take at compile time (the
/// interpreter's limit for one product).
constexpr int64_t kMaxFoldedWork = int64_t(1) << 30;

/// A tensor value known at compile time: a literal, `Tensor(shape,
/// values)` of known lists, a matrix of a weight known then (`w.query`),
/// or a product of such (`⨂`), computed as the interpreter computes it.
std::optional<fac::Matrix> constantMatrix(Value tensor, int depth = 64) {
  if (depth == 0)
    return std::nullopt;
  if (auto field = tensor.getDefiningOp<FieldOp>()) {
    std::optional<uint64_t> index = field.getIndex();
    if (!index || *index > 2 ||
        field.getValue().getType() !=
            DataType::get(tensor.getContext(), "AttentionWeight", {}))
      return std::nullopt;
    std::vector<fac::Matrix> w = constantWeight(field.getValue(), depth - 1);
    if (w.size() != 3)
      return std::nullopt;
    return std::move(w[*index]);
  }
  if (auto call = tensor.getDefiningOp<IntrinsicOp>()) {
    if (lookupIntrinsic(call.getCallee()) != Intrinsic::Matmul ||
        call.getArgs().size() != 2)
      return std::nullopt;
    std::optional<fac::Matrix> a = constantMatrix(call.getArgs()[0], depth - 1);
    std::optional<fac::Matrix> b =
        a ? constantMatrix(call.getArgs()[1], depth - 1) : std::nullopt;
    if (!b || a->cols != b->rows ||
        (a->rows && b->cols && a->cols &&
         a->rows * b->cols > kMaxFoldedWork / a->cols))
      return std::nullopt;
    fac::Matrix c{a->rows, b->cols, {}};
    c.values.assign(size_t(c.rows * c.cols), 0.0f);
    for (int64_t i = 0; i < a->rows; ++i)
      for (int64_t k = 0; k < a->cols; ++k)
        for (int64_t j = 0; j < b->cols; ++j)
          c.values[size_t(i * c.cols + j)] +=
              a->values[size_t(i * a->cols + k)] *
              b->values[size_t(k * b->cols + j)];
    return c;
  }
  if (auto literal = tensor.getDefiningOp<LiteralOp>()) {
    auto dense = cast<DenseElementsAttr>(literal.getValue());
    auto shape = cast<ShapedType>(dense.getType()).getShape();
    fac::Matrix m{shape[0], shape[1], {}};
    for (float x : dense.getValues<float>())
      m.values.push_back(x);
    return m;
  }
  auto construct = tensor.getDefiningOp<ConstructOp>();
  if (!construct || construct.getCtor() != "Tensor" ||
      construct.getFields().size() != 2)
    return std::nullopt;
  std::optional<SmallVector<int64_t>> shape =
      constantInts(construct.getFields()[0]);
  if (!shape || shape->size() != 2)
    return std::nullopt;
  fac::Matrix m{(*shape)[0], (*shape)[1], {}};
  Value values = construct.getFields()[1];
  if (auto literal = values.getDefiningOp<LiteralOp>()) {
    for (float x :
         cast<DenseElementsAttr>(literal.getValue()).getValues<float>())
      m.values.push_back(x);
  } else if (auto list = values.getDefiningOp<ListOp>()) {
    for (Value x : list.getElements()) {
      std::optional<double> f = constantReal(x);
      if (!f)
        return std::nullopt;
      m.values.push_back(float(*f));
    }
  } else {
    return std::nullopt;
  }
  if (m.rows < 0 || m.cols < 0 || int64_t(m.values.size()) != m.rows * m.cols)
    return std::nullopt;
  return m;
}

std::optional<SmallVector<int64_t>> compressedInts(Value weight);

/// The matrices of an AttentionWeight known at compile time: constructed
/// of known tensors, or reconstructed from a code made at compile time;
/// none otherwise.
std::vector<fac::Matrix> constantWeight(Value weight, int depth) {
  std::vector<fac::Matrix> matrices;
  if (auto construct = weight.getDefiningOp<ConstructOp>()) {
    if (construct.getCtor() != "AttentionWeight")
      return {};
    for (Value m : construct.getFields()) {
      std::optional<fac::Matrix> matrix = constantMatrix(m, depth - 1);
      if (!matrix)
        return {};
      matrices.push_back(std::move(*matrix));
    }
    return matrices;
  }
  auto perform = weight.getDefiningOp<PerformOp>();
  if (!perform || perform.getEffect() != "Reconstruct" ||
      perform.getArgs().size() != 1)
    return {};
  std::optional<SmallVector<int64_t>> ints =
      compressedInts(perform.getArgs()[0]);
  if (!ints || !decodeWeightCodes(*ints, 3, matrices))
    return {};
  return matrices;
}

/// The integers of a CompressedWeight made at compile time.
std::optional<SmallVector<int64_t>> compressedInts(Value weight) {
  auto cw = weight.getDefiningOp<ConstructOp>();
  if (!cw || cw.getCtor() != "CompressedWeight" || cw.getFields().size() != 2)
    return std::nullopt;
  auto code = cw.getFields()[0].getDefiningOp<ConstructOp>();
  if (!code || code.getCtor() != "FractalCode" || code.getFields().size() != 2)
    return std::nullopt;
  return constantInts(code.getFields()[1]);
}

/// The \p count matrices \p ints codes, as ops at \p loc.
FailureOr<SmallVector<Value, 3>> decodeInts(OpBuilder &builder, Location loc,
                                            ArrayRef<int64_t> ints, int count) {
  std::vector<CodedMatrix> coded;
  if (!readWeightCodes(ints, count, coded))
    return failure();
  MLIRContext *ctx = builder.getContext();
  Type tensor = fac::TensorType::get(ctx);
  SmallVector<Value, 3> out;
  for (CodedMatrix &m : coded) {
    if (!m.code) {
      auto type =
          RankedTensorType::get({m.raw.rows, m.raw.cols}, builder.getF32Type());
      out.push_back(builder.create<LiteralOp>(
          loc, tensor,
          DenseElementsAttr::get(type, llvm::ArrayRef(m.raw.values))));
      continue;
    }
    int64_t header[8];
    facrt_fractal_export(m.code, header, 8);
    int64_t blocks = facrt_fractal_maps(m.code, nullptr, 0);
    std::vector<facrt_fractal_map> maps(static_cast<size_t>(blocks));
    facrt_fractal_maps(m.code, maps.data(), blocks);
    SmallVector<int64_t> domains;
    SmallVector<int32_t> isometries;
    SmallVector<float> scales, offsets;
    for (const facrt_fractal_map &map : maps) {
      domains.append({map.domain_row, map.domain_col});
      isometries.push_back(map.isometry);
      scales.push_back(map.scale);
      offsets.push_back(map.offset);
    }
    out.push_back(builder.create<FractalDecodeOp>(
        loc, tensor, header[0], header[1], header[2], header[5],
        builder.getDenseI64ArrayAttr(domains),
        builder.getDenseI32ArrayAttr(isometries),
        builder.getDenseF32ArrayAttr(scales),
        builder.getDenseF32ArrayAttr(offsets)));
  }
  freeWeightCodes(coded);
  return out;
}

/// The three matrices a compressed weight decodes to, as ops at \p loc.
FailureOr<SmallVector<Value, 3>> decodeWeight(OpBuilder &builder, Location loc,
                                              Value weight) {
  std::optional<SmallVector<int64_t>> ints = compressedInts(weight);
  if (!ints)
    return failure();
  return decodeInts(builder, loc, *ints, 3);
}

Value matmul(OpBuilder &builder, Location loc, Value a, Value b) {
  return builder.create<IntrinsicOp>(loc, a.getType(), "matmul",
                                     ValueRange{a, b});
}

/// softmax(x·wq (x·wk)^T / sqrt(d)) x·wv for a compressed weight.
FailureOr<Value> attentionForward(OpBuilder &builder, Location loc, Value x,
                                  Value weight) {
  FailureOr<SmallVector<Value, 3>> w = decodeWeight(builder, loc, weight);
  if (failed(w))
    return failure();
  Value q = matmul(builder, loc, x, (*w)[0]);
  Value k = matmul(builder, loc, x, (*w)[1]);
  Value v = matmul(builder, loc, x, (*w)[2]);
  return builder
      .create<AttendOp>(loc, x.getType(), q, k, v, /*scale=*/Value(),
                        /*head=*/Value(), builder.getUnitAttr())
      .getResult();
}

/// `Tensor(shape, values)` of lists known at compile time (drawn, or
/// written out): a literal, whose buffer is a constant.
LogicalResult literalTensor(ConstructOp op, PatternRewriter &rewriter) {
  if (op.getCtor() != "Tensor" ||
      op.getType() != fac::TensorType::get(op.getContext()) ||
      op.getFields().size() != 2)
    return failure();
  std::optional<fac::Matrix> m = constantMatrix(op.getResult());
  if (!m)
    return failure();
  auto type = RankedTensorType::get({m->rows, m->cols}, rewriter.getF32Type());
  rewriter.replaceOpWithNewOp<LiteralOp>(
      op, op.getType(),
      DenseElementsAttr::get(type, llvm::ArrayRef(m->values)));
  return success();
}

bool isWeightEffect(PerformOp op) {
  StringRef e = op.getEffect();
  if (e == "Compress")
    return op.getArgs().size() == 2 &&
           op.getArgs()[0].getType() ==
               DataType::get(op.getContext(), "AttentionWeight", {});
  return e == "Reconstruct" || e == "AttentionForward" || e == "FractalForward";
}

/// Draws and codes, in program order, what the top level of \p body makes
/// of compile-time values (lambdas' bodies are not run there).
LogicalResult makeWeights(Block &body, RandomDraws &draws) {
  MLIRContext *ctx = body.getParentOp()->getContext();
  OpBuilder builder(ctx);
  Type f32 = builder.getF32Type(), i64 = builder.getI64Type();
  // A draw whose arguments are not known leaves the generator's state
  // unknown: no later draw can be made either.
  bool unknownState = false;
  for (Operation &op : llvm::make_early_inc_range(body)) {
    builder.setInsertionPoint(&op);
    Location loc = op.getLoc();
    auto literal = [&](ArrayRef<double> xs) {
      SmallVector<float> values(xs.begin(), xs.end());
      auto type = RankedTensorType::get({int64_t(values.size())}, f32);
      return builder.create<LiteralOp>(
          loc, ListType::get(ctx, f32),
          DenseElementsAttr::get(type, llvm::ArrayRef(values)));
    };
    if (auto call = dyn_cast<IntrinsicOp>(op)) {
      StringRef name = call.getCallee();
      std::optional<Intrinsic> which = lookupIntrinsic(name);
      if (unknownState)
        continue; // Refused by fac-lower-weights if a kernel uses it.
      if (which == Intrinsic::RandomNormal && call.getArgs().size() == 3) {
        std::optional<int64_t> count = constantInt(call.getArgs()[0]);
        std::optional<double> mean = constantReal(call.getArgs()[1]),
                              std = constantReal(call.getArgs()[2]);
        unknownState = !count || !mean || !std;
        if (unknownState)
          continue;
        if (*count < 0 || *count > kMaxDrawn || !std::isfinite(*mean) ||
            !std::isfinite(*std) || *std < 0)
          return call.emitError("RandomNormal(")
                 << *count << ", " << *mean << ", " << *std
                 << ") cannot be drawn: it needs 0 to " << kMaxDrawn
                 << " values, a finite mean and a finite standard "
                    "deviation >= 0";
        call.replaceAllUsesWith(
            literal(draws.normal(*count, *mean, *std)).getResult());
        call.erase();
      } else if (which == Intrinsic::InitRandom && call.getArgs().size() == 1) {
        std::optional<SmallVector<int64_t>> shape =
            constantInts(call.getArgs()[0]);
        unknownState = !shape;
        if (unknownState)
          continue;
        int64_t count = 1;
        for (int64_t d : *shape) {
          if (d < 0 || d > kMaxDrawn || (d && count > kMaxDrawn / d))
            return call.emitError("initRandom of a shape with more than ")
                   << kMaxDrawn << " values, or a negative side";
          count *= d;
        }
        call.replaceAllUsesWith(literal(draws.initial(count)).getResult());
        call.erase();
      } else if (which == Intrinsic::SampleCode && call.getArgs().size() == 1) {
        std::optional<int64_t> level = constantInt(call.getArgs()[0]);
        unknownState = !level;
        if (unknownState)
          continue;
        if (*level > kMaxDrawn)
          return call.emitError("sampleCode(") << *level << ") is too long";
        std::vector<int64_t> code = draws.code(*level);
        auto type = RankedTensorType::get({int64_t(code.size())}, i64);
        Value l = builder.create<LiteralOp>(
            loc, ListType::get(ctx, i64),
            DenseElementsAttr::get(type, llvm::ArrayRef(code)));
        call.replaceAllUsesWith(l);
        call.erase();
      }
      continue;
    }
    auto perform = dyn_cast<PerformOp>(op);
    if (!perform || perform.getEffect() != "Compress" ||
        !isWeightEffect(perform))
      continue;
    auto code = perform.getArgs()[1].getDefiningOp<ConstructOp>();
    if (!code || code.getCtor() != "FractalCode" ||
        code.getFields().size() != 2)
      continue;
    std::vector<fac::Matrix> matrices =
        constantWeight(perform.getArgs()[0], 64);
    if (matrices.size() != 3)
      continue;
    std::vector<int64_t> ints;
    double bits = 0;
    std::string error;
    if (!codeWeights(matrices, ints, bits, error))
      return perform.emitError("cannot code this weight at compile time: ")
             << error;
    auto type = RankedTensorType::get({int64_t(ints.size())}, i64);
    Value list = builder.create<LiteralOp>(
        loc, ListType::get(ctx, i64),
        DenseElementsAttr::get(type, llvm::ArrayRef(ints)));
    Value fc =
        builder.create<ConstructOp>(loc, code.getType(), "FractalCode",
                                    ValueRange{code.getFields()[0], list});
    Value scale = builder.create<arith::ConstantOp>(
        loc, builder.getF32FloatAttr(float(bits)));
    Value compressed = builder.create<ConstructOp>(
        loc, perform.getType(), "CompressedWeight", ValueRange{fc, scale});
    perform.getResult().replaceAllUsesWith(compressed);
    perform.erase();
  }
  // The draws' arguments are dead now: the pure intrinsics among them go
  // (the canonicalizer removes the rest).
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body))) {
    auto call = dyn_cast<IntrinsicOp>(op);
    bool pureCall =
        call && (lookupIntrinsic(call.getCallee()) == Intrinsic::Sqrt ||
                 lookupIntrinsic(call.getCallee()) == Intrinsic::Float);
    if (isOpTriviallyDead(&op) || (pureCall && op.use_empty()))
      op.erase();
  }
  return success();
}

/// `Reconstruct(w)`: the AttentionWeight of the three decoded matrices.
LogicalResult lowerReconstruct(PerformOp op, PatternRewriter &rewriter) {
  if (op.getEffect() != "Reconstruct" || op.getArgs().size() != 1)
    return failure();
  FailureOr<SmallVector<Value, 3>> w =
      decodeWeight(rewriter, op.getLoc(), op.getArgs()[0]);
  if (failed(w))
    return failure();
  rewriter.replaceOpWithNewOp<ConstructOp>(op, op.getType(), "AttentionWeight",
                                           ValueRange(*w));
  return success();
}

/// `AttentionForward(x, w)`, and `applyCompressed(x, w)` (`⤙`, `⊙`).
LogicalResult lowerAttentionForward(Operation *op, PatternRewriter &rewriter) {
  bool matched = false;
  if (auto perform = dyn_cast<PerformOp>(op))
    matched = perform.getEffect() == "AttentionForward";
  if (auto call = dyn_cast<IntrinsicOp>(op))
    matched = lookupIntrinsic(call.getCallee()) == Intrinsic::ApplyCompressed;
  if (!matched || op->getNumOperands() != 2)
    return failure();
  rewriter.setInsertionPoint(op);
  FailureOr<Value> y = attentionForward(rewriter, op->getLoc(),
                                        op->getOperand(0), op->getOperand(1));
  if (failed(y))
    return failure();
  rewriter.replaceOp(op, *y);
  return success();
}

LogicalResult lowerPerformedAttentionForward(PerformOp op,
                                             PatternRewriter &rewriter) {
  return lowerAttentionForward(op, rewriter);
}
LogicalResult lowerApplyCompressed(IntrinsicOp op, PatternRewriter &rewriter) {
  return lowerAttentionForward(op, rewriter);
}

/// `fractalDecode(code, [r, c])`: the code's first matrix.
LogicalResult lowerFractalDecode(IntrinsicOp op, PatternRewriter &rewriter) {
  if (lookupIntrinsic(op.getCallee()) != Intrinsic::FractalDecode ||
      op.getArgs().size() != 2)
    return failure();
  auto code = op.getArgs()[0].getDefiningOp<ConstructOp>();
  std::optional<SmallVector<int64_t>> shape = constantInts(op.getArgs()[1]);
  if (!code || code.getFields().size() != 2 || !shape || shape->size() != 2)
    return failure();
  std::optional<SmallVector<int64_t>> ints = constantInts(code.getFields()[1]);
  if (!ints)
    return failure();
  // A code of three matrices, as the interpreter reads it; the first one.
  FailureOr<SmallVector<Value, 3>> w =
      decodeInts(rewriter, op.getLoc(), *ints, 3);
  if (failed(w))
    return failure();
  rewriter.eraseOp((*w)[2].getDefiningOp());
  rewriter.eraseOp((*w)[1].getDefiningOp());
  // The shape asked must be the code's: else the interpreter fails.
  auto shapeOf = [](Value m) -> std::pair<int64_t, int64_t> {
    if (auto d = m.getDefiningOp<FractalDecodeOp>())
      return {d.getRows(), d.getCols()};
    auto type =
        cast<ShapedType>(m.getDefiningOp<LiteralOp>().getValue().getType());
    return {type.getShape()[0], type.getShape()[1]};
  };
  if (shapeOf((*w)[0]) != std::make_pair((*shape)[0], (*shape)[1])) {
    rewriter.eraseOp((*w)[0].getDefiningOp());
    return failure();
  }
  rewriter.replaceOp(op, (*w)[0]);
  return success();
}

/// `FractalForward(x, ws)`: AttentionForward through each weight in turn.
LogicalResult lowerFractalChain(PerformOp op, PatternRewriter &rewriter) {
  if (op.getEffect() != "FractalForward" || op.getArgs().size() != 2)
    return failure();
  auto weights = op.getArgs()[1].getDefiningOp<ListOp>();
  if (!weights)
    return failure();
  Value x = op.getArgs()[0];
  for (Value w : weights.getElements()) {
    FailureOr<Value> y = attentionForward(rewriter, op.getLoc(), x, w);
    if (failed(y))
      return failure();
    x = *y;
  }
  rewriter.replaceOp(op, x);
  return success();
}

/// `FractalForward(x, level, ws)` at a compile-time level: f(x, 0, W) = x,
/// f(x, l, W) = attend_{W[l-1]}(f(x, l-1, W[:|W|/2]) · f(x, l-1, W[|W|/2:])),
/// unrolled (libfacrt's facrt_v4_forward, node for node).
struct LowerFractalTree : OpRewritePattern<PerformOp> {
  LowerFractalTree(MLIRContext *ctx, int64_t maxAttentions)
      : OpRewritePattern(ctx), maxAttentions(maxAttentions) {}

  LogicalResult matchAndRewrite(PerformOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getEffect() != "FractalForward" || op.getArgs().size() != 3)
      return failure();
    std::optional<int64_t> level = constantInt(op.getArgs()[1]);
    auto weights = op.getArgs()[2].getDefiningOp<ListOp>();
    if (!level || !weights || *level < 0 || *level > 62 ||
        (int64_t(1) << *level) - 1 > maxAttentions)
      return failure();
    SmallVector<Value> ws(weights.getElements());
    for (Value w : ws)
      if (!compressedInts(w))
        return failure();
    Value x = op.getArgs()[0];
    // Products of equal operands are made once (the leaves are all x).
    llvm::DenseMap<std::pair<Value, Value>, Value> products;
    std::function<FailureOr<Value>(int64_t, int64_t, int64_t)> build =
        [&](int64_t l, int64_t lo, int64_t hi) -> FailureOr<Value> {
      if (l == 0)
        return x;
      int64_t mid = lo + (hi - lo) / 2;
      FailureOr<Value> a = build(l - 1, lo, mid);
      if (failed(a))
        return failure();
      FailureOr<Value> b = build(l - 1, mid, hi);
      int64_t index = lo + (l - 1);
      if (failed(b) || index >= hi)
        return failure();
      Value &product = products[{*a, *b}];
      if (!product)
        product = matmul(rewriter, op.getLoc(), *a, *b);
      return attentionForward(rewriter, op.getLoc(), product, ws[index]);
    };
    FailureOr<Value> y = build(*level, 0, int64_t(ws.size()));
    if (failed(y))
      return failure();
    rewriter.replaceOp(op, *y);
    return success();
  }

  int64_t maxAttentions;
};

struct MakeWeightsPass : public fac::impl::FacMakeWeightsBase<MakeWeightsPass> {
  void runOnOperation() override {
    for (auto concept : getOperation().getOps<ConceptOp>()) {
      // The concept's body runs first, on a generator of its own; then each
      // function it defines, called once, continues from there.
      RandomDraws draws;
      Block &body = concept.getBody().front();
      if (failed(makeWeights(body, draws)))
        return signalPassFailure();
      for (auto lambda : body.getOps<LambdaOp>()) {
        RandomDraws call = draws;
        if (failed(makeWeights(lambda.getBody().front(), call)))
          return signalPassFailure();
      }
    }
  }
};

struct LowerWeightsPass
    : public fac::impl::FacLowerWeightsBase<LowerWeightsPass> {
  using FacLowerWeightsBase::FacLowerWeightsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    RewritePatternSet patterns(&getContext());
    patterns.add(lowerReconstruct);
    patterns.add(lowerFractalChain);
    patterns.add(lowerFractalDecode);
    patterns.add<LowerFractalTree>(&getContext(), maxAttentions);
    // Fields and destructurings of the weights they make.
    populateDataFoldPatterns(patterns);
    patterns.add(literalTensor);
    patterns.add(lowerPerformedAttentionForward);
    patterns.add(lowerApplyCompressed);
    if (failed(applyPatternsAndFoldGreedily(module, std::move(patterns))))
      return signalPassFailure();
    if (failed(refuseLeftovers(module)))
      return signalPassFailure();
  }

  /// What could not be made or lowered, with why.
  LogicalResult refuseLeftovers(ModuleOp module) {
    bool ok = true;
    module.walk([&](Operation *op) {
      if (!op->getParentOfType<func::FuncOp>() ||
          !op->getParentOfType<func::FuncOp>()->hasAttr("fac.kernel"))
        return;
      if (auto call = dyn_cast<IntrinsicOp>(op)) {
        StringRef name = call.getCallee();
        std::optional<Intrinsic> which = lookupIntrinsic(name);
        if (which == Intrinsic::RandomNormal ||
            which == Intrinsic::InitRandom || which == Intrinsic::SampleCode) {
          ok = false;
          call.emitError("'")
              << name
              << "' compiles only with arguments known at compile time, at "
                 "the top level of its concept or function, after draws that "
                 "compile too: a kernel's random values are drawn when it is "
                 "compiled, in program order, with the interpreter's "
                 "generator";
        } else if (which == Intrinsic::ApplyCompressed) {
          ok = false;
          call.emitError("'applyCompressed' compiles only on a weight coded "
                         "at compile time by 'Compress' of a weight known "
                         "then (drawn, written out, or given with -D)");
        } else if (which == Intrinsic::FractalDecode) {
          ok = false;
          auto code = call.getArgs()[0].getDefiningOp<ConstructOp>();
          std::optional<SmallVector<int64_t>> shape =
              constantInts(call.getArgs()[1]);
          if (!code || code.getFields().size() != 2 ||
              !constantInts(code.getFields()[1]))
            call.emitError("'fractalDecode' compiles only on a code made at "
                           "compile time by 'Compress' of a weight known "
                           "then (drawn, written out, or given with -D)");
          else if (!shape)
            call.emitError("'fractalDecode' compiles only with a shape known "
                           "at compile time (`x ⊗ code` asks for x's width, "
                           "known only when the kernel runs)");
          else
            call.emitError("'fractalDecode' asks for a shape other than the "
                           "code's first matrix's, which does not compile "
                           "yet");
        }
        return;
      }
      auto perform = dyn_cast<PerformOp>(op);
      if (!perform || !isWeightEffect(perform))
        return;
      ok = false;
      StringRef e = perform.getEffect();
      if (e == "Compress")
        perform.emitError("'Compress' of a weight compiles only when the "
                          "weight is known at compile time (drawn with "
                          "compile-time arguments, or given with -D): the "
                          "compiler codes it once, as the interpreter "
                          "would");
      else if (e == "FractalForward" && perform.getArgs().size() == 3)
        perform.emitError("'FractalForward' compiles at a level known at "
                          "compile time (at most ")
            << llvm::Log2_64(uint64_t(maxAttentions) + 1)
            << ", set by max-attentions), on a list of weights made at "
               "compile time, long enough that every node of the recursion "
               "has its (level-1)-th weight";
      else
        perform.emitError("'")
            << e
            << "' compiles only on compressed weights made at compile time "
               "(by 'Compress' of a weight known then), in a list written "
               "out";
    });
    return success(ok);
  }
};

} // namespace
