//===- FACOps.cpp - Operations of the fac dialect -------------------------===//
//
// Custom assembly, verifiers and canonicalization patterns of the fac ops.
//
//===----------------------------------------------------------------------===//

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace fac;

/// Parses `(%a: t, %b: u)` into block arguments.
static ParseResult
parseArgumentList(OpAsmParser &parser,
                  SmallVectorImpl<OpAsmParser::Argument> &args) {
  return parser.parseArgumentList(args, OpAsmParser::Delimiter::Paren,
                                  /*allowType=*/true);
}

/// Prints a block's arguments as `(%a: t, %b: u)`.
static void printArgumentList(OpAsmPrinter &p, Block &block) {
  p << "(";
  llvm::interleaveComma(block.getArguments(), p,
                        [&](BlockArgument arg) { p.printRegionArgument(arg); });
  p << ")";
}

//===----------------------------------------------------------------------===//
// ConceptOp
//===----------------------------------------------------------------------===//

ParseResult ConceptOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr name;
  SmallVector<OpAsmParser::Argument> args;
  if (parser.parseSymbolName(name, SymbolTable::getSymbolAttrName(),
                             result.attributes) ||
      parseArgumentList(parser, args) ||
      parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, args))
    return failure();
  if (body->empty())
    body->emplaceBlock();
  return success();
}

void ConceptOp::print(OpAsmPrinter &p) {
  p << " ";
  p.printSymbolName(getSymName());
  printArgumentList(p, getBody().front());
  p.printOptionalAttrDictWithKeyword((*this)->getAttrs(),
                                     {SymbolTable::getSymbolAttrName()});
  p << " ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false);
}

LogicalResult ConceptOp::verify() {
  for (BlockArgument arg : getBody().getArguments())
    if (isa<MemRefType>(arg.getType()))
      return emitOpError("parameter #")
             << arg.getArgNumber() << " has type " << arg.getType()
             << ", but concept parameters are values of the language, not "
                "buffers";
  llvm::StringMap<ExportOp> slots;
  for (ExportOp exp : getBody().getOps<ExportOp>()) {
    auto [it, inserted] = slots.try_emplace(exp.getSlot(), exp);
    if (!inserted)
      return exp.emitOpError("exports slot '")
                 .append(exp.getSlot(), "' twice")
                 .attachNote(it->second.getLoc())
             << "first exported here";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LambdaOp
//===----------------------------------------------------------------------===//

ParseResult LambdaOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::Argument> args;
  SmallVector<Type, 1> resultTypes;
  if (parseArgumentList(parser, args) ||
      parser.parseArrowTypeList(resultTypes) ||
      parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  if (resultTypes.size() != 1)
    return parser.emitError(parser.getCurrentLocation(),
                            "a lambda has exactly one result type");
  Type resultType = resultTypes.front();
  SmallVector<Type> inputs;
  for (auto &arg : args)
    inputs.push_back(arg.type);
  result.addTypes(parser.getBuilder().getFunctionType(inputs, resultType));
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, args))
    return failure();
  return success();
}

void LambdaOp::print(OpAsmPrinter &p) {
  printArgumentList(p, getBody().front());
  // A function-typed result is parenthesised so that it parses back.
  Type resultType = getFunctionType().getResult(0);
  p << " -> ";
  if (isa<FunctionType>(resultType))
    p << "(" << resultType << ")";
  else
    p << resultType;
  p.printOptionalAttrDictWithKeyword((*this)->getAttrs());
  p << " ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false);
}

LogicalResult LambdaOp::verify() {
  FunctionType type = getFunctionType();
  if (type.getNumResults() != 1)
    return emitOpError("must have exactly one result type, got ")
           << type.getNumResults();
  Block &block = getBody().front();
  if (block.getArgumentTypes() != type.getInputs())
    return emitOpError("block argument types do not match the function "
                       "type's inputs");
  auto ret = dyn_cast<ReturnOp>(block.getTerminator());
  if (!ret)
    return emitOpError("body must end with fac.return");
  if (ret.getValue().getType() != type.getResult(0))
    return ret.emitOpError("returns ")
           << ret.getValue().getType() << " but the lambda's result type is "
           << type.getResult(0);
  return success();
}

