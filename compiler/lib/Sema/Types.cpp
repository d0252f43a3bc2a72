//===- Types.cpp - Semantic types of the FAC language ---------------------===//

#include "fac/Sema/Types.h"

#include <map>

using namespace fac::sema;

TypePtr Type::con(std::string name, std::vector<TypePtr> args) {
  TypePtr t(new Type(Kind::Con));
  t->name = std::move(name);
  t->args = std::move(args);
  return t;
}

TypePtr Type::function(std::vector<TypePtr> params, TypePtr result) {
  TypePtr t(new Type(Kind::Function));
  t->args = std::move(params);
  t->args.push_back(std::move(result));
  return t;
}

TypePtr Type::tuple(std::vector<TypePtr> elems) {
  TypePtr t(new Type(Kind::Tuple));
  t->args = std::move(elems);
  return t;
}

TypePtr Type::var(unsigned level, bool numeric) {
  static unsigned nextId = 0;
  TypePtr t(new Type(Kind::Var));
  t->id = nextId++;
  t->level = level;
  t->numeric = numeric;
  return t;
}

TypePtr Type::error() { return TypePtr(new Type(Kind::Error)); }

TypePtr fac::sema::prune(const TypePtr &type) {
  TypePtr t = type;
  while (t && t->getKind() == Type::Kind::Var && t->binding)
    t = t->binding;
  return t;
}

namespace {
/// Names variables 'a, 'b, ... in order of appearance within one type.
class Printer {
public:
  std::string print(const TypePtr &type) {
    TypePtr t = prune(type);
    switch (t->getKind()) {
    case Type::Kind::Error:
      return "<error>";
    case Type::Kind::Var: {
      auto it = names.find(t->getId());
      if (it == names.end()) {
        std::string n = "'";
        unsigned i = names.size();
        n += static_cast<char>('a' + i % 26);
        if (i >= 26)
          n += std::to_string(i / 26);
        it = names.emplace(t->getId(), n).first;
      }
      return it->second;
    }
    case Type::Kind::Con: {
      std::string s = t->getName();
      if (!t->getArgs().empty()) {
        s += "<";
        for (size_t i = 0; i < t->getArgs().size(); ++i)
          s += (i ? ", " : "") + print(t->getArgs()[i]);
        s += ">";
      }
      return s;
    }
    case Type::Kind::Function: {
      std::string s = "(";
      const auto &args = t->getArgs();
      for (size_t i = 0; i + 1 < args.size(); ++i)
        s += (i ? ", " : "") + print(args[i]);
      return s + ") -> " + print(args.back());
    }
    case Type::Kind::Tuple: {
      std::string s = "(";
      for (size_t i = 0; i < t->getArgs().size(); ++i)
        s += (i ? ", " : "") + print(t->getArgs()[i]);
      return s + ")";
    }
    }
    return "?";
  }

private:
  std::map<unsigned, std::string> names;
};
} // namespace

std::string Type::str() const {
  // Printing needs a shared pointer; copy the node shallowly.
  return Printer().print(TypePtr(const_cast<Type *>(this), [](Type *) {}));
}
