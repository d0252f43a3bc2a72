//===- Interpreter.cpp - The reference interpreter of FAC specs -----------===//
//
// A tree-walking evaluator over the checked AST. Closures capture their
// environment; a `let`-bound lambda sees itself through its name at call
// time (no reference cycle). `handle` keeps a stack of effect clauses: a
// perform runs the nearest clause for its effect (tail-resumptive: the
// clause's value is the perform's value), else the prelude's library
// handler. Errors are reported at their source location and stop the run.
//
//===----------------------------------------------------------------------===//

#include "Evaluator.h"

#include "fac/AST/ASTBuilder.h"
#include "fac/Sema/Sema.h"

using namespace fac;
using namespace fac::interp;

ValuePtr Interpreter::Impl::fail(Location loc, const llvm::Twine &msg) {
  // Inside a prelude operator's body, locations are the prelude's: the
  // error is the spec's expression that applied the operator.
  if (!failed)
    source.error(preludeCallSite.value_or(loc), "runtime error: " + msg);
  failed = true;
  return nullptr;
}

ValuePtr Interpreter::Impl::statements(const std::vector<ast::StmtPtr> &stmts,
                                       const EnvPtr &env,
                                       ConceptResult *result) {
  ValuePtr last = Value::unit();
  for (const ast::StmtPtr &s : stmts) {
    last = Value::unit();
    if (auto *let = llvm::dyn_cast<ast::LetStmt>(s.get())) {
      if (!bindLet(let->getPattern(), let->getValue(), env))
        return nullptr;
    } else if (auto *assign = llvm::dyn_cast<ast::AssignStmt>(s.get())) {
      ValuePtr v = eval(assign->getValue(), env);
      if (!v)
        return nullptr;
      if (result)
        result->attention = v;
    } else {
      last = eval(llvm::cast<ast::ExprStmt>(*s).getExpr(), env);
      if (!last)
        return nullptr;
    }
  }
  return last;
}

bool Interpreter::Impl::bindLet(const ast::Pattern &pattern, const Expr &value,
                                const EnvPtr &env) {
  ValuePtr v = eval(value, env);
  if (!v)
    return false;
  if (!match(pattern, v, *env))
    return fail(pattern.loc, "the value does not match the pattern"), false;
  return true;
}

bool Interpreter::Impl::match(const ast::Pattern &p, const ValuePtr &v,
                              Env &env) {
  switch (p.kind) {
  case ast::Pattern::Kind::Wildcard:
    return true;
  case ast::Pattern::Kind::Number:
    return (v->kind == Value::Kind::Int && double(v->i) == p.number) ||
           (v->kind == Value::Kind::Float && v->f == p.number);
  case ast::Pattern::Kind::Name:
    if (!p.isConstructor) {
      env.vars[p.name] = v;
      return true;
    }
    return v->kind == Value::Kind::Data && v->ctor == p.name;
  case ast::Pattern::Kind::Tuple:
    if (v->kind != Value::Kind::Tuple || v->elems.size() != p.subs.size())
      return false;
    for (size_t k = 0; k < p.subs.size(); ++k)
      if (!match(p.subs[k], v->elems[k], env))
        return false;
    return true;
  case ast::Pattern::Kind::Ctor: {
    std::vector<ValuePtr> fields;
    if (p.name == "Tensor" && v->kind == Value::Kind::Tensor) {
      fields = {shapeOf(*v), valuesOf(*v)};
    } else if (v->kind == Value::Kind::Data && v->ctor == p.name) {
      fields = v->elems;
    } else {
      return false;
    }
    if (fields.size() != p.subs.size())
      return false;
    for (size_t k = 0; k < p.subs.size(); ++k)
      if (!match(p.subs[k], fields[k], env))
        return false;
    return true;
  }
  }
  return false;
}

ValuePtr Interpreter::Impl::shapeOf(const Value &t) {
  std::vector<ValuePtr> dims;
  for (int64_t d : t.shape)
    dims.push_back(Value::integer(d));
  return Value::list(std::move(dims));
}

ValuePtr Interpreter::Impl::valuesOf(const Value &t) {
  std::vector<ValuePtr> vals;
  vals.reserve(t.data.size());
  for (float x : t.data)
    vals.push_back(Value::real(x));
  return Value::list(std::move(vals));
}

