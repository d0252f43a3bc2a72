//===- LowerTrees.cpp - Tree recursion and tree effects to tree ops -------===//
//
// Implements fac-lower-trees: in kernels, TensorTree values become the
// dialect's tree ops. A structural recursion that either stops at a node
// (a leaf of its tensor) or keeps it and maps itself over the children is
// a top-down cut (fac.tree_cut), whatever the spec calls it and however it
// maps (`map(f, cs)`, `map(c => f(c), cs)`, `[f(c) | c in cs]`); the
// prelude's tree effects become fac.tree_build, fac.tree_attend and
// fac.tree_expand; a kernel's tree parameters are token matrices and its
// tree result is the tokens it stands for.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Support/Intrinsics.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

namespace fac {
#define GEN_PASS_DEF_FACLOWERTREES
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

Type treeType(MLIRContext *context) {
  return DataType::get(context, "TensorTree", {});
}

Type tensorType(MLIRContext *context) { return fac::TensorType::get(context); }

/// Whether \p f, in \p lambda's body, is the lambda itself: its `fac.self`
/// or a lambda `c => self(c)`.
bool isSelfFunction(Value f, LambdaOp lambda) {
  if (auto self = f.getDefiningOp<SelfOp>())
    return self.getTarget() == lambda;
  auto wrapper = f.getDefiningOp<LambdaOp>();
  if (!wrapper || wrapper.getFunctionType().getNumInputs() != 1)
    return false;
  Block &body = wrapper.getBody().front();
  auto ret = cast<ReturnOp>(body.getTerminator());
  auto apply = ret.getValue().getDefiningOp<ApplyOp>();
  return apply && apply->getBlock() == &body && apply.getArgs().size() == 1 &&
         apply.getArgs()[0] == body.getArgument(0) &&
         isSelfFunction(apply.getCallee(), lambda);
}

/// Whether \p list is the lambda mapped over \p children.
bool isRecursiveMap(Value list, Value children, LambdaOp lambda) {
  if (auto map = list.getDefiningOp<IntrinsicOp>()) {
    if (lookupIntrinsic(map.getCallee()) == Intrinsic::Map &&
        map.getArgs().size() == 2)
      return map.getArgs()[1] == children &&
             isSelfFunction(map.getArgs()[0], lambda);
    return false;
  }
  // [f(c) | c in children]
  auto comprehension = list.getDefiningOp<ComprehensionOp>();
  if (!comprehension || comprehension.getSource() != children)
    return false;
  Block &body = comprehension.getBody().front();
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValues().size() != 1)
    return false;
  auto apply = yield.getValues()[0].getDefiningOp<ApplyOp>();
  return apply && apply.getArgs().size() == 1 &&
         apply.getArgs()[0] == body.getArgument(0) &&
         isSelfFunction(apply.getCallee(), lambda);
}

/// The value a single-block region yields.
Value yielded(Region &region) {
  return cast<YieldOp>(region.front().getTerminator()).getValues()[0];
}

/// What a recursion over trees is, when it is a top-down cut.
struct CutForm {
  /// The node's tensor, bound by `Node(t, cs)`.
  Value tensor;
  /// The condition of the `if`; a leaf when it equals `leafWhen`.
  Value condition;
  bool leafWhen;
  /// The rule list a kept node is matched against, when there is one.
  Value rules;
};

