//===- BindPrelude.cpp - Prelude effects to intrinsic ops -----------------===//
//
// Implements fac-bind-prelude: a performed effect of the standard prelude
// becomes the op that implements it on every target. Which library effect
// a perform is, is read from LibraryEffects.def by its name and type.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Support/Intrinsics.h"
#include "fac/Support/LibraryEffects.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/Support/Regex.h"

namespace fac {
#define GEN_PASS_DEF_FACBINDPRELUDE
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// \p type as Sema prints the language's types (`Tensor`, `List<Int>`,
/// `(Float, Int) -> Bool`); a type nothing constrained (none) is `?`.
std::string languageType(Type type) {
  auto list = [](TypeRange types) {
    std::string text;
    for (Type t : types)
      text += (text.empty() ? "" : ", ") + languageType(t);
    return text;
  };
  if (isa<fac::TensorType>(type))
    return "Tensor";
  if (isa<fac::Int8TensorType>(type))
    return "Int8Tensor";
  if (isa<ModelType>(type))
    return "LanguageModel";
  if (type.isF32())
    return "Float";
  if (type.isInteger(64))
    return "Int";
  if (type.isInteger(1))
    return "Bool";
  if (isa<NoneType>(type))
    return "?";
  if (auto l = dyn_cast<ListType>(type))
    return "List<" + languageType(l.getElementType()) + ">";
  if (auto d = dyn_cast<DataType>(type))
    return d.getArgs().empty()
               ? d.getName().str()
               : (d.getName() + "<" + list(d.getArgs()) + ">").str();
  if (auto f = dyn_cast<FunctionType>(type))
    return "(" + list(f.getInputs()) + ") -> " + list(f.getResults());
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// The row of LibraryEffects.def \p op performs: its name and type, a `?`
/// (an unconstrained hook parameter) standing for any type.
const LibraryEffectInfo *libraryEffectOf(PerformOp op, std::string &type) {
  type = "(";
  for (auto [i, t] : llvm::enumerate(op.getArgs().getTypes()))
    type += (i ? ", " : "") + languageType(t);
  type += ") -> " + languageType(op.getType());
  llvm::Regex pattern(
      "^" +
      llvm::join(llvm::map_range(
                     llvm::split(type, '?'),
                     [](StringRef part) { return llvm::Regex::escape(part); }),
                 "[A-Za-z]+") +
      "$");
  for (const LibraryEffectInfo &row : kLibraryEffects)
    if (op.getEffect() == row.name && pattern.match(row.type))
      return &row;
  return nullptr;
}

/// Moves the body of \p hook, a lambda, into \p region, its `fac.return`
/// a `fac.yield`; fails at \p op when \p hook is not a lambda.
LogicalResult takeHook(PerformOp op, Value hook, Region &region,
                       StringRef what) {
  auto lambda = hook.getDefiningOp<LambdaOp>();
  if (!lambda)
    return op.emitError("the ")
           << what
           << " hook of 'Attend' does not compile: it must be a lambda written "
              "at the call or bound to a name the compiler can see";
  IRMapping mapping;
  lambda.getBody().cloneInto(&region, mapping);
  // A parameter the hook never constrains (a let-bound lambda's unused
  // `h`) has no type yet: it is the position or score Attend passes.
  Block &body = region.front();
  MLIRContext *ctx = op.getContext();
  bool isScore = what == "score";
  for (BlockArgument arg : body.getArguments())
    if (isa<NoneType>(arg.getType()))
      arg.setType(isScore && arg.getArgNumber() == 0
                      ? Type(Float32Type::get(ctx))
                      : Type(IntegerType::get(ctx, 64)));
  auto ret = cast<ReturnOp>(region.front().getTerminator());
  OpBuilder builder(ret);
  builder.create<YieldOp>(ret.getLoc(), ret.getValue());
  ret.erase();
  return success();
}

/// The head index a kernel's hooks read: its argument marked `fac.head`,
/// added before its first tensor when it has none.
Value headArgument(PerformOp op) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func)
    return nullptr;
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), "fac.head"))
      return arg;
  unsigned at = 0;
  while (at < func.getNumArguments() &&
         !isa<fac::TensorType>(func.getArgument(at).getType()))
    ++at;
  MLIRContext *ctx = op.getContext();
  auto attrs = DictionaryAttr::get(
      ctx,
      {NamedAttribute(StringAttr::get(ctx, "fac.name"),
                      StringAttr::get(ctx, "head")),
       NamedAttribute(StringAttr::get(ctx, "fac.head"), UnitAttr::get(ctx))});
  func.insertArgument(at, IntegerType::get(ctx, 64), attrs, func.getLoc());
  return func.getArgument(at);
}

