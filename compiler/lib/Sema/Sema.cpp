//===- Sema.cpp - Name resolution, types and effects ----------------------===//
//
// One Checker walks the prelude once (its tables are kept for the process)
// and then each spec. Inference is algorithm J: types are unified in place,
// with a trail so that a failed or trial unification leaves nothing behind.
//
//===----------------------------------------------------------------------===//

#include "fac/Sema/Sema.h"

#include "fac/AST/ASTBuilder.h"
#include "fac/Support/Intrinsics.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include <map>
#include <set>

using namespace fac;
using namespace fac::ast;
using namespace fac::sema;

llvm::StringRef fac::getPreludeText() {
  static const char text[] = {
#include "PreludeText.inc"
  };
  return llvm::StringRef(text, sizeof(text) - 1);
}

namespace {

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

bool isArithmetic(llvm::StringRef op) {
  return op == "+" || op == "-" || op == "*" || op == "/" || op == "%";
}
bool isOrdering(llvm::StringRef op) {
  return op == "<" || op == ">" || op == "<=" || op == ">=" || op == "\u2264" ||
         op == "\u2265";
}
bool isEquality(llvm::StringRef op) {
  return op == "==" || op == "=" || op == "!=" || op == "\u2260";
}

//===----------------------------------------------------------------------===//
// The checker
//===----------------------------------------------------------------------===//

class Checker {
public:
  Checker(SourceFile &source, Tables tables, bool isPrelude,
          llvm::ArrayRef<std::string> entries = {})
      : source(&source), tables(std::move(tables)), isPrelude(isPrelude),
        entries(entries) {}

  bool run(Module &module) {
    declareTypes(module);
    for (const DeclPtr &d : module.getDecls())
      if (auto *s = llvm::dyn_cast<SignatureDecl>(d.get()))
        declareSignature(*s);
    if (isPrelude)
      for (const char *name : kIntrinsicNames)
        if (!tables.intrinsics.count(name))
          source->error({1, 1}, llvm::Twine("Intrinsics.def lists '") + name +
                                    "', which the prelude does not declare");
    const ConceptDecl *lastConcept = nullptr;
    llvm::StringMap<const ConceptDecl *> concepts;
    for (const DeclPtr &d : module.getDecls()) {
      if (auto *c = llvm::dyn_cast<ConceptDecl>(d.get())) {
        // A concept's name is its kernels' symbol prefix: one per name.
        auto [it, inserted] = concepts.try_emplace(c->getName(), c);
        if (!inserted) {
          source->error(c->getLoc(),
                        "redefinition of concept '" + c->getName() + "'");
          source->note(it->second->getLoc(), "previous definition is here");
        }
        concept(*c);
        lastConcept = c;
      } else if (auto *t = llvm::dyn_cast<TheoremDecl>(d.get())) {
        theorem(*t, lastConcept);
      }
    }
    // A file of helpers alone (a library to import) is checked too.
    if (!lastConcept && !module.getHelpers().empty()) {
      push();
      checkingHelpers = true;
      statements(module.getHelpers());
      checkingHelpers = false;
      scopes.pop_back();
    }
    checkOperatorBodies();
    // A concept's function compiled as a kernel (facc --entry) is used.
    for (auto &[concept, scope] : conceptScopes) {
      for (const std::string &name : entries) {
        auto it = scope.find(name);
        if (it != scope.end())
          it->second.used = true;
      }
      warnUnused(scope);
    }
    return source->getNumErrors() == 0;
  }

  Tables &getTables() { return tables; }

private:
  //===--------------------------------------------------------------------===//
  // Unification
  //===--------------------------------------------------------------------===//

  bool occurs(const TypePtr &var, const TypePtr &type) {
    TypePtr t = prune(type);
    if (t == var)
      return true;
    for (const TypePtr &a : t->getArgs())
      if (occurs(var, a))
        return true;
    return false;
  }

  /// Lowers the level of every variable in \p type to at most \p level, so
  /// that a variable that escapes into an outer binding is not generalised.
  void adjustLevels(const TypePtr &type, unsigned level) {
    TypePtr t = prune(type);
    if (t->getKind() == Type::Kind::Var) {
      t->level = std::min(t->level, level);
      return;
    }
    for (const TypePtr &a : t->getArgs())
      adjustLevels(a, level);
  }

  bool bindVar(const TypePtr &var, const TypePtr &type) {
    if (type->getKind() == Type::Kind::Var) {
      if (var->numeric)
        type->numeric = true;
    } else if (var->numeric && !type->isCon("Int") && !type->isCon("Float")) {
      return false;
    }
    if (occurs(var, type))
      return false;
    adjustLevels(type, var->level);
    var->binding = type;
    trail.push_back(var);
    return true;
  }

  bool unify(const TypePtr &x, const TypePtr &y) {
    TypePtr a = prune(x), b = prune(y);
    if (a == b || a->isError() || b->isError())
      return true;
    if (a->getKind() == Type::Kind::Var)
      return bindVar(a, b);
    if (b->getKind() == Type::Kind::Var)
      return bindVar(b, a);
    if (a->getKind() != b->getKind() ||
        a->getArgs().size() != b->getArgs().size())
      return false;
    if (a->getKind() == Type::Kind::Con && a->getName() != b->getName())
      return false;
    for (size_t i = 0; i < a->getArgs().size(); ++i)
      if (!unify(a->getArgs()[i], b->getArgs()[i]))
        return false;
    return true;
  }

  /// Undoes every binding made since \p mark.
  void undo(size_t mark) {
    while (trail.size() > mark) {
      trail.back()->binding = nullptr;
      trail.pop_back();
    }
  }

  /// Unifies, or undoes every binding of the attempt.
  bool tryUnify(const TypePtr &a, const TypePtr &b) {
    size_t mark = trail.size();
    if (unify(a, b))
      return true;
    undo(mark);
    return false;
  }

  /// Whether \p attempt (which unifies) would succeed; undoes it either way.
  template <typename Attempt> bool wouldUnify(Attempt attempt) {
    size_t mark = trail.size();
    bool ok = attempt();
    undo(mark);
    return ok;
  }

  /// Unifies \p actual with \p expected or reports \p what at \p loc.
  bool expect(const TypePtr &actual, const TypePtr &expected, Location loc,
              const llvm::Twine &what) {
    if (tryUnify(actual, expected))
      return true;
    source->error(loc, what + " has type '" + actual->str() + "' but '" +
                           expected->str() + "' is expected");
    return false;
  }

  TypePtr fresh(bool numeric = false) { return Type::var(level, numeric); }

  /// A copy of \p type with its generic variables replaced by fresh ones.
  TypePtr instantiate(const TypePtr &type) {
    std::map<unsigned, TypePtr> subst;
    return instantiate(type, subst);
  }
  TypePtr instantiate(const TypePtr &type, std::map<unsigned, TypePtr> &subst) {
    TypePtr t = prune(type);
    switch (t->getKind()) {
    case Type::Kind::Var: {
      if (!t->generic)
        return t;
      auto it = subst.find(t->getId());
      if (it == subst.end())
        it = subst.emplace(t->getId(), fresh(t->numeric)).first;
      return it->second;
    }
    case Type::Kind::Error:
      return t;
    case Type::Kind::Con: {
      std::vector<TypePtr> args;
      for (const TypePtr &a : t->getArgs())
        args.push_back(instantiate(a, subst));
      return Type::con(t->getName(), std::move(args));
    }
    case Type::Kind::Function:
    case Type::Kind::Tuple: {
      std::vector<TypePtr> args;
      for (const TypePtr &a : t->getArgs())
        args.push_back(instantiate(a, subst));
      if (t->getKind() == Type::Kind::Tuple)
        return Type::tuple(std::move(args));
      TypePtr result = args.back();
      args.pop_back();
      return Type::function(std::move(args), result);
    }
    }
    return t;
  }