/// The rules of the seed's rule step on the kept node \p node, in
/// \p lambda: `if find(r => matches(node, r.pattern), rules) exists then
/// Node(unwrap(that).substitute, []) else node` is \p step. Null when
/// \p step is not that, or \p rules is defined in the lambda.
Value ruleStep(IfOp step, ConstructOp node, LambdaOp lambda) {
  auto exists = step.getCondition().getDefiningOp<ExistsOp>();
  auto find =
      exists ? exists.getOption().getDefiningOp<IntrinsicOp>() : nullptr;
  if (!find || lookupIntrinsic(find.getCallee()) != Intrinsic::Find ||
      find.getArgs().size() != 2 ||
      yielded(step.getElseRegion()) != node.getResult())
    return nullptr;
  Value rules = find.getArgs()[1];
  if (Operation *def = rules.getDefiningOp();
      (def && lambda->isProperAncestor(def)) ||
      (!def && lambda->isAncestor(rules.getParentBlock()->getParentOp())))
    return nullptr;
  // The substitute, as a leaf.
  auto leaf = yielded(step.getThenRegion()).getDefiningOp<ConstructOp>();
  if (!leaf || leaf.getCtor() != "Node")
    return nullptr;
  auto empty = leaf.getFields()[1].getDefiningOp<ListOp>();
  auto substitute = leaf.getFields()[0].getDefiningOp<FieldOp>();
  auto unwrap =
      substitute ? substitute.getValue().getDefiningOp<UnwrapOp>() : nullptr;
  if (!empty || !empty.getElements().empty() || !unwrap ||
      substitute.getField() != "substitute" ||
      unwrap.getOption() != find.getResult())
    return nullptr;
  // The predicate: r => matches(node, r.pattern).
  auto predicate = find.getArgs()[0].getDefiningOp<LambdaOp>();
  if (!predicate || predicate.getFunctionType().getNumInputs() != 1)
    return nullptr;
  Block &body = predicate.getBody().front();
  auto ret = cast<ReturnOp>(body.getTerminator());
  auto matches = ret.getValue().getDefiningOp<IntrinsicOp>();
  if (!matches || lookupIntrinsic(matches.getCallee()) != Intrinsic::Matches ||
      matches.getArgs().size() != 2 || matches.getArgs()[0] != node.getResult())
    return nullptr;
  auto pattern = matches.getArgs()[1].getDefiningOp<FieldOp>();
  if (!pattern || pattern.getField() != "pattern" ||
      pattern.getValue() != body.getArgument(0))
    return nullptr;
  return rules;
}

/// Recognises `t => let Node(x, cs) = t; if c(x) then Node(x, []) else
/// Node(x, f(cs))` (either branch order), where f maps the lambda itself
/// over the children, and the same with the seed's rule step (ruleStep)
/// on the kept node.
std::optional<CutForm> matchCut(LambdaOp lambda) {
  FunctionType type = lambda.getFunctionType();
  if (type.getNumInputs() != 1 || !isTensorTree(type.getInput(0)) ||
      !isTensorTree(type.getResult(0)))
    return std::nullopt;
  Block &body = lambda.getBody().front();
  BlockArgument tree = body.getArgument(0);
  if (!tree.hasOneUse())
    return std::nullopt;
  auto node = dyn_cast<DestructureOp>(*tree.getUsers().begin());
  if (!node || node.getPattern() != "Node(%0, %1)" || node->getBlock() != &body)
    return std::nullopt;
  Value tensor = node.getBindings()[0], children = node.getBindings()[1];
  auto ret = cast<ReturnOp>(body.getTerminator());
  auto branch = ret.getValue().getDefiningOp<IfOp>();
  if (!branch || branch->getBlock() != &body)
    return std::nullopt;
  auto isLeaf = [&](Region &r) {
    auto leaf = yielded(r).getDefiningOp<ConstructOp>();
    if (!leaf || leaf.getCtor() != "Node" || leaf.getFields()[0] != tensor)
      return false;
    auto empty = leaf.getFields()[1].getDefiningOp<ListOp>();
    return empty && empty.getElements().empty();
  };
  // The kept node, `Node(x, f(cs))`, or the rule step on it; sets `rules`
  // for the latter.
  Value rules;
  auto isRecursion = [&](Region &r) {
    auto isKept = [&](ConstructOp inner) {
      return inner && inner.getCtor() == "Node" &&
             inner.getFields()[0] == tensor &&
             isRecursiveMap(inner.getFields()[1], children, lambda);
    };
    Value v = yielded(r);
    if (isKept(v.getDefiningOp<ConstructOp>()))
      return true;
    auto step = v.getDefiningOp<IfOp>();
    if (!step)
      return false;
    auto kept = yielded(step.getElseRegion()).getDefiningOp<ConstructOp>();
    if (!isKept(kept))
      return false;
    rules = ruleStep(step, kept, lambda);
    return bool(rules);
  };
  if (isLeaf(branch.getThenRegion()) && isRecursion(branch.getElseRegion()))
    return CutForm{tensor, branch.getCondition(), true, rules};
  if (isRecursion(branch.getThenRegion()) && isLeaf(branch.getElseRegion()))
    return CutForm{tensor, branch.getCondition(), false, rules};
  return std::nullopt;
}

