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

#include "TensorAlgebra.h"
#include "Values.h"

#include "fac/AST/ASTBuilder.h"
#include "fac/Sema/Sema.h"
#include "fac/Support/Intrinsics.h"
#include "fac/Support/LibraryEffects.h"
#include "fac/Support/StackGuard.h"
#include "fac/Support/WeightCodes.h"

#include "facrt/facrt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <set>

using namespace fac;
using namespace fac::interp;
using ast::Expr;

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
  return facrt_view2d(const_cast<float *>(t.data.data()), rows, cols, cols, 0);
}

} // namespace

class Interpreter::Impl {
public:
  Impl(const ast::Module &module, SourceFile &source)
      : module(module), source(source) {}

  /// Reports an error at \p loc and stops the run.
  ValuePtr fail(Location loc, const llvm::Twine &msg) {
    // Inside a prelude operator's body, locations are the prelude's: the
    // error is the spec's expression that applied the operator.
    if (!failed)
      source.error(preludeCallSite.value_or(loc), "runtime error: " + msg);
    failed = true;
    return nullptr;
  }

  //===--------------------------------------------------------------------===//
  // Statements
  //===--------------------------------------------------------------------===//

  /// Runs \p stmts in \p env; the value of the last, if an expression.
  ValuePtr statements(const std::vector<ast::StmtPtr> &stmts, const EnvPtr &env,
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

  bool bindLet(const ast::Pattern &pattern, const Expr &value,
               const EnvPtr &env) {
    ValuePtr v = eval(value, env);
    if (!v)
      return false;
    if (!match(pattern, v, *env))
      return fail(pattern.loc, "the value does not match the pattern"), false;
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
    if (stepLimit && ++steps > stepLimit)
      return fail(e.getLoc(), "evaluation took more than " +
                                  llvm::Twine(stepLimit) + " steps");
    if (++depth > kMaxDepth) {
      --depth;
      return fail(e.getLoc(), "recursion deeper than " +
                                  llvm::Twine(kMaxDepth) + " evaluations");
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

  ValuePtr evalImpl(const Expr &e, const EnvPtr &env) {
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
      return fail(e.getLoc(),
                  "'" + e.getName() + "' cannot be used as a value here yet");
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
    // The field's position, as Sema resolved it from the declaration.
    if (base->kind == Value::Kind::Data && e.fieldIndex >= 0 &&
        size_t(e.fieldIndex) < base->elems.size())
      return base->elems[size_t(e.fieldIndex)];
    return fail(e.getLoc(),
                "no field '" + e.getField() + "' in " + base->str());
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
    // A library default's errors are the spec's call's.
    std::optional<Location> outer = preludeCallSite;
    if (fn->library && !outer)
      preludeCallSite = at;
    ValuePtr v = eval(l.getBody(), frame);
    preludeCallSite = outer;
    return v;
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
    if (size != int64_t(args[1]->elems.size())) {
      std::string dims;
      for (int64_t d : shape)
        dims += (dims.empty() ? "" : ", ") + std::to_string(d);
      return fail(at, "a tensor of shape [" + dims + "] (" + llvm::Twine(size) +
                          " elements) given " +
                          llvm::Twine(args[1]->elems.size()) + " values");
    }
    std::vector<float> data;
    for (const ValuePtr &x : args[1]->elems)
      data.push_back(float(x->kind == Value::Kind::Int ? double(x->i) : x->f));
    return Value::tensor(std::move(shape), std::move(data));
  }

  /// `Int8Tensor(shape, codes)`: as `Tensor(...)` checks its shape, and
  /// every code is an int8 (-128 to 127).
  ValuePtr makeInt8Tensor(const std::vector<ValuePtr> &args, Location at) {
    if (!makeTensor(args, at))
      return nullptr;
    for (const ValuePtr &c : args[1]->elems)
      if (c->i < -128 || c->i > 127)
        return fail(at, "an Int8Tensor's code " + llvm::Twine(c->i) +
                            " is not an int8 (-128 to 127)");
    return Value::record("Int8Tensor", args);
  }

  ValuePtr intrinsic(llvm::StringRef name, const std::vector<ValuePtr> &args,
                     Location at) {
    // The prelude's intrinsics by the one table (Intrinsics.def).
    std::optional<Intrinsic> which = lookupIntrinsic(name);
    auto num = [](const ValuePtr &v) {
      return v->kind == Value::Kind::Int ? double(v->i) : v->f;
    };
    // The functions of Floats: a NaN of numbers is an error here.
    auto real = [&](double r, std::initializer_list<double> in) -> ValuePtr {
      if (std::isnan(r) &&
          llvm::none_of(in, [](double v) { return std::isnan(v); })) {
        std::string text;
        llvm::raw_string_ostream os(text);
        for (double v : in)
          os << (text.empty() ? "" : ", ") << llvm::format("%g", v);
        return fail(at, "'" + name + "' of " + text + " is not a number");
      }
      return Value::real(r);
    };
    if (isTensorIntrinsic(name, args)) {
      TensorResult r = tensorIntrinsic(name, args);
      return r.value ? r.value : fail(at, r.error);
    }
#define FAC_UNARY(fn, expr, op)                                                \
  if (name == #fn) {                                                           \
    double x = num(args[0]);                                                   \
    return real(expr, {x});                                                    \
  }
#define FAC_BINARY(fn, expr, op)                                               \
  if (name == #fn) {                                                           \
    double x = num(args[0]), y = num(args[1]);                                 \
    return real(expr, {x, y});                                                 \
  }
#include "fac/Support/ScalarIntrinsics.def"
    if (which == Intrinsic::Float)
      return Value::real(double(args[0]->i));
    if (which == Intrinsic::Int) {
      // Toward zero; only a Float an Int holds converts.
      double x = std::trunc(num(args[0]));
      if (!(x >= -0x1p63 && x < 0x1p63)) {
        std::string text;
        llvm::raw_string_ostream(text) << llvm::format("%g", num(args[0]));
        return fail(at, "'int' of " + text + ", which no Int holds");
      }
      return Value::integer(int64_t(x));
    }
    if (which == Intrinsic::Len)
      return Value::integer(int64_t(args[0]->elems.size()));
    if (which == Intrinsic::Range) {
      std::vector<ValuePtr> out;
      if (args[0]->i > kMaxListLength)
        return fail(at, "range of " + llvm::Twine(args[0]->i) +
                            " is over the interpreter's limit");
      for (int64_t k = 0; k < args[0]->i; ++k)
        out.push_back(Value::integer(k));
      return Value::list(std::move(out));
    }
    if (which == Intrinsic::Magnitude) {
      if (args[0]->kind == Value::Kind::Tensor)
        return Value::real(std::sqrt(squaredNorm(*args[0])));
      return Value::real(treeMagnitude(args[0]));
    }
    if (which == Intrinsic::ListFlatten) {
      std::vector<ValuePtr> out;
      for (const ValuePtr &xs : args[0]->elems) {
        if (out.size() + xs->elems.size() > size_t(kMaxListLength))
          return fail(at, "List.flatten of more than " +
                              llvm::Twine(kMaxListLength) +
                              " elements is over the interpreter's limit");
        out.insert(out.end(), xs->elems.begin(), xs->elems.end());
      }
      return Value::list(std::move(out));
    }
    if (which == Intrinsic::Map || which == Intrinsic::ListMap ||
        which == Intrinsic::ListInit || which == Intrinsic::Find ||
        which == Intrinsic::ListFold) {
      std::vector<ValuePtr> out;
      if (which == Intrinsic::ListInit) {
        if (args[0]->i > kMaxListLength)
          return fail(at, "List.init of " + llvm::Twine(args[0]->i) +
                              " elements is over the interpreter's limit");
        for (int64_t k = 0; k < args[0]->i; ++k) {
          out.push_back(call(args[1], {Value::integer(k)}, at));
          if (!out.back())
            return nullptr;
        }
        return Value::list(std::move(out));
      }
      if (which == Intrinsic::ListFold) {
        ValuePtr acc = args[1];
        for (const ValuePtr &x : args[0]->elems)
          if (!(acc = call(args[2], {acc, x}, at)))
            return nullptr;
        return acc;
      }
      bool indexed = which == Intrinsic::ListMap;
      const ValuePtr &fn = indexed ? args[1] : args[0];
      const ValuePtr &xs = indexed ? args[0] : args[1];
      for (size_t k = 0; k < xs->elems.size(); ++k) {
        ValuePtr r = indexed ? call(fn, {xs->elems[k], Value::integer(k)}, at)
                             : call(fn, {xs->elems[k]}, at);
        if (!r)
          return nullptr;
        if (which == Intrinsic::Find) {
          if (r->b)
            return Value::record("Some", {xs->elems[k]});
          continue;
        }
        out.push_back(r);
      }
      if (which == Intrinsic::Find)
        return Value::record("None", {});
      return Value::list(std::move(out));
    }
    if (which == Intrinsic::Matmul)
      return matmul(args[0], args[1], at);
    if (which == Intrinsic::RandomNormal || which == Intrinsic::InitRandom) {
      int64_t count = 1;
      double mean = 0, std = 0.02;
      if (which == Intrinsic::RandomNormal) {
        count = args[0]->i;
        mean = num(args[1]);
        std = num(args[2]);
      } else {
        // Each dimension in range before multiplying: no wrap-around.
        for (const ValuePtr &d : args[0]->elems) {
          if (d->i < 0 || d->i > kMaxListLength)
            return fail(at, "random tensor dimension " + llvm::Twine(d->i) +
                                " out of range");
          count *= d->i;
          if (count > kMaxListLength)
            break;
        }
      }
      if (count < 0 || count > kMaxListLength)
        return fail(at, "random tensor of " + llvm::Twine(count) +
                            " values is out of the interpreter's range");
      if (!std::isfinite(mean) || !std::isfinite(std) || std < 0)
        return fail(at, "RandomNormal needs a finite mean and a finite "
                        "standard deviation >= 0");
      std::vector<ValuePtr> out;
      for (double x : draws.normal(count, mean, std))
        out.push_back(Value::real(x));
      return Value::list(std::move(out));
    }
    if (which == Intrinsic::SampleCode) {
      if (args[0]->i > kMaxListLength)
        return fail(at, "sampleCode level over the interpreter's limit");
      std::vector<ValuePtr> out;
      for (int64_t x : draws.code(args[0]->i))
        out.push_back(Value::integer(x));
      return Value::list(std::move(out));
    }
    if (name == "equal")
      return Value::boolean(equal(args[0], args[1]));
    if (which == Intrinsic::TreeJoin) {
      // A new root over both trees, holding their weighted mean.
      const Value &a = *args[0]->elems[0], &b = *args[1]->elems[0];
      if (a.data.size() != b.data.size())
        return fail(at, "treeJoin of trees of different widths");
      int64_t wa = 0, wb = 0;
      for (int64_t r = 0; r < a.rows(); ++r)
        wa += a.weight(r);
      for (int64_t r = 0; r < b.rows(); ++r)
        wb += b.weight(r);
      // Multiplicities double with every join: bounded before they wrap.
      if (wa + wb > kMaxListLength)
        return fail(at, "a tree of more than " + llvm::Twine(kMaxListLength) +
                            " tokens is over the interpreter's limit");
      std::vector<float> mean(a.data.size());
      for (size_t k = 0; k < mean.size(); ++k)
        mean[k] =
            (a.data[k] * float(wa) + b.data[k] * float(wb)) / float(wa + wb);
      auto summary = std::make_shared<Value>(*Value::tensor(a.shape, mean));
      if (a.rows() == 1)
        summary->rowWeights = {wa + wb};
      return Value::record("Node", {summary, Value::list({args[0], args[1]})});
    }
    if (which == Intrinsic::TreeMask) {
      // The mask applied to every node's tensor, as self-attention.
      return mapTree(args[0], [&](const ValuePtr &t) {
        ValuePtr r = call(args[1], {t, t, t}, at);
        if (r && r->kind == Value::Kind::Tensor && r->rows() == t->rows()) {
          auto w = std::make_shared<Value>(*r);
          w->rowWeights = t->rowWeights;
          return ValuePtr(w);
        }
        return r;
      });
    }
    if (which == Intrinsic::TreeLimit) {
      // The finest cut, expanded breadth first, whose leaves fit; even the
      // root must fit, or the limit cannot be met.
      int64_t budget = args[1]->i;
      int64_t rootBytes =
          int64_t(args[0]->elems[0]->data.size() * sizeof(float));
      if (budget < rootBytes)
        return fail(at, "memory limit of " + llvm::Twine(budget) +
                            " bytes cannot hold even the tree's root (" +
                            llvm::Twine(rootBytes) + " bytes)");
      return limitTree(args[0], budget);
    }
    if (which == Intrinsic::Matches)
      return Value::boolean(matches(args[0], args[1]));
    if (which == Intrinsic::FractalDecode) {
      // The first matrix of the code, which must have the asked shape.
      ValuePtr w = decodeWeight(
          Value::record("CompressedWeight", {args[0], Value::real(0)}), at);
      if (!w)
        return nullptr;
      const ValuePtr &m = w->elems[0];
      std::vector<int64_t> shape;
      for (const ValuePtr &d : args[1]->elems)
        shape.push_back(d->i);
      int64_t size = 1;
      for (int64_t d : shape)
        size *= d;
      if (size != int64_t(m->data.size()))
        return fail(at, "fractalDecode: the code decodes to " + m->str());
      return Value::tensor(shape, m->data);
    }
    if (which == Intrinsic::ApplyCompressed)
      return attentionForward(args[0], args[1], at);
    return fail(at,
                "the interpreter has no implementation of '" + name + "' yet");
  }

  /// The squared norm of the dense tensor \p t stands for: each row
  /// counted by its multiplicity.
  static double squaredNorm(const Value &t) {
    int64_t cols = t.shape.empty() ? 1 : t.shape.back();
    double s = 0;
    for (int64_t r = 0; r < t.rows(); ++r)
      for (int64_t k = 0; k < cols; ++k)
        s += double(t.weight(r)) * t.data[r * cols + k] * t.data[r * cols + k];
    return s;
  }

  ValuePtr mapTree(const ValuePtr &tree,
                   const std::function<ValuePtr(const ValuePtr &)> &f) {
    ValuePtr t = f(tree->elems[0]);
    if (!t)
      return nullptr;
    std::vector<ValuePtr> children;
    for (const ValuePtr &c : tree->elems[1]->elems) {
      children.push_back(mapTree(c, f));
      if (!children.back())
        return nullptr;
    }
    return Value::record("Node", {t, Value::list(std::move(children))});
  }

  /// Cuts \p tree to the leaves of the deepest breadth-first frontier whose
  /// tensors take at most \p budget bytes (the root's at least).
  ValuePtr limitTree(const ValuePtr &tree, int64_t budget) {
    // The frontier at each depth, from the root down, while the next one
    // fits; nodes are values, so the cut is by depth, not by identity (a
    // tree joined with itself is cut the same in both places).
    std::vector<ValuePtr> frontier{tree};
    auto bytes = [](const std::vector<ValuePtr> &nodes) {
      int64_t b = 0;
      for (const ValuePtr &n : nodes)
        b += int64_t(n->elems[0]->data.size() * sizeof(float));
      return b;
    };
    int64_t depth = 0;
    while (true) {
      std::vector<ValuePtr> next;
      for (const ValuePtr &n : frontier) {
        const std::vector<ValuePtr> &cs = n->elems[1]->elems;
        if (cs.empty())
          next.push_back(n);
        else
          next.insert(next.end(), cs.begin(), cs.end());
      }
      if (next.size() == frontier.size() || bytes(next) > budget)
        break;
      frontier = std::move(next);
      ++depth;
    }
    std::function<ValuePtr(const ValuePtr &, int64_t)> rebuild =
        [&](const ValuePtr &n, int64_t at) -> ValuePtr {
      std::vector<ValuePtr> children;
      if (at < depth)
        for (const ValuePtr &c : n->elems[1]->elems)
          children.push_back(rebuild(c, at + 1));
      return Value::record("Node",
                           {n->elems[0], Value::list(std::move(children))});
    };
    return rebuild(tree, 0);
  }

  double treeMagnitude(const ValuePtr &tree) {
    // The norm of the dense tensor the tree stands for: its leaves.
    if (tree->kind != Value::Kind::Data || tree->elems.size() != 2)
      return 0;
    const ValuePtr &children = tree->elems[1];
    if (children->elems.empty())
      return std::sqrt(squaredNorm(*tree->elems[0]));
    double s = 0;
    for (const ValuePtr &c : children->elems) {
      double m = treeMagnitude(c);
      s += m * m;
    }
    return std::sqrt(s);
  }

  /// The prelude's `matches`: whether \p x is (within a relative 1e-5) the
  /// value \p pattern describes. A tree matches an AttentionPattern when
  /// it matches any of its three trees.
  bool matches(const ValuePtr &x, const ValuePtr &pattern) {
    if (pattern->kind == Value::Kind::Data &&
        pattern->ctor == "AttentionPattern")
      return llvm::any_of(pattern->elems, [&](const ValuePtr &tree) {
        return matches(x, tree);
      });
    if (x->kind != pattern->kind)
      return false;
    switch (x->kind) {
    case Value::Kind::Tensor: {
      if (x->data.size() != pattern->data.size())
        return false;
      double num = 0, den = 0;
      for (size_t k = 0; k < x->data.size(); ++k) {
        num += std::fabs(double(x->data[k]) - pattern->data[k]);
        den += std::fabs(double(pattern->data[k]));
      }
      return num <= 1e-5 * std::max(den, 1e-30);
    }
    case Value::Kind::Float:
      return std::fabs(x->f - pattern->f) <= 1e-5 * std::fabs(pattern->f);
    case Value::Kind::Data:
    case Value::Kind::List:
    case Value::Kind::Tuple:
      if (x->ctor != pattern->ctor || x->elems.size() != pattern->elems.size())
        return false;
      for (size_t k = 0; k < x->elems.size(); ++k)
        if (!matches(x->elems[k], pattern->elems[k]))
          return false;
      return true;
    default:
      return equal(x, pattern);
    }
  }

  /// Tensor equality (docs/LanguageReference.md): element by element,
  /// |x - y| <= 1e-5 max(1, |x|, |y|), so that a kernel's f32 result and a
  /// tensor rebuilt from its values compare equal.
  static bool tensorsClose(const std::vector<float> &a,
                           const std::vector<float> &b) {
    if (a.size() != b.size())
      return false;
    for (size_t k = 0; k < a.size(); ++k) {
      double x = a[k], y = b[k];
      if (!(std::fabs(x - y) <=
            1e-5 * std::max({1.0, std::fabs(x), std::fabs(y)})))
        return false;
    }
    return true;
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
      return a->shape == b->shape && tensorsClose(a->data, b->data);
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

  /// A tensor as rows x columns from its shape (a 1-d tensor is one row),
  /// so that empty dimensions keep their meaning.
  static std::pair<int64_t, int64_t> matrixShape(const Value &t) {
    if (t.shape.empty())
      return {1, int64_t(t.data.size())};
    int64_t rows = 1;
    for (size_t k = 0; k + 1 < t.shape.size(); ++k)
      rows *= t.shape[k];
    return {rows, t.shape.back()};
  }

  ValuePtr matmul(const ValuePtr &a, const ValuePtr &b, Location at) {
    auto [n, inner] = matrixShape(*a);
    auto [innerB, m] = matrixShape(*b);
    if (inner != innerB)
      return fail(at, "matmul of " + a->str() + " by " + b->str());
    // The multiply-adds a run may spend in one product (about a second).
    constexpr int64_t kMaxWork = int64_t(1) << 30;
    if (n && m && inner && (n * m > kMaxWork / inner || n * m > kMaxListLength))
      return fail(at, "matmul of " + a->str() + " by " + b->str() +
                          " is over the interpreter's limit");
    std::vector<float> out(size_t(n * m), 0.0f);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < inner; ++k)
        for (int64_t j = 0; j < m; ++j)
          out[i * m + j] += a->data[i * inner + k] * b->data[k * m + j];
    return Value::tensor({n, m}, std::move(out));
  }

  /// A perform: the nearest clause of an enclosing handle, else the
  /// library handler.
  ValuePtr perform(const std::string &effect, const std::vector<ValuePtr> &args,
                   const ast::CallExpr &e) {
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
    if (!e.libraryEffect)
      return fail(e.getLoc(), "effect '" + effect +
                                  "' is performed outside any handler of it");
    switch (*e.libraryEffect) {
    case LibraryEffect::AttendHooks:
      return attendWithHooks(args, e.getLoc());
    case LibraryEffect::Attend:
      return attend(args, e.getLoc());
    case LibraryEffect::AttendTrees:
      return attendTrees(args, e.getLoc());
    case LibraryEffect::CompressToPyramid: {
      const Value &t = *args[0];
      int64_t cols = t.shape.empty() ? 1 : t.shape.back();
      // A tree's root summarises at least one token (as the runtime's
      // facrt_pyramid_build requires).
      if (t.rows() == 0)
        return fail(e.getLoc(), "cannot compress a tensor with no rows into "
                                "a tree: a tree stands for at least one token");
      return buildPyramid(t.data.data(), t.rows(), cols);
    }
    case LibraryEffect::DecompressPyramid: {
      std::vector<float> rows;
      std::vector<int64_t> weights;
      int64_t width = checkedLeaves(args[0], rows, weights, e.getLoc());
      if (width < 0)
        return nullptr;
      std::vector<float> tokens = repeatRows(rows, weights, width);
      int64_t n = width ? int64_t(tokens.size()) / width : 0;
      return Value::tensor({n, width}, std::move(tokens));
    }
    case LibraryEffect::CompressByRule: {
      // A tree the rule's pattern matches becomes a leaf of the substitute.
      const ValuePtr &rule = args[1];
      if (matches(args[0], rule->elems[0]))
        return Value::record("Node", {rule->elems[1], Value::list({})});
      return args[0];
    }
    case LibraryEffect::DecompressByRule: {
      // A tensor that is the rule's substitute expands to the value tree
      // of its pattern; anything else is a leaf.
      const ValuePtr &rule = args[1];
      if (matches(args[0], rule->elems[1]))
        return rule->elems[0]->elems[2];
      return Value::record("Node", {args[0], Value::list({})});
    }
    case LibraryEffect::AttentionComputation:
      return call(args[3], {args[0], args[1], args[2]}, e.getLoc());
    case LibraryEffect::CompressWeight:
      return compressWeight(args[0], args[1], e.getLoc());
    case LibraryEffect::Reconstruct:
      return decodeWeight(args[0], e.getLoc());
    case LibraryEffect::AttentionForward:
      return attentionForward(args[0], args[1], e.getLoc());
    case LibraryEffect::FractalForwardAtLevel:
      return fractalForward(args[0], args[1]->i, args[2], e.getLoc());
    case LibraryEffect::FractalForward: {
      // Without a level: every compressed weight in turn.
      ValuePtr x = args[0];
      for (const ValuePtr &w : args.back()->elems)
        if (!(x = attentionForward(x, w, e.getLoc())))
          return nullptr;
      return x;
    }
    case LibraryEffect::MemoryConstraint:
      return Value::record(
          int64_t(largestTensorBytes) <= args[0]->i ? "Satisfy" : "Violate",
          {});
    }
    llvm_unreachable("every row of LibraryEffects.def has a handler");
  }

  /// The prelude's dense Attend, in fp64.
  /// `Attend(q, k, v, score, mask)`: query row i of n at position
  /// m - n + i, key j at j; a key the mask drops is left out, every other
  /// score (q.k / sqrt(d), in f64) goes through `score`; a row with no key
  /// left is 0.
  ValuePtr attendWithHooks(const std::vector<ValuePtr> &args, Location at) {
    const Value &q = *args[0], &k = *args[1], &v = *args[2];
    int64_t n = q.rows(), m = k.rows();
    int64_t d = q.shape.empty() ? 1 : q.shape.back();
    int64_t dv = v.shape.empty() ? 1 : v.shape.back();
    if ((k.shape.empty() ? 1 : k.shape.back()) != d || v.rows() != m)
      return fail(at, "Attend of " + args[0]->str() + ", " + args[1]->str() +
                          ", " + args[2]->str());
    ValuePtr head = Value::integer(attentionHead);
    double scale = 1.0 / std::sqrt(double(std::max<int64_t>(d, 1)));
    std::vector<float> out(size_t(n * dv), 0.0f);
    std::vector<double> scores(static_cast<size_t>(m));
    std::vector<bool> kept(static_cast<size_t>(m));
    for (int64_t i = 0; i < n; ++i) {
      ValuePtr position = Value::integer(m - n + i);
      double top = -INFINITY;
      for (int64_t j = 0; j < m; ++j) {
        ValuePtr key = Value::integer(j);
        ValuePtr keep = call(args[4], {position, key, head}, at);
        if (!keep)
          return nullptr;
        kept[size_t(j)] = keep->b;
        if (!keep->b)
          continue;
        double s = 0;
        for (int64_t t = 0; t < d; ++t)
          s += double(q.data[size_t(i * d + t)]) * k.data[size_t(j * d + t)];
        ValuePtr scored =
            call(args[3], {Value::real(s * scale), position, key, head}, at);
        if (!scored)
          return nullptr;
        // -inf drops the key; NaN and +inf are no score.
        if (std::isnan(scored->f) || scored->f == INFINITY)
          return fail(at, llvm::Twine("the score hook of 'Attend' gave ") +
                              (std::isnan(scored->f) ? "NaN" : "+inf") +
                              " for query position " + llvm::Twine(m - n + i) +
                              " and key " + llvm::Twine(j));
        scores[size_t(j)] = scored->f;
        top = std::max(top, scored->f);
      }
      if (top == -INFINITY)
        continue; // No key left (or every score -inf): the row is 0.
      double sum = 0;
      std::vector<double> row(size_t(dv), 0.0);
      for (int64_t j = 0; j < m; ++j) {
        if (!kept[size_t(j)])
          continue;
        double p = std::exp(scores[size_t(j)] - top);
        sum += p;
        for (int64_t c = 0; c < dv; ++c)
          row[size_t(c)] += p * v.data[size_t(j * dv + c)];
      }
      for (int64_t c = 0; c < dv; ++c)
        out[size_t(i * dv + c)] = float(row[size_t(c)] / sum);
    }
    return Value::tensor({n, dv}, std::move(out));
  }

  ValuePtr attend(const std::vector<ValuePtr> &args, Location at) {
    fac_memref2d_f32 q = view(*args[0]), k = view(*args[1]), v = view(*args[2]);
    if (q.sizes[1] != k.sizes[1] || k.sizes[0] != v.sizes[0])
      return fail(at, "Attend of " + args[0]->str() + ", " + args[1]->str() +
                          ", " + args[2]->str());
    std::vector<double> out(size_t(q.sizes[0] * v.sizes[1]));
    facrt_attention_ref_f64(&q, &k, &v, 1.0 / std::sqrt(double(q.sizes[1])), 0,
                            out.data());
    return Value::tensor({q.sizes[0], v.sizes[1]},
                         std::vector<float>(out.begin(), out.end()));
  }

  /// Fractal-codes the three matrices of an AttentionWeight with libfacrt
  /// (4x4 range blocks, 5-bit scales, 7-bit offsets) into the FractalCode's
  /// integers: per matrix, its count of integers and facrt_fractal_export's
  /// output, or -1, rows, cols and the raw values' bits for a matrix the
  /// codec cannot block. scaleFactor is the code's bits per weight.
  ValuePtr compressWeight(const ValuePtr &weight, const ValuePtr &code,
                          Location at) {
    std::vector<Matrix> matrices;
    for (const ValuePtr &m : weight->elems) {
      const Value &t = *m;
      matrices.push_back(
          {t.rows(), t.shape.empty() ? 1 : t.shape.back(), t.data});
    }
    std::vector<int64_t> codes;
    double bits = 0;
    std::string error;
    if (!codeWeights(matrices, codes, bits, error))
      return fail(at, error);
    std::vector<ValuePtr> ints;
    for (int64_t x : codes)
      ints.push_back(Value::integer(x));
    ValuePtr fractalCode =
        Value::record("FractalCode", {code->elems[0], Value::list(ints)});
    return Value::record("CompressedWeight", {fractalCode, Value::real(bits)});
  }

  /// The AttentionWeight a CompressedWeight's code decodes to.
  ValuePtr decodeWeight(const ValuePtr &compressed, Location at) {
    std::vector<int64_t> ints;
    for (const ValuePtr &x : compressed->elems[0]->elems[1]->elems)
      ints.push_back(x->i);
    std::vector<Matrix> decoded;
    if (!decodeWeightCodes(ints, 3, decoded))
      return fail(at, "malformed fractal code");
    std::vector<ValuePtr> matrices;
    for (Matrix &m : decoded)
      matrices.push_back(Value::tensor({m.rows, m.cols}, std::move(m.values)));
    return Value::record("AttentionWeight", std::move(matrices));
  }

  /// The fourth variant's recursion, unrolled by libfacrt, over the
  /// decoded weights: f(x, l, W) = attend_W[l-1](f(x, l-1, W[:|W|/2]) ·
  /// f(x, l-1, W[|W|/2:])).
  ValuePtr fractalForward(const ValuePtr &input, int64_t level,
                          const ValuePtr &weights, Location at) {
    std::vector<ValuePtr> decoded;
    std::vector<const float *> matrices;
    int64_t n = input->rows();
    for (const ValuePtr &w : weights->elems) {
      decoded.push_back(decodeWeight(w, at));
      if (!decoded.back())
        return nullptr;
      for (const ValuePtr &m : decoded.back()->elems) {
        if (m->rows() != n || int64_t(m->data.size()) != n * n)
          return fail(at, "the fractal forward multiplies square matrices: "
                          "input " +
                              input->str() + ", weight " + m->str());
        matrices.push_back(m->data.data());
      }
    }
    if (int64_t(input->data.size()) != n * n || level < 0 || level > 20)
      return fail(at, "the fractal forward needs a square input and a level "
                      "in 0-20, got " +
                          input->str());
    std::vector<float> out(input->data.size());
    if (facrt_v4_forward(input->data.data(), n, int32_t(level), matrices.data(),
                         int64_t(decoded.size()), out.data(),
                         nullptr) != FACRT_OK)
      return fail(at, "level " + llvm::Twine(level) + " needs more than " +
                          llvm::Twine(decoded.size()) + " weights");
    return Value::tensor(input->shape, std::move(out));
  }

  /// Self-attention of \p input through a compressed weight's matrices.
  ValuePtr attentionForward(const ValuePtr &input, const ValuePtr &weight,
                            Location at) {
    ValuePtr w = decodeWeight(weight, at);
    if (!w)
      return nullptr;
    ValuePtr q = matmul(input, w->elems[0], at);
    ValuePtr k = q ? matmul(input, w->elems[1], at) : nullptr;
    ValuePtr v = k ? matmul(input, w->elems[2], at) : nullptr;
    if (!v)
      return nullptr;
    return attend({q, k, v}, at);
  }

  /// collectLeaves, failing at \p at when the leaves' widths differ or the
  /// tree stands for more tokens than the interpreter expands.
  int64_t checkedLeaves(const ValuePtr &tree, std::vector<float> &rows,
                        std::vector<int64_t> &weights, Location at) {
    int64_t width = collectLeaves(tree, rows, weights);
    if (width < 0) {
      fail(at, "the leaves of the tree hold tensors of different widths");
      return -1;
    }
    int64_t tokens = 0;
    for (int64_t w : weights)
      if ((tokens += w) > kMaxListLength) {
        fail(at, "a tree of more than " + llvm::Twine(kMaxListLength) +
                     " tokens is over the interpreter's limit");
        return -1;
      }
    return width;
  }

  /// Each row of \p rows (\p width wide) repeated by its multiplicity: the
  /// tokens a tree's leaves stand for.
  static std::vector<float> repeatRows(const std::vector<float> &rows,
                                       const std::vector<int64_t> &weights,
                                       int64_t width) {
    std::vector<float> out;
    for (size_t r = 0; r < weights.size(); ++r)
      for (int64_t m = 0; m < weights[r]; ++m)
        out.insert(out.end(), rows.begin() + r * width,
                   rows.begin() + (r + 1) * width);
    return out;
  }

  /// The prelude's Attend over compressed pyramids: one output row per
  /// query leaf, attending over the key/value tokens, each key leaf
  /// weighted by its multiplicity (a log m bias on its score); the output
  /// rows keep the query leaves' multiplicities.
  ValuePtr attendTrees(const std::vector<ValuePtr> &args, Location at) {
    std::vector<float> q, k, v;
    std::vector<int64_t> qw, kw, vw;
    if (checkedLeaves(args[0], q, qw, at) < 0 ||
        checkedLeaves(args[1], k, kw, at) < 0 ||
        checkedLeaves(args[2], v, vw, at) < 0)
      return nullptr;
    if (qw.empty() || kw.empty() || vw.empty())
      return fail(at, "Attend of an empty tree");
    int64_t d = int64_t(q.size() / qw.size());
    int64_t dv = int64_t(v.size() / vw.size());
    if (int64_t(k.size() / kw.size()) != d)
      return fail(at, "query and key widths differ");
    // Keys and values may be cut differently: attend over their tokens.
    std::vector<float> keys = repeatRows(k, kw, d),
                       values = repeatRows(v, vw, dv);
    int64_t n = int64_t(keys.size()) / d;
    if (int64_t(values.size()) / dv != n)
      return fail(at, "keys and values stand for different token counts (" +
                          llvm::Twine(n) + " and " +
                          llvm::Twine(int64_t(values.size()) / dv) + ")");
    fac_memref2d_f32 qv = facrt_view2d(q.data(), int64_t(qw.size()), d, d, 0);
    fac_memref2d_f32 kv = facrt_view2d(keys.data(), n, d, d, 0);
    fac_memref2d_f32 vv = facrt_view2d(values.data(), n, dv, dv, 0);
    std::vector<double> out(qw.size() * size_t(dv));
    facrt_attention_ref_f64(&qv, &kv, &vv, 1.0 / std::sqrt(double(d)), 0,
                            out.data());
    auto result = std::make_shared<Value>(*Value::tensor(
        {int64_t(qw.size()), dv}, std::vector<float>(out.begin(), out.end())));
    result->rowWeights = qw;
    return result;
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
      // The operator's body, with its parameters bound.
      EnvPtr frame = std::make_shared<Env>();
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

  struct Handler {
    const ast::HandleExpr *expr;
    EnvPtr env;
  };

  /// Nested evaluations allowed (about 4.5 MB of stack in a release build).
  static constexpr unsigned kMaxDepth = 5000;
  /// The longest list an intrinsic builds (2^24 values).
  static constexpr int64_t kMaxListLength = int64_t(1) << 24;
  const ast::Module &module;
  SourceFile &source;
  std::vector<Handler> handlers;
  RandomDraws draws;
  /// The head attention hooks see.
  int64_t attentionHead = 0;
  uint64_t steps = 0, stepLimit = 0;
  /// The largest tensor the run has made, for MemoryConstraint.
  size_t largestTensorBytes = 0;
  unsigned depth = 0;
  bool failed = false;
  /// While a prelude operator's body runs: where the spec applied it.
  std::optional<Location> preludeCallSite;

  bool isDeclaredInSpec(const ast::Decl *decl) const {
    return llvm::any_of(module.getDecls(),
                        [&](const ast::DeclPtr &d) { return d.get() == decl; });
  }

  /// Environments some closure captured. A closure bound by `let` in the
  /// scope it captured is a reference cycle (scope -> closure -> scope);
  /// the destructor breaks every such cycle by emptying these scopes, so a
  /// run frees all it made. Closures that outlive the interpreter keep
  /// their lambda but can no longer be called meaningfully.
  std::vector<std::weak_ptr<Env>> captured;
  size_t capturedCompactAt = 64;

  void noteCaptured(const EnvPtr &env) {
    if (!captured.empty() && captured.back().lock() == env)
      return;
    captured.push_back(env);
    if (captured.size() < capturedCompactAt)
      return;
    llvm::erase_if(captured,
                   [](const std::weak_ptr<Env> &w) { return w.expired(); });
    capturedCompactAt = std::max<size_t>(64, 2 * captured.size());
  }

  ~Impl() {
    // Take the scopes out first: clearing one may free others.
    std::vector<EnvPtr> live;
    for (const std::weak_ptr<Env> &w : captured)
      if (EnvPtr e = w.lock())
        live.push_back(std::move(e));
    captured.clear();
    for (const EnvPtr &e : live) {
      e->vars.clear();
      e->parent.reset();
    }
  }
};

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