ValuePtr Interpreter::Impl::eval(const Expr &e, const EnvPtr &env) {
  if (failed)
    return nullptr;
  if (stepLimit && ++steps > stepLimit)
    return fail(e.getLoc(), "evaluation took more than " +
                                llvm::Twine(stepLimit) + " steps");
  if (++depth > kMaxDepth) {
    --depth;
    return fail(e.getLoc(), "recursion deeper than " + llvm::Twine(kMaxDepth) +
                                " evaluations");
  }
  // Builds whose frames are larger (sanitizers, -O0) and threads with
  // small stacks get a located error instead of a stack overflow.
  if (isStackNearlyExhausted()) {
    --depth;
    return fail(e.getLoc(), "recursion too deep for the stack (" +
                                llvm::Twine(depth) + " evaluations)");
  }
  ValuePtr v = evalImpl(e, env);
  --depth;
  if (v && v->depth > kMaxValueDepth)
    return fail(e.getLoc(), "value nested deeper than " +
                                llvm::Twine(kMaxValueDepth) + " levels");
  if (v && v->kind == Value::Kind::Tensor)
    largestTensorBytes =
        std::max(largestTensorBytes, v->data.size() * sizeof(float));
  return v;
}

ValuePtr Interpreter::Impl::evalImpl(const Expr &e, const EnvPtr &env) {
  switch (e.getKind()) {
  case Expr::Kind::Number: {
    auto &n = llvm::cast<ast::NumberExpr>(e);
    sema::TypePtr t = sema::prune(e.type);
    if (t && t->isCon("Float"))
      return Value::real(n.getValue());
    return Value::integer(n.getIntValue());
  }
  case Expr::Kind::Name:
    return name(llvm::cast<ast::NameExpr>(e), env);
  case Expr::Kind::Call:
    return callExpr(llvm::cast<ast::CallExpr>(e), env);
  case Expr::Kind::Field:
    return field(llvm::cast<ast::FieldExpr>(e), env);
  case Expr::Kind::Index: {
    auto &ix = llvm::cast<ast::IndexExpr>(e);
    ValuePtr base = eval(ix.getBase(), env);
    ValuePtr index = base ? eval(ix.getIndex(), env) : nullptr;
    if (!index)
      return nullptr;
    if (index->i < 0 || index->i >= int64_t(base->elems.size()))
      return fail(e.getLoc(), "index " + llvm::Twine(index->i) +
                                  " out of range for a list of " +
                                  llvm::Twine(base->elems.size()));
    return base->elems[size_t(index->i)];
  }
  case Expr::Kind::Slice: {
    auto &sl = llvm::cast<ast::SliceExpr>(e);
    ValuePtr base = eval(sl.getBase(), env);
    if (!base)
      return nullptr;
    int64_t n = base->kind == Value::Kind::Tensor
                    ? (base->shape.empty() ? 0 : base->shape[0])
                    : int64_t(base->elems.size());
    int64_t lo = 0, hi = n;
    if (sl.getLo()) {
      ValuePtr v = eval(*sl.getLo(), env);
      if (!v)
        return nullptr;
      lo = v->i;
    }
    if (sl.getHi()) {
      ValuePtr v = eval(*sl.getHi(), env);
      if (!v)
        return nullptr;
      hi = v->i;
    }
    if (base->kind == Value::Kind::Tensor) {
      TensorResult r = tensorRows(*base, lo, hi);
      return r.value ? r.value : fail(e.getLoc(), r.error);
    }
    lo = std::clamp<int64_t>(lo, 0, n);
    hi = std::clamp<int64_t>(hi, lo, n);
    return Value::list(std::vector<ValuePtr>(base->elems.begin() + lo,
                                             base->elems.begin() + hi));
  }
  case Expr::Kind::Binary:
    return binary(llvm::cast<ast::BinaryExpr>(e), env);
  case Expr::Kind::Neg: {
    ValuePtr v = eval(llvm::cast<ast::UnaryExpr>(e).getOperand(), env);
    if (!v)
      return nullptr;
    if (v->kind == Value::Kind::Int)
      return Value::integer(int64_t(0 - uint64_t(v->i)));
    if (v->kind == Value::Kind::Float)
      return Value::real(-v->f);
    std::vector<float> data = v->data;
    for (float &x : data)
      x = -x;
    return Value::tensor(v->shape, std::move(data));
  }
  case Expr::Kind::Exists: {
    ValuePtr v = eval(llvm::cast<ast::UnaryExpr>(e).getOperand(), env);
    return v ? Value::boolean(v->ctor == "Some") : nullptr;
  }
  case Expr::Kind::Not: {
    ValuePtr v = eval(llvm::cast<ast::UnaryExpr>(e).getOperand(), env);
    return v ? Value::boolean(!v->b) : nullptr;
  }
  case Expr::Kind::Bool:
    return Value::boolean(llvm::cast<ast::BoolExpr>(e).getValue());
  case Expr::Kind::Lambda: {
    auto c = std::make_shared<Value>();
    c->kind = Value::Kind::Closure;
    c->lambda = &llvm::cast<ast::LambdaExpr>(e);
    c->env = env;
    noteCaptured(env);
    return c;
  }
  case Expr::Kind::If: {
    auto &i = llvm::cast<ast::IfExpr>(e);
    ValuePtr c = eval(i.getCond(), env);
    if (!c)
      return nullptr;
    return eval(c->b ? i.getThen() : i.getElse(), env);
  }
  case Expr::Kind::Handle:
    return handle(llvm::cast<ast::HandleExpr>(e), env);
  case Expr::Kind::Let: {
    auto &l = llvm::cast<ast::LetExpr>(e);
    EnvPtr inner = child(env);
    if (!bindLet(l.getPattern(), l.getValue(), inner))
      return nullptr;
    return eval(l.getBody(), inner);
  }
  case Expr::Kind::Block:
    return statements(llvm::cast<ast::BlockExpr>(e).getBlock().getStmts(),
                      child(env), nullptr);
  case Expr::Kind::List:
  case Expr::Kind::Tuple: {
    std::vector<ValuePtr> elems;
    for (const ast::ExprPtr &x : llvm::cast<ast::ListExpr>(e).getElems()) {
      elems.push_back(eval(*x, env));
      if (!elems.back())
        return nullptr;
    }
    ValuePtr v = Value::list(std::move(elems));
    if (e.getKind() == Expr::Kind::Tuple)
      const_cast<Value &>(*v).kind = Value::Kind::Tuple;
    return v;
  }
  case Expr::Kind::Comprehension: {
    auto &c = llvm::cast<ast::ComprehensionExpr>(e);
    ValuePtr src = eval(c.getSource(), env);
    if (!src)
      return nullptr;
    std::vector<ValuePtr> out;
    for (const ValuePtr &x : src->elems) {
      EnvPtr inner = child(env);
      inner->vars[c.getVar().str()] = x;
      if (c.getCond()) {
        ValuePtr keep = eval(*c.getCond(), inner);
        if (!keep)
          return nullptr;
        if (!keep->b)
          continue;
      }
      out.push_back(eval(c.getElem(), inner));
      if (!out.back())
        return nullptr;
    }
    return Value::list(std::move(out));
  }
  case Expr::Kind::Unit:
    return Value::unit();
  }
  return nullptr;
}

