//===- AST.h - The FAC abstract syntax tree -------------------------------===//
//
// The project's own AST. The ANTLR parse tree is turned into this by the AST
// builder and never seen again; every node carries its source location.
// Sema fills in the `type` of every expression and resolves names.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_AST_AST_H
#define FAC_AST_AST_H

#include "fac/Sema/Types.h"
#include "fac/Support/Diagnostics.h"
#include "fac/Support/LibraryEffects.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fac::ast {

/// A written type.
struct TypeRef {
  enum class Kind {
    Named,    ///< `Name` or `Name<Args>`: `args` are the type arguments.
    Function, ///< `(A, B) -> R` or `(a: A, b: B) -> R`: `args` are the
              ///< parameters then the result.
    Record,   ///< `(a: A, b: B)`: `args` are the field types.
    Tuple     ///< `(A, B)`.
  };
  Kind kind = Kind::Named;
  Location loc;
  std::string name;
  std::vector<TypeRef> args;
  /// Field or parameter names, parallel to `args` (Record, named Function).
  std::vector<std::string> names;
};

/// `name: Type`, in parameter lists and declarations.
struct Field {
  Location loc;
  std::string name;
  TypeRef type;
  /// Set by Sema for concept parameters and theorem binders.
  sema::TypePtr resolved;
};

/// A pattern, in `let` and in the arms of `handle`.
struct Pattern {
  enum class Kind {
    Wildcard, ///< `_`
    Name,     ///< binds a name, or matches a constructor without fields
    Ctor,     ///< `Ctor(p, ...)`
    Tuple,    ///< `(p, q, ...)`
    Number    ///< a numeric literal
  };
  Kind kind = Kind::Wildcard;
  Location loc;
  std::string name;
  std::vector<Pattern> subs;
  double number = 0;
  bool isInteger = false;

  /// Set by Sema on a Name pattern that names a constructor, and on Ctor.
  bool isConstructor = false;
  /// Set by Sema on a Name pattern that binds: the bound value's type.
  sema::TypePtr type;
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Block;
class SignatureDecl;

class Expr {
public:
  enum class Kind {
    Number,
    Name,
    Call,
    Field,
    Index,
    Slice,
    Binary,
    Neg,
    Exists,
    Not,
    Bool,
    Lambda,
    If,
    Handle,
    Let,
    Block,
    List,
    Comprehension,
    Tuple,
    Unit
  };

  Expr(Kind kind, Location loc) : kind(kind), loc(loc) {}
  virtual ~Expr();

  Kind getKind() const { return kind; }
  Location getLoc() const { return loc; }

  /// The type Sema inferred; null before Sema runs.
  sema::TypePtr type;

private:
  Kind kind;
  Location loc;
};

using ExprPtr = std::unique_ptr<Expr>;

class NumberExpr : public Expr {
public:
  /// \p value is the literal as a Float; an integer literal also keeps
  /// its exact value, \p intValue (Int is 64-bit, wider than a double's
  /// 53-bit mantissa).
  NumberExpr(Location loc, double value, bool isInteger, int64_t intValue = 0)
      : Expr(Kind::Number, loc), value(value), intValue(intValue),
        integer(isInteger) {}
  double getValue() const { return value; }
  int64_t getIntValue() const { return intValue; }
  bool isInteger() const { return integer; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }

private:
  double value;
  int64_t intValue;
  bool integer;
};

/// What a name refers to, as Sema resolved it.
enum class NameKind {
  Unresolved,
  Local,       ///< a parameter or a `let` binding
  Effect,      ///< an effect: a call performs it
  Constructor, ///< a data or record constructor
  Prelude      ///< a function or value of the prelude
};

class NameExpr : public Expr {
public:
  NameExpr(Location loc, std::string name)
      : Expr(Kind::Name, loc), name(std::move(name)) {}
  llvm::StringRef getName() const { return name; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }

