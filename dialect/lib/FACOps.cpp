//===- FACOps.cpp - Operations of the fac dialect
//--------------------------===//
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
    if (!isa<FloatType, IntegerType, fac::TensorType>(arg.getType()))
      return emitOpError("parameter #")
             << arg.getArgNumber() << " has type " << arg.getType()
             << ", but concept parameters are scalars or tensors";
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
  if (getSlot() != "attention")
    return emitOpError("unknown model slot '") << getSlot() << "'";
  auto type = cast<FunctionType>(getValue().getType());
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
    rewriter.replaceOpWithNewOp<AttendOp>(op, op.getType(), tensor, op.getKey(),
                                          op.getValue(), factor,
                                          op.getRsqrtDAttr());
    return success();
  }
};
} // namespace

void AttendOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FoldQueryScale>(context);
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  auto q = cast<MemRefType>(getQuery().getType());
  auto k = cast<MemRefType>(getKey().getType());
  auto v = cast<MemRefType>(getValue().getType());
  auto o = cast<MemRefType>(getOut().getType());
  auto conflict = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
  };
  if (conflict(q.getDimSize(1), k.getDimSize(1)))
    return emitOpError("query and key widths differ: ")
           << q.getDimSize(1) << " vs " << k.getDimSize(1);
  if (conflict(k.getDimSize(0), v.getDimSize(0)))
    return emitOpError("key and value lengths differ: ")
           << k.getDimSize(0) << " vs " << v.getDimSize(0);
  if (conflict(o.getDimSize(0), q.getDimSize(0)) ||
      conflict(o.getDimSize(1), v.getDimSize(1)))
    return emitOpError("output shape must be (queries x value width)");
  return success();
}

#define GET_OP_CLASSES
#include "fac/Dialect/FAC/FACOps.cpp.inc"