//===----------------------------------------------------------------------===//
// ExportOp
//===----------------------------------------------------------------------===//

LogicalResult ExportOp::verify() {
  if (getSlot() == "forward")
    return success();
  if (getSlot() != "attention")
    return emitOpError("unknown model slot '") << getSlot() << "'";
  auto type = cast<FunctionType>(getValue().getType());
  Type tree = DataType::get(getContext(), "TensorTree", {});
  if (type.getNumInputs() == 3 && type.getNumResults() == 1 &&
      llvm::all_of(type.getInputs(), [&](Type t) { return t == tree; }) &&
      type.getResult(0) == tree)
    return success();
  Type tensor = fac::TensorType::get(getContext());
  if (type.getNumInputs() != 3 || type.getNumResults() != 1 ||
      !llvm::all_of(type.getInputs(), [&](Type t) { return t == tensor; }) ||
      type.getResult(0) != tensor)
    return emitOpError("slot 'attention' needs a function of type ")
           << FunctionType::get(getContext(), {tensor, tensor, tensor},
                                {tensor})
           << ", got " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// MulOp
//===----------------------------------------------------------------------===//

LogicalResult MulOp::verify() {
  Type lhs = getLhs().getType(), rhs = getRhs().getType();
  Type result = getResult().getType();
  bool scalar = isa<FloatType, IntegerType>(lhs) && lhs == rhs && result == lhs;
  bool scaled =
      result == fac::TensorType::get(getContext()) &&
      ((lhs.isF32() && rhs == result) || (rhs.isF32() && lhs == result));
  if (!scalar && !scaled)
    return emitOpError("expects two equal scalars, or an f32 and a tensor, "
                       "got ")
           << lhs << " and " << rhs << " -> " << result;
  return success();
}

/// `a * b` of two scalars is arith's multiplication.
static LogicalResult scalarMul(MulOp op, PatternRewriter &rewriter) {
  Type type = op.getType();
  if (op.getLhs().getType() != type || op.getRhs().getType() != type)
    return failure();
  if (isa<FloatType>(type))
    rewriter.replaceOpWithNewOp<arith::MulFOp>(op, op.getLhs(), op.getRhs());
  else if (type.isSignlessInteger())
    rewriter.replaceOpWithNewOp<arith::MulIOp>(op, op.getLhs(), op.getRhs());
  else
    return failure();
  return success();
}

void MulOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add(scalarMul);
}

//===----------------------------------------------------------------------===//
// AttendOp
//===----------------------------------------------------------------------===//

namespace {
/// attend(s * q, k, v) -> attend(q, k, v) scale s: the scalar moves into
/// the scores, so no scaled copy of the queries is ever materialised.
struct FoldQueryScale : OpRewritePattern<AttendOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttendOp op,
                                PatternRewriter &rewriter) const override {
    auto mul = op.getQuery().getDefiningOp<MulOp>();
    if (!mul)
      return failure();
    Value factor = mul.getLhs(), tensor = mul.getRhs();
    if (!factor.getType().isF32())
      std::swap(factor, tensor);
    if (!factor.getType().isF32())
      return failure();
    if (Value old = op.getScale())
      factor = rewriter.create<arith::MulFOp>(op.getLoc(), old, factor);
    auto folded = rewriter.create<AttendOp>(op.getLoc(), op.getType(), tensor,
                                            op.getKey(), op.getValue(), factor,
                                            op.getHead(), op.getRsqrtDAttr());
    // The hooks see the same scores: the factor is in them either way.
    rewriter.inlineRegionBefore(op.getScore(), folded.getScore(),
                                folded.getScore().end());
    rewriter.inlineRegionBefore(op.getMask(), folded.getMask(),
                                folded.getMask().end());
    rewriter.replaceOp(op, folded.getResult());
    return success();
  }
};
} // namespace

static FailureOr<YieldOp> getYield(Operation *op, Region &region,
                                   unsigned count, StringRef what);

