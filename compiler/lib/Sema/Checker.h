//===- Checker.h - The type and effect checker, shared by Sema's files ---===//
//
// One Checker walks the prelude once (its tables are kept for the process)
// and then each spec. Inference is algorithm J: types are unified in place,
// with a trail so that a failed or trial unification leaves nothing behind.
//
// The members are defined by topic: unification in Unify.cpp; scopes,
// declared types and signatures, concepts and theorems in
// Declarations.cpp; patterns in Patterns.cpp; statements and expressions
// (handlers and their exhaustiveness included) in Expressions.cpp.
// Sema.cpp holds the prelude and the entry point. Private to
// compiler/lib/Sema.
//
//===----------------------------------------------------------------------===//

#ifndef FAC_LIB_SEMA_CHECKER_H
#define FAC_LIB_SEMA_CHECKER_H

#include "fac/AST/AST.h"
#include "fac/Sema/Types.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fac::sema {

using ast::AssignStmt;
using ast::BinaryExpr;
using ast::CallExpr;
using ast::ConceptDecl;
using ast::Expr;
using ast::FieldExpr;
using ast::HandleExpr;
using ast::IfExpr;
using ast::LambdaExpr;
using ast::Module;
using ast::NameExpr;
using ast::Pattern;
using ast::SignatureDecl;
using ast::StmtPtr;
using ast::TheoremDecl;
using ast::TypeDecl;
using ast::TypeRef;

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

struct TypeInfo {
  enum class Kind { Builtin, Alias, Data } kind = Kind::Data;
  std::vector<TypePtr> params; ///< Generic variables.
  TypePtr alias;               ///< Alias: the definition over `params`.
  std::vector<std::string> ctors;
  bool isRecord = false;
  std::string canonical; ///< The definition as text, to compare re-statements.
  Location loc;
  bool fromPrelude = false;
};

struct CtorInfo {
  std::string typeName;
  std::vector<std::string> fieldNames;
  TypePtr type; ///< (fields) -> T<params>, generic.
  Location loc;
  bool fromPrelude = false;
};

/// An effect, operator or intrinsic signature.
struct SigInfo {
  TypePtr type; ///< A generic function type.
  Location loc;
  SourceFile *file = nullptr; ///< Where `loc` is: the spec or the prelude.
  const SignatureDecl *decl = nullptr;
  bool fromPrelude = false;
  /// A spec effect bound to a prelude one (library-handled).
  bool libraryHandled = false;
  /// A library effect: its row of LibraryEffects.def.
  std::optional<LibraryEffect> library;
};

struct Tables {
  llvm::StringMap<TypeInfo> types;
  llvm::StringMap<CtorInfo> ctors;
  llvm::StringMap<std::vector<SigInfo>> effects;
  llvm::StringMap<std::vector<SigInfo>> operators;
  llvm::StringMap<std::vector<SigInfo>> intrinsics;
};

/// A name in scope.
struct Binding {
  TypePtr type;
  Location loc;
  bool used = false;
  bool warnIfUnused = false;
  bool unwrapsOption = false;
};

using Scope = std::map<std::string, Binding>;

inline bool isArithmetic(llvm::StringRef op) {
  return op == "+" || op == "-" || op == "*" || op == "/" || op == "%";
}
inline bool isOrdering(llvm::StringRef op) {
  return op == "<" || op == ">" || op == "<=" || op == ">=" || op == "\u2264" ||
         op == "\u2265";
}
inline bool isEquality(llvm::StringRef op) {
  return op == "==" || op == "=" || op == "!=" || op == "\u2260";
}

class Checker {
public:
  Checker(SourceFile &source, Tables tables, bool isPrelude,
          llvm::ArrayRef<std::string> entries = {})
      : source(&source), tables(std::move(tables)), isPrelude(isPrelude),
        entries(entries) {}

  bool run(Module &module);

  Tables &getTables() { return tables; }

private:
  //===--------------------------------------------------------------------===//
  // Unification
  //===--------------------------------------------------------------------===//

  bool occurs(const TypePtr &var, const TypePtr &type);

  /// Lowers the level of every variable in \p type to at most \p level, so
  /// that a variable that escapes into an outer binding is not generalised.
  void adjustLevels(const TypePtr &type, unsigned level);

  bool bindVar(const TypePtr &var, const TypePtr &type);

  bool unify(const TypePtr &x, const TypePtr &y);

  /// Undoes every binding made since \p mark.
  void undo(size_t mark);

  /// Unifies, or undoes every binding of the attempt.
  bool tryUnify(const TypePtr &a, const TypePtr &b);

  /// Whether \p attempt (which unifies) would succeed; undoes it either way.
  template <typename Attempt> bool wouldUnify(Attempt attempt) {
    size_t mark = trail.size();
    bool ok = attempt();
    undo(mark);
    return ok;
  }

  /// Unifies \p actual with \p expected or reports \p what at \p loc.
  bool expect(const TypePtr &actual, const TypePtr &expected, Location loc,
              const llvm::Twine &what);

  TypePtr fresh(bool numeric = false) { return Type::var(level, numeric); }

  /// A copy of \p type with its generic variables replaced by fresh ones.
  TypePtr instantiate(const TypePtr &type);
  TypePtr instantiate(const TypePtr &type, std::map<unsigned, TypePtr> &subst);

  /// Marks the variables of \p type made inside the current let generic.
  void generalize(const TypePtr &type);