/// `f(tree)` of a recursion that is a cut: fac.tree_cut, the predicate
/// being the condition's computation from the node's tensor.
struct RecursionToCut : public OpRewritePattern<ApplyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ApplyOp op,
                                PatternRewriter &rewriter) const override {
    auto lambda = op.getCallee().getDefiningOp<LambdaOp>();
    if (!lambda)
      return failure();
    std::optional<CutForm> form = matchCut(lambda);
    if (!form)
      return failure();
    // The ops the condition needs, in the lambda's body, from the node's
    // tensor only.
    Block &body = lambda.getBody().front();
    llvm::SetVector<Operation *> slice;
    SmallVector<Value> work{form->condition};
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (v == form->tensor)
        continue;
      Operation *def = v.getDefiningOp();
      if (!def) {
        // An argument of a block in the lambda is not the node's.
        if (lambda->isProperAncestor(v.getParentBlock()->getParentOp()) ||
            v.getParentBlock() == &body)
          return rewriter.notifyMatchFailure(op, "condition on the subtree");
        continue;
      }
      if (!lambda->isProperAncestor(def))
        continue; // Defined outside: in scope at the application too.
      if (isa<DestructureOp>(def) || def->getBlock() != &body)
        return rewriter.notifyMatchFailure(op, "condition on the subtree");
      if (slice.insert(def))
        llvm::append_range(work, def->getOperands());
    }
    auto cut = rewriter.create<TreeCutOp>(op.getLoc(), treeType(getContext()),
                                          op.getArgs()[0], form->rules);
    Block *pred =
        rewriter.createBlock(&cut.getPredicate(), {},
                             rewriter.getType<fac::TensorType>(), op.getLoc());
    IRMapping mapping;
    mapping.map(form->tensor, pred->getArgument(0));
    // In the body's order.
    for (Operation &inner : body)
      if (slice.contains(&inner))
        rewriter.clone(inner, mapping);
    Value leaf = mapping.lookupOrDefault(form->condition);
    if (!form->leafWhen) {
      Value yes = rewriter.create<arith::ConstantIntOp>(op.getLoc(), 1, 1);
      leaf = rewriter.create<arith::XOrIOp>(op.getLoc(), leaf, yes);
    }
    rewriter.create<YieldOp>(op.getLoc(), leaf);
    rewriter.replaceOp(op, cut.getResult());
    return success();
  }
};

/// The prelude's effects on trees: `Compress(tensor, 0.5)` is the pyramid,
/// `Decompress(tree)` its tokens, `Attend` on trees fac.tree_attend.
struct BindTreeEffects : public OpRewritePattern<PerformOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(PerformOp op,
                                PatternRewriter &rewriter) const override {
    StringRef effect = op.getEffect();
    ValueRange args = op.getArgs();
    if (effect == "Attend" && args.size() == 3 &&
        llvm::all_of(args.getTypes(), isTensorTree)) {
      rewriter.replaceOpWithNewOp<TreeAttendOp>(op, tensorType(getContext()),
                                                args[0], args[1], args[2]);
      return success();
    }
    if (effect == "Compress" && args.size() == 2 &&
        isa<fac::TensorType>(args[0].getType()) && isTensorTree(op.getType())) {
      FloatAttr ratio;
      if (!matchPattern(args[1], m_Constant(&ratio)) ||
          ratio.getValueAsDouble() != 0.5)
        return rewriter.notifyMatchFailure(op, "ratio is not 0.5");
      rewriter.replaceOpWithNewOp<TreeBuildOp>(op, treeType(getContext()),
                                               args[0]);
      return success();
    }
    if (effect == "Decompress" && args.size() == 1 &&
        isTensorTree(args[0].getType())) {
      Value leaves = rewriter.create<TreeLeavesOp>(
          op.getLoc(), tensorType(getContext()), args[0]);
      rewriter.replaceOpWithNewOp<TreeExpandOp>(op, tensorType(getContext()),
                                                leaves, args[0]);
      return success();
    }
    return failure();
  }
};