ValuePtr Interpreter::Impl::name(const ast::NameExpr &e, const EnvPtr &env) {
  switch (e.resolved) {
  case ast::NameKind::Local: {
    ValuePtr v = env->lookup(e.getName().str());
    if (!v)
      return fail(e.getLoc(), "'" + e.getName() + "' has no value");
    if (e.unwrapsOption)
      return v->elems.empty() ? fail(e.getLoc(), "empty Option") : v->elems[0];
    return v;
  }
  case ast::NameKind::Constructor:
    return Value::record(e.getName().str(), {});
  default:
    return fail(e.getLoc(),
                "'" + e.getName() + "' cannot be used as a value here yet");
  }
}

ValuePtr Interpreter::Impl::field(const ast::FieldExpr &e, const EnvPtr &env) {
  ValuePtr base = eval(e.getBase(), env);
  if (!base)
    return nullptr;
  if (base->kind == Value::Kind::Tensor) {
    if (e.getField() == "shape")
      return shapeOf(*base);
    if (e.getField() == "values")
      return valuesOf(*base);
  }
  // The field's position, as Sema resolved it from the declaration.
  if (base->kind == Value::Kind::Data && e.fieldIndex >= 0 &&
      size_t(e.fieldIndex) < base->elems.size())
    return base->elems[size_t(e.fieldIndex)];
  return fail(e.getLoc(), "no field '" + e.getField() + "' in " + base->str());
}