  /// Marks the variables of \p type made inside the current let generic.
  void generalize(const TypePtr &type) {
    TypePtr t = prune(type);
    if (t->getKind() == Type::Kind::Var) {
      if (t->level > level)
        t->generic = true;
      return;
    }
    for (const TypePtr &a : t->getArgs())
      generalize(a);
  }

  /// A note at a declaration, which may be in the prelude.
  void noteAt(const SigInfo &info, const llvm::Twine &msg) {
    if (source->isQuiet())
      return;
    (info.file ? info.file : source)->note(info.loc, msg);
  }

  //===--------------------------------------------------------------------===//
  // Scopes
  //===--------------------------------------------------------------------===//

  void push() { scopes.emplace_back(); }
  void pop() {
    warnUnused(scopes.back());
    scopes.pop_back();
  }
  void warnUnused(const Scope &scope) {
    for (const auto &[name, b] : scope)
      if (b.warnIfUnused && !b.used && name != "_")
        source->warning(b.loc, "unused binding '" + name + "'");
  }
  void bind(const std::string &name, TypePtr type, Location loc,
            bool warnIfUnused) {
    Scope &scope = scopes.back();
    auto it = scope.find(name);
    if (it != scope.end()) {
      source->error(loc, "redefinition of '" + name + "'");
      source->note(it->second.loc, "previous definition is here");
      return;
    }
    scope.emplace(name, Binding{std::move(type), loc, false,
                                warnIfUnused && !checkingHelpers});
  }
  /// Top-level lets are being checked (for a concept that may not use
  /// them).
  bool checkingHelpers = false;
  /// The prelude's effects and operators the spec's declarations hid.
  std::map<std::string, std::vector<SigInfo>> hiddenPrelude;
  Binding *lookup(llvm::StringRef name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto found = it->find(name.str());
      if (found != it->end())
        return &found->second;
    }
    return nullptr;
  }

  //===--------------------------------------------------------------------===//
  // Types and declarations
  //===--------------------------------------------------------------------===//

  /// Resolves a written type; \p params maps the type parameters in scope.
  TypePtr resolve(const TypeRef &ref,
                  const std::map<std::string, TypePtr> &params) {
    switch (ref.kind) {
    case TypeRef::Kind::Function: {
      std::vector<TypePtr> inputs;
      for (size_t i = 0; i + 1 < ref.args.size(); ++i)
        inputs.push_back(resolve(ref.args[i], params));
      return Type::function(std::move(inputs),
                            resolve(ref.args.back(), params));
    }
    case TypeRef::Kind::Tuple: {
      std::vector<TypePtr> elems;
      for (const TypeRef &a : ref.args)
        elems.push_back(resolve(a, params));
      return Type::tuple(std::move(elems));
    }
    case TypeRef::Kind::Record:
      source->error(ref.loc, "a record type must be declared with 'type' "
                             "and used by its name");
      return Type::error();
    case TypeRef::Kind::Named:
      break;
    }
    auto param = params.find(ref.name);
    if (param != params.end()) {
      if (!ref.args.empty())
        source->error(ref.loc, "type parameter '" + ref.name +
                                   "' takes no type arguments");
      return param->second;
    }
    std::vector<TypePtr> args;
    for (const TypeRef &a : ref.args)
      args.push_back(resolve(a, params));
    auto arity = [&](size_t n) {
      if (args.size() == n)
        return true;
      source->error(ref.loc, "type '" + ref.name + "' takes " + llvm::Twine(n) +
                                 " type argument" + (n == 1 ? "" : "s") +
                                 " but " + llvm::Twine(args.size()) +
                                 " were given");
      return false;
    };
    if (ref.name == "Float" || ref.name == "Int" || ref.name == "Bool" ||
        ref.name == "Unit" || ref.name == "LanguageModel")
      return arity(0) ? Type::con(ref.name) : Type::error();
    if (ref.name == "List")
      return arity(1) ? Type::con("List", args) : Type::error();
    auto it = tables.types.find(ref.name);
    if (it == tables.types.end()) {
      source->error(ref.loc, "unknown type '" + ref.name + "'");
      return Type::error();
    }
    TypeInfo &info = it->second;
    if (!arity(info.params.size()))
      return Type::error();
    if (info.kind == TypeInfo::Kind::Data)
      return Type::con(ref.name, std::move(args));
    if (!info.alias) {
      source->error(ref.loc, "type alias '" + ref.name +
                                 "' is defined in terms of itself");
      return Type::error();
    }
    std::map<unsigned, TypePtr> subst;
    for (size_t i = 0; i < args.size(); ++i)
      subst[info.params[i]->getId()] = args[i];
    return instantiate(info.alias, subst);
  }

  static std::string canonical(const TypeDecl &t) {
    std::string s;
    for (const std::string &p : t.getTypeParams())
      s += "<" + p + ">";
    if (t.getAlias())
      return s + "=" + str(*t.getAlias());
    for (const Ctor &c : t.getCtors()) {
      s += "|" + c.name + "(";
      for (const Field &f : c.fields)
        s += f.name + ":" + str(f.type) + ",";
      s += ")";
    }
    return s;
  }

  void declareTypes(Module &module) {
    std::vector<std::pair<TypeDecl *, TypeInfo *>> pending;
    for (const DeclPtr &d : module.getDecls()) {
      auto *t = llvm::dyn_cast<TypeDecl>(d.get());
      if (!t)
        continue;
      std::string name = t->getName().str();
      static const char *builtins[] = {"Float", "Int",  "Bool",
                                       "Unit",  "List", "LanguageModel"};
      if (llvm::is_contained(builtins, name)) {
        source->error(t->getLoc(),
                      "cannot redefine the builtin type '" + name + "'");
        continue;
      }
      std::string text = canonical(*t);
      auto existing = tables.types.find(name);
      if (existing != tables.types.end()) {
        // Stating a prelude type again, to the letter, is that type.
        if (existing->second.fromPrelude && !isPrelude &&
            existing->second.canonical == text)
          continue;
        if (!existing->second.fromPrelude || isPrelude) {
          source->error(t->getLoc(), "redefinition of type '" + name + "'");
          source->note(existing->second.loc, "previous definition is here");
          continue;
        }
        // A different definition shadows the prelude's: drop its
        // constructors too.
        for (const std::string &c : existing->second.ctors)
          tables.ctors.erase(c);
        tables.types.erase(existing);
      }
      TypeInfo info;
      info.loc = t->getLoc();
      info.canonical = text;
      info.fromPrelude = isPrelude;
      for (size_t i = 0; i < t->getTypeParams().size(); ++i) {
        TypePtr v = Type::var(0);
        v->generic = true;
        info.params.push_back(v);
      }
      const std::optional<TypeRef> &alias = t->getAlias();
      info.isRecord = alias && alias->kind == TypeRef::Kind::Record;
      info.kind = alias && !info.isRecord ? TypeInfo::Kind::Alias
                                          : TypeInfo::Kind::Data;
      auto [it, inserted] = tables.types.try_emplace(name, std::move(info));
      pending.push_back({t, &it->second});
    }
    // Definitions may refer to any declared type, themselves included.
    for (auto &[decl, info] : pending) {
      std::map<std::string, TypePtr> params;
      for (size_t i = 0; i < info->params.size(); ++i)
        params[decl->getTypeParams()[i]] = info->params[i];
      std::string name = decl->getName().str();
      std::vector<TypePtr> args(info->params.begin(), info->params.end());
      TypePtr self = Type::con(name, args);
      if (info->kind == TypeInfo::Kind::Alias) {
        info->alias = resolve(*decl->getAlias(), params);
        continue;
      }
      std::vector<Ctor> ctors = decl->getCtors();
      if (info->isRecord) {
        // A record is a data type with one constructor named after it.
        Ctor c{decl->getLoc(), name, {}};
        const TypeRef &rec = *decl->getAlias();
        for (size_t i = 0; i < rec.args.size(); ++i)
          c.fields.push_back({rec.args[i].loc, rec.names[i], rec.args[i], {}});
        ctors = {c};
      }
      for (const Ctor &c : ctors) {
        if (tables.ctors.count(c.name) && !(info->isRecord)) {
          source->error(c.loc, "redefinition of constructor '" + c.name + "'");
          continue;
        }
        CtorInfo ci;
        ci.typeName = name;
        ci.loc = c.loc;
        ci.fromPrelude = isPrelude;
        std::vector<TypePtr> fieldTypes;
        std::set<std::string> seen;
        for (const Field &f : c.fields) {
          if (!seen.insert(f.name).second)
            source->error(f.loc, "duplicate field '" + f.name + "'");
          ci.fieldNames.push_back(f.name);
          fieldTypes.push_back(resolve(f.type, params));
        }
        ci.type = Type::function(std::move(fieldTypes), self);
        tables.ctors[c.name] = std::move(ci);
        info->ctors.push_back(c.name);
      }
    }
  }

