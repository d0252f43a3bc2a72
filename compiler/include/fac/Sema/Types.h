//===- Types.h - Semantic types of the FAC language -----------------------===//
//
// The types Sema assigns to expressions. Types are immutable and shared.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_SEMA_TYPES_H
#define FAC_SEMA_TYPES_H

#include <memory>
#include <string>
#include <vector>

namespace fac::sema {

class Type;
using TypePtr = std::shared_ptr<const Type>;

class Type {
public:
  enum class Kind {
    Float,  ///< f32 scalar.
    Int,    ///< i64 scalar.
    Bool,   ///< i1.
    Tensor, ///< An n-d f32 array.
    Model,  ///< The language model a concept plugs into (`model`).
    Unit,   ///< The type of statements that produce no value.
    Function,
    Error ///< Stands in after a reported error, to avoid cascades.
  };

  Kind getKind() const { return kind; }
  bool isError() const { return kind == Kind::Error; }
  bool isFunction() const { return kind == Kind::Function; }
  const std::vector<TypePtr> &getParams() const { return params; }
  const TypePtr &getResult() const { return result; }

  static TypePtr get(Kind kind);
  static TypePtr getFunction(std::vector<TypePtr> params, TypePtr result);

  /// Structural equality; an Error type equals everything.
  bool equals(const Type &other) const;

  /// The type as the user writes it: `Tensor`, `(Tensor, Float) -> Tensor`.
  std::string str() const;

private:
  explicit Type(Kind kind) : kind(kind) {}
  Kind kind;
  std::vector<TypePtr> params;
  TypePtr result;
};

} // namespace fac::sema

#endif // FAC_SEMA_TYPES_H
