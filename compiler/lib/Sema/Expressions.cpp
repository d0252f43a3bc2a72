//===- Expressions.cpp - Statements and expressions -----------------------===//
//
// Members of the Checker (Checker.h).
//
//===----------------------------------------------------------------------===//

#include "Checker.h"

using namespace fac;
using namespace fac::ast;
using namespace fac::sema;

TypePtr Checker::statements(const std::vector<StmtPtr> &stmts) {
  TypePtr result = Type::unitType();
  for (const StmtPtr &s : stmts) {
    result = Type::unitType();
    if (auto *let = llvm::dyn_cast<LetStmt>(s.get()))
      letBinding(let->getPattern(), let->getValue());
    else if (auto *assign = llvm::dyn_cast<AssignStmt>(s.get()))
      assignment(*assign);
    else
      result = infer(llvm::cast<ExprStmt>(*s).getExpr());
  }
  return result;
}

void Checker::letBinding(Pattern &pattern, Expr &value) {
  auto *lambda = llvm::dyn_cast<LambdaExpr>(&value);
  if (pattern.kind == Pattern::Kind::Name && lambda &&
      !isConstructorName(pattern.name)) {
    lambda->boundName = pattern.name;
    ++level;
    // Inside its body the lambda is monomorphic, with the parameter types
    // it declares.
    std::vector<TypePtr> params;
    for (const Param &p : lambda->getParams())
      params.push_back(p.type ? resolve(*p.type, {}) : fresh());
    TypePtr self = Type::function(params, fresh());
    pattern.type = self;
    bind(pattern.name, self, pattern.loc, /*warnIfUnused=*/true);
    TypePtr type = infer(value);
    if (!tryUnify(self, type))
      source->error(pattern.loc,
                    "'" + pattern.name + "' is used as '" + self->str() +
                        "' in its own body but has type '" + type->str() + "'");
    --level;
    generalize(type);
    return;
  }
  TypePtr type = infer(value);
  checkPattern(pattern, type, /*warnIfUnused=*/true);
  if (!isIrrefutable(pattern, type))
    source->error(pattern.loc, "this pattern can fail to match: a 'let' "
                               "pattern must match every value of type '" +
                                   type->str() + "'");
}

void Checker::assignment(AssignStmt &s) {
  auto *field = llvm::dyn_cast<FieldExpr>(&s.getTarget());
  auto *base = field ? llvm::dyn_cast<NameExpr>(&field->getBase()) : nullptr;
  if (!base || base->getName() != "model" || field->getField() != "attention") {
    source->error(s.getTarget().getLoc(),
                  "only 'model.attention' can be assigned");
    infer(s.getValue());
    return;
  }
  infer(s.getTarget());
  if (attentionAssignment) {
    source->error(s.getLoc(), "'model.attention' is assigned twice");
    source->note(*attentionAssignment, "first assigned here");
  }
  attentionAssignment = s.getLoc();
  TypePtr value = infer(s.getValue());
  // Dense attention, or attention over pyramids that the host builds from
  // the model's Q/K/V and flattens back into tokens.
  TypePtr tensor = Type::tensorType(), tree = Type::con("TensorTree");
  if (tryUnify(value, Type::function({tensor, tensor, tensor}, tensor)) ||
      tryUnify(value, Type::function({tree, tree, tree}, tree)))
    return;
  source->error(s.getValue().getLoc(),
                "cannot assign a value of type '" + value->str() +
                    "' to 'model.attention', which takes '(Tensor, Tensor, "
                    "Tensor) -> Tensor' or '(TensorTree, TensorTree, "
                    "TensorTree) -> TensorTree'");
}

