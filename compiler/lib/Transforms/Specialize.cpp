//===- Specialize.cpp - Parameters, lambdas and handlers made static ------===//
//
// Implements fac-specialize: binds concept parameters given on the command
// line (`-D name=value`), inlines the handlers a spec writes for its own
// effects at every perform they handle, then rewrites to a fixed point with
// patterns that inline operator bodies and applications of known lambdas
// (unrolling recursion that compile-time values bound), fold `if` on
// constants, matches on values built in the spec, and list functions over
// list literals. What is left is what only run-time values decide.
//
//===----------------------------------------------------------------------===//

#include "fac/Transforms/Passes.h"

#include "fac/Dialect/FAC/FACDialect.h"
#include "fac/Support/Intrinsics.h"
#include "fac/Support/ParseNumber.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cfloat>

namespace fac {
#define GEN_PASS_DEF_FACSPECIALIZE
#include "fac/Transforms/Passes.h.inc"
} // namespace fac

using namespace mlir;
using namespace fac;

namespace {

/// Lists longer than this are not unrolled into literals.
constexpr int64_t kMaxUnrolledList = 4096;

/// Calls (of lambdas and operators) one run inlines at most: a recursion
/// that branches twice per level, or lambdas that each apply the one before
/// twice, grow exponentially within the depth limit.
constexpr int64_t kMaxInlinedCalls = 20000;

/// How many calls the patterns have inlined so far, against
/// kMaxInlinedCalls.
struct InlineBudget {
  int64_t used = 0;
  bool exhausted() const { return used >= kMaxInlinedCalls; }
};

//===----------------------------------------------------------------------===//
// Patterns as fac.handle and fac.destructure write them
//===----------------------------------------------------------------------===//

/// A parsed arm pattern: `_`, `%N`, a number, `Ctor`, `Ctor(p, ...)` or a
/// tuple `(p, ...)`.
struct ArmPattern {
  enum class Kind { Wildcard, Binder, Number, Ctor, Tuple } kind;
  int binder = -1;
  double number = 0;
  std::string ctor;
  std::vector<ArmPattern> subs;
};

/// Parses the text of a pattern; nothing on malformed text.
class PatternParser {
public:
  explicit PatternParser(StringRef text) : text(text) {}

  std::optional<ArmPattern> parse() {
    std::optional<ArmPattern> p = one();
    skip();
    if (!p || !text.empty())
      return std::nullopt;
    return p;
  }

private:
  void skip() { text = text.ltrim(); }

  std::optional<ArmPattern> one() {
    skip();
    ArmPattern p;
    if (text.consume_front("_")) {
      p.kind = ArmPattern::Kind::Wildcard;
      return p;
    }
    if (text.consume_front("%")) {
      p.kind = ArmPattern::Kind::Binder;
      size_t digits = text.find_if_not(llvm::isDigit);
      if (digits == 0 || text.take_front(digits).getAsInteger(10, p.binder))
        return std::nullopt;
      text = text.drop_front(digits);
      return p;
    }
    if (text.starts_with("(")) {
      p.kind = ArmPattern::Kind::Tuple;
      if (!list(p.subs))
        return std::nullopt;
      return p;
    }
    size_t end = text.find_first_of("(),");
    StringRef word = text.take_front(end).rtrim();
    if (word.empty())
      return std::nullopt;
    text = text.drop_front(word.size());
    if (word.front() == '-' || llvm::isDigit(word.front())) {
      p.kind = ArmPattern::Kind::Number;
      if (word.getAsDouble(p.number))
        return std::nullopt;
      return p;
    }
    p.kind = ArmPattern::Kind::Ctor;
    p.ctor = word.str();
    skip();
    if (text.starts_with("(") && !list(p.subs))
      return std::nullopt;
    return p;
  }

  bool list(std::vector<ArmPattern> &subs) {
    text = text.drop_front(); // '('
    skip();
    if (text.consume_front(")"))
      return true;
    while (true) {
      std::optional<ArmPattern> p = one();
      if (!p)
        return false;
      subs.push_back(std::move(*p));
      skip();
      if (text.consume_front(")"))
        return true;
      if (!text.consume_front(","))
        return false;
    }
  }

  StringRef text;
};

enum class MatchResult { Match, NoMatch, Unknown };

/// Matches \p value against \p p as far as the IR that builds \p value
/// tells; on a match, \p bindings holds the value of every binder.
MatchResult matchArm(const ArmPattern &p, Value value,
                     llvm::DenseMap<int, Value> &bindings) {
  switch (p.kind) {
  case ArmPattern::Kind::Wildcard:
    return MatchResult::Match;
  case ArmPattern::Kind::Binder:
    bindings[p.binder] = value;
    return MatchResult::Match;
  case ArmPattern::Kind::Number: {
    Attribute attr;
    if (!matchPattern(value, m_Constant(&attr)))
      return MatchResult::Unknown;
    double v;
    if (auto i = dyn_cast<IntegerAttr>(attr))
      v = double(i.getInt());
    else if (auto f = dyn_cast<FloatAttr>(attr))
      v = f.getValueAsDouble();
    else
      return MatchResult::Unknown;
    return v == p.number ? MatchResult::Match : MatchResult::NoMatch;
  }
  case ArmPattern::Kind::Ctor:
  case ArmPattern::Kind::Tuple: {
    ValueRange fields;
    if (p.kind == ArmPattern::Kind::Ctor) {
      auto construct = value.getDefiningOp<ConstructOp>();
      if (!construct)
        return MatchResult::Unknown;
      if (construct.getCtor() != p.ctor)
        return MatchResult::NoMatch;
      fields = construct.getFields();
    } else {
      auto tuple = value.getDefiningOp<TupleOp>();
      if (!tuple)
        return MatchResult::Unknown;
      fields = tuple.getElements();
    }
    if (fields.size() != p.subs.size())
      return MatchResult::Unknown;
    MatchResult result = MatchResult::Match;
    for (auto [sub, field] : llvm::zip(p.subs, fields)) {
      MatchResult r = matchArm(sub, field, bindings);
      if (r == MatchResult::NoMatch)
        return r;
      if (r == MatchResult::Unknown)
        result = r;
    }
    return result;
  }
  }
  return MatchResult::Unknown;
}

/// The effect an effect clause `E(%0, ...)` handles.
StringRef effectOf(StringRef pattern) {
  return pattern.take_until([](char c) { return c == '('; }).trim();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Whether \p value is known at compile time: a constant, `()`, or a list
/// or tuple of such values.
bool isCompileTimeValue(Value value) {
  if (matchPattern(value, m_Constant()))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (isa<UnitOp>(def))
    return true;
  if (isa<ListOp, TupleOp>(def))
    return llvm::all_of(def->getOperands(), isCompileTimeValue);
  return false;
}

/// Whether \p value is a constant, or computed without side effects from
/// constants only (so the canonicalizer is about to fold it).
bool foldsToConstant(Value value, int depth = 8) {
  if (matchPattern(value, m_Constant()))
    return true;
  Operation *def = value.getDefiningOp();
  return def && depth > 0 && def->getNumRegions() == 0 && isPure(def) &&
         def->getNumOperands() > 0 &&
         llvm::all_of(def->getOperands(), [&](Value operand) {
           return foldsToConstant(operand, depth - 1);
         });
}

/// Whether \p value, in \p lambda's body, is known at compile time when
/// the lambda is applied to \p args: computed without side effects from
/// constants and from parameters whose arguments are compile-time values.
bool knownWhenApplied(Value value, LambdaOp lambda, ValueRange args,
                      int depth = 32) {
  if (depth == 0)
    return false;
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getOwner() != &lambda.getBody().front())
      return false;
    return isCompileTimeValue(args[arg.getArgNumber()]);
  }
  Operation *def = value.getDefiningOp();
  if (!lambda->isProperAncestor(def))
    return foldsToConstant(value);
  return def->getNumRegions() == 0 && isPure(def) &&
         llvm::all_of(def->getOperands(), [&](Value operand) {
           return knownWhenApplied(operand, lambda, args, depth - 1);
         });
}

