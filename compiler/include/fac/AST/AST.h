//===- AST.h - The FAC abstract syntax tree -------------------------------===//
//
// The project's own AST. The ANTLR parse tree is turned into this by the AST
// builder and never seen again; every node carries its source location.
// Sema fills in the `type` of every expression.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_AST_AST_H
#define FAC_AST_AST_H

#include "fac/Sema/Types.h"
#include "fac/Support/Diagnostics.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fac::ast {

/// A written type: a name with optional type arguments, `List<Tensor>`.
struct TypeRef {
  Location loc;
  std::string name;
  std::vector<TypeRef> args;
};

/// `name: Type`, in parameter lists and declarations.
struct Field {
  Location loc;
  std::string name;
  TypeRef type;
};

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

class Block;

class Expr {
public:
  enum class Kind { Number, Name, Call, Field, Binary, Lambda };

  Expr(Kind kind, Location loc) : kind(kind), loc(loc) {}
  virtual ~Expr() = default;

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
  NumberExpr(Location loc, double value, bool isInteger)
      : Expr(Kind::Number, loc), value(value), integer(isInteger) {}
  double getValue() const { return value; }
  bool isInteger() const { return integer; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Number; }

private:
  double value;
  bool integer;
};

class NameExpr : public Expr {
public:
  NameExpr(Location loc, std::string name)
      : Expr(Kind::Name, loc), name(std::move(name)) {}
  llvm::StringRef getName() const { return name; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }

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

private:
  ExprPtr callee;
  std::vector<ExprPtr> args;
};

/// `base.field`.
class FieldExpr : public Expr {
public:
  FieldExpr(Location loc, ExprPtr base, std::string field)
      : Expr(Kind::Field, loc), base(std::move(base)), field(std::move(field)) {
  }
  Expr &getBase() const { return *base; }
  llvm::StringRef getField() const { return field; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Field; }

private:
  ExprPtr base;
  std::string field;
};

/// `lhs op rhs` for arithmetic, comparison and the Unicode operators.
class BinaryExpr : public Expr {
public:
  BinaryExpr(Location loc, std::string op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, loc), op(std::move(op)), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {}
  llvm::StringRef getOp() const { return op; }
  Expr &getLHS() const { return *lhs; }
  Expr &getRHS() const { return *rhs; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }

private:
  std::string op;
  ExprPtr lhs, rhs;
};

/// A lambda parameter; the type is optional in the source.
struct Param {
  Location loc;
  std::string name;
  std::optional<TypeRef> type;
};

/// `(a: T, b) => body`, where the body is a block or an expression.
class LambdaExpr : public Expr {
public:
  LambdaExpr(Location loc, std::vector<Param> params,
             std::unique_ptr<Block> body);
  ~LambdaExpr() override;
  const std::vector<Param> &getParams() const { return params; }
  Block &getBody() const { return *body; }
  static bool classof(const Expr *e) { return e->getKind() == Kind::Lambda; }

private:
  std::vector<Param> params;
  std::unique_ptr<Block> body;
};

//===----------------------------------------------------------------------===//
// Statements and blocks
//===----------------------------------------------------------------------===//

class Stmt {
public:
  enum class Kind { Let, Assign, Expr };
  Stmt(Kind kind, Location loc) : kind(kind), loc(loc) {}
  virtual ~Stmt() = default;
  Kind getKind() const { return kind; }
  Location getLoc() const { return loc; }

private:
  Kind kind;
  Location loc;
};

using StmtPtr = std::unique_ptr<Stmt>;

/// `let name = value`.
class LetStmt : public Stmt {
public:
  LetStmt(Location loc, std::string name, ExprPtr value)
      : Stmt(Kind::Let, loc), name(std::move(name)), value(std::move(value)) {}
  llvm::StringRef getName() const { return name; }
  Expr &getValue() const { return *value; }
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Let; }

private:
  std::string name;
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
  enum class Kind { Type, Effect, Operator, Concept };
  Decl(Kind kind, Location loc, std::string name)
      : kind(kind), loc(loc), name(std::move(name)) {}
  virtual ~Decl() = default;
  Kind getKind() const { return kind; }
  Location getLoc() const { return loc; }
  llvm::StringRef getName() const { return name; }

private:
  Kind kind;
  Location loc;
  std::string name;
};

using DeclPtr = std::unique_ptr<Decl>;

/// `type Name<T> = Type`.
class TypeDecl : public Decl {
public:
  TypeDecl(Location loc, std::string name, std::vector<std::string> typeParams,
           TypeRef definition)
      : Decl(Kind::Type, loc, std::move(name)),
        typeParams(std::move(typeParams)), definition(std::move(definition)) {}
  const std::vector<std::string> &getTypeParams() const { return typeParams; }
  const TypeRef &getDefinition() const { return definition; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Type; }

private:
  std::vector<std::string> typeParams;
  TypeRef definition;
};

/// `effect Name<T>(params) -> Result` and `operator ⊙ <T>(params) -> Result`
/// share one shape: a signature without a body.
class SignatureDecl : public Decl {
public:
  SignatureDecl(Kind kind, Location loc, std::string name,
                std::vector<std::string> typeParams, std::vector<Field> params,
                TypeRef result)
      : Decl(kind, loc, std::move(name)), typeParams(std::move(typeParams)),
        params(std::move(params)), result(std::move(result)) {}
  const std::vector<std::string> &getTypeParams() const { return typeParams; }
  const std::vector<Field> &getParams() const { return params; }
  const TypeRef &getResult() const { return result; }
  static bool classof(const Decl *d) {
    return d->getKind() == Kind::Effect || d->getKind() == Kind::Operator;
  }

private:
  std::vector<std::string> typeParams;
  std::vector<Field> params;
  TypeRef result;
};

/// `Name := (params) :: { body }`.
class ConceptDecl : public Decl {
public:
  ConceptDecl(Location loc, std::string name, std::vector<Field> params,
              std::unique_ptr<Block> body)
      : Decl(Kind::Concept, loc, std::move(name)), params(std::move(params)),
        body(std::move(body)) {}
  const std::vector<Field> &getParams() const { return params; }
  Block &getBody() const { return *body; }
  static bool classof(const Decl *d) { return d->getKind() == Kind::Concept; }

private:
  std::vector<Field> params;
  std::unique_ptr<Block> body;
};

/// One parsed spec file.
class Module {
public:
  explicit Module(std::vector<DeclPtr> decls) : decls(std::move(decls)) {}
  const std::vector<DeclPtr> &getDecls() const { return decls; }

private:
  std::vector<DeclPtr> decls;
};

/// Prints \p module as an indented tree with `@file:line:col` locations,
/// and the inferred types when Sema has run.
void dump(const Module &module, llvm::StringRef filename,
          llvm::raw_ostream &os);

} // namespace fac::ast

#endif // FAC_AST_AST_H