TypePtr Checker::infer(Expr &e) {
  e.type = inferImpl(e);
  // Types are shared graphs, but every later stage (printing, MLIR
  // types, the interpreter's values) expands them: `p(p(p(a)))` with
  // `p = (x) => (x, x)` doubles the type at each call.
  size_t budget = kMaxTypeSize;
  if (!e.type->isError() && exceedsBudget(e.type, budget)) {
    source->error(e.getLoc(), "the type of this expression has more than " +
                                  llvm::Twine(kMaxTypeSize) + " parts");
    e.type = Type::error();
  }
  return e.type;
}

bool Checker::exceedsBudget(const TypePtr &type, size_t &budget) {
  TypePtr t = prune(type);
  if (budget == 0)
    return true;
  --budget;
  for (const TypePtr &arg : t->getArgs())
    if (exceedsBudget(arg, budget))
      return true;
  return false;
}

TypePtr Checker::inferImpl(Expr &e) {
  switch (e.getKind()) {
  case Expr::Kind::Number:
    return llvm::cast<NumberExpr>(e).isInteger() ? fresh(/*numeric=*/true)
                                                 : Type::floatType();
  case Expr::Kind::Name:
    return name(llvm::cast<NameExpr>(e));
  case Expr::Kind::Call:
    return call(llvm::cast<CallExpr>(e));
  case Expr::Kind::Field:
    return field(llvm::cast<FieldExpr>(e));
  case Expr::Kind::Index: {
    auto &i = llvm::cast<IndexExpr>(e);
    TypePtr elem = fresh();
    expect(infer(i.getBase()), Type::con("List", {elem}), i.getBase().getLoc(),
           "the indexed value");
    expect(infer(i.getIndex()), Type::intType(), i.getIndex().getLoc(),
           "the index");
    return elem;
  }
  case Expr::Kind::Slice: {
    auto &s = llvm::cast<SliceExpr>(e);
    TypePtr base = infer(s.getBase());
    for (Expr *bound : {s.getLo(), s.getHi()})
      if (bound)
        expect(infer(*bound), Type::intType(), bound->getLoc(),
               "a slice bound");
    // A tensor's slice is its rows from lo to hi.
    if (prune(base)->isCon("Tensor"))
      return base;
    TypePtr list = Type::con("List", {fresh()});
    expect(base, list, s.getBase().getLoc(), "the sliced value");
    return list;
  }
  case Expr::Kind::Binary:
    return binary(llvm::cast<BinaryExpr>(e));
  case Expr::Kind::Neg: {
    auto &n = llvm::cast<UnaryExpr>(e);
    TypePtr t = infer(n.getOperand());
    if (prune(t)->isCon("Tensor"))
      return t;
    if (!tryUnify(t, fresh(/*numeric=*/true)))
      source->error(e.getLoc(),
                    "cannot negate a value of type '" + t->str() + "'");
    return t;
  }
  case Expr::Kind::Bool:
    return Type::boolType();
  case Expr::Kind::Not: {
    auto &x = llvm::cast<UnaryExpr>(e);
    expect(infer(x.getOperand()), Type::boolType(), x.getOperand().getLoc(),
           "the operand of 'not'");
    return Type::boolType();
  }
  case Expr::Kind::Exists: {
    auto &x = llvm::cast<UnaryExpr>(e);
    expect(infer(x.getOperand()), Type::con("Option", {fresh()}),
           x.getOperand().getLoc(), "the operand of 'exists'");
    return Type::boolType();
  }
  case Expr::Kind::Lambda:
    return lambda(llvm::cast<LambdaExpr>(e));
  case Expr::Kind::If:
    return ifExpr(llvm::cast<IfExpr>(e));
  case Expr::Kind::Handle:
    return handle(llvm::cast<HandleExpr>(e));
  case Expr::Kind::Let: {
    auto &l = llvm::cast<LetExpr>(e);
    push();
    letBinding(l.getPattern(), l.getValue());
    TypePtr t = infer(l.getBody());
    pop();
    return t;
  }
  case Expr::Kind::Block: {
    auto &b = llvm::cast<BlockExpr>(e);
    push();
    TypePtr t = statements(b.getBlock().getStmts());
    pop();
    return t;
  }
  case Expr::Kind::List: {
    TypePtr elem = fresh();
    for (const ExprPtr &x : llvm::cast<ListExpr>(e).getElems())
      expect(infer(*x), elem, x->getLoc(), "this list element");
    return Type::con("List", {elem});
  }
  case Expr::Kind::Tuple: {
    std::vector<TypePtr> elems;
    for (const ExprPtr &x : llvm::cast<ListExpr>(e).getElems())
      elems.push_back(infer(*x));
    return Type::tuple(std::move(elems));
  }
  case Expr::Kind::Comprehension: {
    auto &c = llvm::cast<ComprehensionExpr>(e);
    TypePtr elem = fresh();
    expect(infer(c.getSource()), Type::con("List", {elem}),
           c.getSource().getLoc(), "the source of a comprehension");
    push();
    bind(c.getVar().str(), elem, c.getVarLoc(), /*warnIfUnused=*/false);
    if (c.getCond())
      expect(infer(*c.getCond()), Type::boolType(), c.getCond()->getLoc(),
             "the condition of a comprehension");
    TypePtr result = infer(c.getElem());
    pop();
    return Type::con("List", {result});
  }
  case Expr::Kind::Unit:
    return Type::unitType();
  }
  return Type::error();
}