ValuePtr Interpreter::Impl::callExpr(const ast::CallExpr &e,
                                     const EnvPtr &env) {
  std::vector<ValuePtr> args;
  for (const ast::ExprPtr &a : e.getArgs()) {
    args.push_back(eval(*a, env));
    if (!args.back())
      return nullptr;
  }
  if (!e.performedEffect.empty())
    return perform(e.performedEffect, args, e);
  if (auto *callee = llvm::dyn_cast<ast::NameExpr>(&e.getCallee())) {
    if (callee->resolved == ast::NameKind::Constructor) {
      if (callee->getName() == "Tensor")
        return makeTensor(args, e.getLoc());
      if (callee->getName() == "Int8Tensor")
        return makeInt8Tensor(args, e.getLoc());
      return Value::record(callee->getName().str(), std::move(args));
    }
    if (callee->resolved == ast::NameKind::Prelude)
      return intrinsic(callee->getName(), args, e.getLoc());
  }
  if (auto *f = llvm::dyn_cast<ast::FieldExpr>(&e.getCallee());
      f && !f->qualifiedName.empty())
    return intrinsic(f->qualifiedName, args, e.getLoc());
  ValuePtr fn = eval(e.getCallee(), env);
  if (!fn)
    return nullptr;
  return call(fn, args, e.getLoc());
}

ValuePtr Interpreter::Impl::call(const ValuePtr &fn,
                                 const std::vector<ValuePtr> &args,
                                 Location at) {
  if (!fn || fn->kind != Value::Kind::Closure)
    return fail(at, "called value is not a function");
  const ast::LambdaExpr &l = *fn->lambda;
  if (l.getParams().size() != args.size())
    return fail(at, "wrong number of arguments");
  EnvPtr frame = child(fn->env);
  // A let-bound lambda sees itself by name.
  if (!l.boundName.empty())
    frame->vars[l.boundName] = fn;
  for (size_t k = 0; k < args.size(); ++k)
    frame->vars[l.getParams()[k].name] = args[k];
  // A library default's errors are the spec's call's.
  std::optional<Location> outer = preludeCallSite;
  if (fn->library && !outer)
    preludeCallSite = at;
  ValuePtr v = eval(l.getBody(), frame);
  preludeCallSite = outer;
  return v;
}

ValuePtr Interpreter::Impl::handle(const ast::HandleExpr &e,
                                   const EnvPtr &env) {
  handlers.push_back({&e, env});
  ValuePtr scrutinee = eval(e.getScrutinee(), env);
  handlers.pop_back();
  if (!scrutinee)
    return nullptr;
  for (const ast::Arm &arm : e.getArms()) {
    if (arm.kind == ast::Arm::Kind::Effect)
      continue;
    EnvPtr frame = child(env);
    const ast::Pattern &p =
        arm.kind == ast::Arm::Kind::Return ? arm.pattern.subs[0] : arm.pattern;
    if (match(p, scrutinee, *frame))
      return eval(*arm.body, frame);
  }
  bool onlyEffects = llvm::all_of(e.getArms(), [](const ast::Arm &a) {
    return a.kind == ast::Arm::Kind::Effect;
  });
  if (onlyEffects)
    return scrutinee;
  return fail(e.getLoc(), "no arm matches " + scrutinee->str());
}

