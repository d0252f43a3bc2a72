//===- Patterns.cpp - Patterns: binding and irrefutability ----------------===//
//
// Members of the Checker (Checker.h).
//
//===----------------------------------------------------------------------===//

#include "Checker.h"

using namespace fac;
using namespace fac::ast;
using namespace fac::sema;

bool Checker::isConstructorName(llvm::StringRef name) {
  return tables.ctors.count(name) != 0;
}

void Checker::checkPattern(Pattern &p, const TypePtr &type, bool warnIfUnused) {
  switch (p.kind) {
  case Pattern::Kind::Wildcard:
    return;
  case Pattern::Kind::Number:
    expect(type, p.isInteger ? fresh(/*numeric=*/true) : Type::floatType(),
           p.loc, "this pattern's value");
    return;
  case Pattern::Kind::Name:
    if (isConstructorName(p.name)) {
      p.isConstructor = true;
      ctorPattern(p, type, warnIfUnused);
      return;
    }
    p.type = type;
    bind(p.name, type, p.loc, warnIfUnused);
    return;
  case Pattern::Kind::Tuple: {
    std::vector<TypePtr> elems;
    for (size_t i = 0; i < p.subs.size(); ++i)
      elems.push_back(fresh());
    if (!expect(Type::tuple(elems), type, p.loc, "this tuple pattern"))
      return;
    for (size_t i = 0; i < p.subs.size(); ++i)
      checkPattern(p.subs[i], elems[i], warnIfUnused);
    return;
  }
  case Pattern::Kind::Ctor:
    p.isConstructor = true;
    ctorPattern(p, type, warnIfUnused);
    return;
  }
}

void Checker::ctorPattern(Pattern &p, const TypePtr &type, bool warnIfUnused) {
  auto it = tables.ctors.find(p.name);
  if (it == tables.ctors.end()) {
    source->error(p.loc, "unknown constructor '" + p.name + "'");
    for (Pattern &sub : p.subs)
      checkPattern(sub, Type::error(), warnIfUnused);
    return;
  }
  TypePtr ctor = instantiate(it->second.type);
  std::vector<TypePtr> fields = ctor->getParams();
  bool bare = p.kind == Pattern::Kind::Name;
  if (!bare && p.subs.size() != fields.size()) {
    source->error(p.loc, "constructor '" + p.name + "' has " +
                             llvm::Twine(fields.size()) + " field" +
                             (fields.size() == 1 ? "" : "s") +
                             " but the pattern has " +
                             llvm::Twine(p.subs.size()));
    for (Pattern &sub : p.subs)
      checkPattern(sub, Type::error(), warnIfUnused);
    return;
  }
  if (bare && !fields.empty()) {
    source->error(p.loc, "constructor '" + p.name +
                             "' has fields: match "
                             "them, as in '" +
                             p.name + "(...)'");
    return;
  }
  if (!expect(type, ctor->getResult(), p.loc, "the value matched here"))
    return;
  for (size_t i = 0; i < p.subs.size(); ++i)
    checkPattern(p.subs[i], fields[i], warnIfUnused);
}

bool Checker::isIrrefutable(const Pattern &p, const TypePtr &type) {
  switch (p.kind) {
  case Pattern::Kind::Wildcard:
    return true;
  case Pattern::Kind::Number:
    return false;
  case Pattern::Kind::Name:
    if (!p.isConstructor)
      return true;
    [[fallthrough]];
  case Pattern::Kind::Ctor: {
    auto it = tables.ctors.find(p.name);
    if (it == tables.ctors.end())
      return true; // Already reported.
    auto typeIt = tables.types.find(it->second.typeName);
    if (typeIt == tables.types.end() || typeIt->second.ctors.size() != 1)
      return false;
    TypePtr ctor = instantiate(it->second.type);
    for (size_t i = 0; i < p.subs.size(); ++i)
      if (!isIrrefutable(p.subs[i], ctor->getParams()[i]))
        return false;
    return true;
  }
  case Pattern::Kind::Tuple: {
    TypePtr t = prune(type);
    for (size_t i = 0; i < p.subs.size(); ++i)
      if (!isIrrefutable(p.subs[i], t->getKind() == Type::Kind::Tuple &&
                                            i < t->getArgs().size()
                                        ? t->getArgs()[i]
                                        : Type::error()))
        return false;
    return true;
  }
  }
  return false;
}
