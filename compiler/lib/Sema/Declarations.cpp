//===- Declarations.cpp - Scopes, declarations, concepts, theorems --------===//
//
// Members of the Checker (Checker.h).
//
//===----------------------------------------------------------------------===//

#include "Checker.h"

#include "fac/Support/Intrinsics.h"

using namespace fac;
using namespace fac::ast;
using namespace fac::sema;

bool Checker::run(Module &module) {
  if (!isPrelude)
    helpers = &module.getHelpers();
  declareTypes(module);
  for (const DeclPtr &d : module.getDecls())
    if (auto *s = llvm::dyn_cast<SignatureDecl>(d.get()))
      declareSignature(*s);
  if (isPrelude)
    for (const char *name : kIntrinsicNames)
      if (!tables.intrinsics.count(name))
        source->error({1, 1}, llvm::Twine("Intrinsics.def lists '") + name +
                                  "', which the prelude does not declare");
  if (isPrelude)
    for (const LibraryEffectInfo &row : kLibraryEffects)
      if (llvm::none_of(tables.effects.lookup(row.name), [&](const SigInfo &e) {
            return e.library == row.effect;
          }))
        source->error({1, 1}, llvm::Twine("LibraryEffects.def lists '") +
                                  row.name + "' " + row.type +
                                  ", which the prelude does not declare");
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

void Checker::pop() {
  warnUnused(scopes.back());
  scopes.pop_back();
}

void Checker::warnUnused(const Scope &scope) {
  for (const auto &[name, b] : scope)
    if (b.warnIfUnused && !b.used && name != "_")
      source->warning(b.loc, "unused binding '" + name + "'");
}

void Checker::bind(const std::string &name, TypePtr type, Location loc,
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

Binding *Checker::lookup(llvm::StringRef name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    auto found = it->find(name.str());
    if (found != it->end())
      return &found->second;
  }
  return nullptr;
}

TypePtr Checker::resolve(const TypeRef &ref,
                         const std::map<std::string, TypePtr> &params) {
  switch (ref.kind) {
  case TypeRef::Kind::Function: {
    std::vector<TypePtr> inputs;
    for (size_t i = 0; i + 1 < ref.args.size(); ++i)
      inputs.push_back(resolve(ref.args[i], params));
    return Type::function(std::move(inputs), resolve(ref.args.back(), params));
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

std::string Checker::canonical(const TypeDecl &t) {
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

void Checker::declareTypes(Module &module) {
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
    info.kind =
        alias && !info.isRecord ? TypeInfo::Kind::Alias : TypeInfo::Kind::Data;
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

TypePtr Checker::signatureType(const SignatureDecl &s) {
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

const SigInfo *Checker::matchPrelude(const std::vector<SigInfo> &candidates,
                                     const TypePtr &type) {
  for (const SigInfo &c : candidates)
    if (c.fromPrelude && wouldUnify([&] {
          return unify(instantiate(type), instantiate(c.type));
        }))
      return &c;
  return nullptr;
}

void Checker::declareSignature(SignatureDecl &s) {
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
      // One table lists the effects the library handles.
      if (isEffect) {
        const LibraryEffectInfo *row = lookupLibraryEffect(name, type->str());
        if (row)
          info.library = row->effect;
        else
          source->error(s.getLoc(), "effect '" + name + "' " + type->str() +
                                        " is not in LibraryEffects.def: "
                                        "nothing handles it");
      }
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
                          llvm::Twine(isEffect ? "effect" : "operator") + " '" +
                          name + "'" +
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
        info.library = bound->library;
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

void Checker::concept(ConceptDecl &c) {
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

void Checker::checkOperatorBodies() {
  if (operatorBodies.empty())
    return;
  // The spec's operators see its helpers, as its concepts do.
  push();
  if (helpers) {
    checkingHelpers = true;
    statements(*helpers);
    checkingHelpers = false;
  }
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
  scopes.pop_back();
  operatorBodies.clear();
}

void Checker::theorem(TheoremDecl &t, const ConceptDecl *concept) {
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
