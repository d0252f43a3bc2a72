//===- Unify.cpp - Unification and generalisation -------------------------===//
//
// Members of the Checker (Checker.h).
//
//===----------------------------------------------------------------------===//

#include "Checker.h"

using namespace fac;
using namespace fac::ast;
using namespace fac::sema;

bool Checker::occurs(const TypePtr &var, const TypePtr &type) {
  TypePtr t = prune(type);
  if (t == var)
    return true;
  for (const TypePtr &a : t->getArgs())
    if (occurs(var, a))
      return true;
  return false;
}

void Checker::adjustLevels(const TypePtr &type, unsigned level) {
  TypePtr t = prune(type);
  if (t->getKind() == Type::Kind::Var) {
    t->level = std::min(t->level, level);
    return;
  }
  for (const TypePtr &a : t->getArgs())
    adjustLevels(a, level);
}

bool Checker::bindVar(const TypePtr &var, const TypePtr &type) {
  if (type->getKind() == Type::Kind::Var) {
    if (var->numeric)
      type->numeric = true;
  } else if (var->numeric && !type->isCon("Int") && !type->isCon("Float")) {
    return false;
  }
  if (occurs(var, type))
    return false;
  adjustLevels(type, var->level);
  var->binding = type;
  trail.push_back(var);
  return true;
}

bool Checker::unify(const TypePtr &x, const TypePtr &y) {
  TypePtr a = prune(x), b = prune(y);
  if (a == b || a->isError() || b->isError())
    return true;
  if (a->getKind() == Type::Kind::Var)
    return bindVar(a, b);
  if (b->getKind() == Type::Kind::Var)
    return bindVar(b, a);
  if (a->getKind() != b->getKind() ||
      a->getArgs().size() != b->getArgs().size())
    return false;
  if (a->getKind() == Type::Kind::Con && a->getName() != b->getName())
    return false;
  for (size_t i = 0; i < a->getArgs().size(); ++i)
    if (!unify(a->getArgs()[i], b->getArgs()[i]))
      return false;
  return true;
}

void Checker::undo(size_t mark) {
  while (trail.size() > mark) {
    trail.back()->binding = nullptr;
    trail.pop_back();
  }
}

bool Checker::tryUnify(const TypePtr &a, const TypePtr &b) {
  size_t mark = trail.size();
  if (unify(a, b))
    return true;
  undo(mark);
  return false;
}

bool Checker::expect(const TypePtr &actual, const TypePtr &expected,
                     Location loc, const llvm::Twine &what) {
  if (tryUnify(actual, expected))
    return true;
  source->error(loc, what + " has type '" + actual->str() + "' but '" +
                         expected->str() + "' is expected");
  return false;
}

TypePtr Checker::instantiate(const TypePtr &type) {
  std::map<unsigned, TypePtr> subst;
  return instantiate(type, subst);
}

TypePtr Checker::instantiate(const TypePtr &type,
                             std::map<unsigned, TypePtr> &subst) {
  TypePtr t = prune(type);
  switch (t->getKind()) {
  case Type::Kind::Var: {
    if (!t->generic)
      return t;
    auto it = subst.find(t->getId());
    if (it == subst.end())
      it = subst.emplace(t->getId(), fresh(t->numeric)).first;
    return it->second;
  }
  case Type::Kind::Error:
    return t;
  case Type::Kind::Con: {
    std::vector<TypePtr> args;
    for (const TypePtr &a : t->getArgs())
      args.push_back(instantiate(a, subst));
    return Type::con(t->getName(), std::move(args));
  }
  case Type::Kind::Function:
  case Type::Kind::Tuple: {
    std::vector<TypePtr> args;
    for (const TypePtr &a : t->getArgs())
      args.push_back(instantiate(a, subst));
    if (t->getKind() == Type::Kind::Tuple)
      return Type::tuple(std::move(args));
    TypePtr result = args.back();
    args.pop_back();
    return Type::function(std::move(args), result);
  }
  }
  return t;
}

void Checker::generalize(const TypePtr &type) {
  TypePtr t = prune(type);
  if (t->getKind() == Type::Kind::Var) {
    if (t->level > level)
      t->generic = true;
    return;
  }
  for (const TypePtr &a : t->getArgs())
    generalize(a);
}

void Checker::noteAt(const SigInfo &info, const llvm::Twine &msg) {
  if (source->isQuiet())
    return;
  (info.file ? info.file : source)->note(info.loc, msg);
}
