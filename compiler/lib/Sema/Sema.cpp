//===- Sema.cpp - Name resolution, types and effects
//-----------------------===//

#include "fac/Sema/Sema.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>

using namespace fac;
using namespace fac::ast;
using namespace fac::sema;
using Kind = Type::Kind;

llvm::ArrayRef<PreludeEffect> fac::getPreludeEffects() {
  static const PreludeEffect effects[] = {
      // Scaled dot-product attention, softmax(q k^T / sqrt(d)) v.
      {"Attend", {Kind::Tensor, Kind::Tensor, Kind::Tensor}, Kind::Tensor},
  };
  return effects;
}

namespace {

const PreludeEffect *lookupPrelude(llvm::StringRef name) {
  for (const PreludeEffect &e : getPreludeEffects())
    if (name == e.name)
      return &e;
  return nullptr;
}

/// The type of `model.attention`: what an attention concept must export.
TypePtr attentionType() {
  TypePtr t = Type::get(Kind::Tensor);
  return Type::getFunction({t, t, t}, t);
}

/// A name in scope and whether anything has used it.
struct Binding {
  TypePtr type;
  Location loc;
  bool used = false;
  bool warnIfUnused = false;
};

class Checker {
public:
  explicit Checker(SourceFile &source) : source(source) {}

  bool run(Module &module) {
    for (const DeclPtr &d : module.getDecls())
      declare(*d);
    for (const DeclPtr &d : module.getDecls())
      if (auto *c = llvm::dyn_cast<ConceptDecl>(d.get()))
    concept(*c);
    return source.getNumErrors() == 0;
  }

private:
  //===--------------------------------------------------------------------===//
  // Scopes
  //===--------------------------------------------------------------------===//

  void push() { scopes.emplace_back(); }
  void pop() {
    for (auto &entry : scopes.back()) {
      const Binding &b = entry.second;
      if (b.warnIfUnused && !b.used)
        source.warning(b.loc, "unused binding '" + entry.first + "'");
    }
    scopes.pop_back();
  }
  void bind(const std::string &name, TypePtr type, Location loc,
            bool warnIfUnused) {
    auto &scope = scopes.back();
    auto it = scope.find(name);
    if (it != scope.end()) {
      source.error(loc, "redefinition of '" + name + "'");
      source.note(it->second.loc, "previous definition is here");
      return;
    }
    scope.emplace(name, Binding{std::move(type), loc, false, warnIfUnused});
  }
  Binding *lookup(llvm::StringRef name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto found = it->find(name.str());
      if (found != it->end())
        return &found->second;
    }
    return nullptr;
  }

  //===--------------------------------------------------------------------===//
  // Types
  //===--------------------------------------------------------------------===//

  TypePtr resolve(const TypeRef &ref) {
    static const std::pair<const char *, Kind> builtins[] = {
        {"Float", Kind::Float},
        {"Int", Kind::Int},
        {"Bool", Kind::Bool},
        {"Tensor", Kind::Tensor},
        {"LanguageModel", Kind::Model}};
    for (auto &[name, kind] : builtins)
      if (ref.name == name) {
        if (!ref.args.empty()) {
          source.error(ref.loc,
                       "type '" + ref.name + "' takes no type arguments");
          return Type::get(Kind::Error);
        }
        return Type::get(kind);
      }
    auto alias = typeAliases.find(ref.name);
    if (alias != typeAliases.end())
      return alias->second;
    source.error(ref.loc, "unknown type '" + ref.name + "'");
    return Type::get(Kind::Error);
  }

  void declare(Decl &d) {
    if (auto *t = llvm::dyn_cast<TypeDecl>(&d)) {
      if (!t->getTypeParams().empty()) {
        source.error(t->getLoc(),
                     "generic type declarations are not supported yet");
        return;
      }
      typeAliases[t->getName().str()] = resolve(t->getDefinition());
      return;
    }
    if (auto *s = llvm::dyn_cast<SignatureDecl>(&d)) {
      if (d.getKind() == Decl::Kind::Operator) {
        source.error(d.getLoc(), "operator declarations are not supported "
                                 "yet");
        return;
      }
      std::vector<TypePtr> params;
      for (const Field &f : s->getParams())
        params.push_back(resolve(f.type));
      TypePtr fn =
          Type::getFunction(std::move(params), resolve(s->getResult()));
      // A bodiless effect binds to the prelude's; its signature must agree.
      const PreludeEffect *prelude = lookupPrelude(s->getName());
      if (!prelude) {
        userEffects[s->getName()] = {fn, d.getLoc()};
        return;
      }
      if (!fn->equals(*preludeType(*prelude))) {
        source.error(d.getLoc(), "effect '" + s->getName() + "' declared as " +
                                     fn->str() + " but the prelude's is " +
                                     preludeType(*prelude)->str());
        return;
      }
      return;
    }
    auto &c = llvm::cast<ConceptDecl>(d);
    if (!concepts.insert(c.getName()).second)
      source.error(c.getLoc(), "redefinition of concept '" + c.getName() + "'");
  }