/// Whether applying recursive \p lambda to \p args unrolls to an end:
/// each of its recursive calls is inside an `if` that decides on values
/// known at compile time (a recursion on run-time values is left to run).
/// Other `if`s around the call may decide at run time (`if l >= levels
/// then l else if j < offset(l) then l else f(j, l + 1)`): the known one
/// ends the unrolling, and `maxUnroll` bounds it if it never does.
///
/// A condition that is constant already (not because of the arguments)
/// waits for FoldConstantIf: once it folds, what is left may be a tree cut
/// (`if c then ... else if magnitude(x) < t then ... else f(...)`), which
/// fac-lower-trees wants whole.
bool unrollsWith(LambdaOp lambda, ValueRange args) {
  bool guarded = false, decided = true;
  lambda.getBody().walk([&](SelfOp self) {
    if (self.getTarget() != lambda)
      return;
    bool known = false;
    for (Operation *p = self->getParentOp(); p && p != lambda;
         p = p->getParentOp())
      if (auto branch = dyn_cast<IfOp>(p)) {
        guarded = true;
        if (foldsToConstant(branch.getCondition()))
          decided = false;
        known |= knownWhenApplied(branch.getCondition(), lambda, args);
      }
    decided &= known;
  });
  return guarded && decided;
}

/// The `fac.self` ops inside \p lambda that name it.
SmallVector<SelfOp> selfReferences(LambdaOp lambda) {
  SmallVector<SelfOp> refs;
  lambda.getBody().walk([&](SelfOp self) {
    if (self.getTarget() == lambda)
      refs.push_back(self);
  });
  return refs;
}

/// Moves the single block of \p region before \p op, binding its arguments
/// to \p args, and returns the value its `fac.yield` (or `fac.return`)
/// gave; the terminator is erased.
Value inlineRegionBefore(PatternRewriter &rewriter, Region &region,
                         Operation *op, ValueRange args) {
  Block &block = region.front();
  Operation *terminator = block.getTerminator();
  rewriter.inlineBlockBefore(&block, op, args);
  // Read after inlining: the arguments are replaced by then.
  Value result = terminator->getOperand(0);
  rewriter.eraseOp(terminator);
  return result;
}

/// Clones the single block of \p region before the rewriter's insertion
/// point, binding its arguments to \p args; returns the value it yields.
Value cloneRegion(PatternRewriter &rewriter, Region &region, ValueRange args,
                  IRMapping &mapping,
                  std::optional<Location> callSite = std::nullopt) {
  Block &block = region.front();
  mapping.map(block.getArguments(), args);
  for (Operation &op : block.without_terminator()) {
    Operation *copy = rewriter.clone(op, mapping);
    if (!callSite)
      continue;
    // Diagnostics show the first file location of a fused one: the call.
    copy->walk([&](Operation *inner) {
      inner->setLoc(
          FusedLoc::get(inner->getContext(), {*callSite, inner->getLoc()}));
    });
  }
  return mapping.lookupOrDefault(block.getTerminator()->getOperand(0));
}

/// Whether \p loc is in the prelude's text.
bool inPrelude(Location loc) {
  auto file = loc->findInstanceOf<FileLineColLoc>();
  return file && file.getFilename() == "<prelude>";
}

Value constantI64(PatternRewriter &rewriter, Location loc, int64_t i) {
  return rewriter.create<arith::ConstantOp>(loc, rewriter.getI64IntegerAttr(i));
}

/// The elements of a list literal (`fac.list`), or nothing.
std::optional<OperandRange> literalElements(Value list) {
  if (auto literal = list.getDefiningOp<ListOp>())
    return literal.getElements();
  return std::nullopt;
}