  NameKind resolved = NameKind::Unresolved;
  /// Set by Sema: where the name is bound or declared (a parameter, a
  /// `let`, a constructor, an effect), for editors' go-to-definition; line
  /// 0 when that is in the prelude.
  Location definition;
  /// Set by Sema inside `if x exists then ...`: this use of `x` is the
  /// value inside the Option.
  bool unwrapsOption = false;

private:
  std::string name;
};

class CallExpr : public Expr {
public:
  CallExpr(Location loc, ExprPtr callee, std::vector<ExprPtr> args)
      : Expr(Kind::Call, loc), callee(std::move(callee)),
        args(std::move(args)) {}
  Expr &getCallee() const { return *callee; }
  const std::vector<ExprPtr> &getArgs() const { return args; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }

  /// Set by Sema when the call performs an effect: the effect's name.
  std::string performedEffect;
  /// Set by Sema when that effect is the library's: the overload
  /// (LibraryEffects.def) whose handler runs when no handler of the spec's
  /// is active.
  std::optional<LibraryEffect> libraryEffect;
  /// Set by Sema when the call performs an effect: the declaration of the
  /// overload it performs, which a clause must handle to catch it.
  const SignatureDecl *performedDecl = nullptr;

private:
  ExprPtr callee;
  std::vector<ExprPtr> args;
};

/// `base.field`; also `List.map` and the other qualified prelude names.
class FieldExpr : public Expr {
public:
  FieldExpr(Location loc, ExprPtr base, std::string field)
      : Expr(Kind::Field, loc), base(std::move(base)), field(std::move(field)) {
  }
  Expr &getBase() const { return *base; }
  llvm::StringRef getField() const { return field; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Field; }

  /// Set by Sema when `base.field` names a prelude function (`List.map`).
  std::string qualifiedName;
  /// Set by Sema: the field's position in its record or constructor.
  int fieldIndex = -1;

private:
  ExprPtr base;
  std::string field;
};

/// `base[index]`.
class IndexExpr : public Expr {
public:
  IndexExpr(Location loc, ExprPtr base, ExprPtr index)
      : Expr(Kind::Index, loc), base(std::move(base)), index(std::move(index)) {
  }
  Expr &getBase() const { return *base; }
  Expr &getIndex() const { return *index; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Index; }

private:
  ExprPtr base, index;
};

/// `base[lo:hi]`, either bound optional.
class SliceExpr : public Expr {
public:
  SliceExpr(Location loc, ExprPtr base, ExprPtr lo, ExprPtr hi)
      : Expr(Kind::Slice, loc), base(std::move(base)), lo(std::move(lo)),
        hi(std::move(hi)) {}
  Expr &getBase() const { return *base; }
  Expr *getLo() const { return lo.get(); }
  Expr *getHi() const { return hi.get(); }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Slice; }

private:
  ExprPtr base, lo, hi;
};

/// `lhs op rhs`: arithmetic, comparison, `→` and the Unicode operators.
class BinaryExpr : public Expr {
public:
  BinaryExpr(Location loc, std::string op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, loc), op(std::move(op)), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {}
  llvm::StringRef getOp() const { return op; }
  Expr &getLHS() const { return *lhs; }
  Expr &getRHS() const { return *rhs; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }

  /// Set by Sema for a Unicode operator: the declaration whose body
  /// defines it (the spec's, or the prelude's it binds to).
  const SignatureDecl *operatorDecl = nullptr;

private:
  std::string op;
  ExprPtr lhs, rhs;
};

/// `true` and `false`.
class BoolExpr : public Expr {
public:
  BoolExpr(Location loc, bool value) : Expr(Kind::Bool, loc), value(value) {}
  bool getValue() const { return value; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Bool; }

private:
  bool value;
};

/// `-operand` (Neg), `operand exists` (Exists) and `not operand` (Not).
class UnaryExpr : public Expr {
public:
  UnaryExpr(Kind kind, Location loc, ExprPtr operand)
      : Expr(kind, loc), operand(std::move(operand)) {}
  Expr &getOperand() const { return *operand; }
  static bool classof(const Expr *e) {
    return e->getKind() == Kind::Neg || e->getKind() == Kind::Exists ||
           e->getKind() == Kind::Not;
  }

private:
  ExprPtr operand;
};

/// A lambda parameter; the type is optional in the source.
struct Param {
  Location loc;
  std::string name;
  std::optional<TypeRef> type;
};