/// Whether \p mask is `(q, k, v) => Attend(a, b, c)` with a, b, c among
/// its parameters: applied to a node's tensor three times, attention of a
/// one-row tensor over itself, which is that tensor.
bool isSelfAttentionMask(Value mask) {
  auto lambda = mask.getDefiningOp<LambdaOp>();
  if (!lambda)
    return false;
  Block &body = lambda.getBody().front();
  auto ret = cast<ReturnOp>(body.getTerminator());
  auto attend = ret.getValue().getDefiningOp<PerformOp>();
  return attend && attend.getEffect() == "Attend" &&
         attend.getArgs().size() == 3 &&
         llvm::all_of(attend.getArgs(), [&](Value v) {
           return isa<fac::TensorType>(v.getType()) &&
                  llvm::is_contained(body.getArguments(), v);
         });
}

/// The prelude's intrinsics on trees: `treeJoin` (⊚, ⊙) is fac.tree_join,
/// `treeLimit` (⊡) fac.tree_limit, and `treeMask` (⊛) of a mask that is
/// attention of each node over itself leaves every node's one-row tensor
/// as it is (any other mask stays, and is refused below).
struct BindTreeIntrinsics : public OpRewritePattern<IntrinsicOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(IntrinsicOp op,
                                PatternRewriter &rewriter) const override {
    StringRef callee = op.getCallee();
    ValueRange args = op.getArgs();
    if (callee == "treeJoin" && args.size() == 2) {
      rewriter.replaceOpWithNewOp<TreeJoinOp>(op, treeType(getContext()),
                                              args[0], args[1]);
      return success();
    }
    if (callee == "treeLimit" && args.size() == 2) {
      rewriter.replaceOpWithNewOp<TreeLimitOp>(op, treeType(getContext()),
                                               args[0], args[1]);
      return success();
    }
    if (callee == "treeMask" && args.size() == 2 &&
        isSelfAttentionMask(args[1])) {
      rewriter.replaceOp(op, args[0]);
      return success();
    }
    return failure();
  }
};

/// The tree `Node(x, [])` of a tensor: its one leaf is `x`, whose rows
/// count for the leaves of the tree they were computed over (the query
/// tree of an attention, the tree whose leaves they are), or once each.
struct FoldSingleNode : public RewritePattern {
  FoldSingleNode(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  static ConstructOp singleNode(Value tree) {
    auto node = tree.getDefiningOp<ConstructOp>();
    if (!node || node.getCtor() != "Node")
      return nullptr;
    auto children = node.getFields()[1].getDefiningOp<ListOp>();
    return children && children.getElements().empty() ? node : nullptr;
  }

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (auto leaves = dyn_cast<TreeLeavesOp>(op)) {
      ConstructOp node = singleNode(leaves.getTree());
      if (!node)
        return failure();
      rewriter.replaceOp(op, node.getFields()[0]);
      return success();
    }
    auto expand = dyn_cast<TreeExpandOp>(op);
    if (!expand)
      return failure();
    ConstructOp node = singleNode(expand.getTree());
    if (!node)
      return failure();
    Value rows = node.getFields()[0];
    if (auto attend = rows.getDefiningOp<TreeAttendOp>()) {
      rewriter.replaceOpWithNewOp<TreeExpandOp>(
          op, tensorType(getContext()), expand.getRows(), attend.getQuery());
      return success();
    }
    if (auto leaves = rows.getDefiningOp<TreeLeavesOp>()) {
      rewriter.replaceOpWithNewOp<TreeExpandOp>(
          op, tensorType(getContext()), expand.getRows(), leaves.getTree());
      return success();
    }
    // Not yet known (an effect or a call still to lower).
    if (isa_and_nonnull<PerformOp, ApplyOp, IntrinsicOp>(rows.getDefiningOp()))
      return failure();
    // A tensor the spec computed: each row stands for itself.
    rewriter.replaceOp(op, expand.getRows());
    return success();
  }
};