std::optional<int64_t> constantInt(Value value) {
  APInt v;
  if (matchPattern(value, m_ConstantInt(&v)))
    return v.getSExtValue();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Effect handlers written in the spec
//===----------------------------------------------------------------------===//

/// Collects the performs of \p effect that a handler of the handle owning
/// \p region handles: lexically inside, not inside a lambda (a lambda's
/// performs are handled where it is called) and not under an inner handle
/// with its own clause for the effect.
void collectHandled(Region &region, StringRef effect,
                    SmallVectorImpl<PerformOp> &performs) {
  for (Block &block : region)
    for (Operation &op : block) {
      if (auto perform = dyn_cast<PerformOp>(op)) {
        if (perform.getEffect() == effect)
          performs.push_back(perform);
        continue;
      }
      if (isa<LambdaOp>(op))
        continue;
      if (auto handle = dyn_cast<HandleOp>(op)) {
        bool handlesIt = false;
        for (auto [kind, pattern] :
             llvm::zip(handle.getKinds(), handle.getPatterns()))
          handlesIt |= cast<StringAttr>(kind).getValue() == "effect" &&
                       effectOf(cast<StringAttr>(pattern).getValue()) == effect;
        if (!handlesIt)
          collectHandled(handle.getBody(), effect, performs);
        for (Region &arm : handle.getArms())
          collectHandled(arm, effect, performs);
        continue;
      }
      for (Region &nested : op.getRegions())
        collectHandled(nested, effect, performs);
    }
}

/// `handle body with | E(x) => v | ...`: every perform of E the clause
/// handles becomes the clause's body, and the clause goes.
struct InlineEffectClauses : public OpRewritePattern<HandleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(HandleOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<unsigned> clauses;
    for (auto [i, kind] : llvm::enumerate(op.getKinds()))
      if (cast<StringAttr>(kind).getValue() == "effect")
        clauses.push_back(i);
    if (clauses.empty())
      return failure();
    for (unsigned i : clauses) {
      StringRef effect =
          effectOf(cast<StringAttr>(op.getPatterns()[i]).getValue());
      SmallVector<PerformOp> performs;
      collectHandled(op.getBody(), effect, performs);
      for (PerformOp perform : performs) {
        rewriter.setInsertionPoint(perform);
        IRMapping mapping;
        Value v =
            cloneRegion(rewriter, op.getArms()[i], perform.getArgs(), mapping);
        rewriter.replaceOp(perform, v);
      }
    }
    // The handle without its effect clauses.
    SmallVector<Attribute> kinds, patterns;
    SmallVector<unsigned> kept;
    for (unsigned i = 0; i < op.getArms().size(); ++i)
      if (!llvm::is_contained(clauses, i)) {
        kept.push_back(i);
        kinds.push_back(op.getKinds()[i]);
        patterns.push_back(op.getPatterns()[i]);
      }
    if (kept.empty()) {
      Value v = inlineRegionBefore(rewriter, op.getBody(), op, {});
      rewriter.replaceOp(op, v);
      return success();
    }
    rewriter.setInsertionPoint(op);
    auto handle = rewriter.create<HandleOp>(
        op.getLoc(), op.getType(), rewriter.getArrayAttr(kinds),
        rewriter.getArrayAttr(patterns), kept.size());
    handle->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.inlineRegionBefore(op.getBody(), handle.getBody(),
                                handle.getBody().end());
    for (auto [to, from] : llvm::enumerate(kept))
      rewriter.inlineRegionBefore(op.getArms()[from], handle.getArms()[to],
                                  handle.getArms()[to].end());
    rewriter.replaceOp(op, handle.getResult());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

/// `fac.call @op(args)`: the operator's body, inlined.
struct InlineOperatorCall : public OpRewritePattern<CallOp> {
  InlineOperatorCall(MLIRContext *context, InlineBudget &budget)
      : OpRewritePattern(context), budget(budget) {}

  LogicalResult matchAndRewrite(CallOp op,
                                PatternRewriter &rewriter) const override {
    if (budget.exhausted())
      return failure();
    auto def = SymbolTable::lookupNearestSymbolFrom<OperatorOp>(
        op, op.getCalleeAttr());
    if (!def)
      return failure();
    // An operator whose body applies itself is not unrolled.
    bool recursive = false;
    def.getBody().walk([&](CallOp inner) {
      recursive |= inner.getCallee() == def.getSymName();
    });
    if (recursive)
      return failure();
    ++budget.used;
    IRMapping mapping;
    rewriter.setInsertionPoint(op);
    // What goes wrong in a prelude operator's body is reported where the
    // spec applied it, as fac-interp does.
    std::optional<Location> callSite;
    if (inPrelude(def.getLoc()))
      callSite = op.getLoc();
    Value v =
        cloneRegion(rewriter, def.getBody(), op.getArgs(), mapping, callSite);
    rewriter.replaceOp(op, v);
    return success();
  }

  InlineBudget &budget;
};

/// `fac.apply %f(args)` of a lambda known here: its body, inlined. A
/// recursive lambda is inlined only when an argument is a compile-time
/// value (its recursion is then unrolled as far as those values decide),
/// at most `maxUnroll` calls deep.
struct InlineApplication : public OpRewritePattern<ApplyOp> {
  InlineApplication(MLIRContext *context, int64_t maxUnroll,
                    InlineBudget &budget)
      : OpRewritePattern(context), maxUnroll(maxUnroll), budget(budget) {}

  LogicalResult matchAndRewrite(ApplyOp op,
                                PatternRewriter &rewriter) const override {
    auto lambda = op.getCallee().getDefiningOp<LambdaOp>();
    if (!lambda || budget.exhausted())
      return failure();
    SmallVector<SelfOp> selfRefs = selfReferences(lambda);
    int64_t depth = 0;
    if (auto attr = op->getAttrOfType<IntegerAttr>("fac.unroll"))
      depth = attr.getInt();
    if (!selfRefs.empty()) {
      if (depth >= maxUnroll || !unrollsWith(lambda, op.getArgs()))
        return failure();
      // Not inside a branch a constant is about to fold away (that branch
      // may be the recursion's end), nor before its arguments are folded.
      for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
        if (auto branch = dyn_cast<IfOp>(p);
            branch && foldsToConstant(branch.getCondition()))
          return failure();
    }
    ++budget.used;
    IRMapping mapping;
    rewriter.setInsertionPoint(op);
    Value v = cloneRegion(rewriter, lambda.getBody(), op.getArgs(), mapping);
    // In the copy, the lambda's name is the lambda itself, which is in
    // scope here; each recursive call is one level deeper.
    for (SelfOp self : selfRefs) {
      auto copy = mapping.lookup(self.getResult()).getDefiningOp<SelfOp>();
      for (OpOperand &use : llvm::make_early_inc_range(copy->getUses())) {
        if (auto apply = dyn_cast<ApplyOp>(use.getOwner()))
          rewriter.modifyOpInPlace(apply, [&] {
            apply->setAttr("fac.unroll", rewriter.getI64IntegerAttr(depth + 1));
          });
        rewriter.modifyOpInPlace(use.getOwner(),
                                 [&] { use.set(lambda.getResult()); });
      }
      rewriter.eraseOp(copy);
    }
    rewriter.replaceOp(op, v);
    return success();
  }

  int64_t maxUnroll;
  InlineBudget &budget;
};

//===----------------------------------------------------------------------===//
// Control flow and data on compile-time values
//===----------------------------------------------------------------------===//

/// `if c then a else b` with a constant `c`.
struct FoldConstantIf : public OpRewritePattern<IfOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(IfOp op,
                                PatternRewriter &rewriter) const override {
    APInt c;
    if (!matchPattern(op.getCondition(), m_ConstantInt(&c)))
      return failure();
    Region &taken = c.isZero() ? op.getElseRegion() : op.getThenRegion();
    Value v = inlineRegionBefore(rewriter, taken, op, {});
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// A `handle` with only value (and `Return`) arms whose arm the IR decides:
/// the scrutinee is built in the spec (`Node(t, [])`, `Satisfy`), or one
/// arm matches every value (Sema checks that arms are exhaustive, so a
/// single data arm is irrefutable: it becomes a `fac.destructure`).
struct FoldHandle : public OpRewritePattern<HandleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(HandleOp op,
                                PatternRewriter &rewriter) const override {
    if (llvm::any_of(op.getKinds(), [](Attribute k) {
          return cast<StringAttr>(k).getValue() == "effect";
        }))
      return failure();
    Value scrutinee = op.getBody().front().getTerminator()->getOperand(0);
    unsigned valueArms = llvm::count_if(op.getKinds(), [](Attribute k) {
      return cast<StringAttr>(k).getValue() == "value";
    });
    std::optional<unsigned> chosen;
    llvm::DenseMap<int, Value> bindings;
    std::optional<ArmPattern> irrefutable;
    for (unsigned i = 0; i < op.getArms().size(); ++i) {
      StringRef kind = cast<StringAttr>(op.getKinds()[i]).getValue();
      StringRef text = cast<StringAttr>(op.getPatterns()[i]).getValue();
      if (kind == "return") {
        bindings[0] = scrutinee;
        chosen = i;
        break;
      }
      std::optional<ArmPattern> p = PatternParser(text).parse();
      if (!p)
        return failure();
      bindings.clear();
      MatchResult r = matchArm(*p, scrutinee, bindings);
      if (r == MatchResult::Match) {
        chosen = i;
        break;
      }
      if (r == MatchResult::Unknown) {
        if (valueArms != 1)
          return failure();
        chosen = i;
        irrefutable = std::move(*p);
        break;
      }
    }
    if (!chosen)
      return failure();
    Region &arm = op.getArms()[*chosen];
    Value v = inlineRegionBefore(rewriter, op.getBody(), op, {});
    SmallVector<Value> args;
    if (irrefutable) {
      auto destructure = rewriter.create<DestructureOp>(
          op.getLoc(), arm.getArgumentTypes(), v,
          cast<StringAttr>(op.getPatterns()[*chosen]).getValue());
      llvm::append_range(args, destructure.getBindings());
    } else {
      for (unsigned k = 0; k < arm.getNumArguments(); ++k)
        args.push_back(bindings.lookup(int(k)));
      if (llvm::is_contained(args, Value()))
        return rewriter.notifyMatchFailure(op, "binder without a value");
    }
    Value result = inlineRegionBefore(rewriter, arm, op, args);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// `let Ctor(a, b) = Ctor(x, y)`: the bindings are the fields.
struct FoldDestructure : public OpRewritePattern<DestructureOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DestructureOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<ArmPattern> p = PatternParser(op.getPattern()).parse();
    llvm::DenseMap<int, Value> bindings;
    if (!p || matchArm(*p, op.getValue(), bindings) != MatchResult::Match)
      return failure();
    SmallVector<Value> values;
    for (unsigned k = 0; k < op.getBindings().size(); ++k)
      values.push_back(bindings.lookup(int(k)));
    if (llvm::is_contained(values, Value()))
      return failure();
    rewriter.replaceOp(op, values);
    return success();
  }
};

/// Whether \p list is a concept parameter of type List<CompressionRule>
/// that -D left: a rule table given at run time, whose patterns are leaves
/// (fac-interp -p and the kernel ABI take tables of one-row tensors,
/// docs/LanguageReference.md "Rule tables").
bool isRuleTable(Value list) {
  auto arg = dyn_cast<BlockArgument>(list);
  return arg && isa<ConceptOp>(arg.getOwner()->getParentOp()) &&
         isRuleList(arg.getType());
}

/// Whether \p tree is one of the trees of the pattern of a rule found in
/// a run-time rule table: `unwrap(find(p, table)).pattern.value`.
bool isTablePatternTree(Value tree) {
  auto which = tree.getDefiningOp<FieldOp>();
  if (!which ||
      !llvm::is_contained({"query", "key", "value"}, which.getField()))
    return false;
  auto pattern = which.getValue().getDefiningOp<FieldOp>();
  auto unwrap =
      pattern ? pattern.getValue().getDefiningOp<UnwrapOp>() : nullptr;
  auto find =
      unwrap ? unwrap.getOption().getDefiningOp<IntrinsicOp>() : nullptr;
  return pattern && pattern.getField() == "pattern" && find &&
         lookupIntrinsic(find.getCallee()) == Intrinsic::Find &&
         find.getArgs().size() == 2 && isRuleTable(find.getArgs()[1]);
}

/// The children of a pattern tree of a run-time rule table are `[]`: its
/// patterns are leaves (`let Node(_, cs) = rule.pattern.value`, or
/// `.children`).
struct FoldTablePatternChildren : public RewritePattern {
  FoldTablePatternChildren(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    Value children;
    if (auto field = dyn_cast<FieldOp>(op)) {
      if (field.getField() == "children" &&
          isTablePatternTree(field.getValue()))
        children = field.getResult();
    } else if (auto node = dyn_cast<DestructureOp>(op)) {
      if (isTablePatternTree(node.getValue())) {
        if (node.getPattern() == "Node(_, %0)")
          children = node.getBindings()[0];
        else if (node.getPattern() == "Node(%0, %1)")
          children = node.getBindings()[1];
      }
    }
    if (!children || children.use_empty())
      return failure();
    rewriter.setInsertionPoint(op);
    Value empty =
        rewriter.create<ListOp>(op->getLoc(), children.getType(), ValueRange{});
    rewriter.replaceAllUsesWith(children, empty);
    return success();
  }
};

/// `if c then a else b` where a and b are computed alike from the same
/// values: a (what the rule step's `if` is once a table's leaf patterns
/// fold).
struct FoldEquivalentIf : public OpRewritePattern<IfOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(IfOp op,
                                PatternRewriter &rewriter) const override {
    auto effectFree = [](Region &r) {
      return !r.walk([](Operation *inner) {
                 return isa<PerformOp, ApplyOp, CallOp, IntrinsicOp>(inner)
                            ? WalkResult::interrupt()
                            : WalkResult::advance();
               }).wasInterrupted();
    };
    if (!effectFree(op.getThenRegion()))
      return failure();
    // Values the two regions make are alike when they are made alike.
    IRMapping alike;
    auto check = [&](Value a, Value b) {
      return success(alike.lookupOrDefault(a) == b);
    };
    auto mark = [&](Value a, Value b) { alike.map(a, b); };
    Block &a = op.getThenRegion().front(), &b = op.getElseRegion().front();
    if (a.getOperations().size() != b.getOperations().size())
      return failure();
    for (auto [x, y] : llvm::zip(a, b))
      if (!OperationEquivalence::isEquivalentTo(
              &x, &y, check, mark, OperationEquivalence::IgnoreLocations))
        return failure();
    Value v = inlineRegionBefore(rewriter, op.getThenRegion(), op, {});
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// A lambda nothing applies, but for a concept's named functions (which
/// fac-outline-kernels may compile as entries).
struct EraseUnusedLambda : public OpRewritePattern<LambdaOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LambdaOp op,
                                PatternRewriter &rewriter) const override {
    if (!op->use_empty() ||
        (isa<ConceptOp>(op->getParentOp()) && op->hasAttr("name")))
      return failure();
    rewriter.eraseOp(op);
    return success();
  }
};

/// A `find` nothing reads whose predicate performs nothing.
struct EraseUnreadFind : public OpRewritePattern<IntrinsicOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(IntrinsicOp op,
                                PatternRewriter &rewriter) const override {
    if (lookupIntrinsic(op.getCallee()) != Intrinsic::Find || !op->use_empty())
      return failure();
    auto predicate = op.getArgs()[0].getDefiningOp<LambdaOp>();
    if (!predicate || predicate
                          .walk([](Operation *inner) {
                            return isa<PerformOp, ApplyOp, CallOp>(inner)
                                       ? WalkResult::interrupt()
                                       : WalkResult::advance();
                          })
                          .wasInterrupted())
      return failure();
    rewriter.eraseOp(op);
    return success();
  }
};