/// The hooks of an attention: `score` takes (f32, i64, i64, i64) and
/// yields an f32, `mask` takes (i64, i64, i64) and yields an i1.
static LogicalResult verifyHooks(Operation *op, Region &score, Region &mask) {
  auto check = [&](Region &region, StringRef what, unsigned scores,
                   Type result) -> LogicalResult {
    if (region.empty())
      return success();
    Block &body = region.front();
    Type i64 = IntegerType::get(op->getContext(), 64);
    bool ok = body.getNumArguments() == scores + 3;
    for (BlockArgument arg : body.getArguments())
      ok =
          ok && arg.getType() == (arg.getArgNumber() < scores
                                      ? Type(Float32Type::get(op->getContext()))
                                      : i64);
    if (!ok)
      return op->emitOpError(what)
             << " hook must take " << (scores ? "(f32, " : "(")
             << "i64, i64, i64): the " << (scores ? "score, " : "")
             << "query and key positions and "
             << "the head";
    FailureOr<YieldOp> yield = getYield(op, region, 1, (what + " hook").str());
    if (failed(yield))
      return failure();
    if (yield->getValues()[0].getType() != result)
      return op->emitOpError(what) << " hook must yield " << result << ", got "
                                   << yield->getValues()[0].getType();
    return success();
  };
  Builder b(op->getContext());
  if (failed(check(score, "score", 1, b.getF32Type())))
    return failure();
  return check(mask, "mask", 0, b.getI1Type());
}

LogicalResult AttendOp::verify() {
  return verifyHooks(*this, getScore(), getMask());
}

void AttendOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FoldQueryScale>(context);
}

//===----------------------------------------------------------------------===//
// LiteralOp and FractalDecodeOp
//===----------------------------------------------------------------------===//

LogicalResult LiteralOp::verify() {
  auto shaped = cast<ShapedType>(getValue().getType());
  Type elem = shaped.getElementType();
  Type type = getType();
  if (auto list = dyn_cast<ListType>(type)) {
    if (shaped.getRank() == 1 && elem == list.getElementType() &&
        (elem.isF32() || elem.isInteger(64)))
      return success();
  } else if (isa<fac::TensorType>(type) && shaped.getRank() == 2 &&
             elem.isF32()) {
    return success();
  }
  return emitOpError("makes a list<f32> or list<i64> of a 1-d value or a "
                     "tensor of a 2-d f32 value, not ")
         << type << " of " << shaped;
}

LogicalResult FractalDecodeOp::verify() {
  int64_t rows = getRows(), cols = getCols(), b = getRange();
  if (rows % b || cols % b || rows < 2 * b || cols < 2 * b)
    return emitOpError("range blocks of side ")
           << b << " do not tile a " << rows << " x " << cols
           << " matrix twice over";
  if (getIterations() > 1000)
    return emitOpError("iterates at most 1000 times");
  int64_t blocks = (rows / b) * (cols / b);
  if (int64_t(getDomains().size()) != 2 * blocks ||
      int64_t(getIsometries().size()) != blocks ||
      int64_t(getScales().size()) != blocks ||
      int64_t(getOffsets().size()) != blocks)
    return emitOpError("needs one map per range block (")
           << blocks << "): two domain coordinates, an isometry, a scale and "
           << "an offset each";
  for (int64_t k = 0; k < blocks; ++k) {
    int64_t r = getDomains()[2 * k], c = getDomains()[2 * k + 1];
    if (r < 0 || c < 0 || r > rows - 2 * b || c > cols - 2 * b)
      return emitOpError("block ") << k << "'s domain at (" << r << ", " << c
                                   << ") is not inside the matrix";
    if (getIsometries()[k] < 0 || getIsometries()[k] > 7)
      return emitOpError("block ") << k << "'s isometry is not in 0-7";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  if (failed(verifyHooks(*this, getScore(), getMask())))
    return failure();
  auto q = cast<MemRefType>(getQuery().getType());
  auto k = cast<MemRefType>(getKey().getType());
  auto v = cast<MemRefType>(getValue().getType());
  auto o = cast<MemRefType>(getOut().getType());
  int64_t rank = q.getRank();
  if (k.getRank() != rank || v.getRank() != rank || o.getRank() != rank)
    return emitOpError("query, key, value and out must all be 2-d (one head) "
                       "or all 3-d (heads first)");
  auto conflict = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
  };
  // Dimensions counted from the end: rows, then width.
  auto dim = [&](MemRefType type, int64_t fromEnd) {
    return type.getDimSize(rank - 1 - fromEnd);
  };
  if (conflict(dim(q, 0), dim(k, 0)))
    return emitOpError("query and key widths differ: ")
           << dim(q, 0) << " vs " << dim(k, 0);
  if (conflict(dim(k, 1), dim(v, 1)))
    return emitOpError("key and value lengths differ: ")
           << dim(k, 1) << " vs " << dim(v, 1);
  if (conflict(dim(o, 1), dim(q, 1)) || conflict(dim(o, 0), dim(v, 0)))
    return emitOpError("output shape must be (queries x value width)");
  if (rank == 3) {
    if (conflict(q.getDimSize(0), o.getDimSize(0)))
      return emitOpError("query and out head counts differ");
    if (conflict(k.getDimSize(0), v.getDimSize(0)))
      return emitOpError("key and value head counts differ");
    int64_t heads = q.getDimSize(0), kvHeads = k.getDimSize(0);
    if (!ShapedType::isDynamic(heads) && !ShapedType::isDynamic(kvHeads) &&
        (kvHeads == 0 ? heads != 0 : heads % kvHeads != 0))
      return emitOpError("key/value heads (")
             << kvHeads << ") must divide the query heads (" << heads << ")";
  }
  // With a gathered key set, m is the length of the index list; without,
  // the number of key rows.
  int64_t keys = getKeyIndices()
                     ? cast<MemRefType>(getKeyIndices().getType()).getDimSize(0)
                     : dim(k, 1);
  if (getBias() &&
      conflict(cast<MemRefType>(getBias().getType()).getDimSize(0), keys))
    return emitOpError("bias must have one entry per key");
  return success();
}

