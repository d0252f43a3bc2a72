//===- Types.h - Semantic types of the FAC language -----------------------===//
//
// The types Sema infers (Hindley-Milner with let-polymorphism). A type
// variable is bound in place by unification; prune() follows the bindings.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SEMA_TYPES_H
#define FAC_SEMA_TYPES_H

#include <memory>
#include <string>
#include <vector>

namespace fac::sema {

class Type;
using TypePtr = std::shared_ptr<Type>;

class Type {
public:
  enum class Kind {
    Var,      ///< An inference variable, possibly bound.
    Con,      ///< A named type with arguments: Float, List<Int>, TensorTree.
    Function, ///< (params) -> result
    Tuple,    ///< (a, b)
    Error     ///< Stands in after a reported error, to avoid cascades.
  };

  Kind getKind() const { return kind; }
  bool isError() const { return kind == Kind::Error; }

  // Con
  const std::string &getName() const { return name; }
  // Con: type arguments; Function: parameters then result; Tuple: elements.
  std::vector<TypePtr> &getArgs() { return args; }
  const std::vector<TypePtr> &getArgs() const { return args; }
  // Function
  std::vector<TypePtr> getParams() const {
    return std::vector<TypePtr>(args.begin(), args.end() - 1);
  }
  const TypePtr &getResult() const { return args.back(); }

  // Var
  unsigned getId() const { return id; }
  TypePtr binding;      ///< Set once unified.
  unsigned level = 0;   ///< For generalisation: the let depth it was made at.
  bool numeric = false; ///< May only become Int or Float.
  bool generic = false; ///< Quantified in a scheme: instantiated at uses.

  static TypePtr con(std::string name, std::vector<TypePtr> args = {});
  static TypePtr function(std::vector<TypePtr> params, TypePtr result);
  static TypePtr tuple(std::vector<TypePtr> elems);
  static TypePtr var(unsigned level, bool numeric = false);
  static TypePtr error();

  static TypePtr floatType() { return con("Float"); }
  static TypePtr intType() { return con("Int"); }
  static TypePtr boolType() { return con("Bool"); }
  static TypePtr tensorType() { return con("Tensor"); }
  static TypePtr unitType() { return con("Unit"); }

  bool isCon(const char *conName) const {
    return kind == Kind::Con && name == conName;
  }

  /// The type as the user writes it: `Tensor`, `(Tensor, Float) -> Tensor`,
  /// with variables as α, β (Greek: a message quotes types in '...').
  std::string str() const;

private:
  explicit Type(Kind kind) : kind(kind) {}
  Kind kind;
  std::string name;
  std::vector<TypePtr> args;
  unsigned id = 0;
};

/// Follows variable bindings to the representative type.
TypePtr prune(const TypePtr &type);

} // namespace fac::sema

#endif // FAC_SEMA_TYPES_H