/// `Ctor(a, b)` of the bindings of `let Ctor(a, b) = v`, in order: `v`.
struct FoldRebuild : public OpRewritePattern<ConstructOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConstructOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getFields().empty())
      return failure();
    auto destructure = op.getFields()[0].getDefiningOp<DestructureOp>();
    if (!destructure || destructure.getValue().getType() != op.getType() ||
        destructure.getBindings() != op.getFields())
      return failure();
    std::string expected = (op.getCtor() + "(").str();
    for (size_t i = 0; i < op.getFields().size(); ++i)
      expected += (i ? ", %" : "%") + std::to_string(i);
    if (destructure.getPattern() != expected + ")")
      return failure();
    rewriter.replaceOp(op, destructure.getValue());
    return success();
  }
};

/// `Ctor(x, y).field`, `Some(x) exists`, `None exists`, and the value in
/// `Some(x)`.
struct FoldDataAccess : public RewritePattern {
  FoldDataAccess(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (auto field = dyn_cast<FieldOp>(op)) {
      auto construct = field.getValue().getDefiningOp<ConstructOp>();
      std::optional<uint64_t> index = field.getIndex();
      if (!construct || !index || *index >= construct.getFields().size())
        return failure();
      Value v = construct.getFields()[*index];
      if (v.getType() != field.getType())
        return failure();
      rewriter.replaceOp(op, v);
      return success();
    }
    if (auto exists = dyn_cast<ExistsOp>(op)) {
      auto construct = exists.getOption().getDefiningOp<ConstructOp>();
      if (!construct)
        return failure();
      rewriter.replaceOpWithNewOp<arith::ConstantOp>(
          op, rewriter.getBoolAttr(construct.getCtor() == "Some"));
      return success();
    }
    if (auto unwrap = dyn_cast<UnwrapOp>(op)) {
      auto construct = unwrap.getOption().getDefiningOp<ConstructOp>();
      if (!construct || construct.getCtor() != "Some")
        return failure();
      rewriter.replaceOp(op, construct.getFields()[0]);
      return success();
    }
    return failure();
  }
};