/// `(a: T, b) => body`.
class LambdaExpr : public Expr {
public:
  LambdaExpr(Location loc, std::vector<Param> params, ExprPtr body)
      : Expr(Kind::Lambda, loc), params(std::move(params)),
        body(std::move(body)) {}
  const std::vector<Param> &getParams() const { return params; }
  Expr &getBody() const { return *body; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Lambda; }

  /// Set by Sema: the binding the lambda is the value of, when it is
  /// `let name = lambda`; such a lambda may call itself.
  std::string boundName;

private:
  std::vector<Param> params;
  ExprPtr body;
};

/// `if cond then a else b`.
class IfExpr : public Expr {
public:
  IfExpr(Location loc, ExprPtr cond, ExprPtr thenExpr, ExprPtr elseExpr)
      : Expr(Kind::If, loc), cond(std::move(cond)),
        thenExpr(std::move(thenExpr)), elseExpr(std::move(elseExpr)) {}
  Expr &getCond() const { return *cond; }
  Expr &getThen() const { return *thenExpr; }
  Expr &getElse() const { return *elseExpr; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::If; }

private:
  ExprPtr cond, thenExpr, elseExpr;
};

/// One `| pattern => body` of a `handle`.
struct Arm {
  Location loc;
  Pattern pattern;
  ExprPtr body;

  /// What Sema made of the arm.
  enum class Kind { Value, Return, Effect } kind = Kind::Value;
  /// Effect: the declaration of the overload the clause handles.
  const SignatureDecl *handledDecl = nullptr;
};

/// `handle scrutinee with | p => e | ...`: matches the value of the
/// scrutinee against data patterns (and `Return(x)`), and handles the
/// effects named by effect patterns.
class HandleExpr : public Expr {
public:
  HandleExpr(Location loc, ExprPtr scrutinee, std::vector<Arm> arms)
      : Expr(Kind::Handle, loc), scrutinee(std::move(scrutinee)),
        arms(std::move(arms)) {}
  Expr &getScrutinee() const { return *scrutinee; }
  std::vector<Arm> &getArms() { return arms; }
  const std::vector<Arm> &getArms() const { return arms; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Handle; }

private:
  ExprPtr scrutinee;
  std::vector<Arm> arms;
};

/// `let pattern = value` followed by the expression it scopes over.
class LetExpr : public Expr {
public:
  LetExpr(Location loc, Pattern pattern, ExprPtr value, ExprPtr body)
      : Expr(Kind::Let, loc), pattern(std::move(pattern)),
        value(std::move(value)), body(std::move(body)) {}
  Pattern &getPattern() { return pattern; }
  const Pattern &getPattern() const { return pattern; }
  Expr &getValue() const { return *value; }
  Expr &getBody() const { return *body; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Let; }

private:
  Pattern pattern;
  ExprPtr value, body;
};

/// `{ statements }` as a lambda body.
class BlockExpr : public Expr {
public:
  BlockExpr(Location loc, std::unique_ptr<Block> block);
  ~BlockExpr() override;
  Block &getBlock() const { return *block; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Block; }

private:
  std::unique_ptr<Block> block;
};

/// `[a, b, c]` (List) and `(a, b)` (Tuple).
class ListExpr : public Expr {
public:
  ListExpr(Kind kind, Location loc, std::vector<ExprPtr> elems)
      : Expr(kind, loc), elems(std::move(elems)) {}
  const std::vector<ExprPtr> &getElems() const { return elems; }
  static bool classof(const Expr *e) {
    return e->getKind() == Kind::List || e->getKind() == Kind::Tuple;
  }

private:
  std::vector<ExprPtr> elems;
};

/// `[elem | var in source, cond]`.
class ComprehensionExpr : public Expr {
public:
  ComprehensionExpr(Location loc, ExprPtr elem, std::string var,
                    Location varLoc, ExprPtr source, ExprPtr cond)
      : Expr(Kind::Comprehension, loc), elem(std::move(elem)),
        var(std::move(var)), varLoc(varLoc), source(std::move(source)),
        cond(std::move(cond)) {}
  Expr &getElem() const { return *elem; }
  llvm::StringRef getVar() const { return var; }
  Location getVarLoc() const { return varLoc; }
  Expr &getSource() const { return *source; }
  Expr *getCond() const { return cond.get(); }
  static bool classof(const Expr *e) {
    return e->getKind() == Kind::Comprehension;
  }

private:
  ExprPtr elem;
  std::string var;
  Location varLoc;
  ExprPtr source, cond;
};

