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
#include "llvm/ADT/StringSet.h"

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

struct OutlineKernelsPass
    : public fac::impl::FacOutlineKernelsBase<OutlineKernelsPass> {
  using FacOutlineKernelsBase::FacOutlineKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<ConceptOp> concepts(module.getOps<ConceptOp>());
    llvm::StringSet<> found;
    for (ConceptOp spec : concepts) {
      bool emitted = false;
      for (ExportOp exp : spec.getBody().getOps<ExportOp>()) {
        emitted = true;
        auto lambda = exp.getValue().getDefiningOp<LambdaOp>();
        if (!lambda) {
          exp.emitOpError("exports a value that is not a lambda known at "
                          "compile time");
          return signalPassFailure();
        }
        if (failed(outline(module, spec, lambda, exp.getSlot())))
          return signalPassFailure();
      }
      for (LambdaOp lambda : spec.getBody().getOps<LambdaOp>()) {
        auto name = lambda->getAttrOfType<StringAttr>("name");
        if (!name || !llvm::is_contained(entries, name.getValue()))
          continue;
        found.insert(name.getValue());
        emitted = true;
        // Already a kernel when the concept exports it under that name.
        if (llvm::any_of(spec.getBody().getOps<ExportOp>(), [&](ExportOp e) {
              return e.getSlot() == name.getValue() &&
                     e.getValue() == lambda.getResult();
            }))
          continue;
        if (failed(outline(module, spec, lambda, name.getValue())))
          return signalPassFailure();
      }
      // With --entry, a concept that has none of them is not worth a word
      // (an unknown entry is an error below).
      if (!emitted && entries.empty())
        spec.emitWarning("concept '")
            << spec.getSymName()
            << "' exports nothing into the model: no kernel is emitted (name "
               "a function with --entry to compile it)";
    }
    for (const std::string &entry : entries)
      if (!found.contains(entry)) {
        InFlightDiagnostic diag =
            emitError(
                FileLineColLoc::get(&getContext(), "<command line>", 0, 0),
                "--entry=")
            << entry << ": no concept has a function of that name";
        for (ConceptOp spec : concepts) {
          std::string names;
          for (LambdaOp lambda : spec.getBody().getOps<LambdaOp>())
            if (auto name = lambda->getAttrOfType<StringAttr>("name"))
              names += (names.empty() ? "" : ", ") + name.getValue().str();
          diag.attachNote(spec.getLoc())
              << "the functions of '" << spec.getSymName()
              << "' are: " << (names.empty() ? "none" : names);
        }
        return signalPassFailure();
      }
    for (ConceptOp spec : concepts)
      spec.erase();
  }

  LogicalResult outline(ModuleOp module, ConceptOp spec, LambdaOp lambda,
                        StringRef slot) {
    Block &params = spec.getBody().front();
    Block &lambdaBody = lambda.getBody().front();
    FunctionType lambdaType = lambda.getFunctionType();

    // The model a concept plugs into is not a kernel argument.
    SmallVector<Type> inputs;
    for (Type t : params.getArgumentTypes())
      if (!isa<ModelType>(t))
        inputs.push_back(t);
    llvm::append_range(inputs, lambdaType.getInputs());
    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToEnd(module.getBody());
    std::string name = (spec.getSymName() + "_" + slot).str();
    if (module.lookupSymbol(name))
      return lambda.emitError("kernel '")
             << name << "' is emitted twice (an export and an entry of "
             << "the same name)";
    auto func = builder.create<func::FuncOp>(
        lambda.getLoc(), name,
        builder.getFunctionType(inputs, lambdaType.getResults()));
    func->setAttr("fac.kernel", builder.getUnitAttr());

    auto *entry = new Block();
    func.getBody().push_back(entry);
    IRMapping mapping;
    for (BlockArgument arg : params.getArguments())
      if (!isa<ModelType>(arg.getType()))
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
    for (Value v : captured) {
      if (isa<ModelType>(v.getType()))
        return lambda.emitError("a kernel cannot use the model it plugs "
                                "into");
      materialize(v, mapping, builder);
    }
    // A recursive function calls itself as a value: a copy of the lambda.
    SmallVector<SelfOp> selfRefs;
    lambda.getBody().walk([&](SelfOp self) {
      if (self.getTarget() == lambda)
        selfRefs.push_back(self);
    });
    Value self;
    if (!selfRefs.empty()) {
      // Its own parameters, not the kernel's.
      IRMapping captures = mapping;
      for (BlockArgument arg : lambdaBody.getArguments())
        captures.erase(arg);
      self = builder.clone(*lambda, captures)->getResult(0);
    }
    for (Operation &op : lambdaBody.without_terminator())
      builder.clone(op, mapping);
    // (The copies inside the lambda's own copy still name it.)
    for (SelfOp ref : selfRefs) {
      Value copy = mapping.lookup(ref.getResult());
      copy.replaceAllUsesWith(self);
      copy.getDefiningOp()->erase();
    }
    auto ret = cast<ReturnOp>(lambdaBody.getTerminator());
    builder.create<func::ReturnOp>(ret.getLoc(),
                                   mapping.lookupOrDefault(ret.getValue()));
    return success();
  }
};

} // namespace