  /// A note at a declaration, which may be in the prelude.
  void noteAt(const SigInfo &info, const llvm::Twine &msg);

  //===--------------------------------------------------------------------===//
  // Scopes
  //===--------------------------------------------------------------------===//

  void push() { scopes.emplace_back(); }
  void pop();
  void warnUnused(const Scope &scope);
  void bind(const std::string &name, TypePtr type, Location loc,
            bool warnIfUnused);
  /// Top-level lets are being checked (for a concept that may not use
  /// them).
  bool checkingHelpers = false;
  /// The spec's top-level lets, which its operators' bodies see too.
  const std::vector<StmtPtr> *helpers = nullptr;
  /// The prelude's effects and operators the spec's declarations hid.
  std::map<std::string, std::vector<SigInfo>> hiddenPrelude;
  Binding *lookup(llvm::StringRef name);

  //===--------------------------------------------------------------------===//
  // Types and declarations
  //===--------------------------------------------------------------------===//

  /// Resolves a written type; \p params maps the type parameters in scope.
  TypePtr resolve(const TypeRef &ref,
                  const std::map<std::string, TypePtr> &params);

  static std::string canonical(const TypeDecl &t);

  void declareTypes(Module &module);

  /// A signature's generic function type.
  TypePtr signatureType(const SignatureDecl &s);

  /// The prelude entry of \p candidates that \p type (generic) can be: its
  /// parameters unify with the entry's, and so does its result.
  const SigInfo *matchPrelude(const std::vector<SigInfo> &candidates,
                              const TypePtr &type);

  void declareSignature(SignatureDecl &s);

  //===--------------------------------------------------------------------===//
  // Concepts and theorems
  //===--------------------------------------------------------------------===//

  void concept(ConceptDecl &c);

  /// Operator bodies are checked once, with the prelude or the first
  /// concept, in a scope of their own.
  void checkOperatorBodies();

  void theorem(TheoremDecl &t, const ConceptDecl *concept);

  /// Checks statements in the current scope; the type of the last one if
  /// it is an expression, else Unit.
  TypePtr statements(const std::vector<StmtPtr> &stmts);

  /// `let pattern = value`, binding into the current scope. A lambda bound
  /// to a name may call itself, and is generalised.
  void letBinding(Pattern &pattern, Expr &value);

  void assignment(AssignStmt &s);

  //===--------------------------------------------------------------------===//
  // Patterns
  //===--------------------------------------------------------------------===//

  bool isConstructorName(llvm::StringRef name);

  /// Checks \p p against a value of type \p type and binds its names.
  void checkPattern(Pattern &p, const TypePtr &type, bool warnIfUnused);

  void ctorPattern(Pattern &p, const TypePtr &type, bool warnIfUnused);

  /// Whether \p p matches every value of \p type.
  bool isIrrefutable(const Pattern &p, const TypePtr &type);

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  TypePtr infer(Expr &e);

  /// The most parts (names, variables, arrows, tuples) a type may have.
  static constexpr size_t kMaxTypeSize = 10000;

  /// Whether \p type has more parts than \p budget (spent as it counts).
  static bool exceedsBudget(const TypePtr &type, size_t &budget);

  TypePtr inferImpl(Expr &e);

  TypePtr name(NameExpr &e);

  TypePtr field(FieldExpr &e);

  /// Checks arity and argument types against a known signature.
  void checkArgs(CallExpr &e, const llvm::Twine &what,
                 const std::vector<TypePtr> &params);

  /// Picks the overload of \p entries whose parameters fit the arguments.
  const SigInfo *pickOverload(CallExpr &e, const std::vector<SigInfo> &entries,
                              const llvm::Twine &what);

  /// Infers the arguments that are not lambdas; lambdas wait until the
  /// parameter types they are passed for are known.
  void inferNonLambdaArgs(CallExpr &e);

  /// Infers the lambda arguments against \p params (when known), so that
  /// `find(rule => rule.pattern ..., rules)` knows what `rule` is.
  void inferLambdaArgs(CallExpr &e, const std::vector<TypePtr> *params);

  TypePtr call(CallExpr &e);

  TypePtr perform(CallExpr &e, NameExpr &callee,
                  const std::vector<SigInfo> &entries);

  bool isHandledHere(llvm::StringRef effect);

  TypePtr binary(BinaryExpr &e);

  /// \p expected, when known, gives the types of unannotated parameters.
  TypePtr lambda(LambdaExpr &e, TypePtr expected = nullptr);

  TypePtr ifExpr(IfExpr &e);

  TypePtr handle(HandleExpr &e);

  void checkExhaustive(HandleExpr &e, const TypePtr &scrutinee,
                       const std::set<std::string> &covered);

  SourceFile *source;
  Tables tables;
  bool isPrelude;
  unsigned level = 1;
  std::vector<Scope> scopes;
  std::vector<TypePtr> trail;
  std::vector<std::set<std::string>> handledEffects;
  /// The overloads performed lexically inside each enclosing handle's
  /// scrutinee, to tell which one a clause handles.
  std::vector<std::vector<const SignatureDecl *>> performedInHandle;
  std::vector<const SignatureDecl *> operatorBodies;
  std::vector<std::pair<const ConceptDecl *, Scope>> conceptScopes;
  /// Functions of the concepts compiled as kernels.
  llvm::ArrayRef<std::string> entries;
  std::optional<Location> attentionAssignment;
};

} // namespace fac::sema

#endif // FAC_LIB_SEMA_CHECKER_H