//===----------------------------------------------------------------------===//
// Lists known at compile time
//===----------------------------------------------------------------------===//

/// `xs[i]` and `xs[a:b]` of a list literal, with constant bounds.
struct FoldListAccess : public RewritePattern {
  FoldListAccess(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (auto index = dyn_cast<IndexOp>(op)) {
      std::optional<OperandRange> elems = literalElements(index.getList());
      std::optional<int64_t> i = constantInt(index.getIndex());
      // An index out of range stays: it is a run-time error.
      if (!elems || !i || *i < 0 || *i >= int64_t(elems->size()))
        return failure();
      rewriter.replaceOp(op, (*elems)[*i]);
      return success();
    }
    if (auto slice = dyn_cast<SliceOp>(op)) {
      std::optional<OperandRange> elems = literalElements(slice.getList());
      if (!elems)
        return failure();
      int64_t n = int64_t(elems->size()), lo = 0, hi = n;
      if (slice.getLo()) {
        std::optional<int64_t> v = constantInt(slice.getLo());
        if (!v)
          return failure();
        lo = *v;
      }
      if (slice.getHi()) {
        std::optional<int64_t> v = constantInt(slice.getHi());
        if (!v)
          return failure();
        hi = *v;
      }
      // As the interpreter: bounds are clamped to the list.
      lo = std::clamp<int64_t>(lo, 0, n);
      hi = std::clamp<int64_t>(hi, lo, n);
      SmallVector<Value> kept(elems->begin() + lo, elems->begin() + hi);
      rewriter.replaceOpWithNewOp<ListOp>(op, slice.getType(), kept);
      return success();
    }
    return failure();
  }
};

/// `float` of a constant, and the list intrinsics on list literals (and
/// `range`, `List.init` of a constant length): `len` is a constant; `map`,
/// `List.map`, `List.init` and `List.fold` become the applications they stand
/// for.
struct UnrollListIntrinsic : public OpRewritePattern<IntrinsicOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(IntrinsicOp op,
                                PatternRewriter &rewriter) const override {
    StringRef name = op.getCallee();
    std::optional<Intrinsic> which = lookupIntrinsic(name);
    Location loc = op.getLoc();
    ValueRange args = op.getArgs();
    auto apply = [&](Value f, ValueRange xs) -> Value {
      auto type = cast<FunctionType>(f.getType());
      return rewriter.create<ApplyOp>(loc, type.getResult(0), f, xs);
    };
    if (which == Intrinsic::Float) {
      if (std::optional<int64_t> v = constantInt(args[0])) {
        rewriter.replaceOpWithNewOp<arith::ConstantOp>(
            op, rewriter.getF32FloatAttr(float(*v)));
        return success();
      }
      return failure();
    }
    if (which == Intrinsic::Len) {
      std::optional<OperandRange> elems = literalElements(args[0]);
      if (!elems)
        return failure();
      rewriter.replaceOp(op, constantI64(rewriter, loc, elems->size()));
      return success();
    }
    if (which == Intrinsic::ListFlatten) {
      std::optional<OperandRange> lists = literalElements(args[0]);
      if (!lists)
        return failure();
      SmallVector<Value> elems;
      for (Value list : *lists) {
        std::optional<OperandRange> xs = literalElements(list);
        if (!xs)
          return failure();
        elems.append(xs->begin(), xs->end());
      }
      rewriter.replaceOpWithNewOp<ListOp>(op, op.getType(), elems);
      return success();
    }
    if (which == Intrinsic::Concat && isa<ListType>(op.getType())) {
      std::optional<OperandRange> a = literalElements(args[0]),
                                  b = literalElements(args[1]);
      if (!a || !b)
        return failure();
      SmallVector<Value> elems(*a);
      elems.append(b->begin(), b->end());
      rewriter.replaceOpWithNewOp<ListOp>(op, op.getType(), elems);
      return success();
    }
    if (which == Intrinsic::Range || which == Intrinsic::ListInit) {
      std::optional<int64_t> n = constantInt(args[0]);
      if (!n || *n > kMaxUnrolledList)
        return failure();
      SmallVector<Value> elems;
      for (int64_t i = 0; i < std::max<int64_t>(*n, 0); ++i) {
        Value iv = constantI64(rewriter, loc, i);
        elems.push_back(which == Intrinsic::Range ? iv : apply(args[1], iv));
      }
      rewriter.replaceOpWithNewOp<ListOp>(op, op.getType(), elems);
      return success();
    }
    if (which == Intrinsic::Map || which == Intrinsic::ListMap) {
      bool indexed = which == Intrinsic::ListMap;
      Value f = indexed ? args[1] : args[0];
      std::optional<OperandRange> elems =
          literalElements(indexed ? args[0] : args[1]);
      if (!elems)
        return failure();
      SmallVector<Value> out;
      for (auto [i, x] : llvm::enumerate(*elems))
        out.push_back(indexed ? apply(f, {x, constantI64(rewriter, loc, i)})
                              : apply(f, x));
      rewriter.replaceOpWithNewOp<ListOp>(op, op.getType(), out);
      return success();
    }
    if (which == Intrinsic::Find) {
      // The first element the predicate holds for: a chain of `if`s that
      // folds as far as the predicate does.
      std::optional<OperandRange> elems = literalElements(args[1]);
      if (!elems)
        return failure();
      Type option = op.getType();
      Value result =
          rewriter.create<ConstructOp>(loc, option, "None", ValueRange{});
      for (Value x : llvm::reverse(*elems)) {
        Value holds = apply(args[0], x);
        auto branch = rewriter.create<IfOp>(loc, option, holds);
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.createBlock(&branch.getThenRegion());
        Value some = rewriter.create<ConstructOp>(loc, option, "Some", x);
        rewriter.create<YieldOp>(loc, some);
        rewriter.createBlock(&branch.getElseRegion());
        rewriter.create<YieldOp>(loc, result);
        result = branch.getResult();
      }
      rewriter.replaceOp(op, result);
      return success();
    }
    if (which == Intrinsic::ListFold) {
      std::optional<OperandRange> elems = literalElements(args[0]);
      if (!elems)
        return failure();
      Value acc = args[1];
      for (Value x : *elems)
        acc = apply(args[2], {acc, x});
      rewriter.replaceOp(op, acc);
      return success();
    }
    return failure();
  }
};

