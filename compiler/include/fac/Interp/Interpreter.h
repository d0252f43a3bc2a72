//===- Interpreter.h - The reference interpreter of FAC specs ---*- C++ -*-===//
//
// Runs a checked spec directly on values: the semantic oracle that compiled
// kernels are tested against. Intrinsics and the prelude's library
// handlers are implemented on libfacrt.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_INTERP_INTERPRETER_H
#define FAC_INTERP_INTERPRETER_H

#include "fac/AST/AST.h"
#include "fac/Sema/Types.h"
#include "fac/Support/WeightCodes.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fac::interp {

struct Value;
using ValuePtr = std::shared_ptr<const Value>;
struct Env;
using EnvPtr = std::shared_ptr<Env>;

/// A runtime value of the language.
struct Value {
  enum class Kind {
    Unit,
    Bool,
    Int,
    Float,
    Tensor,
    List,
    Data,
    Tuple,
    Closure
  };
  Kind kind = Kind::Unit;
  bool b = false;
  int64_t i = 0;
  /// Float: an f32 value (Value::real rounds), held as a double.
  double f = 0;
  /// Tensor: its shape and row-major values.
  std::vector<int64_t> shape;
  std::vector<float> data;
  /// Tensor: how many tokens each row stands for (empty: one each). A
  /// pyramid node's summary stands for its span; attention over trees
  /// weighs rows by it and gives query rows' multiplicities to its output.
  std::vector<int64_t> rowWeights;

  int64_t rows() const;
  int64_t weight(int64_t row) const {
    return rowWeights.empty() ? 1 : rowWeights[size_t(row)];
  }
  /// List, Tuple and Data: the elements or fields.
  std::vector<ValuePtr> elems;
  /// List, Tuple and Data: 1 + the depth of the deepest element (0 for
  /// the other kinds). The interpreter bounds it (kMaxValueDepth), so that
  /// every recursion over a value, its destructor's included, is bounded.
  unsigned depth = 0;
  /// Data: the constructor.
  std::string ctor;
  /// Closure: the lambda and the environment it captured.
  const ast::LambdaExpr *lambda = nullptr;
  EnvPtr env;
  /// Closure: a library default (defaultParameter), whose source is not
  /// the spec's: its errors are reported where the spec calls it.
  bool library = false;

  static ValuePtr unit();
  static ValuePtr boolean(bool b);
  static ValuePtr integer(int64_t i);
  static ValuePtr real(double f);
  static ValuePtr tensor(std::vector<int64_t> shape, std::vector<float> data);
  static ValuePtr list(std::vector<ValuePtr> elems);
  static ValuePtr record(std::string ctor, std::vector<ValuePtr> fields);

  /// A short description: `Tensor[3, 8]`, `List(4)`, `Node(...)`, `2.5`.
  std::string str() const;
};

/// A pyramid over the rows of \p tokens (n x d): leaves are the rows, an
/// inner node's tensor is the mean of its span (1 x d, with the span's
/// length as its multiplicity), halving per level. Null when n is 0: a tree
/// stands for at least one token.
ValuePtr buildPyramid(const float *tokens, int64_t n, int64_t d);

/// The most nested a value may be (a tree's height, lists in lists).
inline constexpr unsigned kMaxValueDepth = 10000;

/// The tokens a tree stands for: its leaves' rows in order, each repeated
/// by its multiplicity.
std::vector<std::vector<float>> flattenTree(const ValuePtr &tree);

/// Names bound to values, in nested scopes.
struct Env {
  std::map<std::string, ValuePtr> vars;
  EnvPtr parent;
  ValuePtr lookup(const std::string &name) const;
};

/// What a concept produced when its body ran.
/// The value a concept parameter of type \p type has when none is given:
/// an empty list, the model, or the prelude's library function of that
/// type (`Compress`, `Decompress`, `Attend` as a mask, written in FAC);
/// null when there is none.
ValuePtr defaultParameter(const sema::TypePtr &type);

struct ConceptResult {
  EnvPtr scope;       ///< Its bindings, for the theorems after it.
  ValuePtr attention; ///< `model.attention := f`, if any.
  ValuePtr value;     ///< The body's value, if it ends in an expression.
  /// The random draws as the body left them: a concept's run draws from a
  /// generator of its own, seeded as every run is.
  RandomDraws draws;
};

class Interpreter {
public:
  Interpreter(const ast::Module &module, SourceFile &source);
  ~Interpreter();

  /// Runs the body of \p concept with \p params bound to its parameters.
  /// Returns null after reporting an error.
  std::unique_ptr<ConceptResult>
  runConcept(const ast::ConceptDecl &concept,
             const std::map<std::string, ValuePtr> &params);

  /// Stops any run after \p steps evaluations with a located error
  /// (0: no limit, the default).
  void setStepLimit(uint64_t steps);

  /// Draws from here on continue from where \p concept's body left them:
  /// the draws of a first call after the concept ran (a compiled kernel's
  /// draws, made at compile time in the same order).
  void resumeDraws(const ConceptResult &concept);

  /// The head index attention hooks see (`Attend(q, k, v, score, mask)`):
  /// the head a model host runs the attention for (0 until set).
  void setAttentionHead(int64_t head);

  /// Calls a closure. Returns null after reporting an error.
  ValuePtr call(const ValuePtr &fn, const std::vector<ValuePtr> &args,
                Location at);

  /// Evaluates \p expr (a theorem's statement, say) in \p scope with
  /// \p bindings added. Returns null after reporting an error.
  ValuePtr evaluate(const ast::Expr &expr, const EnvPtr &scope,
                    const std::map<std::string, ValuePtr> &bindings);

private:
  class Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace fac::interp

#endif // FAC_INTERP_INTERPRETER_H
