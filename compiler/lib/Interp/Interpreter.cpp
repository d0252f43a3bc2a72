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

#include "fac/Interp/Interpreter.h"

#include "facrt/facrt.h"

#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <random>

using namespace fac;
using namespace fac::interp;
using ast::Expr;

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

ValuePtr Value::unit() { return std::make_shared<Value>(); }
ValuePtr Value::boolean(bool b) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Bool;
  v->b = b;
  return v;
}
ValuePtr Value::integer(int64_t i) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Int;
  v->i = i;
  return v;
}
ValuePtr Value::real(double f) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Float;
  v->f = f;
  return v;
}
ValuePtr Value::tensor(std::vector<int64_t> shape, std::vector<float> data) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Tensor;
  v->shape = std::move(shape);
  v->data = std::move(data);
  return v;
}
ValuePtr Value::list(std::vector<ValuePtr> elems) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::List;
  v->elems = std::move(elems);
  return v;
}
ValuePtr Value::record(std::string ctor, std::vector<ValuePtr> fields) {
  auto v = std::make_shared<Value>();
  v->kind = Kind::Data;
  v->ctor = std::move(ctor);
  v->elems = std::move(fields);
  return v;
}

std::string Value::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  switch (kind) {
  case Kind::Unit:
    os << "()";
    break;
  case Kind::Bool:
    os << (b ? "true" : "false");
    break;
  case Kind::Int:
    os << i;
    break;
  case Kind::Float:
    os << f;
    break;
  case Kind::Tensor:
    os << "Tensor[";
    for (size_t k = 0; k < shape.size(); ++k)
      os << (k ? ", " : "") << shape[k];
    os << "]";
    break;
  case Kind::List:
    os << "List(" << elems.size() << ")";
    break;
  case Kind::Tuple:
    os << "Tuple(" << elems.size() << ")";
    break;
  case Kind::Data:
    os << ctor << (elems.empty() ? "" : "(...)");
    break;
  case Kind::Closure:
    os << "<function>";
    break;
  }
  return os.str();
}