  /// A signature's generic function type.
  TypePtr signatureType(const SignatureDecl &s) {
    std::map<std::string, TypePtr> params;
    for (const std::string &p : s.getTypeParams()) {
      TypePtr v = Type::var(0);
      v->generic = true;
      params[p] = v;
    }
    std::vector<TypePtr> inputs;
    for (const Field &f : s.getParams())
      inputs.push_back(resolve(f.type, params));
    return Type::function(std::move(inputs), resolve(s.getResult(), params));
  }

  /// The prelude entry of \p candidates that \p type (generic) can be: its
  /// parameters unify with the entry's, and so does its result.
  const SigInfo *matchPrelude(const std::vector<SigInfo> &candidates,
                              const TypePtr &type) {
    for (const SigInfo &c : candidates)
      if (c.fromPrelude && wouldUnify([&] {
            return unify(instantiate(type), instantiate(c.type));
          }))
        return &c;
    return nullptr;
  }

  void declareSignature(SignatureDecl &s) {
    std::string name = s.getName().str();
    TypePtr type = signatureType(s);
    SigInfo info{type, s.getLoc(), source, &s, isPrelude, isPrelude};
    switch (s.getKind()) {
    case Decl::Kind::Intrinsic:
      if (!isPrelude) {
        source->error(s.getLoc(), "only the prelude may declare intrinsics");
        return;
      }
      // One table lists what the compiler implements (Intrinsics.def).
      if (!lookupIntrinsic(name))
        source->error(s.getLoc(), "intrinsic '" + name +
                                      "' is not in Intrinsics.def: nothing "
                                      "implements it");
      tables.intrinsics[name].push_back(info);
      return;
    case Decl::Kind::Effect:
    case Decl::Kind::Operator: {
      bool isEffect = s.getKind() == Decl::Kind::Effect;
      auto &table = isEffect ? tables.effects : tables.operators;
      std::vector<SigInfo> &entries = table[name];
      if (isPrelude) {
        entries.push_back(info);
        if (s.getBody())
          operatorBodies.push_back(&s);
        return;
      }
      // A spec's operators overload each other by parameter types; two
      // that could take the same operands are one defined twice.
      bool overloads = false;
      for (const SigInfo &e : entries) {
        if (e.fromPrelude)
          continue;
        bool distinct = !isEffect && !wouldUnify([&] {
          TypePtr a = instantiate(e.type), b = instantiate(type);
          if (a->getParams().size() != b->getParams().size())
            return false;
          for (size_t i = 0; i < a->getParams().size(); ++i)
            if (!unify(a->getParams()[i], b->getParams()[i]))
              return false;
          return true;
        });
        if (!distinct) {
          source->error(s.getLoc(),
                        "redefinition of " +
                            llvm::Twine(isEffect ? "effect" : "operator") +
                            " '" + name + "'" +
                            (isEffect ? "" : " for the same operand types"));
          noteAt(e, "previous definition is here");
          return;
        }
        overloads = true;
      }
      const char *what = isEffect ? "effect" : "operator";
      // The prelude's declarations of the name, whichever of the spec's
      // came first (the first hides them from overload resolution).
      std::vector<SigInfo> &prelude = hiddenPrelude[name];
      for (const SigInfo &e : entries)
        if (e.fromPrelude)
          prelude.push_back(e);
      if (!s.getBody()) {
        // Bodiless: bind to the prelude entry with this signature.
        if (const SigInfo *bound = matchPrelude(prelude, type)) {
          info.type = bound->type;
          info.libraryHandled = true;
          info.decl = bound->decl;
        } else if (!isEffect || !entries.empty()) {
          source->error(s.getLoc(),
                        llvm::Twine(what) + " '" + name + "' " + type->str() +
                            " has no definition in the prelude" +
                            (isEffect ? "" : ": give it one with '= body'"));
          for (const SigInfo &e : prelude)
            noteAt(e, "the prelude has '" + name + "' " + e.type->str());
        }
      } else {
        operatorBodies.push_back(&s);
      }
      // The spec's declarations hide the prelude's overloads.
      if (overloads)
        entries.push_back(info);
      else
        entries.assign(1, info);
      return;
    }
    default:
      return;
    }
  }

  //===--------------------------------------------------------------------===//
  // Concepts and theorems
  //===--------------------------------------------------------------------===//

  void concept(ConceptDecl &c) {
    attentionAssignment.reset();
    // `model` is always there; a concept may also take it as a parameter.
    // The spec's top-level lets first, in a scope of their own: they see
    // the prelude and each other, not the concept (nor `model`), and a
    // concept that does not use one is not warned about it.
    push();
    checkingHelpers = true;
    statements(c.getHelpers());
    checkingHelpers = false;
    push();
    scopes.back().emplace(
        "model", Binding{Type::con("LanguageModel"), c.getLoc(), true, false});
    push();
    for (Field &p : c.getParams()) {
      p.resolved = resolve(p.type, {});
      bind(p.name, p.resolved, p.loc, /*warnIfUnused=*/false);
    }
    // The body's own bindings stay visible to the theorems after it, and
    // so do the helpers (shadowed by the body's).
    statements(c.getBody().getStmts());
    Scope seen = std::move(scopes.back());
    for (auto &[name, b] : scopes[scopes.size() - 3])
      seen.emplace(name, b);
    conceptScopes.push_back({&c, std::move(seen)});
    scopes.pop_back();
    scopes.pop_back();
    scopes.pop_back();
    checkOperatorBodies();
  }