//===----------------------------------------------------------------------===//
// Region ops
//===----------------------------------------------------------------------===//

/// Checks that \p region ends in a fac.yield of \p count values and returns
/// it.
static FailureOr<YieldOp> getYield(Operation *op, Region &region,
                                   unsigned count, StringRef what) {
  auto yield = dyn_cast<YieldOp>(region.front().getTerminator());
  if (!yield)
    return op->emitOpError(what) << " must end with fac.yield", failure();
  if (yield.getValues().size() != count)
    return op->emitOpError(what)
               << " must yield " << count << " value" << (count == 1 ? "" : "s")
               << ", got " << yield.getValues().size(),
           failure();
  return yield;
}

LogicalResult IfOp::verify() {
  for (auto [region, what] : {std::make_pair(&getThenRegion(), "then"),
                              std::make_pair(&getElseRegion(), "else")}) {
    FailureOr<YieldOp> yield =
        getYield(*this, *region, 1, Twine(what).concat(" region").str());
    if (failed(yield))
      return failure();
    if (yield->getValues()[0].getType() != getType())
      return emitOpError(what)
             << " region yields " << yield->getValues()[0].getType()
             << " but the result is " << getType();
  }
  return success();
}

/// The number of `%N` binders of a pattern, which must be %0, %1, ... each
/// once; -1 when they are not.
static int countBinders(StringRef pattern) {
  llvm::SmallVector<bool> seen;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%')
      continue;
    size_t j = i + 1;
    unsigned n = 0;
    if (j >= pattern.size() || !llvm::isDigit(pattern[j]))
      return -1;
    while (j < pattern.size() && llvm::isDigit(pattern[j]))
      n = n * 10 + (pattern[j++] - '0');
    if (n >= seen.size())
      seen.resize(n + 1, false);
    if (seen[n])
      return -1;
    seen[n] = true;
  }
  return llvm::all_of(seen, [](bool b) { return b; }) ? seen.size() : -1;
}