TypePtr Checker::name(NameExpr &e) {
  if (Binding *b = lookup(e.getName())) {
    b->used = true;
    e.resolved = NameKind::Local;
    e.definition = b->loc;
    e.unwrapsOption = b->unwrapsOption;
    return instantiate(b->type);
  }
  auto ctor = tables.ctors.find(e.getName());
  if (ctor != tables.ctors.end()) {
    e.resolved = NameKind::Constructor;
    if (!ctor->second.fromPrelude)
      e.definition = ctor->second.loc;
    TypePtr t = instantiate(ctor->second.type);
    // A constructor without fields is a value; with fields, a function.
    return t->getParams().empty() ? t->getResult() : t;
  }
  auto intrinsic = tables.intrinsics.find(e.getName());
  if (intrinsic != tables.intrinsics.end()) {
    e.resolved = NameKind::Prelude;
    if (intrinsic->second.size() == 1)
      return instantiate(intrinsic->second.front().type);
    source->error(e.getLoc(), "'" + e.getName() +
                                  "' is overloaded: call it, so that its "
                                  "arguments choose the overload");
    return Type::error();
  }
  if (tables.effects.count(e.getName())) {
    source->error(e.getLoc(), "effect '" + e.getName() +
                                  "' can only be performed by calling it, "
                                  "not used as a value");
    return Type::error();
  }
  source->error(e.getLoc(), "unknown name '" + e.getName() + "'");
  return Type::error();
}

TypePtr Checker::field(FieldExpr &e) {
  // `List.init` and the other qualified prelude functions (named so by
  // the parser's own rewrites whatever the spec binds `List` to).
  if (auto *base = llvm::dyn_cast<NameExpr>(&e.getBase());
      base && (!e.qualifiedName.empty() || !lookup(base->getName()))) {
    std::string qualified = (base->getName() + "." + e.getField()).str();
    auto it = tables.intrinsics.find(qualified);
    if (it != tables.intrinsics.end()) {
      e.qualifiedName = qualified;
      return instantiate(it->second.front().type);
    }
  }
  TypePtr base = prune(infer(e.getBase()));
  if (base->isError())
    return base;
  if (base->isCon("LanguageModel") && e.getField() == "attention") {
    TypePtr t = Type::tensorType();
    return Type::function({t, t, t}, t);
  }
  if (base->getKind() == Type::Kind::Con) {
    auto type = tables.types.find(base->getName());
    if (type != tables.types.end() && type->second.ctors.size() == 1) {
      const CtorInfo &ctor = tables.ctors[type->second.ctors.front()];
      for (size_t i = 0; i < ctor.fieldNames.size(); ++i)
        if (ctor.fieldNames[i] == e.getField()) {
          TypePtr c = instantiate(ctor.type);
          unify(c->getResult(), base);
          e.fieldIndex = int(i);
          return c->getParams()[i];
        }
    }
  }
  if (base->getKind() == Type::Kind::Var)
    source->error(e.getLoc(), "cannot access field '" + e.getField() +
                                  "' of a value whose type is not known "
                                  "here: annotate it");
  else
    source->error(e.getLoc(), "type '" + base->str() + "' has no field '" +
                                  e.getField() + "'");
  return Type::error();
}

