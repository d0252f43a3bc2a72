//===- OutlineKernels.cpp - Exported lambdas to kernel functions ----------===//
//
// Implements fac-outline-kernels: every `model.<slot> := f` of a concept
// becomes a func.func whose body is f's, with the concept's parameters as
// leading arguments and f's captures cloned in.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

namespace fac {
#define GEN_PASS_DEF_FACOUTLINEKERNELS
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// Clones into \p builder the definition of \p value and, first, of every
/// value it depends on, unless \p mapping already has it.
void materialize(Value value, IRMapping &mapping, OpBuilder &builder) {
  if (mapping.contains(value))
    return;
  Operation *def = value.getDefiningOp();
  assert(def && "block arguments of the concept are mapped up front");
  for (Value operand : def->getOperands())
    materialize(operand, mapping, builder);
  llvm::SetVector<Value> captured;
  for (Region &region : def->getRegions())
    getUsedValuesDefinedAbove(region, captured);
  for (Value v : captured)
    materialize(v, mapping, builder);
  builder.clone(*def, mapping);
}

/// Replaces `fac.apply` of a `fac.lambda` by the lambda's body, until no
/// such application is left. Fails on an application of an unknown
/// function value.
LogicalResult inlineApplications(func::FuncOp func) {
  while (true) {
    ApplyOp apply;
    func.walk([&](ApplyOp op) {
      apply = op;
      return WalkResult::interrupt();
    });
    if (!apply)
      break;
    auto lambda = apply.getCallee().getDefiningOp<LambdaOp>();
    if (!lambda)
      return apply.emitOpError("calls a function value that is not known at "
                               "compile time");
    IRMapping mapping;
    Block &body = lambda.getBody().front();
    mapping.map(body.getArguments(), apply.getArgs());
    OpBuilder builder(apply);
    for (Operation &op : body.without_terminator())
      builder.clone(op, mapping);
    auto ret = cast<ReturnOp>(body.getTerminator());
    apply.replaceAllUsesWith(mapping.lookupOrDefault(ret.getValue()));
    apply.erase();
  }
  // Lambdas are values without side effects: drop the ones now unused.
  func.walk([](LambdaOp op) {
    if (op.use_empty())
      op.erase();
  });
  return success();
}

struct OutlineKernelsPass
    : public fac::impl::FacOutlineKernelsBase<OutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ConceptOp> concepts(module.getOps<ConceptOp>());
    for (ConceptOp concept : concepts) {
      bool exported = false;
      for (ExportOp exp : concept.getBody().getOps<ExportOp>()) {
        exported = true;
        if (failed(outline(module, concept, exp)))
          return signalPassFailure();
      }
      if (!exported)
      concept.emitWarning("concept '")
          << concept.getSymName()
          << "' exports nothing into the model: no kernel is emitted";
      concept.erase();
    }
  }

  LogicalResult outline(ModuleOp module, ConceptOp concept, ExportOp exp) {
    auto lambda = exp.getValue().getDefiningOp<LambdaOp>();
    if (!lambda)
      return exp.emitOpError("exports a value that is not a lambda known "
                             "at compile time");
    Block &params = concept.getBody().front();
    Block &lambdaBody = lambda.getBody().front();
    FunctionType lambdaType = lambda.getFunctionType();

    SmallVector<Type> inputs(params.getArgumentTypes());
    llvm::append_range(inputs, lambdaType.getInputs());
    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToEnd(module.getBody());
    std::string name = (concept.getSymName() + "_" + exp.getSlot()).str();
    auto func = builder.create<func::FuncOp>(
        lambda.getLoc(), name,
        builder.getFunctionType(inputs, lambdaType.getResults()));
    func->setAttr("fac.kernel", builder.getUnitAttr());

    auto *entry = new Block();
    func.getBody().push_back(entry);
    IRMapping mapping;
    for (BlockArgument arg : params.getArguments())
      mapping.map(arg, entry->addArgument(arg.getType(), arg.getLoc()));
    for (BlockArgument arg : lambdaBody.getArguments())
      mapping.map(arg, entry->addArgument(arg.getType(), arg.getLoc()));

    // Parameter names travel as `fac.name` argument attributes, for the C
    // header and the C++ emitter.
    for (BlockArgument arg : entry->getArguments())
      if (auto named = dyn_cast<NameLoc>(arg.getLoc()))
        func.setArgAttr(arg.getArgNumber(), "fac.name", named.getName());

    builder.setInsertionPointToStart(entry);
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(lambda.getBody(), captured);
    for (Value v : captured)
      materialize(v, mapping, builder);
    for (Operation &op : lambdaBody.without_terminator())
      builder.clone(op, mapping);
    auto ret = cast<ReturnOp>(lambdaBody.getTerminator());
    builder.create<func::ReturnOp>(ret.getLoc(),
                                   mapping.lookupOrDefault(ret.getValue()));
    return inlineApplications(func);
  }
};

} // namespace