LogicalResult HandleOp::verify() {
  size_t n = getArms().size();
  if (getKinds().size() != n || getPatterns().size() != n)
    return emitOpError("has ")
           << n << " arms but " << getKinds().size() << " kinds and "
           << getPatterns().size() << " patterns";
  if (n == 0)
    return emitOpError("needs at least one arm");
  if (failed(getYield(*this, getBody(), 1, "body")))
    return failure();
  for (size_t i = 0; i < n; ++i) {
    StringRef kind = cast<StringAttr>(getKinds()[i]).getValue();
    StringRef pattern = cast<StringAttr>(getPatterns()[i]).getValue();
    if (kind != "value" && kind != "return" && kind != "effect")
      return emitOpError("arm #") << i << " has unknown kind '" << kind << "'";
    Region &arm = getArms()[i];
    int binders = countBinders(pattern);
    if (binders < 0 || static_cast<unsigned>(binders) != arm.getNumArguments())
      return emitOpError("arm #") << i << " pattern '" << pattern << "' binds "
                                  << binders << " values but the region has "
                                  << arm.getNumArguments() << " arguments";
    FailureOr<YieldOp> yield = getYield(*this, arm, 1, "arm");
    if (failed(yield))
      return failure();
    if (kind != "effect" && yield->getValues()[0].getType() != getType())
      return emitOpError("arm #")
             << i << " yields " << yield->getValues()[0].getType()
             << " but the result is " << getType();
  }
  return success();
}

LogicalResult DestructureOp::verify() {
  int binders = countBinders(getPattern());
  if (binders < 0 || static_cast<unsigned>(binders) != getBindings().size())
    return emitOpError("pattern '")
           << getPattern() << "' binds " << binders << " values but there are "
           << getBindings().size() << " results";
  return success();
}

/// The T of Option<T>, or null.
static Type optionValueType(Type type) {
  auto data = dyn_cast<DataType>(type);
  if (!data || data.getName() != "Option" || data.getArgs().size() != 1)
    return nullptr;
  return data.getArgs()[0];
}

LogicalResult ExistsOp::verify() {
  if (!optionValueType(getOption().getType()))
    return emitOpError("expects an Option, got ") << getOption().getType();
  return success();
}

LogicalResult UnwrapOp::verify() {
  Type value = optionValueType(getOption().getType());
  if (!value)
    return emitOpError("expects an Option, got ") << getOption().getType();
  if (value != getType())
    return emitOpError("unwraps ")
           << value << " but the result is " << getType();
  return success();
}

LogicalResult ListOp::verify() {
  Type element = getType().getElementType();
  for (Value v : getElements())
    if (v.getType() != element)
      return emitOpError("element of type ")
             << v.getType() << " in a list of " << element;
  return success();
}

LogicalResult TupleOp::verify() {
  auto type = cast<TupleType>(getType());
  if (!llvm::equal(type.getTypes(), getElements().getTypes()))
    return emitOpError("elements do not match the tuple type ") << type;
  return success();
}

LogicalResult ComprehensionOp::verify() {
  Block &body = getBody().front();
  Type element = cast<ListType>(getSource().getType()).getElementType();
  if (body.getNumArguments() != 1 || body.getArgument(0).getType() != element)
    return emitOpError("body must take one argument of type ") << element;
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield || yield.getValues().empty() || yield.getValues().size() > 2)
    return emitOpError("body must yield an element and optionally a "
                       "condition");
  if (yield.getValues()[0].getType() !=
      cast<ListType>(getType()).getElementType())
    return emitOpError("body yields ")
           << yield.getValues()[0].getType() << " into a " << getType();
  if (yield.getValues().size() == 2 &&
      !yield.getValues()[1].getType().isInteger(1))
    return emitOpError("condition must be i1");
  return success();
}

LogicalResult ArithOp::verify() {
  StringRef kind = getKind();
  if (kind != "add" && kind != "sub" && kind != "mul" && kind != "div")
    return emitOpError("unknown kind '") << kind << "'";
  Type lhs = getLhs().getType(), rhs = getRhs().getType();
  bool lt = isa<fac::TensorType>(lhs), rt = isa<fac::TensorType>(rhs);
  if (!(lt && rt) && !(lt && rhs.isF32()) && !(rt && lhs.isF32()))
    return emitOpError("needs two tensors, or a tensor and an f32; got ")
           << lhs << " and " << rhs;
  return success();
}

//===----------------------------------------------------------------------===//
// Operators, calls, self and theorems
//===----------------------------------------------------------------------===//