  static TypePtr preludeType(const PreludeEffect &e) {
    std::vector<TypePtr> params;
    for (Kind k : e.params)
      params.push_back(Type::get(k));
    return Type::getFunction(std::move(params), Type::get(e.result));
  }

  //===--------------------------------------------------------------------===//
  // Concepts, blocks and statements
  //===--------------------------------------------------------------------===//

  void concept(ConceptDecl &c) {
    attentionAssignment.reset();
    push();
    scopes.back().emplace("model",
                          Binding{Type::get(Kind::Model), c.getLoc(), true});
    for (const Field &p : c.getParams())
      bind(p.name, resolve(p.type), p.loc, /*warnIfUnused=*/false);
    block(c.getBody());
    pop();
  }

  TypePtr block(Block &b) {
    push();
    TypePtr result = Type::get(Kind::Unit);
    for (const StmtPtr &s : b.getStmts())
      result = stmt(*s);
    pop();
    return result;
  }

  TypePtr stmt(Stmt &s) {
    if (auto *let = llvm::dyn_cast<LetStmt>(&s)) {
      TypePtr t = expr(let->getValue());
      bind(let->getName().str(), t, s.getLoc(), /*warnIfUnused=*/true);
      return Type::get(Kind::Unit);
    }
    if (auto *assign = llvm::dyn_cast<AssignStmt>(&s)) {
      assignment(*assign);
      return Type::get(Kind::Unit);
    }
    return expr(llvm::cast<ExprStmt>(s).getExpr());
  }