void Checker::checkArgs(CallExpr &e, const llvm::Twine &what,
                        const std::vector<TypePtr> &params) {
  if (e.getArgs().size() != params.size()) {
    source->error(e.getLoc(),
                  what + " expects " + llvm::Twine(params.size()) +
                      " argument" + (params.size() == 1 ? "" : "s") + " but " +
                      llvm::Twine(e.getArgs().size()) + " were given");
    return;
  }
  for (size_t i = 0; i < params.size(); ++i)
    expect(e.getArgs()[i]->type, params[i], e.getArgs()[i]->getLoc(),
           "argument " + llvm::Twine(i + 1) + " of " + what);
}

const SigInfo *Checker::pickOverload(CallExpr &e,
                                     const std::vector<SigInfo> &entries,
                                     const llvm::Twine &what) {
  std::vector<const SigInfo *> sameArity;
  for (const SigInfo &s : entries)
    if (s.type->getArgs().size() == e.getArgs().size() + 1)
      sameArity.push_back(&s);
  if (sameArity.size() == 1 || entries.size() == 1)
    return sameArity.empty() ? &entries.front() : sameArity.front();
  if (sameArity.empty()) {
    // Every overload has the wrong arity: say which arities there are.
    std::set<size_t> arities;
    for (const SigInfo &s : entries)
      arities.insert(s.type->getArgs().size() - 1);
    std::string list;
    for (size_t n : arities)
      list += (list.empty() ? "" : " or ") + std::to_string(n);
    source->error(e.getLoc(), what + " expects " + list + " arguments but " +
                                  llvm::Twine(e.getArgs().size()) +
                                  " were given");
    return nullptr;
  }
  for (const SigInfo *s : sameArity)
    if (wouldUnify([&] {
          TypePtr t = instantiate(s->type);
          for (size_t i = 0; i < e.getArgs().size(); ++i)
            // Lambdas are inferred after the choice.
            if (e.getArgs()[i]->type &&
                !unify(e.getArgs()[i]->type, t->getParams()[i]))
              return false;
          return true;
        }))
      return s;
  // An argument no overload takes is the error, where it is written.
  for (size_t i = 0; i < e.getArgs().size(); ++i) {
    const ExprPtr &a = e.getArgs()[i];
    if (!a->type)
      continue;
    std::string expected;
    bool taken = false;
    for (const SigInfo *s : sameArity) {
      TypePtr t = instantiate(s->type);
      std::string param = t->getParams()[i]->str();
      if (expected.find("'" + param + "'") == std::string::npos)
        expected += (expected.empty() ? "'" : " or '") + param + "'";
      taken |= wouldUnify([&] { return unify(a->type, t->getParams()[i]); });
    }
    if (taken)
      continue;
    source->error(a->getLoc(), "argument " + llvm::Twine(i + 1) + " of " +
                                   what + " has type '" + a->type->str() +
                                   "' but " + expected + " is expected");
    return nullptr;
  }
  std::string args;
  for (const ExprPtr &a : e.getArgs())
    args += (args.empty() ? "" : ", ") +
            (a->type ? a->type->str() : std::string("<lambda>"));
  source->error(e.getLoc(), "no overload of " + what + " takes (" + args + ")");
  for (const SigInfo &s : entries)
    noteAt(s, "candidate: " + s.type->str());
  return nullptr;
}