ValuePtr Interpreter::Impl::binary(const ast::BinaryExpr &e,
                                   const EnvPtr &env) {
  llvm::StringRef op = e.getOp();
  if (op == "\u2192" || op == "and" || op == "or") {
    // Short-circuit: the right side runs only when it decides.
    ValuePtr a = eval(e.getLHS(), env);
    if (!a)
      return nullptr;
    if (op == "\u2192" && !a->b)
      return Value::boolean(true);
    if (op == "and" && !a->b)
      return Value::boolean(false);
    if (op == "or" && a->b)
      return Value::boolean(true);
    ValuePtr b = eval(e.getRHS(), env);
    return b ? Value::boolean(b->b) : nullptr;
  }
  ValuePtr a = eval(e.getLHS(), env);
  ValuePtr b = a ? eval(e.getRHS(), env) : nullptr;
  if (!b)
    return nullptr;
  if (e.operatorDecl) {
    // The operator's body, with its parameters bound; a spec's operator
    // sees the spec's helpers.
    EnvPtr frame = std::make_shared<Env>();
    if (isDeclaredInSpec(e.operatorDecl))
      frame->parent = helperScope;
    frame->vars[e.operatorDecl->getParams()[0].name] = a;
    frame->vars[e.operatorDecl->getParams()[1].name] = b;
    if (!e.operatorDecl->getBody())
      return fail(e.getLoc(), "operator without a body");
    std::optional<Location> outer = preludeCallSite;
    if (!outer && !isDeclaredInSpec(e.operatorDecl))
      preludeCallSite = e.getLoc();
    ValuePtr v = eval(*e.operatorDecl->getBody(), frame);
    preludeCallSite = outer;
    return v;
  }
  // Equality is a Bool on every type, tensors included (equal()).
  bool tensors =
      a->kind == Value::Kind::Tensor || b->kind == Value::Kind::Tensor;
  if (op == "++") {
    TensorResult r = tensorIntrinsic("concat", {a, b});
    return r.value ? r.value : fail(e.getLoc(), r.error);
  }
  if (tensors && op != "==" && op != "=" && op != "!=" && op != "\u2260") {
    TensorResult r = tensorArithmetic(op, a, b);
    return r.value ? r.value : fail(e.getLoc(), r.error);
  }
  if (op == "==" || op == "=")
    return Value::boolean(equal(a, b));
  if (op == "!=" || op == "\u2260")
    return Value::boolean(!equal(a, b));
  bool isInt = a->kind == Value::Kind::Int && b->kind == Value::Kind::Int;
  double x = a->kind == Value::Kind::Int ? double(a->i) : a->f;
  double y = b->kind == Value::Kind::Int ? double(b->i) : b->f;
  if (op == "<")
    return Value::boolean(x < y);
  if (op == ">")
    return Value::boolean(x > y);
  if (op == "<=" || op == "\u2264")
    return Value::boolean(x <= y);
  if (op == ">=" || op == "\u2265")
    return Value::boolean(x >= y);
  if (isInt) {
    int64_t p = a->i, q = b->i;
    if ((op == "/" || op == "%") && q == 0)
      return fail(e.getLoc(), "division by zero");
    // Int arithmetic wraps around, as two's complement does.
    auto wrap = [](uint64_t x) { return Value::integer(int64_t(x)); };
    if (op == "+")
      return wrap(uint64_t(p) + uint64_t(q));
    if (op == "-")
      return wrap(uint64_t(p) - uint64_t(q));
    if (op == "*")
      return wrap(uint64_t(p) * uint64_t(q));
    if (q == -1) // INT64_MIN / -1 overflows.
      return op == "/" ? wrap(0 - uint64_t(p)) : Value::integer(0);
    if (op == "/")
      return Value::integer(p / q);
    return Value::integer(p % q);
  }
  double r = op == "+"   ? x + y
             : op == "-" ? x - y
             : op == "*" ? x * y
             : op == "/" ? x / y
                         : std::fmod(x, y);
  // As the functions of Floats and the tensor algebra: no NaN is made
  // from numbers (0 / 0, inf - inf, x % 0).
  if (std::isnan(r) && !std::isnan(x) && !std::isnan(y))
    return fail(e.getLoc(), notANumber(op, {x, y}));
  return Value::real(r);
}

void Interpreter::Impl::noteCaptured(const EnvPtr &env) {
  if (!captured.empty() && captured.back().lock() == env)
    return;
  captured.push_back(env);
  if (captured.size() < capturedCompactAt)
    return;
  llvm::erase_if(captured,
                 [](const std::weak_ptr<Env> &w) { return w.expired(); });
  capturedCompactAt = std::max<size_t>(64, 2 * captured.size());
}