/// `[e | x in xs]` over a list literal: the list of each element's `e`. (A
/// comprehension with a condition stays: its list's length is decided by
/// values.)
struct UnrollComprehension : public OpRewritePattern<ComprehensionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ComprehensionOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<OperandRange> elems = literalElements(op.getSource());
    Block &body = op.getBody().front();
    auto yield = cast<YieldOp>(body.getTerminator());
    if (!elems || yield.getValues().size() != 1)
      return failure();
    SmallVector<Value> out;
    rewriter.setInsertionPoint(op);
    for (Value x : *elems) {
      IRMapping mapping;
      out.push_back(cloneRegion(rewriter, op.getBody(), x, mapping));
    }
    rewriter.replaceOpWithNewOp<ListOp>(op, op.getType(), out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// The prelude's `AttentionComputation(q, k, v, mask)` is `mask(q, k, v)`,
/// as its library handler computes it.
LogicalResult applyAttentionComputation(PerformOp op,
                                        PatternRewriter &rewriter) {
  if (op.getEffect() != "AttentionComputation" || op.getArgs().size() != 4)
    return failure();
  auto fn = dyn_cast<FunctionType>(op.getArgs()[3].getType());
  if (!fn || fn.getNumInputs() != 3 || fn.getNumResults() != 1 ||
      fn.getResult(0) != op.getType())
    return failure();
  rewriter.replaceOpWithNewOp<ApplyOp>(op, op.getType(), op.getArgs()[3],
                                       op.getArgs().take_front(3));
  return success();
}

/// `handle MemoryConstraint(limit) with | Satisfy => a | Violate => b`: the
/// interpreter's decision (every tensor the run has made or read so far
/// fits in `limit` bytes) as a `fac.memory_fits` on those tensors. When
/// `b` calls the enclosing function again on its own parameters, that call
/// meets the same constraint with at least the same tensors, so the
/// recursion never ends: the kernel refuses the call (`FACRT_ERR_LIMIT`)
/// and the handle is `a`. Otherwise it is a run-time branch.
LogicalResult resolveMemoryConstraint(HandleOp op) {
  Operation *body = op.getBody().front().getTerminator();
  auto perform = body->getOperand(0).getDefiningOp<PerformOp>();
  if (!perform || perform.getEffect() != "MemoryConstraint" ||
      perform.getArgs().size() != 1 ||
      !perform.getArgs()[0].getType().isInteger(64) || op.getArms().size() != 2)
    return failure();
  int satisfy = -1, violate = -1;
  for (unsigned i = 0; i < 2; ++i) {
    StringRef kind = cast<StringAttr>(op.getKinds()[i]).getValue();
    StringRef text = cast<StringAttr>(op.getPatterns()[i]).getValue();
    if (kind != "value" || op.getArms()[i].getNumArguments() != 0)
      return failure();
    if (text == "Satisfy")
      satisfy = int(i);
    else if (text == "Violate")
      violate = int(i);
  }
  if (satisfy < 0 || violate < 0)
    return failure();
  PatternRewriter rewriter(op.getContext());
  rewriter.setInsertionPoint(op);
  Location loc = perform.getLoc();
  // What computes the limit (in the handle's body) goes before it.
  Block &computation = op.getBody().front();
  for (Operation &inner :
       llvm::make_early_inc_range(computation.without_terminator()))
    if (&inner != perform.getOperation())
      inner.moveBefore(op);
  // The tensors are counted once the calls around it are inlined
  // (countTensorsMade); the function's parameters count where a caller
  // evaluated them as arguments.
  auto lambda = op->getParentOfType<LambdaOp>();
  auto name = lambda ? lambda->getAttrOfType<StringAttr>("name") : nullptr;
  SmallVector<Value> parameters;
  if (lambda)
    for (Value p : lambda.getBody().front().getArguments())
      if (p.getType() == fac::TensorType::get(op.getContext()))
        parameters.push_back(p);
  auto fits = rewriter.create<MemoryFitsOp>(loc, rewriter.getI1Type(),
                                            perform.getArgs()[0], parameters);
  // Which function it is in (an anonymous one: ""), to tell a call from
  // outside from a call of it.
  if (lambda)
    fits->setAttr("fac.function", name ? name : rewriter.getStringAttr(""));
  // Does the Violate arm call the enclosing function on its parameters?
  bool diverges = false;
  for (auto apply : op.getArms()[violate].getOps<ApplyOp>()) {
    auto self = apply.getCallee().getDefiningOp<SelfOp>();
    diverges |=
        self && name && self.getName() == name.getValue() &&
        llvm::equal(apply.getArgs(), lambda.getBody().front().getArguments());
  }
  if (diverges) {
    rewriter.create<RequireOp>(
        loc, fits,
        rewriter.getStringAttr("MemoryConstraint: a tensor is over the "
                               "limit, and the Violate arm calls '" +
                               name.getValue() +
                               "' again on the same arguments, which never "
                               "ends"),
        rewriter.getUnitAttr());
    Value result = inlineRegionBefore(rewriter, op.getArms()[satisfy], op, {});
    rewriter.replaceOp(op, result);
    return success();
  }
  auto branch = rewriter.create<IfOp>(op.getLoc(), op.getType(), fits);
  for (auto [arm, region] : {std::pair{satisfy, &branch.getThenRegion()},
                             std::pair{violate, &branch.getElseRegion()}})
    region->takeBody(op.getArms()[arm]);
  rewriter.replaceOp(op, branch.getResult());
  return success();
}

/// The operands of \p fits: the tensors a run of the outermost function
/// around it has made or read before it, as the interpreter counts them
/// for MemoryConstraint (every tensor an earlier op takes or makes, in its
/// regions too but for an `if`'s branches, of which only the result
/// counts; a tensor the concept made counts where the call reads it).
void countTensorsMade(MemoryFitsOp fits) {
  Operation *top = fits;
  while (top->getParentOp() && !isa<ConceptOp>(top->getParentOp()))
    top = top->getParentOp();
  auto function = dyn_cast<LambdaOp>(top);
  if (!function)
    return;
  Type tensor = fac::TensorType::get(fits.getContext());
  // The parameters it was made with are a caller's arguments, evaluated by
  // the caller, unless the function is the one called from outside.
  llvm::SetVector<Value> made;
  auto in = fits->getAttrOfType<StringAttr>("fac.function");
  auto name = function->getAttrOfType<StringAttr>("name");
  bool calledFromOutside = in && (name ? in == name : in.getValue().empty());
  if (!calledFromOutside)
    made.insert(fits.getTensors().begin(), fits.getTensors().end());
  fits->removeAttr("fac.function");
  std::function<void(Operation *)> visit = [&](Operation *o) {
    for (Value v : o->getOperands())
      if (v.getType() == tensor)
        made.insert(v);
    if (!isa<IfOp>(o))
      for (Region &r : o->getRegions())
        for (Operation &inner : r.getOps())
          visit(&inner);
    for (Value v : o->getResults())
      if (v.getType() == tensor)
        made.insert(v);
  };
  // Everything before it in its block and in each enclosing block.
  for (Operation *at = fits; at != function.getOperation();
       at = at->getParentOp())
    for (Operation *o = &at->getBlock()->front(); o != at; o = o->getNextNode())
      visit(o);
  // What was made inside those regions and is not visible here is counted
  // through what they yield. (A tensor of the concept counts where the
  // call reads it.)
  made.remove_if([&](Value v) {
    return !v.getParentRegion()->isAncestor(fits->getParentRegion());
  });
  fits.getTensorsMutable().assign(made.getArrayRef());
}

struct SpecializePass : public fac::impl::FacSpecializeBase<SpecializePass> {
  using FacSpecializeBase::FacSpecializeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(bindDefines(module)))
      return signalPassFailure();

    // Before any inlining, while a recursion under Violate is still a
    // call of its own function.
    SmallVector<HandleOp> handles;
    module.walk([&](HandleOp op) { handles.push_back(op); });
    for (HandleOp op : handles)
      (void)resolveMemoryConstraint(op);

    MLIRContext *context = &getContext();
    GreedyRewriteConfig config;
    config.maxIterations = GreedyRewriteConfig::kNoLimit;
    // Handlers first, while what is lexically inside a handle is still
    // only what the spec wrote there.
    {
      RewritePatternSet patterns(context);
      patterns.add<InlineEffectClauses>(context);
      if (failed(applyPatternsAndFoldGreedily(module, std::move(patterns),
                                              config)))
        return signalPassFailure();
    }
    RewritePatternSet patterns(context);
    InlineBudget budget;
    patterns.add<InlineOperatorCall>(context, budget);
    patterns.add<FoldConstantIf, FoldHandle, FoldDestructure, FoldRebuild,
                 FoldDataAccess, FoldListAccess, UnrollListIntrinsic,
                 UnrollComprehension, FoldTablePatternChildren,
                 FoldEquivalentIf, EraseUnreadFind, EraseUnusedLambda>(context);
    patterns.add<InlineApplication>(context, maxUnroll, budget);
    patterns.add(applyAttentionComputation);
    for (Dialect *dialect : context->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName name : context->getRegisteredOperations())
      name.getCanonicalizationPatterns(patterns, context);
    if (failed(
            applyPatternsAndFoldGreedily(module, std::move(patterns), config)))
      return signalPassFailure();

    // MemoryConstraint counts what the whole call has made.
    module.walk(countTensorsMade);
    // Inlining that grew without end.
    if (budget.exhausted()) {
      Operation *at = nullptr;
      module.walk([&](Operation *op) {
        if (!at && isa<ApplyOp, CallOp>(op))
          at = op;
      });
      emitError(at ? at->getLoc() : module.getLoc(),
                "specialisation inlined more than ")
          << kMaxInlinedCalls
          << " calls: the calls known at compile time here grow without "
             "end (a recursion that calls itself twice per step, say)";
      return signalPassFailure();
    }
    // A recursion compile-time values did not end.
    WalkResult result = module.walk([&](ApplyOp apply) {
      auto depth = apply->getAttrOfType<IntegerAttr>("fac.unroll");
      if (!depth || depth.getInt() < maxUnroll)
        return WalkResult::advance();
      auto lambda = apply.getCallee().getDefiningOp<LambdaOp>();
      auto name = lambda ? lambda->getAttrOfType<StringAttr>("name") : nullptr;
      apply.emitError("the recursion of '")
          << (name ? name.getValue() : "a lambda") << "' did not end after "
          << int64_t(maxUnroll)
          << " calls unrolled at compile time; a recursion is compiled "
             "when values known at compile time (-D) end it";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    // Operators nothing calls any more.
    for (OperatorOp op :
         llvm::make_early_inc_range(module.getOps<OperatorOp>()))
      if (SymbolTable::symbolKnownUseEmpty(op, module))
        op.erase();
    // Lambdas nothing applies any more, but for a concept's named
    // functions, which fac-outline-kernels may compile as entries.
    module.walk([](LambdaOp op) {
      if (op.use_empty() &&
          !(isa<ConceptOp>(op->getParentOp()) && op->hasAttr("name")))
        op.erase();
    });
  }

  /// Replaces each parameter named by a `-D name=value` by its value and
  /// removes it from its concept.
  LogicalResult bindDefines(ModuleOp module) {
    // A pass option splits `sizes=2,5` at the comma: a piece without '='
    // continues the list before it.
    SmallVector<std::string> joined;
    for (const std::string &d : defines) {
      if (!StringRef(d).contains('=') && !joined.empty())
        joined.back() += "," + d;
      else
        joined.push_back(d);
    }
    llvm::StringMap<std::string> values;
    for (const std::string &d : joined) {
      auto [name, value] = StringRef(d).split('=');
      if (name.empty() || !StringRef(d).contains('=')) {
        emitError(commandLine(), "-D ") << d << ": expected name=value";
        return failure();
      }
      if (!values.try_emplace(name, value.str()).second) {
        emitError(commandLine(), "-D ")
            << name << " is given twice; give each parameter one value";
        return failure();
      }
    }
    llvm::StringSet<> used;
    for (ConceptOp spec : module.getOps<ConceptOp>()) {
      Block &params = spec.getBody().front();
      for (unsigned i = params.getNumArguments(); i-- > 0;) {
        BlockArgument arg = params.getArgument(i);
        auto named = dyn_cast<NameLoc>(arg.getLoc());
        if (!named)
          continue;
        auto it = values.find(named.getName().getValue());
        if (it == values.end())
          continue;
        used.insert(it->first());
        OpBuilder builder(&params, params.begin());
        FailureOr<Value> v = materialize(builder, arg, it->second);
        if (failed(v))
          return failure();
        arg.replaceAllUsesWith(*v);
        params.eraseArgument(i);
      }
    }
    for (ConceptOp spec : module.getOps<ConceptOp>())
      bindDefaultFunctions(spec);
    for (const auto &entry : values)
      if (!used.contains(entry.first())) {
        InFlightDiagnostic diag = emitError(commandLine(), "-D ")
                                  << entry.first()
                                  << ": no concept has a parameter of that "
                                     "name";
        for (ConceptOp spec : module.getOps<ConceptOp>()) {
          std::string names;
          for (BlockArgument arg : spec.getBody().getArguments())
            if (auto named = dyn_cast<NameLoc>(arg.getLoc()))
              names += (names.empty() ? "" : ", ") +
                       named.getName().getValue().str();
          diag.attachNote(spec.getLoc())
              << "the parameters of '" << spec.getSymName()
              << "' are: " << (names.empty() ? "none" : names);
        }
        return failure();
      }
    return success();
  }

  /// Binds each function-typed parameter of \p spec that has a library
  /// default to it, as fac-interp does (interp::defaultParameter): a kernel
  /// cannot take a function. The defaults perform the prelude's effects:
  /// `(tensor, ratio) => Compress(tensor, ratio)`, `tree =>
  /// Decompress(tree)` and `(q, k, v) => Attend(q, k, v)`.
  void bindDefaultFunctions(ConceptOp spec) {
    Block &params = spec.getBody().front();
    MLIRContext *context = &getContext();
    Type tensor = fac::TensorType::get(context);
    Type tree = DataType::get(context, "TensorTree", {});
    for (unsigned i = params.getNumArguments(); i-- > 0;) {
      BlockArgument arg = params.getArgument(i);
      auto type = dyn_cast<FunctionType>(arg.getType());
      if (!type || type.getNumResults() != 1)
        continue;
      TypeRange in = type.getInputs();
      Type out = type.getResult(0);
      StringRef effect;
      if (in == TypeRange{tensor, Float32Type::get(context)} && out == tree)
        effect = "Compress";
      else if (in == TypeRange{tree} && out == tensor)
        effect = "Decompress";
      else if (in == TypeRange{tensor, tensor, tensor} && out == tensor)
        effect = "Attend";
      else
        continue;
      OpBuilder builder(&params, params.begin());
      Location loc = arg.getLoc();
      auto lambda = builder.create<LambdaOp>(loc, type);
      Block *body = builder.createBlock(&lambda.getBody());
      for (Type t : in)
        body->addArgument(t, loc);
      Value result = builder.create<PerformOp>(
          loc, out, effect, ValueRange(body->getArguments()));
      builder.create<ReturnOp>(loc, result);
      arg.replaceAllUsesWith(lambda.getResult());
      params.eraseArgument(i);
    }
  }

  /// Where errors in `-D` values are reported.
  Location commandLine() {
    return FileLineColLoc::get(&getContext(), "<command line>", 0, 0);
  }

  /// The constant `text` gives parameter \p arg, built by \p builder.
  FailureOr<Value> materialize(OpBuilder &builder, BlockArgument arg,
                               StringRef text) {
    Location loc = arg.getLoc();
    StringRef name = cast<NameLoc>(loc).getName().getValue();
    auto scalar = [&](Type type, StringRef item) -> FailureOr<Value> {
      if (type.isInteger(64))
        if (std::optional<int64_t> v =
                parseInteger(item, std::numeric_limits<int64_t>::min(),
                             std::numeric_limits<int64_t>::max()))
          return Value(builder.create<arith::ConstantOp>(
              loc, builder.getI64IntegerAttr(*v)));
      if (type.isF32())
        if (std::optional<double> v = parseReal(item, -FLT_MAX, FLT_MAX))
          return Value(builder.create<arith::ConstantOp>(
              loc, builder.getF32FloatAttr(float(*v))));
      if (type.isInteger(1) && (item == "true" || item == "false"))
        return Value(builder.create<arith::ConstantOp>(
            loc, builder.getBoolAttr(item == "true")));
      return failure();
    };
    auto describe = [](Type type) -> std::string {
      if (type.isInteger(64))
        return "an Int";
      if (type.isF32())
        return "a finite Float in f32's range";
      if (type.isInteger(1))
        return "true or false";
      return "";
    };
    Type type = arg.getType();
    if (auto list = dyn_cast<ListType>(type)) {
      // Any list may be bound to the empty list (`-D rules=`).
      if (text.empty())
        return Value(builder.create<ListOp>(loc, type, ValueRange{}));
      Type elem = list.getElementType();
      if (!describe(elem).empty()) {
        SmallVector<Value> elems;
        SmallVector<StringRef> items;
        if (!text.empty())
          text.split(items, ',');
        for (StringRef item : items) {
          FailureOr<Value> v = scalar(elem, item);
          if (failed(v))
            return emitError(commandLine(), "-D ")
                       << name << "=" << text << ": '" << item << "' is not "
                       << describe(elem),
                   failure();
          elems.push_back(*v);
        }
        return Value(builder.create<ListOp>(loc, type, elems));
      }
    } else if (auto data = dyn_cast<DataType>(type);
               data && data.getName() == "FractalCode") {
      // As fac-interp's -p: the code's level; its integers come from the
      // library's Compress.
      std::optional<int64_t> level = parseInteger(text, 0, 64);
      if (!level)
        return emitError(commandLine(), "-D ")
                   << name << "=" << text
                   << ": a FractalCode is given by its level, an Int in 0-64",
               failure();
      Value l = builder.create<arith::ConstantOp>(
          loc, builder.getI64IntegerAttr(*level));
      Value ints = builder.create<ListOp>(
          loc, ListType::get(&getContext(), builder.getI64Type()),
          ValueRange{});
      return Value(builder.create<ConstructOp>(loc, type, "FractalCode",
                                               ValueRange{l, ints}));
    } else if (!describe(type).empty()) {
      FailureOr<Value> v = scalar(type, text);
      if (failed(v))
        return emitError(commandLine(), "-D ")
                   << name << "=" << text << ": the parameter needs "
                   << describe(type),
               failure();
      return v;
    }
    return emitError(commandLine(), "-D ")
               << name << ": parameter '" << name << "' has type " << type
               << ", which -D cannot give: it binds Int, Float and Bool "
                  "parameters, lists of them (and any list to the empty "
                  "list, with '-D name='), and a FractalCode by its level",
           failure();
  }
};

} // namespace

void fac::populateDataFoldPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldDataAccess, FoldDestructure, FoldRebuild, FoldListAccess>(
      patterns.getContext());
}