void Checker::inferNonLambdaArgs(CallExpr &e) {
  for (const ExprPtr &a : e.getArgs())
    if (!llvm::isa<LambdaExpr>(*a))
      infer(*a);
}

void Checker::inferLambdaArgs(CallExpr &e, const std::vector<TypePtr> *params) {
  const auto &args = e.getArgs();
  if (params && params->size() == args.size())
    for (size_t i = 0; i < args.size(); ++i)
      if (!llvm::isa<LambdaExpr>(*args[i]))
        tryUnify(args[i]->type, (*params)[i]);
  for (size_t i = 0; i < args.size(); ++i)
    if (auto *l = llvm::dyn_cast<LambdaExpr>(args[i].get())) {
      TypePtr expected = params && i < params->size() ? (*params)[i] : nullptr;
      l->type = lambda(*l, expected);
    }
}

TypePtr Checker::call(CallExpr &e) {
  inferNonLambdaArgs(e);
  if (auto *callee = llvm::dyn_cast<NameExpr>(&e.getCallee());
      callee && !lookup(callee->getName()) &&
      !tables.ctors.count(callee->getName())) {
    auto effect = tables.effects.find(callee->getName());
    if (effect != tables.effects.end())
      return perform(e, *callee, effect->second);
    auto intrinsic = tables.intrinsics.find(callee->getName());
    if (intrinsic != tables.intrinsics.end() && intrinsic->second.size() > 1) {
      callee->resolved = NameKind::Prelude;
      std::string what = "function '" + callee->getName().str() + "'";
      const SigInfo *sig = pickOverload(e, intrinsic->second, what);
      if (!sig) {
        inferLambdaArgs(e, nullptr);
        return Type::error();
      }
      TypePtr t = instantiate(sig->type);
      callee->type = t;
      std::vector<TypePtr> params = t->getParams();
      inferLambdaArgs(e, &params);
      checkArgs(e, what, params);
      return t->getResult();
    }
  }
  TypePtr fn = prune(infer(e.getCallee()));
  if (fn->isError()) {
    inferLambdaArgs(e, nullptr);
    return fn;
  }
  std::string what = "this function";
  if (auto *callee = llvm::dyn_cast<NameExpr>(&e.getCallee())) {
    if (callee->resolved == NameKind::Constructor)
      what = "constructor '" + callee->getName().str() + "'";
    else
      what = "function '" + callee->getName().str() + "'";
    if (callee->resolved == NameKind::Constructor &&
        fn->getKind() != Type::Kind::Function) {
      source->error(e.getLoc(), "constructor '" + callee->getName() +
                                    "' has no fields: use it without "
                                    "parentheses");
      inferLambdaArgs(e, nullptr);
      return Type::error();
    }
  } else if (auto *f = llvm::dyn_cast<FieldExpr>(&e.getCallee());
             f && !f->qualifiedName.empty()) {
    what = "function '" + f->qualifiedName + "'";
  }
  if (fn->getKind() == Type::Kind::Var) {
    std::vector<TypePtr> params;
    for (size_t i = 0; i < e.getArgs().size(); ++i)
      params.push_back(fresh());
    TypePtr result = fresh();
    unify(fn, Type::function(params, result));
    fn = prune(fn);
  }
  if (fn->getKind() != Type::Kind::Function) {
    source->error(e.getLoc(), "called value has type '" + fn->str() +
                                  "', which is not a function");
    inferLambdaArgs(e, nullptr);
    return Type::error();
  }
  std::vector<TypePtr> params = fn->getParams();
  inferLambdaArgs(e, &params);
  checkArgs(e, what, params);
  return fn->getResult();
}