/// `Attend(q, k, v)`: scaled dot-product attention; `Attend(q, k, v,
/// score, mask)`: with the hooks, inlined into the op's regions.
LogicalResult bindAttend(PerformOp op) {
  Type tensor = fac::TensorType::get(op.getContext());
  ValueRange args = op.getArgs();
  if ((args.size() != 3 && args.size() != 5) ||
      !llvm::all_of(args.take_front(3).getTypes(),
                    [&](Type t) { return t == tensor; }) ||
      op.getType() != tensor)
    return op.emitOpError("'Attend' takes three tensors (and a score and a "
                          "mask hook) and returns a tensor");
  OpBuilder builder(op);
  auto attend = builder.create<AttendOp>(
      op.getLoc(), tensor, args[0], args[1], args[2],
      /*scale=*/Value(), /*head=*/Value(), builder.getUnitAttr());
  if (args.size() == 5) {
    if (failed(takeHook(op, args[3], attend.getScore(), "score")) ||
        failed(takeHook(op, args[4], attend.getMask(), "mask")))
      return failure();
    // The head, when a hook reads it.
    if (!attend.getScore().getArgument(3).use_empty() ||
        !attend.getMask().getArgument(2).use_empty()) {
      Value head = headArgument(op);
      if (!head)
        return op.emitOpError("reads the head index outside a kernel");
      attend.getHeadMutable().assign(head);
    }
  }
  SmallVector<Value> hooks(args.drop_front(3));
  op.replaceAllUsesWith(attend.getResult());
  op.erase();
  for (Value hook : hooks)
    if (auto lambda = hook.getDefiningOp<LambdaOp>();
        lambda && lambda->use_empty())
      lambda.erase();
  return success();
}

/// The prelude's functions of numbers on scalars: `float` is arith.sitofp,
/// `int` arith.fptosi (toward zero),
/// the functions of Floats their ops (ScalarIntrinsics.def).
void bindScalarIntrinsic(IntrinsicOp op) {
  StringRef name = op.getCallee();
  ValueRange args = op.getArgs();
  if (!llvm::all_of(args.getTypes(),
                    [](Type t) { return t.isF32() || t.isInteger(64); }))
    return;
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value result;
  std::optional<Intrinsic> which = lookupIntrinsic(name);
  if (which == Intrinsic::Float && args.size() == 1 &&
      args[0].getType().isInteger(64))
    result = b.create<arith::SIToFPOp>(loc, b.getF32Type(), args[0]);
  else if (which == Intrinsic::Int && args.size() == 1 &&
           args[0].getType().isF32())
    result = b.create<arith::FPToSIOp>(loc, b.getI64Type(), args[0]);
#define FAC_UNARY(fn, expr, mlirOp)                                            \
  else if (name == #fn && args.size() == 1 && args[0].getType().isF32())       \
      result = b.create<mlirOp>(loc, args[0]);
#define FAC_BINARY(fn, expr, mlirOp)                                           \
  else if (name == #fn && args.size() == 2 && args[0].getType().isF32())       \
      result = b.create<mlirOp>(loc, args[0], args[1]);
#include "fac/Support/ScalarIntrinsics.def"
  if (!result)
    return;
  op.getResult().replaceAllUsesWith(result);
  op.erase();
}

struct BindPreludePass : public fac::impl::FacBindPreludeBase<BindPreludePass> {
  void runOnOperation() override {
    SmallVector<IntrinsicOp> scalars;
    getOperation().walk([&](IntrinsicOp op) { scalars.push_back(op); });
    for (IntrinsicOp op : scalars)
      bindScalarIntrinsic(op);
    SmallVector<PerformOp> performs;
    getOperation().walk([&](PerformOp op) { performs.push_back(op); });
    for (PerformOp op : performs) {
      std::string type;
      const LibraryEffectInfo *row = libraryEffectOf(op, type);
      std::string overloads;
      for (const LibraryEffectInfo &other : kLibraryEffects)
        if (op.getEffect() == other.name)
          overloads +=
              (overloads.empty() ? "" : ", ") + std::string(other.type);
      LogicalResult bound =
          !row && !overloads.empty()
              ? op.emitOpError("performs '")
                    << op.getEffect() << "' at " << type
                    << ", a type the library's '" << op.getEffect()
                    << "' does not have (" << overloads << ")"
          : !row ? op.emitOpError("effect '")
                       << op.getEffect()
                       << "' is not handled and has no library handler"
          : row->lowering == EffectLowering::Attention
              ? bindAttend(op)
              : op.emitOpError("of library effect '")
                    << row->name << "' " << row->type
                    << ", which kernels get from "
                    << getEffectLoweringPasses(row->lowering)
                    << " in the forms docs/LanguageReference.md lists "
                       "(\"What compiles to kernels today\"): this use is "
                       "not one of them";
      if (failed(bound))
        return signalPassFailure();
    }
  }
};

} // namespace
