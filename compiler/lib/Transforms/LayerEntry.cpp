//===- LayerEntry.cpp - A whole-layer entry point per attention kernel ----===//
//
// Implements fac-layer-entry (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace fac {
#define GEN_PASS_DEF_FACLAYERENTRY
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// The single fac.attention of \p func when the kernel is exactly one
/// attention of its own arguments into its `out` argument, else null.
AttentionOp getSoleAttention(func::FuncOp func) {
  if (!func.getBody().hasOneBlock())
    return nullptr;
  Block &body = func.getBody().front();
  // Besides the attention, only constants (a hook's, hoisted).
  AttentionOp attention;
  for (Operation &op : body.without_terminator()) {
    if (isa<arith::ConstantOp>(op))
      continue;
    if (attention || !isa<AttentionOp>(op))
      return nullptr;
    attention = cast<AttentionOp>(op);
  }
  if (!attention || attention.getRank() != 2 || attention.getCausalOffset() ||
      attention.getBias() || attention.getKeyIndices() ||
      attention.getThreads())
    return nullptr;
  for (Value v : {attention.getQuery(), attention.getKey(),
                  attention.getValue(), attention.getOut()})
    if (!isa<BlockArgument>(v) || cast<BlockArgument>(v).getOwner() != &body)
      return nullptr;
  // A scale is an argument, or a constant (a parameter bound with -D).
  if (Value scale = attention.getScale())
    if (!isa<BlockArgument>(scale) && !scale.getDefiningOp<arith::ConstantOp>())
      return nullptr;
  return attention;
}

struct LayerEntryPass : public fac::impl::FacLayerEntryBase<LayerEntryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Collected first: the entries are inserted into the module walked.
    SmallVector<std::pair<func::FuncOp, AttentionOp>> kernels;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("fac.kernel"))
        if (AttentionOp attention = getSoleAttention(func))
          kernels.emplace_back(func, attention);
    for (auto [kernel, attention] : kernels) {
      std::string name = (kernel.getSymName() + "_layer").str();
      if (module.lookupSymbol(name)) {
        kernel.emitError("kernel '")
            << kernel.getSymName() << "' would get the whole-layer entry '"
            << name << "', but a kernel of that name exists already";
        return signalPassFailure();
      }
      addLayerEntry(kernel, attention);
    }
  }

  void addLayerEntry(func::FuncOp kernel, AttentionOp attention) {
    MLIRContext *ctx = &getContext();
    int64_t dyn = ShapedType::kDynamic;
    auto layerType =
        MemRefType::get({dyn, dyn, dyn}, Float32Type::get(ctx),
                        StridedLayoutAttr::get(ctx, dyn, {dyn, dyn, 1}));
    // The kernel's scalars, then the causal offset and the thread count,
    // then its buffers as whole layers, `out` last.
    SmallVector<Type> types;
    SmallVector<DictionaryAttr> argAttrs;
    SmallVector<int64_t> fromKernel;
    auto named = [&](StringRef name) {
      return DictionaryAttr::get(
          ctx, {NamedAttribute(StringAttr::get(ctx, "fac.name"),
                               StringAttr::get(ctx, name))});
    };
    Block &body = kernel.getBody().front();
    for (BlockArgument arg : body.getArguments())
      if (!isa<MemRefType>(arg.getType()) &&
          !kernel.getArgAttr(arg.getArgNumber(), "fac.head")) {
        types.push_back(arg.getType());
        argAttrs.push_back(kernel.getArgAttrDict(arg.getArgNumber()));
        fromKernel.push_back(arg.getArgNumber());
      }
    unsigned offsetArg = types.size();
    types.push_back(IndexType::get(ctx));
    argAttrs.push_back(named("causal_offset"));
    types.push_back(IntegerType::get(ctx, 32));
    argAttrs.push_back(named("threads"));
    for (BlockArgument arg : body.getArguments())
      if (isa<MemRefType>(arg.getType())) {
        types.push_back(layerType);
        argAttrs.push_back(kernel.getArgAttrDict(arg.getArgNumber()));
        fromKernel.push_back(arg.getArgNumber());
      }

    OpBuilder b(ctx);
    b.setInsertionPointAfter(kernel);
    auto layer = b.create<func::FuncOp>(kernel.getLoc(),
                                        (kernel.getSymName() + "_layer").str(),
                                        FunctionType::get(ctx, types, {}));
    layer.setAllArgAttrs(argAttrs);
    layer->setAttr("fac.kernel", b.getUnitAttr());
    layer->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    Block *entry = layer.addEntryBlock();
    // Kernel argument number -> the layer's argument.
    DenseMap<unsigned, Value> mapped;
    unsigned next = 0;
    for (unsigned i = 0; i < entry->getNumArguments(); ++i) {
      if (i == offsetArg || i == offsetArg + 1)
        continue;
      mapped[fromKernel[next++]] = entry->getArgument(i);
    }
    auto map = [&](Value v) -> Value {
      if (!v)
        return v;
      return mapped.lookup(cast<BlockArgument>(v).getArgNumber());
    };
    // The kernel's constants (its hooks', a scale bound with -D) and
    // scalars become the layer's; the head is the op's own (each query
    // head's index).
    IRMapping hookValues;
    for (auto [from, to] : mapped)
      hookValues.map(body.getArgument(from), to);
    b.setInsertionPointToStart(entry);
    for (auto constant : body.getOps<arith::ConstantOp>())
      b.clone(*constant, hookValues);
    auto layerAttention = b.create<AttentionOp>(
        attention.getLoc(), map(attention.getQuery()), map(attention.getKey()),
        map(attention.getValue()), map(attention.getOut()),
        attention.getScale() ? hookValues.lookupOrNull(attention.getScale())
                             : Value(),
        entry->getArgument(offsetArg),
        /*bias=*/Value(),
        /*key_indices=*/Value(), entry->getArgument(offsetArg + 1),
        /*head=*/Value(), attention.getRsqrtDAttr(),
        attention.getKeyTileAttr());
    b.setInsertionPointToEnd(entry);
    attention.getScore().cloneInto(&layerAttention.getScore(), hookValues);
    attention.getMask().cloneInto(&layerAttention.getMask(), hookValues);
    b.create<func::ReturnOp>(kernel.getLoc());
  }
};

} // namespace