TypePtr Checker::perform(CallExpr &e, NameExpr &callee,
                         const std::vector<SigInfo> &entries) {
  std::string what = "effect '" + callee.getName().str() + "'";
  callee.resolved = NameKind::Effect;
  e.performedEffect = callee.getName().str();
  const SigInfo *sig = pickOverload(e, entries, what);
  if (!sig) {
    inferLambdaArgs(e, nullptr);
    return Type::error();
  }
  TypePtr t = instantiate(sig->type);
  callee.type = t;
  if (!sig->fromPrelude)
    callee.definition = sig->loc;
  std::vector<TypePtr> params = t->getParams();
  inferLambdaArgs(e, &params);
  checkArgs(e, what, params);
  if (sig->libraryHandled)
    e.libraryEffect = sig->library;
  e.performedDecl = sig->decl;
  for (std::vector<const SignatureDecl *> &performed : performedInHandle)
    performed.push_back(sig->decl);
  if (!sig->libraryHandled && !isHandledHere(callee.getName())) {
    source->error(e.getLoc(), "effect '" + callee.getName() +
                                  "' is performed here but not handled, "
                                  "and the prelude has no handler for it");
    noteAt(*sig, "effect declared here");
  }
  return t->getResult();
}

bool Checker::isHandledHere(llvm::StringRef effect) {
  for (const std::set<std::string> &handled : handledEffects)
    if (handled.count(effect.str()))
      return true;
  return false;
}

TypePtr Checker::binary(BinaryExpr &e) {
  TypePtr lhs = infer(e.getLHS());
  TypePtr rhs = infer(e.getRHS());
  llvm::StringRef op = e.getOp();
  if (prune(lhs)->isError() || prune(rhs)->isError())
    return Type::error();
  auto mismatch = [&]() {
    source->error(e.getLoc(), "invalid operands to '" + op + "' ('" +
                                  lhs->str() + "' and '" + rhs->str() + "')");
    return Type::error();
  };
  if (op == "\u2192" || op == "and" || op == "or") {
    if (!tryUnify(lhs, Type::boolType()) || !tryUnify(rhs, Type::boolType()))
      return mismatch();
    return Type::boolType();
  }
  if (op == "++") {
    // Lists one after the other, or tensors' rows.
    if (!tryUnify(lhs, rhs))
      return mismatch();
    if (prune(lhs)->isCon("Tensor"))
      return lhs;
    if (!tryUnify(lhs, Type::con("List", {fresh()})))
      return mismatch();
    return lhs;
  }
  if (isEquality(op)) {
    if (!tryUnify(lhs, rhs))
      return mismatch();
    return Type::boolType();
  }
  if (isOrdering(op)) {
    if (!tryUnify(lhs, rhs) || !tryUnify(lhs, fresh(/*numeric=*/true)))
      return mismatch();
    return Type::boolType();
  }
  if (isArithmetic(op)) {
    TypePtr l = prune(lhs), r = prune(rhs);
    bool lt = l->isCon("Tensor"), rt = r->isCon("Tensor");
    if (lt || rt) {
      // Elementwise on two tensors (broadcast); a Float applies to every
      // element (and divides only from the right).
      TypePtr other = lt ? rhs : lhs;
      if (op != "%" &&
          (tryUnify(other, Type::tensorType()) ||
           ((op != "/" || lt) && tryUnify(other, Type::floatType()))))
        return Type::tensorType();
      return mismatch();
    }
    if (!tryUnify(lhs, rhs) || !tryUnify(lhs, fresh(/*numeric=*/true)))
      return mismatch();
    return lhs;
  }
  // A Unicode operator: the spec's declaration or the prelude's.
  auto it = tables.operators.find(op);
  if (it == tables.operators.end() || it->second.empty()) {
    source->error(e.getLoc(), "operator '" + op +
                                  "' is not declared and not in the "
                                  "prelude");
    return Type::error();
  }
  const SigInfo *chosen = nullptr;
  for (const SigInfo &s : it->second)
    if (wouldUnify([&] {
          TypePtr t = instantiate(s.type);
          return t->getParams().size() == 2 && unify(lhs, t->getParams()[0]) &&
                 unify(rhs, t->getParams()[1]);
        })) {
      chosen = &s;
      break;
    }
  if (!chosen) {
    source->error(e.getLoc(), "operator '" + op + "' cannot take '" +
                                  lhs->str() + "' and '" + rhs->str() + "'");
    for (const SigInfo &s : it->second)
      noteAt(s, "'" + op + "' is declared as " + s.type->str());
    return Type::error();
  }
  TypePtr t = instantiate(chosen->type);
  unify(lhs, t->getParams()[0]);
  unify(rhs, t->getParams()[1]);
  e.operatorDecl = chosen->decl;
  return t->getResult();
}