  /// Operator bodies are checked once, with the prelude or the first
  /// concept, in a scope of their own.
  void checkOperatorBodies() {
    for (const SignatureDecl *s : operatorBodies) {
      push();
      TypePtr type = instantiate(signatureType(*s));
      std::vector<TypePtr> params = type->getParams();
      for (size_t i = 0; i < params.size(); ++i)
        bind(s->getParams()[i].name, params[i], s->getParams()[i].loc, false);
      expect(infer(*s->getBody()), type->getResult(), s->getBody()->getLoc(),
             "the body of operator '" + s->getName() + "'");
      pop();
    }
    operatorBodies.clear();
  }

  void theorem(TheoremDecl &t, const ConceptDecl *concept) {
    t.concept = concept;
    push();
    if (concept)
      for (auto &[c, scope] : conceptScopes)
        if (c == concept)
          for (auto &[name, b] : scope)
            scopes.back().emplace(name, b);
    push();
    for (Field &b : t.getBinders()) {
      b.resolved = resolve(b.type, {});
      bind(b.name, b.resolved, b.loc, /*warnIfUnused=*/true);
    }
    expect(infer(t.getBody()), Type::boolType(), t.getBody().getLoc(),
           "the statement of theorem '" + t.getName() + "'");
    pop();
    // Mark the concept's bindings the theorem used.
    if (concept)
      for (auto &[c, scope] : conceptScopes)
        if (c == concept)
          for (auto &[name, b] : scopes.back())
            if (b.used)
              scope[name].used = true;
    scopes.pop_back();
  }

  /// Checks statements in the current scope; the type of the last one if
  /// it is an expression, else Unit.
  TypePtr statements(const std::vector<StmtPtr> &stmts) {
    TypePtr result = Type::unitType();
    for (const StmtPtr &s : stmts) {
      result = Type::unitType();
      if (auto *let = llvm::dyn_cast<LetStmt>(s.get()))
        letBinding(let->getPattern(), let->getValue());
      else if (auto *assign = llvm::dyn_cast<AssignStmt>(s.get()))
        assignment(*assign);
      else
        result = infer(llvm::cast<ExprStmt>(*s).getExpr());
    }
    return result;
  }

  /// `let pattern = value`, binding into the current scope. A lambda bound
  /// to a name may call itself, and is generalised.
  void letBinding(Pattern &pattern, Expr &value) {
    auto *lambda = llvm::dyn_cast<LambdaExpr>(&value);
    if (pattern.kind == Pattern::Kind::Name && lambda &&
        !isConstructorName(pattern.name)) {
      lambda->boundName = pattern.name;
      ++level;
      // Inside its body the lambda is monomorphic, with the parameter types
      // it declares.
      std::vector<TypePtr> params;
      for (const Param &p : lambda->getParams())
        params.push_back(p.type ? resolve(*p.type, {}) : fresh());
      TypePtr self = Type::function(params, fresh());
      pattern.type = self;
      bind(pattern.name, self, pattern.loc, /*warnIfUnused=*/true);
      TypePtr type = infer(value);
      if (!tryUnify(self, type))
        source->error(pattern.loc, "'" + pattern.name + "' is used as '" +
                                       self->str() +
                                       "' in its own body but has type '" +
                                       type->str() + "'");
      --level;
      generalize(type);
      return;
    }
    TypePtr type = infer(value);
    checkPattern(pattern, type, /*warnIfUnused=*/true);
    if (!isIrrefutable(pattern, type))
      source->error(pattern.loc, "this pattern can fail to match: a 'let' "
                                 "pattern must match every value of type '" +
                                     type->str() + "'");
  }

  void assignment(AssignStmt &s) {
    auto *field = llvm::dyn_cast<FieldExpr>(&s.getTarget());
    auto *base = field ? llvm::dyn_cast<NameExpr>(&field->getBase()) : nullptr;
    if (!base || base->getName() != "model" ||
        field->getField() != "attention") {
      source->error(s.getTarget().getLoc(),
                    "only 'model.attention' can be assigned");
      infer(s.getValue());
      return;
    }
    infer(s.getTarget());
    if (attentionAssignment) {
      source->error(s.getLoc(), "'model.attention' is assigned twice");
      source->note(*attentionAssignment, "first assigned here");
    }
    attentionAssignment = s.getLoc();
    TypePtr value = infer(s.getValue());
    // Dense attention, or attention over pyramids that the host builds from
    // the model's Q/K/V and flattens back into tokens.
    TypePtr tensor = Type::tensorType(), tree = Type::con("TensorTree");
    if (tryUnify(value, Type::function({tensor, tensor, tensor}, tensor)) ||
        tryUnify(value, Type::function({tree, tree, tree}, tree)))
      return;
    source->error(s.getValue().getLoc(),
                  "cannot assign a value of type '" + value->str() +
                      "' to 'model.attention', which takes '(Tensor, Tensor, "
                      "Tensor) -> Tensor' or '(TensorTree, TensorTree, "
                      "TensorTree) -> TensorTree'");
  }

  //===--------------------------------------------------------------------===//
  // Patterns
  //===--------------------------------------------------------------------===//

  bool isConstructorName(llvm::StringRef name) {
    return tables.ctors.count(name) != 0;
  }

  /// Checks \p p against a value of type \p type and binds its names.
  void checkPattern(Pattern &p, const TypePtr &type, bool warnIfUnused) {
    switch (p.kind) {
    case Pattern::Kind::Wildcard:
      return;
    case Pattern::Kind::Number:
      expect(type, p.isInteger ? fresh(/*numeric=*/true) : Type::floatType(),
             p.loc, "this pattern's value");
      return;
    case Pattern::Kind::Name:
      if (isConstructorName(p.name)) {
        p.isConstructor = true;
        ctorPattern(p, type, warnIfUnused);
        return;
      }
      p.type = type;
      bind(p.name, type, p.loc, warnIfUnused);
      return;
    case Pattern::Kind::Tuple: {
      std::vector<TypePtr> elems;
      for (size_t i = 0; i < p.subs.size(); ++i)
        elems.push_back(fresh());
      if (!expect(Type::tuple(elems), type, p.loc, "this tuple pattern"))
        return;
      for (size_t i = 0; i < p.subs.size(); ++i)
        checkPattern(p.subs[i], elems[i], warnIfUnused);
      return;
    }
    case Pattern::Kind::Ctor:
      p.isConstructor = true;
      ctorPattern(p, type, warnIfUnused);
      return;
    }
  }

  void ctorPattern(Pattern &p, const TypePtr &type, bool warnIfUnused) {
    auto it = tables.ctors.find(p.name);
    if (it == tables.ctors.end()) {
      source->error(p.loc, "unknown constructor '" + p.name + "'");
      for (Pattern &sub : p.subs)
        checkPattern(sub, Type::error(), warnIfUnused);
      return;
    }
    TypePtr ctor = instantiate(it->second.type);
    std::vector<TypePtr> fields = ctor->getParams();
    bool bare = p.kind == Pattern::Kind::Name;
    if (!bare && p.subs.size() != fields.size()) {
      source->error(p.loc, "constructor '" + p.name + "' has " +
                               llvm::Twine(fields.size()) + " field" +
                               (fields.size() == 1 ? "" : "s") +
                               " but the pattern has " +
                               llvm::Twine(p.subs.size()));
      for (Pattern &sub : p.subs)
        checkPattern(sub, Type::error(), warnIfUnused);
      return;
    }
    if (bare && !fields.empty()) {
      source->error(p.loc, "constructor '" + p.name +
                               "' has fields: match "
                               "them, as in '" +
                               p.name + "(...)'");
      return;
    }
    if (!expect(type, ctor->getResult(), p.loc, "the value matched here"))
      return;
    for (size_t i = 0; i < p.subs.size(); ++i)
      checkPattern(p.subs[i], fields[i], warnIfUnused);
  }

