//===- Types.cpp - Semantic types of the FAC language ---------------------===//

#include "fac/Sema/Types.h"

#include <iterator>
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
/// Names variables α, β, ... in order of appearance within one type.
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
        // Greek letters: a message quotes types in '...', which `'a`
        // made `''a'`.
        static const char *const greek[] = {
            "\u03b1", "\u03b2", "\u03b3", "\u03b4", "\u03b5", "\u03b6",
            "\u03b7", "\u03b8", "\u03b9", "\u03ba", "\u03bb", "\u03bc",
            "\u03bd", "\u03be", "\u03bf", "\u03c0", "\u03c1", "\u03c3",
            "\u03c4", "\u03c5", "\u03c6", "\u03c7", "\u03c8", "\u03c9"};
        constexpr unsigned count = std::size(greek);
        unsigned i = names.size();
        std::string n = greek[i % count];
        if (i >= count)
          n += std::to_string(i / count);
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