TypePtr Checker::lambda(LambdaExpr &e, TypePtr expected) {
  if (expected)
    expected = prune(expected);
  bool useExpected = expected && expected->getKind() == Type::Kind::Function &&
                     expected->getParams().size() == e.getParams().size();
  push();
  std::vector<TypePtr> params;
  for (size_t i = 0; i < e.getParams().size(); ++i) {
    const Param &p = e.getParams()[i];
    TypePtr t = p.type        ? resolve(*p.type, {})
                : useExpected ? expected->getParams()[i]
                              : fresh();
    params.push_back(t);
    bind(p.name, t, p.loc, /*warnIfUnused=*/false);
  }
  // Effects are handled lexically: a handle around the lambda's
  // definition does not handle what the lambda performs when called.
  std::vector<std::set<std::string>> outer;
  std::swap(outer, handledEffects);
  TypePtr result = infer(e.getBody());
  std::swap(outer, handledEffects);
  pop();
  if (prune(result)->isCon("Unit") && llvm::isa<BlockExpr>(e.getBody()))
    source->error(e.getBody().getLoc(),
                  "lambda body must end with an expression");
  return Type::function(std::move(params), result);
}

TypePtr Checker::ifExpr(IfExpr &e) {
  expect(infer(e.getCond()), Type::boolType(), e.getCond().getLoc(),
         "the condition");
  // `if x exists then ...`: in the then branch, x is the Option's value.
  push();
  if (auto *exists = llvm::dyn_cast<UnaryExpr>(&e.getCond());
      exists && exists->getKind() == Expr::Kind::Exists)
    if (auto *n = llvm::dyn_cast<NameExpr>(&exists->getOperand()))
      if (Binding *b = lookup(n->getName())) {
        TypePtr opt = prune(b->type);
        if (opt->isCon("Option")) {
          Binding inner{opt->getArgs()[0], b->loc, true, false, true};
          scopes.back().emplace(n->getName().str(), inner);
        }
      }
  TypePtr thenType = infer(e.getThen());
  pop();
  TypePtr elseType = infer(e.getElse());
  if (!tryUnify(thenType, elseType)) {
    source->error(e.getElse().getLoc(),
                  "the branches of 'if' have different types: '" +
                      thenType->str() + "' and '" + elseType->str() + "'");
    return Type::error();
  }
  return thenType;
}