  /// Whether \p p matches every value of \p type.
  bool isIrrefutable(const Pattern &p, const TypePtr &type) {
    switch (p.kind) {
    case Pattern::Kind::Wildcard:
      return true;
    case Pattern::Kind::Number:
      return false;
    case Pattern::Kind::Name:
      if (!p.isConstructor)
        return true;
      [[fallthrough]];
    case Pattern::Kind::Ctor: {
      auto it = tables.ctors.find(p.name);
      if (it == tables.ctors.end())
        return true; // Already reported.
      auto typeIt = tables.types.find(it->second.typeName);
      if (typeIt == tables.types.end() || typeIt->second.ctors.size() != 1)
        return false;
      TypePtr ctor = instantiate(it->second.type);
      for (size_t i = 0; i < p.subs.size(); ++i)
        if (!isIrrefutable(p.subs[i], ctor->getParams()[i]))
          return false;
      return true;
    }
    case Pattern::Kind::Tuple: {
      TypePtr t = prune(type);
      for (size_t i = 0; i < p.subs.size(); ++i)
        if (!isIrrefutable(p.subs[i], t->getKind() == Type::Kind::Tuple &&
                                              i < t->getArgs().size()
                                          ? t->getArgs()[i]
                                          : Type::error()))
          return false;
      return true;
    }
    }
    return false;
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  TypePtr infer(Expr &e) {
    e.type = inferImpl(e);
    // Types are shared graphs, but every later stage (printing, MLIR
    // types, the interpreter's values) expands them: `p(p(p(a)))` with
    // `p = (x) => (x, x)` doubles the type at each call.
    size_t budget = kMaxTypeSize;
    if (!e.type->isError() && exceedsBudget(e.type, budget)) {
      source->error(e.getLoc(), "the type of this expression has more than " +
                                    llvm::Twine(kMaxTypeSize) + " parts");
      e.type = Type::error();
    }
    return e.type;
  }

  /// The most parts (names, variables, arrows, tuples) a type may have.
  static constexpr size_t kMaxTypeSize = 10000;

  /// Whether \p type has more parts than \p budget (spent as it counts).
  static bool exceedsBudget(const TypePtr &type, size_t &budget) {
    TypePtr t = prune(type);
    if (budget == 0)
      return true;
    --budget;
    for (const TypePtr &arg : t->getArgs())
      if (exceedsBudget(arg, budget))
        return true;
    return false;
  }

  TypePtr inferImpl(Expr &e) {
    switch (e.getKind()) {
    case Expr::Kind::Number:
      return llvm::cast<NumberExpr>(e).isInteger() ? fresh(/*numeric=*/true)
                                                   : Type::floatType();
    case Expr::Kind::Name:
      return name(llvm::cast<NameExpr>(e));
    case Expr::Kind::Call:
      return call(llvm::cast<CallExpr>(e));
    case Expr::Kind::Field:
      return field(llvm::cast<FieldExpr>(e));
    case Expr::Kind::Index: {
      auto &i = llvm::cast<IndexExpr>(e);
      TypePtr elem = fresh();
      expect(infer(i.getBase()), Type::con("List", {elem}),
             i.getBase().getLoc(), "the indexed value");
      expect(infer(i.getIndex()), Type::intType(), i.getIndex().getLoc(),
             "the index");
      return elem;
    }
    case Expr::Kind::Slice: {
      auto &s = llvm::cast<SliceExpr>(e);
      TypePtr base = infer(s.getBase());
      for (Expr *bound : {s.getLo(), s.getHi()})
        if (bound)
          expect(infer(*bound), Type::intType(), bound->getLoc(),
                 "a slice bound");
      // A tensor's slice is its rows from lo to hi.
      if (prune(base)->isCon("Tensor"))
        return base;
      TypePtr list = Type::con("List", {fresh()});
      expect(base, list, s.getBase().getLoc(), "the sliced value");
      return list;
    }
    case Expr::Kind::Binary:
      return binary(llvm::cast<BinaryExpr>(e));
    case Expr::Kind::Neg: {
      auto &n = llvm::cast<UnaryExpr>(e);
      TypePtr t = infer(n.getOperand());
      if (prune(t)->isCon("Tensor"))
        return t;
      if (!tryUnify(t, fresh(/*numeric=*/true)))
        source->error(e.getLoc(),
                      "cannot negate a value of type '" + t->str() + "'");
      return t;
    }
    case Expr::Kind::Bool:
      return Type::boolType();
    case Expr::Kind::Not: {
      auto &x = llvm::cast<UnaryExpr>(e);
      expect(infer(x.getOperand()), Type::boolType(), x.getOperand().getLoc(),
             "the operand of 'not'");
      return Type::boolType();
    }
    case Expr::Kind::Exists: {
      auto &x = llvm::cast<UnaryExpr>(e);
      expect(infer(x.getOperand()), Type::con("Option", {fresh()}),
             x.getOperand().getLoc(), "the operand of 'exists'");
      return Type::boolType();
    }
    case Expr::Kind::Lambda:
      return lambda(llvm::cast<LambdaExpr>(e));
    case Expr::Kind::If:
      return ifExpr(llvm::cast<IfExpr>(e));
    case Expr::Kind::Handle:
      return handle(llvm::cast<HandleExpr>(e));
    case Expr::Kind::Let: {
      auto &l = llvm::cast<LetExpr>(e);
      push();
      letBinding(l.getPattern(), l.getValue());
      TypePtr t = infer(l.getBody());
      pop();
      return t;
    }
    case Expr::Kind::Block: {
      auto &b = llvm::cast<BlockExpr>(e);
      push();
      TypePtr t = statements(b.getBlock().getStmts());
      pop();
      return t;
    }
    case Expr::Kind::List: {
      TypePtr elem = fresh();
      for (const ExprPtr &x : llvm::cast<ListExpr>(e).getElems())
        expect(infer(*x), elem, x->getLoc(), "this list element");
      return Type::con("List", {elem});
    }
    case Expr::Kind::Tuple: {
      std::vector<TypePtr> elems;
      for (const ExprPtr &x : llvm::cast<ListExpr>(e).getElems())
        elems.push_back(infer(*x));
      return Type::tuple(std::move(elems));
    }
    case Expr::Kind::Comprehension: {
      auto &c = llvm::cast<ComprehensionExpr>(e);
      TypePtr elem = fresh();
      expect(infer(c.getSource()), Type::con("List", {elem}),
             c.getSource().getLoc(), "the source of a comprehension");
      push();
      bind(c.getVar().str(), elem, c.getVarLoc(), /*warnIfUnused=*/false);
      if (c.getCond())
        expect(infer(*c.getCond()), Type::boolType(), c.getCond()->getLoc(),
               "the condition of a comprehension");
      TypePtr result = infer(c.getElem());
      pop();
      return Type::con("List", {result});
    }
    case Expr::Kind::Unit:
      return Type::unitType();
    }
    return Type::error();
  }

  TypePtr name(NameExpr &e) {
    if (Binding *b = lookup(e.getName())) {
      b->used = true;
      e.resolved = NameKind::Local;
      e.unwrapsOption = b->unwrapsOption;
      return instantiate(b->type);
    }
    auto ctor = tables.ctors.find(e.getName());
    if (ctor != tables.ctors.end()) {
      e.resolved = NameKind::Constructor;
      TypePtr t = instantiate(ctor->second.type);
      // A constructor without fields is a value; with fields, a function.
      return t->getParams().empty() ? t->getResult() : t;
    }
    auto intrinsic = tables.intrinsics.find(e.getName());
    if (intrinsic != tables.intrinsics.end()) {
      e.resolved = NameKind::Prelude;
      if (intrinsic->second.size() == 1)
        return instantiate(intrinsic->second.front().type);
      source->error(e.getLoc(), "'" + e.getName() +
                                    "' is overloaded: call it, so that its "
                                    "arguments choose the overload");
      return Type::error();
    }
    if (tables.effects.count(e.getName())) {
      source->error(e.getLoc(), "effect '" + e.getName() +
                                    "' can only be performed by calling it, "
                                    "not used as a value");
      return Type::error();
    }
    source->error(e.getLoc(), "unknown name '" + e.getName() + "'");
    return Type::error();
  }

  TypePtr field(FieldExpr &e) {
    // `List.init` and the other qualified prelude functions (named so by
    // the parser's own rewrites whatever the spec binds `List` to).
    if (auto *base = llvm::dyn_cast<NameExpr>(&e.getBase());
        base && (!e.qualifiedName.empty() || !lookup(base->getName()))) {
      std::string qualified = (base->getName() + "." + e.getField()).str();
      auto it = tables.intrinsics.find(qualified);
      if (it != tables.intrinsics.end()) {
        e.qualifiedName = qualified;
        return instantiate(it->second.front().type);
      }
    }
    TypePtr base = prune(infer(e.getBase()));
    if (base->isError())
      return base;
    if (base->isCon("LanguageModel") && e.getField() == "attention") {
      TypePtr t = Type::tensorType();
      return Type::function({t, t, t}, t);
    }
    if (base->getKind() == Type::Kind::Con) {
      auto type = tables.types.find(base->getName());
      if (type != tables.types.end() && type->second.ctors.size() == 1) {
        const CtorInfo &ctor = tables.ctors[type->second.ctors.front()];
        for (size_t i = 0; i < ctor.fieldNames.size(); ++i)
          if (ctor.fieldNames[i] == e.getField()) {
            TypePtr c = instantiate(ctor.type);
            unify(c->getResult(), base);
            e.fieldIndex = int(i);
            return c->getParams()[i];
          }
      }
    }
    if (base->getKind() == Type::Kind::Var)
      source->error(e.getLoc(), "cannot access field '" + e.getField() +
                                    "' of a value whose type is not known "
                                    "here: annotate it");
    else
      source->error(e.getLoc(), "type '" + base->str() + "' has no field '" +
                                    e.getField() + "'");
    return Type::error();
  }

  /// Checks arity and argument types against a known signature.
  void checkArgs(CallExpr &e, const llvm::Twine &what,
                 const std::vector<TypePtr> &params) {
    if (e.getArgs().size() != params.size()) {
      source->error(e.getLoc(), what + " expects " +
                                    llvm::Twine(params.size()) + " argument" +
                                    (params.size() == 1 ? "" : "s") + " but " +
                                    llvm::Twine(e.getArgs().size()) +
                                    " were given");
      return;
    }
    for (size_t i = 0; i < params.size(); ++i)
      expect(e.getArgs()[i]->type, params[i], e.getArgs()[i]->getLoc(),
             "argument " + llvm::Twine(i + 1) + " of " + what);
  }

  /// Picks the overload of \p entries whose parameters fit the arguments.
  const SigInfo *pickOverload(CallExpr &e, const std::vector<SigInfo> &entries,
                              const llvm::Twine &what) {
    std::vector<const SigInfo *> sameArity;
    for (const SigInfo &s : entries)
      if (s.type->getArgs().size() == e.getArgs().size() + 1)
        sameArity.push_back(&s);
    if (sameArity.size() == 1 || entries.size() == 1)
      return sameArity.empty() ? &entries.front() : sameArity.front();
    if (sameArity.empty()) {
      // Every overload has the wrong arity: say which arities there are.
      std::set<size_t> arities;
      for (const SigInfo &s : entries)
        arities.insert(s.type->getArgs().size() - 1);
      std::string list;
      for (size_t n : arities)
        list += (list.empty() ? "" : " or ") + std::to_string(n);
      source->error(e.getLoc(), what + " expects " + list + " arguments but " +
                                    llvm::Twine(e.getArgs().size()) +
                                    " were given");
      return nullptr;
    }
    for (const SigInfo *s : sameArity)
      if (wouldUnify([&] {
            TypePtr t = instantiate(s->type);
            for (size_t i = 0; i < e.getArgs().size(); ++i)
              // Lambdas are inferred after the choice.
              if (e.getArgs()[i]->type &&
                  !unify(e.getArgs()[i]->type, t->getParams()[i]))
                return false;
            return true;
          }))
        return s;
    // An argument no overload takes is the error, where it is written.
    for (size_t i = 0; i < e.getArgs().size(); ++i) {
      const ExprPtr &a = e.getArgs()[i];
      if (!a->type)
        continue;
      std::string expected;
      bool taken = false;
      for (const SigInfo *s : sameArity) {
        TypePtr t = instantiate(s->type);
        std::string param = t->getParams()[i]->str();
        if (expected.find("'" + param + "'") == std::string::npos)
          expected += (expected.empty() ? "'" : " or '") + param + "'";
        taken |= wouldUnify([&] { return unify(a->type, t->getParams()[i]); });
      }
      if (taken)
        continue;
      source->error(a->getLoc(), "argument " + llvm::Twine(i + 1) + " of " +
                                     what + " has type '" + a->type->str() +
                                     "' but " + expected + " is expected");
      return nullptr;
    }
    std::string args;
    for (const ExprPtr &a : e.getArgs())
      args += (args.empty() ? "" : ", ") +
              (a->type ? a->type->str() : std::string("<lambda>"));
    source->error(e.getLoc(),
                  "no overload of " + what + " takes (" + args + ")");
    for (const SigInfo &s : entries)
      noteAt(s, "candidate: " + s.type->str());
    return nullptr;
  }

  /// Infers the arguments that are not lambdas; lambdas wait until the
  /// parameter types they are passed for are known.
  void inferNonLambdaArgs(CallExpr &e) {
    for (const ExprPtr &a : e.getArgs())
      if (!llvm::isa<LambdaExpr>(*a))
        infer(*a);
  }

  /// Infers the lambda arguments against \p params (when known), so that
  /// `find(rule => rule.pattern ..., rules)` knows what `rule` is.
  void inferLambdaArgs(CallExpr &e, const std::vector<TypePtr> *params) {
    const auto &args = e.getArgs();
    if (params && params->size() == args.size())
      for (size_t i = 0; i < args.size(); ++i)
        if (!llvm::isa<LambdaExpr>(*args[i]))
          tryUnify(args[i]->type, (*params)[i]);
    for (size_t i = 0; i < args.size(); ++i)
      if (auto *l = llvm::dyn_cast<LambdaExpr>(args[i].get())) {
        TypePtr expected =
            params && i < params->size() ? (*params)[i] : nullptr;
        l->type = lambda(*l, expected);
      }
  }

  TypePtr call(CallExpr &e) {
    inferNonLambdaArgs(e);
    if (auto *callee = llvm::dyn_cast<NameExpr>(&e.getCallee());
        callee && !lookup(callee->getName()) &&
        !tables.ctors.count(callee->getName())) {
      auto effect = tables.effects.find(callee->getName());
      if (effect != tables.effects.end())
        return perform(e, *callee, effect->second);
      auto intrinsic = tables.intrinsics.find(callee->getName());
      if (intrinsic != tables.intrinsics.end() &&
          intrinsic->second.size() > 1) {
        callee->resolved = NameKind::Prelude;
        std::string what = "function '" + callee->getName().str() + "'";
        const SigInfo *sig = pickOverload(e, intrinsic->second, what);
        if (!sig) {
          inferLambdaArgs(e, nullptr);
          return Type::error();
        }
        TypePtr t = instantiate(sig->type);
        callee->type = t;
        std::vector<TypePtr> params = t->getParams();
        inferLambdaArgs(e, &params);
        checkArgs(e, what, params);
        return t->getResult();
      }
    }
    TypePtr fn = prune(infer(e.getCallee()));
    if (fn->isError()) {
      inferLambdaArgs(e, nullptr);
      return fn;
    }
    std::string what = "this function";
    if (auto *callee = llvm::dyn_cast<NameExpr>(&e.getCallee())) {
      if (callee->resolved == NameKind::Constructor)
        what = "constructor '" + callee->getName().str() + "'";
      else
        what = "function '" + callee->getName().str() + "'";
      if (callee->resolved == NameKind::Constructor &&
          fn->getKind() != Type::Kind::Function) {
        source->error(e.getLoc(), "constructor '" + callee->getName() +
                                      "' has no fields: use it without "
                                      "parentheses");
        inferLambdaArgs(e, nullptr);
        return Type::error();
      }
    } else if (auto *f = llvm::dyn_cast<FieldExpr>(&e.getCallee());
               f && !f->qualifiedName.empty()) {
      what = "function '" + f->qualifiedName + "'";
    }
    if (fn->getKind() == Type::Kind::Var) {
      std::vector<TypePtr> params;
      for (size_t i = 0; i < e.getArgs().size(); ++i)
        params.push_back(fresh());
      TypePtr result = fresh();
      unify(fn, Type::function(params, result));
      fn = prune(fn);
    }
    if (fn->getKind() != Type::Kind::Function) {
      source->error(e.getLoc(), "called value has type '" + fn->str() +
                                    "', which is not a function");
      inferLambdaArgs(e, nullptr);
      return Type::error();
    }
    std::vector<TypePtr> params = fn->getParams();
    inferLambdaArgs(e, &params);
    checkArgs(e, what, params);
    return fn->getResult();
  }

  TypePtr perform(CallExpr &e, NameExpr &callee,
                  const std::vector<SigInfo> &entries) {
    std::string what = "effect '" + callee.getName().str() + "'";
    callee.resolved = NameKind::Effect;
    e.performedEffect = callee.getName().str();
    const SigInfo *sig = pickOverload(e, entries, what);
    if (!sig) {
      inferLambdaArgs(e, nullptr);
      return Type::error();
    }
    TypePtr t = instantiate(sig->type);
    callee.type = t;
    std::vector<TypePtr> params = t->getParams();
    inferLambdaArgs(e, &params);
    checkArgs(e, what, params);
    if (!sig->libraryHandled && !isHandledHere(callee.getName())) {
      source->error(e.getLoc(), "effect '" + callee.getName() +
                                    "' is performed here but not handled, "
                                    "and the prelude has no handler for it");
      noteAt(*sig, "effect declared here");
    }
    return t->getResult();
  }

  bool isHandledHere(llvm::StringRef effect) {
    for (const std::set<std::string> &handled : handledEffects)
      if (handled.count(effect.str()))
        return true;
    return false;
  }

  TypePtr binary(BinaryExpr &e) {
    TypePtr lhs = infer(e.getLHS());
    TypePtr rhs = infer(e.getRHS());
    llvm::StringRef op = e.getOp();
    if (prune(lhs)->isError() || prune(rhs)->isError())
      return Type::error();
    auto mismatch = [&]() {
      source->error(e.getLoc(), "invalid operands to '" + op + "' ('" +
                                    lhs->str() + "' and '" + rhs->str() + "')");
      return Type::error();
    };
    if (op == "\u2192" || op == "and" || op == "or") {
      if (!tryUnify(lhs, Type::boolType()) || !tryUnify(rhs, Type::boolType()))
        return mismatch();
      return Type::boolType();
    }
    if (op == "++") {
      // Lists one after the other, or tensors' rows.
      if (!tryUnify(lhs, rhs))
        return mismatch();
      if (prune(lhs)->isCon("Tensor"))
        return lhs;
      if (!tryUnify(lhs, Type::con("List", {fresh()})))
        return mismatch();
      return lhs;
    }
    if (isEquality(op)) {
      if (!tryUnify(lhs, rhs))
        return mismatch();
      return Type::boolType();
    }
    if (isOrdering(op)) {
      if (!tryUnify(lhs, rhs) || !tryUnify(lhs, fresh(/*numeric=*/true)))
        return mismatch();
      return Type::boolType();
    }
    if (isArithmetic(op)) {
      TypePtr l = prune(lhs), r = prune(rhs);
      bool lt = l->isCon("Tensor"), rt = r->isCon("Tensor");
      if (lt || rt) {
        // Elementwise on two tensors (broadcast); a Float applies to every
        // element (and divides only from the right).
        TypePtr other = lt ? rhs : lhs;
        if (op != "%" &&
            (tryUnify(other, Type::tensorType()) ||
             ((op != "/" || lt) && tryUnify(other, Type::floatType()))))
          return Type::tensorType();
        return mismatch();
      }
      if (!tryUnify(lhs, rhs) || !tryUnify(lhs, fresh(/*numeric=*/true)))
        return mismatch();
      return lhs;
    }
    // A Unicode operator: the spec's declaration or the prelude's.
    auto it = tables.operators.find(op);
    if (it == tables.operators.end() || it->second.empty()) {
      source->error(e.getLoc(), "operator '" + op +
                                    "' is not declared and not in the "
                                    "prelude");
      return Type::error();
    }
    const SigInfo *chosen = nullptr;
    for (const SigInfo &s : it->second)
      if (wouldUnify([&] {
            TypePtr t = instantiate(s.type);
            return t->getParams().size() == 2 &&
                   unify(lhs, t->getParams()[0]) &&
                   unify(rhs, t->getParams()[1]);
          })) {
        chosen = &s;
        break;
      }
    if (!chosen) {
      source->error(e.getLoc(), "operator '" + op + "' cannot take '" +
                                    lhs->str() + "' and '" + rhs->str() + "'");
      for (const SigInfo &s : it->second)
        noteAt(s, "'" + op + "' is declared as " + s.type->str());
      return Type::error();
    }
    TypePtr t = instantiate(chosen->type);
    unify(lhs, t->getParams()[0]);
    unify(rhs, t->getParams()[1]);
    e.operatorDecl = chosen->decl;
    return t->getResult();
  }

  /// \p expected, when known, gives the types of unannotated parameters.
  TypePtr lambda(LambdaExpr &e, TypePtr expected = nullptr) {
    if (expected)
      expected = prune(expected);
    bool useExpected = expected &&
                       expected->getKind() == Type::Kind::Function &&
                       expected->getParams().size() == e.getParams().size();
    push();
    std::vector<TypePtr> params;
    for (size_t i = 0; i < e.getParams().size(); ++i) {
      const Param &p = e.getParams()[i];
      TypePtr t = p.type        ? resolve(*p.type, {})
                  : useExpected ? expected->getParams()[i]
                                : fresh();
      params.push_back(t);
      bind(p.name, t, p.loc, /*warnIfUnused=*/false);
    }
    // Effects are handled lexically: a handle around the lambda's
    // definition does not handle what the lambda performs when called.
    std::vector<std::set<std::string>> outer;
    std::swap(outer, handledEffects);
    TypePtr result = infer(e.getBody());
    std::swap(outer, handledEffects);
    pop();
    if (prune(result)->isCon("Unit") && llvm::isa<BlockExpr>(e.getBody()))
      source->error(e.getBody().getLoc(),
                    "lambda body must end with an expression");
    return Type::function(std::move(params), result);
  }

  TypePtr ifExpr(IfExpr &e) {
    expect(infer(e.getCond()), Type::boolType(), e.getCond().getLoc(),
           "the condition");
    // `if x exists then ...`: in the then branch, x is the Option's value.
    push();
    if (auto *exists = llvm::dyn_cast<UnaryExpr>(&e.getCond());
        exists && exists->getKind() == Expr::Kind::Exists)
      if (auto *n = llvm::dyn_cast<NameExpr>(&exists->getOperand()))
        if (Binding *b = lookup(n->getName())) {
          TypePtr opt = prune(b->type);
          if (opt->isCon("Option")) {
            Binding inner{opt->getArgs()[0], b->loc, true, false, true};
            scopes.back().emplace(n->getName().str(), inner);
          }
        }
    TypePtr thenType = infer(e.getThen());
    pop();
    TypePtr elseType = infer(e.getElse());
    if (!tryUnify(thenType, elseType)) {
      source->error(e.getElse().getLoc(),
                    "the branches of 'if' have different types: '" +
                        thenType->str() + "' and '" + elseType->str() + "'");
      return Type::error();
    }
    return thenType;
  }

  TypePtr handle(HandleExpr &e) {
    // Effect clauses: arms whose pattern names an effect.
    std::set<std::string> handled;
    for (Arm &a : e.getArms())
      if (a.pattern.kind == Pattern::Kind::Ctor &&
          tables.effects.count(a.pattern.name) &&
          !tables.ctors.count(a.pattern.name)) {
        a.kind = Arm::Kind::Effect;
        handled.insert(a.pattern.name);
      } else if (a.pattern.kind == Pattern::Kind::Ctor &&
                 a.pattern.name == "Return" && !tables.ctors.count("Return")) {
        a.kind = Arm::Kind::Return;
      }
    handledEffects.push_back(handled);
    TypePtr scrutinee = infer(e.getScrutinee());
    handledEffects.pop_back();

    TypePtr result = fresh();
    bool hasValueArm = false, catchAll = false;
    std::set<std::string> covered;
    for (Arm &a : e.getArms()) {
      push();
      if (a.kind == Arm::Kind::Effect) {
        // The arm's value is what the effect returns where it was performed.
        const SigInfo &sig = tables.effects[a.pattern.name].front();
        TypePtr t = instantiate(sig.type);
        if (a.pattern.subs.size() != t->getParams().size())
          source->error(a.pattern.loc, "effect '" + a.pattern.name +
                                           "' takes " +
                                           llvm::Twine(t->getParams().size()) +
                                           " arguments but the clause binds " +
                                           llvm::Twine(a.pattern.subs.size()));
        else
          for (size_t i = 0; i < a.pattern.subs.size(); ++i)
            checkPattern(a.pattern.subs[i], t->getParams()[i], false);
        expect(infer(*a.body), t->getResult(), a.body->getLoc(),
               "the clause for effect '" + a.pattern.name + "'");
        pop();
        continue;
      }
      hasValueArm = true;
      if (a.kind == Arm::Kind::Return) {
        if (a.pattern.subs.size() != 1) {
          source->error(a.pattern.loc, "'Return' binds exactly one value");
        } else {
          checkPattern(a.pattern.subs[0], scrutinee, false);
          catchAll |= isIrrefutable(a.pattern.subs[0], scrutinee);
        }
      } else {
        checkPattern(a.pattern, scrutinee, false);
        if (isIrrefutable(a.pattern, scrutinee))
          catchAll = true;
        else if (a.pattern.isConstructor &&
                 llvm::all_of(a.pattern.subs, [&](const Pattern &sub) {
                   return sub.kind == Pattern::Kind::Wildcard ||
                          (sub.kind == Pattern::Kind::Name &&
                           !sub.isConstructor);
                 }))
          covered.insert(a.pattern.name);
      }
      expect(infer(*a.body), result, a.body->getLoc(), "this arm");
      pop();
    }
    if (!hasValueArm)
      return scrutinee;
    if (!catchAll)
      checkExhaustive(e, scrutinee, covered);
    return result;
  }

  void checkExhaustive(HandleExpr &e, const TypePtr &scrutinee,
                       const std::set<std::string> &covered) {
    TypePtr t = prune(scrutinee);
    if (t->isError())
      return;
    std::vector<std::string> missing;
    if (t->getKind() == Type::Kind::Con) {
      auto type = tables.types.find(t->getName());
      if (type != tables.types.end())
        for (const std::string &c : type->second.ctors)
          if (!covered.count(c))
            missing.push_back(c);
    }
    if (missing.empty() && t->getKind() == Type::Kind::Con &&
        tables.types.count(t->getName()))
      return;
    std::string list;
    for (const std::string &m : missing)
      list += (list.empty() ? "'" : ", '") + m + "'";
    source->error(
        e.getLoc(),
        "non-exhaustive match on a value of type '" + t->str() + "': " +
            (missing.empty() ? std::string("add an arm that matches any value")
                             : "no arm for " + list));
  }

  SourceFile *source;
  Tables tables;
  bool isPrelude;
  unsigned level = 1;
  std::vector<Scope> scopes;
  std::vector<TypePtr> trail;
  std::vector<std::set<std::string>> handledEffects;
  std::vector<const SignatureDecl *> operatorBodies;
  std::vector<std::pair<const ConceptDecl *, Scope>> conceptScopes;
  /// Functions of the concepts compiled as kernels.
  llvm::ArrayRef<std::string> entries;
  std::optional<Location> attentionAssignment;
};

/// The prelude, parsed and checked once per process.
struct Prelude {
  std::unique_ptr<SourceFile> source;
  std::unique_ptr<Module> module;
  Tables tables;
  bool ok = false;
};

const Prelude &getPrelude() {
  static Prelude prelude = [] {
    Prelude p;
    p.source = std::make_unique<SourceFile>(llvm::MemoryBuffer::getMemBuffer(
        getPreludeText(), "<prelude>", /*RequiresNullTerminator=*/false));
    p.module = parseModule(*p.source);
    if (!p.module)
      return p;
    Checker checker(*p.source, Tables(), /*isPrelude=*/true);
    p.ok = checker.run(*p.module);
    p.tables = std::move(checker.getTables());
    return p;
  }();
  return prelude;
}

} // namespace

bool fac::checkModule(Module &module, SourceFile &source,
                      llvm::ArrayRef<std::string> entries) {
  const Prelude &prelude = getPrelude();
  if (!prelude.ok) {
    source.error({1, 1}, "internal error: the prelude does not check");
    return false;
  }
  return Checker(source, prelude.tables, /*isPrelude=*/false, entries)
      .run(module);
}