/// `()`.
class UnitExpr : public Expr {
public:
  explicit UnitExpr(Location loc) : Expr(Kind::Unit, loc) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Unit; }
};

//===----------------------------------------------------------------------===//
// Statements and blocks
//===----------------------------------------------------------------------===//

class Stmt {
public:
  enum class Kind { Let, Assign, Expr };
  Stmt(Kind kind, Location loc) : kind(kind), loc(loc) {}
  virtual ~Stmt();
  Kind getKind() const { return kind; }
  Location getLoc() const { return loc; }

private:
  Kind kind;
  Location loc;
};

using StmtPtr = std::unique_ptr<Stmt>;

/// `let pattern = value`.
class LetStmt : public Stmt {
public:
  LetStmt(Location loc, Pattern pattern, ExprPtr value)
      : Stmt(Kind::Let, loc), pattern(std::move(pattern)),
        value(std::move(value)) {}
  Pattern &getPattern() { return pattern; }
  const Pattern &getPattern() const { return pattern; }
  Expr &getValue() const { return *value; }
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Let; }

private:
  Pattern pattern;
  ExprPtr value;
};

/// `target := value`, e.g. `model.attention := attend`.
class AssignStmt : public Stmt {
public:
  AssignStmt(Location loc, ExprPtr target, ExprPtr value)
      : Stmt(Kind::Assign, loc), target(std::move(target)),
        value(std::move(value)) {}
  Expr &getTarget() const { return *target; }
  Expr &getValue() const { return *value; }
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Assign; }

private:
  ExprPtr target, value;
};

class ExprStmt : public Stmt {
public:
  ExprStmt(Location loc, ExprPtr expr)
      : Stmt(Kind::Expr, loc), expr(std::move(expr)) {}
  Expr &getExpr() const { return *expr; }
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Expr; }

private:
  ExprPtr expr;
};

