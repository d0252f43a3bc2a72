//===- Types.cpp - Semantic types of the FAC language ---------------------===//

#include "fac/Sema/Types.h"

using namespace fac;
using namespace fac::sema;

TypePtr Type::get(Kind kind) {
  // Non-function types carry no data: one shared instance per kind.
  static const TypePtr cache[] = {
      TypePtr(new Type(Kind::Float)),    TypePtr(new Type(Kind::Int)),
      TypePtr(new Type(Kind::Bool)),     TypePtr(new Type(Kind::Tensor)),
      TypePtr(new Type(Kind::Model)),    TypePtr(new Type(Kind::Unit)),
      TypePtr(new Type(Kind::Function)), TypePtr(new Type(Kind::Error))};
  return cache[static_cast<int>(kind)];
}

TypePtr Type::getFunction(std::vector<TypePtr> params, TypePtr result) {
  auto *t = new Type(Kind::Function);
  t->params = std::move(params);
  t->result = std::move(result);
  return TypePtr(t);
}

bool Type::equals(const Type &other) const {
  if (isError() || other.isError())
    return true;
  if (kind != other.kind)
    return false;
  if (kind != Kind::Function)
    return true;
  if (params.size() != other.params.size() || !result->equals(*other.result))
    return false;
  for (size_t i = 0; i < params.size(); ++i)
    if (!params[i]->equals(*other.params[i]))
      return false;
  return true;
}

std::string Type::str() const {
  switch (kind) {
  case Kind::Float:
    return "Float";
  case Kind::Int:
    return "Int";
  case Kind::Bool:
    return "Bool";
  case Kind::Tensor:
    return "Tensor";
  case Kind::Model:
    return "LanguageModel";
  case Kind::Unit:
    return "()";
  case Kind::Error:
    return "<error>";
  case Kind::Function: {
    std::string s = "(";
    for (size_t i = 0; i < params.size(); ++i)
      s += (i ? ", " : "") + params[i]->str();
    return s + ") -> " + (result ? result->str() : "?");
  }
  }
  return "?";
}