struct LowerTreesPass : public fac::impl::FacLowerTreesBase<LowerTreesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("fac.kernel"))
        treeSignature(func);

    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<RecursionToCut, BindTreeEffects, BindTreeIntrinsics,
                 FoldSingleNode>(context);
    if (failed(applyPatternsAndFoldGreedily(module, std::move(patterns))))
      return signalPassFailure();
    module.walk([](LambdaOp op) {
      if (op.use_empty())
        op.erase();
    });

    // What is left in a kernel that no pass compiles: say what and why.
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("fac.kernel") && func.walk(refuse).wasInterrupted())
        return signalPassFailure();
  }

  /// An error at \p op when it is left in a kernel and nothing lowers it:
  /// a pyramid of a ratio other than 0.5, a mask that is not attention of
  /// each node over itself, or an application (a recursion fac-specialize
  /// could not inline).
  static WalkResult refuse(Operation *op) {
    if (auto perform = dyn_cast<PerformOp>(op)) {
      if (perform.getEffect() != "Compress" || perform.getArgs().size() != 2 ||
          !isa<fac::TensorType>(perform.getArgs()[0].getType()))
        return WalkResult::advance();
      op->emitError("Compress(tensor, ratio) compiles with the ratio 0.5 (a "
                    "binary pyramid) written in the spec or bound with -D; "
                    "this ratio is not");
      return WalkResult::interrupt();
    }
    if (auto intrinsic = dyn_cast<IntrinsicOp>(op)) {
      if (lookupIntrinsic(intrinsic.getCallee()) != Intrinsic::TreeMask)
        return WalkResult::advance();
      op->emitError("this mask over a tree does not compile: a kernel applies "
                    "a mask to a tree's nodes when the mask is attention of "
                    "the node over itself, `(q, k, v) => Attend(q, k, v)` (the "
                    "default), which leaves each node's one-row tensor as it "
                    "is");
      return WalkResult::interrupt();
    }
    auto apply = dyn_cast<ApplyOp>(op);
    auto lambda = apply ? apply.getCallee().getDefiningOp<LambdaOp>() : nullptr;
    if (!lambda)
      return WalkResult::advance();
    auto name = lambda->getAttrOfType<StringAttr>("name");
    InFlightDiagnostic diag = apply.emitError("the recursion of '")
                              << (name ? name.getValue() : "a lambda");
    if (llvm::any_of(apply.getArgs().getTypes(), isTensorTree))
      diag << "' over a tree does not compile: a tree function compiles "
              "when each node either becomes a leaf of its own tensor or "
              "keeps it and maps the function over its children, decided "
              "by the node's tensor; a kept node may then become the "
              "substitute of the first rule that matches it, from a rule "
              "list the kernel takes as a parameter";
    else
      diag << "' does not compile: where it ends depends on values known "
              "only at run time; a recursion compiles when values known at "
              "compile time (-D) decide its end, or when it is a cut of a "
              "tree";
    return WalkResult::interrupt();
  }

  /// A kernel's tree parameters are token matrices, the pyramid of which
  /// the kernel builds; its tree result is the tokens it stands for.
  void treeSignature(func::FuncOp func) {
    Block &entry = func.getBody().front();
    OpBuilder builder = OpBuilder::atBlockBegin(&entry);
    Type tensor = builder.getType<fac::TensorType>();
    for (BlockArgument arg : entry.getArguments()) {
      if (!isTensorTree(arg.getType()))
        continue;
      arg.setType(tensor);
      auto tree = builder.create<TreeBuildOp>(arg.getLoc(),
                                              treeType(&getContext()), arg);
      arg.replaceAllUsesExcept(tree.getResult(), tree);
    }
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    SmallVector<Type> results;
    for (OpOperand &operand : ret->getOpOperands()) {
      if (isTensorTree(operand.get().getType())) {
        builder.setInsertionPoint(ret);
        Value leaves =
            builder.create<TreeLeavesOp>(ret.getLoc(), tensor, operand.get());
        operand.set(builder.create<TreeExpandOp>(ret.getLoc(), tensor, leaves,
                                                 operand.get()));
      }
      results.push_back(operand.get().getType());
    }
    func.setFunctionType(
        FunctionType::get(&getContext(), entry.getArgumentTypes(), results));
  }
};

} // namespace