Interpreter::Interpreter(const ast::Module &module, SourceFile &source)
    : impl(std::make_unique<Impl>(module, source)) {}
Interpreter::~Interpreter() = default;

std::unique_ptr<ConceptResult>
Interpreter::runConcept(const ast::ConceptDecl &concept,
                        const std::map<std::string, ValuePtr> &params) {
  auto result = std::make_unique<ConceptResult>();
  // The spec's top-level lets, in an environment around the parameters'.
  auto helpers = std::make_shared<Env>();
  impl->draws = RandomDraws();
  if (!concept.getHelpers().empty() &&
      !impl->statements(concept.getHelpers(), helpers, nullptr))
    return nullptr;
  impl->helperScope = helpers;
  result->scope = std::make_shared<Env>();
  result->scope->parent = helpers;
  for (const ast::Field &p : concept.getParams()) {
    auto it = params.find(p.name);
    if (it == params.end()) {
      impl->fail(p.loc, "no value for parameter '" + p.name + "'");
      return nullptr;
    }
    result->scope->vars[p.name] = it->second;
  }
  result->value = impl->statements(concept.getBody().getStmts(), result->scope,
                                   result.get());
  if (!result->value)
    return nullptr;
  result->draws = impl->draws;
  return result;
}

void Interpreter::setStepLimit(uint64_t steps) { impl->stepLimit = steps; }

void Interpreter::resumeDraws(const ConceptResult &concept) {
  impl->draws = concept.draws;
}

void Interpreter::setAttentionHead(int64_t head) { impl->attentionHead = head; }

ValuePtr Interpreter::call(const ValuePtr &fn,
                           const std::vector<ValuePtr> &args, Location at) {
  // A call from outside is a run of its own: an error in an earlier one
  // (reported then) does not stop it, and MemoryConstraint counts the
  // tensors this run makes.
  impl->failed = false;
  impl->largestTensorBytes = 0;
  return impl->call(fn, args, at);
}

ValuePtr Interpreter::evaluate(const ast::Expr &expr, const EnvPtr &scope,
                               const std::map<std::string, ValuePtr> &b) {
  EnvPtr frame = child(scope);
  for (auto &[name, v] : b)
    frame->vars[name] = v;
  return impl->eval(expr, frame);
}

ValuePtr fac::interp::defaultParameter(const sema::TypePtr &type) {
  sema::TypePtr t = sema::prune(type);
  if (t->isCon("List"))
    return Value::list({});
  if (t->isCon("LanguageModel"))
    return Value::record("LanguageModel", {});
  if (t->getKind() != sema::Type::Kind::Function)
    return nullptr;
  // Function-typed parameters default to the prelude's library versions,
  // written in FAC and checked like any spec; run once.
  struct Defaults {
    std::unique_ptr<SourceFile> source;
    std::unique_ptr<ast::Module> module;
    std::unique_ptr<Interpreter> interp;
    std::unique_ptr<ConceptResult> result;
  };
  static const Defaults defaults = [] {
    static const char text[] = R"fac(
Defaults := () :: {
  let compressionScheme = (tensor: Tensor, ratio: Float) => Compress(tensor, ratio)
  let decompressionScheme = (tree: TensorTree) => Decompress(tree)
  let attentionMask = (query: Tensor, key: Tensor, value: Tensor) => Attend(query, key, value)
  ()
}
)fac";
    Defaults d;
    d.source = std::make_unique<SourceFile>(
        llvm::MemoryBuffer::getMemBuffer(text, "<defaults>"));
    d.source->setQuiet(true); // Its unused bindings are on purpose.
    d.module = parseModule(*d.source);
    if (!d.module || !checkModule(*d.module, *d.source))
      return d;
    d.interp = std::make_unique<Interpreter>(*d.module, *d.source);
    d.result = d.interp->runConcept(
        llvm::cast<ast::ConceptDecl>(*d.module->getDecls().front()), {});
    return d;
  }();
  if (!defaults.result)
    return nullptr;
  for (auto &[name, v] : defaults.result->scope->vars)
    if (v->kind == Value::Kind::Closure &&
        sema::prune(v->lambda->type)->str() == t->str()) {
      auto copy = std::make_shared<Value>(*v);
      copy->library = true;
      return copy;
    }
  return nullptr;
}