TypePtr Checker::handle(HandleExpr &e) {
  // Effect clauses: arms whose pattern names an effect.
  std::set<std::string> handled;
  for (Arm &a : e.getArms())
    if (a.pattern.kind == Pattern::Kind::Ctor &&
        tables.effects.count(a.pattern.name) &&
        !tables.ctors.count(a.pattern.name)) {
      a.kind = Arm::Kind::Effect;
      handled.insert(a.pattern.name);
    } else if (a.pattern.kind == Pattern::Kind::Ctor &&
               a.pattern.name == "Return" && !tables.ctors.count("Return")) {
      a.kind = Arm::Kind::Return;
    }
  handledEffects.push_back(handled);
  performedInHandle.emplace_back();
  TypePtr scrutinee = infer(e.getScrutinee());
  std::vector<const SignatureDecl *> performed =
      std::move(performedInHandle.back());
  performedInHandle.pop_back();
  handledEffects.pop_back();

  TypePtr result = fresh();
  bool hasValueArm = false, catchAll = false;
  std::set<std::string> covered;
  for (Arm &a : e.getArms()) {
    push();
    if (a.kind == Arm::Kind::Effect) {
      // The arm's value is what the effect returns where it was performed.
      // Of the effect's overloads, the clause handles one that binds as
      // many values: the one performed in the scrutinee when several do.
      const std::vector<SigInfo> &overloads = tables.effects[a.pattern.name];
      const SigInfo *chosen = nullptr;
      for (const SigInfo &o : overloads) {
        if (o.type->getParams().size() != a.pattern.subs.size())
          continue;
        if (!chosen || llvm::is_contained(performed, o.decl))
          chosen = &o;
        if (llvm::is_contained(performed, o.decl))
          break;
      }
      const SigInfo &sig = chosen ? *chosen : overloads.front();
      a.handledDecl = sig.decl;
      TypePtr t = instantiate(sig.type);
      if (a.pattern.subs.size() != t->getParams().size())
        source->error(a.pattern.loc, "effect '" + a.pattern.name + "' takes " +
                                         llvm::Twine(t->getParams().size()) +
                                         " arguments but the clause binds " +
                                         llvm::Twine(a.pattern.subs.size()));
      else
        for (size_t i = 0; i < a.pattern.subs.size(); ++i)
          checkPattern(a.pattern.subs[i], t->getParams()[i], false);
      expect(infer(*a.body), t->getResult(), a.body->getLoc(),
             "the clause for effect '" + a.pattern.name + "'");
      pop();
      continue;
    }
    hasValueArm = true;
    if (a.kind == Arm::Kind::Return) {
      if (a.pattern.subs.size() != 1) {
        source->error(a.pattern.loc, "'Return' binds exactly one value");
      } else {
        checkPattern(a.pattern.subs[0], scrutinee, false);
        catchAll |= isIrrefutable(a.pattern.subs[0], scrutinee);
      }
    } else {
      checkPattern(a.pattern, scrutinee, false);
      if (isIrrefutable(a.pattern, scrutinee))
        catchAll = true;
      else if (a.pattern.isConstructor &&
               llvm::all_of(a.pattern.subs, [&](const Pattern &sub) {
                 return sub.kind == Pattern::Kind::Wildcard ||
                        (sub.kind == Pattern::Kind::Name && !sub.isConstructor);
               }))
        covered.insert(a.pattern.name);
    }
    expect(infer(*a.body), result, a.body->getLoc(), "this arm");
    pop();
  }
  if (!hasValueArm)
    return scrutinee;
  if (!catchAll)
    checkExhaustive(e, scrutinee, covered);
  return result;
}

void Checker::checkExhaustive(HandleExpr &e, const TypePtr &scrutinee,
                              const std::set<std::string> &covered) {
  TypePtr t = prune(scrutinee);
  if (t->isError())
    return;
  std::vector<std::string> missing;
  if (t->getKind() == Type::Kind::Con) {
    auto type = tables.types.find(t->getName());
    if (type != tables.types.end())
      for (const std::string &c : type->second.ctors)
        if (!covered.count(c))
          missing.push_back(c);
  }
  if (missing.empty() && t->getKind() == Type::Kind::Con &&
      tables.types.count(t->getName()))
    return;
  std::string list;
  for (const std::string &m : missing)
    list += (list.empty() ? "'" : ", '") + m + "'";
  source->error(e.getLoc(),
                "non-exhaustive match on a value of type '" + t->str() + "': " +
                    (missing.empty()
                         ? std::string("add an arm that matches any value")
                         : "no arm for " + list));
}