ParseResult OperatorOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr name, symbol;
  SmallVector<OpAsmParser::Argument> args;
  SmallVector<Type, 1> results;
  if (parser.parseSymbolName(name, SymbolTable::getSymbolAttrName(),
                             result.attributes) ||
      parser.parseAttribute(symbol, "symbol", result.attributes) ||
      parseArgumentList(parser, args) || parser.parseArrowTypeList(results) ||
      parser.parseOptionalAttrDictWithKeyword(result.attributes))
    return failure();
  SmallVector<Type> inputs;
  for (auto &arg : args)
    inputs.push_back(arg.type);
  result.addAttribute(
      "function_type",
      TypeAttr::get(parser.getBuilder().getFunctionType(inputs, results)));
  return parser.parseRegion(*result.addRegion(), args);
}

void OperatorOp::print(OpAsmPrinter &p) {
  p << " ";
  p.printSymbolName(getSymName());
  p << " ";
  p.printAttribute(getSymbolAttr());
  printArgumentList(p, getBody().front());
  p << " -> ";
  llvm::interleaveComma(getFunctionType().getResults(), p);
  p.printOptionalAttrDictWithKeyword(
      (*this)->getAttrs(),
      {SymbolTable::getSymbolAttrName(), "symbol", "function_type"});
  p << " ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false);
}

LogicalResult OperatorOp::verify() {
  FunctionType type = getFunctionType();
  Block &block = getBody().front();
  if (block.getArgumentTypes() != type.getInputs())
    return emitOpError("block argument types do not match the function "
                       "type's inputs");
  auto ret = dyn_cast<ReturnOp>(block.getTerminator());
  if (!ret || type.getNumResults() != 1 ||
      ret.getValue().getType() != type.getResult(0))
    return emitOpError("must return one value of its result type");
  return success();
}

LogicalResult CallOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto callee =
      symbolTable.lookupNearestSymbolFrom<OperatorOp>(*this, getCalleeAttr());
  if (!callee)
    return emitOpError("'") << getCallee() << "' is not a fac.operator";
  FunctionType type = callee.getFunctionType();
  if (!llvm::equal(type.getInputs(), getArgs().getTypes()) ||
      type.getResult(0) != getType())
    return emitOpError("types do not match the operator's ") << type;
  return success();
}

LogicalResult TreeCutOp::verify() {
  Block &body = getPredicate().front();
  if (body.getNumArguments() != 1 ||
      !isa<fac::TensorType>(body.getArgument(0).getType()))
    return emitOpError("predicate must take one !fac.tensor, the node's");
  FailureOr<YieldOp> yield = getYield(*this, getPredicate(), 1, "predicate");
  if (failed(yield))
    return failure();
  if (!yield->getValues()[0].getType().isInteger(1))
    return emitOpError("predicate must yield an i1, got ")
           << yield->getValues()[0].getType();
  if (Value rules = getRules(); rules && !isRuleList(rules.getType()))
    return emitOpError("rules must be a !fac.list of CompressionRule, got ")
           << getRules().getType();
  return success();
}

LambdaOp SelfOp::getTarget() {
  for (Operation *op = (*this)->getParentOp(); op; op = op->getParentOp())
    if (auto lambda = dyn_cast<LambdaOp>(op))
      if (auto name = lambda->getAttrOfType<StringAttr>("name");
          name && name.getValue() == getName())
        return lambda;
  return nullptr;
}

LogicalResult SelfOp::verify() {
  LambdaOp lambda = getTarget();
  if (!lambda)
    return emitOpError("no enclosing lambda is named '") << getName() << "'";
  if (lambda.getType() != getType())
    return emitOpError("has type ")
           << getType() << " but the lambda '" << getName() << "' has "
           << lambda.getType();
  return success();
}

LogicalResult TheoremOp::verify() {
  FailureOr<YieldOp> yield = getYield(*this, getBody(), 1, "statement");
  if (failed(yield))
    return failure();
  if (!yield->getValues()[0].getType().isInteger(1))
    return emitOpError("statement must be an i1, got ")
           << yield->getValues()[0].getType();
  return success();
}

#define GET_OP_CLASSES
#include "fac/Dialect/FAC/FACOps.cpp.inc"