ValuePtr Env::lookup(const std::string &name) const {
  for (const Env *e = this; e; e = e->parent.get()) {
    auto it = e->vars.find(name);
    if (it != e->vars.end())
      return it->second;
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// The evaluator
//===----------------------------------------------------------------------===//

namespace {

EnvPtr child(const EnvPtr &parent) {
  auto e = std::make_shared<Env>();
  e->parent = parent;
  return e;
}

/// A tensor as a 2-d view (a 1-d tensor is one row).
fac_memref2d_f32 view(const Value &t) {
  int64_t cols = t.shape.empty() ? 1 : t.shape.back();
  int64_t rows = cols ? int64_t(t.data.size()) / cols : 0;
  return facrt_view2d(const_cast<float *>(t.data.data()), rows, cols, cols,
                      0);
}

} // namespace

class Interpreter::Impl {
public:
  Impl(const ast::Module &module, SourceFile &source)
      : module(module), source(source) {}

  /// Reports an error at \p loc and stops the run.
  ValuePtr fail(Location loc, const llvm::Twine &msg) {
    if (!failed)
      source.error(loc, "runtime error: " + msg);
    failed = true;
    return nullptr;
  }

  //===--------------------------------------------------------------------===//
  // Statements
  //===--------------------------------------------------------------------===//

  /// Runs \p stmts in \p env; the value of the last, if an expression.
  ValuePtr statements(const std::vector<ast::StmtPtr> &stmts,
                      const EnvPtr &env, ConceptResult *result) {
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

  bool bindLet(const ast::Pattern &pattern, const Expr &value,
               const EnvPtr &env) {
    ValuePtr v = eval(value, env);
    if (!v)
      return false;
    if (!match(pattern, v, *env))
      return fail(pattern.loc, "the value does not match the pattern"),
             false;
    return true;
  }

  /// Matches \p v against \p p, binding names into \p env.
  bool match(const ast::Pattern &p, const ValuePtr &v, Env &env) {
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

  static ValuePtr shapeOf(const Value &t) {
    std::vector<ValuePtr> dims;
    for (int64_t d : t.shape)
      dims.push_back(Value::integer(d));
    return Value::list(std::move(dims));
  }
  static ValuePtr valuesOf(const Value &t) {
    std::vector<ValuePtr> vals;
    vals.reserve(t.data.size());
    for (float x : t.data)
      vals.push_back(Value::real(x));
    return Value::list(std::move(vals));
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  ValuePtr eval(const Expr &e, const EnvPtr &env) {
    if (failed)
      return nullptr;
    if (++depth > kMaxDepth) {
      --depth;
      return fail(e.getLoc(), "recursion deeper than " +
                                  llvm::Twine(kMaxDepth) + " calls");
    }
    ValuePtr v = evalImpl(e, env);
    --depth;
    return v;
  }

  ValuePtr evalImpl(const Expr &e, const EnvPtr &env) {
    switch (e.getKind()) {
    case Expr::Kind::Number: {
      auto &n = llvm::cast<ast::NumberExpr>(e);
      sema::TypePtr t = sema::prune(e.type);
      if (t && t->isCon("Float"))
        return Value::real(n.getValue());
      return Value::integer(int64_t(n.getValue()));
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
      int64_t n = int64_t(base->elems.size()), lo = 0, hi = n;
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
        return Value::integer(-v->i);
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
    case Expr::Kind::Lambda: {
      auto c = std::make_shared<Value>();
      c->kind = Value::Kind::Closure;
      c->lambda = &llvm::cast<ast::LambdaExpr>(e);
      c->env = env;
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

  ValuePtr name(const ast::NameExpr &e, const EnvPtr &env) {
    switch (e.resolved) {
    case ast::NameKind::Local: {
      ValuePtr v = env->lookup(e.getName().str());
      if (!v)
        return fail(e.getLoc(), "'" + e.getName() + "' has no value");
      if (e.unwrapsOption)
        return v->elems.empty() ? fail(e.getLoc(), "empty Option")
                                : v->elems[0];
      return v;
    }
    case ast::NameKind::Constructor:
      return Value::record(e.getName().str(), {});
    default:
      return fail(e.getLoc(), "'" + e.getName() +
                                  "' cannot be used as a value here yet");
    }
  }

  ValuePtr field(const ast::FieldExpr &e, const EnvPtr &env) {
    ValuePtr base = eval(e.getBase(), env);
    if (!base)
      return nullptr;
    if (base->kind == Value::Kind::Tensor) {
      if (e.getField() == "shape")
        return shapeOf(*base);
      if (e.getField() == "values")
        return valuesOf(*base);
    }
    if (base->kind == Value::Kind::Data) {
      auto index = fieldIndex(base->ctor, e.getField());
      if (index >= 0 && size_t(index) < base->elems.size())
        return base->elems[size_t(index)];
    }
    return fail(e.getLoc(), "no field '" + e.getField() + "' in " +
                                base->str());
  }

  /// The position of field \p name in constructor \p ctor.
  int fieldIndex(llvm::StringRef ctor, llvm::StringRef name) {
    auto fields = fieldsOf(ctor);
    for (size_t k = 0; k < fields.size(); ++k)
      if (fields[k] == name)
        return int(k);
    return -1;
  }

  /// The field names of a constructor, from the spec's or the prelude's
  /// declarations.
  std::vector<std::string> fieldsOf(llvm::StringRef ctor) {
    static const std::map<std::string, std::vector<std::string>> prelude = {
        {"Node", {"tensor", "children"}},
        {"Some", {"value"}},
        {"AttentionPattern", {"query", "key", "value"}},
        {"CompressionRule", {"pattern", "substitute"}},
        {"AttentionWeight", {"query", "key", "value"}},
        {"FractalCode", {"level", "code"}},
        {"CompressedWeight", {"fractalCode", "scaleFactor"}}};
    for (const ast::DeclPtr &d : module.getDecls())
      if (auto *t = llvm::dyn_cast<ast::TypeDecl>(d.get())) {
        std::vector<std::string> names;
        if (t->getAlias() && t->getAlias()->kind == ast::TypeRef::Kind::Record &&
            t->getName() == ctor)
          return t->getAlias()->names;
        for (const ast::Ctor &c : t->getCtors())
          if (c.name == ctor) {
            for (const ast::Field &f : c.fields)
              names.push_back(f.name);
            return names;
          }
      }
    auto it = prelude.find(ctor.str());
    return it == prelude.end() ? std::vector<std::string>() : it->second;
  }

  //===--------------------------------------------------------------------===//
  // Calls, intrinsics and effects
  //===--------------------------------------------------------------------===//

  ValuePtr callExpr(const ast::CallExpr &e, const EnvPtr &env) {
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

  ValuePtr call(const ValuePtr &fn, const std::vector<ValuePtr> &args,
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
    return eval(l.getBody(), frame);
  }

  ValuePtr makeTensor(const std::vector<ValuePtr> &args, Location at) {
    std::vector<int64_t> shape;
    int64_t size = 1;
    for (const ValuePtr &d : args[0]->elems) {
      if (d->i < 0 || d->i > (int64_t(1) << 28) || size > (int64_t(1) << 28))
        return fail(at, "tensor shape out of range");
      shape.push_back(d->i);
      size *= d->i;
    }
    if (size != int64_t(args[1]->elems.size()))
      return fail(at, "a tensor of shape with " + llvm::Twine(size) +
                          " elements given " +
                          llvm::Twine(args[1]->elems.size()) + " values");
    std::vector<float> data;
    for (const ValuePtr &x : args[1]->elems)
      data.push_back(float(x->kind == Value::Kind::Int ? double(x->i) : x->f));
    return Value::tensor(std::move(shape), std::move(data));
  }

  ValuePtr intrinsic(llvm::StringRef name, const std::vector<ValuePtr> &args,
                     Location at) {
    auto num = [](const ValuePtr &v) {
      return v->kind == Value::Kind::Int ? double(v->i) : v->f;
    };
    if (name == "sqrt")
      return Value::real(std::sqrt(num(args[0])));
    if (name == "float")
      return Value::real(double(args[0]->i));
    if (name == "len")
      return Value::integer(int64_t(args[0]->elems.size()));
    if (name == "range") {
      std::vector<ValuePtr> out;
      for (int64_t k = 0; k < args[0]->i && k < (int64_t(1) << 24); ++k)
        out.push_back(Value::integer(k));
      return Value::list(std::move(out));
    }
    if (name == "magnitude") {
      if (args[0]->kind == Value::Kind::Tensor) {
        double s = 0;
        for (float x : args[0]->data)
          s += double(x) * x;
        return Value::real(std::sqrt(s));
      }
      return Value::real(treeMagnitude(args[0]));
    }
    if (name == "map" || name == "List.map" || name == "List.init" ||
        name == "find" || name == "List.fold") {
      std::vector<ValuePtr> out;
      if (name == "List.init") {
        for (int64_t k = 0; k < args[0]->i; ++k) {
          out.push_back(call(args[1], {Value::integer(k)}, at));
          if (!out.back())
            return nullptr;
        }
        return Value::list(std::move(out));
      }
      if (name == "List.fold") {
        ValuePtr acc = args[1];
        for (const ValuePtr &x : args[0]->elems)
          if (!(acc = call(args[2], {acc, x}, at)))
            return nullptr;
        return acc;
      }
      bool indexed = name == "List.map";
      const ValuePtr &fn = indexed ? args[1] : args[0];
      const ValuePtr &xs = indexed ? args[0] : args[1];
      for (size_t k = 0; k < xs->elems.size(); ++k) {
        ValuePtr r = indexed ? call(fn, {xs->elems[k], Value::integer(k)}, at)
                             : call(fn, {xs->elems[k]}, at);
        if (!r)
          return nullptr;
        if (name == "find") {
          if (r->b)
            return Value::record("Some", {xs->elems[k]});
          continue;
        }
        out.push_back(r);
      }
      if (name == "find")
        return Value::record("None", {});
      return Value::list(std::move(out));
    }
    if (name == "matmul")
      return matmul(args[0], args[1], at);
    if (name == "RandomNormal" || name == "initRandom") {
      int64_t count = 1;
      double mean = 0, std = 0.02;
      if (name == "RandomNormal") {
        count = args[0]->i;
        mean = num(args[1]);
        std = num(args[2]);
      } else {
        for (const ValuePtr &d : args[0]->elems)
          count *= d->i;
      }
      if (count < 0 || count > (int64_t(1) << 24))
        return fail(at, "random tensor too large");
      std::normal_distribution<double> dist(mean, std);
      std::vector<ValuePtr> out;
      for (int64_t k = 0; k < count; ++k)
        out.push_back(Value::real(dist(rng)));
      return Value::list(std::move(out));
    }
    if (name == "sampleCode") {
      std::uniform_int_distribution<int64_t> dist(0, 7);
      std::vector<ValuePtr> out;
      for (int64_t k = 0; k < std::max<int64_t>(args[0]->i, 0) + 1; ++k)
        out.push_back(Value::integer(dist(rng)));
      return Value::list(std::move(out));
    }
    if (name == "equal")
      return Value::boolean(equal(args[0], args[1]));
    return fail(at, "the interpreter has no implementation of '" + name +
                        "' yet");
  }

  double treeMagnitude(const ValuePtr &tree) {
    // The norm of the dense tensor the tree stands for: its leaves.
    if (tree->kind != Value::Kind::Data || tree->elems.size() != 2)
      return 0;
    const ValuePtr &children = tree->elems[1];
    if (children->elems.empty()) {
      double s = 0;
      for (float x : tree->elems[0]->data)
        s += double(x) * x;
      return std::sqrt(s);
    }
    double s = 0;
    for (const ValuePtr &c : children->elems) {
      double m = treeMagnitude(c);
      s += m * m;
    }
    return std::sqrt(s);
  }

  bool equal(const ValuePtr &a, const ValuePtr &b) {
    if (a->kind != b->kind)
      return false;
    switch (a->kind) {
    case Value::Kind::Unit:
      return true;
    case Value::Kind::Bool:
      return a->b == b->b;
    case Value::Kind::Int:
      return a->i == b->i;
    case Value::Kind::Float:
      return a->f == b->f;
    case Value::Kind::Tensor:
      return a->shape == b->shape && a->data == b->data;
    case Value::Kind::Closure:
      return a.get() == b.get();
    default:
      if (a->ctor != b->ctor || a->elems.size() != b->elems.size())
        return false;
      for (size_t k = 0; k < a->elems.size(); ++k)
        if (!equal(a->elems[k], b->elems[k]))
          return false;
      return true;
    }
  }

  ValuePtr matmul(const ValuePtr &a, const ValuePtr &b, Location at) {
    fac_memref2d_f32 x = view(*a), y = view(*b);
    if (x.sizes[1] != y.sizes[0])
      return fail(at, "matmul of " + a->str() + " by " + b->str());
    std::vector<float> out(size_t(x.sizes[0] * y.sizes[1]), 0.0f);
    for (int64_t i = 0; i < x.sizes[0]; ++i)
      for (int64_t k = 0; k < x.sizes[1]; ++k)
        for (int64_t j = 0; j < y.sizes[1]; ++j)
          out[i * y.sizes[1] + j] +=
              a->data[i * x.sizes[1] + k] * b->data[k * y.sizes[1] + j];
    return Value::tensor({x.sizes[0], y.sizes[1]}, std::move(out));
  }

  /// A perform: the nearest clause of an enclosing handle, else the
  /// library handler.
  ValuePtr perform(const std::string &effect,
                   const std::vector<ValuePtr> &args, const ast::CallExpr &e) {
    for (size_t h = handlers.size(); h-- > 0;)
      for (const ast::Arm &arm : handlers[h].expr->getArms())
        if (arm.kind == ast::Arm::Kind::Effect && arm.pattern.name == effect) {
          EnvPtr frame = child(handlers[h].env);
          for (size_t k = 0; k < args.size(); ++k)
            match(arm.pattern.subs[k], args[k], *frame);
          // The clause runs outside the handler it belongs to.
          std::vector<Handler> inner(handlers.begin() + h, handlers.end());
          handlers.resize(h);
          ValuePtr v = eval(*arm.body, frame);
          handlers.insert(handlers.end(), inner.begin(), inner.end());
          return v;
        }
    if (effect == "Attend" && args[0]->kind == Value::Kind::Tensor)
      return attend(args, e.getLoc());
    return fail(e.getLoc(), "the interpreter has no library handler for "
                            "effect '" +
                                effect + "' with these arguments yet");
  }

  /// The prelude's dense Attend, in fp64.
  ValuePtr attend(const std::vector<ValuePtr> &args, Location at) {
    fac_memref2d_f32 q = view(*args[0]), k = view(*args[1]),
                     v = view(*args[2]);
    if (q.sizes[1] != k.sizes[1] || k.sizes[0] != v.sizes[0])
      return fail(at, "Attend of " + args[0]->str() + ", " + args[1]->str() +
                          ", " + args[2]->str());
    std::vector<double> out(size_t(q.sizes[0] * v.sizes[1]));
    facrt_attention_ref_f64(&q, &k, &v, 1.0 / std::sqrt(double(q.sizes[1])),
                            0, out.data());
    return Value::tensor({q.sizes[0], v.sizes[1]},
                         std::vector<float>(out.begin(), out.end()));
  }

  ValuePtr handle(const ast::HandleExpr &e, const EnvPtr &env) {
    handlers.push_back({&e, env});
    ValuePtr scrutinee = eval(e.getScrutinee(), env);
    handlers.pop_back();
    if (!scrutinee)
      return nullptr;
    for (const ast::Arm &arm : e.getArms()) {
      if (arm.kind == ast::Arm::Kind::Effect)
        continue;
      EnvPtr frame = child(env);
      const ast::Pattern &p = arm.kind == ast::Arm::Kind::Return
                                  ? arm.pattern.subs[0]
                                  : arm.pattern;
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

  ValuePtr binary(const ast::BinaryExpr &e, const EnvPtr &env) {
    llvm::StringRef op = e.getOp();
    if (op == "\u2192") {
      ValuePtr a = eval(e.getLHS(), env);
      if (!a)
        return nullptr;
      if (!a->b)
        return Value::boolean(true);
      ValuePtr b = eval(e.getRHS(), env);
      return b ? Value::boolean(b->b) : nullptr;
    }
    ValuePtr a = eval(e.getLHS(), env);
    ValuePtr b = a ? eval(e.getRHS(), env) : nullptr;
    if (!b)
      return nullptr;
    if (e.operatorDecl) {
      // The operator's body, with its parameters bound.
      EnvPtr frame = std::make_shared<Env>();
      frame->vars[e.operatorDecl->getParams()[0].name] = a;
      frame->vars[e.operatorDecl->getParams()[1].name] = b;
      if (!e.operatorDecl->getBody())
        return fail(e.getLoc(), "operator without a body");
      return eval(*e.operatorDecl->getBody(), frame);
    }
    bool tensors = a->kind == Value::Kind::Tensor ||
                   b->kind == Value::Kind::Tensor;
    if (tensors)
      return tensorArith(op, a, b, e.getLoc());
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
      if (op == "+")
        return Value::integer(p + q);
      if (op == "-")
        return Value::integer(p - q);
      if (op == "*")
        return Value::integer(p * q);
      if (op == "/")
        return Value::integer(p / q);
      return Value::integer(p % q);
    }
    if (op == "+")
      return Value::real(x + y);
    if (op == "-")
      return Value::real(x - y);
    if (op == "*")
      return Value::real(x * y);
    if (op == "/")
      return Value::real(x / y);
    return Value::real(std::fmod(x, y));
  }

  ValuePtr tensorArith(llvm::StringRef op, const ValuePtr &a,
                       const ValuePtr &b, Location at) {
    const Value &t = a->kind == Value::Kind::Tensor ? *a : *b;
    std::vector<float> out = t.data;
    bool both = a->kind == Value::Kind::Tensor && b->kind == Value::Kind::Tensor;
    if (both && a->data.size() != b->data.size())
      return fail(at, "elementwise '" + op + "' of " + a->str() + " and " +
                          b->str());
    for (size_t k = 0; k < out.size(); ++k) {
      double x = a->kind == Value::Kind::Tensor ? a->data[k] : a->f;
      double y = b->kind == Value::Kind::Tensor ? b->data[k] : b->f;
      out[k] = float(op == "+"   ? x + y
                     : op == "-" ? x - y
                     : op == "*" ? x * y
                                 : x / y);
    }
    return Value::tensor(t.shape, std::move(out));
  }

  struct Handler {
    const ast::HandleExpr *expr;
    EnvPtr env;
  };

  static constexpr unsigned kMaxDepth = 5000;
  const ast::Module &module;
  SourceFile &source;
  std::vector<Handler> handlers;
  std::mt19937 rng{1234};
  unsigned depth = 0;
  bool failed = false;
};

Interpreter::Interpreter(const ast::Module &module, SourceFile &source)
    : impl(std::make_unique<Impl>(module, source)) {}
Interpreter::~Interpreter() = default;

std::unique_ptr<ConceptResult>
Interpreter::runConcept(const ast::ConceptDecl &concept,
                        const std::map<std::string, ValuePtr> &params) {
  auto result = std::make_unique<ConceptResult>();
  result->scope = std::make_shared<Env>();
  for (const ast::Field &p : concept.getParams()) {
    auto it = params.find(p.name);
    if (it == params.end()) {
      impl->fail(p.loc, "no value for parameter '" + p.name + "'");
      return nullptr;
    }
    result->scope->vars[p.name] = it->second;
  }
  result->value =
      impl->statements(concept.getBody().getStmts(), result->scope,
                       result.get());
  if (!result->value)
    return nullptr;
  return result;
}

ValuePtr Interpreter::call(const ValuePtr &fn,
                           const std::vector<ValuePtr> &args, Location at) {
  return impl->call(fn, args, at);
}

ValuePtr Interpreter::evaluate(const ast::Expr &expr, const EnvPtr &scope,
                               const std::map<std::string, ValuePtr> &b) {
  EnvPtr frame = child(scope);
  for (auto &[name, v] : b)
    frame->vars[name] = v;
  return impl->eval(expr, frame);
}