/// `{ stmt* }`; its value is that of its last statement when that is an
/// expression.
class Block {
public:
  Block(Location loc, std::vector<StmtPtr> stmts)
      : loc(loc), stmts(std::move(stmts)) {}
  Location getLoc() const { return loc; }
  const std::vector<StmtPtr> &getStmts() const { return stmts; }

private:
  Location loc;
  std::vector<StmtPtr> stmts;
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

class Decl {
public:
  enum class Kind { Type, Effect, Operator, Intrinsic, Concept, Theorem };
  Decl(Kind kind, Location loc, std::string name)
      : kind(kind), loc(loc), name(std::move(name)) {}
  virtual ~Decl();
  Kind getKind() const { return kind; }
  Location getLoc() const { return loc; }
  llvm::StringRef getName() const { return name; }

private:
  Kind kind;
  Location loc;
  std::string name;
};

using DeclPtr = std::unique_ptr<Decl>;

/// One constructor of an algebraic data type.
struct Ctor {
  Location loc;
  std::string name;
  std::vector<Field> fields;
};

/// `type Name<T> = Type` (an alias; a record type makes a record) or
/// `type Name<T> = Ctor(...) | ...` (an algebraic data type).
class TypeDecl : public Decl {
public:
  TypeDecl(Location loc, std::string name, std::vector<std::string> typeParams,
           std::optional<TypeRef> alias, std::vector<Ctor> ctors)
      : Decl(Kind::Type, loc, std::move(name)),
        typeParams(std::move(typeParams)), alias(std::move(alias)),
        ctors(std::move(ctors)) {}
  const std::vector<std::string> &getTypeParams() const { return typeParams; }
  /// Set for `type T = U`; unset for an algebraic data type.
  const std::optional<TypeRef> &getAlias() const { return alias; }
  const std::vector<Ctor> &getCtors() const { return ctors; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Type; }

private:
  std::vector<std::string> typeParams;
  std::optional<TypeRef> alias;
  std::vector<Ctor> ctors;
};

/// `effect Name<T>(params) -> Result`, `operator ⊙ <T>(params) -> Result`
/// (with an optional `= body`) and, in the prelude only,
/// `intrinsic name<T>(params) -> Result`.
class SignatureDecl : public Decl {
public:
  SignatureDecl(Kind kind, Location loc, std::string name,
                std::vector<std::string> typeParams, std::vector<Field> params,
                TypeRef result, ExprPtr body)
      : Decl(kind, loc, std::move(name)), typeParams(std::move(typeParams)),
        params(std::move(params)), result(std::move(result)),
        body(std::move(body)) {}
  const std::vector<std::string> &getTypeParams() const { return typeParams; }
  const std::vector<Field> &getParams() const { return params; }
  const TypeRef &getResult() const { return result; }
  Expr *getBody() const { return body.get(); }
  static bool classof(const Decl *d) {
    return d->getKind() == Kind::Effect || d->getKind() == Kind::Operator ||
           d->getKind() == Kind::Intrinsic;
  }

private:
  std::vector<std::string> typeParams;
  std::vector<Field> params;
  TypeRef result;
  ExprPtr body;
};

/// `Name := (params) :: { body }`.
class ConceptDecl : public Decl {
public:
  ConceptDecl(Location loc, std::string name, std::vector<Field> params,
              std::unique_ptr<Block> body)
      : Decl(Kind::Concept, loc, std::move(name)), params(std::move(params)),
        body(std::move(body)) {}
  const std::vector<Field> &getParams() const { return params; }
  std::vector<Field> &getParams() { return params; }
  Block &getBody() const { return *body; }
  /// The spec's top-level `let`s (its module's, imported ones first), in
  /// order: they are bound before the parameters, so they see none of
  /// them. Each concept checks and runs them anew.
  const std::vector<StmtPtr> &getHelpers() const;
  void setHelpers(const std::vector<StmtPtr> *all) { helpers = all; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Concept; }

private:
  std::vector<Field> params;
  std::unique_ptr<Block> body;
  const std::vector<StmtPtr> *helpers = nullptr;
};

/// `Theorem Name: ∀ x: T, ... body`; names in the body resolve in the scope
/// of the concept declared before it.
class TheoremDecl : public Decl {
public:
  TheoremDecl(Location loc, std::string name, std::vector<Field> binders,
              ExprPtr body)
      : Decl(Kind::Theorem, loc, std::move(name)), binders(std::move(binders)),
        body(std::move(body)) {}
  const std::vector<Field> &getBinders() const { return binders; }
  std::vector<Field> &getBinders() { return binders; }
  Expr &getBody() const { return *body; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Theorem; }

  /// Set by Sema: the concept whose scope the theorem is stated in.
  const ConceptDecl *concept = nullptr;

private:
  std::vector<Field> binders;
  ExprPtr body;
};

/// One parsed spec file.
class Module {
public:
  Module(std::vector<DeclPtr> decls, std::vector<StmtPtr> helpers = {})
      : decls(std::move(decls)), helpers(std::move(helpers)) {
    linkHelpers();
  }
  const std::vector<DeclPtr> &getDecls() const { return decls; }
  /// The top-level lets every concept sees.
  const std::vector<StmtPtr> &getHelpers() const { return helpers; }

  /// Adds an imported module's declarations and helpers (after those of
  /// the files imported before it, before this module's own).
  void import(Module &&other);

private:
  void linkHelpers();

  std::vector<DeclPtr> decls;
  std::vector<StmtPtr> helpers;
  /// The first helpers, imported ones.
  size_t importedHelpers = 0;
};

/// Calls \p fn on each expression directly inside \p e (for a block, its
/// statements' expressions; for `handle`, the scrutinee and arm bodies).
void forEachChild(const Expr &e, llvm::function_ref<void(Expr &)> fn);
/// Calls \p fn on each expression directly inside \p s.
void forEachChild(const Stmt &s, llvm::function_ref<void(Expr &)> fn);

/// The type as written: `List<Tensor>`, `(a: T) -> U`.
std::string str(const TypeRef &type);

/// Prints \p module as an indented tree with `<line:col>` locations, and
/// the inferred types when Sema has run.
void dump(const Module &module, llvm::StringRef filename,
          llvm::raw_ostream &os);

} // namespace fac::ast

#endif // FAC_AST_AST_H