  void assignment(AssignStmt &s) {
    auto *field = llvm::dyn_cast<FieldExpr>(&s.getTarget());
    auto *base = field ? llvm::dyn_cast<NameExpr>(&field->getBase()) : nullptr;
    if (!base || base->getName() != "model" ||
        field->getField() != "attention") {
      source.error(s.getTarget().getLoc(),
                   "only 'model.attention' can be assigned");
      expr(s.getValue());
      return;
    }
    expr(s.getTarget());
    if (attentionAssignment) {
      source.error(s.getLoc(), "'model.attention' is assigned twice");
      source.note(*attentionAssignment, "first assigned here");
    }
    attentionAssignment = s.getLoc();
    TypePtr value = expr(s.getValue());
    if (!value->equals(*attentionType()))
      source.error(s.getValue().getLoc(),
                   "cannot assign a value of type '" + value->str() +
                       "' to 'model.attention' of type '" +
                       attentionType()->str() + "'");
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  TypePtr expr(Expr &e) {
    e.type = exprImpl(e);
    return e.type;
  }

  TypePtr exprImpl(Expr &e) {
    switch (e.getKind()) {
    case Expr::Kind::Number:
      return Type::get(llvm::cast<NumberExpr>(e).isInteger() ? Kind::Int
                                                             : Kind::Float);
    case Expr::Kind::Name:
      return name(llvm::cast<NameExpr>(e));
    case Expr::Kind::Call:
      return call(llvm::cast<CallExpr>(e));
    case Expr::Kind::Field:
      return field(llvm::cast<FieldExpr>(e));
    case Expr::Kind::Binary:
      return binary(llvm::cast<BinaryExpr>(e));
    case Expr::Kind::Lambda:
      return lambda(llvm::cast<LambdaExpr>(e));
    }
    return Type::get(Kind::Error);
  }

  TypePtr name(NameExpr &e) {
    if (Binding *b = lookup(e.getName())) {
      b->used = true;
      return b->type;
    }
    if (lookupPrelude(e.getName())) {
      source.error(e.getLoc(), "effect '" + e.getName() +
                                   "' can only be called, not used as a "
                                   "value");
      return Type::get(Kind::Error);
    }
    source.error(e.getLoc(), "unknown name '" + e.getName() + "'");
    return Type::get(Kind::Error);
  }

  TypePtr field(FieldExpr &e) {
    TypePtr base = expr(e.getBase());
    if (base->isError())
      return base;
    if (base->getKind() == Kind::Model && e.getField() == "attention")
      return attentionType();
    source.error(e.getLoc(), "type '" + base->str() + "' has no field '" +
                                 e.getField() + "'");
    return Type::get(Kind::Error);
  }

  void checkArgs(CallExpr &e, llvm::StringRef what,
                 llvm::ArrayRef<TypePtr> params) {
    if (e.getArgs().size() != params.size()) {
      source.error(e.getLoc(), what + " expects " + llvm::Twine(params.size()) +
                                   " arguments but " +
                                   llvm::Twine(e.getArgs().size()) +
                                   " were given");
      return;
    }
    for (size_t i = 0; i < params.size(); ++i)
      if (!e.getArgs()[i]->type->equals(*params[i]))
        source.error(e.getArgs()[i]->getLoc(),
                     "argument " + llvm::Twine(i + 1) + " of " + what +
                         " has type '" + e.getArgs()[i]->type->str() +
                         "' but '" + params[i]->str() + "' is expected");
  }

  TypePtr call(CallExpr &e) {
    for (const ExprPtr &a : e.getArgs())
      expr(*a);
    // A call of an effect that no binding shadows performs it.
    if (auto *callee = llvm::dyn_cast<NameExpr>(&e.getCallee());
        callee && !lookup(callee->getName())) {
      if (const PreludeEffect *effect = lookupPrelude(callee->getName())) {
        callee->type = preludeType(*effect);
        e.performedEffect = effect->name;
        checkArgs(e, "effect '" + callee->getName().str() + "'",
                  callee->type->getParams());
        return callee->type->getResult();
      }
      auto user = userEffects.find(callee->getName());
      if (user != userEffects.end()) {
        source.error(e.getLoc(), "effect '" + callee->getName() +
                                     "' is performed here but not handled, "
                                     "and the prelude has no handler for it");
        source.note(user->second.second, "effect declared here");
        return user->second.first->getResult();
      }
    }
    TypePtr fn = expr(e.getCallee());
    if (fn->isError())
      return fn;
    if (!fn->isFunction()) {
      source.error(e.getLoc(), "called value has type '" + fn->str() +
                                   "', which is not a function");
      return Type::get(Kind::Error);
    }
    checkArgs(e, "this function", fn->getParams());
    return fn->getResult();
  }

  TypePtr binary(BinaryExpr &e) {
    TypePtr lhs = expr(e.getLHS());
    TypePtr rhs = expr(e.getRHS());
    if (lhs->isError() || rhs->isError())
      return Type::get(Kind::Error);
    llvm::StringRef op = e.getOp();
    Kind l = lhs->getKind(), r = rhs->getKind();
    bool arith = op == "*" || op == "/" || op == "+" || op == "-";
    bool compare = op == "<" || op == ">" || op == "<=" || op == ">=" ||
                   op == "==" || op == "!=";
    if ((arith || compare) && l == r && (l == Kind::Float || l == Kind::Int))
      return compare ? Type::get(Kind::Bool) : lhs;
    // Scaling a tensor by a scalar.
    if (op == "*" && ((l == Kind::Float && r == Kind::Tensor) ||
                      (l == Kind::Tensor && r == Kind::Float)))
      return Type::get(Kind::Tensor);
    if (!arith && !compare) {
      source.error(e.getLoc(), "operator '" + op +
                                   "' is not declared and not in the "
                                   "prelude");
      return Type::get(Kind::Error);
    }
    source.error(e.getLoc(), "invalid operands to '" + op + "' ('" +
                                 lhs->str() + "' and '" + rhs->str() + "')");
    return Type::get(Kind::Error);
  }

  TypePtr lambda(LambdaExpr &e) {
    push();
    std::vector<TypePtr> params;
    for (const Param &p : e.getParams()) {
      TypePtr t;
      if (p.type) {
        t = resolve(*p.type);
      } else {
        source.error(p.loc, "cannot infer the type of parameter '" + p.name +
                                "': annotate it, as in '" + p.name +
                                ": Tensor'");
        t = Type::get(Kind::Error);
      }
      params.push_back(t);
      bind(p.name, t, p.loc, /*warnIfUnused=*/false);
    }
    TypePtr result = block(e.getBody());
    pop();
    if (result->getKind() == Kind::Unit)
      source.error(e.getBody().getLoc(),
                   "lambda body must end with an expression");
    return Type::getFunction(std::move(params), result);
  }

  SourceFile &source;
  std::vector<std::map<std::string, Binding>> scopes;
  llvm::StringMap<TypePtr> typeAliases;
  llvm::StringSet<> concepts;
  /// Where the current concept assigned `model.attention`, if it did.
  std::optional<Location> attentionAssignment;
  /// Effects the spec declares that the prelude does not define.
  llvm::StringMap<std::pair<TypePtr, Location>> userEffects;
};

} // namespace

bool fac::checkModule(Module &module, SourceFile &source) {
  return Checker(source).run(module);
}
